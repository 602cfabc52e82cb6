"""The experiments of issue 11: Zhang et al.'s (2022) divergence region in closed form (oco.analyses.zhang)
against a reference recursion, a hand-checked case and runs; small versions of zhang-n10, zhang-n50,
reddi-thm2 and reddi-thm3 run end to end and meet their numeric targets."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import oco
from oco import experiments
from oco.analyses import zhang
from oco.plots import zhang as zhang_overlays


# ---------------------------------------------------------------- the closed form
def test_drift_hand_checked_sign_descent():
    """β1 = β2 = 0 is sign descent: m/√v = sign(g), +1 once a pass and −1 n − 1 times, so D = (2 − n)/n."""
    for n in (3, 10, 50):
        assert zhang.drift(0.0, 0.0, n) == pytest.approx((2 - n) / n, abs=1e-15)
    assert zhang.divergence_region(0.0, 0.0, 10)


def test_drift_hand_checked_n3():
    """n = 3, a = 1 (r = 3), β1 = 0, β2 = ½, by hand: v_j = (½·8·(½)^j)/(1 − ⅛) + 1 = 1 + (32/7)(½)^j, so
    v = (39/7, 23/7, 15/7) and m = (3, −1, −1): D = (3/√(39/7) − 1/√(23/7) − 1/√(15/7))/3 > 0 (converges)."""
    want = (3 / np.sqrt(39 / 7) - 1 / np.sqrt(23 / 7) - 1 / np.sqrt(15 / 7)) / 3
    assert zhang.ratio(3, 1.0) == 3.0
    assert zhang.drift(0.0, 0.5, 3, 1.0) == pytest.approx(want, rel=1e-14)
    assert want > 0 and not zhang.divergence_region(0.0, 0.5, 3, 1.0)


def _reference_drift(b1: float, b2: float, n: int, a: float, periods: int = 400) -> float:
    """The moments' recursions run from zero over many passes of the cyclic gradients (r, −1, …, −1)·a; the
    mean of m/√v over the last pass."""
    g = np.array([1 + (n - 1) * a] + [-a] * (n - 1))
    m = v = 0.0
    for _ in range(periods):
        dirs = []
        for gi in g:
            m = b1 * m + (1 - b1) * gi
            v = b2 * v + (1 - b2) * gi * gi
            dirs.append(m / np.sqrt(v))
    return float(np.mean(dirs))


@pytest.mark.parametrize("b1, b2, n, a", [(0.0, 0.3, 10, None), (0.5, 0.2, 10, None), (0.9, 0.5, 10, None),
                                          (0.3, 0.7, 50, None), (0.7, 0.9, 5, 0.3), (0.2, 0.05, 20, 0.01)])
def test_drift_equals_the_recursion(b1, b2, n, a):
    a_ = 1 / (n - 1) ** 2 if a is None else a
    assert zhang.drift(b1, b2, n, a) == pytest.approx(_reference_drift(b1, b2, n, a_), rel=1e-9, abs=1e-12)


def test_region_grows_with_n():
    """'The size of the region depends on n and it expands to the whole region as n grows' (Zhang et al.)."""
    b1, b2 = np.meshgrid(np.linspace(0, 0.99, 60), np.linspace(0.01, 0.99, 60))
    regions = [zhang.divergence_region(b1, b2, n) for n in (5, 10, 20, 50, 200, 1000)]
    sizes = [r.mean() for r in regions]
    assert all(s < t for s, t in zip(sizes, sizes[1:])), sizes
    assert all(not (r & ~s).any() for r, s in zip(regions, regions[1:]))  # nested (β2 > 0; at β2 = 0 it is not)


def test_region_decides_the_runs():
    """Cyclic Adam (α_t = 0.1/√t, x_1 = 0) runs away where D is clearly negative and reaches x* = −2 where it is
    clearly positive (β2 > 0)."""
    cells = [(0.0, 0.2), (0.3, 0.3), (0.45, 0.25), (0.0, 0.6), (0.5, 0.5), (0.9, 0.3), (0.9, 0.99)]
    b1, b2 = np.array(cells).T
    D = zhang.drift(b1, b2, 10)
    r = oco.simulate("zhang-divergence", "adam", T=20_000, alpha=0.1, schedule="sqrt", beta1=b1, beta2=b2,
                     backend="numpy", problem_params={"n": 10, "order": "cyclic"})
    x = r.x_final[:, 0]
    assert np.all(np.abs(D) > 0.02), D  # none of the cells is near the boundary
    np.testing.assert_array_equal(x > 0, D < 0)
    assert np.all(np.abs(x[D > 0] + 2) < 0.05), x


def test_running_away_rule():
    x = zhang.running_away([5.0, 5.0, -2.0, -0.5, 0.5], [3.0, 6.0, -2.5, -0.8, 0.2], x1=0.0, x_star=-2.0)
    np.testing.assert_array_equal(x, [True, False, False, False, True])  # farther than the start, and growing


def test_running_away_overlay_sits_on_the_heat_map_cells():
    """The hatched rectangles' corners are the heat map's own cell edges (oco.plots.grid_axis), mapped back to
    grid values; neighbouring cells of a row make one rectangle."""
    from oco.plots import grid_axis

    grid = experiments.beta_grid(6, 3.0)
    xa, ya = grid_axis("beta1", grid["beta1"]), grid_axis("beta2", grid["beta2"])
    b1, b2 = grid["beta1"], grid["beta2"]
    regions = zhang_overlays.running_away_overlay([(b1[1], b2[2]), (b1[2], b2[2]), (b1[4], b2[0])])(xa, ya)
    e1, e2 = xa.value_of(xa.edges()), ya.value_of(ya.edges())
    got = sorted((min(r.x), max(r.x), min(r.y), max(r.y)) for r in regions)
    want = sorted([(e1[1], e1[3], *sorted((e2[2], e2[3]))), (e1[4], e1[5], *sorted((e2[0], e2[1])))])
    np.testing.assert_allclose(got, want)
    assert sum(r.label is not None for r in regions) == 1
    assert zhang_overlays.running_away_overlay([])(xa, ya) == []
    assert zhang_overlays.region_overlay(10)(grid_axis("alpha", [0.1, 1.0]), ya) == []  # not a β1 × β2 map


def test_region_overlay_follows_the_closed_form():
    """The overlay's polygon vertices lie on D = 0 (up to the sampling) and enclose the region's cells."""
    from matplotlib.path import Path as MPath

    from oco.plots import grid_axis

    grid = experiments.beta_grid(20, 3.0)
    xa, ya = grid_axis("beta1", grid["beta1"]), grid_axis("beta2", grid["beta2"])
    regions = zhang_overlays.region_overlay(10)(xa, ya)
    assert regions and regions[0].label == "D < 0 (closed form)"
    poly = MPath(np.column_stack([regions[0].x, regions[0].y]))
    lo = ya.extent()[0]  # the map starts half a cell below its first β2
    for b1 in np.linspace(0.01, 0.6, 13):
        for b2 in np.linspace(lo + 0.01, 0.6, 13):
            D = zhang.drift(b1, b2, 10)
            if abs(D) > 0.02:
                assert poly.contains_point((b1, b2)) == (D < 0), (b1, b2, D)


# ---------------------------------------------------------------- the experiments, small
def _run(name: str, tmp_path, **sizes):
    e = experiments.scaled(name, **sizes)
    out = tmp_path / name
    experiments.prepare(name, out, experiment=e)
    files, _ = experiments.reproduce(name, out, quiet=True, experiment=e)
    checks = experiments.check_targets(name, out, experiment=e)
    assert checks and all(ok for _, _, ok in checks), [(t.describe(), got) for t, got, ok in checks if not ok]
    return e, out, files


@pytest.mark.parametrize("n", [10, 50])
def test_zhang_small_meets_its_targets(n, tmp_path):
    # the paper's horizon; cells fine enough that the few near the boundary (which under reshuffling sits a
    # little above the cyclic closed form) weigh as little as at full size
    T = 50_000
    e, out, files = _run(f"zhang-n{n}", tmp_path, cells=24, T=T)
    assert len(e.grid["beta1"]) == 24 and len(e.grid["beta2"]) == 28 and e.params["n"] == n
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["cells_inside"] > 0 and analysis["inside_running_away"] >= 0.9
    side = json.loads((out / "heatmap_adam-paper.json").read_text())
    assert "could not read" in side["paper_settings"]["analytic region"]
    assert side["experiment"]["equivalent"].startswith(f"oco sweep zhang-divergence -m adam --T {T}")
    with open(out / "heatmap_adam-paper.csv", newline="") as f:
        series = {(r["mark"], r["series"]) for r in csv.DictReader(f)}
    assert ("region", "D < 0 (closed form)") in series  # the closed-form region is drawn
    assert ("region", "runs away") in series
    assert {("curve", "β1 = √β2"), ("curve", "β1 = β2")} <= series


def test_reddi_thm2_small_meets_its_targets(tmp_path):
    betas = ((0.0, 0.5), (0.3, 0.6), (0.5, 0.8))
    e, out, files = _run("reddi-thm2", tmp_path, T=20_000, betas=betas)
    assert [p.name for p in e.parts] == ["beta1=0_beta2=0.5", "beta1=0.3_beta2=0.6", "beta1=0.5_beta2=0.8"]
    Cs = [json.loads((out / p.name / "config.json").read_text())["problem"]["params"]["C"] for p in e.parts]
    assert Cs == [20, 30, 82]  # the proof's C (oco.problems.reddi.thm2_period)
    assert {t.quantity for t in e.targets} == {"x_final", "avg_regret", "late_avg_regret"}
    assert (out / "summary.png").exists() and json.loads((out / "summary.json").read_text())["reproduce"]


def test_reddi_thm3_small_meets_its_targets(tmp_path):
    # T = 4·10⁴: R_T/T's noise at C = 20 (0.046) is small enough for its target (oco.experiments.reddi_thm3)
    e, out, files = _run("reddi-thm3", tmp_path, T=40_000, betas=((0.0, 0.5), (0.5, 0.8)), seeds=2)
    assert {t.quantity for t in e.targets} == {"expected_gap", "avg_regret"}
    assert (out / "summary.png").exists()


def test_full_sizes_and_targets_are_declared():
    for name in ("zhang-n10", "zhang-n50", "zhang-phase"):
        e = experiments.EXPERIMENTS[name]
        assert len(e.grid["beta1"]) >= 50 and len(e.grid["beta2"]) >= 50, name
        assert all(t.source for t in e.targets)
    assert experiments.EXPERIMENTS["zhang-n10"].T == 50_000  # the paper's horizon
    assert experiments.EXPERIMENTS["zhang-n50"].params["n"] == 50
    for name in ("reddi-thm2", "reddi-thm3"):
        e = experiments.EXPERIMENTS[name]
        assert len(e.parts) == 5 and all(b1 < np.sqrt(b2) for b1, b2 in experiments.THM_BETAS)
        assert {t.part for t in e.targets} == {p.name for p in e.parts}
    with pytest.raises(ValueError, match="no sizes to change"):
        experiments.scaled("reddi-thm1", T=10)


def test_target_ops():
    above = experiments.Target("adam", "x_final", "above", 1.0, "s")
    assert above.passes(1.0) and above.passes(2.0) and not above.passes(0.5) and not above.passes(float("nan"))
    assert "≥ 1" in above.describe()
    assert "[p]" in experiments.Target("adam", "x_final", "near", 1.0, "s", tol=0.1, part="p").describe()
