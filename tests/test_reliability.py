"""Reliability: sweeps killed with SIGKILL resume to the same bytes; order and batching never change a
result; bad input leaves nothing behind."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

import oco
from oco.cli import app

SWEEP = ["sweep", "reddi-stochastic", "-m", "adam", "--grid", "beta1=0:0.9:4", "--grid", "beta2=0.9,0.99,0.999",
         "--seeds", "2", "--T", "20000", "--alpha", "0.5", "--schedule", "sqrt", "--shard-size", "3",
         "--backend", "numpy", "--quiet"]


def oco_cmd(*args):
    return [sys.executable, "-m", "oco", *args]


def run_ok(args, cwd):
    p = subprocess.run(oco_cmd(*args), cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def test_sigkilled_sweeps_resume_byte_identical(tmp_path):
    """Kill `oco sweep` with SIGKILL at random moments, resume each time: the final sweep.csv is the
    uninterrupted run's, byte for byte, and no finished shard is computed twice."""
    root = tmp_path  # not the repository: its source tree would shadow the installed package
    run_ok([*SWEEP, "--out", str(tmp_path / "ref"), "--no-plot"], root)
    ref = (tmp_path / "ref" / "sweep.csv").read_bytes()

    out = tmp_path / "killed"
    rng = np.random.default_rng(20261121)
    kills, shards_seen, finished = 0, [], False
    args = [*SWEEP, "--out", str(out), "--no-plot"]
    for attempt in range(12):
        proc = subprocess.Popen(oco_cmd(*args), cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.8, 3.0))  # imports take about a second; shards take a fraction of one
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, proc.stderr.read().decode()
            finished = True
        if finished:
            break
        if not (out / "sweep.csv").exists():  # once assembled, the shards are folded into it and removed
            done = sorted(p.name for p in (out / "shards").glob("shard-*.csv")) if (out / "shards").exists() else []
            assert shards_seen == done[: len(shards_seen)]  # finished shards are never lost or rewritten
            shards_seen = done
        args = [*SWEEP, "--out", str(out), "--no-plot", "--resume"]
    if not finished:
        run_ok(args, root)
    print(f"\n{kills} SIGKILLs, shards finished before each: {len(shards_seen)} at the end")
    assert kills >= 1
    assert (out / "sweep.csv").read_bytes() == ref
    assert not list(out.rglob(".tmp-*")) and not (out / "shards").exists()


def _rows(path):
    with open(path) as f:
        return {(r["method"], r["beta1"], r["beta2"], r["seed"]): r for r in csv.DictReader(f)}


def test_order_of_grid_values_and_shard_size_do_not_change_any_row(tmp_path):
    runner = CliRunner()
    base = ["sweep", "reddi-online", "-m", "amsgrad", "--T", "3000", "--alpha", "0.5", "--quiet", "--no-plot"]
    a = runner.invoke(app, [*base, "--grid", "beta1=0,0.5,0.9", "--grid", "beta2=0.99,0.9",
                            "--shard-size", "1", "--out", str(tmp_path / "a")])
    b = runner.invoke(app, [*base, "--grid", "beta1=0.9,0,0.5", "--grid", "beta2=0.9,0.99",
                            "--shard-size", "4", "--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    ra, rb = _rows(tmp_path / "a" / "sweep.csv"), _rows(tmp_path / "b" / "sweep.csv")
    assert ra.keys() == rb.keys() and len(ra) == 6
    assert all(ra[k] == rb[k] for k in ra)  # every number, to the last digit


def test_a_single_run_reproduces_its_sweep_cell_exactly(tmp_path):
    b1, b2 = np.meshgrid([0.0, 0.9], [0.9, 0.999], indexing="ij")
    seeds = np.array([3, 4])
    cfg = dict(T=5000, alpha=0.5, schedule="sqrt")
    batch = oco.simulate("reddi-stochastic", "adam", beta1=np.repeat(b1.ravel(), 2),
                         beta2=np.repeat(b2.ravel(), 2), seed=np.tile(seeds, 4), **cfg)
    for i in np.random.default_rng(1).permutation(8):
        alone = oco.simulate("reddi-stochastic", "adam", beta1=np.repeat(b1.ravel(), 2)[i],
                             beta2=np.repeat(b2.ravel(), 2)[i], seed=int(np.tile(seeds, 4)[i]), **cfg)
        assert alone.regret[0] == batch.regret[i] and np.array_equal(alone.x_final[0], batch.x_final[i])


@pytest.mark.parametrize("bad", [
    ["--beta1", "1.0"], ["--alpha=-1"], ["--T", "0"], ["--grid", "beta1=0:1"], ["--param", "C"],
    ["--set", "momentum=abc"], ["-m", "adma"],
])
def test_bad_input_leaves_no_output_folder(tmp_path, bad):
    out = tmp_path / "never"
    horizon = [] if "--T" in bad else ["--T", "50"]
    r = CliRunner().invoke(app, ["sweep", "reddi-online", *bad, *horizon, "--out", str(out), "--quiet"])
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not out.exists()


def test_huge_and_tiny_gradients_neither_overflow_nor_underflow():
    """1e150 and 1e-150: g² stays finite and normal, so paper-form Adam runs exactly as at scale 1."""
    from oco.problems.base import PeriodicLinear

    ref = oco.simulate(PeriodicLinear(1010, -10, 101), "adam", T=3000, alpha=0.5, beta1=0.9, beta2=0.99)
    for c in (1e150, 1e-150):
        r = oco.simulate(PeriodicLinear(1010 * c, -10 * c, 101), "adam", T=3000, alpha=0.5, beta1=0.9, beta2=0.99)
        assert not r.diverged[0]
        np.testing.assert_allclose(r.x_final, ref.x_final, rtol=1e-12)
        np.testing.assert_allclose(r.regret / c, ref.regret, rtol=1e-9)
