"""oco — an online-convex-optimization regret simulator built on Reddi, Kale & Kumar's Algorithm 1.

    >>> import oco
    >>> r = oco.simulate("reddi-online", "adam", T=2000, alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")
    >>> r.x_final.tolist()
    [[0.06698092970410591]]

``oco.simulate`` runs methods on a problem, ``oco.sweep`` a grid of them (a pandas DataFrame), ``oco.plot``
draws Results as ``oco run`` draws its figures; ``oco.check`` and ``oco.diff`` are the analyses of
``oco check`` and ``oco diff`` (``oco.analyses``). The names below load their modules on first use, so that
``import oco`` (and the ``oco`` command's ``--help``) does not import NumPy.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys

__version__ = "0.1.0"


class _CheckoutLayout(importlib.abc.MetaPathFinder):
    """The design card keeps ``problems/`` and ``cli.py`` at the top of the repository; an installed copy has
    them as ``oco.problems`` and ``oco.cli`` (setup.py). From a source checkout (``pip install -e .``, or
    Python started in the repository) this finder gives them the same names, and only those two."""

    def __init__(self, root: str):
        self.root = root

    def find_spec(self, name, path=None, target=None):
        if name == "oco.cli":
            return importlib.util.spec_from_file_location(name, os.path.join(self.root, "cli.py"))
        if name == "oco.problems":
            folder = os.path.join(self.root, "problems")
            return importlib.util.spec_from_file_location(
                name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        return None


_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not os.path.isdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "problems")) and os.path.isfile(
        os.path.join(_root, "cli.py")) and os.path.isfile(os.path.join(_root, "problems", "__init__.py")):
    sys.meta_path.insert(0, _CheckoutLayout(_root))

_EXPORTS = {
    "simulate": "oco.api",
    "check": "oco.analyses.check",
    "diff": "oco.analyses.diff",
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
__all__ = [*_EXPORTS, "sweep"]


def sweep(problem, methods=None, *, plot: bool = True, fmt: str = "png", **options):
    """``oco sweep`` from Python: ``oco.sweeps.sweep(problem, methods, **options)`` — the sweep as a pandas
    DataFrame, and with ``out=DIR`` the folder's data files — then, with ``out`` and ``plot``, the folder's
    figures in the format ``fmt`` (``--plot/--no-plot`` and ``--format``), drawn as ``oco sweep`` draws them;
    ``fmt`` is checked (pgf needs LaTeX) before anything is computed. The numbers never import the figures:
    this is where the two meet, as in the command layer."""
    from . import plots, sweeps

    plots.check_format(fmt)
    out = options.get("out")
    drawer = plots.Drawer.start() if plot and out is not None else None  # matplotlib imported meanwhile
    try:
        frame = sweeps.sweep(problem, methods, **options)
        if drawer is not None:
            drawer.plot_folder(out, fmt)
    finally:
        if drawer is not None:
            drawer.close()
    return frame


def __getattr__(name: str):
    if name in _EXPORTS:
        module, _, attr = _EXPORTS[name].partition(":")
        value = getattr(importlib.import_module(module), attr or name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'oco' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
