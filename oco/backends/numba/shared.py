"""The shared module every kernel imports: the scalar operations (``scalar_ops.py``'s text) and the source of
every piece of the method table, of the helpers they call, of the weighted-ball projection and of every
built-in problem's loss piece (``inspect.getsource``: nothing is written twice by hand). Written to the kernel
cache under a name that carries the hash of its source, compiled function by function on first use and
cached once for all kernels, so that a method's first kernel compiles only its own two functions.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from pathlib import Path

from ... import projections
from ...methods import schedules
from ...methods import ops, pieces
from .cache import key, load

SCALAR_OPS = Path(__file__).with_name("scalar_ops.py")


def source_of(fn) -> str:
    """A function's source, compiled as the kernels' functions are (``cache=True``, NumPy's error model)."""
    return "@njit(cache=True, error_model='numpy')\n" + textwrap.dedent(inspect.getsource(fn))


def shared_functions() -> list:
    """The functions every kernel may call, compiled once into the shared module: the table's pieces, the
    helpers they call, the weighted-ball projection and the built-in problems' loss pieces."""
    from oco.problems import base, ddim, logistic, stochastic

    fns = [f for f in vars(pieces).values() if inspect.isfunction(f) and f.__module__ == pieces.__name__]
    return [*fns, ops.lerp, schedules.sgdr_position, projections.weighted_ball_row, base.linear,
            ddim.quadratic, logistic.logistic, stochastic.zhang]


@functools.lru_cache(maxsize=1)
def shared_source() -> str:
    """The shared module's source: the scalar operations, then ``shared_functions``."""
    return SCALAR_OPS.read_text() + "\n\n" + "\n\n".join(source_of(f) for f in shared_functions()) + "\n"


def shared_name() -> str:
    """The shared module's name, ``oco_ops_KEY``: the hash of ``shared_source``, so a change to any part of it
    renames it and every kernel that imports it."""
    return "oco_ops_" + key(shared_source())


def load_shared():
    """The shared module, written to the kernel cache and imported (what a kernel's ``import`` finds)."""
    return load(shared_source(), prefix="oco_ops")


def helpers(used) -> list:
    """The functions the used pieces call (lerp, ema_sq inside ams, …), found by name in their code."""
    pool = {**{n: f for n, f in vars(pieces).items() if inspect.isfunction(f)}, "lerp": ops.lerp,
            "sgdr_position": schedules.sgdr_position}
    out, todo = {}, list(used)
    while todo:
        fn = todo.pop()
        for n in fn.__code__.co_names:
            if n in pool and n not in out and pool[n] is not fn:
                out[n] = pool[n]
                todo.append(pool[n])
    return [f for n, f in out.items() if f not in used]
