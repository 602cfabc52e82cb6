"""Published regret bounds beside the measured regret (``oco.analyses.bounds``): each bound's formula on a
tiny case computed by hand, R_t ≤ bound at every checkpoint on every built-in linear problem for every method
with a bound (a violation is a bug in the bound or in the engine), the conditions that remove a bound, and the
bound in ``oco run --json``, ``oco show`` and the regret figure."""

from __future__ import annotations

import json
import math
from math import log, sqrt

import numpy as np
import pytest
from typer.testing import CliRunner

import oco
from oco import cli, problems, runs
from oco.analyses import bounds

runner = CliRunner()


def sequence(tmp_path, g) -> str:
    """A linear problem file with the rows g (T, d): f_t(x) = ⟨g_t, x⟩ on [−1, 1]^d."""
    path = tmp_path / "g.npy"
    np.save(path, np.asarray(g, float))
    return str(path)


def bound_of(path, method, **kw) -> np.ndarray:
    """The bound at rounds 1..T of a single configuration (T = the file's length)."""
    T = len(np.load(path))
    r = oco.simulate(path, method, T=T, checkpoint_every=1, backend="numpy", **kw)
    assert r.checkpoints.t.tolist() == list(range(1, T + 1))
    return r.regret_bound[:, 0]


# ---------------------------------------------------------------- each formula on a case computed by hand
# 1-D cases on [−1, 1]: D = D∞ = 2.  OGD, FTRL, AdaGrad see g = 2, −1, ½;  the Adam family g = 1, −2, ½ with
# β1 = ½, β2 = 0.64 (γ = ½/0.8 = 0.625), so v = 0.36, 0.64·0.36 + 0.36·4 = 1.6704, 0.64·1.6704 + 0.36·¼.
G_OGD = [[2.0], [-1.0], [0.5]]
G_ADAM = [[1.0], [-2.0], [0.5]]
V = [0.36, 0.64 * 0.36 + 0.36 * 4, 0.64 * (0.64 * 0.36 + 0.36 * 4) + 0.36 * 0.25]
VHAT = [V[0], V[1], max(V[1], V[2])]
NORM = [1.0, sqrt(5.0), sqrt(5.25)]  # ‖g_1:t‖₂ of G_ADAM
ADAM = {"alpha": 0.5, "beta1": 0.5, "beta2": 0.64}


def test_ogd_by_hand(tmp_path):
    path = sequence(tmp_path, G_OGD)
    # α_t = ½/√t, G² = 4: D²√t/(2α) + α(√t − ½)G² = 4√t + 2(√t − ½) = 6√t − 1
    assert np.allclose(bound_of(path, "ogd", alpha=0.5), [5.0, 6 * sqrt(2) - 1, 6 * sqrt(3) - 1], rtol=1e-13)
    # α_t = ½: D²/(2α) + αtG²/2 = 4 + t
    assert np.allclose(bound_of(path, "ogd", alpha=0.5, schedule="const"), [5.0, 6.0, 7.0], rtol=1e-13)


def test_ogd_by_hand_in_two_dimensions(tmp_path):
    path = sequence(tmp_path, [[1.0, 2.0], [-1.0, 0.0]])
    # D = ‖(2, 2)‖ = 2√2, G² = max(5, 1) = 5, α = 1: 8√t/2 + (√t − ½)·5
    expect = [4 + 2.5, 4 * sqrt(2) + 5 * sqrt(2) - 2.5]
    assert np.allclose(bound_of(path, "ogd", alpha=1.0), expect, rtol=1e-13)


def test_ftrl_by_hand(tmp_path):
    path = sequence(tmp_path, G_OGD)
    # D²/(2α_{t−1}) + ½ Σ_s α_{s−1} g_s², α_0 = α_1 = ½, α_s = ½/√s
    expect = [4 / (2 * 0.5) + 0.5 * 0.5 * 4,
              4 / (2 * 0.5) + 0.5 * (0.5 * 4 + 0.5 * 1),
              4 / (2 * 0.5 / sqrt(2)) + 0.5 * (0.5 * 4 + 0.5 * 1 + 0.5 / sqrt(2) * 0.25)]
    assert np.allclose(bound_of(path, "ftrl", alpha=0.5), expect, rtol=1e-13)
    # constant α = ½: D²/(2α) + (α/2) Σ g_s² = 4 + ¼·(4, 5, 5.25)
    assert np.allclose(bound_of(path, "ftrl", alpha=0.5, schedule="const"), [5.0, 5.25, 5.3125], rtol=1e-13)


def test_adagrad_by_hand(tmp_path):
    # (D∞²/(2α) + α) Σ_i ‖g_1:t,i‖₂ = (4 + ½)·(2, √5, √5.25)
    path = sequence(tmp_path, G_OGD)
    expect = [9.0, 4.5 * sqrt(5), 4.5 * sqrt(5.25)]
    assert np.allclose(bound_of(path, "adagrad", alpha=0.5), expect, rtol=1e-13)
    # two coordinates, α = 1: (2 + 1)·(‖g_1:t,1‖ + ‖g_1:t,2‖)
    path = sequence(tmp_path, [[1.0, 2.0], [-1.0, 0.0]])
    assert np.allclose(bound_of(path, "adagrad", alpha=1.0), [9.0, 3 * (sqrt(2) + 2)], rtol=1e-13)


def test_amsgrad_by_hand(tmp_path):
    path = sequence(tmp_path, G_ADAM)
    third = 0.5 / (0.5 ** 2 * (1 - 0.625) * sqrt(1 - 0.64))  # α/((1−β1)²(1−γ)√(1−β2))
    # constant β1t = ½: D∞²√t/(α(1−β1)) √v̂_t = 16√t √v̂_t;  D∞²/(2(1−β1)) Σ_s β1 √v̂_s √s/α = 4 Σ_s √s √v̂_s
    expect = [16 * sqrt(t) * sqrt(VHAT[t - 1]) + 4 * sum(sqrt(s) * sqrt(VHAT[s - 1]) for s in range(1, t + 1))
              + third * sqrt(1 + log(t)) * NORM[t - 1] for t in (1, 2, 3)]
    assert np.allclose(bound_of(path, "amsgrad", **ADAM), expect, rtol=1e-13)
    # β1t = ½/t: the second term is 4 Σ_s √v̂_s/√s
    expect = [16 * sqrt(t) * sqrt(VHAT[t - 1]) + 4 * sum(sqrt(VHAT[s - 1]) / sqrt(s) for s in range(1, t + 1))
              + third * sqrt(1 + log(t)) * NORM[t - 1] for t in (1, 2, 3)]
    assert np.allclose(bound_of(path, "amsgrad", **ADAM, beta1_schedule="inv"), expect, rtol=1e-13)


def test_adamnc_by_hand(tmp_path):
    path = sequence(tmp_path, G_ADAM)
    # √(t v_t) = ‖g_1:t‖: D∞²/(2α(1−β1)) ‖g_1:t‖ = 8‖g_1:t‖;  D∞²/(2(1−β1)) Σ_s β1 √v_s √s/α = 4 Σ_s ‖g_1:s‖;
    # 2α/(1−β1)³ ‖g_1:t‖ = 8‖g_1:t‖
    expect = [16 * NORM[t - 1] + 4 * sum(NORM[:t]) for t in (1, 2, 3)]
    assert np.allclose(bound_of(path, "adamnc", alpha=0.5, beta1=0.5), expect, rtol=1e-13)


def test_adabound_by_hand(tmp_path):
    path = sequence(tmp_path, G_ADAM)
    # α* = 0.1, γ = ½: η_l = 0.1(1 − 1/(t/2 + 1)) = 1/30, 0.05, 0.06; η_u = 0.1(1 + 2/t) = 0.3, 0.2, 1/6;
    # α/√v_t = 0.83, 0.39, 0.46 are clipped to η_u: η_t = 0.3, 0.2/√2, (1/6)/√3 (the 1/√t of α_t = α/√t).
    eta = [0.3, 0.2 / sqrt(2), 1 / 6 / sqrt(3)]
    assert 0.5 / sqrt(V[0]) > 0.3 and 0.5 / sqrt(V[1]) > 0.2 and 0.5 / sqrt(V[2]) > 1 / 6
    w = [1 / (e * 0.5) for e in eta]  # 1/(η_t(1 − β1)), increasing here: Σ[w_t − w_{t−1}]⁺ = w_t
    assert w[0] < w[1] < w[2]
    r_inf, G2 = 0.3, [1.0, 4.0, 4.0]  # R∞ = η_u(1); max_s g_s²
    # (D∞²/2) w_t + D∞²/(2(1−β1)) Σ_s β1/η_s + (2√t − 1) R∞ G²/(1−β1)
    expect = [2 * w[t - 1] + 4 * sum(0.5 / e for e in eta[:t]) + (2 * sqrt(t) - 1) * r_inf * G2[t - 1] / 0.5
              for t in (1, 2, 3)]
    assert np.allclose(bound_of(path, "adabound", **ADAM, final_lr=0.1, gamma=0.5), expect, rtol=1e-13)


def test_adabound_first_term_is_corrected_where_the_rate_rises(tmp_path):
    """g = 2, 0, 0 with wide bounds (α* = 1, γ = 0.01): v falls (1.44, 0.9216, 0.589824), the rate α/√v is not
    clipped, and w_t = 1/(η_t(1 − β1)) = 4√t √v_t = 4.8, 3.84√2, 3.072√3 falls at t = 3. The published first
    term (D∞²/2) w_3 would be below the telescoped sum (D∞²/2) Σ[w_t − w_{t−1}]⁺ = (D∞²/2) w_2; oco evaluates
    the latter. AMSBound's v̂ stays at 1.44: its w rises, and the two agree."""
    path = sequence(tmp_path, [[2.0], [0.0], [0.0]])
    v = [1.44, 0.64 * 1.44, 0.64 ** 2 * 1.44]
    w = [4 * sqrt(t) * sqrt(v[t - 1]) for t in (1, 2, 3)]
    assert w[2] < w[1]
    rise = [w[0], w[1], w[1]]
    # (2√t − 1) R∞ G²/(1 − β1) with R∞ = α*(1 + 1/γ), G² = 4
    third = [(2 * sqrt(t) - 1) * (1 * (1 + 1 / 0.01)) * 4 / 0.5 for t in (1, 2, 3)]

    def expect(first, w):
        return [2 * first[t - 1] + 4 * sum(0.5 * wi * 0.5 for wi in w[:t]) + third[t - 1] for t in (1, 2, 3)]

    kw = dict(**ADAM, final_lr=1.0, gamma=0.01)
    assert np.allclose(bound_of(path, "adabound", **kw), expect(rise, w), rtol=1e-13)
    w_ams = [4 * sqrt(t) * 1.2 for t in (1, 2, 3)]
    assert np.allclose(bound_of(path, "amsbound", **kw), expect(w_ams, w_ams), rtol=1e-13)


def test_a_problem_instance_is_passed_where_the_result_cannot_rebuild_it():
    p = problems.FileSequence(np.array(G_OGD))
    r = oco.simulate(p, "ogd", T=3, alpha=0.5, checkpoint_every=1)
    assert r.regret_bound is None and "pass problem=" in r.bound().notes[0]
    ev = r.bound(p)
    assert np.allclose(ev.values[:, 0], [5.0, 6 * sqrt(2) - 1, 6 * sqrt(3) - 1], rtol=1e-13)


# ---------------------------------------------------------------- R_t ≤ bound on every linear problem
LINEAR = [name for name, cls in problems.PROBLEMS.items() if cls.linear]
ADAM_GRID = {"alpha": [0.01, 0.5, 2.0], "beta1": [0.0, 0.9, 0.5], "beta2": [0.5, 0.99, 0.999]}
BOUND_GRID = {**ADAM_GRID, "final_lr": [0.1, 1.0, 0.01], "gamma": [1e-3, 0.1, 1.0]}
CONFIGS = {  # each a batch of 3 configurations meeting the theorem's conditions
    "ogd": [{"alpha": [0.05, 0.5, 2.0]}, {"alpha": [0.01, 0.3, 3.0], "schedule": "const"}],
    "ftrl": [{"alpha": [0.05, 0.5, 2.0]}, {"alpha": [0.01, 0.3, 3.0], "schedule": "const"}],
    "adagrad": [{"alpha": [0.01, 0.1, 1.0]}],
    "amsgrad": [ADAM_GRID, {**ADAM_GRID, "beta1_schedule": "exp", "lam": [0.999, 0.9, 0.0]},
                {**ADAM_GRID, "beta1_schedule": "inv"}],
    "adamnc": [{"alpha": [0.01, 0.5, 2.0], "beta1": [0.0, 0.9, 0.99]},
               {"alpha": [0.01, 0.5, 2.0], "beta1": [0.0, 0.9, 0.99], "beta1_schedule": "exp", "lam": 0.99}],
    "adabound": [BOUND_GRID, {**BOUND_GRID, "beta1_schedule": "inv", "eps": 1e-8}],
    "amsbound": [BOUND_GRID, {**BOUND_GRID, "beta1_schedule": "exp", "lam": 0.9}],
}


def assert_below(r) -> None:
    """R_t ≤ the bound at every checkpoint of every configuration, each of which has a bound. Up to round-off
    only (1e-12 relative): some bounds are attained exactly (``test_the_bounds_are_attained``)."""
    R = r.checkpoints.avg_regret * r.checkpoints.t[:, None]
    b = r.regret_bound
    assert b is not None and np.isfinite(b).all(), r.bound().notes
    over = R > b + 1e-12 * np.abs(b)
    at, which = r.checkpoints.t[over.any(axis=1)], np.flatnonzero(over.any(axis=0))
    assert not over.any(), f"{r.method} on {r.problem}: R_t > bound at t = {at}, configurations {which}"


@pytest.mark.parametrize("method", list(CONFIGS))
@pytest.mark.parametrize("problem", LINEAR)
def test_regret_is_below_the_bound_on_every_linear_problem(problem, method):
    for kw in CONFIGS[method]:
        r = oco.simulate(problem, method, T=3000, seed=np.array([0, 1, 2]), backend="numpy", **kw)
        assert_below(r)


@pytest.mark.parametrize("method", list(CONFIGS))
@pytest.mark.parametrize("problem", ["reddi-online", "scaled-coordinates", "sparse-gradients"])
def test_regret_is_below_the_bound_on_a_ball_and_from_another_start(problem, method):
    """A ball (D = D∞ = 2r) and x_1 on its boundary: another projection, the same theorem."""
    d = problems.get_problem(problem).d
    x0 = np.full(d, 1.5 / sqrt(d))
    r = oco.simulate(problem, method, T=2000, domain="ball", radius=1.5, x0=x0, seed=np.array([3, 4, 5]),
                     backend="numpy", **CONFIGS[method][0])
    assert bounds.diameters(r.domain, d) == (3.0, 3.0)
    assert_below(r)


def test_the_bounds_are_attained():
    """The test above has no slack to hide a wrong constant in: OGD's and FTRL's bounds are reached exactly.
    Reddi's Theorem 1 sequence (3, −1, −1, …) from x_1 = +1 on [−1, 1] (D = 2, x* = −1):
    - OGD at t = 1 with α = D/G = 2/3: R_1 = ⟨g_1, x_1 − x*⟩ = 6 = D²/(2α) + α(1 − ½)G² = 3 + 3;
    - FTRL with constant α = 0.01: while no projection acts, x_{t+1} = x_1 − αG_t and for linear losses
      R_T = (‖x* − x_1‖² − ‖x* − x_{T+1}‖²)/(2α) + (α/2) Σ_t g_t² exactly; at T = 592, G_T = 197 + 3 = 200 puts
      x_{T+1} = 1 − 0.01·200 = x*, so R_T = D²/(2α) + (α/2) Σ_t g_t², the bound."""
    assert problems.get_problem("reddi-thm1").default_x0(oco.Box(-1.0, 1.0)).tolist() == [1.0]
    r = oco.simulate("reddi-thm1", "ogd", T=1, alpha=2 / 3, checkpoints=[1])
    assert r.regret[0] == 6.0 and r.regret_bound[0, 0] == pytest.approx(6.0, rel=1e-15)
    r = oco.simulate("reddi-thm1", "ftrl", T=592, alpha=0.01, schedule="const", checkpoints=[591, 592])
    assert r.x_final[0, 0] == pytest.approx(-1.0, abs=1e-12)
    R = r.checkpoints.avg_regret[:, 0] * r.checkpoints.t
    sum_sq = 197 * (9 + 1 + 1) + 9  # Σ g_t² over 197 periods and the first round of the next
    assert R[1] == pytest.approx(4 / 0.02 + 0.005 * sum_sq, rel=1e-13)
    assert r.regret_bound[1, 0] == pytest.approx(R[1], rel=1e-13) and r.regret_bound[0, 0] - R[0] > 0.04


def test_the_bound_is_that_of_the_rounds_so_far():
    """The bound at a checkpoint t is that of the horizon-t run: the final bound of a run of t rounds."""
    long = oco.simulate("reddi-stochastic", "amsgrad", T=500, alpha=0.5, seed=2, checkpoints=[17, 200, 500])
    short = oco.simulate("reddi-stochastic", "amsgrad", T=200, alpha=0.5, seed=2, checkpoints=[200])
    assert long.regret_bound[1, 0] == pytest.approx(short.regret_bound[-1, 0], rel=1e-12)


# ---------------------------------------------------------------- where there is no bound, and why
@pytest.mark.parametrize("method, kw, why", [
    ("adam", {}, "not a method with a published one"),
    ("amsgrad:torch", {}, "not a method with a published one"),
    ("amsgrad", {"schedule": "const"}, "needs schedule sqrt"),
    ("ogd", {"schedule": "sgdr"}, "needs schedule sqrt or const"),
    ("adagrad", {"eps": 1e-8}, "ε = 0"),
    ("amsgrad", {"beta1": 0.9, "beta2": 0.5}, "γ = β1/√β2 < 1"),
    ("adabound", {"beta1": 0.9, "beta2": 0.64}, "γ = β1/√β2 < 1"),
    ("adamnc", {"beta1_schedule": "exp", "lam": 1.5}, "λ ≤ 1"),
    ("ogd", {"domain": "none"}, "unbounded"),
])
def test_no_bound_outside_the_conditions(method, kw, why):
    r = oco.simulate("reddi-online", method, T=20, **kw)
    assert r.regret_bound is None and why in r.bound().notes[0]
    assert r.runs()[0]["regret_bound"] is None and why in r.runs()[0]["regret_bound_note"]


def test_a_batch_keeps_the_bound_of_the_configurations_that_meet_the_conditions():
    r = oco.simulate("reddi-online", "amsgrad", T=50, beta1=0.9, beta2=np.array([0.5, 0.99]))
    assert np.isnan(r.regret_bound[:, 0]).all() and np.isfinite(r.regret_bound[:, 1]).all()
    notes = r.bound().notes
    assert "γ = 1.27279 here" in notes[0] and notes[1] == "Reddi, Kale & Kumar (ICLR 2018), Theorem 4"


def test_no_bound_on_a_non_linear_problem():
    r = oco.simulate("stochastic-quadratic", "ogd", T=20)
    assert r.regret_bound is None and "not linear" in r.bound().notes[0]


def test_too_much_work_is_refused_with_a_note():
    r = oco.simulate("reddi-online", "amsgrad", T=100, beta2=np.array([0.99, 0.999]))
    ev = bounds.regret_bound(r, max_work=150)
    assert ev.values is None and "max_work=None" in ev.notes[0]
    assert np.array_equal(bounds.regret_bound(r, max_work=None).values, r.bound().values)


# ---------------------------------------------------------------- where the bound appears
def test_json_has_the_bound_at_T():
    r = runner.invoke(cli.app, ["run", "reddi-online", "-m", "amsgrad", "-m", "adam", "--T", "400", "--json",
                                "--quiet"])
    assert r.exit_code == 0, r.stderr
    ams, adam = json.loads(r.stdout)["runs"]
    ref = oco.simulate("reddi-online", "amsgrad", T=400, alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")
    assert ams["regret_bound"] == float(ref.regret_bound[-1, 0]) and ams["regret"] <= ams["regret_bound"]
    assert ams["regret_bound_note"] == "Reddi, Kale & Kumar (ICLR 2018), Theorem 4"
    assert adam["regret_bound"] is None and "adam (paper)" in adam["regret_bound_note"]


def test_show_states_formula_source_and_conditions():
    for name in bounds.THEOREMS:
        out = runner.invoke(cli.app, ["show", name]).stdout
        th = bounds.THEOREMS[name]
        assert th.formula in out and th.source in out and th.needs in out, name
    out = runner.invoke(cli.app, ["show", "adam"]).stdout
    assert "regret bound" not in out


def test_the_regret_figure_draws_the_bound_dashed():
    r = oco.simulate("reddi-online", "amsgrad", T=300)
    others = [oco.simulate("reddi-online", "adam", T=300)]
    ax = oco.plot([r, *others], "regret").axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    bound = lines["amsgrad: regret bound / t"]
    assert bound.get_linestyle() == "--" and "adam: regret bound / t" not in lines
    assert np.allclose(bound.get_ydata(), r.regret_bound[:, 0] / r.checkpoints.t, rtol=1e-15)
    assert "regret_bound" in runs.traces(r) and "regret_bound" not in runs.traces(others[0])


def test_theorems_are_the_paper_rows():
    for name in bounds.THEOREMS:
        assert oco.get_method(name, "paper").name == name
        assert bounds.theorem(name, "torch") is None
    assert math.isinf(bounds.diameters({"kind": "none"}, 3)[1])
    assert bounds.diameters({"kind": "box", "lo": [-1.0, 0.0], "hi": [1.0, 0.5]}, 2) == (sqrt(4.25), 2.0)
