"""The overlays of Zhang et al.'s experiments (``oco reproduce zhang-n10`` / ``zhang-n50``) on their (β1, 1 − β2)
heat maps: the closed-form divergence region {D < 0} (``oco.analyses.zhang``) and the cells whose run ran away, as
functions of the heat map's axes, and as overlays made from a folder (``folder_region``,
``folder_running_away``) that experiment.json names."""

from __future__ import annotations

import numpy as np

from .. import io
from ..analyses.zhang import region_polygons
from .folders import short
from .overlays import Region

# ``heatmap_axes`` takes overlays as functions (xaxis, yaxis) → Curves and Regions given in the grid's own values
# (β1, β2); it maps them to its axes (β1 linear, 1 − β2 log) itself.
REGION_STYLE = {"facecolor": "none", "edgecolor": "deepskyblue", "hatch": "\\\\", "lw": 2.0}
RUNNING_AWAY_STYLE = {"facecolor": "none", "edgecolor": "0.1", "hatch": "xx", "lw": 0.0}  # on bright cells


def _beta_axes(xaxis, yaxis):
    """(β1 axis, β2 axis, swapped) of a β1 × β2 heat map, or None for other axes."""
    if {xaxis.name, yaxis.name} != {"beta1", "beta2"} or "category" in (xaxis.scale, yaxis.scale):
        return None
    return (xaxis, yaxis, False) if xaxis.name == "beta1" else (yaxis, xaxis, True)


def region_overlay(n: int, a: float | None = None):
    """An overlay (xaxis, yaxis) → Regions: ``oco.analyses.zhang.divergence_region`` for this n and a, sampled as the heat
    map draws its axes (512 values along each, edge to edge), labelled with its formula's name."""

    def overlay(xaxis, yaxis):
        axes = _beta_axes(xaxis, yaxis)
        if axes is None:
            return []
        b1a, b2a, swapped = axes
        b1 = np.unique(np.clip(b1a.sample(), 0.0, 1.0 - 1e-12))
        b2 = np.unique(np.clip(b2a.sample(), 0.0, 1.0 - 1e-12))
        out = []
        for k, poly in enumerate(region_polygons(n, a, b1, b2)):
            xy = (poly[:, 1], poly[:, 0]) if swapped else (poly[:, 0], poly[:, 1])
            out.append(Region(*xy, label="D < 0 (closed form)" if k == 0 else None,
                              style=REGION_STYLE))
        return out

    return overlay


def running_away_overlay(cells):
    """An overlay (xaxis, yaxis) → Regions hatching the heat map's cells at the grid values ``cells`` (pairs
    (β1, β2) of the runs that ran away, ``oco.analyses.zhang.running_away``): one rectangle per run of neighbouring
    cells in a row, on the heat map's own cell edges."""
    keys = {(float(b1), float(b2)) for b1, b2 in cells}

    def overlay(xaxis, yaxis):
        axes = _beta_axes(xaxis, yaxis)
        if axes is None or not keys:
            return []
        b1a, b2a, swapped = axes
        b1v, b2v = np.asarray(b1a.values, float), np.asarray(b2a.values, float)
        e1, e2 = b1a.value_of(b1a.edges()), b2a.value_of(b2a.edges())
        hit = np.array([[(v1, v2) in keys for v1 in b1v] for v2 in b2v])
        out = []
        for j in range(len(b2v)):
            d = np.diff(np.concatenate([[0], hit[j].astype(np.int8), [0]]))
            for i0, i1 in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1):
                x = [e1[i0], e1[i1 + 1], e1[i1 + 1], e1[i0]]
                y = [e2[j], e2[j], e2[j + 1], e2[j + 1]]
                label = "runs away" if not out else None
                out.append(Region(*((y, x) if swapped else (x, y)), label=label, style=RUNNING_AWAY_STYLE))
        return out

    return overlay


def folder_region(cfg: dict, analysis: dict):
    """Zhang et al.'s divergence region {D < 0} in closed form (``region_overlay``) for the folder's n and a
    (analysis.json's, else the problem's parameters; a = 1/(n − 1)² by default)."""
    params = cfg["problem"]["params"]
    n, a = analysis.get("n", params.get("n")), analysis.get("a", params.get("a"))
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise io.FolderError(f"the overlay zhang-region needs the problem's n (an integer ≥ 2), "
                             f"got {short(n)}")
    return region_overlay(n, None if a is None else float(a))


def folder_running_away(cfg: dict, analysis: dict):
    """The cells whose run ran away (analysis.json's ``running_away``: ``running_away_overlay``)."""
    cells = analysis.get("running_away")
    if not isinstance(cells, list):
        raise io.FolderError("the overlay zhang-running-away needs analysis.json's running_away (a list of "
                             "[beta1, beta2]), which this folder does not have")
    return running_away_overlay(cells)
