"""``benchmarks/`` holds benchmarks only, and each writes a JSON record (issue 17, item 6).

One-off diagnostics live beside the results pages that quote them (``docs/results/scripts/``)
and release tools in ``tools/``; a file that does not record its run does not belong here.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
HELPERS = {
    "_record.py": "writes the records",
    "run_all.py": "runs every benchmark (make bench); each records itself",
}
# Not yet recording, with the reason; remove an entry when its benchmark records.
PENDING: dict[str, str] = {}


def _records(path: Path) -> bool:
    """Whether the file runs its main inside ``recording("<its stem>")`` from ``_record``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = any(
        isinstance(n, ast.ImportFrom)
        and n.module == "_record"
        and any(a.name == "recording" for a in n.names)
        for n in ast.walk(tree)
    )
    calls = any(
        isinstance(n, ast.Call)
        and getattr(n.func, "id", None) == "recording"
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and n.args[0].value == path.stem
        for n in ast.walk(tree)
    )
    return imports and calls


def test_every_file_in_benchmarks_is_a_recording_benchmark():
    bad = []
    for path in sorted(BENCH.glob("*.py")):
        if path.name in HELPERS or path.name in PENDING:
            continue
        if not path.name.startswith("bench_"):
            bad.append(f"{path.name}: not a benchmark (name bench_*.py); diagnostics go to "
                       "docs/results/scripts/, tools to tools/")  # fmt: skip
        elif not _records(path):
            bad.append(f'{path.name}: does not run inside recording("{path.stem}")')
    assert not bad, bad
    assert all((BENCH / name).is_file() for name in [*HELPERS, *PENDING]), "stale entry"


def test_the_check_catches_a_diagnostic(tmp_path):
    quiet = tmp_path / "bench_quiet.py"
    quiet.write_text('if __name__ == "__main__":\n    print(1)\n')
    loud = tmp_path / "bench_loud.py"
    loud.write_text(
        'if __name__ == "__main__":\n    from _record import recording\n\n'
        '    with recording("bench_loud"):\n        print(1)\n'
    )
    assert not _records(quiet) and _records(loud)


@pytest.fixture
def record_module(monkeypatch):
    spec = importlib.util.spec_from_file_location("_record", BENCH / "_record.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "_record", module)
    spec.loader.exec_module(module)
    return module


def test_a_run_writes_its_record_and_a_failure_none(record_module, tmp_path, monkeypatch, capsys):
    target = tmp_path / "out" / "r.json"
    monkeypatch.setattr(sys, "argv", ["bench_x.py", "7", "--record", str(target), "--fast"])
    with record_module.recording("bench_x") as rec:
        assert sys.argv == ["bench_x.py", "7", "--fast"]  # the record options are taken out
        print("median 1.25 ms/step")
        rec.figures["ms_per_step"] = 1.25
    assert "median 1.25 ms/step" in capsys.readouterr().out
    data = json.loads(target.read_text())
    assert data["bench"] == "bench_x" and data["printed"] == ["median 1.25 ms/step"]
    assert data["figures"] == {"ms_per_step": 1.25}
    assert data["command"].endswith("bench_x.py 7 --record " + str(target) + " --fast")
    assert data["machine"]["cores"] >= 1 and data["versions"]["numpy"]
    assert set(data["git"]) == {"commit", "dirty"}
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]  # no temporary left

    failed = tmp_path / "failed.json"
    monkeypatch.setattr(sys, "argv", ["bench_x.py", f"--record={failed}"])
    with pytest.raises(RuntimeError), record_module.recording("bench_x"):
        raise RuntimeError("boom")
    assert not failed.exists()
    monkeypatch.setattr(sys, "argv", ["bench_x.py", "--no-record"])
    with record_module.recording("bench_x") as rec:
        pass
    assert rec.target is None
