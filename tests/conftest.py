import os
import tempfile

# Compiled kernels in tests: a private cache, and LLVM's quick optimisation level (the arithmetic is the
# same: no fast-math at any level), so the backend matrix compiles in seconds rather than minutes.
os.environ.setdefault("OCO_CACHE", tempfile.mkdtemp(prefix="oco-test-cache-"))
os.environ.setdefault("NUMBA_OPT", "0")
os.environ.setdefault("OCO_NUMBA_THREADS", "2")  # two slices even for small batches: the threaded path is tested
os.environ.setdefault("OCO_FIGURE_PROCESSES", "1")  # figures drawn in this process, where the tests read them
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_report_header(config):
    """The suite tests the installed package: say which one, and stop early when there is none."""
    import importlib.util

    import pytest

    spec = importlib.util.find_spec("oco.cli")
    if spec is None:
        pytest.exit("oco is not installed here (or the source tree shadows it): run `pip install .` and then "
                    "`pytest` (not `python -m pytest`) from the repository", returncode=4)
    return f"oco under test: {spec.origin.rsplit('/cli.py', 1)[0]}"
