"""Sweeps: every method × every point of a hyperparameter grid × every seed, run as batches, written shard by
shard so an interrupted sweep resumes where it stopped.

The rows of a sweep, in the order of ``sweep.csv``: methods in the order given, then grid points (the
first axis varying slowest), then seeds. A shard is a contiguous slice of ``shard_size`` rows. Inside a
shard the rows of one method (and one value of each axis that cannot be batched: schedules, booleans,
integer counts) run as one batch of ``oco.simulate``; the engine gives a configuration the same numbers
whatever batch it runs in, so results do not depend on the shard size.

A sweep folder holds config.json, manifest.json, ``shards/shard-NNNNN.{npz,csv}`` (each written atomically,
the csv last: a shard is finished when its csv exists), and at the end ``sweep.csv``, ``traces.npz`` and the
heat maps. ``--resume`` skips finished shards; the final sweep.csv is byte-identical to an uninterrupted run.
The shards run here one after the other, or on a Dask cluster (``oco.distributed``); either way each is
written as it finishes and sweep.csv is assembled in shard order, so the files are the same.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import io
from .config import Config, ConfigError, diff_configs, grid_point, grid_size
from .result import LR_QUANTILES

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
    """Numeric axes run as (B,) arrays; schedules, booleans and integer counts need one batch per value."""
    from .methods import get_method

    ms = cfg.methods[ms_index]
    check = get_method(ms.name, ms.convention).hypers[axis].check
    values = cfg.grid[axis]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    return numeric and check not in ("bool", "schedule", "beta1_schedule", "int+")


def header(cfg: Config) -> list[str]:
    d = cfg.problem.d
    xs = ["x_final"] if d == 1 else [f"x_final_{j}" for j in range(d)]
    stars = ["x_star"] if d == 1 else [f"x_star_{j}" for j in range(d)]
    gap = ["expected_gap"] if cfg.problem.expected_optimum(cfg.domain) is not None else []
    return [*cfg.grid, "method", "convention", "seed", "avg_regret", "regret", *xs, "diverged",
            "best_fixed_loss", *stars, "dist_x_star", *gap, "diverged_at", "gamma_negative_rounds",
            "lr_min", "lr_max"]


def _groups(cfg: Config, shard: Shard) -> list[tuple[int, tuple, list[int]]]:
    """The batches of a shard: (method index, values of the unbatchable axes, row indices)."""
    axes = list(cfg.grid)
    batchable = {(mi, a): _batchable(cfg, mi, a) for mi in range(len(cfg.methods)) for a in axes}
    whole = {mi for mi in range(len(cfg.methods)) if all(batchable[mi, a] for a in axes)}
    out: dict[tuple, list[int]] = {}
    for i in range(shard.start, shard.stop):
        mi, pi, _ = row_index(cfg, i)
        fixed = () if mi in whole else tuple(
            (a, io.fmt_cell(v)) for a, v in zip(axes, grid_point(cfg.grid, pi)) if not batchable[mi, a])
        out.setdefault((mi, fixed), []).append(i)
    return [(mi, fixed, rows) for (mi, fixed), rows in out.items()]


def _simulate_rows(cfg: Config, mi: int, rows: list[int], T: int, progress=None, **kw):
    from .api import simulate

    ms = cfg.methods[mi]
    axes = list(cfg.grid)
    hyper = dict(ms.given)
    index = [row_index(cfg, i) for i in rows]
    points = [grid_point(cfg.grid, pi) for _, pi, _ in index]
    for j, a in enumerate(axes):
        values = [p[j] for p in points]
        hyper[a] = np.asarray(values, float) if _batchable(cfg, mi, a) else values[0]
    seeds = np.asarray([cfg.seeds[si] for _, _, si in index], dtype=np.int64)
    return simulate(cfg.problem, ms.name, T, convention=ms.convention, x0=cfg.x0, domain=cfg.domain, backend=cfg.backend,
                    seed=seeds, progress=progress, **kw, **hyper)


def validate(cfg: Config) -> None:
    """One round of every batch of the sweep: what the engine would reject, it rejects before any output."""
    whole = Shard(0, 0, n_rows(cfg))
    for mi, _, rows in _groups(cfg, whole):
        try:
            _simulate_rows(cfg, mi, rows, 1, checkpoints=[1])
        except ValueError as e:
            raise ConfigError(str(e)) from None


def run_shard(cfg: Config, shard: Shard, progress: Callable[[int], None] | None = None) -> tuple[str, dict]:
    """The CSV lines (no header) and the checkpoint traces of one shard."""
    n, d = shard.stop - shard.start, cfg.problem.d
    cells: list[list | None] = [None] * n
    arrays: dict[str, np.ndarray] = {}
    has_gap = "expected_gap" in header(cfg)
    for mi, _, rows in _groups(cfg, shard):
        r = _simulate_rows(cfg, mi, rows, cfg.T, progress, **cfg.checkpoint_kwargs())
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
        for b, i in enumerate(rows):
            k = i - shard.start
            _, pi, _ = row_index(cfg, i)
            arrays["avg_regret"][:, k] = ck.avg_regret[:, b]
            arrays["x"][:, k] = ck.x[:, b]
            arrays["lr_quantiles"][:, k] = ck.lr_quantiles[:, b]
            if has_gap and ck.expected_gap is not None:
                arrays["expected_gap"][:, k] = ck.expected_gap[:, b]
            xf, xs = r.x_final[b], r.x_star[b]
            gap = [float(r.expected_gap[b])] if has_gap and r.expected_gap is not None else ([math.nan] if has_gap else [])
            cells[k] = [
                *grid_point(cfg.grid, pi), ms.name, ms.convention, int(r.seeds[b]), float(r.avg_regret[b]), float(r.regret[b]),
                *map(float, xf), bool(r.diverged[b]), float(r.best_fixed_loss[b]), *map(float, xs),
                float(np.linalg.norm(xf - xs)), *gap, int(r.diverged_at[b]), int(r.gamma_negative_rounds[b]),
                float(r.lr_min[b]), float(r.lr_max[b]),
            ]
    return io.csv_text(None, cells), arrays


def shard_done(out: Path, shard: Shard) -> bool:
    return (out / SHARDS / f"{shard.stem}.csv").exists() and (out / SHARDS / f"{shard.stem}.npz").exists()


def check_resume(out: str | Path, cfg: Config) -> None:
    """Refuse to resume into a folder whose config.json differs from ``cfg``, naming the first difference."""
    p = Path(out) / "config.json"
    if not p.exists():
        if Path(out).is_dir() and any(Path(out).iterdir()):
            raise ConfigError(f"--resume: {out} has no config.json; it is not a sweep folder")
        return
    try:
        old = io.read_json(p)
    except ValueError as e:
        raise ConfigError(f"--resume: cannot read {p}: {e}") from None
    new = io.jsonable(cfg.to_dict())
    diff = diff_configs(new, old)
    if diff:
        raise ConfigError(f"--resume: settings differ from {p}: {diff}")


def stored_shard_size(out: str | Path) -> int | None:
    """The shard size a sweep folder was started with (resuming keeps it unless told otherwise)."""
    p = Path(out) / "config.json"
    try:
        return io.read_json(p).get("shard_size") if p.exists() else None
    except ValueError:
        return None


def shard_rounds(cfg: Config, shard: Shard) -> int:
    """Engine rounds of one shard (one batch of T rounds per group), as run_shard reports them to progress."""
    return len(_groups(cfg, shard)) * cfg.T


def pending_rounds(cfg: Config, out: Path) -> int:
    return sum(shard_rounds(cfg, s) for s in shards(cfg) if not shard_done(out, s))


# (cfg, unfinished shards, progress) → (shard, run_shard's result) for each, in the order they finish
ShardRunner = Callable[[Config, list[Shard], Callable[[int], None] | None],
                       Iterable[tuple[Shard, tuple[str, dict]]]]


def run_local(cfg: Config, pending: list[Shard], progress: Callable[[int], None] | None = None
              ) -> Iterator[tuple[Shard, tuple[str, dict]]]:
    """The shards computed here, one after the other: (shard, ``run_shard``'s result) as each finishes."""
    for s in pending:
        yield s, run_shard(cfg, s, progress)


def write_shard(out: Path, shard: Shard, text: str, arrays: dict) -> None:
    """A finished shard's files: the npz, then the csv (a shard is done once both exist)."""
    io.write_npz(out / SHARDS / f"{shard.stem}.npz", arrays)
    io.write_atomic(out / SHARDS / f"{shard.stem}.csv", text)


def run_sweep(cfg: Config, out: str | Path, command: list[str] | None = None,
              progress: Callable[[int], None] | None = None, fmt: str = "png", plot: bool = True,
              extra: dict | None = None, runner: ShardRunner | None = None) -> Path:
    """Run (or finish) a sweep into ``out``; returns the path of sweep.csv. Call ``check_resume`` first.

    ``runner`` computes the unfinished shards and yields ``(shard, (csv text, arrays))`` in any order as they
    finish: ``run_local`` (the default) here, ``oco.distributed.runner(client)`` on a Dask cluster. Every
    result is written the same way as it arrives, and ``finish`` assembles the shards in their order.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.clean_tmp(out)
    if not (out / "config.json").exists():
        io.write_json(out / "config.json", cfg.to_dict())
    io.append_manifest(out / "manifest.json", io.manifest(command, cfg.seeds, cfg.backend, **(extra or {})))
    pending = [s for s in shards(cfg) if not shard_done(out, s)]
    for i, (s, (text, arrays)) in enumerate((runner or run_local)(cfg, pending, progress)):
        write_shard(out, s, text, arrays)
        if plot and i == 0 and len(pending) > 1:
            # matplotlib's import (~0.4 s) overlaps the other shards' compiled kernels, which release the GIL
            threading.Thread(target=importlib.import_module, args=("matplotlib.figure",), daemon=True).start()
    return finish(cfg, out, fmt, plot)


def finish(cfg: Config, out: Path, fmt: str = "png", plot: bool = True) -> Path:
    """Assemble sweep.csv and traces.npz from the shards, then draw the figures."""
    parts, traces = [io.csv_text(header(cfg), [])], []
    for s in shards(cfg):
        parts.append((out / SHARDS / f"{s.stem}.csv").read_text(encoding="utf-8"))
        traces.append(io.read_npz(out / SHARDS / f"{s.stem}.npz"))
    io.write_atomic(out / "sweep.csv", "".join(parts))
    combined = {"t": traces[0]["t"], "lr_quantile_levels": traces[0]["lr_quantile_levels"]}
    for key in ("avg_regret", "x", "lr_quantiles", "expected_gap", "rows"):
        if key in traces[0]:
            combined[key] = np.concatenate([t[key] for t in traces], axis=0 if key == "rows" else 1)
    io.write_npz(out / "traces.npz", combined)
    if plot:
        from .plots import plot_folder

        plot_folder(out, fmt)
    return out / "sweep.csv"
