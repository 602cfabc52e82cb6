"""The result of a batched run: one entry per configuration (B of them), traces at K checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas

    from .analyses.bounds import Evaluation

LR_QUANTILES = (0.0, 0.1, 0.5, 0.9, 1.0)


def lr_quantiles(eta: np.ndarray) -> np.ndarray:
    """The LR_QUANTILES of η over its last axis (the coordinates), on a new last axis: (…, d) → (…, 5), as
    ``np.quantile(eta, LR_QUANTILES, axis=-1)`` moved last. With d = 1 each is np.quantile's interpolation
    of the one value with itself, a − (a − a)·0 (so ±inf gives nan and −0.0 stays, as there), without
    np.quantile's partition: for a 10⁴-configuration run's traces that took 0.2 s."""
    with np.errstate(invalid="ignore"):  # ±inf (a zero gradient's η) gives nan, as np.quantile's does
        if eta.shape[-1] == 1:
            return np.repeat(eta - (eta - eta) * 0.0, len(LR_QUANTILES), axis=-1)
        return np.moveaxis(np.quantile(eta, LR_QUANTILES, axis=-1), 0, -1)


def require_pandas(what: str):
    """The pandas module, or an ImportError naming the optional extra that installs it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(f"{what} needs pandas: pip install 'oco[pandas]'") from None
    return pandas


def _finite(v: float) -> float | None:
    """A float for JSON, None where it is not finite."""
    return float(v) if np.isfinite(v) else None


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
    # False for a foreign optimizer (torch:, optax:): its η_t is not visible to oco, so lr_min, lr_max,
    # gamma_negative_rounds and the lr traces are not observable (None in runs(), empty in sweep.csv)
    lr_observed: bool = True
    _bound: Any = field(default=None, init=False, repr=False, compare=False)  # bound(), computed once

    @property
    def batch(self) -> int:
        return len(self.seeds)

    def bound(self, problem=None) -> Evaluation:
        """The method's published regret bound evaluated on this run at its checkpoints and at T
        (``oco.analyses.bounds.regret_bound``: the formulas, their sources, the conditions): an ``Evaluation``
        with ``t``, ``values`` (len(t), B) or None, and a note per configuration (the theorem, or why there is
        no bound). ``problem``: the problem instance, where the Result cannot rebuild it (a ``Problem`` object
        given to ``simulate``)."""
        from .analyses.bounds import regret_bound

        if problem is not None:
            return regret_bound(self, problem)
        if self._bound is None:
            self._bound = regret_bound(self)
        return self._bound

    @property
    def regret_bound(self) -> np.ndarray | None:
        """(K, B): the bound on R_t at the rounds ``checkpoints.t``, NaN for a configuration outside the
        theorem's conditions; None for a method without one (``bound()`` says why). R_t ≤ regret_bound.

        >>> import oco
        >>> r = oco.simulate("reddi-online", "ogd", T=100, alpha=0.5)
        >>> bool(np.all(r.checkpoints.avg_regret * r.checkpoints.t[:, None] <= r.regret_bound))
        True
        """
        return self.bound().at(self.checkpoints.t)

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
        """One JSON-ready dict per configuration (the ``runs`` entries of ``oco run --json``); ``regret_bound``
        is the bound on R_T (``bound()``), null where there is none, and ``regret_bound_note`` its source or
        why there is none."""
        bound = self.bound()
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
                "gamma_negative_rounds": int(self.gamma_negative_rounds[i]) if self.lr_observed else None,
                "lr_min": float(self.lr_min[i]) if self.lr_observed else None,
                "lr_max": float(self.lr_max[i]) if self.lr_observed else None,
                **({"expected_gap": float(self.expected_gap[i])} if self.expected_gap is not None else {}),
                "regret_bound": _finite(bound.values[-1, i]) if bound.values is not None else None,
                "regret_bound_note": bound.notes[i],
            })
        return out

    def to_frame(self) -> pandas.DataFrame:
        """The ``runs()`` entries as a pandas DataFrame, one row per configuration: the hyperparameters as
        columns, then ``method``, ``convention``, ``seed`` and the other fields in the order of ``runs()``.
        As in ``sweep.csv``, ``x_final`` and ``x_star`` are one column each when d = 1 and ``x_final_0``,
        ``x_final_1``, … when d > 1; ``regret`` is NaN for a diverged configuration. Needs pandas.

        >>> import oco
        >>> r = oco.simulate("reddi-online", "adam", T=20, beta1=[0.0, 0.9])
        >>> df = r.to_frame()
        >>> df[["beta1", "method", "seed", "diverged"]]
           beta1 method  seed  diverged
        0    0.0   adam     0     False
        1    0.9   adam     0     False
        >>> bool((df["avg_regret"] == r.avg_regret).all())
        True
        """
        pd = require_pandas("Result.to_frame")
        return pd.DataFrame([self._frame_row(run) for run in self.runs()])

    def _frame_row(self, run: dict) -> dict:
        """One ``runs()`` entry flattened: hyperparameters first, vectors split by coordinate when d > 1."""
        row = {**run["params"]}
        for key, value in run.items():
            if key in ("x_final", "x_star") and len(value) > 1:
                row.update({f"{key}_{j}": v for j, v in enumerate(value)})
            elif key in ("x_final", "x_star"):
                row[key] = value[0]
            elif key != "params":
                row[key] = value
        return row
