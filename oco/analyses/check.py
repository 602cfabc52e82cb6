"""``oco check``: the papers' counterexamples as a test suite, with a verdict per (method, problem).

The suite (``SUITE``): each entry is a problem at the settings of its paper — the hyperparameters the paper
ran (a method receives those it has; what the user gives overrides them), the horizon T (and a shorter one for
``--quick``), the seeds — and, where the problem has one, its *failure level* L: the closed-form limit of
R_T/T (or of the expected gap F(x_T) − F(x*) on stochastic problems) of a method stuck at the *failure point*,
the corner of [−1, 1] opposite to x*.

The rules, per seed (``judge``), with q = (R_T/T or the expected gap)/L and p = where x sits between x* (0) and
the failure point (1), x taken as the median of the iterate over the last decade of checkpoints (robust to the
periodic kicks of Reddi's problems):

    diverged (non-finite iterate or loss)                           fails
    problems with a failure level:
        p ≥ 0.5 and q ≥ 0.5, and x not moving towards x*             fails       (at the wrong end, paying L)
        p ≤ 0.1 and (q ≤ 0.25 or the regret falls: slope ≤ −0.2)     converges
        otherwise                                                    inconclusive (run longer)
    ("moving": p at T is at least 0.15 below p over the first half of the last decade, in log t — AMSGrad on
    Theorem 3 at β2 = 0.999 is still on its way to x* at T = 10⁷, while Adam stays at +1)
    problems without one (the controls, Zhang et al.'s unconstrained example): the expected gap at T against
    the gap at x_1, r = gap_T/gap_1:
        r ≥ 1 (no better than the start: stuck, or running away)     fails
        r ≤ 0.1                                                      converges
        otherwise                                                    inconclusive (run longer)

``slope`` is the least-squares slope of log(R_t/t) against log t over the last decade of rounds: about −1/2 for
a method whose regret grows like √T, about 0 for one stuck at a level. A method whose R_t/t is still falling
but has not yet reached x* is *inconclusive*, not failing: slow convergence looks like failure at short T. The
verdict of a problem is the majority of its seeds (ties: inconclusive); the report says how many agree.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import specs

FAILS, CONVERGES, INCONCLUSIVE, NOT_APPLICABLE = "fails", "converges", "inconclusive", "not applicable"
REDDI = "Reddi, Kale & Kumar (ICLR 2018)"
FIG1 = {"alpha": 0.5, "beta1": 0.9, "beta2": 0.99, "schedule": "sqrt"}


@dataclass(frozen=True)
class Entry:
    """A problem of the suite at its paper's settings."""

    name: str
    problem: str
    hypers: dict[str, Any]  # the paper's; a method receives those it has
    T: int
    T_quick: int
    seeds: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    # the problem's parameters from the method's own hyperparameters (Reddi's Theorem 2 builds C from β1, β2)
    params_for: Callable[[dict], dict] | None = None

    def problem_params(self, h: dict) -> dict:
        return {**self.params, **(self.params_for(h) if self.params_for else {})}


def _own_betas(h: dict) -> dict:
    """Theorem 2's construction for the method's own β1, β2 (the problem's defaults when it has none)."""
    b1, b2 = h.get("beta1"), h.get("beta2")
    return {} if b1 is None or b2 is None else {"beta1": float(b1), "beta2": float(b2)}


def _thm3_C(h: dict) -> dict:
    """Theorem 3's C for the method's own β1, β2: the smallest even C of Theorem 2's proof (oco's choice — the
    proofs build C alike; with a fixed C = 101 Adam at β2 = 0.999 averages the rare large gradient away);
    C = 101 for a method without β1, β2."""
    from ..problems.reddi import thm2_period

    betas = _own_betas(h)
    return {"C": float(thm2_period(betas["beta1"], betas["beta2"])) if betas else 101.0, "delta": 0.2}


LONG, SHORT = 10_000_000, 1_000_000  # compiled linear problems: 10⁷ rounds take well under a second; the
# controls and Zhang's example (compiled too) run shorter: their data are drawn round by round
# torch:/optax: optimizers step from Python, 10³–10⁵ rounds a second: their horizons are capped
FOREIGN_T, FOREIGN_T_QUICK = 20_000, 5_000
SUITE: dict[str, Entry] = {e.name: e for e in (
    Entry("reddi-online", "reddi-online", FIG1, LONG, SHORT, source=f"{REDDI}, Figure 1 (online)"),
    Entry("reddi-stochastic", "reddi-stochastic", {**FIG1, "alpha": 1.0}, LONG, SHORT, seeds=4,
          source=f"{REDDI}, Figure 1 (stochastic); α = 1 is oco's choice (the paper does not state α)"),
    Entry("reddi-thm1", "reddi-thm1", {"alpha": 0.47, "beta1": 0.0, "beta2": 0.1, "schedule": "sqrt"}, LONG,
          SHORT, params={"C": 3.0}, source=f"{REDDI}, Theorem 1: C = 3, β1 = 0, β2 = 1/(1 + C²)"),
    Entry("reddi-thm2", "reddi-thm2", {"alpha": 0.5, "schedule": "sqrt"}, LONG, SHORT, params_for=_own_betas,
          source=f"{REDDI}, Theorem 2: C from the method's own β1, β2 (the smallest even C of the proof)"),
    Entry("reddi-thm3", "reddi-thm3", {"alpha": 1.0, "schedule": "sqrt"}, LONG, SHORT, seeds=4, params_for=_thm3_C,
          source=f"{REDDI}, Theorem 3 (stochastic): δ = 0.2, C from the method's own β1, β2"),
    Entry("adabound-small-lr", "adabound-small-lr", {"alpha": 0.1, "beta1": 0.0, "beta2": 0.9, "schedule": "sqrt"},
          LONG, SHORT, params={"C": 60}, source="Luo et al. (ICLR 2019), Section 3: C = 60, β1 = 0, β2 = 0.9"),
    Entry("adopt-toy", "adopt-toy", {"alpha": 0.5, "beta1": 0.9, "beta2": 0.9, "schedule": "sqrt"}, LONG, SHORT,
          seeds=4, params={"k": 10.0}, source="Taniguchi et al. (NeurIPS 2024), the toy problem, k = 10"),
    Entry("adopt-toy-k30", "adopt-toy", {"alpha": 0.5, "beta1": 0.9, "beta2": 0.9, "schedule": "sqrt"}, LONG,
          SHORT, seeds=4, params={"k": 30.0}, source="Taniguchi et al. (NeurIPS 2024), the toy problem, k = 30"),
    Entry("zhang-divergence", "zhang-divergence", {"alpha": 0.1, "beta1": 0.9, "beta2": 0.999, "schedule": "sqrt"},
          300_000, 30_000, params={"n": 10}, source="Zhang et al. (NeurIPS 2022), the divergence example, n = 10"),
    Entry("stochastic-quadratic", "stochastic-quadratic", {"alpha": 0.1, "schedule": "sqrt"}, 1_000_000, 100_000,
          seeds=2, source="control: noisy separable quadratics, d = 10"),
    Entry("sparse-gradients", "sparse-gradients", {"alpha": 0.1, "schedule": "sqrt"}, 1_000_000, 100_000, seeds=2,
          source="control: AdaGrad's sparse setting, d = 100"),
    Entry("logistic-goog", "logistic-goog", {"alpha": 0.1, "schedule": "sqrt"}, 100_000, 20_000, seeds=2,
          source="control: online logistic regression on real data"),
)}


@dataclass
class Verdict:
    """The verdict on one (method, problem) and its evidence (medians over seeds where there are several)."""

    method: str
    problem: str
    params: dict  # what the method ran with, and the problem's parameters under "problem_params"
    verdict: str
    avg_regret: float | None
    failure_level: float | None
    slope: float | None
    x_final: list[float]
    x_star: list[float]
    T: int
    seeds: int
    agree: int  # seeds whose own verdict is the verdict
    gap_ratio: float | None = None  # gap_T/gap_1 (problems without a failure level)
    position: float | None = None  # p: 0 at x*, 1 at the failure point
    q: float | None = None  # R_T/T (or the expected gap) over the failure level
    why: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class CheckReport:
    """What ``oco check`` found: the methods checked (as given), a Verdict per (method, problem) and, per
    (method, problem) that ran, the trace the figure draws: t and R_t/t, the median over seeds."""

    methods: list
    verdicts: list[Verdict]
    curves: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]

    @property
    def fails(self) -> bool:
        """Some verdict is "fails" (``oco check`` exits with status 1)."""
        return any(v.verdict == FAILS for v in self.verdicts)

    def to_dict(self) -> dict:
        """The ``--json`` document and ``verdicts.json``: methods, verdicts, summary."""
        return {"methods": list(self.methods), "verdicts": [v.to_dict() for v in self.verdicts],
                "summary": summary(self.verdicts)}

    def text(self, as_matrix: bool = False) -> str:
        """A line per verdict (or the methods × problems matrix), then the counts."""
        s = summary(self.verdicts)
        counts = f"{s['fails']} fails, {s['converges']} converges, {s['inconclusive']} inconclusive"
        return "\n".join([matrix(self.verdicts) if as_matrix else table(self.verdicts), counts])

    def write(self, folder: str | Path) -> Path:
        """``verdicts.json`` (``to_dict``) in ``folder``, made if need be; its path."""
        from ..io import write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "verdicts.json", self.to_dict())
        return folder / "verdicts.json"


def judge(r, failure_level: float | None) -> list[dict]:
    """Each seed's verdict by the rules of the module docstring, with its evidence: ``q`` (the level over
    the failure level), ``position`` (p), ``gap_ratio`` and ``slope``."""
    ck = r.checkpoints
    last = ck.t >= max(1, ck.t[-1] / 10)
    x_star = r.x_star if r.x_opt is None else np.broadcast_to(r.x_opt, r.x_star.shape)
    out = []
    for b in range(r.batch):
        e = {"slope": _slope(ck.t[last], ck.avg_regret[last, b]), "q": None, "position": None, "gap_ratio": None}
        if r.diverged[b]:
            e["verdict"] = FAILS
        elif failure_level is not None and x_star.shape[1] == 1:
            level = r.expected_gap[b] if r.expected_gap is not None else r.avg_regret[b]
            xs = float(x_star[b, 0])
            fail_point = 1.0 if xs < 0 else -1.0
            where = lambda x: float((np.median(x) - xs) / (fail_point - xs))  # noqa: E731
            e["q"] = q = float(level / failure_level)
            e["position"] = p = where(ck.x[last, b, 0])
            early = last & (ck.t < ck.t[-1] / 10**0.5)
            moving = early.any() and where(ck.x[early, b, 0]) - where(ck.x[-1:, b, 0]) >= 0.15
            falling = e["slope"] is not None and e["slope"] <= -0.2
            e["verdict"] = (FAILS if p >= 0.5 and q >= 0.5 and not moving
                            else CONVERGES if p <= 0.1 and (q <= 0.25 or falling) else INCONCLUSIVE)
        elif ck.expected_gap is not None and np.isfinite(ck.expected_gap[-1, b]) and ck.expected_gap[0, b] > 0:
            e["gap_ratio"] = ratio = float(ck.expected_gap[-1, b] / ck.expected_gap[0, b])
            e["verdict"] = FAILS if ratio >= 1 else CONVERGES if ratio <= 0.1 else INCONCLUSIVE
        else:
            e["verdict"] = INCONCLUSIVE
        out.append(e)
    return out


def _slope(t: np.ndarray, avg: np.ndarray) -> float | None:
    """Least-squares slope of log(R_t/t) on log t where R_t > 0 (None with fewer than 3 such rounds)."""
    ok = np.isfinite(avg) & (avg > 0)
    if ok.sum() < 3:
        return None
    return float(np.polyfit(np.log(t[ok]), np.log(avg[ok]), 1)[0])


def _majority(votes: list[str]) -> tuple[str, int]:
    """The verdict most seeds give (a tie is inconclusive) and how many give it."""
    counts = sorted(((votes.count(v), v) for v in (FAILS, CONVERGES, INCONCLUSIVE)), reverse=True)
    if counts[0][0] == counts[1][0]:
        return INCONCLUSIVE, votes.count(INCONCLUSIVE)
    return counts[0][1], counts[0][0]


def _median(values) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(vals)) if vals else None


def check_one(method, entry: Entry, quick: bool = False, backend: str = "auto", progress=None,
              max_T: int | None = None, **hyperparameters) -> tuple[Verdict, Any]:
    """Run ``method`` (any spec) on one entry of the suite: its Verdict, and the Result (None when the entry
    does not apply to the method). ``max_T`` caps the horizon (a foreign optimizer, which steps once a round
    from Python, is capped at FOREIGN_T unless told otherwise)."""
    return next(_checks([method], [entry.name], quick, backend, progress, max_T, **hyperparameters))


def _checks(methods, names, quick, backend, progress, max_T, **hyperparameters):
    """(Verdict, Result) for every method on every named entry, in that order: all planned first, so that
    the kernels they need compile in parallel (``oco.backends.compile_ahead``) while they run."""
    from ..backends import compile_ahead

    planned = [_plan(m, SUITE[n], quick, backend, max_T, **hyperparameters) for m in methods for n in names]
    jobs = [p[-1] for p in planned if not isinstance(p, Verdict)]
    with compile_ahead(jobs) as ahead:
        for p in planned:
            if isinstance(p, Verdict):
                yield p, None
                continue
            t0 = time.perf_counter()
            ahead.ready(p[-1])
            r = p[-1].run(progress)
            yield _judge(*p[:-1], r, time.perf_counter() - t0), r


def _plan(method, entry: Entry, quick, backend, max_T, **hyperparameters):
    """A Verdict where the entry does not apply to the method; otherwise what judging needs, and the Job."""
    from ..api import plan
    from ..foreign import Foreign
    from ..problems import get_problem

    m = specs.resolve(method)
    name = method if isinstance(method, str) else m.key
    given = {k: v for k, v in {**entry.hypers, **hyperparameters}.items() if k in m.hypers}
    h, _ = m.resolve(given)
    own = {k: (float(v.reshape(-1)[0]) if isinstance(v, np.ndarray) else v) for k, v in h.items()}
    params = entry.problem_params(own)
    T, seeds = (entry.T_quick, max(1, entry.seeds // 2)) if quick else (entry.T, entry.seeds)
    if max_T is None and isinstance(m, Foreign):
        max_T = FOREIGN_T_QUICK if quick else FOREIGN_T
    T = min(T, max_T) if max_T is not None else T
    try:
        problem = get_problem(entry.problem, **params)
    except ValueError as e:  # Theorem 2 needs β1 < √β2
        return Verdict(name, entry.name, {**given, "problem_params": params}, NOT_APPLICABLE, None, None, None,
                       [], [], T, seeds, 0, why=str(e))
    job = plan(problem, m, T, seed=np.arange(seeds) if seeds > 1 else 0, checkpoints=60, backend=backend,
               **given)
    return name, entry, own, problem, T, seeds, job


def _judge(name, entry, own, problem, T, seeds, r, seconds) -> Verdict:
    per_seed = judge(r, problem.failure_level)
    verdict, agree = _majority([e["verdict"] for e in per_seed])
    ev = {k: _median(e[k] for e in per_seed) for k in ("slope", "q", "position", "gap_ratio")}
    x_star = r.x_star if r.x_opt is None else np.broadcast_to(r.x_opt, r.x_star.shape)
    return Verdict(
        method=name,
        problem=entry.name,
        params={**own, "problem_params": r.problem_params},
        verdict=verdict,
        avg_regret=_median(r.avg_regret),
        failure_level=problem.failure_level,
        slope=ev["slope"],
        x_final=np.median(r.x_final, axis=0).tolist(),
        x_star=np.median(x_star, axis=0).tolist(),
        T=T,
        seeds=seeds,
        agree=agree,
        gap_ratio=ev["gap_ratio"],
        position=ev["position"],
        q=ev["q"],
        why=_why(per_seed, ev),
        seconds=round(seconds, 3),
    )


def _why(per_seed: list[dict], ev: dict) -> str:
    """The evidence behind the verdict, in words."""
    if all(e["verdict"] == FAILS and e["q"] is None and e["gap_ratio"] is None for e in per_seed):
        return "diverged"
    if ev["position"] is not None:
        return (f"x is {ev['position']:.2f} of the way from x* to the failure point; R_T/T (or the expected gap) "
                f"is {ev['q']:.2f}× the failure level")
    if ev["gap_ratio"] is not None:
        return f"the expected gap is {ev['gap_ratio']:.3g}× its value at x_1"
    return "no expected loss to judge by"


def check(methods, problems: list[str] | None = None, quick: bool = False, backend: str = "auto",
          progress=None, max_T: int | None = None, **hyperparameters) -> list[Verdict]:
    """Every method (a spec or a list of them) on every problem of the suite (or those named): the verdicts.

    >>> [v.verdict for v in check("adam", problems=["reddi-thm1"], quick=True)]
    ['fails']
    """
    return check_suite(methods, problems, quick, backend, progress, max_T, **hyperparameters).verdicts


def check_suite(methods, problems: list[str] | None = None, quick: bool = False, backend: str = "auto",
                progress=None, max_T: int | None = None, **hyperparameters) -> CheckReport:
    """Every method (a spec or a list of them) on every problem of the suite (or those named): the report,
    its verdicts and, per (method, problem), the traces the figure draws (t and R_t/t, the median over seeds).
    ``max_T`` caps the horizons; ``progress`` is told the rounds run (``rounds`` says how many in all)."""
    from ..config import check_suite as check_request

    methods = [methods] if isinstance(methods, str) or not isinstance(methods, (list, tuple)) else list(methods)
    check_request(methods, hyperparameters, backend, max_T)
    verdicts, curves = [], {}
    for v, r in _checks(methods, select(problems), quick, backend, progress, max_T, **hyperparameters):
        verdicts.append(v)
        if r is not None:
            with np.errstate(all="ignore"):
                median = np.nanmedian(r.checkpoints.avg_regret, axis=1)
            curves[(v.method, v.problem)] = (r.checkpoints.t, median)
    return CheckReport(methods, verdicts, curves)


def select(problems: list[str] | None) -> list[str]:
    """The suite's entries named (all of them by default); ValueError with a "did you mean" otherwise."""
    if not problems:
        return list(SUITE)
    from ..hints import did_you_mean

    for p in problems:
        if p not in SUITE:
            raise ValueError(f"no problem {p!r} in the suite{did_you_mean(p, SUITE)}; it has: {', '.join(SUITE)}")
    return list(dict.fromkeys(problems))


def summary(verdicts: list[Verdict]) -> dict:
    """Counts of each verdict, and per method the problems it fails."""
    out: dict[str, Any] = {v: sum(x.verdict == v for x in verdicts) for v in (FAILS, CONVERGES, INCONCLUSIVE)}
    out["fails_on"] = {}
    for x in verdicts:
        if x.verdict == FAILS:
            out["fails_on"].setdefault(x.method, []).append(x.problem)
    return out


def rounds(methods: list, problems: list[str] | None, quick: bool, max_T: int | None = None) -> int:
    """The engine rounds a check runs (for the progress bar; a foreign method's cap aside)."""
    per = [SUITE[n].T_quick if quick else SUITE[n].T for n in select(problems)]
    return len(methods) * sum(min(T, max_T or T) for T in per)


def table(verdicts: list[Verdict]) -> str:
    """One line per (method, problem): the verdict and its evidence."""
    head = ["method", "problem", "verdict", "R_T/T", "level", "slope", "x_T", "x*", "T", "seeds agree"]
    fmt = lambda v, spec=".3g": "—" if v is None else format(v, spec)  # noqa: E731
    vec = lambda xs: "—" if not xs else (fmt(xs[0], "+.3f") if len(xs) == 1 else f"[{fmt(xs[0], '+.2f')}, …]")  # noqa: E731
    rows = [[v.method, v.problem, v.verdict, fmt(v.avg_regret), fmt(v.failure_level), fmt(v.slope, "+.2f"),
             vec(v.x_final), vec(v.x_star), f"{v.T:.0e}".replace("e+0", "e"), f"{v.agree}/{v.seeds}"]
            for v in verdicts]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *rows])


def matrix(verdicts: list[Verdict]) -> str:
    """methods × problems, a letter per verdict: F fails, c converges, ? inconclusive, - not applicable."""
    mark = {FAILS: "F", CONVERGES: "c", INCONCLUSIVE: "?", NOT_APPLICABLE: "-"}
    methods = list(dict.fromkeys(v.method for v in verdicts))
    problems = list(dict.fromkeys(v.problem for v in verdicts))
    cell = {(v.method, v.problem): mark[v.verdict] for v in verdicts}
    w = max(map(len, methods))
    lines = [" " * w + "  " + "  ".join(f"{i + 1:>2}" for i in range(len(problems)))]
    lines += [m.ljust(w) + "  " + "  ".join(f"{cell.get((m, p), ' '):>2}" for p in problems) for m in methods]
    lines += [f"{i + 1:>3}: {p}" for i, p in enumerate(problems)]
    return "\n".join(lines) + "\nF fails, c converges, ? inconclusive (run longer), - not applicable"


def describe() -> str:
    """``oco show check``: the problems of the suite with their settings, horizons and sources; the rules."""
    out = ["oco check: the counterexample suite (--problems a,b,…)"]
    for e in SUITE.values():
        hp = ", ".join(f"{k}={v}" for k, v in {**e.params, **e.hypers}.items())
        out.append(f"  {e.name:<22} T = {e.T:.0e} (--quick {e.T_quick:.0e}), {e.seeds} seed(s); {hp}")
        out.append(f"  {'':<22} {e.source}")
    out.append("")
    out += ["  " + line for line in inspect.cleandoc(__doc__).splitlines()]
    return "\n".join(out)
