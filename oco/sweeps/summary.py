"""Statistics over seeds: ``summary.csv`` (per grid point, the median and a bootstrap interval of each
quantity over its seeds), ``summarize`` and the traces read back (``load_traces``)."""


from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import io
from ..config import parse_value
from ..result import require_pandas
from .traces import TRACE_KEYS

if TYPE_CHECKING:
    import pandas



BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 2018
SUMMARY_STATISTICS = {
    "n": "the values counted: the group's finite ones (a diverged seed has none)",
    "mean": "their mean",
    "median": "their median",
    "q10": "their 10% quantile (numpy.quantile, linear interpolation)",
    "q90": "their 90% quantile",
    "ci_low": "2.5% percentile bootstrap quantile of the mean (95% interval)",
    "ci_high": "97.5% percentile bootstrap quantile of the mean",
}


def summary_quantities(columns: Sequence[str]) -> list[str]:
    """What summary.csv summarises: R_T/T, the distance of x_T from the optimum — x_opt, the minimizer of the
    expected loss, for a stochastic problem (with its expected gap F(x_T) − F(x_opt)), else the best fixed
    point in hindsight x*."""
    dist = "dist_x_opt" if "dist_x_opt" in columns else "dist_x_star"
    return ["avg_regret", dist] + (["expected_gap"] if "expected_gap" in columns else [])


def bootstrap_indices(n: int) -> np.ndarray:
    """The (B, n) resample indices of a group of n values: ``default_rng([BOOTSTRAP_SEED, n]).integers(0, n,
    size=(B, n))``, B = BOOTSTRAP_RESAMPLES. Fixed, so summary.csv is the same on every run and resume."""
    return np.random.default_rng([BOOTSTRAP_SEED, n]).integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))


def seed_statistics(values: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``values`` (G, n), n ≥ 1 finite values each: mean, median, 10% and 90% quantiles, and the
    95% percentile bootstrap interval of the mean.

    Bootstrap (Efron & Tibshirani 1993, ch. 13): with I = ``bootstrap_indices(n)``, the b-th resampled mean of
    row g is μ*_gb = (1/n) Σ_k values[g, I[b, k]]; the interval is the 2.5% and 97.5% quantiles of
    (μ*_g1 … μ*_gB) (``numpy.quantile``, linear). Vectorised over rows, in chunks of at most 2²² resampled
    values."""
    mean = values.mean(axis=1)
    median = np.median(values, axis=1)
    q10, q90 = np.quantile(values, (0.1, 0.9), axis=1)
    G, n = values.shape
    idx = bootstrap_indices(n)
    lo, hi = np.empty(G), np.empty(G)
    step = max(1, 2**22 // (BOOTSTRAP_RESAMPLES * n))
    for a in range(0, G, step):
        means = values[a:a + step][:, idx].mean(axis=2)  # (chunk, B)
        lo[a:a + step], hi[a:a + step] = np.quantile(means, (0.025, 0.975), axis=1)
    return {"mean": mean, "median": median, "q10": q10, "q90": q90, "ci_low": lo, "ci_high": hi}


def grouped_statistics(values: np.ndarray, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """``seed_statistics`` of each group's finite values (in their order), groups given by ``group`` (N,) in
    0 … n_groups−1; ``n`` counts them, and a group without any has NaN statistics."""
    ok = np.isfinite(values)
    g = group[ok]
    order = np.argsort(g, kind="stable")
    g, v = g[order], values[ok][order]
    n = np.bincount(g, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    out = {"n": n, **{k: np.full(n_groups, np.nan) for k in SUMMARY_STATISTICS if k != "n"}}
    for m in np.unique(n[n > 0]):
        gs = np.flatnonzero(n == m)
        for k, st in seed_statistics(v[start[gs, None] + np.arange(m)]).items():
            out[k][gs] = st
    return out


def summary_csv(text: str) -> str:
    """summary.csv's text from sweep.csv's: one row per method and grid point (the columns before ``seed``,
    in the order they first appear), ``seeds`` (rows in the group) and ``diverged`` (how many of them), then
    for each of ``summary_quantities`` its ``seed_statistics`` over the group's finite values, named
    ``QUANTITY_STATISTIC`` (``avg_regret_mean``, …, ``dist_x_star_ci_high``)."""
    reader = csv.reader(StringIO(text))
    head = next(reader)
    if "seed" not in head or "diverged" not in head:
        raise ValueError("not a sweep.csv of oco: it has no seed or diverged column")
    k = head.index("seed")
    quantities = summary_quantities(head)
    at = [head.index(q) for q in quantities]
    at_diverged = head.index("diverged")
    keys: dict[tuple, int] = {}
    group, diverged, values = [], [], [[] for _ in quantities]  # one pass, keeping only what is summarised
    for r in reader:
        group.append(keys.setdefault(tuple(r[:k]), len(keys)))
        diverged.append(r[at_diverged] == "true")
        for v, j in zip(values, at):
            v.append(_number(r[j]))
    G, group = len(keys), np.asarray(group, np.int64)
    diverged = np.bincount(group, diverged, minlength=G).astype(np.int64)
    stats = {q: grouped_statistics(np.asarray(v, float), group, G) for q, v in zip(quantities, values)}
    names = [f"{q}_{s}" for q in quantities for s in SUMMARY_STATISTICS]
    columns = [stats[q][s] for q in quantities for s in SUMMARY_STATISTICS]
    seeds = np.bincount(group, minlength=G)
    cells = ([*key, int(seeds[g]), int(diverged[g]), *(c[g] for c in columns)] for g, key in enumerate(keys))
    return io.csv_text([*head[:k], "seeds", "diverged", *names], cells)


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan  # an empty cell: not observed


def summarize(sweep_or_folder: pandas.DataFrame | str | os.PathLike) -> pandas.DataFrame:
    """Statistics over the seeds of a sweep, per method and grid point, as a DataFrame: what ``oco sweep
    --seeds K`` writes to summary.csv (see ``summary_csv``, ``seed_statistics``), from the DataFrame
    ``oco.sweep`` returns or from a sweep folder's sweep.csv. Needs pandas.

    >>> from oco.sweeps import sweep
    >>> df = sweep("reddi-online", "adam", grid={"beta1": [0.0, 0.9]}, T=20, seeds=3)
    >>> s = summarize(df)
    >>> list(s.columns[:5]), s["seeds"].tolist()
    (['beta1', 'method', 'convention', 'seeds', 'diverged'], [3, 3])
    >>> bool((s["avg_regret_ci_low"] <= s["avg_regret_mean"]).all())
    True
    """
    pd = require_pandas("oco.sweeps.summarize")
    if isinstance(sweep_or_folder, (str, os.PathLike)):
        f = Path(sweep_or_folder) / "sweep.csv"
        try:
            text = f.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise io.FolderError(f"{f} is missing: not a finished sweep folder") from None
    elif isinstance(sweep_or_folder, pd.DataFrame):
        text = io.csv_text(list(sweep_or_folder.columns), sweep_or_folder.itertuples(index=False))
    else:
        raise TypeError("summarize takes oco.sweep's DataFrame or a sweep folder, got "
                        f"{type(sweep_or_folder).__name__}")
    return csv_frame(pd, summary_csv(text))


def load_traces(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """A sweep folder's traces.npz, checked: ``t`` (K,) the rounds, ``rows`` (R,) the indices of the sweep.csv
    data rows it holds (all of them, or those ``kept_rows`` keeps, ascending), ``avg_regret`` (K, R),
    ``x`` (K, R, d), ``lr_quantiles`` (K, R, q) at ``lr_quantile_levels`` and, for stochastic problems,
    ``expected_gap`` (K, R). Row i of sweep.csv is column ``searchsorted(rows, i)`` where ``rows`` holds it.
    A FolderError names what is wrong (missing: a sweep run with ``--traces none``, or not finished)."""
    arrays = io.load_npz(Path(folder) / "traces.npz", TRACE_KEYS)
    rows, K = arrays["rows"], len(arrays["t"])
    shape = (K, len(rows))
    if rows.ndim != 1 or arrays["avg_regret"].shape != shape or arrays["x"].shape[:2] != shape:
        raise io.FolderError(f"{Path(folder) / 'traces.npz'}: its arrays do not agree in shape")
    return arrays


def csv_frame(pd, text: str) -> pandas.DataFrame:
    """sweep.csv's text as a DataFrame, every cell read back to the value it was written from (exact floats,
    true/false as booleans, an empty cell as a missing value)."""
    head, *rows = csv.reader(StringIO(text))
    return pd.DataFrame([[None if c == "" else parse_value(c) for c in row] for row in rows], columns=head)
