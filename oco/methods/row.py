"""A row of the method table and what it is made of: ``Hyper`` (a hyperparameter: default, check, meaning),
``P`` (a piece: an elementwise function of named arguments and the names of its outputs) and ``Method`` (a
method's pieces of Algorithm 1, its state, hyperparameters, formula and source, checked when built), with the
checks a hyperparameter passes (``resolve_hypers``) and the schedule pieces every run adds (``clock_pieces``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..hints import did_you_mean
from . import pieces
from .schedules import BETA1_SCHEDULES, STEP_SCHEDULES

CONVENTIONS = ("paper", "torch", "authors")
ALIASES = {"lr": "alpha"}  # torch's name for the step size


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter: its default, the check it must pass and what it means."""

    default: Any
    # beta | positive | nonneg | real | bool | int+ | int | schedule | beta1_schedule | power | gamma | any
    check: str
    help: str = ""


class P:
    """A piece in a row: a function of named arguments and the names its outputs get.

    ``P(pieces.ams, "v vhat=V")``: call ams(v, vhat, g, beta2) and bind its two outputs to v and to vhat
    (which is also handed on as V, the preconditioner).
    """

    def __init__(self, fn: Callable, outs: str):
        self.fn = fn
        self.args = tuple(inspect.signature(fn).parameters)
        self.outs = tuple(tuple(tok.split("=")) for tok in outs.split())

    def __call__(self, env: dict) -> None:
        values = self.fn(*[env[a] for a in self.args])
        if len(self.outs) == 1:
            values = (values,)
        for names, value in zip(self.outs, values):
            for n in names:
                env[n] = value

    def rebind(self, namespace: dict) -> "P":
        """The same piece with its operations (and the pieces it calls) taken from ``namespace``."""
        q = P.__new__(P)
        q.fn, q.args, q.outs = rebind(self.fn, namespace), self.args, self.outs
        return q

    def __repr__(self):
        return f"P({self.fn.__name__}, {' '.join('='.join(o) for o in self.outs)!r})"


def rebind(fn: Callable, namespace: dict) -> Callable:
    """fn with its global names looked up in ``namespace`` first: how a backend substitutes its own
    where/sqrt/maximum… for NumPy's without a second copy of the piece."""
    import types

    g = {**fn.__globals__, **namespace}
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


@dataclass(frozen=True)
class Method:
    """One row: Algorithm 1 with these pieces.

    clock: per-configuration pieces run first each round (running products, momentum schedules);
    phi hands on the direction d, psi the preconditioner V, rate the learning rate eta, step x̂.
    state: the per-coordinate state and its initial value (a number, a hyperparameter's name, or "x" for
    x_1); cstate: per-configuration state (running products start at 1).
    """

    name: str
    convention: str
    phi: P
    psi: P | None
    rate: P
    step: P = field(default_factory=lambda: P(pieces.descend, "xhat"))
    state: dict[str, float | str] = field(default_factory=dict)
    clock: tuple[P, ...] = ()
    cstate: dict[str, float] = field(default_factory=dict)
    hypers: dict[str, Hyper] = field(default_factory=dict)
    formula: str = ""
    source: str = ""
    summary: str = ""

    def __post_init__(self) -> None:
        self.check_wiring()

    def check_wiring(self) -> None:
        """Every name a piece reads must be bound before it runs — by the engine (t, g, x, α_t as ``a``, β1t
        as ``b1t`` where the row has a β1 schedule), a hyperparameter, the state, or an earlier piece's
        output — and the row must end with ``eta`` and ``xhat``. A wiring typo raises here, naming the row."""
        bound = {"t", "g", "x", "a", *self.hypers, *self.state, *self.cstate}
        if "beta1_schedule" in self.hypers:
            bound.add("b1t")
        for piece in self.all_pieces:
            missing = [a for a in piece.args if a not in bound]
            if missing:
                raise TypeError(f"method {self.key}: piece {piece!r} reads {', '.join(missing)}, which nothing "
                                f"before it binds (hyperparameters: {', '.join(self.hypers) or 'none'})")
            bound.update(n for names in piece.outs for n in names)
        for name in ("eta", "xhat"):
            if name not in bound:
                raise TypeError(f"method {self.key}: no piece binds {name!r}")
        for name, init in self.state.items():
            if isinstance(init, str) and init != "x" and init not in self.hypers:
                raise TypeError(f"method {self.key}: state {name!r} starts at {init!r}, not a hyperparameter")

    @property
    def all_pieces(self) -> tuple[P, ...]:
        return (*self.clock, self.phi, *((self.psi,) if self.psi else ()), self.rate, self.step)

    @property
    def engine_decay(self) -> bool:
        """Whether the engine applies the row's ``weight_decay`` λ before the pieces (coupled g + λx, or with
        ``decoupled_weight_decay`` x(1 − α_t λ)): not when a piece reads λ itself (AdamW's paper step)."""
        return "weight_decay" in self.hypers and not any("weight_decay" in p.args for p in self.all_pieces)

    @property
    def key(self) -> str:
        return f"{self.name}:{self.convention}"

    def resolve(self, given: dict[str, Any], batch: int | None = None) -> tuple[dict, int]:
        """Check hyperparameters and broadcast them: numbers become (B, 1) float arrays.

        Returns (h, B). Raises ValueError naming the offending argument.
        """
        return resolve_hypers(self.name, self.convention, self.hypers, given, batch)


def resolve_hypers(name: str, convention: str, hypers: dict[str, Hyper], given: dict[str, Any],
                   batch: int | None = None) -> tuple[dict, int]:
    """``given`` checked against ``hypers`` (the rest their defaults), numbers as (B, 1) float arrays: (h, B).
    Raises ValueError naming the offending argument (an unknown one with a "did you mean")."""
    given = dict(given)
    for alias, target in ALIASES.items():
        if alias in given:
            if target in given:
                raise ValueError(f"give either {alias!r} or {target!r}, not both")
            given[target] = given.pop(alias)
    unknown = [k for k in given if k not in hypers]
    if unknown:
        k = unknown[0]
        raise ValueError(f"{name} ({convention}) has no hyperparameter {k!r}{did_you_mean(k, hypers)}; "
                         f"it takes: {', '.join(hypers)}")
    h: dict[str, Any] = {}
    sizes = set() if batch is None else {batch}
    for key, spec in hypers.items():
        value = given.get(key, spec.default)
        h[key] = value = _check(key, value, spec.check)
        if isinstance(value, np.ndarray) and value.size > 1:
            sizes.add(value.size)
    if len(sizes) > 1:
        raise ValueError(f"hyperparameter arrays have different lengths: {sorted(sizes)}")
    B = sizes.pop() if sizes else 1
    for key, value in h.items():
        if value is None and hypers[key].check == "gamma":  # AdaBound's γ: None means 1 − β2, passed on as 0
            value = np.zeros(1)
        if isinstance(value, np.ndarray):
            h[key] = np.broadcast_to(value.reshape(-1, 1), (B, 1)).astype(float)
    return h, B


def clock_pieces(h: dict) -> list:
    """The schedule pieces a run needs: α_t → ``a`` and, where the row has a β1 schedule, β1t → ``b1t``."""
    out = [P(STEP_SCHEDULES[h.get("schedule", "const")], "a")]
    if "beta1_schedule" in h:
        out.append(P(BETA1_SCHEDULES[h["beta1_schedule"]], "b1t"))
    return out


def step_size(h: dict, t: int):
    """α_t for hyperparameters h (a convenience for plots and tests)."""
    env = {**h, "t": t}
    clock_pieces(h)[0](env)
    return env["a"]


MAX_INT = 2**53  # integer hyperparameters (SGDR's cycle lengths): exact as floats, far from int64's end


def _short(value: Any, n: int = 40) -> str:
    s = repr(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def _check(name: str, value: Any, check: str) -> Any:
    if check == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise ValueError(f"{name} must be true or false, got {value!r}")
    if check == "schedule":
        if value not in STEP_SCHEDULES:
            raise ValueError(f"{name} must be one of {', '.join(STEP_SCHEDULES)}, got {value!r}")
        return value
    if check == "beta1_schedule":
        if value not in BETA1_SCHEDULES:
            raise ValueError(f"{name} must be one of {', '.join(BETA1_SCHEDULES)}, got {value!r}")
        return value
    if check == "gamma" and value is None:  # AdaBound paper: None means γ = 1 − β2
        return None
    if check == "any":  # a foreign optimizer's constructor argument oco does not interpret: passed on as given
        return value
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError:  # an integer beyond float's range
        arr = np.asarray(np.inf)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {_short(value)}") from None
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not be NaN")
    ok = {
        "beta": lambda a: (a >= 0) & (a < 1),
        "positive": lambda a: (a > 0) & np.isfinite(a),
        "gamma": lambda a: a > 0,  # +inf allowed: bounds collapse to final_lr
        "nonneg": lambda a: (a >= 0) & np.isfinite(a),
        "power": lambda a: (a > 0) & (a <= 0.5),
        "real": np.isfinite,
        "int+": lambda a: (a >= 1) & (a <= MAX_INT) & (a == np.round(a)),
        "int": lambda a: (np.abs(a) <= MAX_INT) & (a == np.round(a)),
    }[check](arr)
    if not np.all(ok):
        bad = arr.reshape(-1)[~np.asarray(ok).reshape(-1)][0]
        rule = {
            "beta": "in [0, 1)",
            "positive": "> 0",
            "gamma": "> 0",
            "nonneg": ">= 0",
            "power": "in (0, 0.5]",
            "real": "finite",
            "int+": "an integer in [1, 2^53]",
            "int": "an integer in [-2^53, 2^53]",
        }[check]
        raise ValueError(f"{name} must be {rule}, got {bad:g}")
    if check in ("int+", "int"):
        if arr.ndim:
            raise ValueError(f"{name} must be a single integer")
        return int(arr)
    return arr
