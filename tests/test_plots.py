"""Figures: heat maps on numeric axes (grid_axis's rule, cell edges in closed form, β1 = √β2 in its true
coordinates crossing the cells it must cross, overlays, Zhang's redrawn by name), every figure's csv against
what is drawn — the matplotlib artists read back from the Figure objects (Line2D data, fill_between polygons,
the QuadMesh's array, and its coordinates against the cell edges the sidecar gives, hatched and coloured
patches) — and against the files the figure is drawn from (sweep.csv, the traces), the run figures' layout
without a layout engine and their cheaper ticks, and --format."""

from __future__ import annotations

import csv
import json
import re
import shutil
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from matplotlib import rcParams
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.patches import Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from typer.testing import CliRunner

from oco import cli, experiments, io, plots
from oco.plots import layout, ticks

runner = CliRunner()


def invoke(*args, ok: bool = True):
    r = runner.invoke(cli.app, [str(a) for a in args])
    if ok:
        assert r.exit_code == 0, f"exit {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}\n{r.exception!r}"
    return r


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(rows: list[dict], col: str) -> np.ndarray:
    return np.array([float(r[col]) if r[col] != "" else np.nan for r in rows])


def same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


# ---------------------------------------------------------------- the csv is the drawing
@pytest.fixture
def saved(monkeypatch) -> dict:
    """Every figure saved while the test runs: target path → the Figure object (then saved as usual)."""
    figures = {}
    original = plots.save_figure

    def keep(fig, folder, name, fmt, sidecar):
        target = original(fig, folder, name, fmt, sidecar)
        figures[Path(target)] = fig
        return target

    monkeypatch.setattr(plots, "save_figure", keep)  # where oco.cli and oco.experiments find it
    monkeypatch.setattr(plots.sidecars, "save_figure", keep)  # where a folder's figures are saved
    return figures


def _line_matches(ln, ax, rows: list[dict]) -> bool:
    label, series = ln.get_label(), rows[0]["series"]
    if series and not label.startswith(series) or not series and not label.startswith("_"):
        return False  # a labelled mark's label starts with its series; an unlabelled one has none
    x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
    if ln.get_transform() is ax.get_yaxis_transform(which="grid"):  # axhline
        return len(rows) == 1 and rows[0]["mark"] == "level" and float(rows[0]["y"]) == y[0]
    marks = {r["mark"] for r in rows}
    return marks <= {"line", "marker", "curve"} and len(marks) == 1 and same(num(rows, "x"), x) \
        and same(num(rows, "y"), y)


def _band_matches(coll, rows: list[dict]) -> bool:
    lo = [r for r in rows if r["mark"] == "band_low"]
    hi = [r for r in rows if r["mark"] == "band_high"]
    if not lo or len(lo) + len(hi) != len(rows) or not same(num(lo, "x"), num(hi, "x")):
        return False
    x, ylo, yhi = num(lo, "x"), num(lo, "y"), num(hi, "y")
    ok = np.isfinite(x) & np.isfinite(ylo) & np.isfinite(yhi)
    want = set(zip(x[ok], ylo[ok])) | set(zip(x[ok], yhi[ok]))
    got = {tuple(v) for p in coll.get_paths() for v in np.asarray(p.vertices, float)}
    return got == want


def _mesh_matches(mesh, rows: list[dict], column: str, axes: dict) -> bool:
    """The heat map's cell rows ``rows`` are the QuadMesh ``mesh``: one row per cell in the mesh's order (row
    by row of y), the colour values in ``column`` equal to the mesh's array, the cell corners equal to the
    edges the sidecar gives per axis (``axes``: the panel's "x" and "y"), each row's centre inside its cell
    and equal to its grid value's coordinate (v, or 1 − v where the row gives the value)."""
    if {r["mark"] for r in rows} != {"cell"} or column not in rows[0]:
        return False
    values = np.ma.filled(mesh.get_array().astype(float), np.nan)
    ny, nx = values.shape
    if len(rows) != nx * ny or any(r[column] == "" for r in rows):
        return False
    c = mesh.get_coordinates()  # (ny + 1, nx + 1, 2): the cells' corners
    xe, ye = np.asarray(axes["x"]["edges"], float), np.asarray(axes["y"]["edges"], float)
    if not (same(c[..., 0], np.broadcast_to(xe, (ny + 1, nx + 1)))
            and same(c[..., 1], np.broadcast_to(ye[:, None], (ny + 1, nx + 1)))):
        return False
    if not same(num(rows, column).reshape(ny, nx), values):
        return False
    for which, edges, n, tile in (("x", xe, nx, lambda a: a.reshape(ny, nx)),
                                  ("y", ye, ny, lambda a: a.reshape(ny, nx).T)):
        centre = tile(num(rows, which))  # (·, n): along the axis in the last dimension
        if not (centre == centre[:1]).all():
            return False
        centre = centre[0]
        lo, hi = np.minimum(edges[:-1], edges[1:]), np.maximum(edges[:-1], edges[1:])
        if not ((lo < centre) & (centre < hi)).all():
            return False
        info = axes[which]
        if info["coordinate"].startswith("index of"):
            labels = tile(np.array([r[f"{which}_category"] for r in rows], dtype=object))
            if not (same(centre, np.arange(n)) and info["values"] == info["categories"]
                    and (labels == np.array(info["categories"], dtype=object)).all()):
                return False
            continue
        grid = np.asarray(info["values"], float)
        coord = 1.0 - grid if info["coordinate"] == f"1 - {info['parameter']}" else grid
        if not same(centre, coord):
            return False
        if f"{which}_value" in rows[0] and rows[0][f"{which}_value"] != "":
            if not same(tile(num(rows, f"{which}_value"))[0], grid):
                return False
    return True


def assert_csv_is_the_drawing(fig, target: Path) -> list[dict]:
    """NAME.csv beside ``target`` holds exactly what ``fig`` draws: each Line2D, band, mesh, region and cell
    patch is one element of the csv with the same numbers (read back from the artists; a mesh's cell edges
    from the sidecar), and each element of the csv is drawn. Returns the csv's rows."""
    side = json.loads(target.with_suffix(".json").read_text())
    assert side["figure"] == target.name and side["csv"] == f"{target.stem}.csv"
    rows = read_rows(target.parent / side["csv"])
    columns = list(rows[0]) if rows else []
    assert rows and columns == list(side["csv_columns"])
    values = [c for c in columns if c.startswith("value:")]
    fixed = [c for c in columns if not c.startswith("value:")]
    assert columns == fixed + values and set(plots.CORE_COLUMNS) <= set(fixed) <= set(plots.CSV_COLUMNS)
    assert fixed == [c for c in plots.CSV_COLUMNS if c in fixed]  # in CSV_COLUMNS' order
    panels: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        panels[r["panel"]][r["element"]].append(r)
    cells = dict(panels.pop("", {}))  # heat-map cells: shared by the panels that draw them
    shared = {(k, c) for k, rs in cells.items() for c in values if rs[0][c] != ""}
    names = plots.panel_names(fig)
    assert set(panels) <= {n for n in names if n} == set(side["panels"])
    for ax, name in zip(fig.axes, names):
        if name is None:
            assert not ax.get_lines()
            continue
        todo = dict(panels[name])
        for ln in ax.get_lines():
            if len(ln.get_xdata()) == 0:  # draws nothing
                continue
            hit = [k for k, rs in todo.items() if _line_matches(ln, ax, rs)]
            assert hit, f"{target.name}, panel {name}: line {ln.get_label()!r} is not in the csv"
            del todo[hit[0]]
        for coll in ax.collections:
            if isinstance(coll, QuadMesh):
                column = f"value:{name}"
                info = side["panels"][name]
                hit = [k for k, rs in cells.items() if _mesh_matches(coll, rs, column, info)]
                assert hit, f"{target.name}, panel {name}: its QuadMesh is not in the csv"
                assert info["cells"] == {"element": int(hit[0]), "column": column}
                shared.discard((hit[0], column))
                _assert_patches_mark_cells(ax, cells[hit[0]])
                continue
            hit = [k for k, rs in todo.items() if _band_matches(coll, rs)]
            assert hit, f"{target.name}, panel {name}: {type(coll).__name__} is not in the csv"
            del todo[hit[0]]
        cell_edges = side["panels"][name].get("cell_edges")
        for patch in ax.patches:
            if isinstance(patch, Polygon):  # an overlay region: its vertices in order
                hit = [k for k, rs in todo.items() if rs[0]["mark"] == "region"
                       and same(np.c_[num(rs, "x"), num(rs, "y")], patch.get_xy()[:len(rs)])]
                assert hit, f"{target.name}, panel {name}: a region is not in the csv"
                del todo[hit[0]]
            elif isinstance(patch, Rectangle) and not patch.get_hatch() \
                    and patch.get_facecolor() != to_rgba("white"):  # a cell of the verdict matrix
                assert cell_edges == "unit squares centred on the indices: x ± 1/2, y ± 1/2"
                (x0, y0), w, h = patch.get_xy(), patch.get_width(), patch.get_height()
                hit = [k for k, rs in todo.items() if len(rs) == 1 and rs[0]["mark"] == "cell"
                       and (w, h) == (1, 1) and same(num(rs, "x"), [x0 + 0.5])
                       and same(num(rs, "y"), [y0 + 0.5])
                       and patch.get_facecolor() == to_rgba(plots.VERDICT_COLORS[rs[0]["status"]])]
                assert hit, f"{target.name}, panel {name}: a cell at ({x0}, {y0}) is not in the csv"
                del todo[hit[0]]
        assert not todo, f"{target.name}, panel {name}: csv elements {sorted(todo)} are not drawn"
    assert not shared, f"{target.name}: cell values {sorted(shared)} are not drawn"
    return rows


def _assert_patches_mark_cells(ax, cells: list[dict]) -> None:
    """The hatched rectangles cover exactly the cells the csv calls diverged, the white ones the missing."""
    cx, cy = num(cells, "x"), num(cells, "y")
    status = np.array([r["status"] for r in cells])
    assert set(status) <= {"", "diverged", "missing"}
    for kind, pick in (("diverged", lambda p: p.get_hatch() == "///"),
                       ("missing", lambda p: not p.get_hatch() and p.get_facecolor() == to_rgba("white"))):
        covered = np.zeros(len(cells), bool)
        for p in ax.patches:
            if isinstance(p, Rectangle) and pick(p):
                (x0, y0), w, h = p.get_xy(), p.get_width(), p.get_height()
                covered |= (cx > x0) & (cx < x0 + w) & (cy > y0) & (cy < y0 + h)
        assert np.array_equal(covered, status == kind), kind


def test_run_figures_csv(tmp_path, saved):
    """overview, regret, iterate, lr and gap of two methods with three seeds of a stochastic problem: medians,
    quantile bands, the failure level and x*; the lines equal the medians and quantiles of the stored traces."""
    out = tmp_path / "r"
    invoke("run", "reddi-stochastic", "-m", "adam", "-m", "amsgrad", "--T", "300", "--seeds", "3", "--out", out,
           "--quiet")
    assert {p.name for p in saved} == {"overview.png", "regret.png", "iterate.png", "lr.png", "gap.png"}
    for target, fig in saved.items():
        assert_csv_is_the_drawing(fig, target)
    rows = read_rows(out / "regret.csv")
    tr = io.load_npz(out / "traces" / "adam-paper.npz")
    adam = [r for r in rows if r["series"] == "adam"]
    median = [r for r in adam if r["stat"] == "median"]
    assert same(num(median, "x"), tr["t"])
    assert np.allclose(num(median, "y"), np.median(tr["avg_regret"], axis=1), rtol=1e-15, atol=0)
    q10, q90 = ([r for r in adam if r["mark"] == m] for m in ("band_low", "band_high"))
    assert {r["stat"] for r in q10} == {"q0.1"} and {r["stat"] for r in q90} == {"q0.9"}
    assert np.allclose(num(q10, "y"), np.quantile(tr["avg_regret"], 0.1, axis=1), rtol=1e-15, atol=0)
    assert np.allclose(num(q90, "y"), np.quantile(tr["avg_regret"], 0.9, axis=1), rtol=1e-15, atol=0)
    assert (num(q90, "y") > num(q10, "y")).any()  # the seeds differ: a band, not a line
    level = [r for r in rows if r["mark"] == "level" and r["series"].startswith("failure level")]
    failure = json.loads((out / "config.json").read_text())["problem"]["failure_level"]
    assert len(level) == 1 and float(level[0]["y"]) == failure


def test_one_seed_and_many_coordinates_csv(tmp_path, saved):
    """A deterministic problem with one seed (lines, no bands; the level 20/101 and x*); on d > 1 a
    learning-rate panel per method with two bands over coordinates and the median coordinate."""
    invoke("run", "reddi-online", "-m", "adam", "--T", "200", "--out", tmp_path / "s", "--quiet")
    invoke("run", "sparse-gradients", "-m", "adam", "-m", "amsgrad", "--T", "50", "--param", "d=5",
           "--out", tmp_path / "d", "--quiet")
    assert len(saved) == 9  # sparse-gradients is stochastic: a gap figure too
    for target, fig in saved.items():
        assert_csv_is_the_drawing(fig, target)
    regret = read_rows(tmp_path / "s" / "regret.csv")
    assert {(r["series"], r["mark"], r["stat"]) for r in regret} == {
        ("adam", "line", "value"), ("failure level 0.198 (closed form)", "level", ""), ("", "level", "")}
    assert [float(r["y"]) for r in regret if r["mark"] == "level"] == [20 / 101, 0.0]  # Reddi et al.; zero
    lr = read_rows(tmp_path / "d" / "lr.csv")
    assert {r["panel"] for r in lr} == {"lr: adam", "lr: amsgrad"}
    assert {(r["mark"], r["stat"]) for r in lr if r["panel"] == "lr: adam"} == {
        ("band_low", "q0"), ("band_high", "q1"), ("band_low", "q0.1"), ("band_high", "q0.9"), ("line", "q0.5")}


def assert_laid_out(fig) -> None:
    """What a layout engine guarantees, checked on the drawn figure: every text (tick labels, axis labels,
    offset texts, titles, legends) inside the figure, no panel's decorations (``Axes.get_tightbbox``) over
    another's or over the title, and the panels of a row of the same size, in order."""
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text() and t.get_figure(root=True) is fig:
            b = t.get_window_extent(renderer)
            assert b.x0 >= -0.5 and b.y0 >= -0.5 and b.x1 <= W + 0.5 and b.y1 <= H + 0.5, \
                f"{t.get_text()!r} at {b.bounds} leaves the {W} × {H} figure"
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]
    title = fig.get_suptitle() and fig._suptitle.get_window_extent(renderer)
    for i, a in enumerate(boxes):
        assert not title or a.y1 <= title.y0 + 0.5, f"panel {i + 1} reaches into the title"
        for b in boxes[i + 1:]:
            assert a.x1 <= b.x0 + 0.5, "panels overlap"
    sizes = {(round(ax.bbox.width, 6), round(ax.bbox.height, 6)) for ax in fig.axes}
    assert len(sizes) == 1
    # and tight: each panel's box and axis decorations LAYOUT_PAD from the figure's edges, the title and the
    # next panel's (the bottom and top ones: the lowest and highest of the row)
    pad = plots.LAYOUT_PAD * fig.dpi
    deco = [Bbox.union([ax.bbox, *(b for b in (axis.get_tightbbox(renderer, for_layout_only=True)
                                                for axis in (ax.xaxis, ax.yaxis)) if b)])
            for ax in fig.axes]
    top = title.y0 if title else H
    assert np.allclose([deco[0].x0, W - deco[-1].x1, min(d.y0 for d in deco), top - max(d.y1 for d in deco)],
                       pad, atol=1.0)
    assert np.allclose([b.x0 - a.x1 for a, b in zip(deco, deco[1:])], pad, atol=1.0)


def test_run_figures_are_laid_out(tmp_path, saved):
    """The run figures are placed without a layout engine (``row_layout``): on the figures of a stochastic
    run with a gap panel, of d > 1 (a learning-rate panel per method), of a one-axis sweep (1 − β2, inverted),
    and on traces made to need wide tick
    labels (a symmetric-log R_t/t from −3·10⁴ to 5·10⁻³, x_t = 10⁵ + 1 … 10⁵ + 5: an offset text), nothing
    leaves the figure or overlaps; and the log labels are matplotlib's, in Unicode (10⁻³, not mathtext)."""
    invoke("run", "reddi-stochastic", "-m", "adam", "-m", "amsgrad", "--T", "300", "--seeds", "2",
           "--out", tmp_path / "r", "--quiet")
    invoke("run", "sparse-gradients", "-m", "adam", "-m", "amsgrad", "--T", "50", "--param", "d=5",
           "--out", tmp_path / "d", "--quiet")
    invoke("sweep", "reddi-online", "-m", "adam", "--grid", "beta2=0.9,0.99,0.999,0.9999", "--T", "50",
           "--out", tmp_path / "s", "--quiet")  # a one-axis sweep's figure: placed so too
    assert len(saved) == 11 and tmp_path / "s" / "sweep_adam-paper.png" in saved
    figures = list(saved.values())
    import oco
    from oco.runs import traces

    r = oco.simulate("reddi-online", "adam", T=1000, seed=np.array([0, 1]))
    tr = traces(r)
    k = len(tr["t"])
    tr["avg_regret"] = -np.geomspace(3e4, 1e-3, k)[:, None] * np.array([1.0, 0.9]) + 5e-3
    tr["x"] = (1e5 + np.linspace(1, 5, k))[:, None, None] * np.ones((1, 2, 1))  # ticks 1e5 + 1 … 1e5 + 5
    tr["x_star"] = np.full((2, 1), 1e5 + 3)
    data = plots.run_data(plots.results_config([r]), [tr])
    for name in ("overview", "regret", "iterate", "lr"):
        figures.append(plots.run_figure(data, name)[0])
    for fig in figures:
        assert fig.get_layout_engine() is None
        assert_laid_out(fig)
    regret = figures[-3].axes[0]
    assert regret.get_yscale() == "symlog" and figures[-2].axes[0].yaxis.get_offset_text().get_text()
    labels = [t.get_text() for t in regret.get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch("10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", s) for s in labels), labels


@pytest.mark.parametrize("label, plain", [
    (r"$\mathdefault{10^{-3}}$", "10⁻³"),
    (r"$\mathdefault{10^{12}}$", "10¹²"),
    (r"$\mathdefault{-10^{2}}$", "−10²"),
    (r"$\mathdefault{2\times10^{-4}}$", "2×10⁻⁴"),
    (r"$\mathdefault{0}$", "0"),
    (r"$\mathdefault{10^{0.50}}$", r"$\mathdefault{10^{0.50}}$"),  # not one of the forms: left as it is
    ("0.25", "0.25"),
])
def test_plain_log_labels(label, plain):
    assert ticks.plain_label(label) == plain


def test_plain_ticks_are_matplotlibs_ticks():
    """plain_ticks keeps matplotlib's ticks inside the view and the label of each, mathtext made plain; minor
    ticks without labels become one line of marks at the same places, of matplotlib's minor ticks' look."""
    from matplotlib.figure import Figure

    def in_view(axis, which):
        lo, hi = sorted(axis.get_view_interval())
        locs = getattr(axis, f"get_{which}ticklocs")()
        labels = getattr(axis, f"get_{which}_formatter")().format_ticks(locs)
        return [(loc, label) for loc, label in zip(locs, labels) if lo <= loc <= hi]

    converted = 0
    cases = (("log", (0.7, 3e5)), ("log", (2e-4, 7e-4)), ("symlog", (-5e3, 20.0)), ("linear", (-1, 3)))
    for scale, lim in cases:
        ref, fig = Figure(), Figure()
        axes = [f.add_subplot() for f in (ref, fig)]
        for ax in axes:
            ax.set_yscale(scale)
            ax.set_ylim(*lim)
        ticks.plain_ticks(axes[1])
        fig.draw_without_rendering()
        major = in_view(axes[0].yaxis, "major")
        assert in_view(axes[1].yaxis, "major") == [(v, ticks.plain_label(s)) for v, s in major]
        want = [(v, ticks.plain_label(s)) for v, s in in_view(axes[0].yaxis, "minor")]
        marks = [a for a in fig.artists if getattr(a, "axis_name", None) == "y"]
        if marks:  # unlabelled minor ticks: the marks, where matplotlib puts its minor ticks
            converted += 1
            (m,) = marks
            assert not axes[1].yaxis.get_minorticklocs().size and not any(s for _, s in want)
            x, y = m.get_data()
            assert np.array_equal(y, [v for v, _ in want]) and np.array_equal(x, np.zeros(len(want)))
            tick = axes[0].yaxis.get_minor_ticks(1)[0].tick1line  # matplotlib's own minor tick mark
            look = ("marker", "markersize", "markeredgewidth", "markeredgecolor")
            assert [getattr(m, f"get_{k}")() for k in look] == [getattr(tick, f"get_{k}")() for k in look]
            assert m.get_transform() is axes[1].get_yaxis_transform()  # x: on the spine; y: the data
        else:
            assert in_view(axes[1].yaxis, "minor") == want
    assert converted == 2  # the log axis over 5.6 decades and the symlog axis


def test_sweep_heat_map_csv_is_sweep_csv(tmp_path, saved):
    """A β1 × β2 × α sweep with two seeds: a heat map per α, each cell the median over seeds of sweep.csv's
    rows at its grid point, drawn at (β1, 1 − β2), with the β curves."""
    out = tmp_path / "s"
    invoke("sweep", "reddi-online", "-m", "adam", "--grid", "beta1=0,0.5,0.9", "--grid", "beta2=0.9,0.99,0.999",
           "--grid", "alpha=0.1,0.5", "--T", "40", "--seeds", "2", "--out", out, "--quiet")
    assert {p.name for p in saved} == {"heatmap_adam-paper_alpha=0.1.png", "heatmap_adam-paper_alpha=0.5.png"}
    sweep = read_rows(out / "sweep.csv")
    for target, fig in saved.items():
        rows = assert_csv_is_the_drawing(fig, target)
        alpha = target.stem.split("alpha=")[1]
        cells = [r for r in rows if r["mark"] == "cell"]  # one row per cell for both maps
        assert len(cells) == 9
        assert {(r["panel"], r["stat"], r["status"]) for r in cells} == {("", "median", "")}
        assert [c for c in rows[0] if c.startswith("value:")] == ["value:avg_regret", "value:dist_x_star"]
        for col in ("avg_regret", "dist_x_star"):
            for b1 in ("0.0", "0.5", "0.9"):
                for b2 in ("0.9", "0.99", "0.999"):
                    seeds = [float(r[col]) for r in sweep
                             if (r["beta1"], r["beta2"], r["alpha"]) == (b1, b2, alpha)]
                    # β1 is its own coordinate (no x_value); β2 is drawn at 1 − β2 and given as y_value
                    cell = [r for r in cells if (r["x"], r["y_value"]) == (b1, b2) and "x_value" not in r]
                    assert len(seeds) == 2 and len(cell) == 1 and float(cell[0]["y"]) == 1 - float(b2)
                    assert float(cell[0][f"value:{col}"]) == statistics.median(seeds)
        curves = {r["series"] for r in rows if r["mark"] == "curve"}
        assert curves == {"β1 = √β2", "β1 = β2"}
    side = json.loads(next(iter(saved)).with_suffix(".json").read_text())
    y = side["panels"]["avg_regret"]["y"]
    assert {k: v for k, v in y.items() if k not in ("edges", "cell_edges")} == {
        "label": "1 − β2", "scale": "log", "inverted": True, "parameter": "beta2", "coordinate": "1 - beta2",
        "rule": "in [1/2, 1), 1 − beta2 spanning 2 decades", "values": [0.9, 0.99, 0.999]}
    assert np.allclose(y["edges"], 10.0 ** np.array([-0.5, -1.5, -2.5, -3.5]), rtol=1e-12, atol=0)
    assert side["panels"]["avg_regret"]["cells"] == {"element": 1, "column": "value:avg_regret"}
    assert "value:dist_x_star" in side["csv_columns"] and "x_lo" not in side["csv_columns"]


def test_diverged_cells_and_points_csv(tmp_path, saved):
    """Diverged configurations: hatched cells with status diverged (value nan), crosses on a one-axis sweep; α
    up to 1e306 goes on a linear axis (a log axis reaching 10^306 cannot be ticked)."""
    common = ["reddi-online", "-m", "sgd", "--T", "20", "--domain", "none", "--quiet"]
    invoke("sweep", *common, "--grid", "alpha=0.1,0.2,1e306", "--grid", "momentum=0,0.5", "--out", tmp_path / "a")
    invoke("sweep", *common, "--grid", "alpha=0.1,1e306", "--out", tmp_path / "b")
    # a categorical axis: the cells at the indices, labelled with the categories
    invoke("sweep", "reddi-online", "-m", "adam", "--grid", "schedule=const,sqrt", "--grid",
           "beta1=0,0.5,0.9", "--T", "20", "--quiet", "--out", tmp_path / "c")
    for target, fig in saved.items():
        assert_csv_is_the_drawing(fig, target)
    cat = [r for r in read_rows(tmp_path / "c" / "heatmap_adam-paper.csv") if r["mark"] == "cell"]
    assert [(r["x"], r["x_category"]) for r in cat[:2]] == [("0.0", "const"), ("1.0", "sqrt")]
    cells = [r for r in read_rows(tmp_path / "a" / "heatmap_sgd-paper.csv") if r["mark"] == "cell"]
    diverged = {float(r["x"]) for r in cells if r["status"] == "diverged"}
    assert diverged == {1e306} and all(r["value:avg_regret"] == r["value:dist_x_star"] == "nan"
                                       for r in cells if r["status"] == "diverged")
    # the others: R_T = +∞ on an unconstrained linear problem (x* at infinity): not finite, not coloured, no
    # status; ‖x_T − x*‖ = +∞ too
    others = [r for r in cells if float(r["x"]) != 1e306]
    assert len(others) == 4 and all(r["status"] == "" and r["value:avg_regret"] == "nan" for r in others)
    crosses = [r for r in read_rows(tmp_path / "b" / "sweep_sgd-paper.csv") if r["series"] == "diverged"]
    assert [(r["mark"], float(r["x"])) for r in crosses] == [("marker", 1e306)] * 2  # one per panel


def test_check_figures_csv(tmp_path, saved):
    """oco check --out: R_t/t per problem with the failure level, and the verdict matrix."""
    r = invoke("check", "adam", "amsgrad", "--problems", "reddi-thm1", "--quick", "--T", "400", "--out",
               tmp_path / "c", ok=False)
    assert r.exit_code in (0, 1), r.stderr
    assert {p.name for p in saved} == {"check.png", "matrix.png"}
    for target, fig in saved.items():
        assert_csv_is_the_drawing(fig, target)
    doc = json.loads((tmp_path / "c" / "verdicts.json").read_text())
    verdicts = {v["method"]: v["verdict"] for v in doc["verdicts"]}
    matrix = read_rows(tmp_path / "c" / "matrix.csv")
    assert {(r["y_category"], r["x_category"], r["status"]) for r in matrix} == {
        (m, "reddi-thm1", v) for m, v in verdicts.items()}


def test_reproduce_figures_csv(tmp_path, monkeypatch, saved):
    tiny = experiments.Experiment(
        name="tiny", description="a tiny run", expected="nothing", kind="run", problem="reddi-online",
        methods=("adam",), T=60, hypers=experiments.REDDI, title="tiny")
    monkeypatch.setitem(experiments.EXPERIMENTS, "tiny", tiny)
    invoke("reproduce", "tiny", "--out", tmp_path / "t", "--quiet")
    assert {p.name for p in saved} == {"overview.png", "regret.png", "iterate.png", "lr.png"}
    for target, fig in saved.items():
        assert_csv_is_the_drawing(fig, target)
        assert json.loads(target.with_suffix(".json").read_text())["reproduce"] == "oco reproduce tiny"


# ---------------------------------------------------------------- axes: the rule and the cells
@pytest.mark.parametrize("values, scale", [
    (np.linspace(0, 0.99, 500).tolist(), "linear"),  # evenly spaced
    (np.linspace(0.5, 0.999, 10).tolist(), "linear"),  # evenly spaced, although 1 − v spans decades
    ([1e-4, 1e-3, 1e-2, 1e-1], "log"),
    ([0.001, 0.1], "log"),  # two values are not "evenly spaced"
    ([10, 100, 1000], "log"),
    ([0.5, 0.9, 0.99, 0.999], "log1m"),
    ([0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999], "log1m"),  # zhang-phase's β2
    ([0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99], "linear"),  # zhang-phase's β1: 0 and values below 1/2
    ([1, 2, 4], "linear"),  # geometric, within a decade
    ([0.1, 1e306], "linear"),  # beyond 10^100: a log axis's ticks would overflow
    (["const", "sqrt"], "category"),
    # 1 − v evenly spaced on a log scale over at least a decade, v in [0, 1): log of 1 − v, also below 1/2
    (experiments.beta_grid(50, 3.0)["beta2"], "log1m"),  # zhang-n10/n50's β2: 1 − β2 = 0.88 … 10^-3
    ([0.0, 0.9, 0.99, 0.999], "log1m"),  # 1 − v = 1, 0.1, 0.01, 0.001
    ([0.1, 0.9, 0.99, 0.999], "log1m"),  # roughly: gaps of log10(1 − v) 0.95, 1, 1
    ([0.0, 0.9, 0.99], "log1m"),
    ([0.0, 0.5, 0.9, 0.99], "linear"),  # gaps of log10(1 − v) 0.3, 0.7, 1: not even
    ([0.0, 0.5, 0.75, 0.875], "linear"),  # 1 − v halves, but spans less than a decade
    ([0.12, 0.999], "linear"),  # two values: not "evenly spaced"
])
def test_grid_axis_rule(values, scale):
    assert plots.grid_axis("p", values).scale == scale


def test_zhang_beta2_axis():
    """Zhang's β2 grid on the 1 − β2 axis: the cells are equal on the log scale, 1 − β2 = 10^(−k/18) at their
    centres, and the rule says why."""
    beta2 = experiments.beta_grid(50, 3.0)["beta2"]
    axis = plots.grid_axis("beta2", beta2)
    assert axis.why == "in [0, 1), 1 − beta2 evenly spaced on a log scale over 2.94 decades"
    u = np.log10(axis.edges())
    k = np.arange(1, len(beta2) + 1)
    assert np.allclose(u, np.r_[-(k - 0.5) / 18, -(len(beta2) + 0.5) / 18], rtol=0, atol=1e-12)
    assert np.allclose(axis.coord(beta2), 10.0 ** (-k / 18), rtol=1e-12, atol=0)


def test_cell_edges_in_closed_form():
    """Half-way between neighbours in the axis's scale; outer cells as far out as half the neighbouring gap."""
    edges = {
        (0.9, 0.99, 0.999): 10.0 ** np.array([-0.5, -1.5, -2.5, -3.5]),  # 1 − β2 = 10^-1, 10^-2, 10^-3
        (1e-3, 1e-2, 1e-1): 10.0 ** np.array([-3.5, -2.5, -1.5, -0.5]),
        (0.0, 0.5, 0.9): np.array([-0.25, 0.25, 0.7, 1.1]),
        (0.0, 0.9, 0.99): 10.0 ** np.array([0.5, -0.5, -1.5, -2.5]),  # 1 − β2 = 1, 10^-1, 10^-2
        ("const", "sqrt"): np.array([-0.5, 0.5, 1.5]),
        (0.9,): np.array([0.45, 1.35]),
    }
    for values, want in edges.items():
        assert np.allclose(plots.grid_axis("p", values).edges(), want, rtol=1e-12, atol=0), values


def test_heat_map_axes_are_numeric_and_the_curve_crosses_the_right_cells():
    b1 = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99]  # includes 0, uneven: linear
    b2 = [0.5, 0.81, 0.9, 0.9801, 0.999, 0.9999]  # in [1/2, 1), 1 − β2 over 3.7 decades: log of 1 − β2
    Z = np.arange(36.0).reshape(6, 6) + 1
    none = np.zeros((6, 6), bool)
    fig, (ax,) = layout.figure_row(1)
    plots.heatmap_axes(ax, Z, none, none, b1, b2, "beta1", "beta2", "R_T/T")
    fig.draw_without_rendering()
    assert (ax.get_xscale(), ax.get_yscale(), ax.yaxis_inverted()) == ("linear", "log", True)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("β1", "1 − β2")
    # round ticks at values: linear ones a multiple of a step 1, 2, 2.5 or 5 × 10^k, log ones powers of ten
    lo, hi = sorted(ax.get_xlim())
    xt = np.array([t for t in ax.get_xticks() if lo <= t <= hi])
    step = np.diff(xt)[0]
    assert len(xt) >= 3 and np.allclose(np.diff(xt), step)
    assert np.isclose(step / 10 ** np.floor(np.log10(step)), [1, 2, 2.5, 5]).any()
    assert np.allclose(xt / step, np.round(xt / step))
    lo, hi = sorted(ax.get_ylim())
    yt = np.array([t for t in ax.get_yticks() if lo <= t <= hi])
    assert len(yt) >= 3 and np.allclose(np.log10(yt), np.round(np.log10(yt)))
    # the mesh: cell edges half-way between the values, β1 linearly, 1 − β2 in log10
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    corners = mesh.get_coordinates()
    xe, ye = corners[0, :, 0], corners[:, 0, 1]
    assert np.allclose(xe, [-0.25, 0.25, 0.65, 0.85, 0.925, 0.97, 1.01], rtol=1e-12)
    u = np.log10(1 - np.array(b2))
    assert np.allclose(ye, 10 ** np.r_[1.5 * u[0] - 0.5 * u[1], (u[:-1] + u[1:]) / 2, 1.5 * u[-1] - 0.5 * u[-2]],
                       rtol=1e-12)
    # the curve in true coordinates: x = β1 = √β2 where y = 1 − β2
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "β1 = √β2")
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    assert np.allclose(x, np.sqrt(1 - y), rtol=0, atol=1e-12)
    values = np.ma.filled(mesh.get_array(), np.nan)

    def cell(px, py):
        i = int(np.flatnonzero((np.minimum(xe[:-1], xe[1:]) <= px) & (px < np.maximum(xe[:-1], xe[1:])))[0])
        j = int(np.flatnonzero((np.minimum(ye[:-1], ye[1:]) <= py) & (py < np.maximum(ye[:-1], ye[1:])))[0])
        return j, i

    # through the centres of the cells of (β1, β2) = (0.9, 0.81) and (0.99, 0.9801), which hold their values
    order = np.argsort(y)
    for j, i in ((1, 3), (3, 5)):
        py = 1 - b2[j]
        px = np.interp(py, y[order], x[order])
        assert abs(px - b1[i]) < 1e-3 and cell(px, py) == (j, i) and values[j, i] == Z[j, i]
    # the cells it visits are those where √β2 over the cell's β2 range meets the cell's β1 range
    visited = {cell(px, py) for px, py in zip(x, y) if xe.min() < px < xe.max() and ye.min() < py < ye.max()}
    overlap = {}
    for j in range(6):
        r_lo, r_hi = np.sqrt(1 - max(ye[j], ye[j + 1])), np.sqrt(1 - min(ye[j], ye[j + 1]))
        for i in range(6):
            overlap[(j, i)] = min(r_hi, xe[i + 1]) - max(r_lo, xe[i])
    assert visited <= {k for k, v in overlap.items() if v > 0}
    assert {k for k, v in overlap.items() if v > 0.01} <= visited
    assert {(1, 3), (3, 5), (5, 5)} <= visited and (0, 0) not in visited


def test_overlays_in_grid_values(tmp_path):
    """A Region and a function of the axes drawn where their (β1, β2) values are, recorded in the csv."""
    region = plots.Region([0.2, 0.6, 0.6], [0.9, 0.9, 0.999], label="a region")

    def diagonal(xaxis, yaxis):
        assert (xaxis.name, yaxis.name, yaxis.scale) == ("beta1", "beta2", "log1m")
        return [plots.Curve([0.0, 0.9], [0.99, 0.99], label="β2 = 0.99")]

    fig, (ax,) = layout.figure_row(1)
    Z = np.ones((3, 3))
    none = np.zeros((3, 3), bool)
    plots.heatmap_axes(ax, Z, none, none, [0.0, 0.5, 0.9], [0.9, 0.99, 0.999], "beta1", "beta2", "R_T/T",
                       overlays=[region, diagonal], panel="p")
    poly = next(p for p in ax.patches if isinstance(p, Polygon))
    assert np.allclose(poly.get_xy()[:3], [[0.2, 0.1], [0.6, 0.1], [0.6, 0.001]], rtol=1e-12)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "β2 = 0.99")
    assert np.allclose(line.get_ydata(), [0.01, 0.01], rtol=1e-12)
    # overlays given replace the default ones
    assert not [ln for ln in ax.get_lines() if ln.get_label().startswith("β1")]
    target = plots.save_figure(fig, tmp_path, "h", "png", {"shows": "a test"})
    rows = assert_csv_is_the_drawing(fig, target)
    assert {r["series"] for r in rows if r["mark"] in ("curve", "region")} == {"a region", "β2 = 0.99"}


def test_experiment_names_its_overlays(tmp_path, monkeypatch, saved):
    out = tmp_path / "s"
    invoke("sweep", "reddi-online", "-m", "adam", "--grid", "beta1=0,0.9", "--grid", "beta2=0.9,0.999",
           "--T", "20", "--out", out, "--quiet", "--no-plot")
    monkeypatch.setitem(plots.OVERLAYS, "test-region",
                        lambda xa, ya: [plots.Region([0.1, 0.5, 0.5], [0.95, 0.95, 0.99], label="test region")])
    io.write_json(out / "experiment.json", {"name": "x", "overlays": ["test-region"]})
    invoke("plot", out)
    target = out / "heatmap_adam-paper.png"
    rows = assert_csv_is_the_drawing(saved[target], target)
    overlays = {r["series"] for r in rows if r["mark"] in ("curve", "region")}
    assert overlays == {"test region", "β1 = √β2", "β1 = β2"}
    io.write_json(out / "experiment.json", {"name": "x", "overlays": ["nope"]})
    r = invoke("plot", out, ok=False)
    assert r.exit_code == 2 and "experiment.json: unknown overlay 'nope'" in r.stderr
    assert r.stderr.strip().count("\n") == 0


def test_zhang_overlays_redrawn_by_name_with_the_settings(tmp_path, saved):
    """oco plot DIR draws the overlays experiment.json names from the folder's own files — Zhang et al.'s
    region D < 0 for the problem's n and a, and the cells analysis.json says ran away — exactly as the
    functions of oco.plots.zhang draw them, and copies the experiment's settings into every sidecar
    (paper_settings)."""
    from oco.analyses import zhang
    from oco.plots import zhang as zhang_overlays

    out = tmp_path / "z"
    invoke("sweep", "zhang-divergence", "-m", "adam", "--param", "n=10", "--grid", "beta1=0,0.3,0.6,0.9",
           "--grid", "beta2=0.1,0.4,0.7,0.9,0.99", "--T", "30", "--out", out, "--quiet", "--no-plot")
    away = [[0.0, 0.1], [0.3, 0.1], [0.3, 0.4]]
    io.write_json(out / "analysis.json", {"n": 10, "a": 1 / 81, "running_away": away})
    settings = {"horizon": "50 000 iterations", "order": "not confirmed"}
    io.write_json(out / "experiment.json", {"name": "x", "settings": settings,
                                            "overlays": ["zhang-running-away", "zhang-region"]})
    invoke("plot", out)
    target = out / "heatmap_adam-paper.png"
    rows = assert_csv_is_the_drawing(saved[target], target)
    side = json.loads(target.with_suffix(".json").read_text())
    assert side["paper_settings"] == settings
    # four legend entries below the map: two rows of two, not one row squeezing the panel
    texts = saved[target].axes[0].get_legend().get_texts()
    assert [t.get_text() for t in texts] == ["β1 = √β2", "β1 = β2", "runs away", "D < 0 (closed form)"]
    boxes = [t.get_window_extent() for t in texts]
    height = max(b.height for b in boxes)

    def lines(v):  # positions of text boxes less than a text's height apart: one row (column)
        v = np.sort(v)
        return 1 + int(np.sum(np.diff(v) > height))

    assert lines([(b.y0 + b.y1) / 2 for b in boxes]) == 2 and lines([b.x0 for b in boxes]) == 2
    # the same overlays drawn directly by oco.plots.zhang's functions on the same axes
    fig, (ax,) = layout.figure_row(1)
    Z, none = np.ones((5, 4)), np.zeros((5, 4), bool)
    direct = [zhang_overlays.running_away_overlay(away), zhang_overlays.region_overlay(10, 1 / 81)]
    plots.heatmap_axes(ax, Z, none, none, [0.0, 0.3, 0.6, 0.9], [0.1, 0.4, 0.7, 0.9, 0.99], "beta1", "beta2",
                       "v", overlays=direct, panel="avg_regret")
    want = [r for r in plots.figure_rows(fig) if r["mark"] == "region"]
    got = [r for r in rows if r["mark"] == "region" and r["panel"] == "avg_regret"]
    assert want and [(r["series"], r["x"], r["y"]) for r in got] == [(r["series"], r["x"], r["y"])
                                                                       for r in want]
    assert {r["series"] for r in got} == {"runs away", "D < 0 (closed form)", ""}
    # the region drawn is {D < 0}: a grid point is inside one of its polygons exactly where D < 0 there
    # (the axes are β1 and β2 themselves here: both linear)
    assert side["panels"]["avg_regret"]["y"]["coordinate"] == "beta2"
    by_element = defaultdict(list)
    for r in got:
        by_element[r["element"]].append(r)
    polygons = [MplPath(np.c_[num(rs, "x"), num(rs, "y")]) for rs in by_element.values()
                if rs[0]["series"] != "runs away" and len(rs) > 2]
    b1, b2 = (a.ravel() for a in np.meshgrid([0.0, 0.3, 0.6, 0.9], [0.1, 0.4, 0.7, 0.9, 0.99]))
    inside = np.any([poly.contains_points(np.c_[b1, b2]) for poly in polygons], axis=0)
    assert np.array_equal(inside, zhang.drift(b1, b2, 10, 1 / 81) < 0) and 0 < inside.sum() < len(b1)
    (out / "analysis.json").unlink()
    r = invoke("plot", out, ok=False)
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0
    assert "zhang-running-away needs analysis.json" in r.stderr


# ---------------------------------------------------------------- --format
def test_format_writes_the_requested_files(tmp_path):
    out = tmp_path / "r"
    invoke("run", "reddi-online", "-m", "adam", "--T", "50", "--out", out, "--quiet", "--no-plot")
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for fmt, head in magic.items():
        r = invoke("plot", out, "--format", fmt)
        names = ["overview", "regret", "iterate", "lr"]
        assert r.stdout.split() == [str(out / f"{n}.{fmt}") for n in names]
        for n in names:
            assert (out / f"{n}.{fmt}").read_bytes().startswith(head)
            side = json.loads((out / f"{n}.json").read_text())
            assert side["figure"] == f"{n}.{fmt}" and side["csv"] == f"{n}.csv" and (out / f"{n}.csv").exists()
            assert side["remake"].endswith(f"--format {fmt}")
    assert (out / "overview.svg").read_text().count("<svg") == 1


def test_bad_format_and_pgf_without_latex(tmp_path, monkeypatch):
    out = tmp_path / "r"
    invoke("run", "reddi-online", "-m", "adam", "--T", "50", "--out", out, "--quiet", "--no-plot")
    before = sorted(out.iterdir())
    r = invoke("plot", out, "--format", "jpg", ok=False)
    assert r.exit_code == 2 and r.stderr.strip() == "Error: --format must be png, svg, pdf or pgf, got 'jpg'"
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)  # no xelatex on PATH
    r = invoke("plot", out, "--format", "pgf", ok=False)
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0
    assert f"--format pgf needs {rcParams['pgf.texsystem']}, which is not installed" in r.stderr
    r = invoke("run", "reddi-online", "-m", "adam", "--T", "50", "--out", tmp_path / "new", "--format", "pgf",
               ok=False)
    assert r.exit_code == 2 and not (tmp_path / "new").exists()  # refused before anything runs
    assert sorted(out.iterdir()) == before
    with pytest.raises(ValueError, match="pgf needs"):
        plots.plot_folder(out, "pgf")
    assert cli.FIGURE_FORMATS == plots.FORMATS


def test_api_sweep_refuses_pgf_without_latex_first(tmp_path, monkeypatch):
    """oco.sweep(out=…, fmt="pgf") without LaTeX: plots.check_format's line, before anything is computed or
    written (no sweep is run: run_sweep is never called)."""
    pytest.importorskip("pandas")
    import oco
    from oco import sweeps

    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    monkeypatch.setattr(sweeps.api, "run_sweep", lambda *a, **k: pytest.fail("the sweep ran"))
    message = f"^pgf needs {rcParams['pgf.texsystem']}, which is not installed"
    with pytest.raises(ValueError, match=message) as e:
        oco.sweep("reddi-online", "adam", grid={"beta1": [0.0, 0.9]}, T=10, out=tmp_path / "s", fmt="pgf")
    assert "\n" not in str(e.value) and not (tmp_path / "s").exists()


@pytest.mark.skipif(shutil.which(rcParams["pgf.texsystem"]) is None, reason="pgf needs LaTeX (xelatex)")
def test_pgf_with_latex(tmp_path):
    out = tmp_path / "r"
    invoke("run", "reddi-online", "-m", "adam", "--T", "50", "--out", out, "--quiet", "--format", "pgf")
    text = (out / "overview.pgf").read_text()
    assert "\\begin{pgfpicture}" in text and (out / "overview.csv").exists()


def test_figures_drawn_in_two_processes_are_the_files_one_process_writes(tmp_path, monkeypatch):
    """A run folder's and a sweep folder's figures (images, csv, sidecars) drawn half in a forked child equal,
    byte for byte, those drawn in one process; a child that fails leaves its figures to the parent."""
    import os
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("figures are drawn in two processes on Linux only")
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)  # pytest-xdist's worker has a thread of its own
    invoke("run", "reddi-online", "-m", "adam", "-m", "amsgrad", "--T", "300", "--quiet", "--out", tmp_path / "r")
    invoke("sweep", "reddi-online", "-m", "adam", "-m", "amsgrad", "--grid", "beta1=0,0.5,0.9", "--grid",
           "beta2=0.9,0.99", "--T", "200", "--quiet", "--out", tmp_path / "s")
    parent, real = os.getpid(), plots.sidecars.save_folder_figure

    def patch_save(save):  # where the run and sweep figures find it
        for module in (plots.run, plots.sweep):
            monkeypatch.setattr(module, "save_folder_figure", save)
    for folder in ("r", "s"):
        paths_one = plots.plot_folder(tmp_path / folder)  # OCO_FIGURE_PROCESSES=1 (conftest): one process
        one = {f.name: f.read_bytes() for f in (tmp_path / folder).glob("*.*")
               if f.suffix in (".png", ".csv", ".json") and f.name not in ("config.json", "manifest.json")}
        for name in one:
            if name not in ("sweep.csv", "sweep.json", "results.json"):
                (tmp_path / folder / name).unlink()
        monkeypatch.delenv("OCO_FIGURE_PROCESSES")
        calls = []

        def counted(*a, **k):
            calls.append(os.getpid())
            return real(*a, **k)

        patch_save(counted)
        paths_two = plots.plot_folder(tmp_path / folder)
        assert len(paths_one) >= 2 and [p.name for p in paths_two] == [p.name for p in paths_one]
        assert 0 < len(calls) < len(paths_one) and set(calls) == {parent}  # the rest: the child's
        for name, content in one.items():
            assert (tmp_path / folder / name).read_bytes() == content, name

        def failing(*a, **k):  # the child fails; the parent draws its figures too
            if os.getpid() != parent:
                raise RuntimeError("the child fails")
            return real(*a, **k)

        patch_save(failing)
        assert [p.name for p in plots.plot_folder(tmp_path / folder)] == [p.name for p in paths_one]
        patch_save(real)
        monkeypatch.setenv("OCO_FIGURE_PROCESSES", "1")


@pytest.mark.parametrize("command", [
    ["run", "reddi-online", "-m", "adam", "-m", "amsgrad", "--T", "300"],
    ["sweep", "reddi-online", "-m", "adam", "-m", "amsgrad", "--grid", "beta1=0,0.5,0.9", "--grid",
     "beta2=0.9,0.99", "--T", "200"],
])
def test_the_drawer_process_writes_the_files_this_process_would(tmp_path, command):
    """`oco run` / `oco sweep` as a user runs them: a drawer process forked at the start imports matplotlib and
    draws the figures; the folder and the output are byte for byte those of a run that draws them itself."""
    import os
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("the drawer process is forked on Linux only")
    outs = {}
    for name, env in (("drawer", {k: v for k, v in os.environ.items() if k != "OCO_FIGURE_PROCESSES"}),
                      ("here", {**os.environ, "OCO_FIGURE_PROCESSES": "1"})):
        (tmp_path / name).mkdir()
        run = subprocess.run([sys.executable, "-m", "oco", *command, "--quiet", "--out", "f"], cwd=tmp_path / name,
                             env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
        files = {f.name: f.read_bytes() for f in (tmp_path / name / "f").glob("*.*") if f.name != "manifest.json"}
        outs[name] = (run.stdout, run.stderr, files)
    assert any(n.endswith(".png") for n in outs["here"][2])
    assert outs["drawer"][0] == outs["here"][0] and outs["drawer"][1] == outs["here"][1]
    assert outs["drawer"][2].keys() == outs["here"][2].keys()
    for n, content in outs["here"][2].items():
        assert outs["drawer"][2][n] == content, n
