"""Every row of the method table held by an independent reference (tests/references.py), and the bookkeeping
(the compensated loss, Γ_t, the β1t schedules) checked by value.

(a) the references cover every row of ``oco.methods.registry()``;
(b) each row's trajectory — at its defaults and at two sets of non-default hyperparameters with a schedule, on a
    box and unconstrained, d = 2 with scales 1000 apart — equals its reference to 1e-12 of the coordinate's scale,
    on numpy and numba (a few rows on numba by default, every row with ``-m slow``); a non-finite value fails;
(c) each row at its defaults runs 2000 rounds of a benign problem without diverging, and gets closer to x*;
(d) ``cumulative_loss`` is math.fsum of f_t(x_t) on a sequence that defeats naive summation (numpy, numba, torch);
(e) ``gamma_negative_rounds`` is exactly the count from the reference's η_t (numpy, numba; d = 1 and d = 2);
(f) each β1t schedule, recovered from a run round by round, is β1, β1·λ^{t−1}, β1/t;
(g) cross-row identities: rows that are the same method at particular settings give the same trajectory;
(h) by hand: ADOPT clips the k-th update at k^{1/4} (1 at the first), as in the paper and the authors' code, and
    the AdaBound/AMSBound paper rows divide the clipped rate by √t by default (Algorithm 2).
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from references import OWN, REFERENCES, gamma_count
from sequences import Sequence

import oco
from oco.methods import get_method, registry
from oco.problems import get_problem
from oco.projections import Box

ROWS = sorted(tuple(k.split(":")) for k in registry())
HAVE_NUMBA = importlib.util.find_spec("numba") is not None
HAVE_TORCH = importlib.util.find_spec("torch") is not None

T = 50
X0 = np.array([0.1, 0.1])
LO, HI = np.array([-0.2, -0.5]), np.array([1.0, 0.4])
DOMAINS = {"box": (Box(LO, HI), (LO, HI)), "none": ("none", None)}


def _gradients(T=T, d=2, seed=2024):
    """Gradients of two scales (0.05 and 20) with opposite drifts; the first round small, so that ADOPT's
    normalised gradient of round 2 exceeds 1 (its clipping binds)."""
    rng = np.random.default_rng(seed)
    g = rng.normal(np.array([1.0, -0.8])[:d], 1.0, (T, d)) * np.array([0.05, 20.0])[:d]
    g[0] *= 0.3
    return g


G = _gradients()

# ---------------------------------------------------------------- the cases: defaults, and two other settings
A = dict(schedule="sqrt", beta1_schedule="exp", lam=0.9, beta1=0.8, beta2=0.95, eps=1e-3, weight_decay=0.05,
         decoupled_weight_decay=True, momentum=0.7, dampening=0.2, nesterov=True, lr_decay=0.02,
         initial_accumulator_value=0.3, centered=True, rho=0.8, final_lr=0.05, gamma=0.05, v0=1e-3, p=0.25,
         momentum_decay=0.02, clip_grad=True)
B = dict(schedule="sgdr", sgdr_t0=7, sgdr_mult=2, beta1_schedule="inv", beta1=0.5, beta2=0.9, eps=1e-6,
         weight_decay=0.1, decoupled_weight_decay=False, momentum=0.5, dampening=0.0, nesterov=False,
         lr_decay=0.0, initial_accumulator_value=0.0, centered=False, rho=0.9, final_lr=0.2, gamma=0.1, v0=0.0,
         p=0.5, momentum_decay=0.004, clip_grad=False)
ALPHA = {"adadelta": 2.0, "ons": 0.5}  # other rows 0.05 (their rates are unitless ratios times α)


def case(name, convention, which):
    """The hyperparameters (oco's names) of a case; ``defaults`` gives none."""
    if which == "defaults":
        return {}
    hypers = registry()[f"{name}:{convention}"].hypers
    base = A if which == "A" else B
    h = {k: v for k, v in base.items() if k in hypers}
    if name == "adamw" and convention == "torch":
        h.pop("decoupled_weight_decay", None)  # torch.optim.AdamW: always decoupled
    h["alpha"] = ALPHA.get(name, 0.05)
    if h.get("schedule") == "sgdr":
        h["alpha_min"] = 0.1 * h["alpha"]
    return h


XFAIL: dict = {}  # (name, convention, case) → why the row disagrees with its reference (strict xfail)


def _marks(name, convention, which):
    reason = XFAIL.get((name, convention, which))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def simulate_path(name, convention, hyper, g=G, x0=X0, domain="box", backend="numpy", **kw):
    """oco's trajectory (T + 1, d): x_1 = x0, then the iterate after each round; and the Result."""
    dom = DOMAINS[domain][0] if isinstance(domain, str) else domain
    r = oco.simulate(Sequence(g), name, T=len(g), convention=convention, x0=x0, domain=dom, checkpoint_every=1,
                     backend=backend, **hyper, **kw)
    return np.concatenate([np.asarray(x0, float)[None], r.checkpoints.x[:, 0, :]]), r


def reference_path(name, convention, hyper, g=G, x0=X0, domain="box", etas=None):
    """The reference's trajectory (T + 1, d) (``etas``, a list, receives its η_t: only this file's references)."""
    box = DOMAINS[domain][1] if isinstance(domain, str) else domain
    kw = {} if etas is None else {"etas": etas}
    return REFERENCES[(name, convention)](g, x0, dict(hyper), box, **kw)


def assert_same_path(got, ref, rtol=1e-12, what=""):
    """Equal to rtol of each coordinate's scale (max_t |ref_t,j|); any non-finite value fails."""
    assert got.shape == ref.shape, what
    assert np.all(np.isfinite(ref)), f"{what}: the reference is not finite"
    assert np.all(np.isfinite(got)), f"{what}: oco's trajectory is not finite"
    scale = np.max(np.abs(ref), axis=0)
    assert np.all(scale > 0), what
    err = np.max(np.abs(got - ref) / scale, axis=0)
    assert np.all(err <= rtol), f"{what}: max error / scale per coordinate {err}"


# ---------------------------------------------------------------- (a) coverage
def test_every_row_has_a_reference():
    missing = [f"{n}:{c}" for n, c in ROWS if (n, c) not in REFERENCES]
    assert not missing, f"rows without an independent reference (tests/references.py): {', '.join(missing)}"
    extra = [f"{n}:{c}" for n, c in REFERENCES if f"{n}:{c}" not in registry()]
    assert not extra, f"references for rows the table does not have: {', '.join(extra)}"


def test_the_references_defaults_name_the_rows_hyperparameters():
    """Each reference of this file knows exactly the row's hyperparameters (its own defaults for each)."""
    for key in OWN:
        if f"{key[0]}:{key[1]}" in registry():
            assert set(REFERENCES[key].defaults) == set(registry()[f"{key[0]}:{key[1]}"].hypers), key


# ---------------------------------------------------------------- (b) trajectories against the references
# numba by default (compiling is the cost): a β1 schedule (Adam's exp), a sign-controlled state (Yogi), a clock
# with state and decoupled decay (NAdam); every row, case and domain with -m slow
NUMBA_ROWS = {("adam", "paper"), ("yogi", "paper"), ("nadam", "torch")}


def _trajectory_params():
    for name, convention in ROWS:
        for which in ("defaults", "A", "B"):
            for domain in DOMAINS:
                marks = _marks(name, convention, which)
                yield pytest.param("numpy", name, convention, which, domain, marks=marks,
                                   id=f"numpy-{name}-{convention}-{which}-{domain}")
                if HAVE_NUMBA:
                    quick = (name, convention) in NUMBA_ROWS and which == "A" and domain == "box"
                    yield pytest.param("numba", name, convention, which, domain,
                                       marks=marks + ([] if quick else [pytest.mark.slow]),
                                       id=f"numba-{name}-{convention}-{which}-{domain}")


@pytest.mark.parametrize("backend, name, convention, which, domain", list(_trajectory_params()))
def test_trajectory_equals_the_reference(backend, name, convention, which, domain):
    if (name, convention) not in REFERENCES:
        pytest.fail(f"{name}:{convention} has no reference")
    h = case(name, convention, which)
    ref = reference_path(name, convention, h, domain=domain)
    got, r = simulate_path(name, convention, h, domain=domain, backend=backend)
    assert not r.diverged[0]
    assert np.all(np.abs(ref[-1] - X0) > 1e-6), "the reference should move on both coordinates"
    assert_same_path(got, ref, what=f"{name}:{convention} {which} {domain} {backend}")


def test_adamw_paper_decays_once():
    """Loshchilov & Hutter's Algorithm 2 has no λx in g_t: with m = v = 0 at the start and g = 0, adamw:paper's
    only motion is the decoupled decay x(1 − s_t λ) — the engine must not add a coupled g + λx as well (it did,
    so that m and v saw λx and the iterate moved by the Adam step of λx besides)."""
    g = np.zeros((5, 1))
    lam, x0 = 0.1, np.array([0.5])
    r = oco.simulate(Sequence(g), "adamw", T=5, x0=x0, domain="none", checkpoint_every=1, weight_decay=lam)
    np.testing.assert_allclose(r.checkpoints.x[:, 0, 0], 0.5 * (1 - lam) ** np.arange(1, 6), rtol=1e-14)
    assert not registry()["adamw:paper"].engine_decay and registry()["adamw:torch"].engine_decay


def test_the_cases_reach_the_bounds_of_the_box():
    """The box cases exercise the projection: in cases A and B nearly every row's reference touches a bound."""
    for which in ("A", "B"):
        hit = [np.any((p == LO) | (p == HI)) for p in
               (reference_path(n, c, case(n, c, which), domain="box") for n, c in ROWS)]
        assert sum(hit) >= 0.75 * len(ROWS), which


# ---------------------------------------------------------------- (c) defaults on a benign problem
@pytest.mark.parametrize("name, convention", ROWS, ids=[f"{n}-{c}" for n, c in ROWS])
def test_defaults_run_2000_rounds_of_a_benign_problem(name, convention):
    p = get_problem("stochastic-quadratic", d=3, kappa=10.0, sigma=0.5)
    T = 2000
    r = oco.simulate(p, name, T=T, convention=convention, checkpoints=20, backend="numpy")
    assert not r.diverged[0], f"{name}:{convention} diverged at round {r.diverged_at[0]} at its defaults"
    assert np.all(np.isfinite(r.checkpoints.x)) and np.all(np.isfinite(r.x_final))
    assert np.isfinite(r.cumulative_loss[0]) and np.isfinite(r.expected_gap[0])
    start = p.expected_loss(p.default_x0(p.default_domain())[None]) - p.expected_optimum(p.default_domain())[0]
    assert r.expected_gap[0] < start[0], f"{name}:{convention}: no closer to x* after {T} rounds"


# ---------------------------------------------------------------- (d) the loss is the exact sum
def _hard_sum_sequence(d, n=400, seed=5):
    """±1e16-sized gradients in cancelling pairs, and O(1) ones between: naive summation loses the small."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0.0, 1.0, (n, d))
    big = rng.uniform(0.5, 1.5, (n // 4, d)) * 1e16
    g[0::4], g[2::4] = big, -big
    return g


def _losses(g, path):
    """f_t(x_t) = ⟨g_t, x_t⟩ from the trajectory, each evaluated as oco's loss (one rounded sum per round)."""
    x = path[:-1]
    return [float(v) for v in np.sum(g * x, axis=1)]


def compensated_sum(values):
    """Σ values with the exact rounding error of every addition collected on the side (TwoSum, Knuth): the sum
    is s + c. Neumaier's branch (the engine) and TwoSum (numba) both give the exact error of each addition, so a
    backend's compensated loss equals this bit for bit."""
    s = c = 0.0
    for f in values:
        t = s + f
        bb = t - s
        c += (s - (t - bb)) + (f - bb)
        s = t
    return s + c


LOSS_BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else []) + (["torch"] if HAVE_TORCH else [])


@pytest.mark.parametrize("backend", LOSS_BACKENDS)
@pytest.mark.parametrize("d", [1, 2])
def test_cumulative_loss_is_the_exact_sum(backend, d):
    """Two configurations: α tiny (a still iterate: the big pairs cancel exactly and what is left is the small
    rounds' sum, which naive summation loses), and a moving iterate on the box."""
    g = _hard_sum_sequence(d)
    x0 = np.array([0.3, -0.7])[:d]
    r = oco.simulate(Sequence(g), "adam", T=len(g), convention="torch", x0=x0, domain=Box(-1.0, 1.0),
                     checkpoint_every=1, backend=backend, alpha=np.array([1e-300, 0.05]))
    assert not r.diverged.any()
    for b in range(2):
        path = np.concatenate([x0[None], r.checkpoints.x[:, b, :]])
        f = _losses(g, path)
        exact = math.fsum(f)
        assert r.cumulative_loss[b] == compensated_sum(f), (b, r.cumulative_loss[b], compensated_sum(f), exact)
        assert abs(r.cumulative_loss[b] - exact) <= 8 * math.ulp(exact), (b, r.cumulative_loss[b], exact)
        if b == 0:
            assert np.all(path == x0)
            assert abs(sum(f) - exact) > 1e6 * math.ulp(exact), "the sequence should defeat naive summation"
        else:
            assert len(np.unique(path[:, 0])) > 100


# ---------------------------------------------------------------- (e) Γ_t counts, exactly
def _gamma_params():
    for name, convention in ROWS:
        if (name, convention) not in OWN:
            continue
        for which in ("A", "B"):  # α/√t and a β1 schedule; SGDR's restarts (η jumps up at each)
            for d in (1, 2):
                marks = []
                yield pytest.param("numpy", name, convention, which, d, marks=marks,
                                   id=f"numpy-{name}-{convention}-{which}-d{d}")
                if HAVE_NUMBA:  # by default Adam's case A: d = 2 is the trajectory test's kernel, d = 1 a fused one
                    quick = (name, convention, which) == ("adam", "paper", "A")
                    yield pytest.param("numba", name, convention, which, d,
                                       marks=marks + ([] if quick else [pytest.mark.slow]),
                                       id=f"numba-{name}-{convention}-{which}-d{d}")


@pytest.mark.parametrize("backend, name, convention, which, d", list(_gamma_params()))
def test_gamma_negative_rounds_are_exact(backend, name, convention, which, d):
    h = case(name, convention, which)
    g, x0 = G[:, 2 - d:], X0[2 - d:]
    box = (LO[2 - d:], HI[2 - d:])
    etas = []
    ref = REFERENCES[(name, convention)](g, x0, h, box, etas=etas)
    assert np.all(np.isfinite(ref)) and not np.any(np.isnan(np.asarray(etas)))
    _, r = simulate_path(name, convention, h, g=g, x0=x0, domain=Box(*box), backend=backend)
    assert not r.diverged[0]
    want = gamma_count(etas)
    assert r.gamma_negative_rounds[0] == want, f"oco {r.gamma_negative_rounds[0]}, reference {want}"
    if which == "B":
        assert want > 0, "SGDR's restarts raise η: Γ_t must have negative entries"


# ---------------------------------------------------------------- (f) the β1t schedules, by value
BETA1_SCHEDULES = {"const": lambda t: 0.8, "exp": lambda t: 0.8 * 0.9 ** (t - 1), "inv": lambda t: 0.8 / t}


def _schedule_params():
    for backend in ["numpy"] + (["numba"] if HAVE_NUMBA else []):
        for schedule in BETA1_SCHEDULES:  # numba with -m slow (its exp schedule is in Adam's trajectory test)
            slow = backend == "numba"
            yield pytest.param(backend, schedule, marks=[pytest.mark.slow] if slow else [],
                               id=f"{backend}-{schedule}")


@pytest.mark.parametrize("backend, schedule", list(_schedule_params()))
def test_beta1_schedule_by_value(backend, schedule):
    """Adam (paper form, ε = 0, unconstrained, constant α): x_{t+1} − x_t = −α m_t/√v_t gives m_t round by round
    (v_t from the gradients), and m_t = β1t m_{t−1} + (1 − β1t) g_t gives β1t = (m_t − g_t)/(m_{t−1} − g_t):
    β1, β1·λ^{t−1} and β1/t (β1 = 0.8, λ = 0.9)."""
    want = BETA1_SCHEDULES[schedule]
    n, alpha, b2 = 40, 0.1, 0.9
    g = np.random.default_rng(9).uniform(0.5, 2.0, n) * np.where(np.arange(n) % 3 == 0, -1.0, 1.0)
    path, r = simulate_path("adam", "paper", dict(alpha=alpha, beta1=0.8, beta2=b2, beta1_schedule=schedule,
                                                  lam=0.9), g=g[:, None], x0=np.array([0.0]), domain="none",
                            backend=backend)
    assert np.all(np.isfinite(path)) and not r.diverged[0]
    v = np.empty(n)
    acc = 0.0
    for t in range(n):
        acc = b2 * acc + (1 - b2) * g[t] ** 2
        v[t] = acc
    m = -np.diff(path[:, 0]) * np.sqrt(v) / alpha
    prev = np.concatenate([[0.0], m[:-1]])
    got = (m - g) / (prev - g)
    np.testing.assert_allclose(got, [want(t) for t in range(1, n + 1)], rtol=1e-8, atol=1e-12,
                               err_msg=f"β1t ({schedule}) recovered round by round")


# ---------------------------------------------------------------- (g) cross-row identities
IDENTITIES = [
    # (row a, its settings, row b, its settings, why they are the same method)
    (("rmsprop", "paper"), dict(alpha=0.05, beta2=0.9, eps=0.0),
     ("rmsprop", "torch"), dict(alpha=0.05, beta2=0.9, eps=0.0), "ε = 0: α g/√v in both"),
    (("adagrad", "paper"), dict(alpha=0.3, schedule="sqrt", eps=0.0),
     ("adagrad", "torch"), dict(alpha=0.3, eps=0.0), "α/√t · g/√(Σg²/t) = α g/√Σg²"),
    (("sgd", "paper"), dict(alpha=0.02, momentum=0.8, nesterov=True),
     ("sgd", "torch"), dict(alpha=0.02, momentum=0.8, nesterov=True), "no dampening: b_1 = g_1 in both"),
    (("sgd", "paper"), dict(alpha=0.02, momentum=0.6),
     ("sgd", "torch"), dict(alpha=0.02, momentum=0.6), "heavy ball without dampening"),
    (("adamw", "paper"), dict(alpha=0.05, weight_decay=0.0),
     ("adam", "torch"), dict(alpha=0.05), "no decay: Kingma & Ba's bias-corrected step"),
    (("adamw", "paper"), dict(alpha=0.05, weight_decay=0.05 * 0.3),
     ("adamw", "torch"), dict(alpha=0.05, weight_decay=0.3), "the paper's λ is torch's lr·λ (constant α)"),
    (("adam", "torch"), dict(alpha=0.05, weight_decay=0.2, decoupled_weight_decay=True),
     ("adamw", "torch"), dict(alpha=0.05, weight_decay=0.2), "Adam(decoupled_weight_decay=True) is AdamW"),
    (("nadam", "paper"), dict(alpha=0.05, momentum_decay=0.01),
     ("nadam", "torch"), dict(alpha=0.05, momentum_decay=0.01), "no decay: the same NAdam step"),
    (("radam", "paper"), dict(alpha=0.05, beta2=0.6, eps=1e-8),
     ("radam", "torch"), dict(alpha=0.05, beta2=0.6), "ρ_∞ = 4: never rectified under either threshold"),
    (("adamax", "paper"), dict(alpha=0.05, beta1=0.7),
     ("adamax", "torch"), dict(alpha=0.05, beta1=0.7, eps=0.0), "ε = 0: u = max(β2 u, |g|) in both"),
    (("adadelta", "paper"), dict(rho=0.85, eps=1e-4),
     ("adadelta", "torch"), dict(rho=0.85, eps=1e-4), "the same AdaDelta, given the same ρ"),
    (("adabound", "torch"), dict(alpha=0.05, eps=0.0, gamma=1e-14),
     ("adam", "torch"), dict(alpha=0.05, eps=0.0), "bounds (0, ∞) and ε = 0: torch's Adam step"),
    (("amsbound", "torch"), dict(alpha=0.05, eps=0.0, gamma=1e-14),
     ("amsgrad", "torch"), dict(alpha=0.05, eps=0.0), "bounds (0, ∞) and ε = 0: torch's AMSGrad step"),
    (("adabound", "paper"), dict(alpha=0.05, gamma=1e-14, beta1_schedule="exp", lam=0.95, schedule="const"),
     ("adam", "paper"), dict(alpha=0.05, beta1_schedule="exp", lam=0.95), "bounds (0, ∞): Reddi's Adam"),
    (("amsbound", "paper"), dict(alpha=0.05, gamma=1e-14, schedule="sqrt"),
     ("amsgrad", "paper"), dict(alpha=0.05, schedule="sqrt"), "bounds (0, ∞) and α_t = α/√t: AMSGrad"),
]


def _identity_params():
    for a, ha, b, hb, why in IDENTITIES:
        yield pytest.param(a, ha, b, hb, why, id=f"{a[0]}-{a[1]}={b[0]}-{b[1]}")


@pytest.mark.parametrize("a, ha, b, hb, why", list(_identity_params()))
@pytest.mark.parametrize("domain", list(DOMAINS))
def test_cross_row_identity(a, ha, b, hb, why, domain):
    pa, ra = simulate_path(*a, ha, domain=domain)
    pb, rb = simulate_path(*b, hb, domain=domain)
    assert not ra.diverged[0] and not rb.diverged[0]
    assert np.all(np.abs(pa[-1] - X0) > 1e-6)
    assert_same_path(pa, pb, rtol=1e-11, what=why)
    # and each side is its own reference's trajectory
    assert_same_path(pa, reference_path(*a, ha, domain=domain), what=f"{a} reference")


# ---------------------------------------------------------------- (h) ADOPT's clip and AdaBound's √t, by hand
def test_adopt_clips_the_kth_update_at_k_to_the_quarter():
    """Round 1 only sets v = g_1²; round t is the k = t − 1-th update, its normalised gradient g_t/max(√v, ε) clipped
    to ±k^{1/4}: 1 at the first update (Taniguchi et al. Algorithm 2; iShohei220/adopt's clip_lambda(step) with
    step the updates before it), 2^{1/4} at the second, … The gradients grow so that the clip binds every round."""
    g = np.array([1e-3, 1.0, 10.0, 100.0, 1e3, 1e4])
    b1, b2, lr = 0.9, 0.9999, 1e-2
    r = oco.simulate(Sequence(g), "adopt", T=len(g), x0=np.zeros(1), domain="none", checkpoint_every=1, alpha=lr)
    x = np.concatenate([[0.0], r.checkpoints.x[:, 0, 0]])
    steps = -np.diff(x)
    assert steps[0] == 0.0
    m, v, want, clips = 0.0, g[0] ** 2, [0.0], []
    for t in range(2, len(g) + 1):
        n = g[t - 1] / max(math.sqrt(v), 1e-6)
        c = (t - 1) ** 0.25
        assert n > c  # the clip binds
        clips.append(c)
        m = b1 * m + (1 - b1) * min(n, c)
        want.append(lr * m)
        v = b2 * v + (1 - b2) * g[t - 1] ** 2
    assert clips[0] == 1.0
    np.testing.assert_allclose(steps, want, rtol=1e-13)
    assert steps[1] == pytest.approx(lr * (1 - b1) * 1.0, rel=1e-15)  # the first update: clip 1, not 2^{1/4}
    # without clipping the same first update is (1 − β1)·g_2/√v_1 = 0.1·1000
    r = oco.simulate(Sequence(g), "adopt", T=2, x0=np.zeros(1), domain="none", checkpoint_every=1, alpha=lr,
                     clip_grad=False)
    assert -r.checkpoints.x[-1, 0, 0] == pytest.approx(lr * (1 - b1) * 1000.0, rel=1e-12)


@pytest.mark.parametrize("name", ["adabound", "amsbound"])
def test_adabound_paper_rows_divide_the_clipped_rate_by_sqrt_t(name):
    """Luo et al. Algorithm 2: η_t = clip(α/√V_t, η_l(t), η_u(t)), then η_t/√t. The paper rows' default schedule
    is sqrt, so η_t·√t is the clipped rate; with schedule=const it is the clipped rate itself."""
    m = get_method(name, "paper")
    assert m.hypers["schedule"].default == "sqrt"
    assert "√t" in m.formula
    rng = np.random.default_rng(1)
    g = rng.normal(0.0, 1.0, 200)
    b1, b2, alpha, final = 0.9, 0.999, 1e-3, 0.1
    gamma = 1 - b2
    r = oco.simulate(Sequence(g), name, T=200, x0=np.zeros(1), domain="none", checkpoint_every=1)
    rc = oco.simulate(Sequence(g), name, T=200, x0=np.zeros(1), domain="none", checkpoint_every=1,
                      schedule="const")
    mm = v = vhat = 0.0
    x = xc = 0.0
    for t in range(1, 201):
        mm = b1 * mm + (1 - b1) * g[t - 1]
        v = b2 * v + (1 - b2) * g[t - 1] ** 2
        vhat = max(vhat, v) if name == "amsbound" else v
        clipped = min(max(alpha / math.sqrt(vhat), final * (1 - 1 / (gamma * t + 1))), final * (1 + 1 / (gamma * t)))
        x -= clipped / math.sqrt(t) * mm
        xc -= clipped * mm
        eta = r.checkpoints.lr_quantiles[t - 1, 0, 0]
        assert eta * math.sqrt(t) == pytest.approx(clipped, rel=1e-12)
        assert rc.checkpoints.lr_quantiles[t - 1, 0, 0] == pytest.approx(clipped, rel=1e-12)
        assert r.checkpoints.x[t - 1, 0, 0] == pytest.approx(x, rel=1e-10, abs=1e-14)
        assert rc.checkpoints.x[t - 1, 0, 0] == pytest.approx(xc, rel=1e-10, abs=1e-14)
