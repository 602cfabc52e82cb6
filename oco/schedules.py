"""Step-size schedules α_t and first-moment schedules β1t.

Every schedule is a pure function of the round t (1-based) and the (B, 1) hyperparameter arrays, so a batch
of configurations with different α or β1 is one call.

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
"""

from __future__ import annotations

import math

import numpy as np

STEP_SCHEDULES = ("const", "sqrt", "sgdr")
BETA1_SCHEDULES = ("const", "exp", "inv")


def sgdr_position(t: int, t0: int, mult: float) -> tuple[int, int]:
    """(T_cur, T_i) of round t for SGDR with first cycle t0 and cycle growth mult."""
    cur, length = t - 1, t0
    while cur >= length:
        cur -= length
        length = int(round(length * mult))
    return cur, length


def step_size(h: dict, t: int) -> np.ndarray:
    """α_t for round t, shape (B, 1)."""
    alpha, kind = h["alpha"], h.get("schedule", "const")
    if kind == "const":
        return alpha
    if kind == "sqrt":
        return alpha / math.sqrt(t)
    if kind == "sgdr":
        cur, length = sgdr_position(t, int(h["sgdr_t0"]), float(h["sgdr_mult"]))
        alpha_min = h["alpha_min"]
        return alpha_min + 0.5 * (alpha - alpha_min) * (1.0 + math.cos(math.pi * cur / length))
    raise ValueError(f"schedule must be one of {STEP_SCHEDULES}, got {kind!r}")


def beta1_t(h: dict, t: int) -> np.ndarray:
    """β1t for round t, shape (B, 1)."""
    beta1, kind = h["beta1"], h.get("beta1_schedule", "const")
    if kind == "const":
        return beta1
    if kind == "exp":
        return beta1 * h["lam"] ** (t - 1)
    if kind == "inv":
        return beta1 / t
    raise ValueError(f"beta1_schedule must be one of {BETA1_SCHEDULES}, got {kind!r}")
