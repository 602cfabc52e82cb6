"""What the backend registry (``oco.backends``) and the compiled backends share: which problems a backend may
compute the loss of itself (``is_linear``, ``compiled_loss``) and the error a compiled backend raises when it
cannot compile a method's pieces (``CompileError``). Both sides import this module, not one another."""

from __future__ import annotations


class CompileError(Exception):
    """A compiled backend cannot compile a method's pieces (a user's piece outside the supported subset):
    ``oco.simulate`` then runs the NumPy engine and says why."""


def is_linear(problem) -> bool:
    """f_t(x) = ⟨g_t, x⟩ with g_t = data_t: the problem says so and keeps the base class's ``loss_grad``, so a
    backend may compute the loss and gradient itself."""
    from oco.problems.base import Problem

    return bool(getattr(problem, "linear", False)) and type(problem).loss_grad is Problem.loss_grad


def compiled_loss(problem):
    """How a compiled backend computes f_t and ∇f_t: the problem's declared ``loss`` piece (``Separable`` or
    ``Margin``, linear losses included) when it keeps the base class's ``loss_grad``; None when the problem
    computes them in NumPy code of its own (an overridden ``loss_grad``)."""
    from oco.problems.base import Margin, Problem, Separable

    loss = getattr(problem, "loss", None)
    if type(problem).loss_grad is not Problem.loss_grad or not isinstance(loss, (Separable, Margin)):
        return None
    return loss
