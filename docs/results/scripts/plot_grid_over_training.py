"""Grid-unit fraction of a model's checkpoints over training, beside its null's rate.

Run: for s in 5000 10000 ...; do PYTHONPATH=. python docs/results/scripts/grid_seeds_tem_t.py RUN/ckpt_$s.pt
     --seeds 2 --widths 11 15 >> LOG; done
     PYTHONPATH=. python docs/results/scripts/plot_grid_over_training.py LOG --out FIG.png [--title T]
Reads the report of ``grid_seeds_tem_t.py`` (one block per checkpoint; the step is the
number in the checkpoint's file name, ``ckpt_<step>.pt``; the untrained twin's block, from
``--untrained``, is step 0) and draws, per world width, the
mean grid fraction over the walks and the null maps' pass rate (the test's false-positive
rate on the same walks) against the training step; prints the table it drew.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HEAD = re.compile(r"ckpt_(\d+)\.pt: grid units by")
ROW = re.compile(
    r"hexagonal (\d+)x\d+, .*grid fraction \[([^\]]*)\] mean ([\d.]+);.*"
    r"false-positive rate\) mean ([\d.]+); finite null maps per unit \(median\) \[([^\]]*)\]"
)


def parse(path: str) -> dict[int, list[tuple[int, float, float, str, str]]]:
    """width -> [(step, grid fraction, null rate, per-walk fractions, finite nulls)]."""
    out: dict[int, list] = defaultdict(list)
    step = None
    with open(path) as f:
        for line in f:
            if m := HEAD.search(line):
                step = 0 if line.startswith("untrained") else int(m.group(1))
            elif (m := ROW.search(line)) and step is not None:
                w, walks, frac, null, finite = m.groups()
                out[int(w)].append((step, float(frac), float(null), walks, finite))
    if not out:
        raise SystemExit(f"{path}: no grid_seeds_tem_t.py report of a ckpt_<step>.pt found")
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("log")
    p.add_argument("--out", required=True)
    p.add_argument("--title", default="TEM (seed 0): grid units of g over training")
    a = p.parse_args(argv)
    data = parse(a.log)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    print(
        "| step | width | grid units, mean (per walk) | null maps passing | finite null maps (median) |"
    )
    print("|---|---|---|---|---|")
    for (w, rows), colour in zip(sorted(data.items()), ("C0", "C1", "C2"), strict=False):
        rows.sort()
        steps = [r[0] for r in rows]
        ax.plot(steps, [100 * r[1] for r in rows], "o-", color=colour, label=f"{w}x{w}: grid units")
        ax.plot(
            steps, [100 * r[2] for r in rows], "--", color=colour, label=f"{w}x{w}: null's rate"
        )
        for s, frac, null, walks, finite in rows:
            print(
                f"| {s:,} | {w}x{w} | {100 * frac:.1f} % ({walks}) | {100 * null:.1f} % | {finite} |"
            )
    ax.set_xlabel("training step")
    ax.set_ylabel("% of 120 g units")
    top = max(100 * max(max(r[1], r[2]) for r in rows) for rows in data.values())
    ax.set_ylim(0, max(5.0, 1.1 * top))  # at least 0-5 %: a scale of fractions of a unit misleads
    ax.set_title(a.title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=90)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
