"""Figures from a run or sweep folder (matplotlib, no display needed: figures are drawn on ``Figure``
objects and saved, never shown).

Runs: the average regret R_t/t against t (log t) for every method, with the problem's closed-form failure
level; the iterate x_t against t; the effective learning rate α_t/√v_t over time (min, median, max over
coordinates); for stochastic problems the expected-loss gap F(x_t) − F(x*). Several seeds are drawn as a
median line and a 10%–90% quantile band.

Sweeps: heat maps over two grid axes of R_T/T and of ‖x_T − x*‖ (median over seeds), diverged cells hatched
grey with a legend entry, and the curve β1 = √β2 when the axes are β1 and β2.

Every figure gets a sidecar ``NAME.json`` saying what it shows and how to make it again. The run figures of
in-memory Results (``Result.plot``, ``plot_results``) are drawn by the same code, from the same data
(``run_data``: a configuration and the traces a run folder stores).
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import io
from .result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf")
BAND = (0.1, 0.9)
DPI = 130


def _figure(ncols: int = 1, width: float = 6.4, height: float = 4.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def median_band(ax, t: np.ndarray, Y: np.ndarray, label: str, color, band: tuple = BAND, **kw) -> np.ndarray:
    """Y (K, B): one line when B = 1, else the median over the B runs and a quantile band. Returns the line."""
    Y = np.asarray(Y, float).reshape(len(t), -1)
    if Y.shape[1] == 1:
        ax.plot(t, Y[:, 0], color=color, label=label, **kw)
        return Y[:, 0]
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(Y, axis=1)
            lo, hi = np.nanquantile(Y, band, axis=1)
    ax.plot(t, med, color=color, label=f"{label} (median of {Y.shape[1]})", **kw)
    ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
    return med


def _y_scale(ax, lines: np.ndarray) -> None:
    """Log scale when the lines (medians) are positive and span decades (a band below 0 is clipped);
    symmetric log when they change sign and span decades; linear otherwise."""
    v = np.asarray(lines, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return
    if v.min() > 0 and v.max() / v.min() > 30:
        ax.set_yscale("log")
        # a checkpoint where R_t happens to be ~0 would stretch the axis over many empty decades
        ax.set_ylim(bottom=max(v.min(), float(np.quantile(v, 0.01))) / 2)
    elif v.min() <= 0 and np.abs(v).max() > 30 * max(np.median(np.abs(v)), 1e-12):
        ax.set_yscale("symlog", linthresh=max(np.quantile(np.abs(v[v != 0]), 0.1) if np.any(v) else 1.0, 1e-9))


# ---------------------------------------------------------------- run figures
def run_data(config: dict, traces: list[dict[str, np.ndarray]], experiment: dict | None = None) -> dict:
    """What the run figures draw: ``config`` (config.json's document, or ``results_config``'s), per method its
    label and its traces (``oco.runs.traces``: what traces/NAME.npz holds), and the experiment, if any."""
    series = [{"label": m["label"], "stem": io.method_stem(m["name"], m["convention"]), **tr}
              for m, tr in zip(config["methods"], traces)]
    return {"config": config, "series": series, "experiment": experiment or {}}


def load_run(path: str | Path) -> dict:
    """config.json, the traces and experiment.json of a run folder, as ``run_data``."""
    path = Path(path)
    cfg = load_config(path)
    traces = [io.load_npz(path / "traces" / f"{io.method_stem(m['name'], m['convention'])}.npz", TRACE_KEYS)
              for m in cfg["methods"]]
    return run_data(cfg, traces, load_experiment(path))


# ---------------------------------------------------------------- reading a folder, checked
TRACE_KEYS = ("t", "avg_regret", "x", "lr_quantiles")
# what the figures read from config.json: key → type, for the document, each method and the problem
CONFIG_KEYS = {"kind": str, "problem": dict, "T": int, "seeds": list, "methods": list}
METHOD_KEYS = {"name": str, "convention": str, "label": str, "hyperparameters": dict, "sources": dict}
PROBLEM_KEYS = {"spec": str, "params": dict}


def load_config(path: Path) -> dict:
    """A folder's config.json, checked for what the figures read; a FolderError names what is wrong."""
    f = path / "config.json"
    doc = io.load_json(f)
    if not isinstance(doc, dict):
        raise io.FolderError(f"{f} holds a JSON {type(doc).__name__}, not an oco configuration (an object)")
    _check_keys(doc, CONFIG_KEYS, f, "")
    if doc["kind"] not in ("run", "sweep"):
        raise io.FolderError(f"{f}: kind is {doc['kind']!r}; expected 'run' or 'sweep'")
    _check_keys(doc["problem"], PROBLEM_KEYS, f, "problem.")
    if not doc["methods"]:
        raise io.FolderError(f"{f}: methods is empty")
    for i, m in enumerate(doc["methods"]):
        if not isinstance(m, dict):
            raise io.FolderError(f"{f}: methods[{i}] is not an object")
        _check_keys(m, METHOD_KEYS, f, f"methods[{i}].")
    if not doc["seeds"]:
        raise io.FolderError(f"{f}: seeds is empty")
    if doc["kind"] == "sweep":
        grid = doc.get("grid")
        if not isinstance(grid, dict) or not grid or not all(isinstance(v, list) and v for v in grid.values()):
            raise io.FolderError(f"{f}: grid must map each axis to a non-empty list of values")
    return doc


def _check_keys(doc: dict, keys: dict, f: Path, where: str) -> None:
    for k, kind in keys.items():
        if k not in doc:
            raise io.FolderError(f"{f}: {where}{k} is missing")
        if not isinstance(doc[k], kind) or isinstance(doc[k], bool):
            raise io.FolderError(f"{f}: {where}{k} is {_short(doc[k])}, not a JSON {kind.__name__}")


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:39] + "…"


def load_experiment(path: Path) -> dict:
    """experiment.json of a folder made by ``oco reproduce`` ({} when there is none)."""
    f = path / "experiment.json"
    if not f.exists():
        return {}
    exp = io.load_json(f)
    if not isinstance(exp, dict):
        raise io.FolderError(f"{f} holds a JSON {type(exp).__name__}, not an object")
    return exp


def results_config(results: list[Result]) -> dict:
    """The part of a run's config.json that the run figures read, made from in-memory Results of one problem
    and horizon. A Result does not know where its hyperparameters came from: the title names those shared by
    every configuration that differ from the method's default."""
    first = results[0]
    same = (first.problem, first.problem_params, first.T)
    if any((r.problem, r.problem_params, r.T) != same for r in results):
        raise ValueError("results drawn together must share the problem, its parameters and T")
    from oco.problems import PROBLEMS, get_problem

    failure = None
    if first.problem in PROBLEMS:  # a problem made from a file is not: it has no closed-form level
        failure = getattr(get_problem(first.problem, **first.problem_params), "failure_level", None)
    several_conventions = len({r.convention for r in results}) > 1
    return {
        "kind": "run",
        "problem": {"spec": first.problem, "name": first.problem, "params": first.problem_params,
                    "failure_level": failure},
        "T": first.T,
        "seeds": sorted({int(s) for r in results for s in r.seeds}),
        "methods": [_method_entry(r, several_conventions) for r in results],
    }


def _method_entry(r: Result, several_conventions: bool) -> dict:
    """A config.json method entry for a Result: hyperparameters shared by its batch (None where they vary)."""
    from .methods import registry

    table_row = registry().get(f"{r.method}:{r.convention}")  # a user's or a foreign method: every value is "user"
    defaults = {k: h.default for k, h in table_row.hypers.items()} if table_row is not None else {}
    rows = [r.param_row(i) for i in range(r.batch)]
    shared = {k: (v if all(row[k] == v for row in rows) else None) for k, v in rows[0].items()}
    sources = {k: "default" if v is None or (k in defaults and v == defaults[k]) else "user"
               for k, v in shared.items()}
    return {
        "name": r.method,
        "convention": r.convention,
        "label": f"{r.method} ({r.convention})" if several_conventions else r.method,
        "hyperparameters": shared,
        "sources": sources,
    }


def _title(cfg: dict, exp: dict) -> str:
    """An experiment's own title with T and the number of seeds, or one made from the configuration."""
    if not exp.get("title"):
        return default_title(cfg)
    seeds = len(cfg["seeds"])
    return f"{exp['title']};  T = {cfg['T']:,}" + (f", {seeds} seeds" if seeds > 1 else "")


def default_title(cfg: dict) -> str:
    """Problem and the hyperparameters every method shares, e.g. 'reddi-online · β1=0.9, β2=0.99, α/√t'."""
    shared = None
    for m in cfg["methods"]:
        items = {k: v for k, v in m["hyperparameters"].items()
                 if m["sources"].get(k) in ("user", "suggested", "grid")}
        shared = items if shared is None else {k: v for k, v in shared.items() if items.get(k) == v}
    shared = shared or {}
    parts = []
    names = {"alpha": "α", "beta1": "β1", "beta2": "β2", "eps": "ε"}
    alpha, sched = shared.pop("alpha", None), shared.pop("schedule", None)
    if alpha is not None:
        parts.append(f"α_t = {alpha:g}/√t" if sched == "sqrt" else f"α = {alpha:g}")
    elif sched:
        parts.append(f"schedule {sched}")
    for k, v in shared.items():
        if v is None:
            continue
        parts.append(f"{names.get(k, k)} = {v:g}" if isinstance(v, float) else f"{names.get(k, k)} = {v}")
    prob = cfg["problem"]
    pp = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in prob["params"].items())
    head = prob["spec"] + (f" ({pp})" if pp and len(pp) < 40 else "")
    seeds = len(cfg["seeds"])
    tail = f"T = {cfg['T']:,}" + (f", {seeds} seeds" if seeds > 1 else "")
    return f"{head}: " + ", ".join(parts + [tail]) if parts else f"{head}: {tail}"


def undefined_reason(s: dict) -> str:
    """Why a method's R_t/t has no finite value to draw."""
    if np.all(np.asarray(s.get("diverged", False))):
        return "it diverged (its iterate or loss stopped being finite)"
    if not np.all(np.isfinite(np.asarray(s.get("x_star", 0.0), float))):
        return "the best fixed point is at infinity (the losses are unbounded below on F), so R_t = +∞"
    return "R_t/t is not finite"


def _time_axis(ax, series: list[dict]) -> None:
    """log t from the first to the last checkpoint, also when nothing finite is drawn."""
    t = np.concatenate([np.asarray(s["t"], float) for s in series])
    ax.set_xlim(t.min(), max(t.max(), t.min() + 1))
    ax.set_xscale("log")


def _legend(ax, fontsize: int = 9) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=fontsize)


def _note(ax, lines: list[str]) -> None:
    if lines:
        ax.text(0.02, 0.02, "\n".join(lines), transform=ax.transAxes, fontsize=8, va="bottom", color="crimson",
                wrap=True)


def regret_axes(ax, data: dict) -> None:
    cfg, series = data["config"], data["series"]
    colors = _colors(len(series))
    allv, notes = [], []
    for s, c in zip(series, colors):
        if not np.isfinite(np.asarray(s["avg_regret"], float)).any():
            notes.append(f"{s['label']}: not drawn, {undefined_reason(s)}")
            continue
        n_div = int(np.sum(np.asarray(s.get("diverged", False))))
        if n_div:
            notes.append(f"{s['label']}: {n_div} configuration{'s' * (n_div > 1)} diverged; drawn until then")
        allv.append(median_band(ax, s["t"], s["avg_regret"], s["label"], c)[1:])  # R_1 is often exactly 0
    _note(ax, notes)
    fl = cfg["problem"].get("failure_level")
    if fl is not None:
        ax.axhline(fl, color="0.3", ls="--", lw=1, label=f"failure level {fl:.4g} (closed form)")
        allv.append(np.array([fl]))
    ax.axhline(0, color="0.6", lw=0.6)
    _time_axis(ax, series)
    if allv:
        _y_scale(ax, np.concatenate(allv))
    ax.set_xlabel("round t")
    ax.set_ylabel("average regret  R_t / t")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)


def iterate_axes(ax, data: dict) -> None:
    series = data["series"]
    colors = _colors(len(series))
    d = series[0]["x"].shape[-1]
    if d == 1:
        for s, c in zip(series, colors):
            median_band(ax, s["t"], s["x"][..., 0], s["label"], c)
        if "x_opt" in series[0]:  # stochastic: the minimizer of E f; x* in hindsight varies with the seed
            ax.axhline(float(series[0]["x_opt"].reshape(-1)[0]), color="k", ls=":", lw=1.2,
                       label="x* = argmin of the expected loss")
        else:
            xs = np.unique(np.round(series[0]["x_star"][:, 0], 12))
            for i, v in enumerate(xs[np.isfinite(xs)]):
                ax.axhline(v, color="k", ls=":", lw=1.2, label="x* (best fixed point in hindsight)" if i == 0 else None)
        ax.set_ylabel("iterate  x_t")
    else:
        for s, c in zip(series, colors):
            dist = np.linalg.norm(s["x"] - s["x_star"][None], axis=-1)
            median_band(ax, s["t"], dist, s["label"], c)
        ax.set_ylabel("‖x_t − x*‖₂  (x* at T)")
    _time_axis(ax, series)
    ax.set_xlabel("round t")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)


def lr_axes(ax, data: dict, only: int | None = None) -> None:
    """The effective learning rate α_t/√v_t: one line per method in 1-D; with d > 1 (``only`` = a method's
    index) the median coordinate with bands over coordinates (10%–90% and min–max), medians over seeds."""
    series = data["series"]
    colors = _colors(len(series))
    allv = []
    for i, (s, c) in enumerate(zip(series, colors)):
        if only is not None and i != only:
            continue
        q = np.asarray(s["lr_quantiles"])  # (K, B, Q): quantiles over coordinates
        levels = [float(v) for v in np.asarray(s["lr_quantile_levels"])]
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                qq = {lv: np.nanmedian(np.where(np.isfinite(q[..., k]), q[..., k], np.nan), axis=1)
                      for k, lv in enumerate(levels)}  # median over seeds
        if s["x"].shape[-1] == 1:
            ax.plot(s["t"], qq[0.5], color=c, label=s["label"])
        else:
            ax.fill_between(s["t"], qq[0.0], qq[1.0], color=c, alpha=0.15, lw=0, label="min – max over coordinates")
            if 0.1 in qq and 0.9 in qq:
                ax.fill_between(s["t"], qq[0.1], qq[0.9], color=c, alpha=0.35, lw=0, label="10% – 90%")
            ax.plot(s["t"], qq[0.5], color=c, label=f"{s['label']}: median coordinate")
        allv.append(np.concatenate([v[1:].ravel() for v in qq.values()]))  # ADOPT takes no step at t = 1
    _time_axis(ax, series)
    _y_scale(ax, np.concatenate(allv))
    ax.set_xlabel("round t")
    ax.set_ylabel("effective learning rate  α_t / √v_t")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)


def gap_axes(ax, data: dict) -> None:
    colors = _colors(len(data["series"]))
    notes = []
    for s, c in zip(data["series"], colors):
        if not np.isfinite(np.asarray(s["expected_gap"], float)).any():
            notes.append(f"{s['label']}: not drawn, {undefined_reason(s)}")
            continue
        median_band(ax, s["t"], s["expected_gap"], s["label"], c)
    _note(ax, notes)
    _time_axis(ax, data["series"])
    ax.set_xlabel("round t")
    ax.set_ylabel("expected-loss gap  F(x_t) − F(x*)")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)


RUN_FIGURES = {
    "regret": ("average regret R_t/t against t (log t), with the closed-form failure level", [regret_axes]),
    "iterate": ("the iterate x_t against t (log t) and the best fixed point x*", [iterate_axes]),
    "lr": ("the effective learning rate α_t/√v_t over time (min, median, max over coordinates)", [lr_axes]),
    "gap": ("the expected-loss gap F(x_t) − F(x*) of a stochastic problem", [gap_axes]),
    "overview": ("average regret and iterate side by side", [regret_axes, iterate_axes]),
}


def plot_run(path: str | Path, fmt: str = "png", names: list[str] | None = None) -> list[Path]:
    path = Path(path)
    data = load_run(path)
    exp = data["experiment"]
    names = names or exp.get("figures") or ["overview", "regret", "iterate", "lr"]
    stochastic = "expected_gap" in data["series"][0]
    if stochastic and "gap" not in names:
        names = [*names, "gap"]
    out = []
    for name in names:
        if name == "gap" and not stochastic:
            continue
        fig, what = run_figure(data, name)
        out.append(_save(fig, path, name, fmt, what, data["config"], exp))
    return out


def run_figure(data: dict, name: str) -> tuple[Figure, str]:
    """The run figure ``name`` (a key of RUN_FIGURES) drawn from ``data`` (``load_run`` or ``run_data``):
    the Figure and the sentence saying what it shows."""
    if name not in RUN_FIGURES:
        raise ValueError(f"unknown figure {name!r}; choose from {', '.join(RUN_FIGURES)}")
    stochastic = "expected_gap" in data["series"][0]
    if name == "gap" and not stochastic:
        raise ValueError("the gap figure needs a stochastic problem (one with an expected loss)")
    what, panels = RUN_FIGURES[name]
    if name == "overview" and stochastic:
        what, panels = "average regret, expected-loss gap and iterate side by side", [
            regret_axes, gap_axes, iterate_axes]
    if name == "lr" and data["series"][0]["x"].shape[-1] > 1:  # one panel per method, shared axes
        n = len(data["series"])
        panels = [lambda ax, data, i=i: lr_axes(ax, data, only=i) for i in range(n)]
    fig, axes = _figure(len(panels), width=6.4 if len(panels) < 3 else 5.2)
    for ax, draw in zip(axes, panels):
        draw(ax, data)
    if name == "lr" and len(axes) > 1:
        lo = min(a.get_ylim()[0] for a in axes)
        hi = max(a.get_ylim()[1] for a in axes)
        for a in axes:
            a.set_ylim(lo, hi)
    fig.suptitle(_wrap(_title(data["config"], data["experiment"]), 75 * len(panels)), fontsize=11)
    return fig, what


def plot_results(results: Result | list[Result], kind: str = "overview") -> Figure:
    """The run figure ``kind`` of in-memory Results (one per method, as ``oco run`` draws them), drawn by the
    code that draws a run folder's figures; returns the matplotlib Figure."""
    from .runs import traces

    results = [results] if isinstance(results, Result) else list(results)
    if not results:
        raise ValueError("plot_results needs at least one Result")
    return run_figure(run_data(results_config(results), [traces(r) for r in results]), kind)[0]


def _wrap(title: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) if len(title) > width else title


# ---------------------------------------------------------------- sweep figures
def read_sweep_csv(path: str | Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def load_sweep_rows(path: Path, cfg: dict) -> list[dict]:
    """sweep.csv's rows, checked for what the heat maps read: the columns, each row's method and grid values
    (values of config.json's grid), numbers where numbers belong. A FolderError names the line."""
    f = path / "sweep.csv"
    try:
        columns, rows = read_sweep_csv(f)
    except FileNotFoundError:
        raise io.FolderError(f"{path} has no sweep.csv yet (an unfinished sweep? run it with --resume)") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise io.FolderError(f"{f} cannot be read ({type(e).__name__})") from None
    grid = cfg["grid"]
    need = [*grid, "method", "avg_regret", "dist_x_star", "diverged"]
    missing = [c for c in need if c not in columns]
    if missing:
        raise io.FolderError(f"{f}: no column {', '.join(missing)} (is it a sweep.csv of oco?)")
    methods = {m["name"] for m in cfg["methods"]}
    values = {k: {_key(v) for v in vs} for k, vs in grid.items()}
    for line, row in enumerate(rows, 2):
        if None in row or None in row.values():
            raise io.FolderError(f"{f}: line {line} has {'more' if None in row else 'fewer'} cells than columns")
        if row["method"] not in methods:
            raise io.FolderError(f"{f}: line {line}: method {_short(row['method'])} is not in config.json")
        for k in grid:
            if row[k] not in values[k]:
                raise io.FolderError(f"{f}: line {line}: {k} = {_short(row[k])} is not a value of the grid")
        for k in ("avg_regret", "dist_x_star"):
            try:
                float(row[k])
            except ValueError:
                raise io.FolderError(f"{f}: line {line}: {k} = {_short(row[k])} is not a number") from None
        if row["diverged"] not in ("true", "false"):
            raise io.FolderError(f"{f}: line {line}: diverged = {_short(row['diverged'])} is not true or false")
    return rows


def _axis_values(values: list) -> list:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return list(values)


def _key(v) -> str:
    """How a grid value reads back from the CSV, for matching rows to cells."""
    return io.fmt_cell(v)


def sweep_cells(rows: list[dict], method: str, xname: str, xs: list, yname: str | None, ys: list,
                fixed: dict) -> dict[str, np.ndarray]:
    """Median R_T/T and ‖x_T − x*‖ over seeds per cell (ny, nx), and whether any seed diverged."""
    ny = len(ys) if yname else 1
    reg = np.full((ny, len(xs)), np.nan)
    dist = np.full((ny, len(xs)), np.nan)
    div = np.zeros((ny, len(xs)), bool)
    missing = np.zeros((ny, len(xs)), bool)
    xi = {_key(v): i for i, v in enumerate(xs)}
    yi = {_key(v): i for i, v in enumerate(ys)} if yname else None
    groups: dict[tuple, list] = {}
    for row in rows:
        if row["method"] != method or any(row[k] != _key(v) for k, v in fixed.items()):
            continue
        i = xi[row[xname]]
        j = yi[row[yname]] if yname else 0
        groups.setdefault((j, i), []).append(row)
    for (j, i), rs in groups.items():
        d = np.array([r["diverged"] == "true" for r in rs])
        div[j, i] = d.any()
        if not d.any():
            reg[j, i] = _median([float(r["avg_regret"]) for r in rs])
            dist[j, i] = _median([float(r["dist_x_star"]) for r in rs])
    for j in range(ny):
        for i in range(len(xs)):
            missing[j, i] = (j, i) not in groups
    return {"avg_regret": reg, "dist_x_star": dist, "diverged": div, "missing": missing}


def _median(values: list) -> float:
    return values[0] if len(values) == 1 else float(np.median(values))


def _norm(Z: np.ndarray):
    from matplotlib.colors import LogNorm, Normalize, SymLogNorm

    v = Z[np.isfinite(Z)]
    if v.size == 0:
        return Normalize(0, 1)
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        return Normalize(lo - 0.5, hi + 0.5)
    if lo > 0 and hi / lo > 50:
        return LogNorm(lo, hi)
    if lo < 0 < hi and max(-lo, hi) > 50 * np.median(np.abs(v)):
        return SymLogNorm(linthresh=max(np.quantile(np.abs(v), 0.2), 1e-9), vmin=lo, vmax=hi)
    return Normalize(lo, hi)


def _ticks(ax, axis: str, values: list) -> None:
    n = len(values)
    step = max(1, int(np.ceil(n / 10)))
    idx = list(range(0, n, step))
    labels = [f"{v:.6g}" if isinstance(v, float) else str(v) for v in values]
    if axis == "x":
        ax.set_xticks(idx, [labels[i] for i in idx], rotation=45 if n > 6 else 0)
    else:
        ax.set_yticks(idx, [labels[i] for i in idx])


def heatmap_axes(ax, Z, diverged, missing, xs, ys, xname, yname, label, cmap="viridis") -> None:
    """A cell per grid point in index coordinates (uneven grids stay readable); diverged cells hatched grey."""
    from matplotlib.patches import Patch, Rectangle

    nx, ny = len(xs), len(ys)
    M = np.ma.masked_invalid(np.where(diverged | missing, np.nan, Z))
    # an image, cell (i, j) centred on (i, j): as a mesh would draw it, and fast for 100 × 100 grids
    mesh = ax.imshow(M, cmap=cmap, norm=_norm(M.filled(np.nan)), origin="lower", aspect="auto",
                     interpolation="nearest", extent=(-0.5, nx - 0.5, -0.5, ny - 0.5))
    cb = ax.figure.colorbar(mesh, ax=ax)
    cb.set_label(label)
    handles = []
    for j, i in zip(*np.nonzero(diverged)):
        ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor="0.75", edgecolor="0.35", hatch="///", lw=0))
    if diverged.any():
        handles.append(Patch(facecolor="0.75", edgecolor="0.35", hatch="///", label="diverged"))
    for j, i in zip(*np.nonzero(missing & ~diverged)):
        ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor="white", edgecolor="0.8", lw=0.5))
    if nx * ny <= 64:
        norm = mesh.norm
        for j in range(ny):
            for i in range(nx):
                if np.isfinite(M.filled(np.nan)[j, i]):
                    level = float(norm(M[j, i]))
                    ax.text(i, j, f"{M[j, i]:.2g}", ha="center", va="center", fontsize=7,
                            color="black" if level > 0.6 else "white")
    if {xname, yname} == {"beta1", "beta2"}:
        _beta_curve(ax, xs, ys, xname, handles)
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    _ticks(ax, "x", xs)
    _ticks(ax, "y", ys)
    names = {"beta1": "β1", "beta2": "β2", "alpha": "α", "eps": "ε"}
    ax.set_xlabel(names.get(xname, xname))
    ax.set_ylabel(names.get(yname, yname))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(handles),
                  fontsize=9, frameon=False)


def _beta_curve(ax, xs, ys, xname, handles) -> None:
    """β1 = √β2 in the cells' index coordinates (piecewise linear between grid values)."""
    from matplotlib.lines import Line2D

    b1s, b2s = (xs, ys) if xname == "beta1" else (ys, xs)
    b1s, b2s = np.asarray(b1s, float), np.asarray(b2s, float)
    if len(b1s) < 2 or len(b2s) < 2:
        return
    b2 = np.linspace(b2s.min(), b2s.max(), 400)
    b1 = np.sqrt(b2)
    keep = (b1 >= b1s.min()) & (b1 <= b1s.max())
    if keep.sum() < 2:
        return
    i1 = np.interp(b1[keep], b1s, np.arange(len(b1s)))
    i2 = np.interp(b2[keep], b2s, np.arange(len(b2s)))
    xi, yi = (i1, i2) if xname == "beta1" else (i2, i1)
    ax.plot(xi, yi, color="white", lw=2.5)
    ax.plot(xi, yi, color="crimson", lw=1.4, ls="--")
    handles.append(Line2D([], [], color="crimson", ls="--", label="β1 = √β2"))


def plot_sweep(path: str | Path, fmt: str = "png") -> list[Path]:
    path = Path(path)
    cfg = load_config(path)
    exp = load_experiment(path)
    rows = load_sweep_rows(path, cfg)
    grid = cfg["grid"]
    names = list(grid)
    title = _title(cfg, exp)
    out = []
    for m in cfg["methods"]:
        if len(names) == 0:
            continue
        if len(names) == 1:
            out.append(_sweep_line(path, cfg, exp, rows, m, names[0], fmt, title))
            continue
        xname, yname, rest = names[0], names[1], names[2:]
        xs, ys = _axis_values(grid[xname]), _axis_values(grid[yname])
        combos = list(itertools.product(*(grid[k] for k in rest)))[:24]
        for combo in combos:
            fixed = dict(zip(rest, combo))
            c = sweep_cells(rows, m["name"], xname, xs, yname, ys, fixed)
            fig, axes = _figure(2, width=5.6, height=4.6)
            over = " (median over seeds)" if len(cfg["seeds"]) > 1 else ""
            heatmap_axes(axes[0], c["avg_regret"], c["diverged"], c["missing"], xs, ys, xname, yname,
                         "average regret R_T/T" + over)
            heatmap_axes(axes[1], c["dist_x_star"], c["diverged"], c["missing"], xs, ys, xname, yname,
                         "‖x_T − x*‖" + over, cmap="magma")
            axes[0].set_title("R_T / T")
            axes[1].set_title("distance of x_T from x*")
            suffix = "".join(f"_{k}={io.fmt_cell(v)}" for k, v in fixed.items())
            extra = ", ".join(f"{k} = {v}" for k, v in fixed.items())
            head = f"{m['label']} · {title}" if len(cfg["methods"]) > 1 or not exp.get("title") else title
            fig.suptitle(_wrap(head + (f" · {extra}" if extra else ""), 130), fontsize=11)
            what = f"heat maps of R_T/T and ‖x_T − x*‖ over {xname} × {yname} for {m['label']}"
            out.append(_save(fig, path, f"heatmap_{io.method_stem(m['name'], m['convention'])}{suffix}", fmt, what, cfg, exp))
    return out


def _sweep_line(path, cfg, exp, rows, m, xname, fmt, title) -> Path:
    xs = _axis_values(cfg["grid"][xname])
    c = sweep_cells(rows, m["name"], xname, xs, None, [], {})
    fig, axes = _figure(2, width=5.6)
    numeric = all(isinstance(v, float) for v in xs)
    pos = np.asarray(xs, float) if numeric else np.arange(len(xs))
    for ax, key, lab in zip(axes, ("avg_regret", "dist_x_star"), ("R_T / T", "‖x_T − x*‖")):
        ax.plot(pos, c[key][0], "o-", label=m["label"])
        if c["diverged"].any():
            top = np.nanmax(c[key]) if np.isfinite(c[key]).any() else 1.0
            ax.plot(pos[c["diverged"][0]], np.full(c["diverged"].sum(), top), "x", color="crimson",
                    ms=9, mew=2, label="diverged")
        if numeric and pos.min() > 0 and pos.max() / pos.min() > 50:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(pos, [str(v) for v in xs])
        ax.set_xlabel(xname)
        ax.set_ylabel(lab + (" (median over seeds)" if len(cfg["seeds"]) > 1 else ""))
        ax.grid(True, alpha=0.3)
        _legend(ax)
    fig.suptitle(_wrap(f"{m['label']} · {title}", 130), fontsize=11)
    what = f"R_T/T and ‖x_T − x*‖ against {xname} for {m['label']}"
    return _save(fig, path, f"sweep_{io.method_stem(m['name'], m['convention'])}", fmt, what, cfg, exp)


# ---------------------------------------------------------------- saving
def _save(fig, folder: Path, name: str, fmt: str, what: str, cfg: dict, exp: dict) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    target = folder / f"{name}.{fmt}"
    import io as _io

    buf = _io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": "oco"} if fmt == "png" else None)
    io.write_atomic(target, buf.getvalue())
    sidecar = {
        "figure": target.name,
        "shows": what,
        "data": ["config.json", "sweep.csv" if cfg.get("kind") == "sweep" else "traces/"],
        "remake": f"oco plot {folder} --format {fmt}",
        "reproduce": exp.get("command") or _command_of(folder),
        "problem": cfg.get("problem"),
        "T": cfg.get("T"),
        "seeds": cfg.get("seeds"),
        "methods": [{"name": m["name"], "convention": m["convention"], "hyperparameters": m["hyperparameters"]}
                    for m in cfg.get("methods", [])],
    }
    if cfg.get("kind") == "sweep":
        sidecar["grid"] = cfg.get("grid")
    if exp:
        sidecar["experiment"] = {k: exp[k] for k in ("name", "description", "expected", "equivalent", "seconds") if k in exp}
    io.write_json(folder / f"{name}.json", sidecar)
    return target


def _command_of(folder: Path) -> str | None:
    """The command line that made the folder, from manifest.json (None where it cannot be read)."""
    try:
        inv = io.load_json(folder / "manifest.json")["invocations"][0]["command"]
    except (io.FolderError, KeyError, IndexError, TypeError):
        return None
    return " ".join(map(str, inv)) if isinstance(inv, list) and inv else None


def plot_folder(path: str | Path, fmt: str = "png") -> list[Path]:
    """Make every figure of a run or sweep folder from its files."""
    path = Path(path)
    if not path.is_dir():
        why = "is a file" if path.exists() else "does not exist"
        raise io.FolderError(f"{path} {why}: not an oco run or sweep folder")
    if not (path / "config.json").exists():
        raise io.FolderError(f"{path} has no config.json: not an oco run or sweep folder")
    io.check_writable(path, "the folder")
    kind = load_config(path)["kind"]
    return plot_sweep(path, fmt) if kind == "sweep" else plot_run(path, fmt)


# ---------------------------------------------------------------- oco check
VERDICT_COLORS = {"fails": "#d73027", "converges": "#1a9850", "inconclusive": "#fee08b", "not applicable": "#dddddd"}


def check_figure(verdicts: list, curves: dict) -> Figure:
    """One panel per problem: R_t/t of each checked method (median over seeds) and the failure level; each
    line's label carries its verdict."""
    from matplotlib.figure import Figure

    problems = list(dict.fromkeys(v.problem for v in verdicts))
    methods = list(dict.fromkeys(v.method for v in verdicts))
    colors = dict(zip(methods, _colors(len(methods))))
    ncols = min(4, len(problems))
    nrows = -(-len(problems) // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, p in zip(axes, problems):
        level = None
        for v in (v for v in verdicts if v.problem == p):
            level = v.failure_level if v.failure_level is not None else level
            if (v.method, p) in curves:
                t, y = curves[(v.method, p)]
                ok = np.isfinite(y) & (y > 0)
                ax.plot(t[ok], y[ok], color=colors[v.method], label=f"{v.method}: {v.verdict}")
        if level is not None:
            ax.axhline(level, color="0.3", ls="--", lw=1, label=f"failure level {level:.3g}")
        ax.set_xscale("log")
        if any(line.get_xydata().size for line in ax.get_lines()):
            ax.set_yscale("log")
        ax.set_title(p, fontsize=10)
        ax.set_xlabel("round t", fontsize=8)
        ax.set_ylabel("R_t / t", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
        _legend(ax, 7)
    for ax in axes[len(problems):]:
        ax.set_visible(False)
    fig.suptitle("oco check: average regret on the counterexample suite", fontsize=11)
    return fig


def matrix_figure(verdicts: list) -> Figure:
    """methods × problems, a colored cell per verdict."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    methods = list(dict.fromkeys(v.method for v in verdicts))
    problems = list(dict.fromkeys(v.problem for v in verdicts))
    cell = {(v.method, v.problem): v.verdict for v in verdicts}
    fig = Figure(figsize=(1.0 + 0.62 * len(problems), 1.6 + 0.3 * len(methods)), layout="constrained")
    ax = fig.subplots()
    for i, m in enumerate(methods):
        for j, p in enumerate(problems):
            verdict = cell.get((m, p))
            if verdict is not None:
                ax.add_patch(_rect(j, i, VERDICT_COLORS[verdict]))
                ax.text(j, i, {"fails": "F", "converges": "✓", "inconclusive": "?"}.get(verdict, "–"),
                        ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.5, len(problems) - 0.5)
    ax.set_ylim(len(methods) - 0.5, -0.5)
    ax.set_xticks(range(len(problems)), problems, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(methods)), methods, fontsize=8)
    ax.legend(handles=[Patch(color=c, label=k) for k, c in VERDICT_COLORS.items()], fontsize=7,
              loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("oco check --all: which method fails which counterexample", fontsize=10)
    return fig


def _rect(x, y, color):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, color=color, ec="white", lw=1)


def save_figure(fig: Figure, folder: Path, name: str, fmt: str, sidecar: dict) -> Path:
    """A figure and its JSON sidecar (what it shows, from which file, how to make it again)."""
    import io as _io

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    target = Path(folder) / f"{name}.{fmt}"
    buf = _io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": "oco"} if fmt == "png" else None)
    io.write_atomic(target, buf.getvalue())
    io.write_json(Path(folder) / f"{name}.json", {"figure": target.name, **sidecar})
    return target
