"""Accuracy on fresh hexagonal worlds over several evaluation seeds: how a criterion is decided.

One set of 16 fresh worlds moves a model's zero-shot accuracy by about 0.01 from one
evaluation seed to the next (TEM at step 32,500: 0.804-0.821 over five seeds), too much to
decide a bar such as issue 13's "zero-shot >= 0.8" from one set. :func:`evaluate_fresh_worlds`
runs :func:`~hippocore.zoo.evaluate` on the same widths under several seeds, pools the
counts, and :meth:`FreshWorlds.meets` asks that every seed reach the bar. The model cards
(tools/ship_pretrained.py) and docs/results/scripts/criterion_fresh_worlds.py both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from hippocore.envs import make_world
from hippocore.zoo._evaluate import EvalResult, evaluate

__all__ = ["EVAL_SEEDS", "FreshWorlds", "evaluate_fresh_worlds"]

#: Evaluation seeds of the model cards and the results pages.
EVAL_SEEDS: tuple[int, ...] = (2024, 2025, 2026, 2027, 2028)


@dataclass(frozen=True)
class FreshWorlds:
    """A model's accuracies on fresh hexagonal worlds, per evaluation seed and pooled.

    Attributes
    ----------
    widths : tuple of int
        Width (nodes) of each world of a set; every seed draws new observations and walks
        on worlds of these widths.
    n_steps : int
        Steps per walk.
    seeds : tuple of int
        Evaluation seeds.
    per_seed : tuple of EvalResult
        :func:`~hippocore.zoo.evaluate` of each seed.
    revisit_accuracy, zero_shot_accuracy : float
        Pooled over seeds: correct predictions summed over all seeds' walks, divided by the
        summed count (NaN when no step of that kind occurred).
    n_revisits, n_zero_shot : int
        Steps behind the pooled accuracies.
    """

    widths: tuple[int, ...]
    n_steps: int
    seeds: tuple[int, ...]
    per_seed: tuple[EvalResult, ...]
    revisit_accuracy: float
    zero_shot_accuracy: float
    n_revisits: int
    n_zero_shot: int

    def meets(self, revisit: float, zero_shot: float) -> bool:
        """Whether every seed reaches both accuracies (NaN never does)."""
        return all(
            e.revisit_accuracy >= revisit and e.zero_shot_accuracy >= zero_shot
            for e in self.per_seed
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for a model card (JSON)."""
        lo, hi = min(self.widths), max(self.widths)
        return {
            "worlds": f"{len(self.widths)} hexagonal worlds {lo}-{hi} wide per seed, "
            f"{self.n_steps} steps",
            "seeds": list(self.seeds),
            "revisit_accuracy_per_seed": [e.revisit_accuracy for e in self.per_seed],
            "zero_shot_accuracy_per_seed": [e.zero_shot_accuracy for e in self.per_seed],
            "revisit_accuracy_pooled": self.revisit_accuracy,
            "zero_shot_accuracy_pooled": self.zero_shot_accuracy,
        }


def _widths(widths: Sequence[int], n_worlds: int) -> tuple[int, ...]:
    """``(lo, hi)`` -> ``n_worlds`` widths cycling lo..hi, sorted; checked."""
    try:
        lo, hi = (int(w) for w in widths)
    except (TypeError, ValueError):
        lo, hi = 0, -1
    if not 2 <= lo <= hi or isinstance(n_worlds, bool) or not isinstance(n_worlds, int):
        raise ValueError(
            f"widths must be a pair (lo, hi) of world widths with 2 <= lo <= hi, e.g. (8, 11), "
            f"and n_worlds an integer; got widths={widths!r}, n_worlds={n_worlds!r}."
        )
    if n_worlds < 1:
        raise ValueError(f"n_worlds must be at least 1; got {n_worlds}.")
    return tuple(int(w) for w in np.sort(np.resize(np.arange(lo, hi + 1), n_worlds)))


def _pooled(pairs: list[tuple[float, int]]) -> tuple[float, int]:
    """(accuracy, count) per seed -> correct predictions summed / steps summed, and the sum."""
    n = sum(k for _, k in pairs)
    hits = sum(round(acc * k) for acc, k in pairs if k)
    return (hits / n if n else float("nan")), int(n)


def evaluate_fresh_worlds(
    model: torch.nn.Module,
    widths: Sequence[int],
    *,
    seeds: Sequence[int] = EVAL_SEEDS,
    n_steps: int = 600,
    n_worlds: int = 16,
    n_threads: int | None = None,
) -> FreshWorlds:
    """Evaluate a model on fresh hexagonal worlds under several seeds and pool the counts.

    Parameters
    ----------
    model : ZooModel
        A model that knows hexagonal worlds.
    widths : (int, int)
        Smallest and largest world width (nodes); the ``n_worlds`` worlds of a set cycle
        through the widths in between (16 worlds of 8-11: four of each).
    seeds : sequence of int, default :data:`EVAL_SEEDS`
        One :func:`~hippocore.zoo.evaluate` per seed (new observations and walks).
    n_steps : int, default 600
        Steps per walk.
    n_worlds : int, default 16
        Worlds per set.
    n_threads : int or None
        As in :func:`~hippocore.zoo.evaluate`.

    Returns
    -------
    FreshWorlds

    Raises
    ------
    ValueError
        For widths that are not a pair ``2 <= lo <= hi``, no seeds, or a bad ``n_worlds``
        (and whatever :func:`~hippocore.zoo.evaluate` refuses).
    """
    ws = _widths(widths, n_worlds)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one evaluation seed, e.g. (2024,).")
    worlds = [make_world("hexagonal", w) for w in ws]
    runs = tuple(evaluate(model, worlds, n_steps, seed=s, n_threads=n_threads) for s in seeds)
    revisit, n_rev = _pooled([(e.revisit_accuracy, e.n_revisits) for e in runs])
    zero_shot, n_zs = _pooled([(e.zero_shot_accuracy, e.n_zero_shot) for e in runs])
    return FreshWorlds(
        widths=ws, n_steps=int(n_steps), seeds=seeds, per_seed=runs, revisit_accuracy=revisit,
        zero_shot_accuracy=zero_shot, n_revisits=n_rev, n_zero_shot=n_zs,
    )  # fmt: skip
