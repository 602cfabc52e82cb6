"""Foreign optimizers: methods whose update oco does not know piece by piece — an importable
``torch.optim.Optimizer`` subclass (``torch:DOTTED.PATH``) or an optax ``GradientTransformation`` factory
(``optax:DOTTED.FACTORY``) — run on oco's problems with oco's bookkeeping.

A foreign optimizer plays the part of a method row: it has a name, a convention (the library), hyperparameters
(``Hyper``: oco's ``alpha``/``beta1``/``beta2``/``eps``/``schedule`` mapped onto the library's names, then the
constructor's other arguments) and ``resolve``. Its ``stepper`` does Algorithm 1's update for a batch of B
configurations; oco does the rest, as for its own rows:

    for t = 1..T:
        g_t = ∇f_t(x_t)                         the problem (NumPy)
        x̂_{t+1} = step_t(x_t, g_t)              the library's update, its own state; lr·(1/√t) with schedule=sqrt
        x_{t+1} = Π_F(x̂_{t+1})                  the Euclidean projection (weights 1): the optimizer's
                                                preconditioner is not visible to oco
        regret, x_t, checkpoints, the expected-loss gap: ``oco.engine``'s Tallies, Traces and finish

η_t is not observable, so ``lr_min``, ``lr_max``, ``gamma_negative_rounds`` and the lr traces are reported as
not observable (``Result.lr_observed`` False: null in JSON, empty in sweep.csv), never invented.
"""

from __future__ import annotations

from .base import NOT_OBSERVABLE, PREFIXES, Foreign, ForeignRounds, Stepper, import_dotted, run_foreign

__all__ = ["NOT_OBSERVABLE", "PREFIXES", "Foreign", "ForeignRounds", "Stepper", "import_dotted", "load",
           "run_foreign"]


def load(spec: str) -> Foreign:
    """``torch:DOTTED.PATH`` or ``optax:DOTTED.FACTORY`` as a Foreign; ValueError (one line) when the library
    is missing, the path does not import, or it is not an optimizer."""
    prefix, _, target = spec.partition(":")
    if prefix not in PREFIXES or not target.strip():
        raise ValueError(f"a foreign optimizer is torch:DOTTED.PATH or optax:DOTTED.FACTORY, got {spec!r}")
    if prefix == "torch":
        from .torch_optim import TorchOptimizer

        return TorchOptimizer.load(target.strip())
    from .optax_optim import OptaxOptimizer

    return OptaxOptimizer.load(target.strip())
