"""The numba backend: a compiled CPU kernel generated from the method table.

For a row of the table and a run's fixed choices (schedules, boolean options, the feasible set, which
hyperparameters are equal across the batch, the problem's declared loss) the backend writes the source of a
kernel module, compiles it with numba and runs it from the host loop:

    scalar_ops.py   the scalar operations the kernels call (NumPy's ufuncs on float64 scalars, value for
                    value; exp, log, cos and pow the C library's, as ``oco.methods.ops``; np.sum's pairwise
                    sum)
    shared.py       the shared module every kernel imports: those operations and the source of every piece
                    of the table (``inspect.getsource``: nothing is written twice by hand)
    emit.py         ``Emitter``: a kernel module's source — its ``clock`` (the batch's shared clock) and its
                    ``kernel`` (the rounds for a slice of the batch, in blocks of configurations)
    forms.py        the kernel's rounds in one of three forms: fused by round, split by configuration, passes
    cache.py        the modules on disk under ``OCO_CACHE`` (~/.cache/oco), named by the hash of their source;
                    numba caches their machine code beside them
    runner.py       the host side: the batch's arrays, the kernel called from ``oco.loop.host_loop``
    ahead.py        kernels compiled in worker processes while this one runs (``oco.backends.compile_ahead``)

The arithmetic is the NumPy engine's, operation for operation, so results agree with it bit for bit.
"""

from __future__ import annotations

from ..compiled import CompileError, compiled_loss
from .cache import is_cached
from .emit import kernel_source


def supports(problem, domain) -> str | None:
    """Why this backend cannot run the problem (None when it can)."""
    if compiled_loss(problem) is None:
        return f"problem {problem.name!r} computes its loss in NumPy code of its own (no declared loss piece)"
    if domain.kind not in ("box", "ball", "none"):
        return f"domain {domain.kind!r}"
    return None


def run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """The numba counterpart of ``oco.engine.run``: same arguments, same Result. A piece numba cannot compile
    (a user's, outside the subset numba supports) raises ``CompileError`` before any round has run."""
    import numba

    from .runner import run_kernels

    try:
        return run_kernels(problem, method, h, seeds, T, x0, domain, checkpoints, progress)
    except (numba.core.errors.NumbaError, OSError) as e:  # OSError: a piece whose source inspect cannot read
        first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
        raise CompileError(first[:200]) from None


def cached(problem, method, h, seeds, x0, domain) -> bool:
    """The run's kernel is compiled and cached on disk already (nothing is imported or compiled to tell)."""
    try:
        source = kernel_source(problem, method, h, seeds, x0, domain)
    except (OSError, TypeError):  # a user's piece whose source cannot be read
        return False
    return is_cached(source)
