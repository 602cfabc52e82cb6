"""``-m torch:DOTTED.PATH``: torch.optim's own optimizers run on oco's problems reproduce oco's ``torch`` rows,
a batch gives every configuration its single run bit for bit, the schedule sets torch's lr, and bad specs are
refused in one line."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from oco.cli import app
from typer.testing import CliRunner

import oco
from oco.foreign import NOT_OBSERVABLE, load
from oco.foreign.torch_optim import TorchOptimizer

runner = CliRunner()
RTOL = 1e-12
T = 600

# (torch class, the table row it reproduces, hyperparameters for both)
OPTIMIZERS = [
    ("torch.optim.Adam", "adam:torch", {"beta1": 0.9, "beta2": 0.99}),
    ("torch.optim.Adam", "amsgrad:torch", {"beta1": 0.9, "beta2": 0.99, "amsgrad": True}),
    ("torch.optim.AdamW", "adamw:torch", {"weight_decay": 0.05}),
    ("torch.optim.SGD", "sgd:torch", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("torch.optim.SGD", "sgd:torch", {"momentum": 0.5, "nesterov": True}),
    ("torch.optim.RMSprop", "rmsprop:torch", {"beta2": 0.9, "momentum": 0.5, "centered": True}),
]
# (problem, settings): unconstrained, and on the box [−1, 1]
PROBLEMS = [
    ("stochastic-quadratic", {"domain": "none", "alpha": 0.02, "seed": 3}),
    ("zhang-divergence", {"alpha": 0.01}),
    ("reddi-online", {"alpha": 0.1}),
]


def row_hypers(kw: dict) -> dict:
    """The table row's hyperparameters for a torch call's: amsgrad is the row itself."""
    return {k: v for k, v in kw.items() if k != "amsgrad"}


def assert_same_run(r, q, rtol: float = RTOL) -> None:
    """x_final and the checkpoint traces (iterates, R_t/t) agree to rtol."""
    np.testing.assert_allclose(r.x_final, q.x_final, rtol=rtol, atol=0)
    np.testing.assert_allclose(r.checkpoints.x, q.checkpoints.x, rtol=rtol, atol=0)
    np.testing.assert_allclose(r.checkpoints.avg_regret, q.checkpoints.avg_regret, rtol=rtol, atol=0)


def assert_identical(batch, b: int, single) -> None:
    """Configuration b of a batch is its single run, bit for bit."""
    assert np.array_equal(batch.x_final[b], single.x_final[0])
    assert np.array_equal(batch.checkpoints.x[:, b], single.checkpoints.x[:, 0])
    assert np.array_equal(batch.checkpoints.avg_regret[:, b], single.checkpoints.avg_regret[:, 0], equal_nan=True)
    assert batch.cumulative_loss[b] == single.cumulative_loss[0]


# ---------------------------------------------------------------- torch.optim = oco's torch rows
@pytest.mark.parametrize("problem, settings", PROBLEMS, ids=[p for p, _ in PROBLEMS])
@pytest.mark.parametrize("target, row, kw", OPTIMIZERS, ids=[f"{r}-{i}" for i, (_, r, _) in enumerate(OPTIMIZERS)])
def test_reproduces_the_torch_row(problem, settings, target, row, kw):
    r = oco.simulate(problem, f"torch:{target}", T=T, **settings, **kw)
    q = oco.simulate(problem, row, T=T, **settings, **row_hypers(kw))
    assert not r.diverged.any() and np.all(np.isfinite(r.x_final))
    assert_same_run(r, q)
    assert r.method == f"torch:{target}" and r.convention == "torch" and not r.lr_observed


@pytest.mark.parametrize("schedule", ["sqrt", "sgdr"])
def test_schedule_sets_the_lr(schedule):
    kw = {"alpha": 0.5, "beta1": 0.9, "beta2": 0.99, "schedule": schedule, "sgdr_t0": 50}
    r = oco.simulate("reddi-online", "torch:torch.optim.Adam", T=T, **kw)
    assert_same_run(r, oco.simulate("reddi-online", "adam:torch", T=T, **kw))
    const = oco.simulate("reddi-online", "torch:torch.optim.Adam", T=T, **{**kw, "schedule": "const"})
    assert not np.array_equal(r.x_final, const.x_final)


# ---------------------------------------------------------------- a batch is its configurations
@pytest.mark.parametrize("target, grid, fixed", [
    ("torch.optim.Adam", {"alpha": np.array([0.01, 0.1, 0.3]), "beta1": np.array([0.0, 0.5, 0.9]),
                          "beta2": np.array([0.9, 0.99, 0.999])}, {}),
    ("torch.optim.SGD", {"alpha": np.array([0.01, 0.05]), "momentum": np.array([0.0, 0.9])}, {"nesterov": False}),
    ("torch.optim.RMSprop", {"beta2": np.array([0.5, 0.9, 0.99])}, {"alpha": 0.05}),
])
def test_a_batch_equals_each_single_run(target, grid, fixed):
    kw = {"domain": "none", "seed": 1, "schedule": "sqrt", **fixed}
    batch = oco.simulate("stochastic-quadratic", f"torch:{target}", T=T, **kw, **grid)
    for b in range(len(next(iter(grid.values())))):
        single = oco.simulate("stochastic-quadratic", f"torch:{target}", T=T, **kw,
                              **{k: float(v[b]) for k, v in grid.items()})
        assert_identical(batch, b, single)


def test_seeds_are_configurations():
    seeds = np.array([0, 4, 4, 9])
    kw = {"domain": "none", "alpha": 0.05}
    batch = oco.simulate("stochastic-quadratic", "torch:torch.optim.Adam", T=T, seed=seeds, **kw)
    for b, s in enumerate(seeds):
        assert_identical(batch, b, oco.simulate("stochastic-quadratic", "torch:torch.optim.Adam", T=T, seed=int(s), **kw))
    assert np.array_equal(batch.x_final[1], batch.x_final[2]) and not np.array_equal(batch.x_final[0], batch.x_final[1])


class ScaledSGD(torch.optim.Optimizer):
    """SGD whose step is multiplied by ``scale``, kept on the optimizer (not a group setting)."""

    def __init__(self, params, lr: float = 0.1, scale: float = 1.0):
        super().__init__(params, {"lr": lr})
        self.scale = scale

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad, alpha=-group["lr"] * self.scale)


@pytest.fixture
def scaled_sgd(monkeypatch):
    """``torch:oco_test_optims.ScaledSGD``, importable for the test."""
    module = types.ModuleType("oco_test_optims")
    module.ScaledSGD = ScaledSGD
    monkeypatch.setitem(sys.modules, "oco_test_optims", module)
    return "torch:oco_test_optims.ScaledSGD"


def test_a_setting_outside_the_groups_runs_as_copies(scaled_sgd):
    scales = np.array([0.5, 1.0, 2.0])
    kw = {"domain": "none", "alpha": 0.02, "seed": 2}
    batch = oco.simulate("stochastic-quadratic", scaled_sgd, T=T, scale=scales, **kw)
    for b, s in enumerate(scales):
        assert_identical(batch, b, oco.simulate("stochastic-quadratic", scaled_sgd, T=T, scale=float(s), **kw))
    # scale·lr is SGD's lr: the same numbers to round-off
    sgd = oco.simulate("stochastic-quadratic", "sgd:torch", T=T, **{**kw, "alpha": 0.02 * scales})
    assert_same_run(batch, sgd, rtol=1e-9)


# ---------------------------------------------------------------- hyperparameters from the constructor
def test_hyperparameters_follow_the_constructor():
    adam = load("torch:torch.optim.Adam")
    assert adam is load("torch:torch.optim.Adam") is TorchOptimizer.load("torch.optim.Adam")  # cached
    assert list(adam.hypers)[:5] == ["alpha", "schedule", "sgdr_t0", "sgdr_mult", "alpha_min"]
    assert {k: adam.hypers[k].default for k in ("alpha", "beta1", "beta2", "eps", "amsgrad")} == \
        {"alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "amsgrad": False}
    assert adam.hypers["amsgrad"].check == "bool" and adam.hypers["weight_decay"].check == "nonneg"
    assert not {"params", "foreach", "fused", "capturable", "differentiable"} & set(adam.hypers)
    assert "maximize" in adam.hypers and adam.formula.startswith("not known to oco")
    assert "torch.optim.adam" in adam.source and NOT_OBSERVABLE in adam.source
    rms = load("torch:torch.optim.RMSprop")  # its smoothing constant alpha is the table's beta2
    assert rms.hypers["beta2"].default == 0.99 and rms.hypers["beta2"].check == "beta"
    assert rms.hypers["alpha"].default == 1e-2
    asgd = load("torch:torch.optim.ASGD")  # an alpha that is not lr, under another name
    assert asgd.hypers["torch_alpha"].default == 0.75
    assert load("torch:torch.optim.LBFGS").hypers["history_size"].check == "int+"
    assert "betas" not in load("torch:torch.optim.SGD").hypers
    assert oco.simulate("reddi-online", "torch:torch.optim.Adam", T=5, lr=0.2).params["alpha"][0] == 0.2


def test_the_constructor_checks_every_configuration():
    with pytest.raises(ValueError, match="Nesterov"):
        oco.simulate("reddi-online", "torch:torch.optim.SGD", T=5, momentum=np.array([0.9, 0.0]), nesterov=True)


def test_missing_torch_is_one_line(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match=r"needs PyTorch: pip install torch"):
        TorchOptimizer.load.__wrapped__(TorchOptimizer, "torch.optim.Adam")


@pytest.mark.parametrize("spec, message", [
    ("torch:torch.optim.Adamm", "did you mean 'Adam'"),
    ("torch:torch.nn.Linear", "not a torch.optim.Optimizer subclass"),
    ("torch:torch.nn.functional.relu", "is a function, not a torch.optim.Optimizer subclass"),
    ("torch:no_such_package.Opt", "no module named 'no_such_package'"),
    ("torch:Adam", "not a dotted path"),
])
def test_bad_targets(spec, message):
    with pytest.raises(ValueError, match=message):
        load(spec)


# ---------------------------------------------------------------- the command line
def test_cli_run_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "reddi-online", "-m", "torch:torch.optim.Adam", "--alpha", "0.1", "--beta1", "0.9",
                            "--beta2", "0.99", "--T", "300", "--json"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    run = json.loads(r.stdout)["runs"][0]
    assert run["method"] == "torch:torch.optim.Adam" and run["convention"] == "torch"
    assert run["lr_min"] is None and run["lr_max"] is None and run["gamma_negative_rounds"] is None
    q = oco.simulate("reddi-online", "adam:torch", T=300, alpha=0.1, beta1=0.9, beta2=0.99,
                     schedule=run["params"]["schedule"])
    np.testing.assert_allclose(run["x_final"], q.x_final[0], rtol=RTOL, atol=0)


def test_cli_set_amsgrad(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "reddi-online", "-m", "torch:torch.optim.Adam", "--set", "amsgrad=true",
                            "--T", "300", "--json"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    run = json.loads(r.stdout)["runs"][0]
    assert run["params"]["amsgrad"] is True
    p = run["params"]
    q = oco.simulate("reddi-online", "amsgrad:torch", T=300, alpha=p["alpha"], beta1=p["beta1"], beta2=p["beta2"],
                     schedule=p["schedule"])
    np.testing.assert_allclose(run["x_final"], q.x_final[0], rtol=RTOL, atol=0)


@pytest.mark.parametrize("args, message", [
    (["-m", "torch:torch.optim.Adamm"], "did you mean 'Adam'"),
    (["-m", "torch:torch.nn.Linear"], "not a torch.optim.Optimizer subclass"),
    (["-m", "torch:torch.optim.Adam", "--set", "amsgrd=true"], "did you mean 'amsgrad'"),
])
def test_cli_bad_specs_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "reddi-online", *args, "--T", "10"])
    assert r.exit_code == 2, (r.stdout, r.stderr, r.exception)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
