"""The analyses: what oco finds out about methods by running them, one module each, one pattern for all.

    check    a verdict per (method, problem) on the papers' counterexamples   ``oco check``
    diff     a short gradient sequence on which two methods' iterates part    ``oco diff``
    bounds   the published regret bounds, evaluated on a run's quantities     ``oco run`` (dashed)
    zhang    Zhang et al.'s divergence region in closed form                  ``oco reproduce zhang-n10``

The pattern (``check`` shows it whole): a library function that checks its input (a ValueError of one line),
runs, and returns a report — a dataclass holding the evidence, which prints itself (``text``), gives its
JSON document (``to_dict``) and writes its files to a folder (``write``), and draws nothing; its figures are
functions of the report in ``oco.plots``; the command in ``cli.py`` parses options, calls the function,
prints, writes and sets the exit status. ``ANALYSES`` below names each for ``oco list`` and ``oco show NAME``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Analysis:
    """An analysis as ``oco list`` and ``oco show NAME`` know it: its name, one line, and the function
    ("module:function", imported when called) that gives ``oco show NAME``'s text."""

    name: str
    summary: str
    describer: str

    def describe(self) -> str:
        module, _, function = self.describer.partition(":")
        return getattr(importlib.import_module(module), function)()


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("check", "a verdict per method and counterexample: fails, converges or inconclusive (oco check)",
             "oco.analyses.check:describe"),
    Analysis("diff", "where two methods part: a short gradient sequence on which their iterates differ "
                     "(oco diff)", "oco.analyses.diff:describe"),
    Analysis("bounds", "the published regret bounds, evaluated on a run's own quantities (oco run, dashed)",
             "oco.analyses.bounds:describe_all"),
)}
