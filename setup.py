"""Packaging: the repository keeps the design card's layout (``oco/`` the engine, ``problems/`` the loss
sequences, ``cli.py`` the command layer, all at the top), and the install puts all three inside the one
``oco`` namespace: ``oco``, ``oco.problems``, ``oco.cli``. Only ``oco`` lands at the top of site-packages.

Packages are found, not listed: every folder with an ``__init__.py`` under ``oco/`` and ``problems/``.
Metadata lives in pyproject.toml.
"""

import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

PACKAGES = find_packages(include=["oco", "oco.*"]) + [
    "oco." + p for p in find_packages(include=["problems", "problems.*"])
]


class build_py_cli(build_py):
    """Install the top-level ``cli.py`` as the module ``oco.cli``."""

    def run(self):
        super().run()
        if not self.editable_mode:
            self.copy_file("cli.py", os.path.join(self.build_lib, "oco", "cli.py"), preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, "oco", "cli.py")]

    def get_output_mapping(self):
        return {**super().get_output_mapping(), os.path.join(self.build_lib, "oco", "cli.py"): "cli.py"}


setup(packages=PACKAGES, package_dir={"oco.problems": "problems"}, cmdclass={"build_py": build_py_cli})
