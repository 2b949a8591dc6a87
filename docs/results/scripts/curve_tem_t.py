"""Print a training run's learning curve as a markdown table.

Run: python docs/results/scripts/curve_tem_t.py RUN/metrics.jsonl [every]
Also prints the first logged step at which revisit >= 0.95 and zero-shot >= 0.90.
"""

from __future__ import annotations

import json
import sys


def main(path: str, every: int = 500) -> None:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    print(
        "| step | wall time (min) | loss | revisit acc. | zero-shot acc. | first-visit acc. | steps/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if (
            r["step"] % every == 0
            or r["step"] in (100, 200, 300, 400, 600, 700, 800)
            or r is rows[-1]
        ):
            print(
                f"| {r['step']} | {r['wall_time_s'] / 60:.1f} | {r['loss']:.3f} | "
                f"{r['revisit_accuracy']:.4f} | {r['zero_shot_accuracy']:.4f} | "
                f"{r['first_visit_accuracy']:.4f} | {r['steps_per_s']:.2f} |"
            )
    hit = next(
        (r for r in rows if r["revisit_accuracy"] >= 0.95 and r["zero_shot_accuracy"] >= 0.90), None
    )
    if hit:
        print(
            f"\ncriterion (revisit >= 0.95 and zero-shot >= 0.90 over a logging window) first met "
            f"at step {hit['step']}, {hit['wall_time_s'] / 60:.1f} min of training"
        )
    total = rows[-1]
    print(
        f"run: {total['step']} steps in {total['wall_time_s'] / 60:.1f} min "
        f"({total['step'] / total['wall_time_s']:.2f} steps/s overall)"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500)
