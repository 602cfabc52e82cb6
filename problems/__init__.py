"""The loss sequences oco simulates: a registry name → problem class.

    >>> from oco.problems import get_problem
    >>> p = get_problem("reddi-thm1", C=3)
    >>> p.failure_level, p.suggested["beta2"]
    (0.6666666666666666, 0.1)

Every class documents its definition, its parameters with their defaults and sources, and the known
outcome; ``Problem.parameters()`` lists the parameters for ``oco list``. A path ending in .npy, .npz or .csv
is a user-supplied linear sequence (``load_file``).
"""

from __future__ import annotations

from oco.hints import did_you_mean

from .base import (  # noqa: F401
    DRAW_BLOCK,
    CyclicLinear,
    PeriodicLinear,
    Problem,
    ReddiOnline,
    TwoPointLinear,
    block_rng,
    blocked,
    linear_comparator,
    linear_sums,
)
from .ddim import ScaledCoordinates, SparseGradients, StochasticQuadratic  # noqa: F401
from .files import FileSequence, load_file, looks_like_file  # noqa: F401
from .logistic import OnlineLogistic  # noqa: F401
from .reddi import ReddiStochastic, ReddiThm1, ReddiThm2, ReddiThm3, thm2_period  # noqa: F401
from .stochastic import AdaBoundSmallLR, AdoptToy, ZhangDivergence  # noqa: F401

PROBLEMS: dict[str, type[Problem]] = {
    cls.name: cls
    for cls in (
        ReddiOnline,
        ReddiStochastic,
        ReddiThm1,
        ReddiThm2,
        ReddiThm3,
        AdaBoundSmallLR,
        AdoptToy,
        ZhangDivergence,
        ScaledCoordinates,
        SparseGradients,
        StochasticQuadratic,
        OnlineLogistic,
        PeriodicLinear,
        TwoPointLinear,
    )
}


def get_problem(name: str, **params) -> Problem:
    """Instantiate a registered problem (or load a .npy/.npz/.csv file); unknown names and parameters get a
    'did you mean', bad values a one-line ValueError naming the parameter."""
    if name not in PROBLEMS and looks_like_file(name):
        if params:
            raise ValueError(f"a problem file takes no parameters; got {', '.join(params)}")
        return load_file(name)
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}{did_you_mean(name, PROBLEMS)}; "
                         f"known: {', '.join(sorted(PROBLEMS))}")
    cls = PROBLEMS[name]
    known = cls.parameters()
    for key in params:
        if key not in known:
            hint = did_you_mean(key, known)
            takes = ", ".join(known) if known else "no parameters"
            raise ValueError(f"problem {name!r} has no parameter {key!r}{hint}; it takes: {takes}")
    return cls(**params)
