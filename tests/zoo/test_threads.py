"""torch threads: the zoo's small models run on a deliberate thread count and leave the
caller's setting as it was."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hippocore.envs import make_world  # noqa: E402
from hippocore.zoo import TEMTConfig, evaluate, get_model, rollout  # noqa: E402
from hippocore.zoo._evaluate import run_episodes  # noqa: E402
from hippocore.zoo._threads import resolve_threads, torch_threads  # noqa: E402


@pytest.fixture()
def model():
    return get_model("tem-t", TEMTConfig())


@pytest.fixture()
def caller_threads():
    """The caller runs with 2 threads (torch's default on a 2-core machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(old)


def _record_threads(model):
    seen: list[int] = []
    handle = model.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
    return seen, handle


def test_evaluate_and_rollout_use_one_thread_and_restore(model, caller_threads, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    seen, handle = _record_threads(model)
    w = make_world("hexagonal", 4)
    evaluate(model, w, 60, seed=0)
    rollout(model, w, 60, seed=0)
    handle.remove()
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == caller_threads


def test_explicit_and_environment_thread_counts(model, caller_threads, monkeypatch):
    w = make_world("hexagonal", 4)
    seen, handle = _record_threads(model)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    evaluate(model, w, 20, seed=0, n_threads=2)
    assert set(seen) == {2}
    seen.clear()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    torch.set_num_threads(1)
    evaluate(model, w, 20, seed=0)  # OMP_NUM_THREADS is honoured
    handle.remove()
    assert set(seen) == {2} and torch.get_num_threads() == 1


def test_threads_restored_when_the_block_raises(caller_threads, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with pytest.raises(RuntimeError), torch_threads(None) as n:
        assert n == 1 == torch.get_num_threads()
        raise RuntimeError("boom")
    assert torch.get_num_threads() == caller_threads


def test_same_numbers_on_one_or_two_threads(model):
    # The thread count changes speed, not what a model computes (to float tolerance).
    w = make_world("hexagonal", 5)
    from hippocore.zoo._data import make_episode

    ep = make_episode(
        w, 120, model.actions, n_x=45, direction_bias=0.2, rng=np.random.default_rng(0)
    )
    one = run_episodes(model, [ep], n_threads=1)
    two = run_episodes(model, [ep], n_threads=2)
    assert abs(one["e"] - two["e"]).max() < 1e-4


@pytest.mark.parametrize(
    ("value", "env", "match"),
    [
        (0, None, "n_threads must be a positive integer"),
        (1.5, None, "n_threads must be a positive integer"),
        (True, None, "n_threads must be a positive integer"),
        (None, "many", "OMP_NUM_THREADS='many' is not an integer"),
        (None, "0", "OMP_NUM_THREADS must be >= 1"),
    ],
)
def test_bad_thread_counts(value, env, match, monkeypatch):
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    with pytest.raises(ValueError, match=match):
        resolve_threads(value)
