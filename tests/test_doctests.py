"""Every docstring example of the installed ``oco`` package runs and prints what it says: each module found by
walking ``oco.__path__`` (with ``oco.problems`` and ``oco.cli``), and the package itself. A module whose
optional imports are missing (torch, dask, …) is skipped, and so is one whose examples use a missing optional
package (pandas); ``oco.__main__`` runs the command when imported, so it is not walked."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import oco
import oco.problems  # in a source tree, oco's finder gives it: it is not on oco.__path__

MODULES = sorted({"oco", "oco.cli", "oco.problems",
                  *(m.name for m in pkgutil.walk_packages(oco.__path__, "oco.") if not m.name.endswith("__main__")),
                  *(m.name for m in pkgutil.walk_packages(oco.problems.__path__, "oco.problems."))})

# optional packages the examples use
EXAMPLES_NEED = {"oco.sweeps.api": "pandas", "oco.sweeps.summary": "pandas", "oco.result": "pandas"}


def test_the_walk_finds_the_installed_layout():
    assert {"oco.api", "oco.sweeps", "oco.result", "oco.problems", "oco.cli"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in EXAMPLES_NEED and importlib.util.find_spec(EXAMPLES_NEED[name]) is None:
        pytest.skip(f"{name}: its examples need {EXAMPLES_NEED[name]}")
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        pytest.skip(f"{name}: optional import missing ({e})")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see above)"
