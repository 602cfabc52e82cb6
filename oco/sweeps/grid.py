"""The grid's arithmetic: the points of a product of axes in ``sweep.csv``'s order (the first axis varying
slowest), one point by its index, and how two sweeps' settings differ."""


from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass



def grid_points(grid: dict[str, list]) -> list[tuple]:
    """Every configuration of the grid, the first axis varying slowest."""
    return list(itertools.product(*grid.values())) if grid else [()]


def grid_point(grid: dict[str, list], index: int) -> tuple:
    """grid_points(grid)[index] without building the list (first axis slowest)."""
    out = []
    for values in reversed(list(grid.values())):
        index, r = divmod(index, len(values))
        out.append(values[r])
    return tuple(reversed(out))


def diff_configs(new: dict, old: dict, prefix: str = "") -> str | None:
    """The first setting where two config.json documents differ, as a readable phrase; None if equal."""
    if isinstance(new, dict) and isinstance(old, dict):
        for k in list(new) + [k for k in old if k not in new]:
            if k not in old:
                return f"{prefix}{k} is set here but absent there"
            if k not in new:
                return f"{prefix}{k} is set there but absent here"
            d = diff_configs(new[k], old[k], f"{prefix}{k}.")
            if d:
                return d
        return None
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        for i, (a, b) in enumerate(zip(new, old)):
            d = diff_configs(a, b, f"{prefix.rstrip('.')}[{i}].")
            if d:
                return d
        return None
    if new != old:
        return f"{prefix.rstrip('.')} is {_short(new)} here but {_short(old)} there"
    return None


def _short(v: Any, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 1] + "…"
