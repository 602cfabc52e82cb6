"""Feasible sets F and the weighted projection Π_{F,A}(y) = argmin_{x∈F} ‖A^{1/2}(x − y)‖ of Algorithm 1.

A = diag(w) with w = √V_t/α_t, the inverse of the per-coordinate learning rate, so Π_{F,√V_t} is exactly
the projection the analysis of Reddi et al. (2018) uses. Arrays are (B, d); weights broadcast to (B, d).

- Box: the weighted projection onto a box is coordinate clipping, whatever the weights.
- Ball ‖x‖₂ ≤ r: the KKT conditions give x_i = w_i y_i / (w_i + λ) with λ ≥ 0 the root of
  ‖x(λ)‖ = r. We solve 1/‖x(λ)‖ − 1/r = 0 by Newton's method from λ = 0 (the function is concave
  and increasing in λ, so Newton's iterates increase monotonically to the root, as in Moré & Sorensen's
  trust-region solver), safeguarded by bisection on a bracket. With equal weights it reduces to y·r/‖y‖.
- Unconstrained: the identity.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


class Domain(ABC):
    kind: str = ""

    @abstractmethod
    def project(self, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Π_{F,diag(weights)}(y) for every row of y."""

    @abstractmethod
    def contains(self, x: np.ndarray, tol: float = 1e-12) -> np.ndarray:
        """(B,) bool: which rows lie in F."""

    @abstractmethod
    def describe(self) -> dict:
        """JSON-ready description."""


@dataclass(frozen=True)
class Box(Domain):
    """{x : lo ≤ x ≤ hi}, lo and hi scalars or per-coordinate arrays of shape (d,)."""

    lo: float | np.ndarray = -1.0
    hi: float | np.ndarray = 1.0
    kind = "box"

    def __post_init__(self):
        lo, hi = np.asarray(self.lo, float), np.asarray(self.hi, float)
        if np.any(~np.isfinite(lo)) or np.any(~np.isfinite(hi)) or np.any(lo > hi):
            raise ValueError(f"box bounds must be finite with lo <= hi, got lo={self.lo}, hi={self.hi}")

    def project(self, y, weights=None):
        return np.clip(y, self.lo, self.hi)

    def contains(self, x, tol=1e-12):
        return np.all((x >= np.asarray(self.lo) - tol) & (x <= np.asarray(self.hi) + tol), axis=-1)

    def describe(self):
        return {"kind": "box", "lo": np.asarray(self.lo).tolist(), "hi": np.asarray(self.hi).tolist()}


@dataclass(frozen=True)
class Ball(Domain):
    """{x : ‖x − center‖₂ ≤ radius}; the projection is weighted by the preconditioner."""

    radius: float = 1.0
    kind = "ball"

    def __post_init__(self):
        if not (np.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"radius must be a positive number, got {self.radius}")

    def project(self, y, weights=None):
        r = self.radius
        norm = np.sqrt(np.sum(y * y, axis=-1))
        outside = norm > r
        if not np.any(outside):
            return y
        x = y.copy()
        yo = y[outside]
        if weights is None:
            x[outside] = yo * (r / norm[outside])[:, None]
            return x
        x[outside] = _weighted_ball(yo, np.broadcast_to(weights, y.shape)[outside], r)
        return x

    def contains(self, x, tol=1e-12):
        return np.sqrt(np.sum(x * x, axis=-1)) <= self.radius * (1 + tol)

    def describe(self):
        return {"kind": "ball", "radius": float(self.radius)}


def _weighted_ball(y: np.ndarray, w: np.ndarray, r: float, iters: int = 100) -> np.ndarray:
    """argmin Σ w_i (x_i − y_i)² s.t. ‖x‖ ≤ r for rows with ‖y‖ > r; w ≥ 0 (w = 0: a free coordinate).

    Row by row (each row stops when its own λ has converged), so a row's result never depends on the
    other rows of the batch; ``weighted_ball_row`` is the same iteration for one row, for compiled kernels.
    """
    w = np.where(np.isfinite(w), w, np.finfo(float).max)
    lam = np.zeros(len(y))
    lo = np.zeros(len(y))
    hi = np.max(w, axis=-1) * np.sqrt(np.sum(y * y, axis=-1)) / r  # ‖x(hi)‖ ≤ r
    running = np.ones(len(y), bool)
    for _ in range(iters):
        with np.errstate(divide="ignore", invalid="ignore"):
            den = w + lam[:, None]
            x = np.where(den > 0, w * y / den, 0.0)
            n = np.sqrt(np.sum(x * x, axis=-1))
            too_big = n > r
            lo = np.where(running & too_big, lam, lo)
            hi = np.where(running & ~too_big, lam, hi)
            # Newton on φ(λ) = 1/‖x(λ)‖ − 1/r, φ'(λ) = Σ x_i²/(w_i+λ) / ‖x‖³
            dphi = np.sum(np.where(den > 0, x * x / den, 0.0), axis=-1) / (n * n * n)
            new = lam - (1.0 / n - 1.0 / r) / dphi
        new = np.where(np.isfinite(new) & (new > lo) & (new < hi), new, 0.5 * (lo + hi))
        converged = np.abs(new - lam) <= 1e-15 * np.maximum(1.0, np.abs(lam))
        lam = np.where(running, new, lam)
        running &= ~converged
        if not running.any():
            break
    den = w + lam[:, None]
    x = np.where(den > 0, w * y / den, 0.0)
    n = np.sqrt(np.sum(x * x, axis=-1))
    return x * np.minimum(1.0, r / np.where(n > 0, n, 1.0))[:, None]  # round-off: land exactly inside


def weighted_ball_row(y, w, r, out, iters=100):
    """``_weighted_ball`` for one row y (d,), written with scalar loops so a compiled kernel can run it."""
    d = y.shape[0]
    big = np.finfo(np.float64).max
    hi = 0.0
    ny = 0.0
    for j in range(d):
        wj = w[j] if np.isfinite(w[j]) else big
        hi = max(hi, wj)
        ny += y[j] * y[j]
    hi = hi * np.sqrt(ny) / r
    lam, lo = 0.0, 0.0
    for _ in range(iters):
        nn = 0.0
        dd = 0.0
        for j in range(d):
            wj = w[j] if np.isfinite(w[j]) else big
            den = wj + lam
            xj = wj * y[j] / den if den > 0 else 0.0
            nn += xj * xj
            dd += xj * xj / den if den > 0 else 0.0
        n = np.sqrt(nn)
        if n > r:
            lo = lam
        else:
            hi = lam
        new = lam - (1.0 / n - 1.0 / r) / (dd / (n * n * n))
        if not (np.isfinite(new) and new > lo and new < hi):
            new = 0.5 * (lo + hi)
        converged = abs(new - lam) <= 1e-15 * max(1.0, abs(lam))
        lam = new
        if converged:
            break
    nn = 0.0
    for j in range(d):
        wj = w[j] if np.isfinite(w[j]) else big
        den = wj + lam
        out[j] = wj * y[j] / den if den > 0 else 0.0
        nn += out[j] * out[j]
    n = np.sqrt(nn)
    scale = min(1.0, r / (n if n > 0 else 1.0))
    for j in range(d):
        out[j] *= scale


@dataclass(frozen=True)
class Unconstrained(Domain):
    kind = "none"

    def project(self, y, weights=None):
        return y

    def contains(self, x, tol=1e-12):
        return np.ones(x.shape[:-1], bool)

    def describe(self):
        return {"kind": "none"}


def make_domain(kind: str = "box", radius: float = 1.0, lo=None, hi=None) -> Domain:
    """Build a domain by name: ``box`` ([−radius, radius] per coordinate unless lo/hi given), ``ball``, ``none``."""
    if kind == "box":
        return Box(-radius if lo is None else lo, radius if hi is None else hi)
    if kind == "ball":
        return Ball(radius)
    if kind in ("none", "unconstrained"):
        return Unconstrained()
    raise ValueError(f"domain must be one of box, ball, none; got {kind!r}")
