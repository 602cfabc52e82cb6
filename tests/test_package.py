"""The installed package: every source folder installed, only the ``oco`` name at the top of site-packages,
``python -m oco`` working. The suite runs against the installed copy (see conftest.py), so these compare it
with the source tree it was built from."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import oco

REPO = Path(__file__).resolve().parents[1]
INSTALLED = Path(oco.__file__).parent
# source folder → where setup.py installs it
LAYOUT = {"oco": "oco", "problems": "oco.problems"}


def source_packages() -> dict[str, Path]:
    out = {}
    for top, name in LAYOUT.items():
        for init in sorted((REPO / top).rglob("__init__.py")):
            rel = init.parent.relative_to(REPO / top)
            out[".".join([name, *rel.parts])] = init.parent
    return out


@pytest.mark.skipif(not (REPO / "cli.py").exists(), reason="not run from a source checkout")
@pytest.mark.parametrize("name", sorted(source_packages()))
def test_every_source_package_is_installed_whole(name):
    folder = source_packages()[name]
    module = importlib.import_module(name)
    installed = Path(module.__file__).parent
    missing = sorted(p.name for p in folder.glob("*.py") if not (installed / p.name).exists())
    assert not missing, f"{name}: {missing} not installed"


@pytest.mark.skipif(not (REPO / "cli.py").exists(), reason="not run from a source checkout")
def test_cli_is_installed_as_oco_cli():
    from oco import cli

    assert Path(cli.__file__).read_bytes() == (REPO / "cli.py").read_bytes()


@pytest.mark.skipif(INSTALLED == REPO / "oco", reason="the source tree (a checkout or pip install -e .), not a copy")
def test_only_oco_at_the_top_level():
    files = importlib.metadata.files("oco")
    assert files, "oco's RECORD lists no files"
    tops = {f.parts[0] for f in files if f.parts[0] != ".."}  # ../bin/oco: the console script
    assert {t for t in tops if not t.endswith(".dist-info")} == {"oco"}, tops


def test_python_m_oco(tmp_path):
    p = subprocess.run([sys.executable, "-m", "oco", "list"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "reddi-online" in p.stdout and "adam" in p.stdout
