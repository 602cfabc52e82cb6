"""The figures of ``oco check``: R_t/t of each checked method on each problem of the suite with its verdict
(``check_figure``), and the verdicts as a methods × problems matrix (``matrix_figure``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .layout import legend, palette
from .record import record, set_panel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

VERDICT_COLORS = {"fails": "#d73027", "converges": "#1a9850", "inconclusive": "#fee08b",
                  "not applicable": "#dddddd"}


def check_figure(verdicts: list, curves: dict) -> Figure:
    """One panel per problem: R_t/t of each checked method (median over seeds) and the failure level; each
    line's label carries its verdict."""
    from matplotlib.figure import Figure

    problems = list(dict.fromkeys(v.problem for v in verdicts))
    methods = list(dict.fromkeys(v.method for v in verdicts))
    colors = dict(zip(methods, palette(len(methods))))
    ncols = min(4, len(problems))
    nrows = -(-len(problems) // ncols)
    shared = len(methods) > 4  # many methods: one legend under the panels (the verdicts: the matrix figure)
    legend_rows = -(-(len(methods) + 1) // 6) if shared else 0
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows + 0.25 * legend_rows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, p in zip(axes, problems):
        _problem_axes(ax, p, [v for v in verdicts if v.problem == p], curves, colors, legend_here=not shared)
    for ax in axes[len(problems):]:
        ax.set_visible(False)
    if shared:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=colors[m], label=m) for m in methods]
        handles.append(Line2D([], [], color="0.3", ls="--", lw=1, label="failure level"))
        fig.legend(handles=handles, loc="outside lower center", ncol=6, fontsize=8, frameon=False)
    fig.suptitle("oco check: average regret on the counterexample suite", fontsize=11)
    return fig


def _problem_axes(ax, problem: str, verdicts: list, curves: dict, colors: dict, legend_here: bool) -> None:
    """R_t/t of each method checked on ``problem`` (its positive values, log-log) and the failure level."""
    level = None
    for v in verdicts:
        level = v.failure_level if v.failure_level is not None else level
        if (v.method, problem) in curves:
            t, y = curves[(v.method, problem)]
            ok = np.isfinite(y) & (y > 0)
            ax.plot(t[ok], y[ok], color=colors[v.method], label=f"{v.method}: {v.verdict}")
    if level is not None:
        ax.axhline(level, color="0.3", ls="--", lw=1, label=f"failure level {level:.3g}")
    ax.set_xscale("log")
    if any(line.get_xydata().size for line in ax.get_lines()):
        ax.set_yscale("log")
    ax.set_title(problem, fontsize=10)
    ax.set_xlabel("round t", fontsize=8)
    ax.set_ylabel("R_t / t", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.3)
    if legend_here:
        legend(ax, 7)


def matrix_figure(verdicts: list) -> Figure:
    """methods × problems, a colored cell per verdict."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    methods = list(dict.fromkeys(v.method for v in verdicts))
    problems = list(dict.fromkeys(v.problem for v in verdicts))
    cell = {(v.method, v.problem): v.verdict for v in verdicts}
    # room for the title, the method names and the legend beside a few problems (narrower: clipped, or
    # constrained layout gives up)
    fig = Figure(figsize=(max(1.0 + 0.62 * len(problems), 6.2), 1.6 + 0.3 * len(methods)),
                 layout="constrained")
    ax = fig.subplots()
    set_panel(ax, "verdicts", x={"coordinate": "index of the problem", "categories": problems},
              y={"coordinate": "index of the method", "categories": methods},
              cell_edges="unit squares centred on the indices: x ± 1/2, y ± 1/2")
    for i, m in enumerate(methods):
        for j, p in enumerate(problems):
            verdict = cell.get((m, p))
            if verdict is not None:
                patch = ax.add_patch(_rect(j, i, VERDICT_COLORS[verdict]))
                record(ax, patch, m, "cell", x=j, y=i, status=verdict, x_category=p, y_category=m)
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
    """A unit square centred on (x, y), white-edged."""
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, color=color, ec="white", lw=1)


def plot_check(report, out, fmt: str, reproduce: str) -> None:
    """The figures of a ``CheckReport`` beside its verdicts.json: R_t/t per problem (``check``) and, for
    several methods, the matrix of verdicts (``matrix``); ``reproduce`` is the command that makes them again."""
    from .sidecars import save_figure

    sidecar = {"data": "verdicts.json", "reproduce": reproduce}
    save_figure(check_figure(report.verdicts, report.curves), out, "check", fmt,
                {**sidecar, "shows": "R_t/t of each checked method on each problem of the suite, with "
                                     "the failure level and each verdict"})
    if len(report.methods) > 1:
        save_figure(matrix_figure(report.verdicts), out, "matrix", fmt,
                    {**sidecar, "shows": "the verdict of each method on each problem"})

