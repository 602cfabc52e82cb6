"""Step-size schedules α_t and first-moment schedules β1t, as pieces: elementwise functions of named
arguments (the round t and per-configuration hyperparameters), so every backend runs the same source.

Step sizes (``schedule``):
    const   α_t = α
    sqrt    α_t = α / √t                                    (the theory form of Reddi et al. 2018)
    sgdr    α_t = α_min + ½(α − α_min)(1 + cos(π T_cur / T_i))  (Loshchilov & Hutter 2017, SGDR):
            the first cycle lasts ``sgdr_t0`` rounds and each restart multiplies it by ``sgdr_mult``;
            T_cur counts rounds since the last restart (T_cur = 0 at its first round).

First moments (``beta1_schedule``):
    const   β1t = β1
    exp     β1t = β1 · λ^{t−1}      (Reddi et al. Theorem 4, λ = ``lam``)
    inv     β1t = β1 / t

cos and λ^{t−1} are ``oco.methods.ops``' cos and power (the C library's functions on every backend).
"""

from __future__ import annotations

import math

from .ops import cos, power


def sgdr_position(t, sgdr_t0, sgdr_mult):
    """(T_cur, T_i) of round t for SGDR with first cycle sgdr_t0 and integer cycle growth sgdr_mult."""
    cur, length = t - 1, sgdr_t0
    while cur >= length:
        cur -= length
        length *= sgdr_mult
    return cur, length


def const_step(alpha):
    return alpha


def sqrt_step(alpha, t):
    return alpha / math.sqrt(t)


def sgdr_step(alpha, alpha_min, t, sgdr_t0, sgdr_mult):
    cur, length = sgdr_position(t, sgdr_t0, sgdr_mult)
    return alpha_min + 0.5 * (alpha - alpha_min) * (1.0 + cos(math.pi * cur / length))


def beta1_const(beta1):
    return beta1


def beta1_exp(beta1, lam, t):
    return beta1 * power(lam, t - 1.0)


def beta1_inv(beta1, t):
    return beta1 / t


STEP_SCHEDULES = {"const": const_step, "sqrt": sqrt_step, "sgdr": sgdr_step}
BETA1_SCHEDULES = {"const": beta1_const, "exp": beta1_exp, "inv": beta1_inv}
