"""The shipped TEM-t checkpoint: loads, meets the learning criterion, integrates paths."""

from __future__ import annotations

from collections import deque

import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world, random_walk  # noqa: E402
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


def _node_codes(model, world, start):
    """e at every node, integrated with W_a alone along breadth-first shortest paths."""
    index = {n: model.actions.index(f"{world.kind}:{n}") for n in world.actions if n != "stay"}
    w_all = model.transition_matrices()
    codes = {start: model.e_init.detach()}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for k, name in enumerate(world.actions):
            v = int(world.transitions[u, k])
            if name != "stay" and v >= 0 and v not in codes:
                codes[v] = model._f((codes[u] @ w_all[index[name]])[None])[0]
                queue.append(v)
    return torch.stack([codes[i] for i in range(world.n_nodes)]), index, w_all


def _decoded_node(model, world, start, moves):
    """Node whose path-integrated code is nearest (cosine) to the code after ``moves``."""
    codes, index, w_all = _node_codes(model, world, start)
    e = model.e_init[None]
    for name in moves:
        e = model._f(e @ w_all[index[name]])
    return int(torch.nn.functional.cosine_similarity(e, codes).argmax())


LOOPS = [
    ["east", "west"],
    ["east", "north-west", "south-west"],
    ["north-east", "north-west", "west", "south-west", "south-east", "east"],
    ["east", "east", "north-east", "west", "west", "south-west"],
    ["north-east"] * 3 + ["south-east"] * 3 + ["west"] * 3,
]


@torch.no_grad()
@pytest.mark.parametrize("name", ["tem-t", "tem-t-lattice", "tem-t-bands"])
def test_path_integration_closes_loops(name):
    # W_a alone (no position correction): after a closed loop the code must be nearest to the
    # start node's code among all 81 nodes' codes (reached by other, shortest, paths).
    model = pretrained(name)
    w = make_world("hexagonal", 9)
    start = 40  # centre
    for loop in LOOPS:
        assert _decoded_node(model, w, start, loop) == start, loop
    # Any 10-step walk: the code decodes to the node where the walk ends.
    fresh = get_model("tem-t", model.config)
    hits = {"trained": 0, "fresh": 0}
    for seed in range(30):
        walk = random_walk(make_world("hexagonal", 9, stay=False), 10, start=start, seed=seed)
        moves = [w.actions[a] for a in walk.actions]
        end = int(walk.nodes[-1])
        hits["trained"] += _decoded_node(model, w, start, moves) == end
        hits["fresh"] += _decoded_node(fresh, w, start, moves) == end
    assert hits["trained"] == 30
    m = model.config.model
    if m.transition == "plane-waves" and m.action_geometry == "lattice":
        # tem-t-lattice's transitions use the lattice's own step vectors: they integrate
        # paths exactly before any training (only the mixing, memory and read-out are learned).
        assert hits["fresh"] == 30
    else:
        # An untrained free rotation per action does not, nor do step directions started up
        # to 90 degrees off the lattice's (the default: training found them).
        assert hits["fresh"] <= 6


def test_first_default_still_ships():
    from hippocore.zoo import pretrained

    v1 = pretrained("tem-t-v1")  # written before the module fields existed
    assert (v1.config.model.n_modules, v1.config.model.n_e, v1.config.model.offset) == (
        1,
        64,
        False,
    )
    assert v1.model_card["name"] == "tem-t-v1" and v1.trained_steps == 6000


def test_tem_ships_with_a_card_that_says_what_it_is():
    # pretrained("tem") is TEM's default config part way through training: its card must say
    # whether it met the criterion (zero-shot >= 0.8), consistently with its own metrics, and
    # the model must predict fresh worlds far better than its untrained twin.
    model = pretrained("tem")
    card = model.model_card
    assert card["model"] == "tem" and card["step"] == model.trained_steps
    met = card["criterion_first_met"]
    window = card["final_training_window"]
    fresh = card.get("criterion_on_fresh_worlds", {})
    if met is None and fresh.get("met_on_every_seed"):  # met on fresh worlds, not in windows
        assert card["status"].startswith("met the learning criterion on fresh worlds")
        assert min(fresh["zero_shot_accuracy_per_seed"]) >= 0.8
    elif met is None:
        assert "interim" in card["status"] and window["zero_shot_accuracy"] < 0.8
    else:
        assert met["step"] <= card["step"]
    worlds = [make_world("hexagonal", w) for w in (6, 7)]
    trained = evaluate(model, worlds, 300, seed=11)
    twin = evaluate(get_model("tem", model.config).eval(), worlds, 300, seed=11)
    assert trained.revisit_accuracy > twin.revisit_accuracy + 0.4
    assert twin.revisit_accuracy < 0.1  # chance is 1/45
