"""The engine: identities between methods, an independent scalar loop, batching, validation, projections."""

import math

import numpy as np
import pytest
from sequences import Sequence

import oco
from oco.projections import Ball, Box, Unconstrained
from oco.problems.base import PeriodicLinear

REDDI = dict(beta1=0.9, beta2=0.99, schedule="sqrt")


def random_sequence(T=300, d=3, seed=1, scale=None):
    rng = np.random.default_rng(seed)
    scale = rng.lognormal(0, 2, d) if scale is None else scale
    return Sequence(rng.normal(0.3, 1, (T, d)) * scale)


def traj(problem, method, T, **kw):
    return oco.simulate(problem, method, T=T, checkpoint_every=1, **kw).checkpoints.x


# ---------------------------------------------------------------- identities between special cases
def test_rmsprop_is_adam_with_beta1_zero():
    p = random_sequence()
    a = traj(p, "rmsprop", 300, alpha=0.05, beta2=0.9)
    b = traj(p, "adam", 300, alpha=0.05, beta1=0.0, beta2=0.9)
    np.testing.assert_array_equal(a, b)


def test_adagrad_is_adamnc_with_beta1_zero():
    p = random_sequence()
    a = traj(p, "adagrad", 300, alpha=0.3)
    b = traj(p, "adamnc", 300, alpha=0.3, beta1=0.0)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adabound_with_collapsed_bounds_is_sgd_with_momentum():
    """η_l = η_u = α*: AdaBound's rate is α* everywhere, i.e. SGD(M) with dampening β1."""
    p = random_sequence()
    a = traj(p, "adabound", 300, final_lr=0.02, gamma=math.inf, beta1=0.8, schedule="const", domain="none")
    b = traj(p, "sgd", 300, alpha=0.02, momentum=0.8, dampening=0.8, domain="none")
    np.testing.assert_array_equal(a, b)


def test_amsgrad_equals_adam_when_v_is_nondecreasing():
    T = 200
    t = np.arange(1, T + 1)
    p = Sequence(((-1.0) ** t * (1 + 0.01 * t))[:, None])  # |g_t| increasing ⇒ v_t increasing
    a = traj(p, "amsgrad", T, alpha=0.1, beta1=0.5, beta2=0.9)
    b = traj(p, "adam", T, alpha=0.1, beta1=0.5, beta2=0.9, schedule="sqrt")
    np.testing.assert_array_equal(a, b)


def test_padam_with_half_power_is_amsgrad():
    p = random_sequence()
    a = traj(p, "padam", 300, alpha=0.05, p=0.5)
    b = traj(p, "amsgrad", 300, alpha=0.05, schedule="const")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_ogd_is_sgd_with_sqrt_schedule():
    p = random_sequence()
    np.testing.assert_array_equal(traj(p, "ogd", 300, alpha=0.2), traj(p, "sgd", 300, alpha=0.2, schedule="sqrt"))


def test_unconstrained_ftrl_with_constant_rate_is_gradient_descent():
    p = random_sequence()
    a = traj(p, "ftrl", 300, alpha=0.01, schedule="const", domain="none", x0=0.5)
    b = traj(p, "sgd", 300, alpha=0.01, domain="none", x0=0.5)
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_torch_adamw_without_decay_is_torch_adam():
    p = random_sequence()
    a = traj(p, "adamw", 300, convention="torch", weight_decay=0.0, domain="none")
    b = traj(p, "adam", 300, convention="torch", domain="none")
    np.testing.assert_array_equal(a, b)
    c = traj(p, "adam", 300, convention="torch", domain="none", weight_decay=0.1, decoupled_weight_decay=True)
    d = traj(p, "adamw", 300, convention="torch", domain="none", weight_decay=0.1)
    np.testing.assert_array_equal(c, d)


def test_adam_paper_is_invariant_to_gradient_scale():
    """With ε = 0, m/√v is homogeneous of degree 0 in g: scaling every gradient leaves the iterates alone."""
    for c in (1e-3, 7.0, 1e5):
        a = traj(PeriodicLinear(1010, -10, 101), "adam", 500, alpha=0.5, **REDDI)
        b = traj(PeriodicLinear(1010 * c, -10 * c, 101), "adam", 500, alpha=0.5, **REDDI)
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- an independent scalar loop
def scalar_reddi(method, T, alpha, b1=0.9, b2=0.99):
    """Reddi et al.'s Adam/AMSGrad on 1010x/−10x, written out as a plain loop."""
    x, m, v, vhat = 0.0, 0.0, 0.0, 0.0
    xs, loss = [], 0.0
    for t in range(1, T + 1):
        g = 1010.0 if t % 101 == 1 else -10.0
        loss += g * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vhat = max(vhat, v)
        denom = math.sqrt(vhat if method == "amsgrad" else v)
        x = min(1.0, max(-1.0, x - (alpha / math.sqrt(t)) / denom * m))
        xs.append(x)
    return np.array(xs), loss


@pytest.mark.parametrize("method", ["adam", "amsgrad"])
def test_paper_forms_match_a_scalar_loop_exactly(method):
    T = 20000
    r = oco.simulate("reddi-online", method, T=T, alpha=0.7, checkpoint_every=1, **REDDI)
    xs, loss = scalar_reddi(method, T, 0.7)
    np.testing.assert_array_equal(r.checkpoints.x[:, 0, 0], xs)
    G = sum(1010.0 if t % 101 == 1 else -10.0 for t in range(1, T + 1))
    assert r.best_fixed_loss[0] == -abs(G)
    assert r.cumulative_loss[0] == pytest.approx(loss, rel=1e-13)


def test_reddi_online_outcome():
    """Reddi et al. Figure 1: Adam is driven to +1 and pays 20/101 per round; AMSGrad (α ≈ 1) heads to −1.

    Adam's excess over 20/101 is the dip after each large gradient, proportional to α_t = α/√t, so the
    regret slope approaches the limit from above as t grows."""
    T = 100_000
    adam = oco.simulate("reddi-online", "adam", T=T, alpha=0.2, checkpoints=[T // 4, T // 2, T], **REDDI)
    assert adam.x_final[0, 0] > 0.99
    R = adam.checkpoints.avg_regret[:, 0] * adam.checkpoints.t
    early, late = (R[1] - R[0]) / (T // 4), (R[2] - R[1]) / (T // 2)
    assert 20 / 101 < late < early and late == pytest.approx(20 / 101, rel=0.15)
    ams = oco.simulate("reddi-online", "amsgrad", T=T, alpha=1.0, checkpoints=[T // 4, T // 2, T], **REDDI)
    assert ams.x_final[0, 0] < -0.95
    R = ams.checkpoints.avg_regret[:, 0] * ams.checkpoints.t
    early, late = (R[1] - R[0]) / (T // 4), (R[2] - R[1]) / (T // 2)
    assert late < 0.7 * early and late < 20 / 101  # the regret slope decays (x_t → −1 like α/√t)
    assert adam.gamma_negative_rounds[0] > T // 2 and ams.gamma_negative_rounds[0] == 0


@pytest.mark.slow
def test_reddi_online_outcome_at_a_million_rounds():
    T = 1_000_000
    adam = oco.simulate("reddi-online", "adam", T=T, alpha=1.0, **REDDI)
    ams = oco.simulate("reddi-online", "amsgrad", T=T, alpha=1.0, **REDDI)
    assert adam.x_final[0, 0] > 0.99 and ams.x_final[0, 0] < -0.99
    assert ams.avg_regret[0] < 0.1 < 20 / 101 < adam.avg_regret[0]  # AMSGrad 0.068 (early transient), Adam 0.258


# ---------------------------------------------------------------- batching
def test_batch_equals_each_configuration_alone():
    b1, b2 = np.meshgrid([0.0, 0.5, 0.9], [0.9, 0.99, 0.999], indexing="ij")
    b1, b2 = b1.ravel(), b2.ravel()
    p = random_sequence(T=400, d=2)
    batch = oco.simulate(p, "amsgrad", T=400, alpha=0.1, beta1=b1, beta2=b2, checkpoints=20)
    order = np.random.default_rng(0).permutation(len(b1))
    for i in order:
        alone = oco.simulate(p, "amsgrad", T=400, alpha=0.1, beta1=b1[i], beta2=b2[i], checkpoints=20)
        np.testing.assert_array_equal(batch.x_final[i], alone.x_final[0])
        np.testing.assert_array_equal(batch.checkpoints.x[:, i], alone.checkpoints.x[:, 0])
        assert batch.cumulative_loss[i] == alone.cumulative_loss[0]


@pytest.mark.parametrize("convention", ["paper", "torch"])
def test_every_method_batches(convention):
    for name in oco.method_names():
        if convention not in oco.methods.conventions_of(name):
            continue
        p = random_sequence(T=60, d=2)
        alphas = np.array([1e-3, 1e-2, 0.1])
        batch = oco.simulate(p, name, T=60, convention=convention, alpha=alphas, checkpoints=5)
        for i, a in enumerate(alphas):
            alone = oco.simulate(p, name, T=60, convention=convention, alpha=a, checkpoints=5)
            np.testing.assert_array_equal(batch.x_final[i], alone.x_final[0], err_msg=name)
        assert np.all(batch.domain and Box().contains(batch.x_final))


# ---------------------------------------------------------------- bookkeeping
def test_regret_bookkeeping_on_a_linear_problem():
    r = oco.simulate("reddi-online", "sgd", T=1000, alpha=0.01, checkpoint_every=1)
    G = np.cumsum(PeriodicLinear().data(0, 1, 1000)[:, 0])
    xs = np.concatenate([[0.0], r.checkpoints.x[:-1, 0, 0]])  # x_t played at round t
    losses = np.cumsum(PeriodicLinear().data(0, 1, 1000)[:, 0] * xs)
    np.testing.assert_allclose(r.checkpoints.avg_regret[:, 0], (losses + np.abs(G)) / np.arange(1, 1001),
                               rtol=1e-12, atol=1e-12)
    assert r.avg_regret[0] == pytest.approx(r.checkpoints.avg_regret[-1, 0], rel=1e-15)
    assert r.x_star[0, 0] == -np.sign(G[-1])


def test_learning_rate_diagnostics_and_gamma():
    r = oco.simulate("reddi-online", "sgd", T=500, alpha=0.3)
    assert r.lr_min[0] == r.lr_max[0] == 0.3 and r.gamma_negative_rounds[0] == 0
    r = oco.simulate("reddi-online", "ogd", T=500, alpha=0.3)
    assert r.lr_max[0] == 0.3 and r.lr_min[0] == pytest.approx(0.3 / math.sqrt(500))
    assert r.gamma_negative_rounds[0] == 0
    r = oco.simulate("reddi-online", "adagrad", T=500, alpha=0.3)
    assert r.gamma_negative_rounds[0] == 0  # AdaGrad keeps Γ_t ⪰ 0
    r = oco.simulate("reddi-online", "rmsprop", T=500, alpha=0.3, beta2=0.99)
    assert r.gamma_negative_rounds[0] > 0
    # the recorded learning-rate quantiles are those of η_t = α/√v_t at the checkpoint rounds (d = 1: all equal)
    g = PeriodicLinear().data(0, 1, 500)[:, 0]
    v = np.zeros(501)
    for t in range(1, 501):
        v[t] = 0.99 * v[t - 1] + 0.01 * g[t - 1] ** 2
    eta = 0.3 / np.sqrt(v[r.checkpoints.t])
    np.testing.assert_allclose(r.checkpoints.lr_quantiles[:, 0, :], np.repeat(eta[:, None], 5, axis=1), rtol=1e-12)
    # d = 3: the quantiles (0, 0.1, 0.5, 0.9, 1) over the coordinates of η_t, round by round
    p = random_sequence(T=40, d=3, seed=4)
    r = oco.simulate(p, "rmsprop", T=40, alpha=0.3, beta2=0.9, domain="none", checkpoint_every=1)
    v = np.zeros(3)
    want = []
    for t in range(40):
        v = 0.9 * v + 0.1 * p.g[t] ** 2
        want.append(np.quantile(0.3 / np.sqrt(v), [0.0, 0.1, 0.5, 0.9, 1.0]))
    np.testing.assert_allclose(r.checkpoints.lr_quantiles[:, 0, :], want, rtol=1e-12)
    assert np.all(np.ptp(r.checkpoints.lr_quantiles[:, 0, :], axis=-1) > 0)


def test_zero_gradient_gives_a_zero_step_not_nan():
    p = Sequence(np.r_[np.zeros(10), np.ones(10)][:, None])
    for name in ("adam", "amsgrad", "rmsprop", "adagrad", "adamnc", "adabound", "padam", "adamax"):
        r = oco.simulate(p, name, T=20, x0=0.25, checkpoint_every=1)
        x = r.checkpoints.x[:, 0, 0]
        assert not r.diverged[0] and np.all(np.isfinite(x)), name
        np.testing.assert_array_equal(x[:10], 0.25, err_msg=name)
        assert x[-1] < 0.25, name


def test_a_diverging_configuration_is_marked_and_the_others_finish():
    p = Sequence(np.r_[np.zeros(5), [1e300, -1e300] * 10][:, None])
    r = oco.simulate(p, "sgd", T=25, alpha=np.array([1e-300, 1e10]), domain="none", checkpoint_every=1)
    assert list(r.diverged) == [False, True]
    assert r.diverged_at[1] == 6 and np.isfinite(r.x_final[1, 0])
    assert np.isnan(r.regret[1]) and np.isfinite(r.regret[0])


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(beta1=1.0), "beta1"),
        (dict(beta2=-0.1), "beta2"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=-1), "alpha"),
        (dict(eps=-1e-8), "eps"),
        (dict(beta1=np.array([0.5, 1.2])), "beta1"),
        (dict(beta1=float("nan")), "beta1"),
        (dict(T=0), "T"),
        (dict(method="adma"), "adam"),
        (dict(convention="tf"), "convention"),
        (dict(method="yogi", convention="torch"), "convention"),
        (dict(bet1=0.9), "beta1"),
        (dict(x0=2.0), "x0"),
        (dict(seed=-1), "seed"),
        (dict(alpha=np.array([0.1, 0.2]), beta1=np.array([0.1, 0.2, 0.3])), "lengths"),
    ],
)
def test_bad_arguments_raise_a_clear_error(kw, word):
    kw = {"method": "adam", "T": 10, **kw}
    with pytest.raises(ValueError, match=word):
        oco.simulate("reddi-online", **kw)


# ---------------------------------------------------------------- projections
def _brute_weighted_ball(y, w, r):
    from scipy.optimize import minimize

    res = minimize(lambda x: np.sum(w * (x - y) ** 2), np.zeros_like(y), jac=lambda x: 2 * w * (x - y),
                   constraints=[{"type": "ineq", "fun": lambda x: r * r - x @ x, "jac": lambda x: -2 * x}],
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 500})
    return res.x


def test_weighted_ball_projection_matches_a_numerical_minimizer():
    rng = np.random.default_rng(3)
    y = rng.normal(0, 3, (20, 4))
    w = rng.lognormal(0, 1.5, (20, 4))
    x = Ball(1.5).project(y, w)
    for i in range(20):
        ref = _brute_weighted_ball(y[i], w[i], 1.5)
        np.testing.assert_allclose(x[i], ref, atol=1e-6)
        assert np.sum(x[i] ** 2) <= 1.5**2 * (1 + 1e-12)
        # the weighted projection beats the Euclidean one in the weighted norm
        e = y[i] * 1.5 / np.linalg.norm(y[i]) if np.linalg.norm(y[i]) > 1.5 else y[i]
        assert np.sum(w[i] * (x[i] - y[i]) ** 2) <= np.sum(w[i] * (e - y[i]) ** 2) + 1e-12


def test_projections_are_idempotent_and_fix_feasible_points():
    rng = np.random.default_rng(4)
    y = rng.normal(0, 2, (50, 3))
    w = rng.lognormal(0, 1, (50, 3))
    for dom in (Box(-1, 1), Box(np.array([-1, 0, -2.0]), np.array([1, 0.5, -1.0])), Ball(1.0), Unconstrained()):
        x = dom.project(y, w)
        assert np.all(dom.contains(x))
        np.testing.assert_allclose(dom.project(x, w), x, rtol=1e-12, atol=1e-14)
    inside = y / (1 + np.linalg.norm(y, axis=1, keepdims=True))
    np.testing.assert_array_equal(Ball(1.0).project(inside, w), inside)


def test_equal_weights_give_the_euclidean_ball_projection():
    y = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(Ball(1.0).project(y, np.full((1, 2), 7.0)), [[0.6, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(Ball(1.0).project(y, np.array([[1.0, 1.0 + 1e-9]])), [[0.6, 0.8]], rtol=1e-8)


def test_sgdr_schedule_restarts():
    from oco.methods import step_size

    h = {"alpha": np.array([[1.0]]), "schedule": "sgdr", "sgdr_t0": 4, "sgdr_mult": 2.0, "alpha_min": 0.0}
    a = [float(step_size(h, t)[0, 0]) for t in range(1, 14)]
    np.testing.assert_allclose(a[:4], [1.0, 0.5 + 0.5 * math.cos(math.pi / 4), 0.5, 0.5 - 0.5 * math.cos(math.pi / 4)])
    assert a[4] == 1.0 and a[12] == 1.0  # restarts at t = 5 and t = 5 + 8


def test_a_miswired_row_is_refused_when_built():
    """A row whose piece reads a name nothing binds (here ψ before its state exists) raises at construction,
    naming the row, instead of a KeyError at run time."""
    from oco.methods import Hyper, Method, P, pieces

    hypers = {"alpha": Hyper(0.1, "positive"), "beta2": Hyper(0.9, "beta")}
    with pytest.raises(TypeError, match=r"method typo:paper: piece P\(ema_sq, 'v=V'\) reads v\b"):
        Method("typo", "paper", P(pieces.heavy_ball, "m d"), P(pieces.ema_sq, "v=V"), P(pieces.root, "eta"),
               state={"m": 0.0}, hypers={**hypers, "momentum": Hyper(0.0, "nonneg"),
                                         "dampening": Hyper(0.0, "beta"), "nesterov": Hyper(False, "bool")})
    with pytest.raises(TypeError, match=r"piece P\(descend, .xhat.\) reads eta, which nothing"):
        Method("typo", "paper", P(pieces.heavy_ball, "m d"), None, P(pieces.constant_rate, "rate"),
               state={"m": 0.0}, hypers={"alpha": Hyper(0.1, "positive"), "momentum": Hyper(0.0, "nonneg"),
                                         "dampening": Hyper(0.0, "beta"), "nesterov": Hyper(False, "bool")})


# ---------------------------------------------------------------- NumPy's shortcuts equal the plain loop
def plain_tallies_run(B, d, T, seed, diverge=True):
    """Random rounds (losses over 40 decades with cancellations, rates that rise and fall, iterates that stop
    being finite in some configurations) through the round-by-round ``Tallies`` and through ``BlockTallies``:
    (per-round x and loss read at random rounds, final tallies) for each."""
    from oco import engine

    rng = np.random.default_rng(seed)
    loss = rng.normal(0, 1, (T, B)) * 10.0 ** rng.integers(-20, 20, (T, B))
    eta = np.exp(rng.normal(0, 1, (T, B, d)))
    eta[rng.random((T, B, d)) < 0.3] = np.inf
    x_new = rng.normal(0, 1, (T, B, d))
    if diverge:
        for b in rng.choice(B, B // 2 + 1, replace=False):  # at a random round: a NaN x or an infinite loss
            t = rng.integers(0, T)
            if rng.random() < 0.5:
                x_new[t, b, rng.integers(0, d)] = np.nan
            else:
                loss[t, b] = np.inf
    reads = set(rng.choice(T, T // 7, replace=False).tolist())
    out = []
    for tallies in (engine.Tallies.start(B, engine.NUMPY), engine.BlockTallies.start(B, engine.NUMPY, d)):
        x, prev, trace = np.zeros((B, d)), np.full((B, d), np.inf), []
        for t in range(T):
            x = tallies.add(engine.NUMPY, t + 1, loss[t], x, x_new[t], eta[t], prev)
            prev = eta[t].copy()
            trace.append(x.ravel())
            if t in reads:
                trace.append(tallies.loss())
        out.append((np.concatenate(trace + [tallies.loss()]), tallies.numpy(engine.NUMPY)))
    return out


@pytest.mark.parametrize("block", [1, 5, 64, 1 << 18])
@pytest.mark.parametrize("B, d", [(1, 1), (3, 4), (7, 1), (40, 3)])
def test_block_tallies_equal_round_by_round_tallies_bit_for_bit(monkeypatch, block, B, d):
    """``BlockTallies`` (NumPy's small batches) settles blocks of rounds with np.add.accumulate and reductions
    over the block; the compensated loss, the divergence rounds, Γ_t counts, learning-rate extremes and the
    iterates must be those of ``Tallies.add`` round by round, to the bit, whatever the block length."""
    from oco import engine

    monkeypatch.setattr(engine, "BLOCK", block * B * d)
    (trace_a, a), (trace_b, b) = plain_tallies_run(B, d, T=300, seed=block + 7 * B + d)
    assert trace_a.tobytes() == trace_b.tobytes()
    for f in ("cum", "comp", "active", "diverged_at", "gamma_neg", "lr_min", "lr_max"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes(), f
    assert np.any(~a.active) and (B == 1 or np.any(a.active))  # the run did exercise divergence


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5000, 3), (300, 20), (3, 40, 5), (2, 1000)])
def test_row_reductions_equal_numpy_reductions(shape):
    from oco.engine import reduce_rows

    rng = np.random.default_rng(len(shape))
    a = rng.normal(0, 1, shape)
    a[rng.random(shape) < 0.01] = np.inf
    a[rng.random(shape) < 0.01] = np.nan
    for ufunc, b in ((np.minimum, a), (np.maximum, a), (np.logical_and, a > -1), (np.logical_or, a > 2)):
        expected = ufunc.reduce(b, axis=-1)
        got = reduce_rows(ufunc, b)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("key", sorted(oco.methods.registry()))
def test_pieces_run_once_give_the_rounds_of_every_piece(key):
    """``hoist_fixed`` runs once the pieces whose values cannot change (α_t = α, β1t = β1, …): a round's state
    after that must be the state with every piece run every round."""
    from oco import engine

    method = oco.methods.registry()[key]
    sequence = random_sequence(T=40, d=2)
    for schedule in ("const", "sqrt"):
        given = {"schedule": schedule} if "schedule" in method.hypers else {}
        if "beta1_schedule" in method.hypers:
            given["beta1_schedule"] = "const"
        h, B = method.resolve(given)
        x = np.full((B, 2), 0.1)
        envs = [engine.init_env(method, h, x) for _ in range(2)]
        every = engine.round_pieces(method, h)
        hoisted = engine.hoist_fixed(envs[1], *every)
        for t in range(1, 41):
            g = sequence.g[t - 1][None]
            for env, (clock, update) in zip(envs, (every, hoisted)):
                with np.errstate(all="ignore"):  # as in the engine (RAdam's √ of a negative before ρ_t > 4)
                    engine.apply_round(env, clock, update, t, g, x, None, False)
            for name, value in envs[0].items():
                assert np.asarray(envs[1][name]).tobytes() == np.asarray(value).tobytes(), (t, name)
            x = np.clip(envs[0]["xhat"], -1, 1)


@pytest.mark.parametrize("problem, kw", [
    ("logistic-goog", {}),
    ("stochastic-quadratic", {"problem_params": {"d": 3}, "seed": [0, 1, 1, 2, 0]}),
    ("reddi-online", {"domain": "ball"}),
    ("zhang-divergence", {}),
])
@pytest.mark.parametrize("method", ["adam", "amsgrad", "adabound", "sgd"])
def test_numpy_engine_equals_the_generic_loop_bit_for_bit(problem, kw, method):
    """The NumPy engine with its shortcuts (block tallies, one seed's data as a broadcast view, no weights for
    a box) against the same loop through the generic ``Arrays`` (round-by-round tallies, data gathered per
    round): every number of the Result equal, diverged configurations included."""
    from oco import engine
    from oco.config import problem_of as resolve_problem

    prob = resolve_problem(problem, kw.pop("problem_params", None))
    m = oco.get_method(method)
    seeds = np.asarray(kw.pop("seed", [0] * 5))
    h, B = m.resolve({"alpha": np.array([1e-3, 0.05, 0.5, 3.0, 60.0])})
    domain = oco.make_domain(kw.pop("domain")) if "domain" in kw else prob.default_domain()
    x0 = np.broadcast_to(prob.default_x0(domain), (B, prob.d)).copy()
    cks = engine.log_checkpoints(600, 30)
    a = engine.run_with(engine.Arrays(), prob, m, h, seeds, 600, x0, domain, cks)
    b = engine.run(prob, m, h, seeds, 600, x0, domain, cks)
    for f in ("x_final", "cumulative_loss", "diverged_at", "gamma_negative_rounds", "lr_min", "lr_max"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes(), f
    for f in ("avg_regret", "x", "lr_quantiles"):
        assert getattr(a.checkpoints, f).tobytes() == getattr(b.checkpoints, f).tobytes(), f


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # np.quantile of ±inf, the reference
def test_lr_quantiles_are_numpys_quantiles_also_for_one_coordinate():
    """The one-coordinate shortcut equals np.quantile on every value it can meet (±inf → nan, −0.0 → 0.0),
    and the general case is np.quantile moved to the last axis."""
    from oco.result import LR_QUANTILES, lr_quantiles

    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308])
    for d in (1, 2, 7):
        eta = rng.lognormal(0, 3, (4, 50, d))
        eta.reshape(-1)[: len(special)] = special
        ref = np.moveaxis(np.quantile(eta, LR_QUANTILES, axis=-1), 0, -1)
        got = lr_quantiles(eta)
        assert got.shape == (4, 50, len(LR_QUANTILES))
        np.testing.assert_array_equal(got, ref)
        assert np.array_equal(np.signbit(got), np.signbit(ref))


def test_comparators_kept_on_the_instance_are_the_ones_computed_afresh(monkeypatch):
    """The comparator kept on a problem instance (per seed, checkpoints and feasible set) gives every method
    of a run the numbers a fresh instance computes; what is kept stays within COMPARATORS_KEPT bytes."""
    from oco import engine
    from oco.problems import get_problem

    p = get_problem("stochastic-quadratic", d=4)
    kw = dict(T=3000, seed=np.array([0, 1]), backend="numpy", checkpoints=20)
    shared = [oco.simulate(p, m, **kw) for m in ("adam", "amsgrad")]
    for m, r in zip(("adam", "amsgrad"), shared):
        fresh = oco.simulate(get_problem("stochastic-quadratic", d=4), m, **kw)
        np.testing.assert_array_equal(r.best_fixed_loss, fresh.best_fixed_loss)
        np.testing.assert_array_equal(r.x_star, fresh.x_star)
        np.testing.assert_array_equal(r.checkpoints.avg_regret, fresh.checkpoints.avg_regret)
    assert len(p._hindsight_kept) == 2  # one per seed, both methods served
    monkeypatch.setattr(engine, "COMPARATORS_KEPT", 1)
    oco.simulate(p, "adam", T=100, backend="numpy")
    assert len(p._hindsight_kept) == 1  # over the budget: only the newest kept
