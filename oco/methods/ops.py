"""The elementary operations the pieces use, by name.

The pieces in ``pieces.py`` call these names as module globals; a backend rebinds them (``rebind``) to its
own implementations — NumPy ufuncs here, scalar functions in a compiled kernel, torch functions on a GPU —
so the same piece source runs on every backend.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

where = np.where
sqrt = np.sqrt
maximum = np.maximum
minimum = np.minimum
absolute = np.abs
sign = np.sign
clip = np.clip
floor = np.floor
logaddexp = np.logaddexp  # log(e^a + e^b); NumPy's loop calls the C library's exp and log1p (no SIMD)

NAMES = ("where", "sqrt", "maximum", "minimum", "absolute", "sign", "clip", "log", "cos", "floor", "exp",
         "logaddexp", "power")


# ---------------------------------------------------------------- exp, log, cos and pow: the C library's
# NumPy's float64 exp, log, cos and power run SIMD loops on CPUs with AVX-512 (SVML's algorithms) that differ
# from the C library's functions in the last bit for a few per cent of the inputs — and so differ between CPU
# kinds and from a compiled kernel, which calls the C library. These four apply math.exp/log/cos/pow (the C
# library's functions) to every element, so the NumPy engine, the numba kernels and a scalar Python reference
# compute the same numbers on every machine. Where the math function raises instead of returning an IEEE value
# (log of 0 or of a negative number, cos(±∞), pow(0, y < 0), pow(x < 0, non-integer y), an overflow), the
# value is NumPy's (−∞, NaN, ±∞, with NumPy's warning), which is the C library's too. Scalars (the round t, a
# constant) stay scalars; an array whose elements are all the same bits (a hyperparameter shared by the batch)
# costs one call. Otherwise each element is a Python-level call (~0.1 µs, against ~1 ns in NumPy's loop).


def _each(fn, args: list) -> np.ndarray:
    """fn (a math function) on every element of float64 arrays of one shape."""
    flat = (a.ravel().tolist() for a in args)
    return np.frombuffer(array("d", map(fn, *flat))).reshape(args[0].shape)


def _uniform(a: np.ndarray) -> bool:
    """Every element the same bits (−0.0 and 0.0 differ: pow and log tell them apart)."""
    bits = a.view(np.uint64)
    return a.size > 1 and bool((bits == bits.flat[0]).all())


def _libm(fn, ufunc, fast):
    """The op: fn elementwise where ``fast(*args)`` says fn cannot raise; elsewhere fn, or ufunc's value where
    fn raises."""

    def one(*args) -> float:
        try:
            return fn(*args)
        except (ValueError, OverflowError):
            return float(ufunc(*map(np.float64, args)))

    def op(*args):
        if all(type(a) in (float, int) for a in args):
            return np.float64(one(*args))
        arrays = [np.asarray(a, dtype=float) for a in args]
        if all(a.ndim == 0 or _uniform(a) for a in arrays):
            shape = np.broadcast_shapes(*(a.shape for a in arrays))
            value = one(*(float(a.flat[0]) for a in arrays))
            return np.float64(value) if shape == () else np.full(shape, value)
        arrays = np.broadcast_arrays(*arrays)
        with np.errstate(all="ignore"):
            ok = fast(*arrays)
        if ok.all():
            return _each(fn, arrays)
        out = _each(fn, [np.where(ok, a, 1.0) for a in arrays])
        rest = ~ok
        out[rest] = _each(one, [a[rest] for a in arrays])
        return out

    op.__name__ = op.__qualname__ = fn.__name__
    return op


def _pow_fast(a, b):
    """Where math.pow returns: a > 0, or a < 0 with an integer b, and |b log2|a|| <= 1000 (no overflow); or
    0^(b > 0)."""
    no_overflow = np.abs(b * np.log2(np.abs(a))) <= 1000.0
    return (no_overflow & ((a > 0) | (b == np.floor(b)))) | ((a == 0) & (b > 0))


exp = _libm(math.exp, np.exp, lambda x: ~(x > 709.0))  # e^709 < DBL_MAX; math.exp(NaN) is NaN
log = _libm(math.log, np.log, lambda x: ~(x <= 0.0))  # math.log(NaN) is NaN, of +∞ +∞
cos = _libm(math.cos, np.cos, lambda x: ~np.isinf(x))
power = _libm(math.pow, np.power, _pow_fast)
exp.__doc__ = "e^x elementwise: math.exp (the C library's) on every element; +∞ where it overflows."
log.__doc__ = "ln x elementwise: math.log on every element; −∞ at ±0, NaN below 0 (NumPy's values)."
cos.__doc__ = "cos x elementwise: math.cos on every element; NaN at ±∞."
power.__doc__ = ("a^b elementwise, a and b broadcast: math.pow (the C library's pow) on every pair; ±∞ at a "
                 "pole or an overflow, NaN for a negative base and a non-integer exponent (NumPy's values).")


def lerp(a, b, w):
    """torch.lerp(a, b, w) = a + w(b − a), evaluated as ATen does on each side of w = ½."""
    return where(w < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))
