"""From what a user asked for to a checked configuration: parsing KEY=VALUE and grid specs, resolving the
problem, the methods and their hyperparameters.

Hyperparameters of each method come from, in order of precedence,

    1. what the user gave (``--alpha``, ``--beta1``, …, ``--set KEY=VALUE``, grid axes),
    2. the problem's ``suggested`` hyperparameters (the settings its paper used), key by key,
    3. the method's own defaults (``Method.hypers``).

A value the user gives applies to every selected method that has that hyperparameter; naming one that none
of them has is an error. Everything is validated here, before anything is run or written.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_PROBLEM = "reddi-online"
DEFAULT_METHODS = ("adam", "amsgrad")
DEFAULT_T = 100_000
DEFAULT_CHECKPOINTS = 200

# Used only while a problem class defines no ``suggested`` hyperparameters of its own. Reddi et al. (2018)
# Figure 1: β1 = 0.9, β2 = 0.99, α_t = α/√t. α = 0.5 is our choice: with it AMSGrad's iterate is visibly
# back at −1 by T = 10⁵ (for α = 0.1 it is still near −0.4), while Adam's sits at +1.
FALLBACK_SUGGESTED: dict[str, dict[str, Any]] = {
    "reddi-online": {"alpha": 0.5, "beta1": 0.9, "beta2": 0.99, "schedule": "sqrt"},
}


def backends() -> tuple[str, ...]:
    """The engine's backends (``oco.BACKENDS``)."""
    from . import api

    return tuple(getattr(api, "BACKENDS", ("numpy",)))


class ConfigError(ValueError):
    """Bad input: the message is one line meant for the user."""


# ---------------------------------------------------------------- parsing
def parse_value(text: str) -> Any:
    """'3' → 3, '0.9' → 0.9, 'true' → True, 'none' → None, anything else stays text."""
    s = text.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def parse_assignments(items: list[str] | None, option: str) -> dict[str, Any]:
    """['C=10', 'period=5'] → {'C': 10, 'period': 5}; ``option`` names the flag in error messages."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise ConfigError(f"{option} expects KEY=VALUE, got {item!r}")
        if key in out:
            raise ConfigError(f"{option} {key} given twice")
        out[key] = parse_value(value)
    return out


def parse_grid_spec(name: str, spec: str) -> list:
    """A grid axis: 'a,b,c' (a list) or 'start:stop:num' (num evenly spaced values, both ends included)."""
    spec = spec.strip()
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ConfigError(f"--grid {name}: expected start:stop:num, got {spec!r}")
        try:
            start, stop = float(parts[0]), float(parts[1])
            num = int(parts[2])
        except ValueError:
            raise ConfigError(f"--grid {name}: expected numbers start:stop:num, got {spec!r}") from None
        if num < 1:
            raise ConfigError(f"--grid {name}: num must be >= 1, got {num}")
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise ConfigError(f"--grid {name}: start and stop must be finite, got {spec!r}")
        # 15 significant digits: 0.9:0.99:3 gives 0.945 (what was meant), not linspace's 0.9450000000000001
        return [float(f"{v:.15g}") for v in np.linspace(start, stop, num)]
    items = [s for s in spec.split(",")]
    if not spec or any(not s.strip() for s in items):
        raise ConfigError(f"--grid {name}: expected a comma list or start:stop:num, got {spec!r}")
    values = [parse_value(s) for s in items]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        values = [float(v) for v in values]
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"--grid {name}: repeated values in {spec!r}")
    return values


def parse_grid(items: list[str] | None) -> dict[str, list]:
    """['beta1=0.9,0.99', 'beta2=0.9:0.999:4'] → {'beta1': [...], 'beta2': [...]}, in the order given."""
    grid: dict[str, list] = {}
    for item in items or []:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--grid expects NAME=SPEC, got {item!r}")
        if name in grid:
            raise ConfigError(f"--grid {name} given twice")
        grid[name] = parse_grid_spec(name, spec)
    return grid


def parse_x0(text: str | None) -> float | list[float] | None:
    """'-1' → -1.0, '0.5,-0.5' → [0.5, -0.5]."""
    if text is None:
        return None
    try:
        values = [float(s) for s in text.split(",")]
    except ValueError:
        raise ConfigError(f"--x0 expects a number or a comma list of numbers, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"--x0 must be finite, got {text!r}")
    return values[0] if len(values) == 1 else values


def parse_methods(names: list[str] | None, convention: str) -> list[tuple[str, str]]:
    """['adam', 'amsgrad:torch'] → [('adam', 'paper'), ('amsgrad', 'torch')], checked against the table."""
    from .methods import CONVENTIONS, get_method

    if convention not in CONVENTIONS:
        raise ConfigError(f"unknown preset {convention!r}; choose from {', '.join(CONVENTIONS)}")
    out: list[tuple[str, str]] = []
    for item in names or DEFAULT_METHODS:
        name, _, conv = item.strip().lower().partition(":")
        conv = conv or convention
        try:
            m = get_method(name, conv)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        if (m.name, m.convention) in out:
            raise ConfigError(f"method {item!r} given twice")
        out.append((m.name, m.convention))
    return out


# ---------------------------------------------------------------- problems
def looks_like_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or Path(spec).suffix != "" or Path(spec).exists()


def load_problem(spec: str, params: dict | None = None):
    """A registered problem by name (with parameters), or linear-loss coefficients from a file."""
    import problems

    params = dict(params or {})
    if spec not in problems.PROBLEMS and looks_like_path(spec):
        if params:
            raise ConfigError("--param applies to registered problems, not to a file of coefficients")
        if not Path(spec).is_file():
            why = "a folder" if Path(spec).is_dir() else "no such file"
            raise ConfigError(f"cannot read problem file {spec!r}: {why}")
        loader = getattr(problems, "load_file", None)
        if loader is None:
            raise ConfigError("this version of problems cannot load files (no problems.load_file)")
        try:
            return loader(spec)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise ConfigError(str(e) if str(spec) in str(e) else f"problem file {spec}: {e}") from None
    try:
        return problems.get_problem(spec, **params)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    except TypeError as e:  # a parameter of the wrong type that the class did not catch itself
        raise ConfigError(f"bad parameters for problem {spec!r}: {e}") from None


def suggested_of(problem) -> dict[str, Any]:
    """The hyperparameters the problem's source used (``suggested``), or our fallback for it."""
    s = getattr(problem, "suggested", None)
    if s is None:
        s = FALLBACK_SUGGESTED.get(problem.name, {})
    return dict(s)


def problem_summary(problem) -> dict:
    """The resolved problem, JSON-ready."""
    return {
        "name": problem.name,
        "params": problem.params(),
        "d": int(problem.d),
        "stochastic": bool(getattr(problem, "stochastic", False)),
        "failure_level": getattr(problem, "failure_level", None),
    }


# ---------------------------------------------------------------- the configuration
@dataclass
class MethodSpec:
    """One method of a run or sweep: its hyperparameters as given to ``oco.simulate`` (``given``: user and
    suggested values; the method fills the rest), fully resolved (``resolved``), and where each came from."""

    name: str
    convention: str
    given: dict[str, Any]
    resolved: dict[str, Any]
    sources: dict[str, str]
    label: str = ""

    @property
    def stem(self) -> str:
        return f"{self.name}-{self.convention}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "convention": self.convention,
            "label": self.label,
            "hyperparameters": self.resolved,
            "sources": self.sources,
        }


@dataclass
class Config:
    """A checked run or sweep. ``to_dict`` is what ``config.json`` holds; two configurations with the same
    ``to_dict`` produce the same numbers."""

    kind: str  # "run" | "sweep"
    problem_spec: str
    problem: Any  # problems.Problem
    problem_file: dict | None
    methods: list[MethodSpec]
    T: int
    seeds: list[int]
    x0: float | list[float] | None
    domain: Any  # oco.projections.Domain
    domain_option: dict
    backend: str
    checkpoints: int
    checkpoint_every: int | None = None
    grid: dict[str, list] = field(default_factory=dict)
    shard_size: int | None = None

    def to_dict(self) -> dict:
        d = {
            "kind": self.kind,
            "problem": {"spec": self.problem_spec, **problem_summary(self.problem)},
            "T": self.T,
            "seeds": list(self.seeds),
            "x0": self.x0,
            "domain": {**self.domain_option, "resolved": self.domain.describe()},
            "backend": self.backend,
            "checkpoints": self.checkpoints,
            "checkpoint_every": self.checkpoint_every,
            "methods": [m.to_dict() for m in self.methods],
        }
        if self.problem_file is not None:
            d["problem"]["file"] = self.problem_file
        if self.kind == "sweep":
            d["grid"] = self.grid
            d["shard_size"] = self.shard_size
        return d

    def checkpoint_kwargs(self) -> dict:
        """How ``oco.simulate`` records traces: every k-th round, or K log-spaced rounds."""
        if self.checkpoint_every:
            return {"checkpoint_every": self.checkpoint_every}
        return {"checkpoints": min(self.checkpoints, self.T)}


def _scalar(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.reshape(-1)[0].item() if v.size == 1 else v.reshape(-1).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _aliases() -> dict[str, str]:
    from .methods import ALIASES

    return {k: v for k, v in ALIASES.items() if v}


def _unknown_hyper(key: str, known: set[str], methods: list) -> ConfigError:
    near = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    names = ", ".join(m.key for m in methods)
    return ConfigError(f"no selected method ({names}) has a hyperparameter {key!r}{hint}")


def resolve(
    kind: str = "run",
    problem: str | None = None,
    methods: list[str] | None = None,
    *,
    T: int | None = None,
    convention: str = "paper",
    hypers: dict[str, Any] | None = None,
    sets: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    x0: float | list[float] | None = None,
    domain: str | None = None,
    radius: float | None = None,
    seed: int = 0,
    seeds: int = 1,
    backend: str = "numpy",
    checkpoints: int = DEFAULT_CHECKPOINTS,
    checkpoint_every: int | None = None,
    grid: dict[str, list] | None = None,
    shard_size: int | None = None,
) -> Config:
    """Check everything a run or sweep needs and resolve every hyperparameter. Raises ConfigError.

    ``hypers``: the named options (alpha, beta1, beta2, eps, schedule), None meaning not given;
    ``sets``: other hyperparameters (``--set``); ``grid``: sweep axes, name → list of values.
    """
    from .methods import get_method
    from .projections import make_domain

    BACKENDS = backends()
    if backend not in BACKENDS:
        near = difflib.get_close_matches(backend, BACKENDS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(f"unknown backend {backend!r}{hint}; available: {', '.join(BACKENDS)}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {seed}")
    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1:
        raise ConfigError(f"--seeds must be an integer >= 1, got {seeds}")
    if checkpoints < 2:
        raise ConfigError(f"--checkpoints must be >= 2, got {checkpoints}")
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be >= 1, got {checkpoint_every}")
    if shard_size is not None and shard_size < 1:
        raise ConfigError(f"--shard-size must be >= 1, got {shard_size}")

    spec = problem or DEFAULT_PROBLEM
    prob = load_problem(spec, params)
    problem_file = None
    if spec not in _registry_names() and Path(spec).is_file():
        from .io import sha256_file

        problem_file = {"path": str(Path(spec)), "sha256": sha256_file(spec)}
    suggested = suggested_of(prob)

    max_rounds = getattr(prob, "max_rounds", None)
    if T is None:
        T = int(suggested.pop("T", DEFAULT_T))
        if max_rounds is not None:
            T = min(T, int(max_rounds))  # a file of coefficients: all of it by default
    suggested.pop("T", None)
    if isinstance(T, bool) or int(T) != T or T < 1:
        raise ConfigError(f"--T must be an integer >= 1, got {T}")
    T = int(T)
    if max_rounds is not None and T > max_rounds:
        raise ConfigError(f"{spec} has {max_rounds} rounds; --T must be at most {max_rounds}, got {T}")

    # the user's hyperparameters: named options and --set, aliases (lr → alpha) normalised
    aliases = _aliases()
    user: dict[str, Any] = {k: v for k, v in (hypers or {}).items() if v is not None}
    for k, v in (sets or {}).items():
        k2 = aliases.get(k, k)
        if k2 in user:
            raise ConfigError(f"{k2} given twice (as an option and with --set)")
        user[k2] = v
    grid = {aliases.get(k, k): v for k, v in (grid or {}).items()}
    for k in grid:
        if k in user:
            raise ConfigError(f"{k} given both as a fixed value and as a --grid axis")

    pairs = parse_methods(methods, convention)
    table = [get_method(n, c) for n, c in pairs]
    known = set().union(*(m.hypers for m in table))
    for k in user:
        if k not in known:
            raise _unknown_hyper(k, known, table)
    for k in grid:
        missing = [m.key for m in table if k not in m.hypers]
        if k not in known:
            raise _unknown_hyper(k, known, table)
        if missing:
            raise ConfigError(f"grid axis {k!r} is not a hyperparameter of {', '.join(missing)}")

    specs: list[MethodSpec] = []
    several_conventions = len({c for _, c in pairs}) > 1
    for m in table:
        given, sources = {}, {}
        for k in m.hypers:
            if k in grid:
                sources[k] = "grid"
            elif k in user:
                given[k], sources[k] = user[k], "user"
            elif k in suggested:
                given[k], sources[k] = suggested[k], "suggested"
            else:
                sources[k] = "default"
        try:
            h, _ = m.resolve(given)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        for k, values in grid.items():  # each grid value must pass the method's own check
            for v in values:
                try:
                    m.resolve({**given, k: v})
                except ValueError as e:
                    raise ConfigError(f"--grid {k}: {e}") from None
        resolved = {k: (None if k in grid else _scalar(v)) for k, v in h.items()}
        label = f"{m.name} ({m.convention})" if several_conventions else m.name
        specs.append(MethodSpec(m.name, m.convention, given, resolved, sources, label))

    if radius is not None and not (math.isfinite(radius) and radius > 0):
        raise ConfigError(f"--radius must be > 0, got {radius}")
    if domain is None and radius is None:
        dom = prob.default_domain()
    else:
        kind_ = domain or prob.default_domain().kind or "box"
        try:
            dom = make_domain(kind_, 1.0 if radius is None else radius)
        except ValueError as e:
            raise ConfigError(str(e)) from None
    if x0 is not None:
        x = np.atleast_1d(np.asarray(x0, float))
        if x.shape[0] not in (1, prob.d):
            raise ConfigError(f"--x0 needs 1 or d = {prob.d} numbers, got {x.shape[0]}")
        if not np.all(dom.contains(np.broadcast_to(x, (1, prob.d)))):
            raise ConfigError(f"--x0 {x0} lies outside the feasible set {dom.describe()}")

    if kind == "sweep" and shard_size is None:
        shard_size = default_shard_size(len(pairs) * grid_size(grid) * seeds)
    cfg = Config(
        kind=kind,
        problem_spec=spec,
        problem=prob,
        problem_file=problem_file,
        methods=specs,
        T=T,
        seeds=list(range(int(seed), int(seed) + int(seeds))),
        x0=x0,
        domain=dom,
        domain_option={"kind": domain, "radius": radius},
        backend=backend,
        checkpoints=int(checkpoints),
        checkpoint_every=checkpoint_every,
        grid=grid,
        shard_size=shard_size if kind == "sweep" else None,
    )
    return cfg


def _registry_names() -> set[str]:
    import problems

    return set(problems.PROBLEMS)


def grid_size(grid: dict[str, list]) -> int:
    return math.prod(len(v) for v in grid.values()) if grid else 1


def grid_points(grid: dict[str, list]) -> list[tuple]:
    """Every configuration of the grid, the first axis varying slowest."""
    return list(itertools.product(*grid.values())) if grid else [()]


def grid_point(grid: dict[str, list], index: int) -> tuple:
    """grid_points(grid)[index] without building the list (first axis slowest)."""
    out = []
    for values in reversed(list(grid.values())):
        index, r = divmod(index, len(values))
        out.append(values[r])
    return tuple(reversed(out))


def default_shard_size(n_rows: int) -> int:
    """Rows per shard: the whole batch when small, else slices of 1024 configurations."""
    return max(1, min(n_rows, 1024))


def diff_configs(new: dict, old: dict, prefix: str = "") -> str | None:
    """The first setting where two config.json documents differ, as a readable phrase; None if equal."""
    if isinstance(new, dict) and isinstance(old, dict):
        for k in list(new) + [k for k in old if k not in new]:
            if k not in old:
                return f"{prefix}{k} is set here but absent there"
            if k not in new:
                return f"{prefix}{k} is set there but absent here"
            d = diff_configs(new[k], old[k], f"{prefix}{k}.")
            if d:
                return d
        return None
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        for i, (a, b) in enumerate(zip(new, old)):
            d = diff_configs(a, b, f"{prefix.rstrip('.')}[{i}].")
            if d:
                return d
        return None
    if new != old:
        return f"{prefix.rstrip('.')} is {_short(new)} here but {_short(old)} there"
    return None


def _short(v: Any, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 1] + "…"
