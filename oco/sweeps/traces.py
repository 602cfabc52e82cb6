"""Which rows keep their checkpoint traces (``--traces thin|all|none``): every row while ``traces.npz``
stays small, a sub-grid beyond (``kept_rows``)."""


from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import io
from ..config import Config, ConfigError, grid_size
from ..result import LR_QUANTILES
from .shards import Shard, _stochastic, n_rows

if TYPE_CHECKING:
    pass



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
