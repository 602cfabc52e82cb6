"""Shards: a sweep's rows (methods × grid points × seeds) cut into contiguous slices of ``shard_size`` rows;
``run_shard`` runs one — the rows of one method (and one value of each axis that cannot be batched) as one
batch — and returns its lines of ``sweep.csv`` and its traces."""


from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import io
from ..config import Config, batched, grid_size
from ..result import LR_QUANTILES
from .grid import grid_point

if TYPE_CHECKING:
    pass



SHARDS = "shards"


@dataclass(frozen=True)
class Shard:
    index: int
    start: int
    stop: int

    @property
    def stem(self) -> str:
        return f"shard-{self.index:05d}"


def n_rows(cfg: Config) -> int:
    return len(cfg.methods) * grid_size(cfg.grid) * len(cfg.seeds)


def shards(cfg: Config) -> list[Shard]:
    size = int(cfg.shard_size or n_rows(cfg))
    n = n_rows(cfg)
    return [Shard(k, s, min(s + size, n)) for k, s in enumerate(range(0, n, size))]


def row_index(cfg: Config, i: int) -> tuple[int, int, int]:
    """Row i → (method index, grid point index, seed index)."""
    S, P = len(cfg.seeds), grid_size(cfg.grid)
    return i // (P * S), (i // S) % P, i % S


def _batchable(cfg: Config, ms_index: int, axis: str) -> bool:
    """Numeric axes run as (B,) arrays; schedules, booleans and integer counts need one batch per value (the
    checker keeps their checked values, ``MethodSpec.axes``)."""
    return axis not in cfg.methods[ms_index].axes


def header(cfg: Config) -> list[str]:
    d = cfg.problem.d
    xs = ["x_final"] if d == 1 else [f"x_final_{j}" for j in range(d)]
    stars = ["x_star"] if d == 1 else [f"x_star_{j}" for j in range(d)]
    gap = ["expected_gap", "dist_x_opt"] if _stochastic(cfg) else []
    return [*cfg.grid, "method", "convention", "seed", "avg_regret", "regret", *xs, "diverged",
            "best_fixed_loss", *stars, "dist_x_star", *gap, "diverged_at", "gamma_negative_rounds",
            "lr_min", "lr_max"]


def _stochastic(cfg: Config) -> bool:
    """The problem has an expected loss F with a minimizer x_opt (sweep.csv then has expected_gap and
    dist_x_opt)."""
    return cfg.problem.expected_optimum(cfg.domain) is not None


def _groups(cfg: Config, shard: Shard) -> list[tuple[int, tuple, list[int]]]:
    """The batches of a shard: (method index, values of the unbatchable axes, row indices), in the order of
    their first rows (a method whose axes all batch: all its rows in the shard at once)."""
    axes = list(cfg.grid)
    batchable = {(mi, a): _batchable(cfg, mi, a) for mi in range(len(cfg.methods)) for a in axes}
    S, P = len(cfg.seeds), grid_size(cfg.grid)
    out: dict[tuple, list[int]] = {}
    for mi in range(shard.start // (P * S), (shard.stop - 1) // (P * S) + 1):  # rows are method by method
        rows = range(max(shard.start, mi * P * S), min(shard.stop, (mi + 1) * P * S))
        if all(batchable[mi, a] for a in axes):
            out[mi, ()] = list(rows)
            continue
        for i in rows:
            fixed = tuple((a, io.fmt_cell(v)) for a, v in zip(axes, grid_point(cfg.grid, (i // S) % P))
                          if not batchable[mi, a])
            out.setdefault((mi, fixed), []).append(i)
    return [(mi, fixed, rows) for (mi, fixed), rows in out.items()]


def _axis_indices(grid: dict[str, list], points: np.ndarray) -> list[np.ndarray]:
    """grid_point for many grid point indices at once: per axis, the index of each point's value."""
    out = []
    for values in reversed(list(grid.values())):  # the first axis varies slowest
        points, at = np.divmod(points, len(values))
        out.insert(0, at)
    return out


def _plan_rows(cfg: Config, mi: int, rows: list[int]):
    """The ``oco.api.Job`` of a batch of rows of one method: its hyperparameters as the checker resolved them,
    each grid axis's values those of the rows."""
    from ..api import Job

    ms = cfg.methods[mi]
    r = np.asarray(rows, np.int64)
    h = batched(ms.h, len(rows))
    S, P = len(cfg.seeds), grid_size(cfg.grid)
    for (a, values), at in zip(cfg.grid.items(), _axis_indices(cfg.grid, (r // S) % P)):
        h[a] = batched({a: ms.axes[a][at[0]]}, len(rows))[a] if a in ms.axes else \
            np.asarray(values, float)[at].reshape(-1, 1)
    seeds = np.asarray(cfg.seeds, dtype=np.int64)[r % S]
    return Job.of(cfg.call(ms, seeds, h, sweep_backend(cfg, cfg.T)))


def sweep_backend(cfg: Config, T: int) -> str:
    """``auto`` weighs the whole sweep, not one batch: numba when NumPy would take longer for all the sweep's
    rows than a compilation (a shard of a few thousand rows alone would not pay for it, and then no shard
    would); otherwise the per-batch rule (a cached kernel is still taken). Backends agree bit for bit."""
    from ..backends import COMPILE_S, REGISTRY, numpy_seconds

    numba = REGISTRY["numba"]
    if cfg.backend != "auto" or not numba.importable():
        return cfg.backend
    big = numpy_seconds(n_rows(cfg), cfg.problem.d, T) > COMPILE_S
    return "numba" if big and numba.supports(cfg.problem, cfg.domain) is None else "auto"


def run_shard(cfg: Config, shard: Shard, progress: Callable[[int], None] | None = None,
              before: Callable[[int, tuple], None] | None = None) -> tuple[str, dict]:
    """The CSV lines (no header) and the checkpoint traces of one shard (``before(method index, fixed
    values)`` is called before each batch runs)."""
    n, d = shard.stop - shard.start, cfg.problem.d
    lines: list[str] = [""] * n
    arrays: dict[str, np.ndarray] = {}
    has_gap = "expected_gap" in header(cfg)
    for mi, fixed, rows in _groups(cfg, shard):
        if before is not None:
            before(mi, fixed)
        r = _plan_rows(cfg, mi, rows).run(progress)
        ms = cfg.methods[mi]
        ck = r.checkpoints
        if not arrays:
            K = len(ck.t)
            arrays = {
                "t": ck.t,
                "avg_regret": np.full((K, n), np.nan),
                "x": np.full((K, n, d), np.nan),
                "lr_quantiles": np.full((K, n, len(LR_QUANTILES)), np.nan),
                "lr_quantile_levels": np.asarray(LR_QUANTILES),
                "rows": np.arange(shard.start, shard.stop),
            }
            if has_gap:
                arrays["expected_gap"] = np.full((K, n), np.nan)
        k = np.asarray(rows) - shard.start
        arrays["avg_regret"][:, k] = ck.avg_regret
        arrays["x"][:, k] = ck.x
        arrays["lr_quantiles"][:, k] = ck.lr_quantiles
        if has_gap and ck.expected_gap is not None:
            arrays["expected_gap"][:, k] = ck.expected_gap
        for j, line in zip(k.tolist(), _lines(cfg, ms, rows, r, has_gap)):
            lines[j] = line
    return "".join(lines), arrays


def _norms(D: np.ndarray) -> np.ndarray:
    """np.linalg.norm of each row: with one column √(x·x), the very operations norm does on it (a dot of one
    product), for all rows at once."""
    if D.shape[1] == 1:
        return np.sqrt(D[:, 0] * D[:, 0])
    return np.array([np.linalg.norm(row) for row in D])


def _lines(cfg: Config, ms, rows: list[int], r, has_gap: bool) -> list[str]:
    """The CSV lines of a batch's rows, as csv.writer writes them with the cells ``io.fmt_cell`` formats,
    built column by column (only text cells can need quotes: numbers, true/false and empty cells never do)."""
    n = len(rows)
    S, P = len(cfg.seeds), grid_size(cfg.grid)
    cols: list[list[str]] = []
    for values, at in zip(cfg.grid.values(), _axis_indices(cfg.grid, (np.asarray(rows, np.int64) // S) % P)):
        text = [io.csv_quote(io.fmt_cell(v)) for v in values]
        cols.append([text[a] for a in at.tolist()])
    floats, ints = io.fmt_floats, (lambda a: list(map(str, np.asarray(a).tolist())))
    xf, xs = r.x_final, r.x_star
    cols += [[io.csv_quote(ms.name)] * n, [io.csv_quote(ms.convention)] * n, ints(r.seeds), floats(r.avg_regret),
             floats(r.regret),
             *(floats(xf[:, j]) for j in range(xf.shape[1])), [io.fmt_cell(b) for b in r.diverged.tolist()],
             floats(r.best_fixed_loss), *(floats(xs[:, j]) for j in range(xs.shape[1])), floats(_norms(xf - xs))]
    if has_gap:
        cols.append(floats(np.full(n, np.nan) if r.expected_gap is None else r.expected_gap))
        cols.append(floats(np.full(n, np.nan) if r.x_opt is None else _norms(xf - r.x_opt)))
    cols.append(ints(r.diverged_at))
    if r.lr_observed:
        cols += [ints(r.gamma_negative_rounds), floats(r.lr_min), floats(r.lr_max)]
    else:
        cols += [[""] * n] * 3
    return [",".join(cells) + "\n" for cells in zip(*cols)]
