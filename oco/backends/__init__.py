"""Backends: the NumPy engine (``oco.engine``, the reference) and faster ones that run the same method table.

    numba   the time loop compiled (generated from the table's pieces), blocks of configurations spread
            over threads; linear problems (all the counterexamples). Falls back to NumPy otherwise.
    torch   the engine loop on torch tensors (CPU, or CUDA where a GPU is present).
"""

from __future__ import annotations

import importlib.util

NAMES = ("numpy", "numba", "torch")


def available() -> tuple[str, ...]:
    """The backends whose package can be imported here (the NumPy engine always can)."""
    return ("numpy",) + tuple(
        name for name, mod in (("numba", "numba"), ("torch", "torch")) if importlib.util.find_spec(mod)
    )
