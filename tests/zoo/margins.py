"""Measure what the zoo's training tests assert, over seeds and float paths.

The training tests assert properties with margins, not one machine's numbers. This script
shows the margins: it reruns the tiny training of ``test_tem_t.py`` for several seeds and
prints, per run, every quantity those tests compare with a bound. Run it under several of
torch's kernel paths to see other CPUs' float trajectories on one machine::

    for cap in default avx2 avx512; do
        ATEN_CPU_CAPABILITY=$cap OMP_NUM_THREADS=1 python tests/zoo/margins.py 0 6
        ATEN_CPU_CAPABILITY=$cap OMP_NUM_THREADS=1 python tests/zoo/margins.py 0 6 tem
    done

(the last argument ``tem`` measures ``test_tem.py``'s tiny TEM instead of TEM-t).

(``ATEN_CPU_CAPABILITY=default`` reproduced the Intel-only failure of the old
``loss falls by 0.5`` assertion on an AMD machine.)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_tem import TINY as TINY_TEM  # noqa: E402
from test_tem_t import TINY, _modular  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import as_config, evaluate, train  # noqa: E402


def measure(seed: int) -> dict[str, float]:
    d = json.loads(json.dumps(TINY))
    d["train"]["seed"] = seed
    with tempfile.TemporaryDirectory() as tmp:
        r = train(as_config(d), out=tmp, progress=False)
        first, last = r.metrics[0], r.metrics[-1]
        ev = evaluate(r.model, [make_world("hexagonal", 5), make_world("hex", 4)], 200, seed=3)
        d2 = json.loads(json.dumps(d))
        d2["train"].update(
            n_steps=1,
            log_every=1,
            lr=1e-7,
            lr_min=1e-8,
            init_from=os.path.join(tmp, "checkpoint.pt"),
        )
        ft = train(as_config(d2), progress=False)
    mod = train(
        _modular(
            n_steps=100,
            commute_loss=0.5,
            center_loss=1.0,
            path_loss=0.5,
            nonneg_loss=1.0,
            activity_loss=0.1,
            smooth_loss=[0.0, 0.1, 0.2, 0.4],
            seed=seed,
        ),
        progress=False,
    )
    return {
        "loss_drop": first["loss"] - last["loss"],
        "revisit_first": first["revisit_accuracy"],
        "revisit_last": last["revisit_accuracy"],
        "first_visit_last": last["first_visit_accuracy"],
        "eval_revisit": ev.revisit_accuracy,
        "eval_first_visit": ev.first_visit_accuracy,
        "finetune_revisit_step1": ft.metrics[0]["revisit_accuracy"],
        "modular_loss_drop": mod.metrics[0]["loss"] - mod.metrics[-1]["loss"],
    }


def measure_tem(seed: int) -> dict[str, float]:
    d = json.loads(json.dumps(TINY_TEM))
    d["train"]["seed"] = seed
    r = train(as_config(d), progress=False)
    first, last = r.metrics[0], r.metrics[-1]
    return {
        "loss_drop": first["loss"] - last["loss"],
        "revisit_last": last["revisit_accuracy"],
        "first_visit_last": last["first_visit_accuracy"],
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    cap = os.environ.get("ATEN_CPU_CAPABILITY", "native")
    lo, hi = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (0, 6)
    run = measure_tem if sys.argv[3:4] == ["tem"] else measure
    for seed in range(lo, hi):
        row = {k: round(v, 3) for k, v in run(seed).items()}
        print(json.dumps({"cpu_capability": cap, "seed": seed, **row}), flush=True)
