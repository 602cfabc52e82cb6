"""The README and the pages under docs/ say what is true: every ```python block runs, every `oco …` line of a
```bash block parses against the command's real options and runs, and every link resolves.

A page's blocks run in order in one temporary folder (a ```python block whose first line is ``# NAME.py`` is
also written there as that file, for the commands after it), sharing one namespace. A block marked with
``<!-- not run -->`` on the line before is illustration: a python block is skipped, a bash block's ``oco``
lines are only parsed. A block that needs an optional package (torch, optax, pandas, dask) that is not
installed skips the rest of its page. An ``oco`` line whose comment says "exit status N" must exit with N,
any other with 0."""

from __future__ import annotations

import importlib.util
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from oco import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = "<!-- not run -->"
OPTIONAL = ("torch", "optax", "jax", "pandas", "dask", "distributed")
MISSING = [name for name in OPTIONAL if importlib.util.find_spec(name) is None]


@dataclass
class Block:
    lang: str
    code: str
    line: int  # the line of the opening fence, 1-based
    run: bool


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        marked = i > 0 and lines[i - 1].strip() == NOT_RUN
        found.append(Block(fence.group(1), "\n".join(lines[i + 1:end]), i + 1, not marked))
        i = end + 1
    return found


def oco_lines(code: str) -> list[str]:
    """The ``oco …`` commands of a shell block, continuation lines joined."""
    joined = re.sub(r"\s*\\\n\s*", " ", code)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("oco ")
            or line.strip() == "oco"]


def expected_status(line: str) -> int:
    comment = line.partition(" #")[2]
    said = re.search(r"exit status (\d+)", comment)
    return int(said.group(1)) if said else 0


GROUP = typer.main.get_command(cli.app)
# click's base of usage errors (typer may vendor its own click)
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def parse(argv: list[str]) -> None:
    """Parse argv as the oco command would, without running it: the command and every option exist and every
    value has its option's type (click raises a UsageError otherwise)."""
    ctx = GROUP.context_class(GROUP, info_name="oco")
    command = GROUP.get_command(ctx, argv[0])
    assert command is not None, f"no command {argv[0]!r}"
    command.make_context(argv[0], list(argv[1:]), parent=ctx)


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def missing_optional(e: BaseException) -> str | None:
    """The optional package whose absence raised ``e`` (None when something else did)."""
    if isinstance(e, ModuleNotFoundError) and e.name and e.name.split(".")[0] in MISSING:
        return e.name
    return next((name for name in MISSING if name in str(e)), None)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    runner = CliRunner()
    for b in blocks(page):
        where = f"{page_id(page)}:{b.line}"
        if b.lang == "python" and b.run:
            first = b.code.splitlines()[0] if b.code else ""
            named = re.fullmatch(r"#\s*(\w+\.py)\s*", first)
            if named:
                (tmp_path / named.group(1)).write_text(b.code, encoding="utf-8")
            try:
                exec(compile(b.code, where, "exec"), namespace)
            except Exception as e:
                if missing_optional(e):
                    pytest.skip(f"{where} needs {missing_optional(e)}, not installed")
                raise AssertionError(f"the python block at {where} fails: {e!r}") from e
        elif b.lang == "bash":
            for line in oco_lines(b.code):
                argv = shlex.split(line, comments=True)[1:]
                try:
                    parse(argv)
                except ClickException as e:
                    raise AssertionError(f"{where}: `{line}` does not parse: {e.format_message()}") from e
                if not b.run:
                    continue
                r = runner.invoke(cli.app, argv)
                if r.exit_code != expected_status(line) and missing_optional(Exception(r.output)):
                    pytest.skip(f"{where} needs {missing_optional(Exception(r.output))}, not installed")
                assert r.exit_code == expected_status(line) and "internal error" not in r.output, (
                    f"{where}: `{line}` exits {r.exit_code}, not {expected_status(line)}\n{r.output}\n"
                    f"{r.exception!r}")


def test_a_marked_block_is_not_run_but_parsed(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"{NOT_RUN}\n```python\nraise SystemExit\n```\n"
                    "```bash\noco run --T 5 \\\n  --quiet\n```\n")
    found = blocks(page)
    assert [(b.lang, b.run) for b in found] == [("python", False), ("bash", True)]
    assert oco_lines(found[1].code) == ["oco run --T 5 --quiet"]
    parse(["run", "--T", "5"])
    with pytest.raises(ClickException):
        parse(["run", "--no-such-option"])
    with pytest.raises(ClickException):
        parse(["run", "--T", "1e7"])  # --T is an integer
    assert expected_status("oco diff a b   # exit status 1: they differ") == 1


# ---------------------------------------------------------------- links
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def prose(path: Path) -> str:
    """The page without its fenced code blocks (a link inside one is not a link)."""
    return re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)


def anchors(path: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", prose(path), flags=re.M)}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_links_resolve(page):
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, f"{page_id(page)}: " + "; ".join(broken)


# the repository's own paths named in the prose (`oco/engine.py`, `tests/test_cli.py`, …) exist
REPO_PATH = re.compile(r"^(oco|problems|tests|benchmarks|scripts|figures|\.ci)/[\w./*-]*$|^cli\.py$")


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_paths_named_exist(page):
    named = {t.rstrip("/") for t in re.findall(r"`([^`\s]+)`", prose(page)) if REPO_PATH.match(t)}
    placeholders = {t for t in named if re.search(r"\b[A-Z]{3,}\b", t)}  # figures/NAME, DIR/…
    gone = sorted(t for t in named - placeholders if not list(ROOT.glob(t)))
    assert not gone, f"{page_id(page)} names files that do not exist: {gone}"


def test_every_page_is_linked_from_the_readme():
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in LINK.findall(prose(ROOT / "README.md"))}
    assert [page_id(p) for p in PAGES[1:] if p.resolve() not in linked] == []


def test_the_readme_keeps_the_two_set_up_commands():
    """.ci/run relies on them: a plain install then `oco run`; the test command ends in `pytest -q`."""
    shell = [b.code for b in blocks(ROOT / "README.md") if b.lang == "bash"]
    assert shell[0] == "pip install . && oco run"
    assert shell[1].startswith("pip install torch==2.13.0 && ") and shell[1].endswith(
        "&& pip install '.[test,dask,pandas,jax]' && pytest -q")
