"""A figure's frame: a row of panels (``figure_row``) placed by ``row_layout`` (measured once, drawn once)
instead of a layout engine, which took most of a run figure's time; its title, colours, legends and notes."""

from __future__ import annotations

import textwrap

from .formats import DPI


def figure_row(ncols: int = 1, width: float = 6.4, height: float = 4.2, layout: str | None = "constrained"):
    """A Figure of ``ncols`` panels in a row. ``layout=None``: no layout engine; place the panels with
    ``row_layout`` once they are drawn (the run figures: a layout engine costs most of a figure's time)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout=layout, dpi=DPI)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


LAYOUT_PAD = 0.07  # inches between a panel's decorations and the figure's edge, the title or the next panel


def row_layout(fig, axes: list, title=None) -> None:
    """Place a row of drawn panels (with ``title``, the figure's suptitle Text, above them) the way
    matplotlib's constrained layout does for this layout, without its engine: each panel's decorations (tick
    labels, axis labels, offset text: ``Axis.get_tightbbox``) are measured, and the panels, of equal size, get
    just the room they need, LAYOUT_PAD apart. Measured again only where the tick labels change once the
    panels are placed (their number can depend on a panel's size). The figure is then drawn once, with the
    ticks and text sizes measured here, where a layout engine draws it twice and measures every panel several
    times."""
    from matplotlib.backends.backend_agg import RendererAgg

    from .ticks import tick_labels  # matplotlib's subclasses: imported when a figure is drawn

    W, H = fig.get_size_inches() * fig.dpi
    renderer = RendererAgg(int(W), int(H), fig.dpi)
    pad = LAYOUT_PAD * fig.dpi
    title_bottom = title.get_window_extent(renderer).y0 if title is not None and title.get_text() else H
    needs = [(0.0, 0.0, 0.0, 0.0)] * len(axes)  # per panel: room (px) left, right, below and above its box
    for _ in range(3):
        labels = [tick_labels(ax) for ax in axes]
        grown = False
        for i, ax in enumerate(axes):
            box = ax.get_position().transformed(fig.transFigure)
            bbs = [b for b in (ax.xaxis.get_tightbbox(renderer, for_layout_only=True),
                               ax.yaxis.get_tightbbox(renderer, for_layout_only=True)) if b is not None]
            if bbs:
                need = (box.x0 - min(b.x0 for b in bbs), max(b.x1 for b in bbs) - box.x1,
                        box.y0 - min(b.y0 for b in bbs), max(b.y1 for b in bbs) - box.y1)
                grown |= any(n > had + 0.5 for n, had in zip(need, needs[i]))
                needs[i] = tuple(max(n, had, 0.0) for n, had in zip(need, needs[i]))
        if not grown:
            return
        bottom = max(n[2] for n in needs) + pad
        top = min(title_bottom - pad, H - pad) - max(n[3] for n in needs)
        width = (W - sum(n[0] + n[1] for n in needs) - pad * (len(axes) + 1)) / len(axes)
        x = pad
        for ax, n in zip(axes, needs):
            x += n[0]
            ax.set_position([x / W, bottom / H, max(width, 1.0) / W, max(top - bottom, 1.0) / H])
            x += width + n[1] + pad
        if [tick_labels(ax) for ax in axes] == labels:  # the same ticks where the panels are now: done
            return


def palette(n: int) -> list:
    """n colours of the tab10 cycle, one per method."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def legend(ax, fontsize: int = 9) -> None:
    """The legend of ``ax``, where something drawn there has a label."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=fontsize)


def note(ax, lines: list[str]) -> None:
    """``lines`` written at the bottom left of ``ax``, in red (what could not be drawn, and why)."""
    if lines:
        ax.text(0.02, 0.02, "\n".join(lines), transform=ax.transAxes, fontsize=8, va="bottom", color="crimson",
                wrap=True)


def wrap(title: str, width: int) -> str:
    """``title`` broken into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(title, width)) if len(title) > width else title


def figure_title(cfg: dict, exp: dict) -> str:
    """An experiment's own title with T and the number of seeds, or one made from the configuration."""
    if not exp.get("title"):
        return default_title(cfg)
    seeds = len(cfg["seeds"])
    return f"{exp['title']};  T = {cfg['T']:,}" + (f", {seeds} seeds" if seeds > 1 else "")


def default_title(cfg: dict) -> str:
    """Problem and the hyperparameters every method shares, e.g. 'reddi-online · β1=0.9, β2=0.99, α/√t'."""
    shared = None
    for m in cfg["methods"]:
        items = {k: v for k, v in m["hyperparameters"].items()
                 if m["sources"].get(k) in ("user", "suggested", "grid")}
        shared = items if shared is None else {k: v for k, v in shared.items() if items.get(k) == v}
    shared = shared or {}
    parts = []
    names = {"alpha": "α", "beta1": "β1", "beta2": "β2", "eps": "ε"}
    alpha, sched = shared.pop("alpha", None), shared.pop("schedule", None)
    if alpha is not None:
        parts.append(f"α_t = {alpha:g}/√t" if sched == "sqrt" else f"α = {alpha:g}")
    elif sched:
        parts.append(f"schedule {sched}")
    for k, v in shared.items():
        if v is None:
            continue
        parts.append(f"{names.get(k, k)} = {v:g}" if isinstance(v, float) else f"{names.get(k, k)} = {v}")
    prob = cfg["problem"]
    pp = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in prob["params"].items())
    head = prob["spec"] + (f" ({pp})" if pp and len(pp) < 40 else "")
    seeds = len(cfg["seeds"])
    tail = f"T = {cfg['T']:,}" + (f", {seeds} seeds" if seeds > 1 else "")
    return f"{head}: " + ", ".join(parts + [tail]) if parts else f"{head}: {tail}"
