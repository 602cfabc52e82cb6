"""Every built-in problem on the compiled backend: its declared loss piece, compiled, gives the NumPy engine's
numbers bit for bit (the kernel sums coordinates as NumPy does, pairwise); ``auto`` takes a cached kernel at
any horizon, and the choice never changes a number."""

import numpy as np
import pytest

import oco
from oco import backends
from oco.methods.ops import absolute, clip, where
from oco.problems import PROBLEMS, get_problem
from oco.problems.base import Margin, Problem, Separable

pytest.importorskip("numba")


def _same(a, b):
    np.testing.assert_array_equal(a.x_final, b.x_final)
    np.testing.assert_array_equal(a.cumulative_loss, b.cumulative_loss)
    np.testing.assert_array_equal(a.checkpoints.x, b.checkpoints.x)
    np.testing.assert_array_equal(a.checkpoints.avg_regret, b.checkpoints.avg_regret)
    np.testing.assert_array_equal(a.lr_min, b.lr_min)
    np.testing.assert_array_equal(a.gamma_negative_rounds, b.gamma_negative_rounds)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)


def test_every_built_in_problem_declares_a_compilable_loss():
    for name, cls in PROBLEMS.items():
        p = get_problem(name)
        assert backends.compiled_loss(p) is not None, name
        assert backends.REGISTRY["numba"].supports(p, p.default_domain()) is None, name


# (problem, parameters, domain): every loss kind — linear (1-D and d-dimensional), separable (Zhang's
# piecewise example in all three orders, the stochastic quadratics on the box and the ball), margin (logistic
# regression in its three orders)
CASES = [
    ("reddi-online", {}, None),
    ("sparse-gradients", {"d": 20}, None),
    ("zhang-divergence", {}, None),
    ("zhang-divergence", {"order": "shuffle"}, None),
    ("zhang-divergence", {"order": "sample", "n": 5}, None),
    ("stochastic-quadratic", {}, None),
    ("stochastic-quadratic", {"d": 3}, "ball"),
    ("logistic-goog", {}, None),
    ("logistic-goog", {"order": "sample"}, "none"),
]


@pytest.mark.parametrize("name, params, domain", CASES)
@pytest.mark.parametrize("batch", [1, 12])
def test_compiled_problem_equals_numpy_bit_for_bit(name, params, domain, batch):
    """One configuration (the split or per-configuration form) and a batch over several data seeds (by
    round, or in passes for d > 1), with β2 per configuration so that a diverging one sits beside others."""
    p = get_problem(name, **params)
    kw = dict(T=1500, seed=np.arange(batch) % 3, beta2=np.linspace(0.1, 0.999, batch), checkpoints=7,
              schedule="sqrt", alpha=0.1)
    if domain is not None:
        kw["domain"] = domain
    method = "adam" if batch == 1 else "amsgrad"
    _same(oco.simulate(p, method, backend="numpy", **kw), oco.simulate(p, method, backend="numba", **kw))


@pytest.mark.parametrize("name", ["stochastic-quadratic", "sparse-gradients"])
def test_a_few_thousand_coordinates(name):
    """d = 3000: the pairwise sum's halving (above 128 elements) and the passes form, exactly."""
    p = get_problem(name, d=3000)
    kw = dict(T=40, seed=np.array([0, 1, 2]), alpha=np.array([0.01, 0.1, 1.0]), checkpoints=5)
    _same(oco.simulate(p, "adam", backend="numpy", **kw), oco.simulate(p, "adam", backend="numba", **kw))


def test_the_kernels_sum_is_numpys_sum():
    """rowsum(a, n) == np.sum(a) bit for bit: blocks of 8 accumulators up to 128, halving above."""
    from oco.backends.numba.shared import load_shared

    ops = load_shared()
    rng = np.random.default_rng(5)
    for n in [*range(1, 300), 1000, 1024, 2047, 5000, 70001]:
        a = rng.normal(size=n) * 10.0 ** rng.uniform(-8, 8, size=n)
        assert ops.rowsum(a, n) == np.sum(a[None, :], axis=-1)[0], n


def huber(x, b):
    """f = ½r² for |r| <= 1, |r| − ½ beyond; f' = clip(r, −1, 1), r = x − b."""
    r = x - b
    return where(absolute(r) <= 1.0, 0.5 * (r * r), absolute(r) - 0.5), clip(r, -1.0, 1.0)


class Huber(Problem):
    """A user's problem declaring its loss as a piece: compiled like the built-ins."""

    name = "huber"
    linear = False
    loss = Separable(huber, fields=1)
    d = 2

    def data(self, seed, t0, n):
        return np.random.default_rng(seed + t0).normal(0.3, 1.0, (n, 2))


def test_a_users_separable_loss_compiles_too():
    p = Huber()
    f, g = p.loss_grad(np.array([[0.0, 3.0]]), np.array([[0.5, 0.0]]))
    assert f[0] == 0.125 + 2.5 and list(g[0]) == [-0.5, 1.0]  # by hand
    kw = dict(T=300, seed=np.array([0, 1]), alpha=np.array([0.1, 0.5]), domain="none")
    _same(oco.simulate(p, "adam", backend="numpy", **kw), oco.simulate(p, "adam", backend="numba", **kw))


def test_margin_is_logistic_regression_as_written():
    """The declared Margin loss is log(1 + e^{−y⟨a, x⟩}) with gradient −y σ(−y⟨a, x⟩) a (direct formula)."""
    p = get_problem("logistic-goog")
    assert isinstance(p.loss, Margin)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, p.d))
    data = p.data(0, 1, 4)
    f, g = p.loss_grad(x, data)
    a, y = data[:, :-1], data[:, -1]
    z = y * np.einsum("ij,ij->i", a, x)
    np.testing.assert_allclose(f, np.log1p(np.exp(-z)), rtol=1e-14)
    np.testing.assert_allclose(g, (-y / (1 + np.exp(z)))[:, None] * a, rtol=1e-13)


def test_auto_takes_a_cached_kernel_at_any_horizon_and_the_numbers_do_not_change():
    p = get_problem("reddi-online")
    kw = dict(T=200, alpha=0.5, seed=0, beta2=0.99)
    m = oco.methods.get_method("adam")
    h, _ = m.resolve({"alpha": 0.5, "beta2": 0.99}, batch=None)
    x0 = np.ones((1, 1))
    # a short run is worth less than a compilation: numpy, until the kernel is cached
    first = oco.simulate(p, "adam", **kw)
    oco.simulate(p, "adam", backend="numba", **kw)  # compiles and caches this kernel
    seeds = np.zeros(1, np.int64)
    from oco.backends.numba import cached

    assert cached(p, m, h, seeds, np.zeros((1, 1)), p.default_domain())
    chosen, why = backends.choose("auto", p, p.default_domain(), 200, m, h, seeds, x0)
    assert chosen.name == "numba" and why is None
    _same(first, oco.simulate(p, "adam", **kw))
    # without the method (or for a run of another form) only the estimate counts
    assert backends.choose("auto", p, p.default_domain(), 200)[0].name == "numpy"
    assert backends.choose("auto", p, p.default_domain(), 10**7)[0].name == "numba"
