"""Print a training run's learning curve as a markdown table.

Run: python docs/results/scripts/curve_tem_t.py RUN/metrics.jsonl [every] [--means FROM]
Also prints the first logged step at which revisit >= 0.95 and zero-shot >= 0.90.
``--means FROM``: instead, the mean revisit and zero-shot accuracy of the logging windows in
each block of ``every`` steps from step FROM on (the "2,500-step means" of the results pages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def read_rows(path: str) -> list[dict]:
    """The logging windows of a run's ``metrics.jsonl``, in order."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def main(path: str, every: int = 500) -> None:
    rows = read_rows(path)
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


def block_means(path: str, every: int, start: int) -> None:
    """Mean revisit / zero-shot accuracy of the logging windows in (lo, lo + every]."""
    rows = read_rows(path)
    print("| steps | windows | revisit acc. (mean) | zero-shot acc. (mean) |")
    print("|---|---|---|---|")
    last = rows[-1]["step"]
    for lo in range(start, last, every):
        block = [r for r in rows if lo < r["step"] <= lo + every]
        if block:
            rev = sum(r["revisit_accuracy"] for r in block) / len(block)
            zs = sum(r["zero_shot_accuracy"] for r in block) / len(block)
            print(f"| {lo:,}-{lo + every:,} | {len(block)} | {rev:.3f} | {zs:.3f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", help="a run's metrics.jsonl")
    parser.add_argument("every", nargs="?", type=int, default=500, help="steps per table row")
    parser.add_argument("--means", type=int, metavar="FROM", help="block means from step FROM")
    args = parser.parse_args()
    if args.means is None:
        main(args.metrics, args.every)
    else:
        block_means(args.metrics, args.every, args.means)
