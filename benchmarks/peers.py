"""Peer implementations of the benchmark workload, each "as a competent user writes it".

The workload: Reddi et al.'s online problem f_t(x) = g_t·x on [−1, 1], g_t = 1010 if t mod 101 = 1 else
−10, run by paper-form Adam (no bias correction, ε = 0, α_t = α/√t, x_1 = 0), accumulating Σ g_t x_t.

Every peer is ``prepare(alpha, b1, b2, T) -> (run, warmup_seconds, form)``: ``prepare`` does whatever must
not be timed (JIT compilation, first-call set-up); ``run()`` is the timed part and returns (x_final, loss) as
(B,) float64 arrays for the B configurations b1, b2 ((B,) arrays). ``form`` is "paper" for the paper-form
update (checked against the NumPy reference) or BIAS_CORRECTED (optax.adam and torch.optim.Adam, checked
against each other). Rows with nothing to compile report warm-up None.
"""

from __future__ import annotations

import math
import time

import numpy as np

LARGE, SMALL, PERIOD = 1010.0, -10.0, 101
BIAS_CORRECTED = "different form: bias-corrected Adam, ε = 0 outside √"

try:
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    jax.config.update("jax_enable_x64", True)
    JAX_ERROR = None
except ImportError as e:  # the JAX peers skip with this note
    JAX_ERROR = f"skipped: {e}"


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


# ---- hand-written paper form -----------------------------------------------------------------------------

def numpy_vectorized(alpha, b1, b2, T):
    """A loop over t with (B,) arrays — the reference every paper-form row is checked against."""
    def run():
        x, m, v, loss = (np.zeros(len(b1)) for _ in range(4))
        for t in range(1, T + 1):
            g = LARGE if t % PERIOD == 1 else SMALL
            loss += g * x
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * (g * g)
            x = np.clip(x - alpha / math.sqrt(t) / np.sqrt(v) * m, -1.0, 1.0)
        return x, loss
    return run, None, "paper"


def pure_python(alpha, b1, b2, T):
    """A scalar loop per configuration."""
    def run():
        xs, losses = [], []
        for c1, c2 in zip(b1.tolist(), b2.tolist()):
            x = m = v = loss = 0.0
            for t in range(1, T + 1):
                g = LARGE if t % PERIOD == 1 else SMALL
                loss += g * x
                m = c1 * m + (1.0 - c1) * g
                v = c2 * v + (1.0 - c2) * (g * g)
                x = min(1.0, max(-1.0, x - alpha / math.sqrt(t) / math.sqrt(v) * m))
            xs.append(x)
            losses.append(loss)
        return np.array(xs), np.array(losses)
    return run, None, "paper"


def jax_scan(alpha, b1, b2, T):
    """lax.scan over t, vmap over configurations, jit; float64."""
    if JAX_ERROR:
        return None, 0.0, JAX_ERROR

    def one(c1, c2):
        def step(carry, t):
            x, m, v, loss = carry
            g = jnp.where(t % PERIOD == 1, LARGE, SMALL)
            m = c1 * m + (1.0 - c1) * g
            v = c2 * v + (1.0 - c2) * (g * g)
            x_new = jnp.clip(x - alpha / jnp.sqrt(t) / jnp.sqrt(v) * m, -1.0, 1.0)
            return (x_new, m, v, loss + g * x), None
        (x, _, _, loss), _ = lax.scan(step, (0.0, 0.0, 0.0, 0.0), jnp.arange(1, T + 1))
        return x, loss

    return _compiled(jax.vmap(one), b1, b2, "paper")


# ---- the users' natural tools: bias-corrected Adam, a different form ---------------------------------------

def optax_adam(alpha, b1, b2, T):
    """optax.adam (bias-corrected, ε outside the root, here ε = 0) in lax.scan + vmap + jit; float64."""
    if JAX_ERROR:
        return None, 0.0, JAX_ERROR

    def one(c1, c2):
        opt = optax.adam(lambda n: alpha / jnp.sqrt(n + 1.0), b1=c1, b2=c2, eps=0.0)

        def step(carry, t):
            x, state, total = carry
            loss, g = jax.value_and_grad(lambda x: jnp.where(t % PERIOD == 1, LARGE, SMALL) * x)(x)
            updates, state = opt.update(g, state)
            x = jnp.clip(optax.apply_updates(x, updates), -1.0, 1.0)
            return (x, state, total + loss), None
        x0 = jnp.zeros(())
        (x, _, total), _ = lax.scan(step, (x0, opt.init(x0), jnp.zeros(())), jnp.arange(1, T + 1))
        return x, total

    return _compiled(jax.vmap(one), b1, b2, BIAS_CORRECTED)


def torch_optim_adam(alpha, b1, b2, T):
    """torch.optim.Adam on one float64 parameter per configuration, autograd for the gradient, lr set every
    round, clamp after the step. torch's Adam is bias-corrected with ε outside √v̂; ε = 0 (torch accepts
    it), other arguments at torch's defaults."""
    import torch

    def adam(c1, c2, T):
        p = torch.zeros((), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], lr=alpha, betas=(c1, c2), eps=0.0)
        total = 0.0
        for t in range(1, T + 1):
            opt.param_groups[0]["lr"] = alpha / math.sqrt(t)
            opt.zero_grad()
            loss = (LARGE if t % PERIOD == 1 else SMALL) * p
            loss.backward()
            opt.step()
            with torch.no_grad():
                p.clamp_(-1.0, 1.0)
            total += loss.item()
        return p.item(), total

    def run():
        out = [adam(c1, c2, T) for c1, c2 in zip(b1.tolist(), b2.tolist())]
        return np.array([o[0] for o in out]), np.array([o[1] for o in out])

    warm = timed(lambda: adam(0.9, 0.99, 200))
    return run, warm, BIAS_CORRECTED


def _compiled(fn, b1, b2, form):
    """AOT-compile fn for these shapes (the warm-up) and return the timed call."""
    a1, a2 = jnp.asarray(b1), jnp.asarray(b2)
    t0 = time.perf_counter()
    exe = jax.jit(fn).lower(a1, a2).compile()
    warm = time.perf_counter() - t0

    def run():
        x, loss = jax.block_until_ready(exe(a1, a2))
        return np.asarray(x), np.asarray(loss)
    return run, warm, form


def oco_backend(name):
    """oco.simulate with ``backend=name`` (the harness warms it up with a short call on the same batch;
    ``like_T``: a short call with the backend that ``auto`` picks for that horizon)."""
    def prepare(alpha, b1, b2, T, like_T=None):
        import oco
        from oco.backends import COMPILE_S, available, numpy_seconds

        backend = name
        if name == "auto" and like_T is not None:  # auto's estimate (a cached kernel aside)
            fast = numpy_seconds(np.size(alpha), 1, like_T) > COMPILE_S and "numba" in available()
            backend = "numba" if fast else "numpy"

        def run():
            r = oco.simulate("reddi-online", "adam", T=T, alpha=alpha, beta1=b1, beta2=b2, schedule="sqrt",
                             checkpoints=20, backend=backend)
            return r.x_final[:, 0], r.cumulative_loss
        return run, None, "paper"
    return prepare


# name → (prepare, most element-steps to time on a batch: larger batches are timed on a subset of configs
#         and extrapolated; None = always the whole batch)
PEERS = {
    "NumPy vectorized": (numpy_vectorized, None),
    "pure Python loop": (pure_python, 4_000_000),
    "JAX scan+vmap+jit": (jax_scan, None),
    "optax.adam scan+vmap+jit": (optax_adam, None),
    "torch.optim.Adam loop": (torch_optim_adam, 300_000),
}
