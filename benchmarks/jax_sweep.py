"""The β1 × β2 sweep of the benchmark as a JAX user writes it: one script, run from the shell.

Paper-form Adam (no bias correction, ε = 0, α_t = α/√t) on Reddi et al.'s online problem, the 100 × 100 grid
β1 ∈ linspace(0, 0.99, 100) × β2 ∈ linspace(0.5, 0.999, 100), α = 0.5, T = 1e5: lax.scan over rounds, vmap over
configurations, jit, float64, JAX's persistent compilation cache on disk. Writes what ``oco sweep`` writes in
substance — a CSV (β1, β2, x_T, R_T/T) and a heat map PNG of R_T/T — to the folder given (default
/tmp/jax-sweep).

    python benchmarks/jax_sweep.py [OUT] [--T T]
"""

import os
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", os.path.expanduser("~/.cache/oco-bench-jax"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)

LARGE, SMALL, PERIOD, ALPHA = 1010.0, -10.0, 101, 0.5


def one(c1, c2, T):
    def step(carry, t):
        x, m, v, loss = carry
        g = jnp.where(t % PERIOD == 1, LARGE, SMALL)
        m = c1 * m + (1.0 - c1) * g
        v = c2 * v + (1.0 - c2) * (g * g)
        x_new = jnp.clip(x - ALPHA / jnp.sqrt(t) / jnp.sqrt(v) * m, -1.0, 1.0)
        return (x_new, m, v, loss + g * x), None

    (x, _, _, loss), _ = lax.scan(step, (0.0, 0.0, 0.0, 0.0), jnp.arange(1, T + 1))
    return x, loss


def main():
    args = sys.argv[1:]
    T = int(float(args[args.index("--T") + 1])) if "--T" in args else 100_000
    out = Path(next((a for a in args if not a.startswith("--") and a != str(T)), "/tmp/jax-sweep"))
    out.mkdir(parents=True, exist_ok=True)
    b1, b2 = (g.ravel() for g in np.meshgrid(np.linspace(0, 0.99, 100), np.linspace(0.5, 0.999, 100), indexing="ij"))
    run = jax.jit(jax.vmap(one, in_axes=(0, 0, None)), static_argnums=2)
    x, loss = (np.asarray(a) for a in run(jnp.asarray(b1), jnp.asarray(b2), T))
    # the best fixed point in hindsight: G_T = Σ g_t, min over [−1, 1] of G_T·x = −|G_T|
    G = (T // PERIOD) * (LARGE + (PERIOD - 1) * SMALL) + min(T % PERIOD, 1) * LARGE + max(T % PERIOD - 1, 0) * SMALL
    regret = (loss + abs(G)) / T
    np.savetxt(out / "sweep.csv", np.c_[b1, b2, x, regret], delimiter=",", header="beta1,beta2,x_T,avg_regret",
               comments="")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    im = ax.imshow(regret.reshape(100, 100).T, origin="lower", aspect="auto", extent=(0, 0.99, 0.5, 0.999))
    fig.colorbar(im, ax=ax, label="R_T / T")
    ax.set_xlabel("β1")
    ax.set_ylabel("β2")
    fig.savefig(out / "heatmap.png", dpi=110)


if __name__ == "__main__":
    main()
