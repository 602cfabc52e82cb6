"""Damaged run and sweep folders given to `oco plot` and `oco sweep --resume`, and valid runs whose regret is
not finite: one line and exit status 2 naming the file for what cannot be read, a damaged shard computed
again, and a valid odd run drawn with exit status 0."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from oco.cli import app

runner = CliRunner()
SWEEP = ["sweep", "reddi-online", "-m", "adam", "--grid", "beta1=0,0.9", "--grid", "beta2=0.9,0.99", "--T", "300",
         "--shard-size", "2", "--backend", "numpy", "--quiet"]


def oco(*args, code=0):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return r


def one_error_line(r, *needles):
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    assert "Traceback" not in r.output
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("folders")
    oco("run", "-m", "adam", "-m", "amsgrad", "--T", "300", "--backend", "numpy", "--quiet", "--no-plot",
        "--out", root / "run")
    oco(*SWEEP, "--no-plot", "--out", root / "sweep")
    return root


def damaged(folders, tmp_path, kind, damage):
    target = tmp_path / kind
    shutil.copytree(folders / kind, target)
    damage(target)
    return target


def write(path, text):
    path.write_text(text)


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def edit_config(change):
    def damage(folder):
        doc = json.loads((folder / "config.json").read_text())
        change(doc)
        (folder / "config.json").write_text(json.dumps(doc))
    return damage


# damage → (folder kind, what the one line must name)
DAMAGE = {
    "config not JSON": ("run", lambda f: write(f / "config.json", "{not json"), ["config.json", "not valid JSON"]),
    "config a list": ("run", lambda f: write(f / "config.json", "[1, 2]"), ["config.json", "JSON list"]),
    "config empty object": ("run", lambda f: write(f / "config.json", "{}"), ["config.json", "kind is missing"]),
    "config unknown kind": ("run", edit_config(lambda d: d.update(kind="walk")), ["kind is 'walk'"]),
    "methods missing": ("run", edit_config(lambda d: d.pop("methods")), ["methods is missing"]),
    "methods empty": ("run", edit_config(lambda d: d.update(methods=[])), ["methods is empty"]),
    "method not an object": ("run", edit_config(lambda d: d.update(methods=[3])), ["methods[0] is not an object"]),
    "method name missing": ("run", edit_config(lambda d: d["methods"][0].pop("name")), ["methods[0].name"]),
    "T a string": ("run", edit_config(lambda d: d.update(T="many")), ["T is 'many'"]),
    "traces truncated": ("run", lambda f: truncate(f / "traces" / "adam-paper.npz"),
                         ["adam-paper.npz", "unreadable"]),
    "traces missing": ("run", lambda f: (f / "traces" / "amsgrad-paper.npz").unlink(),
                       ["amsgrad-paper.npz", "missing"]),
    "traces not npz": ("run", lambda f: write(f / "traces" / "adam-paper.npz", "hello"), ["adam-paper.npz"]),
    "experiment a list": ("run", lambda f: write(f / "experiment.json", "[]"), ["experiment.json"]),
    "grid missing": ("sweep", edit_config(lambda d: d.pop("grid")), ["config.json", "grid"]),
    "sweep.csv missing": ("sweep", lambda f: (f / "sweep.csv").unlink(), ["no sweep.csv"]),
    "sweep.csv garbage": ("sweep", lambda f: write(f / "sweep.csv", "what,is\nthis,file\n"), ["sweep.csv", "column"]),
    "sweep.csv bad number": ("sweep", lambda f: write(f / "sweep.csv", (f / "sweep.csv").read_text().replace(
        ",false,", ",maybe,", 1)), ["sweep.csv: line 2", "diverged"]),
    "sweep.csv cut short": ("sweep", lambda f: write(f / "sweep.csv", (f / "sweep.csv").read_text()[:-40]),
                            ["sweep.csv: line", "cells"]),
    "sweep.csv unknown grid value": ("sweep", lambda f: write(f / "sweep.csv", (f / "sweep.csv").read_text().replace(
        "\n0.9,0.9,", "\n0.5,0.9,", 1)), ["beta1 = '0.5' is not a value of the grid"]),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_plot_of_a_damaged_folder_names_the_file(case, folders, tmp_path):
    kind, damage, needles = DAMAGE[case]
    target = damaged(folders, tmp_path, kind, damage)
    one_error_line(oco("plot", target, code=2), *needles)


def test_plot_of_the_undamaged_folders_works(folders, tmp_path):
    for kind in ("run", "sweep"):
        target = damaged(folders, tmp_path, kind, lambda f: None)
        assert oco("plot", target).stdout.strip()


@pytest.mark.parametrize("damage", [truncate, lambda p: write(p, "garbage"), lambda p: p.unlink()],
                         ids=["truncated npz", "garbage npz", "npz gone"])
def test_resume_recomputes_a_damaged_shard(damage, folders, interrupted, tmp_path):
    """A shard of an interrupted sweep whose traces cannot be read is computed again (and the notice says so);
    the assembled sweep.csv is the undamaged one, byte for byte."""
    target = damaged(interrupted, tmp_path, "sweep", lambda f: None)
    damage(target / "shards" / "shard-00001.npz")
    r = oco(*SWEEP, "--no-plot", "--out", target, "--resume")
    assert "shard-00001" in r.stderr and "computing it again" in r.stderr
    assert (target / "sweep.csv").read_bytes() == (folders / "sweep" / "sweep.csv").read_bytes()


def test_resume_recomputes_a_shard_with_rows_cut(folders, interrupted, tmp_path):
    target = damaged(interrupted, tmp_path, "sweep", lambda f: None)
    csv_path = target / "shards" / "shard-00000.csv"
    csv_path.write_text(csv_path.read_text().splitlines()[0] + "\n")
    r = oco(*SWEEP, "--no-plot", "--out", target, "--resume")
    assert "shard-00000" in r.stderr
    assert (target / "sweep.csv").read_bytes() == (folders / "sweep" / "sweep.csv").read_bytes()


@pytest.mark.parametrize("text,needle", [("{oops", "not valid JSON"), ("[]", "not the configuration of an oco sweep"),
                                         ('{"kind": "run"}', "not the configuration of an oco sweep")])
def test_resume_refuses_an_unreadable_configuration(text, needle, folders, tmp_path):
    target = damaged(folders, tmp_path, "sweep", lambda f: write(f / "config.json", text))
    before = sorted(p.name for p in target.rglob("*"))
    one_error_line(oco(*SWEEP, "--no-plot", "--out", target, "--resume", code=2), "--resume", needle)
    assert sorted(p.name for p in target.rglob("*")) == before


# ---------------------------------------------------------------- valid runs whose regret is not finite
@pytest.mark.parametrize("args", [
    ["-m", "adam", "--domain", "none", "--T", "200"],  # unconstrained linear: the best point is at infinity
    ["-m", "sgd", "--alpha", "1e10", "--domain", "none", "--T", "200"],
    ["-m", "sgd", "--alpha", "1e300", "--schedule", "const", "--T", "200", "--domain", "none"],
], ids=["unbounded comparator", "huge steps", "overflowing steps"])
def test_valid_odd_runs_exit_0_draw_and_explain(args, tmp_path):
    r = oco("run", "reddi-online", *args, "--backend", "numpy", "--quiet", "--out", tmp_path / "o")
    assert "note:" in r.stdout and ("infinity" in r.stdout or "diverged" in r.stdout)
    for name in ("overview", "regret", "iterate", "lr"):
        assert (tmp_path / "o" / f"{name}.png").stat().st_size > 0
    assert oco("plot", tmp_path / "o").stdout.count(".png") == 4


def test_a_diverged_run_is_drawn(tmp_path):
    """Zhang et al.'s example with a tiny β2 and a huge step: the iterate overflows; the run still draws."""
    r = oco("run", "zhang-divergence", "-m", "adam", "--beta2", "0.1", "--beta1", "0", "--alpha", "1e307",
            "--schedule", "const", "--T", "300", "--backend", "numpy", "--quiet", "--out", tmp_path / "z")
    assert "note: adam (paper): 1/1 diverged" in r.stdout and "at round 2" in r.stdout
    for name in ("overview", "regret", "iterate", "lr", "gap"):
        assert (tmp_path / "z" / f"{name}.png").stat().st_size > 0


# ---------------------------------------------------------------- sweep folders: shards folded, traces kept
@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A sweep killed just before its shards were assembled: every shard written, no sweep.csv."""
    from oco import sweeps

    root = tmp_path_factory.mktemp("interrupted")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweeps.folder, "finish", killed)  # where run_sweep looks it up
        oco(*SWEEP, "--no-plot", "--out", root / "sweep", code=130)
    assert not (root / "sweep" / "sweep.csv").exists() and (root / "sweep" / "shards").is_dir()
    return root


def test_a_finished_sweep_holds_no_shards(folders):
    sweep = folders / "sweep"
    assert not (sweep / "shards").exists()
    files = {p.name for p in sweep.iterdir()}
    assert {"config.json", "manifest.json", "sweep.csv", "traces.npz", "sweep.json"} <= files


def test_an_interrupted_sweep_resumes_to_the_finished_files(interrupted, folders, tmp_path):
    target = damaged(interrupted, tmp_path, "sweep", lambda f: None)
    oco(*SWEEP, "--no-plot", "--out", target, "--resume")
    assert not (target / "shards").exists()
    for name in ("sweep.csv", "traces.npz", "sweep.json"):
        assert (target / name).read_bytes() == (folders / "sweep" / name).read_bytes(), name


@pytest.mark.parametrize("file, damage, says", [
    ("sweep.csv", lambda p: write(p, p.read_text()[:-40]), True),
    ("sweep.csv", lambda p: p.unlink(), False),  # as a sweep stopped before its first shard: nothing to say
    ("traces.npz", truncate, True),
    ("traces.npz", lambda p: p.unlink(), True),
], ids=["sweep.csv cut short", "sweep.csv gone", "traces.npz truncated", "traces.npz gone"])
def test_resume_recomputes_a_damaged_assembled_sweep(file, damage, says, folders, tmp_path):
    """Its shards are folded into sweep.csv and traces.npz: when one of them is damaged, --resume says so and
    computes the rows again, to the same bytes."""
    target = damaged(folders, tmp_path, "sweep", lambda f: damage(f / file))
    r = oco(*SWEEP, "--no-plot", "--out", target, "--resume")
    assert (file in r.stderr and "computing the rows it held again" in r.stderr) == says, r.stderr
    for name in ("sweep.csv", "traces.npz"):
        assert (target / name).read_bytes() == (folders / "sweep" / name).read_bytes(), name
    assert not (target / "shards").exists()


def test_traces_none_and_a_bad_traces_option(tmp_path):
    oco(*SWEEP, "--traces", "none", "--out", tmp_path / "none")
    assert not (tmp_path / "none" / "traces.npz").exists()
    assert json.loads((tmp_path / "none" / "sweep.json").read_text())["traces.npz"] is None
    assert oco("plot", tmp_path / "none").stdout.strip()  # the heat maps do not need the traces
    one_error_line(oco(*SWEEP, "--traces", "some", "--out", tmp_path / "bad", code=2), "--traces", "'some'")
    assert not (tmp_path / "bad").exists()
    r = oco(*SWEEP, "--traces", "all", "--out", tmp_path / "none", "--resume", code=2)
    one_error_line(r, "traces is 'all' here but 'none' there")
