"""The table of methods: one row per (method, convention). Read a row as Algorithm 1 with these pieces.

Every row also takes the step-size schedule (``schedule`` = const | sqrt | sgdr, with ``sgdr_t0``,
``sgdr_mult``, ``alpha_min``); paper rows with an exponential first moment take the β1t schedule
(``beta1_schedule`` = const | exp | inv, with ``lam``).
"""

from __future__ import annotations

from .row import Hyper, Method, P
from . import pieces as p

H = Hyper


def _schedule(alpha, schedule="const", src=""):
    return {
        "alpha": H(alpha, "positive", f"step size α (torch: lr){'; ' + src if src else ''}"),
        "schedule": H(schedule, "schedule", "α_t: const (α), sqrt (α/√t) or sgdr (cosine annealing, restarts)"),
        "sgdr_t0": H(100, "int+", "SGDR: length of the first cycle in rounds"),
        "sgdr_mult": H(2, "int+", "SGDR: each cycle is this many times longer than the last"),
        "alpha_min": H(0.0, "nonneg", "SGDR: the step size at the end of a cycle"),
    }


def _betas(b1=0.9, b2=0.999, schedule=True):
    h = {"beta1": H(b1, "beta", "first-moment decay β1"), "beta2": H(b2, "beta", "second-moment decay β2")}
    if schedule:
        h["beta1_schedule"] = H("const", "beta1_schedule", "β1t: const, exp (β1·λ^{t−1}) or inv (β1/t)")
        h["lam"] = H(1.0, "nonneg", "λ of the exp β1t schedule")
    return h


def _eps(eps, where):
    return {"eps": H(eps, "nonneg", f"ε, {where}")}


def _wd(decoupled=None):
    h = {"weight_decay": H(0.0, "nonneg", "L2 weight decay λ (added to the gradient: g + λx)")}
    if decoupled is not None:
        h["decoupled_weight_decay"] = H(decoupled, "bool", "decay as x(1 − α_t λ) before the step (AdamW)")
    return h


KINGMA = "Kingma & Ba, ICLR 2015"
REDDI = "Reddi, Kale & Kumar, ICLR 2018 (Algorithm 1 table / eq. 3)"
TORCH = "torch.optim (PyTorch 2.13) defaults and arithmetic"


def _momentum(m=0.0):
    return {
        "momentum": H(m, "nonneg", "momentum μ"),
        "dampening": H(0.0, "beta", "dampening: b = μb + (1 − dampening)g"),
        "nesterov": H(False, "bool", "Nesterov direction g + μb"),
    }


# the pieces most rows share
EMA, EMA_T = P(p.ema, "m=d"), P(p.ema_torch, "m=d")
SQ, SQ_T = P(p.ema_sq, "v=V"), P(p.ema_sq_torch, "v=V")
POWERS = (P(p.powers, "p1 p2"),)
ONE = {"p1": 1.0, "p2": 1.0}
MV = {"m": 0.0, "v": 0.0}
MVV = {"m": 0.0, "v": 0.0, "vhat": 0.0}
CONST = P(p.constant_rate, "eta")

TABLE: list[Method] = [
    # ---------------------------------------------------------------- SGD and the online classics
    Method(
        "sgd", "paper", P(p.heavy_ball, "m d"), None, CONST, state={"m": 0.0},
        hypers={**_schedule(0.1), **_momentum()},
        formula="b_t = μ b_{t−1} + (1 − dampening) g_t (b_0 = 0);  x_{t+1} = Π_F(x_t − α_t d_t),"
        "  d_t = b_t (or g_t + μ b_t with Nesterov; d_t = g_t when μ = 0)",
        source="Robbins & Monro 1951; Polyak 1964 (heavy ball); Sutskever et al. 2013 (Nesterov form)",
        summary="stochastic gradient descent, constant α or α/√t, optional heavy-ball/Nesterov momentum",
    ),
    Method(
        "sgd", "torch", P(p.heavy_ball_torch, "m d"), None, CONST, state={"m": 0.0},
        hypers={**_schedule(1e-3, src=TORCH), **_momentum(), **_wd()},
        formula="g ← g + λx;  b_1 = g_1, b_t = μ b_{t−1} + (1 − dampening) g_t;  d = g + μb if nesterov else b;"
        "  x ← x − lr·d",
        source="torch.optim.SGD",
        summary="torch.optim.SGD with momentum, dampening, nesterov, weight_decay",
    ),
    Method(
        "ogd", "paper", P(p.gradient, "d"), None, CONST,
        hypers=_schedule(1.0, "sqrt", "Zinkevich: α = D/G"),
        formula="x_{t+1} = Π_F(x_t − α/√t · g_t)",
        source="Zinkevich, ICML 2003 (online gradient descent, O(√T) regret)",
        summary="online gradient descent with α_t = α/√t",
    ),
    Method(
        "ftrl", "paper", P(p.running_sum, "m=d"), None, CONST, P(p.lazy, "xhat"), state={"m": 0.0, "x1": "x"},
        hypers=_schedule(1.0, "sqrt"),
        formula="x_{t+1} = argmin_{x∈F} ⟨Σ_{i≤t} g_i, x⟩ + ‖x − x_1‖²/(2α_t) = Π_F(x_1 − α_t Σ_{i≤t} g_i)",
        source="Shalev-Shwartz 2012; McMahan 2017 (linearized FTRL with an L2 regularizer, lazy projection)",
        summary="follow the regularized leader on linearized losses, L2 regularizer, α_t = α/√t",
    ),
    Method(
        "ons", "paper", P(p.gradient, "d"), P(p.sum_sq, "s=V"), P(p.newton_rate, "eta"), state={"s": "eps"},
        hypers={**_schedule(1.0, src="α = 1/γ of Hazan et al."), **_eps(1.0, "A_0 = εI")},
        formula="A_t = ε + Σ_{i≤t} g_i²;  x_{t+1} = Π_{F,A_t}(x_t − α A_t^{-1} g_t)",
        source="Hazan, Agarwal & Kale 2007 (Online Newton Step), diagonal version",
        summary="diagonal Online Newton Step, projection in the A_t norm",
    ),
    # ---------------------------------------------------------------- AdaGrad, RMSProp, AdaDelta
    Method(
        "adagrad", "paper", P(p.gradient, "d"), P(p.sum_sq_over_t, "s V"), P(p.root, "eta"), state={"s": 0.0},
        hypers={**_schedule(0.1, "sqrt"), **_eps(0.0, "inside the root")},
        formula="v_t = Σ_{i≤t} g_i²/t;  x_{t+1} = Π_{F,√V_t}(x_t − α_t g_t/√v_t)  (= α g/√Σg² with α_t = α/√t)",
        source=f"Duchi, Hazan & Singer 2011; {REDDI}",
        summary="AdaGrad in Reddi et al.'s form (α_t = α/√t)",
    ),
    Method(
        "adagrad", "torch", P(p.gradient, "d"), P(p.sum_sq, "s=V"), P(p.adagrad_torch, "eta"),
        state={"s": "initial_accumulator_value"},
        hypers={
            **_schedule(1e-2, src=TORCH), **_eps(1e-10, "outside the root"), **_wd(),
            "lr_decay": H(0.0, "nonneg", "lr_t = lr/(1 + (t − 1)·lr_decay)"),
            "initial_accumulator_value": H(0.0, "nonneg", "starting value of Σg²"),
        },
        formula="g ← g + λx;  s_t = s_{t−1} + g_t²;  x ← x − lr/(1 + (t−1)·lr_decay) · g/(√s_t + ε)",
        source="torch.optim.Adagrad",
        summary="torch.optim.Adagrad",
    ),
    Method(
        "rmsprop", "paper", P(p.gradient, "d"), SQ, P(p.root, "eta"), state={"v": 0.0},
        hypers={**_schedule(0.01), "beta2": H(0.9, "beta", "second-moment decay β2 (Tieleman & Hinton's 0.9)"),
                **_eps(0.0, "inside the root")},
        formula="v_t = β2 v_{t−1} + (1 − β2) g_t²;  x_{t+1} = Π_{F,√V_t}(x_t − α_t g_t/√(v_t + ε))  (Adam with β1 = 0)",
        source=f"Tieleman & Hinton 2012, Lecture 6e (MeanSquare = 0.9 MeanSquare + 0.1 g²); {REDDI}",
        summary="RMSProp (Adam with β1 = 0)",
    ),
    Method(
        "rmsprop", "torch", P(p.gradient, "d"), P(p.rmsprop_sq_torch, "v gbar V"), P(p.eps_outside, "eta avg"),
        P(p.rmsprop_step_torch, "xhat buf"), state={"v": 0.0, "gbar": 0.0, "buf": 0.0},
        hypers={
            **_schedule(1e-2, src=TORCH), "beta2": H(0.99, "beta", "smoothing (torch's alpha)"),
            **_eps(1e-8, "outside the root"), **_wd(), "momentum": H(0.0, "nonneg", "momentum μ"),
            "centered": H(False, "bool", "divide by the centered second moment v − ḡ²"),
        },
        formula="g ← g + λx;  v = β2 v + (1 − β2) g²;  (centered: v − ḡ²);  d = g/(√v + ε);"
        "  μ > 0: b = μb + d, x ← x − lr·b;  else x ← x − lr·d",
        source="torch.optim.RMSprop (its smoothing constant alpha is our beta2)",
        summary="torch.optim.RMSprop with momentum and centered",
    ),
    Method(
        "adadelta", "paper", P(p.gradient, "d"), P(p.adadelta_sq, "v=V"), P(p.adadelta_rate, "eta ratio"),
        P(p.adadelta_step, "xhat u"), state={"v": 0.0, "u": 0.0},
        hypers={**_schedule(1.0, src="Zeiler has no step size: α = 1"), "rho": H(0.95, "beta", "decay ρ"),
                **_eps(1e-6, "inside both roots")},
        formula="E[g²]_t = ρE[g²] + (1−ρ)g²;  Δ = √(E[Δ²]+ε)/√(E[g²]_t+ε)·g;  E[Δ²] = ρE[Δ²] + (1−ρ)Δ²;"
        "  x_{t+1} = Π_F(x_t − α_t Δ)",
        source="Zeiler 2012, Algorithm 1 (ρ = 0.95, ε = 1e-6)",
        summary="AdaDelta",
    ),
    Method(
        "adadelta", "torch", P(p.gradient, "d"), P(p.adadelta_sq, "v=V"), P(p.adadelta_rate, "eta ratio"),
        P(p.adadelta_step, "xhat u"), state={"v": 0.0, "u": 0.0},
        hypers={**_schedule(1.0, src=TORCH), "rho": H(0.9, "beta", "decay ρ"),
                **_eps(1e-6, "inside both roots"), **_wd()},
        formula="g ← g + λx;  E[g²] = ρE[g²] + (1−ρ)g²;  Δ = √(E[Δ²]+ε)/√(E[g²]+ε)·g;"
        "  E[Δ²] = ρE[Δ²] + (1−ρ)Δ²;  x ← x − lr·Δ",
        source="torch.optim.Adadelta",
        summary="torch.optim.Adadelta",
    ),
    # ---------------------------------------------------------------- Adam and its family
    Method(
        "adam", "paper", EMA, SQ, P(p.root, "eta"), state=MV,
        hypers={**_schedule(1e-3, src=KINGMA), **_betas(), **_eps(0.0, "inside the root (Reddi eq. 3)")},
        formula="m_t = β1t m_{t−1} + (1 − β1t) g_t;  v_t = β2 v_{t−1} + (1 − β2) g_t²;"
        "  x_{t+1} = Π_{F,√V_t}(x_t − α_t m_t/√(v_t + ε))  (no bias correction)",
        source=REDDI,
        summary="Adam in Reddi et al.'s form: no bias correction, ε inside the root",
    ),
    Method(
        "adam", "torch", EMA_T, SQ_T, P(p.adam_torch, "eta"), state=MV, clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                **_wd(decoupled=False)},
        formula="g ← g + λx;  m = lerp(m, g, 1 − β1);  v = β2 v + (1 − β2) g²;"
        "  x ← x − lr/(1 − β1^t) · m/(√v/√(1 − β2^t) + ε)",
        source="torch.optim.Adam",
        summary="torch.optim.Adam (bias-corrected, ε outside the root)",
    ),
    Method(
        "amsgrad", "paper", EMA, P(p.ams, "v vhat=V"), P(p.root, "eta"), state=MVV,
        hypers={**_schedule(1e-3, "sqrt"), **_betas(), **_eps(0.0, "inside the root")},
        formula="m_t as Adam;  v_t as Adam;  v̂_t = max(v̂_{t−1}, v_t);  x_{t+1} = Π_{F,√V̂_t}(x_t − α_t m_t/√v̂_t)",
        source=f"{REDDI}, Algorithm 2",
        summary="AMSGrad: Adam with the running maximum of v",
    ),
    Method(
        "amsgrad", "torch", EMA_T, P(p.ams_torch, "v vhat=V"), P(p.adam_torch, "eta"), state=MVV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                **_wd(decoupled=False)},
        formula="torch.optim.Adam(amsgrad=True): v̂ = max(v̂, v) over the raw v;"
        "  x ← x − lr/(1 − β1^t) · m/(√v̂/√(1 − β2^t) + ε)",
        source="torch.optim.Adam(amsgrad=True)",
        summary="torch's AMSGrad (max over raw v, then bias correction)",
    ),
    Method(
        "adamnc", "paper", EMA, P(p.mean_sq, "v=V"), P(p.root, "eta"), state=MV,
        hypers={**_schedule(1e-3, "sqrt"), "beta1": H(0.9, "beta", "first-moment decay β1"),
                "beta1_schedule": H("const", "beta1_schedule", "β1t schedule"),
                "lam": H(1.0, "nonneg", "λ of the exp β1t schedule"), **_eps(0.0, "inside the root")},
        formula="m_t = β1t m + (1 − β1t) g_t;  β2t = 1 − 1/t so v_t = Σ g_i²/t;  x_{t+1} = Π_{F,√V_t}(x_t − α_t m_t/√v_t)",
        source=f"{REDDI}, Section 5 (AdamNC)",
        summary="AdamNC: Adam with β2t = 1 − 1/t",
    ),
    Method(
        "adamw", "paper", EMA_T, SQ_T, P(p.kingma, "eta"), P(p.adamw_paper, "xhat"), state=MV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "weight_decay": H(1e-2, "nonneg", "decoupled decay λ (not multiplied by α)")},
        formula="m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t);  x_{t+1} = Π_F(x_t − s_t(α m̂/(√v̂ + ε) + λ x_t)),  s_t = α_t/α",
        source="Loshchilov & Hutter, ICLR 2019, Algorithm 2",
        summary="AdamW: decoupled weight decay, scaled by the schedule multiplier only",
    ),
    Method(
        "adamw", "torch", EMA_T, SQ_T, P(p.adam_torch, "eta"), state=MV, clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "weight_decay": H(1e-2, "nonneg", "decoupled decay λ"),
                "decoupled_weight_decay": H(True, "bool", "torch.optim.AdamW: always true")},
        formula="x ← x(1 − lr·λ);  then the torch Adam step",
        source="torch.optim.AdamW",
        summary="torch.optim.AdamW",
    ),
    Method(
        "adamax", "paper", EMA, P(p.inf_norm, "v=V"), P(p.adamax_rate, "eta"), state=MV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(2e-3, src=KINGMA), **_betas()},
        formula="m_t = β1 m + (1 − β1) g;  u_t = max(β2 u_{t−1}, |g_t|);  x_{t+1} = Π_F(x_t − α_t/(1 − β1^t) · m_t/u_t)",
        source=f"{KINGMA}, Algorithm 2",
        summary="AdaMax (infinity-norm Adam)",
    ),
    Method(
        "adamax", "torch", EMA_T, P(p.inf_norm_torch, "v=V"), P(p.adamax_rate, "eta"), state=MV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(2e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "added to |g|"), **_wd()},
        formula="g ← g + λx;  m = lerp(m, g, 1 − β1);  u = max(β2 u, |g| + ε);  x ← x − lr/(1 − β1^t) · m/u",
        source="torch.optim.Adamax",
        summary="torch.optim.Adamax",
    ),
    Method(
        "nadam", "paper", P(p.nadam_direction, "m d"), SQ_T, P(p.nadam_rate, "eta"), state=MV,
        clock=(P(p.nadam_clock, "mu mu_next mu_prod"), *POWERS), cstate={**ONE, "mu_prod": 1.0},
        hypers={**_schedule(2e-3), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "momentum_decay": H(4e-3, "nonneg", "ψ in μ_t = β1(1 − ½·0.96^{tψ})")},
        formula="μ_t = β1(1 − ½·0.96^{tψ});  m_t = β1 m + (1 − β1) g;  v_t as Adam;"
        "  x_{t+1} = Π_F(x_t − α_t((1−μ_t)/(1−Πμ_{≤t}) g_t + μ_{t+1}/(1−Πμ_{≤t+1}) m_t)/(√(v_t/(1−β2^t)) + ε))",
        source="Dozat, ICLR workshop 2016 (Nesterov-accelerated Adam), as torch documents it",
        summary="NAdam (Dozat's momentum schedule)",
    ),
    Method(
        "nadam", "torch", P(p.nadam_direction, "m d"), SQ_T, P(p.nadam_rate, "eta"), state=MV,
        clock=(P(p.nadam_clock, "mu mu_next mu_prod"), *POWERS), cstate={**ONE, "mu_prod": 1.0},
        hypers={**_schedule(2e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "momentum_decay": H(4e-3, "nonneg", "ψ in μ_t = β1(1 − ½·0.96^{tψ})"), **_wd(decoupled=False)},
        formula="g ← g + λx (or x ← x(1 − lr λ));  Dozat's NAdam step, denominators √(v/(1−β2^t)) + ε",
        source="torch.optim.NAdam",
        summary="torch.optim.NAdam",
    ),
    Method(
        "radam", "paper", EMA_T, SQ_T, P(p.rectified_paper, "eta"), state=MV,
        clock=(P(p.radam_clock, "p1 p2 rho_inf rho_t"),), cstate=ONE,
        hypers={**_schedule(1e-3), **_betas(schedule=False), **_eps(0.0, "outside the root")},
        formula="ρ_∞ = 2/(1−β2) − 1, ρ_t = ρ_∞ − 2tβ2^t/(1−β2^t);  ρ_t > 4: x −= α_t r_t m̂ √(1−β2^t)/√v_t;"
        "  else x −= α_t m̂",
        source="Liu et al., ICLR 2020, Algorithm 2 (threshold ρ_t > 4)",
        summary="Rectified Adam",
    ),
    Method(
        "radam", "torch", EMA_T, SQ_T, P(p.rectified_torch, "eta"), state=MV,
        clock=(P(p.radam_clock, "p1 p2 rho_inf rho_t"),), cstate=ONE,
        hypers={**_schedule(1e-3, src=TORCH), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                **_wd(decoupled=False)},
        formula="as the paper with threshold ρ_t > 5 and ε: r_t √(1−β2^t)/(√v + ε)",
        source="torch.optim.RAdam",
        summary="torch.optim.RAdam",
    ),
    # ---------------------------------------------------------------- bounded and belief-based rates
    Method(
        "adabound", "paper", EMA, SQ, P(p.bounded, "eta"), state=MV,
        hypers={**_schedule(1e-3, "sqrt", src="Luo et al.; schedule sqrt is Algorithm 2's η_t/√t"), **_betas(),
                **_eps(0.0, "inside the root"),
                "final_lr": H(0.1, "positive", "α*, the SGD rate both bounds converge to"),
                "gamma": H(None, "gamma", "bound speed γ; default 1 − β2 as in the paper's experiments")},
        formula="η_t = clip(α/√v_t, α*(1 − 1/(γt+1)), α*(1 + 1/(γt))) · α_t/α, α_t = α/√t by default (Algorithm 2's"
        " η_t/√t; schedule=const gives the released code's constant step);  x_{t+1} = Π_{F,diag(η_t)^{-1}}(x_t − η_t m_t)",
        source="Luo, Xiong, Liu & Sun, ICLR 2019 (Algorithm 2 with its 1/√t, bounds of Section 5)",
        summary="AdaBound: Adam with learning rates clipped to bounds that converge to α*",
    ),
    Method(
        "adabound", "torch", P(p.ema_authors, "m=d"), SQ_T, P(p.bounded_authors, "eta"), state=MV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3, src="adabound 0.0.5"), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "final_lr": H(0.1, "positive", "final (SGD) learning rate"),
                "gamma": H(1e-3, "gamma", "convergence speed of the bounds"), **_wd()},
        formula="η = clip(lr √(1−β2^t)/(1−β1^t) / (√v + ε), final_lr(1 − 1/(γt+1)), final_lr(1 + 1/(γt)));  x ← x − η m",
        source="Luolc/AdaBound, package adabound 0.0.5 (AdaBound class)",
        summary="the authors' released AdaBound",
    ),
    Method(
        "amsbound", "paper", EMA, P(p.ams, "v vhat=V"), P(p.bounded, "eta"), state=MVV,
        hypers={**_schedule(1e-3, "sqrt", src="Luo et al.; schedule sqrt is Algorithm 3's η_t/√t"), **_betas(),
                **_eps(0.0, "inside the root"),
                "final_lr": H(0.1, "positive", "α*"), "gamma": H(None, "gamma", "default 1 − β2")},
        formula="AdaBound with v̂_t = max(v̂_{t−1}, v_t);  α_t = α/√t by default (the paper's η_t/√t)",
        source="Luo et al., ICLR 2019 (AMSBound, Algorithm 3 with its 1/√t)",
        summary="AMSBound: AdaBound on AMSGrad's v̂",
    ),
    Method(
        "amsbound", "torch", P(p.ema_authors, "m=d"), P(p.ams_torch, "v vhat=V"), P(p.bounded_authors, "eta"),
        state=MVV, clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3, src="adabound 0.0.5"), **_betas(schedule=False), **_eps(1e-8, "outside the root"),
                "final_lr": H(0.1, "positive", "final (SGD) learning rate"),
                "gamma": H(1e-3, "gamma", "convergence speed of the bounds"), **_wd()},
        formula="AdaBound(amsbound=True): v̂ = max(v̂, v) over the raw v, then the authors' bounded step",
        source="Luolc/AdaBound, package adabound 0.0.5 (AdaBound(amsbound=True))",
        summary="the authors' released AMSBound",
    ),
    Method(
        "yogi", "paper", EMA, P(p.yogi_sq, "v=V"), P(p.eps_outside, "eta avg"), state={"m": 0.0, "v": "v0"},
        hypers={**_schedule(1e-2, src="Zaheer et al."), **_betas(), **_eps(1e-3, "outside the root"),
                "v0": H(1e-6, "nonneg", "initial v")},
        formula="v_t = v_{t−1} − (1 − β2) sign(v_{t−1} − g_t²) g_t²;  x_{t+1} = Π_F(x_t − α_t m_t/(√v_t + ε))",
        source="Zaheer, Reddi, Sachan, Kale & Kumar, NeurIPS 2018 (Algorithm 2)",
        summary="Yogi: additive, sign-controlled second moment",
    ),
    Method(
        "adabelief", "paper", EMA_T, P(p.belief_sq, "v=V"), P(p.adam_torch, "eta"), state=MV,
        clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-3), **_betas(schedule=False), **_eps(1e-16, "added to s_t and to √ŝ_t")},
        formula="s_t = β2 s + (1 − β2)(g_t − m_t)² + ε;  x_{t+1} = Π_F(x_t − α_t/(1 − β1^t) · m_t/(√(s_t)/√(1 − β2^t) + ε))",
        source="Zhuang et al., NeurIPS 2020 (Algorithm 2; ε = 1e-16 as in adabelief-pytorch 0.2)",
        summary="AdaBelief: second moment of the gradient's deviation from m",
    ),
    Method(
        "padam", "paper", EMA, P(p.ams, "v vhat=V"), P(p.power_rate, "eta"), state=MVV,
        hypers={**_schedule(0.1), **_betas(), "p": H(0.125, "power", "partial adaptivity exponent p ∈ (0, ½]")},
        formula="m_t as Adam;  v̂_t as AMSGrad;  x_{t+1} = Π_F(x_t − α_t m_t/v̂_t^p)",
        source="Chen & Gu 2018, Padam (p = 1/8 recommended)",
        summary="Padam: partially adaptive AMSGrad",
    ),
    Method(
        "adopt", "paper", P(p.adopt_momentum, "m=d"), P(p.adopt_sq, "v V"), P(p.adopt_rate, "eta"), state=MV,
        hypers={**_schedule(1e-3), **_betas(0.9, 0.9999, schedule=False), **_eps(1e-6, "max(√v, ε)"),
                "clip_grad": H(True, "bool", "clip the normalised gradient to ±k^{1/4} at the k-th update "
                               "(k = t − 1: 1 at the first)")},
        formula="round 1: v = g² (no step);  n_t = clip(g_t/max(√v_{t−1}, ε), ±(t − 1)^{1/4});  m_t = β1 m + (1 − β1) n_t;"
        "  x_{t+1} = Π_F(x_t − α_t m_t);  v_t = β2 v_{t−1} + (1 − β2) g_t²",
        source="Taniguchi et al., NeurIPS 2024 (ADOPT, Algorithm 2, clip c_k = k^{1/4}); the same arithmetic as the "
        "authors' iShohei220/adopt (clip_lambda(step) = step^{1/4} with step the updates before this one)",
        summary="ADOPT: normalise by the previous v, then average",
    ),
    # ---------------------------------------------------------------- the authors' released forms
    Method(
        "yogi", "authors", P(p.ema_authors, "m=d"), P(p.yogi_sq, "v=V"), P(p.yogi_rate_tfa, "eta"),
        state={"m": 0.0, "v": "v0"}, clock=POWERS, cstate=ONE,
        hypers={**_schedule(1e-2, src="TensorFlow Addons Yogi"), **_betas(schedule=False),
                **_eps(1e-3, "outside the root (not bias-corrected)"),
                "v0": H(1e-6, "nonneg", "initial v (TFA's initial_accumulator_value; m starts at 0)")},
        formula="m = β1 m + (1 − β1) g;  v = v + (1 − β2) sign(g² − v) g²  (v_0 = 10⁻⁶);"
        "  x_{t+1} = Π_F(x_t − α_t √(1 − β2^t)/(1 − β1^t) · m/(√v + ε))",
        source="tensorflow/addons tensorflow_addons/optimizers/yogi.py (0.23; l1 = l2 = 0, activation sign): the "
        "released Yogi — the authors published no code of their own",
        summary="Yogi as released (TensorFlow Addons): bias-corrected step",
    ),
    Method(
        "padam", "authors", P(p.ema_authors, "m=d"), P(p.padam_sq_authors, "v vhat V"), P(p.padam_rate_authors, "eta"),
        state=MVV, clock=POWERS, cstate=ONE,
        hypers={**_schedule(0.1, src="uclaml/Padam"), **_betas(schedule=False), **_eps(1e-8, "added to √v̂, inside the power"),
                "p": H(0.25, "power", "partial p: the class default 1/4 (its scripts and README run 1/8)"), **_wd(),
                "amsgrad": H(True, "bool", "divide by the running max v̂ (the code's default) or by v")},
        formula="g ← g + λx;  m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²;  v̂ = max(v̂, v);"
        "  x_{t+1} = Π_F(x_t − α_t √(1 − β2^t)/(1 − β1^t) · m/(√v̂ + ε)^{2p})",
        source="Chen, Zhou, Tang, Yang, Cao & Gu, IJCAI 2020; the authors' uclaml/Padam (Padam.py)",
        summary="Padam as the authors released it: bias-corrected, ε inside the power",
    ),
    Method(
        "adabelief", "authors", P(p.ema_authors, "m=d"), P(p.belief_sq, "v=V"), P(p.belief_rate_authors, "eta"),
        state=MV, clock=(P(p.radam_clock, "p1 p2 rho_inf rho_t"),), cstate=ONE,
        hypers={**_schedule(1e-3, src="adabelief-pytorch 0.2.1"), **_betas(schedule=False),
                **_eps(1e-16, "added to s_t and to √s_t"),
                "weight_decay": H(0.0, "nonneg", "weight decay λ"),
                "decoupled_weight_decay": H(True, "bool", "weight_decouple: x(1 − α_t λ) (default); false: g + λx"),
                "rectify": H(True, "bool", "the rectified (RAdam) step, the package's default"),
                "degenerated_to_sgd": H(True, "bool", "ρ_t < 5: step α_t m/(1 − β1^t) (else none)")},
        formula="x ← x(1 − α_t λ);  m = β1 m + (1 − β1) g;  s = β2 s + (1 − β2)(g − m)² + ε;"
        "  ρ_t = ρ_∞ − 2tβ2^t/(1 − β2^t);  ρ_t ≥ 5: x −= α_t r_t/(1 − β1^t) · m/(√s + ε),"
        "  r_t = √((1 − β2^t)(ρ_t − 4)(ρ_t − 2)ρ_∞/((ρ_∞ − 4)(ρ_∞ − 2)ρ_t));  else x −= α_t m/(1 − β1^t)"
        "  (rectify=false: x −= α_t/(1 − β1^t) · m/(√s/√(1 − β2^t) + ε))",
        source="Zhuang et al., NeurIPS 2020; the authors' adabelief-pytorch 0.2.1 (AdaBelief, its defaults: "
        "rectify, weight_decouple, amsgrad off)",
        summary="AdaBelief as the authors' package runs it: rectified by default",
    ),
    # ---------------------------------------------------------------- sign methods and Lion
    Method(
        "signsgd", "paper", P(p.sign_gradient, "d"), None, CONST,
        hypers=_schedule(1e-2, src="MXNet's SignSGD default learning_rate (the authors' implementation)"),
        formula="x_{t+1} = Π_F(x_t − α_t sign(g_t))  (sign(0) = 0)",
        source="Bernstein, Wang, Azizzadenesheli & Anandkumar, ICML 2018, Algorithm 1 (jxbz/signSGD runs MXNet's "
        "SignSGD)",
        summary="signSGD: step by the sign of the gradient",
    ),
    Method(
        "signum", "paper", P(p.signum_direction, "m d"), None, CONST, state={"m": 0.0},
        hypers={**_schedule(1e-2, src="MXNet's Signum default learning_rate; the theorem takes α/√t (sqrt)"),
                "beta1": H(0.9, "beta", "momentum β (MXNet's momentum; the paper's experiments: 0.9)"),
                "beta1_schedule": H("const", "beta1_schedule", "βt: const, exp (β·λ^{t−1}) or inv (β/t)"),
                "lam": H(1.0, "nonneg", "λ of the exp βt schedule")},
        formula="m_t = β m_{t−1} + (1 − β) g_t (m_0 = 0);  x_{t+1} = Π_F(x_t − α_t sign(m_t))",
        source="Bernstein et al., ICML 2018, Algorithm 3 (Signum); MXNet's Signum (wd = wd_lh = 0)",
        summary="Signum: signSGD on an exponential moving average of the gradient",
    ),
    Method(
        "lion", "paper", P(p.lion_direction, "m d"), None, CONST, state={"m": 0.0},
        hypers={**_schedule(1e-4, src="Chen et al.'s code default lr"),
                "beta1": H(0.9, "beta", "β1 of the step's interpolation sign(β1 m + (1 − β1) g)"),
                "beta2": H(0.99, "beta", "β2 of the momentum m = β2 m + (1 − β2) g"),
                "weight_decay": H(0.0, "nonneg", "decoupled decay λ: x(1 − α_t λ) before the signed step"),
                "decoupled_weight_decay": H(True, "bool", "Lion's decay is decoupled; false adds λx to g instead")},
        formula="c_t = β1 m_{t−1} + (1 − β1) g_t;  x_{t+1} = Π_F(x_t(1 − α_t λ) − α_t sign(c_t));"
        "  m_t = β2 m_{t−1} + (1 − β2) g_t",
        source="Chen et al., 'Symbolic Discovery of Optimization Algorithms', NeurIPS 2023, Algorithm 2 (β1 = 0.9, "
        "β2 = 0.99); operation for operation the authors' google/automl lion/lion_pytorch.py (= lion-pytorch 0.2.5)",
        summary="Lion: the sign of an interpolation of momentum and gradient, decoupled weight decay",
    ),
    # ---------------------------------------------------------------- AdEMAMix
    Method(
        "ademamix", "paper", P(p.ademamix_direction, "m m2 d"), SQ_T, P(p.ademamix_rate, "eta"),
        state={"m": 0.0, "m2": 0.0, "v": 0.0}, clock=(P(p.ademamix_clock, "p1 p2 b3t mixt"),), cstate=ONE,
        hypers={**_schedule(1e-3), **_betas(0.9, 0.999, schedule=False),
                "beta3": H(0.9999, "beta", "slow-EMA decay β3"),
                "mix": H(5.0, "nonneg", "the paper's α, the slow EMA's weight (α is the step size here); the "
                         "paper's experiments take 5 to 10"),
                "beta3_warmup": H(0.0, "nonneg", "T_β3: rounds over which β3(t) rises from β1 to β3 (0: none; the "
                                  "paper takes the run's length)"),
                "mix_warmup": H(0.0, "nonneg", "T_α: rounds over which α(t) rises from 0 (0: none)"),
                **_eps(1e-8, "outside the root"),
                "weight_decay": H(0.0, "nonneg", "decoupled decay λ: x(1 − α_t λ)"),
                "decoupled_weight_decay": H(True, "bool", "the paper's decay is decoupled; false adds λx to g")},
        formula="m1 = β1 m1 + (1 − β1) g;  m2 = β3(t) m2 + (1 − β3(t)) g;  v = β2 v + (1 − β2) g²;"
        "  x_{t+1} = Π_F(x_t − α_t((m1/(1 − β1^t) + α(t) m2)/(√(v/(1 − β2^t)) + ε) + λ x_t));"
        "  α(t) = min(tα/T_α, α),  β3(t) = min(exp(ln β1 ln β3/((1 − t/T_β3) ln β3 + (t/T_β3) ln β1)), β3)",
        source="Pagliardini, Ablin & Grangier, 'The AdEMAMix Optimizer: Better, Faster, Older', ICLR 2025, "
        "Algorithm 1 (as pytorch_optimizer's AdEMAMix runs it)",
        summary="AdEMAMix: Adam with a mixture of a fast and a slow EMA of the gradient",
    ),
    Method(
        "ademamix", "authors", P(p.ademamix_direction, "m m2 d"), SQ_T, P(p.ademamix_rate, "eta"),
        state={"m": 0.0, "m2": 0.0, "v": 0.0}, clock=(P(p.ademamix_clock_authors, "p1 p2 b3t mixt"),), cstate=ONE,
        hypers={**_schedule(1e-3, src="apple/ml-ademamix"), **_betas(0.9, 0.999, schedule=False),
                "beta3": H(0.9999, "beta", "slow-EMA decay β3"),
                "mix": H(2.0, "nonneg", "the code's alpha, the slow EMA's weight (its default 2)"),
                "beta3_warmup": H(0.0, "nonneg", "beta3_warmup in rounds (0: the code's None)"),
                "mix_warmup": H(0.0, "nonneg", "alpha_warmup in rounds (0: the code's None)"),
                **_eps(1e-8, "outside the root"),
                "weight_decay": H(0.0, "nonneg", "decay λ as in AdamW: x(1 − α_t λ)"),
                "decoupled_weight_decay": H(True, "bool", "the code's decay is decoupled; false adds λx to g")},
        formula="as the paper, with the code's schedulers: t < T_α: α(t) = (t/T_α)α;  t < T_β3: β3(t) = "
        "½^{1/(h+1)}, h = (1 − t/T_β3) f(β1) + (t/T_β3) f(β3), f(β) = ln ½/ln(β + 10⁻⁸) − 1",
        source="the authors' apple/ml-ademamix, pytorch/ademamix.py (AdEMAMix, linear_hl_warmup_scheduler)",
        summary="AdEMAMix as the authors' PyTorch code runs it",
    ),
]
