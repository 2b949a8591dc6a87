"""Size limits of issue 17: no function over 80 lines of code, no file over 600 lines.

Lines of code are the function's lines without its docstring, blank lines and comment-only
lines (signature and decorators included). Every module of ``hippocore/`` is measured, the
offenders are printed, and all must comply except the files in :data:`EXEMPT`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "hippocore"
MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 600
# Files not yet held to the limits, each with the reason. Keep this list short and shrinking:
# a file leaves it when it is split, and nothing is added to it.
EXEMPT: dict[str, str] = {}


def _code_lines(lines: list[str], node: ast.AST) -> int:
    """Lines of ``node`` without docstring, blank and comment-only lines."""
    skip: set[int] = set()
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    count = 0
    for no in range(first, node.end_lineno + 1):
        text = lines[no - 1].strip()
        if no in skip or not text or text.startswith("#"):
            continue
        count += 1
    return count


def measure(root: Path = ROOT) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
    """``(long files, long functions)`` under ``root``: (path, lines), (path, name, lines)."""
    files, functions = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if len(lines) > MAX_FILE_LINES:
            files.append((rel, len(lines)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(lines, node)
                if n > MAX_FUNCTION_LINES:
                    functions.append((rel, node.name, n))
    return files, functions


def _enforced(path: str) -> bool:
    return path not in EXEMPT


def test_code_size_limits():
    files, functions = measure()
    for path, n in files:
        print(f"file over {MAX_FILE_LINES} lines: {path} ({n})")
    for path, name, n in functions:
        print(f"function over {MAX_FUNCTION_LINES} lines of code: {path}:{name} ({n})")
    bad = [f for f in files if _enforced(f[0])] + [f for f in functions if _enforced(f[0])]
    assert not bad, f"over the size limits (exempt: {sorted(EXEMPT)}): {bad}"


def test_the_exemptions_exist():
    # a stale entry (file renamed or split away) must go, so the list cannot hide new files
    missing = [path for path in EXEMPT if not (ROOT.parent / path).is_file()]
    assert not missing, f"EXEMPT names files that do not exist: {missing}"


def test_the_measure_counts_code_only(tmp_path):
    pkg = tmp_path / "hippocore" / "analysis"
    pkg.mkdir(parents=True)
    body = "\n".join(f"    x{i} = {i}  # code" for i in range(MAX_FUNCTION_LINES))
    doc = '    """Doc.\n\n    More doc.\n    """\n'
    fits = "\n".join(body.splitlines()[1:])  # with the def line: exactly the limit
    (pkg / "a.py").write_text(f"def short():\n{doc}    # a comment\n\n{fits}\n")
    (pkg / "b.py").write_text(f"def long():\n{body}\n    return 1\n" + "\n" * MAX_FILE_LINES)
    files, functions = measure(tmp_path / "hippocore")
    assert [f[0] for f in files] == ["hippocore/analysis/b.py"]
    assert [(f[1], f[2]) for f in functions] == [("long", MAX_FUNCTION_LINES + 2)]


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-s", "-q"])
