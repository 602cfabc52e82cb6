"""The papers' experiments, by name: ``oco reproduce NAME`` runs one end to end and writes its figures, each
with a JSON sidecar that says how to make it again.

An experiment is nothing but a run or a sweep with fixed options (the same ``oco.config.resolve`` the
command line uses), a title and the figures to draw; ``Experiment.command()`` is the equivalent
``oco run``/``oco sweep`` command line. Settings follow the papers where they state them; where a choice
was ours (α, T, the number of seeds) the description says so. Each runs in about a minute or less on two
cores with the NumPy engine (≈ 45 µs a round, nearly independent of the batch size).
"""

from __future__ import annotations

import math
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import io

REDDI = {"alpha": 0.5, "beta1": 0.9, "beta2": 0.99, "schedule": "sqrt"}


@dataclass(frozen=True)
class Target:
    """A number the experiment must reproduce: ``quantity`` of ``method`` (the median over seeds; in a sweep,
    of the grid cell ``cell``) is ``value`` ± ``tol`` (op "near") or at most ``value`` (op "below")."""

    method: str
    quantity: str  # avg_regret | x_final | expected_gap | dist_x_star | lr_min | lr_max
    op: str  # near | below
    value: float
    source: str
    tol: float = 0.0
    cell: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        where = f" at {', '.join(f'{k} = {v:g}' for k, v in self.cell)}" if self.cell else ""
        goal = f"{self.value:.4g} ± {self.tol:.2g}" if self.op == "near" else f"≤ {self.value:.4g}"
        return f"{self.method}{where}: {self.quantity} {goal} ({self.source})"

    def passes(self, got: float | None) -> bool:
        if got is None or not math.isfinite(got):
            return False
        return abs(got - self.value) <= self.tol if self.op == "near" else got <= self.value


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

    def resolve(self, backend: str = "numpy"):
        from .config import resolve

        named = {k: v for k, v in self.hypers.items() if k in ("alpha", "beta1", "beta2", "eps", "schedule")}
        other = {k: v for k, v in self.hypers.items() if k not in named}
        return resolve(
            self.kind, self.problem, list(self.methods), T=self.T, hypers=named, sets={**other, **self.sets},
            params=self.params, x0=self.x0, seeds=self.seeds, checkpoints=self.checkpoints,
            checkpoint_every=self.checkpoint_every, grid=self.grid, backend=backend,
        )

    def command(self, out: str | None = None, backend: str = "numpy") -> str:
        """The equivalent ``oco run``/``oco sweep`` command line."""
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
             "slowly (the rare 1010 keeps its v̂ large); median and 10%–90% band over 10 seeds. α = 1 is our "
             "choice: AMSGrad gets closer to −1 within T than with 0.5",
    kind="run", problem="reddi-stochastic", methods=("adam", "amsgrad"), T=500_000,
    hypers={**REDDI, "alpha": 1.0}, seeds=10,
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
             "coordinate's rate to final_lr = 0.1 (γ = 1 − β2 = 0.001); 5 seeds, medians over seeds",
    kind="run", problem="sparse-gradients", methods=("adam", "adabound", "amsgrad"), T=20_000,
    hypers={"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "schedule": "const"}, seeds=5,
    figures=("lr", "overview", "regret"),
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
             "ADOPT converges to −1; median and 10%–90% band over 10 seeds",
    kind="run", problem="adopt-toy", methods=("adam", "amsgrad", "adopt"), T=100_000, params={"k": 10.0},
    hypers={"alpha": 0.1, "beta1": 0.9, "beta2": 0.9, "schedule": "sqrt"}, seeds=10,
    title="ADOPT toy (k = 10): f_t = k²x w.p. 1/k else −kx;  β1 = 0.9, β2 = 0.9, α_t = 0.1/√t",
    targets=(
        Target("adam", "expected_gap", "near", 2.0, "Taniguchi et al. 2024: Adam fails at small β2 (at +1, gap 2)",
               tol=0.05),
        Target("adopt", "expected_gap", "below", 0.05, "Taniguchi et al. 2024: ADOPT converges to x* = −1"),
    ),
))
_add(Experiment(
    name="zhang-phase",
    description="β1 × β2 phase diagram of Adam on Reddi's online problem (in the spirit of Zhang et al. 2022)",
    expected="for β2 up to 0.999 Adam ends at +1 (distance 2 from x* = −1, R_T/T near 20/101) unless β1 = 0.99 "
             "averages over the whole period; for β2 >= 0.99999 it comes back to x* for every β1 — Zhang et al.'s "
             "large-β2 regime, where β1 < √β2 holds; the curve β1 = √β2 is drawn",
    kind="sweep", problem="reddi-online", methods=("adam",), T=500_000,
    hypers={"alpha": 0.5, "schedule": "sqrt"},
    grid={"beta1": [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99],
          "beta2": [0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999]},
    checkpoints=50, figures=("heatmap",),
    title="Adam on reddi-online (1010x / −10x, period 101): α_t = 0.5/√t",
    targets=(
        Target("adam", "dist_x_star", "near", 2.0, "Reddi et al. 2018, Figure 1's setting: Adam at +1", tol=0.05,
               cell=(("beta1", 0.9), ("beta2", 0.99))),
        Target("adam", "dist_x_star", "below", 0.05, "Zhang et al. 2022: large β2 (β1 < √β2) converges",
               cell=(("beta1", 0.9), ("beta2", 0.999999))),
    ),
))


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


def prepare(name: str, out: Path, force: bool = False, backend: str = "numpy") -> None:
    """Check the experiment's configuration and its folder before anything is written."""
    from . import runs, sweeps
    from .io import check_out_dir

    e = EXPERIMENTS[name]
    if not force:
        check_out_dir(out)
    elif out.exists() and not out.is_dir():
        raise io.OutputError(f"{out} exists and is not a folder")
    else:
        io.check_writable(out, "--out")
    cfg = e.resolve(backend)
    (sweeps.validate if e.kind == "sweep" else runs.validate)(cfg)


def reproduce(name: str, out: Path, command: list[str] | None = None, fmt: str = "png",
              quiet: bool = False, backend: str = "numpy") -> tuple[list[Path], float]:
    """Run the experiment into ``out`` and draw its figures; returns (figures, seconds)."""
    from . import runs, sweeps
    from .plots import plot_folder
    from .progress import ProgressBar

    e = EXPERIMENTS[name]
    cfg = e.resolve(backend)
    out = Path(out)
    if (out / sweeps.SHARDS).is_dir():  # --force: results of an earlier run are recomputed, not reused
        shutil.rmtree(out / sweeps.SHARDS)
    for stale in ("config.json", "manifest.json"):
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
    }
    out.mkdir(parents=True, exist_ok=True)
    io.write_json(out / "experiment.json", doc)
    extra = {"experiment": e.name}
    if e.kind == "sweep":
        with ProgressBar(sweeps.pending_rounds(cfg, out), e.name, enabled=not quiet) as bar:
            sweeps.run_sweep(cfg, out, command, bar, fmt, plot=False, extra=extra)
    else:
        with ProgressBar(cfg.T * len(cfg.methods), e.name, enabled=not quiet) as bar:
            results = runs.execute(cfg, bar)
        runs.write_folder(out, cfg, results, command, fmt, plot=False, extra=extra)
    seconds = time.monotonic() - start
    doc["seconds"] = round(seconds, 1)
    io.write_json(out / "experiment.json", doc)
    return plot_folder(out, fmt), seconds


# ---------------------------------------------------------------- numeric targets
def measured(out: Path, target: Target) -> float | None:
    """The quantity a target names, from the experiment's folder (results.json or sweep.csv): the median over
    seeds; None where it is not there."""
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


def check_targets(name: str, out: Path) -> list[tuple[Target, float | None, bool]]:
    """Each target of the experiment, what the folder measured, and whether it passes."""
    return [(t, got, t.passes(got)) for t in EXPERIMENTS[name].targets for got in [measured(out, t)]]
