"""The figures of a run: the average regret R_t/t against t (log t) for every method, with the problem's
closed-form failure level and each method's published regret bound; the iterate x_t against t; the effective
learning rate α_t/√v_t over time (min, median, max over coordinates); for stochastic problems the expected-loss
gap F(x_t) − F(x*). Several seeds are drawn as a median line and a 10%–90% quantile band. A run folder's
figures (``plot_run``) and those of in-memory Results (``plot_results``, ``oco.plot``) are drawn by the same
code, from the same data (``run_data``)."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..result import Result
from .folders import load_run, results_config, run_data
from .layout import figure_row, figure_title, legend, note, palette, row_layout, wrap
from .processes import two_processes
from .record import draw_band, draw_line, set_panel
from .sidecars import save_folder_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAND = (0.1, 0.9)


@contextlib.contextmanager
def _quiet():
    """Medians and quantiles over all-NaN slices (every configuration diverged there) without a warning."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield

def median_band(ax, t: np.ndarray, Y: np.ndarray, label: str, color, band: tuple = BAND, **kw) -> np.ndarray:
    """Y (K, B): one line when B = 1, else the median over the B runs and a quantile band (recorded for the
    csv: series ``label``, stat value, or median and the band's quantiles). Returns the line."""
    Y = np.asarray(Y, float).reshape(len(t), -1)
    if Y.shape[1] == 1:
        draw_line(ax, t, Y[:, 0], label, "value", color=color, label=label, **kw)
        return Y[:, 0]
    with _quiet():
        med = np.nanmedian(Y, axis=1)
        lo, hi = np.nanquantile(Y, band, axis=1)
    draw_line(ax, t, med, label, "median", color=color, label=f"{label} (median of {Y.shape[1]})", **kw)
    draw_band(ax, t, lo, hi, label, (f"q{band[0]:g}", f"q{band[1]:g}"), color=color, alpha=0.2, lw=0)
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


def bound_over_t(s: dict) -> np.ndarray | None:
    """A series' regret bound over t (the trace ``regret_bound``, (K, B): ``oco.analyses.bounds``), the median over its
    configurations; None where the method has no bound or no configuration meets the theorem's conditions."""
    if "regret_bound" not in s:
        return None
    Y = np.asarray(s["regret_bound"], float).reshape(len(s["t"]), -1)
    if not np.isfinite(Y).any():
        return None
    with _quiet():
        return np.nanmedian(Y, axis=1) / np.asarray(s["t"], float)


def regret_axes(ax, data: dict) -> None:
    """R_t/t of each method against t (median and band over seeds), its regret bound over t (dashed) and the
    closed-form failure level; a note for each method that is not drawn or diverged."""
    cfg, series = data["config"], data["series"]
    colors = palette(len(series))
    allv, notes = [], []
    for s, c in zip(series, colors):
        if not np.isfinite(np.asarray(s["avg_regret"], float)).any():
            notes.append(f"{s['label']}: not drawn, {undefined_reason(s)}")
            continue
        n_div = int(np.sum(np.asarray(s.get("diverged", False))))
        if n_div:
            notes.append(f"{s['label']}: {n_div} configuration{'s' * (n_div > 1)} diverged; drawn until then")
        allv.append(median_band(ax, s["t"], s["avg_regret"], s["label"], c)[1:])  # R_1 is often exactly 0
        bound = bound_over_t(s)
        if bound is not None:  # the method's published regret bound (oco.analyses.bounds), dashed, in R_t/t's units
            ax.plot(s["t"], bound, color=c, ls="--", lw=1, label=f"{s['label']}: regret bound / t")
            allv.append(bound[np.isfinite(bound)])
    note(ax, notes)
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
    legend(ax)


def iterate_axes(ax, data: dict) -> None:
    """x_t against t and x* in 1-D; ‖x_t − x*‖₂ (x* at T) in more dimensions."""
    series = data["series"]
    colors = palette(len(series))
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
    legend(ax)


def lr_axes(ax, data: dict, only: int | None = None) -> None:
    """The effective learning rate α_t/√v_t: one line per method in 1-D; with d > 1 (``only`` = a method's
    index) the median coordinate with bands over coordinates (10%–90% and min–max), medians over seeds."""
    series = data["series"]
    colors = palette(len(series))
    allv = []
    for i, (s, c) in enumerate(zip(series, colors)):
        if only is not None and i != only:
            continue
        q = np.asarray(s["lr_quantiles"])  # (K, B, Q): quantiles over coordinates
        levels = [float(v) for v in np.asarray(s["lr_quantile_levels"])]
        with _quiet():
            qq = {lv: np.nanmedian(np.where(np.isfinite(q[..., k]), q[..., k], np.nan), axis=1)
                  for k, lv in enumerate(levels)}  # median over seeds
        # the csv's stat: a quantile over coordinates, each the median over seeds
        if s["x"].shape[-1] == 1:
            draw_line(ax, s["t"], qq[0.5], s["label"], "median", color=c, label=s["label"])
        else:
            draw_band(ax, s["t"], qq[0.0], qq[1.0], s["label"], ("q0", "q1"), color=c, alpha=0.15, lw=0,
                      label="min – max over coordinates")
            if 0.1 in qq and 0.9 in qq:
                draw_band(ax, s["t"], qq[0.1], qq[0.9], s["label"], ("q0.1", "q0.9"), color=c, alpha=0.35, lw=0,
                          label="10% – 90%")
            draw_line(ax, s["t"], qq[0.5], s["label"], "q0.5", color=c, label=f"{s['label']}: median coordinate")
        allv.append(np.concatenate([v[1:].ravel() for v in qq.values()]))  # ADOPT takes no step at t = 1
    _time_axis(ax, series)
    _y_scale(ax, np.concatenate(allv))
    ax.set_xlabel("round t")
    ax.set_ylabel("effective learning rate  α_t / √v_t")
    ax.grid(True, which="major", alpha=0.3)
    legend(ax)


def gap_axes(ax, data: dict) -> None:
    """The expected-loss gap F(x_t) − F(x*) of each method against t (stochastic problems)."""
    colors = palette(len(data["series"]))
    notes = []
    for s, c in zip(data["series"], colors):
        if not np.isfinite(np.asarray(s["expected_gap"], float)).any():
            notes.append(f"{s['label']}: not drawn, {undefined_reason(s)}")
            continue
        median_band(ax, s["t"], s["expected_gap"], s["label"], c)
    note(ax, notes)
    _time_axis(ax, data["series"])
    ax.set_xlabel("round t")
    ax.set_ylabel("expected-loss gap  F(x_t) − F(x*)")
    ax.grid(True, which="major", alpha=0.3)
    legend(ax)


RUN_FIGURES = {
    "regret": ("average regret R_t/t against t (log t), with the closed-form failure level and, dashed, each "
               "method's published regret bound over t where it has one", [regret_axes]),
    "iterate": ("the iterate x_t against t (log t) and the best fixed point x*", [iterate_axes]),
    "lr": ("the effective learning rate α_t/√v_t over time (min, median, max over coordinates)", [lr_axes]),
    "gap": ("the expected-loss gap F(x_t) − F(x*) of a stochastic problem", [gap_axes]),
    "overview": ("average regret and iterate side by side", [regret_axes, iterate_axes]),
}


PANEL_NAMES = {regret_axes: "regret", iterate_axes: "iterate", lr_axes: "lr", gap_axes: "gap"}


def plot_run(path: str | Path, fmt: str = "png", names: list[str] | None = None) -> list[Path]:
    """The figures ``names`` (default: experiment.json's, else overview, regret, iterate, lr; gap added for a
    stochastic problem) of a run folder, each with its sidecars, drawn in two processes (``two_processes``)."""
    path = Path(path)
    data = load_run(path)
    exp = data["experiment"]
    names = names or exp.get("figures") or ["overview", "regret", "iterate", "lr"]
    stochastic = "expected_gap" in data["series"][0]
    if stochastic and "gap" not in names:
        names = [*names, "gap"]

    def draw(name):
        fig, what = run_figure(data, name)
        return save_folder_figure(fig, path, name, fmt, what, data["config"], exp)

    def panels(name):  # a figure's cost: about one panel's more than its panels (as measured)
        return 1 + (3 if name == "overview" and stochastic else len(RUN_FIGURES[name][1]))

    return two_processes([n for n in names if n != "gap" or stochastic], draw, weight=panels)


def run_figure(data: dict, name: str) -> tuple[Figure, str]:
    """The run figure ``name`` (a key of RUN_FIGURES) drawn from ``data`` (``load_run`` or ``run_data``):
    the Figure and the sentence saying what it shows."""
    from .ticks import plain_ticks  # matplotlib's subclasses: imported when a figure is drawn

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
    fig, axes = figure_row(len(panels), width=6.4 if len(panels) < 3 else 5.2, layout=None)
    for i, (ax, draw) in enumerate(zip(axes, panels)):
        # the panel's name in the csv: the figure it is drawn for (lr with d > 1: one panel per method)
        set_panel(ax, PANEL_NAMES.get(draw) or f"lr: {data['series'][i]['label']}")
        draw(ax, data)
    if name == "lr" and len(axes) > 1 and len({a.get_yscale() for a in axes}) == 1:  # shared limits
        lo = min(a.get_ylim()[0] for a in axes)
        hi = max(a.get_ylim()[1] for a in axes)
        for a in axes:
            a.set_ylim(lo, hi)
    title = fig.suptitle(wrap(figure_title(data["config"], data["experiment"]), 75 * len(panels)), fontsize=11)
    for ax in axes:
        plain_ticks(ax)
    row_layout(fig, axes, title)
    return fig, what


def plot_results(results: Result | list[Result], kind: str = "overview") -> Figure:
    """``oco.plot``: the run figure ``kind`` ("overview", "regret", "iterate", "lr" or "gap": RUN_FIGURES) of
    in-memory Results of one problem and T (one line or median band per Result, as ``oco run`` draws its
    methods), drawn by the code that draws a run folder's figures; returns the matplotlib Figure. Save it with
    ``fig.savefig(path)``.

    >>> import oco
    >>> fig = oco.plot([oco.simulate("reddi-online", m, T=50) for m in ("adam", "amsgrad")], "regret")
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['adam', 'amsgrad']
    """
    from ..runs import traces

    results = [results] if isinstance(results, Result) else list(results)
    if not results:
        raise ValueError("plot_results needs at least one Result")
    return run_figure(run_data(results_config(results), [traces(r) for r in results]), kind)[0]
