"""`oco diff A B`: where two implementations of "the same" method part. The command and ``oco.diff``:
a known difference is found, reported and saved as a sequence that replays it; known identities (a user's
exact copy of a row, RMSProp = Adam with β1 = 0) are not reported as differences; bad input exits 2; the JSON
shape; torch/optax adapters where they are installed."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest
from oco.cli import app
from typer.testing import CliRunner

import oco
from oco import problems
from oco.analyses.diff import DEFAULT_TOL, FAMILIES, diff, formulas, rel_diff, sequences

runner = CliRunner()
KEYS = ["a", "b", "differ", "round", "max_rel_diff", "sequence", "tried"]


def invoke(*args, code: int):
    r = runner.invoke(app, ["diff", *map(str, args)])
    assert r.exit_code == code, f"exit {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}\n{r.exception!r}"
    return r


def diff_json(*args, code: int) -> dict:
    r = invoke(*args, "--json", code=code)
    assert r.stderr == ""
    return json.loads(r.stdout)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Every test in its own folder: the default output folder diffs/ lands there."""
    monkeypatch.chdir(tmp_path)


def replay_rel(path, a, b, T, **given) -> np.ndarray:
    """rel_t of A and B on the saved sequence, run as `oco run FILE` runs it (oco.problems.load_file)."""
    prob = problems.load_file(path)
    kw = {"domain": "none", "backend": "numpy", "checkpoint_every": 1}
    ra = oco.simulate(prob, a, T, **kw, **given)
    rb = oco.simulate(prob, b, T, **kw, **given)
    return rel_diff(ra.checkpoints.x, rb.checkpoints.x, x0=np.zeros(1))[:, 0]


# ---------------------------------------------------------------- a known difference
def test_adam_paper_and_adam_torch_differ_and_the_sequence_replays_it(tmp_path):
    doc = diff_json("adam:paper", "adam:torch", "--out", tmp_path / "d", code=1)
    assert list(doc)[: len(KEYS)] == KEYS
    assert doc["a"] == "adam:paper" and doc["b"] == "adam:torch" and doc["differ"] is True
    assert isinstance(doc["round"], int) and doc["round"] >= 1
    assert doc["max_rel_diff"] > DEFAULT_TOL
    assert isinstance(doc["tried"], int) and doc["tried"] > 0
    path = tmp_path / "d" / "sequence.npy"
    assert doc["sequence"] == str(path) and path.is_file()
    g = np.load(path)
    assert g.shape[0] == doc["round"]  # cut after the parting round
    rel = replay_rel(path, "adam:paper", "adam:torch", doc["round"])
    assert np.all(rel[:-1] <= DEFAULT_TOL) and rel[-1] > DEFAULT_TOL
    assert rel[-1] == pytest.approx(doc["max_rel_diff"], rel=1e-12)
    assert doc["hyperparameters"]["defaults_differ"] == {"eps": [0.0, 1e-08]}
    assert (tmp_path / "d" / "diff.json").is_file()


def test_the_printed_replay_command_reproduces_the_iterates(tmp_path):
    r = invoke("adam:paper", "adam:torch", "--eps", "1e-8", code=1)
    out = r.stdout
    assert "update" in out and "m_t = β1t m_{t−1} + (1 − β1t) g_t" in out and "lerp(m, g, 1 − β1)" in out
    assert "differ at round" in out and "warning" not in out  # eps given: the defaults no longer differ
    line = next(ln.strip() for ln in out.splitlines() if ln.strip().startswith("oco run "))
    args = shlex.split(line)[1:]
    assert "diffs/adam_paper-vs-adam_torch-001/sequence.npy" in args and "--eps=1e-08" in args
    assert (tmp_path / "diffs" / "adam_paper-vs-adam_torch-001" / "sequence.npy").is_file()
    ran = runner.invoke(app, [*args, "--json", "--quiet"])
    assert ran.exit_code == 0, ran.stderr
    runs = json.loads(ran.stdout)["runs"]
    report = json.loads((tmp_path / "diffs" / "adam_paper-vs-adam_torch-001" / "diff.json").read_text())
    assert [run["x_final"] for run in runs] == [report["x_a"], report["x_b"]]
    assert report["round"] == json.loads(ran.stdout)["T"]


def test_the_library_function_and_its_report():
    r = diff("adam:paper", "adam:torch", save=False)
    assert r.differ and r.sequence is None and r.g is not None and r.g.shape[0] == r.round
    assert r.replay() is None and r.replayed is None
    assert r.family in FAMILIES and r.d == 1
    assert abs(r.x_a - r.x_b).max() / max(abs(r.x_a).max(), abs(r.x_b).max()) >= r.max_rel_diff > DEFAULT_TOL
    assert "eps" in r.warnings[0] and "differ" in r.text()


def test_defaults_a_gives_both_methods_As_defaults():
    r = diff("adam:paper", "adam:torch", defaults="a", save=False)
    assert r.hypers.aligned == {"eps": 0.0} and r.hypers.resolved_b["eps"] == 0.0 and not r.warnings
    assert r.differ  # bias correction: they still part, at round 1


def test_momentum_is_found_when_rmsprop_is_compared_with_adam_at_its_beta1():
    r = diff("rmsprop:paper", "adam:paper", alpha=0.01, beta2=0.99, save=False)
    assert r.differ


# ---------------------------------------------------------------- no difference
COPY = '''
from oco.methods import Hyper as H, Method, P, pieces as p

amsgrad_copy = Method(
    "amsgrad_copy", "paper", P(p.ema, "m=d"), P(p.ams, "v vhat=V"), P(p.root, "eta"),
    state={"m": 0.0, "v": 0.0, "vhat": 0.0},
    hypers={
        "alpha": H(1e-3, "positive", "step size α"),
        "schedule": H("sqrt", "schedule", "α_t"),
        "sgdr_t0": H(100, "int+", "SGDR: first cycle"),
        "sgdr_mult": H(2, "int+", "SGDR: growth"),
        "alpha_min": H(0.0, "nonneg", "SGDR: lowest step"),
        "beta1": H(0.9, "beta", "β1"),
        "beta2": H(0.999, "beta", "β2"),
        "beta1_schedule": H("const", "beta1_schedule", "β1t"),
        "lam": H(1.0, "nonneg", "λ"),
        "eps": H(0.0, "nonneg", "ε inside the root"),
    },
    formula="a copy of amsgrad:paper",
    source="tests/test_diff.py",
)
'''


def test_a_users_exact_copy_of_a_row_does_not_differ(tmp_path):
    (tmp_path / "mine.py").write_text(COPY, encoding="utf-8")
    r = invoke("mine.py:amsgrad_copy", "amsgrad:paper", code=0)
    assert "no difference found" in r.stdout
    assert "120 sequences" in r.stdout and " s;" in r.stdout  # how many, and how long
    assert "a copy of amsgrad:paper" in r.stdout and "warning" not in r.stdout
    assert not (tmp_path / "diffs").exists()
    doc = diff_json("mine.py:amsgrad_copy", "amsgrad:paper", code=0)
    assert list(doc)[: len(KEYS)] == KEYS
    assert doc["differ"] is False and doc["round"] is None and doc["sequence"] is None
    assert doc["tried"] == 120 and doc["max_rel_diff"] == 0.0 and doc["complete"] is True


OPTAX_STYLE = '''
from oco.methods import Hyper as H, Method, P, pieces as p
from oco.methods.ops import maximum


def ams_corrected(v, vhat, g, beta2, p2):
    """optax's AMSGrad: the maximum over the bias-corrected v/(1 − β2^t) (handed on as V = v̂(1 − β2^t))."""
    v = p.ema_sq_torch(v, g, beta2)
    vhat = maximum(vhat, v / (1.0 - p2))
    return v, vhat, vhat * (1.0 - p2)


ams_optax_style = Method(
    "ams_optax_style", "user", P(p.ema_torch, "m=d"), P(ams_corrected, "v vhat V"), P(p.adam_torch, "eta"),
    state={"m": 0.0, "v": 0.0, "vhat": 0.0}, clock=(P(p.powers, "p1 p2"),), cstate={"p1": 1.0, "p2": 1.0},
    hypers={"alpha": H(1e-3, "positive"), "schedule": H("const", "schedule"), "sgdr_t0": H(100, "int+"),
            "sgdr_mult": H(2, "int+"), "alpha_min": H(0.0, "nonneg"), "beta1": H(0.9, "beta"),
            "beta2": H(0.999, "beta"), "eps": H(1e-8, "nonneg")},
)
'''


def test_which_v_the_amsgrad_maximum_is_taken_over(tmp_path):
    """torch's AMSGrad takes the maximum over the raw v, optax's over the bias-corrected one: the search finds a
    sequence where that matters (the first rounds agree: both maxima are then the current v)."""
    (tmp_path / "optax_style.py").write_text(OPTAX_STYLE, encoding="utf-8")
    doc = diff_json("amsgrad:torch", "optax_style.py:ams_optax_style", code=1)
    assert doc["round"] > 1 and doc["max_rel_diff"] > DEFAULT_TOL
    rel = replay_rel(doc["sequence"], "amsgrad:torch", "optax_style.py:ams_optax_style", doc["round"])
    assert np.all(rel[:-1] <= DEFAULT_TOL) and rel[-1] > DEFAULT_TOL


def test_rmsprop_is_adam_with_beta1_zero():
    """Reddi et al.'s identity: RMSProp = Adam with β1 = 0 (their shared hyperparameters set alike)."""
    r = invoke("rmsprop:paper", "adam:paper", "--beta1", "0", "--alpha", "0.01", "--beta2", "0.99", code=0)
    assert "no difference found" in r.stdout
    r = diff("rmsprop:paper", "adam:paper", beta1=0.0, defaults="a")
    assert not r.differ and r.hypers.aligned == {"alpha": 0.01, "beta2": 0.9}
    assert r.tried == 120 and r.complete


def test_the_time_budget_stops_the_search():
    r = diff("rmsprop:paper", "adam:paper", beta1=0.0, defaults="a", time_budget=1e-9)
    assert not r.differ and not r.complete and r.tried == len(FAMILIES) * 4
    assert "time budget" in r.text()


def test_x0_with_d_numbers_runs_d_dimensional_sequences():
    r = diff("adam:paper", "adam:torch", x0=[0.5, -1.0, 2.0], save=False)
    assert r.differ and r.d == 3 and r.dims == [3] and r.g.shape[1] == 3


# ---------------------------------------------------------------- pieces
def test_formulas_side_by_side():
    text = formulas("amsgrad:paper", "amsgrad:torch")
    lines = text.splitlines()
    assert "amsgrad:paper" in lines[0] and "amsgrad:torch" in lines[0]
    assert any(ln.startswith("eps") and "≠" in ln and "1e-08" in ln for ln in lines)
    assert any(ln.startswith("schedule") and "≠" in ln and "sqrt" in ln for ln in lines)
    assert any(ln.startswith("ψ") and "≠" in ln and "ams:" in ln and "ams_torch" in ln for ln in lines)


def test_sequences_are_reproducible_and_of_every_family():
    g, labels = sequences(100, 3, seed=5)
    assert g.shape == (len(FAMILIES) * 2, 100, 3) and set(labels) == set(FAMILIES)
    assert np.array_equal(g, sequences(100, 3, seed=5)[0]) and np.all(np.isfinite(g))
    assert not np.array_equal(g, sequences(100, 3, seed=6)[0])


def test_rel_diff_counts_a_lone_divergence_as_infinite():
    x = np.zeros((3, 2, 1))
    y = x.copy()
    y[1:, 0, 0] = 1e-3
    rel = rel_diff(x, y, np.array([0, 2]), np.array([0, 0]), np.arange(1, 4))
    assert rel[0].tolist() == [0.0, 0.0] and rel[1].tolist() == [1.0, np.inf] and rel[2, 1] == np.inf


def test_rel_diff_is_relative_to_the_largest_iterate_so_far():
    """An iterate crossing zero: round-off of 1e-17 at |x| = 1e-9 is 1e-17 of the path's scale 1, not 1e-8."""
    xa = np.array([1.0, 1e-9, 0.5])[:, None, None]
    xb = xa + np.array([0.0, 1e-17, 1e-7])[:, None, None]
    assert rel_diff(xa, xb)[:, 0] == pytest.approx([0.0, 1e-17, 1e-7])
    assert rel_diff(xa[1:], xb[1:], x0=np.array([2.0]))[:, 0] == pytest.approx([5e-18, 5e-8])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("args, words", [
    (["adamm", "adam"], "adamm"),
    (["adam", "no_such_file.py:m"], "no_such_file.py"),
    (["adam", "adam:torch", "--set", "nope=1"], "nope"),
    (["adam", "adam:torch", "--set", "beta=1"], "did you mean"),
    (["adam", "adam:torch", "--tol", "-1"], "tol"),
    (["adam", "adam:torch", "--tol", "nan"], "tol"),
    (["adam", "adam:torch", "--max-len", "0"], "max_len"),
    (["adam", "adam:torch", "--time-budget", "0"], "time_budget"),
    (["adam", "adam:torch", "--defaults", "c"], "defaults"),
    (["adam", "adam:torch", "--beta1", "1.5"], "beta1"),
    (["adam", "adam:torch", "--x0", "abc"], "--x0"),
    (["adam", "adam:torch", "--set", "eps"], "KEY=VALUE"),
    (["adam", "adam:torch", "--eps", "0", "--set", "eps=0"], "twice"),
    (["adam", "adam:paper"], "same method"),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    r = invoke(*args, code=2)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and words in lines[0], r.stderr


def test_an_out_folder_that_is_not_empty_is_refused_before_the_search(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    r = invoke("adam:paper", "adam:torch", "--out", tmp_path / "full", code=2)
    assert "not empty" in r.stderr


# ---------------------------------------------------------------- torch and optax
def _numpy_adam():
    """A foreign optimizer (an ``oco.foreign.Foreign``) that is paper-form Adam written in NumPy: the foreign
    code path of diff without torch or optax."""
    from dataclasses import dataclass

    from oco.foreign import Foreign
    from oco.methods import Hyper as H

    @dataclass(frozen=True)
    class NumpyAdam(Foreign):
        def stepper(self, h, x0):
            m, v = np.zeros_like(x0), np.zeros_like(x0)

            def step(t, g, x):
                m[:] = h["beta1"] * m + (1.0 - h["beta1"]) * g
                v[:] = h["beta2"] * v + (1.0 - h["beta2"]) * g * g
                return x - np.where(m == 0, 0.0, h["alpha"] / np.sqrt(v + h["eps"]) * m)

            return step

    return NumpyAdam("tests.NumpyAdam", convention="numpy", formula="Adam, paper form, in NumPy", hypers={
        "alpha": H(1e-3, "positive"), "beta1": H(0.9, "beta"), "beta2": H(0.999, "beta"), "eps": H(0.0, "nonneg")})


def test_a_foreign_optimizer_object():
    r = diff("adam:paper", _numpy_adam(), save=False)
    assert not r.differ and r.b == "numpy:tests.NumpyAdam" and r.max_rel_diff == 0.0
    assert "(not an oco method: pieces unknown)" in r.formulas and "Adam, paper form, in NumPy" in r.formulas
    r = diff("adam:paper", _numpy_adam(), eps=1e-8, beta1=0.5, save=False)  # given to both: still the same
    assert not r.differ
    r = diff("adam:paper", _numpy_adam(), beta1_schedule="inv", save=False)  # only A has it: they part
    assert r.differ and r.round >= 2


def _foreign(spec: str):
    from oco import foreign

    try:
        return foreign.load(spec)
    except (ImportError, ValueError) as e:
        pytest.skip(f"{spec} is not available here ({e})")


def test_adam_torch_is_torch_optim_adam():
    pytest.importorskip("torch")
    _foreign("torch:torch.optim.Adam")
    r = invoke("adam:torch", "torch:torch.optim.Adam", code=0)
    assert "no difference found" in r.stdout and "(not an oco method: pieces unknown)" in r.stdout


def test_amsgrad_torch_and_optax_amsgrad_differ_and_replay():
    pytest.importorskip("optax")
    _foreign("optax:optax.amsgrad")
    doc = diff_json("amsgrad:torch", "optax:optax.amsgrad", "--alpha", "1e-3", "--out", "d", code=1)
    rel = replay_rel(doc["sequence"], "amsgrad:torch", "optax:optax.amsgrad", doc["round"], alpha=1e-3)
    assert np.all(rel[:-1] <= DEFAULT_TOL) and rel[-1] > DEFAULT_TOL
