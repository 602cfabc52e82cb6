"""The torch backend: the engine's loop (``oco.engine.run_with``) on torch tensors (float64), on CUDA when a
GPU is present (or ``OCO_TORCH_DEVICE``), on the CPU otherwise; results agree with the NumPy engine to
round-off. What is torch's own (``TorchArrays``): the device and the tensors, the table's pieces rebound to
torch operations (``oco.methods.rebind``), the box projection on tensors, and linear losses f_t(x) = ⟨g_t, x⟩
computed on the device (other problems' ``loss_grad`` and the ball's projection run in NumPy).
"""

from __future__ import annotations

import inspect
import os

import numpy as np

from ..engine import Arrays, round_pieces, run_with
from ..methods import ops, pieces
from ..projections import Ball, Box
from . import is_linear


def _device(torch):
    name = os.environ.get("OCO_TORCH_DEVICE")
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _namespace(torch) -> dict:
    def tensor_like(v, ref):
        return v if torch.is_tensor(v) else torch.as_tensor(v, dtype=torch.float64, device=ref.device)

    def where(c, a, b):
        if not torch.is_tensor(c):
            return a if c else b
        return torch.where(c, a, b)

    def maximum(a, b):
        ref = a if torch.is_tensor(a) else b
        return torch.maximum(tensor_like(a, ref), tensor_like(b, ref))

    def minimum(a, b):
        ref = a if torch.is_tensor(a) else b
        return torch.minimum(tensor_like(a, ref), tensor_like(b, ref))

    def clip(x, lo, hi):
        return torch.minimum(maximum(x, lo), tensor_like(hi, x))

    def on_tensors(fn, scalar):
        """torch's fn where an argument is a tensor; on plain numbers (the round t, a constant) ops' own (the
        C library's function), as a float."""
        return lambda *args: fn(*args) if any(map(torch.is_tensor, args)) else float(scalar(*args))

    ns = {"where": where, "maximum": maximum, "minimum": minimum, "clip": clip, "sqrt": torch.sqrt,
          "absolute": torch.abs, "sign": torch.sign, "exp": on_tensors(torch.exp, ops.exp),
          "log": on_tensors(torch.log, ops.log), "cos": on_tensors(torch.cos, ops.cos),
          "power": on_tensors(torch.pow, ops.power)}
    from ..methods import rebind

    ns["lerp"] = rebind(ops.lerp, ns)
    for name, fn in vars(pieces).items():  # pieces that call other pieces get the torch versions too
        if inspect.isfunction(fn) and fn.__module__ == pieces.__name__:
            ns[name] = rebind(fn, ns)
    return ns


class TorchArrays(Arrays):
    """The engine's array library on float64 torch tensors on one device."""

    def __init__(self, torch, device):
        self.torch, self.device = torch, device
        self.ns = _namespace(torch)
        self.where, self.isfinite, self.absolute = torch.where, torch.isfinite, torch.abs
        self.minimum, self.maximum = torch.minimum, torch.maximum

    def asarray(self, a):
        a = np.array(a)  # a copy: the tensor shares no memory with the caller's (maybe read-only) array
        dtype = self.torch.float64 if a.dtype.kind == "f" else None
        return self.torch.as_tensor(a, dtype=dtype, device=self.device)

    def numpy(self, a) -> np.ndarray:
        return a.cpu().numpy()

    def copy(self, a):
        return a.clone()

    def broadcast_to(self, a, shape):
        torch = self.torch
        return torch.broadcast_to(torch.as_tensor(a, dtype=torch.float64, device=self.device), shape)

    def all_rows(self, a):
        return a.all(dim=1)

    def any_rows(self, a):
        return a.any(dim=1)

    def min_rows(self, a):
        return a.amin(dim=1)

    def max_rows(self, a):
        return a.amax(dim=1)

    def pieces(self, method, h) -> tuple[list, list]:
        clock, update = round_pieces(method, h)
        return [p.rebind(self.ns) for p in clock], [p.rebind(self.ns) for p in update]

    def losses(self, problem, data, seed_index):
        if not is_linear(problem):  # the problem's own loss_grad, in NumPy
            return lambda j, x: tuple(map(self.asarray, problem.loss_grad(self.numpy(x), data[seed_index, j])))
        G, rows = self.asarray(data), self.asarray(seed_index)  # the chunk goes to the device once

        def linear(j, x):
            g = G[rows, j].reshape(x.shape)
            return (g * x).sum(dim=-1), g

        return linear

    def projection(self, domain, d):
        if isinstance(domain, Box):  # coordinate clipping, whatever the weights
            lo, hi = (self.asarray(np.broadcast_to(np.asarray(b, float), (d,))) for b in (domain.lo, domain.hi))
            return lambda xhat, eta: self.torch.minimum(self.torch.maximum(xhat, lo), hi)
        if isinstance(domain, Ball):
            return lambda xhat, eta: self.asarray(domain.project(self.numpy(xhat), self.numpy(1.0 / eta)))
        return lambda xhat, eta: xhat


def supports(problem, domain) -> str | None:
    """The torch backend runs every problem on every domain (the backend registry asks)."""
    return None


def run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """The torch counterpart of ``oco.engine.run``: same arguments, same Result."""
    import torch

    xp = TorchArrays(torch, _device(torch))
    return run_with(xp, problem, method, h, seeds, T, x0, domain, checkpoints, progress)
