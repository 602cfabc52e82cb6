import os
import tempfile

# Compiled kernels in tests: a private cache, and LLVM's quick optimisation level (the arithmetic is the
# same: no fast-math at any level), so the backend matrix compiles in seconds rather than minutes.
os.environ.setdefault("OCO_CACHE", tempfile.mkdtemp(prefix="oco-test-cache-"))
os.environ.setdefault("NUMBA_OPT", "0")
os.environ.setdefault("OCO_NUMBA_THREADS", "2")  # two slices even for small batches: the threaded path is tested
os.environ.setdefault("MPLBACKEND", "Agg")
