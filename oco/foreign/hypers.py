"""One mapping from a foreign optimizer's constructor to oco's hyperparameters, shared by the adapters: a
``torch.optim.Optimizer`` subclass's ``__init__`` (``torch:``) and an optax factory (``optax:``).

An adapter names only its aliases (``Names``); the rules are these, in the signature's order:

    the learning rate (torch lr,        alpha, with oco's schedule (schedule, sgdr_t0, sgdr_mult, alpha_min);
    optax learning_rate)                the library's default where it is a positive number, else 1e-3
    a tuple alias of numbers            one per element: beta1, beta2, …, checked as the alias says (beta)
    (torch betas)
    a renamed argument with a number    oco's name and check (optax b1 → beta1, b2 → beta2; RMSprop's
    default                             smoothing constant alpha → beta2)
    every other argument                its own name (PREFIX_NAME where an alias or the learning rate took
                                        it), checked by its default:

        no default                      any, required: --set NAME=VALUE, passed on as given
        bool                            bool
        int, annotated as no real type  int+ where the default is ≥ 1, else int: one integer for the batch
        finite real (or an int          nonneg where the default is ≥ 0, else real: a (B,) batch
        annotated float or Scalar)
        anything else (None, a string,  any, passed on as given
        a tuple, an Enum, ±inf)

An integer argument is an integer whatever its default's sign: a seed of 0 or a ``-1`` meaning "all" is passed
on as an int, checked to be one, and never batched as a float.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from ..methods import Hyper
from ..methods.table import _schedule

DEFAULT_LR = 1e-3  # α where the library's learning rate has no positive default (optax.adam's is required)
REAL_ANNOTATIONS = ("float", "Scalar")  # an int default of an argument annotated so is a real number


@dataclass(frozen=True)
class Arg:
    """Where an oco hyperparameter goes in the constructor: argument ``name`` (element ``index`` of it when
    the argument is a tuple such as betas); ``required``: it has no default."""

    name: str
    index: int | None = None
    required: bool = False


@dataclass(frozen=True)
class Names:
    """An adapter's aliases: ``prefix`` (its library), ``lr`` (its learning-rate argument), ``renamed``
    (argument → (oco's name, check)), ``tuples`` (argument → (oco's stem, check): a tuple of numbers becomes
    stem1, stem2, …) and ``skipped`` (arguments left to the library)."""

    prefix: str
    lr: str
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)
    tuples: dict[str, tuple[str, str]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()


def from_signature(signature: inspect.Signature, names: Names, target: str
                   ) -> tuple[dict[str, Hyper], dict[str, Arg]]:
    """oco's hyperparameters for a constructor's ``signature`` and the argument each one is (``target``: the
    dotted path, for the help texts)."""
    params = {n: p for n, p in signature.parameters.items()
              if n not in names.skipped and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    hypers: dict[str, Hyper] = {}
    args: dict[str, Arg] = {}
    if names.lr in params:
        lr = params.pop(names.lr).default
        alpha = float(lr) if _is_number(lr) and lr > 0 else DEFAULT_LR
        hypers.update(_schedule(alpha, src=f"{target}'s {names.lr}"))
        args["alpha"] = Arg(names.lr)
    aliased = {n: _aliased(n, p.default, names, f"{target}'s {n}") for n, p in params.items()}
    taken = {name for found in aliased.values() for name in found}
    for n, p in params.items():
        for name, (hyper, arg) in aliased[n].items():
            hypers[name], args[name] = hyper, arg
        if not aliased[n]:
            name = f"{names.prefix}_{n}" if n in hypers or n in taken else n
            hypers[name] = typed(p, name, f"{target}'s {n}")
            args[name] = Arg(n, required=p.default is p.empty)
    return hypers, args


def _aliased(n: str, default: Any, names: Names, where: str) -> dict[str, tuple[Hyper, Arg]]:
    """The hyperparameters an alias makes of argument ``n`` (none where it has no alias or the default is not
    the numbers the alias needs)."""
    if n in names.renamed and _is_number(default):
        name, check = names.renamed[n]
        return {name: (Hyper(float(default), check, where), Arg(n))}
    if n in names.tuples and isinstance(default, tuple) and default and all(map(_is_number, default)):
        stem, check = names.tuples[n]
        return {f"{stem}{i + 1}": (Hyper(float(v), check, f"{where}[{i}]"), Arg(n, i))
                for i, v in enumerate(default)}
    return {}


def typed(p: inspect.Parameter, name: str, where: str) -> Hyper:
    """An argument without an alias as oco's hyperparameter ``name``, checked by its default (see above)."""
    default = p.default
    if default is p.empty:
        return Hyper(None, "any", f"{where} (required: --set {name}=VALUE)")
    if isinstance(default, bool):
        return Hyper(default, "bool", where)
    real = any(a in str(p.annotation) for a in REAL_ANNOTATIONS)
    if _is_number(default) and isinstance(default, int) and not real:
        return Hyper(default, "int+" if default >= 1 else "int", where)
    if _is_number(default):
        return Hyper(float(default), "nonneg" if default >= 0 else "real", where)
    return Hyper(default, "any", f"{where} (passed on as given)")


def _is_number(v: Any) -> bool:
    """A finite int or float (not a bool, not an Enum member such as an IntEnum's)."""
    return isinstance(v, (int, float)) and not isinstance(v, (bool, Enum)) and bool(np.isfinite(v))
