"""A model's revisit and zero-shot accuracy on fresh hexagonal worlds, over evaluation seeds.

Run: PYTHONPATH=. python docs/results/scripts/criterion_fresh_worlds.py CHECKPOINT|pretrained:NAME [more ...]
     [--seeds 2024 2025 2026 2027 2028] [--widths 6-9 8-11] [--steps 600] [--zero-shot 0.8]
For each model and width range: ``hippocore.zoo.evaluate_fresh_worlds``, i.e. ``evaluate``
on 16 fresh hexagonal worlds (four of each width, as the model cards' evaluation; new
observations per seed) under each evaluation seed, walks of ``steps`` steps. Prints every seed, the mean over seeds (the seeds' worlds pooled: summed
counts) and whether the zero-shot accuracy reaches ``--zero-shot`` on every seed, which is
how issue 13's "zero-shot >= 0.8 on fresh hexagonal worlds" is decided on the results page
(one set of 16 worlds varies by about +-0.01 from seed to seed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remap_tem_t import load  # noqa: E402

from hippocore.zoo import EVAL_SEEDS, evaluate_fresh_worlds  # noqa: E402


def widths_of(text: str) -> tuple[int, int]:
    """``"8-11"`` -> ``(8, 11)``."""
    try:
        lo, hi = (int(v) for v in text.split("-"))
    except ValueError:
        raise SystemExit(
            f"--widths {text!r}: give a range LO-HI of world widths, e.g. 8-11"
        ) from None
    return lo, hi


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--seeds", type=int, nargs="+", default=list(EVAL_SEEDS))
    p.add_argument("--widths", nargs="+", default=["6-9", "8-11"])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--zero-shot", type=float, default=0.8)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    for src in a.models:
        model = load(src).eval()
        print(f"{src} (step {model.trained_steps}), walks of {a.steps} steps:")
        for text in a.widths:
            res = evaluate_fresh_worlds(model, widths_of(text), seeds=a.seeds, n_steps=a.steps)
            for seed, ev in zip(res.seeds, res.per_seed, strict=True):
                print(
                    f"  worlds {text} wide, seed {seed}: revisit {ev.revisit_accuracy:.4f} "
                    f"(n={ev.n_revisits}), zero-shot {ev.zero_shot_accuracy:.4f} (n={ev.n_zero_shot})"
                )
            per_seed = [ev.zero_shot_accuracy for ev in res.per_seed]
            every = res.meets(0.0, a.zero_shot)
            print(
                f"  worlds {text} wide, {len(res.seeds)} seeds pooled: revisit "
                f"{res.revisit_accuracy:.4f}, zero-shot {res.zero_shot_accuracy:.4f} "
                f"(n={res.n_zero_shot}; seeds {min(per_seed):.4f}-{max(per_seed):.4f}); "
                f"zero-shot >= {a.zero_shot} on every seed: {'yes' if every else 'no'}"
            )


if __name__ == "__main__":
    main()
