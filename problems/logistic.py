"""Online logistic regression on a real data set shipped inside a dependency's wheel.

The data: matplotlib's sample data ``goog.npz`` (``matplotlib.cbook.get_sample_data``, in every matplotlib
wheel under ``mpl-data/sample_data``): 1047 trading days of Google's stock, 2004-08-19 to 2008-10-14, with
open, high, low, close and volume. No download at run time (scipy.datasets would need one; scikit-learn is
not a dependency).

The task ("is today a high-volume day?"): for day t (from the 21st on), label y_t = +1 if log volume_t exceeds
the median log volume of the 20 previous days, else −1; features (z-scored over the data set) |r_t|,
log(high_t/low_t), |log(open_t/close_{t−1})|, r_t with r_t = log(close_t/close_{t−1}), plus an intercept.
1027 examples, d = 5, about half of them positive; volume and volatility are correlated, so the best
linear classifier reaches about 72 % accuracy and a mean logistic loss of about 0.564
(log 2 ≈ 0.693 at x = 0).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from oco.methods.ops import exp, logaddexp
from oco.projections import Ball, Box, Unconstrained

from .base import Margin, Param, Problem, block_rng, blocked, choice, real

WINDOW = 20


@lru_cache(maxsize=1)
def goog_volume_data() -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 5) with an intercept column last, labels (N,) in {−1, +1}) from matplotlib's goog.npz."""
    import importlib.util
    from pathlib import Path

    # matplotlib's sample data, found without importing matplotlib (0.25 s): cbook.get_sample_data's path
    spec = importlib.util.find_spec("matplotlib")
    path = Path(next(iter(spec.submodule_search_locations or []), "")) / "mpl-data" / "sample_data" / "goog.npz"
    if not path.is_file():
        from matplotlib import cbook

        path = cbook.get_sample_data("goog.npz", asfileobj=False)  # a path in every matplotlib >= 3.7
    with np.load(path) as npz:
        p = npz["price_data"]
    close, open_, high, low = p["close"], p["open"], p["high"], p["low"]
    logvol = np.log(p["volume"].astype(float))
    r = np.log(close[1:] / close[:-1])
    day_range = np.log(high / low)[1:]
    gap = np.log(open_[1:] / close[:-1])
    y = np.array([logvol[t] > np.median(logvol[t - WINDOW : t]) for t in range(WINDOW, len(logvol))])
    X = np.stack([np.abs(r), day_range, np.abs(gap), r], axis=1)[WINDOW - 1 :]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X = np.hstack([X, np.ones((len(X), 1))])
    X.setflags(write=False)
    labels = np.where(y, 1.0, -1.0)
    labels.setflags(write=False)
    return X, labels


def logistic_loss_grad(
    w: np.ndarray, X: np.ndarray, y: np.ndarray, c: np.ndarray
) -> tuple[float, np.ndarray]:
    """Σ_i c_i log(1 + exp(−y_i ⟨X_i, w⟩)) and its gradient (stable for any margin)."""
    z = y * (X @ w)
    loss = float(np.sum(c * np.logaddexp(0.0, -z)))
    s = -y * c * _sigmoid(-z)
    return loss, X.T @ s


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def minimize_weighted_logistic(X, y, c, domain, x0=None) -> tuple[float, np.ndarray]:
    """min over F of Σ_i c_i ℓ_i(x): Newton's method where its stationary point lies in F (the usual case: the
    data set's optimum is interior); otherwise, on a box, the projected Newton method (``_box_newton``), and
    on a ball or R^d scipy.optimize's SLSQP (one quadratic constraint for a ball, none for R^d; with d = 5
    SLSQP is ~30× faster here than L-BFGS-B and as accurate; the objective is scaled by 1/Σc for
    conditioning and ftol is 1e-15), so the comparator's error is far below the regret it is subtracted from.
    """
    d = X.shape[1]
    total = float(np.sum(c))
    scale = 1.0 / total if total > 0 else 1.0
    x0 = np.zeros(d) if x0 is None else np.asarray(x0, float)
    # on a box, Newton's iterates far outside it mean the optimum is on its boundary: no need to follow them
    # towards infinity (a separable weighting) before the projected Newton method takes over
    reach = 4.0 * float(max(np.max(np.abs(domain.lo)), np.max(np.abs(domain.hi)))) if isinstance(domain, Box) else 1e6
    w = _newton(X, y, c, x0, limit=reach)
    if w is not None and np.all(domain.contains(w[None])):  # the stationary point is feasible: the optimum
        return logistic_loss_grad(w, X, y, c)[0], w
    if isinstance(domain, Box):  # the optimum on the box's boundary (the early rounds' few examples)
        lo = np.broadcast_to(np.asarray(domain.lo, float), (d,))
        hi = np.broadcast_to(np.asarray(domain.hi, float), (d,))
        w = _box_newton(X, y, c, lo, hi, x0)
        return logistic_loss_grad(w, X, y, c)[0], w

    def fun(w):
        f, g = logistic_loss_grad(w, X, y, c)
        return f * scale, g * scale

    bounds, constraints = None, ()
    if isinstance(domain, Box):
        lo = np.broadcast_to(np.asarray(domain.lo, float), (d,))
        hi = np.broadcast_to(np.asarray(domain.hi, float), (d,))
        bounds = list(zip(lo, hi))
    elif isinstance(domain, Ball):
        r = float(domain.radius)
        constraints = [{"type": "ineq", "fun": lambda w: r * r - w @ w, "jac": lambda w: -2 * w}]
    elif not isinstance(domain, Unconstrained):
        raise TypeError(f"no comparator for {domain!r}")
    x0 = domain.project(x0[None])[0]
    from scipy.optimize import minimize  # here, not at import: scipy.optimize takes 0.4 s to import

    res = minimize(
        fun,
        x0,
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=constraints,
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    x = domain.project(res.x[None])[0]  # SLSQP may step outside by round-off
    return logistic_loss_grad(x, X, y, c)[0], x


def logistic(z):
    """ℓ(z) = log(1 + e^{−z}), ℓ'(z) = −σ(−z) = −e^{−log(1 + e^z)} (stable for any margin)."""
    return logaddexp(0.0, -z), -exp(-logaddexp(0.0, z))


def _newton(X, y, c, w, steps: int = 60, limit: float = 1e6) -> np.ndarray | None:
    """The unconstrained minimiser of Σ_i c_i log(1 + e^{−y_i⟨X_i, w⟩}) by Newton's method from w (quadratic
    convergence to the last bit in a few steps); None when it does not converge (a separable weighting: the
    minimum is at infinity), an iterate leaves [−limit, limit]^d or the Hessian is singular."""
    w = np.array(w, float)
    for _ in range(steps):
        z = y * (X @ w)
        s = _sigmoid(-z)  # σ(−z)
        g = X.T @ (-y * c * s)
        H = (X * (c * s * (1.0 - s))[:, None]).T @ X
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return None
        w = w - step
        if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > limit:
            return None
        if np.max(np.abs(step)) <= 4e-16 * (1.0 + np.max(np.abs(w))):
            return w
    return None


def _box_newton(X, y, c, lo, hi, w, steps: int = 200) -> np.ndarray:
    """min of f(w) = Σ_i c_i log(1 + e^{−y_i⟨X_i, w⟩}) over the box lo ≤ w ≤ hi: Bertsekas' projected Newton
    method (SIAM J. Control Optim. 20(2), 1982). Each step, with g = ∇f(w), the ε-active set

        A = {j : w_j ≤ lo_j + ε, g_j > 0} ∪ {j : w_j ≥ hi_j − ε, g_j < 0},   ε = min(10⁻³, ‖w − P(w − g)‖),

    a Newton step on the free coordinates (∇²f restricted to them; a 10⁻¹⁴-relative ridge where few examples
    make it singular — g lies in its range, so the step is unchanged where it is defined) and a gradient step
    on A, w(a) = P(w + a·p) with Armijo's rule along the projection arc (a = 1, ½, …). Locally quadratic
    like Newton's method, exact at a vertex; it stops where the step is below round-off (as ``_newton``) or
    the decrease it predicts is (10⁻¹⁵ f). Checked against SLSQP and the KKT conditions in the tests.
    """
    w = np.clip(np.asarray(w, float), lo, hi)
    f, g = logistic_loss_grad(w, X, y, c)
    for _ in range(steps):
        eps = min(1e-3, float(np.max(np.abs(w - np.clip(w - g, lo, hi)))))
        active = ((w <= lo + eps) & (g > 0)) | ((w >= hi - eps) & (g < 0))
        free = ~active
        p = -g
        if np.any(free):
            s = _sigmoid(-(y * (X @ w)))
            Xf = X[:, free]
            H = (Xf * (c * s * (1.0 - s))[:, None]).T @ Xf
            ridge = 1e-14 * max(float(np.trace(H)) / H.shape[0], np.finfo(float).tiny)
            p = p.copy()
            p[free] = -np.linalg.solve(H + ridge * np.eye(H.shape[0]), g[free])
        # Bertsekas' sufficient decrease: the Newton part's predicted decrease plus the projected gradient's
        def predicted(a, wn):
            return a * float(-(g[free] @ p[free])) + float(g[active] @ (w[active] - wn[active]))

        if predicted(1.0, np.clip(w + p, lo, hi)) <= 1e-15 * abs(f):
            return w  # what is left to gain is below round-off: the optimum
        a = 1.0
        while a > 1e-12:
            wn = np.clip(w + a * p, lo, hi)
            fn, gn = logistic_loss_grad(wn, X, y, c)
            if f - fn >= 1e-4 * predicted(a, wn):
                break
            a *= 0.5
        else:
            return w  # no decrease left to find: the optimum to round-off
        done = np.max(np.abs(wn - w)) <= 4e-16 * (1.0 + np.max(np.abs(wn)))
        w, f, g = wn, fn, gn
        if done:
            return w
    return w


class OnlineLogistic(Problem):
    """Online logistic regression, one example per round, on real data (matplotlib's goog.npz; see the module
    docstring for the task): f_t(x) = log(1 + exp(−y_{i_t}⟨a_{i_t}, x⟩)) on the box [−radius, radius]^5.

    Order: ``cyclic`` (i_t = (t − 1) mod N, epoch after epoch), ``shuffle`` (a fresh permutation each epoch,
    from the seed) or ``sample`` (i_t uniform, i.i.d.). The comparator minimises
    Σ_i c_i(t) ℓ_i(x), c_i(t) = how often example i appeared by round t (``minimize_weighted_logistic``). The
    expected loss is the mean loss over the data set (the population of the sampled orders),
    F(x) = (1/N) Σ_i ℓ_i(x), with x* found the same way.

    Reddi et al. (2018, Section 6) ran logistic regression (on MNIST) with α_t = α/√t, β1 = 0.9 and
    β2 ∈ {0.99, 0.999}; ``suggested`` follows them.

    Parameters: order (shuffle), radius (5: the unconstrained optimum has |x_j| < 1.2, so it lies inside).
    """

    name = "logistic-goog"
    summary = "online logistic regression on matplotlib's goog.npz: is today a high-volume day? (N=1027, d=5)"
    PARAMS = {
        "order": Param("shuffle", choice, "cyclic, shuffle (a permutation per epoch) or sample (i.i.d. uniform)",
                       options=("cyclic", "shuffle", "sample")),
        "radius": Param(5.0, real, "the feasible set is the box [−radius, radius]^5", lo=0.0, lo_open=True),
    }
    suggested = {"beta1": 0.9, "beta2": 0.999, "schedule": "sqrt", "alpha": 0.1}
    linear = False
    loss = Margin(logistic)  # the round's data row: the example's features a, then its label y

    def setup(self):
        self.X, self.y = goog_volume_data()
        self.N, self.d = self.X.shape
        self.stochastic = self.order != "cyclic"
        self._rows = np.hstack([self.X, self.y[:, None]])
        self._optimum: dict = {}

    def default_domain(self):
        return Box(-self.radius, self.radius)

    # ---------------------------------------------------------------- which example each round sees
    def _draw(self, rng, t0, n):
        return rng.integers(0, self.N, n)

    def indices(self, seed: int, t0: int, n: int) -> np.ndarray:
        """i_t for rounds t0..t0+n−1."""
        t = np.arange(t0 - 1, t0 - 1 + n)
        if self.order == "cyclic":
            return t % self.N
        if self.order == "sample":
            return blocked(seed, t0, n, self._draw)
        epochs, pos = np.divmod(t, self.N)
        out = np.empty(n, np.int64)
        for e in np.unique(epochs):
            sel = epochs == e
            out[sel] = _permutation(self.N, int(seed), int(e))[pos[sel]]
        return out

    def data(self, seed, t0, n):
        return self._rows[self.indices(seed, t0, n)]

    # ---------------------------------------------------------------- comparators
    def counts(self, seed: int, ts: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
        """c_i(t): how often example i appeared in rounds 1..t, for each t in ts (ascending) → (K, N)."""
        ts = np.asarray(ts, np.int64)
        out = np.zeros((len(ts), self.N))
        c = np.zeros(self.N)
        t = 0
        for k, end in enumerate(ts):
            while t < end:
                n = int(min(chunk, end - t))
                c += np.bincount(self.indices(seed, t + 1, n), minlength=self.N)
                t += n
            out[k] = c
        return out

    def hindsight(self, seed, ts, domain):
        C = self.counts(seed, ts)
        values, xs = np.zeros(len(ts)), np.zeros((len(ts), self.d))
        x = None
        for k in range(len(ts)):
            values[k], xs[k] = minimize_weighted_logistic(self.X, self.y, C[k], domain, x)
            x = xs[k]
        return values, xs

    def expected_loss(self, x):
        z = self.y[None, :] * (x @ self.X.T)
        return np.mean(np.logaddexp(0.0, -z), axis=1)

    def expected_optimum(self, domain):
        key = repr(domain.describe())
        if key not in self._optimum:
            value, x = minimize_weighted_logistic(self.X, self.y, np.ones(self.N), domain)
            self._optimum[key] = (value / self.N, x)
        return self._optimum[key]


@lru_cache(maxsize=64)
def _permutation(N: int, seed: int, epoch: int) -> np.ndarray:
    """The order of epoch ``epoch`` in the shuffled order: a function of (seed, epoch) only."""
    perm = block_rng(seed, epoch, stream=1).permutation(N)
    perm.setflags(write=False)
    return perm
