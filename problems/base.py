"""What a problem is: a sequence of convex losses f_t on a feasible set, with its best fixed point in hindsight.

A problem produces, for a seed and a range of rounds, the per-round data ξ_t (for linear losses
f_t(x) = ⟨g_t, x⟩ the data *is* g_t), and evaluates f_t and ∇f_t for a batch of iterates. Sequences are a
function of (problem, parameters, seed) only: random data is drawn in fixed blocks of ``BLOCK`` rounds from
``SeedSequence(seed, spawn_key=(block,))``, so any chunking, batch size or order of configurations sees the
same numbers (common random numbers across a sweep).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Callable, ClassVar

import numpy as np

from oco.projections import Ball, Box, Domain, Unconstrained

BLOCK = 4096


def block_rng(seed: int, block: int, stream: int = 0) -> np.random.Generator:
    """The generator of one block of rounds: a function of the seed and the block index only."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(block))))


def blocked(seed: int, t0: int, n: int, draw: Callable[[np.random.Generator, int, int], np.ndarray]) -> np.ndarray:
    """Rounds t0..t0+n−1 of a random sequence drawn block by block: draw(rng, first_round, size)."""
    first, last = (t0 - 1) // BLOCK, (t0 + n - 2) // BLOCK
    parts = [_block(draw, seed, b) for b in range(first, last + 1)]
    data = parts[0] if len(parts) == 1 else np.concatenate(parts)
    off = (t0 - 1) - first * BLOCK
    return data[off : off + n]


@lru_cache(maxsize=256)
def _block(draw, seed, b):
    out = draw(block_rng(seed, b), b * BLOCK + 1, BLOCK)
    out.setflags(write=False)
    return out


class Problem(ABC):
    """A loss sequence. Subclasses set ``name``, ``summary``, ``d`` and implement ``data``."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    linear: ClassVar[bool] = True  # f_t(x) = ⟨g_t, x⟩ with g_t = data_t
    d: int = 1
    failure_level: float | None = None  # closed-form R_T/T limit of the failing method, for plots

    def params(self) -> dict:
        """The resolved parameters (JSON-ready)."""
        return {}

    def default_domain(self) -> Domain:
        return Box(-1.0, 1.0)

    def default_x0(self, domain: Domain) -> np.ndarray:
        return domain.project(np.zeros((1, self.d)))[0]

    @abstractmethod
    def data(self, seed: int, t0: int, n: int) -> np.ndarray:
        """Per-round data for rounds t0..t0+n−1 (1-based), leading axis n."""

    def loss_grad(self, x: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_t(x) and ∇f_t(x) for a batch: x (B, d), data (B, …) → (B,), (B, d)."""
        return np.sum(data * x, axis=-1), data

    def hindsight(self, seed: int, ts: np.ndarray, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
        """min_{x∈F} Σ_{s≤t} f_s(x) and its minimizer for each t in ts (ascending)."""
        G = linear_sums(self, seed, ts)
        return linear_comparator(G, domain)

    def expected_loss(self, x: np.ndarray) -> np.ndarray | None:
        """F(x) = E f(x, ξ) for stochastic problems, (B,); None when not defined."""
        return None

    def expected_optimum(self, domain: Domain) -> tuple[float, np.ndarray] | None:
        """(F(x*), x*) over F for stochastic problems; None when not defined."""
        return None


def linear_sums(problem: Problem, seed: int, ts: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """G_t = Σ_{s≤t} g_s at each t in ts (ascending), shape (K, d); pairwise sums within chunks and
    Neumaier-compensated accumulation across them, so long horizons stay accurate."""
    ts = np.asarray(ts, dtype=np.int64)
    out = np.zeros((len(ts), problem.d))
    total = np.zeros(problem.d)
    comp = np.zeros(problem.d)
    t, k = 0, 0
    while k < len(ts):
        n = min(chunk, int(ts[-1]) - t)
        g = problem.data(seed, t + 1, n).reshape(n, problem.d)
        # prefix sums inside the chunk, needed only at the checkpoints that fall in it
        ends = [int(e) - t for e in ts[k:] if e <= t + n]
        start = 0
        for e in ends:
            total, comp = _neumaier(total, comp, g[start:e].sum(axis=0))
            out[k] = total + comp
            start, k = e, k + 1
        total, comp = _neumaier(total, comp, g[start:n].sum(axis=0))
        t += n
    return out


def _neumaier(total, comp, x):
    s = total + x
    comp = comp + np.where(np.abs(total) >= np.abs(x), (total - s) + x, (x - s) + total)
    return s, comp


def linear_comparator(G: np.ndarray, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form min_{x∈F} ⟨G, x⟩ for rows of G (K, d): box, ball or unconstrained."""
    if isinstance(domain, Box):
        lo = np.broadcast_to(np.asarray(domain.lo, float), G.shape)
        hi = np.broadcast_to(np.asarray(domain.hi, float), G.shape)
        x = np.where(G > 0, lo, np.where(G < 0, hi, np.clip(0.0, lo, hi)))
        return np.sum(G * x, axis=-1), x
    if isinstance(domain, Ball):
        norm = np.sqrt(np.sum(G * G, axis=-1))
        x = np.where(norm[:, None] > 0, -domain.radius * G / np.where(norm > 0, norm, 1)[:, None], 0.0)
        return -domain.radius * norm, x
    if isinstance(domain, Unconstrained):
        zero = np.all(G == 0, axis=-1)
        return np.where(zero, 0.0, -math.inf), np.where(zero[:, None], 0.0, np.nan) * np.ones_like(G)
    raise TypeError(f"no closed-form comparator for {domain!r}")


class PeriodicLinear(Problem):
    """f_t(x) = g_t·x on [−1, 1] with g_t = ``large`` if t mod ``period`` = 1, else ``small``.

    Reddi et al. (2018) Figure 1 uses large = 1010, small = −10, period = 101: with β1 = 0.9, β2 = 0.99 Adam
    goes to x = +1 and R_T/T → (large + (period − 1)·small)·(1 − (−1))/period = 20/101 when G > 0.
    """

    name = "periodic-linear"
    summary = "g_t = large if t mod period = 1 else small, on [−1, 1]"

    def __init__(self, large: float = 1010.0, small: float = -10.0, period: int = 101):
        if not (isinstance(period, (int, np.integer)) or float(period).is_integer()) or period < 1:
            raise ValueError(f"period must be an integer >= 1, got {period}")
        if not (np.isfinite(large) and np.isfinite(small)):
            raise ValueError("large and small must be finite")
        self.large, self.small, self.period = float(large), float(small), int(period)
        mean = (self.large + (self.period - 1) * self.small) / self.period
        self.failure_level = 2 * abs(mean) if mean != 0 else None

    def params(self):
        return {"large": self.large, "small": self.small, "period": self.period}

    def data(self, seed, t0, n):
        t = np.arange(t0, t0 + n)
        return np.where(t % self.period == 1 % self.period, self.large, self.small)[:, None]


class ReddiOnline(PeriodicLinear):
    """Reddi et al. (2018) Figure 1, online: 1010x if t mod 101 = 1, else −10x, on [−1, 1]."""

    name = "reddi-online"
    summary = "1010x if t mod 101 = 1 else −10x on [−1, 1] (Reddi et al. Figure 1)"

    def __init__(self):
        super().__init__(1010.0, -10.0, 101)

    def params(self):
        return {}
