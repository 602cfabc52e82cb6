"""What every foreign optimizer shares: ``Foreign`` (the part of a method row it plays), ``Stepper`` (its
update of a batch), ``run_foreign`` (its rounds in oco's host loop, with the engine's bookkeeping) and
``import_dotted`` (a ``prefix:DOTTED.PATH`` spec's object). The adapters (``torch_optim``, ``optax_optim``)
build on it; ``oco.foreign.load`` picks one by the spec's prefix."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import importlib

import numpy as np

from .. import hints
from ..loop import Rounds, host_loop
from ..methods import Hyper, resolve_hypers
from ..projections import Domain
from ..result import Result

PREFIXES = ("torch", "optax")
NOT_OBSERVABLE = "the optimizer's preconditioner (η_t) is not visible to oco: x_{t+1} = Π_F(x̂) in the Euclidean norm"

# (t, g (B, d), x (B, d)) → x̂_{t+1} (B, d), float64 NumPy arrays; the stepper keeps the optimizer's state
Stepper = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Foreign(ABC):
    """An optimizer of another library, by its dotted path (``target``), as a method oco can run."""

    target: str
    hypers: dict[str, Hyper] = field(default_factory=dict)
    summary: str = ""
    source: str = ""
    convention: str = "foreign"
    formula: str = ""  # oco does not know it: ``oco show`` says so

    @property
    def name(self) -> str:
        return f"{self.convention}:{self.target}"

    @property
    def key(self) -> str:
        return self.name

    def resolve(self, given: dict[str, Any], batch: int | None = None) -> tuple[dict, int]:
        """Check hyperparameters as a method row does; numbers become (B, 1) arrays. Returns (h, B)."""
        return resolve_hypers(self.name, self.convention, self.hypers, given, batch)

    @abstractmethod
    def stepper(self, h: dict, x0: np.ndarray) -> Stepper:
        """The update of B configurations from x_1 = x0 (B, d) with hyperparameters h ((B, 1) arrays)."""

    def run(self, problem, h: dict, seeds: np.ndarray, T: int, x0: np.ndarray, domain: Domain,
            checkpoints: np.ndarray, progress: Callable[[int], None] | None = None) -> Result:
        """``oco.engine.run``'s contract: B configurations for T rounds, the same Result."""
        return run_foreign(self, problem, h, seeds, T, x0, domain, checkpoints, progress)


def run_foreign(opt: Foreign, problem, h: dict, seeds: np.ndarray, T: int, x0: np.ndarray, domain: Domain,
                checkpoints: np.ndarray, progress: Callable[[int], None] | None = None) -> Result:
    """The engine's loop with the foreign update: the problem's losses and gradients, ``opt``'s step, the
    Euclidean projection, and the engine's own tallies (divergence, compensated loss) and traces."""
    rounds = ForeignRounds(problem, seeds, x0, len(checkpoints), step=opt.stepper(h, x0.astype(float)),
                           project=domain.project)
    host_loop(problem, seeds, T, checkpoints, rounds, progress)
    return rounds.result(opt, h, seeds, T, domain, checkpoints)


class ForeignRounds(Rounds):
    """A foreign optimizer's rounds in the host loop (``oco.loop.Rounds``): per round the problem's f_t and
    g_t, the optimizer's step, Π_F in the Euclidean norm, and the engine's Tallies; f_t and x_t at the
    checkpoints (η_t is not observable)."""

    def __init__(self, problem, seeds: np.ndarray, x0: np.ndarray, K: int, step: Stepper | None = None,
                 project: Callable | None = None):
        from ..engine import NUMPY, Tallies, Traces

        B, d = x0.shape
        self.problem, self.step, self.project = problem, step, project
        self.x = x0.astype(float, copy=True)
        self.seed_index = np.unique(seeds, return_inverse=True)[1]
        self.tallies, self.traces = Tallies.start(B, NUMPY), Traces.empty(K, B, d)
        self.unseen = np.full((B, d), np.nan)  # η_t: not observable
        self.ones = np.ones((B, d))

    def run(self, data: np.ndarray, t: int, n: int, j: int) -> None:
        from ..engine import NUMPY

        x, (B, d), rows, unseen = self.x, self.x.shape, self.seed_index, self.unseen
        loss_grad, step, project, add = self.problem.loss_grad, self.step, self.project, self.tallies.add
        for i in range(j, j + n):
            loss, g = loss_grad(x, data[rows, i])
            xhat = np.asarray(step(t, np.asarray(g, float), x), float).reshape(B, d)
            x = add(NUMPY, t, loss, x, project(xhat, self.ones), unseen, unseen)
            t += 1
        self.x = x

    def record(self, k: int) -> None:
        self.traces.loss[k], self.traces.x[k], self.traces.lr[k] = self.tallies.loss(), self.x, np.nan

    def result(self, opt: Foreign, h: dict, seeds: np.ndarray, T: int, domain: Domain,
               checkpoints: np.ndarray) -> Result:
        """``oco.engine.finish``'s Result, its learning rates marked not observable."""
        from ..engine import finish

        tallies, traces = self.tallies, self.traces
        result = finish(self.problem, opt, h, seeds, T, self.x, domain, checkpoints, tallies, traces)
        result.lr_observed = False
        return result


def import_dotted(prefix: str, target: str, example: str) -> Any:
    """The object at the dotted path ``target`` of a ``prefix:`` spec: the longest importable module prefix,
    then attributes; every failure a one-line ValueError (a missing attribute with a "did you mean")."""
    parts = target.split(".")
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"{prefix}:{target} is not a dotted path, e.g. {prefix}:{example}")
    for i in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:i])
        try:
            obj = importlib.import_module(module_name)
            break
        except ModuleNotFoundError as e:
            if e.name is None or not (module_name == e.name or module_name.startswith(e.name + ".")):
                raise ValueError(f"{prefix}:{target}: importing {module_name} failed: no module named {e.name!r}") \
                    from None
        except Exception as e:  # noqa: BLE001 (a third party's module: say what it raised, in one line)
            raise ValueError(f"{prefix}:{target}: importing {module_name} raised {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}") \
                from None
    else:
        raise ValueError(f"{prefix}:{target}: no module named {parts[0]!r}")
    for j in range(i, len(parts)):
        if not hasattr(obj, parts[j]):
            known = [k for k in dir(obj) if not k.startswith("_")]
            raise ValueError(f"{prefix}:{target}: {'.'.join(parts[:j])} has no {parts[j]!r}"
                             f"{hints.did_you_mean(parts[j], known)}")
        obj = getattr(obj, parts[j])
    return obj
