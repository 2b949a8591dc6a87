"""Who may import whom: the table of docs/architecture.md, checked against the code.

The table is parsed from the document, so the document and this test cannot drift: static
imports of ``hippocore`` parts must be listed in the importing part's row, torch and
matplotlib may appear only in the rows that name them, and the parts without torch import
without it in a fresh interpreter.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
SHARED = {"_checks", "_version"}  # helpers every part may import


def _table() -> dict[str, set[str]]:
    """``{part: allowed imports}`` from the table rows of docs/architecture.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `hippocore\.(\w+)` \|.*\| ([^|]+) \|$", line)
        if m:
            rows[m.group(1)] = {w.strip() for w in m.group(2).split(",")}
    return rows


TABLE = _table()
PARTS = set(TABLE)
# parts importable without torch (matplotlib is imported when a figure is drawn, not on import)
LIGHT = ["hippocore"] + [f"hippocore.{p}" for p in sorted(PARTS) if "torch" not in TABLE[p]]
LIGHT = [m for m in LIGHT if m != "hippocore.cli"]


def _imports(part: str):
    """(module file, imported name) of every import statement in a part, lazy ones included."""
    base = ROOT / "hippocore" / part
    files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    for f in files:
        rel = f.relative_to(ROOT).with_suffix("").parts
        pkg = list(rel if f.name == "__init__.py" else rel[:-1])
        if f.name == "__init__.py":
            pkg = pkg[:-1]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from ((f, a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    head = pkg[: len(pkg) - node.level + 1]
                    yield f, ".".join(head + ([node.module] if node.module else []))
                else:
                    yield f, node.module


def test_the_table_names_every_part():
    assert PARTS == {
        "schema",
        "envs",
        "testing",
        "analysis",
        "io",
        "zoo",
        "plotting",
        "workflows",
        "cli",
    }
    assert "torch" in TABLE["zoo"] and "torch" not in TABLE["analysis"]


@pytest.mark.parametrize("part", sorted(PARTS))
def test_imports_follow_the_architecture_table(part):
    allowed = TABLE[part]
    if "everything" in allowed:
        return
    bad = []
    for f, name in _imports(part):
        top = name.split(".")
        if top[0] == "hippocore" and len(top) > 1:
            other = top[1]
            if other != part and other not in SHARED and other not in allowed:
                bad.append(f"{f.relative_to(ROOT)} imports {name}")
        elif top[0] in ("torch", "matplotlib") and top[0] not in allowed:
            bad.append(f"{f.relative_to(ROOT)} imports {name}")
    assert not bad, f"not allowed by docs/architecture.md for {part}: {bad}"


def test_the_check_catches_a_forbidden_import(tmp_path, monkeypatch):
    fake = tmp_path / "hippocore" / "analysis"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("def f():\n    import torch\n    from ..io import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="imports torch"):
        test_imports_follow_the_architecture_table("analysis")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_light_layers_never_import_torch():
    code = (
        "import sys\n" + "".join(f"import {m}\n" for m in LIGHT) + "print('torch' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_light_layers_never_import_matplotlib():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in LIGHT)
        + "print('matplotlib' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_plotting_draws_without_torch_or_pyplot():
    # Plotting takes data, never a model: drawing a full gallery must not load torch, and
    # figures are made without pyplot, so no global figure state is created or leaked.
    pytest.importorskip("matplotlib")
    code = (
        "import io, sys\n"
        "import numpy as np\n"
        "from hippocore.envs import make_world\n"
        "from hippocore.plotting import unit_gallery\n"
        "w = make_world('hexagonal', 5)\n"
        "rng = np.random.default_rng(0)\n"
        "fig = unit_gallery(w, rng.random((4, w.n_nodes)), rng.random((4, 9, 9)) - 0.5)\n"
        "fig.savefig(io.BytesIO(), format='png', dpi=30)\n"
        "print(sorted(m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules), "
        "'matplotlib' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["[]", "True"]


def test_zoo_imports_with_torch():
    pytest.importorskip("torch")
    res = _run("import sys, hippocore.zoo; print('torch' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"


def test_hc_accessor_works_after_a_bare_import_hippocore_which_stays_light():
    # ds.hc must not need `import hippocore.analysis` first (issue 11, item 7), and registering
    # it must not make `import hippocore` load the analysis layer (scipy, scikit-image).
    code = (
        "import sys\n"
        "import hippocore\n"
        "heavy = sorted(m for m in ('hippocore.analysis', 'scipy', 'skimage', 'torch') "
        "if m in sys.modules)\n"
        "from hippocore.testing import synthetic_recording\n"
        "ds = synthetic_recording(60, seed=0)\n"
        "maps = ds.hc.rate_map(bin_size=0.05, limits=(0, 1, 0, 1))\n"
        "print(heavy, type(ds.hc).__name__, maps.rate.shape, ds.hc is ds.hc)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["[]", "HippocoreAccessor", "(10,", "20,", "20)", "True"]
