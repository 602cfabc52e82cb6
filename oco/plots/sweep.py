"""The figures of a sweep folder: per method, heat maps of R_T/T and ‖x_T − x*‖ (median over seeds) over the
first two grid axes (``oco.plots.heatmap``) with their overlays — those of every β1 × β2 map, those
experiment.json names (``OVERLAYS``) and those given — or the two against a single axis."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from .. import io
from .folders import axis_values, grid_key, load_config, load_experiment, load_sweep_rows
from .grid import grid_axis
from .heatmap import heatmap_axes
from .layout import figure_row, figure_title, legend, row_layout, wrap
from .overlays import FolderOverlay, beta_curves, default_overlays
from .processes import two_processes
from .record import draw_line, set_panel
from .sidecars import save_folder_figure
from .zhang import folder_region, folder_running_away

def sweep_cells(rows: list[dict], method: str, xname: str, xs: list, yname: str | None, ys: list,
                fixed: dict) -> dict[str, np.ndarray]:
    """Median R_T/T and ‖x_T − x*‖ over seeds per cell (ny, nx), and whether any seed diverged."""
    ny = len(ys) if yname else 1
    reg = np.full((ny, len(xs)), np.nan)
    dist = np.full((ny, len(xs)), np.nan)
    div = np.zeros((ny, len(xs)), bool)
    missing = np.zeros((ny, len(xs)), bool)
    xi = {grid_key(v): i for i, v in enumerate(xs)}
    yi = {grid_key(v): i for i, v in enumerate(ys)} if yname else None
    groups: dict[tuple, list] = {}
    fixed = {k: grid_key(v) for k, v in fixed.items()}
    for row in rows:
        if row["method"] != method or any(row[k] != v for k, v in fixed.items()):
            continue
        i = xi[row[xname]]
        j = yi[row[yname]] if yname else 0
        groups.setdefault((j, i), []).append(row)
    for (j, i), rs in groups.items():
        if any(r["diverged"] == "true" for r in rs):
            div[j, i] = True
        else:
            reg[j, i] = _median([float(r["avg_regret"]) for r in rs])
            dist[j, i] = _median([float(r["dist_x_star"]) for r in rs])
    missing[:] = True
    if groups:
        missing[tuple(np.array(list(groups)).T)] = False
    return {"avg_regret": reg, "dist_x_star": dist, "diverged": div, "missing": missing}


def _median(values: list) -> float:
    """The median (a single value as it is: no rounding through np.median)."""
    return values[0] if len(values) == 1 else float(np.median(values))


# overlays an experiment names in experiment.json ("overlays": [NAME, …]), which `oco plot DIR` draws again: a
# function (xaxis, yaxis) → Curves and Regions in the grid's values, or a FolderOverlay; add an entry here (or
# from a module this one imports) to draw it in oco plot
OVERLAYS = {"beta-curves": beta_curves, "zhang-region": FolderOverlay(folder_region),
            "zhang-running-away": FolderOverlay(folder_running_away)}


def _named_overlays(path: Path, exp: dict, cfg: dict) -> list:
    """The overlays experiment.json names ("overlays": [NAME, …], names of OVERLAYS), a FolderOverlay made
    from the folder's config.json and analysis.json."""
    names = exp.get("overlays") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise io.FolderError(f"{path / 'experiment.json'}: overlays must be a list of names")
    unknown = [n for n in names if n not in OVERLAYS]
    if unknown:
        raise io.FolderError(f"{path / 'experiment.json'}: unknown overlay {unknown[0]!r}; "
                             f"known: {', '.join(OVERLAYS)}")
    out, analysis = [], None
    for n in names:
        o = OVERLAYS[n]
        if isinstance(o, FolderOverlay):
            if analysis is None:
                f = path / "analysis.json"
                analysis = io.load_json(f) if f.exists() else {}
                if not isinstance(analysis, dict):
                    raise io.FolderError(f"{f} holds a JSON {type(analysis).__name__}, not an object")
            try:
                o = o.make(cfg, analysis)
            except io.FolderError as e:
                raise io.FolderError(f"{path}: {e}") from None
        out.append(o)
    return out


def plot_sweep(path: str | Path, fmt: str = "png", overlays: list | None = None) -> list[Path]:
    """The figures of a sweep folder: per method, heat maps over the first two grid axes (one figure per
    combination of the others, at most 24), or R_T/T and ‖x_T − x*‖ against a single axis. The heat maps draw
    ``default_overlays``, the overlays experiment.json names, and ``overlays``."""
    path = Path(path)
    cfg = load_config(path)
    exp = load_experiment(path)
    rows = load_sweep_rows(path, cfg)
    chosen = [default_overlays, *_named_overlays(path, exp, cfg), *(overlays or [])]
    grid = cfg["grid"]
    names = list(grid)
    title = figure_title(cfg, exp)
    if len(names) == 0:
        return []
    if len(names) == 1:
        return two_processes(cfg["methods"], lambda m: _sweep_line(path, cfg, exp, rows, m, names[0], fmt, title))
    xname, yname, rest = names[0], names[1], names[2:]
    xs, ys = axis_values(grid[xname]), axis_values(grid[yname])
    combos = list(itertools.product(*(grid[k] for k in rest)))[:24]

    def heatmaps(item):
        m, combo = item
        fixed = dict(zip(rest, combo))
        c = sweep_cells(rows, m["name"], xname, xs, yname, ys, fixed)
        fig, axes = figure_row(2, width=5.6, height=4.6)
        over, stat = (" (median over seeds)", "median") if len(cfg["seeds"]) > 1 else ("", "value")
        heatmap_axes(axes[0], c["avg_regret"], c["diverged"], c["missing"], xs, ys, xname, yname,
                     "average regret R_T/T" + over, overlays=chosen, panel="avg_regret", stat=stat)
        heatmap_axes(axes[1], c["dist_x_star"], c["diverged"], c["missing"], xs, ys, xname, yname,
                     "‖x_T − x*‖" + over, cmap="magma", overlays=chosen, panel="dist_x_star", stat=stat)
        axes[0].set_title("R_T / T")
        axes[1].set_title("distance of x_T from x*")
        suffix = "".join(f"_{k}={io.fmt_cell(v)}" for k, v in fixed.items())
        extra = ", ".join(f"{k} = {v}" for k, v in fixed.items())
        head = f"{m['label']} · {title}" if len(cfg["methods"]) > 1 or not exp.get("title") else title
        fig.suptitle(wrap(head + (f" · {extra}" if extra else ""), 130), fontsize=11)
        what = f"heat maps of R_T/T and ‖x_T − x*‖ over {xname} × {yname} for {m['label']}"
        name = f"heatmap_{io.method_stem(m['name'], m['convention'])}{suffix}"
        return save_folder_figure(fig, path, name, fmt, what, cfg, exp)

    return two_processes([(m, combo) for m in cfg["methods"] for combo in combos], heatmaps)


def _sweep_line(path, cfg, exp, rows, m, xname, fmt, title) -> Path:
    """A one-axis sweep's figure for method ``m``: R_T/T and ‖x_T − x*‖ against the axis, diverged points
    marked."""
    from .ticks import plain_ticks  # matplotlib's subclasses: imported when a figure is drawn

    xs = axis_values(cfg["grid"][xname])
    c = sweep_cells(rows, m["name"], xname, xs, None, [], {})
    xa = grid_axis(xname, xs)  # axis_values has sorted numbers as grid_axis does
    pos = xa.coord(list(xa.values))
    seeds = len(cfg["seeds"]) > 1
    fig, axes = figure_row(2, width=5.6, layout=None)
    for ax, key, lab in zip(axes, ("avg_regret", "dist_x_star"), ("R_T / T", "‖x_T − x*‖")):
        set_panel(ax, key, x=xa.describe())
        draw_line(ax, pos, c[key][0], m["label"], "median" if seeds else "value", marker="o", label=m["label"])
        if c["diverged"].any():
            top = np.nanmax(c[key]) if np.isfinite(c[key]).any() else 1.0
            draw_line(ax, pos[c["diverged"][0]], np.full(c["diverged"].sum(), top), "diverged", mark="marker",
                      ls="none", marker="x", color="crimson", ms=9, mew=2, label="diverged")
        xa.apply(ax, "x", limits=False)
        ax.set_ylabel(lab + (" (median over seeds)" if seeds else ""))
        ax.grid(True, alpha=0.3)
        legend(ax)
    head = fig.suptitle(wrap(f"{m['label']} · {title}", 130), fontsize=11)
    for ax in axes:
        plain_ticks(ax)
    row_layout(fig, axes, head)
    what = f"R_T/T and ‖x_T − x*‖ against {xname} for {m['label']}"
    name = f"sweep_{io.method_stem(m['name'], m['convention'])}"
    return save_folder_figure(fig, path, name, fmt, what, cfg, exp)

