"""Property-based tests (hypothesis) of the invariants every run must keep."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sequences import Sequence

import oco
from oco.projections import Ball, Box
from oco.problems.base import PeriodicLinear, Problem, linear_sums

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


finite = st.floats(-1e3, 1e3, allow_nan=False)
seqs = st.integers(1, 4).flatmap(
    lambda d: st.lists(st.lists(finite, min_size=d, max_size=d), min_size=1, max_size=40)
)
domains = st.sampled_from([Box(-1, 1), Box(-0.5, 2.0), Ball(1.0), Ball(0.3)])
methods = st.sampled_from([(n, c) for n in oco.method_names() for c in oco.methods.conventions_of(n)])


@SETTINGS
@given(seqs, domains, methods)
def test_iterates_always_lie_in_the_feasible_set(g, domain, mc):
    name, convention = mc
    p = Sequence(g)
    r = oco.simulate(p, name, T=len(g), convention=convention, domain=domain, checkpoint_every=1)
    x = r.checkpoints.x.reshape(-1, p.d)
    ok = r.diverged[0] or np.all(domain.contains(x, tol=1e-12))
    assert ok


@SETTINGS
@given(seqs, domains, methods)
def test_regret_is_the_closed_form_on_linear_losses(g, domain, mc):
    """R_T = Σ ⟨g_t, x_t⟩ − min_{x∈F} ⟨G_T, x⟩, and R_T ≥ min over F of the same sum (x_t ∈ F)."""
    name, convention = mc
    p = Sequence(g)
    T = len(g)
    r = oco.simulate(p, name, T=T, convention=convention, domain=domain, checkpoint_every=1)
    if r.diverged[0]:
        return
    x1 = p.default_x0(domain)[None, :]
    xs = np.concatenate([x1, r.checkpoints.x[:-1, 0]])  # x_t played at round t
    loss = math.fsum(float(v) for v in np.sum(p.g * xs, axis=1))

    def min_over_F(G):  # min_{x∈F} ⟨G, x⟩ in closed form
        if isinstance(domain, Box):
            return float(np.sum(np.minimum(G * np.asarray(domain.lo), G * np.asarray(domain.hi)), axis=-1).sum())
        return -domain.radius * float(np.linalg.norm(G))

    best = min_over_F(p.g.sum(axis=0))
    scale = 1 + np.sum(np.abs(p.g))
    assert r.regret[0] == pytest.approx(loss - best, abs=1e-11 * scale)
    # each round costs at least min_F f_t, so R_T ≥ Σ_t min_F f_t − min_F Σ_t f_t
    assert r.regret[0] >= sum(min_over_F(gt) for gt in p.g) - best - 1e-11 * scale


@SETTINGS
@given(
    st.lists(st.lists(st.floats(-10, 10), min_size=3, max_size=3), min_size=1, max_size=30),
    st.lists(st.floats(1e-3, 1e3), min_size=3, max_size=3),
    domains,
)
def test_projections_are_idempotent_and_keep_feasible_points(ys, w, domain):
    y = np.array(ys)
    w = np.broadcast_to(np.array(w), y.shape)
    x = domain.project(y, w)
    assert np.all(domain.contains(x, tol=1e-12))
    np.testing.assert_allclose(domain.project(x, w), x, rtol=1e-12, atol=1e-13)
    inside = domain.contains(y)
    np.testing.assert_array_equal(x[inside], y[inside])


@SETTINGS
@given(
    st.sampled_from(["adam", "amsgrad", "adamnc", "rmsprop", "adagrad"]),
    st.floats(-150, 150),
    st.floats(0.0, 0.95),
    st.floats(0.5, 0.999),
)
def test_paper_forms_are_invariant_to_gradient_scale(name, log10c, beta1, beta2):
    """With ε = 0 the paper-form Adam family depends on g only through m/√v: scaling g by any c > 0
    (1e-150 … 1e150, no overflow) leaves the trajectory unchanged."""
    c = 10.0**log10c
    hp = {} if name in ("rmsprop", "adagrad") else {"beta1": beta1}
    if name in ("adam", "amsgrad", "rmsprop"):
        hp["beta2"] = beta2
    a = oco.simulate(PeriodicLinear(1010, -10, 101), name, T=300, alpha=0.3, checkpoint_every=1, **hp)
    b = oco.simulate(PeriodicLinear(1010 * c, -10 * c, 101), name, T=300, alpha=0.3, checkpoint_every=1, **hp)
    assert not b.diverged[0]
    np.testing.assert_allclose(b.checkpoints.x, a.checkpoints.x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.regret / c, a.regret, rtol=1e-9)


def test_comparator_sum_is_accurate_over_a_hundred_million_rounds():
    """Σ_{t≤1e8} 0.1 computed block-wise with compensation equals the exact sum of fl(0.1), to 1 ulp."""

    class Tenth(Problem):
        name = "tenth"

        def data(self, seed, t0, n):
            return np.full((n, 1), 0.1)

    T = 100_000_000
    G = linear_sums(Tenth(), 0, np.array([T]), chunk=1 << 20)[0, 0]
    exact = float(Fraction(0.1) * T)
    assert G == exact or abs(G - exact) <= math.ulp(exact)
    assert abs(float(np.cumsum(np.full(1 << 20, 0.1))[-1] * (T / (1 << 20))) - exact) > abs(G - exact)
