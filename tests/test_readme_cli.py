"""The README's ``bash`` sessions of ``hippocore`` commands run as written, from a fresh folder.

Each block whose lines are all ``hippocore ...`` (or ``printf`` making a config) runs in its own
temporary folder beside a ``../shared`` link, with ``set -e``, so a new user copying it gets
what the README promises. Skipped when ../shared/data is absent (the blocks read it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if lines and all(ln.startswith(("hippocore ", "printf ")) for ln in lines):
            out.append(block)
    return out


BLOCKS = _blocks()


def test_the_readme_has_the_three_cli_sessions():
    assert len(BLOCKS) >= 3
    joined = "\n".join(BLOCKS)
    for command in ("convert", "score", "report", "train", "export"):
        assert f"hippocore {command} " in joined


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="../shared/data is not here")
def _name(block: str) -> str:
    """``convert-score-report``: the block's commands, as a test id."""
    words = [ln.split()[1] for ln in block.splitlines() if ln.startswith("hippocore ")]
    return "-".join(dict.fromkeys(words))


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{i}:{_name(b)}" for i, b in enumerate(BLOCKS)])
def test_readme_cli_block_runs(block, tmp_path):
    work = tmp_path / "repo"
    work.mkdir()
    (tmp_path / "shared").symlink_to(SHARED)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env["OMP_NUM_THREADS"] = "1"
    res = subprocess.run(
        ["bash", "-ec", block], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    for out in re.findall(r"-o (\S+\.(?:html|csv|nwb))", block):
        assert (work / out).stat().st_size > 0, out
