"""evaluate_fresh_worlds: a criterion decided over several evaluation seeds (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import EVAL_SEEDS, evaluate, evaluate_fresh_worlds, pretrained  # noqa: E402


@pytest.fixture(scope="module")
def model():
    # TEM (zero-shot about 0.8): its seeds differ, where TEM-t's are all 1.0
    return pretrained("tem")


@pytest.fixture(scope="module")
def fresh(model):
    return evaluate_fresh_worlds(model, (5, 7), seeds=(3, 4, 5), n_steps=80, n_worlds=3)


def test_each_seed_is_evaluate_on_the_same_worlds_and_the_counts_pool(model, fresh):
    assert fresh.widths == (5, 6, 7) and fresh.seeds == (3, 4, 5) and fresh.n_steps == 80
    worlds = [make_world("hexagonal", w) for w in (5, 6, 7)]
    for seed, ev in zip(fresh.seeds, fresh.per_seed, strict=True):
        assert ev == evaluate(model, worlds, 80, seed=seed)
    n_zs = sum(e.n_zero_shot for e in fresh.per_seed)
    hits = sum(round(e.zero_shot_accuracy * e.n_zero_shot) for e in fresh.per_seed)
    assert fresh.n_zero_shot == n_zs > 0
    assert fresh.zero_shot_accuracy == pytest.approx(hits / n_zs, abs=1e-12)
    assert fresh.n_revisits == sum(e.n_revisits for e in fresh.per_seed)
    # pooled lies between the seeds' own accuracies
    per = [e.zero_shot_accuracy for e in fresh.per_seed]
    assert min(per) <= fresh.zero_shot_accuracy <= max(per)


def test_a_bar_is_met_only_when_every_seed_reaches_it(fresh):
    per = sorted(e.zero_shot_accuracy for e in fresh.per_seed)
    assert per[0] < per[-1]  # the seeds differ, so the rule below is tested
    assert fresh.meets(0.0, per[0])
    # a bar between the seeds' values: the pooled value may reach it, a seed does not
    assert not fresh.meets(0.0, (per[0] + per[-1]) / 2)
    assert not fresh.meets(1.01, 0.0)
    card = fresh.as_dict()
    assert card["zero_shot_accuracy_per_seed"] == [e.zero_shot_accuracy for e in fresh.per_seed]
    assert card["worlds"].startswith("3 hexagonal worlds 5-7 wide")


def test_widths_cycle_like_the_model_cards():
    from hippocore.zoo._fresh_worlds import _widths

    assert _widths((8, 11), 16) == tuple(np.repeat([8, 9, 10, 11], 4))
    assert _widths([6, 9], 16)[:5] == (6, 6, 6, 6, 7)
    assert EVAL_SEEDS == (2024, 2025, 2026, 2027, 2028)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"widths": (9, 8)}, "2 <= lo <= hi"),
        ({"widths": (1, 4)}, "2 <= lo <= hi"),
        ({"widths": "abc"}, "pair"),
        ({"widths": (5, 6), "n_worlds": 0}, "at least 1"),
        ({"widths": (5, 6), "n_worlds": 2.5}, "n_worlds an integer"),
        ({"widths": (5, 6), "seeds": ()}, "seeds is empty"),
    ],
)
def test_bad_input_is_refused_with_the_fix(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate_fresh_worlds(model, **kwargs)
