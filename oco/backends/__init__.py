"""Backends: the NumPy engine (``oco.engine``, the reference) and faster ones that run the same method table.

    numpy   the engine loop over t on (B, d) arrays.
    numba   the time loop compiled (generated from the table's pieces), blocks of configurations spread
            over threads; linear problems (all the counterexamples). Falls back to NumPy otherwise.
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

if TYPE_CHECKING:
    from ..result import Result

class CompileError(Exception):
    """A compiled backend cannot compile a method's pieces (a user's piece outside the supported subset):
    ``oco.simulate`` then runs the NumPy engine and says why."""


AUTO_NUMBA_T = 50_000  # from this horizon on, "auto" compiles (2–6 s, once: kernels are cached on disk)


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
            "oco.backends.numba_kernel", "numba"),
    Backend("torch", "the engine on torch tensors (CUDA when a GPU is present)", "oco.backends.torch_backend",
            "torch", "PyTorch"),
)}
AUTO = "auto"
AUTO_DESCRIPTION = f"numba from T >= {AUTO_NUMBA_T} on linear problems, numpy otherwise (the default)"


def names() -> tuple[str, ...]:
    """What ``backend=`` takes: "auto", then every registered backend (``oco.BACKENDS``)."""
    return (AUTO, *REGISTRY)


def descriptions() -> dict[str, str]:
    """{name: one line} for every name ``backend=`` takes, in the order of ``names``."""
    return {AUTO: AUTO_DESCRIPTION, **{name: b.description for name, b in REGISTRY.items()}}


def available() -> tuple[str, ...]:
    """The registered backends whose package can be imported here (the NumPy engine always can)."""
    return tuple(name for name, b in REGISTRY.items() if b.importable())


def is_linear(problem) -> bool:
    """f_t(x) = ⟨g_t, x⟩ with g_t = data_t: the problem says so and keeps the base class's ``loss_grad``, so a
    backend may compute the loss and gradient itself."""
    from oco.problems.base import Problem

    return bool(getattr(problem, "linear", False)) and type(problem).loss_grad is Problem.loss_grad


def choose(name: str, problem, domain, T: int) -> tuple[Backend, str | None]:
    """The backend that runs ``backend=name``, and why it is not the one asked for (None when it is).

    ``auto``: numba when T ≥ AUTO_NUMBA_T and numba is importable and supports the problem, numpy otherwise —
    a function of the run's settings, never of the batch. A backend asked for by name: ValueError when its
    package cannot be imported; numpy, with the backend's reason, when it cannot run this problem.
    """
    numpy = REGISTRY["numpy"]
    if name == AUTO:
        numba = REGISTRY["numba"]
        fast = T >= AUTO_NUMBA_T and numba.importable() and numba.supports(problem, domain) is None
        return (numba if fast else numpy), None
    backend = REGISTRY[name]
    if not backend.importable():
        raise ValueError(f"the {name} backend needs {backend.package_name or backend.package}: "
                         f"pip install {backend.package}")
    why = backend.supports(problem, domain)
    return (backend, None) if why is None else (numpy, why)
