"""The sign methods, AdEMAMix and the authors' conventions against independent references and packages.

- Lion, signSGD, Signum, AdEMAMix (paper and authors), and the authors' released Yogi, Padam and AdaBelief: each
  against its scalar reference in ``references_sign_and_authors.py`` (written from the paper or the released
  code), on a gradient sequence that depends on the iterate (a random quadratic, R^d) and on linear losses on a
  box; and, where a released package installs here, against the package itself (lion-pytorch's Lion,
  adabelief-pytorch's AdaBelief with its defaults, pytorch_optimizer's AdEMAMix and SignSGD), float64, to 1e-10
  relative.
- Each of these rows (and ADOPT's and AdaBound/AMSBound's paper rows) runs 2000 rounds at its defaults on a
  benign problem, in a box and unconstrained, without diverging.
- The ``authors`` convention is listed and explained, and ``oco show`` prints each row's formula and source.

Error measure: max over rounds and coordinates of |x_oco − x_ref| / max(|x_ref|, 1).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from oco.problems.base import Problem
from references_sign_and_authors import SIGN_AND_AUTHORS
from sequences import Sequence

import oco
from oco.catalog import CONVENTION_HELP, describe
from oco.methods import CONVENTIONS, conventions_of, get_method

TOL = 1e-10
T = 300
D = 4
X0 = np.array([1.5, -2.0, 0.3, 3.0])


class Quadratic(Problem):
    """f_t(x) = ½ Σ_i a_{t,i}(x_i − c_{t,i})², a_t ∈ [0.2, 3], c_t ~ N(μ_i, 1): ∇f_t = a_t(x − c_t) depends on x."""

    name = "sign-and-authors-quadratic"
    linear = False

    def __init__(self, T: int = T, d: int = D, seed: int = 13):
        rng = np.random.default_rng(seed)
        self.d = d
        self.a = rng.uniform(0.2, 3.0, (T, d))
        self.c = rng.normal(np.linspace(-1.0, 2.0, d), 1.0, (T, d))
        self.table = np.concatenate([self.a, self.c], axis=1)

    def data(self, seed, t0, n):
        return self.table[t0 - 1 : t0 - 1 + n]

    def loss_grad(self, x, data):
        a, c = data[..., : self.d], data[..., self.d :]
        r = x - c
        return 0.5 * np.sum(a * r * r, axis=-1), a * r

    def grad(self, t: int, x: np.ndarray) -> np.ndarray:
        """∇f_t(x), t 1-based."""
        return self.a[t - 1] * (x - self.c[t - 1])

    def hindsight(self, seed, ts, domain):
        idx = np.asarray(ts, dtype=np.int64) - 1
        sa, sac, sacc = (np.cumsum(z, axis=0)[idx] for z in (self.a, self.a * self.c, self.a * self.c**2))
        xstar = sac / sa
        return 0.5 * np.sum(sacc - sac * xstar, axis=-1), xstar


PROBLEM = Quadratic()


def rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    assert ours.shape == ref.shape
    assert np.all(np.isfinite(ref))
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)))


def oco_quadratic(name, convention, hp, T=T, x0=X0):
    """oco's x_2 … x_{T+1} on the quadratic, (T, d)."""
    r = oco.simulate(PROBLEM, name, T=T, convention=convention, domain="none", x0=x0, checkpoint_every=1, **hp)
    assert not r.diverged.any()
    return r.checkpoints.x[:, 0, :]


def reference_quadratic(name, convention, hp, T=T, x0=X0):
    """The scalar reference's x_2 … x_{T+1} on the quadratic, each coordinate fed the gradient at its own iterate."""
    ref = SIGN_AND_AUTHORS[(name, convention)]
    out = np.empty((T, len(x0)))
    for j in range(len(x0)):
        step, state, x = ref.stepper(hp), {}, float(x0[j])
        for t in range(1, T + 1):
            g = float(PROBLEM.a[t - 1, j] * (x - PROBLEM.c[t - 1, j]))
            x, _ = step(state, t, g, x)
            out[t - 1, j] = x
    return out


# ---------------------------------------------------------------- the scalar references
CASES = {
    ("signsgd", "paper"): [{}, {"alpha": 0.05}, {"alpha": 0.2, "schedule": "sqrt"}],
    ("signum", "paper"): [
        {},
        {"alpha": 0.05, "beta1": 0.5},
        {"alpha": 0.05, "beta1_schedule": "exp", "lam": 0.99},
        {"alpha": 0.1, "schedule": "sgdr", "sgdr_t0": 50},
    ],
    ("lion", "paper"): [
        {},
        {"alpha": 0.01},
        {"alpha": 0.01, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.5},
        {"alpha": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": False},
    ],
    ("ademamix", "paper"): [
        {},
        {"alpha": 0.05},
        {"alpha": 0.05, "beta3_warmup": 200, "mix_warmup": 150, "weight_decay": 0.1},
        {"alpha": 0.05, "beta1": 0.0, "beta3_warmup": 100, "mix": 8.0},
        {"alpha": 0.05, "beta3": 0.999, "eps": 1e-4, "weight_decay": 0.1, "decoupled_weight_decay": False},
    ],
    ("ademamix", "authors"): [
        {},
        {"alpha": 0.05},
        {"alpha": 0.05, "beta3_warmup": 200, "mix_warmup": 150, "weight_decay": 0.1},
        {"alpha": 0.05, "beta1": 0.0, "beta3_warmup": 100, "mix": 8.0},
    ],
    ("yogi", "authors"): [
        {},
        {"alpha": 0.05, "beta1": 0.5, "beta2": 0.9},
        {"alpha": 0.05, "eps": 1e-6, "v0": 0.1},
        {"alpha": 0.05, "beta1": 0.0},
        {"alpha": 0.1, "schedule": "sqrt"},
    ],
    ("padam", "authors"): [
        {},
        {"alpha": 0.05, "p": 0.125},
        {"alpha": 0.05, "amsgrad": False},
        {"alpha": 0.05, "weight_decay": 0.1, "eps": 1e-4, "p": 0.5},
    ],
    ("adabelief", "authors"): [
        {},
        {"alpha": 0.05},
        {"alpha": 0.05, "beta2": 0.9},
        {"alpha": 0.05, "beta2": 0.7},  # ρ_∞ = 5.67: rectified only from round 10
        {"alpha": 0.05, "rectify": False},
        {"alpha": 0.05, "degenerated_to_sgd": False},
        {"alpha": 0.05, "weight_decay": 0.1},
        {"alpha": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": False},
    ],
}
PARAMS = [pytest.param(n, c, hp, id=f"{n}:{c}-{'-'.join(f'{k}={v}' for k, v in hp.items()) or 'defaults'}")
          for (n, c), cases in CASES.items() for hp in cases]


def test_every_row_here_has_reference_cases():
    assert set(CASES) == set(SIGN_AND_AUTHORS)
    for name, conv in SIGN_AND_AUTHORS:
        m = get_method(name, conv)
        defaults = SIGN_AND_AUTHORS[(name, conv)].defaults
        for k, v in defaults.items():  # the reference's own defaults (each from its source) are the row's
            assert m.hypers[k].default == v, f"{name}:{conv} default {k}: row {m.hypers[k].default!r}, source {v!r}"


@pytest.mark.parametrize("name,convention,hp", PARAMS)
def test_row_matches_its_reference_on_an_iterate_dependent_sequence(name, convention, hp):
    ours = oco_quadratic(name, convention, hp)
    ref = reference_quadratic(name, convention, hp)
    if hp.get("alpha", get_method(name, convention).hypers["alpha"].default) >= 0.01:
        assert np.max(np.abs(ref - X0)) > 0.1, "the trajectory should actually move"
    err = rel_err(ours, ref)
    assert err <= TOL, f"{name}:{convention} {hp}: max relative error {err:.3g}"


@pytest.mark.parametrize("name,convention", list(SIGN_AND_AUTHORS))
def test_row_matches_its_reference_on_a_box_with_batch(name, convention):
    """Linear losses on [−1, 1]^3, three configurations in one batch (the step size varies), projections active."""
    rng = np.random.default_rng(5)
    g = rng.normal(0.3, 1.0, (400, 3)) * np.array([1e-3, 1.0, 30.0])
    alphas = np.array([get_method(name, convention).hypers["alpha"].default, 0.05, 0.3])
    x0 = np.array([0.5, -0.2, 0.9])
    r = oco.simulate(Sequence(g), name, T=400, convention=convention, x0=x0, checkpoint_every=1, alpha=alphas)
    ref = SIGN_AND_AUTHORS[(name, convention)]
    for b, a in enumerate(alphas):
        etas = []
        want = ref(g, x0, {"alpha": float(a)}, (-1.0, 1.0), etas)[1:]
        err = rel_err(r.checkpoints.x[:, b, :], want)
        assert err <= TOL, f"{name}:{convention} alpha={a}: max relative error {err:.3g}"
        assert np.all(np.abs(want) <= 1.0)
        assert len(etas) == 400
    assert np.any(np.abs(r.checkpoints.x) == 1.0), "the box should bind somewhere"


# ---------------------------------------------------------------- the released packages themselves
@contextlib.contextmanager
def float64_default(torch):
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def package_trajectory(make_opt, T=T, x0=X0):
    """x after each step() of the optimizer make_opt([p]) on the quadratic, (T, d), float64."""
    torch = pytest.importorskip("torch")
    with float64_default(torch), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        opt = make_opt([p])
        out = np.empty((T, len(x0)))
        for t in range(1, T + 1):
            p.grad = torch.from_numpy(PROBLEM.grad(t, p.detach().numpy().copy()))
            opt.step()
            out[t - 1] = p.detach().numpy()
    return out


def _lion(hp):
    lion_pytorch = pytest.importorskip("lion_pytorch")
    m = {**{k: h.default for k, h in get_method("lion").hypers.items()}, **hp}
    return lambda ps: lion_pytorch.Lion(ps, lr=m["alpha"], betas=(m["beta1"], m["beta2"]),
                                        weight_decay=m["weight_decay"])


def _adabelief(hp):
    adabelief_pytorch = pytest.importorskip("adabelief_pytorch")
    kw = {"lr": hp["alpha"]} if "alpha" in hp else {}
    if "beta2" in hp:
        kw["betas"] = (0.9, hp["beta2"])
    for ours, theirs in [("weight_decay", "weight_decay"), ("decoupled_weight_decay", "weight_decouple"),
                         ("rectify", "rectify"), ("degenerated_to_sgd", "degenerated_to_sgd")]:
        if ours in hp:
            kw[theirs] = hp[ours]
    return lambda ps: adabelief_pytorch.AdaBelief(ps, print_change_log=False, **kw)  # its defaults otherwise


def _ademamix_po(hp):
    po = pytest.importorskip("pytorch_optimizer")
    m = {**{k: h.default for k, h in get_method("ademamix").hypers.items()}, **hp}
    assert m["beta3_warmup"] == m["mix_warmup"]  # pytorch_optimizer has one warm-up for both
    return lambda ps: po.AdEMAMix(ps, lr=m["alpha"], betas=(m["beta1"], m["beta2"], m["beta3"]),
                                  weight_decay=m["weight_decay"], weight_decouple=True, alpha=m["mix"],
                                  t_alpha_beta3=m["beta3_warmup"] or None, eps=m["eps"], foreach=False)


def _signsgd_po(hp, name):
    po = pytest.importorskip("pytorch_optimizer")
    m = {**{k: h.default for k, h in get_method(name).hypers.items()}, **hp}
    momentum = m["beta1"] if name == "signum" else 0.0
    return lambda ps: po.SignSGD(ps, lr=m["alpha"], momentum=momentum, weight_decay=0.0, foreach=False)


PACKAGE_CASES = [
    ("lion", "paper", {}, _lion),
    ("lion", "paper", {"alpha": 0.01, "beta1": 0.5, "beta2": 0.9}, _lion),
    ("lion", "paper", {"alpha": 0.01, "weight_decay": 0.5}, _lion),
    ("adabelief", "authors", {}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05, "beta2": 0.7}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05, "rectify": False}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05, "degenerated_to_sgd": False}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05, "weight_decay": 0.1}, _adabelief),
    ("adabelief", "authors", {"alpha": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": False}, _adabelief),
    ("ademamix", "paper", {"alpha": 0.05}, _ademamix_po),
    ("ademamix", "paper", {"alpha": 0.05, "beta3_warmup": 200, "mix_warmup": 200, "weight_decay": 0.1},
     _ademamix_po),
    ("ademamix", "paper", {"alpha": 0.05, "beta1": 0.5, "beta3_warmup": 1000, "mix_warmup": 1000, "mix": 8.0},
     _ademamix_po),
    ("signsgd", "paper", {"alpha": 0.05}, lambda hp: _signsgd_po(hp, "signsgd")),
    ("signum", "paper", {"alpha": 0.05}, lambda hp: _signsgd_po(hp, "signum")),
    ("signum", "paper", {"alpha": 0.05, "beta1": 0.5}, lambda hp: _signsgd_po(hp, "signum")),
]


@pytest.mark.parametrize("name,convention,hp,make", [
    pytest.param(*c, id=f"{c[0]}:{c[1]}-{'-'.join(f'{k}={v}' for k, v in c[2].items()) or 'defaults'}")
    for c in PACKAGE_CASES])
def test_row_matches_the_released_package(name, convention, hp, make):
    opt = make(hp)
    ref = package_trajectory(opt)
    ours = oco_quadratic(name, convention, hp)
    err = rel_err(ours, ref)
    assert err <= TOL, f"{name}:{convention} {hp}: max relative error {err:.3g} against the package"


# ---------------------------------------------------------------- 2000 rounds at the defaults
ROWS = [*SIGN_AND_AUTHORS, ("adopt", "paper"), ("adabound", "paper"), ("amsbound", "paper")]


@pytest.mark.parametrize("name,convention", ROWS)
@pytest.mark.parametrize("domain", ["box", "none"])
def test_rows_run_2000_rounds_at_their_defaults_without_diverging(name, convention, domain):
    r = oco.simulate("stochastic-quadratic", name, T=2000, convention=convention, domain=domain, seed=[0, 1])
    assert not r.diverged.any()
    assert np.all(np.isfinite(r.x_final)) and np.all(np.isfinite(r.avg_regret))
    assert np.all(np.abs(r.x_final) < 10.0)


# ---------------------------------------------------------------- the convention and oco show
def test_authors_convention_is_listed_and_explained():
    assert "authors" in CONVENTIONS and "authors" in CONVENTION_HELP
    for name in ("yogi", "padam", "adabelief", "ademamix"):
        assert conventions_of(name)[:1] == ["paper"] and "authors" in conventions_of(name)
    for name, conv in ROWS:
        m = get_method(name, conv)
        assert m.formula and m.source and m.summary
        text = describe(name)
        assert m.formula in text and m.source in text
    with pytest.raises(ValueError, match="no 'authors' convention"):
        get_method("adam", "authors")
