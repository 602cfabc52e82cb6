"""``torch:DOTTED.PATH``: a ``torch.optim.Optimizer`` subclass (torch's own, ``torch:torch.optim.Adam``, or a
third party's, ``torch:pytorch_optimizer.Lion``) run on oco's problems.

Hyperparameters come from the constructor's signature, oco's names mapped onto torch's:

    alpha ↔ lr            (with oco's ``schedule``: each round every group's lr is set to α_t before step())
    beta1, beta2 ↔ betas  (betas[0], betas[1], …, only where the constructor has a tuple ``betas``)
    eps ↔ eps
    beta2 ↔ alpha         (RMSprop's smoothing constant, as oco's ``rmsprop:torch`` row names it)

every other argument under its own name (``torch_NAME`` where the name is oco's), checked by the type of its
default (``oco.foreign.hypers``: one mapping for both adapters); ``params``, ``foreach``, ``fused``,
``capturable`` and ``differentiable`` are left to torch.

A batch of B configurations runs as ONE optimizer with B parameter groups (a float64 (d,) tensor each, the
rows of one (B, d) tensor, with that configuration's hyperparameters), or as B optimizers when a
hyperparameter that varies over the batch is not a parameter-group setting (not in ``optimizer.defaults``).
Either way each configuration's arithmetic is its single run's, bit for bit. The optimizer must update its
parameters in place, as torch.optim's do.

Torch runs as the user's torch runs: on the CPU (where torch.optim takes its single-tensor path) and in the
user's default dtype, which oco does not change. Torch keeps some optimizer scalars in the *default* dtype,
not the parameter's (``torch.optim.optimizer._get_scalar_dtype``): the step count (exact either way up to
2^24 rounds) and NAdam's running product Π μ_i, which is float32 unless ``torch.set_default_dtype(
torch.float64)``. oco's ``torch`` rows compute everything in float64, i.e. they match torch run under
``torch.set_default_dtype(torch.float64)``; with the float32 default they match every optimizer whose
default-dtype state is the step count alone (SGD, Adam, AdamW, AMSGrad, RMSprop, Adagrad, …).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..methods import step_size
from .base import NOT_OBSERVABLE, Foreign, Stepper, import_dotted
from .hypers import Arg, Names, from_signature

LEFT_TO_TORCH = ("params", "foreach", "fused", "capturable", "differentiable")
# constructor arguments the table names otherwise, per torch.optim class (and its subclasses): (name, check)
TABLE_NAMES = {"RMSprop": {"alpha": ("beta2", "beta")}}
BETAS = {"betas": ("beta", "beta")}  # betas[i] ↔ beta{i+1}


@dataclass(frozen=True)
class TorchOptimizer(Foreign):
    """A torch.optim.Optimizer subclass (``optimizer``) as a method oco can run; ``args``: oco name → Arg."""

    convention: str = "torch"
    optimizer: Any = None
    args: dict[str, Arg] = field(default_factory=dict)

    @classmethod
    @functools.cache
    def load(cls, target: str) -> TorchOptimizer:
        """The optimizer class at the dotted path ``target``; ValueError (one line) when torch is missing, the
        path does not import or it is not an Optimizer subclass."""
        if importlib.util.find_spec("torch") is None:
            raise ValueError(f"torch:{target} needs PyTorch: pip install torch")
        import torch

        obj = import_dotted("torch", target, "torch.optim.Adam")
        if not (inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)):
            what = f"the class {obj.__module__}.{obj.__qualname__}" if inspect.isclass(obj) else \
                f"a {type(obj).__name__}"
            raise ValueError(f"torch:{target} is {what}, not a torch.optim.Optimizer subclass")
        names = Names("torch", "lr", renamed=_table_names(obj), tuples=BETAS, skipped=LEFT_TO_TORCH)
        hypers, args = from_signature(inspect.signature(obj), names, target)
        where = f"{obj.__module__}.{obj.__qualname__}"
        return cls(
            target=target,
            hypers=hypers,
            summary=f"{where}, stepped by torch itself",
            source=f"{obj.__qualname__} of the module {obj.__module__} (torch {torch.__version__}); {NOT_OBSERVABLE}",
            formula=f"not known to oco: x̂_{{t+1}} = {obj.__name__}.step() from x_t and g_t, then "
            "x_{t+1} = Π_F(x̂_{t+1}) in the Euclidean norm",
            optimizer=obj,
            args=args,
        )

    def stepper(self, h: dict, x0: np.ndarray) -> Stepper:
        """B configurations as parameter groups (or optimizers) over the rows of one (B, d) float64 tensor."""
        import torch

        B = x0.shape[0]
        X = torch.tensor(x0, dtype=torch.float64, device="cpu")
        G = torch.zeros_like(X)
        params = list(X)  # views of X's rows: writing X writes every configuration's parameter
        for p, g in zip(params, G):
            p.grad = g
        opts = self._optimizers(params, [self._kwargs(h, b) for b in range(B)], h)
        groups = [group for opt in opts for group in opt.param_groups]  # group b is configuration b
        x_view, g_view = X.numpy(), G.numpy()

        def step(t: int, g: np.ndarray, x: np.ndarray) -> np.ndarray:
            x_view[...], g_view[...] = x, g  # x_t after oco's projection, and g_t
            if "alpha" in self.args:
                for group, lr in zip(groups, np.broadcast_to(step_size(h, t), (B, 1))[:, 0].tolist()):
                    group["lr"] = lr
            with torch.no_grad():
                for opt in opts:
                    opt.step()
            return x_view.copy()

        return step

    def _kwargs(self, h: dict, b: int) -> dict[str, Any]:
        """The constructor's keyword arguments for configuration b."""
        kw: dict[str, Any] = {}
        tuples: dict[str, list] = {}  # betas: its elements, in order
        for name, arg in self.args.items():
            value = h[name]
            if isinstance(value, np.ndarray):
                value = float(value[b, 0])
            if value is None and arg.required:
                continue  # the constructor says what is missing
            if arg.index is None:
                kw[arg.name] = value
            else:
                tuples.setdefault(arg.name, []).append(value)
        return {**kw, **{k: tuple(v) for k, v in tuples.items()}}

    def _optimizers(self, params: list, kws: list[dict], h: dict) -> list:
        """One optimizer with a group per configuration, or one optimizer per configuration when an argument
        that varies over the batch is not a group setting."""
        probe = self._build([params[0]], kws[0])
        varying = {self.args[n].name for n, v in h.items()
                   if n in self.args and isinstance(v, np.ndarray) and np.any(v != v[0])}
        if not varying <= set(probe.defaults):
            return [self._build([p], kw) for p, kw in zip(params, kws)]
        import torch

        for kw in {repr(kw): kw for kw in kws[1:]}.values():  # the constructor's checks, for every configuration
            self._build([torch.zeros(1, dtype=torch.float64)], kw)
        return [self._build([{"params": [p], **kw} for p, kw in zip(params, kws)], kws[0])]

    def _build(self, params: list, kw: dict):
        try:
            return self.optimizer(params, **kw)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{self.name}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


def _table_names(cls: type) -> dict[str, tuple[str, str]]:
    """The table's names for the arguments of a torch.optim class (or a subclass of one)."""
    import torch

    out: dict[str, tuple[str, str]] = {}
    for base, names in TABLE_NAMES.items():
        if issubclass(cls, getattr(torch.optim, base)):
            out.update(names)
    return out
