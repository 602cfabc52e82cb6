"""The speed targets of issue 15, measured as a user meets them: whole commands in a fresh folder, with a fresh
kernel cache where the target says so.

    python benchmarks/targets.py [--only N ...] [--repeats 3]

Prints a Markdown table (workload, what was measured, target) with the machine's description, and writes it
to benchmarks/targets.md. Wall-clock seconds of the whole command (best of ``--repeats`` where the cache is
warm; fresh-cache rows run once each time in a new cache folder, best kept). Needs oco installed (pip install .)
and, for row 7, JAX (benchmarks/jax_sweep.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OCO = [sys.executable, "-m", "oco"]
TEN = ["adam", "amsgrad", "adagrad", "rmsprop", "sgd", "adamax", "nadam", "yogi", "adabound", "padam"]
GRID = ["--grid", "beta1=0:0.99:100", "--grid", "beta2=0.5:0.999:100"]
BIG = ["--grid", "beta1=0:0.99:500", "--grid", "beta2=0.5:0.9999:500"]


def timed(cmd, cache, cwd, env=None):
    """Wall seconds of one command (its output discarded; a failure stops the benchmark)."""
    e = {**os.environ, "OCO_CACHE": str(cache), "MPLBACKEND": "Agg", **(env or {})}
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=e, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return dt


def best(cmd, repeats, cache, fresh=False, env=None):
    """Best wall time of ``repeats`` runs in new folders; fresh: a new kernel cache each time."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cwd:
            c = Path(cwd) / "cache" if fresh else cache
            times.append(timed(cmd, c, cwd, env))
    return min(times)


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def simulate_rate(problem, methods, T, backend, **kw):
    """Rounds per second of oco.simulate, methods one after the other on one problem instance (so its random
    data is drawn once, as in one `oco run` of several methods; compiled kernels warmed first)."""
    import oco

    for m in methods:
        oco.simulate(problem, m, T=200, backend=backend, **kw)
    t0 = time.perf_counter()
    for m in methods:
        oco.simulate(problem, m, T=T, backend=backend, **kw)
    return len(methods) * T / (time.perf_counter() - t0)


def rows(repeats, cache, only):
    q = "--quiet"

    def want(n):
        return not only or n in only

    if want(1):
        t = best([*OCO, "run", "logistic-goog", "-m", "adam", "--T", "100000", q], 1, cache)  # warms the cache
        t = min(t, best([*OCO, "run", "logistic-goog", "-m", "adam", "--T", "100000", q], repeats, cache))
        tn = best([*OCO, "run", "logistic-goog", "-m", "adam", "--T", "100000", q, "--backend", "numpy"], 1, cache)
        yield 1, "`logistic-goog`, adam, T = 10⁵ (whole command, kernel cached)", f"{t:.2f} s (NumPy engine: {tn:.1f} s)", "≤ 1.5 s"
    if want(2):
        from oco.problems import get_problem

        ms, p = ["adam", "amsgrad", "adagrad"], get_problem("stochastic-quadratic")
        fast = simulate_rate(p, ms, 10**5, "numba")
        slow = simulate_rate(p, ms, 5000, "numpy")
        yield 2, "`stochastic-quadratic` d = 10, 3 methods, T = 10⁵", f"{fast:.3g} rounds/s vs NumPy {slow:.3g}: {fast / slow:.0f}×", "≥ 50× the NumPy engine"
    if want(3):
        t = best([*OCO, "run", q], repeats, cache, fresh=True)
        yield 3, "default `oco run`, fresh kernel cache", f"{t:.1f} s", "≤ 6 s"
    if want(4):
        cmd = [*OCO, "run", "reddi-online", *sum((["-m", m] for m in TEN), []), "--T", "200000", q]
        t = best(cmd, repeats, cache, fresh=True)
        yield 4, "10 methods on `reddi-online`, T = 2·10⁵, fresh cache", f"{t:.1f} s", "≤ 20 s"
    if want(5):
        short = [*OCO, "run", "--T", "20000", q]
        long = [*OCO, "run", "--T", "200000", q]
        best(long, 1, cache)  # both kernels cached
        ts, tl = best(short, repeats, cache), best(long, repeats, cache)
        yield 5, "`oco run --T 20000`, kernel cached", f"{ts:.2f} s (T = 2·10⁵: {tl:.2f} s)", "≤ the T = 2·10⁵ run"
    if want(6):
        out = subprocess.run([sys.executable, str(HERE / "limit.py"), "--T", "100000"], capture_output=True,
                             text=True, env={**os.environ, "OCO_CACHE": str(cache)}).stdout.splitlines()
        yield 6, "100 × 100 grid, T = 10⁵, all diagnostics", out[0] if out else "(limit.py failed)", "≥ 75% of the minimal kernel"
    if want(7):
        sweep = [*OCO, "sweep", "reddi-online", "-m", "adam", *GRID, "--T", "100000", q, "--out", "s"]
        best(sweep, 1, cache)
        ts = best(sweep, repeats, cache)
        try:
            tj = best([sys.executable, str(HERE / "jax_sweep.py")], 1, cache)
            jax = f"{tj:.1f} s: {tj / ts:.1f}×"
        except SystemExit as e:
            jax = f"JAX sweep failed ({str(e).splitlines()[0][:60]})"
        yield 7, "whole `oco sweep` of that grid with figures vs `benchmarks/jax_sweep.py`", f"{ts:.1f} s vs {jax}", "≥ 2× faster"
    if want(8):
        th = best([*OCO, "--help"], 5, cache)
        tt = best([sys.executable, "-c", "import typer"], 5, cache)
        yield 8, "`oco --help`", f"{th:.2f} s (`import typer`: {tt:.2f} s, {th / tt:.1f}×)", "≤ 2× `import typer`"
    if want(9):
        with tempfile.TemporaryDirectory() as cwd:
            cmd = [*OCO, "sweep", "reddi-online", "-m", "adam", *BIG, "--T", "20000", q, "--out", "big"]
            t = timed(cmd, Path(cwd) / "cache", cwd)
            mb = folder_mb(Path(cwd) / "big")
        yield 9, "the 500 × 500 sweep, T = 2·10⁴, kernel not cached", f"{t:.1f} s, {mb:.0f} MB", "≤ 30 s, ≤ 100 MB"


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               platform.processor())
    flags = next((ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")), "")
    isa = "AVX-512" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "no AVX2")
    return f"{cpu}, {os.cpu_count()} cores ({isa}), Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", type=int, nargs="*", default=[])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    cache = Path(tempfile.mkdtemp(prefix="oco-targets-"))
    lines = [f"Machine: {machine()}", "", "| # | workload | measured | target |", "|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    try:
        for n, work, got, target in rows(a.repeats, cache, set(a.only)):
            lines.append(f"| {n} | {work} | {got} | {target} |")
            print(lines[-1], flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if not a.only:
        (HERE / "targets.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
