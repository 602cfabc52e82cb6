"""Independent scalar references for the sign methods (signSGD, Signum, Lion), AdEMAMix and the authors'
released code (Yogi, Padam, AdaBelief, AdEMAMix): ``SIGN_AND_AUTHORS[(name, convention)]``.

Each is written from its source — the paper for a ``paper`` row, the released code for an ``authors`` row — in
plain Python floats, one coordinate at a time, and calls nothing of oco (not its pieces, schedules or
projections). Where the source writes a formula one way (the paper's exp/log form of AdEMAMix's β3 schedule, the
bias corrections as powers β^t) the reference writes it that way too, so it is not a copy of the row.

Signature (that of ``references.REFERENCES``, which merges these in):

    ref(g, x0, hyper=None, box=None, etas=None) -> x    (T + 1, d) float array: x_1 = x0, then x_2 … x_{T+1}

    g       (T, d) the gradients of linear losses f_t(x) = ⟨g_t, x⟩ (a method's weight decay adds λx itself)
    x0      (d,) the starting point
    hyper   the hyperparameters given, by oco's names; the rest take the reference's own defaults
            (``ref.defaults``, each from its source)
    box     (lo, hi), scalars or (d,): every iterate is clipped to it (exact for the weighted projection of a
            diagonal method on a box), or None for R^d
    etas    None, or a list that receives η_t (d,) per round: the per-coordinate rate the direction is scaled by

``ref.stepper(hyper)`` gives the same method as ``step(state, t, g, x) -> (x̂, η)`` for one coordinate (state a
dict, empty at the start), for tests whose gradients depend on the iterate.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

SCHEDULE = {"schedule": "const", "sgdr_t0": 100, "sgdr_mult": 2, "alpha_min": 0.0}


def alpha_t(h: dict, t: int) -> float:
    """α_t: const; sqrt α/√t; sgdr α_min + ½(α − α_min)(1 + cos(π T_cur/T_i)) (Loshchilov & Hutter 2017), cycles of
    sgdr_t0, sgdr_t0·mult, … rounds, T_cur the rounds since the cycle began."""
    a, kind = float(h["alpha"]), h["schedule"]
    if kind == "const":
        return a
    if kind == "sqrt":
        return a / math.sqrt(t)
    if kind == "sgdr":
        begin, length = 1, int(h["sgdr_t0"])
        while t >= begin + length:
            begin += length
            length *= int(h["sgdr_mult"])
        lo = float(h["alpha_min"])
        return lo + 0.5 * (a - lo) * (1.0 + math.cos(math.pi * (t - begin) / length))
    raise ValueError(kind)


def beta_t(h: dict, t: int) -> float:
    """β1t: const β1, exp β1·λ^{t−1}, inv β1/t."""
    b, kind = float(h["beta1"]), h["beta1_schedule"]
    return {"const": b, "exp": b * float(h["lam"]) ** (t - 1), "inv": b / t}[kind]


def sgn(z: float) -> float:
    return 1.0 if z > 0 else (-1.0 if z < 0 else 0.0)


def make_reference(defaults: dict) -> Callable:
    """Decorator: ``make(h) -> step`` becomes a reference with the signature of the module docstring."""

    def wrap(make):
        def full(hyper):
            h = {**defaults, **(hyper or {})}
            unknown = set(h) - set(defaults)
            if unknown:
                raise KeyError(f"{make.__name__}: no hyperparameter {sorted(unknown)}")
            return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in h.items()}

        def ref(g, x0, hyper=None, box=None, etas=None):
            h = full(hyper)
            g = np.asarray(g, float).reshape(len(g), -1)
            T, d = g.shape
            x0 = np.broadcast_to(np.asarray(x0, float), (d,))
            if box is not None:
                lo = np.broadcast_to(np.asarray(box[0], float), (d,))
                hi = np.broadcast_to(np.asarray(box[1], float), (d,))
            out, eta_out = np.empty((T + 1, d)), np.empty((T, d))
            for j in range(d):
                step, state, x = make(h), {}, float(x0[j])
                out[0, j] = x
                for t in range(1, T + 1):
                    xhat, eta = step(state, t, float(g[t - 1, j]), x)
                    x = min(max(xhat, float(lo[j])), float(hi[j])) if box is not None else xhat
                    out[t, j], eta_out[t - 1, j] = x, eta
            if etas is not None:
                etas.extend(eta_out)
            return out

        ref.__name__ = ref.__qualname__ = make.__name__
        ref.__doc__ = make.__doc__
        ref.defaults = dict(defaults)
        ref.stepper = lambda hyper=None: make(full(hyper))
        return ref

    return wrap


# ================================================================ sign methods and Lion
@make_reference({**SCHEDULE, "alpha": 1e-2})  # MXNet's SignSGD: learning_rate 0.01
def signsgd_paper(h):
    """signSGD, Bernstein et al. ICML 2018, Algorithm 1: x_{k+1} = x_k − δ sign(g_k)."""

    def step(s, t, g, x):
        a = alpha_t(h, t)
        return x - a * sgn(g), a

    return step


@make_reference({**SCHEDULE, "alpha": 1e-2, "beta1": 0.9, "beta1_schedule": "const", "lam": 1.0})
def signum_paper(h):
    """Signum, Bernstein et al. Algorithm 3: m_k = βm_{k−1} + (1 − β)g_k from m_0 = 0; x_{k+1} = x_k − δ sign(m_k)
    (MXNet's Signum: learning_rate 0.01, momentum 0.9)."""

    def step(s, t, g, x):
        b = beta_t(h, t)
        s["m"] = b * s.get("m", 0.0) + (1.0 - b) * g
        a = alpha_t(h, t)
        return x - a * sgn(s["m"]), a

    return step


@make_reference({**SCHEDULE, "alpha": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0,
                 "decoupled_weight_decay": True})
def lion_paper(h):
    """Lion, Chen et al. 2023, Algorithm 2 (β1 = 0.9, β2 = 0.99; lr 1e-4 as google/automl's code):
    c_t = β1 m_{t−1} + (1 − β1) g_t;  θ_t = θ_{t−1} − η_t(sign(c_t) + λθ_{t−1});  m_t = β2 m_{t−1} + (1 − β2) g_t.
    With decoupled_weight_decay false, λθ is added to the gradient instead."""
    b1, b2, lam = float(h["beta1"]), float(h["beta2"]), float(h["weight_decay"])

    def step(s, t, g, x):
        a = alpha_t(h, t)
        if not h["decoupled_weight_decay"]:
            g = g + lam * x
        m = s.get("m", 0.0)
        c = b1 * m + (1.0 - b1) * g
        s["m"] = b2 * m + (1.0 - b2) * g
        decay = lam * x if h["decoupled_weight_decay"] else 0.0
        return x - a * (sgn(c) + decay), a

    return step


# ================================================================ AdEMAMix
_ADEMAMIX = {**SCHEDULE, "alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "beta3": 0.9999, "mix_warmup": 0.0,
             "beta3_warmup": 0.0, "eps": 1e-8, "weight_decay": 0.0, "decoupled_weight_decay": True}


def _ademamix(h, schedules):
    b1, b2, eps, lam = (float(h[k]) for k in ("beta1", "beta2", "eps", "weight_decay"))

    def step(s, t, g, x):
        a = alpha_t(h, t)
        if not h["decoupled_weight_decay"]:
            g = g + lam * x
        mix, b3 = schedules(t)
        m1 = b1 * s.get("m1", 0.0) + (1.0 - b1) * g
        m2 = b3 * s.get("m2", 0.0) + (1.0 - b3) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        s["m1"], s["m2"], s["v"] = m1, m2, v
        m1hat, vhat = m1 / (1.0 - b1**t), v / (1.0 - b2**t)
        eta = a / (math.sqrt(vhat) + eps)
        decay = lam * x if h["decoupled_weight_decay"] else 0.0
        return x - a * ((m1hat + mix * m2) / (math.sqrt(vhat) + eps) + decay), eta

    return step


@make_reference({**_ADEMAMIX, "mix": 5.0})
def ademamix_paper(h):
    """AdEMAMix, Pagliardini, Ablin & Grangier (ICLR 2025), Algorithm 1: m1 = β1 m1 + (1 − β1)g,
    m2 = β3(t) m2 + (1 − β3(t))g, ν = β2 ν + (1 − β2)g²; m̂1 = m1/(1 − β1^t), ν̂ = ν/(1 − β2^t);
    θ ← θ − η((m̂1 + α(t) m2)/(√ν̂ + ε) + λθ);  α(t) = min(tα/T_α, α),
    β3(t) = min(exp(ln β1 · ln β3 / ((1 − t/T_β3) ln β3 + (t/T_β3) ln β1)), β3) (β_start = β1; at β1 = 0 the
    limit β3^{T_β3/t}); T = 0: no warm-up."""
    b1, b3, mix = float(h["beta1"]), float(h["beta3"]), float(h["mix"])
    Ta, Tb = float(h["mix_warmup"]), float(h["beta3_warmup"])

    def schedules(t):
        a = min(t * mix / Ta, mix) if t < Ta else mix
        if t < Tb:
            u = t / Tb
            if b1 == 0.0:
                b = b3 ** (1.0 / u)
            else:
                lb1, lb3 = math.log(b1), math.log(b3)
                b = math.exp(lb1 * lb3 / ((1.0 - u) * lb3 + u * lb1))
            return a, min(b, b3)
        return a, b3

    return _ademamix(h, schedules)


@make_reference({**_ADEMAMIX, "mix": 2.0})
def ademamix_authors(h):
    """AdEMAMix as apple/ml-ademamix's pytorch/ademamix.py runs it (alpha 2, warm-ups None by default): for
    t < T_α, α(t) = (1 − t/T_α)·0 + (t/T_α)·α; for t < T_β3, β3(t) = ½^{1/(y+1)} with
    y = (1 − t/T_β3)(ln ½/ln(β1 + 10⁻⁸) − 1) + (t/T_β3)(ln ½/ln(β3 + 10⁻⁸) − 1); the update as the paper."""
    b1, b3, mix = float(h["beta1"]), float(h["beta3"]), float(h["mix"])
    Ta, Tb = float(h["mix_warmup"]), float(h["beta3_warmup"])

    def half_life(b):
        return math.log(0.5) / math.log(b + 1e-8) - 1.0

    def schedules(t):
        a = (t / Ta) * mix if t < Ta else mix
        if t < Tb:
            u = t / Tb
            return a, math.pow(0.5, 1.0 / ((1.0 - u) * half_life(b1) + u * half_life(b3) + 1.0))
        return a, b3

    return _ademamix(h, schedules)


# ================================================================ the authors' released Yogi, Padam, AdaBelief
@make_reference({**SCHEDULE, "alpha": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-3, "v0": 1e-6})
def yogi_authors(h):
    """TensorFlow Addons' Yogi (tensorflow_addons/optimizers/yogi.py, defaults lr 0.01, β = (0.9, 0.999),
    ε = 1e-3, initial_accumulator_value 1e-6 for v only, l1 = l2 = 0): m = β1 m + (1 − β1)g;
    v = v + (1 − β2) sign(g² − v) g²;  lr_t = lr·√(1 − β2^t)/(1 − β1^t);  θ ← θ − lr_t m/(√v + ε)."""
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])

    def step(s, t, g, x):
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = s.get("v", float(h["v0"]))
        v = v + (1.0 - b2) * sgn(g * g - v) * g * g
        s["m"], s["v"] = m, v
        eta = alpha_t(h, t) * math.sqrt(1.0 - b2**t) / (1.0 - b1**t) / (math.sqrt(v) + eps)
        return x - eta * m, eta

    return step


@make_reference({**SCHEDULE, "alpha": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "p": 0.25,
                 "weight_decay": 0.0, "amsgrad": True})
def padam_authors(h):
    """uclaml/Padam's Padam.py (defaults lr 0.1, β = (0.9, 0.999), ε = 1e-8, partial 1/4, amsgrad on):
    g ← g + λθ; m = β1 m + (1 − β1)g; v = β2 v + (1 − β2)g²; v̂ = max(v̂, v) (amsgrad; else v̂ = v);
    θ ← θ − lr√(1 − β2^t)/(1 − β1^t) · m/(√v̂ + ε)^{2p}."""
    b1, b2, eps, p, lam = (float(h[k]) for k in ("beta1", "beta2", "eps", "p", "weight_decay"))

    def step(s, t, g, x):
        g = g + lam * x
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        v = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
        vhat = max(s.get("vhat", 0.0), v) if h["amsgrad"] else v
        s["m"], s["v"], s["vhat"] = m, v, vhat
        eta = alpha_t(h, t) * math.sqrt(1.0 - b2**t) / (1.0 - b1**t) / (math.sqrt(vhat) + eps) ** (2.0 * p)
        return x - eta * m, eta

    return step


@make_reference({**SCHEDULE, "alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-16, "weight_decay": 0.0,
                 "decoupled_weight_decay": True, "rectify": True, "degenerated_to_sgd": True})
def adabelief_authors(h):
    """adabelief-pytorch 0.2.1's AdaBelief with its defaults (lr 1e-3, β = (0.9, 0.999), ε = 1e-16,
    weight_decouple, rectify, degenerated_to_sgd, amsgrad off): θ ← θ(1 − lr·λ) (or g ← g + λθ);
    m = β1 m + (1 − β1)g; s = β2 s + (1 − β2)(g − m)² + ε (the ε stays in s);
    rectify: N_∞ = 2/(1 − β2) − 1, N_t = N_∞ − 2tβ2^t/(1 − β2^t); N_t ≥ 5:
    θ ← θ − lr·√((1 − β2^t)(N_t − 4)/(N_∞ − 4)·(N_t − 2)/N_t·N_∞/(N_∞ − 2))/(1 − β1^t) · m/(√s + ε);
    N_t < 5: θ ← θ − lr/(1 − β1^t)·m (degenerated_to_sgd; else no step).
    Without rectify: θ ← θ − lr/(1 − β1^t) · m/(√s/√(1 − β2^t) + ε)."""
    b1, b2, eps, lam = (float(h[k]) for k in ("beta1", "beta2", "eps", "weight_decay"))

    def step(s, t, g, x):
        lr = alpha_t(h, t)
        if h["decoupled_weight_decay"]:
            x = x * (1.0 - lr * lam)
        else:
            g = g + lam * x
        m = b1 * s.get("m", 0.0) + (1.0 - b1) * g
        r = g - m
        sv = b2 * s.get("s", 0.0) + (1.0 - b2) * r * r + eps
        s["m"], s["s"] = m, sv
        bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
        if not h["rectify"]:
            eta = lr / bc1 / (math.sqrt(sv) / math.sqrt(bc2) + eps)
            return x - eta * m, eta
        n_inf = 2.0 / (1.0 - b2) - 1.0
        n_t = n_inf - 2.0 * t * b2**t / bc2
        if n_t >= 5.0:
            r_t = math.sqrt(bc2 * (n_t - 4.0) / (n_inf - 4.0) * (n_t - 2.0) / n_t * n_inf / (n_inf - 2.0))
            eta = lr * r_t / bc1 / (math.sqrt(sv) + eps)
        else:
            eta = lr / bc1 if h["degenerated_to_sgd"] else 0.0
        return x - eta * m, eta

    return step


SIGN_AND_AUTHORS: dict[tuple[str, str], Callable] = {
    ("signsgd", "paper"): signsgd_paper,
    ("signum", "paper"): signum_paper,
    ("lion", "paper"): lion_paper,
    ("ademamix", "paper"): ademamix_paper,
    ("ademamix", "authors"): ademamix_authors,
    ("yogi", "authors"): yogi_authors,
    ("padam", "authors"): padam_authors,
    ("adabelief", "authors"): adabelief_authors,
}
