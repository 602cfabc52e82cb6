"""Published regret bounds, evaluated on a run's own quantities at its checkpoints.

For the methods with a regret bound in their paper — OGD, FTRL, AdaGrad, AMSGrad, AdamNC, AdaBound and
AMSBound, in the ``paper`` convention — ``regret_bound(result)`` evaluates the bound at every checkpoint t
(and at T) as the bound for horizon t, on the quantities of the run up to round t: D and D∞ of its feasible
set, the gradients g_1..g_t it saw (G = max ‖g_s‖₂, ‖g_{1:t,i}‖₂ = √(Σ_{s≤t} g_{s,i}²)), the second moment
v_t / v̂_t and the rates η_t its row computes from them, and the α_t and β1t it used. Every algorithm here
is anytime (nothing in it depends on T), so the bound for horizon t holds for R_t at every t: a run with
R_t above its bound is a bug in the bound or in the engine (``tests/test_bounds.py`` checks every linear
problem).

Notation: F the feasible set, D = max_{x,y∈F} ‖x − y‖₂ and D∞ = max_{x,y∈F} ‖x − y‖∞ (box [lo, hi]:
‖hi − lo‖₂ and max_i (hi_i − lo_i); ball of radius r: 2r; R^d: ∞, and then there is no bound);
R_T = Σ_t f_t(x_t) − min_{x∈F} Σ_t f_t(x); log is natural.

- ``ogd`` (Zinkevich 2003, Theorem 1, with α_t = α/√t): R_T ≤ D²√T/(2α) + α(√T − ½)G².
  Constant α_t = α (the same proof with a fixed step): R_T ≤ D²/(2α) + αTG²/2.
- ``ftrl`` (linearized, regularizer ‖x − x_1‖²/(2α_t), lazy projection; McMahan 2017, Theorem 1 with
  r_{0:t}(x) = ‖x − x_1‖²/(2α_t), which is 1/α_t-strongly convex; α_0 = α_1):
  R_T ≤ D²/(2α_{T−1}) + ½ Σ_{t≤T} α_{t−1}‖g_t‖₂²  (α_t non-increasing: schedule const or sqrt).
- ``adagrad`` (Duchi, Hazan & Singer 2011, Theorem 5, composite mirror descent, δ = 0, φ = 0; oco's row with
  α_t = α/√t and ε = 0 is exactly x_{t+1} = Π_{F,diag(s_t)}(x_t − α g_t/s_t), s_{t,i} = ‖g_{1:t,i}‖₂):
  R_T ≤ (1/(2α)) max_t ‖x* − x_t‖∞² Σ_i ‖g_{1:T,i}‖₂ + α Σ_i ‖g_{1:T,i}‖₂ ≤ (D∞²/(2α) + α) Σ_i ‖g_{1:T,i}‖₂.
- ``amsgrad`` (Reddi, Kale & Kumar 2018, Theorem 4; α_t = α/√t, β1 = β11, β1t ≤ β1, γ = β1/√β2 < 1):
  R_T ≤ D∞²√T/(α(1−β1)) Σ_i v̂_{T,i}^{1/2} + D∞²/(2(1−β1)) Σ_{t≤T} Σ_i β1t v̂_{t,i}^{1/2}/α_t
        + α√(1 + log T)/((1−β1)²(1−γ)√(1−β2)) Σ_i ‖g_{1:T,i}‖₂   (as published).
- ``adamnc`` (Reddi et al. Theorem 5 with β2t = 1 − 1/t, for which its conditions hold with ζ = 1;
  α_t = α/√t, β1t ≤ β1; the expression below is the one the argument that follows proves, term by term):
  R_T ≤ D∞²/(2α(1−β1)) Σ_i √(T v_{T,i}) + D∞²/(2(1−β1)) Σ_{t≤T} Σ_i β1t v_{t,i}^{1/2}/α_t
        + 2α/(1−β1)³ Σ_i ‖g_{1:T,i}‖₂,   where √(T v_{T,i}) = ‖g_{1:T,i}‖₂.
- ``adabound``/``amsbound`` (Luo, Xiong, Liu & Sun 2019, Theorem 4; η_t = clip(α/√V_t, η_l(t), η_u(t))/√t,
  η_l non-decreasing and positive, η_u non-increasing, R∞ = η_u(1), β1t ≤ β1, β1/√β2 < 1), corrected:
  R_T ≤ (D∞²/2) Σ_i Σ_{t≤T} [w_{t,i} − w_{t−1,i}]⁺ + D∞²/(2(1−β1)) Σ_{t≤T} Σ_i β1t/η_{t,i}
        + (2√T − 1) R∞ G²/(1−β1),   w_{t,i} = 1/(η_{t,i}(1 − β1t)), w_0 = 0.

**Published or corrected.** All of these analyses start from the same inequality (convexity, then the
projection in the norm of the step's preconditioner, then Young's inequality on the momentum term):

    R_T ≤ Σ_t Σ_i w_{t,i}[(x_{t,i} − x*_i)² − (x_{t+1,i} − x*_i)²]/2 + (terms bounded separately),

with w_t = √V_t/(α_t(1 − β1t)) (Reddi) or 1/(η_t(1 − β1t)) (Luo). The papers telescope the first sum to
D∞² w_T/2 (with 1 − β1 for 1 − β1t), which needs w_t non-decreasing; Tran & Phong (2019, "On the convergence
proof of AMSGrad and a new version") show that Reddi et al.'s proof replaces 1/(1 − β1t) by 1/(1 − β1) in
front of differences that can be negative, and AdaBound's clipped rates need not make 1/η_t non-decreasing
(Savarese 2019 shows Luo et al.'s guarantee incomplete). Abel summation gives the correct bound for any
w ≥ 0, as |x_{t,i} − x*_i| ≤ D∞: the first sum is at most (D∞²/2) Σ_t [w_t − w_{t−1}]⁺ (w_0 = 0).

The separate terms: Young's inequality leaves β1t/(1 − β1t) (D∞² √V_t/(2α_t)) — the second term — and
Σ_t α_t (m_t² + β1t m_{t−1}²)/(2(1 − β1t)√V_t) ≤ (1/(1 − β1)) Σ_t α_t m_t²/√V_t (√V_t/α_t non-decreasing).
With |m_t| ≤ Σ_{s≤t} β1^{t−s}|g_s| and Cauchy–Schwarz, m_t² ≤ Σ_s β1^{t−s} g_s²/(1 − β1); then AMSGrad's
v̂_t ≥ (1 − β2)β2^{t−s} g_s² gives Reddi et al.'s Lemma 2 (the third term), and AdamNC's √v_t/α_t =
‖g_{1:t}‖/α with Σ_s g_s²/‖g_{1:s}‖ ≤ 2‖g_{1:T}‖ gives 2α/(1 − β1)³ Σ_i ‖g_{1:T,i}‖. AdaBound: η_t ≤ R∞/√t and
‖m_t‖₂ ≤ G (a convex combination of 0 and g_1..g_t), with Σ_{t≤T} 1/√t ≤ 2√T − 1.

- AMSGrad and AdamNC: with β1t non-increasing — true of oco's schedules exactly when β1t ≤ β1, i.e. λ ≤ 1
  for ``exp`` — w_t − w_{t−1} ≤ (u_t − u_{t−1})/(1 − β1t) with u_t = √V_t/α_t non-decreasing (v̂ is a running
  maximum; AdamNC's √v_t/α_t = ‖g_{1:t}‖/α), so the first sum is at most D∞² u_T/(2(1 − β1)): half the
  published first term of Theorem 4, and Theorem 5's first term exactly. We evaluate the expressions as
  published; the corrected argument proves them under the conditions checked here.
- AdaBound and AMSBound: even AMSBound's rate is not monotone (at the lower bound √t/η_l(t) decreases for
  t < 1/γ), so we evaluate the corrected first term on the run's own η_t and β1t (it equals the published
  D∞²/(2(1−β1)) Σ_i η_{T,i}^{-1} when w is non-decreasing and β1t = β1). The other two terms are Luo et al.'s.

Where a run does not meet a theorem's conditions — another schedule, ε > 0 where the theorem has none,
γ ≥ 1, λ > 1, an unbounded F, a non-linear problem (g_t depends on x_t and the engine does not record it) —
there is no bound (None, ``null`` in JSON) and the note says which condition failed.

    >>> import oco
    >>> r = oco.simulate("reddi-online", "amsgrad", T=1000, alpha=0.5, beta1=0.9, beta2=0.99)
    >>> bool((r.checkpoints.avg_regret * r.checkpoints.t[:, None] <= r.regret_bound).all())
    True
    >>> regret_bound(r).notes[0]
    'Reddi, Kale & Kumar (ICLR 2018), Theorem 4'
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..methods.schedules import BETA1_SCHEDULES

MAX_WORK = 10**8  # rounds × coordinates × distinct configurations evaluated before giving up (≈ 10 s here)
CHUNK_ELEMENTS = 1 << 20  # rounds × coordinates of data held at once


@dataclass(frozen=True)
class Theorem:
    """A method's published regret bound: what ``oco show`` prints and how to evaluate it on a run."""

    method: str
    source: str
    formula: str
    needs: str
    note: str
    keys: tuple[str, ...]  # the hyperparameters its running quantities depend on (besides the seed)
    schedules: tuple[str, ...] = ("sqrt",)
    eps_zero: bool = False  # the theorem's algorithm has no ε
    beta1t: bool = False  # it has a β1t schedule (β1t ≤ β1 needed)
    gamma: bool = False  # it needs γ = β1/√β2 < 1


@dataclass
class Evaluation:
    """A bound evaluated on a run: the rounds ``t`` (the checkpoints and T), ``values`` (len(t), B) — NaN for
    a configuration without a bound, None when no configuration has one — and per configuration a note: the
    theorem's source where there is a bound, else why there is none."""

    t: np.ndarray
    values: np.ndarray | None
    notes: list[str]

    def at(self, rounds: np.ndarray) -> np.ndarray | None:
        """The values at ``rounds`` (a subset of ``t``), shape (len(rounds), B)."""
        if self.values is None:
            return None
        return self.values[np.searchsorted(self.t, rounds)]


REDDI = "Reddi, Kale & Kumar (ICLR 2018)"
LUO = "Luo, Xiong, Liu & Sun (ICLR 2019)"
CORRECTED_REDDI = ("evaluated as published; the proof's telescoping, corrected (Tran & Phong 2019), needs "
                   "β1t non-increasing, which for oco's β1t schedules is the same as β1t ≤ β1")
CORRECTED_LUO = ("corrected: the proof telescopes Σ_t w_t[(x_t − x*)² − (x_t+1 − x*)²] as if "
                 "w_t = 1/(η_t(1 − β1t)) were non-decreasing, which the clipped η_t need not be (Savarese "
                 "2019 shows the published guarantee incomplete); oco evaluates the first term as "
                 "(D∞²/2) Σ_i Σ_t [w_t,i − w_t−1,i]⁺ on the run's own η_t and β1t, which is the published "
                 "D∞²/(2(1−β1)) Σ_i η_T,i^-1 when w is non-decreasing and β1t = β1")

THEOREMS: dict[str, Theorem] = {
    "ogd": Theorem(
        "ogd", "Zinkevich (ICML 2003), Theorem 1",
        "R_T ≤ D²√T/(2α) + α(√T − ½)G²  (α_t = α/√t);  R_T ≤ D²/(2α) + αTG²/2  (α_t = α)",
        "schedule sqrt or const; a bounded F (D = max ‖x − y‖₂); G = max_t ‖g_t‖₂ of the run",
        "as published for α/√t; the constant-step form is the same proof with a fixed step", (), ("sqrt", "const")),
    "ftrl": Theorem(
        "ftrl", "McMahan (JMLR 2017), Theorem 1 (FTRL with r_0:t = ‖x − x_1‖²/(2α_t))",
        "R_T ≤ D²/(2α_{T−1}) + ½ Σ_t α_{t−1}‖g_t‖₂²  (α_0 = α_1)",
        "schedule sqrt or const (α_t non-increasing); a bounded F (D = max ‖x − y‖₂)",
        "as published", (), ("sqrt", "const")),
    "adagrad": Theorem(
        "adagrad", "Duchi, Hazan & Singer (JMLR 2011), Theorem 5 (composite mirror descent, δ = 0)",
        "R_T ≤ (D∞²/(2α) + α) Σ_i ‖g_1:T,i‖₂",
        "schedule sqrt (then η_t = α/‖g_1:t‖₂, AdaGrad's fixed η = α); ε = 0; "
        "a bounded F (D∞ = max ‖x − y‖∞)",
        "as published, with max_t ‖x* − x_t‖∞ ≤ D∞", (), eps_zero=True),
    "amsgrad": Theorem(
        "amsgrad", f"{REDDI}, Theorem 4",
        "R_T ≤ D∞²√T/(α(1−β1)) Σ_i v̂_T,i^½ + D∞²/(2(1−β1)) Σ_t Σ_i β1t v̂_t,i^½/α_t"
        " + α√(1 + log T)/((1−β1)²(1−γ)√(1−β2)) Σ_i ‖g_1:T,i‖₂,  γ = β1/√β2",
        "schedule sqrt (α_t = α/√t); ε = 0; β1t ≤ β1 (λ ≤ 1 for exp); γ = β1/√β2 < 1; a bounded F (D∞)",
        CORRECTED_REDDI, ("beta1", "beta2", "lam"), eps_zero=True, beta1t=True, gamma=True),
    "adamnc": Theorem(
        "adamnc", f"{REDDI}, Theorem 5 (β2t = 1 − 1/t: its conditions hold with ζ = 1)",
        "R_T ≤ D∞²/(2α(1−β1)) Σ_i √(T v_T,i) + D∞²/(2(1−β1)) Σ_t Σ_i β1t v_t,i^½/α_t"
        " + 2α/(1−β1)³ Σ_i ‖g_1:T,i‖₂",
        "schedule sqrt (α_t = α/√t); ε = 0; β1t ≤ β1 (λ ≤ 1 for exp); a bounded F (D∞)",
        CORRECTED_REDDI, ("beta1", "lam"), eps_zero=True, beta1t=True),
    "adabound": Theorem(
        "adabound", f"{LUO}, Theorem 4",
        "R_T ≤ (D∞²/2) Σ_i Σ_t [w_t,i − w_t−1,i]⁺ + D∞²/(2(1−β1)) Σ_t Σ_i β1t/η_t,i + (2√T − 1) R∞ G²/(1−β1),"
        "  w = 1/(η(1 − β1t)), R∞ = η_u(1), G = max_t ‖g_t‖₂",
        "schedule sqrt (Algorithm 2's η_t/√t); β1t ≤ β1 (λ ≤ 1 for exp); β1/√β2 < 1; a bounded F (D∞)",
        CORRECTED_LUO, ("alpha", "beta1", "beta2", "lam", "eps", "final_lr", "gamma"),
        beta1t=True, gamma=True),
}
THEOREMS["amsbound"] = Theorem(**{**THEOREMS["adabound"].__dict__, "method": "amsbound",
                                  "source": f"{LUO}, Theorem 4 (AMSBound: V_t = v̂_t)"})


def theorem(method: str, convention: str) -> Theorem | None:
    """The bound of a table row, or None (only paper rows have one: the others add bias corrections or ε)."""
    return THEOREMS.get(method) if convention == "paper" else None


def describe(method: str, convention: str) -> list[str]:
    """``oco show``'s lines for a row with a bound (none for the others)."""
    th = theorem(method, convention)
    if th is None:
        return []
    return [f"  regret bound:  {th.formula}",
            f"    source:      {th.source}; {th.note}",
            f"    holds when:  {th.needs}; oco evaluates it on linear problems (g_t = the data)"]


def describe_all() -> str:
    """``oco show bounds``: every published bound oco evaluates, with its source and when it holds."""
    out = ["regret bounds: a paper row's R_t beside its published bound (oco run draws it dashed; "
           "Result.bound())"]
    for name in THEOREMS:
        out += ["", f"{name}:", *describe(name, "paper")]
    return "\n".join(out)


# ---------------------------------------------------------------- the feasible set
def diameters(domain: dict, d: int) -> tuple[float, float]:
    """(D, D∞) of a feasible set described by ``Domain.describe()``: ∞ where it is unbounded."""
    kind = domain.get("kind")
    if kind == "box":
        width = np.broadcast_to(np.asarray(domain["hi"], float) - np.asarray(domain["lo"], float), (d,))
        return float(np.sqrt(np.sum(width * width))), float(np.max(width))
    if kind == "ball":
        return 2.0 * float(domain["radius"]), 2.0 * float(domain["radius"])
    return math.inf, math.inf


# ---------------------------------------------------------------- evaluation
def regret_bound(result, problem=None, max_work: float | None = MAX_WORK) -> Evaluation:
    """The bound of ``result``'s method evaluated at its checkpoints and at T (see the module docstring).

    ``problem``: the problem instance that produced the run; by default rebuilt from ``result.problem`` and
    ``result.problem_params`` (a registered problem, or a file still at its path). ``max_work``: give up
    (a note says so) when rounds × dimension × distinct configurations would exceed it; None: no limit.
    """
    B = result.batch
    ts = np.unique(np.concatenate([np.asarray(result.checkpoints.t, np.int64), [result.T]]))

    def none(why: str) -> Evaluation:
        return Evaluation(ts, None, [why] * B)

    th = theorem(result.method, result.convention)
    if th is None:
        return none(f"no regret bound: {result.method} ({result.convention}) is not a method with a "
                    "published one in oco (paper rows of " + ", ".join(THEOREMS) + ")")
    if problem is None:
        problem, why = _rebuild(result)
        if problem is None:
            return none(f"no regret bound: {why}")
    if not getattr(problem, "linear", False):
        return none(f"no regret bound evaluated: {result.problem}'s losses are not linear, so g_t depends "
                    "on x_t and the run does not record it")
    D, Dinf = diameters(result.domain, problem.d)
    if not math.isfinite(Dinf):
        return none("no regret bound: the feasible set is unbounded (D∞ = ∞)")
    schedule = result.params.get("schedule", "const")
    if schedule not in th.schedules:
        return none(f"no regret bound: {th.source} needs schedule {' or '.join(th.schedules)}; "
                    f"this run has {schedule}")
    h = {k: _column(result.params, k, B) for k in ("alpha", *th.keys) if k in result.params}
    notes, ok = _conditions(th, result.params, h, B)
    if not ok.any():
        return Evaluation(ts, None, notes)

    groups = _groups(result.seeds, h, th.keys, ok)
    work = len(groups) * float(ts[-1]) * problem.d
    if max_work is not None and work > max_work:
        return none(f"no regret bound evaluated: it would take {work:.2g} rounds × coordinates × "
                    f"configurations (more than {max_work:.2g}); call "
                    "oco.analyses.bounds.regret_bound(result, max_work=None)")
    values = np.full((len(ts), B), np.nan)
    run = {"ogd": _ogd, "ftrl": _ftrl, "adagrad": _adagrad, "amsgrad": _amsgrad, "adamnc": _adamnc,
           "adabound": _adabound, "amsbound": _adabound}[th.method]
    tf = ts.astype(float)
    for (seed, hyp), members in groups.items():
        values[:, members] = run(problem, seed, ts, tf, dict(hyp), result.params, D, Dinf,
                                 th.method == "amsbound", h, members)
    return Evaluation(ts, values, notes)


def _rebuild(result):
    """The problem instance of a Result, or (None, why)."""
    from oco.problems import PROBLEMS, get_problem, load_file

    try:
        if result.problem in PROBLEMS:
            return get_problem(result.problem, **result.problem_params), None
        path = result.problem_params.get("path")
        if result.problem == "file" and path and path != "<array>":
            return load_file(path), None
    except (TypeError, ValueError, OSError) as e:
        return None, (f"the problem cannot be rebuilt from the Result ({e}); pass problem= to "
                      "oco.analyses.bounds.regret_bound")
    return None, (f"the problem {result.problem!r} cannot be rebuilt from the Result; pass problem= to "
                  "oco.analyses.bounds.regret_bound")


def _column(params: dict, key: str, B: int) -> np.ndarray:
    """A hyperparameter as a (B,) float array."""
    return np.broadcast_to(np.asarray(params[key], float).reshape(-1), (B,)).astype(float)


def _conditions(th: Theorem, params: dict, h: dict, B: int) -> tuple[list[str], np.ndarray]:
    """Per configuration: the note (the source, or the first condition it fails), and whether it has one."""
    notes = [th.source] * B
    ok = np.ones(B, bool)

    def fail(bad: np.ndarray, why: Callable[[int], str]) -> None:
        for i in np.flatnonzero(bad & ok):
            notes[i] = f"no regret bound: {th.source} needs {why(i)}"
        ok[bad] = False

    if th.eps_zero:
        eps = _column(params, "eps", B)
        fail(eps != 0, lambda i: f"ε = 0 (its algorithm has none); ε = {eps[i]:g} here")
    if th.beta1t and params.get("beta1_schedule", "const") == "exp":
        fail((h["lam"] > 1) & (h["beta1"] > 0),
             lambda i: f"β1t ≤ β1 (λ ≤ 1 for the exp schedule); λ = {h['lam'][i]:g} here")
    if th.gamma:
        gamma = _gamma(h["beta1"], h["beta2"])
        fail(~(gamma < 1), lambda i: f"γ = β1/√β2 < 1; γ = {gamma[i]:g} here")
    return notes, ok


def _gamma(beta1, beta2):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(beta1 == 0, 0.0, beta1 / np.sqrt(beta2))


def _groups(seeds, h: dict, keys: tuple[str, ...], ok: np.ndarray) -> dict:
    """The configurations with a bound, grouped by (seed, the hyperparameters the running sums depend on)."""
    out: dict = {}
    for i in np.flatnonzero(ok):
        key = (int(seeds[i]), tuple((k, float(h[k][i])) for k in keys))
        out.setdefault(key, []).append(i)
    return {k: np.array(v) for k, v in out.items()}


def _scan(problem, seed: int, ts: np.ndarray, running: Callable) -> np.ndarray:
    """Feed g_1..g_T (T = ts[-1]) of ``seed`` to ``running(g (n, d), t (n,))`` chunk by chunk — it returns its
    running quantities after each round, (n, m), keeping its own state — and return them at rounds ts
    (K, m)."""
    T, d = int(ts[-1]), problem.d
    n_max = max(1, CHUNK_ELEMENTS // d)
    out, k, t0 = None, 0, 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while t0 <= T:
            n = min(n_max, T - t0 + 1)
            g = np.asarray(problem.data(seed, t0, n), float).reshape(n, d)
            vals = running(g, np.arange(t0, t0 + n, dtype=float))
            if out is None:
                out = np.zeros((len(ts), vals.shape[1]))
            j = k + np.searchsorted(ts[k:], t0 + n, side="left")
            out[k:j] = vals[ts[k:j] - t0]
            k, t0 = j, t0 + n
    return out


class _Sums:
    """Running per-coordinate sums carried across chunks."""

    def __init__(self):
        self.carry = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        s = self.carry + np.cumsum(x, axis=0)
        self.carry = s[-1]
        return s


class _Max:
    def __init__(self):
        self.carry = -np.inf

    def __call__(self, x: np.ndarray) -> np.ndarray:
        m = np.maximum(self.carry, np.maximum.accumulate(x, axis=0))
        self.carry = m[-1]
        return m


class _Ema:
    """v_t = β2 v_{t−1} + (1 − β2) x_t along axis 0 (v_0 = 0), as ``pieces.ema_sq``."""

    def __init__(self, beta2: float, d: int):
        self.b, self.z = beta2, np.zeros((1, d))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """In blocks of K rounds, closed form: v_{s+k} = β2^k (β2 v_{s−1} + (1 − β2) Σ_{j≤k} β2^{−j} x_{s+j}),
        K small enough that β2^{−K} stays finite (positive terms: no cancellation). scipy.signal.lfilter does
        the same recurrence, but importing scipy.signal costs a second of every run's start."""
        b, out = self.b, np.empty_like(x, dtype=float)
        if b == 0.0:
            out[:] = x
            self.z = out[-1:].copy() if len(x) else self.z
            return out
        K = max(1, min(4096, int(600.0 / -np.log(b))))
        for s in range(0, len(x), K):
            xs = x[s : s + K]
            k = np.arange(len(xs))[:, None]
            v = b ** k * (b * self.z + (1.0 - b) * np.cumsum(xs * b ** (-k), axis=0))
            if not np.all(np.isfinite(v)):  # gradients too large for the closed form
                from scipy.signal import lfilter

                v, _ = lfilter([1.0 - b], [1.0, -b], xs, axis=0, zi=b * self.z)
            out[s : s + K] = v
            self.z = v[-1:]
        return out


def _beta1t(params: dict, hyp: dict, t: np.ndarray) -> np.ndarray:
    """β1t of the run's schedule at rounds t (``oco.methods.schedules``)."""
    fn = BETA1_SCHEDULES[params.get("beta1_schedule", "const")]
    args = {"beta1": hyp["beta1"], "lam": hyp.get("lam", 1.0), "t": t}
    return np.broadcast_to(fn(**{a: args[a] for a in inspect.signature(fn).parameters}), t.shape)


def _seed_stats(problem, seed, ts, ftrl_sqrt: bool = False) -> np.ndarray:
    """Per round t: max_{s≤t} ‖g_s‖₂², Σ_i ‖g_1:t,i‖₂ and Σ_{s≤t} c_s‖g_s‖₂² (c_s = 1/√max(s − 1, 1) when
    ``ftrl_sqrt``, else 1), at rounds ts: (K, 3)."""
    gmax, sq, w = _Max(), _Sums(), _Sums()

    def running(g, t):
        n2 = np.sum(g * g, axis=1)
        c = 1.0 / np.sqrt(np.maximum(t - 1.0, 1.0)) if ftrl_sqrt else 1.0
        return np.stack([gmax(n2), np.sum(np.sqrt(sq(g * g)), axis=1), w(c * n2)], axis=1)

    return _scan(problem, seed, ts, running)


# each evaluator: the bound at rounds ts for the configurations ``members`` of a group, (K, len(members))
def _ogd(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    G2 = _seed_stats(problem, seed, ts)[:, :1]
    a = h["alpha"][members][None, :]
    if params.get("schedule") == "sqrt":
        return D * D * np.sqrt(tf)[:, None] / (2 * a) + a * (np.sqrt(tf)[:, None] - 0.5) * G2
    return D * D / (2 * a) + a * tf[:, None] * G2 / 2


def _ftrl(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    sqrt = params.get("schedule") == "sqrt"
    W = _seed_stats(problem, seed, ts, ftrl_sqrt=sqrt)[:, 2:]
    a = h["alpha"][members][None, :]
    a_prev = a / np.sqrt(np.maximum(tf - 1.0, 1.0))[:, None] if sqrt else a  # α_{T−1}, α_0 = α_1
    return D * D / (2 * a_prev) + a * W / 2


def _adagrad(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    N = _seed_stats(problem, seed, ts)[:, 1:2]
    a = h["alpha"][members][None, :]
    return (Dinf * Dinf / (2 * a) + a) * N


def _amsgrad(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    b1, b2 = hyp["beta1"], hyp["beta2"]
    ema, vmax, sq, P = _Ema(b2, problem.d), _Max(), _Sums(), _Sums()

    def running(g, t):
        root = np.sqrt(vmax(ema(g * g)))  # v̂_t^{1/2}
        V = np.sum(root, axis=1)
        # Σ_{s≤t} β1s Σ_i v̂_{s,i}^{1/2}/α_s, times α: α_s = α/√s
        return np.stack([V, P(_beta1t(params, hyp, t) * np.sqrt(t) * V), np.sum(np.sqrt(sq(g * g)), axis=1)],
                        axis=1)

    V, P_, N = (c[:, None] for c in _scan(problem, seed, ts, running).T)
    a = h["alpha"][members][None, :]
    gamma = float(_gamma(np.float64(b1), np.float64(b2)))
    rt = np.sqrt(tf)[:, None]
    return (Dinf * Dinf * rt / (a * (1 - b1)) * V + Dinf * Dinf / (2 * a * (1 - b1)) * P_
            + a * np.sqrt(1 + np.log(tf))[:, None] / ((1 - b1) ** 2 * (1 - gamma) * math.sqrt(1 - b2)) * N)


def _adamnc(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    b1 = hyp["beta1"]
    sq, P = _Sums(), _Sums()

    def running(g, t):
        N = np.sum(np.sqrt(sq(g * g)), axis=1)  # Σ_i ‖g_1:t,i‖₂ = Σ_i √(t v_t,i)
        # Σ_{s≤t} β1s Σ_i v_{s,i}^{1/2}/α_s, times α: √s v_s^{1/2} = ‖g_1:s‖₂
        return np.stack([N, P(_beta1t(params, hyp, t) * N)], axis=1)

    N, P_ = (c[:, None] for c in _scan(problem, seed, ts, running).T)
    a = h["alpha"][members][None, :]
    return Dinf * Dinf / (2 * a * (1 - b1)) * (N + P_) + 2 * a / (1 - b1) ** 3 * N


def _adabound(problem, seed, ts, tf, hyp, params, D, Dinf, ams, h, members):
    a, b1, b2, eps, final = hyp["alpha"], hyp["beta1"], hyp["beta2"], hyp["eps"], hyp["final_lr"]
    gam = hyp["gamma"] if hyp["gamma"] > 0 else 1.0 - b2  # as ``pieces.bounded``: γ ≤ 0 means 1 − β2
    ema, vmax, gmax, A, Q = _Ema(b2, problem.d), _Max(), _Max(), _Sums(), _Sums()
    prev = np.zeros((1, problem.d))  # w_0 = 0

    def running(g, t):
        nonlocal prev
        V = ema(g * g)
        if ams:
            V = vmax(V)
        tc = t[:, None]
        lower, upper = final * (1.0 - 1.0 / (gam * tc + 1.0)), final * (1.0 + 1.0 / (gam * tc))
        # as pieces.bounded, with α_t/α = 1/√t
        eta = np.clip(a / np.sqrt(V + eps), lower, upper) * (1.0 / np.sqrt(tc))
        b1t = _beta1t(params, hyp, t)
        w = 1.0 / (eta * (1.0 - b1t)[:, None])
        rise = np.diff(w, axis=0, prepend=prev)
        prev = w[-1:]
        return np.stack([A(np.sum(np.maximum(rise, 0.0), axis=1)), Q(b1t * np.sum(1.0 / eta, axis=1)),
                         gmax(np.sum(g * g, axis=1))], axis=1)

    A_, Q_, G2 = _scan(problem, seed, ts, running).T
    r_inf = final * (1.0 + 1.0 / gam)  # η_u(1)
    bound = (Dinf * Dinf / 2 * A_ + Dinf * Dinf / (2 * (1 - b1)) * Q_
             + (2 * np.sqrt(tf) - 1) * r_inf * G2 / (1 - b1))
    return np.repeat(bound[:, None], len(members), axis=1)
