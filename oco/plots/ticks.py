"""Cheaper ticks of the same look (``plain_ticks``): matplotlib makes a Tick — four lines and two texts — for
every location its locator gives, which was most of a run figure's time. The Locator, Formatter and minor-tick
artist here subclass matplotlib's, so this module imports matplotlib: the figures import it when they draw."""

from __future__ import annotations

import re

import numpy as np
from matplotlib import rcParams, ticker
from matplotlib.lines import TICKDOWN, TICKLEFT, Line2D


def plain_ticks(ax) -> None:
    """Cheaper ticks of the same look on ``ax``'s axes (matplotlib makes a Tick — four lines and two texts —
    for every location its locator gives, which is most of a run figure's time):

    - only locations inside the view are given (a log locator gives a decade more on either side);
    - log labels (10^k, 2×10^k) are written in Unicode, 10⁻³, instead of mathtext, which matplotlib parses
      with pyparsing for every label (``plain_label``);
    - minor ticks without labels (log axes over more than a decade) are drawn as one line of tick marks at the
      same places, of the same size, width and colour (``rcParams``' minor ticks, pointing out), found at draw
      time from the same locator, instead of one Tick each.

    Same ticks, the same label on each (matplotlib's formatter still decides which ticks get one)."""
    for axis in (ax.xaxis, ax.yaxis):
        for get, put in ((axis.get_major_locator, axis.set_major_locator),
                         (axis.get_minor_locator, axis.set_minor_locator)):
            if not isinstance(get(), (InView, ticker.NullLocator)):
                put(InView(get()))
        for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                         (axis.get_minor_formatter, axis.set_minor_formatter)):
            if isinstance(get(), ticker.LogFormatterMathtext):
                put(PlainLog(get()))
        k = axis.axis_name
        locator = axis.get_minor_locator()
        if (isinstance(locator, InView) and rcParams[f"{k}tick.direction"] == "out"
                and not getattr(axis, "_minor_tick_kw", {}).get("gridOn", False)
                and not any(axis.get_minor_formatter().format_ticks(axis.get_minorticklocs()))):
            axis.set_minor_locator(ticker.NullLocator())
            ax.figure.add_artist(MinorMarks(axis, locator))  # in the figure: no line of the panel's csv


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def plain_label(s: str) -> str:
    """A log axis's mathtext label in plain text: $\\mathdefault{-2\\times10^{-4}}$ → −2×10⁻⁴ (matplotlib's
    LogFormatterMathtext and LogFormatterSciNotation write 0, ±c, ±b^{k} and ±c\\times b^{k} so); any other
    string as it is."""
    m = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", s)
    if not m:
        return s
    body = re.sub(r"\^\{(-?\d+)\}", lambda g: g.group(1).translate(_SUPERSCRIPT), m.group(1))
    body = body.replace("\\times", "×").replace("-", "−")  # mathtext draws '-' as the minus sign
    return s if re.search(r"[\\{}^$]", body) else body


def tick_labels(ax) -> list:
    """The tick labels of both axes of ``ax`` (major and minor, as their formatters write them)."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        for locs, formatter in ((axis.get_majorticklocs(), axis.get_major_formatter()),
                                (axis.get_minorticklocs(), axis.get_minor_formatter())):
            out.append(tuple(formatter.format_ticks(locs)))
    return out


class InView(ticker.Locator):
    """The locations of ``inner`` inside the view interval (a relative 1e-9 of slack at each end)."""

    def __init__(self, inner):
        self.inner = inner

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self):
        lo, hi = sorted(self.axis.get_view_interval())
        locs = np.asarray(self.inner(), float)
        return locs[(locs >= lo - 1e-9 * abs(lo)) & (locs <= hi + 1e-9 * abs(hi))]

    def tick_values(self, vmin, vmax):
        return self.inner.tick_values(vmin, vmax)

    def nonsingular(self, v0, v1):
        return self.inner.nonsingular(v0, v1)

    def view_limits(self, vmin, vmax):
        return self.inner.view_limits(vmin, vmax)

class PlainLog(ticker.Formatter):
    """The labels of the log formatter ``inner`` through ``plain_label``."""

    def __init__(self, inner):
        self.inner = inner

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None):
        return plain_label(self.inner(x, pos))

    def format_ticks(self, values):
        self.set_locs(values)
        return [self(v, i) for i, v in enumerate(values)]

    def get_offset(self):
        return self.inner.get_offset()

class MinorMarks(Line2D):
    """An axis's minor ticks as one line of tick marks (pointing out of the axes) at the locations
    ``locator`` gives when the figure is drawn."""

    def __init__(self, axis, locator):
        k = axis.axis_name
        axes = axis.axes
        super().__init__([], [], linestyle="none", marker=TICKDOWN if k == "x" else TICKLEFT,
                         markersize=rcParams[f"{k}tick.minor.size"],
                         markeredgewidth=rcParams[f"{k}tick.minor.width"],
                         color=rcParams[f"{k}tick.color"],
                         clip_on=False, zorder=2.5, label="_minor ticks",
                         transform=axes.get_xaxis_transform() if k == "x" else axes.get_yaxis_transform())
        self.axis_name, self.locator, self.axes_of = k, locator, axes

    def locations(self) -> np.ndarray:
        """The locator's locations but those on a major tick (as ``Axis.get_minorticklocs``)."""
        locs = np.asarray(self.locator(), float)
        axis = self.axes_of.xaxis if self.axis_name == "x" else self.axes_of.yaxis
        major = np.asarray(axis.get_majorticklocs(), float)
        if not axis.remove_overlapping_locs or not locs.size or not major.size:
            return locs
        tr = axis.get_transform()
        lo, hi = sorted(tr.transform(axis.get_view_interval()))
        near = np.isclose(tr.transform(locs)[:, None], tr.transform(major)[None, :],
                          atol=(hi - lo) * 1e-5, rtol=0).any(axis=1)
        return locs[~near]

    def draw(self, renderer):
        locs = self.locations()
        zeros = np.zeros_like(locs)
        self.set_data((locs, zeros) if self.axis_name == "x" else (zeros, locs))
        super().draw(renderer)
