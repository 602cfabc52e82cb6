"""Reading a run or sweep folder for its figures, checked (a FolderError names what is wrong): config.json,
experiment.json, a run's traces (``load_run``: what the run figures draw, as ``run_data`` makes it from
in-memory Results too) and a sweep's rows (``load_sweep_rows``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import io

if TYPE_CHECKING:
    from ..result import Result

TRACE_KEYS = ("t", "avg_regret", "x", "lr_quantiles")
# what the figures read from config.json: key → type, for the document, each method and the problem
CONFIG_KEYS = {"kind": str, "problem": dict, "T": int, "seeds": list, "methods": list}
METHOD_KEYS = {"name": str, "convention": str, "label": str, "hyperparameters": dict, "sources": dict}
PROBLEM_KEYS = {"spec": str, "params": dict}


def load_config(path: Path) -> dict:
    """A folder's config.json, checked for what the figures read; a FolderError names what is wrong."""
    f = path / "config.json"
    doc = io.load_json(f)
    if not isinstance(doc, dict):
        raise io.FolderError(f"{f} holds a JSON {type(doc).__name__}, not an oco configuration (an object)")
    _check_keys(doc, CONFIG_KEYS, f, "")
    if doc["kind"] not in ("run", "sweep"):
        raise io.FolderError(f"{f}: kind is {doc['kind']!r}; expected 'run' or 'sweep'")
    _check_keys(doc["problem"], PROBLEM_KEYS, f, "problem.")
    if not doc["methods"]:
        raise io.FolderError(f"{f}: methods is empty")
    for i, m in enumerate(doc["methods"]):
        if not isinstance(m, dict):
            raise io.FolderError(f"{f}: methods[{i}] is not an object")
        _check_keys(m, METHOD_KEYS, f, f"methods[{i}].")
    if not doc["seeds"]:
        raise io.FolderError(f"{f}: seeds is empty")
    if doc["kind"] == "sweep":
        grid = doc.get("grid")
        if not isinstance(grid, dict) or not grid or not all(isinstance(v, list) and v for v in grid.values()):
            raise io.FolderError(f"{f}: grid must map each axis to a non-empty list of values")
    return doc


def _check_keys(doc: dict, keys: dict, f: Path, where: str) -> None:
    for k, kind in keys.items():
        if k not in doc:
            raise io.FolderError(f"{f}: {where}{k} is missing")
        if not isinstance(doc[k], kind) or isinstance(doc[k], bool):
            raise io.FolderError(f"{f}: {where}{k} is {short(doc[k])}, not a JSON {kind.__name__}")


def short(v) -> str:
    """repr(v), cut to 40 characters for an error message."""
    s = repr(v)
    return s if len(s) <= 40 else s[:39] + "…"


def load_experiment(path: Path) -> dict:
    """experiment.json of a folder made by ``oco reproduce`` ({} when there is none)."""
    f = path / "experiment.json"
    if not f.exists():
        return {}
    exp = io.load_json(f)
    if not isinstance(exp, dict):
        raise io.FolderError(f"{f} holds a JSON {type(exp).__name__}, not an object")
    return exp


def run_data(config: dict, traces: list[dict[str, np.ndarray]], experiment: dict | None = None) -> dict:
    """What the run figures draw: ``config`` (config.json's document, or ``results_config``'s), per method its
    label and its traces (``oco.runs.traces``: what traces/NAME.npz holds), and the experiment, if any."""
    series = [{"label": m["label"], "stem": io.method_stem(m["name"], m["convention"]), **tr}
              for m, tr in zip(config["methods"], traces)]
    return {"config": config, "series": series, "experiment": experiment or {}}


def load_run(path: str | Path) -> dict:
    """config.json, the traces and experiment.json of a run folder, as ``run_data``."""
    path = Path(path)
    cfg = load_config(path)
    traces = [io.load_npz(path / "traces" / f"{io.method_stem(m['name'], m['convention'])}.npz", TRACE_KEYS)
              for m in cfg["methods"]]
    return run_data(cfg, traces, load_experiment(path))


def results_config(results: list[Result]) -> dict:
    """The part of a run's config.json that the run figures read, made from in-memory Results of one problem
    and horizon. A Result does not know where its hyperparameters came from: the title names those shared by
    every configuration that differ from the method's default."""
    first = results[0]
    same = (first.problem, first.problem_params, first.T)
    if any((r.problem, r.problem_params, r.T) != same for r in results):
        raise ValueError("results drawn together must share the problem, its parameters and T")
    from oco.problems import PROBLEMS, get_problem

    failure = None
    if first.problem in PROBLEMS:  # a problem made from a file is not: it has no closed-form level
        failure = getattr(get_problem(first.problem, **first.problem_params), "failure_level", None)
    several_conventions = len({r.convention for r in results}) > 1
    return {
        "kind": "run",
        "problem": {"spec": first.problem, "name": first.problem, "params": first.problem_params,
                    "failure_level": failure},
        "T": first.T,
        "seeds": sorted({int(s) for r in results for s in r.seeds}),
        "methods": [_method_entry(r, several_conventions) for r in results],
    }


def _method_entry(r: Result, several_conventions: bool) -> dict:
    """A config.json method entry for a Result: hyperparameters shared by its batch (None where they vary)."""
    from ..methods import registry

    table_row = registry().get(f"{r.method}:{r.convention}")  # a user's or a foreign method: every value is "user"
    defaults = {k: h.default for k, h in table_row.hypers.items()} if table_row is not None else {}
    rows = [r.param_row(i) for i in range(r.batch)]
    shared = {k: (v if all(row[k] == v for row in rows) else None) for k, v in rows[0].items()}
    sources = {k: "default" if v is None or (k in defaults and v == defaults[k]) else "user"
               for k, v in shared.items()}
    return {
        "name": r.method,
        "convention": r.convention,
        "label": f"{r.method} ({r.convention})" if several_conventions else r.method,
        "hyperparameters": shared,
        "sources": sources,
    }


def read_sweep_csv(path: str | Path) -> tuple[list[str], list[dict]]:
    """A sweep.csv's columns and its rows (dicts of strings)."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def load_sweep_rows(path: Path, cfg: dict) -> list[dict]:
    """sweep.csv's rows, checked for what the heat maps read: the columns, each row's method and grid values
    (values of config.json's grid), numbers where numbers belong. A FolderError names the line."""
    f = path / "sweep.csv"
    try:
        columns, rows = read_sweep_csv(f)
    except FileNotFoundError:
        raise io.FolderError(f"{path} has no sweep.csv yet (an unfinished sweep? run it with --resume)") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise io.FolderError(f"{f} cannot be read ({type(e).__name__})") from None
    grid = cfg["grid"]
    need = [*grid, "method", "avg_regret", "dist_x_star", "diverged"]
    missing = [c for c in need if c not in columns]
    if missing:
        raise io.FolderError(f"{f}: no column {', '.join(missing)} (is it a sweep.csv of oco?)")
    methods = {m["name"] for m in cfg["methods"]}
    values = {k: {grid_key(v) for v in vs} for k, vs in grid.items()}
    for line, row in enumerate(rows, 2):
        if None in row or None in row.values():
            raise io.FolderError(f"{f}: line {line} has {'more' if None in row else 'fewer'} cells than columns")
        if row["method"] not in methods:
            raise io.FolderError(f"{f}: line {line}: method {short(row['method'])} is not in config.json")
        for k in grid:
            if row[k] not in values[k]:
                raise io.FolderError(f"{f}: line {line}: {k} = {short(row[k])} is not a value of the grid")
        for k in ("avg_regret", "dist_x_star"):
            try:
                float(row[k])
            except ValueError:
                raise io.FolderError(f"{f}: line {line}: {k} = {short(row[k])} is not a number") from None
        if row["diverged"] not in ("true", "false"):
            raise io.FolderError(f"{f}: line {line}: diverged = {short(row['diverged'])} is not true or false")
    return rows


def axis_values(values: list) -> list:
    """A grid axis's values in the order the figures draw them: numbers sorted, anything else as given."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return list(values)


def grid_key(v) -> str:
    """How a grid value reads back from the CSV, for matching rows to cells."""
    return io.fmt_cell(v)
