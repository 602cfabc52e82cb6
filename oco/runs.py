"""Running a checked configuration (``oco.config.Config``) and writing its folder.

A run folder holds

    config.json      the resolved configuration (every hyperparameter, and where it came from)
    manifest.json    what produced it: command line, package versions, seeds, backend
    results.json     the document ``oco run --json`` prints
    traces/NAME.npz  checkpoint traces per method: t, avg_regret (K, B), x (K, B, d), lr_quantiles, …,
                     regret_bound (K, B) for a method with a published bound (oco.analyses.bounds)
    *.png + *.json   the figures, each with a sidecar that says how to make it again
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import io
from .config import Config
from .result import LR_QUANTILES, Result


def execute(cfg: Config, progress: Callable[[int], None] | None = None) -> list[Result]:
    """Every method of a run, all seeds of a method in one batch, as the checker resolved them
    (``Config.calls``); the kernels the methods need compile in parallel (``oco.backends.compile_ahead``)."""
    from .api import Job
    from .backends import compile_ahead

    jobs = [Job.of(call) for call in cfg.calls()]
    results = []
    with compile_ahead(jobs) as ahead:
        for job in jobs:
            ahead.ready(job)
            results.append(job.run(progress))
    return results


def document(cfg: Config, results: list[Result]) -> dict:
    """The ``--json`` document: problem, T and one entry per method and seed."""
    runs = []
    for ms, r in zip(cfg.methods, results):
        for row in r.runs():
            runs.append({"label": ms.label, **row})
    c = cfg.to_dict()
    return {
        "problem": cfg.problem_spec,
        "problem_params": c["problem"]["params"],
        "T": cfg.T,
        "domain": c["domain"]["resolved"],
        "failure_level": c["problem"]["failure_level"],
        "runs": runs,
    }


def traces(r: Result) -> dict[str, np.ndarray]:
    ck = r.checkpoints
    out = {
        "t": ck.t,
        "avg_regret": ck.avg_regret,
        "x": ck.x,
        "lr_quantiles": ck.lr_quantiles,
        "lr_quantile_levels": np.asarray(LR_QUANTILES),
        "x_star": r.x_star,
        "seeds": r.seeds,
        "diverged": r.diverged,
    }
    if ck.expected_gap is not None:
        out["expected_gap"] = ck.expected_gap
    if r.x_opt is not None:
        out["x_opt"] = np.asarray(r.x_opt)
    if r.regret_bound is not None:  # (K, B) the method's published bound on R_t (oco.analyses.bounds), NaN where none
        out["regret_bound"] = r.regret_bound
    return out


def write_folder(out: str | Path, cfg: Config, results: list[Result], command: list[str] | None,
                 extra: dict | None = None) -> None:
    """Write config, manifest, results and traces: the files the figures are drawn from (``oco.plots``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.write_json(out / "config.json", cfg.to_dict())
    io.append_manifest(out / "manifest.json", io.manifest(command, cfg.seeds, cfg.backend, **(extra or {})))
    io.write_json(out / "results.json", document(cfg, results))
    for ms, r in zip(cfg.methods, results):
        io.write_npz(out / "traces" / f"{ms.stem}.npz", traces(r))


def summary_table(cfg: Config, results: list[Result]) -> str:
    """A short fixed-width table: one line per method (the median over seeds when there are several)."""
    several = len(cfg.seeds) > 1
    head = ["method", "R_T/T" + (" (median, 10%–90%)" if several else ""), "x_T", "x*", "diverged"]
    rows = []
    for ms, r in zip(cfg.methods, results):
        ar = r.avg_regret
        if several:
            fin = ar[np.isfinite(ar)]
            if fin.size:
                q10, q50, q90 = np.quantile(fin, [0.1, 0.5, 0.9])
                reg = f"{q50:.4g} ({q10:.4g} – {q90:.4g})"
            else:
                reg = "nan"
            x = np.median(r.x_final, axis=0)
            xs = np.median(r.x_star, axis=0)
        else:
            reg, x, xs = f"{ar[0]:.4g}", r.x_final[0], r.x_star[0]
        rows.append([ms.label, reg, _vec(x), _vec(xs), f"{int(r.diverged.sum())}/{r.batch}"])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *rows]]
    return "\n".join(lines)


def notes(results: list[Result]) -> list[str]:
    """What a valid run could not measure, and why: diverged configurations, regret that is not finite."""
    out = []
    for r in results:
        label = f"{r.method} ({r.convention})"
        if r.diverged.any():
            at = sorted({int(t) for t in r.diverged_at[r.diverged]})
            out.append(f"note: {label}: {int(r.diverged.sum())}/{r.batch} diverged (the iterate or the loss stopped "
                       f"being finite at round {at[0]}{'…' if len(at) > 1 else ''}); their R_T is not defined, "
                       "x_T is the last finite iterate")
        live = ~r.diverged
        if live.any() and not np.all(np.isfinite(r.x_star[live])):
            out.append(f"note: {label}: the best fixed point is at infinity (the losses are unbounded below on F), "
                       "so R_T = +∞; the figures show x_t and the learning rates")
    return out


def _num(v: float, digits: int) -> str:
    if not np.isfinite(v):
        return "—" if np.isnan(v) else f"{v:+}"
    return f"{v:+.{digits}f}" if abs(v) < 1e4 else f"{v:+.{digits}g}"


def _vec(x: np.ndarray) -> str:
    x = np.asarray(x).reshape(-1)
    if x.size == 1:
        return _num(x[0], 4)
    inner = ", ".join(_num(v, 3) for v in x[:4])
    return f"[{inner}{', …' if x.size > 4 else ''}]"


def settings_line(cfg: Config) -> str:
    """One line saying what ran: problem, T, seeds and the hyperparameters the methods share."""
    shared = None
    for ms in cfg.methods:
        items = {k: v for k, v in ms.resolved.items() if ms.sources.get(k) in ("user", "suggested")}
        shared = items if shared is None else {k: v for k, v in shared.items() if items.get(k) == v}
    hp = ", ".join(f"{k}={v}" for k, v in (shared or {}).items())
    seeds = f", {len(cfg.seeds)} seeds" if len(cfg.seeds) > 1 else ""
    return f"{cfg.problem_spec}, T={cfg.T}{seeds}" + (f": {hp}" if hp else "")
