"""A model's revisit and zero-shot accuracy on fresh hexagonal worlds, over evaluation seeds.

Run: PYTHONPATH=. python docs/results/scripts/criterion_fresh_worlds.py CHECKPOINT|pretrained:NAME [more ...]
     [--seeds 2024 2025 2026 2027 2028] [--widths 6-9 8-11] [--steps 600] [--zero-shot 0.8]
For each model, width range and evaluation seed: ``evaluate`` on 16 fresh hexagonal worlds
(four of each width, as the model cards' evaluation; new observations per seed), walks of
``steps`` steps. Prints every seed, the mean over seeds (the seeds' worlds pooled: summed
counts) and whether the zero-shot accuracy reaches ``--zero-shot`` on every seed, which is
how issue 13's "zero-shot >= 0.8 on fresh hexagonal worlds" is decided on the results page
(one set of 16 worlds varies by about +-0.01 from seed to seed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import load  # noqa: E402

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import evaluate  # noqa: E402


def widths_of(text: str) -> np.ndarray:
    """``"8-11"`` -> the 16 widths 8, 8, 8, 8, 9, ... 11 (four of each, sorted)."""
    lo, hi = (int(v) for v in text.split("-"))
    if not 2 <= lo <= hi:
        raise SystemExit(f"--widths {text!r}: give a range LO-HI of world widths, 2 <= LO <= HI")
    return np.sort(np.resize(np.arange(lo, hi + 1), 16))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--seeds", type=int, nargs="+", default=[2024, 2025, 2026, 2027, 2028])
    p.add_argument("--widths", nargs="+", default=["6-9", "8-11"])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--zero-shot", type=float, default=0.8)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    for src in a.models:
        model = load(src).eval()
        print(f"{src} (step {model.trained_steps}), walks of {a.steps} steps:")
        for text in a.widths:
            worlds = [make_world("hexagonal", int(w)) for w in widths_of(text)]
            hits = {"revisit": [0, 0], "zero_shot": [0, 0]}
            per_seed = []
            for seed in a.seeds:
                ev = evaluate(model, worlds, a.steps, seed=seed)
                per_seed.append(ev.zero_shot_accuracy)
                hits["revisit"][0] += round(ev.revisit_accuracy * ev.n_revisits)
                hits["revisit"][1] += ev.n_revisits
                hits["zero_shot"][0] += round(ev.zero_shot_accuracy * ev.n_zero_shot)
                hits["zero_shot"][1] += ev.n_zero_shot
                print(
                    f"  worlds {text} wide, seed {seed}: revisit {ev.revisit_accuracy:.4f} "
                    f"(n={ev.n_revisits}), zero-shot {ev.zero_shot_accuracy:.4f} (n={ev.n_zero_shot})"
                )
            rv, zs = (hits[k][0] / hits[k][1] for k in ("revisit", "zero_shot"))
            every = all(v >= a.zero_shot for v in per_seed)
            print(
                f"  worlds {text} wide, {len(a.seeds)} seeds pooled: revisit {rv:.4f}, zero-shot "
                f"{zs:.4f} (n={hits['zero_shot'][1]}; seeds {min(per_seed):.4f}-{max(per_seed):.4f}); "
                f"zero-shot >= {a.zero_shot} on every seed: {'yes' if every else 'no'}"
            )


if __name__ == "__main__":
    main()
