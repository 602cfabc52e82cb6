"""The papers' experiments, by name: ``oco reproduce NAME`` runs one end to end and writes its figures, each
with a JSON sidecar that says how to make it again.

An experiment is nothing but a run or a sweep with fixed options (the same ``oco.config.resolve`` the
command line uses), a title and the figures to draw; ``Experiment.command()`` is the equivalent
``oco run``/``oco sweep`` command line. A *group* (``parts``) is several runs, each in a folder of its own,
with a figure over all of them (Reddi et al.'s Theorems 2 and 3: a problem instance per (β1, β2)). Settings
follow the papers where they state them; where a choice was ours (α, T, the number of seeds) the description
says so, and ``settings`` records, per setting, what the paper's text confirms (copied into every sidecar).
Each runs in about a minute or less on two cores with the NumPy engine (≈ 45 µs a round, nearly independent
of the batch size). Experiments built by a factory (``FACTORIES``: grid size, horizon) come in smaller
versions too: ``scaled(NAME, cells=10, T=2000)``.
"""

from __future__ import annotations

import math
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import io

REDDI = {"alpha": 0.5, "beta1": 0.9, "beta2": 0.99, "schedule": "sqrt"}


@dataclass(frozen=True)
class Target:
    """A number the experiment must reproduce: ``quantity`` of ``method`` (the median over seeds; in a sweep,
    of the grid cell ``cell``; in a group, of the run ``part``) is ``value`` ± ``tol`` (op "near"), at most
    ``value`` (op "below") or at least ``value`` (op "above"). Besides the fields of results.json/sweep.csv,
    ``quantity`` may be ``late_avg_regret`` — (R_T − R_s)/(T − s), s the last checkpoint at or before T/2: the
    regret added per round over the second half, free of the start's transient — or ``analysis.KEY``, a number
    the experiment's analysis wrote to analysis.json."""

    method: str
    # avg_regret | x_final | expected_gap | dist_x_star | lr_min | lr_max | late_avg_regret | analysis.KEY
    quantity: str
    op: str  # near | below | above
    value: float
    source: str
    tol: float = 0.0
    cell: tuple[tuple[str, float], ...] = ()
    part: str = ""

    def describe(self) -> str:
        where = f" at {', '.join(f'{k} = {v:.6g}' for k, v in self.cell)}" if self.cell else ""
        where += f" [{self.part}]" if self.part else ""
        goal = {"near": f"{self.value:.4g} ± {self.tol:.2g}", "below": f"≤ {self.value:.4g}",
                "above": f"≥ {self.value:.4g}"}[self.op]
        return f"{self.method}{where}: {self.quantity} {goal} ({self.source})"

    def passes(self, got: float | None) -> bool:
        if got is None or not math.isfinite(got):
            return False
        if self.op == "near":
            return abs(got - self.value) <= self.tol
        return got <= self.value if self.op == "below" else got >= self.value


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    expected: str
    kind: str  # run | sweep
    problem: str
    methods: tuple[str, ...]
    T: int
    hypers: dict[str, Any] = field(default_factory=dict)
    sets: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    seeds: int = 1
    grid: dict[str, list] = field(default_factory=dict)
    x0: float | None = None
    checkpoints: int = 200
    checkpoint_every: int | None = None
    figures: tuple[str, ...] = ("overview", "regret", "iterate", "lr")
    title: str = ""
    targets: tuple[Target, ...] = ()
    # kind "group": runs, each into OUT/PART.name; ``summary`` draws the figures over all of them
    parts: tuple[Experiment, ...] = ()
    summary: Callable[[Experiment, Path, str], list[Path]] | None = None
    # per setting of the paper: its value here and whether (and where) the paper's text confirms it
    settings: dict[str, str] = field(default_factory=dict)
    # after a sweep: numbers derived from its folder (written to analysis.json) and the heat maps' overlays by
    # name (``oco.plots.OVERLAYS``, drawn from the folder: ``oco plot`` redraws them)
    analyze: Callable[[Experiment, Path], dict] | None = None
    overlays: tuple[str, ...] = ()

    def resolve(self, backend: str = "numpy"):
        from .config import resolve

        return resolve(
            self.kind, self.problem, list(self.methods), T=self.T, hypers={**self.hypers, **self.sets},
            params=self.params, x0=self.x0, seeds=self.seeds, checkpoints=self.checkpoints,
            checkpoint_every=self.checkpoint_every, grid=self.grid, backend=backend,
        )

    def command(self, out: str | None = None, backend: str = "numpy") -> str:
        """The equivalent ``oco run``/``oco sweep`` command line (a group: its runs' lines joined by ``&&``)."""
        if self.parts:
            return " && ".join(p.command(f"{out or 'DIR'}/{p.name}", backend) for p in self.parts)
        parts = ["oco", self.kind, self.problem]
        parts += [f"-m {m}" for m in self.methods]
        parts.append(f"--T {self.T}")
        for k, v in self.hypers.items():
            if k in ("alpha", "beta1", "beta2", "eps", "schedule"):
                parts.append(f"--{k} {v}")
            else:
                parts.append(f"--set {k}={v}")
        parts += [f"--set {k}={v}" for k, v in self.sets.items()]
        parts += [f"--param {k}={v}" for k, v in self.params.items()]
        if self.x0 is not None:
            parts.append(f"--x0={self.x0}")
        if self.seeds > 1:
            parts.append(f"--seeds {self.seeds}")
        for k, values in self.grid.items():
            parts.append(f"--grid {k}={','.join(io.fmt_cell(v) for v in values)}")
        if self.kind == "sweep" and self.analyze:
            parts.append("--traces all")  # the analysis reads every row's trace
        if self.checkpoint_every:
            parts.append(f"--checkpoint-every {self.checkpoint_every}")
        elif self.checkpoints != (200 if self.kind == "run" else 50):
            parts.append(f"--checkpoints {self.checkpoints}")
        if backend != "auto":
            parts.append(f"--backend {backend}")
        parts.append(f"--out {out or 'DIR'}")
        return " ".join(parts)


EXPERIMENTS: dict[str, Experiment] = {}


def _add(e: Experiment) -> None:
    EXPERIMENTS[e.name] = e


_add(Experiment(
    name="reddi-fig1-online",
    description="Reddi et al. (2018) Figure 1, online: Adam vs AMSGrad on 1010x / −10x (period 101)",
    expected="Adam's x_t goes to +1 and R_t/t levels off at the failure level 20/101 ≈ 0.198; AMSGrad's x_t "
             "returns to the optimum −1 (by t ≈ 10⁵) and R_t/t keeps falling towards 0. α = 0.5 is the problem's "
             "suggested value (Reddi et al. do not state theirs)",
    kind="run", problem="reddi-online", methods=("adam", "amsgrad"), T=500_000, hypers=REDDI,
    title="Reddi et al. Fig. 1 (online): f_t = 1010x if t mod 101 = 1 else −10x;  "
          "β1 = 0.9, β2 = 0.99, α_t = 0.5/√t",
    targets=(
        Target("adam", "x_final", "near", 1.0, "Reddi et al. 2018, Figure 1: Adam goes to +1", tol=0.05),
        Target("adam", "avg_regret", "near", 20 / 101, "closed form 20/101, approached from above (at T = 5·10⁵ "
               "the transient adds ≈ 0.04)", tol=0.06),
        Target("amsgrad", "x_final", "near", -1.0, "Reddi et al. 2018, Figure 1: AMSGrad goes to x* = −1", tol=0.05),
        Target("amsgrad", "avg_regret", "below", 0.5 * 20 / 101, "AMSGrad's R_t/t falls below half the failure level"),
    ),
))
_add(Experiment(
    name="reddi-fig1-stochastic",
    description="Reddi et al. (2018) Figure 1, stochastic: Adam vs AMSGrad on 1010x w.p. 0.01, else −10x",
    expected="E f = 0.2x, x* = −1: Adam's x_t goes to +1 (expected gap 0.4), AMSGrad's moves towards −1, "
             "slowly (the rare 1010 keeps its v̂ large); median and 10%–90% band over 100 seeds. α = 1 is our "
             "choice: AMSGrad gets closer to −1 within T than with 0.5",
    kind="run", problem="reddi-stochastic", methods=("adam", "amsgrad"), T=500_000,
    hypers={**REDDI, "alpha": 1.0}, seeds=100,
    title="Reddi et al. Fig. 1 (stochastic): f_t = 1010x w.p. 0.01 else −10x;  "
          "β1 = 0.9, β2 = 0.99, α_t = 1/√t",
    targets=(
        Target("adam", "expected_gap", "near", 0.4, "Reddi et al. 2018, Figure 1: Adam at +1, gap 2·E g = 0.4",
               tol=0.02),
        Target("amsgrad", "expected_gap", "below", 0.2, "AMSGrad moves towards −1: under half the failure level"),
    ),
))
_add(Experiment(
    name="reddi-thm1",
    description="Reddi et al. (2018) Theorem 1: C·x if t mod 3 = 1, else −x, with β1 = 0, β2 = 1/(1 + C²)",
    expected="Adam (β1 = 0, β2 = 1/(1 + C²)) goes to +1 and R_t/t → 2(C − 2)/3; AMSGrad and AdaGrad go to −1",
    kind="run", problem="reddi-thm1", methods=("adam", "amsgrad", "adagrad"), T=100_000, params={"C": 3.0},
    hypers={"alpha": 0.474342, "beta1": 0.0, "beta2": 0.1, "schedule": "sqrt"},  # α = √(1 − β2)/2, the proof's
    title="Reddi et al. Theorem 1 (C = 3): β1 = 0, β2 = 1/(1 + C²) = 0.1, α_t = 0.474/√t (the proof's α)",
    targets=(
        Target("adam", "avg_regret", "near", 2 / 3, "Reddi et al. 2018, Theorem 1: R_T/T → 2(C − 2)/3", tol=0.01),
        Target("adam", "x_final", "near", 1.0, "Theorem 1's proof: x_{3k+1} = 1", tol=0.01),
        Target("amsgrad", "x_final", "near", -1.0, "AMSGrad converges (Reddi et al. Theorem 4)", tol=0.01),
        Target("adagrad", "x_final", "near", -1.0, "AdaGrad converges (Duchi et al. 2011)", tol=0.01),
    ),
))
_add(Experiment(
    name="adabound-small-lr",
    description="Luo et al. (2019) Section 3: −x, 2x, then C − 2 zeros; Adam's rates become extreme",
    expected="Adam (β1 = 0, β2 = 0.9) drifts to +1 (R_t/t → 2/C) as its rate spikes after the zero rounds; "
             "AMSGrad's monotone rates bring x_t to −1, AdaBound's clipped ones follow (x_T ≈ −0.7)",
    kind="run", problem="adabound-small-lr", methods=("adam", "amsgrad", "adabound"), T=200_000,
    params={"C": 60}, hypers={"alpha": 0.1, "beta1": 0.0, "beta2": 0.9, "schedule": "sqrt"},
    checkpoints=400, figures=("overview", "regret", "iterate", "lr"),
    title="AdaBound Section 3 (C = 60): f_t = −x, 2x, then 58 zero rounds;  β1 = 0, β2 = 0.9, α_t = 0.1/√t",
    targets=(
        Target("adam", "avg_regret", "near", 2 / 60, "Luo et al. 2019, Section 3: stuck at +1, R_T/T → 2/C",
               tol=0.002),
        Target("adam", "x_final", "near", 1.0, "Luo et al. 2019: Adam drifts to +1", tol=0.05),
        Target("amsgrad", "x_final", "near", -1.0, "AMSGrad's monotone rates reach x* = −1", tol=0.05),
    ),
))
_add(Experiment(
    name="adabound-extreme-rates",
    description="Luo et al. (2019) Figure 1's point on sparse gradients (d = 100): Adam's per-coordinate rates "
                "spread over decades, AdaBound's are squeezed into bounds that converge to α* = 0.1",
    expected="Adam's and AMSGrad's rates α/√v_t spread over two decades across coordinates (rarely active "
             "coordinates get the large ones, never-seen ones 10 = α/√ε); AdaBound's bounds pull every "
             "coordinate's rate to final_lr = 0.1 (γ = 1 − β2 = 0.001); 100 seeds, medians over seeds",
    kind="run", problem="sparse-gradients", methods=("adam", "adabound", "amsgrad"), T=20_000,
    hypers={"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "schedule": "const"}, seeds=100,
    checkpoints=40, figures=("lr", "overview", "regret"),  # 40 checkpoints: x traces are (K, seeds, d = 100)
    title="Sparse gradients (d = 100, coordinate j active w.p. j^−1.5): α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e−8",
    targets=(
        Target("adam", "lr_max", "near", 10.0, "a coordinate with v = 0 has rate α/√ε = 0.001/√1e−8 = 10",
               tol=1e-6),
        Target("adam", "lr_min", "below", 0.01, "Luo et al. 2019: Adam's rates spread over more than two decades"),
    ),
))
_add(Experiment(
    name="adopt-toy",
    description="Taniguchi et al. (2024) ADOPT toy: k²x w.p. 1/k, else −kx (k = 10): Adam, AMSGrad, ADOPT",
    expected="E f = x, x* = −1: with β2 = 0.9 Adam goes to +1 (expected gap → 2), AMSGrad creeps towards −1, "
             "ADOPT converges to −1; median and 10%–90% band over 100 seeds",
    kind="run", problem="adopt-toy", methods=("adam", "amsgrad", "adopt"), T=100_000, params={"k": 10.0},
    hypers={"alpha": 0.1, "beta1": 0.9, "beta2": 0.9, "schedule": "sqrt"}, seeds=100,
    title="ADOPT toy (k = 10): f_t = k²x w.p. 1/k else −kx;  β1 = 0.9, β2 = 0.9, α_t = 0.1/√t",
    targets=(
        Target("adam", "expected_gap", "near", 2.0, "Taniguchi et al. 2024: Adam fails at small β2 (at +1, gap 2)",
               tol=0.05),
        Target("adopt", "expected_gap", "below", 0.05, "Taniguchi et al. 2024: ADOPT converges to x* = −1"),
    ),
))


# ---------------------------------------------------------------- experiments built by a factory
# Their grid size and horizon are arguments, the paper's (or full) sizes the defaults: ``scaled`` builds the
# smaller versions the tests run.
def beta_grid(cells: int, decades: float, beta2_min: float = 0.0) -> dict[str, list[float]]:
    """β1: ``cells`` values evenly from 0 to 0.98 (12 significant digits: 0.02k for 50 cells); β2: 1 − β2
    evenly on a log scale, 1 − β2 = 10^(−k·decades/(cells + 4)) for k = 1 … cells + 4 (down to 10^−decades),
    those with β2 >= ``beta2_min``: the log(1 − β2) axis of the heat maps. β2 = 0 (k = 0) is left out: Adam is
    then sign descent with momentum, whose steps (up to α_t·r(1 − β1)β1 on Zhang et al.'s example) make the
    colour scale of a whole map."""
    rows = cells + 4
    q = 10.0 ** (-np.arange(1, rows + 1) * decades / rows)
    beta2 = [float(1.0 - v) for v in q if 1.0 - v >= beta2_min]
    return {"beta1": [float(f"{v:.12g}") for v in np.linspace(0.0, 0.98, cells)], "beta2": beta2}


def _nearest(values: list[float], v: float) -> float:
    return min(values, key=lambda u: abs(u - v))


def _cell(grid: dict[str, list[float]], beta1: float, beta2: float) -> tuple[tuple[str, float], ...]:
    """The grid cell nearest to (β1, β2) (in β1, and in log(1 − β2)), for a Target."""
    b2 = min(grid["beta2"], key=lambda u: abs(math.log10(1.0 - u) - math.log10(1.0 - beta2)))
    return (("beta1", _nearest(grid["beta1"], beta1)), ("beta2", b2))


def zhang_phase(cells: int = 50, T: int = 500_000) -> Experiment:
    """Adam's β1 × β2 phase diagram on Reddi et al.'s online problem (1010x / −10x)."""
    grid = beta_grid(cells, 6.0, beta2_min=0.5)
    return Experiment(
        name="zhang-phase",
        description="β1 × β2 phase diagram of Adam on Reddi's online problem (in the spirit of Zhang et al. 2022)",
        expected="for β2 up to about 0.999 Adam ends at +1 (distance 2 from x* = −1, R_T/T near 20/101) unless β1 "
                 "near 1 averages over the whole period (0.98 does from β2 = 0.999); for β2 near 1 (0.999995 at "
                 "T = 5·10⁵) it comes back to x* for every β1 — Zhang et al.'s large-β2 regime, where β1 < √β2 "
                 "holds; the curves β1 = √β2 and β1 = β2 are drawn",
        kind="sweep", problem="reddi-online", methods=("adam",), T=T, hypers={"alpha": 0.5, "schedule": "sqrt"},
        grid=grid, checkpoints=50, figures=("heatmap",),
        title=f"Adam on reddi-online (1010x / −10x, period 101): α_t = 0.5/√t, {len(grid['beta1'])} × "
              f"{len(grid['beta2'])} (β1, β2)",
        targets=(
            Target("adam", "dist_x_star", "near", 2.0, "Reddi et al. 2018, Figure 1's setting: Adam at +1",
                   tol=0.05, cell=_cell(grid, 0.9, 0.99)),
            Target("adam", "dist_x_star", "below", 0.05, "Zhang et al. 2022: large β2 (β1 < √β2) converges",
                   cell=_cell(grid, 0.9, 0.999999)),
        ),
    )


ZHANG_ALPHA = 0.1
ZHANG_T = 50_000  # "after running 50k iterations" (Zhang's thesis, Fig. 2.4 (c, d), n = 10 and 50)


def zhang_divergence(n: int, cells: int = 50, T: int = ZHANG_T) -> Experiment:
    """Zhang et al. (2022)'s counterexample with n components: Adam over (β1, β2), divergence region drawn."""
    from .analyses import zhang

    order = "shuffle"  # random reshuffling, the paper's Algorithm 1
    grid = beta_grid(cells, 3.0)
    return Experiment(
        name=f"zhang-n{n}",
        description=f"Zhang et al. (2022): Adam on their n-component divergence example (n = {n}) over "
                    f"(β1, β2), with the divergence region in closed form",
        expected=f"small β2 diverges: x_T runs to +∞ (∝ √T) inside the region D < 0 of oco.analyses.zhang (exact for "
                 f"cyclic order; n = {n}: up to β2 ≈ {'0.47' if n == 10 else '0.8'}); large β2 with β1 < √β2 "
                 f"converges to x* = −2; the region grows with n",
        kind="sweep", problem="zhang-divergence", methods=("adam",), T=T,
        hypers={"alpha": ZHANG_ALPHA, "schedule": "sqrt"}, params={"n": n, "order": order}, grid=grid,
        checkpoints=50, figures=("heatmap",),
        title=f"Zhang et al. (2022) divergence example, n = {n}, "
              f"random reshuffling: α_t = {ZHANG_ALPHA}/√t, x_1 = 0",
        settings={**zhang.SETTINGS, "order here": "shuffle (a fresh permutation of the n components each pass)"},
        analyze=_zhang_analysis, overlays=("zhang-running-away", "zhang-region"),
        targets=(
            Target("adam", "dist_x_star", "above", 2.0, f"{zhang.PAPER}, divergence theorem: small β2 diverges "
                   "(x_T farther from x* = −2 than its start x_1 = 0)", cell=_cell(grid, 0.0, 0.25)),
            Target("adam", "dist_x_star", "below", 0.05, f"{zhang.PAPER}, convergence theorem: large β2 with "
                   "β1 < √β2 converges to x* = −2", cell=_cell(grid, 0.9, 0.999)),
            Target("adam", "analysis.inside_running_away", "above", 0.9, "oco.analyses.zhang: runs in the closed-form "
                   "region D < 0 (β2 > 0) run away"),
            Target("adam", "analysis.outside_not_running_away", "above", 0.95, "oco.analyses.zhang: runs outside it with "
                   "β1 < √β2 (β2 > 0) do not"),
        ),
    )


def _zhang_analysis(e: Experiment, out: Path) -> dict:
    """Per cell of the sweep: x_T, x at the checkpoint at or before T/10, whether the run ran away
    (``zhang.running_away``) and whether the closed form says it should (``zhang.divergence_region``);
    the fractions that agree, over the cells with β2 > 0 (at β2 = 0 Adam is sign descent with momentum, whose
    steps up to α_t·r(1 − β1)β1 leave the linear part within a pass, where the closed form does not hold)."""
    from .analyses import zhang
    from .plots import read_sweep_csv

    _, rows = read_sweep_csv(out / "sweep.csv")
    traces = io.read_npz(out / "traces.npz")
    t = np.asarray(traces["t"])
    k = int(np.searchsorted(t, e.T // 10, side="right")) - 1
    x_early = np.full(len(rows), np.nan)  # by the row of sweep.csv; traces.npz says which row each trace is
    x_early[np.asarray(traces["rows"], int)] = np.asarray(traces["x"])[k, :, 0]
    b1 = np.array([float(r["beta1"]) for r in rows])
    b2 = np.array([float(r["beta2"]) for r in rows])
    x_final = np.array([float(r["x_final"]) for r in rows])
    x_star = float(rows[0]["x_star"])
    with np.errstate(invalid="ignore"):
        away = zhang.running_away(x_final, x_early, 0.0, x_star)
    n = int(e.params["n"])
    a = 1.0 / (n - 1) ** 2
    inside = zhang.divergence_region(b1, b2, n, a)
    counted = b2 > 0
    outside = counted & ~inside & (b1 < np.sqrt(b2))
    return {
        "n": n, "a": a, "order": e.params["order"], "T": e.T, "t_early": int(t[k]), "x_1": 0.0, "x_star": x_star,
        "inside_running_away": float(away[counted & inside].mean()) if (counted & inside).any() else None,
        "outside_not_running_away": float((~away[outside]).mean()) if outside.any() else None,
        "cells_inside": int((counted & inside).sum()), "cells_running_away": int(away.sum()),
        "running_away": [[float(u), float(v)] for u, v in zip(b1[away], b2[away])],
    }


# Reddi et al. (2018) Theorems 2 and 3: a problem instance per (β1, β2), all with β1 < √β2
THM_BETAS = ((0.0, 0.5), (0.3, 0.6), (0.5, 0.8), (0.7, 0.9), (0.9, 0.99))
REDDI_PAPER = "Reddi, Kale & Kumar (ICLR 2018)"


def _betas_name(b1: float, b2: float) -> str:
    return f"beta1={b1:g}_beta2={b2:g}"


def reddi_thm2(T: int = 200_000, betas: tuple = THM_BETAS) -> Experiment:
    """Theorem 2: for each (β1, β2) the instance of the proof (the smallest even C of its conditions)."""
    from .problems.reddi import thm2_period

    parts, targets = [], []
    for b1, b2 in betas:
        C = thm2_period(b1, b2)
        T_C = C * max(2, round(T / C))  # whole periods: at +1, R_T = 2 per period exactly
        name = _betas_name(b1, b2)
        parts.append(Experiment(
            name=name, description=f"Theorem 2's instance for β1 = {b1:g}, β2 = {b2:g}: C = {C}",
            expected=f"Adam at +1, R_T/T → 2/C = {2 / C:.4g}", kind="run", problem="reddi-thm2",
            methods=("adam",), T=T_C, hypers={"alpha": 0.5, "beta1": b1, "beta2": b2, "schedule": "sqrt"},
            params={"beta1": b1, "beta2": b2}, checkpoint_every=C, figures=("overview",),
            title=f"Reddi et al. Theorem 2: β1 = {b1:g}, β2 = {b2:g}, C = {C}, α_t = 0.5/√t"))
        src = f"{REDDI_PAPER}, Theorem 2 (C = {C} from β1 = {b1:g}, β2 = {b2:g})"
        targets.append(Target("adam", "x_final", "near", 1.0, f"{src}: Adam at +1 (x_{{kC+1}} = 1 in the proof)",
                              tol=0.01, part=name))
        if T_C >= 500 * C:  # enough periods for R_t/t to be near its limit
            # from above: after each large gradient Adam dips below +1 for a few rounds, by ∝ α_t (measured at
            # T = 2·10⁵: R_T/T is 2/C + 0.6% at C = 20, + 3.5% at C = 82, + 9% at C = 204)
            targets.append(Target("adam", "avg_regret", "near", 2 / C, f"{src}: R_T/T → 2/C from above",
                                  tol=0.15 * 2 / C, part=name))
            targets.append(Target("adam", "late_avg_regret", "near", 2 / C, f"{src}: at +1 R_t grows by 2/C a "
                                  "round (second half)", tol=0.15 * 2 / C, part=name))
    return Experiment(
        name="reddi-thm2",
        description="Reddi et al. (2018) Theorem 2: Cx if t mod C = 1, else −x, C built from (β1, β2) by the "
                    "proof; Adam for several β1 < √β2",
        expected="for every (β1, β2) with β1 < √β2 Adam goes to +1 and R_t/t → 2/C (C = 20 … 3218), from above; "
                 "(0.9, 0.99), C = 3218, has too few periods (62) at T ≈ 2·10⁵ for R_t/t to settle",
        kind="group", problem="reddi-thm2", methods=("adam",), T=T, parts=tuple(parts), summary=_thm_summary,
        figures=("summary",), title="Reddi et al. Theorem 2: Adam at +1, R_t/t against 2/C",
        settings={"C": "the smallest even C satisfying the three conditions of the proof of Theorem 2 (Appendix "
                       "B; oco.problems.reddi.thm2_conditions)",
                  "step size": "α_t = α/√t as in the theorem; α = 0.5 is oco's choice (the theorem allows any α)",
                  "horizon": "whole periods near T; T is oco's choice", "x_1": "oco's default for the problem"},
        targets=tuple(targets),
    )


def reddi_thm3(T: int = 100_000, betas: tuple = THM_BETAS, seeds: int = 100, delta: float = 0.2) -> Experiment:
    """Theorem 3 (stochastic): C·x w.p. (1 + δ)/(C + 1), else −x, with Theorem 2's C for each (β1, β2)."""
    from .problems.reddi import thm2_period

    parts, targets = [], []
    for b1, b2 in betas:
        C = thm2_period(b1, b2)
        p = (1 + delta) / (C + 1)
        name = _betas_name(b1, b2)
        parts.append(Experiment(
            name=name, description=f"Theorem 3's problem for β1 = {b1:g}, β2 = {b2:g}: C = {C}, δ = {delta:g}",
            expected=f"Adam at +1, expected gap and R_T/T → 2δ = {2 * delta:g}", kind="run", problem="reddi-thm3",
            methods=("adam",), T=T, hypers={"alpha": 1.0, "beta1": b1, "beta2": b2, "schedule": "sqrt"},
            params={"C": float(C), "delta": delta}, seeds=seeds, figures=("overview",),
            title=f"Reddi et al. Theorem 3: β1 = {b1:g}, β2 = {b2:g}, C = {C}, δ = {delta:g}, α_t = 1/√t"))
        src = f"{REDDI_PAPER}, Theorem 3 (C = {C}, δ = {delta:g})"
        targets.append(Target("adam", "expected_gap", "near", 2 * delta, f"{src}: Adam at +1, F(1) − F(−1) = 2δ",
                              tol=0.02, part=name))
        # at +1, R_T/T = 2G_T/T with G_T/T → δ: its standard deviation is 2C√(p(1 − p)/T)
        sd = 2 * C * math.sqrt(p * (1 - p) / T)
        if sd <= 0.05:  # where R_T/T says something at this T (C = 20, 30 at T = 10⁵)
            targets.append(Target("adam", "avg_regret", "near", 2 * delta, f"{src}: R_T/T → 2δ (tolerance 0.05 "
                                  f"+ 3 standard deviations of 2G_T/T, {sd:.2g})", tol=0.05 + 3 * sd, part=name))
    return Experiment(
        name="reddi-thm3",
        description="Reddi et al. (2018) Theorem 3 (stochastic): Cx w.p. (1 + δ)/(C + 1), else −x; Adam for "
                    "several β1 < √β2",
        expected=f"E f = δx, x* = −1: Adam goes to +1 for every (β1, β2), expected gap 2δ = {2 * delta:g}; R_T/T "
                 "→ 2δ, within its noise (2C√(p(1 − p)/T): too large to say anything for C = 3218 at this T)",
        kind="group", problem="reddi-thm3", methods=("adam",), T=T, parts=tuple(parts), summary=_thm_summary,
        figures=("summary",), title="Reddi et al. Theorem 3: Adam at +1, R_t/t and the expected gap against 2δ",
        settings={"C": "oco's choice, as oco check's suite: Theorem 2's C for the same (β1, β2) (the proof of "
                       "Theorem 3 asks C to be large enough; its own conditions are not implemented)",
                  "delta": f"δ = {delta:g}: oco's choice (the theorem holds for small δ > 0)",
                  "step size": "α_t = 1/√t: α = 1 is oco's choice", "seeds": f"{seeds}, medians over them"},
        targets=tuple(targets),
    )


FACTORIES: dict[str, tuple[Callable[..., Experiment], dict[str, Any]]] = {
    "zhang-phase": (zhang_phase, {}),
    "zhang-n10": (zhang_divergence, {"n": 10}),
    "zhang-n50": (zhang_divergence, {"n": 50}),
    "reddi-thm2": (reddi_thm2, {}),
    "reddi-thm3": (reddi_thm3, {}),
}


def scaled(name: str, **sizes) -> Experiment:
    """The experiment NAME built with other sizes (``cells``, ``T``, …: the factory's arguments)."""
    if name not in FACTORIES:
        raise ValueError(f"{name!r} has no sizes to change; experiments that do: {', '.join(FACTORIES)}")
    factory, fixed = FACTORIES[name]
    return factory(**{**fixed, **sizes})


# ---------------------------------------------------------------- running them
def select(name: str) -> list[str]:
    if name == "all":
        return list(EXPERIMENTS)
    if name not in EXPERIMENTS:
        from .hints import did_you_mean

        raise ValueError(f"unknown experiment {name!r}{did_you_mean(name, EXPERIMENTS)}; "
                         f"known: {', '.join(EXPERIMENTS)}, all")
    return [name]


def targets(names: list[str], out: str | Path | None) -> dict[str, Path]:
    """Where each experiment writes: figures/NAME by default; with several, NAME under ``out``."""
    if out is not None and not str(out).strip():
        raise io.OutputError("--out is empty: name a folder")
    if len(names) == 1 and out is not None:
        return {names[0]: Path(out)}
    parent = Path(out) if out is not None else Path("figures")
    return {n: parent / n for n in names}


def prepare(name: str, out: Path, force: bool = False, backend: str = "numpy",
            experiment: Experiment | None = None) -> None:
    """Check the experiment's configuration (every part's, for a group) and its folder before anything is
    written. ``experiment``: a version of NAME to use instead (``scaled``)."""
    from .io import check_out_dir

    e = experiment or EXPERIMENTS[name]
    if not force:
        check_out_dir(out)
    elif out.exists() and not out.is_dir():
        raise io.OutputError(f"{out} exists and is not a folder")
    else:
        io.check_writable(out, "--out")
    for part in e.parts or (e,):
        part.resolve(backend)


def reproduce(name: str, out: Path, command: list[str] | None = None, fmt: str = "png",
              quiet: bool = False, backend: str = "numpy",
              experiment: Experiment | None = None) -> tuple[list[Path], float]:
    """Run the experiment into ``out`` and draw its figures; returns (figures, seconds). ``experiment``: a
    version of NAME to run instead (``scaled``). A group runs each part into ``out/PART`` (its own figures
    there), then draws its summary figures in ``out``."""
    from . import runs, sweeps
    from .plots import plot_folder
    from .progress import ProgressBar

    e = experiment or EXPERIMENTS[name]
    out = Path(out)
    if (out / sweeps.SHARDS).is_dir():  # --force: results of an earlier run are recomputed, not reused
        shutil.rmtree(out / sweeps.SHARDS)
    for stale in ("config.json", "manifest.json", "analysis.json"):
        if (out / stale).exists():
            (out / stale).unlink()
    start = time.monotonic()
    doc = {
        "name": e.name,
        "title": e.title,
        "description": e.description,
        "expected": e.expected,
        "command": f"oco reproduce {e.name}",
        "equivalent": e.command(str(out), backend),
        "figures": [f for f in e.figures if f != "heatmap"] or None,
        **({"settings": e.settings} if e.settings else {}),
        **({"parts": [p.name for p in e.parts]} if e.parts else {}),
        **({"overlays": list(e.overlays)} if e.overlays else {}),
    }
    out.mkdir(parents=True, exist_ok=True)
    io.write_json(out / "experiment.json", doc)
    extra = {"experiment": e.name}
    if e.parts:
        files = []
        for part in e.parts:
            files += reproduce(part.name, out / part.name, command, fmt, quiet, backend, experiment=part)[0]
        files = (e.summary(e, out, fmt) if e.summary else []) + files
    elif e.kind == "sweep":
        cfg = e.resolve(backend)
        with ProgressBar(sweeps.pending_rounds(cfg, out), e.name, enabled=not quiet) as bar:
            # the analysis reads every row's trace
            sweeps.run_sweep(cfg, out, command, bar, extra=extra,
                             traces="all" if e.analyze else None)
    else:
        cfg = e.resolve(backend)
        with ProgressBar(cfg.T * len(cfg.methods), e.name, enabled=not quiet) as bar:
            results = runs.execute(cfg, bar)
        runs.write_folder(out, cfg, results, command, extra=extra)
    if not e.parts:
        analysis = e.analyze(e, out) if e.analyze else {}
        if analysis:
            io.write_json(out / "analysis.json", analysis)
        files = plot_folder(out, fmt)
    seconds = time.monotonic() - start
    doc["seconds"] = round(seconds, 1)
    io.write_json(out / "experiment.json", doc)
    return files, seconds


# ---------------------------------------------------------------- numeric targets
def measured(out: Path, target: Target) -> float | None:
    """The quantity a target names, from the experiment's folder (results.json or sweep.csv; a group's part:
    its folder): the median over seeds; None where it is not there."""
    out = Path(out) / target.part if target.part else Path(out)
    if target.quantity.startswith("analysis."):
        got = io.read_json(out / "analysis.json").get(target.quantity.split(".", 1)[1])
        return None if got is None else float(got)
    if target.quantity == "late_avg_regret":
        return _late_avg_regret(out, target.method)
    if (out / "sweep.csv").exists():
        from .plots import read_sweep_csv

        _, rows = read_sweep_csv(out / "sweep.csv")
        vals = [float(r[target.quantity]) for r in rows if r["method"] == target.method
                and all(math.isclose(float(r[k]), v) for k, v in target.cell)]
    else:
        runs = io.read_json(out / "results.json")["runs"]
        vals = [r[target.quantity][0] if isinstance(r[target.quantity], list) else r[target.quantity]
                for r in runs if r["method"] == target.method and r.get(target.quantity) is not None]
    return statistics.median(vals) if vals else None


def _late_avg_regret(out: Path, method: str) -> float | None:
    """(R_T − R_s)/(T − s), s the last checkpoint at or before T/2, from the run's traces (median over seeds)."""
    cfg = io.read_json(out / "config.json")
    stems = [io.method_stem(m["name"], m["convention"]) for m in cfg["methods"] if m["name"] == method]
    if not stems:
        return None
    tr = io.read_npz(out / "traces" / f"{stems[0]}.npz")
    t, avg = np.asarray(tr["t"], float), np.asarray(tr["avg_regret"], float).reshape(len(tr["t"]), -1)
    T = t[-1]
    k = int(np.searchsorted(t, T / 2, side="right")) - 1
    if k < 0 or t[k] >= T:
        return None
    late = (avg[-1] * T - avg[k] * t[k]) / (T - t[k])
    return float(np.median(late))


def check_targets(name: str, out: Path, experiment: Experiment | None = None
                  ) -> list[tuple[Target, float | None, bool]]:
    """Each target of the experiment (or of ``experiment``, a version of it), what the folder measured, and
    whether it passes."""
    e = experiment or EXPERIMENTS[name]
    return [(t, got, t.passes(got)) for t in e.targets for got in [measured(out, t)]]


# ---------------------------------------------------------------- the figures of a group
def _thm_summary(e: Experiment, out: Path, fmt: str) -> list[Path]:
    """Reddi's Theorems 2 and 3 over all their (β1, β2): R_t/t of each run (median over seeds) against its
    failure level (2/C; 2δ), and on the right R_t/t over 2/C (Theorem 2: x_t = +1 at every checkpoint, the
    period's ends) or the expected gap F(x_t) − F(x*) against 2δ (Theorem 3)."""
    import matplotlib.pyplot as plt

    from .plots import load_run, median_band, save_figure

    stochastic = e.problem == "reddi-thm3"
    fig, axes = plt.subplots(1, 2, figsize=(12.4, 4.6), layout="constrained")
    colors = plt.get_cmap("tab10")
    for i, part in enumerate(e.parts):
        s = load_run(out / part.name)["series"][0]
        C = io.read_json(out / part.name / "config.json")["problem"]["params"]["C"]
        label = f"β1 = {part.hypers['beta1']:g}, β2 = {part.hypers['beta2']:g}, C = {int(C)}"
        with np.errstate(invalid="ignore", divide="ignore"):
            # on the log axis: R_t/t where positive (before the transient ends it is not)
            avg = np.where(s["avg_regret"] > 0, s["avg_regret"], np.nan)
        median_band(axes[0], s["t"], avg, label, colors(i % 10))
        if stochastic:
            median_band(axes[1], s["t"], s["expected_gap"], label, colors(i % 10))
        else:
            axes[0].axhline(2.0 / C, color=colors(i % 10), ls="--", lw=1)
            median_band(axes[1], s["t"], s["avg_regret"] * C / 2, label, colors(i % 10))
    level = 2 * e.parts[0].params["delta"] if stochastic else 1.0
    for ax in axes[1:] if not stochastic else axes:
        ax.axhline(level, color="black", ls="--", lw=1.2, label=f"2δ = {level:g}" if stochastic else "2/C")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("round t")
        ax.grid(True, alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("R_t / t" + ("" if stochastic else "  (dashed: 2/C)"))
    axes[0].set_title("average regret (where positive) and the failure level")
    if stochastic:
        axes[1].set_ylabel("F(x_t) − F(x*)")
        axes[1].set_title("expected gap: Adam at +1")
    else:
        axes[1].set_ylabel("(R_t / t) / (2/C)")
        axes[1].set_ylim(0.0, 2.0)
        axes[1].set_title("R_t/t over its failure level (x_t = +1 at every period's end)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.suptitle(e.title, fontsize=11)
    sidecar = {
        "shows": "R_t/t of Adam for each (β1, β2) against its failure level, and "
                 + ("the expected gap against 2δ" if stochastic else "R_t/t divided by 2/C"),
        "data": [f"{p.name}/traces/adam-paper.npz" for p in e.parts],
        "reproduce": f"oco reproduce {e.name}",
        "equivalent": e.command(str(out)),
        **({"paper_settings": e.settings} if e.settings else {}),
    }
    path = save_figure(fig, out, "summary", fmt, sidecar)
    plt.close(fig)
    return [path]


for _name, (_factory, _fixed) in FACTORIES.items():  # registered last: their figures are defined above
    _add(_factory(**_fixed))
