"""The engine: Algorithm 1 of Reddi, Kale & Kumar (2018) for a batch of B configurations at once.

    for t = 1..T:
        g_t = ∇f_t(x_t)                         problem.loss_grad, batched (B, d)
        m_t = φ_t(g_1..g_t)                     method.phi
        V_t = ψ_t(g_1..g_t)                     method.psi
        η_t = α_t/√V_t                          method.rate (per coordinate)
        x̂_{t+1} = x_t − η_t m_t                 method.step
        x_{t+1} = Π_{F,√V_t}(x̂_{t+1})           domain.project, weights 1/η_t ∝ √V_t/α_t

One loop for every method. A configuration whose iterate or loss stops being finite is marked diverged at
that round, keeps its last finite iterate and stops accumulating loss; the others run on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .methods import Method
from .projections import Domain
from .result import LR_QUANTILES, Checkpoints, Result
from .schedules import clock_pieces

CHUNK = 4096  # rounds of problem data fetched at once (a multiple of problems.BLOCK keeps blocks whole)


def log_checkpoints(T: int, n: int = 100) -> np.ndarray:
    """About n rounds spaced evenly in log t, always including 1 and T."""
    return np.unique(np.concatenate([np.round(np.logspace(0, np.log10(T), n)).astype(np.int64), [1, T]]))


def every_checkpoints(T: int, k: int) -> np.ndarray:
    """Every k-th round, and T."""
    return np.unique(np.concatenate([np.arange(k, T + 1, k, dtype=np.int64), [T]]))


def init_env(method: Method, h: dict, x0: np.ndarray) -> dict:
    """The names a row's pieces read: hyperparameters, the state at its initial values, x_1."""
    B, d = x0.shape
    env = dict(h)
    for name, init in method.state.items():
        value = x0 if init == "x" else (h[init] if isinstance(init, str) else init)
        env[name] = np.array(np.broadcast_to(value, (B, d)), dtype=float)
    for name, init in method.cstate.items():
        env[name] = np.full((B, 1), float(init))
    return env


def round_pieces(method: Method, h: dict) -> tuple[list, list]:
    """(clock, update): the per-configuration schedule pieces, then φ, ψ, the rate and the step."""
    return [*clock_pieces(h), *method.clock], list(method.all_pieces[len(method.clock):])


def apply_round(env: dict, clock: list, update: list, t: int, g, x, wd, decoupled: bool) -> None:
    """One round's pieces on env (arrays or tensors alike): the clock, weight decay (wd None: none; coupled,
    g + λx, or decoupled, x(1 − α_t λ)), then φ, ψ, the rate and the step — env then holds η and x̂."""
    env["t"] = t
    for piece in clock:
        piece(env)
    if wd is not None and not decoupled:
        g = g + wd * x
    env["g"] = g
    env["x"] = x * (1.0 - env["a"] * wd) if wd is not None and decoupled else x
    for piece in update:
        piece(env)


def run(
    problem,
    method: Method,
    h: dict,
    seeds: np.ndarray,
    T: int,
    x0: np.ndarray,
    domain: Domain,
    checkpoints: np.ndarray,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Run B configurations for T rounds. h: hyperparameters resolved by ``Method.resolve`` ((B, 1) arrays)."""
    B, d = x0.shape
    x = x0.astype(float, copy=True)
    env = init_env(method, h, x)
    clock, update = round_pieces(method, h)
    uniq, seed_index = np.unique(seeds, return_inverse=True)
    cum, comp = np.zeros(B), np.zeros(B)  # Neumaier-compensated Σ f_t(x_t)
    active = np.ones(B, bool)
    diverged_at = np.zeros(B, np.int64)
    gamma_neg = np.zeros(B, np.int64)
    lr_min, lr_max = np.full(B, np.inf), np.full(B, -np.inf)
    prev_eta = None
    wd = h.get("weight_decay")
    decay = wd is not None and bool(np.any(wd != 0))
    decoupled = decay and h.get("decoupled_weight_decay", False)

    K = len(checkpoints)
    ck_loss = np.full((K, B), np.nan)
    ck_x = np.zeros((K, B, d))
    ck_lr = np.zeros((K, B, len(LR_QUANTILES)))
    k = 0
    t = 1
    with np.errstate(all="ignore"):  # non-finite values are detected explicitly below
        while t <= T:
            n = min(CHUNK - (t - 1) % CHUNK, T - t + 1)
            chunk = np.stack([problem.data(int(s), t, n) for s in uniq])
            for j in range(n):
                loss, g = problem.loss_grad(x, chunk[seed_index, j])
                apply_round(env, clock, update, t, g, x, wd if decay else None, decoupled)
                eta = np.broadcast_to(env["eta"], x.shape)
                x_new = domain.project(env["xhat"], 1.0 / eta)

                bad = active & ~(np.isfinite(loss) & np.all(np.isfinite(x_new), axis=1))
                if bad.any():
                    diverged_at[bad] = t
                    active &= ~bad
                x = np.where(active[:, None], x_new, x)
                # Neumaier summation of the loss of every configuration still running
                f = np.where(active, loss, 0.0)
                s = cum + f
                comp += np.where(np.abs(cum) >= np.abs(f), (cum - s) + f, (f - s) + cum)
                cum = s

                lr_min = np.minimum(lr_min, np.where(active, eta.min(axis=1), np.inf))
                lr_max = np.maximum(lr_max, np.where(active, eta.max(axis=1), -np.inf))
                if prev_eta is not None:  # Γ_t has a negative entry ⇔ some η_t,i > η_{t−1},i
                    gamma_neg += active & np.any(eta > prev_eta, axis=1)
                prev_eta = eta.copy()

                if k < K and t == checkpoints[k]:
                    ck_loss[k] = np.where(active, cum + comp, np.nan)
                    ck_x[k] = x
                    ck_lr[k] = np.quantile(eta, LR_QUANTILES, axis=1).T
                    k += 1
                t += 1
            if progress is not None:
                progress(n)

    return finish(problem, method, h, seeds, T, x, domain, checkpoints, cum + comp, active, diverged_at,
                  gamma_neg, lr_min, lr_max, ck_loss, ck_x, ck_lr)


def finish(problem, method, h, seeds, T, x, domain, checkpoints, total, active, diverged_at, gamma_neg,
           lr_min, lr_max, ck_loss, ck_x, ck_lr) -> Result:
    """Comparators, regret traces and the result object, for every backend alike."""
    uniq, seed_index = np.unique(seeds, return_inverse=True)
    K, d = len(checkpoints), x.shape[1]
    # comparators: per unique seed, at the checkpoints and at T
    ts = np.unique(np.concatenate([checkpoints, [T]]))
    best = np.zeros((len(uniq), len(ts)))
    xstar = np.zeros((len(uniq), len(ts), d))
    for i, s in enumerate(uniq):
        best[i], xstar[i] = problem.hindsight(int(s), ts, domain)
    at = np.searchsorted(ts, checkpoints)
    ck_avg = (ck_loss - best[seed_index][:, at].T) / checkpoints[:, None]

    expected_gap = ck_gap = x_opt = None
    opt = problem.expected_optimum(domain)
    if opt is not None:
        f_star, x_opt = opt
        expected_gap = problem.expected_loss(x) - f_star
        ck_gap = np.stack([problem.expected_loss(ck_x[i]) - f_star for i in range(K)])

    return Result(
        problem=problem.name,
        method=method.name,
        convention=method.convention,
        T=T,
        params={kk: (vv.reshape(-1) if isinstance(vv, np.ndarray) else vv) for kk, vv in h.items()},
        seeds=np.asarray(seeds),
        x_final=x,
        x_star=xstar[seed_index, -1],
        cumulative_loss=np.where(active, total, np.nan),
        best_fixed_loss=best[seed_index, -1],
        diverged=~active,
        diverged_at=diverged_at,
        gamma_negative_rounds=gamma_neg,
        lr_min=lr_min,
        lr_max=lr_max,
        checkpoints=Checkpoints(checkpoints, ck_avg, ck_x, ck_lr, ck_gap),
        domain=domain.describe(),
        problem_params=problem.params(),
        expected_gap=expected_gap,
        x_opt=x_opt,
    )
