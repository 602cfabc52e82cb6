"""Writing results: atomic files, exact numbers, output folders and their manifests.

Every number is written with full float64 precision (``repr`` of a float is the shortest string that reads
back to the same double), so JSON and CSV round-trip exactly. JSON has no NaN or infinity: those become
``null`` (a diverged configuration has ``"diverged": true`` and ``"regret": null``); CSV writes ``nan``/``inf``.
Every file is written to a temporary name in the same folder and moved into place with ``os.replace``, so an
interrupted run never leaves a half-written file under its final name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

TMP_PREFIX = ".tmp-"


class OutputError(ValueError):
    """An output folder that cannot be used as asked (exists and is not empty, is a file, …)."""


# ---------------------------------------------------------------- numbers
def fmt_float(x: float) -> str:
    """The shortest decimal string that reads back to exactly x; ``nan``, ``inf``, ``-inf`` otherwise."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def fmt_floats(a) -> list[str]:
    """``fmt_float`` of every element (``repr`` of a Python float is exactly that: shortest round trip, and
    ``nan``, ``inf``, ``-inf``)."""
    return list(map(repr, np.asarray(a, dtype=float).ravel().tolist()))


def fmt_cell(v: Any) -> str:
    """A CSV cell: exact floats, ``true``/``false`` for booleans, plain text otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return fmt_float(v)
    if v is None:
        return ""
    return str(v)


def jsonable(obj: Any) -> Any:
    """Plain Python values for json: numpy scalars and arrays unwrapped, non-finite floats → None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps(obj: Any, indent: int | None = 2) -> str:
    """JSON with exact floats and no NaN/Infinity (they are written as null)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False, ensure_ascii=False)


# ---------------------------------------------------------------- atomic files
def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_atomic(path, dumps(obj) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class FolderError(ValueError):
    """A file of a run or sweep folder that is missing, unreadable or not what oco wrote: the message names
    the file and what is wrong with it."""


def load_json(path: str | os.PathLike) -> Any:
    """``read_json`` for a folder's own files: every failure is a FolderError naming the file."""
    try:
        return read_json(path)
    except FileNotFoundError:
        raise FolderError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise FolderError(f"{path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except UnicodeDecodeError:
        raise FolderError(f"{path} is not a text file") from None
    except OSError as e:
        raise FolderError(f"{path} cannot be read ({e.strerror or e})") from None


def load_npz(path: str | os.PathLike, keys: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """``read_npz`` for a folder's own files, with the arrays ``keys`` required: failures are FolderErrors."""
    import zipfile

    try:
        arrays = read_npz(path)
    except FileNotFoundError:
        raise FolderError(f"{path} is missing") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise FolderError(f"{path} is unreadable: truncated, or not an .npz file ({type(e).__name__})") from None
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise FolderError(f"{path} lacks the arrays {', '.join(missing)}")
    return arrays


def write_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """np.savez, written atomically."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_atomic(path, buf.getvalue())


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def csv_text(header: list[str] | None, rows: Iterable[Iterable[Any]]) -> str:
    """CSV text ("\\n" line ends) with every cell formatted by ``fmt_cell``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header is not None:
        w.writerow(header)
    for row in rows:
        w.writerow([fmt_cell(v) for v in row])
    return buf.getvalue()


def csv_quote(cell: str) -> str:
    """One cell as csv.writer writes it among others ("\n" line ends): as it is, unless it holds a comma, a
    double quote or a line-break character — then csv.writer's own quoting of it."""
    if not any(ch in cell for ch in ',"\r\n'):
        return cell
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([cell])
    return buf.getvalue()[:-1]


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- output folders
def check_out_dir(path: str | os.PathLike, resume: bool = False) -> Path:
    """Check that ``path`` can receive a new run: absent or empty, or (with ``resume``) an existing folder.

    Creates nothing: callers create the folder only once every input has been validated, so bad input never
    leaves a half-written folder behind.
    """
    if not str(path).strip():
        raise OutputError("--out is empty: name a folder")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"--out {p} exists and is not a folder")
    if p.is_dir() and not resume and any(p.iterdir()):
        raise OutputError(f"--out {p} exists and is not empty; choose another folder or pass --resume")
    check_writable(p, "--out")
    return p


def nearest_existing(path: str | os.PathLike) -> Path:
    """``path`` or its closest ancestor that exists."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_writable(path: str | os.PathLike, option: str) -> None:
    """Refuse a folder that cannot be created or written, before anything is computed: a probe folder is
    made (and removed) in ``path`` or, where it does not exist yet, in its closest existing ancestor."""
    base = nearest_existing(path)
    if not base.is_dir():
        raise OutputError(f"{option} {path}: {base} is a file, not a folder")
    try:
        probe = tempfile.mkdtemp(prefix=".oco-probe-", dir=base)
        os.rmdir(probe)
    except OSError as e:
        raise OutputError(f"{option} {path}: cannot write in {base} ({e.strerror or e})") from None


def method_stem(name: str, convention: str) -> str:
    """A method's file name in a folder: 'adam-paper'; what a file name cannot hold (the ':' and '/' of
    'torch:torch.optim.Adam' or 'my.py:fancy') becomes '_'."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{name}-{convention}")


def human_bytes(n: float) -> str:
    """1536 → '1.5 KiB'."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n, i = n / 1024, i + 1
    return f"{n:.3g} {units[i]}"


def next_free_dir(parent: str | os.PathLike, stem: str) -> Path:
    """``parent/stem-001``, ``-002``, …: the first that does not exist yet."""
    parent = Path(parent)
    for i in range(1, 10_000):
        p = parent / f"{stem}-{i:03d}"
        if not p.exists():
            return p
    raise OutputError(f"no free folder name under {parent} for {stem}")


def clean_tmp(path: str | os.PathLike) -> None:
    """Remove temporary files an interrupted write left in ``path`` (only ours: the ``.tmp-`` prefix)."""
    p = Path(path)
    if p.is_dir():
        for q in p.rglob(TMP_PREFIX + "*"):
            if q.is_file():
                q.unlink()


def versions() -> dict[str, str]:
    """Versions of Python, oco and the packages that can change its numbers or figures."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("oco", "numpy", "scipy", "matplotlib", "typer", "torch"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def manifest(command: list[str] | None, seeds: list[int], backend: str, **extra: Any) -> dict:
    """What produced a folder: the command line, package versions, seeds, backend, machine."""
    import datetime

    return {
        "command": list(sys.argv if command is None else command),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "platform": platform.platform(),
        "seeds": list(seeds),
        "backend": backend,
        **extra,
    }


def append_manifest(path: str | os.PathLike, entry: dict) -> None:
    """manifest.json keeps every invocation that wrote into the folder (a resumed sweep has several)."""
    p = Path(path)
    doc = read_json(p) if p.exists() else {"invocations": []}
    doc["invocations"].append(entry)
    doc.update({k: entry[k] for k in ("versions", "seeds", "backend") if k in entry})
    write_json(p, doc)
