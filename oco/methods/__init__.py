"""The method table: every method is one row naming its pieces of Algorithm 1 (φ, ψ, the learning rate, the
update) and its convention.

Conventions:
    paper   the form in the method's paper (Reddi et al.'s φ/ψ table where it lists the method: no bias
            correction, ε inside the root and 0 unless the paper has one). The default.
    torch   torch.optim's exact arithmetic (and the authors' ``adabound`` package for AdaBound/AMSBound).

    >>> from oco.methods import get_method
    >>> get_method("adam", "torch").hypers["eps"].default
    1e-08
"""

from __future__ import annotations

from ..hints import did_you_mean
from . import pieces
from .row import (ALIASES, CONVENTIONS, MAX_INT, Hyper, Method, P, clock_pieces, rebind, resolve_hypers,
                  step_size)

__all__ = ["ALIASES", "CONVENTIONS", "MAX_INT", "Hyper", "Method", "P", "clock_pieces", "conventions_of",
           "get_method", "method_names", "pieces", "rebind", "registry", "resolve_hypers", "step_size"]

def _registry() -> dict[str, Method]:
    from .table import TABLE

    return {m.key: m for m in TABLE}


_REGISTRY: dict[str, Method] | None = None


def registry() -> dict[str, Method]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _registry()
    return _REGISTRY


def method_names() -> list[str]:
    return sorted({m.name for m in registry().values()})


def conventions_of(name: str) -> list[str]:
    return [c for c in CONVENTIONS if f"{name}:{c}" in registry()]


def get_method(name: str, convention: str = "paper") -> Method:
    """Look a method up by name and convention; unknown names get a 'did you mean'."""
    name = name.lower()
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose from {', '.join(CONVENTIONS)}")
    names = method_names()
    if name not in names:
        raise ValueError(f"unknown method {name!r}{did_you_mean(name, names)}; known: {', '.join(names)}")
    key = f"{name}:{convention}"
    if key not in registry():
        raise ValueError(
            f"method {name!r} has no {convention!r} convention; it has: {', '.join(conventions_of(name))}"
        )
    return registry()[key]
