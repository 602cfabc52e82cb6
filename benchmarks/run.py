"""Speed benchmark: paper-form Adam on Reddi et al.'s online problem, oco's backends beside the peers; oco's
backends on non-linear problems; first use with a fresh kernel cache; oco's numba kernel beside a minimal one.

    python benchmarks/run.py [--quick] [--only NAME ...] [--T-scale S] [--max-seconds S] [--memory] [--shell]

Prints Markdown tables, a section each: element-steps per second (configurations × dimensions × rounds /
seconds, warm-up excluded and reported on its own) with ratios to the NumPy-vectorized loop (workloads A, B);
rounds per second of oco's backends on stochastic-quadratic and logistic-goog with ratios to the NumPy engine
(C, D); the first calls' wall time in fresh processes with a fresh kernel cache; the limit row
(benchmarks/limit.py). Writes them with the machine's description to benchmarks/results.md. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # peers.py; oco itself is the installed package (pip install .)

from peers import JAX_ERROR, LARGE, PEERS, PERIOD, SMALL, oco_backend, timed

import oco

ALPHA, TOL = 0.5, 1e-9
_g1, _g2 = np.meshgrid(np.linspace(0.0, 0.99, 100), np.linspace(0.5, 0.999, 100), indexing="ij")
WORKLOADS = {  # name → (description, β1 (B,), β2 (B,), T)
    "A": ("1 config", np.array([0.9]), np.array([0.99]), 10**6),
    "B": ("100×100 (β1, β2) grid", _g1.ravel(), _g2.ravel(), 10**5),
}
BASELINE = "NumPy vectorized"
ISSUE = {  # element-steps/s quoted in the issue, for workloads A / B
    "torch.optim.Adam loop": (2.7e4, 3.4e4), "pure Python loop": (4.5e6, 4.5e6),
    "optax.adam scan+vmap+jit": (1.8e7, 2.5e7), BASELINE: (9e4, 2.1e8), "JAX scan+vmap+jit": (1.5e8, 6.0e8),
}
MEMORY_PREFERENCE = ("numba", "torch", "numpy")  # the backend that reaches the largest T first
NONLINEAR = {  # name → (problem, methods run one after the other on one instance, T); defaults otherwise
    "C": ("stochastic-quadratic", ("adam", "amsgrad", "adagrad"), 10**5),  # d = 10 (the problem's default)
    "D": ("logistic-goog", ("adam",), 10**5),
}
NONLINEAR_TARGET = {"C": 50}  # issue 15: numba ≥ 50× the NumPy engine (benchmarks/targets.py, row 2)
CHECK_T = 20_000  # the numba/torch rows of C, D are checked against the NumPy engine at min(T, this, timed T)
LIMIT_TARGET = 0.75  # issue 15: oco's numba kernel ≥ 75% of the minimal kernel on workload B's grid


def tools():
    yield from PEERS.items()
    for name in oco.BACKENDS:
        yield f"oco.simulate backend={name}", (oco_backend(name), "probe")


def loss_scale(T):
    """Σ_t |g_t|: the largest |Σ g_t x_t| on [−1, 1], the scale the loss is compared at."""
    n_large = (T - 1) // PERIOD + 1
    return n_large * LARGE + (T - n_large) * abs(SMALL)


def bench(workload, tool, prepare, budget, T, refs, max_seconds):
    """One row: run ``tool`` on (a subset of) the workload; check it against the first row of its form (refs:
    (form, T) → (tool, x, loss); the NumPy reference for "paper", computed on demand), or become that row.

    budget: None = the whole batch; a number = at most that many element-steps, on a subset of configs;
    "probe" = the whole batch, warmed up and probed at T = min(T, 1000) by the harness, with T cut so that
    the timed call takes about max_seconds (0: no cap) and the seconds extrapolated."""
    desc, b1, b2, _ = WORKLOADS[workload]
    B = len(b1)
    n = B if budget in (None, "probe") else max(1, min(B, int(budget) // T))
    idx = np.unique(np.linspace(0, B - 1, n).round().astype(int))
    row = {"wl": workload, "workload": f"{workload}: {desc}, T={fmt(T, '.0e')}", "tool": tool, "rate": None,
           "seconds": None, "warmup": None, "notes": []}
    T_run = T
    try:
        if budget == "probe":
            Tp = min(T, 1000)
            row["warmup"] = timed(prepare(ALPHA, b1, b2, Tp, like_T=T)[0])  # compilation, caches
            projected = timed(prepare(ALPHA, b1, b2, Tp, like_T=T)[0]) * T / Tp
            if max_seconds and projected > max_seconds:
                T_run = max(Tp, round(T * max_seconds / projected))
        run, warm, form = prepare(ALPHA, b1[idx], b2[idx], T_run)
        row["warmup"] = row["warmup"] if warm is None else warm
        if run is None:
            row["notes"].append(form)
            return row
        t0 = time.perf_counter()
        x, loss = run()
        secs = time.perf_counter() - t0
    except Exception as e:  # noqa: BLE001 — a broken row is reported, not fatal
        traceback.print_exc()
        row["notes"].append(f"**ERROR** {type(e).__name__}: {e}")
        return row
    row["rate"] = len(idx) * T_run / secs
    row["seconds"] = secs * B / len(idx) * T / T_run
    if len(idx) < B:
        row["notes"].append(f"timed {len(idx)} of {B} configs ({fmt(secs, '.2g')} s), seconds extrapolated")
    if T_run < T:
        row["notes"].append(f"timed T={fmt(T_run, '.2g')} ({fmt(secs, '.2g')} s), seconds extrapolated")
    if form != "paper":
        row["notes"].append(form)
    key = (form, T_run)
    if key not in refs and (tool == BASELINE or form != "paper"):  # the reference of its form
        if len(idx) == B:
            refs[key] = (tool, x, loss)
        return row
    if key not in refs:
        refs[key] = (BASELINE, *PEERS[BASELINE][0](ALPHA, b1, b2, T_run)[0]())
    ref_tool, rx, rl = refs[key]
    ex = np.max(np.abs(x - rx[idx]) / np.maximum(np.abs(rx[idx]), 1.0))
    el = np.max(np.abs(loss - rl[idx])) / loss_scale(T_run)
    err = max(ex, el)
    row["notes"].append(f"x, loss match {ref_tool} ({err:.0e})" if err <= TOL else  # NaN fails too
                        f"**MISMATCH** vs {ref_tool}: x {ex:.1e}, loss {el:.1e} (tol {TOL:.0e})")
    return row


# ---- C, D: oco's backends on non-linear problems ----------------------------------------------------------

def nonlinear(wl, backends, T, max_seconds, checks):
    """Rows of oco's backends (``backends``, the NumPy engine first: the baseline and reference) on workload
    ``wl``: rounds/s of its methods one after the other on one problem instance (targets.simulate_rate; a
    fresh instance per backend, so that none finds the comparator of another's run cached), probed at
    T = min(T, 1000) and cut so that the timed run takes about max_seconds (0: no cap), the seconds
    extrapolated. Each row but the NumPy engine's is checked against it at min(T, CHECK_T, the rows' timed T)
    (x_final, regret; ``checks``: T → {method: NumPy's (x, regret)}, filled on demand)."""
    from oco.api import plan
    from oco.problems import get_problem
    from targets import simulate_rate

    problem, methods, _ = NONLINEAR[wl]
    inst = get_problem(problem)
    desc = (f"{wl}: {problem} (d = {inst.d}), {', '.join(methods)}"
            f"{' one after the other' if len(methods) > 1 else ''}, T={fmt(T, '.0e')}")
    rows, base = [], None
    for backend in backends:
        tool = f"oco.simulate backend={backend}"
        print(f"[{wl}] {tool} ...", file=sys.stderr, flush=True)
        row = {"workload": desc, "tool": tool, "rate": None, "seconds": None, "notes": []}
        rows.append(row)
        try:
            ran = {plan(inst, m, T=10, backend=backend).runner.name for m in methods}
            if ran != {backend}:
                row["notes"].append(f"**runs on {', '.join(sorted(ran))}**")
            Tp = min(T, 1000)
            projected = len(methods) * T / simulate_rate(get_problem(problem), methods, Tp, backend)
            T_run = T
            if max_seconds and projected > max_seconds:
                T_run = max(Tp, round(T * max_seconds / projected))
            rate = simulate_rate(get_problem(problem), methods, T_run, backend)
            row["rate"], row["seconds"] = rate, len(methods) * T / rate
            if T_run < T:
                secs = len(methods) * T_run / rate
                row["notes"].append(f"timed T={fmt(T_run, '.2g')} ({fmt(secs, '.2g')} s), "
                                    "seconds extrapolated")
            if backend == "numpy":
                base = T_run
                row["notes"].append("the reference and baseline")
                continue
            if base is None:
                continue
            Tc = min(T_run, base, CHECK_T)
            if Tc not in checks:
                checks[Tc] = {m: _final(oco.simulate(inst, m, T=Tc, backend="numpy")) for m in methods}
            err = max(_rel(_final(oco.simulate(inst, m, T=Tc, backend=backend)), checks[Tc][m])
                      for m in methods)
            at = f"the NumPy engine at T={fmt(Tc, '.2g')}"
            row["notes"].append(f"x_final, regret match {at} ({err:.0e})" if err <= TOL else  # NaN fails too
                                f"**MISMATCH** vs {at}: {err:.1e} (tol {TOL:.0e})")
        except Exception as e:  # noqa: BLE001 — a broken row is reported, not fatal
            traceback.print_exc()
            row["notes"].append(f"**ERROR** {type(e).__name__}: {e}")
    target = NONLINEAR_TARGET.get(wl)
    b = rows[0]["rate"] if rows and backends[0] == "numpy" else None
    for r in rows:
        r["ratio"] = r["rate"] / b if r["rate"] and b else None
        if target and r["tool"].endswith("=numba"):
            r["notes"].append(f"issue 15 target ≥ {target}× the NumPy engine")
    return rows


def _final(r):
    return r.x_final, r.regret


def _rel(got, ref):
    """Largest |Δ|/max(|ref|, 1) over x_final and regret; NaN on both sides (a diverged configuration) is
    equal."""
    out = 0.0
    for a, b in zip(got, ref):
        a, b = np.asarray(a, float), np.asarray(b, float)
        both = np.isnan(a) & np.isnan(b)
        d = np.where(both, 0.0, np.abs(a - b) / np.maximum(np.abs(np.where(both, 0.0, b)), 1.0))
        out = max(out, float(np.max(d)))  # NaN (one side only) propagates: a mismatch
    return out


def nonlinear_table(rows):
    cols = ["workload", "tool", "rounds/s", "ratio to the NumPy engine", "seconds", "notes"]
    lines = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['tool']} | {fmt(r['rate'], '.3g')} | "
                     f"{fmt(r['ratio'], '.3g')} | {fmt(r['seconds'], '.3g')} | {'; '.join(r['notes'])} |")
    return "\n".join(lines)


# ---- first use: a fresh kernel cache ---------------------------------------------------------------------

FIRST_USE_CODE = """
import sys, time
t0 = time.perf_counter()
import oco
out = [time.perf_counter() - t0]
for m in sys.argv[1:]:
    t0 = time.perf_counter()
    oco.simulate('reddi-online', m, T=1000, backend='numba')
    out.append(time.perf_counter() - t0)
print(*out)
"""


def first_use():
    """Wall seconds of oco.simulate("reddi-online", METHOD, T=1000, backend="numba") in new processes on a
    new, empty OCO_CACHE: adam first (numba's import, the shared module and adam's kernel compiled), then
    amsgrad in the same process (its kernel only); then adam in a new process on that cache (loaded, not
    compiled). The child processes import the oco this one runs."""
    with tempfile.TemporaryDirectory(prefix="oco-first-use-") as tmp:
        env = {**child_env(), "OCO_CACHE": str(Path(tmp) / "cache")}
        env.pop("NUMBA_CACHE_DIR", None)  # numba's cache next to the kernel modules, in the fresh cache
        runs = []
        for methods in (["adam", "amsgrad"], ["adam"]):
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-c", FIRST_USE_CODE, *methods], capture_output=True,
                               text=True, cwd=tmp, env=env, check=False)
            wall = time.perf_counter() - t0
            if p.returncode:
                err = (p.stderr.strip().splitlines() or ["?"])[-1]
                return f"**failed** (exit status {p.returncode}): {err}"
            runs.append((wall, *map(float, p.stdout.split()[-len(methods) - 1:])))
    (w1, imp1, adam1, ams1), (w2, imp2, adam2) = runs
    lines = ["| process | step | wall s |", "|---|---|---|",
             f"| 1st, fresh cache | `import oco` | {imp1:.3f} |",
             f"| 1st, fresh cache | adam, first call (numba imported, shared module and adam's kernel "
             f"compiled) | {adam1:.2f} |",
             f"| 1st, fresh cache | amsgrad, same process (its kernel compiled) | {ams1:.2f} |",
             f"| 1st, fresh cache | whole process | {w1:.2f} |",
             f"| 2nd, same cache | `import oco` | {imp2:.3f} |",
             f"| 2nd, same cache | adam (kernel loaded from the cache) | {adam2:.2f} |",
             f"| 2nd, same cache | whole process | {w2:.2f} |"]
    return "\n".join(lines)


# ---- the limit row (benchmarks/limit.py) -----------------------------------------------------------------

def limit_row(T, repeats=3, block=128):
    """limit.py's minimal kernel and oco's numba grid on workload B's grid, interleaved, best of ``repeats``
    each (the machine's load hits both alike), as ``python benchmarks/limit.py`` measures them."""
    from limit import limit, oco_grid

    _, b1, b2, _ = WORKLOADS["B"]
    b1, b2 = b1.copy(), b2.copy()
    threads = int(os.environ.get("OCO_NUMBA_THREADS", os.cpu_count() or 1))
    lim, ours = [], []
    for _ in range(repeats):
        rate, x_lim = limit(b1, b2, T, block, threads)
        lim.append(rate)
        rate, x_oco = oco_grid(b1, b2, T)
        ours.append(rate)
    dx = float(np.max(np.abs(x_lim - x_oco), initial=0.0))
    share = max(ours) / max(lim)
    cols = ["workload", "minimal kernel element-steps/s", "oco numba element-steps/s", "oco / minimal",
            "issue 15 target", "notes"]
    return "\n".join([
        "| " + " | ".join(cols) + " |", "|---" * len(cols) + "|",
        f"| B: 100×100 (β1, β2) grid, T={fmt(T, '.0e')} | {fmt(max(lim), '.2e')} | {fmt(max(ours), '.2e')} | "
        f"{share:.0%} | ≥ {LIMIT_TARGET:.0%} | best of {repeats} each, interleaved; {threads} threads, "
        f"blocks of {block}; final x of every configuration differs from oco's by ≤ {dx:.0e} |"])


def guarded(f, *args):
    """f(*args), or the error it raised as a line of the results (the run goes on)."""
    try:
        return f(*args)
    except Exception as e:  # noqa: BLE001 — a broken section is reported, not fatal
        traceback.print_exc()
        return f"**ERROR** {type(e).__name__}: {e}"


def fmt(v, spec):
    return "—" if v is None else format(v, spec).replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def table(rows):
    base = {r["workload"]: r["rate"] for r in rows if r["tool"] == BASELINE}
    cols = ["workload", "tool", "element-steps/s", "ratio to NumPy vectorized", "seconds", "warm-up s",
            "issue quote", "notes"]
    lines = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in rows:
        b = base.get(r["workload"])
        ratio = r["rate"] / b if r["rate"] and b else None
        quote = ISSUE.get(r["tool"], (None, None))[list(WORKLOADS).index(r["wl"])]
        lines.append(f"| {r['workload']} | {r['tool']} | {fmt(r['rate'], '.2e')} | {fmt(ratio, '.3g')} | "
                     f"{fmt(r['seconds'], '.3g')} | {fmt(r['warmup'], '.2g')} | {fmt(quote, '.1e')} | "
                     f"{'; '.join(r['notes'])} |")
    return "\n".join(lines)


def help_time():
    exe = Path(sys.executable).parent / "oco"
    exe = str(exe) if exe.exists() else shutil.which("oco")
    if exe is None:
        return "`oco --help`: skipped (no `oco` script installed)"
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        p = subprocess.run([exe, "--help"], capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    status = "" if p.returncode == 0 else f" (**exit status {p.returncode}**)"
    return f"`oco --help` wall time: first {times[0]:.2f} s, best of 3 {min(times):.2f} s{status}"


MEMORY_CODE = """
import sys, time, oco
def hwm(): return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')) / 1024
def run(T): oco.simulate('reddi-online', 'adam', T=T, alpha=0.5, beta1=0.9, beta2=0.99, schedule='sqrt',
                         checkpoints=20, backend=sys.argv[1])
run(100)  # lazy imports, compilation
before = hwm(); t0 = time.perf_counter()
run(int(sys.argv[2]))
print(before, hwm(), time.perf_counter() - t0)
"""


def child_env():
    """The environment of a ``python -c`` subprocess that imports the oco this process runs (the folder above
    it first on PYTHONPATH; not resolved, so that a symlinked source overlay stays one). Run it outside the
    checkout: there the source folder oco/ (without oco.problems, which setup.py maps in) would come first."""
    root = Path(os.path.abspath(oco.__file__)).parent.parent
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}


def memory(backend, T):
    p = subprocess.run([sys.executable, "-c", MEMORY_CODE, backend, str(T)], capture_output=True, text=True,
                       cwd=tempfile.gettempdir(), env=child_env(), check=False)
    if p.returncode:
        err = (p.stderr.strip().splitlines() or ["?"])[-1]
        return f"peak RSS, backend={backend}, T={fmt(T, '.0e')}: **failed**: {err}"
    before, peak, secs = map(float, p.stdout.split())
    return (f"peak RSS of 1 config at T={fmt(T, '.0e')} (backend={backend}, checkpoints=20, subprocess): "
            f"{peak:.0f} MB "
            f"({before:.0f} MB after imports and a T=100 warm-up call, +{peak - before:.0f} MB for the run; "
            f"run {secs:.2g} s)")


SWEEP_ARGS = ["sweep", "reddi-online", "-m", "adam", "--grid", "beta1=0:0.99:100", "--grid", "beta2=0.5:0.999:100",
              "--alpha", "0.5", "--schedule", "sqrt"]


def shell(T, repeats=3):
    """Workload B as whole processes from the shell: ``oco sweep`` (CSV, checkpoint traces, heat maps) against
    benchmarks/jax_sweep.py (CSV, heat map); each run once untimed (warm caches: numba's kernels, JAX's
    compilation cache), then best and median of ``repeats``."""
    exe = Path(sys.executable).parent / "oco"
    exe = str(exe) if exe.exists() else shutil.which("oco")
    tmp = Path(tempfile.mkdtemp(prefix="oco-bench-"))
    cmds = {"oco sweep": [exe, *SWEEP_ARGS, "-T", str(T), "--out", str(tmp / "oco")],
            "oco sweep --no-plot": [exe, *SWEEP_ARGS, "-T", str(T), "--out", str(tmp / "oco-np"), "--no-plot"],
            "JAX script": [sys.executable, str(HERE / "jax_sweep.py"), str(tmp / "jax"), "--T", str(T)]}
    out = {}
    for name, cmd in cmds.items():
        if cmd[0] is None or (name == "JAX script" and JAX_ERROR):
            out[name] = "skipped"
            continue
        times = []
        for _ in range(repeats + 1):
            shutil.rmtree(tmp / "oco", ignore_errors=True)
            shutil.rmtree(tmp / "oco-np", ignore_errors=True)
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            if p.returncode:
                out[name] = f"**failed**: {(p.stderr.strip().splitlines() or ['?'])[-1]}"
                break
        else:
            out[name] = f"best {min(times[1:]):.2f} s, median {statistics.median(times[1:]):.2f} s"
    shutil.rmtree(tmp, ignore_errors=True)
    return (f"whole process from the shell, workload B (T={fmt(T, '.0e')}), warm caches, {repeats} runs: "
            + "; ".join(f"{k}: {v}" for k, v in out.items()))


def code_version():
    """The commit measured, and whether oco's sources differed from it."""
    git = ["git", "-C", str(HERE.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "oco", "problems"], capture_output=True,
                           text=True, check=False).stdout.strip()
    note = " with uncommitted changes in oco/ or problems/" if dirty else ""
    return f"commit {head.stdout.strip() or '?'}{note}"


def machine(load0):
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in lscpu if ln.startswith("Model name")),
                 platform.processor())
    vers = [f"Python {platform.python_version()}"]
    for mod in ("numpy", "torch", "jax", "jaxlib", "optax", "numba", "oco"):
        try:
            vers.append(f"{mod} {importlib.import_module(mod).__version__}")
        except ImportError:
            vers.append(f"{mod} not installed")
    avx512 = "AVX-512" if " avx512f" in Path("/proc/cpuinfo").read_text() else "no AVX-512"
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = f"load average (1 min) at start {load0:.1f}, at end {os.getloadavg()[0]:.1f}"
    return (f"{model}, {os.cpu_count()} logical cores, {mem:.0f} GiB, {avx512}; {load}; "
            f"{', '.join(vers)}; {datetime.datetime.now().isoformat(timespec='minutes')}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: T scaled by 1/100 (unless --T-scale)")
    ap.add_argument("--T-scale", type=float, default=None, help="multiply every T by this")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only rows whose 'workload:tool' contains NAME (case-insensitive; repeatable), "
                         "e.g. 'B:', 'jax', 'oco', 'C:', 'logistic' (C, D: also their problem's name); "
                         "'first-use' and 'limit' select those sections. The NumPy reference of a workload "
                         "always runs: it is baseline and check")
    ap.add_argument("--max-seconds", type=float, default=120,
                    help="oco rows (C, D: every row) projected to take longer run fewer rounds, extrapolated "
                         "(0: no cap)")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS of 1 config at large T")
    ap.add_argument("--memory-T", type=float, default=1e7, help="T of the memory run (scaled too)")
    ap.add_argument("--memory-backend", default=None, help=f"default: first of {MEMORY_PREFERENCE} available")
    ap.add_argument("--shell", action="store_true",
                    help="also time workload B as whole processes: oco sweep against benchmarks/jax_sweep.py")
    ap.add_argument("--output", default=str(HERE / "results.md"))
    a = ap.parse_args(argv)
    load0 = os.getloadavg()[0]  # other processes on the machine skew every row: recorded with the results
    code0 = code_version()
    scale = a.T_scale if a.T_scale is not None else (0.01 if a.quick else 1.0)

    rows = []
    for wl, (desc, b1, b2, T0) in WORKLOADS.items():
        T = max(1, round(T0 * scale))
        chosen = [(n, t) for n, t in tools() if n != BASELINE and
                  (not a.only or any(o.lower() in f"{wl}:{n}".lower() for o in a.only))]
        if not chosen and a.only and not any(o.lower() in f"{wl}:{BASELINE}".lower() for o in a.only):
            continue
        refs = {}
        rows.append(bench(wl, BASELINE, PEERS[BASELINE][0], None, T, refs, 0))
        rows[-1]["notes"].append("the reference and baseline")
        for name, (prepare, budget) in chosen:
            print(f"[{wl}] {name} ...", file=sys.stderr, flush=True)
            budget = budget * scale if isinstance(budget, (int, float)) else budget
            rows.append(bench(wl, name, prepare, budget, T, refs, a.max_seconds))

    def want(*keys):
        return not a.only or any(o.lower() in k.lower() for o in a.only for k in keys)

    nl_rows = []
    for wl, (problem, _, T0) in NONLINEAR.items():
        backends = [b for b in oco.BACKENDS if b != "auto" and
                    want(f"{wl}:oco.simulate backend={b}", f"{problem}:oco.simulate backend={b}")]
        if backends:
            backends = ["numpy", *[b for b in backends if b != "numpy"]]  # the baseline and reference first
            nl_rows += nonlinear(wl, backends, max(1, round(T0 * scale)), a.max_seconds, {})
    sections = []
    if rows:
        sections.append(("Paper-form Adam on `reddi-online`: oco's backends beside the peers (A, B)",
                         table(rows)))
    if nl_rows:
        sections.append(("Non-linear problems: oco's backends (C, D)", nonlinear_table(nl_rows)))
    if want("first-use"):
        print("[first use] fresh kernel cache ...", file=sys.stderr, flush=True)
        sections.append(("First use: `oco.simulate(\"reddi-online\", …, T=1000, backend=\"numba\")`, "
                         "a fresh kernel cache (`OCO_CACHE`), new processes", guarded(first_use)))
    if want("limit"):
        print("[limit] minimal kernel vs oco numba ...", file=sys.stderr, flush=True)
        sections.append(("The limit row: oco's numba kernel beside a minimal kernel (`benchmarks/limit.py`)",
                         guarded(limit_row, max(1, round(WORKLOADS["B"][3] * scale)))))

    extras = [help_time()]
    if a.memory:
        backend = a.memory_backend or next(b for b in MEMORY_PREFERENCE if b in oco.BACKENDS)
        print(f"[memory] backend={backend} ...", file=sys.stderr, flush=True)
        extras.append(memory(backend, max(1, round(a.memory_T * scale))))
    if a.shell:
        print("[shell] oco sweep vs JAX script ...", file=sys.stderr, flush=True)
        extras.append(shell(max(1, round(WORKLOADS["B"][3] * scale))))
    sections.append(("Other measurements", "\n".join(f"- {e}" for e in extras)))
    out = "\n\n".join(f"## {title}\n\n{text}" for title, text in sections)
    print(out)
    cmd = " ".join(["python benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    code = code0 if code_version() == code0 else f"{code0} at start, **{code_version()} at end**"
    head = f"# Benchmark results\n\nMachine: {machine(load0)}\n\nCode: {code}\n\nCommand: `{cmd}`\n\n"
    Path(a.output).write_text(head + out + "\n")


if __name__ == "__main__":
    main()
