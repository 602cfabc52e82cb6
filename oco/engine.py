"""The engine: Algorithm 1 of Reddi, Kale & Kumar (2018) for a batch of B configurations at once.

    for t = 1..T:
        g_t = ∇f_t(x_t)                         problem.loss_grad, batched (B, d)
        m_t = φ_t(g_1..g_t)                     method.phi
        V_t = ψ_t(g_1..g_t)                     method.psi
        η_t = α_t/√V_t                          method.rate (per coordinate)
        x̂_{t+1} = x_t − η_t m_t                 method.step
        x_{t+1} = Π_{F,√V_t}(x̂_{t+1})           domain.project, weights 1/η_t ∝ √V_t/α_t

One loop for every method. A configuration whose iterate or loss stops being finite is marked diverged at
that round, keeps its last finite iterate and stops accumulating loss; the others run on.

The rounds (``EngineRounds``, run by the host loop ``oco.loop.host_loop``) are written once over an array
library: ``Arrays`` is NumPy's (this module's ``run``, the NumPy backend), ``oco.backends.torch_backend``
hands ``run_with`` torch's. What they add up over the rounds is held in ``Tallies``, what they record at the
checkpoints in ``Traces``; ``finish`` turns them into the Result for every backend.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .loop import CHUNK, Rounds, host_loop
from .methods import Method, clock_pieces
from .projections import Box, Domain, Unconstrained
from .result import LR_QUANTILES, Checkpoints, Result, lr_quantiles

BLOCK_BATCH = 256  # batches up to this size add up their tallies a block of rounds at a time (NumPy)
BLOCK = 1 << 18  # η entries (2 MB) such a block holds: BLOCK // (B·d) rounds, 1 to CHUNK

Array = Any  # an array of the run's library: a NumPy array, or a torch tensor


def log_checkpoints(T: int, n: int = 100) -> np.ndarray:
    """About n rounds spaced evenly in log t, always including 1 and T."""
    return np.unique(np.concatenate([np.round(np.logspace(0, np.log10(T), n)).astype(np.int64), [1, T]]))


def every_checkpoints(T: int, k: int) -> np.ndarray:
    """Every k-th round, and T."""
    return np.unique(np.concatenate([np.arange(k, T + 1, k, dtype=np.int64), [T]]))


def init_env(method: Method, h: dict, x0: np.ndarray) -> dict:
    """The names a row's pieces read: hyperparameters, the state at its initial values, x_1."""
    B, d = x0.shape
    env = dict(h)
    for name, init in method.state.items():
        value = x0 if init == "x" else (h[init] if isinstance(init, str) else init)
        env[name] = np.array(np.broadcast_to(value, (B, d)), dtype=float)
    for name, init in method.cstate.items():
        env[name] = np.full((B, 1), float(init))
    return env


def round_pieces(method: Method, h: dict) -> tuple[list, list]:
    """(clock, update): the per-configuration schedule pieces, then φ, ψ, the rate and the step."""
    return [*clock_pieces(h), *method.clock], list(method.all_pieces[len(method.clock):])


def hoist_fixed(env: dict, clock: list, update: list) -> tuple[list, list]:
    """Run once, now, the pieces whose values are the same every round, and return (clock, update) without
    them: a piece that reads only hyperparameters no piece writes (or what pieces run here wrote) and whose
    outputs no other piece writes and nothing held before (β1t = β1 with a constant β1 schedule, α_t = α).
    Pieces are pure functions of their arguments, so each round would compute the same values again."""
    writes = Counter(n for p in (*clock, *update) for names in p.outs for n in names)
    fixed = {n for n in env if n not in writes} - {"t", "g", "x"}  # the engine writes t, g and x each round

    def every_round(piece) -> bool:
        outs = [n for names in piece.outs for n in names]
        if fixed.issuperset(piece.args) and all(writes[n] == 1 and n not in env for n in outs):
            piece(env)
            fixed.update(outs)
            return False
        return True

    return [p for p in clock if every_round(p)], [p for p in update if every_round(p)]


def apply_round(env: dict, clock: list, update: list, t: int, g, x, wd, decoupled: bool) -> None:
    """One round's pieces on env (arrays or tensors alike): the clock, weight decay (wd None: none; coupled,
    g + λx, or decoupled, x(1 − α_t λ)), then φ, ψ, the rate and the step — env then holds η and x̂."""
    env["t"] = t
    for piece in clock:
        piece(env)
    if wd is not None and not decoupled:
        g = g + wd * x
    env["g"] = g
    env["x"] = x * (1.0 - env["a"] * wd) if wd is not None and decoupled else x
    for piece in update:
        piece(env)


def reduce_rows(ufunc: np.ufunc, a: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(a, axis=-1)`` for np.logical_and, np.logical_or, np.minimum or np.maximum. NumPy
    reduces a short last axis row by row, at about 0.1 µs a row; for many short rows, d operations on whole
    columns, ufunc(…ufunc(a[..., 0], a[..., 1])…, a[..., d − 1]), give the same values far sooner (these four
    are exact in any order)."""
    d = a.shape[-1]
    if 1 < d < 32 and a.size > 64 * d * d:
        return functools.reduce(ufunc, np.moveaxis(a, -1, 0))
    return ufunc.reduce(a, axis=-1)


class Arrays:
    """NumPy as the loop's array library; a backend on another library subclasses it.

    The array operations the round's bookkeeping uses (the ``*_rows`` reductions run along axis 1 of a
    (B, d) array), then the steps of a round that each library takes its own way: the pieces, the losses
    of a chunk of rounds and the projection.
    """

    where = staticmethod(np.where)
    isfinite = staticmethod(np.isfinite)
    absolute = staticmethod(np.abs)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)

    def asarray(self, a: np.ndarray) -> Array:
        """A NumPy array (float64, int64 or bool) as an array of this library."""
        return a

    def numpy(self, a: Array) -> np.ndarray:
        return a

    def copy(self, a: Array) -> Array:
        return a.copy()

    def broadcast_to(self, a, shape: tuple[int, ...]) -> Array:
        return a if getattr(a, "shape", None) == shape else np.broadcast_to(a, shape)

    def all_rows(self, a: Array) -> Array:
        return reduce_rows(np.logical_and, a)

    def any_rows(self, a: Array) -> Array:
        return reduce_rows(np.logical_or, a)

    def min_rows(self, a: Array) -> Array:
        return reduce_rows(np.minimum, a)

    def max_rows(self, a: Array) -> Array:
        return reduce_rows(np.maximum, a)

    def pieces(self, method: Method, h: dict) -> tuple[list, list]:
        """The round's pieces, (clock, update) as ``round_pieces``, computing in this library."""
        return round_pieces(method, h)

    def losses(self, problem, data: np.ndarray, seed_index: np.ndarray) -> Callable[[int, Array], tuple]:
        """For a chunk of problem data (one row per unique seed, then the rounds), round j's
        x ↦ (f_t(x), ∇f_t(x)), shapes (B,) and (B, d). With one seed, round j's data for the B configurations
        is a broadcast view of its one row (no copy a round); the problem reads it, never writes it."""
        if len(data) == 1:
            rows = np.broadcast_to(data[0][:, None], (data.shape[1], len(seed_index), *data.shape[2:]))
            return lambda j, x: problem.loss_grad(x, rows[j])
        return lambda j, x: problem.loss_grad(x, data[seed_index, j])

    def projection(self, domain: Domain, d: int) -> Callable[[Array, Array], Array]:
        """(x̂, η) ↦ Π_{F,diag(1/η)}(x̂); the weights 1/η are computed only where the projection reads them
        (a box clips and R^d is the identity, whatever the weights)."""
        if isinstance(domain, (Box, Unconstrained)):
            return lambda xhat, eta: domain.project(xhat)
        return lambda xhat, eta: domain.project(xhat, 1.0 / eta)

    def tallies(self, B: int, d: int) -> Tallies:
        """What a run of B configurations in dimension d adds up, before round 1: ``Tallies``, kept round by
        round in this library's arrays."""
        return Tallies.start(B, self)


class NumPyArrays(Arrays):
    """NumPy's own shortcut, which ``Arrays`` leaves out so that other libraries do not inherit it: a small
    batch's tallies settle a block of rounds at once (``BlockTallies``). That relies on NumPy adding the rows
    of an accumulation one after another, and reads every round's values on the host; a library that runs
    asynchronously on a device keeps ``Tallies``."""

    def tallies(self, B: int, d: int) -> Tallies:
        """``BlockTallies`` up to ``BLOCK_BATCH`` configurations, where a round's few operations on small
        arrays cost NumPy's call overhead; ``Tallies`` beyond, where they cost their arithmetic (and an
        accumulation, sequential in NumPy, would cost more than adding round by round)."""
        return BlockTallies.start(B, self, d) if B <= BLOCK_BATCH else Tallies.start(B, self)


NUMPY = NumPyArrays()


@dataclass
class Tallies:
    """What a run adds up round by round, per configuration ((B,) arrays of the run's library).

    The loss Σ_t f_t(x_t) is summed with Neumaier's compensation: the sum is ``cum + comp``. A configuration
    stops adding at the round it diverges (``diverged_at``, 0 while ``active``). ``gamma_neg`` counts the
    rounds whose Γ_t = √V_t/α_t − √V_{t−1}/α_{t−1} has a negative entry, i.e. some η_t,i > η_{t−1},i;
    ``lr_min``/``lr_max`` are the extremes of η_t,i over the running rounds and coordinates.
    """

    cum: Array
    comp: Array
    active: Array
    diverged_at: Array
    gamma_neg: Array
    lr_min: Array
    lr_max: Array

    @classmethod
    def start(cls, B: int, xp: Arrays) -> Tallies:
        """Nothing summed, every configuration running, the learning-rate extremes at ±∞."""
        return cls(*map(xp.asarray, (np.zeros(B), np.zeros(B), np.ones(B, bool), np.zeros(B, np.int64),
                                     np.zeros(B, np.int64), np.full(B, np.inf), np.full(B, -np.inf))))

    def add(self, xp: Arrays, t: int, loss: Array, x: Array, x_new: Array, eta: Array, prev_eta: Array) -> Array:
        """Round t: mark the configurations whose loss or new iterate is not finite as diverged, add the
        loss of those still running, and their η_t; returns x_{t+1} (x_t where diverged)."""
        bad = self.active & ~(xp.isfinite(loss) & xp.all_rows(xp.isfinite(x_new)))
        self.diverged_at = xp.where(bad, t, self.diverged_at)
        self.active = active = self.active & ~bad
        # Neumaier: s = cum + f loses the low-order bits of the smaller term; comp collects them
        f = xp.where(active, loss, 0.0)
        s = self.cum + f
        big = xp.absolute(self.cum) >= xp.absolute(f)
        self.comp = self.comp + xp.where(big, (self.cum - s) + f, (f - s) + self.cum)
        self.cum = s
        self.lr_min = xp.minimum(self.lr_min, xp.where(active, xp.min_rows(eta), np.inf))
        self.lr_max = xp.maximum(self.lr_max, xp.where(active, xp.max_rows(eta), -np.inf))
        self.gamma_neg = self.gamma_neg + (active & xp.any_rows(eta > prev_eta))
        return xp.where(active[:, None], x_new, x)

    def loss(self, xp: Arrays = NUMPY) -> Array:
        """Σ_t f_t(x_t) per configuration, NaN where it diverged."""
        return xp.where(self.active, self.cum + self.comp, np.nan)

    def numpy(self, xp: Arrays) -> Tallies:
        """The same tallies as NumPy arrays."""
        return Tallies(*(xp.numpy(getattr(self, f.name)) for f in fields(self)))


class BlockTallies(Tallies):
    """``Tallies`` on NumPy, added up a block of rounds at a time: a round's work is a check for values that
    are not finite and two stores.

    ``add`` keeps f_t(x_t) and η_t of round t in buffers and ``settle`` adds the buffered rounds up when the
    buffers are full, before the loss is read (a checkpoint, the end) and before a configuration is marked
    diverged, so that the configurations running are the same for every round of a block. Settling does what
    ``Tallies.add`` does round by round, in the same order: ``np.add.accumulate`` adds the rows one after
    another, so the compensated sum is that of the loop bit for bit; minima, maxima and the counts of rounds
    with a rising η are exact in any order.
    """

    @classmethod
    def start(cls, B: int, xp: Arrays, d: int = 1) -> BlockTallies:
        self = super().start(B, xp)
        rounds = max(1, min(CHUNK, BLOCK // (B * d)))
        self.losses, self.etas = np.empty((rounds, B)), np.empty((rounds, B, d))
        self.pending = 0  # rounds in the buffers
        self.eta_before = None  # η of the round before the block (η_0 = +∞ before round 1)
        self.everyone = True  # no configuration has diverged
        return self

    def add(self, xp: Arrays, t: int, loss: Array, x: Array, x_new: Array, eta: Array,
            prev_eta: Array) -> Array:
        if not (self.everyone and np.isfinite(loss).all() and np.isfinite(x_new).all()):
            bad = self.active & ~(np.isfinite(loss) & reduce_rows(np.logical_and, np.isfinite(x_new)))
            if bad.any():
                self.settle()
                self.diverged_at = np.where(bad, t, self.diverged_at)
                self.active = self.active & ~bad
                self.everyone = False
        if self.pending == 0:
            self.eta_before = prev_eta
        self.losses[self.pending], self.etas[self.pending] = loss, eta
        self.pending += 1
        if self.pending == len(self.losses):
            self.settle()
        return x_new if self.everyone else np.where(self.active[:, None], x_new, x)

    def settle(self) -> None:
        """Add up the n buffered rounds: ``Tallies.add``'s operations on (n, B) and (n, B, d) blocks."""
        n, active = self.pending, self.active
        if n == 0:
            return
        f = np.where(active, self.losses[:n], 0.0)
        s = np.add.accumulate(np.concatenate([self.cum[None], f]), axis=0)  # s_0 = cum, s_i = s_{i−1} + f_i
        before, s = s[:-1], s[1:]
        comp = np.where(np.abs(before) >= np.abs(f), (before - s) + f, (f - s) + before)
        self.comp = np.add.accumulate(np.concatenate([self.comp[None], comp]), axis=0)[-1]
        self.cum = s[-1]
        eta = self.etas[:n]
        lo, hi = reduce_rows(np.minimum, np.min(eta, axis=0)), reduce_rows(np.maximum, np.max(eta, axis=0))
        self.lr_min = np.minimum(self.lr_min, np.where(active, lo, np.inf))
        self.lr_max = np.maximum(self.lr_max, np.where(active, hi, -np.inf))
        rises = (reduce_rows(np.logical_or, eta[0] > self.eta_before)
                 + np.sum(reduce_rows(np.logical_or, eta[1:] > eta[:-1]), axis=0))
        self.gamma_neg = self.gamma_neg + np.where(active, rises, 0)
        self.pending = 0

    def loss(self, xp: Arrays = NUMPY) -> Array:
        self.settle()
        return super().loss(xp)

    def numpy(self, xp: Arrays) -> Tallies:
        self.settle()
        return super().numpy(xp)


@dataclass
class Traces:
    """The run at the K checkpoints (NumPy arrays): Σ_{s≤t} f_s(x_s) (K, B), NaN once diverged; x_t (K, B, d);
    the quantiles ``LR_QUANTILES`` of η_t over the coordinates (K, B, Q)."""

    loss: np.ndarray
    x: np.ndarray
    lr: np.ndarray

    @classmethod
    def empty(cls, K: int, B: int, d: int) -> Traces:
        return cls(np.full((K, B), np.nan), np.zeros((K, B, d)), np.zeros((K, B, len(LR_QUANTILES))))

    def record(self, k: int, loss: np.ndarray, x: np.ndarray, eta: np.ndarray) -> None:
        """Checkpoint k: the loss so far, x_t and η_t (B, d)."""
        self.loss[k], self.x[k], self.lr[k] = loss, x, lr_quantiles(eta)


def supports(problem, domain: Domain) -> str | None:
    """The NumPy engine runs every problem on every domain (the backend registry asks)."""
    return None


def run(
    problem,
    method: Method,
    h: dict,
    seeds: np.ndarray,
    T: int,
    x0: np.ndarray,
    domain: Domain,
    checkpoints: np.ndarray,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Run B configurations for T rounds. h: hyperparameters resolved by ``Method.resolve`` ((B, 1) arrays)."""
    return run_with(NUMPY, problem, method, h, seeds, T, x0, domain, checkpoints, progress)


def run_with(
    xp: Arrays,
    problem,
    method: Method,
    h: dict,
    seeds: np.ndarray,
    T: int,
    x0: np.ndarray,
    domain: Domain,
    checkpoints: np.ndarray,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """``run`` computing in the array library xp: ``EngineRounds`` in the host loop."""
    rounds = EngineRounds(xp, problem, method, h, seeds, x0, domain, len(checkpoints))
    host_loop(problem, seeds, T, checkpoints, rounds, progress)
    x, tallies = xp.numpy(rounds.x), rounds.tallies.numpy(xp)
    return finish(problem, method, h, seeds, T, x, domain, checkpoints, tallies, rounds.traces)


class EngineRounds(Rounds):
    """Algorithm 1's rounds in an array library (``oco.loop.Rounds``): per round g_t from the problem, the
    row's pieces (``apply_round``), Π_F, and the tallies; η_t and x_t at the checkpoints."""

    def __init__(self, xp: Arrays, problem, method: Method, h: dict, seeds: np.ndarray, x0: np.ndarray,
                 domain: Domain, K: int):
        B, d = x0.shape
        x = x0.astype(float, copy=True)
        env = init_env(method, h, x)
        env = {k: (xp.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in env.items()}
        self.xp, self.problem, self.env = xp, problem, env
        self.clock, self.update = hoist_fixed(env, *xp.pieces(method, h))
        self.x = xp.asarray(x)
        wd = h.get("weight_decay") if method.engine_decay else None
        decay = wd is not None and bool(np.any(wd != 0))
        self.decoupled = decay and h.get("decoupled_weight_decay", False)
        self.wd = xp.asarray(wd) if decay else None
        self.project = xp.projection(domain, d)
        self.seed_index = np.unique(seeds, return_inverse=True)[1]
        self.tallies = xp.tallies(B, d)
        self.traces = Traces.empty(K, B, d)
        self.eta = self.prev_eta = xp.asarray(np.full((B, d), np.inf))  # η_0 = +∞: round 1 has none to exceed

    def prepare(self, t: int, data: np.ndarray):
        """Round j's x ↦ (f_t(x), ∇f_t(x)) for the piece (``Arrays.losses``)."""
        return self.xp.losses(self.problem, data, self.seed_index)

    def run(self, loss_grad, t: int, n: int, j: int) -> None:
        xp, env, tallies, project = self.xp, self.env, self.tallies, self.project
        clock, update, wd, decoupled = self.clock, self.update, self.wd, self.decoupled
        x, eta, prev_eta = self.x, self.eta, self.prev_eta
        for i in range(j, j + n):
            loss, g = loss_grad(i, x)
            apply_round(env, clock, update, t, g, x, wd, decoupled)
            eta = xp.broadcast_to(env["eta"], x.shape)
            x = tallies.add(xp, t, loss, x, project(env["xhat"], eta), eta, prev_eta)
            prev_eta = xp.copy(eta)
            t += 1
        self.x, self.eta, self.prev_eta = x, eta, prev_eta

    def record(self, k: int) -> None:
        xp = self.xp
        self.traces.record(k, xp.numpy(self.tallies.loss(xp)), xp.numpy(self.x), xp.numpy(self.eta))


COMPARATORS_KEPT = 32 * 2**20  # bytes of comparators kept per problem instance (the latest runs' first)


def hindsight(problem, seed: int, ts: np.ndarray, domain: Domain) -> tuple[np.ndarray, np.ndarray]:
    """``problem.hindsight``, kept on the instance per (seed, checkpoints, feasible set), up to
    COMPARATORS_KEPT bytes: every method of a run (and every shard of a sweep) has the same comparator for a
    seed, and for the stochastic and real-data problems it costs as much as the run."""
    import pickle

    kept = problem.__dict__.setdefault("_hindsight_kept", {})
    key = (seed, np.asarray(ts, np.int64).tobytes(), pickle.dumps(domain))
    if key not in kept:
        best, x = problem.hindsight(seed, ts, domain)
        kept[key] = (np.asarray(best), np.asarray(x))
        while sum(b.nbytes + v.nbytes for b, v in kept.values()) > COMPARATORS_KEPT and len(kept) > 1:
            del kept[next(iter(kept))]  # the oldest
    best, x = kept[key]
    return best.copy(), x.copy()


def finish(problem, method: Method, h: dict, seeds: np.ndarray, T: int, x: np.ndarray, domain: Domain,
           checkpoints: np.ndarray, tallies: Tallies, traces: Traces) -> Result:
    """Comparators, regret traces and the result object, for every backend alike (NumPy tallies, x = x_{T+1})."""
    uniq, seed_index = np.unique(seeds, return_inverse=True)
    K, d = len(checkpoints), x.shape[1]
    # comparators: per unique seed, at the checkpoints and at T
    ts = np.unique(np.concatenate([checkpoints, [T]]))
    best = np.zeros((len(uniq), len(ts)))
    xstar = np.zeros((len(uniq), len(ts), d))
    for i, s in enumerate(uniq):
        best[i], xstar[i] = hindsight(problem, int(s), ts, domain)
    at = np.searchsorted(ts, checkpoints)
    ck_avg = (traces.loss - best[seed_index][:, at].T) / checkpoints[:, None]

    expected_gap = ck_gap = x_opt = None
    opt = problem.expected_optimum(domain)
    if opt is not None:
        f_star, x_opt = opt
        expected_gap = problem.expected_loss(x) - f_star
        ck_gap = np.stack([problem.expected_loss(traces.x[i]) - f_star for i in range(K)])

    return Result(
        problem=problem.name,
        method=method.name,
        convention=method.convention,
        T=T,
        params={kk: (vv.reshape(-1) if isinstance(vv, np.ndarray) else vv) for kk, vv in h.items()},
        seeds=np.asarray(seeds),
        x_final=x,
        x_star=xstar[seed_index, -1],
        cumulative_loss=tallies.loss(),
        best_fixed_loss=best[seed_index, -1],
        diverged=~tallies.active,
        diverged_at=tallies.diverged_at,
        gamma_negative_rounds=tallies.gamma_neg,
        lr_min=tallies.lr_min,
        lr_max=tallies.lr_max,
        checkpoints=Checkpoints(checkpoints, ck_avg, traces.x, traces.lr, ck_gap),
        domain=domain.describe(),
        problem_params=problem.params(),
        expected_gap=expected_gap,
        x_opt=x_opt,
    )
