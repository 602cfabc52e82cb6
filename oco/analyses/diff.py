"""Where two implementations of "the same" method differ: ``oco diff A B``.

Two method specs (``oco.specs``: a table row with its convention, a user's ``FILE.py:NAME``, a ``torch:``
optimizer, an ``optax:`` factory) run on the same short gradient sequences, unconstrained (so no projection
hides a difference), from the same x_1, with the same hyperparameters. Their iterates are compared after every
round,

    rel_t = ‖x_{t+1}^A − x_{t+1}^B‖_∞ / max(max_{s≤t+1} ‖x_s^A‖_∞, max_{s≤t+1} ‖x_s^B‖_∞, 1e-300)

(the difference of the iterates after round t's update, relative to the largest iterate either has reached:
relative to the round's own |x| an iterate crossing zero would turn round-off into a difference; a
configuration that diverges in one method and not in the other counts as rel_t = ∞), and the search stops at
the first batch of sequences where some rel_t exceeds the tolerance. The sequences come in families, short ones first:

    gaussian    i.i.d. N(0, s²), s log-uniform in [1e-3, 10]
    spiky       a constant −c with a rare large +C (Reddi et al.'s −10/1010: periodic or at random rounds)
    monotone    one sign, magnitude growing or decaying geometrically (where AMSGrad's maximum matters)
    sparse      zeros between random spikes, sometimes zeros first (v = 0: where ε's place and the bounds of
                AdaBound-type rates matter)

at lengths 10, 30, 100, 400, 1000 (up to ``max_len``), d = 1 and then a round at d = 3. The sequence kept is
the earliest parting one, cut after the parting round t (x_{t+1} depends on g_1..g_t only, so the prefix
parts at the same round, and it is the shortest prefix that does); it is saved as ``sequence.npy``, replayed
from that file as ``oco run FILE -m A -m B --domain none --T t --backend numpy`` does, and the numbers
reported are the replay's.

Hyperparameters: each method its own defaults unless the user gives a value, which goes to each method that
has that hyperparameter (a name neither has is refused). Where both methods have a hyperparameter with
different defaults (adam:paper's ε = 0 and adam:torch's 1e-8) they differ on that alone: the report says so,
and ``defaults="a"`` (or ``"b"``) gives both methods A's (B's) defaults for the shared hyperparameters.

    >>> import oco
    >>> r = oco.diff("rmsprop:paper", "adam:paper", beta1=0.0, defaults="a", save=False, max_len=30)
    >>> r.differ, r.round, r.tried
    (False, None, 48)
"""

from __future__ import annotations

import inspect
import math
import shlex
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..problems import FileSequence, Problem, load_file

LENGTHS = (10, 30, 100, 400, 1000)
FAMILIES = ("gaussian", "spiky", "monotone", "sparse")
PER_FAMILY = {1: 4, 3: 2}  # sequences of each family at each length, by dimension
DIMS = (1, 3)
DEFAULT_TOL = 1e-9
DEFAULT_TIME_BUDGET = 30.0
MAX_LEN = 1_000_000
DEFAULTS = ("own", "a", "b")
TINY = 1e-300
WIDTH = 100  # the side-by-side text: label column + two columns
LABEL = 14
NAMED = ("alpha", "beta1", "beta2", "eps", "schedule")  # hyperparameters with their own `oco run` option


# ---------------------------------------------------------------- the sequences
def _gaussian(rng, T, d, i):
    return 10 ** rng.uniform(-3, 1) * rng.standard_normal((T, d))


def _spiky(rng, T, d, i):
    small = 10 ** rng.uniform(-2, 1)
    big = small * 10 ** rng.uniform(1, 3)  # Reddi's 1010/−10: 101
    sign = rng.choice([-1.0, 1.0], size=d)
    period = int(rng.integers(3, max(4, min(102, T + 1))))
    if i % 2 == 0:  # periodic, at a random phase (per coordinate)
        phase = rng.integers(0, period, size=d)
        spike = (np.arange(T)[:, None] + phase) % period == 0
    else:  # at random rounds, with probability 1/period
        spike = rng.random((T, d)) < 1.0 / period
    return sign * np.where(spike, big, -small)


def _monotone(rng, T, d, i):
    sign = rng.choice([-1.0, 1.0], size=d)
    start = 10 ** rng.uniform(-2, 1)
    rate = 1 + 10 ** rng.uniform(-3, -1.3) if i % 2 == 0 else 1 - 10 ** rng.uniform(-3, -1)  # grow / decay
    return sign * start * rate ** np.arange(T, dtype=float)[:, None] * np.ones(d)


def _sparse(rng, T, d, i):
    p = rng.uniform(0.05, 0.3)
    g = np.where(rng.random((T, d)) < p, 10 ** rng.uniform(-2, 1) * rng.standard_normal((T, d)), 0.0)
    if i % 2 == 1:  # zeros first: v = 0 for a while
        g[: int(rng.integers(1, max(2, T // 3)))] = 0.0
    return g


GENERATORS = {"gaussian": _gaussian, "spiky": _spiky, "monotone": _monotone, "sparse": _sparse}


def sequences(T: int, d: int, seed: int = 0, per_family: int | None = None) -> tuple[np.ndarray, list[str]]:
    """The batch of one length and dimension: gradients (S, T, d) and each sequence's family; a function of
    (T, d, seed) only."""
    n = PER_FAMILY.get(d, 2) if per_family is None else per_family
    out, labels = [], []
    for f, family in enumerate(FAMILIES):
        for i in range(n):
            rng = np.random.default_rng([seed, d, T, f, i])
            out.append(GENERATORS[family](rng, T, d, i))
            labels.append(family)
    return np.stack(out), labels


class SequenceBank(Problem):
    """S linear loss sequences as one problem: configuration s of a batch (seed s) sees sequence s."""

    name = "diff-sequences"
    summary = "the gradient sequences of oco diff, one per seed"

    def __init__(self, g: np.ndarray):
        super().__init__()
        self.g = np.asarray(g, dtype=float)
        self.S, self.T, self.d = self.g.shape
        self.max_rounds = self.T

    def params(self):
        return {"sequences": self.S, "T": self.T, "d": self.d}

    def data(self, seed, t0, n):
        return self.g[seed, t0 - 1 : t0 - 1 + n]


# ---------------------------------------------------------------- methods and hyperparameters
def _spec_text(item, m) -> str:
    """How the report and the replay name a method: 'adam:paper', 'torch:torch.optim.Adam', 'my.py:fancy'."""
    from ..methods import Method
    from ..specs import is_builtin

    if isinstance(m, Method) and not is_builtin(m):
        return item.strip() if isinstance(item, str) else m.key
    return m.key


def _resolve(item):
    from .. import specs

    try:
        m = specs.resolve(item)
    except ImportError as e:
        raise ValueError(f"{item}: {e}") from None
    return _spec_text(item, m), m


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.reshape(-1)[0].item() if v.size == 1 else v.reshape(-1).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _same(u: Any, v: Any) -> bool:
    """Two defaults are the same value (0.0 and 0 are; True and 1, 'sqrt' and 'const' are not)."""
    u, v = _plain(u), _plain(v)
    if isinstance(u, (bool, str, type(None))) or isinstance(v, (bool, str, type(None))):
        return type(u) is type(v) and u == v
    try:
        return bool(np.array_equal(np.asarray(u, float), np.asarray(v, float)))
    except (TypeError, ValueError):  # values of a foreign constructor oco does not interpret: compare as text
        return repr(u) == repr(v)


@dataclass
class Hypers:
    """The hyperparameters each method runs with, and why."""

    given_a: dict  # what goes to A's resolve (the user's values A has, and B's defaults with defaults="b")
    given_b: dict
    resolved_a: dict
    resolved_b: dict
    user: dict  # the user's values
    aligned: dict  # shared hyperparameters given one method's default for both (defaults="a"/"b")
    differing: dict  # shared, not given, different defaults: name → (A's, B's)
    only_a: list
    only_b: list
    defaults: str = "own"


def split_hypers(a: str, ma, b: str, mb, given: dict, defaults: str = "own") -> Hypers:
    """Split the user's hyperparameters between A and B (each gets those it has; a name neither has is a
    ValueError) and resolve both; ``defaults``: own | a | b (whose defaults the shared ones take)."""
    from ..hints import did_you_mean
    from ..methods import ALIASES

    if defaults not in DEFAULTS:
        raise ValueError(f"defaults must be one of {', '.join(DEFAULTS)}, got {defaults!r}")
    user: dict = {}
    for k, v in given.items():
        k2 = ALIASES.get(k, k)
        if k2 in user:
            raise ValueError(f"{k2} given twice")
        if isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) > 0:
            raise ValueError(f"{k2}: oco diff takes one value per hyperparameter, got {v!r}")
        user[k2] = v
    known = sorted({*ma.hypers, *mb.hypers})
    for k in user:
        if k not in ma.hypers and k not in mb.hypers:
            raise ValueError(f"neither {a} nor {b} has a hyperparameter {k!r}{did_you_mean(k, known)}")
    shared = [k for k in ma.hypers if k in mb.hypers]
    differing = {k: (_plain(ma.hypers[k].default), _plain(mb.hypers[k].default)) for k in shared
                 if k not in user and not _same(ma.hypers[k].default, mb.hypers[k].default)}
    ga = {k: v for k, v in user.items() if k in ma.hypers}
    gb = {k: v for k, v in user.items() if k in mb.hypers}
    aligned: dict = {}
    if defaults != "own":
        for k, (da, db) in differing.items():
            aligned[k] = da if defaults == "a" else db
        (gb if defaults == "a" else ga).update(aligned)
    out = []
    for spec, m, g in ((a, ma, ga), (b, mb, gb)):
        try:
            h, _ = m.resolve(g)
        except ValueError as e:
            raise ValueError(f"{spec}: {e}") from None
        out.append({k: _plain(v) for k, v in h.items()})
    return Hypers(ga, gb, out[0], out[1], user, aligned, {} if defaults != "own" else differing,
                  [k for k in ma.hypers if k not in mb.hypers], [k for k in mb.hypers if k not in ma.hypers],
                  defaults)


# ---------------------------------------------------------------- comparing two runs
def rel_diff(xa: np.ndarray, xb: np.ndarray, da: np.ndarray | None = None, db: np.ndarray | None = None,
             t: np.ndarray | None = None, x0: np.ndarray | None = None) -> np.ndarray:
    """rel_t per round and configuration from iterates (K, B, d) of consecutive rounds 1..K:
    ‖x_a − x_b‖_∞ over the largest ‖x‖_∞ either trajectory has reached so far (x_1 = ``x0`` included; at least
    1e-300). The running maximum, not the round's own |x|, so that an iterate crossing zero (|x| ~ 1e-6 on a
    path of scale 1e-2) does not turn round-off into a "difference". ∞ where exactly one of the two had
    diverged by round t (``da``/``db``: the rounds they diverged at, 0 if never; ``t``: the rounds (K,))."""
    num = np.max(np.abs(xa - xb), axis=-1)
    size = np.maximum(np.max(np.abs(xa), axis=-1), np.max(np.abs(xb), axis=-1))
    scale = np.maximum.accumulate(size, axis=0)
    if x0 is not None:
        scale = np.maximum(scale, np.max(np.abs(np.asarray(x0, float))))
    rel = num / np.maximum(scale, TINY)
    if da is not None:
        ga = (da[None, :] > 0) & (da[None, :] <= t[:, None])
        gb = (db[None, :] > 0) & (db[None, :] <= t[:, None])
        rel = np.where(ga != gb, np.inf, rel)
    return rel


def _simulate(problem, m, given, T, x0, seeds):
    from ..api import simulate

    return simulate(problem, m, T, x0=x0, domain="none", backend="numpy", seed=seeds, checkpoint_every=1,
                    **given)


def _compare(problem, ma, mb, hp: Hypers, T: int, x0, seeds):
    ra = _simulate(problem, ma, hp.given_a, T, x0, seeds)
    rb = _simulate(problem, mb, hp.given_b, T, x0, seeds)
    t = ra.checkpoints.t
    rel = rel_diff(ra.checkpoints.x, rb.checkpoints.x, ra.diverged_at, rb.diverged_at, t, x0)
    return rel, ra, rb  # rel: (T, B)


# ---------------------------------------------------------------- the report
@dataclass
class DiffReport:
    """What ``oco diff`` found. ``round``: the first round t whose iterates x_{t+1} part by more than ``tol``
    (None when none did); ``max_rel_diff``: the largest rel_t over the saved sequence (over every sequence
    tried when none parted); ``sequence``: the saved ``.npy`` (None when none parted or nothing was saved);
    ``tried``: how many sequences both methods ran on."""

    a: str
    b: str
    differ: bool
    round: int | None
    max_rel_diff: float
    sequence: Path | None
    tried: int
    tol: float
    seconds: float
    rounds: int  # rounds each method ran, over every sequence
    complete: bool  # every family and length was tried (False: the time budget ran out first)
    lengths: list[int]
    dims: list[int]
    hypers: Hypers
    x0: Any = None
    family: str | None = None
    d: int | None = None
    x_a: np.ndarray | None = None  # x_{t+1} of each at the parting round
    x_b: np.ndarray | None = None
    g: np.ndarray | None = None  # the sequence, (t, d)
    replayed: bool | None = None  # the saved file parts at the same round (None: nothing saved)
    formulas: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def abs_diff(self) -> float | None:
        return None if self.x_a is None else float(np.max(np.abs(self.x_a - self.x_b)))

    def replay(self) -> str | None:
        """The command that replays the difference from the saved sequence."""
        if self.sequence is None:
            return None
        return replay_command(self.sequence, self.a, self.b, self.round, {**self.hypers.user, **self.hypers.aligned},
                              self.x0)

    def to_dict(self) -> dict:
        hp = self.hypers
        return {
            "a": self.a,
            "b": self.b,
            "differ": self.differ,
            "round": self.round,
            "max_rel_diff": self.max_rel_diff,
            "sequence": None if self.sequence is None else str(self.sequence),
            "tried": self.tried,
            "tol": self.tol,
            "abs_diff": self.abs_diff,
            "x_a": None if self.x_a is None else self.x_a.tolist(),
            "x_b": None if self.x_b is None else self.x_b.tolist(),
            "family": self.family,
            "d": self.d,
            "replay": self.replay(),
            "replayed": self.replayed,
            "seconds": self.seconds,
            "rounds": self.rounds,
            "complete": self.complete,
            "lengths": self.lengths,
            "dims": self.dims,
            "hyperparameters": {"a": hp.resolved_a, "b": hp.resolved_b, "given": hp.user, "aligned": hp.aligned,
                                "defaults_differ": {k: list(v) for k, v in hp.differing.items()}},
            "warnings": self.warnings,
            "notes": self.notes,
        }

    def summary(self) -> list[str]:
        """The outcome in a few lines (what the command prints after the formulas)."""
        hp = self.hypers
        families = ", ".join(FAMILIES)
        span = f"{self.lengths[0]}–{self.lengths[-1]}" if len(self.lengths) > 1 else str(self.lengths[0])
        dims = " and ".join(str(d) for d in self.dims)
        tried = (f"{self.tried} sequences ({families}; d = {dims}; lengths {span}), {self.rounds:,} rounds each "
                 f"method, in {self.seconds:.1f} s")
        lines = []
        if self.differ:
            v = "∞ (one diverged, the other did not)" if math.isinf(self.max_rel_diff) else f"{self.max_rel_diff:.3g}"
            lines.append(f"{self.a} and {self.b} differ at round {self.round}: relative difference {v} "
                         f"(tolerance {self.tol:g}), on a {self.family} sequence, d = {self.d}")
            lines.append(f"  x_{self.round + 1}: {self.a} {_vec(self.x_a)}, {self.b} {_vec(self.x_b)}"
                         f" (|difference| {self.abs_diff:.3g})")
            if self.sequence is not None:
                n = self.round
                lines.append(f"  the sequence ({n} round{'s' * (n > 1)}) is saved to {self.sequence}; replay it "
                             "(add --json for x_final in full):")
                lines.append(f"  {self.replay()}")
            lines.append(f"  searched: {tried}")
        else:
            what = "no difference found" if self.complete else "no difference found before the time budget ran out"
            lines.append(f"{what} (tolerance {self.tol:g}): {tried}; largest relative difference "
                         f"{self.max_rel_diff:.3g}")
        lines.append(hyper_line(self.a, self.b, hp))
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"note: {n}" for n in self.notes]
        return lines

    def text(self) -> str:
        return "\n".join([*([self.formulas, ""] if self.formulas else []), *self.summary()])

    def write(self, folder: str | Path) -> Path:
        """``diff.json`` (``to_dict``) in ``folder`` (``diff`` writes it beside the saved sequence)."""
        from ..io import write_json

        write_json(Path(folder) / "diff.json", self.to_dict())
        return Path(folder) / "diff.json"


def _vec(x) -> str:
    x = np.asarray(x).reshape(-1)
    return repr(float(x[0])) if x.size == 1 else "[" + ", ".join(repr(float(v)) for v in x) + "]"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def hyper_line(a: str, b: str, hp: Hypers) -> str:
    """Which hyperparameters ran: each method's own defaults, the user's values, the aligned defaults."""
    text = "hyperparameters: each method's own defaults"
    if hp.user:
        text += ", except " + ", ".join(f"{k}={_fmt(v)}" for k, v in hp.user.items()) + " (given)"
    if hp.aligned:
        whose = a if hp.defaults == "a" else b
        text += ("; both take " + whose + "'s defaults for "
                 + ", ".join(f"{k}={_fmt(v)}" for k, v in hp.aligned.items()))
    return text


def replay_command(path, a: str, b: str, T: int, given: dict, x0=None) -> str:
    """``oco run PATH -m A -m B --domain none --T T --backend numpy`` with the hyperparameters given."""
    args = ["oco", "run", str(path), "-m", a, "-m", b, "--domain", "none", "--T", str(T), "--backend", "numpy"]
    for k, v in given.items():
        if k in NAMED:
            args += [f"--{k}={_fmt(v)}"]
        else:
            args += ["--set", f"{k}={_fmt(v)}"]
    if x0 is not None:
        xs = np.atleast_1d(np.asarray(x0, float))
        args.append("--x0=" + ",".join(repr(float(v)) for v in xs))
    return " ".join(shlex.quote(s) for s in args)


# ---------------------------------------------------------------- formulas side by side
def _wrap(text: str, width: int) -> list[str]:
    out = []
    for clause in [c.strip() for c in (text or "").split(";  ") if c.strip()]:
        out += textwrap.wrap(clause, width, subsequent_indent="  ", break_on_hyphens=False) or [""]
    return out


def _two(label: str, left: list[str], right: list[str], width: int, mark: str = " ") -> list[str]:
    rows = []
    for i in range(max(len(left), len(right), 1)):
        lab = (label if i == 0 else "").ljust(LABEL - 2) + (mark if i == 0 else " ") + " "
        lt = left[i] if i < len(left) else ""
        rt = right[i] if i < len(right) else ""
        rows.append((lab + lt.ljust(width) + "  " + rt).rstrip())
    return rows


ROLES = (("phi", "φ"), ("psi", "ψ"), ("rate", "η"), ("step", "step"))


def _pieces(m) -> dict[str, Any]:
    """A Method's pieces by role (the clock's first); {} for a foreign optimizer."""
    from ..methods import Method

    if not isinstance(m, Method):
        return {}
    out = {f"clock{i}": p for i, p in enumerate(m.clock)}
    out.update({role: getattr(m, role) for role, _ in ROLES if getattr(m, role) is not None})
    return out


def _piece_text(p) -> str:
    """'ema: m_t = β1t m_{t−1} + (1 − β1t) g_t' (the piece's name and its docstring's first paragraph)."""
    doc = " ".join((p.fn.__doc__ or "").strip().split("\n\n")[0].split()).rstrip(".")
    return f"{p.fn.__name__}: {doc}" if doc else p.fn.__name__


def formulas(a, b) -> str:
    """Both methods side by side: summary, update formula, pieces (for oco Methods; ``≠`` marks a role whose
    piece differs), source, and the hyperparameters with their defaults (``≠``: different defaults).

    >>> print(formulas("adam:paper", "adam:torch").splitlines()[0])
                    adam:paper                                 adam:torch
    """
    return _formulas(*_resolve(a), *_resolve(b))


def _formulas(sa: str, ma, sb: str, mb) -> str:
    col = (WIDTH - LABEL - 2) // 2
    unknown = "oco does not know its update: {} runs its own code"
    fa = ma.formula or (unknown.format(ma.target) if hasattr(ma, "target") else "(no formula given)")
    fb = mb.formula or (unknown.format(mb.target) if hasattr(mb, "target") else "(no formula given)")
    lines = _two("", [sa], [sb], col)
    lines += _two("", _wrap(getattr(ma, "summary", ""), col), _wrap(getattr(mb, "summary", ""), col), col)
    lines += _two("update", _wrap(fa, col), _wrap(fb, col), col, " " if fa == fb else "≠")
    pa, pb = _pieces(ma), _pieces(mb)
    if pa or pb:
        keys = [k for k in pa if k.startswith("clock")] + [k for k in pb if k.startswith("clock") and k not in pa]
        keys += [r for r, _ in ROLES if r in pa or r in pb]

        def side(p, i, r):
            if not p:
                return ["(not an oco method: pieces unknown)"] if i == 0 else []
            return _wrap(_piece_text(p[r]), col) if r in p else ["–"]

        for i, r in enumerate(keys):
            same = r in pa and r in pb and pa[r].fn is pb[r].fn and pa[r].outs == pb[r].outs
            lines += _two(dict(ROLES).get(r, "clock"), side(pa, i, r), side(pb, i, r), col, " " if same else "≠")
    lines += _two("source", _wrap(getattr(ma, "source", ""), col), _wrap(getattr(mb, "source", ""), col), col)
    lines.append("")
    lines += hyper_table(sa, ma, sb, mb)
    return "\n".join(lines)


def hyper_table(sa: str, ma, sb: str, mb) -> list[str]:
    """Every hyperparameter of either method with both defaults; ≠ where both have it with different ones."""
    names = list(dict.fromkeys([*ma.hypers, *mb.hypers]))
    rows = []
    for k in names:
        va = _fmt(_plain(ma.hypers[k].default)) if k in ma.hypers else "–"
        vb = _fmt(_plain(mb.hypers[k].default)) if k in mb.hypers else "–"
        differ = k in ma.hypers and k in mb.hypers and not _same(ma.hypers[k].default, mb.hypers[k].default)
        rows.append((k, "≠" if differ else " ", va, vb))
    wk = max([len("hyperparameter"), *(len(r[0]) for r in rows)])
    wa = max([len(sa), *(len(r[2]) for r in rows)])
    out = [f"{'hyperparameter'.ljust(wk)}   {sa.ljust(wa)}  {sb}   (defaults; ≠: they differ; –: none)"]
    out += [f"{k.ljust(wk)} {m} {va.ljust(wa)}  {vb}".rstrip() for k, m, va, vb in rows]
    return out


# ---------------------------------------------------------------- the search
def _check(tol, max_len, time_budget, seed, x0):
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.number)) or not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or not 1 <= max_len <= MAX_LEN:
        raise ValueError(f"max_len must be an integer in [1, {MAX_LEN}], got {max_len!r}")
    if isinstance(time_budget, bool) or not isinstance(time_budget, (int, float, np.number)) or not time_budget > 0:
        raise ValueError(f"time_budget must be a number of seconds > 0, got {time_budget!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if x0 is None:
        return None
    try:
        xs = np.atleast_1d(np.asarray(x0, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be a number or a list of numbers, got {x0!r}") from None
    if xs.ndim != 1 or xs.size == 0 or not np.all(np.isfinite(xs)):
        raise ValueError(f"x0 must be a finite number or a list of finite numbers, got {x0!r}")
    return xs


def lengths_up_to(max_len: int) -> list[int]:
    return [n for n in LENGTHS if n < max_len] + [int(max_len)]


def _stem(spec: str) -> str:
    where, sep, name = spec.rpartition(":")
    if sep and where.endswith(".py"):  # a file: its name, not its path
        spec = f"{Path(where).stem}:{name}"
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in spec)


def default_out_dir(a: str, b: str, parent: str | Path = "diffs") -> Path:
    from ..io import next_free_dir

    return next_free_dir(parent, f"{_stem(a)}-vs-{_stem(b)}")


def _search(ma, mb, hp, lengths: list[int], dims: list[int], seed: int, tol: float, x0_arg, start: float,
            time_budget: float) -> tuple:
    """The search: for each length, then dimension, a batch of ``sequences``, until one parts the methods or
    the time budget is spent (the first batch always runs). Returns (found: (sequence cut after the parting
    round, its family, d) or None, sequences tried, rounds run, the largest relative difference, whether the
    search was complete, the lengths and dimensions tried)."""
    tried = rounds = 0
    largest = 0.0
    found = None
    complete = True
    seen_lengths: list[int] = []
    seen_dims: list[int] = []
    for T in lengths:
        for d in dims:
            if tried and time.perf_counter() - start > time_budget:
                complete = False
                break
            g, labels = sequences(T, d, seed)
            S = len(labels)
            rel, _, _ = _compare(SequenceBank(g), ma, mb, hp, T, x0_arg, np.arange(S))
            tried, rounds = tried + S, rounds + S * T
            seen_lengths += [T] if T not in seen_lengths else []
            seen_dims += [d] if d not in seen_dims else []
            largest = max(largest, float(rel.max()))
            over = rel > tol
            if over.any():  # the earliest parting round; among those, the largest difference
                first = np.where(over.any(axis=0), over.argmax(axis=0), T)
                s = min(range(S), key=lambda j: (first[j], -rel[min(first[j], T - 1), j]))
                found = (g[s, : first[s] + 1], labels[s], d)
                break
        if found is not None or not complete:
            break
    return found, tried, rounds, largest, complete, seen_lengths, seen_dims


def _replay(report: DiffReport, found: tuple, ma, mb, hp, x0_arg, tol: float, save: bool, out_dir) -> None:
    """The sequence found, saved as ``sequence.npy`` (with ``save``) and replayed from what ``oco run FILE``
    reads: the report's parting round, largest difference and the two iterates there."""
    seq, report.family, report.d = found
    report.g = seq
    n = len(seq)
    problem = FileSequence(seq)
    if save:
        out_dir = default_out_dir(report.a, report.b) if out_dir is None else Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "sequence.npy"
        np.save(path, seq[:, 0] if seq.shape[1] == 1 else seq)
        report.sequence = path
        problem = load_file(path)  # what `oco run FILE` reads
    rel, ra, rb = _compare(problem, ma, mb, hp, n, x0_arg, 0)
    parts = np.flatnonzero(rel[:, 0] > tol)
    if parts.size:
        r = int(parts[0])
        report.round, report.max_rel_diff = r + 1, float(rel[: r + 1, 0].max())
        report.x_a, report.x_b = ra.checkpoints.x[r, 0].copy(), rb.checkpoints.x[r, 0].copy()
        report.replayed = True if save else None
    else:  # cannot happen for deterministic methods: say so rather than report a round that does not part
        report.replayed = False
        report.round, report.max_rel_diff = n, float(rel[:, 0].max())
        report.x_a, report.x_b = ra.checkpoints.x[-1, 0].copy(), rb.checkpoints.x[-1, 0].copy()
        report.warnings.append("the saved sequence does not reproduce the difference on its own (a method "
                               "that depends on more than the gradients so far?)")
    if any(s.startswith("torch:") for s in (report.a, report.b)) and report.max_rel_diff < 1e-6:
        report.notes.append("a difference this small can come from torch keeping some scalars of its "
                            "optimizers in the default dtype (float32 unless torch.set_default_dtype("
                            "torch.float64)), e.g. NAdam's μ-product")


def diff(a, b, *, tol: float = DEFAULT_TOL, max_len: int = 1000, time_budget: float = DEFAULT_TIME_BUDGET,
         seed: int = 0, out_dir: str | Path | None = None, save: bool = True, x0=None, defaults: str = "own",
         hypers: dict | None = None, **hyperparameters: Any) -> DiffReport:
    """Search for a short gradient sequence on which methods ``a`` and ``b`` (specs or objects) part.

    ``tol``: the relative difference that counts; ``max_len``: the longest sequence; ``time_budget``: seconds
    after which no new batch starts; ``seed``: of the sequences; ``out_dir``: where ``sequence.npy`` goes
    (default ``diffs/A-vs-B-NNN`` in the current folder; nothing is written unless a difference is found, and
    nothing at all with ``save=False``); ``x0``: x_1 (a number, or d numbers: then only d-dimensional
    sequences run); ``defaults``: ``own`` (each method its own), ``a`` or ``b`` (that method's defaults for
    the hyperparameters both have); ``hyperparameters`` (or the dict ``hypers``, for names such as ``seed``
    that this function takes itself): values for each method that has them.
    Bad input raises ValueError with one line.
    """
    from ..io import check_out_dir, check_writable

    start = time.perf_counter()
    xs = _check(tol, max_len, time_budget, seed, x0)
    sa, ma = _resolve(a)
    sb, mb = _resolve(b)
    if sa == sb and ma is mb:
        raise ValueError(f"A and B are the same method ({sa}): nothing to compare")
    clash = sorted(set(hypers or {}) & set(hyperparameters))
    if clash:
        raise ValueError(f"{clash[0]} given twice")
    hp = split_hypers(sa, ma, sb, mb, {**(hypers or {}), **hyperparameters}, defaults)
    if save:
        if out_dir is not None:
            out_dir = check_out_dir(out_dir)
        else:
            check_writable("diffs", "the default output folder")
    dims = [int(xs.size)] if xs is not None and xs.size > 1 else list(DIMS)
    lengths = lengths_up_to(int(max_len))
    warnings = []
    if hp.differing:
        items = ", ".join(f"{k} ({sa} {_fmt(va)}, {sb} {_fmt(vb)})" for k, (va, vb) in hp.differing.items())
        options = ", ".join(f"--{k}" if k in NAMED else f"--set {k}=…" for k in hp.differing)
        warnings.append(f"their defaults differ: {items}; they may differ on that alone: give {options}, or "
                        "--defaults a|b for one method's defaults")
    x0_arg = None if xs is None else (float(xs[0]) if xs.size == 1 else xs)

    found, tried, rounds, largest, complete, seen_lengths, seen_dims = _search(
        ma, mb, hp, lengths, dims, seed, tol, x0_arg, start, time_budget)
    report = DiffReport(sa, sb, found is not None, None, largest, None, tried, float(tol), 0.0, rounds, complete,
                        seen_lengths, sorted(seen_dims), hp, x0=x0_arg, formulas=_formulas(sa, ma, sb, mb),
                        warnings=warnings)
    if found is not None:
        _replay(report, found, ma, mb, hp, x0_arg, tol, save, out_dir)
    report.seconds = time.perf_counter() - start
    if report.sequence is not None:
        report.write(report.sequence.parent)
    return report


def describe() -> str:
    """``oco show diff``: what it compares and how it searches (this module's docstring but its example)."""
    return inspect.cleandoc(__doc__).split("\n\n    >>>")[0]
