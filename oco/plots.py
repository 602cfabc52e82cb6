"""Figures from a run or sweep folder (matplotlib, no display needed: figures are drawn on ``Figure``
objects and saved, never shown).

Runs: the average regret R_t/t against t (log t) for every method, with the problem's closed-form failure
level; the iterate x_t against t; the effective learning rate α_t/√v_t over time (min, median, max over
coordinates); for stochastic problems the expected-loss gap F(x_t) − F(x*). Several seeds are drawn as a
median line and a 10%–90% quantile band.

Sweeps: heat maps over two grid axes of R_T/T and of ‖x_T − x*‖ (median over seeds) on numeric axes — a
cell per grid point, its edges half-way between neighbouring values in the axis's scale (``grid_axis``: linear,
log, or log of 1 − v for values near 1 such as β2) — diverged cells hatched grey with a legend entry, and the
curves β1 = √β2 and β1 = β2 in their true coordinates when the axes are β1 and β2. Overlays (``Curve``,
``Region``, or a function of the two axes returning them; by name from ``OVERLAYS`` for an experiment) are
given in the grid's own values and drawn where those values are.

Every figure gets a sidecar ``NAME.json`` saying what it shows and how to make it again, and ``NAME.csv``:
exactly the data it draws, in long form (``CSV_COLUMNS``; a heat map's cells one row per cell for all its
maps, their edges per axis in the sidecar: ``_figure_table``), named in the sidecar with its columns and each
panel's axes, so that it can be drawn again in pgfplots or any other tool. The run figures of in-memory
Results (``Result.plot``, ``plot_results``) are drawn by the same code, from the same data (``run_data``: a
configuration and the traces a run folder stores); ``figure_rows(fig)`` gives any figure's rows. They are
placed by ``row_layout`` (measured once, drawn once) with ``plain_ticks``, not by a layout engine, which took
most of their time.
"""

from __future__ import annotations

import csv
import functools
import itertools
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import io
from .result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf", "pgf")
BAND = (0.1, 0.9)
DPI = 130


_IMPORTING = []  # the thread import_ahead started (joined before a fork: it holds the import lock)
_DRAWER: list = []  # the drawer process start_drawer forked, until plot_folder hands it a folder


def _forking() -> bool:
    """Figures may be drawn in forked processes: on Linux (macOS forks badly with its system frameworks), in a
    process with no other Python thread running (a fork copies none of them, and whatever lock one holds
    stays locked in the child: a Jupyter kernel, say, draws in its own process), and not with
    OCO_FIGURE_PROCESSES=1 (the test suite's setting: its tests read the Figure objects in-process)."""
    import threading

    return (sys.platform.startswith("linux") and os.environ.get("OCO_FIGURE_PROCESSES") != "1"
            and threading.active_count() == 1)


def import_ahead() -> None:
    """Get matplotlib imported while a command computes, before its figures are drawn: in a forked drawer
    process (``start_drawer``) where forking is allowed, otherwise on a background thread (the import, ~0.4 s,
    then overlaps the run where the compiled kernels release the GIL). Call it before anything starts threads
    (the kernels, a progress bar): it forks. A failure there is met again, and reported, where the figures
    are drawn."""
    if _forking() and not _DRAWER:
        start_drawer()
        return
    import threading

    def work():
        try:
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.figure  # noqa: F401
            import matplotlib.patches  # noqa: F401
        except Exception:
            pass

    thread = threading.Thread(target=work, name="oco-import-matplotlib", daemon=True)
    thread.start()
    _IMPORTING.append(thread)


def _fork(work) -> tuple[int, int]:
    """work() in a forked child, which sends its pickled result through a pipe and exits: (its pid, the pipe's
    end to read, for ``_result``)."""
    import pickle

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child; never returns
        code = 1
        try:
            os.close(read)
            result = work()
            with os.fdopen(write, "wb") as f:
                pickle.dump(result, f)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _result(pid: int, read: int):
    """What the child ``_fork`` started sent, once it has exited; None where it failed or sent nothing."""
    import pickle

    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    try:
        return pickle.loads(data) if status == 0 and data else None
    except Exception:
        return None


def start_drawer() -> None:
    """Fork a process that imports matplotlib now, on the other core, while this one computes, and then waits
    for the one folder ``plot_folder`` hands it: it draws the figures there (``two_processes``: in two
    processes) and sends back their paths. This process never imports matplotlib for them. If it never gets a
    folder (an error, Ctrl-C), it sees its pipe close and exits; if it fails, ``plot_folder`` draws here."""
    import atexit
    import pickle

    request_r, request_w = os.pipe()

    def draw():
        os.close(request_w)
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import matplotlib.patches  # noqa: F401

        with os.fdopen(request_r, "rb") as f:
            request = f.read()  # until this process's end closes: a folder, or nothing
        if not request:
            return None
        path, fmt = pickle.loads(request)
        return (plot_sweep if load_config(Path(path))["kind"] == "sweep" else plot_run)(path, fmt)

    pid, reply_r = _fork(draw)
    os.close(request_r)
    _DRAWER.append((pid, request_w, reply_r))
    atexit.register(_stop_drawer)


def _stop_drawer() -> None:
    """At exit, a drawer never handed a folder: close its pipes (it exits when it reads their end; not
    waited for, so that an early exit — bad input — is not held up by its import)."""
    while _DRAWER:
        pid, request_w, reply_r = _DRAWER.pop()
        for fd in (request_w, reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _drawn_by_drawer(path: Path, fmt: str) -> list[Path] | None:
    """The drawer's figures of ``path`` (None where there is no drawer or it failed: the caller draws)."""
    import pickle

    if not _DRAWER:
        return None
    pid, request_w, reply_r = _DRAWER.pop()
    try:
        with os.fdopen(request_w, "wb") as f:
            pickle.dump((str(path), fmt), f)
    except OSError:  # the drawer is gone
        pass
    return _result(pid, reply_r)


def two_processes(items: list, work, weight=None) -> list:
    """[work(item) for item in items], shared with a forked child process (``_fork``): a folder's figures are
    independent, each ~0.1–0.25 s of CPU that holds the GIL, and writes its own files. ``weight(item)``: its
    relative cost (default 1); the heaviest are dealt first, each to the process with less so far. Where the
    child fails, or forking is not allowed (``_forking``), this process does its items itself. The files are
    the same either way."""
    for thread in _IMPORTING:  # an import on another thread would leave the child locked out
        thread.join()
    if len(items) < 2 or not _forking():
        return [work(item) for item in items]
    load, share = [0.0, 0.0], ([], [])  # this process's indices, the child's
    for i in sorted(range(len(items)), key=lambda i: -(weight(items[i]) if weight else 1.0)):
        k = int(load[1] <= load[0])  # ties to the child: this process has the pipe to read besides
        share[k].append(i)
        load[k] += weight(items[i]) if weight else 1.0
    mine_i, theirs_i = sorted(share[0]), sorted(share[1])
    pid, read = _fork(lambda: [work(items[i]) for i in theirs_i])
    try:
        mine = [work(items[i]) for i in mine_i]
    finally:  # also when this process's share raises: the child is waited for
        theirs = _result(pid, read)
    if theirs is None:
        theirs = [work(items[i]) for i in theirs_i]
    out = [None] * len(items)
    for i, r in zip(mine_i + theirs_i, mine + theirs):
        out[i] = r
    return out


def _figure(ncols: int = 1, width: float = 6.4, height: float = 4.2, layout: str | None = "constrained"):
    """A Figure of ``ncols`` panels in a row. ``layout=None``: no layout engine; place the panels with
    ``row_layout`` once they are drawn (the run figures: a layout engine costs most of a figure's time)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout=layout, dpi=DPI)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


LAYOUT_PAD = 0.07  # inches between a panel's decorations and the figure's edge, the title or the next panel


def row_layout(fig, axes: list, title=None) -> None:
    """Place a row of drawn panels (with ``title``, the figure's suptitle Text, above them) the way
    matplotlib's constrained layout does for this layout, without its engine: each panel's decorations (tick
    labels, axis labels, offset text: ``Axis.get_tightbbox``) are measured, and the panels, of equal size, get
    just the room they need, LAYOUT_PAD apart. Measured again only where the tick labels change once the
    panels are placed (their number can depend on a panel's size). The figure is then drawn once, with the
    ticks and text sizes measured here, where a layout engine draws it twice and measures every panel several
    times."""
    from matplotlib.backends.backend_agg import RendererAgg

    W, H = fig.get_size_inches() * fig.dpi
    renderer = RendererAgg(int(W), int(H), fig.dpi)
    pad = LAYOUT_PAD * fig.dpi
    title_bottom = title.get_window_extent(renderer).y0 if title is not None and title.get_text() else H
    needs = [(0.0, 0.0, 0.0, 0.0)] * len(axes)  # per panel: room (px) left, right, below and above its box
    for _ in range(3):
        labels = [_tick_labels(ax) for ax in axes]
        grown = False
        for i, ax in enumerate(axes):
            box = ax.get_position().transformed(fig.transFigure)
            bbs = [b for b in (ax.xaxis.get_tightbbox(renderer, for_layout_only=True),
                               ax.yaxis.get_tightbbox(renderer, for_layout_only=True)) if b is not None]
            if bbs:
                need = (box.x0 - min(b.x0 for b in bbs), max(b.x1 for b in bbs) - box.x1,
                        box.y0 - min(b.y0 for b in bbs), max(b.y1 for b in bbs) - box.y1)
                grown |= any(n > had + 0.5 for n, had in zip(need, needs[i]))
                needs[i] = tuple(max(n, had, 0.0) for n, had in zip(need, needs[i]))
        if not grown:
            return
        bottom = max(n[2] for n in needs) + pad
        top = min(title_bottom - pad, H - pad) - max(n[3] for n in needs)
        width = (W - sum(n[0] + n[1] for n in needs) - pad * (len(axes) + 1)) / len(axes)
        x = pad
        for ax, n in zip(axes, needs):
            x += n[0]
            ax.set_position([x / W, bottom / H, max(width, 1.0) / W, max(top - bottom, 1.0) / H])
            x += width + n[1] + pad
        if [_tick_labels(ax) for ax in axes] == labels:  # the same ticks where the panels are now: done
            return


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
    from matplotlib import rcParams, ticker

    in_view, plain_log, minor_marks = _tick_classes()
    for axis in (ax.xaxis, ax.yaxis):
        for get, put in ((axis.get_major_locator, axis.set_major_locator),
                         (axis.get_minor_locator, axis.set_minor_locator)):
            if not isinstance(get(), (in_view, ticker.NullLocator)):
                put(in_view(get()))
        for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                         (axis.get_minor_formatter, axis.set_minor_formatter)):
            if isinstance(get(), ticker.LogFormatterMathtext):
                put(plain_log(get()))
        k = axis.axis_name
        locator = axis.get_minor_locator()
        if (isinstance(locator, in_view) and rcParams[f"{k}tick.direction"] == "out"
                and not getattr(axis, "_minor_tick_kw", {}).get("gridOn", False)
                and not any(axis.get_minor_formatter().format_ticks(axis.get_minorticklocs()))):
            axis.set_minor_locator(ticker.NullLocator())
            ax.figure.add_artist(minor_marks(axis, locator))  # in the figure: no line of the panel's csv


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


@functools.cache
def _tick_classes():
    """The Locator, Formatter and minor-tick artist of ``plain_ticks`` (made on first use: importing oco
    imports no matplotlib)."""
    from matplotlib import rcParams, ticker
    from matplotlib.lines import TICKDOWN, TICKLEFT, Line2D

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

    return InView, PlainLog, MinorMarks


def _tick_labels(ax) -> list:
    """The tick labels of both axes of ``ax`` (major and minor, as their formatters write them)."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        for locs, formatter in ((axis.get_majorticklocs(), axis.get_major_formatter()),
                                (axis.get_minorticklocs(), axis.get_minor_formatter())):
            out.append(tuple(formatter.format_ticks(locs)))
    return out


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


# ---------------------------------------------------------------- what a figure draws, as data (NAME.csv)
CSV_COLUMNS = {
    "panel": "the panel (axes) of the row; the sidecar's 'panels' gives each panel's axes: label, scale, "
             "and for a heat map the grid parameter, how it maps to the coordinate, its values and its cell "
             "edges. Empty on a heat map's cell rows: they are shared by the panels that draw the same "
             "cells, each panel's colour values in its own column value:PANEL",
    "element": "the number of the mark in the figure: the rows of one line, band, mesh or region share it",
    "series": "what the mark shows: a method's label, 'failure level', 'β1 = √β2', … (a line drawn without a "
              "label, and a heat map's cells: empty; a heat map's quantity is its panel's 'value' in the "
              "sidecar)",
    "mark": "line (a point of a polyline, in order), marker (a point drawn alone), band_low / band_high (the "
            "lower and upper edge of a shaded band), level (a horizontal line at y across the panel; x empty), "
            "vlevel (a vertical line at x), cell (a heat-map or matrix cell centred on x, y: its edges are "
            "in the sidecar's panel, 'cell_edges' and each axis's 'edges'), curve (a point of an overlay "
            "curve), region (a vertex of an overlay polygon, in order)",
    "stat": "what y (or value) is: value (one configuration), median (over seeds), qP (the P-quantile over "
            "seeds, or over coordinates for the learning rates); empty where the drawing code does not say",
    "x": "x as drawn, in the panel's coordinate: the grid value on a linear or log axis, 1 − v on a "
         "log(1 − v) axis, the index on a categorical axis",
    "y": "y as drawn, in the panel's coordinate (as x)",
    "x_value": "a heat-map cell's grid value of the x parameter, where x is not that value itself (x = 1 − "
               "x_value on a log(1 − v) axis); empty where x is the value",
    "y_value": "a heat-map cell's grid value of the y parameter, as x_value",
    "status": "a heat-map cell's state where it is not coloured by a value: diverged (hatched grey), missing "
              "(white); empty otherwise (a value of nan with no status: not finite, not coloured) — or a "
              "verdict of oco check",
    "x_category": "the category at x on a categorical axis",
    "y_category": "the category at y on a categorical axis",
}
# a heat map's cell rows carry the colour value of each panel that draws them in a column of its own
CELL_VALUE = "value:{panel}"
CELL_VALUE_MEANING = ("the colour value of the cell in the panel {panel} (nan where the cell is not "
                      "coloured: diverged, missing or not finite; empty on the rows of cells the panel does "
                      "not draw)")
CORE_COLUMNS = ("panel", "element", "series", "mark", "stat", "x", "y")  # in every csv; the others where used
_NUMERIC = ("x", "y", "x_value", "y_value")


def _drawn(ax) -> dict:
    """What the drawing code recorded for the axes ``ax``: its panel name and description, and its marks."""
    rec = ax.__dict__.get("_oco_drawn")
    if rec is None:
        rec = ax._oco_drawn = {"panel": None, "info": {}, "elements": []}
    return rec


def set_panel(ax, name: str, **info) -> None:
    """Name the panel ``ax`` in its figure's csv; ``info`` is added to the sidecar's description of it."""
    rec = _drawn(ax)
    rec["panel"] = name
    rec["info"].update(info)


def record(ax, artist, series: str, mark, stat="", **columns) -> None:
    """Record the data of ``artist`` (drawn in ``ax``) as rows of the figure's csv: ``mark``, ``stat`` and
    each of ``columns`` (keys of CSV_COLUMNS) are a scalar or an array, broadcast to the number of rows. A
    heat map's cells (mark ``cell``) give ``value``, their colour values: written in the column value:PANEL,
    on rows shared with the other panels of the figure that draw the same cells (``_figure_table``)."""
    unknown = set(columns) - set(CSV_COLUMNS) - {"value"}
    if unknown:
        raise ValueError(f"record: unknown csv columns {sorted(unknown)}")
    _drawn(ax)["elements"].append({"artist": artist, "series": series, "mark": mark, "stat": stat, **columns})


def draw_line(ax, x, y, series: str, stat: str = "", mark: str = "line", **kw):
    """``ax.plot(x, y, **kw)``, recorded; returns the Line2D."""
    (ln,) = ax.plot(x, y, **kw)
    record(ax, ln, series, mark, stat, x=np.asarray(x, float), y=np.asarray(y, float))
    return ln


def draw_band(ax, x, lo, hi, series: str, stats: tuple[str, str], **kw):
    """``ax.fill_between(x, lo, hi, **kw)``, recorded as one element: band_low rows, then band_high rows."""
    art = ax.fill_between(x, lo, hi, **kw)
    x, lo, hi = (np.asarray(v, float) for v in (x, lo, hi))
    n = len(x)
    record(ax, art, series, np.repeat(["band_low", "band_high"], n), np.repeat(list(stats), n),
           x=np.concatenate([x, x]), y=np.concatenate([lo, hi]))
    return art


def draw_level(ax, y: float, series: str, stat: str = "", **kw):
    """``ax.axhline(y, **kw)``, recorded; returns the Line2D."""
    ln = ax.axhline(y, **kw)
    record(ax, ln, series, "level", stat, y=float(y))
    return ln


def panel_names(fig) -> list[str | None]:
    """The csv's panel name of each of ``fig.axes`` (None for an axes that draws no data, e.g. a colour bar):
    the name given by ``set_panel``, else the axes' title, else 'panel K'; made unique within the figure."""
    names, seen = [], set()
    for k, ax in enumerate(fig.axes):
        rec = ax.__dict__.get("_oco_drawn")
        if not (rec and rec["elements"]) and not ax.get_lines():
            names.append(None)
            continue
        name = (rec or {}).get("panel") or ax.get_title() or f"panel {k + 1}"
        base, i = name, 2
        while name in seen:
            name, i = f"{base} ({i})", i + 1
        seen.add(name)
        names.append(name)
    return names


def _elements(ax) -> list[dict]:
    """The recorded elements of ``ax`` and, after them, every line drawn there without being recorded (a line
    added with ``ax.plot``/``ax.axhline`` still reaches the csv, with its label as series)."""
    rec = ax.__dict__.get("_oco_drawn") or {"elements": []}
    elements = list(rec["elements"])
    known = {id(e["artist"]) for e in elements}
    for ln in ax.get_lines():
        if id(ln) in known:
            continue
        label = ln.get_label()
        series = "" if label is None or str(label).startswith("_") else str(label)
        x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        if ln.get_transform() is ax.get_yaxis_transform(which="grid"):  # axhline: x in axes fractions
            elements.append({"artist": ln, "series": series, "mark": "level", "stat": "", "y": float(y[0])})
        elif ln.get_transform() is ax.get_xaxis_transform(which="grid"):
            elements.append({"artist": ln, "series": series, "mark": "vlevel", "stat": "", "x": float(x[0])})
        else:
            mark = "marker" if ln.get_linestyle() in ("None", "none", "", " ") else "line"
            elements.append({"artist": ln, "series": series, "mark": mark, "stat": "", "x": x, "y": y})
    return elements


def _figure_table(fig) -> tuple[dict[str, list[str]], dict]:
    """The csv of ``fig`` as columns of strings, and the description of its panels. The columns: CORE_COLUMNS,
    then those of CSV_COLUMNS that a mark of the figure records, then value:PANEL for each panel with a heat
    map. A heat map's cells are one row per cell for all the panels that draw the same cells (the same
    coordinates, grid values, states and stat: the two maps of a sweep figure), each panel's colour values in
    its column: a 500 × 500 map is 250 000 rows, not 250 000 per panel, and each cell's edges are n + 1
    numbers per axis in the sidecar instead of four numbers per row."""
    panels: dict[str, dict] = {}
    blocks: list[tuple] = []  # ("rows", panel, element, e) or ("cells", shared block)
    shared: list[dict] = []
    element = 0
    for ax, name in zip(fig.axes, panel_names(fig)):
        if name is None:
            continue
        panels[name] = _panel_info(ax)
        for e in _elements(ax):
            if "value" in e:  # a heat map's cells
                block = next((b for b in shared if _same_cells(b["e"], e)), None)
                if block is None:
                    element += 1
                    block = {"element": element, "e": e, "values": {}}
                    shared.append(block)
                    blocks.append(("cells", block))
                block["values"][name] = e["value"]
                panels[name]["cells"] = {"element": block["element"], "column": CELL_VALUE.format(panel=name)}
                continue
            element += 1
            blocks.append(("rows", name, element, e))
    used = {c for b in blocks for c in (b[3] if b[0] == "rows" else b[1]["e"])}
    names = [c for c in CSV_COLUMNS if c in CORE_COLUMNS or c in used]
    value_cols = {p: CELL_VALUE.format(panel=p) for b in shared for p in b["values"]}
    cols: dict[str, list[str]] = {c: [] for c in [*names, *value_cols.values()]}
    for b in blocks:
        if b[0] == "rows":
            _, name, k, e = b
            fixed, values = {"panel": name, "element": k}, {}
        else:
            block = b[1]
            e, name = block["e"], ""
            fixed, values = {"panel": "", "element": block["element"]}, block["values"]
        sizes = {np.size(e[c]) for c in CSV_COLUMNS if c in e and np.ndim(e[c]) > 0}
        sizes |= {np.size(v) for v in values.values()}
        if len(sizes) > 1:
            raise ValueError(f"panel {name}: the columns of {e['series']!r} have different lengths {sizes}")
        n = sizes.pop() if sizes else 1
        for c in names:
            _extend(cols[c], fixed.get(c, e.get(c)), c in _NUMERIC, n)
        for p, c in value_cols.items():
            _extend(cols[c], values.get(p), True, n)
    return cols, panels


def _extend(column: list[str], v, numeric: bool, n: int) -> None:
    """n cells of a csv column: v (None: empty; a scalar, repeated; an array), numbers as exact decimals."""
    if v is None:
        column.extend([""] * n)
    elif np.ndim(v) == 0:
        column.extend([repr(float(v)) if numeric else str(v)] * n)
    elif numeric:
        column.extend(map(repr, np.asarray(v, float).ravel().tolist()))
    else:
        column.extend(map(str, np.asarray(v, dtype=object).ravel().tolist()))


_CELL_KEYS = ("series", "stat", "x", "y", "x_value", "y_value", "status", "x_category", "y_category")


def _same_cells(a: dict, b: dict) -> bool:
    """Whether two heat maps' cell records are the same cells (all but their colour values equal)."""
    for k in _CELL_KEYS:
        if (k in a) != (k in b):
            return False
        if k in a and not (np.shape(a[k]) == np.shape(b[k]) and np.all(np.asarray(a[k]) == np.asarray(b[k]))):
            return False
    return True


def _panel_info(ax) -> dict:
    rec = ax.__dict__.get("_oco_drawn") or {"info": {}}
    info = {"title": ax.get_title()} if ax.get_title() else {}
    for axis, label, scale, inverted in (("x", ax.get_xlabel(), ax.get_xscale(), ax.xaxis_inverted()),
                                         ("y", ax.get_ylabel(), ax.get_yscale(), ax.yaxis_inverted())):
        info[axis] = {"label": label, "scale": scale, **({"inverted": True} if inverted else {}),
                      **rec["info"].get(axis, {})}
    info.update({k: v for k, v in rec["info"].items() if k not in ("x", "y")})
    return info


def figure_rows(fig) -> list[dict[str, str]]:
    """The rows of the csv written beside ``fig`` (its columns: ``_figure_table``; numbers as exact decimal
    strings)."""
    cols, _ = _figure_table(fig)
    return [dict(zip(cols, row)) for row in zip(*cols.values())]


def _csv_text(cols: dict[str, list[str]]) -> str:
    import io as _io

    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(cols))
    w.writerows(zip(*cols.values()))
    return buf.getvalue()


def median_band(ax, t: np.ndarray, Y: np.ndarray, label: str, color, band: tuple = BAND, **kw) -> np.ndarray:
    """Y (K, B): one line when B = 1, else the median over the B runs and a quantile band (recorded for the
    csv: series ``label``, stat value, or median and the band's quantiles). Returns the line."""
    Y = np.asarray(Y, float).reshape(len(t), -1)
    if Y.shape[1] == 1:
        draw_line(ax, t, Y[:, 0], label, "value", color=color, label=label, **kw)
        return Y[:, 0]
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
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


def bound_over_t(s: dict) -> np.ndarray | None:
    """A series' regret bound over t (the trace ``regret_bound``, (K, B): ``oco.bounds``), the median over its
    configurations; None where the method has no bound or no configuration meets the theorem's conditions."""
    if "regret_bound" not in s:
        return None
    Y = np.asarray(s["regret_bound"], float).reshape(len(s["t"]), -1)
    if not np.isfinite(Y).any():
        return None
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(Y, axis=1) / np.asarray(s["t"], float)


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
        bound = bound_over_t(s)
        if bound is not None:  # the method's published regret bound (oco.bounds), dashed, in R_t/t's units
            ax.plot(s["t"], bound, color=c, ls="--", lw=1, label=f"{s['label']}: regret bound / t")
            allv.append(bound[np.isfinite(bound)])
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
    "regret": ("average regret R_t/t against t (log t), with the closed-form failure level and, dashed, each "
               "method's published regret bound over t where it has one", [regret_axes]),
    "iterate": ("the iterate x_t against t (log t) and the best fixed point x*", [iterate_axes]),
    "lr": ("the effective learning rate α_t/√v_t over time (min, median, max over coordinates)", [lr_axes]),
    "gap": ("the expected-loss gap F(x_t) − F(x*) of a stochastic problem", [gap_axes]),
    "overview": ("average regret and iterate side by side", [regret_axes, iterate_axes]),
}


PANEL_NAMES = {regret_axes: "regret", iterate_axes: "iterate", lr_axes: "lr", gap_axes: "gap"}


def plot_run(path: str | Path, fmt: str = "png", names: list[str] | None = None) -> list[Path]:
    path = Path(path)
    data = load_run(path)
    exp = data["experiment"]
    names = names or exp.get("figures") or ["overview", "regret", "iterate", "lr"]
    stochastic = "expected_gap" in data["series"][0]
    if stochastic and "gap" not in names:
        names = [*names, "gap"]
    def draw(name):
        fig, what = run_figure(data, name)
        return _save(fig, path, name, fmt, what, data["config"], exp)

    def panels(name):  # a figure's cost: about one panel's more than its panels (as measured)
        return 1 + (3 if name == "overview" and stochastic else len(RUN_FIGURES[name][1]))

    return two_processes([n for n in names if n != "gap" or stochastic], draw, weight=panels)


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
    fig, axes = _figure(len(panels), width=6.4 if len(panels) < 3 else 5.2, layout=None)
    for i, (ax, draw) in enumerate(zip(axes, panels)):
        # the panel's name in the csv: the figure it is drawn for (lr with d > 1: one panel per method)
        set_panel(ax, PANEL_NAMES.get(draw) or f"lr: {data['series'][i]['label']}")
        draw(ax, data)
    if name == "lr" and len(axes) > 1 and len({a.get_yscale() for a in axes}) == 1:  # shared limits
        lo = min(a.get_ylim()[0] for a in axes)
        hi = max(a.get_ylim()[1] for a in axes)
        for a in axes:
            a.set_ylim(lo, hi)
    title = fig.suptitle(_wrap(_title(data["config"], data["experiment"]), 75 * len(panels)), fontsize=11)
    for ax in axes:
        plain_ticks(ax)
    row_layout(fig, axes, title)
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
    fixed = {k: _key(v) for k, v in fixed.items()}
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


# ---------------------------------------------------------------- heat-map axes: the grid's values as coordinates
PARAM_SYMBOLS = {"beta1": "β1", "beta2": "β2", "alpha": "α", "eps": "ε"}
EVEN_RTOL = 1e-6  # gaps within this fraction of their mean: evenly spaced
LOG_EVEN_RTOL = 0.1  # gaps of log10(1 − v) within this fraction of their mean: roughly even on a log scale
DECADE = 10.0  # max/min at least this: the values span (at least) a decade
RASTER_CELLS = 10_000  # larger meshes are rasterized in svg/pdf/pgf (the csv has every cell)


@dataclass(frozen=True)
class GridAxis:
    """A grid parameter drawn as an axis of a heat map (or of a one-axis sweep's plot).

    ``values`` in increasing order (numbers) or as given (categories); ``scale``, chosen by ``grid_axis``:

    - ``linear``: the coordinate is v, on a linear axis;
    - ``log``: v, on a log axis;
    - ``log1m``: 1 − v, on a log axis running from large 1 − v to small, so that v grows away from the origin
      (β2 = 0.9, 0.99, 0.999 equally spaced);
    - ``category``: the value's index, labelled with the value.

    Cells: u is the coordinate in which the axis is linear (v, log10 v, log10(1 − v), the index); a value's cell
    reaches half-way to its neighbours in u, and the outer cells as far beyond their value as half the gap to
    their neighbour (a single value: u ± ½; on a linear axis v ± |v|/2, or ± ½ at 0).
    """

    name: str
    values: tuple
    scale: str
    why: str = ""

    @property
    def symbol(self) -> str:
        return PARAM_SYMBOLS.get(self.name, self.name)

    @property
    def label(self) -> str:
        return f"1 − {self.symbol}" if self.scale == "log1m" else self.symbol

    def _u(self, v) -> np.ndarray:
        if self.scale == "category":
            index = {io.fmt_cell(c): i for i, c in enumerate(self.values)}
            unknown = [c for c in np.atleast_1d(np.asarray(v, dtype=object)) if io.fmt_cell(c) not in index]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a value of the grid axis {self.name}")
            return np.array([index[io.fmt_cell(c)] for c in np.atleast_1d(np.asarray(v, dtype=object))], float)
        v = np.asarray(v, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"linear": v, "log": np.log10(v), "log1m": np.log10(1.0 - v)}[self.scale]

    def _coord_of_u(self, u: np.ndarray) -> np.ndarray:
        if self.scale in ("log", "log1m"):
            return 10.0 ** np.clip(u, -307.0, 307.0)
        return np.clip(u, -1.7e308, 1.7e308)

    def coord(self, v) -> np.ndarray:
        """Where parameter values ``v`` are drawn: v, 1 − v (log1m) or the index (category)."""
        if self.scale == "category":
            return self._u(v)
        v = np.asarray(v, float)
        return 1.0 - v if self.scale == "log1m" else v

    def value_of(self, c) -> np.ndarray:
        """The parameter value at coordinate ``c`` (numeric axes)."""
        c = np.asarray(c, float)
        return 1.0 - c if self.scale == "log1m" else c

    def _edges_u(self) -> np.ndarray:
        u = self._u(list(self.values)) if self.scale == "category" else self._u(np.asarray(self.values, float))
        if len(u) == 1:
            half = 0.5 if self.scale != "linear" or u[0] == 0 else abs(u[0]) / 2
            return np.array([u[0] - half, u[0] + half])
        mid = (u[:-1] + u[1:]) / 2
        return np.concatenate([[u[0] - (u[1] - u[0]) / 2], mid, [u[-1] + (u[-1] - u[-2]) / 2]])

    def edges(self) -> np.ndarray:
        """The n + 1 cell edges in the axis's coordinate, in the order of ``values``."""
        return self._coord_of_u(self._edges_u())

    def extent(self) -> tuple[float, float]:
        """The parameter values at the outer edges of the first and last cells (numeric axes), increasing."""
        lo, hi = sorted(self.value_of(self.edges()[[0, -1]]).tolist())
        return lo, hi

    def sample(self, n: int = 512) -> np.ndarray:
        """``n`` parameter values from edge to edge, evenly spaced as the axis draws them (numeric axes)."""
        e = self._edges_u()
        return self.value_of(self._coord_of_u(np.linspace(e[0], e[-1], n)))

    def apply(self, ax, which: str, limits: bool = True) -> None:
        """Scale, label, categories and (``limits``) the cells' extent of the ``which`` ('x' or 'y') axis."""
        axis = ax.xaxis if which == "x" else ax.yaxis
        (ax.set_xscale if which == "x" else ax.set_yscale)("log" if self.scale in ("log", "log1m") else "linear")
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(self.label)
        if self.scale == "category":
            labels = [str(v) for v in self.values]
            (ax.set_xticks if which == "x" else ax.set_yticks)(range(len(labels)), labels)
        if limits:
            e = self.edges()  # log1m: decreasing, which inverts the axis
            (ax.set_xlim if which == "x" else ax.set_ylim)(e[0], e[-1])
        elif self.scale == "log1m":
            axis.set_inverted(True)

    def describe(self, cells: bool = False) -> dict:
        """The axis for the sidecar: the parameter, the coordinate it is drawn in, and why this scale; with
        ``cells`` (a heat map) also its values, in the order of the cells, and the n + 1 cell edges in the
        coordinate (``edges``: the cell of values[i] lies between edges[i] and edges[i + 1]) with their
        rule."""
        coordinate = {"log1m": f"1 - {self.name}", "category": f"index of {self.name}"}.get(self.scale, self.name)
        out = {"parameter": self.name, "coordinate": coordinate, "rule": self.why}
        if self.scale == "category":
            out["categories"] = [str(v) for v in self.values]
        if cells:
            u = {"linear": self.name, "log": f"log10 {self.name}", "log1m": f"log10(1 - {self.name})",
                 "category": f"the index of {self.name}"}[self.scale]
            out["values"] = [str(v) for v in self.values] if self.scale == "category" else list(self.values)
            out["edges"] = self.edges().tolist()
            out["cell_edges"] = (f"in u = {u}, each value's cell reaches half-way to its neighbours and the "
                                 "outer cells as far beyond their value as half the gap to their neighbour "
                                 "(a single value: u ± 1/2, or v ± |v|/2 on a linear axis, ± 1/2 at 0); "
                                 "edges in the coordinate, the cell of values[i] between edges[i] and "
                                 "edges[i + 1]")
        return out


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def grid_axis(name: str, values) -> GridAxis:
    """How a grid parameter's values are drawn: a rule on the values alone, the same for any parameter.

    1. not all numbers: ``category``;
    2. three or more values, evenly spaced (every gap within 1e-6 of their mean gap): ``linear``;
    3. all in [½, 1) and 1 − v spanning at least a decade — β2 = 0.9 … 0.9999, any value near 1: ``log1m``,
       1 − v on a log axis;
    4. three or more values in [0, 1) whose 1 − v spans at least a decade and is evenly spaced on a log scale,
       roughly (every gap of log10(1 − v) within 10% of their mean gap) — Zhang et al.'s β2 = 0.12 … 0.999,
       β2 = 0, 0.9, 0.99, 0.999: ``log1m`` too;
    5. all positive, spanning at least a decade (max/min ≥ 10), and within 10^±100: ``log`` (matplotlib's log
       ticks overflow on axes that reach near 10^308; such values fall through to a linear axis);
    6. otherwise ``linear``.
    (Two values are never "evenly spaced": 0.001 and 0.1 go on a log axis.)
    """
    values = list(values)
    if not values or not all(_is_number(v) for v in values):
        return GridAxis(name, tuple(values), "category", "not all numbers")
    values = sorted(values, key=float)
    v = np.asarray(values, float)
    gaps = np.diff(v)
    if len(v) >= 3 and np.all(np.abs(gaps - gaps.mean()) <= EVEN_RTOL * gaps.mean()) and gaps.mean() > 0:
        return GridAxis(name, tuple(values), "linear", "evenly spaced")
    if v.min() >= 0.5 and v.max() < 1 and (1 - v.min()) / (1 - v.max()) >= DECADE:
        span = np.log10((1 - v.min()) / (1 - v.max()))
        return GridAxis(name, tuple(values), "log1m", f"in [1/2, 1), 1 − {name} spanning {span:.3g} decades")
    if len(v) >= 3 and v.min() >= 0 and v.max() < 1 and (1 - v.min()) / (1 - v.max()) >= DECADE:
        u = np.diff(np.log10(1 - v))  # negative: 1 − v decreases
        if np.all(np.abs(u - u.mean()) <= LOG_EVEN_RTOL * abs(u.mean())):
            span = np.log10((1 - v.min()) / (1 - v.max()))
            return GridAxis(name, tuple(values), "log1m",
                            f"in [0, 1), 1 − {name} evenly spaced on a log scale over {span:.3g} decades")
    if v.min() > 0 and v.max() / v.min() >= DECADE and 1e-100 <= v.min() and v.max() <= 1e100:
        span = np.log10(v.max() / v.min())
        return GridAxis(name, tuple(values), "log", f"positive, spanning {span:.3g} decades")
    return GridAxis(name, tuple(values), "linear", "neither evenly spaced nor spanning a decade")


def _sorted_order(values: list) -> np.ndarray:
    """The order in which ``grid_axis`` puts ``values`` (increasing numbers; categories as given)."""
    if values and all(_is_number(v) for v in values):
        return np.argsort(np.asarray(values, float), kind="stable")
    return np.arange(len(values))


# ---------------------------------------------------------------- overlays: curves and regions over a heat map
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


def _zhang_region(cfg: dict, analysis: dict):
    """Zhang et al.'s divergence region {D < 0} in closed form (``oco.zhang.region_overlay``) for the folder's
    n and a (analysis.json's, else the problem's parameters; a = 1/(n − 1)² by default)."""
    from .analyses import zhang

    params = cfg["problem"]["params"]
    n, a = analysis.get("n", params.get("n")), analysis.get("a", params.get("a"))
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise io.FolderError(f"the overlay zhang-region needs the problem's n (an integer ≥ 2), "
                             f"got {_short(n)}")
    return zhang.region_overlay(n, None if a is None else float(a))


def _zhang_running_away(cfg: dict, analysis: dict):
    """The cells whose run ran away (analysis.json's ``running_away``: ``oco.zhang.running_away_overlay``)."""
    from .analyses import zhang

    cells = analysis.get("running_away")
    if not isinstance(cells, list):
        raise io.FolderError("the overlay zhang-running-away needs analysis.json's running_away (a list of "
                             "[beta1, beta2]), which this folder does not have")
    return zhang.running_away_overlay(cells)


# overlays an experiment names in experiment.json ("overlays": [NAME, …]), which `oco plot DIR` draws again: a
# function (xaxis, yaxis) → Curves and Regions in the grid's values, or a FolderOverlay; add an entry here (or
# from a module plots imports) to draw it in oco plot
OVERLAYS = {"beta-curves": beta_curves, "zhang-region": FolderOverlay(_zhang_region),
            "zhang-running-away": FolderOverlay(_zhang_running_away)}


def _overlay_items(overlays, xaxis: GridAxis, yaxis: GridAxis) -> list:
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


def _draw_overlay(ax, item, xaxis: GridAxis, yaxis: GridAxis):
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
    from matplotlib.patches import Patch, Rectangle

    xo, yo = _sorted_order(list(xs)), _sorted_order(list(ys))
    xa, ya = grid_axis(xname, [xs[i] for i in xo]), grid_axis(yname, [ys[j] for j in yo])
    Z = np.asarray(Z, float)[np.ix_(yo, xo)]
    diverged, missing = (np.asarray(a, bool)[np.ix_(yo, xo)] for a in (diverged, missing))
    ny, nx = Z.shape
    xe, ye = xa.edges(), ya.edges()
    shown = np.where(diverged | missing | ~np.isfinite(Z), np.nan, Z)  # what is coloured
    M = np.ma.masked_invalid(shown)
    mesh = ax.pcolormesh(xe, ye, M, cmap=cmap, norm=_norm(shown), shading="flat",
                         rasterized=M.size > RASTER_CELLS)
    cb = ax.figure.colorbar(mesh, ax=ax)
    cb.set_label(label)
    xc, yc = xa.coord(list(xa.values)), ya.coord(list(ya.values))
    # the csv: a row per cell, row by row of y (pcolormesh's order), its centre, its grid values where the
    # coordinate is not the value (1 − v), its colour value and a status where it is not coloured
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
    for mask, style in ((diverged, {"facecolor": "0.75", "edgecolor": "0.35", "hatch": "///", "lw": 0}),
                        (missing & ~diverged, {"facecolor": "white", "edgecolor": "0.8", "lw": 0.5})):
        for j in np.flatnonzero(mask.any(axis=1)):  # one rectangle per run of cells in a row
            for i0, i1 in _runs(mask[j]):
                (x0, x1), (y0, y1) = sorted((xe[i0], xe[i1 + 1])), sorted((ye[j], ye[j + 1]))
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, **style))
    handles = [Patch(facecolor="0.75", edgecolor="0.35", hatch="///", label="diverged")] if diverged.any() else []
    if nx * ny <= 64:
        norm = mesh.norm
        for j in range(ny):
            for i in range(nx):
                if np.isfinite(shown[j, i]):
                    ax.text(xc[i], yc[j], f"{shown[j, i]:.2g}", ha="center", va="center", fontsize=7,
                            color="black" if float(norm(shown[j, i])) > 0.6 else "white")
    chosen = [default_overlays] if overlays is None else list(overlays)
    for item in _overlay_items(chosen, xa, ya):
        handle = _draw_overlay(ax, item, xa, ya)
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
    title = _title(cfg, exp)
    if len(names) == 0:
        return []
    if len(names) == 1:
        return two_processes(cfg["methods"], lambda m: _sweep_line(path, cfg, exp, rows, m, names[0], fmt, title))
    xname, yname, rest = names[0], names[1], names[2:]
    xs, ys = _axis_values(grid[xname]), _axis_values(grid[yname])
    combos = list(itertools.product(*(grid[k] for k in rest)))[:24]

    def heatmaps(item):
        m, combo = item
        fixed = dict(zip(rest, combo))
        c = sweep_cells(rows, m["name"], xname, xs, yname, ys, fixed)
        fig, axes = _figure(2, width=5.6, height=4.6)
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
        fig.suptitle(_wrap(head + (f" · {extra}" if extra else ""), 130), fontsize=11)
        what = f"heat maps of R_T/T and ‖x_T − x*‖ over {xname} × {yname} for {m['label']}"
        return _save(fig, path, f"heatmap_{io.method_stem(m['name'], m['convention'])}{suffix}", fmt, what,
                     cfg, exp)

    return two_processes([(m, combo) for m in cfg["methods"] for combo in combos], heatmaps)


def _sweep_line(path, cfg, exp, rows, m, xname, fmt, title) -> Path:
    xs = _axis_values(cfg["grid"][xname])
    c = sweep_cells(rows, m["name"], xname, xs, None, [], {})
    xa = grid_axis(xname, xs)  # _axis_values has sorted numbers as grid_axis does
    pos = xa.coord(list(xa.values))
    seeds = len(cfg["seeds"]) > 1
    fig, axes = _figure(2, width=5.6, layout=None)
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
        _legend(ax)
    head = fig.suptitle(_wrap(f"{m['label']} · {title}", 130), fontsize=11)
    for ax in axes:
        plain_ticks(ax)
    row_layout(fig, axes, head)
    what = f"R_T/T and ‖x_T − x*‖ against {xname} for {m['label']}"
    return _save(fig, path, f"sweep_{io.method_stem(m['name'], m['convention'])}", fmt, what, cfg, exp)


# ---------------------------------------------------------------- saving
def _save(fig, folder: Path, name: str, fmt: str, what: str, cfg: dict, exp: dict) -> Path:
    """A run or sweep figure with its csv and its sidecar (what it shows, from which files, how to make it
    again)."""
    sidecar = {
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
    if exp.get("settings"):  # what the paper's text confirms of the experiment's settings (oco.experiments)
        sidecar["paper_settings"] = exp["settings"]
    return save_figure(fig, folder, name, fmt, sidecar)


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
    check_format(fmt)
    kind = load_config(path)["kind"]
    drawn = _drawn_by_drawer(path, fmt)
    if drawn is not None:
        return drawn
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
    shared = len(methods) > 4  # many methods: one legend under the panels (the verdicts: the matrix figure)
    legend_rows = -(-(len(methods) + 1) // 6) if shared else 0
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows + 0.25 * legend_rows), layout="constrained")
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
        if not shared:
            _legend(ax, 7)
    for ax in axes[len(problems):]:
        ax.set_visible(False)
    if shared:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=colors[m], label=m) for m in methods]
        handles.append(Line2D([], [], color="0.3", ls="--", lw=1, label="failure level"))
        fig.legend(handles=handles, loc="outside lower center", ncol=6, fontsize=8, frameon=False)
    fig.suptitle("oco check: average regret on the counterexample suite", fontsize=11)
    return fig


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
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, color=color, ec="white", lw=1)


def save_figure(fig: Figure, folder: Path, name: str, fmt: str, sidecar: dict) -> Path:
    """``NAME.FMT``, ``NAME.csv`` (exactly the data the figure draws: ``figure_rows``) and the JSON sidecar
    ``NAME.json``: ``sidecar`` (what it shows, from which files, how to make it again) with the figure's and
    the csv's names, the csv's columns (CSV_COLUMNS) and each panel's axes."""
    check_format(fmt)
    folder = Path(folder)
    target = folder / f"{name}.{fmt}"
    images = _savefig(fig, target, fmt)
    cols, panels = _figure_table(fig)
    io.write_atomic(folder / f"{name}.csv", _csv_text(cols))
    meanings = {c: CSV_COLUMNS.get(c) for c in cols}
    for p, info in panels.items():
        if "cells" in info:
            meanings[info["cells"]["column"]] = CELL_VALUE_MEANING.format(panel=p)
    io.write_json(folder / f"{name}.json", {
        "figure": target.name, **({"images": images} if images else {}), "csv": f"{name}.csv", **sidecar,
        "csv_columns": meanings, "panels": panels,
    })
    return target


def _savefig(fig: Figure, target: Path, fmt: str) -> list[str]:
    """Write the figure to ``target`` through temporary names; returns the names of the files written beside
    it (pgf: each rasterized part is a NAME-imgK.png that the .pgf includes by name)."""
    if fmt != "pgf":
        import io as _io

        buf = _io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": "oco"} if fmt == "png" else None)
        io.write_atomic(target, buf.getvalue())
        return []
    with tempfile.TemporaryDirectory(prefix=io.TMP_PREFIX, dir=target.parent) as tmp:
        fig.savefig(Path(tmp) / target.name, format="pgf", dpi=DPI)
        written = sorted(p.name for p in Path(tmp).iterdir())
        for f in written:
            os.replace(Path(tmp) / f, target.parent / f)
    return [f for f in written if f != target.name]


def pgf_unavailable() -> str | None:
    """Why pgf cannot be written here, in one line (None when it can). matplotlib's pgf backend measures every
    text with LaTeX (``rcParams['pgf.texsystem']``, xelatex by default) while it writes the .pgf, so it needs
    that program even though the .pgf is compiled later, by the document that includes it."""
    from matplotlib import rcParams

    tex = rcParams["pgf.texsystem"]
    if shutil.which(tex) is None:
        return (f"pgf needs {tex}, which is not installed: matplotlib's pgf backend measures every label "
                f"with LaTeX; install {tex} (TeX Live) or use pdf or svg (each figure's .csv has its data "
                "for pgfplots)")
    return None


def check_format(fmt: str) -> None:
    """A one-line ValueError for a figure format oco cannot write here: not one of FORMATS, or pgf without
    LaTeX."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    why = pgf_unavailable() if fmt == "pgf" else None
    if why:
        raise ValueError(why)
