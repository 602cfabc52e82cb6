"""User-supplied linear loss sequences: a file of coefficients g_t, f_t(x) = ⟨g_t, x⟩.

Formats: ``.npy`` (one array), ``.npz`` (one array, or the array named ``g``), ``.csv`` (numbers separated by
commas, one round per line; a first line that is not numeric is taken as a header). The array has shape (T,)
(d = 1) or (T, d). The feasible set is the user's choice (``--domain``, or ``domain=`` in ``oco.simulate``);
the default is [−1, 1]^d. The comparator is the closed form of ``linear_comparator`` for any of them.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from .base import Problem

SUFFIXES = (".npy", ".npz", ".csv")


def looks_like_file(name: str) -> bool:
    """True when ``name`` names a problem file (by its suffix) rather than a registered problem."""
    return isinstance(name, (str, os.PathLike)) and str(name).lower().endswith(SUFFIXES)


def _read(path: str) -> np.ndarray:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"problem file {path}: unknown format {suffix!r}; use .npy, .npz or .csv")
    if not os.path.isfile(path):
        raise ValueError(f"problem file {path}: no such file")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                names = list(z.files)
                if "g" in names:
                    return z["g"]
                if len(names) != 1:
                    raise ValueError(
                        f"problem file {path}: holds arrays {names}; name the sequence 'g' or keep one array"
                    )
                return z[names[0]]
        return _read_csv(path)
    except ValueError as e:
        if str(e).startswith("problem file"):
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"problem file {path}: unreadable as {suffix} ({first})") from None
    except EOFError:
        raise ValueError(f"problem file {path}: unreadable, it ends early (truncated, or not a {suffix} file)") from None
    except zipfile.BadZipFile:
        raise ValueError(f"problem file {path}: unreadable, not a valid .npz file (a zip of .npy arrays)") from None
    except UnicodeDecodeError:
        raise ValueError(f"problem file {path}: not a text file (a .csv must be UTF-8 text)") from None
    except OSError as e:
        raise ValueError(f"problem file {path}: cannot be read ({e.strerror or e})") from None


def _read_csv(path: str) -> np.ndarray:
    """Numbers separated by commas, a round per line; '#' comments, blank lines and a header line skipped."""
    with open(path, encoding="utf-8") as fh:
        lines = [(i, ln.strip()) for i, ln in enumerate(fh, 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and not _numeric_row(lines[0][1]):
        lines = lines[1:]  # a header
    rows = []
    for i, ln in lines:
        try:
            rows.append([float(v) for v in ln.split(",")])
        except ValueError:
            bad = next(v.strip() for v in ln.split(",") if not _is_number(v))
            raise ValueError(f"problem file {path}: line {i}: {bad!r} is not a number") from None
    if len({len(r) for r in rows}) > 1:
        raise ValueError(f"problem file {path}: rows have different numbers of columns")
    return np.array(rows, dtype=float)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _numeric_row(line: str) -> bool:
    return all(_is_number(v) for v in line.split(","))


class FileSequence(Problem):
    """A linear loss sequence read from a file: f_t(x) = ⟨g_t, x⟩ with g_t the t-th row (T rounds).

    The feasible set is chosen by the user; the default is the box [−1, 1]^d. A run longer than the file
    is refused (``max_rounds``).
    """

    name = "file"
    summary = "linear losses g_t read from a .npy/.npz/.csv file, shape (T,) or (T, d)"

    def __init__(self, g: np.ndarray, path: str = "<array>"):
        g = np.asarray(g)
        if g.dtype == object or not (np.issubdtype(g.dtype, np.number) or g.dtype == bool):
            raise ValueError(f"problem file {path}: the sequence must be numeric, got dtype {g.dtype}")
        if np.iscomplexobj(g):
            raise ValueError(f"problem file {path}: the sequence must be real, got complex numbers")
        if g.ndim not in (1, 2):
            raise ValueError(f"problem file {path}: expected shape (T,) or (T, d), got {g.shape}")
        if g.size == 0 or g.shape[0] == 0:
            raise ValueError(f"problem file {path}: the sequence is empty (shape {g.shape})")
        g = g.astype(float).reshape(g.shape[0], -1)
        bad = ~np.isfinite(g)
        if bad.any():
            t, j = np.argwhere(bad)[0]
            raise ValueError(
                f"problem file {path}: non-finite value {g[t, j]} at round {t + 1}, coordinate {j}"
            )
        g.setflags(write=False)
        self.g, self.path = g, str(path)
        self.T, self.d = g.shape
        self.max_rounds = self.T

    def params(self):
        return {"path": self.path, "T": self.T, "d": self.d}

    def data(self, seed, t0, n):
        if t0 - 1 + n > self.T:
            raise ValueError(
                f"problem file {self.path} has {self.T} rounds; round {t0 - 1 + n} was asked for"
            )
        return self.g[t0 - 1 : t0 - 1 + n]


def load_file(path: str | os.PathLike) -> FileSequence:
    """Read a linear loss sequence from ``path`` (.npy, .npz or .csv); ValueError with one line naming the
    file if it is missing, unreadable, empty, non-numeric, non-finite or of the wrong shape."""
    path = os.fspath(path)
    return FileSequence(_read(path), path)
