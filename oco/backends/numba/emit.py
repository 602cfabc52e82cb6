"""The kernel module's source, written by one ``Emitter`` for a row of the table and a run's fixed choices.

A kernel module imports the shared module (``oco.backends.numba.shared``), holds the source of a user's own
pieces or loss piece, and two functions:

    clock(t0, n, W, UC, ...)   the clock pieces that read only names shared by the whole batch (α_t = α/√t
                               for one α, β^t for one β): once per round, not once per configuration, into
                               the rows of W — run by the host on its data thread, ahead of the kernel
    kernel(t0, n, G, ...)      the rounds t0..t0+n−1 for a slice of the batch: blocks of ``CONFIG_BLOCK``
                               configurations, each on its own copies, written back at the end; inside a
                               block one of the forms of ``oco.backends.numba.forms``

The emitter holds what every part reads (the pieces split into the batch's clock and the per-configuration
one, the state, the hyperparameters, the problem's ``Loss``) and names each value in the generated code
(``arg``) and each piece's call (``call``). The source it writes is cached on disk and can be read there on
its own (``oco.backends.numba.cache``).
"""

from __future__ import annotations

import numpy as np

from ...engine import round_pieces
from ...methods import Method
from ..compiled import compiled_loss
from .forms import CONFIG_BLOCK, fused, passes
from .shared import helpers, shared_functions, shared_name, source_of

CONFIG_ORDER_BELOW = 8  # fewer configurations than this run configuration by configuration
KERNEL_ARGS = ["t0", "n", "G", "k0", "W", "sidx", "X", "LO", "HI", "radius",
               "cum", "comp", "active", "div_at", "gneg", "lrmin", "lrmax", "prev_eta"]
PER_CONFIG = ["cum", "comp", "lrmin", "lrmax", "sidx", "div_at", "gneg", "active"]
JIT = "@njit(nogil=True, cache=True, error_model='numpy')"  # nogil: the host runs slices on threads


def indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + ln for ln in lines]


class Loss:
    """The kernel's lines for f_t and ∇f_t, from the problem's declared loss (``oco.problems.base``): linear
    (g_t is the data), separable (a piece per coordinate, the data in ``fields`` blocks of d columns) or
    margin (a piece of z = y⟨a, x⟩, the data row (a, y)). Sums over coordinates are NumPy's (``rowsum``)."""

    def __init__(self, loss):
        from oco.problems.base import LINEAR, Margin

        self.kind = "linear" if loss is None or loss is LINEAR else (
            "margin" if isinstance(loss, Margin) else "separable")
        self.piece = None if self.kind == "linear" else loss.piece
        self.fields = getattr(loss, "fields", 1)

    def width(self, d: int) -> int:
        """Data columns per round."""
        return d + 1 if self.kind == "margin" else self.fields * d

    def scalar(self, xi: list[str]) -> list[str]:
        """d = 1: f and g from x and the round's data values ``xi`` (names or expressions)."""
        if self.kind == "linear":
            return ["f = g * x"]
        if self.kind == "separable":
            return [f"f, g = {self.piece.__name__}(x, {', '.join(xi)})"]
        return [f"f, dl_ = {self.piece.__name__}({xi[1]} * (0.0 + {xi[0]} * x))",
                f"g = ({xi[1]} * dl_) * {xi[0]}"]

    def rows(self, row: str) -> list[str]:
        """Any d: for each configuration ii of the block, loss[ii] and the gradient gr[j, ii] (row: the
        configuration's data row in G)."""
        if self.kind == "separable":
            cols = ", ".join(f"{row}, {k} * d + j]" for k in range(self.fields))
            inner = [f"fv_, gv_ = {self.piece.__name__}(x_[j, ii], {cols})", "pr[j] = fv_", "gr[j, ii] = gv_"]
            return ["for j in range(d):", *indent(inner), "loss[ii] = rowsum(pr, d)"]
        dot = ["for j in range(d):", f"    pr[j] = {row}, j] * x_[j, ii]"]
        if self.kind == "linear":
            return [*dot, "loss[ii] = rowsum(pr, d)"]
        return [*dot, f"y_ = {row}, d]", f"fv_, dl_ = {self.piece.__name__}(y_ * rowsum(pr, d))",
                "c_ = y_ * dl_", "for j in range(d):", f"    gr[j, ii] = c_ * {row}, j]", "loss[ii] = fv_"]


def outs(p) -> set:
    """The names a piece writes."""
    return {n for names in p.outs for n in names}


def shared_hypers(h: dict) -> frozenset:
    """The numeric hyperparameters equal across the batch (their clock pieces run once per round)."""
    return frozenset(k for k, v in h.items() if isinstance(v, np.ndarray) and np.all(v == v.flat[0]))


def uniform_names(h: dict, clock: list, same: set) -> set:
    """The names whose value is one number per round for the whole batch: t, the hyperparameters that are
    equal across it (``same``), and the clock outputs (cstate included) computed from such names only."""
    static = {k for k, v in h.items() if not isinstance(v, np.ndarray)}
    uni = {"t", *static, *same, *(n for p in clock for n in outs(p))}
    changed = True
    while changed:  # drop the outputs of every clock piece that reads a per-configuration name
        changed = False
        for p in clock:
            if any(a not in uni for a in p.args) and outs(p) & uni:
                uni -= outs(p)
                changed = True
    return uni - static - {"t"}


def layout(method: Method, h: dict, same) -> tuple[list, list, list]:
    """(uniform hyperparameters, uniform cstate, uniform clock outputs), in the order ``clock`` takes them."""
    clock = round_pieces(method, h)[0]
    numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
    uni = uniform_names(h, clock, set(same) & set(numeric))
    uouts = [n for p in clock if all(n in uni for ns in p.outs for n in ns) for ns in p.outs for n in ns]
    ucs = [c for c in method.cstate if c in uni]
    return [k for k in numeric if k in uni], ucs, list(dict.fromkeys(uouts))


class Emitter:
    """The kernel module's source for one row and one run's fixed choices.

    same: the numeric hyperparameters equal across the batch; the clock pieces that read only such names go
    to ``clock``, once per round instead of once per configuration. fused: one coordinate, the whole round in
    one pass per configuration (d = 1, no ball). order (fused only): "round" — for each round, every
    configuration of a block; "config" — for each configuration, every round, in the split form. one_seed:
    every configuration sees the same data, read once per round. loss: the problem's ``Separable`` or
    ``Margin`` piece (``oco.problems.base``); None: linear, g_t = the data. decay: "none", "coupled"
    (g + λx) or "decoupled" (x(1 − α_t λ)).
    """

    def __init__(self, method: Method, h: dict, domain_kind: str, decay: str, *, same=frozenset(),
                 fused=False, order="round", one_seed=False, loss=None):
        self.method, self.domain_kind, self.decay = method, domain_kind, decay
        self.fused, self.order, self.one_seed, self.loss = fused, order, one_seed, Loss(loss)
        self.clock, self.update = round_pieces(method, h)
        self.state, self.cstate = list(method.state), list(method.cstate)
        self.numeric = sorted(k for k, v in h.items() if isinstance(v, np.ndarray))
        self.static = {k: v for k, v in h.items() if not isinstance(v, np.ndarray)}
        self.uh, self.ucs, self.uouts = layout(method, h, same)
        self.uni = {*self.uh, *self.uouts}
        self.uclock = [p for p in self.clock if all(n in self.uni for names in p.outs for n in names)]
        self.cclock = [p for p in self.clock if p not in self.uclock]  # the per-configuration clock
        self.hyper = [k for k in self.numeric if k not in self.uni]  # per-configuration hyperparameters
        self.percs = [c for c in self.cstate if c not in self.uni]  # per-configuration clock state
        self.cnames = list(self.percs)  # per-configuration clock values
        for p in self.cclock:
            for names in p.outs:
                self.cnames += [n for n in names if n not in self.cnames]

    def arg(self, name: str, scope: str, buf=()) -> str:
        """The generated code's name for ``name`` in a scope: "uclock" (the batch's clock), "clock" (a
        configuration's clock in the passes form), "element" (a coordinate in the passes form) or "fused";
        buf: the names an earlier phase of the split form left in buffers."""
        if name in buf:
            return f"b_{name}"
        if name == "t":
            return "t"
        if name in ("g", "x") and scope != "uclock":
            return {"g": "g", "x": "xb"}[name]
        if name in self.uni:
            return f"u_{name}"
        if name in self.state and scope in ("element", "fused"):
            return f"s_{name}"
        if name in self.hyper:
            return f"p_{name}" if scope == "fused" else f"H_{name}_[ii]"
        if name in self.cnames:
            return f"c_{name}[ii]" if scope == "element" else f"cs_{name}"
        if name in self.static:
            return repr(self.static[name])
        return f"e_{name}"

    def call(self, p, scope: str, buf=()) -> list[str]:
        """A piece's call and the assignment of its outputs, in a scope (``arg``)."""
        args = ", ".join(self.arg(a, scope, buf) for a in p.args)
        tmp = [f"_o{k}" for k in range(len(p.outs))]
        lines = [f"{', '.join(tmp)} = {p.fn.__name__}({args})"]
        for tv, names in zip(tmp, p.outs):
            lines += [f"{self.arg(n, scope)} = {tv}" for n in names]
        return lines

    def source(self) -> str:
        """The whole module: ``header``, ``clock_function``, ``kernel_function``."""
        return self.header() + self.clock_function() + self.kernel_function()

    def header(self) -> str:
        """The imports and the functions compiled here: the table's pieces and the scalar operations come
        compiled from the shared module; a user's pieces and the problem's loss piece are compiled here."""
        used = {p.fn for p in (*self.clock, *self.update)}
        own = [*helpers(used), *sorted(used, key=lambda f: f.__name__), self.loss.piece]
        common = shared_functions()
        src = ["import math\nimport numpy as np\nfrom numba import njit\n",
               f"from {shared_name()} import *\n\n\n"]
        return "".join(src + [source_of(fn) + "\n" for fn in own if fn is not None and fn not in common])

    def clock_function(self) -> str:
        """``clock``: the batch's clock pieces for a chunk of rounds, into the rows of W (on the host's data
        thread); UC carries the batch's clock state from chunk to chunk."""
        lines = [
            *[f"u_{k} = H_{k}[0]" for k in self.uh],
            *[f"u_{c} = UC[{i}]" for i, c in enumerate(self.ucs)],
            "for k in range(n):",
            "    t = t0 + k",
            *indent([ln for p in self.uclock for ln in self.call(p, "uclock")]),
            *[f"    W[{i}, k] = u_{c}" for i, c in enumerate(self.uouts)],
            *[f"UC[{i}] = u_{c}" for i, c in enumerate(self.ucs)],
            "return",
        ]
        head = f"{JIT}\ndef clock(t0, n, W, UC" + "".join(f", H_{k}" for k in self.uh) + "):\n"
        return head + "\n".join(indent(lines)) + "\n\n\n"

    def copies(self) -> list[str]:
        """A block's own copies of the per-configuration arrays: LLVM sees no aliasing and vectorises
        across the block."""
        return [
            *[f"{v}_ = take({v}, lo, hi)" for v in PER_CONFIG],
            *[f"H_{k}_ = take(H_{k}, lo, hi)" for k in self.hyper],
            *[f"c_{c} = np.empty({CONFIG_BLOCK})" for c in self.cnames],
            *[f"put(c_{c}, 0, C_{c}, lo, nbk)" for c in self.percs],
        ]

    def kernel_function(self) -> str:
        """``kernel``: for each block of configurations, its copies, the form's rounds, the write-back."""
        sig = [*KERNEL_ARGS, *[f"S_{s}" for s in self.state], *[f"C_{c}" for c in self.cstate],
               *[f"H_{k}" for k in self.numeric]]
        body = [
            "B, d = X.shape",
            "lo0 = LO[0]",
            "hi0 = HI[0]",
            *[f"u_{k} = H_{k}[0]" for k in self.uh],
            *[f"U_{c} = W[{i}]" for i, c in enumerate(self.uouts)],
            f"nb = (B + {CONFIG_BLOCK} - 1) // {CONFIG_BLOCK}",
            "for blk in range(nb):",
            f"    lo = blk * {CONFIG_BLOCK}",
            f"    hi = min(B, lo + {CONFIG_BLOCK})",
            "    nbk = hi - lo",
            *indent(self.copies()),
            *indent(fused(self) if self.fused else passes(self)),
            *[f"    put({v}, lo, {v}_, 0, nbk)" for v in PER_CONFIG if v != "sidx"],
            *[f"    put(C_{c}, lo, c_{c}, 0, nbk)" for c in self.percs],
            *[f"    {'put_column' if self.fused else 'untranspose'}({a}, lo, {b}, nbk)"
              for a, b in (("X", "x_"), ("prev_eta", "prev_"), *[(f"S_{s}", f"S_{s}_") for s in self.state])],
        ]
        return f"{JIT}\ndef kernel(" + ", ".join(sig) + "):\n" + "\n".join(indent(body)) + "\n"


def kernel_source(problem, method, h, seeds, x0, domain) -> str:
    """The source of the kernel module a run needs (its form follows from the settings: d, the feasible set,
    the batch size, shared hyperparameters, one data seed or several)."""
    B, d = x0.shape
    wd = h.get("weight_decay") if method.engine_decay else None
    decay = "none"
    if wd is not None and np.any(wd != 0):
        decay = "decoupled" if h.get("decoupled_weight_decay", False) else "coupled"
    # one coordinate: the whole round in one pass — round by round across a block of configurations
    # (vectorised), or, for a handful of configurations, configuration by configuration (a latency chain:
    # the state stays in registers)
    fused = d == 1 and domain.kind != "ball"
    order = "config" if B < CONFIG_ORDER_BELOW else "round"
    return Emitter(method, h, domain.kind, decay, same=shared_hypers(h), fused=fused, order=order,
                   one_seed=len(np.unique(seeds)) == 1, loss=compiled_loss(problem)).source()
