"""Backends: the NumPy engine (``oco.engine``, the reference) and faster ones that run the same method table.

    numpy   the engine loop over t on (B, d) arrays.
    numba   the time loop compiled (generated from the table's pieces), blocks of configurations spread
            over threads; every problem that declares its loss as a piece (all the built-in ones). Falls back
            to NumPy otherwise.
    torch   the engine loop on torch tensors (CPU, or CUDA where a GPU is present).

``REGISTRY`` holds them. A backend is a module with two functions, ``supports(problem, domain)`` (None, or
why it cannot run them) and ``run(problem, method, h, seeds, T, x0, domain, checkpoints, progress)`` (the
engine's arguments, the same Result), plus its line below; a new backend is one file and one line. ``auto``
is a rule, not a backend (``choose``). This module imports nothing heavy: the CLI lists backends with it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .compiled import CompileError, compiled_loss, is_linear  # noqa: F401 (oco.backends' names, kept public)

if TYPE_CHECKING:
    from ..result import Result

# "auto" weighs what the NumPy engine would take for the whole run against a kernel's first compilation
# (benchmarks/engine_overhead.py and targets.py on this project's 2-core machines; a kernel compiles once, cached):
NUMPY_ROUND_S = 2e-5  # seconds per round, whatever the batch: the engine's Python share
NUMPY_ELEMENT_S = 1.5e-8  # seconds per configuration × coordinate × round
COMPILE_S = 2.0  # seconds for a kernel's first compilation (the table's pieces are compiled once, shared)


def numpy_seconds(B: int, d: int, T: int) -> float:
    """The NumPy engine's time for B configurations of d coordinates over T rounds (an estimate)."""
    return T * (NUMPY_ROUND_S + NUMPY_ELEMENT_S * B * d)


@dataclass
class Backend:
    """A backend: its name, one line on what runs, the module that runs it and the package it needs."""

    name: str
    description: str
    module: str
    package: str | None = None  # what it needs beyond NumPy: the name to import and to pip install
    package_name: str = ""  # how that package is called in messages ("PyTorch"; default: ``package``)

    def importable(self) -> bool:
        """Its package can be imported here (found on the path; nothing is imported)."""
        return self.package is None or importlib.util.find_spec(self.package) is not None

    def supports(self, problem, domain) -> str | None:
        """Why it cannot run this problem on this domain; None when it can."""
        return importlib.import_module(self.module).supports(problem, domain)

    def run(self, problem, method, h, seeds, T, x0, domain, checkpoints, progress=None) -> Result:
        """B configurations for T rounds: ``oco.engine.run``'s arguments, the same Result."""
        return importlib.import_module(self.module).run(problem, method, h, seeds, T, x0, domain, checkpoints,
                                                        progress)


REGISTRY: dict[str, Backend] = {b.name: b for b in (
    Backend("numpy", "the NumPy engine (float64), the reference", "oco.engine"),
    Backend("numba", "compiled kernels generated from the method table, blocks of configurations on all cores",
            "oco.backends.numba", "numba"),
    Backend("torch", "the engine on torch tensors (CUDA when a GPU is present)", "oco.backends.torch_backend",
            "torch", "PyTorch"),
)}
AUTO = "auto"
AUTO_DESCRIPTION = (f"numba where its kernel is cached, or NumPy would take over {COMPILE_S:g} s (the first "
                    f"compilation's cost); numpy otherwise — the results are the same bit for bit (the default)")


def names() -> tuple[str, ...]:
    """What ``backend=`` takes: "auto", then every registered backend (``oco.BACKENDS``)."""
    return (AUTO, *REGISTRY)


def descriptions() -> dict[str, str]:
    """{name: one line} for every name ``backend=`` takes, in the order of ``names``."""
    return {AUTO: AUTO_DESCRIPTION, **{name: b.description for name, b in REGISTRY.items()}}


def available() -> tuple[str, ...]:
    """The registered backends whose package can be imported here (the NumPy engine always can)."""
    return tuple(name for name, b in REGISTRY.items() if b.importable())


def compile_ahead(jobs):
    """A context for running several ``oco.api.Job`` one after the other: the numba kernels they need and
    the cache lacks are compiled in worker processes meanwhile (``oco.backends.numba.ahead.Ahead``); call
    ``ahead.ready(job)`` before each job runs. Results are the same either way: only the time changes."""
    from .numba.ahead import Ahead  # imports no numba itself: Ahead does, where a job runs on it

    return Ahead(jobs)


def choose(name: str, problem, domain, T: int, method=None, h=None, seeds=None, x0=None
           ) -> tuple[Backend, str | None]:
    """The backend that runs ``backend=name``, and why it is not the one asked for (None when it is).

    ``auto``: numba when it is importable and supports the problem, and either the run's kernel is cached
    already or the NumPy engine's estimated time (``numpy_seconds``) exceeds a first compilation's
    (``COMPILE_S``); numpy otherwise. The two compute the same numbers bit for bit, so the choice changes
    the time a run takes, never its results. (Without the run's method and batch, only the estimate counts.)
    A backend asked for by name: ValueError when its package cannot be imported; numpy, with the backend's
    reason, when it cannot run this problem.
    """
    numpy = REGISTRY["numpy"]
    if name == AUTO:
        numba = REGISTRY["numba"]
        if not numba.importable() or numba.supports(problem, domain) is not None:
            return numpy, None
        B, d = (1, getattr(problem, "d", 1)) if x0 is None else x0.shape
        if numpy_seconds(B, d, T) > COMPILE_S:
            return numba, None
        if method is not None:
            from .numba import cached

            if cached(problem, method, h, seeds, x0, domain):
                return numba, None
        return numpy, None
    backend = REGISTRY[name]
    if not backend.importable():
        raise ValueError(f"the {name} backend needs {backend.package_name or backend.package}: "
                         f"pip install {backend.package}")
    why = backend.supports(problem, domain)
    return (backend, None) if why is None else (numpy, why)
