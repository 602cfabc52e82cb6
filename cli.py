"""The ``oco`` command line: list, show, run, sweep, plot, reproduce, check (verdicts on the counterexamples),
diff (where two methods part).

Each command parses its options and calls library functions (``oco.config``, ``oco.runs``, ``oco.sweeps``,
``oco.analyses``, ``oco.plots``, ``oco.experiments``); there is no math here. Heavy packages (numpy,
matplotlib, scipy) are imported inside the commands, so ``oco --help`` stays fast. Bad input prints one line
on stderr and exits with status 2; an unexpected error (a bug) prints one line, writes its traceback to a file
and exits with status 1 (``OCO_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
import types
import typing
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from oco import backends  # the registry only: nothing heavy

try:  # typer >= 0.22 vendors click
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click


class _Deferred(type):
    """A stand-in for the class ``__module__.__name__``: calling it or reading an attribute it lacks imports
    the real class and hands on to it."""

    def _real_class(cls) -> type:
        return getattr(importlib.import_module(cls.__module__), cls.__name__)

    def __call__(cls, *args, **kwargs):
        return cls._real_class()(*args, **kwargs)

    def __getattr__(cls, name):
        return getattr(cls._real_class(), name)


def _import_help_formatter() -> None:
    """Import typer's help formatter, typer.rich_utils, without the rich.markdown and rich.traceback it
    imports at its top. They serve markup_mode="markdown" and typer's own tracebacks, which oco's help does
    not use (oco's markup is "rich"; its errors are one line), and they bring markdown_it and pygments: half
    the time of ``oco --help``. Their classes Markdown and Traceback are stand-ins (``_Deferred``) that import
    the real ones on first use, so the formatter behaves as before; if the import fails all the same, typer
    imports its formatter itself when it needs it, as it would without this."""
    from typer import core

    if not core.HAS_RICH or "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            stand_ins[module] = types.ModuleType(module)
            setattr(stand_ins[module], name, _Deferred(name, (), {"__module__": module}))
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("typer.rich_utils")
    except Exception:  # pragma: no cover  (a typer that reads more of those modules)
        pass
    finally:
        for module in stand_ins:
            del sys.modules[module]


_import_help_formatter()

_ARGV: list[str] = ["oco"]
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class OcoGroup(TyperGroup):
    """Usage errors (unknown option, bad number) as one line on stderr, exit status 2, like our own checks."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        _ARGV[:] = ["oco", *argv]
        try:
            with warnings.catch_warnings():
                # numpy's overflow/invalid-value warnings: a diverging run is reported by oco, not by numpy
                warnings.simplefilter("ignore", RuntimeWarning)
                rv = super().main(args=argv, prog_name="oco", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except click.exceptions.ClickException as e:
            if not standalone_mode:
                raise
            ctx = getattr(e, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"Error: {e.format_message()}{hint}", err=True)
            sys.exit(e.exit_code)
        except (typer.Abort, KeyboardInterrupt):
            if not standalone_mode:
                raise
            typer.echo("Aborted.", err=True)
            sys.exit(130)
        except Exception as e:  # a bug in oco: one line, the traceback in a file (or on screen with OCO_DEBUG=1)
            if not standalone_mode or os.environ.get("OCO_DEBUG", "") not in ("", "0"):
                raise
            typer.echo(f"oco: internal error: {type(e).__name__}: {e} ({_write_traceback()}; "
                       "OCO_DEBUG=1 shows it here)", err=True)
            sys.exit(EXIT_INTERNAL)
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _write_traceback() -> str:
    """Write the current exception's traceback (and the command line) to a file; say where."""
    import tempfile
    import traceback

    text = f"{' '.join(_ARGV)}\n\n{traceback.format_exc()}"
    try:
        fd, path = tempfile.mkstemp(prefix="oco-traceback-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        return "the traceback could not be written"
    return f"traceback written to {path}"


app = typer.Typer(
    cls=OcoGroup,
    help="oco: regret of adaptive online methods (Adam, AMSGrad, AdaBound, …) on the papers' counterexamples.",
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def user_errors():
    """Turn the library's input errors into one line on stderr and exit status 2."""
    try:
        yield
    except (ValueError, OSError) as e:  # ConfigError and OutputError are ValueErrors
        fail(str(e) if not isinstance(e, FileNotFoundError) or not e.filename else f"{e.strerror}: {e.filename}")


# ---------------------------------------------------------------- options shared by run and sweep
Problem = Annotated[
    str | None,
    typer.Argument(help="a registered problem (see 'oco list') or a file of linear-loss coefficients",
                   show_default="reddi-online"),
]
Methods = Annotated[
    list[str] | None,
    typer.Option("--method", "-m", help="method, repeatable; NAME or NAME:CONVENTION (e.g. adam:torch)",
                 show_default="adam, amsgrad"),
]
TOpt = Annotated[int | None, typer.Option("--T", "-T", help="rounds", show_default="100000")]
Alpha = Annotated[float | None, typer.Option("--alpha", help="step size α (torch: lr)")]
Beta1 = Annotated[float | None, typer.Option("--beta1", help="first-moment decay β1 ∈ [0, 1)")]
Beta2 = Annotated[float | None, typer.Option("--beta2", help="second-moment decay β2 ∈ [0, 1)")]
Eps = Annotated[float | None, typer.Option("--eps", help="ε (where the method's convention puts it)")]
Schedule = Annotated[str | None, typer.Option("--schedule", help="step sizes: const (α_t = α), sqrt (α/√t), sgdr")]
Preset = Annotated[str, typer.Option("--preset", help="convention: paper (the papers' forms) or torch (torch.optim)")]
X0 = Annotated[str | None, typer.Option("--x0", help="starting point: a number, or d numbers 'a,b,…' "
                                           "(negative: --x0=-1)")]
Seed = Annotated[int, typer.Option("--seed", help="first seed of the data")]
Seeds = Annotated[int, typer.Option("--seeds", help="K independent runs: seeds seed … seed+K−1")]
DomainOpt = Annotated[str | None, typer.Option("--domain", help="feasible set: box, ball or none "
                                                  "(default: the problem's, [−1, 1] for the counterexamples)")]
Radius = Annotated[float | None, typer.Option("--radius", help="radius of the box or ball")]
Params = Annotated[list[str] | None, typer.Option("--param", help="problem parameter KEY=VALUE (C, period, p, k, …)")]
Sets = Annotated[list[str] | None, typer.Option("--set", help="any other hyperparameter KEY=VALUE "
                                                   "(momentum, final_lr, gamma, weight_decay, p, …)")]
Backend = Annotated[str, typer.Option("--backend", help=f"engine backend: {backends.AUTO} ({backends.AUTO_DESCRIPTION}), "
                                      f"or {', '.join(backends.REGISTRY)} (see 'oco list')")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]
Checkpoints = Annotated[int, typer.Option("--checkpoints", help="rounds recorded in the traces, log-spaced")]
CheckpointEvery = Annotated[int | None, typer.Option("--checkpoint-every", help="record every k-th round instead")]
Format = Annotated[str, typer.Option("--format", help="figure format: png, svg, pdf or pgf (pgf needs xelatex); "
                                                     "each figure's data is written beside it as NAME.csv")]
Plot = Annotated[bool, typer.Option("--plot/--no-plot", help="draw the figures")]


# the options run and sweep share, declared once: name → (annotation, default). SETTINGS reach the checker,
# oco.config.resolve, each under its name (one that is none of its keywords is a hyperparameter, as --alpha);
# OUTPUT says how the command shows what it computed.
SETTINGS = {
    "T": (TOpt, None),
    "alpha": (Alpha, None),
    "beta1": (Beta1, None),
    "beta2": (Beta2, None),
    "eps": (Eps, None),
    "schedule": (Schedule, None),
    "convention": (Preset, "paper"),
    "x0": (X0, None),
    "seed": (Seed, 0),
    "seeds": (Seeds, 1),
    "domain": (DomainOpt, None),
    "radius": (Radius, None),
    "params": (Params, None),
    "sets": (Sets, None),
    "backend": (Backend, "auto"),
    "checkpoint_every": (CheckpointEvery, None),
}
OUTPUT = {
    "fmt": (Format, "png"),
    "plot": (Plot, True),
    "quiet": (Quiet, False),
}
SHARED = {**SETTINGS, **OUTPUT}


def shared_options(command):
    """Give a command the options of SHARED after its own; it receives them as one dict, ``opts``."""
    hints = typing.get_type_hints(command, include_extras=True)  # this module's annotations are strings
    own = [p.replace(annotation=hints[name]) for name, p in inspect.signature(command).parameters.items()
           if name != "opts"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
             for name, (ann, default) in SHARED.items()]

    @functools.wraps(command)
    def wrapper(**kwargs):
        return command(opts={name: kwargs.pop(name) for name in SHARED}, **kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + extra
    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _settings(opts: dict, **own) -> dict:
    """The checker's keywords (``oco.config.resolve``) from the SETTINGS and the command's ``own`` options."""
    from oco import config

    with user_errors():
        return config.from_command_line({**{k: opts[k] for k in SETTINGS}, **own})


FIGURE_FORMATS = ("png", "svg", "pdf", "pgf")  # oco.plots.FORMATS, not imported here: --help imports no numpy


def _check_format(fmt: str) -> None:
    if fmt not in FIGURE_FORMATS:
        fail(f"--format must be png, svg, pdf or pgf, got {fmt!r}")
    if fmt == "pgf":
        from oco.plots import pgf_unavailable

        why = pgf_unavailable()
        if why:
            fail(f"--format {why}")


# ---------------------------------------------------------------- commands
@app.command("list")
def list_() -> None:
    """Methods, conventions, problems and experiments, one line each."""
    from oco import catalog

    typer.echo(catalog.listing())


@app.command()
def show(name: Annotated[str, typer.Argument(help="a method, problem, experiment or convention")]) -> None:
    """A method's update formula, conventions and defaults; a problem's definition; an experiment."""
    from oco import catalog

    with user_errors():
        typer.echo(catalog.describe(name))


@app.command()
@shared_options
def run(
    problem: Problem = None,
    method: Methods = None,
    checkpoints: Checkpoints = 200,
    json_: Annotated[bool, typer.Option("--json", help="print one JSON document to stdout and nothing else")] = False,
    out: Annotated[str | None, typer.Option("--out", help="folder for config, manifest, results, traces, "
                                                "figures (default without --json: runs/PROBLEM-NNN)")] = None,
    opts: dict | None = None,
) -> None:
    """Run methods on a problem; print a table (or --json) and write the run's folder with its figures.

    With no arguments: Adam vs AMSGrad on reddi-online (Reddi et al. 2018, Figure 1) with the problem's suggested settings (β1 = 0.9, β2 = 0.99, α_t = α/√t) for 10⁵ rounds: Adam's x_t goes to +1, AMSGrad's towards the optimum −1.
    """
    from oco import config, io, runs
    from oco.progress import ProgressBar

    _check_format(opts["fmt"])
    with user_errors():
        settings = _settings(opts, problem=problem, methods=method, checkpoints=checkpoints)
        cfg = config.resolve("run", **settings)
        if out is not None:
            out = io.check_out_dir(out)
        drawer = None
        if (out is not None or not json_) and opts["plot"]:  # figures to draw: matplotlib imported meanwhile
            from oco.plots import Drawer

            drawer = Drawer.start()
    if out is None and not json_:
        with user_errors():
            io.check_writable("runs", "the default output folder")
        out = io.next_free_dir("runs", Path(cfg.problem_spec).stem if cfg.problem_file else cfg.problem_spec)
    with ProgressBar(cfg.T * len(cfg.methods), "rounds", enabled=not opts["quiet"]) as bar:
        results = runs.execute(cfg, bar)
    figures = []
    if out is not None:
        runs.write_folder(out, cfg, results, list(_ARGV))
        figures = drawer.plot_folder(out, opts["fmt"]) if drawer is not None else []
    if json_:
        typer.echo(io.dumps(runs.document(cfg, results), indent=None))
        return
    typer.echo(runs.settings_line(cfg))
    typer.echo(runs.summary_table(cfg, results))
    for line in runs.notes(results):
        typer.echo(line)
    typer.echo(f"wrote {out}/" + (f" ({', '.join(f.name for f in figures)})" if figures else ""))


@app.command()
@shared_options
def sweep(
    problem: Problem = None,
    method: Methods = None,
    grid: Annotated[list[str] | None, typer.Option("--grid", help="grid axis NAME=SPEC, repeatable; SPEC "
                                                      "'a,b,c' or 'start:stop:num' (both ends included)")] = None,
    out: Annotated[str | None, typer.Option("--out", help="folder for config, manifest, sweep.csv, "
                                                "traces and heat maps (required)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="finish an interrupted sweep in --out, "
                                         "skipping finished shards")] = False,
    shard_size: Annotated[int | None, typer.Option("--shard-size", help="rows (configurations × seeds) "
                                                      "per shard", show_default="all, at most 1024")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", metavar="ADDRESS", help="compute the shards on "
                                                   "the Dask cluster whose scheduler is at ADDRESS "
                                                   "(tcp://HOST:8786; needs oco's optional 'dask' extra)")] = None,
    workers: Annotated[int | None, typer.Option("--workers", metavar="N", help="compute the shards on a Dask "
                                                "cluster of N processes started on this machine")] = None,
    traces: Annotated[str | None, typer.Option("--traces", help="checkpoint traces kept in traces.npz: thin "
                                               "(every row up to 16 MiB, beyond it a sub-grid), all, or none",
                                               show_default="thin; on --resume the folder's")] = None,
    checkpoints: Checkpoints = 50,
    opts: dict | None = None,
) -> None:
    """Run the whole product of --grid axes × methods × seeds as batches; write sweep.csv and heat maps.

    The shards run one after the other here, or on a Dask cluster: --scheduler ADDRESS (a running one) or --workers N (N processes on this machine); sweep.csv is the same byte for byte.
    """
    from oco import distributed as dist
    from oco import sweeps as sw
    from oco.progress import ProgressBar

    _check_format(opts["fmt"])
    if out is None:
        fail("sweep needs --out DIR")
    on_cluster = scheduler is not None or workers is not None
    drawer = None
    if opts["plot"]:  # matplotlib imported meanwhile (while prepare loads numba on one core)
        from oco.plots import Drawer

        drawer = Drawer.start()
    with user_errors():
        if on_cluster:
            dist.check_options(scheduler, workers)
        settings = _settings(opts, problem=problem, methods=method, checkpoints=checkpoints, grid=grid)
        cfg = sw.prepare(out, resume, settings.pop("grid"), shard_size, traces, **settings)
    out = Path(out)
    with ExitStack() as stack:
        runner, extra = None, {}
        if on_cluster:
            with user_errors():
                client = stack.enter_context(dist.connect(scheduler, workers))
            runner, extra = dist.runner(client), {"dask": {"scheduler": scheduler, "workers": workers}}
            if shard_size is None and not resume:  # neither given nor stored: enough shards for every worker
                cfg.shard_size = dist.default_shard_size(sw.n_rows(cfg), dist.threads(client))
        try:
            with ProgressBar(sw.pending_rounds(cfg, out, traces), "rounds", enabled=not opts["quiet"]) as bar:
                path = sw.run_sweep(cfg, out, list(_ARGV), bar, extra=extra, runner=runner, traces=traces)
        except dist.ClusterError as e:
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None
    if drawer is not None:
        drawer.plot_folder(out, opts["fmt"])
    typer.echo(f"{sw.n_rows(cfg)} rows ({len(sw.shards(cfg))} shards) → {path}")


@app.command()
def plot(
    folder: Annotated[str, typer.Argument(help="a run or sweep folder (written with --out)")],
    fmt: Format = "png",
) -> None:
    """Draw (again) the figures of a run or sweep folder from its files."""
    from oco.plots import plot_folder

    _check_format(fmt)
    with user_errors():
        if not str(folder).strip():
            fail("FOLDER is empty: name a run or sweep folder")
        files = plot_folder(folder, fmt)
    for f in files:
        typer.echo(str(f))


@app.command()
def reproduce(
    experiment: Annotated[str, typer.Argument(help="an experiment (see 'oco list'), or 'all'")],
    out: Annotated[str | None, typer.Option("--out", help="folder (default: figures/EXPERIMENT; "
                                                "with 'all', the parent folder, default figures/)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace the files of an existing output folder")] = False,
    check_: Annotated[bool, typer.Option("--check", help="compare with the experiment's numeric targets (and "
                                         "their sources); exit 1 when one fails")] = False,
    backend: Backend = "numpy",
    fmt: Format = "png",
    quiet: Quiet = False,
) -> None:
    """Run a named experiment from the papers end to end; write its figures with JSON sidecars."""
    from oco import experiments

    _check_format(fmt)
    with user_errors():
        names = experiments.select(experiment)
        targets = experiments.targets(names, out)
        for name in names:
            experiments.prepare(name, targets[name], force, backend)
    failed = 0
    for name in names:
        files, seconds = experiments.reproduce(name, targets[name], list(_ARGV), fmt, quiet, backend)
        typer.echo(f"{name}: {seconds:.1f} s → {', '.join(str(f) for f in files)}")
        if check_:
            for target, got, ok in experiments.check_targets(name, targets[name]):
                failed += not ok
                shown = "—" if got is None else f"{got:.4g}"
                typer.echo(f"  {'pass' if ok else 'FAIL'}  {target.describe()}: measured {shown}")
    if failed:
        raise typer.Exit(1)


@app.command()
def check(
    method: Annotated[list[str] | None, typer.Argument(help="method specs: adam, adam:torch, FILE.py:NAME, "
                                                        "module:NAME, torch:DOTTED.PATH, optax:DOTTED.FACTORY")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every built-in method in its paper convention, as a "
                                       "matrix")] = False,
    problems: Annotated[str | None, typer.Option("--problems", help="comma list of suite problems "
                                                 "(default: all; see 'oco show check')")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="shorter horizons and fewer seeds")] = False,
    T: Annotated[int | None, typer.Option("--T", "-T", help="at most this many rounds per problem (default: the "
                                          "suite's; torch:/optax: optimizers 20000)")] = None,
    alpha: Alpha = None,
    beta1: Beta1 = None,
    beta2: Beta2 = None,
    eps: Eps = None,
    set_: Sets = None,
    json_: Annotated[bool, typer.Option("--json", help="print one JSON document to stdout and nothing else")] = False,
    out: Annotated[str | None, typer.Option("--out", help="folder for verdicts.json and the figure")] = None,
    backend: Backend = "auto",
    fmt: Format = "png",
    quiet: Quiet = False,
) -> None:
    """A verdict per method and counterexample — fails, converges or inconclusive (run longer) — with its evidence.

    The suite is the papers' counterexamples at their settings (Reddi et al.'s Figure 1 and Theorems 1–3, AdaBound's small-rate example, ADOPT's toy, Zhang et al.'s example) and control problems; a method receives the settings' hyperparameters it has, and yours override them. Exit status 0 when no verdict is "fails", 1 when one is, 2 for bad input.
    """
    from oco import config, io, plots
    from oco.analyses import check as suite
    from oco.methods import method_names
    from oco.progress import ProgressBar

    _check_format(fmt)
    with user_errors():
        if all_ and method:
            fail("give METHOD... or --all, not both")
        methods = [f"{n}:paper" for n in method_names()] if all_ else list(method or [])
        if not methods:
            fail("name at least one METHOD (or --all)")
        names = suite.select([p.strip() for p in problems.split(",")] if problems is not None else None)
        hypers = config.hypers_from_command_line({"alpha": alpha, "beta1": beta1, "beta2": beta2, "eps": eps},
                                                 set_)
        config.check_suite(methods, hypers, backend, T, lenient=all_)
        if out is not None:
            out = io.check_out_dir(out)
    with ProgressBar(suite.rounds(methods, names, quick, T), "rounds", enabled=not quiet and not json_) as bar:
        with user_errors():
            report = suite.check_suite(methods, names, quick, backend, bar, T, **hypers)
    if out is not None:
        report.write(out)
        plots.plot_check(report, out, fmt, " ".join(_ARGV))
    typer.echo(io.dumps(report.to_dict(), indent=None) if json_ else
               report.text(as_matrix=all_) + (f"; wrote {out}/" if out is not None else ""))
    raise typer.Exit(1 if report.fails else 0)


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="a method spec: NAME[:CONVENTION], FILE.py:NAME, package.module:NAME, "
                                          "torch:DOTTED.PATH or optax:DOTTED.FACTORY")],
    b: Annotated[str, typer.Argument(help="the method to compare it with (a spec as A)")],
    alpha: Alpha = None,
    beta1: Beta1 = None,
    beta2: Beta2 = None,
    eps: Eps = None,
    schedule: Schedule = None,
    set_: Sets = None,
    defaults: Annotated[str, typer.Option("--defaults", help="hyperparameters both methods have and nobody gave: "
                                          "own (each its own default), a or b (that method's default for both)")]
    = "own",
    x0: X0 = None,
    tol: Annotated[float, typer.Option("--tol", help="relative difference of the iterates that counts")] = 1e-9,
    max_len: Annotated[int, typer.Option("--max-len", help="longest sequence tried (lengths 10, 30, 100, 400, "
                                         "1000 up to it)")] = 1000,
    time_budget: Annotated[float, typer.Option("--time-budget", help="seconds after which no new batch of "
                                               "sequences starts")] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the sequences")] = 0,
    out: Annotated[str | None, typer.Option("--out", help="folder for sequence.npy and diff.json when they "
                                            "differ (default: diffs/A-vs-B-NNN)")] = None,
    json_: Annotated[bool, typer.Option("--json", help="print one JSON document to stdout and nothing else")] = False,
) -> None:
    """Where two methods part: their update formulas side by side, then a search for a short gradient sequence on which their iterates differ (exit status 1, the sequence saved as a .npy that 'oco run' replays; 0: no difference found).

    Both run unconstrained from x_1 = 0 (or --x0), each with its own defaults unless a value is given (it goes to each method that has that hyperparameter), on i.i.d. Gaussian, spiky, monotone and sparse sequences of 10 to --max-len rounds, d = 1 and 3.
    """
    from oco import config, io
    from oco.analyses.diff import diff as find_difference

    with user_errors():
        given = config.hypers_from_command_line(
            {"alpha": alpha, "beta1": beta1, "beta2": beta2, "eps": eps, "schedule": schedule}, set_)
        report = find_difference(a, b, tol=tol, max_len=max_len, time_budget=time_budget, seed=seed, out_dir=out,
                                 x0=config.parse_x0(x0), defaults=defaults, hypers=given)
    typer.echo(io.dumps(report.to_dict(), indent=None) if json_ else report.text())
    if report.differ:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
