"""The elementary operations the pieces use, by name.

The pieces in ``pieces.py`` call these names as module globals; a backend rebinds them (``rebind``) to its
own implementations — NumPy ufuncs here, scalar functions in a compiled kernel, torch functions on a GPU —
so the same piece source runs on every backend.
"""

from __future__ import annotations

import numpy as np

where = np.where
sqrt = np.sqrt
maximum = np.maximum
minimum = np.minimum
absolute = np.abs
sign = np.sign
clip = np.clip
log = np.log
cos = np.cos
floor = np.floor

NAMES = ("where", "sqrt", "maximum", "minimum", "absolute", "sign", "clip", "log", "cos", "floor")


def lerp(a, b, w):
    """torch.lerp(a, b, w) = a + w(b − a), evaluated as ATen does on each side of w = ½."""
    return where(w < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))
