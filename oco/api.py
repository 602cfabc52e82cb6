"""The Python API: ``oco.simulate(problem, method, T=..., **hyperparameters)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import engine
from . import specs
from .backends import CompileError, choose, names
from .config import MAX_T
from .foreign import Foreign
from .projections import Domain, make_domain
from .result import Result

BACKENDS = names()  # "auto" and the registry's (oco.backends.REGISTRY)


def resolve_problem(problem, params: dict | None = None):
    from oco.problems import Problem, get_problem

    if isinstance(problem, Problem):
        if params:
            raise ValueError("problem parameters go with a problem name, not an instance")
        return problem
    if isinstance(problem, str):
        return get_problem(problem, **(params or {}))
    raise TypeError(f"problem must be a name or a problems.Problem, got {type(problem).__name__}")


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
    """A checked run, not yet run: what ``simulate`` resolved from its arguments, and the backend ``choose``
    took (None for a foreign method, which runs in its own library). ``plan`` makes one; ``run`` runs it."""

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
    """``simulate``'s arguments checked and resolved, and its backend chosen, without running: a ``Job``
    (what ``runs.execute`` hands to ``oco.backends.compile_ahead`` before it runs them one by one)."""
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    if T > MAX_T:
        raise ValueError(f"T must be at most 10^12, got {T:.3g}")
    T = int(T)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    prob = resolve_problem(problem, problem_params)
    m = specs.resolve(method, convention)
    seeds = np.atleast_1d(np.asarray(seed))
    if seeds.ndim != 1 or not np.issubdtype(seeds.dtype, np.integer) or np.any(seeds < 0):
        raise ValueError(f"seed must be a non-negative integer or a 1-D array of them, got {seed!r}")
    max_rounds = getattr(prob, "max_rounds", None)
    if max_rounds is not None and T > max_rounds:
        raise ValueError(f"T={T} is too long: the problem has {max_rounds} rounds")
    # the batch size B: from the hyperparameter arrays, the seeds, or one x0 row per configuration
    x0_rows = np.shape(x0)[0] if x0 is not None and np.ndim(x0) == 2 else 1
    hints = {n for n in (len(seeds), x0_rows) if n > 1}
    if len(hints) > 1:
        raise ValueError(f"seed and x0 give different batch sizes: {sorted(hints)}")
    h, B = m.resolve(hyperparameters, batch=hints.pop() if hints else None)
    seeds = np.broadcast_to(seeds, (B,)).copy()

    if domain is None:
        dom = prob.default_domain()
    elif isinstance(domain, str):
        dom = make_domain(domain, radius)
    else:
        dom = domain
    d = prob.d
    if x0 is None:
        x0_arr = np.broadcast_to(prob.default_x0(dom), (B, d)).copy()
    else:
        x0_arr = np.asarray(x0, dtype=float)
        if x0_arr.ndim == 0 or x0_arr.shape == (d,) or x0_arr.shape == (1, d):
            x0_arr = np.broadcast_to(x0_arr.reshape(-1)[:d] if x0_arr.ndim else x0_arr, (B, d)).copy()
        elif x0_arr.shape != (B, d):
            raise ValueError(f"x0 must be a number, shape ({d},) or ({B}, {d}); got shape {x0_arr.shape}")
        if not np.all(np.isfinite(x0_arr)):
            raise ValueError("x0 must be finite")
        if not np.all(dom.contains(x0_arr)):
            raise ValueError(f"x0 must lie in the feasible set {dom.describe()}")

    if checkpoint_every is not None:
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        cks = engine.every_checkpoints(T, int(checkpoint_every))
    elif np.ndim(checkpoints) == 0:
        cks = engine.log_checkpoints(T, int(checkpoints))
    else:
        cks = np.unique(np.asarray(checkpoints, dtype=np.int64))
        if cks[0] < 1 or cks[-1] > T:
            raise ValueError(f"checkpoints must lie in [1, T={T}]")
    if isinstance(m, Foreign):  # its own library computes the update, whatever the backend
        return Job(prob, m, h, seeds, T, x0_arr, dom, cks, None, None, backend)
    runner, why = choose(backend, prob, dom, T, m, h, seeds, x0_arr)
    return Job(prob, m, h, seeds, T, x0_arr, dom, cks, runner, why, backend)


def _notice(message: str) -> None:
    import sys

    print(message, file=sys.stderr)
