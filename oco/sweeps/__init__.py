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

Where each part lives: ``grid`` (the grid's arithmetic), ``shards`` (rows cut into shards; ``run_shard`` runs
one), ``traces`` (which rows keep their traces), ``folder`` (shards on disk, ``--resume``, ``run_sweep``,
``finish``), ``summary`` (statistics over seeds: ``summary.csv``, ``summarize``), ``api`` (``oco.sweep``'s
numbers: ``sweep``).
"""

from __future__ import annotations

from .api import check_disk, disk_need, prepare, sweep
from .folder import (
                     ShardRunner,
                     check_resume,
                     csv_text,
                     finish,
                     pending_rounds,
                     run_local,
                     run_sweep,
                     shard_rounds,
                     stored_shard_size,
)
from .grid import diff_configs, grid_point, grid_points
from .shards import SHARDS, Shard, header, n_rows, row_index, run_shard, shards, sweep_backend
from .summary import (
                     BOOTSTRAP_RESAMPLES,
                     BOOTSTRAP_SEED,
                     load_traces,
                     seed_statistics,
                     summarize,
                     summary_csv,
                     summary_quantities,
)
from .traces import (
                     DEFAULT_TRACES,
                     THIN_BYTES,
                     TRACE_MODES,
                     check_traces,
                     kept_rows,
                     spread,
                     trace_row_bytes,
                     traces_mode,
)

__all__ = [
    "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED", "DEFAULT_TRACES", "SHARDS", "THIN_BYTES", "TRACE_MODES", "Shard",
    "ShardRunner", "check_disk", "check_resume", "check_traces", "csv_text", "diff_configs", "disk_need",
    "finish", "grid_point", "grid_points", "header", "kept_rows", "load_traces", "n_rows", "pending_rounds",
    "prepare", "row_index", "run_local", "run_shard", "run_sweep", "seed_statistics", "shard_rounds", "shards",
    "spread", "stored_shard_size", "summarize", "summary_csv", "summary_quantities", "sweep", "sweep_backend",
    "trace_row_bytes", "traces_mode",
]
