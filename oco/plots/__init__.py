"""Figures from a run or sweep folder, from in-memory Results and from ``oco check``'s verdicts (matplotlib, no
display needed: figures are drawn on ``Figure`` objects and saved, never shown). They sit on top of the numbers:
the command layer (``oco.cli``, ``oco.experiments``) computes, then asks this package to draw; nothing below
imports it.

- ``run``: a run's figures (regret, iterate, learning rate, expected-loss gap; ``plot_results`` is
  ``oco.plot``); ``sweep``: a sweep's heat maps (``heatmap``: the grid's values as coordinates) with their
  ``overlays`` (``zhang``: Zhang et al.'s region and runaway cells); ``check``: ``oco check``'s figures.
- ``record``: what a figure draws, as data — the rows of the csv beside it; ``sidecars``: writing a figure with
  its csv and its JSON sidecar (what it shows, how to make it again); ``formats``: the formats oco writes.
- ``folders``: a run or sweep folder read for its figures, checked; ``drawer``: who draws a folder's figures —
  here (``plot_folder``) or a ``Drawer`` process forked before the computation, so that matplotlib's import
  overlaps it; ``processes``: a folder's figures shared with a forked child.
- ``layout`` and ``ticks``: panels placed without a layout engine, and cheaper ticks of the same look.

No module here imports matplotlib when it is imported (but ``ticks``, which the figures import as they draw):
``import oco.plots`` is cheap, and a process that hands its figures to a ``Drawer`` never imports it.
"""

from __future__ import annotations

from .check import VERDICT_COLORS, check_figure, matrix_figure, plot_check
from .drawer import Drawer, plot_folder
from .folders import load_run, read_sweep_csv, results_config, run_data
from .formats import FORMATS, check_format, pgf_unavailable
from .grid import GridAxis, grid_axis
from .heatmap import heatmap_axes
from .layout import LAYOUT_PAD
from .overlays import Curve, Region
from .record import CORE_COLUMNS, CSV_COLUMNS, figure_rows, panel_names
from .run import RUN_FIGURES, median_band, plot_results, plot_run, run_figure
from .sidecars import save_figure
from .sweep import OVERLAYS, plot_sweep, sweep_cells

__all__ = [
    "CORE_COLUMNS", "CSV_COLUMNS", "FORMATS", "LAYOUT_PAD", "OVERLAYS", "RUN_FIGURES", "VERDICT_COLORS", "Curve",
    "Drawer", "GridAxis", "Region", "check_figure", "check_format", "figure_rows", "grid_axis", "heatmap_axes",
    "load_run", "matrix_figure", "median_band", "panel_names", "pgf_unavailable", "plot_check", "plot_folder", "plot_results",
    "plot_run", "plot_sweep", "read_sweep_csv", "results_config", "run_data", "run_figure", "save_figure",
    "sweep_cells",
]
