"""Hold an optimizer to the counterexample suite from a test suite (pytest or any other):

    from oco.testing import assert_converges, assert_fails

    def test_my_optimizer_converges():
        assert_converges("torch:mypackage.MyAdam", problems=["reddi-online", "reddi-thm1"], alpha=0.5)

    def test_adam_fails_reddi():
        assert_fails("adam", problems=["reddi-online"])

Each raises an ``AssertionError`` carrying the evidence of every verdict that is not the one asserted.
"""

from __future__ import annotations

from .analyses.check import CONVERGES, FAILS, Verdict, check


def _assert(expected: str, spec, problems, quick: bool, **hyperparameters) -> list[Verdict]:
    verdicts = check(spec, problems=problems, quick=quick, **hyperparameters)
    wrong = [v for v in verdicts if v.verdict != expected]
    if wrong:
        lines = [f"{v.method} on {v.problem}: {v.verdict}, not {expected} ({v.why}; R_T/T {v.avg_regret}, "
                 f"failure level {v.failure_level}, slope {v.slope}, x_T {v.x_final}, x* {v.x_star}, T {v.T}, "
                 f"{v.agree}/{v.seeds} seeds agree)" for v in wrong]
        raise AssertionError("\n".join(lines))
    return verdicts


def assert_converges(spec, problems: list[str] | None = None, quick: bool = False, **hyperparameters) -> list[Verdict]:
    """Every problem's verdict is "converges"; returns the verdicts."""
    return _assert(CONVERGES, spec, problems, quick, **hyperparameters)


def assert_fails(spec, problems: list[str] | None = None, quick: bool = False, **hyperparameters) -> list[Verdict]:
    """Every problem's verdict is "fails"; returns the verdicts."""
    return _assert(FAILS, spec, problems, quick, **hyperparameters)
