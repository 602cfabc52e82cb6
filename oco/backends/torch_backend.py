"""The torch backend: the engine loop of ``oco.engine`` on torch tensors (float64), on CUDA when a GPU is
present (or ``OCO_TORCH_DEVICE``), on the CPU otherwise. The pieces are the table's own, rebound to torch
operations (``oco.methods.rebind``); results agree with the NumPy engine to round-off.
"""

from __future__ import annotations

import inspect
import os

import numpy as np

from ..methods import ops, pieces


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

    ns = {"where": where, "maximum": maximum, "minimum": minimum, "clip": clip, "sqrt": torch.sqrt,
          "absolute": torch.abs, "sign": torch.sign}
    from ..methods import rebind

    ns["lerp"] = rebind(ops.lerp, ns)
    for name, fn in vars(pieces).items():  # pieces that call other pieces get the torch versions too
        if inspect.isfunction(fn) and fn.__module__ == pieces.__name__:
            ns[name] = rebind(fn, ns)
    return ns


def run(problem, method, h, seeds, T, x0, domain, checkpoints, progress=None):
    """The torch counterpart of ``oco.engine.run``: same arguments, same Result."""
    import torch

    from ..engine import CHUNK, apply_round, finish, init_env, round_pieces
    from ..projections import Ball, Box
    from ..result import LR_QUANTILES

    dev = _device(torch)
    ns = _namespace(torch)
    T_ = lambda a: torch.as_tensor(np.array(a, float), dtype=torch.float64, device=dev)
    B, d = x0.shape
    hh = {k: (T_(v) if isinstance(v, np.ndarray) else v) for k, v in h.items()}
    env = {k: (T_(v) if isinstance(v, np.ndarray) else v) for k, v in init_env(method, h, x0).items()}
    clock, update = ([p.rebind(ns) for p in pieces] for pieces in round_pieces(method, h))
    linear = getattr(problem, "linear", False) and type(problem).loss_grad.__qualname__ == "Problem.loss_grad"

    x = T_(x0)
    uniq, seed_index = np.unique(seeds, return_inverse=True)
    sidx = torch.as_tensor(seed_index, device=dev)
    cum = torch.zeros(B, dtype=torch.float64, device=dev)
    comp = torch.zeros_like(cum)
    active = torch.ones(B, dtype=torch.bool, device=dev)
    diverged_at = torch.zeros(B, dtype=torch.int64, device=dev)
    gamma_neg = torch.zeros(B, dtype=torch.int64, device=dev)
    lr_min = torch.full((B,), np.inf, dtype=torch.float64, device=dev)
    lr_max = torch.full((B,), -np.inf, dtype=torch.float64, device=dev)
    prev_eta = None
    wd = hh.get("weight_decay")
    decay = wd is not None and bool(torch.any(wd != 0))
    decoupled = decay and h.get("decoupled_weight_decay", False)
    if isinstance(domain, Box):
        lo = T_(np.broadcast_to(np.asarray(domain.lo, float), (d,)))
        hi = T_(np.broadcast_to(np.asarray(domain.hi, float), (d,)))

    K = len(checkpoints)
    ck_loss = np.full((K, B), np.nan)
    ck_x = np.zeros((K, B, d))
    ck_eta = np.zeros((K, B, d))
    k, t = 0, 1
    while t <= T:
        n = min(CHUNK - (t - 1) % CHUNK, T - t + 1)
        chunk_np = np.stack([problem.data(int(s), t, n) for s in uniq])
        chunk = T_(chunk_np) if linear else None
        for j in range(n):
            if linear:
                data = chunk[sidx, j].reshape(B, d)
                loss, g = (data * x).sum(dim=-1), data
            else:
                loss_np, g_np = problem.loss_grad(x.cpu().numpy(), chunk_np[seed_index, j])
                loss, g = T_(loss_np), T_(g_np)
            apply_round(env, clock, update, t, g, x, wd if decay else None, decoupled)
            eta = torch.broadcast_to(torch.as_tensor(env["eta"], dtype=torch.float64, device=dev), x.shape)
            xhat = env["xhat"]
            if isinstance(domain, Box):
                x_new = torch.minimum(torch.maximum(xhat, lo), hi)
            elif isinstance(domain, Ball):
                x_new = T_(domain.project(xhat.cpu().numpy(), (1.0 / eta).cpu().numpy()))
            else:
                x_new = xhat

            bad = active & ~(torch.isfinite(loss) & torch.all(torch.isfinite(x_new), dim=1))
            diverged_at = torch.where(bad, t, diverged_at)
            active = active & ~bad
            x = torch.where(active[:, None], x_new, x)
            f = torch.where(active, loss, 0.0)
            s = cum + f
            comp = comp + torch.where(cum.abs() >= f.abs(), (cum - s) + f, (f - s) + cum)
            cum = s
            lr_min = torch.minimum(lr_min, torch.where(active, eta.amin(dim=1), np.inf))
            lr_max = torch.maximum(lr_max, torch.where(active, eta.amax(dim=1), -np.inf))
            if prev_eta is not None:
                gamma_neg = gamma_neg + (active & torch.any(eta > prev_eta, dim=1))
            prev_eta = eta.clone()
            if k < K and t == checkpoints[k]:
                ck_loss[k] = torch.where(active, cum + comp, np.nan).cpu().numpy()
                ck_x[k] = x.cpu().numpy()
                ck_eta[k] = eta.cpu().numpy()
                k += 1
            t += 1
        if progress is not None:
            progress(n)
    ck_lr = np.quantile(ck_eta, LR_QUANTILES, axis=2).transpose(1, 2, 0)
    np_ = lambda a: a.cpu().numpy()
    return finish(problem, method, h, seeds, T, np_(x), domain, checkpoints, np_(cum + comp), np_(active),
                  np_(diverged_at), np_(gamma_neg), np_(lr_min), np_(lr_max), ck_loss, ck_x, ck_lr)
