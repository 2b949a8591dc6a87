"""Copy a finished default TEM-t run into the package as the pretrained checkpoint + card.

Run: PYTHONPATH=. python tools/ship_pretrained.py RUN_DIR "TRAIN COMMAND"
Writes hippocore/zoo/pretrained/tem-t.pt (weights only, no training state) and tem-t.json.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

from hippocore._version import __version__
from hippocore.envs import make_world
from hippocore.zoo import (
    TEMTConfig,
    evaluate,
    export_weights,
    grid_summary,
    load_checkpoint,
    read_checkpoint,
)

DEST = Path(__file__).resolve().parents[1] / "hippocore" / "zoo" / "pretrained"


def main(run: str, command: str) -> None:
    run_dir = Path(run)
    payload = read_checkpoint(run_dir / "checkpoint.pt")
    model, cfg = load_checkpoint(run_dir / "checkpoint.pt")
    if cfg != TEMTConfig():
        raise SystemExit("the run's config is not the default TEMTConfig(); refusing to ship it")
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x]
    hit = next(
        (r for r in rows if r["revisit_accuracy"] >= 0.95 and r["zero_shot_accuracy"] >= 0.90), None
    )
    torch.set_num_threads(1)
    worlds = [make_world("hexagonal", w) for w in (6, 7, 8, 9) for _ in range(4)]
    ev = evaluate(model, worlds, 600, seed=2024)
    grids = {}
    for width in (11, 15):  # the controlled grid-unit test of issue 12, two fresh walks each
        runs = [
            grid_summary(model, make_world("hexagonal", width), 50 * width * width, seed=s)
            for s in (0, 1)
        ]
        grids[f"hexagonal_{width}x{width}"] = {
            "grid_fraction_per_walk": [r.grid_fraction for r in runs],
            "median_gridness_per_walk": [float(np.nanmedian(r.score)) for r in runs],
            "walk_seeds": [0, 1],
        }
    DEST.mkdir(exist_ok=True)
    export_weights(run_dir / "checkpoint.pt", DEST / "tem-t.pt")
    card = {
        "model": "tem-t",
        "config": "TEMTConfig() (the default)",
        "step": payload["step"],
        "command": "python -m hippocore train   (same as `make train`; this copy was trained with: "
        + command
        + ")",
        "ship_command": f"PYTHONPATH=. python tools/ship_pretrained.py {run} '{command}'",
        "training_wall_time_min": round(rows[-1]["wall_time_s"] / 60, 1),
        "criterion_first_met": None
        if hit is None
        else {"step": hit["step"], "wall_time_min": round(hit["wall_time_s"] / 60, 1)},
        "final_training_window": rows[-1],
        "evaluate_16_hex_worlds_6to9_600_steps_seed2024": {
            "revisit_accuracy": ev.revisit_accuracy,
            "zero_shot_accuracy": ev.zero_shot_accuracy,
            "first_visit_accuracy": ev.first_visit_accuracy,
            "n_revisits": ev.n_revisits,
            "n_zero_shot": ev.n_zero_shot,
        },
        "grid_units_lattice_grid_units_per_unit_null_100_shuffles": grids,
        "machine": f"2-core Linux VM ({platform.processor() or 'AMD EPYC'}), shared with other jobs",
        "versions": {
            "hippocore": __version__,
            "torch": str(torch.__version__),
            "python": platform.python_version(),
        },
        "git_sha": payload["git_sha"],
    }
    (DEST / "tem-t.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
