"""``optax:DOTTED.FACTORY``: an optax ``GradientTransformation`` factory (``optax:optax.adam``,
``optax:optax.amsgrad``, ``optax:optax.contrib.adopt``, a third party's) run on oco's problems.

Hyperparameters come from the factory's signature, oco's names mapped onto optax's:

    alpha ↔ learning_rate   (with oco's ``schedule``: α_t is injected as the learning rate each round)
    beta1 ↔ b1,  beta2 ↔ b2,  eps ↔ eps

every other argument under its own name (``optax_NAME`` where the name is oco's), checked by the type of its
default (``oco.foreign.hypers``: one mapping for both adapters): bool → bool, float → real (nonneg when the
default is ≥ 0), int → int+ (int when the default is < 1), None or anything else → any (passed on as given; an
argument without a default must be given: ``--set NAME=VALUE``).

How it runs. JAX computes in float64 (``jax_enable_x64`` is switched on when a factory is loaded, before
anything is built). The B configurations are one ``jax.vmap`` of the single configuration's update; the
factory is wrapped in ``optax.inject_hyperparams`` and every hyperparameter oco holds as a number (α_t and
every real-valued argument) lives in the optimizer state as a (B,) array, so new values never recompile and a
configuration computes the same graph in a batch as alone. Booleans, integers and the arguments passed on as
given are static (``static_args``): one value for the whole batch.

Bit for bit, a batch is its single runs only where XLA does not contract a·b + c into FMAs: it does so on
x86-64 where its fusion allows, fusion depends on the shapes, and inside ``lax.scan`` a configuration of a
batch of 8 then differs from its single run in the last bits. Loading a factory before JAX has started its
backend therefore sets ``XLA_FLAGS=--xla_cpu_max_isa=AVX`` (no FMA instructions; no slower here) unless
XLA_FLAGS already picks an ISA; when JAX has started, a warning says the agreement is to round-off.

    per round (every problem: the seam's ``run_foreign``)   the problem's g_t in NumPy, one jitted step
    linear problems (``oco.backends.is_linear``)            pieces of rounds in one jitted ``lax.scan``: the
                                                            step and the Euclidean projection inside it, the
                                                            iterates of the piece out; then oco's Tallies,
                                                            Traces and finish in NumPy, round by round, as
                                                            run_foreign does (while JAX runs the next piece:
                                                            ``ScanRounds`` in the host loop, ``oco.loop``)

optax's Adam is not oco's ``adam:torch`` (nor the paper form ``adam``, which has no bias correction and ε
inside the root): optax corrects the moments themselves, m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and steps
x̂ = x − α·m̂/(√(v̂ + ε_root) + ε) (ε_root = 0 by default: ε outside the root, added to √v̂), with β^t a
power of the step count and m = β1 m + (1 − β1) g; torch.optim.Adam (``adam:torch``) corrects the step
instead, x̂ = x − (α/(1 − β1^t))·m/(√v/√(1 − β2^t) + ε), with m = lerp(m, g, 1 − β1) and β^t running
products. The two agree to round-off, not bit for bit. Like every foreign optimizer, its preconditioner is not visible to oco: lr_min, lr_max and Γ_t's
negative rounds are reported as not observable.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..hints import did_you_mean
from ..loop import CHUNK, host_loop
from ..methods import ALIASES, clock_pieces
from .base import NOT_OBSERVABLE, Foreign, ForeignRounds, Stepper, import_dotted, run_foreign
from .hypers import Arg, Names, from_signature

# optax's names for oco's: alpha ↔ learning_rate (which brings the schedule), beta1 ↔ b1, beta2 ↔ b2
NAMES = Names("optax", "learning_rate", renamed={"b1": ("beta1", "beta"), "b2": ("beta2", "beta")})
SCAN_ELEMENTS = 1 << 22  # a scan returns at most this many iterate entries (rounds × B × d): 32 MB


@dataclass(frozen=True)
class OptaxOptimizer(Foreign):
    """An optax GradientTransformation factory (``factory``) as a method oco can run; ``args``: oco's name →
    the factory's argument (``Arg``)."""

    convention: str = "optax"
    factory: Any = None
    args: dict[str, Arg] = field(default_factory=dict)
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)  # static arguments → jitted steps

    @classmethod
    @functools.cache
    def load(cls, target: str) -> OptaxOptimizer:
        """The factory at the dotted path ``target``; ValueError (one line) when JAX or optax is missing, the
        path does not import, or calling it does not give a GradientTransformation."""
        if importlib.util.find_spec("jax") is None or importlib.util.find_spec("optax") is None:
            raise ValueError(f"optax:{target} needs JAX and optax: pip install jax optax")
        _exact_xla()  # before JAX starts its CPU backend
        import jax

        jax.config.update("jax_enable_x64", True)  # float64, before anything is built
        import optax

        obj = import_dotted("optax", target, "optax.adam")
        if inspect.ismodule(obj) or inspect.isclass(obj) or not callable(obj):
            what = f"the module {obj.__name__}" if inspect.ismodule(obj) else \
                f"the class {obj.__module__}.{obj.__qualname__}" if inspect.isclass(obj) else f"a {type(obj).__name__}"
            raise ValueError(f"optax:{target} is {what}, not a GradientTransformation factory")
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):
            raise ValueError(f"optax:{target} has no signature oco can read") from None
        hypers, args = from_signature(signature, NAMES, target)
        opt = cls(
            target=target,
            hypers=hypers,
            summary=f"{target} (optax {optax.__version__}), stepped by optax itself under jax.vmap",
            source=f"the optax factory {target} (optax {optax.__version__}); {NOT_OBSERVABLE}",
            formula=f"not known to oco: (u_t, state) = {target}(…).update(g_t, state, x_t), x̂_{{t+1}} = x_t + u_t,"
            " then x_{t+1} = Π_F(x̂_{t+1}) in the Euclidean norm",
            factory=obj,
            args=args,
        )
        if not any(arg.required for arg in args.values()):
            opt._transformation(opt.resolve({})[0])  # the defaults must give a GradientTransformation
        return opt

    # ------------------------------------------------------------ hyperparameters
    def resolve(self, given: dict[str, Any], batch: int | None = None) -> tuple[dict, int]:
        """As a method row does; an optax name (``b2``, ``learning_rate``) is refused with oco's name for it."""
        ours = {arg.name: name for name, arg in self.args.items() if arg.name != name}
        for k in given:
            if k not in self.hypers and k not in ALIASES:
                hint = did_you_mean(k, self.hypers) or (f" (did you mean {ours[k]!r}?)" if k in ours else "") \
                    or did_you_mean(re.sub(r"^b(\d)$", r"beta\1", k), self.hypers)
                raise ValueError(f"{self.name} ({self.convention}) has no hyperparameter {k!r}{hint}; "
                                 f"it takes: {', '.join(self.hypers)}")
        return super().resolve(given, batch)

    def _split(self, h: dict) -> tuple[dict, dict]:
        """(injected, static) arguments of the factory: every number oco holds as an array is injected as a
        (B,) array (the learning rate as α, replaced by α_t each round); the rest is static."""
        injected, static = {}, {}
        for name, arg in self.args.items():
            value = h[name]
            if isinstance(value, np.ndarray):
                injected[arg.name] = np.ascontiguousarray(value[:, 0])
            elif not (value is None and arg.required):  # missing: the factory says so
                static[arg.name] = value
        return injected, static

    def _transformation(self, h: dict):
        """The factory called with configuration 0's values: ValueError unless it gives a GradientTransformation."""
        import optax

        injected, static = self._split(h)
        try:
            tx = self.factory(**static, **{k: float(v[0]) for k, v in injected.items()})
        except Exception as e:  # noqa: BLE001 (the factory's own checks: say what it raised, in one line)
            raise ValueError(f"{self.name}: calling it raised {type(e).__name__}: {_line(e)}") from None
        if not isinstance(tx, optax.GradientTransformation):  # one-line ValueErrors, as every spec error
            raise ValueError(  # noqa: TRY004
                f"{self.name} gives a {type(tx).__name__}, not an optax GradientTransformation "
                "(is it a factory such as optax.adam?)")
        return tx

    # ------------------------------------------------------------ the update
    def _steps(self, h: dict) -> dict:
        """The batch's jitted functions, built once per set of static arguments (so new hyperparameter values
        never recompile): ``init(numbers (B,), x (B, d)) → state``, ``advance(state, g, x, lr (B,)) → (x̂ =
        x + u, state)`` (vmapped; ``step``: the same jitted) and ``scans``: one ``_scan`` per domain."""
        import jax
        import optax

        injected, static = self._split(h)
        key = tuple(sorted((k, _hashable(v)) for k, v in static.items())), tuple(sorted(injected))
        if key in self._compiled:
            return self._compiled[key]
        self._transformation(h)  # a bad factory or argument: one line, before tracing
        wrapped = optax.inject_hyperparams(self.factory, static_args=tuple(static))

        def build(numbers: dict):
            return wrapped(**static, **numbers)

        def init(numbers, x):
            return build(numbers).init(x)

        def advance(state, g, x, lr):
            if "learning_rate" in state.hyperparams:  # α_t of oco's schedule
                state = state._replace(hyperparams={**state.hyperparams, "learning_rate": lr})
            updates, state = build(state.hyperparams).update(g, state, x)
            return optax.apply_updates(x, updates), state

        advance = jax.vmap(advance)
        steps = {"init": jax.jit(jax.vmap(init)), "advance": advance, "step": jax.jit(advance), "scans": {}}
        self._compiled[key] = steps
        return steps

    def _start(self, h: dict, x0: np.ndarray) -> tuple[Any, dict]:
        """The batch's initial optimizer state at x_1 = x0, and its jitted functions."""
        import jax.numpy as jnp

        steps = self._steps(h)
        injected, _ = self._split(h)
        try:
            state = steps["init"]({k: jnp.asarray(v) for k, v in injected.items()}, jnp.asarray(x0, jnp.float64))
        except Exception as e:  # noqa: BLE001 (e.g. a factory that cannot take an argument as an array)
            raise ValueError(f"{self.name}: building it under jax.vmap raised {type(e).__name__}: {_line(e)}") \
                from None
        return state, steps

    def stepper(self, h: dict, x0: np.ndarray) -> Stepper:
        """Round t: α_t injected, one jitted vmapped update of the B configurations."""
        import jax.numpy as jnp

        B = x0.shape[0]
        state, steps = self._start(h, x0)
        holder, rates = [state], self._rates(h, B)

        def step(t: int, g: np.ndarray, x: np.ndarray) -> np.ndarray:
            lr = jnp.asarray(rates(t, t + 1)[0])
            xhat, holder[0] = self._call(steps["step"], holder[0], jnp.asarray(g, jnp.float64),
                                         jnp.asarray(x, jnp.float64), lr)
            return np.asarray(xhat, dtype=float)

        return step

    def _call(self, fn, *args):
        """fn(*args), an update that cannot run (e.g. one that needs ``update(…, value=…)``, as line searches
        do: oco calls ``update(g, state, params)``) as a one-line ValueError."""
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 (the library's error, in one line)
            raise ValueError(f"{self.name}: its update raised {type(e).__name__}: {_line(e)} (oco calls "
                             "update(g, state, params) and nothing else)") from None

    def _rates(self, h: dict, B: int):
        """(t0, t1) ↦ α_t for rounds t0..t1−1, (t1 − t0, B): oco's schedule, the piece ``step_size`` runs (0
        for a factory without a learning rate)."""
        clock, env = clock_pieces(h)[0], dict(h)

        def rates(t0: int, t1: int) -> np.ndarray:
            out = np.zeros((t1 - t0, B))
            if "alpha" in self.args:
                for i, t in enumerate(range(t0, t1)):
                    env["t"] = t
                    clock(env)
                    out[i] = env["a"][:, 0]
            return out

        return rates

    # ------------------------------------------------------------ the run
    def run(self, problem, h, seeds, T, x0, domain, checkpoints, progress=None):
        """Linear problems: chunks of rounds in one jitted scan, then oco's bookkeeping in NumPy; any other
        problem (or a domain oco cannot project onto in JAX): the seam's per-round loop."""
        from ..backends import is_linear

        if not is_linear(problem) or domain.kind not in ("box", "ball", "none"):
            return run_foreign(self, problem, h, seeds, T, x0, domain, checkpoints, progress)
        return self._run_scan(problem, h, seeds, T, x0, domain, checkpoints, progress)

    def _run_scan(self, problem, h, seeds, T, x0, domain, checkpoints, progress):
        """``run_foreign`` with the optimizer's rounds computed ahead by ``_scan`` (``ScanRounds``)."""
        rounds = ScanRounds(self, problem, h, seeds, T, x0, domain, len(checkpoints))
        host_loop(problem, seeds, T, checkpoints, rounds, progress)
        return rounds.result(self, h, seeds, T, domain, checkpoints)


class ScanRounds(ForeignRounds):
    """The optimizer's rounds computed ahead by ``_scan``, a piece of rounds at a time: x_{t+1} =
    Π_F(x_t + u_t) for every round of the piece. While JAX computes the next piece (dispatched by ``prepare`` before the
    host loop runs this one), NumPy does oco's bookkeeping of this one (``run``): the losses, Tallies
    (divergence, the compensated sum) and the checkpoints, round by round as ``ForeignRounds`` does. The
    scan carries its own x_{t+1} even where a configuration diverges: Tallies keeps that configuration's last
    finite iterate, whatever the scan computes for it afterwards, so the results are run_foreign's."""

    ahead = "call"

    def __init__(self, opt: OptaxOptimizer, problem, h: dict, seeds: np.ndarray, T: int, x0: np.ndarray,
                 domain, K: int):
        import jax.numpy as jnp

        super().__init__(problem, seeds, x0, K)
        B, d = x0.shape
        state, steps = opt._start(h, self.x)
        where = repr(domain.describe())
        if where not in steps["scans"]:
            steps["scans"][where] = _scan(steps["advance"], _projection(domain))
        self.opt, self.scan = opt, steps["scans"][where]
        self.piece, self.rates = _piece(B * d, T), opt._rates(h, B)
        self.rows = jnp.asarray(self.seed_index)
        self.carry = (state, jnp.asarray(self.x))

    def prepare(self, t: int, data: np.ndarray):
        """Rounds t..t+m−1 (data (U, m, d)) dispatched to the scan, padded to ``piece`` rounds (one length:
        the scan compiles once): (data, the scan's iterates (L, B, d), computed asynchronously)."""
        import jax.numpy as jnp

        m, L = data.shape[1], self.piece
        padded, lr = np.zeros((L, len(data), *data.shape[2:])), np.zeros((L, len(self.x)))
        padded[:m], lr[:m] = np.swapaxes(data, 0, 1), self.rates(t, t + m)
        padded, lr = jnp.asarray(padded), jnp.asarray(lr)
        self.carry, xs = self.opt._call(self.scan, self.carry, padded, lr, self.rows)
        return data, xs

    def run(self, piece, t: int, n: int, j: int) -> None:
        from ..engine import NUMPY

        data, xs = piece
        xs, x, rows, unseen = np.asarray(xs), self.x, self.seed_index, self.unseen
        loss_grad, add = self.problem.loss_grad, self.tallies.add
        for i in range(j, j + n):
            loss, _ = loss_grad(x, data[rows, i])
            x = add(NUMPY, t, loss, x, xs[i], unseen, unseen)
            t += 1
        self.x = x


def _scan(advance, project):
    """scan((state, x), data (L, U, d), lr (L, B), rows (B,)) → ((state, x), xs (L, B, d)), jitted: each
    round g_t = data[rows] (the linear loss's gradient), x̂ = x + u_t, x_{t+1} = Π_F(x̂)."""
    import jax

    def scan(carry, data, lr, rows):
        def round_(carry, inputs):
            state, x = carry
            g, a = inputs
            xhat, state = advance(state, g[rows], x, a)
            x = project(xhat)
            return (state, x), x

        return jax.lax.scan(round_, carry, (data, lr))

    return jax.jit(scan)


def _exact_xla() -> None:
    """Cap XLA's CPU code at AVX (``XLA_FLAGS=--xla_cpu_max_isa=AVX``: no FMA instructions), unless XLA_FLAGS
    already chooses an ISA or the machine is not x86-64. XLA contracts a·b + c into one FMA where its fusion
    allows, and how it fuses depends on the shapes: with FMAs a configuration of a batch of 8 differs from its
    single run in the last bits (measured, inside lax.scan). The flag must be set before JAX starts its
    backend; when it has started already, a warning says that a batch agrees with its single runs to
    round-off only."""
    import os
    import platform
    import warnings

    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_max_isa" in flags or platform.machine().lower() not in ("x86_64", "amd64"):
        return
    try:
        from jax._src.xla_bridge import backends_are_initialized

        started = backends_are_initialized()
    except (ImportError, AttributeError):  # JAX's internals moved: set the flag, which may come too late
        started = False
    if started:
        warnings.warn("oco: JAX started before an optax optimizer was loaded, so XLA may use FMAs: a batch agrees "
                      "with its single runs to round-off, not bit for bit (set XLA_FLAGS=--xla_cpu_max_isa=AVX "
                      "before using JAX for exact agreement)", RuntimeWarning, stacklevel=3)
        return
    os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_max_isa=AVX".strip()


def _projection(domain):
    """Π_F in the Euclidean norm, in JAX: the box clips, the ball rescales y·r/‖y‖ outside it, none is the
    identity (``oco.projections`` with unit weights)."""
    import jax.numpy as jnp

    if domain.kind == "box":
        lo, hi = np.asarray(domain.lo, float), np.asarray(domain.hi, float)
        return lambda y: jnp.clip(y, lo, hi)
    if domain.kind == "ball":
        r = float(domain.radius)

        def ball(y):
            norm = jnp.sqrt(jnp.sum(y * y, axis=-1, keepdims=True))
            return jnp.where(norm > r, y * (r / norm), y)

        return ball
    return lambda y: y


def _piece(width: int, T: int) -> int:
    """Rounds per scan: a power of two dividing ``oco.loop.CHUNK`` (pieces stay inside a chunk of data), at
    most SCAN_ELEMENTS/width and no more than T needs; one length per run, so the scan compiles once."""
    L = 1
    while L < CHUNK and 2 * L * width <= SCAN_ELEMENTS and L < T:
        L *= 2
    return L


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def _line(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__
