"""One mapping from a foreign optimizer's constructor to oco's hyperparameters (``oco.foreign.hypers``), the
same for the torch and the optax adapter: the aliases, the prefix where a name is taken, and each argument's
check from its default — an integer stays an integer whatever its default's sign."""

from __future__ import annotations

import inspect
import sys
import types

import numpy as np
import pytest

import oco
from oco.foreign import load
from oco.foreign.hypers import Arg, Names, from_signature
from oco.methods import resolve_hypers

NAMES = Names("lib", "lr", renamed={"rho": ("beta3", "beta")}, tuples={"betas": ("beta", "beta")},
              skipped=("params",))


def constructor(params, lr=0.1, betas=(0.9, 0.99), rho=0.95, beta1=None, eps=1e-8, offset: int = 0, skip=-1,
                steps=3, power=-0.5, weight_decay: float = 0, amsgrad=False, mode="fast", *, state, **kw):
    """A signature with one argument of each kind the mapping knows."""


def test_every_rule_on_one_signature():
    hypers, args = from_signature(inspect.signature(constructor), NAMES, "lib.opt")
    got = {k: (h.default, h.check) for k, h in hypers.items()}
    assert got == {
        "alpha": (0.1, "positive"), "schedule": ("const", "schedule"), "sgdr_t0": (100, "int+"),
        "sgdr_mult": (2, "int+"), "alpha_min": (0.0, "nonneg"),
        "beta1": (0.9, "beta"), "beta2": (0.99, "beta"),  # the tuple alias, element by element
        "beta3": (0.95, "beta"),  # the renamed argument
        "lib_beta1": (None, "any"),  # its own name is taken by betas[0]
        "eps": (1e-8, "nonneg"),
        "offset": (0, "int"), "skip": (-1, "int"), "steps": (3, "int+"),  # integers, whatever the sign
        "power": (-0.5, "real"), "weight_decay": (0.0, "nonneg"),  # an int default annotated float is real
        "amsgrad": (False, "bool"), "mode": ("fast", "any"), "state": (None, "any"),
    }
    assert args["alpha"] == Arg("lr") and args["beta2"] == Arg("betas", 1) and args["beta3"] == Arg("rho")
    assert args["lib_beta1"] == Arg("beta1") and args["state"] == Arg("state", required=True)
    assert "--set state=VALUE" in hypers["state"].help and "passed on as given" in hypers["mode"].help
    assert hypers["beta2"].help == "lib.opt's betas[1]"


def test_an_alias_needs_the_numbers_it_names():
    def f(lr=None, betas=None, rho="auto"):
        """No positive learning rate, no tuple of numbers, no number to rename."""

    hypers, args = from_signature(inspect.signature(f), NAMES, "lib.f")
    assert hypers["alpha"].default == 1e-3  # DEFAULT_LR
    assert (hypers["betas"].check, hypers["rho"].check) == ("any", "any") and "beta1" not in hypers
    assert args["betas"] == Arg("betas")


def test_an_int_is_checked_as_an_int():
    def f(offset: int = 0):
        """offset: an integer argument."""

    hypers, _ = from_signature(inspect.signature(f), NAMES, "lib.f")
    h, _ = resolve_hypers("lib:f", "lib", hypers, {"offset": -3})
    assert h["offset"] == -3 and type(h["offset"]) is int  # one integer for the batch, not (B, 1) floats
    for bad in (0.5, np.array([0, 1])):
        with pytest.raises(ValueError, match="offset must be"):
            resolve_hypers("lib:f", "lib", hypers, {"offset": bad})


# ---------------------------------------------------------------- both adapters, one mapping
SEEN: list = []


@pytest.fixture
def both(monkeypatch):
    """A torch optimizer and an optax factory with the same integer arguments (defaults 0 and −1, below 1),
    importable as ``oco_test_hypers.Recorder`` and ``oco_test_hypers.recorder``; SEEN: what each received."""
    torch = pytest.importorskip("torch")
    optax = pytest.importorskip("optax")

    class Recorder(torch.optim.SGD):
        def __init__(self, params, lr=0.1, offset=0, skip=-1):
            SEEN.append(("torch", offset, skip))
            super().__init__(params, lr=lr)

    def recorder(learning_rate=0.1, offset=0, skip=-1):
        SEEN.append(("optax", offset, skip))
        return optax.sgd(learning_rate)

    module = types.ModuleType("oco_test_hypers")
    module.Recorder, module.recorder = Recorder, recorder
    monkeypatch.setitem(sys.modules, "oco_test_hypers", module)
    SEEN.clear()
    return "torch:oco_test_hypers.Recorder", "optax:oco_test_hypers.recorder"


def test_torch_and_optax_map_integers_alike(both):
    """The adapters used to disagree here: an int default below 1 was "real" for torch and "any" for optax."""
    torch_opt, optax_opt = (load(spec) for spec in both)
    for k in ("alpha", "offset", "skip"):
        assert (torch_opt.hypers[k].default, torch_opt.hypers[k].check) == \
            (optax_opt.hypers[k].default, optax_opt.hypers[k].check)
    assert torch_opt.hypers["offset"].check == optax_opt.hypers["offset"].check == "int"
    assert torch_opt.hypers["skip"].check == optax_opt.hypers["skip"].check == "int"
    for spec in both:
        SEEN.clear()
        oco.simulate("reddi-online", spec, T=3, offset=2, skip=-4)
        assert SEEN and all((o, s) == (2, -4) and type(o) is int and type(s) is int for _, o, s in SEEN)
        with pytest.raises(ValueError, match=r"offset must be an integer"):
            oco.simulate("reddi-online", spec, T=3, offset=0.5)
