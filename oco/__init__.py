"""oco — an online-convex-optimization regret simulator built on Reddi, Kale & Kumar's Algorithm 1."""

from .api import BACKENDS, simulate
from .methods import CONVENTIONS, get_method, method_names
from .projections import Ball, Box, Unconstrained, make_domain
from .result import Result

__all__ = ["simulate", "BACKENDS", "get_method", "method_names", "CONVENTIONS", "Box", "Ball", "Unconstrained",
           "make_domain", "Result"]
__version__ = "0.1.0"
