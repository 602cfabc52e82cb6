"""The limit row: a minimal blocked paper-form Adam kernel in numba, beside oco's numba grid, in one process.

    python benchmarks/limit.py [--T 100000] [--block 128] [--repeats 3]

The minimal kernel is what a hand-written sweep would do and nothing more: for each block of configurations,
for each round, for each configuration of the block (vectorised across the block),

    m = β1 m + (1 − β1) g,  v = β2 v + (1 − β2) g²,  x = clip(x − (α/√t) m/√v, −1, 1),  loss += g x

— no divergence check, no compensated loss, no diagnostics (η extremes, Γ_t), no checkpoints, data read from
one tiled array. oco's kernel does all of those; the ratio of the two on the same grid, same day, same process
is how close oco's kernel gets to the machine. Prints element-steps/s (configurations × rounds / s).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from numba import njit

import oco

PERIOD, LARGE, SMALL = 101, 1010.0, -10.0


FEATURES = {  # what oco's kernel does beyond the minimal one, added one at a time (the breakdown)
    "compensated loss": ("lb[i] += f", """s = lb[i] + f
                bb = s - lb[i]
                cb[i] += (lb[i] - (s - bb)) + (f - bb)
                lb[i] = s"""),
    "diagnostics": ("pass", """mi[i] = e if e < mi[i] else mi[i]
                ma[i] = e if e > ma[i] else ma[i]
                gg[i] += 1 if e > pp[i] else 0
                pp[i] = e"""),
    "divergence check": ("pass", "nbad += 0 if (math.isfinite(f) & (xn == xn) & (e == e)) else 1"),
}
TEMPLATE = """
def kernel(G, b1, b2, alpha, x, m, v, loss, comp, lmin, lmax, gn, pe, T):
    B = x.shape[0]
    for lo in range(0, B, BLOCK):
        hi = min(B, lo + BLOCK)
        n = hi - lo
        xb, mb, vb, lb, cb = x[lo:hi].copy(), m[lo:hi].copy(), v[lo:hi].copy(), loss[lo:hi].copy(), comp[lo:hi].copy()
        mi, ma, gg, pp = lmin[lo:hi].copy(), lmax[lo:hi].copy(), gn[lo:hi].copy(), pe[lo:hi].copy()
        c1, c2 = b1[lo:hi].copy(), b2[lo:hi].copy()
        nbad = 0
        for t in range(1, T + 1):
            g = G[(t - 1) % G.shape[0]]
            a = alpha / math.sqrt(t)
            for i in range(n):
                mm = c1[i] * mb[i] + (1.0 - c1[i]) * g
                vv = c2[i] * vb[i] + (1.0 - c2[i]) * g * g
                f = g * xb[i]
                e = a / math.sqrt(vv)
                xn = xb[i] - e * mm
                xh = min(max(xn, -1.0), 1.0)
                LOSS
                DIAGNOSTICS
                CHECK
                xb[i] = xh
                mb[i] = mm
                vb[i] = vv
        x[lo:hi], m[lo:hi], v[lo:hi], loss[lo:hi], comp[lo:hi] = xb, mb, vb, lb, cb
        lmin[lo:hi], lmax[lo:hi], gn[lo:hi], pe[lo:hi] = mi, ma, gg, pp
        gn[0] += nbad
"""


def make_kernel(block: int, features=()):
    """The minimal kernel's source with some of oco's features added, compiled (no fast-math, as oco)."""
    src = TEMPLATE.replace("BLOCK", str(block))
    for name, (plain, full) in FEATURES.items():
        src = src.replace({"compensated loss": "LOSS", "diagnostics": "DIAGNOSTICS",
                           "divergence check": "CHECK"}[name], full if name in features else plain)
    ns = {"math": math}
    exec(src, ns)
    return njit(nogil=True, error_model="numpy")(ns["kernel"])


def limit(b1, b2, T, block, threads, features=()):
    """Element-steps/s of the minimal kernel (with ``features``), the batch in ``threads`` slices of whole
    blocks."""
    from concurrent.futures import ThreadPoolExecutor

    G = np.array([LARGE] + [SMALL] * (PERIOD - 1))
    kernel = make_kernel(block, features)
    B = len(b1)
    state = [np.zeros(B) for _ in range(7)] + [np.zeros(B, np.int64), np.full(B, np.inf)]
    kernel(G, b1[:block], b2[:block], 0.5, *[s[:block].copy() for s in state], 10)  # compile (on copies)
    per = math.ceil(math.ceil(B / block) / threads) * block
    slices = [slice(i, min(B, i + per)) for i in range(0, B, per)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(slices)) as pool:
        list(pool.map(lambda sl: kernel(G, b1[sl], b2[sl], 0.5, *[s[sl] for s in state], T), slices))
    return B * T / (time.perf_counter() - t0), state[0]


def oco_grid(b1, b2, T):
    oco.simulate("reddi-online", "adam", T=100, alpha=0.5, beta1=b1, beta2=b2, schedule="sqrt", backend="numba")
    t0 = time.perf_counter()
    r = oco.simulate("reddi-online", "adam", T=T, alpha=0.5, beta1=b1, beta2=b2, schedule="sqrt",
                     backend="numba")
    return len(b1) * T / (time.perf_counter() - t0), r.x_final[:, 0]



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=10**5)
    ap.add_argument("--block", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    g1, g2 = np.meshgrid(np.linspace(0.0, 0.99, 100), np.linspace(0.5, 0.999, 100), indexing="ij")
    b1, b2 = g1.ravel().copy(), g2.ravel().copy()
    threads = int(os.environ.get("OCO_NUMBA_THREADS", os.cpu_count() or 1))
    lim, ours = [], []
    for _ in range(a.repeats):  # interleaved, best of each: the machine's load hits both alike
        rate, x_lim = limit(b1, b2, a.T, a.block, threads)
        lim.append(rate)
        rate, x_oco = oco_grid(b1, b2, a.T)
        ours.append(rate)
    print(f"100×100 grid, T = {a.T}, {threads} threads, blocks of {a.block}: minimal kernel {max(lim):.3g} "
          f"element-steps/s, oco numba {max(ours):.3g} ({max(ours) / max(lim):.0%} of the minimal kernel)")
    print("the minimal kernel with oco's features, one at a time and all together:")
    for features in [(f,) for f in FEATURES] + [tuple(FEATURES)]:
        rate = max(limit(b1, b2, a.T, a.block, threads, features)[0] for _ in range(a.repeats))
        print(f"  + {' + '.join(features):45s} {rate:.3g} ({rate / max(lim):.0%})")


if __name__ == "__main__":
    main()
