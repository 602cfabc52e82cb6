"""A fixed linear loss sequence g_t, shape (T, d), for tests that need exact control of the gradients."""

import numpy as np

from oco.problems.base import Problem


class Sequence(Problem):
    name = "test-sequence"

    def __init__(self, g):
        self.g = np.asarray(g, float).reshape(len(g), -1)
        self.d = self.g.shape[1]

    def data(self, seed, t0, n):
        return self.g[t0 - 1 : t0 - 1 + n]
