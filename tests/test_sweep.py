"""Sweeps as a library: grid specs, shard-size independence, resuming an interrupted sweep byte for byte,
refusing to resume with other settings, diverged cells, exact numbers; and the IO helpers beneath them."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oco
from oco import problems
from oco import config, io, plots
from oco.plots import layout
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
    sw.run_sweep(cfg, tmp_path)
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
    sw.run_sweep(make(GRID), whole)
    cfg = make(GRID, shard_size=size)
    sw.run_sweep(cfg, part)
    assert len(sw.shards(cfg)) == math.ceil(12 / size)
    assert (whole / "sweep.csv").read_bytes() == (part / "sweep.csv").read_bytes()


def test_interrupted_sweep_resumes_byte_identical(tmp_path, monkeypatch):
    ref = tmp_path / "ref"
    sw.run_sweep(make(GRID, shard_size=4), ref)

    out = tmp_path / "out"
    real = sw.run_shard
    calls = []

    def flaky(cfg, shard, *rest):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(shard.index)
        return real(cfg, shard, *rest)

    monkeypatch.setattr(sw.folder, "run_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(make(GRID, shard_size=4), out)
    assert not (out / "sweep.csv").exists()
    assert sorted(p.name for p in (out / "shards").iterdir()) == [
        "shard-00000.csv", "shard-00000.npz", "shard-00001.csv", "shard-00001.npz"]
    (out / "shards" / ".tmp-leftover").write_text("half a shard")  # as a kill during a write would leave

    monkeypatch.setattr(sw.folder, "run_shard", real)
    cfg = make(GRID, shard_size=sw.stored_shard_size(out))
    sw.check_resume(out, cfg)
    done = []
    monkeypatch.setattr(sw.folder, "run_shard", lambda c, s, *rest: done.append(s.index) or real(c, s, *rest))
    sw.run_sweep(cfg, out)
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
    sw.run_sweep(make(GRID, shard_size=4), tmp_path)
    args = {"grid": GRID, "shard_size": 4}
    args.update(change)
    with pytest.raises(config.ConfigError, match="settings differ") as e:
        sw.check_resume(tmp_path, make(**args))
    assert needle in str(e.value)
    sw.check_resume(tmp_path, make(GRID, shard_size=4))  # the same settings are fine


def test_unbatchable_axes_run_one_batch_per_value(tmp_path):
    grid = {"schedule": ["const", "sqrt"], "alpha": [0.01, 0.1]}
    cfg = make(grid, seeds=1, shard_size=3, problem="reddi-online")
    sw.run_sweep(cfg, tmp_path)
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
    sw.run_sweep(cfg, tmp_path)
    plots.plot_folder(tmp_path)
    rows = rows_of(tmp_path / "sweep.csv")
    big = [r for r in rows if float(r["alpha"]) == 1e306]
    assert big and all(r["diverged"] == "true" and r["regret"] == "nan" for r in big)
    assert all(r["diverged"] == "false" for r in rows if float(r["alpha"]) == 0.1)
    cells = plots.sweep_cells(rows, "sgd", "alpha", [0.1, 1e306], "momentum", [0.0, 0.5], {})
    assert cells["diverged"][:, 1].all() and not cells["diverged"][:, 0].any()
    assert np.isnan(cells["avg_regret"][:, 1]).all()
    assert (tmp_path / "heatmap_sgd-paper.png").exists()

    # the heat map draws diverged cells as hatched patches with a legend entry, not as colours
    _fig, axes = layout.figure_row(1)
    plots.heatmap_axes(axes[0], cells["avg_regret"], cells["diverged"], cells["missing"], [0.1, 1e306],
                       [0.0, 0.5], "alpha", "momentum", "R_T/T")
    hatched = [p for p in axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    assert "diverged" in [t.get_text() for t in axes[0].get_legend().get_texts()]


def test_beta_curve_drawn_on_beta_axes():
    """β2 on x, β1 on y (the grid's axes the other way round from test_plots'): both curves in the true
    coordinates, x = 1 − β2 and y = β1 — β1 = √β2 at y = √(1 − x), β1 = β2 at y = 1 − x — across the whole
    heat map: from β2 = 0 (β2's outer edge, 1 − β2 ≈ 1.12, clipped to β2 ≥ 0) to its other edge,
    1 − β2 = 10^-3.5."""
    _fig, axes = layout.figure_row(1)
    b2, b1 = [0.5, 0.9, 0.99, 0.999], [0.0, 0.5, 0.9, 0.99]
    Z = np.arange(16.0).reshape(4, 4)
    none = np.zeros((4, 4), bool)
    plots.heatmap_axes(axes[0], Z, none, none, b2, b1, "beta2", "beta1", "R_T/T")
    assert (axes[0].get_xlabel(), axes[0].get_ylabel(), axes[0].get_xscale()) == ("1 − β2", "β1", "log")
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == ["β1 = √β2", "β1 = β2"]
    for label, b1_of_b2 in (("β1 = √β2", np.sqrt), ("β1 = β2", lambda v: v)):
        (line,) = [ln for ln in axes[0].get_lines() if ln.get_label() == label]
        x, y = (np.asarray(v, float) for v in line.get_data())
        assert len(x) > 100 and np.allclose(y, b1_of_b2(1 - x), rtol=0, atol=1e-12)
        assert np.isclose(x.max(), 1.0, rtol=1e-12) and np.isclose(x.min(), 10 ** -3.5, rtol=1e-9)


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
    sw.run_sweep(cfg, tmp_path)
    plots.plot_folder(tmp_path)
    rows = rows_of(tmp_path / "sweep.csv")
    assert {"x_final_0", "x_final_1", "x_star_0", "x_star_1"} <= set(rows[0])
    assert float(rows[0]["x_star_0"]) == -1.0 and float(rows[0]["x_star_1"]) == 1.0
    assert (tmp_path / "sweep_adam-paper.png").exists()  # one axis: a line plot


def test_the_checker_catches_engine_errors_before_output(tmp_path):
    make({"beta1": [0.5]}, x0=[0.3])  # inside the feasible set: accepted
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


# ---------------------------------------------------------------- traces: which rows, and the folded folder
FILES = ("sweep.csv", "traces.npz", "summary.csv", "sweep.json", "config.json")


def same_npz(a, b):
    ta, tb = io.read_npz(a), io.read_npz(b)
    assert ta.keys() == tb.keys()
    return all(np.array_equal(ta[k], tb[k], equal_nan=True) for k in ta)


def test_spread_is_evenly_spaced_with_both_ends():
    from fractions import Fraction

    for n in (1, 2, 3, 7, 10, 500):
        for m in range(1, min(n, 40) + 1):
            got = sw.spread(n, m).tolist()
            want = [math.floor(Fraction(i * (n - 1), max(m - 1, 1)) + Fraction(1, 2)) for i in range(m)]
            assert got == want, (n, m)
            assert got[0] == 0 and (m == 1 or got[-1] == n - 1) and len(set(got)) == m


NINE_BY_FOUR = {"beta1": list(np.linspace(0, 0.9, 9)), "beta2": [0.9, 0.99, 0.999, 0.9999]}


@pytest.mark.parametrize("grid, seeds, budget, c, s", [
    (NINE_BY_FOUR, 2, 40, 3, 2),
    (NINE_BY_FOUR, 3, 40, 2, 3),
    (NINE_BY_FOUR, 6, 40, 2, 5),  # not even the corners with every seed: the corners with 5 seeds
    ({"beta1": list(np.linspace(0, 0.9, 9)), "beta2": [0.9, 0.99]}, 2, 1000, 9, 2),  # everything fits
    ({"alpha": list(np.linspace(0.1, 1, 30))}, 1, 23, 11, 1),
])
def test_thin_traces_keep_a_sub_grid(monkeypatch, grid, seeds, budget, c, s):
    """Under a budget of ``budget`` rows (2 methods), thin keeps every method, min(n, c) values of each axis
    (spread evenly, both ends) and the first s seeds; c is the largest that fits."""
    cfg = make(grid, methods=("adam", "amsgrad"), seeds=seeds)
    monkeypatch.setattr(sw.traces, "THIN_BYTES", budget * sw.trace_row_bytes(cfg))
    keep = sw.kept_rows(cfg, "thin")
    assert np.all(np.diff(keep) > 0) and len(keep) <= max(budget, 2 * 2 ** len(grid))
    lens = [len(v) for v in grid.values()]
    want = {(mi, tuple(v), si) for mi in range(2)
            for v in itertools.product(*(sw.spread(L, min(L, c)).tolist() for L in lens)) for si in range(s)}
    got = set()
    for i in keep:
        mi, pi, si = sw.row_index(cfg, int(i))
        point = sw.grid_point(cfg.grid, pi)
        got.add((mi, tuple(list(vals).index(x) for vals, x in zip(grid.values(), point)), si))
    assert got == want
    if s == seeds and c < max(lens):  # c + 1 would not have fitted
        assert 2 * seeds * math.prod(min(L, c + 1) for L in lens) > budget
    assert len(sw.kept_rows(cfg, "all")) == sw.n_rows(cfg) and len(sw.kept_rows(cfg, "none")) == 0


def test_thin_traces_are_the_full_traces_of_their_rows(tmp_path, monkeypatch):
    """Thinned traces hold, for each kept row, exactly what --traces all holds for it; sweep.csv is the same;
    and at the last checkpoint (t = T) each kept row's R_t/t is its sweep.csv avg_regret."""
    grid = {"beta1": [0.0, 0.3, 0.6, 0.9], "beta2": [0.9, 0.99, 0.999]}
    cfg = make(grid, shard_size=5)
    monkeypatch.setattr(sw.traces, "THIN_BYTES", 10 * sw.trace_row_bytes(cfg))
    sw.run_sweep(cfg, tmp_path / "all", traces="all")
    sw.run_sweep(cfg, tmp_path / "thin")
    assert (tmp_path / "all" / "sweep.csv").read_bytes() == (tmp_path / "thin" / "sweep.csv").read_bytes()
    full, thin = sw.load_traces(tmp_path / "all"), sw.load_traces(tmp_path / "thin")
    keep = sw.kept_rows(cfg, "thin")
    assert thin["rows"].tolist() == keep.tolist() and 0 < len(keep) < sw.n_rows(cfg)
    assert full["rows"].tolist() == list(range(sw.n_rows(cfg)))
    for key in ("avg_regret", "x", "lr_quantiles", "expected_gap"):
        assert np.array_equal(thin[key], full[key][:, keep], equal_nan=True), key
    rows = rows_of(tmp_path / "thin" / "sweep.csv")
    assert thin["t"][-1] == cfg.T
    assert [float(rows[i]["avg_regret"]) for i in keep] == thin["avg_regret"][-1].tolist()
    assert io.read_json(tmp_path / "thin" / "sweep.json")["traces.npz"]["rows"] == len(keep)
    assert io.read_json(tmp_path / "thin" / "config.json")["traces"] == "thin"
    assert plots.plot_folder(tmp_path / "thin")  # the figures draw from a thinned folder


def test_shards_are_folded_and_resuming_a_finished_sweep_rewrites_the_same_files(tmp_path, monkeypatch):
    cfg = make(GRID, shard_size=5)
    sw.run_sweep(cfg, tmp_path)
    assert not (tmp_path / sw.SHARDS).exists()
    before = {f: (tmp_path / f).read_bytes() for f in FILES}
    ran = []
    monkeypatch.setattr(sw.folder, "run_shard", lambda c, s, *rest: ran.append(s) or pytest.fail("a shard ran"))
    sw.check_resume(tmp_path, cfg)
    assert sw.pending_rounds(cfg, tmp_path) == 0
    sw.run_sweep(cfg, tmp_path)
    assert not ran and {f: (tmp_path / f).read_bytes() for f in FILES} == before


def test_a_sweep_interrupted_while_folding_resumes_to_the_same_files(tmp_path, monkeypatch):
    """Killed while removing its shards (after the assembled files are written): the rest are read from
    sweep.csv and traces.npz, nothing is computed again, and the files are those of an uninterrupted run."""
    cfg = make(GRID, shard_size=4)
    sw.run_sweep(cfg, tmp_path / "ref")
    out = tmp_path / "out"

    def killed(path):
        (path / "shard-00000.csv").unlink()
        (path / "shard-00000.npz").unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(sw.folder.shutil, "rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(cfg, out)
    monkeypatch.undo()
    assert sorted(p.name for p in (out / sw.SHARDS).iterdir())[0] == "shard-00001.csv"
    (out / "sweep.json").unlink()  # as if killed before it was written
    monkeypatch.setattr(sw.folder, "run_shard", lambda c, s, *rest: pytest.fail("a shard ran"))
    sw.run_sweep(cfg, out)
    assert not (out / sw.SHARDS).exists()
    for f in FILES:
        assert (out / f).read_bytes() == (tmp_path / "ref" / f).read_bytes(), f


@pytest.mark.parametrize("traces", ["thin", "all", "none"])
def test_interrupted_sweep_resumes_byte_identical_in_every_traces_mode(tmp_path, monkeypatch, traces):
    cfg = make(GRID, shard_size=3)
    monkeypatch.setattr(sw.traces, "THIN_BYTES", 5 * sw.trace_row_bytes(cfg))
    sw.run_sweep(cfg, tmp_path / "ref", traces=traces)
    real, calls = sw.run_shard, []

    def flaky(cfg, shard, *rest):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(shard.index)
        return real(cfg, shard, *rest)

    out = tmp_path / "out"
    monkeypatch.setattr(sw.folder, "run_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(cfg, out, traces=traces)
    monkeypatch.setattr(sw.folder, "run_shard", real)
    sw.check_resume(out, cfg)
    sw.run_sweep(cfg, out)  # the folder's own --traces
    for f in FILES:
        if f == "traces.npz" and traces == "none":
            assert not (out / f).exists() and not (tmp_path / "ref" / f).exists()
            continue
        assert (out / f).read_bytes() == (tmp_path / "ref" / f).read_bytes(), f
    assert (io.read_json(out / "sweep.json")["traces.npz"] is None) == (traces == "none")


def test_resume_with_other_traces_is_refused(tmp_path):
    cfg = make(GRID)
    sw.run_sweep(cfg, tmp_path, traces="none")
    with pytest.raises(config.ConfigError, match="traces is 'all' here but 'none' there"):
        sw.check_resume(tmp_path, cfg, "all")
    sw.check_resume(tmp_path, cfg, "none")
    sw.check_resume(tmp_path, cfg)  # not given: the folder's own
    assert sw.traces_mode(tmp_path) == "none"
    with pytest.raises(config.ConfigError, match="--traces must be one of thin, all, none, got 'some'"):
        sw.prepare(None, False, GRID, None, "some", problem="reddi-online")


def test_a_damaged_assembled_sweep_is_computed_again(tmp_path, capsys):
    cfg = make(GRID, shard_size=5)
    sw.run_sweep(cfg, tmp_path / "ref")
    out = tmp_path / "out"
    sw.run_sweep(cfg, out)
    (out / "traces.npz").write_bytes(b"garbage")
    sw.run_sweep(cfg, out)
    assert "traces.npz" in capsys.readouterr().err
    for f in FILES:
        assert (out / f).read_bytes() == (tmp_path / "ref" / f).read_bytes(), f


@pytest.mark.parametrize("traces", ["thin", "all", "none"])
def test_disk_estimate_bounds_the_folder(tmp_path, traces):
    cfg = make(GRID, shard_size=5, seeds=3)
    sw.run_sweep(cfg, tmp_path, traces=traces)
    used = sum(p.stat().st_size for p in tmp_path.iterdir() if p.name not in ("config.json", "manifest.json"))
    assert used <= sw.disk_need(cfg, traces) / 2  # the need counts the shards and the assembled files


# ---------------------------------------------------------------- summary.csv: statistics over seeds
def direct_interval(x):
    """The percentile bootstrap interval of the mean, one resample at a time, indices drawn as documented."""
    n = len(x)
    idx = np.random.default_rng([sw.BOOTSTRAP_SEED, n]).integers(0, n, size=(sw.BOOTSTRAP_RESAMPLES, n))
    means = []
    for b in range(sw.BOOTSTRAP_RESAMPLES):
        total = 0.0
        for k in idx[b]:
            total += x[k]
        means.append(total / n)
    return np.quantile(means, [0.025, 0.975])


def test_bootstrap_interval_equals_a_direct_loop():
    rng = np.random.default_rng(7)
    values = rng.lognormal(size=(5, 9))
    st = sw.seed_statistics(values)
    for g in range(5):
        lo, hi = direct_interval(values[g])
        assert st["ci_low"][g] == pytest.approx(lo, rel=1e-13, abs=0)
        assert st["ci_high"][g] == pytest.approx(hi, rel=1e-13, abs=0)
        assert values[g].min() <= lo < values[g].mean() < hi <= values[g].max()


def test_quantiles_and_mean_equal_numpy_and_a_hand_computation():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(4, 11))
    st = sw.seed_statistics(values)
    for g in range(4):
        x = values[g]
        assert st["mean"][g] == np.mean(x) and st["median"][g] == np.median(x)
        assert [st["q10"][g], st["q90"][g]] == np.quantile(x, [0.1, 0.9]).tolist()
        s = np.sort(x)  # n = 11: the 10% quantile is at (n − 1)·0.1 = 1, the 90% at 9, the median at 5
        assert (st["q10"][g], st["median"][g], st["q90"][g]) == (s[1], s[5], s[9])


def tiny_sweep_csv():
    head = ("alpha,method,convention,seed,avg_regret,regret,x_final,diverged,best_fixed_loss,x_star,"
            "dist_x_star\n")
    rows = [
        "0.1,adam,paper,0,1.0,,,false,,,0.5",
        "0.1,adam,paper,1,2.0,,,false,,,0.5",
        "0.1,adam,paper,2,4.0,,,false,,,0.5",
        "0.2,adam,paper,0,3.0,,,false,,,1.0",
        "0.2,adam,paper,1,nan,,,true,,,nan",
        "0.2,adam,paper,2,5.0,,,false,,,inf",
        "0.1,sgd,paper,0,nan,,,true,,,nan",
        "0.1,sgd,paper,1,nan,,,true,,,nan",
        "0.1,sgd,paper,2,7.0,,,false,,,2.0",
    ]
    return head + "\n".join(rows) + "\n"


def test_summary_of_a_hand_made_sweep():
    out = list(csv.DictReader(sw.summary_csv(tiny_sweep_csv()).splitlines()))
    assert [(r["alpha"], r["method"], r["seeds"], r["diverged"]) for r in out] == [
        ("0.1", "adam", "3", "0"), ("0.2", "adam", "3", "1"), ("0.1", "sgd", "3", "2")]
    a = {k: float(v) for k, v in out[0].items() if k.startswith("avg_regret")}
    # 1, 2, 4: mean 7/3, median 2; the 10% quantile at position 0.2 → 1.2, the 90% at 1.8 → 3.6
    assert a["avg_regret_n"] == 3 and a["avg_regret_mean"] == pytest.approx(7 / 3, rel=1e-15)
    assert (a["avg_regret_median"], a["avg_regret_q10"]) == (2.0, 1.2)
    assert a["avg_regret_q90"] == pytest.approx(3.6, rel=1e-15)
    assert 1.0 <= a["avg_regret_ci_low"] < 7 / 3 < a["avg_regret_ci_high"] <= 4.0
    assert float(out[0]["dist_x_star_ci_low"]) == float(out[0]["dist_x_star_ci_high"]) == 0.5  # constant
    # a diverged seed has no value: 3 and 5 are counted; the infinite distance is left out too
    assert out[1]["avg_regret_n"] == "2" and float(out[1]["avg_regret_mean"]) == 4.0
    assert out[1]["dist_x_star_n"] == "1" and float(out[1]["dist_x_star_ci_low"]) == 1.0
    lo, hi = direct_interval(np.array([3.0, 5.0]))
    assert (float(out[1]["avg_regret_ci_low"]), float(out[1]["avg_regret_ci_high"])) == (lo, hi)
    assert out[2]["avg_regret_n"] == "1" and float(out[2]["avg_regret_q90"]) == 7.0
    assert "dist_x_opt_mean" not in out[0]  # a deterministic problem: the distance to x* in hindsight


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="needs pandas")
def test_summary_file_equals_summarize_of_the_frame_and_folder(tmp_path):
    args = dict(problem="reddi-stochastic", methods=["adam", "amsgrad"], grid={"beta1": [0.0, 0.9]}, T=200,
                seeds=5)
    df = oco.sweep(**args, out=tmp_path, plot=False)
    text = (tmp_path / "summary.csv").read_text(encoding="utf-8")
    for s in (sw.summarize(df), sw.summarize(tmp_path)):
        assert io.csv_text(list(s.columns), s.itertuples(index=False)) == text
    rows = rows_of(tmp_path / "sweep.csv")
    x_opt = problems.get_problem("reddi-stochastic").expected_optimum(make(GRID).domain)[1]
    assert x_opt.tolist() == [-1.0]
    for r in rows:  # the distance to the minimizer of the expected loss, x_opt = −1
        assert float(r["dist_x_opt"]) == abs(float(r["x_final"]) - float(x_opt[0]))
    summary = list(csv.DictReader(text.splitlines()))
    assert len(summary) == 4 and all(r["seeds"] == "5" for r in summary)
    first = np.array([float(r["dist_x_opt"]) for r in rows[:5]])
    assert float(summary[0]["dist_x_opt_mean"]) == np.mean(first)
    assert sw.summary_quantities(list(rows[0])) == ["avg_regret", "dist_x_opt", "expected_gap"]
    bootstrap = io.read_json(tmp_path / "sweep.json")["summary.csv"]["bootstrap"]
    assert (bootstrap["resamples"], bootstrap["seed"]) == (sw.BOOTSTRAP_RESAMPLES, sw.BOOTSTRAP_SEED)


def test_one_seed_writes_no_summary(tmp_path):
    sw.run_sweep(make(GRID, seeds=1), tmp_path)
    assert not (tmp_path / "summary.csv").exists()
    assert io.read_json(tmp_path / "sweep.json")["summary.csv"] is None


def test_the_documented_thin_sizes():
    """16 MiB holds 5 974 rows of 50 checkpoints at d = 1; the issue's 500 × 500 sweep keeps 77 × 77 points."""
    cfg = config.resolve("sweep", "reddi-online", ["adam"], T=20_000, checkpoints=50,
                         grid=config.parse_grid(["beta1=0:0.99:500", "beta2=0.5:0.9999:500"]))
    assert sw.THIN_BYTES // sw.trace_row_bytes(cfg) == 5974
    keep = sw.kept_rows(cfg)
    assert len(keep) == 77 * 77 and keep[0] == 0 and keep[-1] == 500 * 500 - 1
    assert sw.disk_need(cfg, "thin") < sw.disk_need(cfg, "all") / 7


def test_check_disk_refuses_a_sweep_the_disk_cannot_hold(tmp_path, monkeypatch):
    from types import SimpleNamespace

    cfg = make(GRID)
    need = sw.disk_need(cfg, "thin")
    monkeypatch.setattr(sw.api.shutil, "disk_usage", lambda path: SimpleNamespace(free=need))
    sw.check_disk(cfg, tmp_path, "thin")
    monkeypatch.setattr(sw.api.shutil, "disk_usage", lambda path: SimpleNamespace(free=need - 1))
    with pytest.raises(config.ConfigError, match=r"need about .* on disk under .* is free"):
        sw.check_disk(cfg, tmp_path, "thin")


def test_csv_quote_is_csv_writers_quoting():
    """sweep.csv's lines are joined by hand: each text cell quoted exactly as csv.writer quotes it."""
    import csv
    import io as _io

    from oco import io

    for cell in ["adam", "a,b", 'say "hi"', "line\nbreak", "", " x ", "cr\rx", "x\r\ny,", "é,ü", '"']:
        buf = _io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(["q", cell, "z"])
        assert f"q,{io.csv_quote(cell)},z\n" == buf.getvalue(), repr(cell)
