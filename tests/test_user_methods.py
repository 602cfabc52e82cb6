"""Methods written in Python by a user: built from pieces, loaded with -m FILE.py:NAME or package.module:NAME,
shown by `oco show`, run by every backend — a copy of a table row gives that row's numbers bit for bit — and
refused in one line when the spec does not name one."""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import oco
from oco import specs
from oco.cli import app

runner = CliRunner()

# a copy of the adam:paper row in a user's file: its own pieces, with the formulas of oco's ema, ema_sq, root
# and descend written out again, and the hyperparameters of the row
USER_FILE = '''
"""My Adam (Reddi et al.'s paper form), written from scratch."""
import math

import oco
from oco.methods import Method, P


def first(m, g, b1t):
    """m_t = β1t m_{t−1} + (1 − β1t) g_t."""
    return b1t * m + (1.0 - b1t) * g


def second(v, g, beta2):
    """v_t = β2 v_{t−1} + (1 − β2) g_t²."""
    return beta2 * v + (1.0 - beta2) * g * g


def rate(V, a, eps):
    """η_t = α_t / √(V_t + ε)."""
    return a / sqrt(V + eps)


def sqrt(x):
    return x ** 0.5


my_adam = Method("my-adam", "paper", P(first, "m=d"), P(second, "v=V"), P(rate, "eta"),
                 state={"m": 0.0, "v": 0.0}, hypers=oco.get_method("adam").hypers,
                 formula="m = β1 m + (1 − β1) g; v = β2 v + (1 − β2) g²; x ← x − α_t m/√(v + ε)",
                 source="Reddi et al. 2018, as Adam")


def helper():
    return 1.0


def odd_second(v, g, beta2):
    """A second moment numba cannot compile here: it calls a plain Python function."""
    return beta2 * v + (1.0 - beta2) * helper() * g * g


def odd():
    """A method made by a function."""
    return Method("odd", "paper", P(first, "m=d"), P(odd_second, "v=V"), P(rate, "eta"),
                  state={"m": 0.0, "v": 0.0}, hypers=oco.get_method("adam").hypers)
'''
SETTINGS = dict(alpha=0.5, beta1=0.9, beta2=0.99, schedule="sqrt")


@pytest.fixture()
def user_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(USER_FILE)
    specs.load_user.cache_clear()
    return path


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_copy_of_a_row_gives_the_rows_numbers_bit_for_bit(user_file, backend):
    """The sqrt in the user's rate is x**0.5, the row's math.sqrt: both are IEEE's correctly rounded root."""
    kw = dict(T=3000, backend=backend, checkpoints=20, **SETTINGS)
    b1 = np.array([0.0, 0.5, 0.9])
    ref = oco.simulate("reddi-online", "adam", **{**kw, "beta1": b1})
    got = oco.simulate("reddi-online", f"{user_file}:my_adam", **{**kw, "beta1": b1})
    assert got.method == "my-adam"
    np.testing.assert_array_equal(got.x_final, ref.x_final)
    np.testing.assert_array_equal(got.cumulative_loss, ref.cumulative_loss)
    np.testing.assert_array_equal(got.checkpoints.avg_regret, ref.checkpoints.avg_regret)
    np.testing.assert_array_equal(got.lr_min, ref.lr_min)


def test_an_object_built_in_python_runs_as_well(user_file):
    method = specs.load_user(f"{user_file}:my_adam")
    r = oco.simulate("reddi-online", method, T=500, backend="numpy", **SETTINGS)
    ref = oco.simulate("reddi-online", "adam", T=500, backend="numpy", **SETTINGS)
    np.testing.assert_array_equal(r.x_final, ref.x_final)


def test_a_piece_numba_cannot_compile_falls_back_to_numpy_saying_why(user_file, capsys):
    got = oco.simulate("reddi-online", f"{user_file}:odd", T=400, backend="numba", **SETTINGS)
    err = capsys.readouterr().err
    assert "cannot compile odd" in err and "using numpy" in err and len(err.strip().splitlines()) == 1
    ref = oco.simulate("reddi-online", f"{user_file}:odd", T=400, backend="numpy", **SETTINGS)
    np.testing.assert_array_equal(got.x_final, ref.x_final)
    plain = oco.simulate("reddi-online", "adam", T=400, backend="numpy", **SETTINGS)
    np.testing.assert_array_equal(got.x_final, plain.x_final)  # helper() is 1: the formula is Adam's


def test_the_command_line_runs_and_shows_a_file_method(user_file, tmp_path):
    r = runner.invoke(app, ["run", "-m", "adam", "-m", f"{user_file}:my_adam", "--T", "300", "--json", "--quiet",
                            "--backend", "numpy"])
    assert r.exit_code == 0, r.stderr
    runs = json.loads(r.stdout)["runs"]
    assert [x["method"] for x in runs] == ["adam", "my-adam"]
    assert runs[0]["x_final"] == runs[1]["x_final"] and runs[0]["regret"] == runs[1]["regret"]
    r = runner.invoke(app, ["show", f"{user_file}:my_adam"])
    assert r.exit_code == 0 and "my-adam (paper)" in r.stdout and "x ← x − α_t m/√(v + ε)" in r.stdout
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", "-m", f"{user_file}:odd", "--T", "200", "--quiet", "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    assert json.loads((out / "config.json").read_text())["methods"][0]["spec"] == f"{user_file}:odd"
    assert (out / "overview.png").exists()


def test_a_module_method(user_file, monkeypatch):
    monkeypatch.syspath_prepend(str(user_file.parent))
    monkeypatch.delitem(sys.modules, "mine", raising=False)
    r = oco.simulate("reddi-online", "mine:my_adam", T=300, backend="numpy", **SETTINGS)
    ref = oco.simulate("reddi-online", "adam", T=300, backend="numpy", **SETTINGS)
    np.testing.assert_array_equal(r.x_final, ref.x_final)


BAD_SPECS = {
    "no such file": ("{dir}/nothing.py:x", "no such file"),
    "no such module": ("no_such_module_here:x", "no module named 'no_such_module_here'"),
    "no such name": ("{dir}/mine.py:my_adma", "did you mean 'my_adam'"),
    "a piece, not a method": ("{dir}/mine.py:second", "is a function of (v, g, beta2), not an oco method"),
    "a module, not a method": ("{dir}/mine.py:math", "is a module, not an oco method"),
    "a miswired method": ("{dir}/wired.py:bad", "reads b1t, which nothing before it binds"),
    "a file that raises": ("{dir}/raises.py:x", "raised ZeroDivisionError"),
    "unknown convention": ("adam:jax", "unknown convention 'jax'"),
    "empty": ("", "the method is empty"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_specs_one_line_exit_2(case, user_file, tmp_path):
    (tmp_path / "wired.py").write_text(textwrap.dedent('''
        from oco.methods import Method, P, pieces
        bad = Method("bad", "paper", P(pieces.ema, "m=d"), None, P(pieces.constant_rate, "eta"), state={"m": 0.0})
    '''))
    (tmp_path / "raises.py").write_text("x = 1 / 0\n")
    spec, needle = BAD_SPECS[case]
    r = runner.invoke(app, ["run", "-m", spec.replace("{dir}", str(tmp_path)), "--T", "5", "--json"])
    assert r.exit_code == 2, (r.stdout, r.stderr, r.exception)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert r.stdout == ""
