"""The house in numbers: the largest modules and functions of oco (lines), and its import circles.

    python scripts/house.py

Counts every module of ``oco``, ``problems/`` and ``cli.py`` in the repository this script lies in; a
function's lines run from its ``def`` to its last statement (nested functions counted in their parent too).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sources() -> list[Path]:
    return [REPO / "cli.py", *sorted((REPO / "oco").rglob("*.py")), *sorted((REPO / "problems").rglob("*.py"))]


def main() -> None:
    modules, functions = [], []
    for path in sources():
        text = path.read_text()
        rel = str(path.relative_to(REPO))
        modules.append((len(text.splitlines()), rel))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{rel}:{node.name}"))
    print(f"{sum(n for n, _ in modules)} lines in {len(modules)} modules")
    print("largest modules:", ", ".join(f"{p} {n}" for n, p in sorted(modules, reverse=True)[:5]))
    print("largest functions:", ", ".join(f"{p} {n}" for n, p in sorted(functions, reverse=True)[:5]))
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))
    from test_layout import cycles, graph

    circles = cycles(graph())
    print(f"import circles: {len(circles)}" + "".join(f"\n  {len(c)}: {' '.join(c)}" for c in circles))


if __name__ == "__main__":
    main()
