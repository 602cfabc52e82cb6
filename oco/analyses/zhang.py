"""Zhang, Chen, Shi, Sun & Luo, "Adam Can Converge Without Any Modification On Update Rules" (NeurIPS 2022,
arXiv 2208.09632): where Adam diverges on their counterexample, in closed form (``oco.plots.zhang`` draws it on
the (β1, 1 − β2) heat maps of ``oco reproduce zhang-n10`` / ``zhang-n50``).

The counterexample (``zhang-divergence``; the text of eq. (2.5) in Zhang's thesis, which restates the paper's):
f = (1/n) Σ_{i<n} f_i with f_i = w_i·h, h(x) = x for x ≥ −1 and ½(x + 2)² − 3/2 below, w_0 = 1 + (n − 1)a,
w_i = −a (i ≥ 1); x* = −2. For x ≥ −1 every gradient is a constant: once per pass the large w_0, then n − 1
times the small −a. Paper-form Adam (m_t = β1 m + (1 − β1)g, v_t = β2 v + (1 − β2)g², x ← x − α_t m_t/√v_t) is
invariant to the scale of the gradients, so there its direction m_t/√v_t depends on (β1, β2, n) and the ratio

    r = w_0/a = 1/a + n − 1      (= n(n − 1) for the paper's a = 1/(n − 1)²)

only. In cyclic order the moments settle on a periodic orbit; in units of a, at position j = 0..n−1 of the pass
(j = 0: the large gradient),

    m_j = (1 − β1)(r + 1) β1^j / (1 − β1^n) − 1,      v_j = (1 − β2)(r² − 1) β2^j / (1 − β2^n) + 1,

(m_j = (1 − β1) Σ_{s≥0} β1^s g_{j−s} over the whole past: one period's sum times 1/(1 − β1^n); v_j alike with
g²), and the mean direction over a pass is

    D(β1, β2) = (1/n) Σ_{j<n} m_j / √v_j.

x moves by −α_t·(m_t/√v_t) a round, so with Σ α_t = ∞ (α_t = α/√t): D < 0 — the many small −a gradients
outweigh the rare large one once divided by √v — sends x to +∞ (a displacement growing like √t), and D > 0
takes x down into x < −1, where the same signs hold down to x* = −2 and Adam converges. ``divergence_region``
is {D < 0}: the exact asymptotic criterion for cyclic order, derived here (oco), not copied from the paper.

What the paper's own analytic conditions are: its divergence theorem (Theorem 2.3 in the thesis that restates
it: "when (β1, β2) satisfies our analytic divergence conditions, Adam's iterates, gradients of the iterates,
and function values of the iterates all diverge to infinity"; the region "depends on n and expands to the whole
region [0, 1]² as n grows") states them in its appendix, which we could not read — no copy of the appendix was
reachable from this project, nor the figure drawn from them (n = 20, "plotted by solving our analytic
divergence conditions in NumPy"); the sketch in its Figure 1(d) has a region at small β2 that reaches β1 ≈ 0.9
near the β1 axis. Their conditions are sufficient ones, so their region lies inside the true one; {D < 0} is
the true region for cyclic order (``tests/test_experiments.py`` checks it against the recursion and runs).
It does not reach β1 → 1 as β2 → 0: with a short memory of g², the large gradient carried on by the momentum
is divided by the small ones' √v, and at β2 = 0 only β1 ≲ 1/n diverges. Under random reshuffling the runs put
the boundary a little higher in β2 (n = 10, β1 ≤ 0.3: near 0.55 rather than 0.47).
"""

from __future__ import annotations

import numpy as np

PAPER = "Zhang, Chen, Shi, Sun & Luo (NeurIPS 2022), arXiv 2208.09632"

# What we could confirm of the paper's settings, and from where (the sidecars of zhang-n10/n50 carry this).
SETTINGS = {
    "function": "eq. (2.5) of Zhang's thesis (it restates the NeurIPS paper's counterexample): "
                "f_0 = (1 + (n−1)a)x, f_i = −ax for x ≥ −1, quadratic continuations below, a = 1/(n − 1)² "
                "(then D1 = 2n², D0 = 0, x* = −2)",
    "n": "10 and 50: 'the optimality gap |θ − θ*| after running 50k iterations of Adam on our counterexample "
         "under n = 10 and 50' (figure caption, thesis Fig. 2.4 (c, d)); the analytic region is drawn there "
         "for n = 20",
    "horizon": "50 000 iterations (same caption)",
    "quantity": "the optimality gap |x_T − x*| (same caption): the right-hand heat map",
    "step size": "η_k = η_0/√k (the convergence theorem); the experiments with a stated value use 0.1/√k "
                 "(thesis Fig. 2.3). The counterexample's own η_0 is not stated in what we could read: "
                 "α = 0.1 is ours",
    "order": "the NeurIPS paper's Algorithm 1 is randomly reshuffled Adam (as in Shi et al. 2021 and the "
             "authors' ICLR 2022 blog post 'Does Adam Converge and When?'); the journal version (arXiv "
             "2603.02092, thesis Algorithm 1.1) samples the component uniformly with replacement. Not "
             "confirmed from the NeurIPS text",
    "initialisation": "not confirmed (Shi et al.'s Algorithm 1 starts m, v at scaled gradients at x_0; the "
                      "thesis leaves m_0, v_0 open); oco starts m = v = 0, x_1 = 0, no bias correction, ε = 0",
    "divergence": "the theorem's sense is 'iterates diverge to infinity'; the figure colours |x_T − x*| with no "
                  "threshold. oco hatches a cell as running away when x_T is farther from x* than x_1 and "
                  "still moving away over the last decade of rounds",
    "analytic region": "the paper's conditions are in its appendix, which we could not read: the region drawn "
                       "is oco's closed form {D < 0} (exact for cyclic order), see oco/analyses/zhang.py",
}


def ratio(n: int, a: float | None = None) -> float:
    """r = w_0/a = (1 + (n − 1)a)/a, the large gradient over the small one (a = 1/(n − 1)² by default)."""
    a = 1.0 / (n - 1) ** 2 if a is None else float(a)
    return (1.0 + (n - 1) * a) / a


def periodic_moments(beta1, beta2, n: int, a: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """m_j and v_j (j = 0..n−1, in units of a and a²) on the periodic orbit of cyclic order, for x ≥ −1:

        m_j = (1 − β1)(r + 1)β1^j/(1 − β1^n) − 1,   v_j = (1 − β2)(r² − 1)β2^j/(1 − β2^n) + 1.

    ``beta1`` and ``beta2`` broadcast together; the result has a trailing axis of length n. β^0 = 1 at β = 0."""
    r = ratio(n, a)
    b1 = np.asarray(beta1, float)[..., None]
    b2 = np.asarray(beta2, float)[..., None]
    j = np.arange(n)
    p1 = np.where(j == 0, 1.0, b1 ** np.maximum(j, 1))
    p2 = np.where(j == 0, 1.0, b2 ** np.maximum(j, 1))
    m = (1.0 - b1) * (r + 1.0) * p1 / (1.0 - b1**n) - 1.0
    v = (1.0 - b2) * (r * r - 1.0) * p2 / (1.0 - b2**n) + 1.0
    return m, v


def drift(beta1, beta2, n: int, a: float | None = None) -> np.ndarray:
    """D = (1/n) Σ_j m_j/√v_j over a pass of the periodic orbit (see the module docstring): the mean direction
    of paper-form Adam on the linear part of Zhang et al.'s example; x → +∞ where D < 0."""
    m, v = periodic_moments(beta1, beta2, n, a)
    return (m / np.sqrt(v)).mean(axis=-1)


def divergence_region(beta1, beta2, n: int, a: float | None = None) -> np.ndarray:
    """True where D(β1, β2) < 0: cyclic-order Adam's iterate runs to +∞ (see ``drift``)."""
    return drift(beta1, beta2, n, a) < 0


def running_away(x_final, x_early, x1: float, x_star: float) -> np.ndarray:
    """A finite run that diverges to infinity, as seen at a finite horizon: x_T farther from x* than the start
    x_1 and still moving away over the last decade of rounds (|x_T − x*| > |x_{T/10} − x*|)."""
    d_final = np.abs(np.asarray(x_final, float) - x_star)
    d_early = np.abs(np.asarray(x_early, float) - x_star)
    return (d_final > abs(x1 - x_star)) & (d_final > d_early)


# ---------------------------------------------------------------- the region {D < 0} as polygons
def region_polygons(n: int, a: float | None, beta1: np.ndarray, beta2: np.ndarray) -> list[np.ndarray]:
    """The polygons of {D < 0} (``divergence_region``) on the grid beta1 × beta2 (increasing values), each an
    (k, 2) array of (β1, β2) vertices: the filled contour of D at level 0 (contourpy, which matplotlib uses)."""
    import contourpy

    B1, B2 = np.meshgrid(beta1, beta2)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        D = drift(B1, B2, n, a)
    gen = contourpy.contour_generator(beta1, beta2, D, fill_type=contourpy.FillType.OuterOffset)
    points, offsets = gen.filled(-np.inf, 0.0)
    polys = []
    for pts, offs in zip(points, offsets):
        polys += [pts[i:j] for i, j in zip(offs[:-1], offs[1:]) if j - i >= 3]
    return polys
