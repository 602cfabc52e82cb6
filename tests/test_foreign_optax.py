"""``-m optax:DOTTED.FACTORY``: optax's Adam run on oco's problems reproduces a hand-written loop of optax's
formula, a batch gives every configuration its single run bit for bit, the chunked scan of linear problems is
the per-round path, the schedule injects α_t, and bad specs are refused in one line."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

optax = pytest.importorskip("optax")

from oco.cli import app
from oco.problems import get_problem
from typer.testing import CliRunner

import oco
from oco.engine import log_checkpoints
from oco.foreign import NOT_OBSERVABLE, load, run_foreign
from oco.foreign.optax_optim import OptaxOptimizer
from oco.projections import make_domain

runner = CliRunner()
RTOL = 1e-12
T = 600


def hand_adam(problem: str, T: int, alpha: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
              domain: str = "box", schedule: str = "const", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """optax.adam's formula in NumPy, one configuration: (x_1..x_{T+1} (T+1, d), Σ_t f_t(x_t))."""
    p = get_problem(problem)
    dom = p.default_domain() if domain == "box" else make_domain(domain)
    x = np.broadcast_to(p.default_x0(dom), (1, p.d)).astype(float)
    data = p.data(seed, 1, T)
    m = v = np.zeros_like(x)
    xs, total = [x[0]], 0.0
    for t in range(1, T + 1):
        loss, g = p.loss_grad(x, data[t - 1][None])
        total += float(loss[0])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        lr = alpha / np.sqrt(t) if schedule == "sqrt" else alpha
        x = dom.project(x - lr * mhat / (np.sqrt(vhat) + eps))  # eps_root = 0
        xs.append(x[0])
    return np.array(xs), total


def assert_matches_hand(r, xs: np.ndarray, total: float, rtol: float = RTOL) -> float:
    """x_final, the checkpoint iterates and Σ f_t(x_t) agree with the hand-written loop; returns the largest
    relative difference of the iterates."""
    t = r.checkpoints.t
    np.testing.assert_allclose(r.x_final[0], xs[-1], rtol=rtol, atol=0)
    np.testing.assert_allclose(r.checkpoints.x[:, 0], xs[t], rtol=rtol, atol=0)
    np.testing.assert_allclose(r.cumulative_loss[0], total, rtol=rtol, atol=0)
    got = np.concatenate([r.checkpoints.x[:, 0].ravel(), r.x_final[0]])
    want = np.concatenate([xs[t].ravel(), xs[-1]])
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def assert_identical(batch, b: int, single) -> None:
    """Configuration b of a batch is its single run, bit for bit."""
    assert np.array_equal(batch.x_final[b], single.x_final[0])
    assert np.array_equal(batch.checkpoints.x[:, b], single.checkpoints.x[:, 0])
    assert np.array_equal(batch.checkpoints.avg_regret[:, b], single.checkpoints.avg_regret[:, 0], equal_nan=True)
    assert batch.cumulative_loss[b] == single.cumulative_loss[0]


def assert_same_run(r, q, rtol: float = RTOL) -> None:
    """Two runs of the same batch agree to rtol, divergence included."""
    np.testing.assert_allclose(r.x_final, q.x_final, rtol=rtol, atol=0)
    np.testing.assert_allclose(r.checkpoints.x, q.checkpoints.x, rtol=rtol, atol=0)
    np.testing.assert_allclose(r.checkpoints.avg_regret, q.checkpoints.avg_regret, rtol=rtol, atol=0)
    np.testing.assert_allclose(r.cumulative_loss, q.cumulative_loss, rtol=rtol, atol=0)
    assert np.array_equal(r.diverged, q.diverged) and np.array_equal(r.diverged_at, q.diverged_at)


# ---------------------------------------------------------------- optax.adam = optax's formula
CASES = [  # (problem, domain, settings): the box (the scan of a linear problem), unconstrained (per round)
    ("reddi-online", "box", {"alpha": 0.1, "b1": 0.9, "b2": 0.99}),
    ("stochastic-quadratic", "none", {"alpha": 0.02, "b1": 0.8, "b2": 0.999, "eps": 1e-6}),
]


@pytest.mark.parametrize("problem, domain, kw", CASES, ids=[c[0] for c in CASES])
def test_adam_reproduces_the_hand_written_loop(problem, domain, kw):
    r = oco.simulate(problem, "optax:optax.adam", T=T, domain=None if domain == "box" else domain,
                     alpha=kw["alpha"], beta1=kw["b1"], beta2=kw["b2"], eps=kw.get("eps", 1e-8))
    xs, total = hand_adam(problem, T, kw["alpha"], kw["b1"], kw["b2"], kw.get("eps", 1e-8), domain)
    assert not r.diverged.any()
    assert_matches_hand(r, xs, total)
    assert r.method == "optax:optax.adam" and r.convention == "optax" and not r.lr_observed


def test_schedule_sqrt_is_lr_over_root_t():
    r = oco.simulate("reddi-online", "optax:optax.adam", T=T, alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")
    xs, total = hand_adam("reddi-online", T, 0.5, 0.9, 0.99, schedule="sqrt")
    assert_matches_hand(r, xs, total)
    const = oco.simulate("reddi-online", "optax:optax.adam", T=T, alpha=0.5, beta1=0.9, beta2=0.99)
    assert not np.allclose(const.x_final, r.x_final)


def test_schedule_sgdr_reaches_optax():
    kw = {"alpha": 0.5, "beta2": 0.99, "schedule": "sgdr", "sgdr_t0": 50}
    r = oco.simulate("reddi-online", "optax:optax.adam", T=T, **kw)
    s = oco.simulate("reddi-online", "optax:optax.adam", T=T, **{**kw, "schedule": "const"})
    assert np.all(np.isfinite(r.x_final)) and not np.allclose(r.checkpoints.x, s.checkpoints.x)


# ---------------------------------------------------------------- batches
@pytest.mark.parametrize("problem, domain", [("reddi-online", None), ("stochastic-quadratic", "none")])
def test_batch_over_lr_and_b2_is_each_single_run(problem, domain):
    lr, b2 = np.meshgrid([0.01, 0.1, 0.5], [0.9, 0.99, 0.999], indexing="ij")
    batch = oco.simulate(problem, "optax:optax.adam", T=T, domain=domain, alpha=lr.ravel(), beta2=b2.ravel())
    for b in range(lr.size):
        single = oco.simulate(problem, "optax:optax.adam", T=T, domain=domain, alpha=lr.flat[b], beta2=b2.flat[b])
        assert_identical(batch, b, single)


def test_batch_over_seeds_is_each_single_run():
    batch = oco.simulate("reddi-stochastic", "optax:optax.adam", T=T, alpha=0.3, seed=np.array([4, 1, 4]),
                         beta2=[0.9, 0.99, 0.999])
    for b, (s, b2) in enumerate([(4, 0.9), (1, 0.99), (4, 0.999)]):
        assert_identical(batch, b, oco.simulate("reddi-stochastic", "optax:optax.adam", T=T, alpha=0.3, seed=s,
                                                beta2=b2))


# ---------------------------------------------------------------- the scan is the per-round path
SCANS = [  # (problem, domain, T, hyperparameters): chunks of data, pieces of the scan, d > 1, several seeds
    ("reddi-online", "box", 5000, {"alpha": np.array([0.05, 0.5]), "schedule": "sqrt"}),
    ("reddi-stochastic", "ball", 777, {"alpha": np.array([0.05, 0.5]), "seed": np.array([0, 3])}),
    ("scaled-coordinates", "ball", 300, {"alpha": np.array([0.01, 0.1, 1.0]), "schedule": "sgdr", "sgdr_t0": 40}),
    ("sparse-gradients", "none", 300, {"alpha": np.array([0.01, 0.1])}),
    ("reddi-online", "none", 300, {"alpha": np.array([0.1, 1e307])}),  # the second diverges
]


@pytest.mark.parametrize("problem, domain, T_, kw", SCANS, ids=[f"{c[0]}-{c[1]}" for c in SCANS])
def test_scan_is_the_per_round_path(problem, domain, T_, kw):
    from oco.backends import is_linear

    p = get_problem(problem)
    assert is_linear(p)
    dom = make_domain(domain)
    opt = load("optax:optax.adam")
    seeds = kw.pop("seed", np.array([0]))
    h, B = opt.resolve(kw, batch=len(seeds) if len(seeds) > 1 else None)
    seeds = np.broadcast_to(seeds, (B,)).copy()
    x0 = np.broadcast_to(p.default_x0(dom), (B, p.d)).copy()
    cks = log_checkpoints(T_)
    counted = []
    r = opt.run(p, h, seeds, T_, x0, dom, cks, counted.append)
    q = run_foreign(opt, p, h, seeds, T_, x0, dom, cks)
    assert sum(counted) == T_ and not r.lr_observed and not q.lr_observed
    assert_same_run(r, q)
    if domain == "none" and problem == "reddi-online":
        assert list(r.diverged) == [False, True]


# ---------------------------------------------------------------- other factories
def test_amsgrad_runs():
    r = oco.simulate("reddi-online", "optax:optax.amsgrad", T=3000, alpha=0.5, beta1=0.9, beta2=0.99,
                     schedule="sqrt")
    assert not r.diverged.any() and r.x_final[0, 0] < 0  # AMSGrad heads for the optimum, −1
    adam = oco.simulate("reddi-online", "optax:optax.adam", T=3000, alpha=0.5, beta1=0.9, beta2=0.99,
                        schedule="sqrt")
    assert adam.x_final[0, 0] > r.x_final[0, 0]


def test_adopt_and_the_factory_arguments():
    opt = load("optax:optax.contrib.adopt")
    assert {"alpha", "beta1", "beta2", "eps", "nesterov", "use_clipping"} <= set(opt.hypers)
    assert opt.hypers["nesterov"].check == "bool" and opt.hypers["beta2"].default == 0.9999
    r = oco.simulate("adopt-toy", "optax:optax.contrib.adopt", T=500, alpha=[0.01, 0.1], use_clipping=False)
    assert np.all(np.isfinite(r.x_final))
    assert load("optax:optax.adam") is opt.load("optax.adam")  # cached per target


def test_show_says_what_oco_cannot_see():
    opt = load("optax:optax.adam")
    assert NOT_OBSERVABLE in opt.source and "optax.adam" in opt.summary and "not known to oco" in opt.formula
    assert {k: arg.name for k, arg in opt.args.items()} == {
        "alpha": "learning_rate", "beta1": "b1", "beta2": "b2", "eps": "eps", "eps_root": "eps_root",
        "mu_dtype": "mu_dtype", "nesterov": "nesterov"}


def test_optax_names_point_to_ocos():
    with pytest.raises(ValueError, match="no hyperparameter 'b2' .did you mean 'beta2'"):
        oco.simulate("reddi-online", "optax:optax.adam", T=10, b2=0.9)
    with pytest.raises(ValueError, match="did you mean 'alpha'"):
        oco.simulate("reddi-online", "optax:optax.adam", T=10, learning_rate=0.1)


# ---------------------------------------------------------------- the command line
def test_cli_runs_with_null_lr_fields():
    res = runner.invoke(app, ["run", "reddi-online", "-m", "optax:optax.adam", "--T", "300", "--json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)["runs"]
    assert row["method"] == "optax:optax.adam" and row["convention"] == "optax" and not row["diverged"]
    assert row["params"]["schedule"] == "sqrt" and row["params"]["beta2"] == 0.99  # the problem's suggested
    assert row["lr_min"] is None and row["lr_max"] is None and row["gamma_negative_rounds"] is None


@pytest.mark.parametrize("args, message", [
    (["-m", "optax:optax.adamm"], "did you mean 'adam'"),
    (["-m", "optax:optax.tree_utils"], "not a GradientTransformation factory"),
    (["-m", "optax:optax.tree_utils.tree_add"], "calling it raised TypeError"),
    (["-m", "optax:optax.adam", "--set", "b3=1"], "'b3'"),
    (["-m", "optax:optax.adam", "--set", "beta3=1"], "did you mean 'beta"),
    (["-m", "optax:optax.adam", "--set", "beta2=1.5"], "beta2 must be in [0, 1)"),
])
def test_bad_specs_are_one_line(args, message):
    res = runner.invoke(app, ["run", "reddi-online", *args, "--T", "10"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.output


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the AVX cap is x86-64's")
def test_loading_first_keeps_xla_off_fmas(tmp_path):
    """In a fresh process, loading a factory before JAX starts sets XLA's ISA cap; after JAX has started, it
    warns instead (the exact agreement of a batch with its single runs rests on it)."""
    code = ("import os, warnings; warnings.simplefilter('error')\n"
            "from oco.foreign import load\n"
            "load('optax:optax.adam'); print(os.environ['XLA_FLAGS'])\n")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    run = {"cwd": tmp_path, "env": env, "capture_output": True, "text": True}
    out = subprocess.run([sys.executable, "-c", code], check=False, **run)
    assert out.returncode == 0 and "--xla_cpu_max_isa=AVX" in out.stdout, out.stderr
    late = "import jax.numpy as jnp; jnp.ones(1).block_until_ready()\n" + code
    out = subprocess.run([sys.executable, "-c", late], check=False, **run)
    assert out.returncode != 0 and "round-off" in out.stderr


def test_without_jax_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("jax", "optax") else
                        real(name, *a))
    with pytest.raises(ValueError, match=r"needs JAX and optax: pip install jax optax"):
        OptaxOptimizer.load("optax.not_cached_adam")
