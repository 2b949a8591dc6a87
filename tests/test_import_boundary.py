"""The light layers must import without torch; the zoo must import with it."""

import subprocess
import sys

import pytest

LIGHT = [
    "hippocore",
    "hippocore.schema",
    "hippocore.envs",
    "hippocore.testing",
    "hippocore.analysis",
    "hippocore.io",
]


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


def test_zoo_imports_with_torch():
    pytest.importorskip("torch")
    res = _run("import sys, hippocore.zoo; print('torch' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"
