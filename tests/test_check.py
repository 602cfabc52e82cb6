"""`oco check`: the papers' known outcomes as verdicts, the rules' pieces, the command's output and exit
status, and oco.testing for optimizer authors' own suites."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import oco
from oco.analyses import check as suite
from oco.cli import app
from oco.testing import assert_converges, assert_fails

runner = CliRunner()
REDDI_DETERMINISTIC = ["reddi-online", "reddi-thm1", "reddi-thm2", "adabound-small-lr"]
CONTROLS = ["zhang-divergence", "stochastic-quadratic", "logistic-goog"]


def verdicts(method, problems, quick=True, **kw):
    return {v.problem: v.verdict for v in oco.check(method, problems=problems, quick=quick, **kw)}


# ---------------------------------------------------------------- the papers' outcomes
def test_adam_fails_reddi_adabound_and_adopt():
    """Reddi et al. Figure 1 and Theorem 1, Luo et al.'s small-rate example, ADOPT's toy at β2 = 0.9."""
    got = verdicts("adam", ["reddi-online", "reddi-stochastic", "reddi-thm1", "adabound-small-lr", "adopt-toy"])
    assert set(got.values()) == {"fails"}, got


def test_amsgrad_converges_on_reddis_problems():
    got = verdicts("amsgrad", REDDI_DETERMINISTIC, quick=False)
    assert set(got.values()) == {"converges"}, got


@pytest.mark.slow
def test_amsgrad_converges_on_figure_1_stochastic_at_ten_million_rounds():
    assert verdicts("amsgrad", ["reddi-stochastic"], quick=False) == {"reddi-stochastic": "converges"}


def test_adagrad_and_ogd_converge_on_the_deterministic_problems_and_the_controls():
    """At the suite's full horizons: at 10⁶ rounds AdaGrad is still on its way on reddi-online."""
    for method in ("adagrad", "ogd"):
        got = {**verdicts(method, REDDI_DETERMINISTIC, quick=False), **verdicts(method, CONTROLS)}
        assert set(got.values()) == {"converges"}, (method, got)


def test_adopt_converges_on_its_toy():
    assert verdicts("adopt", ["adopt-toy"]) == {"adopt-toy": "converges"}


def test_adam_diverges_on_zhangs_example_at_a_small_beta2():
    """Zhang et al.: small β2 diverges — the iterate runs away from x* = −2, the expected gap grows."""
    (v,) = oco.check("adam", problems=["zhang-divergence"], quick=True, beta1=0.0, beta2=0.1)
    assert v.verdict == "fails" and v.gap_ratio > 1 and v.x_final[0] > 0


def test_theorem_2_is_built_from_the_methods_own_betas():
    (v,) = oco.check("adam", problems=["reddi-thm2"], quick=True, beta1=0.5, beta2=0.8)
    assert v.params["problem_params"]["C"] == 82 and v.verdict == "fails"
    (na,) = oco.check("adam", problems=["reddi-thm2"], quick=True, beta1=0.9, beta2=0.5)
    assert na.verdict == "not applicable" and "sqrt(beta2)" in na.why


def test_a_method_receives_only_the_hyperparameters_it_has():
    (v,) = oco.check("ogd", problems=["reddi-online"], quick=True)
    assert "beta1" not in v.params and v.params["alpha"] == 0.5 and v.params["schedule"] == "sqrt"


# ---------------------------------------------------------------- the rules' pieces
def test_slope_of_a_power_law_and_of_a_level():
    t = np.logspace(3, 4, 20)
    assert suite._slope(t, 3.0 / np.sqrt(t)) == pytest.approx(-0.5)
    assert suite._slope(t, np.full_like(t, 0.2)) == pytest.approx(0.0, abs=1e-12)
    assert suite._slope(t, -np.ones_like(t)) is None  # no positive R_t to take the log of


def test_majority_and_ties():
    assert suite._majority(["fails", "fails", "converges"]) == ("fails", 2)
    assert suite._majority(["fails", "converges"]) == ("inconclusive", 0)
    assert suite._majority(["converges"] * 4) == ("converges", 4)


# ---------------------------------------------------------------- the command
def test_json_document_and_exit_status(tmp_path):
    r = runner.invoke(app, ["check", "adam", "--problems", "reddi-thm1,zhang-divergence", "--quick", "--json"])
    assert r.exit_code == 1, r.stderr  # a verdict is "fails"
    doc = json.loads(r.stdout)
    assert doc["methods"] == ["adam"]
    keys = {"method", "problem", "params", "verdict", "avg_regret", "failure_level", "slope", "x_final", "x_star",
            "T", "seeds"}
    assert all(keys <= set(v) for v in doc["verdicts"])
    assert [v["verdict"] for v in doc["verdicts"]] == ["fails", "converges"]
    assert doc["summary"]["fails"] == 1 and doc["summary"]["fails_on"] == {"adam": ["reddi-thm1"]}
    r = runner.invoke(app, ["check", "amsgrad", "--problems", "reddi-thm1", "--quick", "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.stderr
    assert "converges" in r.stdout
    for name in ("verdicts.json", "check.png", "check.json"):
        assert (tmp_path / "c" / name).stat().st_size > 0
    assert json.loads((tmp_path / "c" / "check.json").read_text())["data"] == "verdicts.json"


def test_the_report_is_what_the_command_prints_and_writes(tmp_path):
    """``check_suite`` returns the report the command prints (``text``, ``to_dict``) and writes."""
    report = suite.check_suite(["adam", "amsgrad"], ["reddi-thm1"], quick=True)
    assert report.fails and [v.verdict for v in report.verdicts] == ["fails", "converges"]
    assert set(report.curves) == {("adam", "reddi-thm1"), ("amsgrad", "reddi-thm1")}
    assert report.text().splitlines()[-1] == "1 fails, 1 converges, 0 inconclusive"
    path = report.write(tmp_path / "c")
    assert json.loads(path.read_text()) == json.loads(json.dumps(report.to_dict()))
    r = runner.invoke(app, ["check", "adam", "amsgrad", "--problems", "reddi-thm1", "--quick", "--json"])
    assert json.loads(r.stdout)["summary"] == report.to_dict()["summary"]


def test_analyses_are_listed_and_shown_from_their_registry():
    from oco.analyses import ANALYSES

    listed = runner.invoke(app, ["list"]).stdout.splitlines()
    for a in ANALYSES.values():
        assert f"  {a.name.ljust(max(map(len, ANALYSES)))}  {a.summary}" in listed
        assert runner.invoke(app, ["show", a.name]).stdout.strip() == a.describe().strip()
    assert "reddi-thm1" in ANALYSES["check"].describe() and "ogd:" in ANALYSES["bounds"].describe()


@pytest.mark.parametrize("args,needle", [
    (["check", "adam", "--problems", "reddi-onlin"], "did you mean 'reddi-online'"),
    (["check", "adamm"], "did you mean 'adam'"),
    (["check"], "at least one METHOD"),
    (["check", "adam", "--all"], "not both"),
    (["check", "ogd", "--beta1", "0.5"], "has no hyperparameter 'beta1'"),
    (["check", "adam", "--beta1", "1.5"], "beta1 must be in [0, 1)"),
    (["check", "adam", "--out", ""], "--out is empty"),
])
def test_bad_input_one_line_exit_2(args, needle):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr


# ---------------------------------------------------------------- oco.testing
def test_assert_fails_and_assert_converges_carry_the_evidence():
    assert_fails("adam", problems=["reddi-thm1"], quick=True)
    assert_converges("amsgrad", problems=["reddi-thm1"], quick=True)
    with pytest.raises(AssertionError, match=r"adam on reddi-thm1: fails, not converges .*failure level 0.666"):
        assert_converges("adam", problems=["reddi-thm1"], quick=True)


def test_torch_adam_gets_the_verdicts_of_adam_torch():
    pytest.importorskip("torch")
    try:
        from oco.foreign import torch_optim  # noqa: F401
    except ImportError:
        pytest.skip("no torch adapter")
    problems = ["reddi-thm1", "adabound-small-lr", "stochastic-quadratic"]
    ours = oco.check("adam:torch", problems=problems, quick=True, max_T=3000)
    theirs = oco.check("torch:torch.optim.Adam", problems=problems, quick=True, max_T=3000)
    assert [v.verdict for v in ours] == [v.verdict for v in theirs], (ours, theirs)
    assert ours[0].verdict == "fails" and all(v.T == 3000 for v in theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.x_final, b.x_final, rtol=1e-12)


# ---------------------------------------------------------------- oco reproduce --check
def test_reproduce_check_passes_and_a_missed_target_fails(tmp_path, monkeypatch):
    import dataclasses

    from oco import experiments

    r = runner.invoke(app, ["reproduce", "reddi-thm1", "--check", "--backend", "auto", "--quiet",
                            "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.stdout + r.stderr
    assert r.stdout.count("  pass  ") == len(experiments.EXPERIMENTS["reddi-thm1"].targets) and "FAIL" not in r.stdout
    wrong = experiments.Target("adam", "avg_regret", "near", 0.1, "a wrong target", tol=0.01)
    e = dataclasses.replace(experiments.EXPERIMENTS["reddi-thm1"], targets=(wrong,))
    monkeypatch.setitem(experiments.EXPERIMENTS, "reddi-thm1", e)
    r = runner.invoke(app, ["reproduce", "reddi-thm1", "--check", "--backend", "auto", "--quiet",
                            "--out", str(tmp_path / "b")])
    assert r.exit_code == 1 and "FAIL  adam: avg_regret 0.1 ± 0.01 (a wrong target): measured 0.66" in r.stdout


def test_every_experiment_has_targets_with_sources():
    from oco import experiments

    for e in experiments.EXPERIMENTS.values():
        assert e.targets and all(t.source for t in e.targets), e.name
