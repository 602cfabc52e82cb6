"""Curves and regions drawn over a heat map, given in the grid's own values (β2 itself, not 1 − β2: the heat map
maps them to its axes): a ``Curve``, a ``Region``, or a function of the two axes (``GridAxis``) returning them;
``beta_curves`` on every β1 × β2 map, and ``FolderOverlay`` for one made from the folder it is drawn for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .record import record

if TYPE_CHECKING:
    from .grid import GridAxis


@dataclass(frozen=True)
class Curve:
    """A line over a heat map, in the grid's own values: ``x`` are values of the heat map's x parameter, ``y``
    of its y parameter (β2 itself, not 1 − β2: the heat map maps them to its axes). ``style``: keywords of
    ``Axes.plot``."""

    x: Any
    y: Any
    label: str | None = None
    style: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Region:
    """A polygon over a heat map (closed from its last vertex to its first), in the grid's own values like
    ``Curve``. ``style``: keywords of ``Axes.fill`` (default: unfilled, hatched, with a dark outline)."""

    x: Any
    y: Any
    label: str | None = None
    style: dict = field(default_factory=dict)


CURVE_STYLE = {"color": "crimson", "lw": 1.4, "ls": "--"}
REGION_STYLE = {"facecolor": "none", "edgecolor": "0.1", "hatch": "..", "lw": 1.2}


def beta_curves(xaxis: GridAxis, yaxis: GridAxis) -> list[Curve]:
    """β1 = √β2 — γ = β1/√β2 = 1, the boundary of Reddi et al.'s (2018) Theorem 4 condition γ < 1 and of the
    region β1 < √β2 where Zhang et al. (2022) show Adam converges for large β2 — and the diagonal β1 = β2, on a
    β1 × β2 grid (either way round): the part of each inside the heat map, sampled evenly along both axes."""
    if xaxis.name == "beta1":
        b1a, b2a = xaxis, yaxis
    else:
        b1a, b2a = yaxis, xaxis
    if {b1a.name, b2a.name} != {"beta1", "beta2"} or "category" in (b1a.scale, b2a.scale):
        return []
    (lo1, hi1), (lo2, hi2) = b1a.extent(), b2a.extent()
    out = []
    curves = (("β1 = √β2", np.sqrt, np.square, {}), ("β1 = β2", lambda b: b, lambda b: b, {"ls": ":", "lw": 1.6}))
    for label, b1_of, b2_of, style in curves:
        with np.errstate(invalid="ignore"):
            # the samples, and the edges themselves: the curve reaches the map's border
            b2 = np.concatenate([b2a.sample(), b2_of(b1a.sample()), [max(lo2, 0.0), hi2],
                                 b2_of(np.array([lo1, hi1]))])
            b2 = np.unique(b2[(b2 >= max(lo2, 0.0)) & (b2 <= hi2)])
            b1 = b1_of(b2)
        keep = (b1 >= lo1) & (b1 <= hi1)
        if keep.sum() < 2:
            continue
        b1, b2 = b1[keep], b2[keep]
        xy = (b1, b2) if xaxis.name == "beta1" else (b2, b1)
        out.append(Curve(*xy, label=label, style={**CURVE_STYLE, **style}))
    return out


def default_overlays(xaxis: GridAxis, yaxis: GridAxis) -> list:
    """What every heat map over these axes shows: ``beta_curves`` on a β1 × β2 grid, nothing otherwise."""
    return beta_curves(xaxis, yaxis) if {xaxis.name, yaxis.name} == {"beta1", "beta2"} else []


@dataclass(frozen=True)
class FolderOverlay:
    """A named overlay made from the folder it is drawn for: ``make(config, analysis)`` — config.json's
    document and analysis.json's ({} where there is none) — returns the overlay (a Curve, a Region or a
    function of the two axes)."""

    make: Any


def overlay_items(overlays, xaxis: GridAxis, yaxis: GridAxis) -> list:
    """The Curves and Regions of ``overlays`` (Curves, Regions and functions of the two axes) over these axes."""
    items = []
    for o in overlays:
        if isinstance(o, (Curve, Region)):
            items.append(o)
        elif callable(o):
            items.extend(o(xaxis, yaxis) or [])
        else:
            raise TypeError("an overlay is a Curve, a Region or a function of (xaxis, yaxis), "
                            f"not {type(o).__name__}")
    return items


def draw_overlay(ax, item, xaxis: GridAxis, yaxis: GridAxis):
    """An overlay in the axes' coordinates, recorded (marks curve / region); returns its legend handle."""
    from matplotlib import patheffects

    cx, cy = xaxis.coord(item.x), yaxis.coord(item.y)
    series = item.label or ""
    if isinstance(item, Curve):
        style = {**CURVE_STYLE, "path_effects": [patheffects.withStroke(linewidth=3, foreground="white")],
                 **item.style}
        (art,) = ax.plot(cx, cy, label=item.label, **style)
        record(ax, art, series, "curve", x=cx, y=cy)
    else:
        (art,) = ax.fill(cx, cy, label=item.label, **{**REGION_STYLE, **item.style})
        record(ax, art, series, "region", x=cx, y=cy)
    return art if item.label else None
