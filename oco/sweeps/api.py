"""``oco.sweep`` from Python: typed values in, checked by the one checker (``oco.config.resolve``), the
sweep run into its folder (or a temporary one), ``sweep.csv`` back as a pandas DataFrame."""


from __future__ import annotations

import inspect
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import io
from ..config import Config, ConfigError, resolve
from ..result import require_pandas
from .folder import check_resume, csv_text, run_local, run_sweep, stored_shard_size
from .shards import header, n_rows, shards
from .summary import csv_frame
from .traces import DEFAULT_TRACES, check_traces, kept_rows, trace_row_bytes, traces_mode

if TYPE_CHECKING:
    import pandas



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
    return csv_frame(pd, text)


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
