"""Independent scalar references for every row of the method table: ``REFERENCES[(name, convention)]``.

Each reference is written from its source — the method's paper (for the ``paper`` convention), torch.optim 2.13's
``_single_tensor_*`` functions (``torch`` convention), the authors' ``adabound`` 0.0.5 package (AdaBound/AMSBound,
``torch`` convention), iShohei220/adopt (ADOPT) — in plain Python floats, one coordinate at a time. None of them
calls oco: not its pieces, schedules or projections. They are what the rows are tested against
(tests/test_references.py).

Signature (also of ``references_sign_and_authors.SIGN_AND_AUTHORS``, merged in below):

    ref(g, x0, hyper, box, etas=None) -> x    (T + 1, d) float array: x_1 = x0, then x_2 … x_{T+1}

    g       (T, d) the gradients of linear losses f_t(x) = ⟨g_t, x⟩ (a method's weight decay adds λx itself)
    x0      (d,) the starting point
    hyper   the hyperparameters given, by oco's names; the rest take the reference's OWN defaults (``DEFAULTS``,
            each from its source, so a changed default in the table shows up)
    box     (lo, hi), scalars or (d,) — the feasible set, onto which every iterate is clipped (for the weighted
            projection Π_{F,√V_t} of Reddi et al. on a box, clipping per coordinate is exact) — or None for R^d
    etas    a list or None; when a list, it receives η_t (d,) per round, the per-coordinate learning rate the
            method multiplies its direction by (Reddi's α_t/√V_t), for the Γ_t count

Every method here is coordinate-separable (diagonal preconditioner, a box), so a coordinate runs alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from references_sign_and_authors import SIGN_AND_AUTHORS

# ---------------------------------------------------------------- schedules (written from their definitions)
SCHEDULE_DEFAULTS = {"schedule": "const", "sgdr_t0": 100, "sgdr_mult": 2, "alpha_min": 0.0}
BETA1_DEFAULTS = {"beta1_schedule": "const", "lam": 1.0}


def step_size(h: dict, t: int) -> float:
    """α_t: const α; sqrt α/√t (Reddi et al.'s theory); sgdr — Loshchilov & Hutter 2017, eq. (5):
    α_min + ½(α − α_min)(1 + cos(π T_cur/T_i)), cycles of T_0, T_0·mult, T_0·mult², … rounds, T_cur the rounds
    since the last restart (0 at a cycle's first round)."""
    alpha, kind = float(h["alpha"]), h["schedule"]
    if kind == "const":
        return alpha
    if kind == "sqrt":
        return alpha / math.sqrt(t)
    if kind == "sgdr":
        start, length = 1, int(h["sgdr_t0"])  # the cycle that contains round t: [start, start + length)
        while t >= start + length:
            start += length
            length *= int(h["sgdr_mult"])
        amin = float(h["alpha_min"])
        return amin + 0.5 * (alpha - amin) * (1.0 + math.cos(math.pi * (t - start) / length))
    raise ValueError(kind)


def beta1_t(h: dict, t: int) -> float:
    """β1t: const β1; exp β1·λ^{t−1} (Reddi et al. Theorem 4); inv β1/t."""
    b1, kind = float(h["beta1"]), h["beta1_schedule"]
    if kind == "const":
        return b1
    if kind == "exp":
        return b1 * float(h["lam"]) ** (t - 1)
    if kind == "inv":
        return b1 / t
    raise ValueError(kind)


def gamma_count(etas) -> int:
    """Reddi's diagnostic from a reference's η_t: the rounds t ≥ 2 where Γ_t = √V_t/α_t − √V_{t−1}/α_{t−1} has a
    negative entry, i.e. some coordinate's η_t exceeds its η_{t−1}."""
    e = np.asarray(etas, float)
    return int(np.sum(np.any(e[1:] > e[:-1], axis=1)))


def _sign(z: float) -> float:
    return 1.0 if z > 0 else (-1.0 if z < 0 else 0.0)


def _descend(x: float, eta: float, d: float) -> float:
    """x − η d, with no step where d = 0 (η may be ∞ there: no gradient seen yet)."""
    return x if d == 0.0 else x - eta * d


# ---------------------------------------------------------------- the driver
def reference(defaults: dict) -> Callable:
    """Decorator: ``make(h) -> step`` with ``step(state, t, g, x, j) -> (x̂, η)`` (state a per-coordinate dict,
    empty at the start) becomes a reference with the signature above and these defaults."""

    def wrap(make):
        def ref(g, x0, hyper=None, box=None, etas=None):
            h = {**defaults, **(hyper or {})}
            unknown = set(h) - set(defaults)
            if unknown:
                raise KeyError(f"{make.__name__}: no hyperparameter {sorted(unknown)}")
            h = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in h.items()}
            g = np.asarray(g, float)
            T, d = g.shape
            x0 = np.broadcast_to(np.asarray(x0, float), (d,))
            lo = hi = None
            if box is not None:
                lo = np.broadcast_to(np.asarray(box[0], float), (d,))
                hi = np.broadcast_to(np.asarray(box[1], float), (d,))
            out = np.empty((T + 1, d))
            eta_out = np.empty((T, d))
            for j in range(d):
                step = make(h)
                state: dict = {"x1": float(x0[j])}
                x = float(x0[j])
                out[0, j] = x
                for t in range(1, T + 1):
                    xhat, eta = step(state, t, float(g[t - 1, j]), x, j)
                    x = min(max(xhat, float(lo[j])), float(hi[j])) if box is not None else xhat
                    out[t, j] = x
                    eta_out[t - 1, j] = eta
            if etas is not None:
                etas.extend(eta_out)
            return out

        ref.__name__ = ref.__qualname__ = make.__name__
        ref.__doc__ = make.__doc__
        ref.defaults = dict(defaults)
        return ref

    return wrap


def _s(alpha, schedule="const"):
    return {**SCHEDULE_DEFAULTS, "alpha": alpha, "schedule": schedule}


# ================================================================ paper convention
@reference({**_s(0.1), "momentum": 0.0, "dampening": 0.0, "nesterov": False})  # α: no default in the sources
def sgd_paper(h):
    """Robbins & Monro; Polyak's heavy ball b_t = μb_{t−1} + (1 − dampening)g_t from b_0 = 0, direction b_t
    (Nesterov: g_t + μb_t; d_t = g_t without momentum); x_{t+1} = Π(x_t − α_t d_t)."""
    mu, damp = float(h["momentum"]), float(h["dampening"])

    def step(s, t, g, x, j):
        b = mu * s.get("b", 0.0) + (1.0 - damp) * g
        s["b"] = b
        d = g if mu == 0.0 else (g + mu * b if h["nesterov"] else b)
        a = step_size(h, t)
        return x - a * d, a

    return step


@reference(_s(1.0, "sqrt"))  # Zinkevich: α_t = D/(G√t); α = D/G = 1 for unit scales
def ogd_paper(h):
    """Zinkevich 2003: x_{t+1} = Π(x_t − α/√t · g_t)."""

    def step(s, t, g, x, j):
        a = step_size(h, t)
        return x - a * g, a

    return step


@reference(_s(1.0, "sqrt"))
def ftrl_paper(h):
    """Linearized FTRL with regularizer ‖x − x_1‖²/(2α_t): x_{t+1} = argmin_F ⟨Σg, x⟩ + ‖x − x_1‖²/(2α_t)
    = Π_F(x_1 − α_t Σ_{i≤t} g_i) (McMahan 2017, lazy projection)."""

    def step(s, t, g, x, j):
        s["G"] = s.get("G", 0.0) + g
        a = step_size(h, t)
        return s["x1"] - a * s["G"], a

    return step


@reference({**_s(1.0), "eps": 1.0})  # Hazan et al.: α = 1/γ, A_0 = εI; no numbers fixed for a generic problem
def ons_paper(h):
    """Hazan, Agarwal & Kale 2007, diagonal: A_t = ε + Σ g²; x_{t+1} = Π_{F,A_t}(x_t − (1/γ)A_t^{-1}g_t), 1/γ = α_t."""

    def step(s, t, g, x, j):
        A = s.get("A", float(h["eps"])) + g * g
        s["A"] = A
        eta = step_size(h, t) / A
        return x - eta * g, eta

    return step


@reference({**_s(0.1, "sqrt"), "eps": 0.0})
def adagrad_paper(h):
    """Duchi et al.; Reddi et al.'s table: v_t = Σ_{i≤t} g_i²/t, x_{t+1} = Π(x_t − α_t g_t/√(v_t + ε))."""

    def step(s, t, g, x, j):
        S = s.get("S", 0.0) + g * g
        s["S"] = S
        eta = step_size(h, t) / math.sqrt(S / t + float(h["eps"]))
        return _descend(x, eta, g), eta

    return step


# Tieleman & Hinton, Lecture 6e: "MeanSquare(w, t) = 0.9 MeanSquare(w, t−1) + 0.1 (∂E/∂w(t))²" — the only decay
# the source gives (torch's 0.99 is torch's); no step size given (0.01 the project's choice)
@reference({**_s(0.01), "beta2": 0.9, "eps": 0.0})
def rmsprop_paper(h):
    """RMSProp, Reddi et al.'s table (Adam with β1 = 0): v_t = β2 v + (1 − β2)g², x − α_t g/√(v_t + ε)."""
    b2 = float(h["beta2"])

    def step(s, t, g, x, j):
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        s["v"] = v
        eta = step_size(h, t) / math.sqrt(v + float(h["eps"]))
        return _descend(x, eta, g), eta

    return step


def _adadelta(h):
    """Zeiler 2012, Algorithm 1: E[g²]_t = ρE[g²] + (1−ρ)g²; Δx_t = −RMS[Δx]_{t−1}/RMS[g]_t · g_t with
    RMS[y] = √(E[y²] + ε); E[Δx²]_t = ρE[Δx²] + (1−ρ)Δx²; x_{t+1} = x_t + α_t Δx_t (α = 1: Zeiler's)."""
    rho, eps, wd = float(h["rho"]), float(h["eps"]), float(h.get("weight_decay", 0.0))

    def step(s, t, g, x, j):
        g = g + wd * x
        Eg = rho * s.get("Eg", 0.0) + (1.0 - rho) * g * g
        ratio = math.sqrt(s.get("Ed", 0.0) + eps) / math.sqrt(Eg + eps)
        delta = ratio * g
        s["Eg"], s["Ed"] = Eg, rho * s.get("Ed", 0.0) + (1.0 - rho) * delta * delta
        a = step_size(h, t)
        return x - a * delta, a * ratio

    return step


adadelta_paper = reference({**_s(1.0), "rho": 0.95, "eps": 1e-6})(_adadelta)  # Zeiler: ρ = 0.95, ε = 1e-6
adadelta_paper.__name__ = "adadelta_paper"


def _adam_family(h, second="ema", bounded=False):
    """Reddi et al.'s φ/ψ forms: m_t = β1t m + (1 − β1t)g; v_t by ``second``; no bias correction, ε in the root.
    ema: v_t = β2 v + (1 − β2)g² (Adam); ams: v̂_t = max(v̂_{t−1}, v_t) (AMSGrad, Algorithm 2);
    mean: v_t = (1 − 1/t)v + g²/t (AdamNC, β2t = 1 − 1/t).
    bounded (Luo et al., Algorithm 2 and Section 5): η_t = Clip(α/√v_t, α*(1 − 1/(γt+1)), α*(1 + 1/(γt))) · α_t/α."""
    eps = float(h["eps"])

    def step(s, t, g, x, j):
        b1 = beta1_t(h, t)
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        if second == "mean":
            v = (1.0 - 1.0 / t) * s.get("v", 0.0) + (1.0 / t) * g * g
            V = v
        else:
            b2 = float(h["beta2"])
            v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
            V = max(s.get("vhat", 0.0), v) if second == "ams" else v
            s["vhat"] = V
        s["m"], s["v"] = m, v
        a = step_size(h, t)
        if bounded:
            alpha, fin = float(h["alpha"]), float(h["final_lr"])
            gam = 1.0 - float(h["beta2"]) if h["gamma"] is None else float(h["gamma"])
            lower, upper = fin * (1.0 - 1.0 / (gam * t + 1.0)), fin * (1.0 + 1.0 / (gam * t))
            eta = min(max(alpha / math.sqrt(V + eps), lower), upper) * (a / alpha)
        else:
            eta = a / math.sqrt(V + eps)
        return _descend(x, eta, m), eta

    return step


_ADAM = {**_s(1e-3), "beta1": 0.9, "beta2": 0.999, **BETA1_DEFAULTS, "eps": 0.0}  # Kingma & Ba's α, β1, β2


@reference(_ADAM)
def adam_paper(h):
    """Adam in Reddi et al.'s form (their table, eq. (3) for ε): no bias correction, ε inside the root."""
    return _adam_family(h)


@reference({**_ADAM, "schedule": "sqrt"})  # Reddi et al.'s theory: α_t = α/√t
def amsgrad_paper(h):
    """AMSGrad, Reddi et al. Algorithm 2: v̂_t = max(v̂_{t−1}, v_t) over the raw v; x − α_t m_t/√v̂_t."""
    return _adam_family(h, "ams")


@reference({**_s(1e-3, "sqrt"), "beta1": 0.9, **BETA1_DEFAULTS, "eps": 0.0})
def adamnc_paper(h):
    """AdamNC, Reddi et al. Section 5: β2t = 1 − 1/t, so v_t is the mean of g²."""
    return _adam_family(h, "mean")


# Luo et al. Section 5: α* = 0.1, γ = 1 − β2; Algorithm 2 divides the clipped rate by √t (α_t = α/√t)
_BOUND = {**_ADAM, **_s(1e-3, "sqrt"), "final_lr": 0.1, "gamma": None}


@reference(_BOUND)
def adabound_paper(h):
    """AdaBound, Luo et al. ICLR 2019, Algorithm 2 with the bounds of Section 5 (the 1/√t factor is α_t/α)."""
    return _adam_family(h, "ema", bounded=True)


@reference(_BOUND)
def amsbound_paper(h):
    """AMSBound: AdaBound on AMSGrad's v̂."""
    return _adam_family(h, "ams", bounded=True)


@reference({**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2})
def adamw_paper(h):
    """Loshchilov & Hutter ICLR 2019, Algorithm 2 (AdamW): m̂_t = m_t/(1 − β1^t), v̂_t = v_t/(1 − β2^t);
    η_t = SetScheduleMultiplier(t) = α_t/α; x_t = x_{t−1} − η_t(α m̂_t/(√v̂_t + ε) + λ x_{t−1})."""
    b1, b2, eps, lam, alpha = (float(h[k]) for k in ("beta1", "beta2", "eps", "weight_decay", "alpha"))

    def step(s, t, g, x, j):
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        s["m"], s["v"] = m, v
        mhat, vhat = m / (1.0 - b1**t), v / (1.0 - b2**t)
        mult = step_size(h, t) / alpha
        return x - mult * (alpha * mhat / (math.sqrt(vhat) + eps) + lam * x), \
            mult * alpha / (1.0 - b1**t) / (math.sqrt(vhat) + eps)

    return step


@reference({**_s(2e-3), "beta1": 0.9, "beta2": 0.999, **BETA1_DEFAULTS})  # Kingma & Ba: α = 0.002 for AdaMax
def adamax_paper(h):
    """Kingma & Ba, Algorithm 2 (AdaMax): m_t = β1 m + (1 − β1)g (β1t with a schedule), u_t = max(β2 u, |g|),
    x − (α_t/(1 − β1^t)) m_t/u_t."""
    b1, b2 = float(h["beta1"]), float(h["beta2"])

    def step(s, t, g, x, j):
        bt = beta1_t(h, t)
        m = bt * s.get("m", 0.0) + (1.0 - bt) * g
        u = max(b2 * s.get("u", 0.0), abs(g))
        s["m"], s["u"] = m, u
        eta = step_size(h, t) / (1.0 - b1**t) / u
        return _descend(x, eta, m), eta

    return step


def _nadam(h):
    """Dozat 2016 as torch documents NAdam: μ_t = β1(1 − ½·0.96^{tψ}); m_t = β1 m + (1 − β1)g;
    v̂_t = v_t/(1 − β2^t); x − α_t[(1 − μ_t)/(1 − Π_{i≤t}μ_i) g_t + μ_{t+1}/(1 − Π_{i≤t+1}μ_i) m_t]/(√v̂_t + ε);
    weight decay (torch) coupled g + λx, or decoupled x(1 − α_t λ)."""
    b1, b2, eps, psi = (float(h[k]) for k in ("beta1", "beta2", "eps", "momentum_decay"))
    wd = float(h.get("weight_decay", 0.0))

    def step(s, t, g, x, j):
        a = step_size(h, t)
        if wd and h.get("decoupled_weight_decay"):
            x = x * (1.0 - a * wd)
        else:
            g = g + wd * x
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu1 = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod = s.get("prod", 1.0) * mu
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        s["prod"], s["m"], s["v"] = prod, m, v
        denom = math.sqrt(v / (1.0 - b2**t)) + eps
        d = (1.0 - mu) / (1.0 - prod) * g + mu1 / (1.0 - prod * mu1) * m
        return x - a * d / denom, a / denom

    return step


# Dozat / torch: α = 0.002, ψ = 0.004
nadam_paper = reference({**_s(2e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "momentum_decay": 4e-3})(_nadam)
nadam_paper.__name__ = "nadam_paper"


def _radam(h, threshold):
    """Liu et al. ICLR 2020, Algorithm 2: m̂ = m/(1 − β1^t); ρ_∞ = 2/(1 − β2) − 1, ρ_t = ρ_∞ − 2tβ2^t/(1 − β2^t);
    ρ_t > threshold (4 in the paper, 5 in torch): l_t = √(1 − β2^t)/(√v_t + ε),
    r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞/((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)), x − α_t r_t l_t m̂_t; else x − α_t m̂_t."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])
    wd = float(h.get("weight_decay", 0.0))

    def step(s, t, g, x, j):
        a = step_size(h, t)
        if wd and h.get("decoupled_weight_decay"):
            x = x * (1.0 - a * wd)
        else:
            g = g + wd * x
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        s["m"], s["v"] = m, v
        mhat = m / (1.0 - b1**t)
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho = rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)
        if rho > threshold:
            r = math.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
            lr = a * r * math.sqrt(1.0 - b2**t) / (math.sqrt(v) + eps)
        else:
            lr = a
        return x - lr * mhat, lr / (1.0 - b1**t)

    return step


@reference({**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 0.0})
def radam_paper(h):
    """RAdam, the paper's threshold ρ_t > 4."""
    return _radam(h, 4.0)


# Zaheer et al. NeurIPS 2018, Section 4: α = 10^-2, β2 = 0.999, ε = 10^-3; v_0 = 10^-6 (the row's documented start)
@reference({**_s(1e-2), "beta1": 0.9, "beta2": 0.999, **BETA1_DEFAULTS, "eps": 1e-3, "v0": 1e-6})
def yogi_paper(h):
    """Yogi, Zaheer et al. Algorithm 2: m_t = β1 m + (1 − β1)g; v_t = v_{t−1} − (1 − β2) sign(v_{t−1} − g_t²) g_t²;
    x − α_t m_t/(√v_t + ε)."""
    b2, eps = float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x, j):
        b1 = beta1_t(h, t)
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = s.get("v", float(h["v0"]))
        v = v - (1.0 - b2) * _sign(v - g * g) * g * g
        s["m"], s["v"] = m, v
        eta = step_size(h, t) / (math.sqrt(v) + eps)
        return x - eta * m, eta

    return step


@reference({**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-16})  # adabelief-pytorch 0.2: ε = 1e-16
def adabelief_paper(h):
    """AdaBelief, Zhuang et al. Algorithm 2: s_t = β2 s + (1 − β2)(g_t − m_t)² + ε; m̂ = m/(1 − β1^t),
    ŝ = s/(1 − β2^t); x − α_t m̂/(√ŝ + ε)."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x, j):
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        r = g - m
        v = b2 * s.get("s", 0.0) + (1.0 - b2) * r * r + eps
        s["m"], s["s"] = m, v
        eta = step_size(h, t) / (1.0 - b1**t) / (math.sqrt(v / (1.0 - b2**t)) + eps)
        return x - eta * m, eta

    return step


@reference({**_s(0.1), "beta1": 0.9, "beta2": 0.999, **BETA1_DEFAULTS, "p": 0.125})  # Chen & Gu: p = 1/8, α 0.1
def padam_paper(h):
    """Padam, Chen & Gu 2018: m_t as Adam, v̂_t = max(v̂_{t−1}, v_t); x − α_t m_t/v̂_t^p."""
    b2, p = float(h["beta2"]), float(h["p"])

    def step(s, t, g, x, j):
        b1 = beta1_t(h, t)
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        vh = max(s.get("vh", 0.0), v)
        s["m"], s["v"], s["vh"] = m, v, vh
        eta = step_size(h, t) / vh**p
        return _descend(x, eta, m), eta

    return step


# Taniguchi et al. / iShohei220/adopt (src/adopt/adopt.py): lr 1e-3, betas (0.9, 0.9999), eps 1e-6,
# clip_lambda = step**0.25
@reference({**_s(1e-3), "beta1": 0.9, "beta2": 0.9999, "eps": 1e-6, "clip_grad": True})
def adopt_paper(h):
    """ADOPT, the authors' code: the first step only sets v = g²; each later one takes
    n = g/max(√v, ε), clipped to ±k^{1/4} where k is the number of steps taken before this one (the code's
    ``step`` when ``clip_lambda(step)`` is called: 1 at the first update that moves x, so at round t it is
    (t − 1)^{1/4}); m = lerp(m, n, 1 − β1); x − α_t m; then v = β2 v + (1 − β2)g²."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x, j):
        if t == 1:
            s["v"], s["m"] = g * g, 0.0
            return x, 0.0
        n = g / max(math.sqrt(s["v"]), eps)
        if h["clip_grad"]:
            c = (t - 1) ** 0.25
            n = min(max(n, -c), c)
        m = b1 * s["m"] + (1.0 - b1) * n
        s["m"], s["v"] = m, b2 * s["v"] + (1.0 - b2) * g * g
        a = step_size(h, t)
        return x - a * m, a

    return step


# ================================================================ torch convention (torch.optim 2.13, _single_tensor_*)
def _decay(h, t, g, x, lr):
    """torch's weight decay: coupled grad.add(param, alpha=λ), or (decoupled_weight_decay) param.mul_(1 − lr·λ)."""
    wd = float(h.get("weight_decay", 0.0))
    if wd == 0.0:
        return g, x
    if h.get("decoupled_weight_decay"):
        return g, x * (1.0 - lr * wd)
    return g + wd * x, x


@reference({**_s(1e-3), "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0})
def sgd_torch(h):
    """torch.optim.SGD: g += λx; momentum: buf = g (first step), else buf = μ buf + (1 − dampening) g;
    nesterov: g + μ buf, else buf; param.add_(d, alpha=−lr)."""
    mu, damp = float(h["momentum"]), float(h["dampening"])

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g, x = _decay(h, t, g, x, lr)
        d = g
        if mu != 0.0:
            buf = g if "buf" not in s else s["buf"] * mu + (1.0 - damp) * g
            s["buf"] = buf
            d = g + mu * buf if h["nesterov"] else buf
        return x - lr * d, lr

    return step


@reference({**_s(1e-2), "eps": 1e-10, "weight_decay": 0.0, "lr_decay": 0.0, "initial_accumulator_value": 0.0})
def adagrad_torch(h):
    """torch.optim.Adagrad: g += λx; clr = lr/(1 + (step − 1)·lr_decay); state_sum += g²;
    param.addcdiv_(g, √state_sum + eps, value=−clr)."""
    eps = float(h["eps"])

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g, x = _decay(h, t, g, x, lr)
        S = s.get("S", float(h["initial_accumulator_value"])) + g * g
        s["S"] = S
        eta = lr / (1.0 + (t - 1) * float(h["lr_decay"])) / (math.sqrt(S) + eps)
        return x - eta * g, eta

    return step


@reference({**_s(1e-2), "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False})
def rmsprop_torch(h):
    """torch.optim.RMSprop (its alpha is beta2 here): square_avg = α sq + (1 − α)g²; centered: grad_avg.lerp_(g, 1 − α),
    avg = √(sq − grad_avg²); else avg = √sq; avg += eps; momentum > 0: buf = μ buf + g/avg, x −= lr·buf;
    else x −= lr·g/avg."""
    b2, eps, mu = float(h["beta2"]), float(h["eps"]), float(h["momentum"])

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g, x = _decay(h, t, g, x, lr)
        sq = b2 * s.get("sq", 0.0) + (1.0 - b2) * g * g
        s["sq"] = sq
        if h["centered"]:
            ga = s.get("ga", 0.0)
            ga = ga + (1.0 - b2) * (g - ga)
            s["ga"] = ga
            avg = math.sqrt(sq - ga * ga) + eps
        else:
            avg = math.sqrt(sq) + eps
        if mu > 0:
            buf = mu * s.get("buf", 0.0) + g / avg
            s["buf"] = buf
            return x - lr * buf, lr / avg
        return x - lr * g / avg, lr / avg

    return step


adadelta_torch = reference({**_s(1.0), "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0})(_adadelta)  # torch defaults
adadelta_torch.__name__ = "adadelta_torch"


def _adam_torch(h, amsgrad=False):
    """torch.optim.Adam: weight decay (coupled, or decoupled as AdamW); exp_avg.lerp_(g, 1 − β1);
    exp_avg_sq = β2 sq + (1 − β2)g²; amsgrad: max_sq = max(max_sq, sq) (raw); step_size = lr/(1 − β1^t);
    denom = √(sq or max_sq)/√(1 − β2^t) + eps; param.addcdiv_(exp_avg, denom, value=−step_size)."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g, x = _decay(h, t, g, x, lr)
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        V = max(s.get("vmax", 0.0), v) if amsgrad else v
        s["m"], s["v"], s["vmax"] = m, v, V
        eta = (lr / (1.0 - b1**t)) / (math.sqrt(V) / math.sqrt(1.0 - b2**t) + eps)
        return x - eta * m, eta

    return step


_TORCH_ADAM = {**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
               "decoupled_weight_decay": False}


@reference(_TORCH_ADAM)
def adam_torch(h):
    """torch.optim.Adam."""
    return _adam_torch(h)


@reference(_TORCH_ADAM)
def amsgrad_torch(h):
    """torch.optim.Adam(amsgrad=True)."""
    return _adam_torch(h, amsgrad=True)


@reference({**_TORCH_ADAM, "weight_decay": 1e-2, "decoupled_weight_decay": True})
def adamw_torch(h):
    """torch.optim.AdamW: param.mul_(1 − lr·λ), then Adam's step (weight_decay default 1e-2)."""
    return _adam_torch({**h, "decoupled_weight_decay": True})


@reference({**_s(2e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0})
def adamax_torch(h):
    """torch.optim.Adamax: g += λx; exp_avg.lerp_(g, 1 − β1); exp_inf = max(β2 exp_inf, |g| + eps);
    param.addcdiv_(exp_avg, exp_inf, value=−lr/(1 − β1^t))."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g, x = _decay(h, t, g, x, lr)
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        u = max(b2 * s.get("u", 0.0), abs(g) + eps)
        s["m"], s["u"] = m, u
        eta = lr / (1.0 - b1**t) / u
        return x - eta * m, eta

    return step


nadam_torch = reference({**_s(2e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "momentum_decay": 4e-3,
                         "weight_decay": 0.0, "decoupled_weight_decay": False})(_nadam)
nadam_torch.__name__ = "nadam_torch"


@reference({**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
            "decoupled_weight_decay": False})
def radam_torch(h):
    """torch.optim.RAdam: threshold ρ_t > 5, adaptive lr √(1 − β2^t)/(√v + eps)."""
    return _radam(h, 5.0)


def _adabound_authors(h, amsbound=False):
    """adabound 0.0.5 (Luolc/AdaBound), AdaBound.step: g += λx; exp_avg = β1 m + (1 − β1)g; exp_avg_sq = β2 v + (1 − β2)g²;
    amsbound: max over the raw v; denom = √v + eps; step_size = lr√(1 − β2^t)/(1 − β1^t);
    final_lr = final_lr·lr/base_lr; lower = final_lr(1 − 1/(γt + 1)), upper = final_lr(1 + 1/(γt));
    p −= clamp(step_size/denom, lower, upper)·exp_avg. (lr = α_t, base_lr = α: a schedule sets group['lr'].)"""
    b1, b2, eps, gam = (float(h[k]) for k in ("beta1", "beta2", "eps", "gamma"))

    def step(s, t, g, x, j):
        lr = step_size(h, t)
        g = g + float(h["weight_decay"]) * x
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        V = max(s.get("vmax", 0.0), v) if amsbound else v
        s["m"], s["v"], s["vmax"] = m, v, V
        size = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        fin = float(h["final_lr"]) * lr / float(h["alpha"])
        lower, upper = fin * (1.0 - 1.0 / (gam * t + 1.0)), fin * (1.0 + 1.0 / (gam * t))
        eta = min(max(size / (math.sqrt(V) + eps), lower), upper)
        return x - eta * m, eta

    return step


_AUTHORS = {**_s(1e-3), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "final_lr": 0.1, "gamma": 1e-3,
            "weight_decay": 0.0}


@reference(_AUTHORS)
def adabound_torch(h):
    """adabound.AdaBound."""
    return _adabound_authors(h)


@reference(_AUTHORS)
def amsbound_torch(h):
    """adabound.AdaBound(amsbound=True)."""
    return _adabound_authors(h, amsbound=True)


# ---------------------------------------------------------------- the registry
REFERENCES: dict[tuple[str, str], Callable] = {
    ("sgd", "paper"): sgd_paper,
    ("sgd", "torch"): sgd_torch,
    ("ogd", "paper"): ogd_paper,
    ("ftrl", "paper"): ftrl_paper,
    ("ons", "paper"): ons_paper,
    ("adagrad", "paper"): adagrad_paper,
    ("adagrad", "torch"): adagrad_torch,
    ("rmsprop", "paper"): rmsprop_paper,
    ("rmsprop", "torch"): rmsprop_torch,
    ("adadelta", "paper"): adadelta_paper,
    ("adadelta", "torch"): adadelta_torch,
    ("adam", "paper"): adam_paper,
    ("adam", "torch"): adam_torch,
    ("amsgrad", "paper"): amsgrad_paper,
    ("amsgrad", "torch"): amsgrad_torch,
    ("adamnc", "paper"): adamnc_paper,
    ("adamw", "paper"): adamw_paper,
    ("adamw", "torch"): adamw_torch,
    ("adamax", "paper"): adamax_paper,
    ("adamax", "torch"): adamax_torch,
    ("nadam", "paper"): nadam_paper,
    ("nadam", "torch"): nadam_torch,
    ("radam", "paper"): radam_paper,
    ("radam", "torch"): radam_torch,
    ("adabound", "paper"): adabound_paper,
    ("adabound", "torch"): adabound_torch,
    ("amsbound", "paper"): amsbound_paper,
    ("amsbound", "torch"): amsbound_torch,
    ("yogi", "paper"): yogi_paper,
    ("adabelief", "paper"): adabelief_paper,
    ("padam", "paper"): padam_paper,
    ("adopt", "paper"): adopt_paper,
}
OWN = frozenset(REFERENCES)  # the rows whose references are in this file (they take ``etas`` and have ``defaults``)

# the sign methods, AdEMAMix and the authors' released code: references in a module of their own
REFERENCES.update(SIGN_AND_AUTHORS)
