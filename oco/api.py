"""The Python API: ``oco.simulate(problem, method, T=..., **hyperparameters)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import engine
from .backends import CompileError, choose, names
from .config import Call, check_call
from .foreign import Foreign
from .projections import Domain
from .result import Result

BACKENDS = names()  # "auto" and the registry's (oco.backends.REGISTRY)


def simulate(
    problem,
    method="adam",
    T: int = 1000,
    *,
    convention: str = "paper",
    x0: float | np.ndarray | None = None,
    domain: Domain | str | None = None,
    radius: float = 1.0,
    seed: int | np.ndarray = 0,
    problem_params: dict | None = None,
    checkpoints: int | np.ndarray = 100,
    checkpoint_every: int | None = None,
    progress: Callable[[int], None] | None = None,
    backend: str = "auto",
    **hyperparameters: Any,
) -> Result:
    """Run ``method`` on ``problem`` for T rounds, for every configuration of a batch at once.

    Every hyperparameter (alpha, beta1, beta2, eps, …) and ``seed`` may be a scalar or a (B,) array;
    arrays of the same length B run as B configurations in one batch. ``domain`` is a Domain or
    ``"box"``/``"ball"``/``"none"`` (with ``radius``); default: the problem's own ([−1, 1] for the
    counterexamples). ``checkpoints``: how many log-spaced rounds to record, or the rounds themselves;
    ``checkpoint_every=k`` records every k-th round instead. ``backend``: one of ``oco.BACKENDS`` (the
    NumPy engine is the reference; numba agrees with it bit for bit, torch to round-off). ``auto`` takes
    the compiled numba kernel when it is cached or the NumPy engine would take longer than compiling it
    (``oco.backends.choose``), NumPy otherwise: the choice changes the time, never the numbers.

    >>> r = simulate("reddi-online", "adam", T=2000, alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")
    >>> float(r.x_final[0, 0])
    0.06698092970410591
    """
    job = plan(problem, method, T, convention=convention, x0=x0, domain=domain, radius=radius, seed=seed,
               problem_params=problem_params, checkpoints=checkpoints, checkpoint_every=checkpoint_every,
               backend=backend, **hyperparameters)
    return job.run(progress)


@dataclass
class Job:
    """A checked run, not yet run: a ``oco.config.Call`` and the backend ``choose`` took for it (None for a
    foreign method, which runs in its own library). ``plan`` or ``Job.of`` makes one; ``run`` runs it."""

    problem: Any
    method: Any
    h: dict
    seeds: np.ndarray
    T: int
    x0: np.ndarray
    domain: Domain
    checkpoints: np.ndarray
    runner: Any
    why: str | None
    backend: str

    @classmethod
    def of(cls, call: Call) -> Job:
        """The Job of a checked Call: the backend ``choose`` takes for it (none for a foreign method, which
        runs in its own library)."""
        c = call
        runner, why = None, None
        if not isinstance(c.method, Foreign):
            runner, why = choose(c.backend, c.problem, c.domain, c.T, c.method, c.h, c.seeds, c.x0)
        return cls(c.problem, c.method, c.h, c.seeds, c.T, c.x0, c.domain, c.checkpoints, runner, why,
                   c.backend)

    def run(self, progress: Callable[[int], None] | None = None) -> Result:
        args = (self.problem, self.method, self.h, self.seeds, self.T, self.x0, self.domain, self.checkpoints)
        if self.runner is None:  # a foreign method: its own library
            return self.method.run(self.problem, *args[2:], progress)
        if self.why is not None:
            _notice(f"oco: the {self.backend} backend cannot run this ({self.why}); using {self.runner.name}")
        try:
            return self.runner.run(*args, progress)
        except CompileError as e:  # a user's piece outside what the compiled backend supports
            _notice(f"oco: the {self.runner.name} backend cannot compile {self.method.name} ({e}); using numpy")
            return engine.run(*args, progress)


def plan(
    problem,
    method="adam",
    T: int = 1000,
    *,
    convention: str = "paper",
    x0: float | np.ndarray | None = None,
    domain: Domain | str | None = None,
    radius: float = 1.0,
    seed: int | np.ndarray = 0,
    problem_params: dict | None = None,
    checkpoints: int | np.ndarray = 100,
    checkpoint_every: int | None = None,
    backend: str = "auto",
    **hyperparameters: Any,
) -> Job:
    """``simulate``'s arguments checked and resolved (``oco.config.check_call``), and its backend chosen,
    without running: a ``Job``."""
    call = check_call(problem, method, T, convention=convention, x0=x0, domain=domain, radius=radius,
                      seed=seed, problem_params=problem_params, checkpoints=checkpoints,
                      checkpoint_every=checkpoint_every, backend=backend, hyperparameters=hyperparameters)
    return Job.of(call)


def _notice(message: str) -> None:
    import sys

    print(message, file=sys.stderr)
