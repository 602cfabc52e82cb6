"""The result of a batched run: one entry per configuration (B of them), traces at K checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LR_QUANTILES = (0.0, 0.1, 0.5, 0.9, 1.0)


@dataclass
class Checkpoints:
    """Traces recorded at rounds t (K,): R_t/t (K, B), x_t (K, B, d), the effective learning rate's
    quantiles over coordinates (K, B, len(LR_QUANTILES)) and, for stochastic problems, F(x_t) − F(x*) (K, B)."""

    t: np.ndarray
    avg_regret: np.ndarray
    x: np.ndarray
    lr_quantiles: np.ndarray
    expected_gap: np.ndarray | None = None


@dataclass
class Result:
    problem: str
    method: str
    convention: str
    T: int
    params: dict  # hyperparameters: (B,) arrays for numbers, plain values otherwise
    seeds: np.ndarray  # (B,)
    x_final: np.ndarray  # (B, d): x_{T+1}, or the last finite iterate of a diverged configuration
    x_star: np.ndarray  # (B, d): best fixed point in hindsight
    cumulative_loss: np.ndarray  # (B,) Σ_t f_t(x_t)
    best_fixed_loss: np.ndarray  # (B,) min_{x∈F} Σ_t f_t(x)
    diverged: np.ndarray  # (B,) bool
    diverged_at: np.ndarray  # (B,) round where the state stopped being finite, 0 if never
    gamma_negative_rounds: np.ndarray  # (B,) rounds where Reddi's Γ_t has a negative entry
    lr_min: np.ndarray  # (B,) smallest α_t/√v_t over all rounds and coordinates
    lr_max: np.ndarray  # (B,) largest
    checkpoints: Checkpoints
    domain: dict = field(default_factory=dict)
    problem_params: dict = field(default_factory=dict)
    expected_gap: np.ndarray | None = None  # (B,) F(x_{T+1}) − F(x*) for stochastic problems
    x_opt: np.ndarray | None = None  # (d,) minimizer of the expected loss

    @property
    def batch(self) -> int:
        return len(self.seeds)

    @property
    def regret(self) -> np.ndarray:
        """R_T = Σ f_t(x_t) − min_x Σ f_t(x); NaN for a diverged configuration."""
        return np.where(self.diverged, np.nan, self.cumulative_loss - self.best_fixed_loss)

    @property
    def avg_regret(self) -> np.ndarray:
        """R_T / T."""
        return self.regret / self.T

    def param_row(self, i: int) -> dict:
        """The hyperparameters of configuration i as plain Python values."""
        out = {}
        for k, v in self.params.items():
            out[k] = v.reshape(-1)[i if v.size > 1 else 0].item() if isinstance(v, np.ndarray) else v
        return out

    def runs(self) -> list[dict]:
        """One JSON-ready dict per configuration (the ``runs`` entries of ``oco run --json``)."""
        out = []
        for i in range(self.batch):
            out.append({
                "method": self.method,
                "convention": self.convention,
                "params": self.param_row(i),
                "seed": int(self.seeds[i]),
                "x_final": self.x_final[i].tolist(),
                "regret": float(self.regret[i]),
                "avg_regret": float(self.avg_regret[i]),
                "cumulative_loss": float(self.cumulative_loss[i]),
                "best_fixed_loss": float(self.best_fixed_loss[i]),
                "x_star": self.x_star[i].tolist(),
                "diverged": bool(self.diverged[i]),
                "diverged_at": int(self.diverged_at[i]),
                "gamma_negative_rounds": int(self.gamma_negative_rounds[i]),
                "lr_min": float(self.lr_min[i]),
                "lr_max": float(self.lr_max[i]),
                **({"expected_gap": float(self.expected_gap[i])} if self.expected_gap is not None else {}),
            })
        return out
