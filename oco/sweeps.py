"""Sweeps: every method × every point of a hyperparameter grid × every seed, run as batches, written shard by
shard so an interrupted sweep resumes where it stopped.

The rows of a sweep, in the order of ``sweep.csv``: methods in the order given, then grid points (the
first axis varying slowest), then seeds. A shard is a contiguous slice of ``shard_size`` rows. Inside a
shard the rows of one method (and one value of each axis that cannot be batched: schedules, booleans,
integer counts) run as one batch of ``oco.simulate``; the engine gives a configuration the same numbers
whatever batch it runs in, so results do not depend on the shard size.

While it runs, a sweep folder holds config.json, manifest.json and ``shards/shard-NNNNN.{npz,csv}`` (each
written atomically, the csv last: a shard is finished when its csv exists). At the end the shards are
assembled into ``sweep.csv``, ``traces.npz`` (the checkpoint traces of the rows ``--traces`` keeps, see
``kept_rows``), ``summary.csv`` (with ``--seeds K ≥ 2``: statistics over the seeds of every grid point, see
``summarize``) and ``sweep.json`` (what these files hold), and then the shards are removed: what they held is
in the assembled files, which a resumed sweep reads in their place. ``--resume`` skips finished shards; the
final sweep.csv is byte-identical to an uninterrupted run, and resuming a finished sweep writes the same files
again. The shards run here one after the other, or on a Dask cluster (``oco.distributed``); either way each is
written as it finishes and sweep.csv is assembled in shard order, so the files are the same.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import io
from .config import Config, ConfigError, batched, grid_size, parse_value, resolve
from .result import LR_QUANTILES, require_pandas

if TYPE_CHECKING:
    import pandas

SHARDS = "shards"


# ---------------------------------------------------------------- grid arithmetic
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


# ---------------------------------------------------------------- shards
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
    from .api import Job

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
    from .backends import COMPILE_S, REGISTRY, numpy_seconds

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


# ---------------------------------------------------------------- which rows keep their traces
TRACE_MODES = ("thin", "all", "none")
DEFAULT_TRACES = "thin"
THIN_BYTES = 16 * 2**20  # --traces thin: every row while traces.npz stays within this; beyond it, a sub-grid
TRACE_KEYS = ("t", "avg_regret", "x", "lr_quantiles", "rows")  # what a shard's npz and traces.npz must hold


def trace_row_bytes(cfg: Config) -> int:
    """Bytes of one row in traces.npz: K checkpoints × (R_t/t, the d coordinates of x_t, the lr quantiles and,
    for a stochastic problem, the expected-loss gap), 8 bytes each, and the row's index."""
    per_checkpoint = 1 + int(cfg.problem.d) + len(LR_QUANTILES) + (1 if _stochastic(cfg) else 0)
    return 8 * (cfg.n_checkpoints() * per_checkpoint + 1)


def spread(n: int, m: int) -> np.ndarray:
    """m of the indices 0 … n−1 (1 ≤ m ≤ n), evenly spaced with both ends: ⌊(i(n−1) + ⌊(m−1)/2⌋)/(m−1)⌋ for
    i = 0 … m−1, i.e. i(n−1)/(m−1) rounded (in integers, so exactly); [0] when m = 1."""
    if m <= 1:
        return np.zeros(1, np.int64)
    i = np.arange(m, dtype=np.int64)
    return (i * (n - 1) + (m - 1) // 2) // (m - 1)


def kept_rows(cfg: Config, traces: str = DEFAULT_TRACES) -> np.ndarray:
    """The rows (indices into sweep.csv's data rows, ascending) whose checkpoint traces traces.npz keeps.

    - ``all``: every row. ``none``: no row (and no traces.npz).
    - ``thin`` (the default): every row while traces.npz stays within ``THIN_BYTES`` (16 MiB: 5 974 rows of
      50 checkpoints on a deterministic problem with d = 1, see ``trace_row_bytes``). Beyond it, a sub-grid:
      every method, on each grid axis of n values m = min(n, c) of them evenly spaced, both ends included
      (``spread``), with c the largest count for which methods × sub-grid points × seeds rows fit, every seed
      of each kept point. Where even the corners (c = 2) with every seed do not fit, the corners with the
      first s seeds that do (at least one). A 500 × 500 grid with one method and one seed keeps 77 × 77
      points.
    """
    n = n_rows(cfg)
    if traces == "none":
        return np.zeros(0, np.int64)
    budget = max(1, THIN_BYTES // trace_row_bytes(cfg))
    if traces == "all" or n <= budget:
        return np.arange(n, dtype=np.int64)
    M, S = len(cfg.methods), len(cfg.seeds)
    lens = [len(v) for v in cfg.grid.values()]

    def points(c: int) -> int:
        return math.prod(min(L, c) for L in lens)

    if M * S * points(2) <= budget:
        lo, hi = 2, max(lens)  # points(c) grows with c: the largest c that fits, by bisection
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if M * S * points(mid) <= budget else (lo, mid - 1)
        c, s = lo, S
    else:
        c, s = 2, max(1, budget // (M * points(2)))
    p = np.zeros(1, np.int64)  # grid point indices of the sub-grid, first axis slowest: ascending
    for L in lens:
        p = (p[:, None] * L + spread(L, min(L, c))[None, :]).ravel()
    P = grid_size(cfg.grid)
    method = np.arange(M, dtype=np.int64)[:, None, None]
    return ((method * P + p[None, :, None]) * S + np.arange(s)[None, None, :]).ravel()


def _in_shard(keep: np.ndarray, shard: Shard) -> np.ndarray:
    return keep[np.searchsorted(keep, shard.start):np.searchsorted(keep, shard.stop)]


def _take(arrays: dict, rows: np.ndarray) -> dict:
    """The traces of ``rows`` (which ``arrays["rows"]`` must hold) out of a shard's or a sweep's arrays."""
    j = np.searchsorted(arrays["rows"], rows)
    out = {k: v for k, v in arrays.items() if k in ("t", "lr_quantile_levels")}
    for key in ("avg_regret", "x", "lr_quantiles", "expected_gap"):
        if key in arrays:
            out[key] = arrays[key][:, j]
    out["rows"] = np.asarray(rows, np.int64)
    return out


def check_traces(traces: str) -> None:
    if traces not in TRACE_MODES:
        raise ConfigError(f"--traces must be one of {', '.join(TRACE_MODES)}, got {traces!r}")


def _stored(out: str | Path | None) -> dict:
    """config.json of a sweep folder ({} where there is none or it cannot be read: check_resume says why)."""
    p = Path(out) / "config.json" if out is not None else None
    try:
        doc = io.load_json(p) if p is not None and p.exists() else {}
    except io.FolderError:
        return {}
    return doc if isinstance(doc, dict) else {}


def traces_mode(out: str | Path | None, traces: str | None = None) -> str:
    """``--traces`` as given; else the one the sweep in ``out`` was started with; else thin."""
    if traces is not None:
        check_traces(traces)
        return traces
    stored = _stored(out).get("traces")
    return stored if stored in TRACE_MODES else DEFAULT_TRACES


def config_document(cfg: Config, traces: str) -> dict:
    """A sweep's config.json: the configuration (``Config.to_dict``) and the traces it keeps."""
    return {**cfg.to_dict(), "traces": traces}


# ---------------------------------------------------------------- shards, and the sweep they are folded into
def shard_done(cfg: Config, out: Path, shard: Shard, keep: np.ndarray | None = None) -> bool:
    """Both files of the shard are there and readable (a damaged shard is computed again)."""
    return (out / SHARDS / f"{shard.stem}.csv").exists() and shard_damage(cfg, out, shard, keep) is None


def shard_damage(cfg: Config, out: Path, shard: Shard, keep: np.ndarray | None = None) -> str | None:
    """What is wrong with a shard's files (unreadable, rows missing, traces of the kept rows missing: of every
    row when ``keep`` is None), or None when they are whole."""
    n, width = shard.stop - shard.start, len(header(cfg))
    try:
        text = (out / SHARDS / f"{shard.stem}.csv").read_text(encoding="utf-8")
        arrays = io.load_npz(out / SHARDS / f"{shard.stem}.npz", TRACE_KEYS)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return str(e) if isinstance(e, io.FolderError) else f"its csv cannot be read ({type(e).__name__})"
    rows = list(csv.reader(StringIO(text)))
    if len(rows) != n or any(len(r) != width for r in rows):
        return f"its csv has {len(rows)} rows of the {n} it should have, or rows cut short"
    want = np.arange(shard.start, shard.stop) if keep is None else _in_shard(keep, shard)
    have = arrays["rows"]
    if (arrays["avg_regret"].ndim != 2 or have.ndim != 1 or arrays["avg_regret"].shape[1] != len(have)
            or not np.isin(want, have).all()):
        return "its traces do not cover its rows"
    return None


@dataclass
class Assembled:
    """A sweep already assembled in its folder, read in place of the shards folded into it: every data row of
    sweep.csv as written (with its line end), and traces.npz (None with ``--traces none``)."""

    lines: list[str]
    traces: dict | None


def _row_lines(text: str) -> list[str]:
    """sweep.csv's text as lines, one per CSV record (a quoted cell may hold a line end: then parsed)."""
    if '"' not in text and "\r" not in text:
        return [line + "\n" for line in text.split("\n")[:-1]]
    buf = StringIO()
    w = csv.writer(buf, lineterminator="\n")
    lines = []
    for row in csv.reader(StringIO(text)):
        start = buf.tell()
        w.writerow(row)
        lines.append(buf.getvalue()[start:])
    return lines


def assembled(cfg: Config, out: Path, keep: np.ndarray, traces: str) -> tuple[Assembled | None, str | None]:
    """(the sweep assembled in ``out``, None), or (None, what is wrong with it; None where there is none)."""
    f = out / "sweep.csv"
    if not f.exists():
        return None, None
    try:
        text = f.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, f"{f} cannot be read ({type(e).__name__})"
    lines = _row_lines(text)
    head = io.csv_text(header(cfg), [])
    n = n_rows(cfg)
    if not lines or lines[0] != head:
        return None, f"{f} does not have this sweep's columns"
    width = len(header(cfg))
    cut = (any(line.count(",") != width - 1 for line in lines[1:]) if '"' not in text
           else any(len(r) != width for r in csv.reader(lines[1:])))
    if len(lines) != n + 1 or cut:
        return None, f"{f} has {len(lines) - 1} rows of the {n} it should have, or rows cut short"
    arrays = None
    if traces != "none":
        try:
            arrays = io.load_npz(out / "traces.npz", TRACE_KEYS)
        except io.FolderError as e:
            return None, str(e)
        if not np.array_equal(arrays["rows"], keep) or arrays["avg_regret"].shape[1:] != (len(keep),):
            return None, f"{out / 'traces.npz'} does not hold the traces of the rows --traces {traces} keeps"
    return Assembled(lines[1:], arrays), None


def _progress_state(cfg: Config, out: Path, traces: str | None
                    ) -> tuple[str, np.ndarray, Assembled | None, str | None]:
    """(traces mode, kept rows, the assembled sweep or None, what is wrong with it) for the folder ``out``.
    A folder without config.json is a new sweep: any sweep.csv it holds is stale (``reproduce --force``)."""
    fresh = not (out / "config.json").exists()
    traces = traces_mode(None if fresh else out, traces)
    keep = kept_rows(cfg, traces)
    whole, why = (None, None) if fresh else assembled(cfg, out, keep, traces)
    return traces, keep, whole, why


def check_resume(out: str | Path, cfg: Config, traces: str | None = None) -> None:
    """Refuse to resume into a folder whose config.json differs from ``cfg`` (and, when given, ``traces``),
    naming the first difference."""
    p = Path(out) / "config.json"
    if not p.exists():
        if Path(out).is_dir() and any(Path(out).iterdir()):
            raise ConfigError(f"--resume: {out} has no config.json; it is not a sweep folder")
        return
    try:
        old = io.load_json(p)
    except io.FolderError as e:
        raise ConfigError(f"--resume: {e}") from None
    if not isinstance(old, dict) or old.get("kind") != "sweep":
        raise ConfigError(f"--resume: {p} is not the configuration of an oco sweep")
    new = io.jsonable(cfg.to_dict())
    if "traces" in old:  # folders written before --traces existed keep every trace and say nothing
        new["traces"] = old["traces"] if traces is None else traces
    diff = diff_configs(new, old)
    if diff:
        raise ConfigError(f"--resume: settings differ from {p}: {diff}")


def stored_shard_size(out: str | Path) -> int | None:
    """The shard size a sweep folder was started with (resuming keeps it unless told otherwise)."""
    size = _stored(out).get("shard_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 1 else None


def shard_rounds(cfg: Config, shard: Shard) -> int:
    """Engine rounds of one shard (one batch of T rounds per group), as run_shard reports them to progress."""
    return len(_groups(cfg, shard)) * cfg.T


def pending_rounds(cfg: Config, out: Path, traces: str | None = None) -> int:
    """Engine rounds still to compute in ``out`` (0 for a finished sweep)."""
    out = Path(out)
    _, keep, whole, _ = _progress_state(cfg, out, traces)
    if whole is not None:
        return 0
    return sum(shard_rounds(cfg, s) for s in shards(cfg) if not shard_done(cfg, out, s, keep))


# (cfg, unfinished shards, progress) → (shard, run_shard's result) for each, in the order they finish
ShardRunner = Callable[[Config, list[Shard], Callable[[int], None] | None],
                       Iterable[tuple[Shard, tuple[str, dict]]]]


def run_local(cfg: Config, pending: list[Shard], progress: Callable[[int], None] | None = None
              ) -> Iterator[tuple[Shard, tuple[str, dict]]]:
    """The shards computed here, one after the other: (shard, ``run_shard``'s result) as each finishes. The
    kernels of the batches the first shards hold (each method's, each value of an axis that is not batched)
    compile ahead in parallel (``oco.backends.compile_ahead``)."""
    from .backends import compile_ahead

    jobs: dict[tuple, object] = {}  # (method, fixed values) → the Job of its first batch
    for s in pending[:64]:
        for mi, fixed, rows in _groups(cfg, s):
            if (mi, fixed) not in jobs:
                jobs[mi, fixed] = _plan_rows(cfg, mi, rows)
    with compile_ahead(list(jobs.values())) as ahead:
        def before(mi, fixed):
            if (mi, fixed) in jobs:
                ahead.ready(jobs.pop((mi, fixed)))

        for s in pending:
            yield s, run_shard(cfg, s, progress, before)


def write_shard(out: Path, shard: Shard, text: str, arrays: dict, keep: np.ndarray | None = None) -> None:
    """A finished shard's files: the npz (the traces of its rows in ``keep``; all when None), then the csv (a
    shard is done once both exist)."""
    if keep is not None:
        arrays = _take(arrays, _in_shard(keep, shard))
    io.write_npz(out / SHARDS / f"{shard.stem}.npz", arrays)
    io.write_atomic(out / SHARDS / f"{shard.stem}.csv", text)


def run_sweep(cfg: Config, out: str | Path, command: list[str] | None = None,
              progress: Callable[[int], None] | None = None,
              extra: dict | None = None, runner: ShardRunner | None = None,
              traces: str | None = None) -> Path:
    """Run (or finish) a sweep into ``out``; returns the path of sweep.csv. Call ``check_resume`` first.

    ``runner`` computes the unfinished shards and yields ``(shard, (csv text, arrays))`` in any order as they
    finish: ``run_local`` (the default) here, ``oco.distributed.runner(client)`` on a Dask cluster. Every
    result is written the same way as it arrives (keeping the traces of the rows ``kept_rows`` names for
    ``traces``: thin, all or none; None: the folder's own, else thin), and ``finish`` assembles the shards in
    their order and removes them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.clean_tmp(out)
    traces, keep, whole, why = _progress_state(cfg, out, traces)
    if not (out / "config.json").exists():
        io.write_json(out / "config.json", config_document(cfg, traces))
    io.append_manifest(out / "manifest.json", io.manifest(command, cfg.seeds, cfg.backend, **(extra or {})))
    pending = [] if whole is not None else [s for s in shards(cfg) if not shard_done(cfg, out, s, keep)]
    if why and any(not (out / SHARDS / f"{s.stem}.csv").exists() for s in pending):
        print(f"oco: {why}; computing the rows it held again", file=sys.stderr)
    for s in pending:
        if (out / SHARDS / f"{s.stem}.csv").exists():
            print(f"oco: {out / SHARDS / s.stem}: {shard_damage(cfg, out, s, keep)}; computing it again",
                  file=sys.stderr)
    for s, (text, arrays) in (runner or run_local)(cfg, pending, progress):
        write_shard(out, s, text, arrays, keep)
    return finish(cfg, out, traces, whole)


def csv_text(cfg: Config, shard_texts: Iterable[str]) -> str:
    """sweep.csv's text: the header, then the shards' lines in shard order."""
    return io.csv_text(header(cfg), []) + "".join(shard_texts)


def finish(cfg: Config, out: Path, traces: str | None = None, whole: Assembled | None = None) -> Path:
    """Assemble sweep.csv, traces.npz (the rows ``traces`` keeps), summary.csv (two seeds or more) and
    sweep.json from the shards, or from the sweep already assembled (``whole``), remove the shards. Each
    file is written atomically, the shards removed only once all are written."""
    out = Path(out)
    traces = traces_mode(out, traces)
    keep = kept_rows(cfg, traces)
    if whole is None and not all((out / SHARDS / f"{s.stem}.csv").exists() for s in shards(cfg)):
        whole, why = assembled(cfg, out, keep, traces)
        if whole is None:
            raise io.FolderError(why or f"{out} has neither the shards of its sweep nor sweep.csv")
    if whole is not None:  # a finished sweep resumed: its files again, from themselves
        text, combined = csv_text(cfg, whole.lines), whole.traces
    else:
        texts, parts = [], []
        for s in shards(cfg):
            texts.append((out / SHARDS / f"{s.stem}.csv").read_text(encoding="utf-8"))
            parts.append(_take(io.read_npz(out / SHARDS / f"{s.stem}.npz"), _in_shard(keep, s)))
        text = csv_text(cfg, texts)
        combined = {"t": parts[0]["t"], "lr_quantile_levels": parts[0]["lr_quantile_levels"]}
        for key in ("avg_regret", "x", "lr_quantiles", "expected_gap", "rows"):
            if key in parts[0]:
                combined[key] = np.concatenate([p[key] for p in parts], axis=0 if key == "rows" else 1)
    io.write_atomic(out / "sweep.csv", text)
    if traces == "none":
        (out / "traces.npz").unlink(missing_ok=True)
    else:
        io.write_npz(out / "traces.npz", combined)
    groups = None
    if len(cfg.seeds) >= 2:
        io.write_atomic(out / "summary.csv", summary_csv(text))
        groups = n_rows(cfg) // len(cfg.seeds)
    io.write_json(out / "sweep.json", sidecar(cfg, traces, keep, groups))
    if (out / SHARDS).is_dir():
        shutil.rmtree(out / SHARDS)
    return out / "sweep.csv"


def sidecar(cfg: Config, traces: str, keep: np.ndarray, groups: int | None) -> dict:
    """sweep.json: what the data files of a sweep folder hold, and how to read or make them again."""
    doc = {
        "sweep.csv": {
            "rows": n_rows(cfg),
            "order": "methods in the order given, then grid points (first axis varying slowest), then seeds",
            "columns": header(cfg),
            "distances": "dist_x_star = ‖x_T − x*‖₂, x* the best fixed point in hindsight of the row's losses"
                         + ("; dist_x_opt = ‖x_T − x_opt‖₂, x_opt the minimizer of the expected loss F, and "
                            "expected_gap = F(x_T) − F(x_opt)" if _stochastic(cfg) else ""),
        },
        "traces.npz": None if traces == "none" else {
            "traces": traces,
            "rows": int(len(keep)),
            "of": n_rows(cfg),
            "kept": ("every row" if len(keep) == n_rows(cfg) else
                     "a sub-grid (oco.sweeps.kept_rows): every method, on each axis values spread evenly "
                     "with both ends, every seed where they fit"),
            "arrays": "t (K,) rounds; rows (R,) indices of sweep.csv's data rows; avg_regret (K, R) R_t/t; "
                      f"x (K, R, d) x_t; lr_quantiles (K, R, {len(LR_QUANTILES)}) at lr_quantile_levels"
                      + ("; expected_gap (K, R) F(x_t) − F(x_opt)" if _stochastic(cfg) else ""),
            "read": "oco.sweeps.load_traces(FOLDER)",
        },
        "summary.csv": None if groups is None else {
            "rows": groups,
            "groups": "one row per method and grid point, over its seeds (in the order of sweep.csv)",
            "quantities": summary_quantities(header(cfg)),
            "statistics": SUMMARY_STATISTICS,
            "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED,
                          "indices": f"numpy.random.default_rng([{BOOTSTRAP_SEED}, n]).integers(0, n, size="
                                     f"({BOOTSTRAP_RESAMPLES}, n)) for a group of n finite values, the same "
                                     "for every group of n",
                          "interval": "percentile: the 2.5% and 97.5% numpy.quantile (linear) of the "
                                      "resampled means"},
            "remake": "oco.sweeps.summarize(FOLDER)",
        },
    }
    return doc


# ---------------------------------------------------------------- statistics over seeds: summary.csv
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 2018
SUMMARY_STATISTICS = {
    "n": "the values counted: the group's finite ones (a diverged seed has none)",
    "mean": "their mean",
    "median": "their median",
    "q10": "their 10% quantile (numpy.quantile, linear interpolation)",
    "q90": "their 90% quantile",
    "ci_low": "2.5% percentile bootstrap quantile of the mean (95% interval)",
    "ci_high": "97.5% percentile bootstrap quantile of the mean",
}


def summary_quantities(columns: Sequence[str]) -> list[str]:
    """What summary.csv summarises: R_T/T, the distance of x_T from the optimum — x_opt, the minimizer of the
    expected loss, for a stochastic problem (with its expected gap F(x_T) − F(x_opt)), else the best fixed
    point in hindsight x*."""
    dist = "dist_x_opt" if "dist_x_opt" in columns else "dist_x_star"
    return ["avg_regret", dist] + (["expected_gap"] if "expected_gap" in columns else [])


def bootstrap_indices(n: int) -> np.ndarray:
    """The (B, n) resample indices of a group of n values: ``default_rng([BOOTSTRAP_SEED, n]).integers(0, n,
    size=(B, n))``, B = BOOTSTRAP_RESAMPLES. Fixed, so summary.csv is the same on every run and resume."""
    return np.random.default_rng([BOOTSTRAP_SEED, n]).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))


def seed_statistics(values: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``values`` (G, n), n ≥ 1 finite values each: mean, median, 10% and 90% quantiles, and the
    95% percentile bootstrap interval of the mean.

    Bootstrap (Efron & Tibshirani 1993, ch. 13): with I = ``bootstrap_indices(n)``, the b-th resampled mean of
    row g is μ*_gb = (1/n) Σ_k values[g, I[b, k]]; the interval is the 2.5% and 97.5% quantiles of
    (μ*_g1 … μ*_gB) (``numpy.quantile``, linear). Vectorised over rows, in chunks of at most 2²² resampled
    values."""
    mean = values.mean(axis=1)
    median = np.median(values, axis=1)
    q10, q90 = np.quantile(values, (0.1, 0.9), axis=1)
    G, n = values.shape
    idx = bootstrap_indices(n)
    lo, hi = np.empty(G), np.empty(G)
    step = max(1, 2**22 // (BOOTSTRAP_RESAMPLES * n))
    for a in range(0, G, step):
        means = values[a:a + step][:, idx].mean(axis=2)  # (chunk, B)
        lo[a:a + step], hi[a:a + step] = np.quantile(means, (0.025, 0.975), axis=1)
    return {"mean": mean, "median": median, "q10": q10, "q90": q90, "ci_low": lo, "ci_high": hi}


def grouped_statistics(values: np.ndarray, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """``seed_statistics`` of each group's finite values (in their order), groups given by ``group`` (N,) in
    0 … n_groups−1; ``n`` counts them, and a group without any has NaN statistics."""
    ok = np.isfinite(values)
    g = group[ok]
    order = np.argsort(g, kind="stable")
    g, v = g[order], values[ok][order]
    n = np.bincount(g, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    out = {"n": n, **{k: np.full(n_groups, np.nan) for k in SUMMARY_STATISTICS if k != "n"}}
    for m in np.unique(n[n > 0]):
        gs = np.flatnonzero(n == m)
        for k, st in seed_statistics(v[start[gs, None] + np.arange(m)]).items():
            out[k][gs] = st
    return out


def summary_csv(text: str) -> str:
    """summary.csv's text from sweep.csv's: one row per method and grid point (the columns before ``seed``,
    in the order they first appear), ``seeds`` (rows in the group) and ``diverged`` (how many of them), then
    for each of ``summary_quantities`` its ``seed_statistics`` over the group's finite values, named
    ``QUANTITY_STATISTIC`` (``avg_regret_mean``, …, ``dist_x_star_ci_high``)."""
    reader = csv.reader(StringIO(text))
    head = next(reader)
    if "seed" not in head or "diverged" not in head:
        raise ValueError("not a sweep.csv of oco: it has no seed or diverged column")
    k = head.index("seed")
    quantities = summary_quantities(head)
    at = [head.index(q) for q in quantities]
    at_diverged = head.index("diverged")
    keys: dict[tuple, int] = {}
    group, diverged, values = [], [], [[] for _ in quantities]  # one pass, keeping only what is summarised
    for r in reader:
        group.append(keys.setdefault(tuple(r[:k]), len(keys)))
        diverged.append(r[at_diverged] == "true")
        for v, j in zip(values, at):
            v.append(_number(r[j]))
    G, group = len(keys), np.asarray(group, np.int64)
    diverged = np.bincount(group, diverged, minlength=G).astype(np.int64)
    stats = {q: grouped_statistics(np.asarray(v, float), group, G) for q, v in zip(quantities, values)}
    names = [f"{q}_{s}" for q in quantities for s in SUMMARY_STATISTICS]
    columns = [stats[q][s] for q in quantities for s in SUMMARY_STATISTICS]
    seeds = np.bincount(group, minlength=G)
    cells = ([*key, int(seeds[g]), int(diverged[g]), *(c[g] for c in columns)] for g, key in enumerate(keys))
    return io.csv_text([*head[:k], "seeds", "diverged", *names], cells)


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan  # an empty cell: not observed


def summarize(sweep_or_folder: pandas.DataFrame | str | os.PathLike) -> pandas.DataFrame:
    """Statistics over the seeds of a sweep, per method and grid point, as a DataFrame: what ``oco sweep
    --seeds K`` writes to summary.csv (see ``summary_csv``, ``seed_statistics``), from the DataFrame
    ``oco.sweep`` returns or from a sweep folder's sweep.csv. Needs pandas.

    >>> df = sweep("reddi-online", "adam", grid={"beta1": [0.0, 0.9]}, T=20, seeds=3)
    >>> s = summarize(df)
    >>> list(s.columns[:5]), s["seeds"].tolist()
    (['beta1', 'method', 'convention', 'seeds', 'diverged'], [3, 3])
    >>> bool((s["avg_regret_ci_low"] <= s["avg_regret_mean"]).all())
    True
    """
    pd = require_pandas("oco.sweeps.summarize")
    if isinstance(sweep_or_folder, (str, os.PathLike)):
        f = Path(sweep_or_folder) / "sweep.csv"
        try:
            text = f.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise io.FolderError(f"{f} is missing: not a finished sweep folder") from None
    elif isinstance(sweep_or_folder, pd.DataFrame):
        text = io.csv_text(list(sweep_or_folder.columns), sweep_or_folder.itertuples(index=False))
    else:
        raise TypeError("summarize takes oco.sweep's DataFrame or a sweep folder, got "
                        f"{type(sweep_or_folder).__name__}")
    return _frame(pd, summary_csv(text))


def load_traces(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """A sweep folder's traces.npz, checked: ``t`` (K,) the rounds, ``rows`` (R,) the indices of the sweep.csv
    data rows it holds (all of them, or those ``kept_rows`` keeps, ascending), ``avg_regret`` (K, R),
    ``x`` (K, R, d), ``lr_quantiles`` (K, R, q) at ``lr_quantile_levels`` and, for stochastic problems,
    ``expected_gap`` (K, R). Row i of sweep.csv is column ``searchsorted(rows, i)`` where ``rows`` holds it.
    A FolderError names what is wrong (missing: a sweep run with ``--traces none``, or not finished)."""
    arrays = io.load_npz(Path(folder) / "traces.npz", TRACE_KEYS)
    rows, K = arrays["rows"], len(arrays["t"])
    shape = (K, len(rows))
    if rows.ndim != 1 or arrays["avg_regret"].shape != shape or arrays["x"].shape[:2] != shape:
        raise io.FolderError(f"{Path(folder) / 'traces.npz'}: its arrays do not agree in shape")
    return arrays


# ---------------------------------------------------------------- the Python API
def prepare(out: str | Path | None, resume: bool, grid: Mapping[str, Sequence | str], shard_size: int | None,
            traces: str | None = None, **settings: Any) -> Config:
    """The checks ``oco sweep`` makes before it computes, in its order: the output folder (when there is
    one), ``--traces``, the grid, the settings (the checker, ``config.resolve(**settings)``), that a resumed
    folder holds the same sweep, and the disk; returns the checked configuration. Raises ConfigError or
    OutputError (ValueErrors), having written nothing."""
    if out is not None:
        io.check_out_dir(out, resume=resume)
    if traces is not None:
        check_traces(traces)
    if not grid:
        raise ConfigError("sweep needs at least one --grid NAME=SPEC")
    if resume and shard_size is None:
        shard_size = stored_shard_size(out)
    cfg = resolve("sweep", grid=grid, shard_size=shard_size, **settings)
    if resume:
        check_resume(out, cfg, traces)
    if out is not None:
        check_disk(cfg, out, traces_mode(out if resume else None, traces))
    return cfg


def disk_need(cfg: Config, traces: str = DEFAULT_TRACES) -> int:
    """Bytes a sweep needs on disk at its peak, just before its shards are removed: its rows twice (the shards'
    csv and sweep.csv) and its kept traces twice (``trace_row_bytes``), summary.csv and sweep.json. A cell is
    at most 25 bytes (the longest float64 repr, −2.2250738585072014e−308, and a comma) or its text's length."""
    names = max(len(m.name) + len(m.convention) for m in cfg.methods) + 2
    text_axes = [values for values in cfg.grid.values() if not all(isinstance(v, (int, float)) for v in values)]
    texts = sum(max(len(io.fmt_cell(v)) for v in values) + 1 for values in text_axes)
    row = 25 * (len(header(cfg)) - 2 - len(text_axes)) + texts + names  # other cells: numbers, true/false
    kept = n_rows(cfg) if traces == "all" else len(kept_rows(cfg, traces))
    groups = n_rows(cfg) // len(cfg.seeds)
    summary = 0 if len(cfg.seeds) < 2 else (groups + 1) * (row + 25 * (2 + 7 * 3))
    return 2 * (n_rows(cfg) * row + kept * trace_row_bytes(cfg)) + summary + 2**13


def check_disk(cfg: Config, out: str | os.PathLike, traces: str = DEFAULT_TRACES) -> None:
    """Refuse a sweep that the disk under ``out`` cannot hold (``disk_need``), before it starts."""
    need, free = disk_need(cfg, traces), shutil.disk_usage(io.nearest_existing(out)).free
    if need > free:
        raise ConfigError(f"the sweep's {n_rows(cfg)} rows (traces: {traces}) need about "
                          f"{io.human_bytes(need)} on disk under {out}; {io.human_bytes(free)} is free")


def sweep(
    problem: str | os.PathLike,
    methods: str | Sequence[str] | None = None,
    *,
    grid: Mapping[str, Sequence | str],
    T: int | None = None,
    seed: int = 0,
    seeds: int = 1,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    backend: str = "auto",
    convention: str = "paper",
    x0: float | Sequence[float] | None = None,
    domain: str | None = None,
    radius: float | None = None,
    problem_params: dict[str, Any] | None = None,
    checkpoints: int = 50,
    checkpoint_every: int | None = None,
    shard_size: int | None = None,
    traces: str | None = None,
    progress: Callable[[int], None] | None = None,
    **hyperparameters: Any,
) -> pandas.DataFrame:
    """``oco sweep`` from Python: every method × every point of ``grid`` × seeds seed … seed+seeds−1, as
    a pandas DataFrame with the columns and numbers of ``sweep.csv`` (the same rows, read back exactly).

    The arguments are the command's options as typed values, checked by the checker the command uses
    (``oco.config.resolve``; nothing is turned into text and read back): ``methods`` is a name,
    ``"name:convention"`` or a list of them (default: adam and amsgrad), ``convention`` is ``--preset``,
    ``problem_params`` is ``--param``, the other keywords are hyperparameters (``--alpha``, ``--set``), and a
    grid axis is a list of values or a spec string (``"0.9,0.99"``, ``"0:0.99:5"``). With ``out=DIR`` it
    writes the data files of the sweep folder ``oco sweep --out DIR`` writes (config.json, manifest.json,
    sweep.csv, traces; ``oco.sweep`` draws its heat maps too) and ``resume=True`` finishes an interrupted one;
    without ``out`` nothing is written. ``shard_size`` and ``traces`` are ``--shard-size`` and ``--traces``
    (thin, all or none: which checkpoint traces traces.npz keeps, see ``kept_rows``); with ``seeds`` ≥ 2 the
    folder also holds summary.csv (``summarize`` gives it from the DataFrame too); ``progress`` is called with the rounds done, as by ``oco.simulate``. Bad arguments raise a
    ValueError with one line naming the problem (and, as on the command line, the option), before anything
    is computed or written. Needs pandas.

    >>> df = sweep("reddi-online", "adam", grid={"beta1": [0.0, 0.9]}, T=20, seeds=2)
    >>> df[["beta1", "method", "seed", "diverged"]]
       beta1 method  seed  diverged
    0    0.0   adam     0     False
    1    0.0   adam     1     False
    2    0.9   adam     0     False
    3    0.9   adam     1     False
    >>> list(df.columns[4:8])
    ['avg_regret', 'regret', 'x_final', 'diverged']
    """
    call = dict(locals())
    pd = require_pandas("oco.sweep")
    if resume and out is None:
        raise ConfigError("resume=True needs out=DIR, the folder of the sweep to finish")
    if not isinstance(problem, (str, os.PathLike)):
        raise ConfigError(f"problem must be a problem's name or a file's path, got {type(problem).__name__}")
    cfg = prepare(
        out, resume, grid, shard_size, traces,
        problem=os.fspath(problem), methods=_listed(methods) if methods is not None else None, T=T,
        convention=convention, hypers=hyperparameters, params=problem_params, x0=x0, domain=domain,
        radius=radius, seed=seed, seeds=seeds, backend=backend, checkpoints=checkpoints,
        checkpoint_every=checkpoint_every,
    )
    if out is None:
        text = csv_text(cfg, (text for _, (text, _) in run_local(cfg, shards(cfg), progress)))
    else:
        path = run_sweep(cfg, out, _call_line(call), progress, traces=traces)
        text = path.read_text(encoding="utf-8")
    return _frame(pd, text)


def _frame(pd, text: str) -> pandas.DataFrame:
    """sweep.csv's text as a DataFrame, every cell read back to the value it was written from (exact floats,
    true/false as booleans, an empty cell as a missing value)."""
    head, *rows = csv.reader(StringIO(text))
    return pd.DataFrame([[None if c == "" else parse_value(c) for c in row] for row in rows], columns=head)


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]


def _call_line(call: dict[str, Any]) -> list[str]:
    """manifest.json's "command" for a Python call: ``oco.sweep(...)`` with the arguments given."""
    defaults = inspect.signature(sweep).parameters
    call = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in call.items()}
    args = [repr(call["problem"])] + [
        f"{k}={v!r}" for k, v in call.items()
        if k not in ("problem", "hyperparameters", "progress") and repr(v) != repr(defaults[k].default)]
    args += [f"{k}={v!r}" for k, v in call["hyperparameters"].items()]
    return [f"oco.sweep({', '.join(args)})"]
