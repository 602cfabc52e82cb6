"""A progress bar for long runs: rich, on stderr (stdout stays clean for ``--json``), shown only on a terminal
and only once the work has taken longer than ``delay`` seconds, so short runs print nothing."""

from __future__ import annotations

import sys
import time

from typing_extensions import Self


class ProgressBar:
    """Callable with the number of rounds just done, as ``oco.simulate(progress=...)`` expects.

    >>> with ProgressBar(total=1000, enabled=False) as bar:
    ...     bar(1000)
    """

    def __init__(self, total: int, label: str = "rounds", enabled: bool = True, delay: float = 1.0):
        self.total, self.label, self.enabled, self.delay = int(total), label, enabled, delay
        self.done = 0
        self._start = time.monotonic()
        self._bar = None
        self._task = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self, label: str) -> None:
        self.label = label
        if self._bar is not None:
            self._bar.update(self._task, description=label)

    def __call__(self, n: int) -> None:
        self.done += int(n)
        if not self.enabled:
            return
        if self._bar is None and time.monotonic() - self._start > self.delay:
            if not sys.stderr.isatty():  # logs and pipes get no bar (rich would still print a newline)
                self.enabled = False
                return
            self._open()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total, completed=self.done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
