"""The counterexamples of Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond" (ICLR 2018).

All are 1-D linear losses f_t(x) = g_t·x on F = [−1, 1] (t starts at 1, so "t mod P = 1" marks rounds
1, P+1, 2P+1, …). There R_T = Σ g_t x_t + |G_T| and x* = −sign(G_T); a method stuck at x = +1 while x* = −1
has R_T/T → 2·(mean gradient).
"""

from __future__ import annotations

import math

import numpy as np

from .base import MAX_PATTERN, CyclicLinear, Param, TwoPointLinear, integer, real


class ReddiThm1(CyclicLinear):
    """Reddi et al. (2018) Theorem 1: f_t(x) = C·x if t mod 3 = 1, else −x, on [−1, 1], C > 2.

    G per period = C − 2 > 0, so x* = −1. Known outcome (Theorem 1 and its proof in Appendix A): with
    β1 = 0, β2 = 1/(1 + C²) and α_t = α/√t, α < √(1 − β2), Adam has x_{3k+1} = 1 for every k — the large
    gradient C is cancelled by the two −1's — so R_T/T → 2(C − 2)/3. AMSGrad, AdamNC, SGD and AdaGrad
    converge to x* = −1 (R_T/T → 0).

    Parameters: C (default 3, the smallest integer the theorem allows; any real C > 2 works).
    ``suggested`` gives the theorem's β1 = 0, β2 = 1/(1 + C²) and α = √(1 − β2)/2; the proof starts at x_1 = 1
    and so does the default x0.
    """

    name = "reddi-thm1"
    summary = "C·x if t mod 3 = 1 else −x on [−1, 1], C > 2 (Reddi et al. Theorem 1)"
    PARAMS = {"C": Param(3.0, real, "the large gradient, C > 2 (Reddi et al. Theorem 1)", lo=2.0, lo_open=True)}
    suggested = {"beta1": 0.0, "beta2": 0.1, "schedule": "sqrt", "alpha": 0.47}

    def setup(self):
        self._set_pattern([self.C, -1.0, -1.0])
        self.failure_level = 2 * (self.C - 2) / 3
        beta2 = 1.0 / (1.0 + self.C**2)
        self.suggested = {
            "beta1": 0.0,
            "beta2": beta2,
            "schedule": "sqrt",
            "alpha": round(math.sqrt(1.0 - beta2) / 2, 6),
        }

    def default_x0(self, domain):
        return domain.project(np.ones((1, self.d)))[0]


def thm2_conditions(C, beta1: float, beta2: float) -> tuple:
    """The three conditions on C in the proof of Reddi et al. Theorem 2 (Appendix B), with γ = β1/√β2:

        (1 − β1) β1^{C−1} C ≤ 1 − β1^{C−1}
        β2^{(C−2)/2} C² ≤ 1
        3(1 − β1)/(2√(1 − β2)) · (1 + γ(1 − γ^{C−1})/(1 − γ)) + β1^{C/2−1}/(1 − β1) < C/3

    Condition (1) says that the momentum at the end of a period is not positive when it was not at the end of
    the one before: over the period kC+1 … kC+C the gradients are C, then C − 1 times −1, so
    m_{kC+C} = β1^C m_{kC} + (1 − β1)β1^{C−1}C − (1 − β1)(1 + β1 + … + β1^{C−2})
             = β1^C m_{kC} + (1 − β1)β1^{C−1}C − (1 − β1^{C−1}),
    which is ≤ 0 for m_{kC} ≤ 0 exactly when (1 − β1)β1^{C−1}C ≤ 1 − β1^{C−1}. (This function used to have
    1 − β1 on the right, a stronger condition.) Neither form ever decides C: condition (2) needs C > 2, and with
    β1 < √β2 it gives β1^{C−2}C² < β2^{(C−2)/2}C² ≤ 1, so β1^{C−1}C = β1^{C/2}·β1^{(C−2)/2}C < 1 and
    (1 − β1)β1^{C−1}C < 1 − β1 ≤ 1 − β1^{C−1}: the smallest C (``thm2_period``) is the same under both forms,
    and so are the numbers below (82, 3218).

    C may be a number or an array (then each condition is a bool array).
    """
    C = np.asarray(C, float)
    g = beta1 / math.sqrt(beta2)
    c1 = (1 - beta1) * beta1 ** (C - 1) * C <= 1 - beta1 ** (C - 1)
    c2 = beta2 ** ((C - 2) / 2) * C * C <= 1
    geo = g * (1 - g ** (C - 1)) / (1 - g) if g > 0 else 0.0
    c3 = 3 * (1 - beta1) / (2 * math.sqrt(1 - beta2)) * (1 + geo) + beta1 ** (C / 2 - 1) / (1 - beta1) < C / 3
    return c1, c2, c3


def thm2_period(beta1: float, beta2: float, limit: int = 10**8) -> int:
    """The smallest even C that satisfies all three conditions of Reddi et al.'s proof of Theorem 2
    (``thm2_conditions``), found by scanning the even numbers from 2 in vectorized chunks."""
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1 and beta1 < math.sqrt(beta2)):
        raise ValueError(
            f"Theorem 2 needs 0 <= beta1 < sqrt(beta2) < 1, got beta1={beta1:g}, beta2={beta2:g}"
        )
    start, step = 2, 1 << 16
    with np.errstate(over="ignore", under="ignore"):
        while start <= limit:
            C = np.arange(start, start + 2 * step, 2)
            ok = np.logical_and.reduce(thm2_conditions(C, beta1, beta2))
            if ok.any():
                return int(C[np.argmax(ok)])
            start += 2 * step
    raise ValueError(
        f"no even C <= {limit} satisfies Theorem 2's conditions for beta1={beta1:g}, beta2={beta2:g}"
    )


class ReddiThm2(CyclicLinear):
    """Reddi et al. (2018) Theorem 2: f_t(x) = C·x if t mod C = 1, else −x, on [−1, 1].

    G per period = C − (C − 1) = 1 > 0, so x* = −1. Theorem 2: for any β1 < √β2 there is an (even) C for
    which Adam with α_t = α/√t fails; stuck at x = +1 it has R_T/T → 2/C. Given ``beta1`` and ``beta2``
    this problem takes C = the smallest even C satisfying the three conditions of the theorem's proof
    (``thm2_conditions``; e.g. β1 = 0.5, β2 = 0.8 gives C = 82, β1 = 0.9, β2 = 0.99 gives C = 3218) and says
    so in ``notes()``; pass ``C`` to fix it instead. AMSGrad, AdamNC, SGD and AdaGrad converge to x* = −1.

    Parameters: beta1 (0.5), beta2 (0.8): the Adam hyperparameters the instance is built against;
    C (None: chosen by the rule above).
    """

    name = "reddi-thm2"
    summary = "C·x if t mod C = 1 else −x on [−1, 1], C chosen from (β1, β2) (Reddi et al. Theorem 2)"
    PARAMS = {
        "beta1": Param(0.5, real, "the β1 the instance defeats (needs β1 < √β2)", lo=0.0, hi=1.0, hi_open=True),
        "beta2": Param(0.8, real, "the β2 the instance defeats", lo=0.0, hi=1.0, hi_open=True),
        "C": Param(None, integer, "the period and large gradient; default: the smallest even C meeting the "
                   "theorem's conditions", lo=2, hi=MAX_PATTERN),
    }
    suggested = {"beta1": 0.5, "beta2": 0.8, "schedule": "sqrt", "alpha": 0.5}

    def setup(self):
        if self.beta1 >= math.sqrt(self.beta2):
            raise ValueError(
                f"beta1 must be < sqrt(beta2) = {math.sqrt(self.beta2):g} (Theorem 2), got {self.beta1:g}"
            )
        if self.C is None:
            self.C = thm2_period(self.beta1, self.beta2, limit=MAX_PATTERN)
            self.C_rule = "smallest even C satisfying the conditions of Reddi et al.'s proof of Theorem 2"
        else:
            self.C_rule = "given"
        self._set_pattern([float(self.C)] + [-1.0] * (self.C - 1))
        self.failure_level = 2.0 / self.C
        self.suggested = {"beta1": self.beta1, "beta2": self.beta2, "schedule": "sqrt", "alpha": 0.5}

    def notes(self):
        if self.C_rule == "given":
            return [f"C = {self.C} (given)"]
        return [f"C = {self.C}: the {self.C_rule} with beta1 = {self.beta1:g}, beta2 = {self.beta2:g}"]


class ReddiThm3(TwoPointLinear):
    """Reddi et al. (2018) Theorem 3 (stochastic): f_t(x) = C·x with probability p = (1 + δ)/(C + 1),
    else −x, on [−1, 1].

    E f(x) = (pC − (1 − p))x = δx, so x* = −1 and F(x*) = −δ for δ > 0. Theorem 3: for β1 < √β2 a large
    enough C makes Adam fail; stuck at +1, R_T/T → 2δ (the expected gap F(1) − F(−1) = 2δ as well).
    AMSGrad converges to −1. Reddi et al.'s Figure 1 (stochastic) is 10× the instance C = 101, δ = 0.02;
    the default δ = 0.2 makes the expected drift 10× larger, so that AMSGrad's convergence shows within
    10⁴–10⁵ rounds, and Adam (β1 = 0.9, β2 = 0.99, α_t = α/√t) still goes to +1 (checked in tests/test_problems.py).

    Parameters: C (101), delta (0.2). p = (1 + δ)/(C + 1) must lie in [0, 1].
    """

    name = "reddi-thm3"
    summary = "C·x w.p. (1+δ)/(C+1) else −x on [−1, 1] (Reddi et al. Theorem 3, stochastic)"
    PARAMS = {
        "C": Param(101.0, real, "the rare large gradient, C > 0", lo=0.0, lo_open=True),
        "delta": Param(0.2, real, "E f(x) = δx; the failure level is 2δ"),
    }
    suggested = {"beta1": 0.9, "beta2": 0.99, "schedule": "sqrt", "alpha": 1.0}

    def setup(self):
        p = (1.0 + self.delta) / (self.C + 1.0)
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"p = (1 + delta)/(C + 1) must be in [0, 1], got {p:g} (C={self.C:g}, delta={self.delta:g})"
            )
        self._init_two_point(self.C, -1.0, p)


class ReddiStochastic(TwoPointLinear):
    """Reddi et al. (2018) Figure 1, stochastic: f_t(x) = 1010x with probability 0.01, else −10x, on [−1, 1].

    E g = 10.1 − 9.9 = 0.2 > 0, so x* = −1 and F(x*) = −0.2. Known outcome (Figure 1, β1 = 0.9, β2 = 0.99,
    α_t = α/√t): Adam goes to +1 (R_T/T → 0.4, expected gap 0.4); AMSGrad goes to −1. AMSGrad is slow here:
    its max v is set by bursts of the 1010 gradient, and with α = 1 it is at x ≈ −0.3 (expected gap 0.14)
    after 10⁶ rounds (seed 0, measured); the realized R_T/T needs T ≫ (σ/0.2)² ≈ 2.6·10⁵ to resolve from the
    noise (σ ≈ 101 per round).
    """

    name = "reddi-stochastic"
    summary = "1010x w.p. 0.01 else −10x on [−1, 1] (Reddi et al. Figure 1, stochastic)"
    PARAMS = {}
    large, small, p = 1010.0, -10.0, 0.01
    suggested = {"beta1": 0.9, "beta2": 0.99, "schedule": "sqrt", "alpha": 1.0}
