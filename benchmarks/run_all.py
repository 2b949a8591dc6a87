"""Run every benchmark in this folder, one after the other (``make bench``).

Each benchmark prints its own numbers and writes a JSON record of them to
docs/results/records/<bench>.json (benchmarks/_record.py); see docs/results/ for recorded runs. The gridness
benchmark builds a separate virtual environment for opexebo on first use (needs the network
to PyPI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_gridness.py", "bench_classify.py", "bench_nwb.py", "bench_tem_t.py"]


def main() -> int:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent), OMP_NUM_THREADS="1")
    status = 0
    for name in BENCHMARKS:
        print(f"=== {name}", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent, env=env)
        print(f"=== {name} -> exit {rc}", flush=True)
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main())
