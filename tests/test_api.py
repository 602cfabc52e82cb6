"""The Python API beyond ``oco.simulate``: ``oco.sweep`` against ``oco sweep`` (the same numbers bit for bit,
the same folder, resuming), ``Result.to_frame`` against ``Result.runs``, ``oco.plot`` against the figures
``oco run`` draws, and pandas as an optional extra."""

from __future__ import annotations

import csv
import importlib.util
import inspect
import json
import re
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import oco
from oco import cli, io, plots, problems, sweeps

needs_pandas = pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="needs pandas")
runner = CliRunner()

# one sweep, spelled for the command line and for Python: 2 methods × 2 × 2 grid × 2 seeds
CLI_SWEEP = ["adopt-toy", "-m", "adam", "-m", "amsgrad", "--grid", "beta1=0,0.9",
             "--grid", "beta2=0.9:0.99:2", "--T", "60", "--seed", "3", "--seeds", "2", "--x0=-0.5", "--alpha", "0.3", "--param", "k=5"]
API_SWEEP = {"problem": "adopt-toy", "methods": ["adam", "amsgrad"],
             "grid": {"beta1": [0, 0.9], "beta2": "0.9:0.99:2"}, "T": 60, "seed": 3, "seeds": 2, "x0": -0.5,
             "alpha": 0.3, "problem_params": {"k": 5}}


def invoke(*args) -> None:
    r = runner.invoke(cli.app, [str(a) for a in args])
    assert r.exit_code == 0, f"exit {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}\n{r.exception!r}"


def cli_sweep(out, *more) -> None:
    invoke("sweep", *CLI_SWEEP, "--out", out, "--quiet", *more)


def frame_csv(df) -> str:
    """A DataFrame written back as sweep.csv writes its rows (exact floats, true/false)."""
    return io.csv_text(list(df.columns), df.itertuples(index=False))


# ---------------------------------------------------------------- oco.sweep
def test_sweep_is_exported():
    """oco.sweep is sweeps.sweep's numbers with the folder's figures on top: the numbers never draw."""
    assert "sweep" in oco.__all__ and "sweep" in dir(oco)
    assert not {"plot", "fmt"} & set(inspect.signature(sweeps.sweep).parameters)
    assert {"plot", "fmt"} <= set(inspect.signature(oco.sweep).parameters)


@needs_pandas
def test_sweep_equals_the_cli_csv_bit_for_bit(tmp_path):
    cli_sweep(tmp_path / "cli", "--no-plot")
    text = (tmp_path / "cli" / "sweep.csv").read_text(encoding="utf-8")
    df = oco.sweep(**API_SWEEP)
    with open(tmp_path / "cli" / "sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(df.columns) == list(rows[0]) and len(df) == len(rows) == 16
    for col in ("avg_regret", "regret", "x_final", "best_fixed_loss", "x_star", "dist_x_star", "expected_gap",
                "lr_min", "lr_max", "beta2"):
        assert df[col].dtype == np.float64
        parsed = np.array([float(r[col]) for r in rows])
        assert np.array_equal(parsed, df[col].to_numpy(), equal_nan=True), col
    assert frame_csv(df) == text
    assert df["seed"].tolist() == [3, 4] * 8 and df["diverged"].dtype == bool


@needs_pandas
def test_sweep_without_out_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    oco.sweep("reddi-online", "adam", grid={"beta1": [0.0, 0.9]}, T=10)
    assert list(tmp_path.iterdir()) == []


@needs_pandas
def test_sweep_out_writes_the_cli_folder(tmp_path):
    cli_sweep(tmp_path / "cli")
    df = oco.sweep(**API_SWEEP, out=tmp_path / "api")
    cli, api = tmp_path / "cli", tmp_path / "api"
    files = sorted(p.relative_to(cli).as_posix() for p in cli.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(api).as_posix() for p in api.rglob("*") if p.is_file())
    assert "heatmap_adam-paper.png" in files and "heatmap_amsgrad-paper.json" in files
    for name in ("sweep.csv", "config.json"):
        assert (api / name).read_bytes() == (cli / name).read_bytes(), name
    assert frame_csv(df) == (cli / "sweep.csv").read_text(encoding="utf-8")
    a, b = io.read_npz(api / "traces.npz"), io.read_npz(cli / "traces.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    sidecar = json.loads((api / "heatmap_adam-paper.json").read_text())
    assert sidecar["shows"] == json.loads((cli / "heatmap_adam-paper.json").read_text())["shows"]
    command = io.read_json(api / "manifest.json")["invocations"][0]["command"]
    assert command[0].startswith("oco.sweep('adopt-toy', methods=['adam', 'amsgrad'], grid=")
    assert "alpha=0.3" in command[0]


def interrupt_at(monkeypatch, index):
    """Make the sweep stop (as Ctrl-C does) when it reaches shard ``index``; returns a function that undoes it."""
    real = sweeps.run_shard

    def flaky(cfg, shard, *rest):
        if shard.index >= index:
            raise KeyboardInterrupt
        return real(cfg, shard, *rest)

    monkeypatch.setattr(sweeps.folder, "run_shard", flaky)  # where run_local looks it up
    return lambda: monkeypatch.setattr(sweeps.folder, "run_shard", real)


@needs_pandas
def test_sweep_resume(tmp_path, monkeypatch):
    out = tmp_path / "sw"
    settings = {"problem": "reddi-online", "methods": "adam", "grid": {"beta1": [0.0, 0.5, 0.9]}, "T": 30,
                "seeds": 2}
    first = oco.sweep(**settings, out=tmp_path / "ref", shard_size=2, plot=False)
    before = (tmp_path / "ref" / "sweep.csv").read_bytes()
    undo = interrupt_at(monkeypatch, 1)  # interrupted: the last shards and sweep.csv are missing
    with pytest.raises(KeyboardInterrupt):
        oco.sweep(**settings, out=out, shard_size=2, plot=False)
    undo()
    assert not (out / "sweep.csv").exists()
    with pytest.raises(ValueError, match="not empty"):
        oco.sweep(**settings, out=out, plot=False)
    with pytest.raises(ValueError, match="T is 40 here but 30 there"):
        oco.sweep(**{**settings, "T": 40}, out=out, resume=True)
    again = oco.sweep(**settings, out=out, resume=True, plot=False)  # keeps the stored shard size
    assert (out / "sweep.csv").read_bytes() == before
    assert frame_csv(again) == frame_csv(first)
    assert len(io.read_json(out / "manifest.json")["invocations"]) == 2


@needs_pandas
def test_sweep_resumes_a_cli_sweep(tmp_path, monkeypatch):
    out = tmp_path / "sw"
    cli_sweep(tmp_path / "ref", "--no-plot", "--shard-size", "3")
    before = (tmp_path / "ref" / "sweep.csv").read_bytes()
    undo = interrupt_at(monkeypatch, 2)
    r = runner.invoke(cli.app, ["sweep", *CLI_SWEEP, "--out", str(out), "--quiet", "--no-plot", "--shard-size", "3"])
    assert r.exit_code == 130 and not (out / "sweep.csv").exists()  # Ctrl-C: shards 0 and 1 are written
    undo()
    oco.sweep(**API_SWEEP, out=out, resume=True, plot=False)
    assert (out / "sweep.csv").read_bytes() == before


BAD_SWEEPS = {
    "unknown method": ({"methods": "adamm"}, "did you mean 'adam'"),
    "grid value out of range": ({"grid": {"beta1": [0.5, 1.5]}}, "beta1 must be in [0, 1)"),
    "no grid axis": ({"grid": {}}, "at least one"),
    "grid not a mapping": ({"grid": [0.1, 0.2]}, "grid must map"),
    "grid axis and fixed value": ({"beta1": 0.5}, "both"),
    "unknown hyperparameter": ({"beta3": 0.5}, "did you mean 'beta2'"),
    "resume without out": ({"resume": True, "out": None}, "resume=True needs out"),
    "problem not a name": ({"problem": 3}, "problem must be"),
    "unknown problem": ({"problem": "redi-online"}, "did you mean"),
    "T": ({"T": 0}, "T must be an integer >= 1"),
    "seeds": ({"seeds": 0}, "seeds must be an integer >= 1"),
    "x0 outside the box": ({"x0": 2.0}, "outside the feasible set"),
    "format": ({"fmt": "jpg"}, "format must be one of"),
}


@needs_pandas
@pytest.mark.parametrize("case", BAD_SWEEPS, ids=list(BAD_SWEEPS))
def test_sweep_bad_arguments_raise_one_line_and_write_nothing(case, tmp_path):
    given, message = BAD_SWEEPS[case]
    settings = {"problem": "reddi-online", "methods": "adam", "grid": {"beta1": [0.0, 0.9]}, "T": 10,
                "out": tmp_path / "out", **given}
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        oco.sweep(**settings)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- Result.to_frame
@needs_pandas
@pytest.mark.parametrize("problem", ["reddi-stochastic", "sparse-gradients"])
def test_to_frame_matches_runs(problem):
    r = oco.simulate(problem, "adam", T=30, beta1=np.array([0.0, 0.5, 0.9]), seed=np.array([0, 1, 2]))
    df = r.to_frame()
    runs = r.runs()
    assert len(df) == len(runs) == 3
    d = r.x_final.shape[1]
    vector = {"x_final": [f"x_final_{j}" for j in range(d)] if d > 1 else ["x_final"],
              "x_star": [f"x_star_{j}" for j in range(d)] if d > 1 else ["x_star"]}
    names = [*runs[0]["params"]] + [c for k in runs[0] if k != "params" for c in vector.get(k, [k])]
    assert list(df.columns) == names
    for i, run in enumerate(runs):
        row = df.iloc[i]
        for k, v in run["params"].items():
            assert row[k] == v, k
        for k, v in run.items():
            if k in vector:
                assert [row[c] for c in vector[k]] == v, k
            elif k != "params":
                assert row[k] == v, k


@needs_pandas
def test_to_frame_of_a_diverged_run_has_nan_regret():
    df = oco.simulate("reddi-online", "sgd", T=5, alpha=1e306, domain="none").to_frame()
    assert bool(df["diverged"][0]) and np.isnan(df["regret"][0])


# ---------------------------------------------------------------- oco.plot
def drawn(fig) -> list[dict]:
    """What a figure shows, axes by axes: lines (label and data), bands, legend, scales and labels."""
    out = []
    for ax in fig.axes:
        legend = ax.get_legend()
        out.append({
            "lines": [(ln.get_label(), np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float))
                      for ln in ax.get_lines()],
            "bands": [np.asarray(p.vertices) for c in ax.collections for p in c.get_paths()],
            "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
            "scales": (ax.get_xscale(), ax.get_yscale()),
            "labels": (ax.get_xlabel(), ax.get_ylabel()),
            "ylim": ax.get_ylim(),
        })
    return out


def assert_same_drawing(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert [ln[0] for ln in x["lines"]] == [ln[0] for ln in y["lines"]]
        for (_, xa, ya), (_, xb, yb) in zip(x["lines"], y["lines"]):
            assert np.array_equal(xa, xb, equal_nan=True) and np.array_equal(ya, yb, equal_nan=True)
        assert len(x["bands"]) == len(y["bands"])
        assert all(np.array_equal(p, q, equal_nan=True) for p, q in zip(x["bands"], y["bands"]))
        for key in ("legend", "scales", "labels", "ylim"):
            assert x[key] == y[key], key


def cli_figures(monkeypatch, folder) -> dict:
    """The figures plot_run draws for a run folder, by name, caught before they are saved."""
    caught = {}

    def catch(fig, folder, name, *rest):
        return caught.setdefault(name, fig)

    monkeypatch.setattr(plots.run, "save_folder_figure", catch)  # where the run figures find it
    plots.plot_folder(folder)
    return caught


@pytest.mark.parametrize("problem, kinds", [("reddi-online", ["overview", "regret", "iterate", "lr"]),
                                            ("reddi-stochastic", ["overview", "gap"])])
def test_plot_draws_the_cli_figure(problem, kinds, tmp_path, monkeypatch):
    out = tmp_path / "run"
    invoke("run", problem, "-m", "adam", "-m", "amsgrad", "--T", "200", "--seeds", "2", "--out", out,
           "--quiet")
    suggested = {k: v for k, v in problems.get_problem(problem).suggested.items() if k != "T"}
    adam, amsgrad = (oco.simulate(problem, m, T=200, seed=np.array([0, 1]), checkpoints=200, **suggested)
                     for m in ("adam", "amsgrad"))
    cli = cli_figures(monkeypatch, out)
    for kind in kinds:
        assert_same_drawing(drawn(oco.plot([adam, amsgrad], kind)), drawn(cli[kind]))


def test_plot_of_several_conventions_and_bad_kinds():
    paper = oco.simulate("sparse-gradients", "adam", T=40)
    torch = oco.simulate("sparse-gradients", "adam", T=40, convention="torch")
    fig = oco.plot([paper, torch], "lr")
    assert len(fig.axes) == 2 and fig.axes[1].get_lines()[0].get_label() == "adam (torch): median coordinate"
    with pytest.raises(ValueError, match="unknown figure 'heat'"):
        oco.plot(paper, "heat")
    with pytest.raises(ValueError, match="needs a stochastic problem"):
        oco.plot(oco.simulate("reddi-online", "adam", T=10), "gap")
    with pytest.raises(ValueError, match="share the problem"):
        oco.plot([paper, oco.simulate("sparse-gradients", "adam", T=41)], "regret")


# ---------------------------------------------------------------- pandas is optional
def test_without_pandas_sweep_and_to_frame_say_how_to_install_it(tmp_path, monkeypatch):
    r = oco.simulate("reddi-online", "adam", T=5)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"^oco.sweep needs pandas: pip install 'oco\[pandas\]'$"):
        oco.sweep("reddi-online", "adam", grid={"beta1": [0.0]}, T=5, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ImportError, match=r"^Result.to_frame needs pandas: pip install 'oco\[pandas\]'$"):
        r.to_frame()
