"""Writing a figure with its sidecars: ``NAME.FMT``, ``NAME.csv`` (exactly the data it draws: ``record``) and
``NAME.json``, saying what it shows, from which files and how to make it again, with the csv's columns and each
panel's axes (``save_figure``; a run or sweep folder's figures: ``save_folder_figure``)."""

from __future__ import annotations

import csv
import os
import tempfile
from io import BytesIO, StringIO
from pathlib import Path
from typing import TYPE_CHECKING

from .. import io
from .formats import DPI, check_format
from .record import CELL_VALUE_MEANING, CSV_COLUMNS, figure_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def save_figure(fig: Figure, folder: Path, name: str, fmt: str, sidecar: dict) -> Path:
    """``NAME.FMT``, ``NAME.csv`` (exactly the data the figure draws: ``figure_rows``) and the JSON sidecar
    ``NAME.json``: ``sidecar`` (what it shows, from which files, how to make it again) with the figure's and
    the csv's names, the csv's columns (CSV_COLUMNS) and each panel's axes."""
    check_format(fmt)
    folder = Path(folder)
    target = folder / f"{name}.{fmt}"
    images = _savefig(fig, target, fmt)
    cols, panels = figure_table(fig)
    io.write_atomic(folder / f"{name}.csv", csv_text(cols))
    meanings = {c: CSV_COLUMNS.get(c) for c in cols}
    for p, info in panels.items():
        if "cells" in info:
            meanings[info["cells"]["column"]] = CELL_VALUE_MEANING.format(panel=p)
    io.write_json(folder / f"{name}.json", {
        "figure": target.name, **({"images": images} if images else {}), "csv": f"{name}.csv", **sidecar,
        "csv_columns": meanings, "panels": panels,
    })
    return target


def _savefig(fig: Figure, target: Path, fmt: str) -> list[str]:
    """Write the figure to ``target`` through temporary names; returns the names of the files written beside
    it (pgf: each rasterized part is a NAME-imgK.png that the .pgf includes by name)."""
    if fmt != "pgf":
        buf = BytesIO()
        fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": "oco"} if fmt == "png" else None)
        io.write_atomic(target, buf.getvalue())
        return []
    with tempfile.TemporaryDirectory(prefix=io.TMP_PREFIX, dir=target.parent) as tmp:
        fig.savefig(Path(tmp) / target.name, format="pgf", dpi=DPI)
        written = sorted(p.name for p in Path(tmp).iterdir())
        for f in written:
            os.replace(Path(tmp) / f, target.parent / f)
    return [f for f in written if f != target.name]


def csv_text(cols: dict[str, list[str]]) -> str:
    """The csv of columns of strings (``figure_table``), a header line then one line per row."""
    buf = StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(cols))
    w.writerows(zip(*cols.values()))
    return buf.getvalue()


def save_folder_figure(fig, folder: Path, name: str, fmt: str, what: str, cfg: dict, exp: dict) -> Path:
    """A run or sweep figure with its csv and its sidecar (what it shows, from which files, how to make it
    again)."""
    sidecar = {
        "shows": what,
        "data": ["config.json", "sweep.csv" if cfg.get("kind") == "sweep" else "traces/"],
        "remake": f"oco plot {folder} --format {fmt}",
        "reproduce": exp.get("command") or _command_of(folder),
        "problem": cfg.get("problem"),
        "T": cfg.get("T"),
        "seeds": cfg.get("seeds"),
        "methods": [{"name": m["name"], "convention": m["convention"], "hyperparameters": m["hyperparameters"]}
                    for m in cfg.get("methods", [])],
    }
    if cfg.get("kind") == "sweep":
        sidecar["grid"] = cfg.get("grid")
    if exp:
        sidecar["experiment"] = {k: exp[k] for k in ("name", "description", "expected", "equivalent", "seconds")
                                 if k in exp}
    if exp.get("settings"):  # what the paper's text confirms of the experiment's settings (oco.experiments)
        sidecar["paper_settings"] = exp["settings"]
    return save_figure(fig, folder, name, fmt, sidecar)


def _command_of(folder: Path) -> str | None:
    """The command line that made the folder, from manifest.json (None where it cannot be read)."""
    try:
        inv = io.load_json(folder / "manifest.json")["invocations"][0]["command"]
    except (io.FolderError, KeyError, IndexError, TypeError):
        return None
    return " ".join(map(str, inv)) if isinstance(inv, list) and inv else None
