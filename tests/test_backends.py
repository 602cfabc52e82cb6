"""Every backend agrees with the NumPy engine (the reference) in float64 on the method × problem matrix."""

import importlib.util

import numpy as np
import pytest

import oco
from oco.methods import conventions_of
from oco.problems.base import PeriodicLinear, Problem

ROWS = [(n, c) for n in oco.method_names() for c in conventions_of(n)]
BACKENDS = [b for b in ("numba", "torch") if importlib.util.find_spec(b)]


def _covering_rows():
    """A few rows that between them use every piece of the table (a greedy set cover)."""
    fns = {r: {p.fn for p in oco.get_method(*r).all_pieces} for r in ROWS}
    left, chosen = set().union(*fns.values()), []
    while left:
        best = max(ROWS, key=lambda r: len(fns[r] & left))
        chosen.append(best)
        left -= fns[best]
    return chosen


COVER = _covering_rows()


def _matrix():
    """torch (nothing to compile) on every row; numba on the covering rows, on every row with -m slow."""
    for backend in BACKENDS:
        for row in ROWS:
            slow = backend == "numba" and row not in COVER
            yield pytest.param(backend, *row, marks=[pytest.mark.slow] if slow else [])


class Sequence(Problem):
    name = "test-sequence"

    def __init__(self, g):
        self.g = np.asarray(g, float)
        self.d = self.g.shape[1]

    def data(self, seed, t0, n):
        rng = np.random.default_rng(seed)  # a different sequence per seed, the same whatever the chunk
        g = self.g * rng.choice([-1.0, 1.0], size=self.g.shape)
        return g[t0 - 1 : t0 - 1 + n]


def _hyper(name, convention):
    """A batch of 3 configurations: the defaults, and two with other step sizes and, where present, β's."""
    m = oco.get_method(name, convention)
    hp = {"alpha": np.array([m.hypers["alpha"].default, 0.05, 0.3])}
    if "beta1" in m.hypers:
        hp["beta1"] = np.array([0.9, 0.0, 0.5])
    if "beta2" in m.hypers:
        hp["beta2"] = np.array([0.999, 0.9, 0.99])
    if "weight_decay" in m.hypers:
        hp["weight_decay"] = np.array([0.0, 0.01, 0.1])
    if "momentum" in m.hypers:
        hp["momentum"] = np.array([0.0, 0.9, 0.5])
    return hp


def _same(got, ref, running, rtol, atol, what, axis=0):
    """got == ref to rtol/atol where finite. A NaN agrees only with a NaN of a configuration both runs marked
    diverged (at the same round, checked by the caller): two NaNs of a running configuration are a failure, not an
    agreement. ±∞ (the regret against an unbounded comparator, a learning rate before any gradient) must be the
    same ±∞ in both."""
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    assert got.shape == ref.shape, what
    shape = [1] * ref.ndim  # running (B,) along the configurations' axis of ref
    shape[axis] = -1
    run = np.broadcast_to(np.asarray(running).reshape(shape), ref.shape)
    assert not np.any(np.isnan(ref[run])), f"{what}: the NumPy engine has a NaN in a running configuration"
    assert not np.any(np.isnan(got[run])), f"{what}: NaN in a running configuration"
    fin = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(got), fin, err_msg=f"{what}: where the values are finite")
    np.testing.assert_array_equal(got[~fin], ref[~fin], err_msg=what)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=rtol, atol=atol, err_msg=what)


def _agree(a, b, rtol=1e-12, exact_gamma=True, exact=False):
    """b (a backend) agrees with a (the NumPy engine): the same configurations diverge, at the same round; every
    other value is finite and equal to rtol; Reddi's Γ_t count is exact (numba computes η bit for bit as the
    engine; torch's η may differ in the last bit, which can flip a round-off tie between η_t and η_{t−1}: it counts
    with the engine's own Tallies, so its tolerance hides no counting bug of its own). exact: every value bit for
    bit (numba: the same arithmetic, and exp/log/cos/pow from the C library on both sides)."""
    np.testing.assert_array_equal(b.diverged_at, a.diverged_at)
    np.testing.assert_array_equal(b.diverged, a.diverged)
    if exact:
        for field in ("x_final", "cumulative_loss", "lr_min", "lr_max", "gamma_negative_rounds", "expected_gap"):
            np.testing.assert_array_equal(getattr(b, field), getattr(a, field), err_msg=field)
        for field in ("x", "avg_regret", "lr_quantiles", "expected_gap"):
            np.testing.assert_array_equal(getattr(b.checkpoints, field), getattr(a.checkpoints, field),
                                          err_msg=f"checkpoints.{field}")
    running = ~a.diverged
    for field in ("x_final", "cumulative_loss", "lr_min", "lr_max"):
        _same(getattr(b, field), getattr(a, field), running, rtol, 1e-300, field)
    _same(b.checkpoints.x, a.checkpoints.x, running, rtol, 1e-13, "checkpoints.x", axis=1)  # (K, B, d)
    _same(b.checkpoints.avg_regret, a.checkpoints.avg_regret, running, rtol, 1e-12, "checkpoints.avg_regret",
          axis=1)  # (K, B)
    if exact_gamma:
        np.testing.assert_array_equal(b.gamma_negative_rounds, a.gamma_negative_rounds, err_msg="Γ_t count")
    else:
        assert np.all(np.abs(b.gamma_negative_rounds - a.gamma_negative_rounds) <= 2)


@pytest.mark.parametrize("backend, name, convention", list(_matrix()))
def test_backend_matches_numpy_on_every_method(backend, name, convention):
    rng = np.random.default_rng(7)
    p = Sequence(rng.normal(0.2, 1.0, (300, 3)) * np.array([1e-3, 1.0, 30.0]))
    hp = _hyper(name, convention)
    seeds = np.array([0, 1, 0])
    ref = oco.simulate(p, name, T=300, convention=convention, seed=seeds, checkpoints=30, **hp)
    got = oco.simulate(p, name, T=300, convention=convention, seed=seeds, checkpoints=30, backend=backend, **hp)
    _agree(ref, got, exact_gamma=backend != "torch", exact=backend == "numba")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("domain", ["ball", "none"])
@pytest.mark.parametrize("name", ["adam", "amsgrad", "sgd", "adagrad"])
def test_backend_matches_numpy_on_other_domains(backend, domain, name):
    rng = np.random.default_rng(3)
    p = Sequence(rng.normal(0.0, 1.0, (200, 4)))
    hp = dict(alpha=np.array([0.1, 0.5]), schedule="sqrt")
    ref = oco.simulate(p, name, T=200, domain=domain, seed=np.array([0, 1]), **hp)
    got = oco.simulate(p, name, T=200, domain=domain, seed=np.array([0, 1]), backend=backend, **hp)
    _agree(ref, got, rtol=1e-11, exact_gamma=backend != "torch", exact=backend == "numba")


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_reproduces_reddi_and_divergence(backend):
    T = 5000
    b1 = np.array([0.0, 0.9, 0.9])
    kw = dict(T=T, alpha=0.5, beta1=b1, beta2=0.99, schedule="sqrt", beta1_schedule="exp", lam=0.999)
    _agree(oco.simulate("reddi-online", "adam", **kw), oco.simulate("reddi-online", "adam", backend=backend, **kw),
           exact_gamma=backend != "torch", exact=backend == "numba")
    p = Sequence(np.r_[np.zeros((5, 1)), np.full((20, 1), 1e300)])
    kw = dict(T=25, alpha=np.array([1e-300, 1e10]), domain="none", checkpoint_every=1)
    ref, got = oco.simulate(p, "sgd", **kw), oco.simulate(p, "sgd", backend=backend, **kw)
    assert list(got.diverged) == [False, True] and got.diverged_at[1] == ref.diverged_at[1] == 6
    _agree(ref, got, exact_gamma=backend != "torch")


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_numba_threads_and_fused_kernel_match(monkeypatch, threads):
    """A batch split over 1–3 threads (blocks of 32), and one configuration (the fused kernel), are exact."""
    monkeypatch.setenv("OCO_NUMBA_THREADS", threads)
    b1, b2 = np.meshgrid(np.linspace(0, 0.99, 10), np.linspace(0.5, 0.999, 10))
    kw = dict(T=3000, alpha=0.5, beta1=b1.ravel(), beta2=b2.ravel(), schedule="sqrt")
    ref = oco.simulate("reddi-online", "amsgrad", **kw)
    got = oco.simulate("reddi-online", "amsgrad", backend="numba", **kw)
    np.testing.assert_array_equal(got.x_final, ref.x_final)
    np.testing.assert_array_equal(got.cumulative_loss, ref.cumulative_loss)
    one = oco.simulate("reddi-online", "amsgrad", backend="numba", T=3000, alpha=0.5, schedule="sqrt",
                       beta1=b1.ravel()[7], beta2=b2.ravel()[7])
    np.testing.assert_array_equal(one.checkpoints.x[:, 0], ref.checkpoints.x[:, 7])


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        oco.simulate(PeriodicLinear(), "adam", T=10, backend="jax")


def test_the_registry_drives_the_backend_lists():
    """Every registered backend (and "auto") is in oco.BACKENDS, the config's list and ``oco list``."""
    from typer.testing import CliRunner

    from oco import backends, cli, config

    lines = CliRunner().invoke(cli.app, ["list"]).stdout.splitlines()
    listed = [line.split()[0] for line in lines[lines.index("backends (--backend):") + 1:]]
    assert listed == list(oco.api.BACKENDS) == list(config.backends()) == ["auto", *backends.REGISTRY]


@pytest.mark.parametrize("name, needs", [("torch", "PyTorch: pip install torch"), ("numba", "numba: pip install numba")])
def test_a_backend_that_cannot_be_imported_is_a_clear_error(monkeypatch, name, needs):
    from oco.backends import REGISTRY

    monkeypatch.setattr(REGISTRY[name], "importable", lambda: False)
    with pytest.raises(ValueError, match=f"the {name} backend needs {needs}"):
        oco.simulate(PeriodicLinear(), "adam", T=10, backend=name)
    assert oco.simulate(PeriodicLinear(), "adam", T=10).T == 10  # auto still runs, on numpy


def test_numba_falls_back_to_numpy_with_a_notice(capsys):
    """A problem numba cannot run (not linear) runs on NumPy, with one line on stderr saying why."""
    from oco.backends import REGISTRY, is_linear

    class Quadratic(Sequence):
        linear = False

        def loss_grad(self, x, data):
            return 0.5 * np.sum(data * x * x, axis=-1), data * x

    p = Quadratic(np.abs(np.random.default_rng(0).normal(size=(20, 2))))
    assert not is_linear(p) and is_linear(PeriodicLinear())
    assert REGISTRY["numba"].supports(p, oco.Box()) is not None
    got = oco.simulate(p, "adam", T=20, backend="numba")
    assert "the numba backend cannot run this" in capsys.readouterr().err
    np.testing.assert_array_equal(got.x_final, oco.simulate(p, "adam", T=20, backend="numpy").x_final)


# rows whose rounds split differently (see oco.backends.numba.forms.phases): state recurrences then elementwise then the
# step; state written by the step (AdaDelta); no step phase (lazy FTRL); the iterate in the step (decoupled
# and coupled decay); per-configuration clocks carrying state (NAdam, RAdam); a bounded rate (AdaBound)
FORM_ROWS = [("adam", "paper"), ("adadelta", "paper"), ("ftrl", "paper"), ("adamw", "paper"), ("sgd", "torch"),
             ("nadam", "torch"), ("radam", "torch"), ("adabound", "torch")]


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("name, convention", FORM_ROWS)
@pytest.mark.parametrize("batch", [3, 300])
def test_numba_one_coordinate_forms_match_numpy(name, convention, batch):
    """d = 1: a handful of configurations runs the split form (tiles of rounds), a batch the fused form by
    round; α shared across the batch (the clock runs once per round) or not, several data seeds."""
    rng = np.random.default_rng(11)
    p = Sequence(rng.normal(0.3, 1.0, (700, 1)) * 5.0)
    hp = _hyper(name, convention)
    hp = {k: np.resize(v, batch) for k, v in hp.items()}
    if batch > 3:
        hp["alpha"] = hp["alpha"][0]
    seeds = np.arange(batch) % 2
    kw = dict(T=700, convention=convention, seed=seeds, checkpoints=3, schedule="sqrt", **hp)
    _agree(oco.simulate(p, name, **kw), oco.simulate(p, name, backend="numba", **kw), exact=True)


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("domain", ["box", "none"])
def test_numba_divergence_in_a_block_is_exact(domain):
    """A block whose optimistic pass meets a non-finite value starts over with the masks: the diverged
    configurations stop at the same round as in the engine, the others are untouched."""
    g = np.r_[np.full(50, 1.0), np.full(20, 1e300), np.full(30, -1.0)][:, None]
    if domain == "box":  # clipped iterates keep every loss finite: a NaN gradient stops them all at round 61
        g[60] = np.nan
    kw = dict(T=100, alpha=np.geomspace(1e-300, 1e10, 300), domain=domain, checkpoint_every=7)
    for name in ("sgd", "adam"):
        ref = oco.simulate(Sequence(g), name, **kw)
        got = oco.simulate(Sequence(g), name, backend="numba", **kw)
        np.testing.assert_array_equal(got.diverged_at, ref.diverged_at)
        np.testing.assert_array_equal(got.x_final, ref.x_final)
        np.testing.assert_array_equal(got.cumulative_loss, ref.cumulative_loss)
        np.testing.assert_array_equal(got.lr_min, ref.lr_min)
        np.testing.assert_array_equal(got.gamma_negative_rounds, ref.gamma_negative_rounds)
        assert 0 < ref.diverged.sum()


def test_split_phases_follow_the_data_flow():
    """Adam: the moments are the state's recurrences (A), η is elementwise (B), the step reads x (C);
    AdaDelta's E[Δx²] is written by the step, so its rate joins C; coupled decay puts every piece in C."""
    from oco.backends.numba.forms import phases
    from oco.engine import round_pieces

    def names(row, coupled=False):
        m = oco.get_method(*row)
        h, _ = m.resolve({})
        ph = phases(round_pieces(m, h)[1], {*m.state, *m.cstate}, coupled)
        return [[p.fn.__name__ for p in phase] for phase in ph]

    assert names(("adam", "paper")) == [["ema", "ema_sq"], ["root"], ["descend"]]
    assert names(("adadelta", "paper"))[2] == ["adadelta_rate", "adadelta_step"]
    assert names(("adam", "torch"), coupled=True)[:2] == [[], []]


# ---------------------------------------------------------------- exp, log, cos and pow: the C library's everywhere
# NumPy's float64 exp/log/cos/power (SIMD loops on AVX-512 CPUs) differ from the C library's in the last bit for a
# few per cent of inputs; oco.methods.ops applies math.* (the C library) elementwise instead, and the numba kernels
# call the same functions, so that rows and losses using them are bit-identical between backends and machines.
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -8.0, 3.0, 1 / 3, 2.5, -3.0, 400.0, -400.0, 401.0, 709.0,
                    709.78, 709.7827128933841, 710.0, -745.2, 1e300, -1e300, 1e-300, 5e-324, np.inf, -np.inf, np.nan])


def _libm_reference(fn, ufunc, *args):
    """fn (a math function, i.e. the C library's) on each element; where it raises instead of returning an IEEE
    value (a pole, a domain error, an overflow), NumPy's ufunc's value."""
    out = []
    for v in zip(*args):
        try:
            out.append(fn(*v))
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                out.append(float(ufunc(*map(np.float64, v))))
    return np.array(out)


def _libm_inputs():
    rng = np.random.default_rng(5)
    x = np.r_[rng.normal(0.0, 10.0, 20_000), np.exp(rng.uniform(-700.0, 700.0, 5_000)), SPECIAL]
    a = np.r_[np.abs(rng.normal(0.0, 3.0, 10_000)), rng.normal(0.0, 3.0, 2_000), np.repeat(SPECIAL, SPECIAL.size)]
    b = np.r_[rng.normal(0.0, 3.0, 10_000), np.round(rng.normal(0.0, 3.0, 2_000)), np.tile(SPECIAL, SPECIAL.size)]
    return x, a, b


def test_ops_exp_log_cos_power_are_the_c_librarys():
    """ops.exp/log/cos/power equal math.exp/log/cos/pow on every element (random and special inputs), NumPy's
    value where math raises; special values as C99 Annex F gives them; shapes and scalars as NumPy's ufuncs."""
    import math

    from oco.methods import ops

    x, a, b = _libm_inputs()
    with np.errstate(all="ignore"):
        for op, fn, ufunc in ((ops.exp, math.exp, np.exp), (ops.log, math.log, np.log), (ops.cos, math.cos, np.cos)):
            np.testing.assert_array_equal(op(x), _libm_reference(fn, ufunc, x), err_msg=fn.__name__)
            np.testing.assert_array_equal(op(x.reshape(-1, 1)[::3]), _libm_reference(fn, ufunc, x[::3])[:, None])
        np.testing.assert_array_equal(ops.power(a, b), _libm_reference(math.pow, np.power, a, b))
        inf, nan = np.inf, np.nan
        assert ops.exp(710.0) == inf and ops.exp(-inf) == 0.0 and ops.exp(709.0) == math.exp(709.0)
        assert ops.log(0.0) == ops.log(-0.0) == -inf and np.isnan(ops.log(-1.0)) and ops.log(inf) == inf
        assert np.isnan(ops.cos(inf)) and ops.cos(0.0) == 1.0
        np.testing.assert_array_equal(ops.power(np.array([0.0, -0.0, 0.0, -10.0, 10.0, nan, 1.0, -1.0]),
                                                np.array([-1.0, -1.0, -2.0, 401.0, 400.0, 0.0, nan, inf])),
                                      [inf, -inf, inf, -inf, inf, 1.0, 1.0, 1.0])
        assert np.isnan(ops.power(-8.0, 1 / 3)) and ops.power(-8.0, 3.0) == -512.0
        # a batch whose elements are the same bits is one call: −0.0 and 0.0 are not the same
        np.testing.assert_array_equal(ops.power(np.full((4, 1), -0.0), -1.0), np.full((4, 1), -inf))
        np.testing.assert_array_equal(ops.log(np.full(3, 0.5)), np.full(3, math.log(0.5)))
    V, p = np.abs(np.random.default_rng(1).normal(size=(6, 3))), np.linspace(0.1, 0.5, 6)[:, None]
    got = ops.power(V, p)  # (B, d) against (B, 1): broadcast
    assert got.shape == (6, 3) and all(got[i, j] == math.pow(V[i, j], p[i, 0]) for i in range(6) for j in range(3))
    assert ops.power(0.5, p).shape == (6, 1) and ops.exp(np.array(1.0)).shape == ()
    for value in (ops.power(2.0, 0.25), ops.exp(1), ops.log(np.float64(2.0)), ops.cos(np.array(3.0))):
        assert isinstance(value, np.float64)
    assert ops.power(2.0, 0.25) == math.pow(2.0, 0.25) and ops.exp(np.empty((0, 2))).shape == (0, 2)


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
def test_numba_scalar_ops_are_the_c_librarys_at_full_optimisation(tmp_path):
    """The kernels' exp/log/cos/power/logaddexp equal ops' (NumPy's side) on every input at LLVM -O3 — where LLVM
    rewrites pow(0.5, y) as exp2(−y) and pow(x, 0.5) as sqrt(x) unless told the call is not the builtin, and
    numba's own pow squares repeatedly for an integer exponent (the suite otherwise compiles at -O0)."""
    import os
    import subprocess
    import sys

    x, a, b = _libm_inputs()
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    script = '''
import sys
import numpy as np
from oco.backends.numba.cache import load
from oco.backends.numba.shared import SCALAR_OPS
from oco.methods import ops

LOOPS = """

@njit(cache=True, error_model='numpy')
def unary(x, y, out):
    for i in range(x.size):
        out[0, i] = exp(x[i])
        out[1, i] = log(x[i])
        out[2, i] = cos(x[i])
        out[3, i] = power(0.5, x[i])
        out[4, i] = power(2.0, x[i])
        out[5, i] = power(x[i], 0.5)
        out[6, i] = power(x[i], 0.25)
        out[7, i] = power(x[i], 2.0)
        out[8, i] = power(x[i], -1.0)
        out[9, i] = power(0.96, x[i])
        out[10, i] = logaddexp(x[i], y[i])
        out[11, i] = power(abs(x[i]) % 1.0, i % 3001 - 1)


@njit(cache=True, error_model='numpy')
def binary(a, b, out):
    for i in range(a.size):
        out[i] = power(a[i], b[i])
"""
m = load(SCALAR_OPS.read_text() + LOOPS)
d = sys.argv[1]
x, a, b = (np.load(d + f"/{n}.npy") for n in "xab")
y = np.roll(x, 1)
out = np.empty((12, x.size))
m.unary(x, y, out)
k = np.arange(x.size) % 3001 - 1
with np.errstate(all="ignore"):
    ref = [ops.exp(x), ops.log(x), ops.cos(x), ops.power(0.5, x), ops.power(2.0, x), ops.power(x, 0.5),
           ops.power(x, 0.25), ops.power(x, 2.0), ops.power(x, -1.0), ops.power(0.96, x), np.logaddexp(x, y),
           ops.power(np.abs(x) % 1.0, k.astype(float))]
    pow_ab = ops.power(a, b)
bad = [i for i in range(12) if not np.array_equal(out[i], ref[i], equal_nan=True)]
got = np.empty(a.size)
m.binary(a, b, got)
if not np.array_equal(got, pow_ab, equal_nan=True):
    bad.append("power(a, b)")
print("mismatch:", bad)
'''
    env = {**os.environ, "NUMBA_OPT": "3", "OCO_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "mismatch: []"


# every schedule's transcendental: SGDR's cosine, β1·λ^{t−1} with λ per configuration, β1/t
SCHEDULE_RUNS = [("adam", "paper", dict(schedule="sgdr", sgdr_t0=7, beta1_schedule="exp",
                                         lam=np.array([0.999, 0.9, 0.5]))),
                 ("amsgrad", "paper", dict(schedule="sqrt", beta1_schedule="inv")),
                 ("nadam", "torch", dict(schedule="sgdr", sgdr_t0=5, sgdr_mult=3, alpha_min=1e-4,
                                         momentum_decay=np.array([4e-3, 1e-2, 0.3])))]


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("name, convention, schedules", SCHEDULE_RUNS)
def test_numba_schedules_are_bit_identical(name, convention, schedules):
    rng = np.random.default_rng(2)
    p = Sequence(rng.normal(0.1, 1.0, (400, 2)) * np.array([1.0, 20.0]))
    kw = dict(T=400, convention=convention, seed=np.array([0, 1, 0]), checkpoints=20, **_hyper(name, convention),
              **schedules)
    _agree(oco.simulate(p, name, **kw), oco.simulate(p, name, backend="numba", **kw), exact=True)


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("problem", sorted(__import__("oco.problems", fromlist=["PROBLEMS"]).PROBLEMS))
def test_numba_is_bit_identical_on_every_builtin_problem(problem):
    """Every problem of ``oco list`` (its default parameters and domain), compiled — none falls back — and equal
    bit for bit to the NumPy engine: logistic-goog's e^x and NAdam's 0.96^{tψ} included."""
    from oco.backends import REGISTRY
    from oco.problems import get_problem

    p = get_problem(problem)
    assert REGISTRY["numba"].supports(p, p.default_domain()) is None
    kw = dict(T=min(200, p.max_rounds or 200), convention="torch", seed=np.array([0, 1]), checkpoints=5,
              alpha=np.array([2e-3, 0.05]), momentum_decay=np.array([4e-3, 0.05]))
    _agree(oco.simulate(problem, "nadam", **kw), oco.simulate(problem, "nadam", backend="numba", **kw), exact=True)


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
def test_kernels_compiled_ahead_by_a_worker_process_are_the_ones_a_run_loads(tmp_path):
    """``compile_ahead`` (at full optimisation: kernels compiled at -O0 cannot be cached): of three methods'
    kernels, a worker process compiles the others while this one compiles the first; a user's method defined
    in the script, which the worker cannot unpickle, falls back to this process; once ``ready`` says so the
    worker's kernel is in the disk cache before it runs, and every run equals the NumPy engine's bit for bit."""
    import os
    import subprocess
    import sys

    script = '''
import os
import numpy as np
from oco.api import plan
from oco.backends import compile_ahead
from oco.backends.numba import cached
from oco.backends.numba.ahead import Ahead

import oco
from oco.methods import Method, P, pieces


def second(v, g, beta2):  # defined in __main__: a worker process cannot unpickle it (this process compiles it)
    return beta2 * v + (1.0 - beta2) * abs(g)


mine = Method("mine", "paper", P(pieces.ema, "m=d"), P(second, "v=V"), P(pieces.root, "eta"),
              state={"m": 0.0, "v": 0.0}, hypers=oco.get_method("adam").hypers, formula="", source="")
kw = dict(alpha=np.array([0.1, 0.5, 1.0]), seed=np.array([0, 1, 2]), backend="numba")
jobs = [plan("stochastic-quadratic", m, 300, **kw) for m in ("adagrad", mine, "sgd")]
results = []
with compile_ahead(jobs) as ahead:
    assert isinstance(ahead, Ahead)
    workers = ahead.pool is not None
    for j in jobs:
        ahead.ready(j)
        if j.method.name == "sgd":
            print("cached before running:", cached(j.problem, j.method, j.h, j.seeds, j.x0, j.domain))
        results.append(j.run())
for job, r in zip(jobs, results):
    ref = plan("stochastic-quadratic", job.method, 300, **{**kw, "backend": "numpy"}).run()
    assert np.array_equal(r.x_final, ref.x_final) and np.array_equal(r.regret, ref.regret)
print("workers:", workers)
'''
    env = {**os.environ, "NUMBA_OPT": "3", "OCO_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr  # the worker that cannot unpickle a job says False, it does not die
    lines = run.stdout.strip().splitlines()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert lines[-1] == f"workers: {cores >= 2}"
    if cores >= 2:
        assert lines[-2] == "cached before running: True"
