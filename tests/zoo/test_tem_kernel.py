"""TEM's compiled attractor: gradients by finite differences, and the model equal with and without it."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from hippocore.zoo import as_config, get_model  # noqa: E402
from hippocore.zoo._data import WalkStream  # noqa: E402
from hippocore.zoo._protocol import Batch  # noqa: E402
from hippocore.zoo._tem_kernel import (  # noqa: E402
    KernelUnavailableWarning,
    attractor,
    layout,
    load_kernel,
    scan,
)
from hippocore.zoo._tem_memory import attract, iteration_cols  # noqa: E402

# p of 25 units in two modules (15 + 10): the 4-row blocks straddle the module boundary.
STARTS = [0, 15, 25]
TINY = {
    "model_name": "tem",
    "env": {"widths": [4, 5], "n_x": 10, "lifetime": "chunks", "chunks_per_env": [2, 3]},
    "model": {
        "n_grids": [9, 6],
        "n_phases": [3, 2],
        "n_x_compressed": 5,
        "filter_init": [0.01, 0.7],
    },
    "train": {"batch_size": 3, "chunk_length": 6, "hebb_warmup": 1, "forget_warmup": 1},
}


def _inputs(hierarchical, n_b=2, n_q=3, n_s=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    n = STARTS[-1]
    rnd = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    memory = rnd(n_b, n, n) * 0.3
    if hierarchical:  # unit i may reach unit j iff module(i) >= module(j)
        module = torch.tensor([0] * 15 + [1] * 10)
        memory = memory * (module[:, None] >= module[None, :])
    lag = torch.arange(n_q)[:, None] - torch.arange(n_s)[None, :]
    weights = torch.where(lag >= 0, 0.4 * 0.9 ** lag.clamp_min(0).double(), 0.0)
    scale = torch.linspace(0.5, 1.0, n_q, dtype=torch.float64)
    grads = [rnd(n_b, n_q, n) * 2, rnd(n_b, n_s, n) * 0.5, rnd(n_b, n_s, n) * 0.5, rnd(n_b, n_q, n)]
    return memory, weights, scale, [g.requires_grad_() for g in grads]


@pytest.mark.parametrize("hierarchical", [False, True])
def test_attractor_kernel_equals_torch_and_its_gradients_check(kernel, hierarchical):
    memory, weights, scale, (query, a, b, first) = _inputs(hierarchical)
    cols = iteration_cols(STARTS, hierarchical=hierarchical)
    lay = layout(kernel, cols, STARTS if hierarchical else [0, 25], 0.8)
    masks = {}
    if hierarchical:
        module = torch.tensor([0] * 15 + [1] * 10)
        masks = {
            "suffix_mask": (module[None, :] >= torch.arange(2)[:, None]).double(),
            "unit_mask": torch.nn.functional.one_hot(module, 2).double().T,
        }
    for given in (None, first):
        got = attractor(lay, query, memory, scale, a, b, weights, first=given)
        ref = attract(
            query, memory, scale, a, b, weights, cols=cols, kappa=0.8, first=given, **masks
        )
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(
        lambda q, a_, b_, f: attractor(lay, q, memory, scale, a_, b_, weights, first=f),
        (query, a, b, first),
    )


def test_scan_kernel_gradients_check(kernel):
    memory, weights, scale, (query, a, b, first) = _inputs(True, n_q=4, n_s=4, seed=1)
    lay = layout(kernel, iteration_cols(STARTS, hierarchical=True), STARTS, 0.8)
    gen = torch.Generator().manual_seed(2)
    more = [torch.randn(2, 4, 25, generator=gen, dtype=torch.float64) for _ in range(2)]
    qgt, fgt = (m.requires_grad_() for m in more)
    p = a.detach()[:, :4].clone().requires_grad_()  # p for each of the 4 steps

    def run(qg, fg, qgt_, fgt_, p_):
        p_g, p_gt, _, _ = scan(lay, (qg, fg, qgt_, fgt_), p_, memory, scale, weights)
        return p_g, p_gt

    assert torch.autograd.gradcheck(run, (query, first, qgt, fgt, p))


def test_model_is_the_same_with_and_without_the_kernel(kernel):
    # Float64 end to end: two chunks (memories folded in between), every output and every
    # parameter's gradient equal to 1e-9 between the compiled and the torch attractor.
    cfg = as_config(json.loads(json.dumps(TINY)))
    stream = WalkStream(cfg.env, get_model("tem", cfg).actions, 3, 6, seed=0)
    chunks = [Batch.from_chunk(stream.next_chunk(i), torch.device("cpu")) for i in range(2)]
    runs = {}
    for mode in ("torch", "auto"):
        model = get_model("tem", cfg).double()
        model.kernel, model.trained_steps = mode, 20000
        with torch.no_grad():
            model.transition_out.normal_(0, 0.1, generator=torch.Generator().manual_seed(3))
        state = model.initial_state(3)
        state = type(state)(*(t.double() for t in vars(state).values()))
        outs = []
        for batch in chunks:
            out = model(batch.actions, batch.observations, state, batch.reset)
            model.loss(out, batch).backward()
            outs.append(out)
            state = out.state.detach()
        runs[mode] = (outs, {k: v.grad for k, v in model.named_parameters()})
    for o_torch, o_kernel in zip(runs["torch"][0], runs["auto"][0], strict=True):
        for name in ("logits", "g", "p", "p_g", "p_gt", "p_x"):
            torch.testing.assert_close(
                getattr(o_kernel, name), getattr(o_torch, name), rtol=1e-9, atol=1e-10
            )
        torch.testing.assert_close(
            o_kernel.state.memory_gen, o_torch.state.memory_gen, rtol=1e-9, atol=1e-10
        )
    assert any(p.abs().max() > 0.01 for p in (o_torch.p_g, o_torch.p_x))
    for name, grad in runs["torch"][1].items():
        torch.testing.assert_close(runs["auto"][1][name], grad, rtol=1e-7, atol=1e-10, msg=name)


def test_no_compiler_means_no_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    with pytest.warns(KernelUnavailableWarning, match="no-such-compiler"):
        assert load_kernel.__wrapped__() is None
    assert not any(tmp_path.rglob("*.so"))
