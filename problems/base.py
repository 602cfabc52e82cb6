"""What a problem is: a sequence of convex losses f_t on a feasible set, with its best fixed point in hindsight.

A problem produces, for a seed and a range of rounds, the per-round data ξ_t (for linear losses
f_t(x) = ⟨g_t, x⟩ the data *is* g_t), and evaluates f_t and ∇f_t for a batch of iterates. Sequences are a
function of (problem, parameters, seed) only: random data is drawn in fixed blocks of ``DRAW_BLOCK`` rounds from
``SeedSequence(seed, spawn_key=(stream, block))``, so any chunking, batch size or order of configurations sees
the same numbers (common random numbers across a sweep), and a single run with seed s reproduces the sweep
cell with seed s exactly.

The pieces every problem module builds on:

- ``Problem``: the interface the engine uses (``data``, ``loss_grad``, ``hindsight``, ``expected_loss``,
  ``expected_optimum``) plus what the CLI shows (``name``, ``summary``, ``parameters()``, ``suggested``).
- ``blocked``/``block_rng``: block-wise random data.
- ``prefix_sums``/``linear_sums``: compensated running sums at checkpoints; ``linear_comparator``: the
  closed-form minimum of a linear function on a box, a ball or all of R^d.
- ``CyclicLinear``/``PeriodicLinear`` (deterministic periodic linear losses) and ``TwoPointLinear``
  (g_t = a with probability p, else b): the shapes of every 1-D counterexample.
- ``integer``/``real``/``choice``: parameter checks that raise one-line ValueErrors naming the parameter.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from oco.projections import Ball, Box, Domain, Unconstrained

DRAW_BLOCK = 4096  # rounds of random data drawn from one generator (see blocked)


def block_rng(seed: int, block: int, stream: int = 0) -> np.random.Generator:
    """The generator of one block of rounds: a function of the seed and the block index only."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(block))))


def blocked(
    seed: int, t0: int, n: int, draw: Callable[[np.random.Generator, int, int], np.ndarray]
) -> np.ndarray:
    """Rounds t0..t0+n−1 of a random sequence drawn block by block: draw(rng, first_round, size).

    ``draw`` should be a bound method (``self._draw``), so that the block cache recognises it across calls.
    """
    first, last = (t0 - 1) // DRAW_BLOCK, (t0 + n - 2) // DRAW_BLOCK
    parts = [_block(draw, seed, b) for b in range(first, last + 1)]
    data = parts[0] if len(parts) == 1 else np.concatenate(parts)
    off = (t0 - 1) - first * DRAW_BLOCK
    return data[off : off + n]


@lru_cache(maxsize=256)
def _block(draw, seed, b):
    out = draw(block_rng(seed, b), b * DRAW_BLOCK + 1, DRAW_BLOCK)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------- parameter checks
MAX_PATTERN = 10**8  # the longest period of a cyclic problem: its pattern is held in memory (8 bytes a round)

def integer(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer parameter; accepts 3, 3.0 and "3" (the CLI passes strings or floats)."""
    try:
        f = float(value)
    except OverflowError:
        f = math.inf
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {_short(value)}") from None
    if isinstance(value, bool) or not math.isfinite(f) or not f.is_integer():
        kind = "an integer" if math.isfinite(f) else "a finite integer"
        raise ValueError(f"{name} must be {kind}, got {_short(value)}")
    v = int(f)
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v}")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be an integer <= {hi}, got {v}")
    return v


def real(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """A finite real parameter in [lo, hi] (ends open where asked); accepts numbers and numeric strings."""
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {_short(value)}") from None
    if isinstance(value, bool) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {_short(value)}")
    bad_lo = lo is not None and (v <= lo if lo_open else v < lo)
    bad_hi = hi is not None and (v >= hi if hi_open else v > hi)
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "−∞" if lo is None else f"{lo:g}"
        hi_s = "∞" if hi is None else f"{hi:g}"
        raise ValueError(f"{name} must be in {left}{lo_s}, {hi_s}{right}, got {v:g}")
    return v


def _short(value: Any, n: int = 40) -> str:
    """repr(value), cut to n characters: a 400-digit number is not echoed back whole."""
    s = repr(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return str(value)


class Param:
    """A problem parameter, declared once: its default, its check and its help line.

    ``Param(3.0, real, "the large gradient", lo=2.0, lo_open=True)`` checks a value with
    ``real(name, value, lo=2.0, lo_open=True)``. A default of None means "chosen by a rule" (the rule lives in
    the problem's ``setup``): None, or the text "None" from the command line, is then kept as None.
    """

    def __init__(self, default: Any, check: Callable[..., Any], help: str = "", **limits: Any):
        self.default, self.check, self.help, self.limits = default, check, help, limits

    def parse(self, name: str, value: Any) -> Any:
        if self.default is None and (value is None or value == "None"):
            return None
        return self.check(name, value, **self.limits)


# ---------------------------------------------------------------- the loss, declared once for every backend
class Separable:
    """f_t(x) = Σ_j ℓ(x_j, ξ_{t,j}, ξ_{t,d+j}, …),  ∇_j f_t(x) = ∂ℓ/∂x_j.

    ``piece(x, *fields) → (ℓ, ∂ℓ)`` is elementwise, written like the methods' pieces (``oco.methods.ops``
    names): NumPy runs it on (B, d) arrays, the compiled kernel on scalars, from the same source. The round's
    data row holds ``fields`` blocks of d columns (ξ_{t,j} is block 0's column j, …).
    """

    def __init__(self, piece: Callable, fields: int = 1):
        self.piece, self.fields = piece, fields

    def __call__(self, x: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = x.shape[-1]
        f, g = self.piece(x, *(data[:, k * d : (k + 1) * d] for k in range(self.fields)))
        return np.sum(f, axis=-1), g


class Margin:
    """f_t(x) = ℓ(z),  ∇f_t(x) = y ℓ'(z)·a,  z = y⟨a, x⟩, for the round's data row (a_1..a_d, y).

    ``piece(z) → (ℓ, ℓ')`` is elementwise (as ``Separable``'s). The inner product is NumPy's sum (pairwise
    summation, which the compiled kernel reproduces operation for operation).
    """

    def __init__(self, piece: Callable):
        self.piece = piece

    def __call__(self, x: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = x.shape[-1]
        a, y = data[:, :d], data[:, d]
        f, df = self.piece(y * np.sum(a * x, axis=-1))
        return f, (y * df)[:, None] * a


def linear(x, g):
    """f = g·x, ∇f = g (per coordinate)."""
    return g * x, g


LINEAR = Separable(linear)


# ---------------------------------------------------------------- the interface
class Problem(ABC):
    """A loss sequence. Subclasses set ``name``, ``summary``, ``d`` and implement ``data``.

    Class attributes the CLI and the plots read:

    - ``PARAMS``: the parameters, name → ``Param`` (default, check, help), in order; the constructor takes
      them (positionally or by name), checks each, sets it as an attribute and calls ``setup()``;
    - ``suggested``: the method hyperparameters under which the source shows the outcome
      (``beta1``, ``beta2``, ``alpha``, ``schedule``, …), used as defaults by ``oco run``;
    - ``failure_level``: the closed-form limit of R_T/T of the failing method (None where there is none);
    - ``stochastic``: the data are random (then ``expected_loss``/``expected_optimum`` are defined);
    - ``linear``: f_t(x) = ⟨g_t, x⟩ with g_t = data_t (otherwise ``loss``, or ``loss_grad``, and
      ``hindsight`` are overridden);
    - ``loss``: f_t and ∇f_t from the round's data, as a ``Separable`` or ``Margin`` piece — one source for
      the NumPy engine and the compiled kernels. A problem may instead override ``loss_grad`` (any NumPy
      code); it then runs on the NumPy and torch engines only.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Param]] = {}
    suggested: ClassVar[dict[str, Any]] = {}
    stochastic: ClassVar[bool] = False
    linear: ClassVar[bool] = True  # f_t(x) = ⟨g_t, x⟩ with g_t = data_t
    loss: ClassVar[Separable | Margin] = LINEAR
    d: int = 1
    failure_level: float | None = None  # closed-form R_T/T limit of the failing method, for plots
    max_rounds: int | None = None  # the longest horizon the problem has data for (None: unlimited)

    def __init__(self, *args: Any, **given: Any):
        names = list(self.PARAMS)
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} parameters, got {len(args)}")
        for name, value in zip(names, args):
            if name in given:
                raise TypeError(f"{type(self).__name__}: parameter {name!r} given twice")
            given[name] = value
        unknown = [k for k in given if k not in self.PARAMS]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter {unknown[0]!r}; it takes: "
                            f"{', '.join(names) or 'none'}")
        for name, p in self.PARAMS.items():
            setattr(self, name, p.parse(name, given.get(name, p.default)))
        self.setup()

    def setup(self) -> None:
        """What follows from the parameters (set as attributes before this runs): the pattern, the mean, …"""

    @classmethod
    def parameters(cls) -> dict[str, dict]:
        """{name: {"default": …, "help": …}} for every parameter, in order."""
        return {name: {"default": p.default, "help": p.help} for name, p in cls.PARAMS.items()}

    def params(self) -> dict:
        """The resolved parameters (JSON-ready): a parameter chosen by a rule shows the value chosen."""
        return {name: getattr(self, name) for name in self.PARAMS}

    def notes(self) -> list[str]:
        """Human-readable remarks on how the instance was built (e.g. a parameter chosen by a theorem)."""
        return []

    def default_domain(self) -> Domain:
        return Box(-1.0, 1.0)

    def default_x0(self, domain: Domain) -> np.ndarray:
        return domain.project(np.zeros((1, self.d)))[0]

    @abstractmethod
    def data(self, seed: int, t0: int, n: int) -> np.ndarray:
        """Per-round data for rounds t0..t0+n−1 (1-based), leading axis n."""

    def loss_grad(self, x: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_t(x) and ∇f_t(x) for a batch: x (B, d), data (B, …) → (B,), (B, d); from ``loss``."""
        return self.loss(x, data)

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

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------- running sums and linear comparators
def prefix_sums(
    rows: Callable[[int, int], np.ndarray], width: int, ts: np.ndarray, chunk: int = 1 << 16
) -> np.ndarray:
    """S_t = Σ_{s≤t} rows_s at each t in ts (ascending), shape (K, width), where rows(t0, n) gives the
    (n, width) rows of rounds t0..t0+n−1. Pairwise sums within chunks and Neumaier-compensated accumulation
    across them, so long horizons stay accurate."""
    ts = np.asarray(ts, dtype=np.int64)
    out = np.zeros((len(ts), width))
    total = np.zeros(width)
    comp = np.zeros(width)
    t, k = 0, 0
    while k < len(ts):
        n = min(chunk, int(ts[-1]) - t)
        g = np.asarray(rows(t + 1, n)).reshape(n, width)
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


def linear_sums(problem: Problem, seed: int, ts: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """G_t = Σ_{s≤t} g_s at each t in ts (ascending), shape (K, d) (see ``prefix_sums``)."""
    return prefix_sums(lambda t0, n: problem.data(seed, t0, n), problem.d, ts, chunk)


def _neumaier(total, comp, x):
    s = total + x
    comp = comp + np.where(np.abs(total) >= np.abs(x), (total - s) + x, (x - s) + total)
    return s, comp


def linear_comparator(G: np.ndarray, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form min_{x∈F} ⟨G, x⟩ for rows of G (K, d): box, ball or unconstrained.

    Box: x*_j = lo_j where G_j > 0, hi_j where G_j < 0. Ball ‖x‖ ≤ r: x* = −r G/‖G‖, value −r‖G‖.
    Unconstrained: −∞ unless G = 0.
    """
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


# ---------------------------------------------------------------- deterministic periodic linear losses
class CyclicLinear(Problem):
    """f_t(x) = ⟨g_t, x⟩ with g_t = pattern[(t − 1) mod P]: a deterministic periodic sequence.

    Subclasses set ``self.pattern`` ((P, d) array) in their constructor. Data for a chunk of rounds is one
    fancy-index; the comparator uses the exact prefix sums G_t = ⌊t/P⌋·Σpattern + Σ_{k<t mod P} pattern_k.
    """

    pattern: np.ndarray

    def _set_pattern(self, pattern) -> None:
        p = np.asarray(pattern, float)
        self.pattern = p.reshape(len(p), -1)
        self._tile = None
        self.d = self.pattern.shape[1]
        self._cum = np.concatenate([np.zeros((1, self.d)), np.cumsum(self.pattern, axis=0)])

    def data(self, seed, t0, n):
        """A view into the pattern tiled (kept, grown as needed): no work per round. Do not write to it."""
        P = len(self.pattern)
        tile = getattr(self, "_tile", None)
        if tile is None or len(tile) < n + P:
            tile = self._tile = np.tile(self.pattern, (-(-(n + P) // P), 1))
        r = (t0 - 1) % P
        return tile[r : r + n]

    def sums(self, ts: np.ndarray) -> np.ndarray:
        ts = np.asarray(ts, np.int64)
        q, r = np.divmod(ts, len(self.pattern))
        return q[:, None] * self._cum[-1] + self._cum[r]

    def hindsight(self, seed, ts, domain):
        return linear_comparator(self.sums(ts), domain)

    def _mean_level(self) -> float | None:
        """R_T/T of a method stuck at the corner opposite to x* in 1-D on [−1, 1]: 2|mean g|."""
        mean = float(self._cum[-1, 0]) / len(self.pattern)
        return 2 * abs(mean) if mean != 0 else None


class PeriodicLinear(CyclicLinear):
    """f_t(x) = g_t·x on [−1, 1] with g_t = ``large`` if t mod ``period`` = 1, else ``small``.

    Reddi et al. (2018) Figure 1 uses large = 1010, small = −10, period = 101: with β1 = 0.9, β2 = 0.99 Adam
    goes to x = +1 and R_T/T → (large + (period − 1)·small)·(1 − (−1))/period = 20/101 when G > 0.
    """

    name = "periodic-linear"
    summary = "g_t = large if t mod period = 1 else small, on [−1, 1]"
    PARAMS = {
        "large": Param(1010.0, real, "the gradient of rounds t ≡ 1 (mod period)"),
        "small": Param(-10.0, real, "the gradient of every other round"),
        "period": Param(101, integer, "the period P >= 1", lo=1, hi=MAX_PATTERN),
    }
    suggested = {"beta1": 0.9, "beta2": 0.99, "schedule": "sqrt", "alpha": 0.5}

    def setup(self):
        self._set_pattern([self.large] + [self.small] * (self.period - 1))
        self.failure_level = self._mean_level()


class ReddiOnline(PeriodicLinear):
    """Reddi et al. (2018) Figure 1, online: f_t(x) = 1010x if t mod 101 = 1, else −10x, on [−1, 1].

    G per period = 1010 − 100·10 = 10 > 0, so x* = −1. Known outcome (Reddi et al. Figure 1, with
    α_t = α/√t, β1 = 0.9, β2 = 0.99): Adam goes to x = +1 and R_T/T → 20/101 ≈ 0.198; AMSGrad goes to −1 and
    R_T/T → 0 (slowly unless α is near 1: see REFERENCE.md §3 notes). ``suggested`` α = 0.5 is our choice: with
    it AMSGrad's iterate is visibly back at −1 by T = 10⁵ (for α = 0.1 it is still near −0.4).
    """

    name = "reddi-online"
    summary = "1010x if t mod 101 = 1 else −10x on [−1, 1] (Reddi et al. Figure 1)"
    PARAMS = {}
    large, small, period = 1010.0, -10.0, 101
    suggested = {"beta1": 0.9, "beta2": 0.99, "schedule": "sqrt", "alpha": 0.5}


# ---------------------------------------------------------------- i.i.d. two-point linear losses
class TwoPointLinear(Problem):
    """f_t(x) = g_t·x on [−1, 1], g_t i.i.d.: ``large`` with probability ``p``, else ``small``.

    E f(x) = μx with μ = p·large + (1 − p)·small, so x* = −sign(μ) and F(x*) = −|μ| on [−1, 1]. A method
    stuck at the wrong corner has R_T/T → 2|μ| (the realized regret and the expected gap alike).
    """

    name = "two-point-linear"
    summary = "g_t = large w.p. p else small, i.i.d., on [−1, 1]"
    PARAMS = {
        "large": Param(1010.0, real, "the rare gradient"),
        "small": Param(-10.0, real, "the common gradient"),
        "p": Param(0.01, real, "probability of the large gradient, in [0, 1]", lo=0.0, hi=1.0),
    }
    suggested = {"beta1": 0.9, "beta2": 0.99, "schedule": "sqrt", "alpha": 0.5}
    stochastic = True

    def setup(self):
        self._init_two_point(self.large, self.small, self.p)

    def _init_two_point(self, large: float, small: float, p: float) -> None:
        """g_t = large w.p. p, else small (subclasses call this from ``setup`` with their own values)."""
        self.large, self.small, self.p = large, small, p
        self.mean = p * large + (1.0 - p) * small
        self.failure_level = 2 * abs(self.mean) if self.mean != 0 else None

    def _draw(self, rng, t0, n):
        return np.where(rng.random(n) < self.p, self.large, self.small)[:, None]

    def data(self, seed, t0, n):
        return blocked(seed, t0, n, self._draw)

    def expected_loss(self, x):
        return self.mean * x[..., 0]

    def expected_optimum(self, domain):
        value, x = linear_comparator(np.array([[self.mean]]), domain)
        return float(value[0]), x[0]
