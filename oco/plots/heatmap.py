"""Heat maps over two grid axes, on numeric axes: a cell per grid point, its edges half-way between
neighbouring values in the axis's scale (``grid_axis``: linear, log, or log of 1 − v for values near 1 such as
β2: ``oco.plots.grid``), diverged cells hatched grey with a legend entry, missing ones white, and overlays
(``oco.plots.overlays``) given in the grid's own values and drawn where those values are."""

from __future__ import annotations

import numpy as np

from .grid import GridAxis, grid_axis, sorted_order
from .overlays import default_overlays, draw_overlay, overlay_items
from .record import record, set_panel

RASTER_CELLS = 10_000  # larger meshes are rasterized in svg/pdf/pgf (the csv has every cell)


def _norm(Z: np.ndarray):
    """The colour scale of the finite values: log over more than a factor 50, symmetric log where they change
    sign and span much more than their median, linear otherwise."""
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


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in a 1-D boolean array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), (np.flatnonzero(d == -1) - 1).tolist()))


def heatmap_axes(ax, Z, diverged, missing, xs, ys, xname, yname, label, cmap="viridis", overlays=None,
                 panel: str | None = None, stat: str = "") -> None:
    """Z (len(ys), len(xs)) as a heat map over the grid values on numeric axes (``grid_axis``): a cell per grid
    point (pcolormesh on the cell edges, ``GridAxis.edges``); diverged cells hatched grey, missing ones white;
    the values written in the cells of grids of at most 64 cells. ``overlays``: Curves, Regions and functions
    (xaxis, yaxis) → Curves and Regions, in the grid's own values (default: ``default_overlays``). Every cell
    and overlay is recorded for the figure's csv, in the panel ``panel`` (stat: what the values are)."""
    from matplotlib.patches import Patch

    xo, yo = sorted_order(list(xs)), sorted_order(list(ys))
    xa, ya = grid_axis(xname, [xs[i] for i in xo]), grid_axis(yname, [ys[j] for j in yo])
    Z = np.asarray(Z, float)[np.ix_(yo, xo)]
    diverged, missing = (np.asarray(a, bool)[np.ix_(yo, xo)] for a in (diverged, missing))
    shown = np.where(diverged | missing | ~np.isfinite(Z), np.nan, Z)  # what is coloured
    M = np.ma.masked_invalid(shown)
    mesh = ax.pcolormesh(xa.edges(), ya.edges(), M, cmap=cmap, norm=_norm(shown), shading="flat",
                         rasterized=M.size > RASTER_CELLS)
    cb = ax.figure.colorbar(mesh, ax=ax)
    cb.set_label(label)
    _record_cells(ax, mesh, xa, ya, shown, diverged, missing, stat)
    _state_patches(ax, xa.edges(), ya.edges(), diverged, missing)
    handles = [Patch(facecolor="0.75", edgecolor="0.35", hatch="///", label="diverged")] if diverged.any() else []
    if shown.size <= 64:
        _cell_texts(ax, mesh.norm, xa.coord(list(xa.values)), ya.coord(list(ya.values)), shown)
    chosen = [default_overlays] if overlays is None else list(overlays)
    for item in overlay_items(chosen, xa, ya):
        handle = draw_overlay(ax, item, xa, ya)
        if handle is not None:
            handles.append(handle)
    xa.apply(ax, "x")
    ya.apply(ax, "y")
    set_panel(ax, panel or label, x=xa.describe(cells=True), y=ya.describe(cells=True), value=label,
              color_scale=type(mesh.norm).__name__.replace("Norm", "").lower() or "linear")
    if handles:  # below the map, in rows of at most 3 (4 entries: 2 × 2)
        ncol = len(handles) if len(handles) <= 3 else min(3, -(-len(handles) // 2))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol,
                  fontsize=9, frameon=False)


def _record_cells(ax, mesh, xa: GridAxis, ya: GridAxis, shown, diverged, missing, stat: str) -> None:
    """The csv's rows of a heat map: a row per cell, row by row of y (pcolormesh's order), its centre, its grid
    values where the coordinate is not the value (1 − v), its colour value and a status where it is not
    coloured."""
    ny, nx = shown.shape
    xc, yc = xa.coord(list(xa.values)), ya.coord(list(ya.values))
    status = np.where(diverged, "diverged", np.where(missing, "missing", ""))
    grid_values = {}
    for col, axis, shape in (("x", xa, (1, nx)), ("y", ya, (ny, 1))):
        if axis.scale == "log1m":
            values = np.asarray(axis.values, float).reshape(shape)
            grid_values[f"{col}_value"] = np.broadcast_to(values, (ny, nx))
        elif axis.scale == "category":
            grid_values[f"{col}_category"] = np.broadcast_to(
                np.array([str(v) for v in axis.values], dtype=object).reshape(shape), (ny, nx))
    record(ax, mesh, "", "cell", stat, x=np.broadcast_to(xc, (ny, nx)),
           y=np.broadcast_to(yc[:, None], (ny, nx)), value=shown, status=status, **grid_values)


def _state_patches(ax, xe: np.ndarray, ye: np.ndarray, diverged, missing) -> None:
    """Diverged cells hatched grey, missing ones white: one rectangle per run of such cells in a row."""
    from matplotlib.patches import Rectangle

    for mask, style in ((diverged, {"facecolor": "0.75", "edgecolor": "0.35", "hatch": "///", "lw": 0}),
                        (missing & ~diverged, {"facecolor": "white", "edgecolor": "0.8", "lw": 0.5})):
        for j in np.flatnonzero(mask.any(axis=1)):
            for i0, i1 in _runs(mask[j]):
                (x0, x1), (y0, y1) = sorted((xe[i0], xe[i1 + 1])), sorted((ye[j], ye[j + 1]))
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, **style))


def _cell_texts(ax, norm, xc: np.ndarray, yc: np.ndarray, shown) -> None:
    """Each coloured cell's value written in it, in black on light colours and white on dark ones."""
    for j in range(shown.shape[0]):
        for i in range(shown.shape[1]):
            if np.isfinite(shown[j, i]):
                ax.text(xc[i], yc[j], f"{shown[j, i]:.2g}", ha="center", va="center", fontsize=7,
                        color="black" if float(norm(shown[j, i])) > 0.6 else "white")
