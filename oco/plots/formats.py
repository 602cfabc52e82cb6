"""The figure formats oco writes (``FORMATS``), and whether one can be written here (pgf needs LaTeX)."""

from __future__ import annotations

import shutil

FORMATS = ("png", "svg", "pdf", "pgf")
DPI = 130


def pgf_unavailable() -> str | None:
    """Why pgf cannot be written here, in one line (None when it can). matplotlib's pgf backend measures every
    text with LaTeX (``rcParams['pgf.texsystem']``, xelatex by default) while it writes the .pgf, so it needs
    that program even though the .pgf is compiled later, by the document that includes it."""
    from matplotlib import rcParams

    tex = rcParams["pgf.texsystem"]
    if shutil.which(tex) is None:
        return (f"pgf needs {tex}, which is not installed: matplotlib's pgf backend measures every label "
                f"with LaTeX; install {tex} (TeX Live) or use pdf or svg (each figure's .csv has its data "
                "for pgfplots)")
    return None


def check_format(fmt: str) -> None:
    """A one-line ValueError for a figure format oco cannot write here: not one of FORMATS, or pgf without
    LaTeX."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    why = pgf_unavailable() if fmt == "pgf" else None
    if why:
        raise ValueError(why)
