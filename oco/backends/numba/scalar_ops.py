"""The scalar operations every kernel calls: NumPy's ufuncs on float64 scalars, value for value (``where``,
``sqrt``, ``maximum`` and ``minimum`` NaN-propagating, ``sign``, ``clip``, ``exp``, ``log``, ``cos``,
``power``, ``logaddexp``), ``rowsum`` (np.sum's pairwise summation, bit for bit) and the block copies a kernel
makes with plain loops.

The kernels import this module's text, not this file: the text heads the shared module written to the kernel
cache (``oco.backends.numba.shared``), whose name is the hash of its source. So these functions are compiled
and cached under ``OCO_CACHE`` with the kernels that call them (numba would cache this file's next to it, and
keys no entry on NUMBA_OPT), and a change here renames that module, which every kernel imports: every kernel
recompiles (numba's cache of a kernel does not notice a change in a function it calls from another file).
"""

import math

import numpy as np
from llvmlite import ir as _ir
from numba import njit
from numba.core import cgutils as _cgutils
from numba.core import types as _types
from numba.extending import intrinsic as _intrinsic


@njit(cache=True, error_model='numpy')
def where(c, a, b):
    return a if c else b


@njit(cache=True, error_model='numpy')
def sqrt(x):
    return math.sqrt(x)


@njit(cache=True, error_model='numpy')
def maximum(a, b):  # NaN-propagating, as np.maximum
    return a if (a >= b or a != a) else b  # noqa: PLR0124 (a != a: NaN)


@njit(cache=True, error_model='numpy')
def minimum(a, b):
    return a if (a <= b or a != a) else b  # noqa: PLR0124 (a != a: NaN)


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


# block copies as plain loops: NumPy slicing and slice assignment inside a kernel cost seconds of compilation
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
