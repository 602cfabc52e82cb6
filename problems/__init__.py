"""The loss sequences oco simulates: a registry name → problem class."""

from __future__ import annotations

import difflib

from .base import BLOCK, PeriodicLinear, Problem, ReddiOnline, blocked, block_rng  # noqa: F401

PROBLEMS: dict[str, type[Problem]] = {cls.name: cls for cls in (ReddiOnline, PeriodicLinear)}


def get_problem(name: str, **params) -> Problem:
    """Instantiate a registered problem; unknown names get a 'did you mean'."""
    if name not in PROBLEMS:
        near = difflib.get_close_matches(name, PROBLEMS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"unknown problem {name!r}{hint}; known: {', '.join(sorted(PROBLEMS))}")
    try:
        return PROBLEMS[name](**params)
    except TypeError as e:
        raise ValueError(f"bad parameters for problem {name!r}: {e}") from None
