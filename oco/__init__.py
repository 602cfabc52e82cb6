"""oco — an online-convex-optimization regret simulator built on Reddi, Kale & Kumar's Algorithm 1.

    >>> import oco
    >>> r = oco.simulate("reddi-online", "adam", T=2000, alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")
    >>> r.x_final.tolist()
    [[0.06698092970410591]]

``oco.simulate`` runs methods on a problem, ``oco.sweep`` a grid of them (a pandas DataFrame), ``oco.plot``
draws Results as ``oco run`` draws its figures. The names below load their modules on first use, so that ``import oco`` (and the ``oco`` command's
``--help``) does not import NumPy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "simulate": "oco.api",
    "sweep": "oco.sweeps",
    "check": "oco.suite",
    "BACKENDS": "oco.api",
    "get_method": "oco.methods",
    "method_names": "oco.methods",
    "CONVENTIONS": "oco.methods",
    "Box": "oco.projections",
    "Ball": "oco.projections",
    "Unconstrained": "oco.projections",
    "make_domain": "oco.projections",
    "Result": "oco.result",
    "plot": "oco.plots:plot_results",
    "Method": "oco.methods",
    "P": "oco.methods",
    "Hyper": "oco.methods",
    "pieces": "oco.methods",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module, _, attr = _EXPORTS[name].partition(":")
        value = getattr(importlib.import_module(module), attr or name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'oco' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
