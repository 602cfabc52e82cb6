"""The house's layout: oco's modules import one another without a circle — imports inside functions counted —
and nothing below the plots package imports it (figures sit on top of the numbers, never under them)."""

from __future__ import annotations

import ast
from pathlib import Path

import oco
import oco.cli
import oco.problems

# module name → its source file, for the installed copy or the checkout alike
ROOTS = {"oco": Path(oco.__file__).parent, "oco.problems": Path(oco.problems.__file__).parent}


def modules() -> dict[str, Path]:
    out = {"oco.cli": Path(oco.cli.__file__)}
    for name, root in ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if name == "oco" and parts[:1] == ["problems"] or "__pycache__" in rel.parts:
                continue
            out[".".join([name, *parts])] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The oco modules that ``name`` imports anywhere in its source (top level or inside a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            # `from a import b`: the module a.b where there is one, else a name defined in a
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            # `import oco.a.b` and `from oco.a import b` reach the deepest module that exists
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found - {"oco"} if name != "oco" else found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports_inside_functions():
    g = graph()
    assert "oco.api" in g and "oco.cli" in g and "oco.problems.reddi" in g
    assert "oco.experiments" in g["oco.catalog"]  # imported inside a function there


def test_no_import_circle():
    assert cycles(graph()) == []


def test_nothing_below_imports_plots():
    g = graph()
    # the top: the command layer, the papers' experiments (numbers and their figures), oco.plot's lazy export
    allowed = {"oco", "oco.cli", "oco.experiments"}
    below = sorted(m for m, deps in g.items() if m not in allowed and not m.startswith("oco.plots")
                   and any(d == "oco.plots" or d.startswith("oco.plots.") for d in deps))
    assert below == []


if __name__ == "__main__":
    for c in cycles(graph()):
        print(len(c), " ".join(c))
