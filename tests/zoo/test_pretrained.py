"""The shipped TEM-t checkpoint: loads, meets the learning criterion, integrates paths."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import evaluate, get_model, list_pretrained, pretrained  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return pretrained("tem-t")


def test_shipped_checkpoint_and_card(model):
    assert "tem-t" in list_pretrained()
    card = model.model_card
    assert card["model"] == "tem-t" and "python -m hippocore train" in card["command"]
    assert card["step"] == model.trained_steps
    with pytest.raises(ValueError, match="no pretrained checkpoint"):
        pretrained("tem-z")


def test_pretrained_meets_the_learning_criterion(model):
    # Fresh worlds of the training distribution (hexagonal, 6..9 nodes wide), new observations.
    worlds = [make_world("hexagonal", w) for w in (6, 7, 8, 9)]
    res = evaluate(model, worlds, 600, seed=123)
    assert res.revisit_accuracy >= 0.95
    assert res.zero_shot_accuracy >= 0.90
    assert res.first_visit_accuracy < 0.1  # nothing to remember on a first visit
    assert res.n_zero_shot > 100


def _loop_error(model, world, loop):
    """1 - cosine between the code before and after a sequence of moves (W_a only, no correction)."""
    index = {n: model.actions.index(f"{world.kind}:{n}") for n in world.actions if n != "stay"}
    with torch.no_grad():
        w_all = model.transition_matrices()
        e0 = model.e_init[None]
        e = e0
        for name in loop:
            e = model._f(e @ w_all[index[name]])
        return float(1 - torch.nn.functional.cosine_similarity(e, e0).item())


LOOPS = [
    ["east", "west"],
    ["east", "north-west", "south-west"],
    ["north-east", "north-west", "west", "south-west", "south-east", "east"],
    ["east", "east", "north-east", "west", "west", "south-west"],
    ["north-east"] * 3 + ["south-east"] * 3 + ["west"] * 3,
]


@pytest.mark.parametrize("loop", LOOPS, ids=lambda lp: "-".join(lp))
def test_path_integration_closes_loops(model, loop):
    w = make_world("hexagonal", 9)
    fresh = get_model("tem-t", model.config)
    err = _loop_error(model, w, loop)
    assert err < 0.05, err
    assert err < _loop_error(fresh, w, loop) / 3
    # the same moves without the return leg do not come back
    assert _loop_error(model, w, loop[: len(loop) // 2 + 1] if len(loop) > 2 else loop[:1]) > 0.2
