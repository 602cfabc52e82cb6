"""The ``torch`` convention reproduces torch.optim (and the authors' ``adabound`` 0.0.5) step for step.

Every method that torch.optim has is run twice on the same problem from the same x0: once through
``oco.simulate(..., convention="torch")`` and once as a float64 torch parameter stepped by the real
optimizer, with the gradient of the same formula evaluated at the torch parameter. The problem is a
random quadratic f_t(x) = ½ Σ_i a_{t,i}(x_i − c_{t,i})², so the gradients depend on the trajectory and
any difference in the update feeds back into every later round.

Error measure: max over rounds t and coordinates i of |x_oco − x_torch| / max(|x_torch|, 1) (relative
where |x| ≥ 1, absolute below), required ≤ 1e-10.

The torch runs happen under ``torch.set_default_dtype(torch.float64)``: torch keeps some optimizer state
in the *default* scalar dtype rather than the parameter's (``torch.optim.optimizer._get_scalar_dtype``),
e.g. NAdam's running product Π μ_i, which is float32 otherwise and puts ~1e-7 into the step. The state
of interest is then float64 throughout, which is what "torch.optim in float64" means.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import oco
from oco.methods import get_method
from oco.problems.base import Problem

TOL = 1e-10
T = 300
D = 4
X0 = np.array([1.5, -2.0, 0.3, 3.0])


class Quadratic(Problem):
    """f_t(x) = ½ Σ_i a_{t,i}(x_i − c_{t,i})² with a_t ∈ [0.2, 3], c_t ~ N(μ_i, 1); data_t = (a_t, c_t)."""

    name = "parity-quadratic"
    linear = False

    def __init__(self, T: int = T, d: int = D, seed: int = 2024):
        rng = np.random.default_rng(seed)
        self.d = d
        a = rng.uniform(0.2, 3.0, (T, d))
        c = rng.normal(np.linspace(-1.0, 2.0, d), 1.0, (T, d))
        self.table = np.concatenate([a, c], axis=1)
        self.table.setflags(write=False)

    def data(self, seed, t0, n):
        return self.table[t0 - 1 : t0 - 1 + n]

    def loss_grad(self, x, data):
        a, c = data[..., : self.d], data[..., self.d :]
        r = x - c
        return 0.5 * np.sum(a * r * r, axis=-1), a * r

    def hindsight(self, seed, ts, domain):
        a, c = self.table[:, : self.d], self.table[:, self.d :]
        idx = np.asarray(ts, dtype=np.int64) - 1
        sa, sac, sacc = (np.cumsum(z, axis=0)[idx] for z in (a, a * c, a * c * c))
        xstar = sac / sa
        return 0.5 * np.sum(sacc - sac * xstar, axis=-1), xstar


PROBLEM = Quadratic()


@contextlib.contextmanager
def float64_default():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


# ---------------------------------------------------------------- our hyperparameters → the reference optimizer
def _betas(hp):
    m = get_method("adam", "torch").hypers
    return (hp.get("beta1", m["beta1"].default), hp.get("beta2", m["beta2"].default))


def _pick(hp, **names):
    """torch kwargs from our names: _pick(hp, lr="alpha", ...) keeps only those given in hp."""
    return {theirs: hp[ours] for theirs, ours in names.items() if ours in hp}


def reference(name: str, hp: dict, params):
    """The torch.optim (or adabound) optimizer our (name, torch) with hyperparameters hp stands for.

    Only hyperparameters given in hp are passed; the rest are the reference's own defaults (so a default
    that differs between the two shows up as a parity failure, and test_defaults_match checks them)."""
    O = torch.optim
    common = _pick(hp, lr="alpha", weight_decay="weight_decay", eps="eps")
    if "beta1" in hp or "beta2" in hp:
        common["betas"] = _betas(hp)
    single = {"foreach": False}  # the _single_tensor_* path (the CPU default too, made explicit)
    if name == "sgd":
        return O.SGD(
            params,
            **_pick(
                hp,
                lr="alpha",
                weight_decay="weight_decay",
                momentum="momentum",
                dampening="dampening",
                nesterov="nesterov",
            ),
            **single,
        )
    if name == "adagrad":
        return O.Adagrad(
            params,
            **common,
            **_pick(hp, lr_decay="lr_decay", initial_accumulator_value="initial_accumulator_value"),
            **single,
        )
    if name == "rmsprop":  # torch's smoothing constant alpha is our beta2
        kw = _pick(
            hp,
            lr="alpha",
            alpha="beta2",
            eps="eps",
            weight_decay="weight_decay",
            momentum="momentum",
            centered="centered",
        )
        return O.RMSprop(params, **kw, **single)
    if name == "adadelta":
        return O.Adadelta(params, **common, **_pick(hp, rho="rho"), **single)
    if name in ("adam", "amsgrad"):
        kw = _pick(hp, decoupled_weight_decay="decoupled_weight_decay")
        return O.Adam(params, **common, **kw, amsgrad=name == "amsgrad", **single)
    if name == "adamw":
        return O.AdamW(params, **common, **single)
    if name == "adamax":
        return O.Adamax(params, **common, **single)
    if name == "nadam":
        kw = _pick(hp, momentum_decay="momentum_decay", decoupled_weight_decay="decoupled_weight_decay")
        return O.NAdam(params, **common, **kw, **single)
    if name == "radam":
        return O.RAdam(
            params, **common, **_pick(hp, decoupled_weight_decay="decoupled_weight_decay"), **single
        )
    if name in ("adabound", "amsbound"):
        adabound = pytest.importorskip("adabound")
        kw = _pick(hp, final_lr="final_lr", gamma="gamma")
        return adabound.AdaBound(params, **common, **kw, amsbound=name == "amsbound")
    raise KeyError(name)


def torch_trajectory(name: str, hp: dict, x0: np.ndarray = X0, T: int = T) -> np.ndarray:
    """x after each optimizer.step(), (T, d), float64, gradients from PROBLEM.loss_grad at the torch parameter."""
    with float64_default(), warnings.catch_warnings():
        # adabound 0.0.5 calls deprecated overloads (add(Number, Tensor), addcmul(Number, ...)); they still run
        warnings.simplefilter("ignore", UserWarning)
        p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        opt = reference(name, hp, [p])
        out = np.empty((T, len(x0)))
        for t in range(T):
            x = p.detach().numpy().copy()[None]
            _, g = PROBLEM.loss_grad(x, PROBLEM.table[t][None])
            p.grad = torch.from_numpy(g[0].copy())
            opt.step()
            out[t] = p.detach().numpy()
    return out


def oco_trajectory(name: str, hp: dict, x0=X0, T: int = T) -> np.ndarray:
    """x after each round, (T, B, d)."""
    r = oco.simulate(PROBLEM, name, T=T, convention="torch", domain="none", x0=x0, checkpoint_every=1, **hp)
    assert not r.diverged.any()
    return r.checkpoints.x


def rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    """max |ours − ref| / max(|ref|, 1)."""
    assert ours.shape == ref.shape
    assert np.all(np.isfinite(ref))
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)))


# ---------------------------------------------------------------- the cases
CASES = {
    "sgd": [
        {"alpha": 0.05},
        {"alpha": 0.05, "momentum": 0.9},
        {"alpha": 0.03, "momentum": 0.8, "dampening": 0.3},
        {"alpha": 0.02, "momentum": 0.9, "nesterov": True},
        {"alpha": 0.05, "weight_decay": 0.1},
        {"alpha": 0.04, "momentum": 0.7, "dampening": 0.5, "weight_decay": 0.05},
        {"alpha": 0.05, "momentum": 0.0, "dampening": 0.5},  # torch ignores dampening without momentum
    ],
    "adagrad": [
        {"alpha": 0.3},
        {"alpha": 0.5, "lr_decay": 0.01},
        {"alpha": 0.3, "initial_accumulator_value": 0.5},
        {"alpha": 0.3, "weight_decay": 0.1},
        {"alpha": 0.3, "eps": 1e-3},
        {
            "alpha": 0.4,
            "lr_decay": 0.003,
            "initial_accumulator_value": 0.1,
            "weight_decay": 0.02,
            "eps": 1e-6,
        },
    ],
    "rmsprop": [
        {"alpha": 0.01},
        {"alpha": 0.01, "beta2": 0.9},
        {"alpha": 0.005, "momentum": 0.9},
        {"alpha": 0.01, "centered": True},
        {"alpha": 0.005, "beta2": 0.95, "centered": True, "momentum": 0.8},
        {"alpha": 0.01, "weight_decay": 0.1, "eps": 1e-4},
    ],
    "adadelta": [
        {},
        {"rho": 0.8},
        {"rho": 0.95, "eps": 1e-4},
        {"alpha": 0.5, "rho": 0.9},
        {"alpha": 2.0, "weight_decay": 0.1},
    ],
    "adam": [
        {"alpha": 0.05},
        {"alpha": 0.05, "beta1": 0.5, "beta2": 0.9},
        {"alpha": 0.05, "beta1": 0.0, "beta2": 0.99},
        {"alpha": 0.03, "eps": 1e-3},
        {"alpha": 0.05, "weight_decay": 0.1},
        {"alpha": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "amsgrad": [
        {"alpha": 0.05},
        {"alpha": 0.05, "beta1": 0.8, "beta2": 0.9},
        {"alpha": 0.05, "eps": 1e-4, "weight_decay": 0.05},
    ],
    "adamw": [
        {"alpha": 0.05},
        {"alpha": 0.05, "weight_decay": 0.3},
        {"alpha": 0.05, "beta1": 0.7, "beta2": 0.95, "eps": 1e-5, "weight_decay": 0.0},
    ],
    "adamax": [
        {"alpha": 0.05},
        {"alpha": 0.05, "beta1": 0.5, "beta2": 0.9},
        {"alpha": 0.05, "eps": 1e-3, "weight_decay": 0.1},
    ],
    "nadam": [
        {"alpha": 0.05},
        {"alpha": 0.05, "momentum_decay": 0.02},
        {"alpha": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-5},
        {"alpha": 0.05, "weight_decay": 0.1},
        {"alpha": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "radam": [
        # ρ_t > 5 (torch's rectified step) from round 6 for every β2 ≥ 0.9; smaller β2 delays it
        {"alpha": 0.05},  # β2 = 0.999: rounds 1-5 un-rectified, rectified from round 6
        {"alpha": 0.05, "beta2": 0.9},  # ρ_∞ = 19: rectified from round 6, r_t well below 1 for a while
        {"alpha": 0.05, "beta1": 0.5, "beta2": 0.8, "eps": 1e-4},  # ρ_∞ = 9: from round 7
        {"alpha": 0.05, "beta2": 0.7},  # ρ_∞ = 5.67, just above the threshold: from round 10, r_t small
        {"alpha": 0.05, "beta2": 0.6},  # ρ_∞ = 4: never rectified (momentum SGD with bias correction)
        {"alpha": 0.05, "weight_decay": 0.1},
        {"alpha": 0.05, "beta2": 0.95, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "adabound": [
        {"alpha": 0.01},
        {"alpha": 0.05, "final_lr": 0.02, "gamma": 0.01},
        {"alpha": 0.01, "final_lr": 0.1, "gamma": 0.1, "beta1": 0.8, "beta2": 0.99},
        {"alpha": 0.02, "final_lr": 0.05, "weight_decay": 0.1, "eps": 1e-4},
    ],
    "amsbound": [
        {"alpha": 0.01},
        {"alpha": 0.05, "final_lr": 0.02, "gamma": 0.01},
        {"alpha": 0.01, "final_lr": 0.1, "gamma": 0.1, "beta1": 0.8, "beta2": 0.99},
        {"alpha": 0.02, "final_lr": 0.05, "weight_decay": 0.1, "eps": 1e-4},
    ],
}

PARAMS = [
    pytest.param(n, hp, id=f"{n}-{'-'.join(f'{k}={v}' for k, v in hp.items()) or 'defaults'}")
    for n, cases in CASES.items()
    for hp in cases
]


@pytest.mark.parametrize("name,hp", PARAMS)
def test_trajectory_matches_reference(name, hp):
    ref = torch_trajectory(name, hp)
    ours = oco_trajectory(name, hp)[:, 0, :]
    assert np.max(np.abs(ref - X0)) > 0.1, "the trajectory should actually move"
    err = rel_err(ours, ref)
    assert err <= TOL, f"{name} {hp}: max relative error {err:.3g}"


def test_lr_alias():
    hp = {"lr": 0.05, "beta1": 0.8}
    ours = oco.simulate(
        PROBLEM, "adam", T=50, convention="torch", domain="none", x0=X0, checkpoint_every=1, **hp
    )
    assert (
        rel_err(ours.checkpoints.x[:, 0, :], torch_trajectory("adam", {"alpha": 0.05, "beta1": 0.8}, T=50))
        <= TOL
    )


@pytest.mark.parametrize(
    "beta2,first_rectified", [(0.999, 6), (0.95, 6), (0.9, 6), (0.8, 7), (0.7, 10), (0.6, None)]
)
def test_radam_cases_cover_both_branches(beta2, first_rectified):
    """The RAdam cases above take the un-rectified step (ρ_t ≤ 5) for the first rounds, then the rectified one
    (or, for β2 = 0.6, never) — in torch.optim.RAdam and in oco's torch convention alike. With the constant
    gradient g = (1, 100) the un-rectified step lr·m̂ = lr·g is 100 times larger on the second coordinate; the
    rectified one, lr·r_t·m̂·√(1 − β2^t)/(√v + ε), is about the same on both (v = (1 − β2^t)g²)."""
    from sequences import Sequence

    n, g, lr = 15, np.array([1.0, 100.0]), 0.01
    with float64_default():
        p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RAdam([p], lr=lr, betas=(0.9, beta2), foreach=False)
        xs = [np.zeros(2)]
        for _ in range(n):
            p.grad = torch.from_numpy(g.copy())
            opt.step()
            xs.append(p.detach().numpy().copy())
    theirs = -np.diff(np.array(xs), axis=0)
    r = oco.simulate(Sequence(np.tile(g, (n, 1))), "radam", T=n, convention="torch", domain="none", x0=np.zeros(2),
                     checkpoint_every=1, alpha=lr, beta2=beta2)
    ours = -np.diff(np.concatenate([np.zeros((1, 2)), r.checkpoints.x[:, 0, :]]), axis=0)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    for steps in (theirs, ours):
        ratio = steps[:, 1] / steps[:, 0]
        assert np.all((np.abs(ratio - 100) < 1e-6) | (ratio < 2)), ratio  # one branch or the other, each round
        rectified = ratio < 2
        got = int(np.argmax(rectified)) + 1 if rectified.any() else None
        assert got == first_rectified
        if got is not None:
            assert rectified[got - 1:].all()


# ---------------------------------------------------------------- a batch: every row its own reference run
BATCHES = {
    "sgd": {
        "alpha": np.array([0.05, 0.03, 0.02, 0.05]),
        "momentum": np.array([0.0, 0.9, 0.5, 0.0]),
        "dampening": np.array([0.5, 0.0, 0.3, 0.0]),
        "weight_decay": np.array([0.0, 0.1, 0.0, 0.05]),
    },
    "rmsprop": {
        "alpha": np.array([0.01, 0.005, 0.01, 0.002]),
        "beta2": np.array([0.99, 0.9, 0.95, 0.8]),
        "momentum": np.array([0.0, 0.9, 0.0, 0.5]),
        "eps": np.array([1e-8, 1e-6, 1e-4, 1e-8]),
        "centered": True,
    },
    "adam": {
        "alpha": np.array([0.05, 0.01, 0.1, 0.03, 0.05]),
        "beta1": np.array([0.9, 0.5, 0.0, 0.8, 0.95]),
        "beta2": np.array([0.999, 0.9, 0.99, 0.95, 0.999]),
        "eps": np.array([1e-8, 1e-4, 1e-6, 1e-8, 1e-3]),
        "weight_decay": np.array([0.0, 0.1, 0.0, 0.05, 0.2]),
    },
    "adagrad": {
        "alpha": np.array([0.3, 0.5, 0.1]),
        "lr_decay": np.array([0.0, 0.01, 0.001]),
        "initial_accumulator_value": np.array([0.0, 0.5, 0.1]),
        "weight_decay": np.array([0.0, 0.0, 0.1]),
    },
    "radam": {
        "alpha": np.array([0.05, 0.02, 0.05]),
        "beta2": np.array([0.999, 0.9, 0.8]),
        "weight_decay": np.array([0.0, 0.1, 0.05]),
        "decoupled_weight_decay": True,
    },
    "amsbound": {
        "alpha": np.array([0.01, 0.05, 0.02]),
        "final_lr": np.array([0.1, 0.02, 0.05]),
        "gamma": np.array([1e-3, 1e-2, 1e-1]),
        "weight_decay": np.array([0.0, 0.1, 0.0]),
    },
}


@pytest.mark.parametrize("name", list(BATCHES))
def test_batch_rows_match_their_own_reference(name):
    hp = BATCHES[name]
    B = max(np.size(v) for v in hp.values())
    x0 = X0 + np.linspace(-0.5, 0.5, B)[:, None]  # a different start per row, too
    ours = oco_trajectory(name, hp, x0=x0)
    assert ours.shape == (T, B, D)
    for b in range(B):
        row = {k: (v[b].item() if isinstance(v, np.ndarray) else v) for k, v in hp.items()}
        err = rel_err(ours[:, b, :], torch_trajectory(name, row, x0=x0[b]))
        assert err <= TOL, f"{name} row {b} {row}: max relative error {err:.3g}"


# ---------------------------------------------------------------- defaults
TORCH_NAMES = {"alpha": "lr", "beta2": None, "beta1": None}


@pytest.mark.parametrize("name", list(CASES))
def test_defaults_match(name):
    """Our torch-convention defaults are the reference's defaults (beta1/beta2 against betas; rmsprop's beta2
    against torch's alpha)."""
    with float64_default(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        opt = reference(name, {}, [torch.zeros(D, requires_grad=True)])
    theirs = opt.defaults
    mine = {k: v.default for k, v in get_method(name, "torch").hypers.items()}
    checked = 0
    for k, v in mine.items():
        key = {"alpha": "lr"}.get(k, k)
        if name == "rmsprop" and k == "beta2":
            key = "alpha"
        if k in ("beta1", "beta2") and name != "rmsprop":
            assert theirs["betas"][0 if k == "beta1" else 1] == v, (name, k)
            checked += 1
        elif key in theirs:
            assert theirs[key] == v, (name, k, theirs[key], v)
            checked += 1
    assert checked >= 2
