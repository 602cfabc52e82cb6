"""``python -m oco …``: the ``oco`` command."""

from oco.cli import main

main()
