"""The pieces of Algorithm 1 (Reddi, Kale & Kumar 2018) as small elementwise functions.

A piece's arguments are *names* the engine supplies:

    g, x            the gradient and the iterate (one entry per configuration and coordinate)
    t, a            the round (1-based) and the step size α_t (``oco.methods.schedules``)
    b1t             β1t (the β1 schedule), for paper forms that have one
    p1, p2          running products β1^t, β2^t (kept per configuration; never a pow per round)
    m, v, vhat, …   the method's state, named in its row
    d, V, eta       the direction φ hands on, the preconditioner ψ hands on, the learning rate α_t/√V_t
    anything else   a hyperparameter of the row (numbers per configuration; booleans are fixed per run)

Each piece returns its outputs in the order its table row names them. Pieces only use arithmetic and the
operations of ``ops`` (where, sqrt, maximum, …), so the NumPy engine calls them on (B, d) arrays and a
compiled backend calls the very same source on scalars. Powers are ``power(a, b)`` (the C library's pow on
every backend), never ``a ** b``: NumPy's ``**`` and numba's (repeated squaring for an integer exponent) each
round differently. Pieces named ``*_torch`` follow torch.optim's arithmetic operation by operation (lerp for
the first moment, the order of the bias corrections).
"""

from __future__ import annotations

from .ops import absolute, clip, lerp, log, maximum, minimum, power, sign, sqrt, where


# ---------------------------------------------------------------- per-configuration clocks
def powers(p1, p2, beta1, beta2):
    """Running products p1 = β1^t, p2 = β2^t (bias corrections 1 − β^t without a pow per round)."""
    return p1 * beta1, p2 * beta2


def nadam_clock(mu_prod, beta1, momentum_decay, t):
    """NAdam: μ_t = β1(1 − ½·0.96^{tψ}), μ_{t+1}, and the running product Π_{i≤t} μ_i."""
    mu = beta1 * (1.0 - 0.5 * power(0.96, t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * power(0.96, (t + 1) * momentum_decay))
    return mu, mu_next, mu_prod * mu


def radam_clock(p1, p2, beta1, beta2, t):
    """RAdam: ρ_∞ = 2/(1 − β2) − 1 and ρ_t = ρ_∞ − 2tβ2^t/(1 − β2^t), with the running products."""
    p1, p2 = p1 * beta1, p2 * beta2
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return p1, p2, rho_inf, rho_inf - 2.0 * t * p2 / (1.0 - p2)


def ademamix_clock(p1, p2, beta1, beta2, beta3, mix, beta3_warmup, mix_warmup, t):
    """AdEMAMix (Pagliardini et al. 2024, Algorithm 1) schedulers, with the running products β1^t, β2^t:
    α(t) = min(tα/T_α, α);  β3(t) = min(exp(ln β1 ln β3 / ((1 − t/T_β3) ln β3 + (t/T_β3) ln β1)), β3)
    (the slow EMA's half-life grows linearly from β1's to β3's), evaluated as β3^{1/((1 − s) ln β3/ln β1 + s)},
    s = t/T_β3, which is the same number and stays finite at β1 = 0 (β3(t) = β3^{1/s}); T = 0: no warm-up."""
    s = t / maximum(beta3_warmup, 1.0)
    warm_b3 = minimum(power(beta3, 1.0 / ((1.0 - s) * (log(beta3) / log(beta1)) + s)), beta3)
    b3t = where(t < beta3_warmup, warm_b3, beta3)
    mixt = where(t < mix_warmup, minimum(t * mix / maximum(mix_warmup, 1.0), mix), mix)
    return p1 * beta1, p2 * beta2, b3t, mixt


def ademamix_clock_authors(p1, p2, beta1, beta2, beta3, mix, beta3_warmup, mix_warmup, t):
    """apple/ml-ademamix (pytorch/ademamix.py): for t < T_α, α(t) = (t/T_α)·α; for t < T_β3,
    β3(t) = f⁻¹((1 − a) f(β1) + a f(β3)), a = t/T_β3, f(β) = ln ½/ln(β + 10⁻⁸) − 1 (the half-life less one),
    f⁻¹(h) = ½^{1/(h+1)}; afterwards α and β3 themselves; T = 0 (the code's None): no warm-up."""
    a = t / maximum(beta3_warmup, 1.0)
    f1 = log(0.5) / log(beta1 + 1e-8) - 1.0
    f3 = log(0.5) / log(beta3 + 1e-8) - 1.0
    b3t = where(t < beta3_warmup, power(0.5, 1.0 / (((1.0 - a) * f1 + a * f3) + 1.0)), beta3)
    mixt = where(t < mix_warmup, (t / maximum(mix_warmup, 1.0)) * mix, mix)
    return p1 * beta1, p2 * beta2, b3t, mixt


# ---------------------------------------------------------------- φ: first moment
def gradient(g):
    """d_t = g_t."""
    return g


def ema(m, g, b1t):
    """m_t = β1t m_{t−1} + (1 − β1t) g_t."""
    return b1t * m + (1.0 - b1t) * g


def ema_torch(m, g, beta1):
    """torch: exp_avg.lerp_(g, 1 − β1)."""
    return lerp(m, g, 1.0 - beta1)


def ema_authors(m, g, beta1):
    """adabound 0.0.5: exp_avg.mul_(β1).add_(1 − β1, g)."""
    return m * beta1 + (1.0 - beta1) * g


def running_sum(m, g):
    """m_t = Σ_{i≤t} g_i."""
    return m + g


def heavy_ball(m, g, t, momentum, dampening, nesterov):
    """b_t = μ b_{t−1} + (1 − dampening) g_t (b_0 = 0); direction b_t, or g_t + μ b_t with Nesterov;
    without momentum the direction is g_t itself (dampening has no effect)."""
    m = m * momentum + (1.0 - dampening) * g
    d = g + momentum * m if nesterov else m
    return m, where(momentum == 0, g, d)


def heavy_ball_torch(m, g, t, momentum, dampening, nesterov):
    """torch.optim.SGD: as heavy_ball, but the buffer starts at b_1 = g_1 (no dampening on round 1)."""
    m = where(t == 1, g, m * momentum + (1.0 - dampening) * g)
    d = g + momentum * m if nesterov else m
    return m, where(momentum == 0, g, d)


def nadam_direction(m, g, beta1, mu, mu_next, mu_prod):
    """m_t = lerp(m, g, 1 − β1); d_t = (1 − μ_t)/(1 − Πμ_{≤t}) g_t + μ_{t+1}/(1 − Πμ_{≤t+1}) m_t."""
    m = lerp(m, g, 1.0 - beta1)
    return m, g * ((1.0 - mu) / (1.0 - mu_prod)) + m * (mu_next / (1.0 - mu_prod * mu_next))


def adopt_momentum(m, g, v, t, beta1, eps, clip_grad):
    """ADOPT: n_t = clip(g_t/max(√v_{t−1}, ε), ±(t − 1)^{1/4}), m_t = lerp(m_{t−1}, n_t, 1 − β1); nothing in
    round 1. Round t is the k = t − 1-th update that moves x: the clip is k^{1/4}, 1 at the first update
    (Taniguchi et al. 2024, Algorithm 2 with c_k = k^{1/4}; iShohei220/adopt calls clip_lambda(step) with the
    count of steps before this one)."""
    n = g / maximum(sqrt(v), eps)
    if clip_grad:
        c = power(t - 1.0, 0.25)
        n = clip(n, -c, c)
    return where(t == 1, m, lerp(m, n, 1.0 - beta1))


def sign_gradient(g):
    """signSGD (Bernstein et al. 2018, Algorithm 1): d_t = sign(g_t) (sign(0) = 0)."""
    return sign(g)


def signum_direction(m, g, b1t):
    """Signum (Bernstein et al. 2018, Algorithm 3): m_t = β m_{t−1} + (1 − β) g_t, d_t = sign(m_t)."""
    m = b1t * m + (1.0 - b1t) * g
    return m, sign(m)


def lion_direction(m, g, beta1, beta2):
    """Lion (Chen et al. 2023, Algorithm 2; google/automl lion/lion_pytorch.py): c_t = β1 m_{t−1} + (1 − β1) g_t,
    d_t = sign(c_t), then m_t = β2 m_{t−1} + (1 − β2) g_t (the momentum is updated after the interpolation)."""
    c = m * beta1 + g * (1.0 - beta1)
    return m * beta2 + (1.0 - beta2) * g, sign(c)


def ademamix_direction(m, m2, g, beta1, b3t, mixt, p1):
    """AdEMAMix: m1 = β1 m1 + (1 − β1) g, m2 = β3(t) m2 + (1 − β3(t)) g (not bias-corrected);
    d_t = m1/(1 − β1^t) + α(t) m2."""
    m = m * beta1 + (1.0 - beta1) * g
    m2 = m2 * b3t + (1.0 - b3t) * g
    return m, m2, m / (1.0 - p1) + mixt * m2


# ---------------------------------------------------------------- ψ: second moment
def ema_sq(v, g, beta2):
    """v_t = β2 v_{t−1} + (1 − β2) g_t²."""
    return beta2 * v + (1.0 - beta2) * g * g


def ema_sq_torch(v, g, beta2):
    """torch: exp_avg_sq.mul_(β2).addcmul_(g, g, value=1 − β2)."""
    return v * beta2 + (1.0 - beta2) * (g * g)


def ams(v, vhat, g, beta2):
    """AMSGrad: v̂_t = max(v̂_{t−1}, v_t) over the raw v."""
    v = ema_sq(v, g, beta2)
    return v, maximum(vhat, v)


def ams_torch(v, vhat, g, beta2):
    v = ema_sq_torch(v, g, beta2)
    return v, maximum(vhat, v)


def mean_sq(v, g, t):
    """AdamNC: β2t = 1 − 1/t, v_t = (1 − 1/t) v_{t−1} + (1/t) g_t², the running mean of g²."""
    return (1.0 - 1.0 / t) * v + (1.0 / t) * g * g


def sum_sq(s, g):
    """s_t = s_{t−1} + g_t² (AdaGrad's accumulator; ONS's diagonal A_t with s_0 = ε)."""
    return s + g * g


def sum_sq_over_t(s, g, t):
    """AdaGrad in Reddi's table: s_t = Σ g_i², v_t = s_t / t."""
    s = s + g * g
    return s, s / t


def inf_norm(v, g, beta2):
    """AdaMax: u_t = max(β2 u_{t−1}, |g_t|)."""
    return maximum(beta2 * v, absolute(g))


def inf_norm_torch(v, g, beta2, eps):
    """torch.optim.Adamax: u_t = max(β2 u_{t−1}, |g_t| + ε)."""
    return maximum(v * beta2, absolute(g) + eps)


def yogi_sq(v, g, beta2):
    """Yogi: v_t = v_{t−1} − (1 − β2) sign(v_{t−1} − g_t²) g_t²."""
    g2 = g * g
    return v - (1.0 - beta2) * sign(v - g2) * g2


def belief_sq(v, g, m, beta2, eps):
    """AdaBelief: s_t = β2 s_{t−1} + (1 − β2)(g_t − m_t)² + ε."""
    r = g - m
    return v * beta2 + (1.0 - beta2) * (r * r) + eps


def rmsprop_sq_torch(v, gbar, g, beta2, centered):
    """torch.optim.RMSprop: v = β2 v + (1 − β2) g²; centered: V = v − ḡ², ḡ = lerp(ḡ, g, 1 − β2)."""
    v = ema_sq_torch(v, g, beta2)
    if centered:
        gbar = lerp(gbar, g, 1.0 - beta2)
        return v, gbar, v - gbar * gbar
    return v, gbar, v


def adopt_sq(v, g, t, beta2):
    """ADOPT: v_1 = g_1², then v_t = β2 v_{t−1} + (1 − β2) g_t²; hands on v_{t−1} (what φ divided by)."""
    new = where(t == 1, g * g, v * beta2 + (1.0 - beta2) * (g * g))
    return new, where(t == 1, new, v)


def padam_sq_authors(v, vhat, g, beta2, amsgrad):
    """uclaml/Padam (Padam.py): v = β2 v + (1 − β2) g²; with amsgrad (its default) v̂ = max(v̂, v) over the raw v,
    handed on as V; without, V = v."""
    v = v * beta2 + (1.0 - beta2) * (g * g)
    vhat = maximum(vhat, v) if amsgrad else vhat
    return v, vhat, vhat if amsgrad else v


def adadelta_sq(v, g, rho):
    """AdaDelta: E[g²]_t = ρ E[g²]_{t−1} + (1 − ρ) g_t²."""
    return v * rho + (1.0 - rho) * (g * g)


# ---------------------------------------------------------------- the learning rate η_t (α_t / √V_t)
def constant_rate(a):
    """η_t = α_t on every coordinate."""
    return a


def root(V, a, eps):
    """Reddi et al. eq. (3): η_t = α_t / √(V_t + ε) (∞ where V = 0: the step is then 0, see ``descend``)."""
    return a / sqrt(V + eps)


def adam_torch(V, a, eps, p1, p2):
    """torch.optim.Adam: η_t = (α_t/(1 − β1^t)) / (√V_t/√(1 − β2^t) + ε)."""
    return (a / (1.0 - p1)) / (sqrt(V) / sqrt(1.0 - p2) + eps)


def kingma(V, a, eps, p1, p2):
    """Kingma & Ba: η_t = α_t/(1 − β1^t) / (√(V_t/(1 − β2^t)) + ε)."""
    return (a / (1.0 - p1)) / (sqrt(V / (1.0 - p2)) + eps)


def nadam_rate(V, a, eps, p2):
    """NAdam: η_t = α_t / (√(V_t/(1 − β2^t)) + ε) (m's corrections live in the direction)."""
    return a / (sqrt(V / (1.0 - p2)) + eps)


def adamax_rate(V, a, p1):
    """AdaMax: η_t = α_t / ((1 − β1^t) u_t)."""
    return (a / (1.0 - p1)) / V


def yogi_rate_tfa(V, a, eps, p1, p2):
    """TensorFlow Addons' Yogi: η_t = (α_t √(1 − β2^t)/(1 − β1^t)) / (√v_t + ε) (the bias corrections on the
    step, ε outside the root and not corrected)."""
    return (a * sqrt(1.0 - p2) / (1.0 - p1)) / (sqrt(V) + eps)


def padam_rate_authors(V, a, eps, p, p1, p2):
    """uclaml/Padam: η_t = (α_t √(1 − β2^t)/(1 − β1^t)) / (√V_t + ε)^{2p} (= v̂^p with ε, bias-corrected)."""
    return (a * sqrt(1.0 - p2) / (1.0 - p1)) / power(sqrt(V) + eps, p * 2.0)


def belief_rate_authors(V, a, eps, p1, p2, rho_inf, rho_t, rectify, degenerated_to_sgd):
    """adabelief-pytorch 0.2.1: rectify (its default): ρ_t ≥ 5: η_t = α_t r_t/(1 − β1^t) / (√s_t + ε) with
    r_t = √((1 − β2^t)(ρ_t − 4)/(ρ_∞ − 4)·(ρ_t − 2)/ρ_t·ρ_∞/(ρ_∞ − 2)); ρ_t < 5: α_t/(1 − β1^t) (degenerated_to_sgd)
    or no step; without rectify: η_t = (α_t/(1 − β1^t)) / (√s_t/√(1 − β2^t) + ε)."""
    if rectify:
        r = sqrt((1.0 - p2) * (rho_t - 4.0) / (rho_inf - 4.0) * (rho_t - 2.0) / rho_t * rho_inf / (rho_inf - 2.0))
        sgd = 1.0 / (1.0 - p1) if degenerated_to_sgd else 0.0 * p1
        return where(rho_t >= 5.0, (a * (r / (1.0 - p1))) / (sqrt(V) + eps), a * sgd)
    return (a / (1.0 - p1)) / (sqrt(V) / sqrt(1.0 - p2) + eps)


def ademamix_rate(V, a, eps, p2):
    """AdEMAMix: η_t = α_t / (√v_t/√(1 − β2^t) + ε) (= α_t/(√v̂_t + ε))."""
    return a / (sqrt(V) / sqrt(1.0 - p2) + eps)


def power_rate(V, a, p):
    """Padam: η_t = α_t / V_t^p."""
    return a / power(V, p)


def newton_rate(V, a):
    """Diagonal ONS: η_t = α_t / A_t (the inverse of the Hessian proxy, not of its root)."""
    return a / V


def adagrad_torch(V, a, eps, lr_decay, t):
    """torch.optim.Adagrad: η_t = α_t/(1 + (t − 1)·lr_decay) / (√V_t + ε)."""
    return (a / (1.0 + (t - 1) * lr_decay)) / (sqrt(V) + eps)


def eps_outside(V, a, eps):
    """η_t = α_t / (√V_t + ε); also hands on the denominator (RMSprop's momentum buffer divides by it)."""
    avg = sqrt(V) + eps
    return a / avg, avg


def bounded(V, a, alpha, beta2, eps, final_lr, gamma, t):
    """AdaBound paper (Luo et al. 2019, Algorithm 2): η_t = clip(α/√(V_t + ε), α*(1 − 1/(γt + 1)),
    α*(1 + 1/(γt))) · α_t/α, α* = final_lr, γ = 1 − β2 unless given (γ ≤ 0 here means "not given").
    Algorithm 2 divides the clipped rate by √t: that is α_t/α with the paper rows' default schedule α_t = α/√t;
    with a constant schedule α_t/α = 1 (the authors' released code)."""
    gamma = where(gamma > 0, gamma, 1.0 - beta2)
    lower = final_lr * (1.0 - 1.0 / (gamma * t + 1.0))
    upper = final_lr * (1.0 + 1.0 / (gamma * t))
    return clip(alpha / sqrt(V + eps), lower, upper) * (a / alpha)


def bounded_authors(V, a, alpha, eps, final_lr, gamma, t, p1, p2):
    """adabound 0.0.5: η_t = clip(α_t√(1 − β2^t)/(1 − β1^t) / (√V_t + ε), lower_t, upper_t) with
    lower_t = final_lr'(1 − 1/(γt + 1)), upper_t = final_lr'(1 + 1/(γt)), final_lr' = final_lr·α_t/α."""
    final = final_lr * (a / alpha)
    lower = final * (1.0 - 1.0 / (gamma * t + 1.0))
    upper = final * (1.0 + 1.0 / (gamma * t))
    step = a * sqrt(1.0 - p2) / (1.0 - p1)
    return clip(step / (sqrt(V) + eps), lower, upper)


def rectified(V, a, eps, p1, p2, rho_inf, rho_t, threshold):
    """RAdam: ρ_t > threshold: η_t = α_t r_t √(1 − β2^t)/(√V_t + ε)/(1 − β1^t),
    r_t = √((ρ_t−4)(ρ_t−2)ρ_∞/((ρ_∞−4)(ρ_∞−2)ρ_t)); else η_t = α_t/(1 − β1^t)."""
    rect = sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
    adaptive = sqrt(1.0 - p2) / (sqrt(V) + eps)
    return where(rho_t > threshold, a * rect * adaptive, a) / (1.0 - p1)


def rectified_paper(V, a, eps, p1, p2, rho_inf, rho_t):
    """Liu et al. Algorithm 2: threshold ρ_t > 4."""
    return rectified(V, a, eps, p1, p2, rho_inf, rho_t, 4.0)


def rectified_torch(V, a, eps, p1, p2, rho_inf, rho_t):
    """torch.optim.RAdam: threshold ρ_t > 5."""
    return rectified(V, a, eps, p1, p2, rho_inf, rho_t, 5.0)


def adadelta_rate(V, u, a, eps):
    """AdaDelta: η_t = α_t √(E[Δx²]_{t−1} + ε)/√(E[g²]_t + ε); hands on the ratio for the update."""
    ratio = sqrt(u + eps) / sqrt(V + eps)
    return a * ratio, ratio


def adopt_rate(a, t):
    """ADOPT steps by α_t m_t (φ already normalised); no step in round 1."""
    return where(t == 1, 0.0 * a, a)


# ---------------------------------------------------------------- the update x̂_{t+1}
def descend(x, d, eta):
    """x̂ = x − η ⊙ d; a coordinate with d = 0 stays put even where η = ∞ (V = 0: no gradient yet)."""
    return x - where(d == 0, 0.0, eta * d)


def lazy(x1, d, eta):
    """Linearized FTRL with regularizer ‖x − x_1‖²/(2η_t): x̂ = x_1 − η_t Σ_{i≤t} g_i (lazy projection)."""
    return x1 - eta * d


def adamw_paper(x, d, eta, a, alpha, weight_decay):
    """AdamW (Loshchilov & Hutter Alg. 2): x̂ = x − s_t(α m̂/(√v̂ + ε) + λx), s_t = α_t/α."""
    return x - eta * d - (a / alpha) * weight_decay * x


def adadelta_step(x, d, u, ratio, a, rho):
    """AdaDelta: Δ_t = ratio·g_t, E[Δx²]_t = ρ E[Δx²]_{t−1} + (1 − ρ) Δ_t², x̂ = x − α_t Δ_t."""
    delta = ratio * d
    return x - a * delta, u * rho + (1.0 - rho) * (delta * delta)


def rmsprop_step_torch(x, d, eta, buf, avg, a, momentum):
    """torch.optim.RMSprop: μ > 0: b = μb + g/(√v + ε), x̂ = x − α_t b; else x̂ = x − η g."""
    buf = buf * momentum + d / avg
    return where(momentum > 0, x - a * buf, descend(x, d, eta)), buf
