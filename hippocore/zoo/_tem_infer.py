"""TEM's inference pass over a chunk as one compiled call per environment (``_tem_infer.cpp``).

Why: the inference pass is sequential (step t's retrieval reads the memories of steps
before t, and its output decides g and p at t through small MLPs). Run as torch operations
it costs about 90 small operations per time step forwards and as many autograd nodes
backwards, and each step's attractor streams all environments' inference matrices from
main memory. Compiled, the whole chunk of one environment runs while its matrix stays in
cache, and a step's small operations are a few loops. The maths is
:meth:`hippocore.zoo.tem.TEM._inference_pass`'s, term by term, in the input's float type
(only the order of sums differs: rounding); ``model.kernel = "torch"`` runs that.

Backward: the kernel walks the steps back, then sums the weights' gradients over all steps
and environments (only the entries the forward reads: the MLPs' diagonal blocks, D's
allowed part).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from hippocore.zoo._tem_kernel import Layout

if TYPE_CHECKING:
    from hippocore.zoo._tem_state import _Chunk
    from hippocore.zoo.tem import TEM

__all__ = ["fused_inference", "inference_inputs"]

# The kernel's arrays after the integer ones, in the order of Net in _tem_infer.cpp.
PARAMS = "D Wg1 bg1 Wg2 bg2 Wm1 bm1 Wm2 bm2 Ws1 bs1 Ws2 bs2 prior_mu prior_sigma".split()
OUTS = "g g_gen p px A Bm".split()
# name -> row width key (sizes of the per-step intermediates kept for backward)
SAVED = {
    "u": "ng", "h1g": "Hg", "a1g": "Hg", "tg": "ng", "sg": "ng", "gd": "nph", "hm": "Hm",
    "am": "Hm", "mu_raw": "ng", "q": "nq", "hsd": "Hs", "asd": "Hs", "ts": "ng", "es": "ng",
    "sm": "ng",
}  # fmt: skip
GRADS = {
    "d_u": "ng", "d_yg": "ng", "d_h1g": "Hg", "d_ym": "ng", "d_hm": "Hm", "d_ys": "ng",
    "d_hs": "Hs", "d_x2p": "n", "d_first": "n",
}  # fmt: skip
SIZES = "B T ng Hg nph Hm nq Hs nxc flo fhi nx Hr nmod".split()
NAMES = [
    *"act obs reset down gmod rD rg1 rg2 rm1 rm2 rs1 rs2".split(), *PARAMS[:13], *"bx C1 c1 C2 c2".split(), *PARAMS[13:],
    *"g_start x2p first M scale w".split(), *OUTS, *SAVED, "hs", "zs",
]  # fmt: skip


def _call(lay: Layout, name: str, dtype: torch.dtype, ctx_like, arrays: list[Tensor]) -> None:
    """Run ``tem_<name>`` with the sizes, scalars and the arrays' addresses."""
    ptrs = torch.tensor([a.data_ptr() for a in arrays], dtype=torch.int64)
    sizes = tuple(ctx_like.dims[k] for k in SIZES)
    lay.call(name, dtype, sizes, ctx_like.scalars, ptrs)


class _Infer(torch.autograd.Function):
    """The inference pass; inputs after ``(lay, spec, ints, fixed)``: PARAMS, g_start, x2p, first."""

    @staticmethod
    def forward(ctx, lay, spec, ints, fixed, *diff):
        x2p = diff[-2]
        dims, n, n_it = spec.dims, x2p.shape[-1], lay.tensors[1].numel()
        width = {**dims, "n": n}
        new = lambda w, *more: x2p.new_empty(dims["B"], dims["T"], *more, w)  # noqa: E731
        outs = [new(width[k]) for k in ("ng", "ng", "n", "n", "n", "n")]
        saved = [new(width[k]) for k in SAVED.values()]
        saved += [new(n, n_it + 1), new(n, n_it)]  # hs, zs
        read_out, (memory, scale, weights) = fixed[:5], fixed[5:]
        arrays = [
            *ints, *diff[:13], *read_out, *diff[13:16], diff[16], diff[17],
            memory, scale, weights, *outs, *saved,
        ]  # fmt: skip
        _call(lay, "infer_forward", x2p.dtype, spec, arrays)
        # The outputs are saved the autograd way: kept on ctx they would form a reference
        # cycle with this node, and every step's graph would wait for the garbage collector.
        ctx.save_for_backward(*outs)
        ctx.lay, ctx.spec = lay, spec
        ctx.before, ctx.after = arrays[: NAMES.index("g")], arrays[NAMES.index("g") + len(OUTS) :]
        ctx.mark_non_differentiable(outs[4], outs[5])
        return tuple(outs)

    @staticmethod
    def backward(ctx, g_g, g_gen, g_p, g_px, _g_a, _g_b):
        spec, arrays = ctx.spec, [*ctx.before, *ctx.saved_tensors, *ctx.after]
        x2p = arrays[NAMES.index("x2p")]
        dims, n = spec.dims, x2p.shape[-1]
        width = {**dims, "n": n}
        n_b, n_g = dims["B"], dims["ng"]
        grads = {k: x2p.new_empty(n_b, dims["T"], width[w]) for k, w in GRADS.items()}
        priors = [x2p.new_zeros(n_b, n_g) for _ in range(2)]
        g_start = x2p.new_empty(n_b, n_g)
        upstream = [t.contiguous() for t in (g_g, g_gen, g_p, g_px)]
        order = [grads["d_u"], g_start, *priors]
        order += [grads[k] for k in ("d_yg", "d_h1g", "d_ym", "d_hm", "d_ys", "d_hs")]
        order += [grads["d_x2p"], grads["d_first"]]
        weights = [torch.zeros_like(arrays[NAMES.index(k)]) for k in PARAMS[:13]]  # D, MLPs
        _call(ctx.lay, "infer_backward", x2p.dtype, spec, arrays + upstream + order + weights)
        return (None, None, None, None, *weights, *(p.sum(0) for p in priors), g_start,
                grads["d_x2p"], grads["d_first"])  # fmt: skip


@functools.cache
def _block_ranges(blocks: tuple[tuple[int, int], ...]) -> Tensor:
    """Rows of a block-diagonal matrix with blocks of these shapes: [first, end) column, (rows, 2).

    Cached (read only): one tensor per shape.
    """
    ranges, col = [], 0
    for n_rows, n_cols in blocks:
        ranges += [[col, col + n_cols]] * n_rows
        col += n_cols
    return torch.tensor(ranges, dtype=torch.int64)


@functools.cache
def _d_ranges(n_grids: tuple[int, ...]) -> Tensor:
    """Rows of the masked transition matrix D[to, from]: from the first unit of `to`'s module."""
    ranges, first, n_g = [], 0, sum(n_grids)
    for size in n_grids:
        ranges += [[first, n_g]] * size
        first += size
    return torch.tensor(ranges, dtype=torch.int64)


class _Spec:
    """Sizes (``dims``) and scalars (ratio, offset, sigma offset, w_x) of one call."""

    def __init__(self, dims: dict[str, int], scalars: list[float]):
        self.dims = dims
        self.scalars = torch.tensor(scalars, dtype=torch.float64)


def fused_inference(model: TEM, c: _Chunk, lay: Layout) -> tuple[Tensor, ...]:
    """``TEM._inference_pass`` on the compiled kernel: g, g_gen, p, p_x, a, b (b, T, ...).

    ``lay``: the inference memory's layout (``TEM._layout(False)``). The matrix and the
    read-out used for the memory's sigma are not differentiated (as in the torch pass).
    """
    return _Infer.apply(*inference_inputs(model, c, lay))


def inference_inputs(model: TEM, c: _Chunk, lay: Layout) -> tuple:
    """The arguments of :class:`_Infer` for a chunk: ``lay, spec, ints, fixed, *diff``.

    ``diff`` (differentiated): D (n_actions + 1, n_g, n_g), the assembled weights and
    biases of ``g2g_logsig``, ``p2g_mu``, ``p2g_logsig``, the prior's mean and sigma,
    ``g_start``, ``x2p`` and ``first_inf``.
    """
    m, sc = model.config.model, c.schedule
    dtype = c.x2p.dtype
    w_g, w_m, w_s = (net.assemble() for net in (model.g2g_logsig, model.p2g_mu, model.p2g_logsig))
    prior_sigma = torch.exp(model.g_prior_logsig + m.logsig_offset)
    params = [model.transition_matrices(), *w_g, *w_m, *w_s, model.g_prior_mu, prior_sigma]
    diff = [t.to(dtype).contiguous() for t in (*params, c.g_start, c.x2p, c.first_inf)]
    read_out = (model.b_x, model.c_star_w1, model.c_star_b1, model.c_star_w2, model.c_star_b2)
    fixed = [t.detach().to(dtype).contiguous() for t in (*read_out, c.mem_inf, c.old_scale)]
    fixed.append(c.weights.to(dtype).contiguous())
    n_b, t_len = c.actions.shape
    ints = [
        t.to(torch.int64).contiguous()
        for t in (c.actions, c.x_onehot.argmax(-1), c.reset, model.down_index)
    ]
    ints.append(model.g_member.argmax(1).contiguous())
    # Nonzero columns of each row: D[to, from] from the first unit of `to`'s module on;
    # the MLPs' weights block-diagonal.
    ints.append(_d_ranges(tuple(m.n_grids)))
    for net in (model.g2g_logsig, model.p2g_mu, model.p2g_logsig):
        ints += [_block_ranges(tuple(tuple(w.shape) for w in layer)) for layer in (net.w1, net.w2)]
    f = m.prediction_module
    hidden = [w_g[0].shape[1], w_m[0].shape[1], w_s[0].shape[1]]
    sizes = [n_b, t_len, m.n_g, hidden[0], sum(m.n_phases), hidden[1], 2 * m.n_modules]
    sizes += [hidden[2], m.n_x_compressed, model.p_starts[f], model.p_starts[f + 1]]
    sizes += [model.c_star_w2.shape[1], model.c_star_w1.shape[1], m.n_modules]
    scalars = [m.logsig_ratio, m.logsig_offset, (1.0 - sc.p2g_use) * m.p2g_sigma_offset]
    spec = _Spec(dict(zip(SIZES, sizes, strict=True)), [*scalars, float(model.w_x.detach())])
    return (lay, spec, ints, fixed, *diff)
