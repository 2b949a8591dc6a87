"""The examples/ scripts run end to end (fast settings: few shuffles, short walks)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SARGOLINI = REPO.parent / "shared" / "data" / "sargolini2006"
needs_data = pytest.mark.skipif(
    not (SARGOLINI / "10073-17010302_POS.mat").exists(),
    reason=f"Sargolini 2006 data not found at {SARGOLINI} (../shared/data/sargolini2006)",
)
needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch is not installed (the zoo extra)"
)


def run(script, *args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


def n_rows(html):
    return len(re.findall(r'<tr id="row-', html))


def test_every_example_is_tested():
    tested = {"kavli_report.py", "model_beside_lab.py", "train_and_report.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@needs_data
def test_kavli_report(tmp_path):
    out = run("kavli_report.py", "--shuffles", "3", "--out", "s", cwd=tmp_path)
    assert "wrote s.csv" in out
    csv = (tmp_path / "s.csv").read_text().splitlines()
    assert csv[0].startswith("unit,") and "gridness_p95" in csv[0] and len(csv) == 1 + 8
    assert n_rows((tmp_path / "s.html").read_text()) == 8


@needs_data
@needs_torch
def test_model_beside_lab(tmp_path):
    run("model_beside_lab.py", "--steps", "450", "--shuffles", "3", "--out", "r.html", cwd=tmp_path)
    html = (tmp_path / "r.html").read_text()
    from hippocore.zoo import pretrained

    n_position = pretrained("tem-t").config.model.n_e  # the example's model units
    assert n_rows(html) == 8 + n_position and "Gridness by item" in html


@needs_torch
def test_train_and_report(tmp_path):
    run("train_and_report.py", "--steps", "2", "--walk", "450", "--shuffles", "3",
        "--out", "run", cwd=tmp_path)  # fmt: skip
    run_dir = tmp_path / "run"
    assert {"metrics.jsonl", "config.toml", "model.nwb", "report.html"} <= {
        p.name for p in run_dir.iterdir()
    }
    html = (run_dir / "report.html").read_text()
    from hippocore.zoo import TEMTConfig

    assert n_rows(html) == TEMTConfig().model.n_e and "training run" in html  # position units
