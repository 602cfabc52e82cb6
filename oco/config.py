"""The checker: from what a user asked for to a checked configuration, in one layer that the command line
(``oco run``/``sweep``/``check``), ``oco.simulate``, ``oco.sweep`` and ``oco.check`` share.

    command line text ──from_command_line──┐
    oco.sweep, experiments (typed values) ─┴─ resolve ──→ Config   (a run or a sweep: config.json)
    oco.simulate, oco.check (typed values, arrays) ─ check_call ──→ Call  (one batch: what the engine runs)

Nothing is run to check a value: each value passes its own check here (a method's hyperparameters the
method's, a torch:/optax: optimizer's arguments its constructor's), and the resolved values are what runs
(``Config.call``, ``Call``): hyperparameters are resolved once.

Hyperparameters of each method come from, in order of precedence,

    1. what the user gave (``--alpha``, ``--beta1``, …, ``--set KEY=VALUE``, grid axes),
    2. the problem's ``suggested`` hyperparameters (the settings its paper used), key by key,
    3. the method's own defaults (``Method.hypers``).

A value the user gives applies to every selected method that has that hyperparameter; naming one that none
of them has is an error. Everything is validated here, before anything is run or written.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .hints import did_you_mean

DEFAULT_PROBLEM = "reddi-online"
DEFAULT_METHODS = ("adam", "amsgrad")
DEFAULT_T = 100_000
DEFAULT_CHECKPOINTS = 200


def backends() -> tuple[str, ...]:
    """The engine's backends (``oco.BACKENDS``), from the registry ``oco.backends.REGISTRY``."""
    from .backends import names

    return names()


class ConfigError(ValueError):
    """Bad input: the message is one line meant for the user."""


MAX_T = 10**12
MAX_AXIS = 10**7  # values on one grid axis
MAX_SEED = 2**63 - 1
MAX_SEEDS = 10**7  # seeds of one run: each is a configuration of the batch
STATE_ARRAYS = 24  # (B, d) float64 arrays a round holds at most: state, pieces' outputs, x, g, temporaries


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
        if not 1 <= num <= MAX_AXIS:
            raise ConfigError(f"--grid {name}: num must be in [1, 10^7], got {num}")
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


def parse_methods(names: list[str] | None, convention: str) -> list[tuple[str, Any]]:
    """['adam', 'amsgrad:torch', 'my.py:fancy', 'torch:torch.optim.Adam'] → [(spec, method), …]: each spec
    in its canonical text ('adam:paper') and what it names (``oco.specs.resolve``), checked."""
    from . import specs
    from .methods import CONVENTIONS, Method

    if convention not in CONVENTIONS:
        raise ConfigError(f"unknown preset {convention!r}; choose from {', '.join(CONVENTIONS)}")
    out: list[tuple[str, Any]] = []
    for item in names or DEFAULT_METHODS:
        try:
            m = specs.resolve(item, convention)
        except (ValueError, ImportError) as e:
            raise ConfigError(str(e)) from None
        builtin = isinstance(m, Method) and specs.is_builtin(m)
        spec = m.key if builtin or not isinstance(m, Method) else item.strip()
        if any(o.key == m.key and s == spec for s, o in out):
            raise ConfigError(f"method {item!r} given twice")
        out.append((spec, m))
    return out


# ---------------------------------------------------------------- problems
def looks_like_path(spec: str) -> bool:
    return os.sep in spec or "/" in spec or Path(spec).suffix != "" or Path(spec).exists()


def load_problem(spec: str, params: dict | None = None):
    """A registered problem by name (with parameters), or linear-loss coefficients from a file."""
    from oco import problems

    params = dict(params or {})
    if spec not in problems.PROBLEMS and looks_like_path(spec):
        if params:
            raise ConfigError("--param applies to registered problems, not to a file of coefficients")
        if not Path(spec).is_file():
            why = "a folder" if Path(spec).is_dir() else "no such file"
            raise ConfigError(f"cannot read problem file {spec!r}: {why}")
        try:
            return problems.load_file(spec)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise ConfigError(str(e) if str(spec) in str(e) else f"problem file {spec}: {e}") from None
    try:
        return problems.get_problem(spec, **params)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    except TypeError as e:  # a parameter of the wrong type that the class did not catch itself
        raise ConfigError(f"bad parameters for problem {spec!r}: {e}") from None


def suggested_of(problem) -> dict[str, Any]:
    """The hyperparameters the problem's source used (``suggested``): a copy."""
    return dict(problem.suggested)


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
    spec: str = ""  # how the run names it: 'adam:paper', 'my.py:fancy', 'torch:torch.optim.Adam'
    h: dict[str, Any] = field(default_factory=dict)  # what the engine gets (numbers as (1, 1) arrays)
    axes: dict[str, list] = field(default_factory=dict)  # the grid axes that do not batch: each value checked

    @property
    def method(self):
        """The Method (or foreign optimizer) the spec names."""
        from . import specs

        return specs.resolve(self.spec or f"{self.name}:{self.convention}")

    @property
    def stem(self) -> str:
        """A file name for it: the name and convention, with what a file name cannot hold replaced."""
        from .io import method_stem

        return method_stem(self.name, self.convention)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "convention": self.convention,
            "spec": self.spec,
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

    def n_checkpoints(self) -> int:
        """How many rounds the traces record."""
        if self.checkpoint_every:
            return self.T // self.checkpoint_every + 1
        return min(self.checkpoints, self.T)

    def checkpoint_kwargs(self) -> dict:
        """How ``oco.simulate`` records traces: every k-th round, or K log-spaced rounds."""
        if self.checkpoint_every:
            return {"checkpoint_every": self.checkpoint_every}
        return {"checkpoints": min(self.checkpoints, self.T)}

    def calls(self) -> list[Call]:
        """A run's batches: each method with all the seeds, its hyperparameters as resolved."""
        seeds = np.asarray(self.seeds, dtype=np.int64)
        return [self.call(ms, seeds, batched(ms.h, len(seeds))) for ms in self.methods]

    def call(self, ms: MethodSpec, seeds: np.ndarray, h: dict[str, Any], backend: str | None = None) -> Call:
        """The batch of method ``ms`` on ``seeds`` with hyperparameters ``h`` ((B, 1) arrays, checked)."""
        x0 = x0_rows_of(self.problem, self.domain, self.x0, len(seeds))
        return Call(self.problem, ms.method, h, seeds, self.T, x0, self.domain,
                    checkpoint_rounds(self.T, **self.checkpoint_kwargs()), backend or self.backend)


def _scalar(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.reshape(-1)[0].item() if v.size == 1 else v.reshape(-1).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def resolve(
    kind: str = "run",
    problem: str | None = None,
    methods: list[str] | None = None,
    *,
    T: int | None = None,
    convention: str = "paper",
    hypers: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    x0: float | Sequence[float] | None = None,
    domain: str | None = None,
    radius: float | None = None,
    seed: int = 0,
    seeds: int = 1,
    backend: str = "numpy",
    checkpoints: int = DEFAULT_CHECKPOINTS,
    checkpoint_every: int | None = None,
    grid: dict[str, Sequence | str] | None = None,
    shard_size: int | None = None,
) -> Config:
    """Check everything a run or sweep needs and resolve every hyperparameter, running nothing. Raises
    ConfigError (one line).

    Typed values: ``hypers`` the user's fixed hyperparameters (``--alpha``, ``--set``: name → value);
    ``params`` the problem's; ``grid`` sweep axes, name → a list of values or a spec ``"a,b,c"`` /
    ``"start:stop:num"`` (``parse_grid_spec``).
    """
    check_backend(backend)
    check_counts(seed=seed, seeds=seeds, checkpoints=checkpoints, checkpoint_every=checkpoint_every,
                 shard_size=shard_size)
    spec = DEFAULT_PROBLEM if problem is None else problem
    if not spec.strip():
        raise ConfigError("PROBLEM is empty: name a problem (see 'oco list') or a .npy/.npz/.csv file")
    prob = load_problem(spec, params)
    suggested = suggested_of(prob)
    T = resolve_T(T, suggested.pop("T", None), prob, spec)
    user, grid = user_values(hypers, check_grid(grid))
    pairs = parse_methods(methods, convention)
    check_backend(backend, [m for _, m in pairs])  # now that the methods are known: a foreign one
    specs = method_specs(pairs, user, grid, suggested)
    dom = resolve_domain(prob, domain, radius)
    x0 = check_x0(x0, prob, dom)
    if kind == "sweep" and shard_size is None:
        shard_size = default_shard_size(len(pairs) * grid_size(grid) * seeds)
    cfg = Config(
        kind=kind,
        problem_spec=spec,
        problem=prob,
        problem_file=problem_file_of(spec),
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
    check_size(cfg)
    check_foreign(cfg)
    return cfg


def from_command_line(opts: dict[str, Any]) -> dict[str, Any]:
    """The options of ``oco run``/``oco sweep`` as ``resolve``'s keywords: each reaches it under its own name,
    the command line's text read (``--x0``, ``--param``, ``--set``, ``--grid``); an option that is none of
    resolve's keywords is a hyperparameter (``--alpha``, …), joined with ``--set``'s."""
    keywords = inspect.signature(resolve).parameters
    out = {k: v for k, v in opts.items() if k in keywords}
    named = {k: v for k, v in opts.items() if k not in keywords and k != "sets"}
    out["hypers"] = hypers_from_command_line(named, opts.get("sets"))
    out["params"] = parse_assignments(out.get("params"), "--param")
    out["x0"] = parse_x0(out.get("x0"))
    if "grid" in out:
        out["grid"] = parse_grid(out["grid"])
    return out


def hypers_from_command_line(named: dict[str, Any], sets: list[str] | None) -> dict[str, Any]:
    """The hyperparameters of a command: its named options given (``--alpha``, …; None: not given) and
    ``--set KEY=VALUE``'s; a name given both ways is refused."""
    from .methods import ALIASES

    hypers = {k: v for k, v in named.items() if v is not None}
    for k, v in parse_assignments(sets, "--set").items():
        if ALIASES.get(k, k) in {ALIASES.get(n, n) for n in hypers}:
            raise ConfigError(f"{ALIASES.get(k, k)} given twice (as an option and with --set)")
        hypers[k] = v
    return hypers


def check_suite(methods: list, hypers: dict[str, Any], backend: str, T: int | None = None,
                lenient: bool = False) -> None:
    """``oco check``'s request: every method spec resolves; each hyperparameter given belongs to every method
    (``lenient``: to those that have it, as ``--all`` gives all methods the same values) and passes the
    method's check; the backend; ``T`` (the cap on the suite's horizons) in [1, 10^12]."""
    from . import specs

    table = []
    for spec in methods:
        try:
            m = specs.resolve(spec)
        except (ValueError, ImportError) as e:
            raise ConfigError(str(e)) from None
        unknown = [k for k in hypers if k not in m.hypers]
        if unknown and not lenient:
            raise ConfigError(f"{spec} has no hyperparameter {unknown[0]!r}")
        try:
            m.resolve({k: v for k, v in hypers.items() if k in m.hypers})
        except ValueError as e:
            raise ConfigError(str(e)) from None
        table.append(m)
    check_backend(backend, table)
    if T is not None:
        check_T(T)


# ---------------------------------------------------------------- the steps of resolve
def check_backend(backend: str, methods: Sequence = ()) -> None:
    """A backend by name ("auto" or a registered one) whose package imports here; ``methods``: none of them a
    torch:/optax: optimizer unless the backend is "auto" or "numpy" (such an optimizer runs its own update,
    with the NumPy engine's bookkeeping: numba or torch would be silently ignored)."""
    from .backends import REGISTRY
    from .foreign import Foreign

    names = backends()
    if backend not in names:
        raise ConfigError(f"unknown backend {backend!r}{did_you_mean(backend, names)}; "
                          f"available: {', '.join(names)}")
    b = REGISTRY.get(backend)
    if b is not None and not b.importable():
        needs = b.package_name or b.package
        raise ConfigError(f"the {backend} backend needs {needs}: pip install {b.package}")
    foreign = [m.key for m in methods if isinstance(m, Foreign)]
    if foreign and backend not in ("auto", "numpy"):
        raise ConfigError(f"--backend {backend} does not apply to {foreign[0]}: a torch:/optax: optimizer "
                          "runs its own update with oco's NumPy bookkeeping; use --backend auto or numpy")


def check_foreign(cfg: "Config") -> None:
    """A torch:/optax: optimizer checks its arguments when it is built: each is built once with its fixed
    values and once with each grid value (no round is run), so that a value its constructor refuses is a
    ConfigError now, not an error in the middle of a run."""
    from .foreign import Foreign

    x = np.broadcast_to(cfg.problem.default_x0(cfg.domain), (1, cfg.problem.d)).astype(float)
    for ms in cfg.methods:
        m = ms.method
        if not isinstance(m, Foreign):
            continue
        for given in [ms.given, *({**ms.given, k: v} for k, values in cfg.grid.items() for v in values)]:
            try:
                m.stepper(m.resolve(given)[0], x.copy())
            except ValueError as e:
                raise ConfigError(str(e)) from None


def check_counts(*, seed, seeds, checkpoints, checkpoint_every, shard_size) -> None:
    """The integer options of a run: --seed, --seeds, --checkpoints, --checkpoint-every, --shard-size."""
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {seed}")
    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1:
        raise ConfigError(f"--seeds must be an integer >= 1, got {seeds}")
    if seeds > MAX_SEEDS:
        raise ConfigError(f"--seeds must be at most 10^7, got {seeds}")
    if seed + seeds - 1 > MAX_SEED:
        raise ConfigError(f"seeds are 64-bit integers: --seed + --seeds − 1 must be at most 2^63 − 1, "
                          f"got {seed + seeds - 1}")
    if checkpoints < 2:
        raise ConfigError(f"--checkpoints must be >= 2, got {checkpoints}")
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be >= 1, got {checkpoint_every}")
    if shard_size is not None and shard_size < 1:
        raise ConfigError(f"--shard-size must be >= 1, got {shard_size}")


def check_size(cfg: "Config") -> None:
    """Refuse, before anything runs, what cannot fit in this machine's memory: the largest batch (its state
    and its checkpoint traces) and, for a sweep, the traces of all its rows (assembled at the end)."""
    from .io import human_bytes

    d, K = int(cfg.problem.d), cfg.n_checkpoints()
    rows = len(cfg.methods) * grid_size(cfg.grid) * len(cfg.seeds) if cfg.kind == "sweep" else len(cfg.seeds)
    batch = min(rows, cfg.shard_size) if cfg.kind == "sweep" else len(cfg.seeds)
    trace_row = K * (2 * d + 8) * 8  # x_t and, per checkpoint, R_t/t, the lr quantiles, the gap
    need = batch * (STATE_ARRAYS * d * 8 + trace_row)
    what = f"{batch} configuration{'s' * (batch > 1)} × d = {d} × {K} checkpoints"
    if cfg.kind == "sweep":
        need = max(need, rows * trace_row)  # the sweep's traces are assembled in memory at the end
        what = f"{rows} rows × d = {d} × {K} checkpoints"
    have = physical_memory()
    if have and need > have:
        raise ConfigError(f"{what} needs about {human_bytes(need)} of memory; this machine has {human_bytes(have)}")


def physical_memory() -> int | None:
    """Bytes of memory of this machine (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def problem_file_of(spec: str) -> dict | None:
    """A problem read from a file: its path and SHA-256 (recorded in config.json); None for a registered one."""
    if spec in _registry_names() or not Path(spec).is_file():
        return None
    from .io import sha256_file

    return {"path": str(Path(spec)), "sha256": sha256_file(spec)}


def resolve_T(T: int | None, suggested_T: int | None, prob, spec: str) -> int:
    """--T, else the problem's suggested horizon, else DEFAULT_T; a file problem's rounds bound it."""
    max_rounds = getattr(prob, "max_rounds", None)
    if T is None:
        T = int(suggested_T or DEFAULT_T)
        if max_rounds is not None:
            T = min(T, int(max_rounds))  # a file of coefficients: all of it by default
    T = check_T(T)
    if max_rounds is not None and T > max_rounds:
        raise ConfigError(f"{spec} has {max_rounds} rounds; --T must be at most {max_rounds}, got {T}")
    return T


def user_values(hypers: dict | None, grid: dict | None) -> tuple[dict, dict]:
    """The user's fixed hyperparameters and grid axes, aliases (lr → alpha) normalised; a name given twice,
    or both fixed and as an axis, is refused."""
    from .methods import ALIASES

    user: dict[str, Any] = {}
    for k, v in (hypers or {}).items():
        k2 = ALIASES.get(k, k)
        if k2 in user:
            raise ConfigError(f"{k2} given twice (as an option and with --set)")
        user[k2] = v
    grid = {ALIASES.get(k, k): v for k, v in (grid or {}).items()}
    for k in grid:
        if k in user:
            raise ConfigError(f"{k} given both as a fixed value and as a --grid axis")
    return user, grid


def check_grid(grid: Mapping[str, Sequence | str] | None) -> dict[str, list]:
    """Sweep axes as lists: a spec string parsed (``parse_grid_spec``), a sequence of values taken as they
    are, numbers as floats (as the command line reads them); an empty or repeating axis is refused."""
    if grid is None:
        return {}
    if not isinstance(grid, Mapping):
        raise ConfigError(f"grid must map hyperparameter names to values, got {type(grid).__name__}")
    out = {}
    for name, values in grid.items():
        if isinstance(values, str):
            out[name] = parse_grid_spec(name, values)
            continue
        items = [_scalar(v) for v in (values if isinstance(values, (Sequence, np.ndarray)) else [values])]
        if not items:
            raise ConfigError(f"--grid {name}: no values")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
            items = [float(v) for v in items]
        if len(set(map(repr, items))) != len(items):
            raise ConfigError(f"--grid {name}: repeated values in {items!r}")
        out[name] = items
    return out


def method_specs(pairs: list[tuple[str, Any]], user: dict, grid: dict, suggested: dict) -> list[MethodSpec]:
    """Each method's hyperparameters: the user's, else the problem's suggested, else the method's defaults;
    every value (and every grid value) passes the method's own check. A name no selected method has, or a
    grid axis that one of them lacks, is refused."""
    table = [m for _, m in pairs]
    known = set().union(*(m.hypers for m in table))
    names = ", ".join(m.key for m in table)
    for k in [*user, *grid]:
        if k not in known:
            raise ConfigError(f"no selected method ({names}) has a hyperparameter {k!r}"
                              f"{did_you_mean(k, sorted(known))}")
    for k in grid:
        missing = [m.key for m in table if k not in m.hypers]
        if missing:
            raise ConfigError(f"grid axis {k!r} is not a hyperparameter of {', '.join(missing)}")

    several_conventions = len({m.convention for m in table}) > 1
    specs = []
    for (spec, _), m in zip(pairs, table):
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
        axes = {}
        for k, values in grid.items():  # each grid value must pass the method's own check
            checked = [_check_axis_value(m, given, k, v) for v in values]
            if not batchable(m.hypers[k].check, values):
                axes[k] = checked
        resolved = {k: (None if k in grid else _scalar(v)) for k, v in h.items()}
        label = f"{m.name} ({m.convention})" if several_conventions else m.name
        specs.append(MethodSpec(m.name, m.convention, given, resolved, sources, label, spec, h, axes))
    return specs


def _check_axis_value(m, given: dict, k: str, v: Any) -> Any:
    try:
        return m.resolve({**given, k: v})[0][k]
    except ValueError as e:
        raise ConfigError(f"--grid {k}: {e}") from None


def batchable(check: str, values: list) -> bool:
    """A grid axis runs as (B,) arrays when its values are numbers; schedules, booleans and integer counts
    need one batch per value."""
    return check not in ("bool", "schedule", "beta1_schedule", "int+", "int") and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def batched(h: dict[str, Any], B: int) -> dict[str, Any]:
    """Resolved hyperparameters (numbers as (1, 1) arrays) for a batch of B configurations: (B, 1) arrays."""
    return {k: np.broadcast_to(v, (B, 1)).astype(float) if isinstance(v, np.ndarray) else v
            for k, v in h.items()}


def resolve_domain(prob, domain: str | None, radius: float | None):
    """--domain/--radius, else the problem's own feasible set."""
    from .projections import make_domain

    if domain is not None and not domain.strip():
        raise ConfigError("--domain is empty: give box, ball or none")

    if radius is not None and not (math.isfinite(radius) and radius > 0):
        raise ConfigError(f"--radius must be > 0, got {radius}")
    if domain is None and radius is None:
        return prob.default_domain()
    try:
        return make_domain(domain or prob.default_domain().kind or "box", 1.0 if radius is None else radius)
    except ValueError as e:
        raise ConfigError(str(e)) from None


def check_x0(x0, prob, dom) -> float | list[float] | None:
    """--x0 as the run records it (a number, or d numbers), finite and inside the feasible set."""
    if x0 is None:
        return None
    try:
        values = [float(v) for v in np.ravel(np.asarray(x0, dtype=object))]
    except (TypeError, ValueError):
        raise ConfigError(f"--x0 expects a number or a comma list of numbers, got {x0!r}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ConfigError(f"--x0 must be finite, got {x0!r}")
    if len(values) not in (1, prob.d):
        raise ConfigError(f"--x0 needs 1 or d = {prob.d} numbers, got {len(values)}")
    x0 = values[0] if len(values) == 1 else values
    if not np.all(dom.contains(np.broadcast_to(np.asarray(values), (1, prob.d)))):
        raise ConfigError(f"--x0 {x0} lies outside the feasible set {dom.describe()}")
    return x0


def _registry_names() -> set[str]:
    from oco import problems

    return set(problems.PROBLEMS)


def grid_size(grid: dict[str, list]) -> int:
    return math.prod(len(v) for v in grid.values()) if grid else 1


def default_shard_size(n_rows: int) -> int:
    """Rows per shard: the whole batch when small, else slices of 1024 configurations."""
    return max(1, min(n_rows, 1024))


# ---------------------------------------------------------------- one batch: what the engine runs
@dataclass
class Call:
    """One checked batch of B configurations, every value resolved: the engine's arguments
    (``oco.engine.run``), and the backend asked for. ``oco.api.Job`` runs it."""

    problem: Any
    method: Any
    h: dict[str, Any]  # hyperparameters, numbers as (B, 1) arrays
    seeds: np.ndarray  # (B,) int64
    T: int
    x0: np.ndarray  # (B, d)
    domain: Any
    checkpoints: np.ndarray  # the rounds recorded
    backend: str


def check_call(problem, method, T: int, *, convention: str = "paper", x0=None, domain=None,
               radius: float = 1.0, seed=0, problem_params: dict | None = None, checkpoints=100,
               checkpoint_every: int | None = None, backend: str = "auto",
               hyperparameters: dict[str, Any] | None = None) -> Call:
    """``oco.simulate``'s arguments checked and resolved (typed values: a problem or its name, a method or its
    spec, numbers or (B,) arrays): the Call. Raises ValueError (one line) naming the argument."""
    from . import specs

    T = check_T(T, "T")
    check_backend(backend)
    prob = problem_of(problem, problem_params)
    m = specs.resolve(method, convention)
    check_backend(backend, [m])
    seeds = np.atleast_1d(np.asarray(seed))
    if seeds.ndim != 1 or not np.issubdtype(seeds.dtype, np.integer) or np.any(seeds < 0):
        raise ValueError(f"seed must be a non-negative integer or a 1-D array of them, got {seed!r}")
    max_rounds = getattr(prob, "max_rounds", None)
    if max_rounds is not None and T > max_rounds:
        raise ValueError(f"T={T} is too long: the problem has {max_rounds} rounds")
    # the batch size B: from the hyperparameter arrays, the seeds, or one x0 row per configuration
    x0_rows = np.shape(x0)[0] if x0 is not None and np.ndim(x0) == 2 else 1
    hints = {n for n in (len(seeds), x0_rows) if n > 1}
    if len(hints) > 1:
        raise ValueError(f"seed and x0 give different batch sizes: {sorted(hints)}")
    h, B = m.resolve(hyperparameters or {}, batch=hints.pop() if hints else None)
    dom = domain_of(prob, domain, radius)
    return Call(prob, m, h, np.broadcast_to(seeds, (B,)).copy(), T, x0_rows_of(prob, dom, x0, B), dom,
                checkpoint_rounds(T, checkpoints, checkpoint_every), backend)


def check_T(T, name: str = "--T") -> int:
    """A horizon: an integer in [1, 10^12]."""
    number = isinstance(T, (int, float, np.integer, np.floating)) and not isinstance(T, bool)
    if not number or not float(T).is_integer() or T < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {T!r}")
    if T > MAX_T:
        raise ConfigError(f"{name} must be at most 10^12 (about two hours a configuration on the fastest "
                          f"backend), got {T:.3g}")
    return int(T)


def problem_of(problem, params: dict | None = None):
    """A Problem instance as it is, or a registered one by name (with ``params``)."""
    from oco.problems import Problem, get_problem

    if isinstance(problem, Problem):
        if params:
            raise ValueError("problem parameters go with a problem name, not an instance")
        return problem
    if isinstance(problem, str):
        return get_problem(problem, **(params or {}))
    raise TypeError(f"problem must be a name or a problems.Problem, got {type(problem).__name__}")


def domain_of(prob, domain, radius: float):
    """A Domain as it is, ``"box"``/``"ball"``/``"none"`` with ``radius``, or the problem's own (None)."""
    from .projections import make_domain

    if domain is None:
        return prob.default_domain()
    return make_domain(domain, radius) if isinstance(domain, str) else domain


def x0_rows_of(prob, dom, x0, B: int) -> np.ndarray:
    """x_1 of each configuration, (B, d): the problem's default, or x0 (a number, d numbers, or (B, d)),
    finite and in the feasible set."""
    d = prob.d
    if x0 is None:
        return np.broadcast_to(prob.default_x0(dom), (B, d)).copy()
    x = np.asarray(x0, dtype=float)
    if x.ndim == 0 or x.shape == (d,) or x.shape == (1, d):
        x = np.broadcast_to(x.reshape(-1)[:d] if x.ndim else x, (B, d)).copy()
    elif x.shape != (B, d):
        raise ValueError(f"x0 must be a number, shape ({d},) or ({B}, {d}); got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 must be finite")
    if not np.all(dom.contains(x)):
        raise ValueError(f"x0 must lie in the feasible set {dom.describe()}")
    return x


def checkpoint_rounds(T: int, checkpoints=100, checkpoint_every: int | None = None) -> np.ndarray:
    """The rounds recorded: every k-th (``checkpoint_every``), about n log-spaced, or those given."""
    from .engine import every_checkpoints, log_checkpoints

    if checkpoint_every is not None:
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        return every_checkpoints(T, int(checkpoint_every))
    if np.ndim(checkpoints) == 0:
        return log_checkpoints(T, int(checkpoints))
    cks = np.unique(np.asarray(checkpoints, dtype=np.int64))
    if cks[0] < 1 or cks[-1] > T:
        raise ValueError(f"checkpoints must lie in [1, T={T}]")
    return cks
