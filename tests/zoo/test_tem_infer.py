"""TEM's compiled inference pass, Hebbian fold and row sums: gradients by finite differences,
and equal to the torch code they replace (float64)."""

from __future__ import annotations

import gc
import json
import weakref

import pytest

torch = pytest.importorskip("torch")

from hippocore.zoo import as_config, get_model  # noqa: E402
from hippocore.zoo._data import WalkStream  # noqa: E402
from hippocore.zoo._protocol import Batch  # noqa: E402
from hippocore.zoo._tem_infer import _Infer, inference_inputs  # noqa: E402
from hippocore.zoo._tem_kernel import fold, layout, row_sums  # noqa: E402
from hippocore.zoo._tem_memory import hebbian_fold, iteration_cols  # noqa: E402

# Two modules of unequal sizes; the square world's 4 actions + stay.
TINY = {
    "model_name": "tem",
    "env": {"widths": [3, 4], "n_x": 6, "lifetime": "chunks", "chunks_per_env": [1, 2]},
    "model": {
        "n_grids": [6, 4],
        "n_phases": [3, 2],
        "n_x_compressed": 4,
        "filter_init": [0.2, 0.7],
    },
    "train": {"batch_size": 3, "chunk_length": 5, "hebb_warmup": 1, "forget_warmup": 1},
}


def _model_and_chunks(seed: int = 0, n_chunks: int = 2):
    cfg = as_config(json.loads(json.dumps(TINY)))
    model = get_model("tem", cfg).double()
    model.trained_steps = 20000  # memories and the memory-to-g path switched on
    gen = torch.Generator().manual_seed(seed + 3)
    with torch.no_grad():  # away from the zero initialisations, so every path carries signal
        model.transition_out.normal_(0, 0.1, generator=gen)
        for p in model.parameters():
            if p.ndim == 1 and p.numel() > 1:
                p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.1)
    stream = WalkStream(cfg.env, model.actions, 3, 5, seed=seed)
    chunks = [Batch.from_chunk(stream.next_chunk(i), torch.device("cpu")) for i in range(n_chunks)]
    state = model.initial_state(3)
    return model, chunks, type(state)(*(t.double() for t in vars(state).values()))


def test_inference_kernel_gradients_check(kernel):
    # A chunk with memories from an earlier chunk, some environments fresh (the prior).
    model, chunks, state = _model_and_chunks(seed=1)
    model.kernel = "auto"
    with torch.no_grad():
        state = model(chunks[0].actions, chunks[0].observations, state, chunks[0].reset).state
    reset = torch.tensor([True, False, False])
    c = model._chunk(chunks[1].actions, chunks[1].observations, state, reset)
    lay, spec, ints, fixed, *diff = inference_inputs(model, c, model._layout(False))
    # The inputs of both sigma MLPs are not differentiated (TF2's stop_gradient): with their
    # first layers at zero no output depends on those inputs, so finite differences see the
    # same function as the hand-written backward (the first layers' own gradients are
    # still checked: their inputs are nonzero).
    diff[1], diff[9] = torch.zeros_like(diff[1]), torch.zeros_like(diff[9])
    # x2p is rectified (exact zeros: the leaky ReLU's kink); move it off zero.
    gen = torch.Generator().manual_seed(5)
    diff[16] = diff[16] + 0.05 * torch.rand(diff[16].shape, generator=gen, dtype=torch.float64)
    diff = [t.detach().clone().requires_grad_() for t in diff]
    assert float(state.memory_inf.abs().max()) > 0.01

    def run(*d):
        return _Infer.apply(lay, spec, ints, fixed, *d)[:4]  # g, g_gen, p, p_x

    assert torch.autograd.gradcheck(run, diff, fast_mode=True)
    # the full Jacobian for the per-step inputs (small)
    small = diff[-3:]
    assert torch.autograd.gradcheck(lambda *s: run(*diff[:-3], *s), small)


@pytest.mark.parametrize("hierarchical", [False, True])
def test_fold_and_row_sums_kernels_equal_torch(kernel, hierarchical):
    gen = torch.Generator().manual_seed(4)
    starts = [0, 12, 20]
    n, n_b, n_t = starts[-1], 3, 6
    module = torch.tensor([0] * 12 + [1] * 8)
    mask = (module[:, None] >= module[None, :]).double()
    memory = torch.randn(n_b, n, n, generator=gen, dtype=torch.float64) * 0.5
    memory = memory * mask if hierarchical else memory
    a, b = (torch.randn(n_b, n_t, n, generator=gen, dtype=torch.float64) for _ in range(2))
    weights = torch.linspace(0.1, 0.5, n_t, dtype=torch.float64)
    lay = layout(
        kernel,
        iteration_cols(starts, hierarchical=hierarchical),
        starts if hierarchical else [0, n],
        0.8,
    )
    for limit in (1.0, float("inf")):
        got = fold(lay, memory, a, b, weights, 0.9, limit)
        ref = hebbian_fold(
            memory, a, b, weights, 0.9, mask=mask if hierarchical else None, limit=limit
        )
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    group = torch.arange(n) % 7
    ref = torch.zeros(n_b, 7, n, dtype=torch.float64).index_add(1, group, memory)
    torch.testing.assert_close(row_sums(lay, memory, group, 7), ref, rtol=1e-12, atol=1e-12)


def test_model_is_the_same_with_fused_inference_and_torch(kernel):
    # Float64, two chunks (memories folded in between, one environment reset): every output,
    # both memories and every parameter's gradient equal to 1e-9 relative.
    runs = {}
    for mode in ("torch", "auto"):
        model, chunks, state = _model_and_chunks(seed=2)
        model.kernel = mode
        chunks[1].reset[0] = True
        outs = []
        for batch in chunks:
            out = model(batch.actions, batch.observations, state, batch.reset)
            model.loss(out, batch).backward()
            outs.append(out)
            state = out.state.detach()
        runs[mode] = (outs, {k: v.grad for k, v in model.named_parameters()})
    for o_torch, o_kernel in zip(runs["torch"][0], runs["auto"][0], strict=True):
        for name in ("logits", "logits_p", "logits_g", "g", "g_gen", "p", "p_g", "p_gt", "p_x"):
            torch.testing.assert_close(
                getattr(o_kernel, name), getattr(o_torch, name), rtol=1e-9, atol=1e-12, msg=name
            )
        for name in ("memory_gen", "memory_inf", "g", "x_filtered"):
            torch.testing.assert_close(
                getattr(o_kernel.state, name), getattr(o_torch.state, name), rtol=1e-9, atol=1e-12
            )
    grads = runs["torch"][1]
    assert sum(int(g is not None and bool((g != 0).any())) for g in grads.values()) > 30
    for name, grad in grads.items():
        got = runs["auto"][1][name]
        if grad is None:
            assert got is None or not bool(got.any()), name
            continue
        scale = float(grad.abs().max()) + 1e-30
        assert float((got - grad).abs().max()) <= 1e-9 * scale, name


def test_a_chunks_graph_is_freed_without_the_garbage_collector(kernel):
    # The compiled pass keeps no reference cycle (ctx <-> its outputs): otherwise every
    # training step's graph and saved arrays would stay in memory until a collection.
    model, chunks, state = _model_and_chunks(seed=3, n_chunks=1)
    model.kernel = "auto"
    gc.disable()
    try:
        out = model(chunks[0].actions, chunks[0].observations, state, chunks[0].reset)
        model.loss(out, chunks[0]).backward()
        refs = [weakref.ref(t) for t in (out.g, out.p, out.p_x)]
        del out
        assert all(r() is None for r in refs)
    finally:
        gc.enable()
