"""d-dimensional problems: coordinates with very different gradient scales, sparse gradients, and stochastic
quadratics. All are stochastic, with closed-form expected losses and comparators."""

from __future__ import annotations

import numpy as np

from oco.projections import Ball, Box, Unconstrained

from .base import Param, Problem, Separable, blocked, integer, linear_comparator, prefix_sums, real

MAX_D = 10**6  # the largest dimension: a (B, d) state for every piece of a method


class ScaledCoordinates(Problem):
    """Independent coordinates with very different gradient scales: f_t(x) = ⟨g_t, x⟩ on [−1, 1]^d,

        g_{t,j} = s_j (μ_j + σ ξ_{t,j}),  ξ ~ N(0, 1) i.i.d.,  s_j = 10^{−decades·j/(d−1)},  μ_j = μ·(−1)^j.

    E f(x) = Σ_j s_j μ_j x_j, so x*_j = −sign(μ_j) and F(x*) = −μ Σ_j s_j. A single step size α/√t is too
    large for the coordinates with large s_j or too small for the ones with small s_j; per-coordinate
    methods (AdaGrad, Adam/AMSGrad) rescale each coordinate and are invariant to s (Duchi et al. 2011:
    AdaGrad's regret bound is Σ_j D_j‖g_{1:T,j}‖, OGD's D‖·‖ over all coordinates).

    Parameters: d (10), decades (4: scales from 1 down to 1e−4), mu (0.2), sigma (1).
    """

    name = "scaled-coordinates"
    summary = "d independent linear coordinates, gradient scales spread over `decades` decades"
    PARAMS = {
        "d": Param(10, integer, "dimension", lo=1, hi=MAX_D),
        "decades": Param(4.0, real, "the scales s_j run from 1 down to 10^-decades", lo=0.0),
        "mu": Param(0.2, real, "mean gradient (before scaling), alternating in sign"),
        "sigma": Param(1.0, real, "noise standard deviation (before scaling)", lo=0.0),
    }
    suggested = {"beta1": 0.9, "beta2": 0.999, "schedule": "sqrt", "alpha": 0.1}
    stochastic = True

    def setup(self):
        j = np.arange(self.d)
        self.scales = 10.0 ** (-self.decades * j / max(self.d - 1, 1))
        self.mean = self.scales * self.mu * (-1.0) ** j

    def _draw(self, rng, t0, n):
        return self.mean + self.sigma * self.scales * rng.standard_normal((n, self.d))

    def data(self, seed, t0, n):
        return blocked(seed, t0, n, self._draw)

    def expected_loss(self, x):
        return x @ self.mean

    def expected_optimum(self, domain):
        value, x = linear_comparator(self.mean[None], domain)
        return float(value[0]), x[0]


class SparseGradients(Problem):
    """Sparse linear losses (where AdaGrad shines): f_t(x) = ⟨g_t, x⟩ on [−1, 1]^d with

        g_{t,j} = b_{t,j} ε_{t,j},  b_{t,j} ~ Bernoulli(p_j), p_j = j^{−decay} (j = 1..d),
        ε_{t,j} = +1 with probability (1 + μ)/2, else −1.

    Coordinate j is active in a fraction p_j of the rounds. E g_j = p_j μ, so x* = −sign(μ)·1 and
    F(x*) = −|μ| Σ_j p_j. On the box, AdaGrad's regret bound is O(Σ_j √(p_j T)) against OGD's
    O(√d·√(Σ_j p_j T)) (Duchi, Hazan & Singer 2011, Section 1.3): a factor up to √d when the p_j decay.

    Parameters: d (100), decay (1.5), mu (0.2: the rare features carry the signal too).
    """

    name = "sparse-gradients"
    summary = "linear losses whose coordinate j is active w.p. j^-decay (AdaGrad's setting)"
    PARAMS = {
        "d": Param(100, integer, "dimension", lo=1, hi=MAX_D),
        "decay": Param(1.5, real, "coordinate j is active with probability j^-decay", lo=0.0),
        "mu": Param(0.2, real, "E ε: the bias of an active coordinate's sign, in [−1, 1]", lo=-1.0, hi=1.0),
    }
    suggested = {"beta1": 0.9, "beta2": 0.999, "schedule": "sqrt", "alpha": 0.1}
    stochastic = True

    def setup(self):
        self.p = np.arange(1, self.d + 1, dtype=float) ** (-self.decay)
        self.mean = self.p * self.mu

    def _draw(self, rng, t0, n):
        active = rng.random((n, self.d)) < self.p
        sign = np.where(rng.random((n, self.d)) < (1 + self.mu) / 2, 1.0, -1.0)
        return np.where(active, sign, 0.0)

    def data(self, seed, t0, n):
        return blocked(seed, t0, n, self._draw)

    def expected_loss(self, x):
        return x @ self.mean

    def expected_optimum(self, domain):
        value, x = linear_comparator(self.mean[None], domain)
        return float(value[0]), x[0]


def quadratic(x, a, b):
    """f = ½a(x − b)², f' = a(x − b)."""
    r = x - b
    return 0.5 * (a * r * r), a * r


class StochasticQuadratic(Problem):
    """Stochastic separable quadratics on [−1, 1]^d:

        f_t(x) = ½ Σ_j a_{t,j} (x_j − b_{t,j})²,  a_{t,j} = h_j u_{t,j}, u ~ Uniform(0, 2),
        b_{t,j} = c_j + σ ξ_{t,j}, ξ ~ N(0, 1),  h_j = κ^{−j/(d−1)},  c_j = c·(−1)^j.

    a and b independent, so F(x) = E f(x) = ½ Σ_j h_j ((x_j − c_j)² + σ²): x* = Π_F(c) in the norm weighted by h
    (on the box: clip(c, −1, 1)) and F(x*) = ½ Σ h_j((x*_j − c_j)² + σ²). The comparator is exact:
    Σ_{s≤t} f_s = ½ Σ_j (A_j x_j² − 2B_j x_j + C_j) with A = Σa, B = Σab, C = Σab², minimised at B/A
    projected onto F in the A-weighted norm (clipping on a box, a 1-D root find on a ball).

    Parameters: d (10), kappa (100: the curvatures h_j run from 1 down to 1/κ), center (0.5), sigma (1).
    """

    name = "stochastic-quadratic"
    summary = "separable quadratics with random curvature and centre, curvatures spread by κ"
    PARAMS = {
        "d": Param(10, integer, "dimension", lo=1, hi=MAX_D),
        "kappa": Param(100.0, real, "condition number: curvatures h_j from 1 down to 1/kappa", lo=1.0),
        "center": Param(0.5, real, "|c_j|, the minimiser's coordinates alternate in sign"),
        "sigma": Param(1.0, real, "noise of the centre b_t", lo=0.0),
    }
    suggested = {"beta1": 0.9, "beta2": 0.999, "schedule": "sqrt", "alpha": 0.1}
    stochastic = True
    linear = False
    loss = Separable(quadratic, fields=2)  # the round's data row: a_t, then b_t

    def setup(self):
        j = np.arange(self.d)
        self.h = self.kappa ** (-j / max(self.d - 1, 1))
        self.c = self.center * (-1.0) ** j

    def _draw(self, rng, t0, n):
        a = self.h * rng.uniform(0.0, 2.0, (n, self.d))
        b = self.c + self.sigma * rng.standard_normal((n, self.d))
        return np.concatenate([a, b], axis=1)

    def data(self, seed, t0, n):
        return blocked(seed, t0, n, self._draw)

    def _stats(self, seed, t0, n):
        """[a, a·b, a·b·b] of rounds t0..t0+n−1, written into one array (no temporaries: this is most of the
        comparator's time)."""
        data, d = self.data(seed, t0, n), self.d
        a, b = data[:, :d], data[:, d:]
        out = np.empty((n, 3 * d))
        out[:, :d] = a
        np.multiply(a, b, out=out[:, d : 2 * d])
        np.multiply(out[:, d : 2 * d], b, out=out[:, 2 * d :])
        return out

    def hindsight(self, seed, ts, domain):
        S = prefix_sums(lambda t0, n: self._stats(seed, t0, n), 3 * self.d, ts)
        A, B, C = S[:, : self.d], S[:, self.d : 2 * self.d], S[:, 2 * self.d :]
        x = weighted_projection(B / A, A, domain)
        return 0.5 * np.sum(A * x * x - 2 * B * x + C, axis=-1), x

    def expected_loss(self, x):
        return 0.5 * np.sum(self.h * ((x - self.c) ** 2 + self.sigma**2), axis=-1)

    def expected_optimum(self, domain):
        x = weighted_projection(self.c[None], self.h[None], domain)[0]
        return float(self.expected_loss(x[None])[0]), x


def weighted_projection(y: np.ndarray, w: np.ndarray, domain) -> np.ndarray:
    """argmin_{x∈F} Σ_j w_j (x_j − y_j)² for each row: the minimiser of a separable quadratic with
    curvatures w and centre y. Box: clipping; ball: the weighted projection (a 1-D root find); unconstrained: y."""
    if isinstance(domain, Box):
        return np.clip(y, domain.lo, domain.hi)
    if isinstance(domain, Ball):
        return domain.project(y, w)
    if isinstance(domain, Unconstrained):
        return y
    raise TypeError(f"no comparator for {domain!r}")
