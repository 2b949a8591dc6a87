"""The docs run: every Python block of README.md and docs/*.md is executed, so examples cannot rot.

How blocks are found
    Fenced blocks (```` ``` ```` or ``~~~``, indented or not) of ``README.md`` and every
    ``docs/*.md`` guide. Every fence in these files must name its language: ``python`` (or
    ``py``) blocks run; anything else (``bash``, ``text``, ``toml`` ...) is not Python and is
    not run. A fence without a language is an error here, so a Python example can never be
    skipped by forgetting its tag.

    ``docs/results/*.md`` are records of measurement runs (the command, its printed output and
    the commit it ran at; the commands take minutes to hours), not examples: they are not run,
    and a test below checks that they hold no ``python`` block, so an example added there fails
    until it is moved to a guide.

How blocks are run
    One test per block (id ``FILE:LINE`` of its opening fence), in a **fresh namespace per
    block**: every example must work when pasted alone, imports included (a reader copies one
    block, not a page). The working directory is a temporary folder ``<tmp>/repo`` (files the
    examples write land there, never in the repository) beside ``<tmp>/shared/data`` -> the
    team's ``../shared/data``, so the examples' ``../shared/data/sargolini2006/...`` paths mean
    what they mean from the repository root. Blocks run in this pytest process, so imports
    another test made are already there; what a fresh interpreter must manage (``ds.hc`` after a
    bare ``import hippocore``) is checked in ``tests/test_import_boundary.py``. pytest's
    ``filterwarnings = error`` applies: an example that warns fails. Tracebacks point at the
    Markdown file's own lines.

What a block needs (found from its text, nothing to mark)
    A block that mentions ``../shared/data/`` needs the Sargolini et al. (2006) recordings; a
    block that mentions ``hippocore.zoo`` needs torch. When a need is not met the block is
    *skipped* with the reason (shown by ``-ra``); the other blocks still run.

Marking a Python block (an HTML comment on the line just before its fence; invisible when
rendered; unknown markers and markers without a reason fail the fence test)
    ``<!-- docs-test: no-run REASON -->``: shown, never run (e.g. it needs a file only the reader
    has); reported as a skip with REASON. No block uses it today.
    ``<!-- docs-test: xfail REASON -->``: run, and must raise (a known library bug, named in
    REASON); once the bug is fixed the test fails until the marker is removed. No block uses it
    today.
"""

from __future__ import annotations

import importlib.util
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"  # as in tests/conftest.py: ../shared beside the repo
SARGOLINI = SHARED_DATA / "sargolini2006"
GUIDES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RESULTS = sorted((REPO / "docs" / "results").glob("*.md"))
RUN_LANGS = {"python", "py"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARK = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<what>\S+)\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    mark: str | None = None  # "no-run" or "xfail"
    reason: str = ""

    @property
    def where(self) -> str:
        path = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{path}:{self.line}"

    def needs(self) -> str | None:
        """Why this block cannot run here, or None."""
        if "../shared/data/" in self.code and not (SARGOLINI / "10073-17010302_POS.mat").exists():
            return f"the Sargolini 2006 data are not at {SARGOLINI} (../shared/data/sargolini2006)"
        if re.search(r"hippocore\.zoo\b", self.code) and importlib.util.find_spec("torch") is None:
            return "torch is not installed (the zoo extra)"
        return None


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with the marker comment just above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = m["indent"], m["fence"]
        info = m["info"].strip()
        lang = info.split()[0].lower() if info else ""
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if close and close["fence"][0] == fence[0] and len(close["fence"]) >= len(fence):
                if not close["info"].strip():
                    break
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            i += 1
        else:
            raise AssertionError(f"{path.relative_to(REPO)}:{start + 1}: unclosed code fence")
        mark, reason = None, ""
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        if prev >= 0 and (mm := _MARK.match(lines[prev])):
            mark, reason = mm["what"], mm["reason"]
        # Leading blank lines keep the Markdown line numbers in tracebacks.
        code = "\n" * (start + 1) + "\n".join(body) + "\n"
        found.append(Block(path, start + 1, lang, code, mark, reason))
        i += 1
    return found


def test_block_parser_reads_languages_markers_indents_and_nested_fences(tmp_path):
    md = tmp_path / "page.md"
    md.write_text(
        "text\n"
        "```bash\nmake test\n```\n"
        "<!-- docs-test: no-run needs the reader's own file -->\n"
        "\n"
        "```python\nread('mine.nwb')\n```\n"
        "- item\n"
        "  ```python\n  x = 1\n\n  y = x + 1\n  ```\n"
        "````text\n```python\nnot a block\n```\n````\n"
        "```\nuntagged\n```\n",
        encoding="utf-8",
    )
    found = blocks(md)
    assert [(b.line, b.lang, b.mark) for b in found] == [
        (2, "bash", None),
        (7, "python", "no-run"),
        (11, "python", None),
        (16, "text", None),
        (21, "", None),
    ]
    assert found[1].reason == "needs the reader's own file"
    assert found[2].code.strip() == "x = 1\n\ny = x + 1"
    assert found[2].code.count("\n") == 11 + 3  # Markdown line numbers kept for tracebacks
    assert "not a block" in found[3].code


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_fence_names_its_language_and_marks_are_known(path):
    problems = []
    for b in blocks(path):
        if not b.lang:
            problems.append(
                f"{b.where}: fence without a language; use ```python to run it or "
                "```text / ```bash / ... for anything that is not a Python example"
            )
        if b.mark is not None:
            if b.mark not in ("no-run", "xfail"):
                problems.append(f"{b.where}: unknown marker 'docs-test: {b.mark}'")
            elif not b.reason:
                problems.append(f"{b.where}: 'docs-test: {b.mark}' needs a reason")
            elif b.lang not in RUN_LANGS:
                problems.append(f"{b.where}: 'docs-test: {b.mark}' on a non-Python block")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: str(p.relative_to(REPO)))
def test_results_pages_hold_no_examples(path):
    runnable = [b.where for b in blocks(path) if b.lang in RUN_LANGS]
    assert not runnable, (
        f"python blocks in a results page are not run by this test: {runnable}; "
        "move the example to a guide in docs/ (or README.md)"
    )


@pytest.fixture
def docs_cwd(tmp_path, monkeypatch):
    """``<tmp>/repo`` as working directory, with ``<tmp>/shared/data`` -> the shared data."""
    work = tmp_path / "repo"
    work.mkdir()
    if SHARED_DATA.is_dir():
        (tmp_path / "shared").mkdir()
        os.symlink(SHARED_DATA, tmp_path / "shared" / "data", target_is_directory=True)
    monkeypatch.chdir(work)
    return work


PYTHON_BLOCKS = [b for path in GUIDES for b in blocks(path) if b.lang in RUN_LANGS]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.where)
def test_python_block_runs(block, docs_cwd):
    if block.mark == "no-run":
        pytest.skip(f"marked no-run in the doc: {block.reason}")
    if (why := block.needs()) is not None:
        pytest.skip(why)
    code = compile(block.code, str(block.path), "exec")
    namespace: dict = {"__name__": "__docs__"}
    if block.mark == "xfail":
        with pytest.raises(Exception):  # noqa: B017 - any error: the block documents a known bug
            exec(code, namespace)
        return
    failure = None
    try:
        exec(code, namespace)
    except Exception as err:  # name the block; the traceback points into the Markdown file
        failure = "".join(traceback.format_exception(err))
    if failure is not None:
        pytest.fail(f"{block.where}: the example raised\n{failure}", pytrace=False)
