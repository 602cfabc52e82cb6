"""A compiled CPU backend generated from the method table.

For a row of the table (and the run's fixed choices: schedules, boolean options, the feasible set) this
module writes the source of a kernel module — the scalar operations of ``ops``, the source of every piece
the row uses (``inspect.getsource``: nothing is written twice by hand) and a loop nest

    for each block of ``BLOCK`` configurations:
        for t in the chunk of rounds:
            clock pieces, per configuration        (α_t, β1t, running products)
            for each coordinate j:
                for each configuration i of the block:   (vectorised by LLVM across configurations)
                    g, φ, ψ, η, x̂ — the row's pieces on scalars
            projection, divergence check, loss (Neumaier), diagnostics, checkpoints — per configuration

— then compiles it with numba (``cache=True``: kernels are cached on disk under ``OCO_CACHE`` or
~/.cache/oco). The arithmetic is the NumPy engine's, operation for operation, so results agree to round-off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import math
import os
import sys
import textwrap
from pathlib import Path

import numpy as np

from .. import projections, schedules
from ..methods import Method, ops, pieces

BLOCK = 32
CHUNK = 1 << 16

SCALAR_OPS = '''
import math
import numpy as np
from numba import njit


@njit(cache=True, error_model='numpy')
def where(c, a, b):
    return a if c else b


@njit(cache=True, error_model='numpy')
def sqrt(x):
    return math.sqrt(x)


@njit(cache=True, error_model='numpy')
def maximum(a, b):  # NaN-propagating, as np.maximum
    return a if (a >= b or a != a) else b


@njit(cache=True, error_model='numpy')
def minimum(a, b):
    return a if (a <= b or a != a) else b


@njit(cache=True, error_model='numpy')
def absolute(x):
    return abs(x)


@njit(cache=True, error_model='numpy')
def sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))


@njit(cache=True, error_model='numpy')
def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


log = math.log
cos = math.cos
floor = math.floor
'''


def _source(fn) -> str:
    return "@njit(cache=True, error_model='numpy')\n" + textwrap.dedent(inspect.getsource(fn))


def _helpers(used) -> list:
    """The functions the used pieces call (lerp, ema_sq inside ams, …), found by name in their code."""
    pool = {**{n: f for n, f in vars(pieces).items() if inspect.isfunction(f)}, "lerp": ops.lerp,
            "sgdr_position": schedules.sgdr_position}
    out, todo = {}, list(used)
    while todo:
        fn = todo.pop()
        for name in fn.__code__.co_names:
            if name in pool and name not in out and pool[name] is not fn:
                out[name] = pool[name]
                todo.append(pool[name])
    return [f for n, f in out.items() if f not in used]


def generate(method: Method, h: dict, domain_kind: str, decay: str, d: int = 0) -> str:
    """The kernel module's source for one row and one run's fixed choices."""
    from ..engine import round_pieces

    clock, update = round_pieces(method, h)
    state = list(method.state)
    cstate = list(method.cstate)
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    static = {k: v for k, v in h.items() if not isinstance(v, np.ndarray)}
    cnames = list(cstate)  # per-configuration values: cstate and clock outputs
    for p in clock:
        for names in p.outs:
            cnames += [n for n in names if n not in cnames]

    def arg(name: str, scope: str) -> str:
        if name == "t":
            return "t"
        if name in ("g", "x"):
            return {"g": "g", "x": "xb"}[name]
        if scope in ("element", "fused") and name in numeric and name not in state:
            return f"H_{name}_[ii]"
        if scope in ("element", "fused") and name in state:
            return f"s_{name}"
        if name in cnames:
            return f"cs_{name}" if scope in ("clock", "fused") else f"c_{name}[ii]"
        if name in static:
            return repr(static[name])
        if name in numeric:
            return f"H_{name}_[ii]"
        return f"e_{name}"

    def call(p, scope: str) -> list[str]:
        args = ", ".join(arg(a, scope) for a in p.args)
        tmp = [f"_o{k}" for k in range(len(p.outs))]
        lines = [f"{', '.join(tmp)} = {p.fn.__name__}({args})"]
        for tv, names in zip(tmp, p.outs):
            for n in names:
                lines.append(f"{arg(n, scope)} = {tv}")
        return lines

    used = {p.fn for p in (*clock, *update)}
    src = [SCALAR_OPS, "\n"]
    for fn in [*_helpers(used), *sorted(used, key=lambda f: f.__name__)]:
        src.append(_source(fn) + "\n")
    if domain_kind == "ball":
        src.append(_source(projections.weighted_ball_row) + "\n")

    sig = ["t0", "n", "G", "k0", "sidx", "X", "LO", "HI", "radius",
           "cum", "comp", "active", "div_at", "gneg", "lrmin", "lrmax", "prev_eta"]
    sig += [f"S_{s}" for s in state] + [f"C_{c}" for c in cstate] + [f"H_{k}" for k in numeric]
    per_config = ["cum", "comp", "lrmin", "lrmax", "sidx", "div_at", "gneg", "active"]
    # Every block works on its own copies (per-coordinate arrays laid out (d, BLOCK)), so LLVM sees no
    # aliasing and vectorises the loops over the block's configurations.
    body = [
        "B, d = X.shape",
        f"nb = (B + {BLOCK} - 1) // {BLOCK}",
        "for blk in range(nb):",
        f"    lo = blk * {BLOCK}",
        f"    hi = min(B, lo + {BLOCK})",
        "    nbk = hi - lo",
        *[f"    {v}_ = {v}[lo:hi].copy()" for v in per_config],
        *[f"    H_{k}_ = H_{k}[lo:hi].copy()" for k in numeric],
        *[f"    c_{c} = np.empty({BLOCK})" for c in cnames],
        *[f"    c_{c}[:nbk] = C_{c}[lo:hi]" for c in cstate],
        *[f"    S_{s}_ = np.ascontiguousarray(S_{s}[lo:hi].T)" for s in state],
        "    x_ = np.ascontiguousarray(X[lo:hi].T)",
        "    prev_ = np.ascontiguousarray(prev_eta[lo:hi].T)",
        f"    xh = np.empty((d, {BLOCK}))",
        f"    et = np.empty((d, {BLOCK}))",
        f"    loss = np.empty({BLOCK})",
        f"    gb = np.empty({BLOCK})",
        f"    ok = np.empty({BLOCK}, dtype=np.bool_)",
        f"    up = np.empty({BLOCK}, dtype=np.bool_)",
        "    xr = np.empty(d)",
        "    for k in range(n):",
        "        t = t0 + k",
        "        for ii in range(nbk):",
        *[f"            cs_{c} = c_{c}[ii]" for c in cstate],
    ]
    for p in clock:  # the clock, on scalars, kept per configuration for the element loop
        body += ["            " + ln for ln in call(p, "clock")]
    body += [f"            c_{c}[ii] = cs_{c}" for c in cnames]
    body += [
        "            loss[ii] = 0.0",
        "        for j in range(d):",
        "            for ii in range(nbk):",  # gather first: an indexed load in the loop stops vectorisation
        "                gb[ii] = G[sidx_[ii], k0 + k, j]",
        "            for ii in range(nbk):",
        "                g = gb[ii]",
        "                x = x_[j, ii]",
        "                loss[ii] += g * x",
    ]
    if decay == "coupled":
        body.append("                g = g + H_weight_decay_[ii] * x")
    body.append(
        "                xb = x * (1.0 - c_a[ii] * H_weight_decay_[ii])" if decay == "decoupled" else "                xb = x"
    )
    body += [f"                s_{s} = S_{s}_[j, ii]" for s in state]
    for p in update:
        body += ["                " + ln for ln in call(p, "element")]
    body += [f"                S_{s}_[j, ii] = s_{s}" for s in state]
    body += [
        f"                xh[j, ii] = {arg('xhat', 'element')}",
        f"                et[j, ii] = {arg('eta', 'element')}",
    ]
    if domain_kind == "box":
        body += ["        for j in range(d):", "            for ii in range(nbk):",
                 "                xh[j, ii] = clip(xh[j, ii], LO[j], HI[j])"]
    elif domain_kind == "ball":
        body += [
            "        for ii in range(nbk):",
            "            nn = 0.0",
            "            for j in range(d):",
            "                nn += xh[j, ii] * xh[j, ii]",
            "            if math.sqrt(nn) > radius:",
            "                weighted_ball_row(np.ascontiguousarray(xh[:, ii]), 1.0 / et[:, ii], radius, xr)",
            "                for j in range(d):",
            "                    xh[j, ii] = xr[j]",
        ]
    body += [
        # divergence: a configuration whose loss or next iterate is not finite stops here
        "        for ii in range(nbk):",
        "            ok[ii] = math.isfinite(loss[ii])",
        "            up[ii] = False",
        "        for j in range(d):",
        "            for ii in range(nbk):",
        "                ok[ii] = ok[ii] & math.isfinite(xh[j, ii])",
        "        for ii in range(nbk):",
        "            div_at_[ii] = t if (active_[ii] & (not ok[ii])) else div_at_[ii]",
        "            active_[ii] = active_[ii] & ok[ii]",
        "            f = loss[ii] if active_[ii] else 0.0",
        "            s = cum_[ii] + f",
        "            comp_[ii] += (cum_[ii] - s) + f if abs(cum_[ii]) >= abs(f) else (f - s) + cum_[ii]",
        "            cum_[ii] = s",
        "        for j in range(d):",
        "            for ii in range(nbk):",
        "                e = et[j, ii]",
        "                a_ = active_[ii]",
        "                x_[j, ii] = xh[j, ii] if a_ else x_[j, ii]",
        "                lrmin_[ii] = minimum(lrmin_[ii], e) if a_ else lrmin_[ii]",
        "                lrmax_[ii] = maximum(lrmax_[ii], e) if a_ else lrmax_[ii]",
        "                up[ii] = up[ii] | (e > prev_[j, ii])",
        "                prev_[j, ii] = e",
        "        if t > 1:",
        "            for ii in range(nbk):",
        "                gneg_[ii] += 1 if (active_[ii] & up[ii]) else 0",
    ]
    if d == 1 and domain_kind != "ball":  # d is passed only where the fused form is wanted
        body = body[: body.index("    for k in range(n):")] + _fused_body(clock, update, state, cstate, call, arg,
                                                                           domain_kind, decay)
    body += [  # write the block back
        *[f"    {v}[lo:hi] = {v}_" for v in per_config if v != "sidx"],
        *[f"    C_{c}[lo:hi] = c_{c}[:nbk]" for c in cstate],
        *[f"    S_{s}[lo:hi] = S_{s}_.T" for s in state],
        "    X[lo:hi] = x_.T",
        "    prev_eta[lo:hi] = prev_.T",
    ]
    # nogil: the host runs slices of the batch on threads of its own (numba's prange kernels ran slower here)
    src.append("@njit(nogil=True, cache=True, error_model='numpy')\ndef kernel(" + ", ".join(sig) + "):\n")
    src.append("\n".join("    " + ln for ln in body) + "\n")
    return "".join(src)


def _fused_body(clock, update, state, cstate, call, arg, domain_kind, decay) -> list[str]:
    """One coordinate (d = 1, the counterexamples): the whole round in a single loop over the block, so
    nothing is stored between passes and LLVM vectorises all of it across configurations."""
    body = [
        "    for k in range(n):",
        "        t = t0 + k",
        "        for ii in range(nbk):",
        "            gb[ii] = G[sidx_[ii], k0 + k, 0]",
        "        for ii in range(nbk):",
        *[f"            cs_{c} = c_{c}[ii]" for c in cstate],
    ]
    for p in clock:
        body += ["            " + ln for ln in call(p, "fused")]
    body += [f"            c_{c}[ii] = cs_{c}" for c in cstate]
    body += ["            g = gb[ii]", "            x = x_[0, ii]", "            lo_ = g * x"]
    if decay == "coupled":
        body.append("            g = g + H_weight_decay_[ii] * x")
    body.append("            xb = x * (1.0 - cs_a * H_weight_decay_[ii])" if decay == "decoupled" else "            xb = x")
    body += [f"            s_{s} = S_{s}_[0, ii]" for s in state]
    for p in update:
        body += ["            " + ln for ln in call(p, "fused")]
    body += [f"            S_{s}_[0, ii] = s_{s}" for s in state]
    xh = arg("xhat", "fused")
    body += [
        f"            xh_ = clip({xh}, LO[0], HI[0])" if domain_kind == "box" else f"            xh_ = {xh}",
        f"            e = {arg('eta', 'fused')}",
        "            ok_ = math.isfinite(lo_) & math.isfinite(xh_)",  # & not and: no branches, so LLVM vectorises
        "            a_ = active_[ii]",
        "            div_at_[ii] = t if (a_ & (not ok_)) else div_at_[ii]",
        "            a_ = a_ & ok_",
        "            active_[ii] = a_",
        "            f = lo_ if a_ else 0.0",
        "            s = cum_[ii] + f",
        "            comp_[ii] += (cum_[ii] - s) + f if abs(cum_[ii]) >= abs(f) else (f - s) + cum_[ii]",
        "            cum_[ii] = s",
        "            x_[0, ii] = xh_ if a_ else x",
        "            lrmin_[ii] = minimum(lrmin_[ii], e) if a_ else lrmin_[ii]",
        "            lrmax_[ii] = maximum(lrmax_[ii], e) if a_ else lrmax_[ii]",
        "            gneg_[ii] += 1 if (a_ & (t > 1) & (e > prev_[0, ii])) else 0",
        "            prev_[0, ii] = e",
    ]
    return body


def _cache_dir() -> Path:
    root = Path(os.environ.get("OCO_CACHE", Path.home() / ".cache" / "oco"))
    path = root / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


_LOADED: dict[str, object] = {}


def load(source: str):
    """Write the kernel module (named by its content's hash) and import it; numba caches its machine code."""
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    if key in _LOADED:
        return _LOADED[key]
    path = _cache_dir() / f"oco_kernel_{key}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(f"oco_kernel_{key}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _LOADED[key] = module.kernel
    return module.kernel


def importable() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def supports(problem, domain) -> str | None:
    """Why this backend cannot run the problem (None when it can)."""
    from problems.base import Problem

    if not getattr(problem, "linear", False) or type(problem).loss_grad is not Problem.loss_grad:
        return f"problem {problem.name!r} is not a linear loss sequence"
    if domain.kind not in ("box", "ball", "none"):
        return f"domain {domain.kind!r}"
    return None


def run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """The numba counterpart of ``oco.engine.run``: same arguments, same Result."""
    from ..engine import finish, init_env
    from ..result import LR_QUANTILES

    B, d = x0.shape
    wd = h.get("weight_decay")
    decay = "none"
    if wd is not None and np.any(wd != 0):
        decay = "decoupled" if h.get("decoupled_weight_decay", False) else "coupled"
    # one configuration: a single fused pass per round (a latency chain: fewer loops is what counts);
    # many: separate passes, which LLVM vectorises across the block
    fused = d == 1 and B < 8
    kernel = load(generate(method, h, domain.kind, decay, 1 if fused else 0))

    X = np.array(x0, dtype=float)
    env = init_env(method, h, X)
    S = [np.ascontiguousarray(env[s]) for s in method.state]
    C = [np.ascontiguousarray(env[c][:, 0]) for c in method.cstate]
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    H = [np.ascontiguousarray(h[k][:, 0]) for k in numeric]
    if domain.kind == "box":
        LO = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.lo, float), (d,)))
        HI = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.hi, float), (d,)))
    else:
        LO = HI = np.zeros(d)
    radius = float(getattr(domain, "radius", 0.0))

    uniq, sidx = np.unique(seeds, return_inverse=True)
    sidx = sidx.astype(np.int64)
    cum, comp = np.zeros(B), np.zeros(B)
    active = np.ones(B, np.bool_)
    div_at = np.zeros(B, np.int64)
    gneg = np.zeros(B, np.int64)
    lrmin, lrmax = np.full(B, np.inf), np.full(B, -np.inf)
    prev_eta = np.zeros((B, d))
    K = len(checkpoints)
    ck_t = np.asarray(checkpoints, np.int64)
    ck_loss = np.full((K, B), np.nan)
    ck_x = np.zeros((K, B, d))
    ck_eta = np.zeros((K, B, d))
    # threads: contiguous slices of whole blocks, one per core (each configuration's arithmetic is the same
    # whatever slice it is in, so the results do not depend on the number of threads)
    n_threads = int(os.environ.get("OCO_NUMBA_THREADS", os.cpu_count() or 1))
    n_blocks = math.ceil(B / BLOCK)
    n_threads = max(1, min(n_threads, n_blocks))
    per = math.ceil(n_blocks / n_threads) * BLOCK
    slices = [slice(i, min(B, i + per)) for i in range(0, B, per)]
    arrays = (sidx, X, cum, comp, active, div_at, gneg, lrmin, lrmax, prev_eta, *S, *C, *H)

    def call(t, n, G, k0):
        def one(sl):
            sx, x, *rest = (a[sl] for a in arrays)
            kernel(t, n, G, k0, sx, x, LO, HI, radius, *rest)

        if len(slices) == 1:
            one(slices[0])
        else:
            list(pool.map(one, slices))

    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(len(slices)) if len(slices) > 1 else None
    # a kernel call runs the rounds up to the next checkpoint (or the end of the data chunk); the host
    # records the checkpoint from the state the call leaves (the kernel itself has no checkpoint code)
    t, k = 1, 0
    while t <= T:
        n = min(CHUNK - (t - 1) % CHUNK, T - t + 1)
        G = np.ascontiguousarray(np.stack([problem.data(int(s), t, n) for s in uniq]).reshape(len(uniq), n, d))
        end = t + n - 1
        while t <= end:
            stop = min(end, int(ck_t[k])) if k < K else end
            call(t, stop - t + 1, G, t - (end - n + 1))
            if k < K and stop == ck_t[k]:
                ck_loss[k] = np.where(active, cum + comp, np.nan)
                ck_x[k] = X
                ck_eta[k] = prev_eta
                k += 1
            t = stop + 1
        if progress is not None:
            progress(n)
    if pool is not None:
        pool.shutdown()
    ck_lr = np.quantile(ck_eta, LR_QUANTILES, axis=2).transpose(1, 2, 0)
    return finish(problem, method, h, seeds, T, X, domain, checkpoints, cum + comp, active, div_at, gneg,
                  lrmin, lrmax, ck_loss, ck_x, ck_lr)
