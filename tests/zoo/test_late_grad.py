"""The keys' gradient taken once per chunk (hippocore/zoo/_late_grad.py) equals autograd's."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

import hippocore.zoo.tem_t as tem_t_module  # noqa: E402
from hippocore.zoo import as_config, get_model  # noqa: E402
from hippocore.zoo._late_grad import LateKeyScores  # noqa: E402


class _PlainScores:
    def __init__(self, keys, n_steps):
        self.keys = keys

    def __call__(self, t, q):
        return torch.bmm(self.keys, q[:, :, None])[:, :, 0]


def _recurrent_loss(keys_param: torch.Tensor, w: torch.Tensor, late: bool) -> torch.Tensor:
    """A small recurrent read of fixed keys: q_t depends on the previous step's read."""
    b, m, n = 3, 7, 5
    g = torch.Generator().manual_seed(3)
    base = torch.randn(b, m, n, generator=g, dtype=torch.float64)
    values = torch.randn(b, m, n, generator=g, dtype=torch.float64)
    keys = torch.tanh(base * keys_param)  # keys that are a function of a parameter
    score = LateKeyScores(keys, 6) if late else _PlainScores(keys, 6)
    h = torch.ones(b, n, dtype=torch.float64)
    loss = h.sum() * 0
    for t in range(6):
        q = torch.tanh(h @ w)
        s = score(t, q)
        h = torch.bmm(torch.softmax(s, 1)[:, None], values)[:, 0]
        loss = loss + (h**2).sum() * (t + 1)
    return loss


def test_late_key_gradient_equals_autograd_in_float64():
    g = torch.Generator().manual_seed(0)
    grads = []
    for late in (False, True):
        kp = torch.randn(1, 1, 5, generator=g, dtype=torch.float64).requires_grad_()
        w = torch.randn(5, 5, generator=g, dtype=torch.float64).requires_grad_()
        g = torch.Generator().manual_seed(0)  # the same parameters for both paths
        loss = _recurrent_loss(kp, w, late)
        loss.backward()
        grads.append((loss.detach(), kp.grad.clone(), w.grad.clone()))
    (l0, k0, w0), (l1, k1, w1) = grads
    assert torch.equal(l0, l1)  # the taps add exact zeros to the scores
    assert torch.allclose(k1, k0, rtol=1e-12, atol=0) and not torch.equal(k0, torch.zeros_like(k0))
    assert torch.allclose(w1, w0, rtol=1e-12, atol=0)


def test_plain_scores_without_gradient():
    keys = torch.randn(2, 4, 3, requires_grad=True)
    q = torch.randn(2, 3)
    with torch.no_grad():
        assert LateKeyScores(keys, 5)._taps is None
        assert torch.equal(LateKeyScores(keys, 5)(0, q), torch.bmm(keys, q[:, :, None])[:, :, 0])
    assert LateKeyScores(keys.detach(), 5)._taps is None
    assert LateKeyScores(keys[:, :0], 5)._taps is None  # no old memories
    assert len(LateKeyScores(keys, 5)._taps) == 5


def test_backward_refuses_a_missing_query():
    keys = torch.randn(2, 4, 3, requires_grad=True)
    score = LateKeyScores(keys, 2)
    s = score(0, torch.randn(2, 3))  # step 1 never scored
    with pytest.raises(RuntimeError, match="1 queries recorded for 2 steps"):
        s.sum().backward()


def test_tem_t_gradients_equal_with_and_without_late_key_gradient(monkeypatch):
    """TEM-t in float64 with a part-filled memory: same loss and every parameter's gradient."""
    cfg = as_config(
        {
            "model_name": "tem-t",
            "env": {"widths": [4, 5], "chunks_per_env": [2, 4]},
            "model": {"memory_capacity": 200},
            "train": {"batch_size": 3, "chunk_length": 12},
        }
    )
    results = []
    for late in (True, False):
        if not late:
            # the reference: autograd's per-step key gradient
            monkeypatch.setattr(tem_t_module, "LateKeyScores", _PlainScores)
        torch.manual_seed(0)
        model = get_model("tem-t", cfg).double()
        g = torch.Generator().manual_seed(1)
        state = model.initial_state(3)
        mem_e = torch.randn(state.mem_e.shape, generator=g, dtype=torch.float64)
        state = dataclasses.replace(state, e=state.e.double(), mem_e=mem_e)
        state.mem_x.random_(0, cfg.env.n_x, generator=g)
        state.count.copy_(torch.tensor([90, 230, 0]))  # part-filled, wrapped, empty
        acts = torch.randint(0, 6, (3, 12), generator=g)
        obs = torch.randint(0, cfg.env.n_x, (3, 12), generator=g)
        out = model(acts, obs, state, torch.zeros(3, dtype=torch.bool))
        loss = torch.nn.functional.cross_entropy(out.logits.flatten(0, 1), obs.flatten())
        loss.backward()
        results.append((loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}))
    (l_late, g_late), (l_ref, g_ref) = results
    assert torch.equal(l_late, l_ref)
    key_grad = g_ref["w_e"]
    assert key_grad.abs().max() > 0  # the keys' weights do get a gradient
    for name, ref in g_ref.items():
        assert torch.allclose(g_late[name], ref, rtol=1e-10, atol=1e-14), name
