"""Sweeps as a library: grid specs, shard-size independence, resuming an interrupted sweep byte for byte,
refusing to resume with other settings, diverged cells, exact numbers; and the IO helpers beneath them."""

from __future__ import annotations

import csv
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oco
from oco import problems
from oco import config, io, plots
from oco import sweeps as sw


def make(grid, methods=("adam",), T=60, seeds=2, shard_size=None, **kw):
    return config.resolve("sweep", kw.pop("problem", "reddi-stochastic"), list(methods), T=T, grid=grid,
                          seeds=seeds, shard_size=shard_size, checkpoints=10, **kw)


GRID = {"beta1": [0.0, 0.5, 0.9], "beta2": [0.9, 0.99]}


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- grid specs
def test_grid_spec_forms():
    assert config.parse_grid_spec("b", "0.9,0.99,0.999") == [0.9, 0.99, 0.999]
    assert config.parse_grid_spec("b", "0:1:5") == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert config.parse_grid_spec("b", "0.9:0.99:3") == [0.9, 0.945, 0.99]  # both ends included
    assert config.parse_grid_spec("b", "0.5:0.5:1") == [0.5]
    assert config.parse_grid_spec("s", "const,sqrt") == ["const", "sqrt"]
    assert config.parse_grid_spec("n", "true,false") == [True, False]
    assert config.parse_grid(["alpha=1,2", "beta1=0:0.5:2"]) == {
        "alpha": [1.0, 2.0], "beta1": [0.0, 0.5]}


@pytest.mark.parametrize("spec", ["", "1,,2", "0:1", "0:1:2:3", "a:b:3", "0:1:0", "0:inf:3", "1,1"])
def test_grid_spec_errors(spec):
    with pytest.raises(config.ConfigError):
        config.parse_grid_spec("beta1", spec)


def test_grid_points_first_axis_slowest():
    assert sw.grid_points({"a": [1, 2], "b": [3, 4, 5]})[:4] == [(1, 3), (1, 4), (1, 5), (2, 3)]


# ---------------------------------------------------------------- shards and resume
def test_rows_match_simulate_exactly(tmp_path):
    cfg = make(GRID, methods=("adam", "amsgrad"))
    sw.run_sweep(cfg, tmp_path, plot=False)
    rows = rows_of(tmp_path / "sweep.csv")
    assert len(rows) == 2 * 6 * 2
    assert [(r["method"], r["beta1"], r["beta2"], r["seed"]) for r in rows[:3]] == [
        ("adam", "0.0", "0.9", "0"), ("adam", "0.0", "0.9", "1"), ("adam", "0.0", "0.99", "0")]
    for r in rows[::5]:
        hp = {**problems.get_problem("reddi-stochastic").suggested, "beta1": float(r["beta1"]),
              "beta2": float(r["beta2"])}
        ref = oco.simulate("reddi-stochastic", r["method"], T=60, seed=int(r["seed"]), **hp)
        assert float(r["regret"]) == float(ref.regret[0])
        assert float(r["avg_regret"]) == float(ref.avg_regret[0])
        assert float(r["x_final"]) == float(ref.x_final[0, 0])
        assert float(r["expected_gap"]) == float(ref.expected_gap[0])
    tr = io.read_npz(tmp_path / "traces.npz")
    assert tr["avg_regret"].shape == (len(tr["t"]), len(rows))


@pytest.mark.parametrize("size", [1, 5, 7])
def test_results_do_not_depend_on_shard_size(tmp_path, size):
    whole, part = tmp_path / "whole", tmp_path / "part"
    sw.run_sweep(make(GRID), whole, plot=False)
    cfg = make(GRID, shard_size=size)
    sw.run_sweep(cfg, part, plot=False)
    assert len(sw.shards(cfg)) == math.ceil(12 / size)
    assert (whole / "sweep.csv").read_bytes() == (part / "sweep.csv").read_bytes()


def test_interrupted_sweep_resumes_byte_identical(tmp_path, monkeypatch):
    ref = tmp_path / "ref"
    sw.run_sweep(make(GRID, shard_size=4), ref, plot=False)

    out = tmp_path / "out"
    real = sw.run_shard
    calls = []

    def flaky(cfg, shard, progress=None):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(shard.index)
        return real(cfg, shard, progress)

    monkeypatch.setattr(sw, "run_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(make(GRID, shard_size=4), out, plot=False)
    assert not (out / "sweep.csv").exists()
    assert sorted(p.name for p in (out / "shards").iterdir()) == [
        "shard-00000.csv", "shard-00000.npz", "shard-00001.csv", "shard-00001.npz"]
    (out / "shards" / ".tmp-leftover").write_text("half a shard")  # as a kill during a write would leave

    monkeypatch.setattr(sw, "run_shard", real)
    cfg = make(GRID, shard_size=sw.stored_shard_size(out))
    sw.check_resume(out, cfg)
    done = []
    monkeypatch.setattr(sw, "run_shard", lambda c, s, p=None: done.append(s.index) or real(c, s, p))
    sw.run_sweep(cfg, out, plot=False)
    assert done == [2]  # only the unfinished shard ran
    assert (out / "sweep.csv").read_bytes() == (ref / "sweep.csv").read_bytes()
    assert not list(out.rglob(".tmp-*"))
    assert len(io.read_json(out / "manifest.json")["invocations"]) == 2


@pytest.mark.parametrize("change, needle", [
    ({"T": 61}, "T is 61 here but 60 there"),
    ({"seeds": 3}, "seeds"),
    ({"grid": {"beta1": [0.0, 0.5], "beta2": [0.9, 0.99]}}, "grid.beta1"),
    ({"hypers": {"alpha": 0.1}}, "methods[0].hyperparameters.alpha is 0.1 here but"),
    ({"methods": ("amsgrad",)}, "methods"),
    ({"shard_size": 3}, "shard_size is 3 here but 4 there"),
])
def test_resume_with_other_settings_is_refused(tmp_path, change, needle):
    sw.run_sweep(make(GRID, shard_size=4), tmp_path, plot=False)
    args = {"grid": GRID, "shard_size": 4}
    args.update(change)
    with pytest.raises(config.ConfigError, match="settings differ") as e:
        sw.check_resume(tmp_path, make(**args))
    assert needle in str(e.value)
    sw.check_resume(tmp_path, make(GRID, shard_size=4))  # the same settings are fine


def test_unbatchable_axes_run_one_batch_per_value(tmp_path):
    grid = {"schedule": ["const", "sqrt"], "alpha": [0.01, 0.1]}
    cfg = make(grid, seeds=1, shard_size=3, problem="reddi-online")
    sw.run_sweep(cfg, tmp_path, plot=False)
    rows = rows_of(tmp_path / "sweep.csv")
    assert [(r["schedule"], r["alpha"]) for r in rows] == [("const", "0.01"), ("const", "0.1"),
                                                          ("sqrt", "0.01"), ("sqrt", "0.1")]
    for r in rows:
        hp = {**problems.get_problem("reddi-online").suggested, "schedule": r["schedule"],
              "alpha": float(r["alpha"])}
        ref = oco.simulate("reddi-online", "adam", T=60, **hp)
        assert float(r["regret"]) == float(ref.regret[0])


def test_diverged_rows_and_hatched_cells(tmp_path):
    """A configuration that overflows is a row with diverged=true and NaN regret; its cell is hatched grey."""
    cfg = config.resolve("sweep", "reddi-online", ["sgd"], T=20, grid={"alpha": [0.1, 1e306], "momentum": [0.0, 0.5]},
                         domain="none", checkpoints=5)
    sw.run_sweep(cfg, tmp_path, plot=True)
    rows = rows_of(tmp_path / "sweep.csv")
    big = [r for r in rows if float(r["alpha"]) == 1e306]
    assert big and all(r["diverged"] == "true" and r["regret"] == "nan" for r in big)
    assert all(r["diverged"] == "false" for r in rows if float(r["alpha"]) == 0.1)
    cells = plots.sweep_cells(rows, "sgd", "alpha", [0.1, 1e306], "momentum", [0.0, 0.5], {})
    assert cells["diverged"][:, 1].all() and not cells["diverged"][:, 0].any()
    assert np.isnan(cells["avg_regret"][:, 1]).all()
    assert (tmp_path / "heatmap_sgd-paper.png").exists()

    # the heat map draws diverged cells as hatched patches with a legend entry, not as colours
    _fig, axes = plots._figure(1)
    plots.heatmap_axes(axes[0], cells["avg_regret"], cells["diverged"], cells["missing"], [0.1, 1e306],
                       [0.0, 0.5], "alpha", "momentum", "R_T/T")
    hatched = [p for p in axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    assert "diverged" in [t.get_text() for t in axes[0].get_legend().get_texts()]


def test_beta_curve_drawn_on_beta_axes():
    _fig, axes = plots._figure(1)
    xs, ys = [0.0, 0.5, 0.9, 0.99], [0.5, 0.9, 0.99, 0.999]
    Z = np.arange(16.0).reshape(4, 4)
    none = np.zeros((4, 4), bool)
    plots.heatmap_axes(axes[0], Z, none, none, xs, ys, "beta1", "beta2", "R_T/T")
    assert "β1 = √β2" in [t.get_text() for t in axes[0].get_legend().get_texts()]
    line = next(ln for ln in axes[0].get_lines() if ln.get_linestyle() == "--")
    x, y = line.get_data()
    # in value space the curve satisfies β1 = √β2
    b1 = np.interp(x, np.arange(4), xs)
    b2 = np.interp(y, np.arange(4), ys)
    inside = (b1 >= 0.9) & (b1 <= 0.99)  # within one cell the index map is linear in both values
    assert np.allclose(b1[inside] ** 2, b2[inside], atol=2e-3)


def test_sweep_with_d_dimensional_problem(tmp_path, monkeypatch):
    """x_final gets one column per coordinate when d > 1."""
    from oco import problems
    from oco.problems.base import Problem

    class TwoD(Problem):
        name = "test-2d"
        summary = "g_t = (1, −2)"
        d = 2

        def data(self, seed, t0, n):
            return np.tile([1.0, -2.0], (n, 1))

    monkeypatch.setitem(problems.PROBLEMS, "test-2d", TwoD)
    cfg = config.resolve("sweep", "test-2d", ["adam"], T=30, grid={"beta1": [0.0, 0.9]}, checkpoints=5)
    sw.run_sweep(cfg, tmp_path, plot=True)
    rows = rows_of(tmp_path / "sweep.csv")
    assert {"x_final_0", "x_final_1", "x_star_0", "x_star_1"} <= set(rows[0])
    assert float(rows[0]["x_star_0"]) == -1.0 and float(rows[0]["x_star_1"]) == 1.0
    assert (tmp_path / "sweep_adam-paper.png").exists()  # one axis: a line plot


def test_validate_catches_engine_errors_before_output(tmp_path):
    cfg = make({"beta1": [0.5]}, x0=[0.3])
    sw.validate(cfg)
    with pytest.raises(config.ConfigError):
        make({"beta1": [0.5]}, x0=5.0)


# ---------------------------------------------------------------- IO beneath
@given(st.floats(allow_nan=False))
def test_fmt_float_round_trips(x):
    assert float(io.fmt_float(x)) == x and (math.copysign(1, float(io.fmt_float(x))) == math.copysign(1, x))


def test_json_has_no_nan():
    assert io.dumps({"a": float("nan"), "b": [np.float64(np.inf), 1.5]}, indent=None) == '{"a": null, "b": [null, 1.5]}'


def test_write_atomic_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    io.write_atomic(target, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        io.write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_check_out_dir(tmp_path):
    io.check_out_dir(tmp_path / "new")
    io.check_out_dir(tmp_path)  # empty
    (tmp_path / "x").write_text("")
    with pytest.raises(io.OutputError, match="not empty"):
        io.check_out_dir(tmp_path)
    io.check_out_dir(tmp_path, resume=True)
    with pytest.raises(io.OutputError, match="not a folder"):
        io.check_out_dir(tmp_path / "x")


def test_diff_configs_names_the_first_difference():
    assert sw.diff_configs({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 2}}) is None
    assert sw.diff_configs({"a": 1, "b": {"c": 3}}, {"a": 1, "b": {"c": 2}}) == "b.c is 3 here but 2 there"
    assert "absent there" in sw.diff_configs({"a": 1, "z": 0}, {"a": 1})
