"""Speed of the foreign-optimizer paths beside the native backends, in one process.

    python benchmarks/foreign.py [--T 2000] [--configs 100]

Bias-corrected Adam on Reddi et al.'s online problem (reddi-online, α_t = α/√t, β1 = 0.9) over a grid of β2
values, through ``oco.simulate``: the table's ``adam:torch`` row on the numba and NumPy backends,
``torch:torch.optim.Adam`` (a parameter group per configuration) and ``optax:optax.adam`` (vmap over the
configurations). Prints configurations × rounds per second (the first call, which compiles, excluded) and the
largest relative difference of x_T from the ``adam:torch`` row's (optax's ε sits outside the root as torch's,
so all four compute the same update).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import oco

SPECS = {"adam:torch, numba": ("adam:torch", "numba"), "adam:torch, numpy": ("adam:torch", "numpy"),
         "torch:torch.optim.Adam": ("torch:torch.optim.Adam", "numpy"),
         "optax:optax.adam": ("optax:optax.adam", "numpy")}


def cpu() -> str:
    try:
        return next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def timed(spec, backend, T, beta2):
    kw = dict(alpha=0.5, beta1=0.9, beta2=beta2, schedule="sqrt", eps=1e-8, checkpoints=10, backend=backend)
    oco.simulate("reddi-online", spec, T=min(T, 50), **kw)  # warm-up: compilation, imports
    t0 = time.perf_counter()
    r = oco.simulate("reddi-online", spec, T=T, **kw)
    return time.perf_counter() - t0, r.x_final[:, 0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=2000)
    ap.add_argument("--configs", type=int, default=100)
    args = ap.parse_args(argv)
    beta2 = np.linspace(0.5, 0.999, args.configs)
    print(f"reddi-online, {args.configs} configurations × T = {args.T}; {cpu()}, {os.cpu_count()} cores")
    print("| path | configurations × rounds / s | max rel. diff of x_T vs the adam:torch row |")
    print("|---|---|---|")
    ref = None
    for name, (spec, backend) in SPECS.items():
        try:
            seconds, x = timed(spec, backend, args.T, beta2)
        except (ImportError, ValueError) as e:
            print(f"| {name} | not run: {str(e).splitlines()[0]} | |")
            continue
        ref = x if ref is None and backend == "numba" else ref
        diff = np.max(np.abs(x - ref) / np.maximum(np.abs(ref), 1e-300)) if ref is not None else float("nan")
        print(f"| {name} | {args.configs * args.T / seconds:.3g} | {diff:.2g} |")


if __name__ == "__main__":
    main()
