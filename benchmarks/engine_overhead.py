"""Per-round overhead of the NumPy engine (``oco.engine.run``): rounds per second at B = 1 and B = 10⁴.

    python benchmarks/engine_overhead.py [--repeat 3] [--T-scale 1] [--only TEXT ...]

One process, one case after another: paper-form Adam and AMSGrad (α = 0.1, α_t = α/√t) on

- ``reddi-online`` (linear, d = 1: the losses are a view of the tiled pattern, the projection a clip),
- ``stochastic-quadratic`` (d = 10, non-linear: separable quadratics on random data drawn in blocks),
- ``logistic-goog`` (d = 5, non-linear: one example of matplotlib's goog.npz a round),

with one configuration (B = 1, where the time is Python's per-round overhead) and a grid of 10⁴ (β1, β2) on
one seed (B = 10⁴, where it is NumPy's work on (B, d) arrays). Each case runs ``--repeat`` times; the best
time counts (the machine may be shared). The time is that of the loop only: ``oco.engine.finish`` (the
comparators and regret traces computed after the last round) is replaced by a no-op while a case runs. Every
run records 20 log-spaced checkpoints, as a short ``oco run`` does.

Prints the machine (CPU model and cores from /proc/cpuinfo, the load average), then one line a case: the
best wall-clock and the best CPU time (``time.process_time``, steadier on a shared machine) and the rounds/s
each gives. It imports the ``oco`` found on ``sys.path``: the installed
package, or a source overlay put first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import oco
from oco import engine
from oco.config import problem_of as resolve_problem

PROBLEMS = {"reddi-online": {}, "stochastic-quadratic": {"d": 10}, "logistic-goog": {}}
METHODS = ("adam", "amsgrad")
# rounds a case runs at --T-scale 1: under a second each on this project's 2-core AMD EPYC
ROUNDS = {
    ("reddi-online", 1): 40_000, ("reddi-online", 10_000): 2_000,
    ("stochastic-quadratic", 1): 20_000, ("stochastic-quadratic", 10_000): 200,
    ("logistic-goog", 1): 20_000, ("logistic-goog", 10_000): 300,
}


def machine() -> str:
    """CPU model, logical cores (and those this process may use), load average, Python and NumPy versions."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            names = (line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
            model = next(names, model)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{model}; {os.cpu_count()} logical cores ({usable} usable); load average {load}; "
            f"Python {platform.python_version()}, NumPy {np.__version__}")


def setup(problem_name: str, method_name: str, B: int):
    """The arguments of ``oco.engine.run`` for one case: a (β1, β2) grid of B configurations on seed 0."""
    problem = resolve_problem(problem_name, PROBLEMS[problem_name])
    method = oco.get_method(method_name)
    side = int(round(np.sqrt(B)))
    b1, b2 = np.meshgrid(np.linspace(0.0, 0.99, side), np.linspace(0.5, 0.999, B // side), indexing="ij")
    h, B = method.resolve({"alpha": 0.1, "schedule": "sqrt", "beta1": b1.ravel(), "beta2": b2.ravel()}
                          if B > 1 else {"alpha": 0.1, "schedule": "sqrt", "beta1": 0.9, "beta2": 0.999})
    domain = problem.default_domain()
    x0 = np.broadcast_to(problem.default_x0(domain), (B, problem.d)).copy()
    return problem, method, h, np.zeros(B, np.int64), x0, domain


def time_loop(args: tuple, T: int) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one ``oco.engine.run`` without its ``finish``."""
    problem, method, h, seeds, x0, domain = args
    finish = engine.finish
    engine.finish = lambda *a, **k: None  # run_with calls the module's finish: the loop alone is timed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        engine.run(problem, method, h, seeds, T, x0, domain, engine.log_checkpoints(T, 20))
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        engine.finish = finish


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each case; the best counts")
    ap.add_argument("--T-scale", type=float, default=1.0, help="multiply every case's rounds by this")
    ap.add_argument("--only", nargs="*", default=(),
                    help="cases that have every word of a TEXT among 'PROBLEM METHOD B=N' (e.g. 'adam B=1')")
    a = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"oco: {os.path.dirname(oco.__file__)}")
    print(f"{'problem':22} {'method':8} {'B':>6} {'T':>7} {'wall s':>7} {'rounds/s':>9} {'CPU s':>7} "
          f"{'rounds/s':>9}  (best of {a.repeat}; per CPU second where the machine is shared)")
    for name in PROBLEMS:
        for method in METHODS:
            for B in (1, 10_000):
                words = {name, method, f"B={B}"}
                if a.only and not any(words.issuperset(text.split()) for text in a.only):
                    continue
                T = max(1, int(ROUNDS[name, B] * a.T_scale))
                args = setup(name, method, B)
                time_loop(args, min(T, 50))  # warm-up: imports, caches, the problem's first data block
                wall, cpu = np.min([time_loop(args, T) for _ in range(a.repeat)], axis=0)
                print(f"{name:22} {method:8} {B:>6} {T:>7} {wall:>7.3f} {T / wall:>9.4g} {cpu:>7.3f} "
                      f"{T / cpu:>9.4g}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
