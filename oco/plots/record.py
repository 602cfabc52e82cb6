"""What a figure draws, as data: the drawing code records each mark it draws (``record``, ``draw_line``,
``draw_band``, ``draw_level``; a line drawn without them is still found), and ``figure_table`` makes the rows
of the csv written beside the figure from them, in long form (``CSV_COLUMNS``; a heat map's cells one row per
cell for all its maps, their edges per axis in the sidecar), with each panel's axes for the sidecar — so that
it can be drawn again in pgfplots or any other tool."""

from __future__ import annotations

import numpy as np

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
    on rows shared with the other panels of the figure that draw the same cells (``figure_table``)."""
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


def figure_table(fig) -> tuple[dict[str, list[str]], dict]:
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
    """The rows of the csv written beside ``fig`` (its columns: ``figure_table``; numbers as exact decimal
    strings)."""
    cols, _ = figure_table(fig)
    return [dict(zip(cols, row)) for row in zip(*cols.values())]
