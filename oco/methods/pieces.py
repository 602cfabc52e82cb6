"""The pieces of Algorithm 1 (Reddi, Kale & Kumar 2018), as small functions over (B, d) arrays.

Per round t (1-based) the engine calls, in this order,

    m   = phi(S, g, t, h)            first moment φ_t(g_1..g_t) (or the direction the step multiplies)
    v   = psi(S, g, m, t, h)         second moment ψ_t(g_1..g_t), the diagonal preconditioner V_t
    eta = rate(S, v, t, h, a)        per-coordinate learning rate, α_t/√v_t in the paper forms
    x̂   = step(S, x, m, eta, t, h, a) default  x − eta ⊙ m
    x   = Π_{F, 1/eta}(x̂)            projection weighted by the preconditioner √V_t/α_t

S is the method's state (a dict of (B, d) arrays, empty before round 1), h the hyperparameters as (B, 1)
arrays (strings and booleans as plain values), a = α_t of shape (B, 1). Pieces with a ``torch`` argument
follow torch.optim's arithmetic operation by operation when it is true (lerp for the first moment, the
order in which bias corrections are applied), so the two conventions differ only where the references do.
"""

from __future__ import annotations

import numpy as np

from ..schedules import beta1_t


def _state(S: dict, key: str, like: np.ndarray, fill: float | np.ndarray = 0.0) -> np.ndarray:
    if key not in S:
        S[key] = np.broadcast_to(np.asarray(fill, float), like.shape).copy()
    return S[key]


def _lerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """torch.lerp(a, b, w) = a + w(b − a), evaluated as ATen does for each branch of w."""
    return np.where(w < 0.5, a + w * (b - a), b - (b - a) * (1.0 - w))


# ---------------------------------------------------------------- φ: first moment
def phi_grad(S, g, t, h):
    """m_t = g_t."""
    return g


def phi_ema(S, g, t, h):
    """m_t = β1t m_{t−1} + (1 − β1t) g_t, m_0 = 0, β1t from ``beta1_schedule``."""
    b1 = beta1_t(h, t)
    S["m"] = b1 * _state(S, "m", g) + (1.0 - b1) * g
    return S["m"]


def phi_ema_torch(S, g, t, h):
    """torch: exp_avg.lerp_(g, 1 − β1)."""
    S["m"] = _lerp(_state(S, "m", g), g, 1.0 - h["beta1"])
    return S["m"]


def phi_ema_authors(S, g, t, h):
    """adabound 0.0.5: exp_avg.mul_(β1).add_(1 − β1, g)."""
    b1 = h["beta1"]
    S["m"] = _state(S, "m", g) * b1 + (1.0 - b1) * g
    return S["m"]


def phi_sum(S, g, t, h):
    """m_t = Σ_{i≤t} g_i (the linearized FTRL / dual-averaging statistic)."""
    S["m"] = _state(S, "m", g) + g
    return S["m"]


def phi_momentum(S, g, t, h, torch=False):
    """Heavy ball: b_t = μ b_{t−1} + (1 − dampening) g_t, direction b_t, or g_t + μ b_t with Nesterov.

    Paper form: b_0 = 0. torch.optim.SGD: b_1 = g_1 (no dampening on the first step). Without momentum
    (μ = 0) the direction is g itself and dampening has no effect (as in torch), row by row in a batch.
    """
    mu = h["momentum"]
    if torch and "m" not in S:
        S["m"] = g.copy()
    else:
        S["m"] = _state(S, "m", g) * mu + (1.0 - h["dampening"]) * g
    d = g + mu * S["m"] if h["nesterov"] else S["m"]
    return np.where(mu == 0, g, d)


def phi_momentum_torch(S, g, t, h):
    """torch.optim.SGD: phi_momentum with b_1 = g_1."""
    return phi_momentum(S, g, t, h, torch=True)


def _nadam_mu(h, t):
    return h["beta1"] * (1.0 - 0.5 * 0.96 ** (t * h["momentum_decay"]))


def phi_nadam(S, g, t, h):
    """Dozat (2016) / torch.optim.NAdam: μ_t = β1(1 − ½·0.96^{tψ}), m_t = lerp(m, g, 1 − β1);
    direction (1 − μ_t)/(1 − Π_{i≤t} μ_i) g_t + μ_{t+1}/(1 − Π_{i≤t+1} μ_i) m_t."""
    mu, mu_next = _nadam_mu(h, t), _nadam_mu(h, t + 1)
    prod = S.get("mu_product", 1.0) * mu
    S["mu_product"] = prod
    S["m"] = _lerp(_state(S, "m", g), g, 1.0 - h["beta1"])
    return g * ((1.0 - mu) / (1.0 - prod)) + S["m"] * (mu_next / (1.0 - prod * mu_next))


def phi_adopt(S, g, t, h):
    """ADOPT (Taniguchi et al. 2024, official code): round 1 only sets v_0 = g_1² (no step); then
    n_t = clip(g_t / max(√v_{t−1}, ε), ±t^{1/4}), m_t = lerp(m_{t−1}, n_t, 1 − β1)."""
    if t == 1:
        return _state(S, "m", g)
    n = g / np.maximum(np.sqrt(S["v"]), h["eps"])
    if h["clip"]:
        c = t**0.25
        n = np.clip(n, -c, c)
    S["m"] = _lerp(_state(S, "m", g), n, 1.0 - h["beta1"])
    return S["m"]


# ---------------------------------------------------------------- ψ: second moment
def psi_one(S, g, m, t, h):
    """V_t = I (no preconditioning): nothing to keep."""


def psi_ema(S, g, m, t, h):
    """v_t = β2 v_{t−1} + (1 − β2) g_t²."""
    b2 = h["beta2"]
    S["v"] = b2 * _state(S, "v", g) + (1.0 - b2) * g * g
    return S["v"]


def psi_ema_torch(S, g, m, t, h):
    """torch: exp_avg_sq.mul_(β2).addcmul_(g, g, value=1 − β2)."""
    b2 = h["beta2"]
    S["v"] = _state(S, "v", g) * b2 + (1.0 - b2) * (g * g)
    return S["v"]


def psi_max(S, g, m, t, h, ema=psi_ema):
    """AMSGrad: v̂_t = max(v̂_{t−1}, v_t) over the raw (not bias-corrected) v."""
    v = ema(S, g, m, t, h)
    S["vhat"] = np.maximum(_state(S, "vhat", g), v)
    return S["vhat"]


def psi_max_torch(S, g, m, t, h):
    return psi_max(S, g, m, t, h, ema=psi_ema_torch)


def psi_mean(S, g, m, t, h):
    """AdamNC: β2t = 1 − 1/t, v_t = (1 − 1/t) v_{t−1} + (1/t) g_t² — the running mean of g²."""
    S["v"] = (1.0 - 1.0 / t) * _state(S, "v", g) + (1.0 / t) * g * g
    return S["v"]


def psi_sum_over_t(S, g, m, t, h):
    """AdaGrad in Reddi's table: v_t = Σ_{i≤t} g_i² / t."""
    S["sum"] = _state(S, "sum", g) + g * g
    return S["sum"] / t


def psi_sum(S, g, m, t, h):
    """torch.optim.Adagrad: state_sum += g² (starting from initial_accumulator_value)."""
    S["sum"] = _state(S, "sum", g, h["initial_accumulator_value"]) + g * g
    return S["sum"]


def psi_ons(S, g, m, t, h):
    """Diagonal Online Newton Step: A_t = ε + Σ_{i≤t} g_i² (diagonal of ε I + Σ g gᵀ)."""
    S["sum"] = _state(S, "sum", g, h["eps"]) + g * g
    return S["sum"]


def psi_inf(S, g, m, t, h):
    """AdaMax (Kingma & Ba): u_t = max(β2 u_{t−1}, |g_t|)."""
    S["v"] = np.maximum(h["beta2"] * _state(S, "v", g), np.abs(g))
    return S["v"]


def psi_inf_torch(S, g, m, t, h):
    """torch.optim.Adamax: u_t = max(β2 u_{t−1}, |g_t| + ε)."""
    S["v"] = np.maximum(_state(S, "v", g) * h["beta2"], np.abs(g) + h["eps"])
    return S["v"]


def psi_yogi(S, g, m, t, h):
    """Yogi (Zaheer et al. 2018): v_t = v_{t−1} − (1 − β2) sign(v_{t−1} − g_t²) g_t²."""
    v, g2 = _state(S, "v", g, h["v0"]), g * g
    S["v"] = v - (1.0 - h["beta2"]) * np.sign(v - g2) * g2
    return S["v"]


def psi_belief(S, g, m, t, h):
    """AdaBelief (Zhuang et al. 2020): s_t = β2 s_{t−1} + (1 − β2)(g_t − m_t)² + ε."""
    r = g - m
    S["v"] = _state(S, "v", g) * h["beta2"] + (1.0 - h["beta2"]) * (r * r) + h["eps"]
    return S["v"]


def psi_rmsprop_torch(S, g, m, t, h):
    """torch.optim.RMSprop: v = β2 v + (1 − β2) g²; centered: v − ḡ² with ḡ = lerp(ḡ, g, 1 − β2)."""
    v = psi_ema_torch(S, g, m, t, h)
    if h["centered"]:
        S["gbar"] = _lerp(_state(S, "gbar", g), g, 1.0 - h["beta2"])
        return v - S["gbar"] * S["gbar"]
    return v


def psi_adopt(S, g, m, t, h):
    """ADOPT: returns v_{t−1} (used by this round's φ), then stores v_t = β2 v_{t−1} + (1 − β2) g_t² (v_1 = g_1²)."""
    if t == 1:
        S["v"] = g * g
        return S["v"]
    used = S["v"]
    S["v"] = used * h["beta2"] + (1.0 - h["beta2"]) * (g * g)
    return used


def psi_adadelta(S, g, m, t, h):
    """AdaDelta (Zeiler 2012): E[g²]_t = ρ E[g²]_{t−1} + (1 − ρ) g_t²."""
    S["v"] = _state(S, "v", g) * h["rho"] + (1.0 - h["rho"]) * (g * g)
    return S["v"]


# ---------------------------------------------------------------- α_t / √v_t: the learning rate
def _bc(beta, t):
    return 1.0 - beta**t


def rate_const(S, v, t, h, a):
    """η_t = α_t on every coordinate."""
    return a


def rate_root(S, v, t, h, a):
    """Reddi et al. eq. (3): η_t = α_t / √(v_t + ε) (ε inside the root, 0 by default)."""
    with np.errstate(divide="ignore"):
        return a / np.sqrt(v + h["eps"])


def rate_adam_torch(S, v, t, h, a):
    """torch.optim.Adam: η_t = (α_t / (1 − β1^t)) / (√v_t / √(1 − β2^t) + ε)."""
    return (a / _bc(h["beta1"], t)) / (np.sqrt(v) / np.sqrt(_bc(h["beta2"], t)) + h["eps"])


def rate_kingma(S, v, t, h, a):
    """Kingma & Ba bias correction with ε outside the root: η_t = α_t/(1 − β1^t) / (√(v_t/(1 − β2^t)) + ε)."""
    return (a / _bc(h["beta1"], t)) / (np.sqrt(v / _bc(h["beta2"], t)) + h["eps"])


def rate_nadam(S, v, t, h, a):
    """NAdam: η_t = α_t / (√(v_t/(1 − β2^t)) + ε); the bias corrections of m live in φ's direction."""
    return a / (np.sqrt(v / _bc(h["beta2"], t)) + h["eps"])


def rate_adamax(S, v, t, h, a):
    """AdaMax: η_t = α_t / ((1 − β1^t) u_t)."""
    with np.errstate(divide="ignore"):
        return (a / _bc(h["beta1"], t)) / v


def rate_power(S, v, t, h, a):
    """Padam (Chen & Gu 2018): η_t = α_t / v̂_t^p."""
    with np.errstate(divide="ignore"):
        return a / v ** h["p"]


def rate_ons(S, v, t, h, a):
    """Diagonal ONS: η_t = α_t / A_t (α = 1/γ; the inverse of the Hessian proxy, not of its root)."""
    return a / v


def rate_adagrad_torch(S, v, t, h, a):
    """torch.optim.Adagrad: η_t = α_t / (1 + (t − 1)·lr_decay) / (√sum_t + ε)."""
    return (a / (1.0 + (t - 1) * h["lr_decay"])) / (np.sqrt(v) + h["eps"])


def rate_eps_outside(S, v, t, h, a):
    """torch.optim.RMSprop: η_t = α_t / (√v_t + ε)."""
    S["avg"] = np.sqrt(v) + h["eps"]
    return a / S["avg"]


def _bounds(h, t, a):
    final = h["final_lr"] * (a / h["alpha"])  # the authors rescale final_lr with the scheduled lr
    gamma = h["gamma"]
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = final * (1.0 - 1.0 / (gamma * t + 1.0))
        upper = final * (1.0 + 1.0 / (gamma * t))
    return lower, upper


def rate_adabound(S, v, t, h, a):
    """AdaBound paper form: η_t = clip(α/√(v_t + ε), η_l(t), η_u(t)) · α_t/α, with
    η_l(t) = α*(1 − 1/(γt + 1)), η_u(t) = α*(1 + 1/(γt)), α* = final_lr and γ = 1 − β2 unless given
    (Luo et al. 2019, Section 5); α_t/α = 1/√t gives the theory form of Theorem 4."""
    h = dict(h, gamma=(1.0 - h["beta2"]) if h["gamma"] is None else h["gamma"])
    lower, upper = _bounds(h, t, h["alpha"])
    with np.errstate(divide="ignore"):
        return np.clip(h["alpha"] / np.sqrt(v + h["eps"]), lower, upper) * (a / h["alpha"])


def rate_adabound_authors(S, v, t, h, a):
    """adabound 0.0.5: η_t = clip(α_t √(1 − β2^t)/(1 − β1^t) / (√v_t + ε), lower_t, upper_t), with
    lower_t = final_lr'(1 − 1/(γt + 1)), upper_t = final_lr'(1 + 1/(γt)), final_lr' = final_lr·α_t/α."""
    lower, upper = _bounds(h, t, a)
    step = a * np.sqrt(_bc(h["beta2"], t)) / _bc(h["beta1"], t)
    return np.clip(step / (np.sqrt(v) + h["eps"]), lower, upper)


def rate_radam(S, v, t, h, a, threshold=4.0):
    """RAdam (Liu et al. 2020): ρ_∞ = 2/(1 − β2) − 1, ρ_t = ρ_∞ − 2tβ2^t/(1 − β2^t); if ρ_t > threshold
    η_t = α_t r_t √(1 − β2^t)/(√v_t + ε) / (1 − β1^t) with r_t = √((ρ_t−4)(ρ_t−2)ρ_∞/((ρ_∞−4)(ρ_∞−2)ρ_t)),
    else η_t = α_t/(1 − β1^t) (un-adapted momentum SGD). Paper: threshold 4; torch: 5."""
    b1, b2 = h["beta1"], h["beta2"]
    bc2 = _bc(b2, t)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * b2**t / bc2
    with np.errstate(invalid="ignore", divide="ignore"):
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = np.sqrt(bc2) / (np.sqrt(v) + h["eps"])
    return np.where(rho_t > threshold, a * rect * adaptive, a) / _bc(b1, t)


def rate_radam_torch(S, v, t, h, a):
    return rate_radam(S, v, t, h, a, threshold=5.0)


def rate_belief(S, v, t, h, a):
    """AdaBelief: η_t = α_t/(1 − β1^t) / (√s_t / √(1 − β2^t) + ε)."""
    return rate_adam_torch(S, v, t, h, a)


def rate_adadelta(S, v, t, h, a):
    """AdaDelta: η_t = α_t √(E[Δx²]_{t−1} + ε) / √(E[g²]_t + ε)."""
    S["ratio"] = np.sqrt(_state(S, "u", v) + h["eps"]) / np.sqrt(v + h["eps"])
    return a * S["ratio"]


def rate_adopt(S, v, t, h, a):
    """ADOPT steps by α_t m_t (the normalisation by max(√v, ε) happened in φ); no step in round 1."""
    return a * (0.0 if t == 1 else 1.0)


# ---------------------------------------------------------------- the update x̂_{t+1}
def descend(S, x, m, eta, t, h, a):
    """x̂ = x − η ⊙ m; a coordinate with m = 0 does not move even where η = ∞ (v = 0)."""
    with np.errstate(invalid="ignore"):
        return x - np.where(m == 0, 0.0, eta * m)


def descend_lazy(S, x, m, eta, t, h, a):
    """Linearized FTRL with regularizer ‖x − x_1‖²/(2η_t): x̂ = x_1 − η_t Σ g (lazy projection)."""
    x1 = _state(S, "x1", x, x)
    return x1 - eta * m


def descend_adamw_paper(S, x, m, eta, t, h, a):
    """AdamW (Loshchilov & Hutter, Alg. 2): x̂ = x − s_t(α m̂/(√v̂ + ε) + λ x), s_t = α_t/α the schedule multiplier."""
    return x - eta * m - (a / h["alpha"]) * h["weight_decay"] * x


def descend_adadelta(S, x, m, eta, t, h, a):
    """AdaDelta: Δ_t = √(E[Δx²]_{t−1}+ε)/√(E[g²]_t+ε) g_t, E[Δx²]_t = ρE[Δx²]_{t−1} + (1 − ρ)Δ_t², x̂ = x − α_t Δ_t."""
    delta = S["ratio"] * m
    S["u"] = S["u"] * h["rho"] + (1.0 - h["rho"]) * (delta * delta)
    return x - a * delta


def descend_rmsprop_torch(S, x, m, eta, t, h, a):
    """torch.optim.RMSprop: with momentum μ > 0, b = μ b + g/(√v + ε), x̂ = x − α_t b; else x − η g."""
    if np.all(h["momentum"] == 0):
        return descend(S, x, m, eta, t, h, a)
    S["buf"] = _state(S, "buf", x) * h["momentum"] + m / S["avg"]
    return np.where(h["momentum"] > 0, x - a * S["buf"], x - eta * m)
