"""What ``oco list`` and ``oco show`` print: the method table, the conventions, the problem registry, the
experiments and the analyses, read from the registries themselves (nothing here is a second copy of them)."""

from __future__ import annotations

import inspect

from .analyses import ANALYSES
from .hints import did_you_mean

CONVENTION_HELP = {
    "paper": "the form in the method's paper (Reddi et al.'s φ/ψ table: no bias correction, ε inside the root)",
    "torch": "torch.optim's exact arithmetic (the authors' adabound package for AdaBound/AMSBound)",
    "authors": "the released code where it differs from the paper: Padam (uclaml/Padam), AdaBelief "
               "(adabelief-pytorch 0.2.1, rectified), AdEMAMix (apple/ml-ademamix); Yogi, whose authors released "
               "none, as TensorFlow Addons has it",
}


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _rows(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]


def listing() -> str:
    from oco.problems import PROBLEMS

    from .backends import descriptions
    from .experiments import EXPERIMENTS
    from .methods import CONVENTIONS, conventions_of, get_method, method_names

    lines = ["methods (oco show NAME for the update formula and defaults):"]
    rows = []
    for name in method_names():
        convs = conventions_of(name)
        m = get_method(name, convs[0])
        rows.append((name, ",".join(convs), m.summary))
    lines += _rows(rows)
    lines.append("conventions (--preset, or -m NAME:CONVENTION):")
    lines += _rows([(c, CONVENTION_HELP.get(c, "")) for c in CONVENTIONS])
    lines.append("problems (oco show NAME for the definition and parameters):")
    lines += _rows([(n, cls.summary or _first_line(cls.__doc__)) for n, cls in PROBLEMS.items()])
    lines.append("experiments (oco reproduce NAME):")
    lines += _rows([(n, e.description) for n, e in EXPERIMENTS.items()])
    lines.append("analyses (oco show NAME for what each does):")
    lines += _rows([(a.name, a.summary) for a in ANALYSES.values()])
    lines.append("backends (--backend):")
    lines += _rows(list(descriptions().items()))
    return "\n".join(lines)


def describe(name: str) -> str:
    """A method (every convention), a problem, an experiment, a convention or an analysis; ValueError if
    unknown."""
    from oco.problems import PROBLEMS

    from .experiments import EXPERIMENTS
    from .methods import CONVENTIONS, method_names

    key = name.strip()
    parts = []  # a name can be a problem and an experiment on it at once (reddi-thm1, adopt-toy, …)
    if key.lower() in method_names():
        parts.append(describe_method(key.lower()))
    if key in PROBLEMS:
        parts.append(describe_problem(key))
    if key in EXPERIMENTS:
        parts.append(("experiment " if key in PROBLEMS else "") + describe_experiment(key))
    if key in CONVENTIONS:
        parts.append(f"{key}: {CONVENTION_HELP.get(key, '')}")
    if key in ANALYSES:
        parts.append(ANALYSES[key].describe())
    if parts:
        return "\n\n".join(parts)
    if ":" in key:  # a method spec: name:convention, FILE.py:NAME, module:NAME, torch:…, optax:…
        from . import specs

        return method_text(specs.resolve(key))
    known = [*method_names(), *PROBLEMS, *EXPERIMENTS, *CONVENTIONS, *ANALYSES]
    raise ValueError(f"no method, problem or experiment named {name!r}{did_you_mean(key, known)}; see 'oco list'")


def describe_method(name: str) -> str:
    from .methods import conventions_of, get_method

    return "\n\n".join(method_text(get_method(name, conv)) for conv in conventions_of(name))


def method_text(m) -> str:
    """A method's (a row's, a user's or a foreign optimizer's) summary, update formula, source and
    hyperparameters."""
    from .foreign import NOT_OBSERVABLE, Foreign

    out = [f"{m.name} ({m.convention}): {m.summary}"]
    out.append(f"  update:  {m.formula or 'not known to oco'}")
    if isinstance(m, Foreign):
        out.append(f"  note:    {NOT_OBSERVABLE}; lr_min, lr_max and Γ_t are not observable")
    out.append(f"  source:  {m.source}")
    if not isinstance(m, Foreign):
        from .analyses.bounds import describe as bound_lines

        out += bound_lines(m.name, m.convention)  # the published regret bound, for the rows that have one
        out.append(f"  pieces:  {', '.join(map(repr, m.all_pieces))}")
    out.append("  hyperparameters (default, meaning):")
    out += _rows([(k, repr(h.default), h.help) for k, h in m.hypers.items()], "    ")
    return "\n".join(out)


def describe_problem(name: str) -> str:
    from oco.problems import PROBLEMS

    cls = PROBLEMS[name]
    out = [f"{name}: {cls.summary}"]
    doc = inspect.cleandoc(cls.__doc__ or "")
    if doc:
        out += ["  " + line for line in doc.splitlines()]
    params = cls.parameters() if hasattr(cls, "parameters") else {}
    if params:
        out.append("  parameters (--param KEY=VALUE; default, meaning):")
        out += _rows([(k, repr(p["default"]), p.get("help", "")) for k, p in params.items()], "    ")
    try:
        inst = cls()
    except (TypeError, ValueError):  # a problem that needs parameters (a file, say) has no default instance to show
        inst = None
    if inst is not None:
        out.append(f"  dimension d = {inst.d}; {'stochastic' if cls.stochastic else 'deterministic'}; "
                   f"feasible set {inst.default_domain().describe()}")
        fl = getattr(inst, "failure_level", None)
        if fl is not None:
            out.append(f"  failure level (closed-form R_T/T of the failing method): {fl:.6g}")
        sug = getattr(inst, "suggested", None)
        if sug:
            out.append("  suggested hyperparameters (the defaults of oco run): "
                       + ", ".join(f"{k}={v}" for k, v in sug.items()))
        for note in getattr(inst, "notes", list)():
            out.append(f"  note: {note}")
    return "\n".join(out)


def describe_experiment(name: str) -> str:
    from .experiments import EXPERIMENTS

    e = EXPERIMENTS[name]
    return "\n".join([
        f"{name}: {e.description}",
        f"  expected: {e.expected}",
        f"  equivalent command: {e.command()}",
        f"  figures: {', '.join(e.figures)}",
    ])
