"""A grid parameter drawn as an axis of a heat map or of a one-axis sweep's plot (``GridAxis``): the coordinate
its values are drawn at — linear, log, or log of 1 − v for values near 1 such as β2, or categories — chosen by
a rule on the values alone (``grid_axis``), and the cells' edges, half-way between neighbouring values in that
scale."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import io

PARAM_SYMBOLS = {"beta1": "β1", "beta2": "β2", "alpha": "α", "eps": "ε"}
EVEN_RTOL = 1e-6  # gaps within this fraction of their mean: evenly spaced
LOG_EVEN_RTOL = 0.1  # gaps of log10(1 − v) within this fraction of their mean: roughly even on a log scale
DECADE = 10.0  # max/min at least this: the values span (at least) a decade


@dataclass(frozen=True)
class GridAxis:
    """A grid parameter drawn as an axis of a heat map (or of a one-axis sweep's plot).

    ``values`` in increasing order (numbers) or as given (categories); ``scale``, chosen by ``grid_axis``:

    - ``linear``: the coordinate is v, on a linear axis;
    - ``log``: v, on a log axis;
    - ``log1m``: 1 − v, on a log axis running from large 1 − v to small, so that v grows away from the origin
      (β2 = 0.9, 0.99, 0.999 equally spaced);
    - ``category``: the value's index, labelled with the value.

    Cells: u is the coordinate in which the axis is linear (v, log10 v, log10(1 − v), the index); a value's cell
    reaches half-way to its neighbours in u, and the outer cells as far beyond their value as half the gap to
    their neighbour (a single value: u ± ½; on a linear axis v ± |v|/2, or ± ½ at 0).
    """

    name: str
    values: tuple
    scale: str
    why: str = ""

    @property
    def symbol(self) -> str:
        return PARAM_SYMBOLS.get(self.name, self.name)

    @property
    def label(self) -> str:
        return f"1 − {self.symbol}" if self.scale == "log1m" else self.symbol

    def _u(self, v) -> np.ndarray:
        if self.scale == "category":
            index = {io.fmt_cell(c): i for i, c in enumerate(self.values)}
            unknown = [c for c in np.atleast_1d(np.asarray(v, dtype=object)) if io.fmt_cell(c) not in index]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a value of the grid axis {self.name}")
            return np.array([index[io.fmt_cell(c)] for c in np.atleast_1d(np.asarray(v, dtype=object))], float)
        v = np.asarray(v, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"linear": v, "log": np.log10(v), "log1m": np.log10(1.0 - v)}[self.scale]

    def _coord_of_u(self, u: np.ndarray) -> np.ndarray:
        if self.scale in ("log", "log1m"):
            return 10.0 ** np.clip(u, -307.0, 307.0)
        return np.clip(u, -1.7e308, 1.7e308)

    def coord(self, v) -> np.ndarray:
        """Where parameter values ``v`` are drawn: v, 1 − v (log1m) or the index (category)."""
        if self.scale == "category":
            return self._u(v)
        v = np.asarray(v, float)
        return 1.0 - v if self.scale == "log1m" else v

    def value_of(self, c) -> np.ndarray:
        """The parameter value at coordinate ``c`` (numeric axes)."""
        c = np.asarray(c, float)
        return 1.0 - c if self.scale == "log1m" else c

    def _edges_u(self) -> np.ndarray:
        u = self._u(list(self.values)) if self.scale == "category" else self._u(np.asarray(self.values, float))
        if len(u) == 1:
            half = 0.5 if self.scale != "linear" or u[0] == 0 else abs(u[0]) / 2
            return np.array([u[0] - half, u[0] + half])
        mid = (u[:-1] + u[1:]) / 2
        return np.concatenate([[u[0] - (u[1] - u[0]) / 2], mid, [u[-1] + (u[-1] - u[-2]) / 2]])

    def edges(self) -> np.ndarray:
        """The n + 1 cell edges in the axis's coordinate, in the order of ``values``."""
        return self._coord_of_u(self._edges_u())

    def extent(self) -> tuple[float, float]:
        """The parameter values at the outer edges of the first and last cells (numeric axes), increasing."""
        lo, hi = sorted(self.value_of(self.edges()[[0, -1]]).tolist())
        return lo, hi

    def sample(self, n: int = 512) -> np.ndarray:
        """``n`` parameter values from edge to edge, evenly spaced as the axis draws them (numeric axes)."""
        e = self._edges_u()
        return self.value_of(self._coord_of_u(np.linspace(e[0], e[-1], n)))

    def apply(self, ax, which: str, limits: bool = True) -> None:
        """Scale, label, categories and (``limits``) the cells' extent of the ``which`` ('x' or 'y') axis."""
        axis = ax.xaxis if which == "x" else ax.yaxis
        (ax.set_xscale if which == "x" else ax.set_yscale)("log" if self.scale in ("log", "log1m") else "linear")
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(self.label)
        if self.scale == "category":
            labels = [str(v) for v in self.values]
            (ax.set_xticks if which == "x" else ax.set_yticks)(range(len(labels)), labels)
        if limits:
            e = self.edges()  # log1m: decreasing, which inverts the axis
            (ax.set_xlim if which == "x" else ax.set_ylim)(e[0], e[-1])
        elif self.scale == "log1m":
            axis.set_inverted(True)

    def describe(self, cells: bool = False) -> dict:
        """The axis for the sidecar: the parameter, the coordinate it is drawn in, and why this scale; with
        ``cells`` (a heat map) also its values, in the order of the cells, and the n + 1 cell edges in the
        coordinate (``edges``: the cell of values[i] lies between edges[i] and edges[i + 1]) with their
        rule."""
        coordinate = {"log1m": f"1 - {self.name}", "category": f"index of {self.name}"}.get(self.scale, self.name)
        out = {"parameter": self.name, "coordinate": coordinate, "rule": self.why}
        if self.scale == "category":
            out["categories"] = [str(v) for v in self.values]
        if cells:
            u = {"linear": self.name, "log": f"log10 {self.name}", "log1m": f"log10(1 - {self.name})",
                 "category": f"the index of {self.name}"}[self.scale]
            out["values"] = [str(v) for v in self.values] if self.scale == "category" else list(self.values)
            out["edges"] = self.edges().tolist()
            out["cell_edges"] = (f"in u = {u}, each value's cell reaches half-way to its neighbours and the "
                                 "outer cells as far beyond their value as half the gap to their neighbour "
                                 "(a single value: u ± 1/2, or v ± |v|/2 on a linear axis, ± 1/2 at 0); "
                                 "edges in the coordinate, the cell of values[i] between edges[i] and "
                                 "edges[i + 1]")
        return out


def _is_number(v) -> bool:
    """A real number (not a bool)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def grid_axis(name: str, values) -> GridAxis:
    """How a grid parameter's values are drawn: a rule on the values alone, the same for any parameter.

    1. not all numbers: ``category``;
    2. three or more values, evenly spaced (every gap within 1e-6 of their mean gap): ``linear``;
    3. all in [½, 1) and 1 − v spanning at least a decade — β2 = 0.9 … 0.9999, any value near 1: ``log1m``,
       1 − v on a log axis;
    4. three or more values in [0, 1) whose 1 − v spans at least a decade and is evenly spaced on a log scale,
       roughly (every gap of log10(1 − v) within 10% of their mean gap) — Zhang et al.'s β2 = 0.12 … 0.999,
       β2 = 0, 0.9, 0.99, 0.999: ``log1m`` too;
    5. all positive, spanning at least a decade (max/min ≥ 10), and within 10^±100: ``log`` (matplotlib's log
       ticks overflow on axes that reach near 10^308; such values fall through to a linear axis);
    6. otherwise ``linear``.
    (Two values are never "evenly spaced": 0.001 and 0.1 go on a log axis.)
    """
    values = list(values)
    if not values or not all(_is_number(v) for v in values):
        return GridAxis(name, tuple(values), "category", "not all numbers")
    values = sorted(values, key=float)
    v = np.asarray(values, float)
    gaps = np.diff(v)
    if len(v) >= 3 and np.all(np.abs(gaps - gaps.mean()) <= EVEN_RTOL * gaps.mean()) and gaps.mean() > 0:
        return GridAxis(name, tuple(values), "linear", "evenly spaced")
    if v.min() >= 0.5 and v.max() < 1 and (1 - v.min()) / (1 - v.max()) >= DECADE:
        span = np.log10((1 - v.min()) / (1 - v.max()))
        return GridAxis(name, tuple(values), "log1m", f"in [1/2, 1), 1 − {name} spanning {span:.3g} decades")
    if len(v) >= 3 and v.min() >= 0 and v.max() < 1 and (1 - v.min()) / (1 - v.max()) >= DECADE:
        u = np.diff(np.log10(1 - v))  # negative: 1 − v decreases
        if np.all(np.abs(u - u.mean()) <= LOG_EVEN_RTOL * abs(u.mean())):
            span = np.log10((1 - v.min()) / (1 - v.max()))
            return GridAxis(name, tuple(values), "log1m",
                            f"in [0, 1), 1 − {name} evenly spaced on a log scale over {span:.3g} decades")
    if v.min() > 0 and v.max() / v.min() >= DECADE and 1e-100 <= v.min() and v.max() <= 1e100:
        span = np.log10(v.max() / v.min())
        return GridAxis(name, tuple(values), "log", f"positive, spanning {span:.3g} decades")
    return GridAxis(name, tuple(values), "linear", "neither evenly spaced nor spanning a decade")


def sorted_order(values: list) -> np.ndarray:
    """The order in which ``grid_axis`` puts ``values`` (increasing numbers; categories as given)."""
    if values and all(_is_number(v) for v in values):
        return np.argsort(np.asarray(values, float), kind="stable")
    return np.arange(len(values))
