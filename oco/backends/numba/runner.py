"""The host side of a numba run: the kernel module loaded (``cache``), the batch's arrays, and the host loop
(``oco.loop.host_loop``) calling the kernel.

Per piece of data (``CHUNK`` rounds, fetched and made ready on a thread of its own while the kernels run:
they release the GIL), the data as one read-only float64 array and the batch's shared clock (``clock``); per
stretch of rounds up to a checkpoint, one kernel call per slice of the batch (contiguous slices of whole
blocks, one per core, on threads); at a checkpoint, the host records the state the calls leave (the kernel
itself has no checkpoint code). ``finish`` turns it into the engine's Result.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ...engine import NUMPY, Tallies, Traces, finish, init_env
from ...loop import Rounds, host_loop
from ...result import lr_quantiles
from ..compiled import compiled_loss
from .cache import load
from .emit import Loss, kernel_source, layout, shared_hypers
from .forms import CONFIG_BLOCK
from .shared import load_shared

CHUNK = 1 << 16  # rounds of data per kernel piece


def slices(B: int) -> list[slice]:
    """Contiguous slices of whole blocks, one per thread (``OCO_NUMBA_THREADS``, default the cores): each
    configuration's arithmetic is the same whatever slice it is in, so results do not depend on them."""
    n_threads = int(os.environ.get("OCO_NUMBA_THREADS", os.cpu_count() or 1))
    n_blocks = math.ceil(B / CONFIG_BLOCK)
    n_threads = max(1, min(n_threads, n_blocks))
    per = math.ceil(n_blocks / n_threads) * CONFIG_BLOCK
    return [slice(i, min(B, i + per)) for i in range(0, B, per)]


class KernelRounds(Rounds):
    """A batch's arrays (the kernel's arguments) and its rounds: the kernel called on each slice."""

    chunk = CHUNK
    ahead = "thread"

    def __init__(self, problem, method, h, seeds, x0, domain, checkpoints):
        B, d = x0.shape
        load_shared()  # what the kernel imports
        self.module = load(kernel_source(problem, method, h, seeds, x0, domain))
        self.m = Loss(compiled_loss(problem)).width(d)  # data columns per round
        self.X = np.array(x0, dtype=float)
        self.tallies = Tallies.start(B, NUMPY)
        self.prev_eta = np.full((B, d), np.inf)  # Γ_t: round 1 has no η_0 to exceed
        K = len(checkpoints)
        self.ck_loss = np.full((K, B), np.nan)
        self.ck_x, self.ck_eta = np.zeros((K, B, d)), np.zeros((K, B, d))
        self.slices, self.pool = slices(B), None
        self.arrays = (*self._batch(method, h, seeds), *self._state(method, h))
        self.LO, self.HI, self.radius = _bounds(domain, d)
        uh, ucs, self.uouts = layout(method, h, shared_hypers(h))
        self.UC = np.array([float(method.cstate[c]) for c in ucs] + [0.0])
        self.UH = [np.ascontiguousarray(h[k][:, 0]) for k in uh]

    def _batch(self, method, h, seeds) -> tuple:
        """The per-configuration arrays in the kernel's order: seed rows, x, the tallies, η_{t−1}."""
        sidx = np.unique(seeds, return_inverse=True)[1].astype(np.int64)
        tl = self.tallies
        return (sidx, self.X, tl.cum, tl.comp, tl.active, tl.diverged_at, tl.gamma_neg, tl.lr_min, tl.lr_max,
                self.prev_eta)

    def _state(self, method, h) -> list:
        """The state, the per-configuration clock state and the numeric hyperparameters (contiguous)."""
        env = init_env(method, h, self.X)
        numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
        return [*(np.ascontiguousarray(env[s]) for s in method.state),
                *(np.ascontiguousarray(env[c][:, 0]) for c in method.cstate),
                *(np.ascontiguousarray(h[k][:, 0]) for k in numeric)]

    def prepare(self, t: int, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The piece's data (U, n, m) as one read-only float64 array, and the batch's shared clock for its
        rounds (a fresh W: kernels may still be reading the last one)."""
        n = data.shape[1]
        G = np.ascontiguousarray(np.asarray(data, float).reshape(len(data), n, self.m)).view()
        G.flags.writeable = False  # always read-only: one compiled signature, the data a view or not
        W = np.empty((len(self.uouts), n))
        self.module.clock(t, n, W, self.UC, *self.UH)
        return G, W

    def run(self, piece, t: int, n: int, j: int) -> None:
        """Rounds t..t+n−1 of every slice: on threads, unless the call is short (early checkpoints), where
        threads would cost more."""
        G, W = piece

        def one(sl):
            sx, x, *rest = (a[sl] for a in self.arrays)
            self.module.kernel(t, n, G, j, W, sx, x, self.LO, self.HI, self.radius, *rest)

        if self.pool is None or n * len(self.X) < 1 << 18:
            for sl in self.slices:
                one(sl)
        else:
            list(self.pool.map(one, self.slices))

    def record(self, k: int) -> None:
        self.ck_loss[k] = self.tallies.loss()
        self.ck_x[k] = self.X
        self.ck_eta[k] = self.prev_eta

    def loop(self, problem, seeds, T, checkpoints, progress) -> None:
        """``host_loop`` with a thread per slice of the batch for the long calls."""
        from concurrent.futures import ThreadPoolExecutor

        if len(self.slices) > 1:
            self.pool = ThreadPoolExecutor(len(self.slices))
        try:
            host_loop(problem, seeds, T, checkpoints, self, progress)
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def compile(self) -> None:
        """Both functions typed for this run's arguments (compiled, or loaded from the cache): no round."""
        zero = np.zeros((1, 1, self.m))
        self.run(self.prepare(1, zero), 1, 0, 0)


def _bounds(domain, d: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The box's bounds per coordinate (zeros for another set) and the ball's radius (0 for another set)."""
    if domain.kind == "box":
        LO = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.lo, float), (d,)))
        HI = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.hi, float), (d,)))
    else:
        LO = HI = np.zeros(d)
    return LO, HI, float(getattr(domain, "radius", 0.0))


def run_kernels(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """B configurations for T rounds on the compiled kernel: ``oco.engine.run``'s arguments, its Result."""
    rounds = KernelRounds(problem, method, h, seeds, x0, domain, checkpoints)
    rounds.loop(problem, seeds, T, checkpoints, progress)
    traces = Traces(rounds.ck_loss, rounds.ck_x, lr_quantiles(rounds.ck_eta))
    return finish(problem, method, h, seeds, T, rounds.X, domain, checkpoints, rounds.tallies, traces)


def compile_only(problem, method, h, seeds, x0, domain) -> None:
    """Compile (or load from the cache) the kernel a run with these arguments needs, running no round."""
    KernelRounds(problem, method, h, seeds, x0, domain, np.zeros(0, np.int64)).compile()
