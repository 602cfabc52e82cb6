"""Counterexamples from the papers after Reddi et al.: AdaBound's too-small rates (Luo et al. 2019), ADOPT's
toy problem (Taniguchi et al. 2024) and the unconstrained divergence example of Zhang et al. (2022)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from oco.methods.ops import where
from oco.projections import Ball, Box, Unconstrained

from .base import (
    MAX_PATTERN,
    CyclicLinear,
    Param,
    Problem,
    Separable,
    TwoPointLinear,
    block_rng,
    blocked,
    choice,
    integer,
    prefix_sums,
    real,
)


class AdaBoundSmallLR(CyclicLinear):
    """Luo, Xiong, Liu & Sun (ICLR 2019), Section 3 (extremely small learning rates): on [−1, 1],

        f_t(x) = −x if t mod C = 1,  2x if t mod C = 2,  0 otherwise.

    G per period = 1 > 0, so x* = −1. With β1 = 0, Adam's v decays over the C − 2 zero rounds, so the −1
    gradient meets a small v (a large rate) and the 2 right after it a larger one: when β2^{C−2} < 1/16
    Adam drifts to x = +1, and stuck there R_T/T → 2/C. SGD, AdaGrad, AMSGrad and AdamNC go to −1.

    Over a period Adam (β1 = 0) steps up by α_t/√v₁ and down by 2α_t/√v₂ with v₂ = β2 v₁ + 4(1 − β2); up wins
    iff (1 − β2) > (4 − β2)·v₀, v₀ the value of v before the −1 round, which in steady state is
    β2^{C−2}(1 − β2)(4 + β2)/(1 − β2^C): roughly β2^{C−2} < 1/16. The margin is at most
    1 − 2/√(4 + β2) (≈ 10 %), so the drift is slow; the proof, like Reddi et al.'s, starts at x_1 = 1,
    and so does the default x0.

    Parameters: C (60; needs C >= 3). ``suggested``: β1 = 0, β2 = 0.9 (0.9^58 ≈ 0.002, margin ≈ 9 %).
    ``min_period(beta2)`` gives the smallest C with β2^{C−2} < 1/16.
    """

    name = "adabound-small-lr"
    summary = "−x at t mod C = 1, 2x at t mod C = 2, 0 otherwise, on [−1, 1] (Luo et al. 2019, Section 3)"
    PARAMS = {"C": Param(60, integer, "the period, C >= 3; Adam with β1 = 0 fails when β2^(C−2) < 1/16",
                         lo=3, hi=MAX_PATTERN)}
    suggested = {"beta1": 0.0, "beta2": 0.9, "schedule": "sqrt", "alpha": 0.1}

    def setup(self):
        self._set_pattern([-1.0, 2.0] + [0.0] * (self.C - 2))
        self.failure_level = 2.0 / self.C

    def default_x0(self, domain):
        return domain.project(np.ones((1, self.d)))[0]

    @staticmethod
    def min_period(beta2: float) -> int:
        """The smallest C with β2^{C−2} < 1/16."""
        if not 0 <= beta2 < 1:
            raise ValueError(f"beta2 must be in [0, 1), got {beta2:g}")
        if beta2 == 0:
            return 3
        return max(3, 2 + math.floor(math.log(1 / 16) / math.log(beta2)) + 1)


class AdoptToy(TwoPointLinear):
    """Taniguchi et al. (NeurIPS 2024, ADOPT), the univariate convex toy problem: on [−1, 1],

        f_t(x) = k²x with probability 1/k,  −kx otherwise.

    E g = k²·(1/k) − k·(1 − 1/k) = 1, so E f(x) = x, x* = −1 and F(x*) = −1; a method stuck at +1 has
    R_T/T → 2 (the expected gap F(1) − F(−1) = 2 as well). The gradient's second moment is k³ − k² + k ≈ k³,
    so its noise is unbounded as k grows. Known outcome: Adam fails (goes to +1) when β2 is small for the given k; AMSGrad
    converges but slowly for large k (its max v is set by the rare k² gradient); ADOPT converges for any β2.

    Measured here (α_t = 0.5/√t, β1 = 0.9, T = 3·10⁴, mean expected gap over 8 seeds; failure level 2):
    k = 10: Adam 1.98 for β2 ∈ {0.5, 0.9} and 0.04 for β2 = 0.999; ADOPT 0.11, 0.06, 0.04; AMSGrad 0.14,
    0.02, 0.04. k = 30, β2 = 0.9: AMSGrad 1.34 (its v̂ ≥ (1 − β2)k⁴ shrinks its steps like 1/k²) — and ADOPT
    with its default clipping of g/√v to ±t^{1/4} fails too (1.94): while t^{1/4} < k the clipped large
    gradient no longer outweighs the −k's (E of the clipped normalised gradient is negative until t > k⁴).

    Parameters: k (10; k >= 1). ``suggested``: β2 = 0.9, small enough for Adam to fail at k = 10.
    """

    name = "adopt-toy"
    summary = "k²x w.p. 1/k else −kx on [−1, 1] (Taniguchi et al. 2024, ADOPT)"
    PARAMS = {"k": Param(10.0, real, "the scale k >= 1 (E f = x; the noise grows like k³)", lo=1.0)}
    suggested = {"beta1": 0.9, "beta2": 0.9, "schedule": "sqrt", "alpha": 0.5}

    def setup(self):
        self._init_two_point(self.k**2, -self.k, 1.0 / self.k)


def zhang(x, w):
    """f = w·h(x), f' = w·h'(x): h(x) = x for x >= −1, ½(x + 2)² − 3/2 for x < −1 (Zhang et al.'s components)."""
    below = x < -1.0
    return w * where(below, 0.5 * ((x + 2.0) * (x + 2.0)) - 1.5, x), w * where(below, x + 2.0, 1.0)


class ZhangDivergence(Problem):
    """Zhang, Chen, Shi, Sun & Luo (NeurIPS 2022), "Adam Can Converge Without Any Modification on Update
    Rules", the counterexample of their divergence theorem: unconstrained, f = (1/n) Σ_{i<n} f_i with

        f_0(x) = (1 + (n−1)a)·x for x >= −1,  (1 + (n−1)a)/2·(x+2)² − 3(1 + (n−1)a)/2 for x < −1
        f_i(x) = −a·x for x >= −1,           −a/2·(x+2)² + 3a/2 for x < −1          (i = 1..n−1)

    Every f_i is w_i·h(x) with h(x) = x (x >= −1), ½(x+2)² − 3/2 (x < −1), w_0 = 1 + (n−1)a, w_i = −a, so
    Σ_{s≤t} f_s = W_t·h with W_t = Σ w: the best fixed point in hindsight is x = −2 (value −3W_t/2) when
    W_t > 0 and −∞ when W_t < 0 (possible in sampled order before i = 0 has been drawn often enough).
    f = h/n has x* = −2 and f(x*) = −3/(2n). Round t uses component i_t: cyclic order i_t = (t − 1) mod n, or
    ``order="sample"``: i_t uniform on {0..n−1}, i.i.d. (then the problem is stochastic with F = f).

    Known outcome (their convergence and divergence theorems, α_t = α/√t): Adam diverges to infinity (x → +∞,
    the direction of the many small −a gradients) when β2 is small, and converges to x* = −2 when β2 is large
    enough and β1 < √β2 — a phase transition in the (β1, β2) plane. Measured here (n = 10, α = 0.1,
    T = 3·10⁴, both orders): (β1, β2) = (0, 0.1) diverges, x_T ≈ 18 growing like √t; (0.9, 0.5), (0, 0.99)
    and (0.9, 0.999) converge to −2.

    Parameters: n (10; n >= 3), a (None: 1/(n−1)², the instance in the paper's text), order (cyclic;
    ``shuffle`` is the random reshuffling of the paper's Algorithm 1: pass e = ⌊(t − 1)/n⌋ runs a permutation
    drawn from (seed, e) alone).
    """

    name = "zhang-divergence"
    summary = "unconstrained n-component example where Adam diverges for small β2 (Zhang et al. 2022)"
    PARAMS = {
        "n": Param(10, integer, "number of component functions, n >= 3", lo=3, hi=MAX_PATTERN),
        "a": Param(None, real, "the weight of the small components, a > 0 (default 1/(n−1)²)", lo=0.0,
                   lo_open=True),
        "order": Param("cyclic", choice, "cyclic (i_t = (t−1) mod n), shuffle (random reshuffling: a fresh "
                       "permutation of the n components every pass) or sample (i.i.d. uniform)",
                       options=("cyclic", "shuffle", "sample")),
    }
    suggested = {"beta1": 0.9, "beta2": 0.999, "schedule": "sqrt", "alpha": 0.1}
    linear = False
    loss = Separable(zhang)  # the round's data is the weight w_{i_t}

    def setup(self):
        if self.a is None:
            self.a = 1.0 / (self.n - 1) ** 2
        self.stochastic = self.order != "cyclic"
        self.weights = np.array([1.0 + (self.n - 1) * self.a] + [-self.a] * (self.n - 1))

    def default_domain(self):
        return Unconstrained()

    def _draw(self, rng, t0, n):
        return self.weights[rng.integers(0, self.n, n)][:, None]

    def data(self, seed, t0, n):
        if self.order == "sample":
            return blocked(seed, t0, n, self._draw)
        t = np.arange(t0 - 1, t0 - 1 + n)
        if self.order == "cyclic":
            return self.weights[t % self.n][:, None]
        passes, pos = np.divmod(t, self.n)  # shuffle: pass e runs the permutation of (seed, e)
        first = int(passes[0])
        perms = np.stack([_permutation(self.n, int(seed), e) for e in range(first, int(passes[-1]) + 1)])
        return self.weights[perms[passes - first, pos]][:, None]

    @staticmethod
    def h(x):
        """h(x) = x for x >= −1, ½(x + 2)² − 3/2 for x < −1; and h'(x)."""
        return zhang(x, 1.0)

    def hindsight(self, seed, ts, domain):
        W = prefix_sums(lambda t0, n: self.data(seed, t0, n), 1, ts)[:, 0]
        return self._minimize_scaled_h(W, domain)

    def _minimize_scaled_h(self, W, domain):
        """min over F of W·h(x) for each W (closed form: h is convex with minimum −3/2 at x = −2)."""
        lo, hi = _interval(domain)
        x_pos = np.clip(-2.0, lo, hi)
        # W < 0: maximise h over [lo, hi]; h → ∞ at both ends of the real line
        h_lo = self.h(np.array(lo))[0] if np.isfinite(lo) else np.inf
        h_hi = self.h(np.array(hi))[0] if np.isfinite(hi) else np.inf
        x_neg = lo if h_lo >= h_hi else hi
        best_h_max = max(h_lo, h_hi)
        h_pos = float(self.h(np.array(x_pos))[0])
        with np.errstate(invalid="ignore"):
            value = np.where(W > 0, W * h_pos, np.where(W < 0, W * best_h_max, 0.0))
        x = np.where(W > 0, x_pos, np.where(W < 0, x_neg, np.clip(0.0, lo, hi)))
        x = np.where(np.isfinite(x), x, np.nan)
        return value, x[:, None]

    def expected_loss(self, x):
        return self.h(x[..., 0])[0] / self.n

    def expected_optimum(self, domain):
        value, x = self._minimize_scaled_h(np.array([1.0 / self.n]), domain)
        return float(value[0]), x[0]


@lru_cache(maxsize=1 << 14)
def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of pass ``epoch`` under random reshuffling: a function of (seed, epoch) only."""
    return block_rng(seed, epoch, stream=1).permutation(n)


def _interval(domain) -> tuple[float, float]:
    """A 1-D feasible set as an interval."""
    if isinstance(domain, Box):
        return float(np.asarray(domain.lo).reshape(-1)[0]), float(np.asarray(domain.hi).reshape(-1)[0])
    if isinstance(domain, Ball):
        return -float(domain.radius), float(domain.radius)
    if isinstance(domain, Unconstrained):
        return -math.inf, math.inf
    raise TypeError(f"no comparator for {domain!r}")
