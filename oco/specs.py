"""Method specs: how a run names its methods, on the command line (``-m SPEC``) and in ``oco.simulate``.

    adam, adam:torch               a row of the table, in the run's convention or the one given
    FILE.py:NAME                   a method defined in a Python file (NAME: a Method, or a function returning one)
    package.module:NAME            the same, from an importable module
    torch:DOTTED.PATH              a torch.optim.Optimizer subclass, e.g. torch:torch.optim.Adam
    optax:DOTTED.FACTORY           an optax GradientTransformation factory, e.g. optax:optax.adam

A user method is built with ``oco.methods.Method`` from pieces (oco's own, ``oco.methods.pieces``, or the user's
elementwise functions of named arguments) and is checked when it is built, as the table's rows are. Every
resolution failure is a ValueError with one line.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from .methods import Method, get_method, method_names


def resolve(spec, convention: str = "paper"):
    """A Method (a table row or the user's) or a ``oco.foreign.Foreign`` for ``spec`` (text or an instance)."""
    from .foreign import PREFIXES, Foreign

    if isinstance(spec, (Method, Foreign)):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"method must be a name, a spec or an oco Method, got {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise ValueError("the method is empty: name one (see 'oco list') or give FILE.py:NAME")
    left, sep, right = text.partition(":")
    if sep and left in PREFIXES:
        return load_foreign(text)
    if sep and left.lower() not in method_names():
        return load_user(text)
    return get_method(left.lower(), (right or convention).lower())


def is_builtin(m: Method) -> bool:
    """A row of oco's own table (not a user's method of the same name)."""
    from .methods import registry

    return registry().get(m.key) is m


@functools.lru_cache(maxsize=None)
def load_foreign(spec: str):
    from . import foreign

    return foreign.load(spec)


@functools.lru_cache(maxsize=None)
def load_user(spec: str) -> Method:
    """FILE.py:NAME or package.module:NAME → the Method it names (NAME may be a function returning one)."""
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise ValueError(f"a method from Python is FILE.py:NAME or package.module:NAME, got {spec!r}")
    module = _module_of(where, spec)
    if not hasattr(module, name):
        from .hints import did_you_mean

        known = [k for k in vars(module) if not k.startswith("_")]
        raise ValueError(f"{where} defines no {name!r}{did_you_mean(name, known)}")
    obj = getattr(module, name)
    if inspect.isfunction(obj) and not _takes_arguments(obj):
        try:
            obj = obj()
        except TypeError as e:  # a wiring error, raised by Method naming the row
            raise ValueError(f"{spec}: {e}") from None
    if not isinstance(obj, Method):
        what = f"a function of ({', '.join(inspect.signature(obj).parameters)})" if inspect.isfunction(obj) \
            else f"a {type(obj).__name__}"
        raise ValueError(f"{spec} is {what}, not an oco method (an oco.methods.Method, or a function of no "
                         "arguments returning one)")
    return obj


def _takes_arguments(fn) -> bool:
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in inspect.signature(fn).parameters.values())


def _module_of(where: str, spec: str):
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise ValueError(f"{spec}: no such file {where}")
        name = f"oco_user_{abs(hash(str(path.resolve())))}"
        loader_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module  # the numba backend reads the pieces' source through their module
        try:
            loader_spec.loader.exec_module(module)
        except TypeError as e:  # a Method built wrong raises TypeError naming the row
            del sys.modules[name]
            raise ValueError(f"{where}: {e}") from None
        except Exception as e:  # noqa: BLE001 (the user's file: say what it raised, in one line)
            del sys.modules[name]
            raise ValueError(f"{where} raised {type(e).__name__}: {e}") from None
        return module
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as e:
        raise ValueError(f"{spec}: no module named {e.name!r}") from None
    except TypeError as e:
        raise ValueError(f"{where}: {e}") from None
