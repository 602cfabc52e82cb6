"""A sweep's folder: shards written as they finish (``shards/shard-NNNNN.{npz,csv}``, the csv last), checked
and skipped on ``--resume``, then folded into ``sweep.csv``, ``traces.npz``, ``summary.csv`` and
``sweep.json`` (``finish``); ``run_sweep`` runs the unfinished shards here or with a runner (Dask)."""


from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import io
from ..config import Config, ConfigError
from ..result import LR_QUANTILES
from .grid import diff_configs
from .shards import SHARDS, Shard, _groups, _plan_rows, _stochastic, header, n_rows, run_shard, shards
from .summary import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, SUMMARY_STATISTICS, summary_csv, summary_quantities
from .traces import TRACE_KEYS, _in_shard, _stored, _take, config_document, kept_rows, traces_mode

if TYPE_CHECKING:
    pass



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
    from ..backends import compile_ahead

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
