"""The command line, driven by typer's CliRunner at tiny T: every command, the JSON and CSV shapes, negative
numbers, and one clear line on stderr with exit status 2 for each kind of bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from oco import cli
import oco
from oco import problems
from oco import experiments

runner = CliRunner()


def invoke(*args: str, ok: bool = True):
    r = runner.invoke(cli.app, [str(a) for a in args])
    if ok:
        assert r.exit_code == 0, f"exit {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}\n{r.exception!r}"
    return r


def run_json(*args: str) -> dict:
    r = invoke("run", *args, "--json", "--quiet")
    assert r.stderr == ""
    return json.loads(r.stdout)


# ---------------------------------------------------------------- import cost
def test_help_imports_no_heavy_packages(tmp_path):
    """`oco --help` must stay fast: importing the CLI loads none of numpy, matplotlib, scipy, torch."""
    code = ("import sys, oco.cli; heavy = [m for m in ('numpy', 'matplotlib', 'scipy', 'torch') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


HELP_RUN = """import sys
{before}sys.argv = ["oco", "--help"]
import oco.cli
try:
    oco.cli.main()
except SystemExit:
    pass
loaded = {{m.split(".")[0] for m in sys.modules}}
heavy = ("numpy", "matplotlib", "scipy", "numba", "torch", "pandas", "markdown_it", "pygments")
print("LOADED", ",".join(m for m in heavy if m in loaded))
from typer import rich_utils  # the formatter's Markdown and Traceback work as rich's own
md = rich_utils._make_rich_text(text="**x**", style="", markup_mode="markdown")
tb = rich_utils.Traceback.from_exception(ValueError, ValueError(), None)
print("CLASSES", type(md).__module__, type(tb).__module__)
"""


def test_help_prints_the_same_without_the_formatter_extras(tmp_path):
    """`oco --help` loads none of numpy, matplotlib, scipy, numba, torch, pandas, nor the markdown parser and
    syntax highlighter typer's formatter imports for markdown help and tracebacks (deferred by
    ``cli._import_help_formatter``); its text is the same as with them imported first, and the deferred
    classes are rich's."""
    def help_run(before: str) -> tuple[str, str, str]:
        out = subprocess.run([sys.executable, "-c", HELP_RUN.format(before=before)], cwd=tmp_path,
                             capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "100"})
        text, loaded = out.stdout.split("LOADED ")
        loaded, classes = loaded.split("\n", 1)
        return text, loaded, classes.strip()

    deferred, loaded, classes = help_run("")
    eager, loaded_eagerly, _ = help_run("import rich.markdown, rich.traceback\n")
    assert loaded == ""
    assert "markdown_it" in loaded_eagerly and "pygments" in loaded_eagerly  # the comparison means something
    assert deferred == eager and "Usage: oco" in deferred and "reproduce" in deferred
    assert classes == "CLASSES rich.markdown rich.traceback"


def test_help():
    r = invoke("--help")
    for cmd in ("list", "show", "run", "sweep", "plot", "reproduce"):
        assert cmd in r.stdout


# ---------------------------------------------------------------- list and show
def test_list_has_every_method_problem_convention_and_experiment():
    from oco import problems

    out = invoke("list").stdout
    lines = out.splitlines()
    for name in [*oco.method_names(), *problems.PROBLEMS, *oco.CONVENTIONS, *experiments.EXPERIMENTS]:
        assert any(line.split()[0] == name for line in lines if line.startswith("  ")), name


def test_show_method_has_formula_conventions_and_defaults():
    out = invoke("show", "adam").stdout
    m = oco.get_method("adam", "paper")
    assert m.formula in out and "adam (paper)" in out and "adam (torch)" in out
    assert "beta2" in out and repr(m.hypers["beta2"].default) in out


def test_show_problem_and_experiment():
    out = invoke("show", "reddi-thm1").stdout
    assert "C" in out and "failure level" in out
    out = invoke("show", "reddi-fig1-online").stdout
    assert "oco run reddi-online" in out


def test_show_unknown_suggests():
    r = invoke("show", "amsgard", ok=False)
    assert r.exit_code == 2 and "did you mean 'amsgrad'" in r.stderr


# ---------------------------------------------------------------- run
RUN_KEYS = {"method", "params", "seed", "x_final", "regret", "avg_regret", "best_fixed_loss", "x_star", "diverged"}


def test_run_json_shape_and_exact_numbers():
    doc = run_json("reddi-online", "-m", "adam", "-m", "amsgrad", "--T", "300")
    assert doc["problem"] == "reddi-online" and doc["T"] == 300
    assert [r["method"] for r in doc["runs"]] == ["adam", "amsgrad"]
    for run in doc["runs"]:
        assert RUN_KEYS <= set(run)
        assert isinstance(run["x_final"], list) and isinstance(run["x_star"], list)
        assert run["diverged"] is False
        # the problem's suggested hyperparameters are the defaults, recorded in params
        suggested = problems.get_problem("reddi-online").suggested
        assert suggested and all(run["params"][k] == v for k, v in suggested.items())
        # full float64 precision: the same numbers as the Python API, bit for bit
        r = oco.simulate("reddi-online", run["method"], T=300, **suggested)
        assert run["regret"] == float(r.regret[0]) and run["avg_regret"] == float(r.avg_regret[0])
        assert run["x_final"] == r.x_final[0].tolist()
        assert run["best_fixed_loss"] == float(r.best_fixed_loss[0])


def test_run_x0_negative_both_spellings():
    ref = oco.simulate("reddi-online", "adam", T=50, x0=-1.0, **problems.get_problem("reddi-online").suggested)
    for args in (["--x0=-1"], ["--x0", "-1"]):
        doc = run_json("-m", "adam", "--T", "50", *args)
        assert doc["runs"][0]["x_final"] == ref.x_final[0].tolist()
        assert doc["runs"][0]["regret"] == float(ref.regret[0])


def test_run_options_reach_the_engine():
    doc = run_json("reddi-thm1", "--param", "C=5", "-m", "sgd", "--set", "momentum=0.5", "--alpha", "0.2",
                   "--schedule", "const", "--T", "40", "--domain", "ball", "--radius", "2")
    assert doc["problem_params"]["C"] == 5
    assert doc["domain"] == {"kind": "ball", "radius": 2.0}
    p = doc["runs"][0]["params"]
    assert p["momentum"] == 0.5 and p["alpha"] == 0.2 and p["schedule"] == "const"
    ref = oco.simulate("reddi-thm1", "sgd", T=40, problem_params={"C": 5}, momentum=0.5, alpha=0.2,
                       schedule="const", domain="ball", radius=2.0)
    assert doc["runs"][0]["regret"] == float(ref.regret[0])


def test_run_preset_torch_and_method_convention():
    doc = run_json("-m", "adam", "--preset", "torch", "-m", "amsgrad:paper", "--T", "20")
    assert [(r["method"], r["convention"]) for r in doc["runs"]] == [("adam", "torch"), ("amsgrad", "paper")]
    assert doc["runs"][0]["params"]["eps"] == oco.get_method("adam", "torch").hypers["eps"].default


def test_run_seeds_are_independent_runs():
    doc = run_json("reddi-stochastic", "-m", "adam", "--T", "500", "--seeds", "3", "--seed", "7")
    assert [r["seed"] for r in doc["runs"]] == [7, 8, 9]
    assert len({r["regret"] for r in doc["runs"]}) == 3


def test_run_hyperparameter_applies_only_to_methods_that_have_it():
    doc = run_json("-m", "sgd", "-m", "adam", "--beta2", "0.5", "--T", "20")
    assert "beta2" not in doc["runs"][0]["params"] and doc["runs"][1]["params"]["beta2"] == 0.5


def test_run_writes_folder_with_figures_and_sidecars(tmp_path):
    out = tmp_path / "run"
    r = invoke("run", "--T", "200", "--seeds", "2", "--out", out, "--quiet")
    assert "adam" in r.stdout and "amsgrad" in r.stdout and "R_T/T" in r.stdout
    for f in ("config.json", "manifest.json", "results.json", "traces/adam-paper.npz", "traces/amsgrad-paper.npz",
              "overview.png", "overview.json", "regret.png", "iterate.png", "lr.png"):
        assert (out / f).exists(), f
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["methods"][0]["hyperparameters"]["beta2"] == 0.99
    assert cfg["methods"][0]["sources"]["beta2"] == "suggested"
    man = json.loads((out / "manifest.json").read_text())
    assert man["invocations"][0]["command"][:2] == ["oco", "run"] and "numpy" in man["versions"]
    assert man["seeds"] == [0, 1] and man["backend"] == "auto"
    side = json.loads((out / "regret.json").read_text())
    assert side["remake"].startswith("oco plot") and side["reproduce"].startswith("oco run")
    tr = np.load(out / "traces/adam-paper.npz")
    assert tr["avg_regret"].shape[1] == 2 and tr["t"][-1] == 200
    # oco plot redraws from the files, in another format
    files = invoke("plot", out, "--format", "svg").stdout.split()
    assert any(f.endswith("regret.svg") for f in files) and (out / "regret.svg").exists()


def test_run_without_out_writes_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("run", "--T", "30", "--quiet", "--no-plot")
    assert (tmp_path / "runs" / "reddi-online-001" / "config.json").exists()
    assert "runs/reddi-online-001" in r.stdout
    invoke("run", "--T", "30", "--quiet", "--no-plot")
    assert (tmp_path / "runs" / "reddi-online-002").is_dir()


def test_run_json_with_out_prints_only_json(tmp_path):
    r = invoke("run", "--T", "30", "--json", "--out", tmp_path / "o", "--no-plot")
    json.loads(r.stdout)
    assert (tmp_path / "o" / "results.json").exists()
    assert json.loads((tmp_path / "o" / "results.json").read_text()) == json.loads(r.stdout)


def test_run_zero_json_has_no_nan(tmp_path):
    """A diverged run: diverged true, regret null (JSON has no NaN)."""
    r = invoke("run", "-m", "sgd", "--alpha", "1e306", "--domain", "none", "--T", "5", "--json", "--quiet")
    assert "NaN" not in r.stdout
    run = json.loads(r.stdout)["runs"][0]
    assert run["diverged"] is True and run["regret"] is None


# ---------------------------------------------------------------- sweep through the CLI
def test_sweep_csv_shape_and_values(tmp_path):
    out = tmp_path / "sw"
    invoke("sweep", "reddi-online", "-m", "adam", "-m", "amsgrad", "--grid", "beta1=0,0.9",
           "--grid", "beta2=0.9:0.99:3", "--seeds", "2", "--T", "100", "--out", out, "--quiet", "--no-plot")
    with open(out / "sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    cols = list(rows[0])
    assert cols[:2] == ["beta1", "beta2"]
    assert {"method", "seed", "avg_regret", "regret", "x_final", "diverged"} <= set(cols)
    assert len(rows) == 2 * 2 * 3 * 2
    assert [float(r["beta2"]) for r in rows[:6:2]] == [0.9, 0.945, 0.99]
    r = rows[7]  # amsgrad? no: method is the slowest index
    assert r["method"] == "adam" and r["seed"] == "1"
    suggested = {**problems.get_problem("reddi-online").suggested}
    suggested.update(beta1=float(r["beta1"]), beta2=float(r["beta2"]))
    ref = oco.simulate("reddi-online", "adam", T=100, seed=1, **suggested)
    assert float(r["regret"]) == float(ref.regret[0]) and float(r["x_final"]) == float(ref.x_final[0, 0])
    assert r["diverged"] == "false"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["grid"] == {"beta1": [0.0, 0.9], "beta2": [0.9, 0.945, 0.99]}
    assert (out / "traces.npz").exists() and (out / "manifest.json").exists()


def test_sweep_heatmap_and_resume_refusal(tmp_path):
    out = tmp_path / "sw"
    args = ["sweep", "-m", "adam", "--grid", "beta1=0,0.5,0.9", "--grid", "beta2=0.5,0.9,0.99", "--T", "50",
            "--out", out, "--quiet"]
    invoke(*args)
    assert (out / "heatmap_adam-paper.png").exists() and (out / "heatmap_adam-paper.json").exists()
    r = invoke(*args, ok=False)
    assert r.exit_code == 2 and "not empty" in r.stderr
    r = invoke(*args[:-5], "--T", "60", "--out", out, "--resume", ok=False)
    assert r.exit_code == 2 and "T is 60 here but 50 there" in r.stderr
    before = (out / "sweep.csv").read_bytes()
    invoke(*args, "--resume")
    assert (out / "sweep.csv").read_bytes() == before


# ---------------------------------------------------------------- reproduce
def test_every_experiment_resolves_and_validates(tmp_path):
    for name in experiments.EXPERIMENTS:
        experiments.prepare(name, tmp_path / name)
        assert not (tmp_path / name).exists()


def test_reproduce_tiny_experiment(tmp_path, monkeypatch):
    tiny = experiments.Experiment(
        name="tiny", description="a tiny run", expected="nothing", kind="run", problem="reddi-online",
        methods=("adam", "amsgrad"), T=60, hypers=experiments.REDDI, title="tiny",
    )
    tiny_sweep = experiments.Experiment(
        name="tiny-sweep", description="a tiny sweep", expected="nothing", kind="sweep", problem="reddi-online",
        methods=("adam",), T=30, grid={"beta1": [0.0, 0.9], "beta2": [0.9, 0.99]}, figures=("heatmap",),
    )
    monkeypatch.setitem(experiments.EXPERIMENTS, "tiny", tiny)
    monkeypatch.setitem(experiments.EXPERIMENTS, "tiny-sweep", tiny_sweep)
    out = tmp_path / "fig"
    r = invoke("reproduce", "tiny", "--out", out, "--quiet")
    assert "tiny:" in r.stdout
    side = json.loads((out / "overview.json").read_text())
    assert side["reproduce"] == "oco reproduce tiny"
    assert side["experiment"]["equivalent"].startswith("oco run reddi-online -m adam -m amsgrad --T 60")
    assert json.loads((out / "experiment.json").read_text())["title"] == "tiny"
    r = invoke("reproduce", "tiny", "--out", out, ok=False)
    assert r.exit_code == 2 and "not empty" in r.stderr
    invoke("reproduce", "tiny", "--out", out, "--force", "--quiet")
    invoke("reproduce", "tiny-sweep", "--out", tmp_path / "s", "--quiet")
    assert (tmp_path / "s" / "heatmap_adam-paper.png").exists()


def test_experiment_command_is_equivalent(tmp_path):
    """The sidecar's equivalent command line gives the experiment's configuration."""
    import shlex

    e = experiments.EXPERIMENTS["reddi-thm1"]
    argv = shlex.split(e.command(str(tmp_path / "x")))[1:]
    argv[argv.index("--T") + 1] = "10"
    invoke(*argv, "--quiet", "--no-plot")
    got = json.loads((tmp_path / "x" / "config.json").read_text())
    want = json.loads(json.dumps(oco.io.jsonable(e.resolve().to_dict())))
    want["T"] = 10
    assert got == want


# ---------------------------------------------------------------- bad input: one line, exit 2, nothing written
BAD = {
    "unknown method": (["run", "-m", "adamm"], "did you mean 'adam'"),
    "unknown problem": (["run", "reddi-onlin"], "did you mean 'reddi-online'"),
    "beta1 = 1": (["run", "--beta1", "1"], "beta1 must be in [0, 1)"),
    "beta2 < 0": (["run", "--beta2=-0.1"], "beta2 must be in [0, 1)"),
    "alpha = 0": (["run", "--alpha", "0"], "alpha must be > 0"),
    "alpha < 0": (["run", "--alpha=-1"], "alpha must be > 0"),
    "T = 0": (["run", "--T", "0"], "--T must be an integer >= 1"),
    "T not a number": (["run", "--T", "ten"], "--T"),
    "unknown option": (["run", "--frobnicate"], "No such option"),
    "param without =": (["run", "reddi-thm1", "--param", "C"], "--param expects KEY=VALUE"),
    "param out of range": (["run", "reddi-thm1", "--param", "C=1"], "C must be"),
    "param unknown": (["run", "reddi-thm1", "--param", "D=1"], "'D'"),
    "set without =": (["run", "--set", "momentum"], "--set expects KEY=VALUE"),
    "set unknown": (["run", "--set", "momentun=0.9", "-m", "sgd"], "did you mean 'momentum'"),
    "set twice": (["run", "--alpha", "0.1", "--set", "alpha=0.2"], "given twice"),
    "bad schedule": (["run", "--schedule", "cosine"], "schedule must be one of"),
    "bad preset": (["run", "--preset", "jax"], "unknown preset"),
    "bad backend": (["run", "--backend", "cuda"], "unknown backend"),
    "bad domain": (["run", "--domain", "simplex"], "domain must be one of"),
    "x0 outside": (["run", "--x0=2"], "outside the feasible set"),
    "x0 not a number": (["run", "--x0", "one"], "--x0 expects a number"),
    "x0 wrong length": (["run", "--x0=0.1,0.2"], "--x0 needs 1 or d = 1 numbers"),
    "seeds 0": (["run", "--seeds", "0"], "--seeds must be"),
    "bad format": (["run", "--format", "gif"], "--format must be"),
    "no such file": (["run", "missing/coefficients.csv"], "missing/coefficients.csv"),
    "grid without =": (["sweep", "--grid", "beta1", "--out", "{out}"], "--grid expects NAME=SPEC"),
    "grid two parts": (["sweep", "--grid", "beta1=0:1", "--out", "{out}"], "start:stop:num"),
    "grid not numbers": (["sweep", "--grid", "beta1=a:b:3", "--out", "{out}"], "start:stop:num"),
    "grid num 0": (["sweep", "--grid", "beta1=0:0.5:0", "--out", "{out}"], "num must be in [1, 10^7]"),
    "grid empty item": (["sweep", "--grid", "beta1=0.1,,0.2", "--out", "{out}"], "comma list"),
    "grid unknown axis": (["sweep", "--grid", "beta3=0.1", "--out", "{out}"], "did you mean 'beta2'"),
    "grid value out of range": (["sweep", "--grid", "beta1=0.5,1.5", "--out", "{out}"], "beta1 must be in [0, 1)"),
    "grid and fixed": (["sweep", "--grid", "beta1=0.5", "--beta1", "0.1", "--out", "{out}"], "both"),
    "grid missing": (["sweep", "--out", "{out}"], "at least one --grid"),
    "sweep without out": (["sweep", "--grid", "beta1=0.5"], "needs --out"),
    "show unknown": (["show", "nothing-like-it"], "no method, problem or experiment"),
    "plot not a folder": (["plot", "{out}"], "not an oco run or sweep folder"),
    "reproduce unknown": (["reproduce", "reddi-fig2"], "unknown experiment"),
    # numbers beyond float or int64
    "param beyond float": (["run", "reddi-thm1", "--param", "C=" + "9" * 400], "C must be a finite number"),
    "int param beyond float": (["run", "adabound-small-lr", "--param", "C=" + "9" * 400], "C must be a finite integer"),
    "set int infinite": (["run", "--set", "sgdr_t0=inf"], "sgdr_t0 must be an integer in [1, 2^53]"),
    "set int huge": (["run", "--set", "sgdr_mult=1e300"], "sgdr_mult must be an integer in [1, 2^53]"),
    "set beyond float": (["run", "--set", "sgdr_t0=" + "9" * 400], "sgdr_t0 must be an integer in [1, 2^53]"),
    "T 10^30": (["run", "--T", "1" + "0" * 30], "--T must be at most 10^12"),
    "T 2^63": (["run", "--T", str(2**63)], "--T must be at most 10^12"),
    "seed beyond int64": (["run", "--seed", str(10**20), "--seeds", "2"], "2^63 − 1"),
    "seeds past int64": (["run", "--seed", str(2**63 - 1), "--seeds", "2"], "2^63 − 1"),
    "alpha beyond float": (["run", "--alpha", "1e400"], "alpha must be > 0"),
    # sizes with no upper bound: refused up front, saying what they would need
    "period 1e12": (["run", "adabound-small-lr", "--param", "C=1e12"], "C must be an integer <= 100000000"),
    "dimension 1e12": (["run", "scaled-coordinates", "--param", "d=1e12"], "d must be an integer <= 1000000"),
    "grid axis 1e12": (["sweep", "--grid", "beta1=0:0.9:1000000000000", "--out", "{out}"], "num must be in"),
    "seeds 1e11": (["run", "--seeds", "100000000000"], "--seeds must be at most 10^7"),
    "batch memory": (["run", "scaled-coordinates", "--param", "d=100000", "--seeds", "100000"], "of memory"),
    "sweep memory": (["sweep", "--grid", "beta1=0:0.9:3000", "--grid", "beta2=0.9:0.999:3000", "--out", "{out}"],
                     "of memory"),
    # an --out that cannot be written: refused before computing
    "out under a file": (["run", "--out", "{file}/x"], "is a file, not a folder"),
    "sweep out under a file": (["sweep", "--grid", "beta1=0.5", "--out", "{file}/x"], "is a file, not a folder"),
    "out under /proc": (["run", "--out", "/proc/oco-test/x"], "cannot write in /proc"),
    "reproduce out under a file": (["reproduce", "reddi-thm1", "--out", "{file}/x"], "is a file, not a folder"),
    # empty strings are not defaults
    "empty problem": (["run", ""], "PROBLEM is empty"),
    "empty domain": (["run", "--domain", ""], "--domain is empty"),
    "empty out": (["run", "--out", ""], "--out is empty"),
    "empty sweep out": (["sweep", "--grid", "beta1=0.5", "--out", ""], "--out is empty"),
    "empty reproduce out": (["reproduce", "reddi-thm1", "--out", ""], "--out is empty"),
    "empty plot folder": (["plot", ""], "FOLDER is empty"),
    "empty method": (["run", "-m", ""], "the method is empty"),
    "empty backend": (["run", "--backend", ""], "unknown backend ''"),
    "empty param value": (["run", "reddi-thm1", "--param", "C="], "--param expects KEY=VALUE"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path):
    args, needle = BAD[case]
    out = tmp_path / "out"
    (tmp_path / "file").write_text("a file, not a folder")
    args = [a.replace("{out}", str(out)).replace("{file}", str(tmp_path / "file")) for a in args]
    if args[0] == "run":
        args = [*args, "--T", "5"] if "--T" not in args else args
        args = [*args, "--out", str(out)] if "--out" not in args else args
    r = invoke(*args, ok=False)
    assert r.exit_code == 2, (r.stdout, r.stderr, r.exception)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in r.output
    assert not out.exists() or not any(out.iterdir())


def _never_runs(*args, **kwargs):
    raise AssertionError("a check ran the engine")


@pytest.mark.parametrize("args, needle", [
    (["run", "-m", "torch:torch.optim.Adam", "--backend", "numba"],
     "--backend numba does not apply to torch:torch.optim.Adam"),
    (["sweep", "-m", "adam", "-m", "torch:torch.optim.SGD", "--grid", "alpha=0.1,0.2", "--backend", "torch",
      "--out", "{out}"], "--backend torch does not apply to torch:torch.optim.SGD"),
    (["run", "-m", "torch:torch.optim.SGD", "--set", "nesterov=true"], "Nesterov momentum requires"),
    (["sweep", "-m", "torch:torch.optim.SGD", "--set", "nesterov=true", "--grid", "momentum=0.9,0", "--out",
      "{out}"], "Nesterov momentum requires"),
])
def test_foreign_optimizers_are_checked_without_running(args, needle, tmp_path, monkeypatch):
    """--backend with a torch: spec is refused (the optimizer runs in its own library), and its constructor's
    checks run when the checker builds it: one line, exit 2, and no round run to find out."""
    from oco.api import Job

    pytest.importorskip("torch")
    monkeypatch.setattr(Job, "run", _never_runs)
    out = tmp_path / "out"
    r = invoke(*[a.replace("{out}", str(out)) for a in args], "--T", "5", ok=False)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not out.exists()


def test_checking_runs_nothing(tmp_path, monkeypatch):
    """The checker resolves a run and a sweep (numba kernels included) without running a round: the kernels
    compile while the run runs (oco.backends.compile_ahead), not one after another before it."""
    from oco import config, sweeps
    from oco.api import Job

    monkeypatch.setattr(Job, "run", _never_runs)
    cfg = config.resolve("run", "reddi-online", ["adam", "amsgrad"], T=50, backend="numba")
    assert [ms.h["beta1"].shape for ms in cfg.methods] == [(1, 1), (1, 1)]
    sweeps.prepare(tmp_path / "sw", False, {"beta1": [0.0, 0.9]}, None, problem="reddi-online", T=50,
                   backend="numba")
    assert not (tmp_path / "sw").exists()


def test_malformed_problem_file(tmp_path):
    bad = tmp_path / "coefficients.csv"
    bad.write_text("this is, not\na coefficient file\n")
    r = invoke("run", str(bad), "--T", "5", "--json", ok=False)
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    unreadable = tmp_path / "folder.csv"
    unreadable.mkdir()
    r = invoke("run", str(unreadable), "--T", "5", "--json", ok=False)
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1


def test_problem_from_a_file(tmp_path):
    g = np.array([[3.0, -1.0], [-1.0, 2.0], [-1.0, -0.5]] * 20)
    path = tmp_path / "g.csv"
    path.write_text("g0,g1\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in g))
    doc = run_json(str(path), "-m", "adam", "--alpha", "0.1")
    assert doc["T"] == 60 and doc["problem"] == str(path)  # the whole file by default
    run = doc["runs"][0]
    assert len(run["x_final"]) == 2 and run["x_star"] == [-1.0, -1.0]  # G = 20·(1, 0.5)
    ref = oco.simulate(problems.load_file(path), "adam", T=60, alpha=0.1)
    assert run["regret"] == float(ref.regret[0])
    r = invoke("run", str(path), "--T", "61", "--json", ok=False)
    assert r.exit_code == 2 and "at most 60" in r.stderr


def test_existing_nonempty_out_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    r = invoke("run", "--T", "5", "--out", tmp_path, ok=False)
    assert r.exit_code == 2 and "not empty" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    r = invoke("sweep", "--grid", "beta1=0.5", "--T", "5", "--out", tmp_path, ok=False)
    assert r.exit_code == 2 and "--resume" in r.stderr
    r = invoke("sweep", "--grid", "beta1=0.5", "--T", "5", "--out", tmp_path, "--resume", ok=False)
    assert r.exit_code == 2 and "not a sweep folder" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


# ---------------------------------------------------------------- the experiments' known outcomes (slow)
def _median_x(folder, method):
    doc = json.loads((folder / "results.json").read_text())
    return float(np.median([r["x_final"][0] for r in doc["runs"] if r["method"] == method]))


OUTCOMES = {
    "reddi-fig1-online": lambda f: _median_x(f, "adam") > 0.99 and _median_x(f, "amsgrad") < -0.99,
    "reddi-fig1-stochastic": lambda f: _median_x(f, "adam") > 0.95 and _median_x(f, "amsgrad") < -0.5,
    "reddi-thm1": lambda f: _median_x(f, "adam") > 0.99 and max(_median_x(f, "amsgrad"), _median_x(f, "adagrad")) < -0.99,
    "adabound-small-lr": lambda f: _median_x(f, "adam") > 0.99 and _median_x(f, "amsgrad") < -0.99
    and _median_x(f, "adabound") < -0.5,
    "adopt-toy": lambda f: _median_x(f, "adam") > 0.95 and _median_x(f, "adopt") < -0.95
    and -0.95 < _median_x(f, "amsgrad") < 0,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_experiment_shows_its_known_outcome(name, tmp_path):
    out = tmp_path / name
    invoke("reproduce", name, "--out", out, "--quiet")
    assert list(out.glob("*.png")) and all((out / f"{p.stem}.json").exists() for p in out.glob("*.png"))
    if name in OUTCOMES:
        assert OUTCOMES[name](out)
    if name == "zhang-phase":
        with open(out / "sweep.csv", newline="") as f:
            rows = {(r["beta1"], r["beta2"]): r for r in csv.DictReader(f)}
        assert float(rows["0.0", "0.9"]["x_final"]) > 0.99  # small β2: Adam fails
        assert float(rows["0.0", "0.999999"]["x_final"]) < -0.99  # β2 near 1: it converges


def test_progress_bar_only_on_a_terminal(capsys):
    from oco.progress import ProgressBar

    with ProgressBar(100, delay=0.0) as bar:  # pytest's stderr is not a terminal
        bar(50)
        bar(50)
    assert capsys.readouterr().err == "" and bar.done == 100


@pytest.mark.parametrize("args", [["run", "--T", "5", "--backend", "{b}"],
                                  ["reproduce", "reddi-thm1", "--backend", "{b}", "--out", "{out}"],
                                  ["sweep", "--grid", "beta1=0.5", "--T", "5", "--backend", "{b}", "--out", "{out}"]],
                         ids=["run", "reproduce", "sweep"])
@pytest.mark.parametrize("backend,package", [("torch", "pip install torch"), ("numba", "pip install numba")])
def test_a_missing_engine_says_how_to_install_it(args, backend, package, monkeypatch, tmp_path):
    """As on a machine without the package: one line naming it and how to install it, exit 2, nothing written."""
    from oco.backends import REGISTRY

    monkeypatch.setattr(REGISTRY[backend], "package", "no_such_package_for_oco_tests")
    out = tmp_path / "out"
    r = invoke(*[a.replace("{b}", backend).replace("{out}", str(out)) for a in args], ok=False)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"the {backend} backend needs" in lines[0] and "pip install" in lines[0], r.stderr
    assert not out.exists()
