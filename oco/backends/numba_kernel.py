"""A compiled CPU backend generated from the method table.

For a row of the table (and the run's fixed choices: schedules, boolean options, the feasible set, which
hyperparameters are equal across the batch, the problem's declared loss) this module writes the source of a
kernel module — importing the shared module (``shared_module``: the scalar operations of ``ops`` and the
source of every piece of the table and every built-in problem's loss piece, ``inspect.getsource``: nothing is
written twice by hand, compiled on first use and cached once for all kernels), the source of a user's own
pieces or loss, and two functions:

    clock(t0, n, W, ...)    the clock pieces that read only names shared by the whole batch (α_t = α/√t for
                            one α, β^t for one β): once per round, not once per configuration, into the rows
                            of W — run by the host on its data thread, ahead of the kernel
    kernel(t0, n, G, ...)   the rounds t0..t0+n−1 for a slice of the batch, in one of three forms:

    fused, by round (d = 1, many configurations; the sweeps):
        for each block of ``CONFIG_BLOCK`` configurations:
            for each round:  for each configuration of the block:      (LLVM vectorises across the block)
                the per-configuration clock, f and g (the loss piece), φ, ψ, η, x̂, projection, loss
                (compensated), diagnostics
        First without the divergence masks; if any value comes out non-finite, the block starts over from
        its copies with them (a configuration that diverges stops there, as in the engine).
    split, by configuration (d = 1, a handful of configurations; one run is a latency chain):
        per tile of ``TILE`` rounds, the pieces in three phases (``_phases``): B, the elementwise ones
        (vectorised across the rounds: the square roots and divisions), then C, those that read the
        iterate, interleaved with A, the state's recurrences, for the next tile.
    passes (any d, the ball): per round, a pass per step over the block (clock, loss and gradient per
        configuration — the sum over coordinates as NumPy's pairwise sum, ``rowsum`` — pieces per
        coordinate, projection, commit).

— then compiles it with numba (``cache=True``: kernels are cached on disk under ``OCO_CACHE`` or
~/.cache/oco). The arithmetic is the NumPy engine's, operation for operation, so results agree with it bit
for bit (exp, log, cos and pow are the C library's on both sides: ``oco.methods.ops``); the compensated loss
uses TwoSum, whose error term is the exact rounding error of each addition, as Neumaier's in the engine.
Inside a kernel, block copies are plain loops (NumPy slicing there costs seconds of compilation).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import math
import os
import sys
import textwrap
from pathlib import Path

import numpy as np

from .. import projections
from ..methods import schedules
from ..methods import Method, ops, pieces

CONFIG_BLOCK = 128  # configurations a kernel block holds (vectorised across them)
TILE = 256  # rounds per tile of the split form
CONFIG_ORDER_BELOW = 8  # fewer configurations than this run configuration by configuration
CHUNK = 1 << 16

SCALAR_OPS = '''
import math
import numpy as np
from llvmlite import ir as _ir
from numba import njit
from numba.core import cgutils as _cgutils, types as _types
from numba.extending import intrinsic as _intrinsic


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


floor = math.floor


def _libm(name, arity):
    # A call of the C library's float64 function ``name``, declared nobuiltin: LLVM leaves the call as it is
    # (no pow(0.5, y) -> exp2(-y) or pow(x, 0.5) -> sqrt(x) at -O3, no vectorised SVML variant), so the value
    # is math.<name>'s, as oco.methods.ops computes it on NumPy arrays. (numba's math.pow squares repeatedly
    # for an integer exponent, and llvm.pow is rewritten: neither is the C library's pow.)
    def typer(typingctx, *args):
        if not all(isinstance(a, (_types.Float, _types.Integer)) for a in args):
            return None

        def codegen(context, builder, sig, llargs):
            d = _ir.DoubleType()
            fn = _cgutils.get_or_insert_function(builder.module, _ir.FunctionType(d, [d] * arity), name)
            fn.attributes.add('nobuiltin')
            xs = [context.cast(builder, v, t, _types.float64) for v, t in zip(llargs, sig.args)]
            return builder.call(fn, xs)
        return _types.float64(*args), codegen
    if arity == 1:
        return _intrinsic(lambda typingctx, x: typer(typingctx, x))
    return _intrinsic(lambda typingctx, x, y: typer(typingctx, x, y))


_c_exp, _c_log, _c_cos, _c_log1p = (_libm(name, 1) for name in ('exp', 'log', 'cos', 'log1p'))
_c_pow = _libm('pow', 2)


@njit(cache=True, error_model='numpy')
def exp(x):
    return _c_exp(x)


@njit(cache=True, error_model='numpy')
def log(x):
    return _c_log(x)


@njit(cache=True, error_model='numpy')
def cos(x):
    return _c_cos(x)


@njit(cache=True, error_model='numpy')
def power(a, b):
    return _c_pow(a, b)


@njit(cache=True, error_model='numpy')
def logaddexp(x, y):  # NumPy's npy_logaddexp, branch for branch
    if x == y:
        return x + 0.6931471805599453
    tmp = x - y
    if tmp > 0:
        return x + _c_log1p(_c_exp(-tmp))
    if tmp <= 0:
        return y + _c_log1p(_c_exp(tmp))
    return tmp


@njit(cache=True, error_model='numpy')
def _block(a, lo, n):  # NumPy's pairwise_sum on at most 128 elements: 8 accumulators
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, error_model='numpy')
def rowsum(a, n):  # np.sum(a[:n]), bit for bit: 0 + NumPy's pairwise sum (halves above 128, blocks below)
    if n <= 128:
        return 0.0 + _block(a, 0, n)
    # the halving recursion, on an explicit stack (numba cannot cache a recursive function)
    s_lo = np.empty(128, np.int64)
    s_n = np.empty(128, np.int64)
    s_step = np.zeros(128, np.int64)
    val = np.empty(128)
    s_lo[0], s_n[0], top, nv = 0, n, 1, 0
    while top > 0:
        i = top - 1
        m = s_n[i]
        half = m // 2 - (m // 2) % 8
        if m <= 128:
            val[nv] = _block(a, s_lo[i], m)
            nv += 1
            top -= 1
        elif s_step[i] < 2:  # push the left half, then the right
            s_lo[top] = s_lo[i] + (half if s_step[i] == 1 else 0)
            s_n[top] = (m - half) if s_step[i] == 1 else half
            s_step[top] = 0
            s_step[i] += 1
            top += 1
        else:
            val[nv - 2] = val[nv - 2] + val[nv - 1]
            nv -= 1
            top -= 1
    return 0.0 + val[0]


# block copies as plain loops: NumPy slicing and slice assignment inside the kernel cost seconds of compilation
@njit(cache=True, error_model='numpy')
def take(a, lo, hi):  # a[lo:hi].copy()
    out = np.empty(hi - lo, a.dtype)
    for i in range(hi - lo):
        out[i] = a[lo + i]
    return out


@njit(cache=True, error_model='numpy')
def put(dst, i0, src, j0, n):  # dst[i0:i0+n] = src[j0:j0+n]
    for i in range(n):
        dst[i0 + i] = src[j0 + i]


@njit(cache=True, error_model='numpy')
def column(a, lo, hi):  # a[lo:hi, 0].copy()
    out = np.empty(hi - lo)
    for i in range(hi - lo):
        out[i] = a[lo + i, 0]
    return out


@njit(cache=True, error_model='numpy')
def put_column(dst, lo, src, n):  # dst[lo:lo+n, 0] = src[:n]
    for i in range(n):
        dst[lo + i, 0] = src[i]


@njit(cache=True, error_model='numpy')
def transpose(a, lo, hi):  # np.ascontiguousarray(a[lo:hi].T)
    out = np.empty((a.shape[1], hi - lo))
    for i in range(hi - lo):
        for j in range(a.shape[1]):
            out[j, i] = a[lo + i, j]
    return out


@njit(cache=True, error_model='numpy')
def untranspose(dst, lo, src, n):  # dst[lo:lo+n] = src[:, :n].T
    for i in range(n):
        for j in range(dst.shape[1]):
            dst[lo + i, j] = src[j, i]


'''


def _source(fn) -> str:
    return "@njit(cache=True, error_model='numpy')\n" + textwrap.dedent(inspect.getsource(fn))


def _shared_functions() -> list:
    """The functions every kernel may call, compiled once into the shared module: the table's pieces, the
    helpers they call, the weighted-ball projection and the built-in problems' loss pieces."""
    from oco.problems import base, ddim, logistic, stochastic

    fns = [f for f in vars(pieces).values() if inspect.isfunction(f) and f.__module__ == pieces.__name__]
    return [*fns, ops.lerp, schedules.sgdr_position, projections.weighted_ball_row, base.linear, ddim.quadratic,
            logistic.logistic, stochastic.zhang]


@functools.lru_cache(maxsize=1)
def _shared_source() -> str:
    return SCALAR_OPS + "\n\n" + "\n\n".join(_source(f) for f in _shared_functions()) + "\n"


def shared_module() -> str:
    """The shared module's name: ``SCALAR_OPS`` and ``_shared_functions``, each compiled on its first use and
    cached on disk, so that a method's first kernel compiles only its own two functions. The name carries the
    hash of the source; ``load(_shared_source(), "oco_ops")`` writes and imports it."""
    return "oco_ops_" + hashlib.sha256(_shared_source().encode()).hexdigest()[:20]


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


def uniform_names(method: Method, h: dict, clock: list, same: set) -> set:
    """The names whose value is one number per round for the whole batch: t, the hyperparameters that are
    equal across it (``same``), and the clock outputs (cstate included) computed from such names only."""
    static = {k for k, v in h.items() if not isinstance(v, np.ndarray)}
    outs = {n for p in clock for names in p.outs for n in names}
    uni = {"t", *static, *same, *outs}
    changed = True
    while changed:  # drop the outputs of every clock piece that reads a per-configuration name
        changed = False
        for p in clock:
            if any(a not in uni for a in p.args):
                drop = {n for names in p.outs for n in names} & uni
                if drop:
                    uni -= drop
                    changed = True
    return uni - static - {"t"}


def layout(method: Method, h: dict, same) -> tuple[list, list, list]:
    """(uniform hyperparameters, uniform cstate, uniform clock outputs), in the order ``clock`` takes them."""
    from ..engine import round_pieces

    clock = round_pieces(method, h)[0]
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    uni = uniform_names(method, h, clock, set(same) & set(numeric))
    uouts = [n for p in clock if all(n in uni for ns in p.outs for n in ns) for ns in p.outs for n in ns]
    return ([k for k in numeric if k in uni], [c for c in method.cstate if c in uni], list(dict.fromkeys(uouts)))


def generate(method: Method, h: dict, domain_kind: str, decay: str, *, same=frozenset(), fused=False,
             order="round", one_seed=False, loss=None) -> str:
    """The kernel module's source for one row and one run's fixed choices.

    same: the numeric hyperparameters equal across the batch; the clock pieces that read only such names
    (α_t = α/√t for one α, β^t for one β) go to ``clock``, once per round instead of once per configuration.
    fused: one coordinate, the whole round in one pass per configuration (d = 1, no ball). order (fused
    only): "round" — for each round, every configuration of a block; "config" — for each configuration, every
    round, in the split form. one_seed: every configuration sees the same data, read once per round.
    loss: the problem's ``Separable`` or ``Margin`` piece (``oco.problems.base``); None: linear, g_t = the data.
    """
    from ..engine import round_pieces

    clock, update = round_pieces(method, h)
    state = list(method.state)
    cstate = list(method.cstate)
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    static = {k: v for k, v in h.items() if not isinstance(v, np.ndarray)}
    uh, ucs, uouts = layout(method, h, same)
    uni = {*uh, *uouts}
    uclock = [p for p in clock if all(n in uni for names in p.outs for n in names)]
    cclock = [p for p in clock if p not in uclock]
    hyper = [k for k in numeric if k not in uni]  # per-configuration hyperparameters
    percs = [c for c in cstate if c not in uni]  # per-configuration clock state
    cnames = list(percs)  # per-configuration clock values
    for p in cclock:
        for names in p.outs:
            cnames += [n for n in names if n not in cnames]

    def arg(name: str, scope: str, buf=()) -> str:
        if name in buf:  # the split form: read from the buffer an earlier phase wrote
            return f"b_{name}"
        if name == "t":
            return "t"
        if name in ("g", "x") and scope != "uclock":
            return {"g": "g", "x": "xb"}[name]
        if name in uni:
            return f"u_{name}"
        if name in state and scope in ("element", "fused"):
            return f"s_{name}"
        if name in hyper:
            return f"p_{name}" if scope == "fused" else f"H_{name}_[ii]"
        if name in cnames:
            return f"c_{name}[ii]" if scope == "element" else f"cs_{name}"
        if name in static:
            return repr(static[name])
        return f"e_{name}"

    def call(p, scope: str, buf=()) -> list[str]:
        args = ", ".join(arg(a, scope, buf) for a in p.args)
        tmp = [f"_o{k}" for k in range(len(p.outs))]
        lines = [f"{', '.join(tmp)} = {p.fn.__name__}({args})"]
        for tv, names in zip(tmp, p.outs):
            for n in names:
                lines.append(f"{arg(n, scope)} = {tv}")
        return lines

    used = {p.fn for p in (*clock, *update)}
    # the table's pieces and the scalar operations come compiled from the shared module; a user's pieces and
    # the problem's loss piece are compiled here
    form = Loss(loss)
    own = [*_helpers(used), *sorted(used, key=lambda f: f.__name__), form.piece]
    src = [f"import math\nimport numpy as np\nfrom numba import njit\nfrom {shared_module()} import *\n\n\n"]
    src += [_source(fn) + "\n" for fn in own if fn is not None and fn not in _shared_functions()]

    sig = ["t0", "n", "G", "k0", "W", "sidx", "X", "LO", "HI", "radius",
           "cum", "comp", "active", "div_at", "gneg", "lrmin", "lrmax", "prev_eta"]
    sig += [f"S_{s}" for s in state] + [f"C_{c}" for c in cstate] + [f"H_{k}" for k in numeric]
    # the clock of the names shared by the whole batch runs apart (``clock``, on the host's data thread):
    # one pass over a chunk of rounds into the rows of W, which the kernel reads
    src.append("@njit(nogil=True, cache=True, error_model='numpy')\ndef clock(t0, n, W, UC"
               + "".join(f", H_{k}" for k in uh) + "):\n")
    src.append("\n".join("    " + ln for ln in [
        *[f"u_{k} = H_{k}[0]" for k in uh],
        *[f"u_{c} = UC[{i}]" for i, c in enumerate(ucs)],
        "for k in range(n):",
        "    t = t0 + k",
        *["    " + ln for p in uclock for ln in call(p, "uclock")],
        *[f"    W[{i}, k] = u_{c}" for i, c in enumerate(uouts)],
        *[f"UC[{i}] = u_{c}" for i, c in enumerate(ucs)],
        "return",
    ]) + "\n\n\n")
    body = [
        "B, d = X.shape",
        "lo0 = LO[0]",
        "hi0 = HI[0]",
        *[f"u_{k} = H_{k}[0]" for k in uh],
        *[f"U_{c} = W[{i}]" for i, c in enumerate(uouts)],
    ]
    per_config = ["cum", "comp", "lrmin", "lrmax", "sidx", "div_at", "gneg", "active"]
    # Every block works on its own copies, so LLVM sees no aliasing and vectorises across the block.
    copies = [
        *[f"{v}_ = take({v}, lo, hi)" for v in per_config],
        *[f"H_{k}_ = take(H_{k}, lo, hi)" for k in hyper],
        *[f"c_{c} = np.empty({CONFIG_BLOCK})" for c in cnames],
        *[f"put(c_{c}, 0, C_{c}, lo, nbk)" for c in percs],
    ]
    body += [
        f"nb = (B + {CONFIG_BLOCK} - 1) // {CONFIG_BLOCK}",
        "for blk in range(nb):",
        f"    lo = blk * {CONFIG_BLOCK}",
        f"    hi = min(B, lo + {CONFIG_BLOCK})",
        "    nbk = hi - lo",
        *["    " + ln for ln in copies],
    ]
    if fused:
        body += ["    " + ln for ln in _fused(clock=cclock, update=update, state=state, percs=percs, hyper=hyper,
                                                 uouts=uouts, call=call, arg=arg, domain_kind=domain_kind,
                                                 decay=decay, order=order, one_seed=one_seed,
                                                 copies=copies, form=form)]
        back = [f"    put_column({a}, lo, {b}, nbk)" for a, b in (("X", "x_"), ("prev_eta", "prev_"),
                                                                   *[(f"S_{s}", f"S_{s}_") for s in state])]
    else:
        body += ["    " + ln for ln in _passes(cclock, update, state, percs, cnames, uouts, call, arg,
                                                 domain_kind, decay, form, one_seed)]
        back = [f"    untranspose({a}, lo, {b}, nbk)" for a, b in (("X", "x_"), ("prev_eta", "prev_"),
                                                                   *[(f"S_{s}", f"S_{s}_") for s in state])]
    body += [  # write the block back
        *[f"    put({v}, lo, {v}_, 0, nbk)" for v in per_config if v != "sidx"],
        *[f"    put(C_{c}, lo, c_{c}, 0, nbk)" for c in percs],
        *back,
    ]
    # nogil: the host runs slices of the batch on threads of its own (numba's prange kernels ran slower here)
    src.append("@njit(nogil=True, cache=True, error_model='numpy')\ndef kernel(" + ", ".join(sig) + "):\n")
    src.append("\n".join("    " + ln for ln in body) + "\n")
    return "".join(src)


class Loss:
    """The kernel's lines for f_t and ∇f_t, from the problem's declared loss (``oco.problems.base``): linear
    (g_t is the data), separable (a piece per coordinate, the data in ``fields`` blocks of d columns) or
    margin (a piece of z = y⟨a, x⟩, the data row (a, y)). Sums over coordinates are NumPy's (``rowsum``)."""

    def __init__(self, loss):
        from oco.problems.base import LINEAR, Margin

        self.kind = "linear" if loss is None or loss is LINEAR else (
            "margin" if isinstance(loss, Margin) else "separable")
        self.piece = None if self.kind == "linear" else loss.piece
        self.fields = getattr(loss, "fields", 1)

    def width(self, d: int) -> int:
        """Data columns per round."""
        return d + 1 if self.kind == "margin" else self.fields * d

    def scalar(self, xi: list[str]) -> list[str]:
        """d = 1: f and g from x and the round's data values ``xi`` (names or expressions)."""
        if self.kind == "linear":
            return ["f = g * x"]
        if self.kind == "separable":
            return [f"f, g = {self.piece.__name__}(x, {', '.join(xi)})"]
        return [f"f, dl_ = {self.piece.__name__}({xi[1]} * (0.0 + {xi[0]} * x))", f"g = ({xi[1]} * dl_) * {xi[0]}"]

    def rows(self, row: str) -> list[str]:
        """Any d: for each configuration ii of the block, loss[ii] and the gradient gr[j, ii] (row: the
        configuration's data row in G)."""
        if self.kind == "separable":
            cols = ", ".join(f"{row}, {k} * d + j]" for k in range(self.fields))
            inner = [f"fv_, gv_ = {self.piece.__name__}(x_[j, ii], {cols})", "pr[j] = fv_", "gr[j, ii] = gv_"]
            return ["for j in range(d):", *["    " + ln for ln in inner], "loss[ii] = rowsum(pr, d)"]
        dot = ["for j in range(d):", f"    pr[j] = {row}, j] * x_[j, ii]"]
        if self.kind == "linear":
            return [*dot, "loss[ii] = rowsum(pr, d)"]
        return [*dot, f"y_ = {row}, d]", f"fv_, dl_ = {self.piece.__name__}(y_ * rowsum(pr, d))",
                "c_ = y_ * dl_", "for j in range(d):", f"    gr[j, ii] = c_ * {row}, j]", "loss[ii] = fv_"]


def _outs(p) -> set:
    return {n for names in p.outs for n in names}


def _phases(pieces: list, carried: set, coupled: bool):
    """Split a round's pieces into A, B, C for the split form, or None where the order forbids it.

    C reads the iterate — directly, through a name computed from it, or through a state such a piece
    writes. A is the rest that carries state from round to round, with what it reads. B is the remainder:
    elementwise in the round, so LLVM vectorises it across rounds.
    """
    xdep = {"x", "xb"} | ({"g"} if coupled else set())
    changed = True
    while changed:
        changed = False
        for p in pieces:
            if set(p.args) & xdep and not _outs(p) <= xdep:
                xdep |= _outs(p)
                changed = True
    C = [p for p in pieces if set(p.args) & xdep]
    A = [p for p in pieces if p not in C and _outs(p) & carried]
    for p in reversed(pieces):  # what an A piece reads is computed in A
        if p not in C and p not in A and any(_outs(p) & set(q.args) for q in A):
            A.append(p)
    A = [p for p in pieces if p in A]
    B = [p for p in pieces if p not in A and p not in C]
    # a later phase reads a name at the end of an earlier phase's round: no earlier-phase piece may write
    # it after the reader in the round's order
    phase = {id(p): i for i, ps in enumerate((A, B, C)) for p in ps}
    for i, p in enumerate(pieces):
        for q in pieces[i + 1:]:
            if phase[id(q)] < phase[id(p)] and _outs(q) & set(p.args):
                return None
    return A, B, C


def _fused(clock, update, state, percs, hyper, uouts, call, arg, domain_kind, decay, order, one_seed, copies,
           form):
    """One coordinate (d = 1, the counterexamples): a configuration's whole round on scalars, in one pass —
    or, for one configuration at a time, in the split form (``_phases``)."""
    arrays = {"x_c": "x_", "a_": "active_", "dv": "div_at_", "cu": "cum_", "co": "comp_", "lmin": "lrmin_",
              "lmax": "lrmax_", "gn": "gneg_", "pe": "prev_", **{f"s_{s}": f"S_{s}_" for s in state},
              **{f"cs_{c}": f"c_{c}" for c in percs}}
    load = [f"{v} = {a}[ii]" for v, a in arrays.items()] + [f"p_{k} = H_{k}_[ii]" for k in hyper]
    store = [f"{a}[ii] = {v}" for v, a in arrays.items()]
    m = form.width(1)
    linear = form.kind == "linear"
    xi = ["g"] if linear else [f"xi{c}" for c in range(m)]  # the round's data values
    rows = "0" if one_seed else "sidx_[ii]"
    rnd = ["t = t0 + k", *[f"u_{c} = U_{c}[k0 + k]" for c in uouts],
           *[f"{v} = G[{rows}, k0 + k, {c}]" for c, v in enumerate(xi)]]

    def iterate(pieces, buf=(), fast=False) -> list[str]:
        """The round from the iterate on: the loss, the pieces that read x, projection, divergence, commit."""
        out = ["x = x_c", *form.scalar(xi)]
        if decay == "coupled":
            out.append(f"g = g + {arg('weight_decay', 'fused', buf)} * x")
        out.append(f"xb = x * (1.0 - {arg('a', 'fused', buf)} * {arg('weight_decay', 'fused', buf)})"
                   if decay == "decoupled" else "xb = x")
        for p in pieces:
            out += call(p, "fused", buf)
        xh = arg("xhat", "fused", buf)
        if domain_kind == "box":  # bounds are finite: a cheap clamp, and a NaN step is caught by the check
            project = [f"xh_ = min(max({xh}, lo0), hi0)", f"ok_ = math.isfinite(f) & ({xh} == {xh})"]
        else:
            project = [f"xh_ = {xh}", "ok_ = math.isfinite(f) & math.isfinite(xh_)"]
        e = f"e = {arg('eta', 'fused', buf)}"
        twosum = ["s = cu + f", "bb = s - cu", "co += (cu - (s - bb)) + (f - bb)", "cu = s"]
        if fast:  # every configuration running, and (checked) every value finite: no masks
            return out + project + [e, "nbad += 0 if (ok_ & (e == e)) else 1", *twosum, "x_c = xh_",
                                    "lmin = e if e < lmin else lmin", "lmax = e if e > lmax else lmax",
                                    "gn += 1 if e > pe else 0", "pe = e"]
        # divergence: a configuration whose loss or next iterate is not finite stops here (& rather than
        # and: no branches, so LLVM vectorises)
        return out + project + [
            e,
            "dv = t if (a_ & (not ok_)) else dv",
            "a_ = a_ & ok_",
            "f = f if a_ else 0.0",
            # the loss, compensated: TwoSum's error term is the exact rounding error, as Neumaier's in the engine
            *twosum,
            "x_c = xh_ if a_ else x",
            "lmin = e if (a_ & ((e < lmin) | (e != e))) else lmin",  # NaN-propagating, as np.minimum
            "lmax = e if (a_ & ((e > lmax) | (e != e))) else lmax",
            "gn += 1 if (a_ & (e > pe)) else 0",  # pe starts at +inf: round 1 never counts
            "pe = e",
        ]

    out = [
        *[f"{a} = column({v}, lo, hi)" for a, v in (("x_", "X"), ("prev_", "prev_eta"))],
        *[f"S_{s}_ = column(S_{s}, lo, hi)" for s in state],
    ]
    pieces = [*clock, *update]
    if order == "round":
        gather = [] if one_seed else [
            "for ii in range(nbk):",  # gather first: an indexed load in the loop stops vectorisation
            *[f"    gb{c}[ii] = G[sidx_[ii], k0 + k, {c}]" for c in range(m)],
        ]

        def rounds(body):
            return [
                "for k in range(n):",
                *["    " + ln for ln in rnd[:-m] + (rnd[-m:] if one_seed else []) + gather],
                "    for ii in range(nbk):",
                *([f"        {v} = gb{c}[ii]" for c, v in enumerate(xi)] if not one_seed else []),
                *["        " + ln for ln in body],
            ]

        quick = [ln for ln in load if not ln.startswith(("a_ ", "dv "))]
        # optimistic: the block's rounds without the divergence masks; should any value come out non-finite,
        # the block starts over from its copies (the caller's arrays are untouched until the write-back)
        # with them
        return out + [
            *[f"gb{c} = np.empty({CONFIG_BLOCK})" for c in range(m)],
            "fast = True",
            "for ii in range(nbk):",
            "    fast = fast & active_[ii]",
            "if fast:",
            "    nbad = 0",
            *["    " + ln for ln in rounds(quick + iterate(pieces, fast=True) + [
                ln for ln in store if not ln.startswith(("active_", "div_at_"))])],
            "    if nbad > 0:",
            "        fast = False",
            *["        " + ln for ln in copies + out],
            "if not fast:",
            *["    " + ln for ln in rounds(load + iterate(pieces) + store)],
        ]
    phases = _phases(pieces, {*state, *percs}, decay == "coupled" or not linear)  # g from x: non-linear
    if phases is None:  # plain: every round whole
        return out + [
            "for ii in range(nbk):",
            *["    " + ln for ln in load],
            "    for k in range(n):",
            *["        " + ln for ln in rnd + iterate(pieces)],
            *["    " + ln for ln in store],
        ]
    # split: per tile of rounds, B (vectorised), then C of this tile interleaved with A of the next, so
    # the state's recurrences and the iterate's run side by side
    A, B, C = phases
    a_out, b_out = set().union(*map(_outs, A)), set().union(*map(_outs, B))
    read_b = {n for p in B for n in p.args}
    read_c = {n for p in C for n in p.args} | {"eta", "xhat", "a", "weight_decay"}
    buf_a = sorted(a_out & (read_b | read_c))
    buf_b = sorted(b_out & read_c)

    def phase_a(slot):
        return rnd + [ln for p in A for ln in call(p, "fused")] + [
            f"BA_{n}[{slot}, kk] = {arg(n, 'fused')}" for n in buf_a]

    return out + [
        *[f"BA_{n} = np.empty((2, {TILE}))" for n in buf_a],
        *[f"BB_{n} = np.empty({TILE})" for n in buf_b],
        "for ii in range(nbk):",
        *["    " + ln for ln in load],
        f"    nn = min({TILE}, n)",
        "    for kk in range(nn):",
        "        k = kk",
        *["        " + ln for ln in phase_a(0)],
        f"    for tile in range((n + {TILE} - 1) // {TILE}):",
        f"        k0_ = tile * {TILE}",
        f"        nn = min({TILE}, n - k0_)",
        "        cur = tile & 1",
        "        for kk in range(nn):",
        "            k = k0_ + kk",
        *["            " + ln for ln in rnd],
        *[f"            b_{n} = BA_{n}[cur, kk]" for n in buf_a],
        *["            " + ln for p in B for ln in call(p, "fused", set(buf_a))],
        *[f"            BB_{n}[kk] = {arg(n, 'fused', set(buf_a))}" for n in buf_b],
        f"        n1 = n - k0_ - {TILE}",
        "        for kk in range(nn):",
        "            if kk < n1:",
        f"                k = k0_ + {TILE} + kk",
        *["                " + ln for ln in phase_a("1 - cur")],
        "            k = k0_ + kk",
        *["            " + ln for ln in rnd],
        *[f"            b_{n} = BA_{n}[cur, kk]" for n in buf_a],
        *[f"            b_{n} = BB_{n}[kk]" for n in buf_b],
        *["            " + ln for ln in iterate(C, set(buf_a) | set(buf_b))],
        *["    " + ln for ln in store],
    ]


def _passes(clock, update, state, percs, cnames, uouts, call, arg, domain_kind, decay, form, one_seed):
    """Any number of coordinates (and the ball): a round in passes over the block — the clock per
    configuration, the pieces per coordinate, the projection, then the commit."""
    body = [
        *[f"S_{s}_ = transpose(S_{s}, lo, hi)" for s in state],
        "x_ = transpose(X, lo, hi)",
        "prev_ = transpose(prev_eta, lo, hi)",
        f"xh = np.empty((d, {CONFIG_BLOCK}))",
        f"et = np.empty((d, {CONFIG_BLOCK}))",
        f"loss = np.empty({CONFIG_BLOCK})",
        f"gb = np.empty({CONFIG_BLOCK})",
        "pr = np.empty(d)",
        f"gr = np.empty((d, {CONFIG_BLOCK}))",
        f"ok = np.empty({CONFIG_BLOCK}, dtype=np.bool_)",
        f"up = np.empty({CONFIG_BLOCK}, dtype=np.bool_)",
        "xr = np.empty(d)",
        "for k in range(n):",
        "    t = t0 + k",
        *[f"    u_{c} = U_{c}[k0 + k]" for c in uouts],
        "    for ii in range(nbk):",
        *[f"        cs_{c} = c_{c}[ii]" for c in percs],
    ]
    for p in clock:  # the per-configuration clock, on scalars, kept for the element loop
        body += ["        " + ln for ln in call(p, "clock")]
    body += [f"        c_{c}[ii] = cs_{c}" for c in cnames] or ["        pass"]
    # the loss (summed over coordinates as NumPy sums) and, for a non-linear problem, the gradient
    row = "G[0, k0 + k" if one_seed else "G[sidx_[ii], k0 + k"
    body += ["    for ii in range(nbk):", *["        " + ln for ln in form.rows(row)]]
    body += ["    for j in range(d):"]
    if form.kind == "linear":
        body += [
            "        for ii in range(nbk):",  # gather first: an indexed load in the loop stops vectorisation
            "            gb[ii] = G[sidx_[ii], k0 + k, j]",
            "        for ii in range(nbk):",
            "            g = gb[ii]",
        ]
    else:
        body += ["        for ii in range(nbk):", "            g = gr[j, ii]"]
    body += ["            x = x_[j, ii]"]
    if decay == "coupled":
        body.append(f"            g = g + {arg('weight_decay', 'element')} * x")
    body.append(f"            xb = x * (1.0 - {arg('a', 'element')} * {arg('weight_decay', 'element')})"
                if decay == "decoupled" else "            xb = x")
    body += [f"            s_{s} = S_{s}_[j, ii]" for s in state]
    for p in update:
        body += ["            " + ln for ln in call(p, "element")]
    body += [f"            S_{s}_[j, ii] = s_{s}" for s in state]
    body += [
        f"            xh[j, ii] = {arg('xhat', 'element')}",
        f"            et[j, ii] = {arg('eta', 'element')}",
    ]
    if domain_kind == "box":
        body += ["    for j in range(d):", "        for ii in range(nbk):",
                 "            xh[j, ii] = clip(xh[j, ii], LO[j], HI[j])"]
    elif domain_kind == "ball":
        body += [
            "    for ii in range(nbk):",
            "        nn = 0.0",
            "        for j in range(d):",
            "            nn += xh[j, ii] * xh[j, ii]",
            "        if math.sqrt(nn) > radius:",
            "            weighted_ball_row(np.ascontiguousarray(xh[:, ii]), 1.0 / et[:, ii], radius, xr)",
            "            for j in range(d):",
            "                xh[j, ii] = xr[j]",
        ]
    body += [
        # divergence: a configuration whose loss or next iterate is not finite stops here
        "    for ii in range(nbk):",
        "        ok[ii] = math.isfinite(loss[ii])",
        "        up[ii] = False",
        "    for j in range(d):",
        "        for ii in range(nbk):",
        "            ok[ii] = ok[ii] & math.isfinite(xh[j, ii])",
        "    for ii in range(nbk):",
        "        div_at_[ii] = t if (active_[ii] & (not ok[ii])) else div_at_[ii]",
        "        active_[ii] = active_[ii] & ok[ii]",
        "        f = loss[ii] if active_[ii] else 0.0",
        "        s = cum_[ii] + f",
        "        bb = s - cum_[ii]",
        "        comp_[ii] += (cum_[ii] - (s - bb)) + (f - bb)",
        "        cum_[ii] = s",
        "    for j in range(d):",
        "        for ii in range(nbk):",
        "            e = et[j, ii]",
        "            a_ = active_[ii]",
        "            x_[j, ii] = xh[j, ii] if a_ else x_[j, ii]",
        "            lrmin_[ii] = minimum(lrmin_[ii], e) if a_ else lrmin_[ii]",
        "            lrmax_[ii] = maximum(lrmax_[ii], e) if a_ else lrmax_[ii]",
        "            up[ii] = up[ii] | (e > prev_[j, ii])",
        "            prev_[j, ii] = e",
        "    for ii in range(nbk):",  # η_0 = +∞: round 1 never counts
        "        gneg_[ii] += 1 if (active_[ii] & up[ii]) else 0",
    ]
    return body


def _cache_dir() -> Path:
    root = Path(os.environ.get("OCO_CACHE", Path.home() / ".cache" / "oco"))
    path = root / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


_LOADED: dict[str, object] = {}


def _write(source: str, prefix: str) -> tuple[str, Path]:
    """The module's key (its content's hash) and file, written once: never rewritten, since numba's cache
    entries are stamped with the file's modification time."""
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    path = _cache_dir() / f"{prefix}_{key}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    return key, path


def load(source: str, prefix: str = "oco_kernel"):
    """Write the kernel module (named by its content's hash) and import it (its ``clock`` and ``kernel``);
    numba caches their machine code."""
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    if key in _LOADED:
        return _LOADED[key]
    key, path = _write(source, prefix)
    spec = importlib.util.spec_from_file_location(f"{prefix}_{key}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _LOADED[key] = module
    return module


def supports(problem, domain) -> str | None:
    """Why this backend cannot run the problem (None when it can)."""
    from . import compiled_loss

    if compiled_loss(problem) is None:
        return f"problem {problem.name!r} computes its loss in NumPy code of its own (no declared loss piece)"
    if domain.kind not in ("box", "ball", "none"):
        return f"domain {domain.kind!r}"
    return None


def run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """The numba counterpart of ``oco.engine.run``: same arguments, same Result. A piece numba cannot compile
    (a user's, outside the subset numba supports) raises ``CompileError`` before any round has run."""
    import numba

    from . import CompileError

    try:
        return _run(problem, method, h, seeds, T, x0, domain, checkpoints, progress)
    except (numba.core.errors.NumbaError, OSError) as e:  # OSError: a piece whose source inspect cannot read
        first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
        raise CompileError(first[:200]) from None


def shared_hypers(h: dict) -> frozenset:
    """The numeric hyperparameters equal across the batch (their clock pieces run once per round)."""
    return frozenset(k for k, v in h.items() if isinstance(v, np.ndarray) and np.all(v == v.flat[0]))


def kernel_source(problem, method, h, seeds, x0, domain) -> str:
    """The source of the kernel module a run needs (its form follows from the settings: d, the feasible set,
    the batch size, shared hyperparameters, one data seed or several)."""
    from . import compiled_loss

    B, d = x0.shape
    wd = h.get("weight_decay") if method.engine_decay else None
    decay = "none"
    if wd is not None and np.any(wd != 0):
        decay = "decoupled" if h.get("decoupled_weight_decay", False) else "coupled"
    same = shared_hypers(h)
    # one coordinate: the whole round in one pass — round by round across a block of configurations
    # (vectorised), or, for a handful of configurations, configuration by configuration (a latency chain:
    # the state stays in registers)
    fused = d == 1 and domain.kind != "ball"
    order = "config" if B < CONFIG_ORDER_BELOW else "round"
    return generate(method, h, domain.kind, decay, same=same, fused=fused, order=order,
                    one_seed=len(np.unique(seeds)) == 1, loss=compiled_loss(problem))


def compile_only(problem, method, h, seeds, x0, domain) -> None:
    """Compile (or load from the cache) the kernel a run with these arguments needs, running no round."""
    _run(problem, method, h, seeds, 0, x0, domain, np.zeros(0, np.int64))


def _compile_pickled(blob: bytes) -> bool:
    """``compile_only`` in a worker process, on arguments pickled by the parent: what cannot be unpickled
    here (a user's method loaded from a file, which a new process cannot import by name) is a False, not a
    worker that dies and breaks the pool."""
    import pickle

    try:
        args = pickle.loads(blob)
    except Exception:
        return False
    compile_only(*args)
    return True


class Ahead:
    """Kernels compiled ahead, in worker processes, while this process runs (``oco.backends.compile_ahead``).

    Of the jobs (``oco.api.Job``) that will run on numba with a kernel not cached yet (one per distinct
    kernel), this process compiles the first as it runs it; the others go to ``cores − 1`` worker processes
    (numba compiles on one core, holding the GIL: threads would not help), which leave them in the disk
    cache. ``ready(job)`` before a job runs: a kernel no worker has started is compiled here (taken back
    from the queue); one a worker is compiling is waited for — while this process compiles another queued
    one. A worker's failure (a user's piece that cannot be pickled or compiled) only means this process
    compiles that kernel itself, as it would have. Nothing is done where it would not pay: fewer than two
    kernels to compile, one core, or kernels that cannot be cached (NUMBA_OPT=0, the tests' setting).
    """

    def __init__(self, jobs):
        self.pending: dict[int, tuple] = {}
        self.pool = None
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if cores < 2 or not any(j.runner is not None and j.runner.name == "numba" for j in jobs):
            return
        import numba

        if numba.config.OPT == 0:
            return
        need, seen = [], set()
        for job in jobs:
            if job.runner is None or job.runner.name != "numba" or supports(job.problem, job.domain):
                continue
            args = (job.problem, job.method, job.h, job.seeds, job.x0, job.domain)
            try:
                source = kernel_source(*args)
            except (OSError, TypeError):  # a user's piece whose source cannot be read
                continue
            key = hashlib.sha256(source.encode()).hexdigest()[:20]
            if key not in seen and not cached(*args):
                seen.add(key)
                need.append((job, args, source))
        if len(need) < 2:
            return
        # every module file written here first: a file written twice would invalidate numba's cache entries
        _write(_shared_source(), "oco_ops")
        for _, _, source in need:
            _write(source, "oco_kernel")
        import multiprocessing
        import pickle
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(min(cores - 1, len(need) - 1), multiprocessing.get_context("spawn"))
        for job, args, _ in need[1:]:
            try:
                blob = pickle.dumps(args)
            except Exception:  # a user's piece defined in a script: this process compiles it as it runs
                continue
            self.pending[id(job)] = (args, self.pool.submit(_compile_pickled, blob))

    def ready(self, job) -> None:
        """Before ``job`` runs: its kernel is cached, or is this process's to compile."""
        _, future = self.pending.pop(id(job), (None, None))
        if future is None or future.cancel():
            return
        while not future.done():  # a worker has it: meanwhile, take back a queued one and compile it here
            other = next((k for k, (_, f) in self.pending.items() if f.cancel()), None)
            if other is None:
                break
            self._here(self.pending.pop(other)[0])
        try:
            future.result()
        except Exception:  # the worker could not (nor unpickle it: False): this process compiles it as it runs
            pass

    @staticmethod
    def _here(args) -> None:
        try:
            compile_only(*args)
        except Exception:  # the job itself will meet it again, and say so
            pass

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def cached(problem, method, h, seeds, x0, domain) -> bool:
    """The run's kernel is compiled and cached on disk already (nothing is imported or compiled to tell)."""
    try:
        source = kernel_source(problem, method, h, seeds, x0, domain)
    except (OSError, TypeError):  # a user's piece whose source cannot be read
        return False
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    return key in _LOADED or any((_cache_dir() / "__pycache__").glob(f"oco_kernel_{key}.kernel-*.nbi"))


def _run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    from ..engine import Tallies, Traces, finish, init_env
    from ..result import lr_quantiles
    from . import compiled_loss

    B, d = x0.shape
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    same = shared_hypers(h)
    uniq, sidx = np.unique(seeds, return_inverse=True)
    loss = compiled_loss(problem)
    m = Loss(loss).width(d)  # data columns per round
    load(_shared_source(), prefix="oco_ops")  # what the kernel imports
    module = load(kernel_source(problem, method, h, seeds, x0, domain))
    X = np.array(x0, dtype=float)
    env = init_env(method, h, X)
    S = [np.ascontiguousarray(env[s]) for s in method.state]
    C = [np.ascontiguousarray(env[c][:, 0]) for c in method.cstate]
    H = [np.ascontiguousarray(h[k][:, 0]) for k in numeric]
    if domain.kind == "box":
        LO = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.lo, float), (d,)))
        HI = np.ascontiguousarray(np.broadcast_to(np.asarray(domain.hi, float), (d,)))
    else:
        LO = HI = np.zeros(d)
    radius = float(getattr(domain, "radius", 0.0))

    sidx = sidx.astype(np.int64)
    cum, comp = np.zeros(B), np.zeros(B)
    active = np.ones(B, np.bool_)
    div_at = np.zeros(B, np.int64)
    gneg = np.zeros(B, np.int64)
    lrmin, lrmax = np.full(B, np.inf), np.full(B, -np.inf)
    prev_eta = np.full((B, d), np.inf)  # Γ_t: round 1 has no η_0 to exceed
    K = len(checkpoints)
    ck_t = np.asarray(checkpoints, np.int64)
    ck_loss = np.full((K, B), np.nan)
    ck_x = np.zeros((K, B, d))
    ck_eta = np.zeros((K, B, d))
    # threads: contiguous slices of whole blocks, one per core (each configuration's arithmetic is the same
    # whatever slice it is in, so the results do not depend on the number of threads)
    n_threads = int(os.environ.get("OCO_NUMBA_THREADS", os.cpu_count() or 1))
    n_blocks = math.ceil(B / CONFIG_BLOCK)
    n_threads = max(1, min(n_threads, n_blocks))
    per = math.ceil(n_blocks / n_threads) * CONFIG_BLOCK
    slices = [slice(i, min(B, i + per)) for i in range(0, B, per)]
    uh, ucs, uouts = layout(method, h, same)
    UC = np.array([float(method.cstate[c]) for c in ucs] + [0.0])
    UH = [np.ascontiguousarray(h[k][:, 0]) for k in uh]
    arrays = (sidx, X, cum, comp, active, div_at, gneg, lrmin, lrmax, prev_eta, *S, *C, *H)

    def call(t, n, G, W, k0):
        def one(sl):
            sx, x, *rest = (a[sl] for a in arrays)
            module.kernel(t, n, G, k0, W, sx, x, LO, HI, radius, *rest)

        if len(slices) == 1 or n * B < 1 << 18:  # a short call (early checkpoints): threads would cost more
            for sl in slices:
                one(sl)
        else:
            list(pool.map(one, slices))

    def fetch(t, n):
        """The data of rounds t..t+n−1 and the batch's shared clock for them (a fresh W: kernels may still
        be reading the last one)."""
        if len(uniq) == 1:  # no copy where the problem hands out a contiguous view
            G = np.ascontiguousarray(np.asarray(problem.data(int(uniq[0]), t, n), float).reshape(1, n, m))
        else:
            G = np.ascontiguousarray(np.stack([problem.data(int(s), t, n) for s in uniq]).reshape(len(uniq), n, m))
        G = G.view()
        G.flags.writeable = False  # always read-only: one compiled signature whether or not the data is a view
        W = np.empty((len(uouts), n))
        module.clock(t, n, W, UC, *UH)
        return G, W

    if T == 0:  # compile only (``Ahead``): both functions typed for this run's arguments, no round run
        call(1, 0, *fetch(1, 1), 0)
        return None

    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(len(slices)) if len(slices) > 1 else None
    # the next chunk of data is made on a thread of its own while the kernels run (they release the GIL)
    starts = list(range(1, T + 1, CHUNK))
    with ThreadPoolExecutor(1) as io:
        ahead = io.submit(fetch, 1, min(CHUNK, T))
        # a kernel call runs the rounds up to the next checkpoint (or the end of the data chunk); the host
        # records the checkpoint from the state the call leaves (the kernel itself has no checkpoint code)
        t, k = 1, 0
        for i, t1 in enumerate(starts):
            n = min(CHUNK, T - t1 + 1)
            G, W = ahead.result()
            if i + 1 < len(starts):
                ahead = io.submit(fetch, starts[i + 1], min(CHUNK, T - starts[i + 1] + 1))
            end = t1 + n - 1
            while t <= end:
                stop = min(end, int(ck_t[k])) if k < K else end
                call(t, stop - t + 1, G, W, t - t1)
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
    ck_lr = lr_quantiles(ck_eta)
    tallies = Tallies(cum, comp, active, div_at, gneg, lrmin, lrmax)
    return finish(problem, method, h, seeds, T, X, domain, checkpoints, tallies, Traces(ck_loss, ck_x, ck_lr))
