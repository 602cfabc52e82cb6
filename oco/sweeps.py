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

import csv
import importlib
import inspect
import itertools
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import io
from .config import Config, ConfigError, check_disk, grid_size, parse_grid, parse_value, parse_x0, resolve
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
    """Numeric axes run as (B,) arrays; schedules, booleans and integer counts need one batch per value."""
    ms = cfg.methods[ms_index]
    check = ms.method.hypers[axis].check
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
    return simulate(cfg.problem, ms.method, T, x0=cfg.x0, domain=cfg.domain, backend=cfg.backend,
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
                float(np.linalg.norm(xf - xs)), *gap, int(r.diverged_at[b]),
                *((int(r.gamma_negative_rounds[b]), float(r.lr_min[b]), float(r.lr_max[b])) if r.lr_observed
                  else (None, None, None)),
            ]
    return io.csv_text(None, cells), arrays


def shard_done(cfg: Config, out: Path, shard: Shard) -> bool:
    """Both files of the shard are there and readable (a damaged shard is computed again)."""
    return (out / SHARDS / f"{shard.stem}.csv").exists() and shard_damage(cfg, out, shard) is None


def shard_damage(cfg: Config, out: Path, shard: Shard) -> str | None:
    """What is wrong with a shard's files (unreadable, rows or traces missing), or None when they are whole."""
    n, width = shard.stop - shard.start, len(header(cfg))
    try:
        text = (out / SHARDS / f"{shard.stem}.csv").read_text(encoding="utf-8")
        arrays = io.load_npz(out / SHARDS / f"{shard.stem}.npz", ("t", "avg_regret", "x", "lr_quantiles"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return str(e) if isinstance(e, io.FolderError) else f"its csv cannot be read ({type(e).__name__})"
    rows = list(csv.reader(StringIO(text)))
    if len(rows) != n or any(len(r) != width for r in rows):
        return f"its csv has {len(rows)} rows of the {n} it should have, or rows cut short"
    if arrays["avg_regret"].ndim != 2 or arrays["avg_regret"].shape[1] != n:
        return "its traces do not cover its rows"
    return None


def check_resume(out: str | Path, cfg: Config) -> None:
    """Refuse to resume into a folder whose config.json differs from ``cfg``, naming the first difference."""
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
    diff = diff_configs(new, old)
    if diff:
        raise ConfigError(f"--resume: settings differ from {p}: {diff}")


def stored_shard_size(out: str | Path) -> int | None:
    """The shard size a sweep folder was started with (resuming keeps it unless told otherwise)."""
    p = Path(out) / "config.json"
    try:
        stored = io.load_json(p) if p.exists() else {}
    except io.FolderError:
        return None  # check_resume says what is wrong with it
    size = stored.get("shard_size") if isinstance(stored, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 1 else None


def shard_rounds(cfg: Config, shard: Shard) -> int:
    """Engine rounds of one shard (one batch of T rounds per group), as run_shard reports them to progress."""
    return len(_groups(cfg, shard)) * cfg.T


def pending_rounds(cfg: Config, out: Path) -> int:
    return sum(shard_rounds(cfg, s) for s in shards(cfg) if not shard_done(cfg, out, s))


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
    pending = [s for s in shards(cfg) if not shard_done(cfg, out, s)]
    for s in pending:
        if (out / SHARDS / f"{s.stem}.csv").exists():
            print(f"oco: {out / SHARDS / s.stem}: {shard_damage(cfg, out, s)}; computing it again", file=sys.stderr)
    for i, (s, (text, arrays)) in enumerate((runner or run_local)(cfg, pending, progress)):
        write_shard(out, s, text, arrays)
        if plot and i == 0 and len(pending) > 1:
            # matplotlib's import (~0.4 s) overlaps the other shards' compiled kernels, which release the GIL
            threading.Thread(target=importlib.import_module, args=("matplotlib.figure",), daemon=True).start()
    return finish(cfg, out, fmt, plot)


def csv_text(cfg: Config, shard_texts: Iterable[str]) -> str:
    """sweep.csv's text: the header, then the shards' lines in shard order."""
    return io.csv_text(header(cfg), []) + "".join(shard_texts)


def finish(cfg: Config, out: Path, fmt: str = "png", plot: bool = True) -> Path:
    """Assemble sweep.csv and traces.npz from the shards, then draw the figures."""
    texts, traces = [], []
    for s in shards(cfg):
        texts.append((out / SHARDS / f"{s.stem}.csv").read_text(encoding="utf-8"))
        traces.append(io.read_npz(out / SHARDS / f"{s.stem}.npz"))
    io.write_atomic(out / "sweep.csv", csv_text(cfg, texts))
    combined = {"t": traces[0]["t"], "lr_quantile_levels": traces[0]["lr_quantile_levels"]}
    for key in ("avg_regret", "x", "lr_quantiles", "expected_gap", "rows"):
        if key in traces[0]:
            combined[key] = np.concatenate([t[key] for t in traces], axis=0 if key == "rows" else 1)
    io.write_npz(out / "traces.npz", combined)
    if plot:
        from .plots import plot_folder

        plot_folder(out, fmt)
    return out / "sweep.csv"


# ---------------------------------------------------------------- the Python API
def prepare(out: str | Path | None, resume: bool, grid: dict[str, list], shard_size: int | None,
            **settings: Any) -> Config:
    """The checks ``oco sweep`` makes before it computes, in its order: the output folder (when there is
    one), the grid, the settings (``config.resolve(**settings)``), that a resumed folder holds the same sweep,
    and one round of every batch; returns the checked configuration. Raises ConfigError or OutputError
    (ValueErrors), having written nothing."""
    if out is not None:
        io.check_out_dir(out, resume=resume)
    if not grid:
        raise ConfigError("sweep needs at least one --grid NAME=SPEC")
    if resume and shard_size is None:
        shard_size = stored_shard_size(out)
    cfg = resolve("sweep", grid=grid, shard_size=shard_size, **settings)
    if resume:
        check_resume(out, cfg)
    if out is not None:
        check_disk(cfg, out)
    validate(cfg)
    return cfg


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
    plot: bool = True,
    fmt: str = "png",
    progress: Callable[[int], None] | None = None,
    **hyperparameters: Any,
) -> pandas.DataFrame:
    """``oco sweep`` from Python: every method × every point of ``grid`` × seeds seed … seed+seeds−1, as
    a pandas DataFrame with the columns and numbers of ``sweep.csv`` (the same rows, read back exactly).

    The arguments are the command's options and are read as it reads them: ``methods`` is a name,
    ``"name:convention"`` or a list of them (default: adam and amsgrad), ``convention`` is ``--preset``,
    ``problem_params`` is ``--param``, the other keywords are hyperparameters (``--alpha``, ``--set``), and a
    grid axis is a list of values or a spec string (``"0.9,0.99"``, ``"0:0.99:5"``). With ``out=DIR`` it
    writes the sweep folder ``oco sweep --out DIR`` writes (config.json, manifest.json, sweep.csv, traces,
    heat maps unless ``plot=False``) and ``resume=True`` finishes an interrupted one; without ``out`` nothing
    is written. ``shard_size``, ``plot`` and ``fmt`` are ``--shard-size``, ``--plot/--no-plot`` and
    ``--format``; ``progress`` is called with the rounds done, as by ``oco.simulate``. Bad arguments raise a
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
    from .plots import FORMATS

    if fmt not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if resume and out is None:
        raise ConfigError("resume=True needs out=DIR, the folder of the sweep to finish")
    if not isinstance(problem, (str, os.PathLike)):
        raise ConfigError(f"problem must be a problem's name or a file's path, got {type(problem).__name__}")
    cfg = prepare(
        out, resume, parse_grid([f"{k}={_spec(v)}" for k, v in _axes(grid)]), shard_size,
        problem=str(problem), methods=_listed(methods) if methods is not None else None, T=T,
        convention=convention, sets=hyperparameters, params=problem_params,
        x0=None if x0 is None else parse_x0(_spec(x0)), domain=domain, radius=radius, seed=seed, seeds=seeds,
        backend=backend, checkpoints=checkpoints, checkpoint_every=checkpoint_every,
    )
    if out is None:
        text = csv_text(cfg, (text for _, (text, _) in run_local(cfg, shards(cfg), progress)))
    else:
        path = run_sweep(cfg, out, _call_line(call), progress, fmt, plot)
        text = path.read_text(encoding="utf-8")
    return _frame(pd, text)


def _frame(pd, text: str) -> pandas.DataFrame:
    """sweep.csv's text as a DataFrame, every cell read back to the value it was written from (exact floats,
    true/false as booleans, an empty cell as a missing value)."""
    head, *rows = csv.reader(StringIO(text))
    return pd.DataFrame([[None if c == "" else parse_value(c) for c in row] for row in rows], columns=head)


def _axes(grid: Mapping[str, Sequence | str]) -> list[tuple[str, Sequence | str]]:
    if not isinstance(grid, Mapping):
        raise ConfigError(f"grid must map hyperparameter names to values, got {type(grid).__name__}")
    return list(grid.items())


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]


def _spec(values: Any) -> str:
    """Values as the command line spells them (``a,b,c``, each exact), to be parsed as it parses them."""
    return values if isinstance(values, str) else ",".join(io.fmt_cell(v) for v in _listed(values))


def _call_line(call: dict[str, Any]) -> list[str]:
    """manifest.json's "command" for a Python call: ``oco.sweep(...)`` with the arguments given."""
    defaults = inspect.signature(sweep).parameters
    call = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in call.items()}
    args = [repr(call["problem"])] + [
        f"{k}={v!r}" for k, v in call.items()
        if k not in ("problem", "hyperparameters", "progress") and repr(v) != repr(defaults[k].default)]
    args += [f"{k}={v!r}" for k, v in call["hyperparameters"].items()]
    return [f"oco.sweep({', '.join(args)})"]
