"""The kernel cache on disk: every generated module is written once under ``OCO_CACHE`` (default
~/.cache/oco), in ``kernels/``, named by the hash of its source, and imported from there; numba keeps the
machine code of its functions (``cache=True``) beside it, in ``kernels/__pycache__``.

A module file is never rewritten: numba stamps its cache entries with the file's modification time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

_LOADED: dict[str, object] = {}  # key → the module imported in this process


def key(source: str) -> str:
    """A module's key: the first 20 hex digits of its source's SHA-256."""
    return hashlib.sha256(source.encode()).hexdigest()[:20]


def cache_dir() -> Path:
    """``$OCO_CACHE/kernels`` (default ~/.cache/oco/kernels), created if missing."""
    root = Path(os.environ.get("OCO_CACHE", Path.home() / ".cache" / "oco"))
    path = root / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(source: str, prefix: str) -> tuple[str, Path]:
    """The module's key and file ``PREFIX_KEY.py``, written once (atomically: a temporary file renamed)."""
    k = key(source)
    path = cache_dir() / f"{prefix}_{k}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    return k, path


def load(source: str, prefix: str = "oco_kernel"):
    """The module of this source, written (``write``) and imported once per process; numba compiles its
    functions on first call, or loads their machine code from its cache."""
    k = key(source)
    if k in _LOADED:
        return _LOADED[k]
    k, path = write(source, prefix)
    spec = importlib.util.spec_from_file_location(f"{prefix}_{k}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _LOADED[k] = module
    return module


def is_cached(source: str, prefix: str = "oco_kernel") -> bool:
    """The module of this source is imported here, or numba has cached its ``kernel`` on disk."""
    k = key(source)
    return k in _LOADED or any((cache_dir() / "__pycache__").glob(f"{prefix}_{k}.kernel-*.nbi"))
