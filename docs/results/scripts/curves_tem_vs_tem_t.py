"""Learning curves of several training runs side by side: accuracy against steps and wall time.

Run: python docs/results/scripts/curves_tem_vs_tem_t.py LABEL=RUN/metrics.jsonl [...]
     [--out docs/results/img/tem-vs-tem-t-curves.png] [--title TEXT]

Each argument is a label and a run's ``metrics.jsonl`` (one line per ``train.log_every``
steps, as ``hippocore train`` writes it); runs with the same label prefix before ``" seed"``
share a colour. Draws 2 x 2 panels: revisit and zero-shot accuracy (each a mean over the
logging window) against gradient steps (top) and against training wall time in minutes
(bottom, the ``wall_time_s`` the run logged: time in training steps, checkpoints excluded).
Prints, per run, the first logged step at which the criterion (revisit >= 0.95 and
zero-shot >= 0.90 over a logging window) is met, with its wall time, and the run's length.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REVISIT, ZERO_SHOT = 0.95, 0.90


def read_run(path: str) -> list[dict]:
    """The metrics lines of a run, in step order."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"{path} holds no metrics lines; pass a run's metrics.jsonl.")
    return sorted(rows, key=lambda r: r["step"])


def criterion(rows: list[dict]) -> dict | None:
    """The first metrics line meeting the criterion, or None."""
    for r in rows:
        rev, zs = r.get("revisit_accuracy"), r.get("zero_shot_accuracy")
        if rev is not None and zs is not None and rev >= REVISIT and zs >= ZERO_SHOT:
            return r
    return None


def parse_runs(items: list[str]) -> list[tuple[str, list[dict]]]:
    """``LABEL=PATH`` arguments as (label, metrics lines)."""
    runs = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise SystemExit(f"argument {item!r} must be LABEL=PATH/metrics.jsonl.")
        runs.append((label, read_run(path)))
    return runs


def plot(runs: list[tuple[str, list[dict]]], out: str, title: str) -> None:
    """The 2 x 2 figure, written to ``out`` (PNG)."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharey=True)
    groups = list(dict.fromkeys(label.split(" seed")[0] for label, _ in runs))
    colours = {g: f"C{i}" for i, g in enumerate(groups)}
    styles = ["-", "--", ":", "-."]
    seen: dict[str, int] = {}
    for label, rows in runs:
        group = label.split(" seed")[0]
        style = styles[seen.get(group, 0) % len(styles)]
        seen[group] = seen.get(group, 0) + 1
        steps = [r["step"] for r in rows]
        minutes = [r["wall_time_s"] / 60 for r in rows]
        for col, key in enumerate(("revisit_accuracy", "zero_shot_accuracy")):
            acc = [float("nan") if r[key] is None else r[key] for r in rows]
            kw = dict(color=colours[group], ls=style, lw=1.5, label=label)
            axes[0, col].plot(steps, acc, **kw)
            axes[1, col].plot(minutes, acc, **kw)
    for col, (name, level) in enumerate((("revisit", REVISIT), ("zero-shot", ZERO_SHOT))):
        for row, xlabel in enumerate(("gradient steps", "training wall time (min)")):
            ax = axes[row, col]
            ax.axhline(level, color="0.6", lw=0.8, ls=":")
            ax.axhline(1 / 45, color="0.8", lw=0.8)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"{name} accuracy")
            ax.set_ylim(0, 1.02)
            ax.set_xlim(left=0)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="LABEL=PATH/metrics.jsonl")
    p.add_argument("--out", default="docs/results/img/tem-vs-tem-t-curves.png")
    p.add_argument("--title", default="revisit and zero-shot accuracy (logging-window means)")
    a = p.parse_args(argv)
    runs = parse_runs(a.runs)
    for label, rows in runs:
        hit, last = criterion(rows), rows[-1]
        met = (
            f"criterion at step {hit['step']} ({hit['wall_time_s'] / 60:.1f} min)"
            if hit
            else "criterion not met"
        )
        print(
            f"{label}: {met}; {last['step']} steps in {last['wall_time_s'] / 60:.1f} min; last "
            f"window revisit {last['revisit_accuracy']:.3f}, zero-shot "
            f"{last['zero_shot_accuracy']:.3f}"
        )
    plot(runs, a.out, a.title)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
