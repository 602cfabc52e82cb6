"""Sweeps on a Dask cluster (``oco.distributed``, ``oco sweep --scheduler/--workers``), on LocalClusters of
worker processes on this machine: the same sweep.csv byte for byte as the local sweep, resuming across the
two paths, a worker killed in the middle of a shard, and each kind of bad input as one line on stderr with
exit status 2 and nothing written. Skipped without dask's distributed (``pip install 'oco[dask]'``)."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from oco import cli
from oco import config, io
from oco import distributed as dist
from oco import sweeps as sw

GRID = {"beta1": [0.0, 0.5, 0.9], "beta2": [0.9, 0.99]}
# a backend other than NumPy's for the workers to use: torch (imported in a second; numba compiles for many)
BACKEND = "torch" if importlib.util.find_spec("torch") is not None else "numba"


def make(grid=GRID, methods=("adam", "amsgrad"), T=60, seeds=2, shard_size=5, **kw):
    return config.resolve("sweep", kw.pop("problem", "reddi-stochastic"), list(methods), T=T, grid=grid,
                          seeds=seeds, shard_size=shard_size, checkpoints=10, **kw)


@pytest.fixture(scope="module")
def dd():
    return pytest.importorskip("distributed")


def local_cluster(dd, n=2):
    return dd.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                           dashboard_address=None)


@pytest.fixture(scope="module")
def client(dd):
    with local_cluster(dd) as cluster, dd.Client(cluster, set_as_default=False) as c:
        yield c


def same_files(a, b):
    for name in ("sweep.csv", "summary.csv", "sweep.json"):
        assert (a / name).exists() == (b / name).exists(), name
        if (a / name).exists():
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ta, tb = io.read_npz(a / "traces.npz"), io.read_npz(b / "traces.npz")
    assert ta.keys() == tb.keys()
    for k in ta:
        assert np.array_equal(ta[k], tb[k], equal_nan=True), k
    assert not (a / "shards").exists() and not (b / "shards").exists()  # folded into the files above


# ---------------------------------------------------------------- the library path
def test_cluster_sweep_is_identical_to_local(tmp_path, client):
    cfg = make()
    sw.run_sweep(cfg, tmp_path / "local")
    sw.run_sweep(cfg, tmp_path / "dask", runner=dist.runner(client))
    assert len(sw.shards(cfg)) == 5  # 24 rows in shards of 5: several in flight at once, finishing in any order
    same_files(tmp_path / "local", tmp_path / "dask")
    assert not list((tmp_path / "dask").rglob(".tmp-*"))


def test_unbatchable_axes_and_backend_on_cluster(tmp_path, client):
    """Schedules (one batch per value) and the sweep's backend travel with the configuration."""
    cfg = make({"schedule": ["const", "sqrt"], "alpha": [0.01, 0.1]}, methods=("adam",), seeds=1, shard_size=3,
               problem="reddi-online", backend=BACKEND)
    sw.run_sweep(cfg, tmp_path / "local")
    sw.run_sweep(cfg, tmp_path / "dask", runner=dist.runner(client))
    same_files(tmp_path / "local", tmp_path / "dask")


def test_resume_crosses_local_and_cluster(tmp_path, client, monkeypatch):
    """Half a sweep here, the rest on the cluster (and the other way round): the same files as one run."""
    ref = tmp_path / "ref"
    sw.run_sweep(make(), ref)

    def interrupted(runner, after):
        def run(cfg, pending, progress=None):
            for i, item in enumerate(runner(cfg, pending, progress)):
                if i == after:
                    raise KeyboardInterrupt
                yield item
        return run

    seen = []

    def recording(runner):
        def run(cfg, pending, progress=None):
            seen.append([s.index for s in pending])
            yield from runner(cfg, pending, progress)
        return run

    # local first, then the cluster
    a = tmp_path / "a"
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(make(), a, runner=interrupted(sw.run_local, 2))
    cfg = make(shard_size=sw.stored_shard_size(a))
    sw.check_resume(a, cfg)
    sw.run_sweep(cfg, a, runner=recording(dist.runner(client)))
    assert seen == [[2, 3, 4]]  # only the unfinished shards went to the cluster
    same_files(ref, a)

    # the cluster first (interrupted while shards are in flight), then here
    b = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(make(), b, runner=interrupted(dist.runner(client), 1))
    done = sorted(p.name for p in (b / "shards").glob("*.csv"))
    assert len(done) == 1 and not (b / "sweep.csv").exists()
    sw.run_sweep(make(), b, runner=recording(sw.run_local))
    assert len(seen[1]) == 4
    same_files(ref, b)
    assert len(io.read_json(b / "manifest.json")["invocations"]) == 2


def _busy(dask_worker):
    """This worker's pid and the oco shards it is computing now."""
    return os.getpid(), [str(ts.key) for ts in dask_worker.state.executing if "shard" in str(ts.key)]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_worker_killed_mid_shard(tmp_path, dd):
    """SIGKILL a worker process while it computes a shard: the scheduler gives that shard to another worker
    (the nanny restarts the dead one) and the sweep completes, identical to the local one."""
    cfg = make({"beta1": [0.0, 0.3, 0.6, 0.9], "beta2": [0.9, 0.99, 0.999]}, methods=("adam",), T=3000, seeds=8,
               shard_size=12, problem="reddi-online")  # 96 rows, 8 shards of ~0.3 s
    sw.run_sweep(cfg, tmp_path / "local")
    killed = []
    with local_cluster(dd) as cluster, dd.Client(cluster, set_as_default=False) as client:
        inner = dist.runner(client)

        def killing(cfg, pending, progress=None):
            for i, item in enumerate(inner(cfg, pending, progress)):
                if i == 0:  # one shard back; the others are running on both workers
                    deadline = time.monotonic() + 10
                    while not killed and time.monotonic() < deadline:
                        for addr, (pid, keys) in client.run(_busy).items():
                            if keys:
                                os.kill(pid, signal.SIGKILL)
                                killed.append((addr, pid, keys))
                                break
                yield item

        sw.run_sweep(cfg, tmp_path / "dask", runner=killing)
        assert killed, "no worker was computing a shard"
        addr, _, keys = killed[0]
        assert keys[0].startswith("oco-shard-")
        assert addr not in client.scheduler_info()["workers"]  # that worker is gone; its shard was redone
    same_files(tmp_path / "local", tmp_path / "dask")


# ---------------------------------------------------------------- the command line
cli_runner = CliRunner()
SWEEP = ["sweep", "reddi-online", "-m", "adam", "-m", "amsgrad", "--grid", "beta1=0:0.9:4",
         "--grid", "beta2=0.9,0.999", "--T", "200", "--seeds", "2", "--no-plot", "--quiet"]


def invoke(*args):
    return cli_runner.invoke(cli.app, [str(a) for a in args])


def test_cli_workers_gives_the_local_sweep_csv(tmp_path, dd):
    r = invoke(*SWEEP, "--out", tmp_path / "local")
    assert r.exit_code == 0, r.output
    r = invoke(*SWEEP, "--out", tmp_path / "dask", "--workers", "2", "--shard-size", "3")
    assert r.exit_code == 0, r.output
    assert "32 rows (11 shards)" in r.stdout
    assert (tmp_path / "local" / "sweep.csv").read_bytes() == (tmp_path / "dask" / "sweep.csv").read_bytes()
    last = io.read_json(tmp_path / "dask" / "manifest.json")["invocations"][-1]
    assert last["dask"] == {"scheduler": None, "workers": 2}


def test_cluster_default_shard_size_gives_every_worker_work():
    assert dist.default_shard_size(32, 2) == 32  # small: one batch
    assert dist.default_shard_size(1600, 2) == 256  # at least 256 rows a shard: 7 shards
    assert dist.default_shard_size(10_000, 2) == 1024  # never above the local default
    assert dist.default_shard_size(10_000, 8) == 313  # about four shards a thread


@pytest.mark.parametrize("args, needle", [
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--scheduler and --workers exclude each other"),
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--scheduler", " "], "--scheduler needs the scheduler's address"),
    (["--scheduler", "nonsense"], "--scheduler nonsense: not a scheduler address"),
])
def test_cli_bad_cluster_options(tmp_path, dd, args, needle):
    r = invoke(*SWEEP, "--out", tmp_path / "out", *args)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_cli_unreachable_scheduler_fails_fast(tmp_path, dd):
    t0 = time.monotonic()
    r = invoke(*SWEEP, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:1")
    elapsed = time.monotonic() - t0
    assert r.exit_code == 2
    assert r.stderr.strip() == ("Error: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered within 5 s "
                                "(start one with 'dask scheduler' and give the address it prints)")
    assert elapsed < dist.CONNECT_TIMEOUT + 5
    assert not (tmp_path / "out").exists()


def test_cli_resume_keeps_the_folder_untouched_when_the_scheduler_is_unreachable(tmp_path, dd, monkeypatch):
    r = invoke(*SWEEP, "--out", tmp_path / "out")
    assert r.exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", 0.5)
    r = invoke(*SWEEP, "--out", tmp_path / "out", "--resume", "--scheduler", "tcp://127.0.0.1:1")
    assert r.exit_code == 2 and "no Dask scheduler answered within 0.5 s" in r.stderr
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before


def test_cli_without_dask_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    for flag in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        r = invoke(*SWEEP, "--out", tmp_path / "out", *flag)
        assert r.exit_code == 2
        assert r.stderr.strip() == (f"Error: {flag[0]} needs Dask's distributed scheduler, which is not "
                                    "installed: pip install 'oco[dask]' (or: pip install 'dask[distributed]')")
        assert not (tmp_path / "out").exists()
