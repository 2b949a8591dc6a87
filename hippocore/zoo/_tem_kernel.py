"""TEM's attractor retrieval as one compiled kernel (``_tem_attractor.cpp``), with autograd.

Why: each attractor iteration reads every environment's 400 x 400 memory matrix; as torch
operations an iteration is one batched product over all environments, so the 16
environments' matrices (10 MB) are streamed from main memory once per iteration and once
more per iteration backwards. The kernel runs all iterations of one environment while its
matrix (640 kB) stays in the core's cache, then moves to the next environment. The maths
is :meth:`hippocore.zoo.tem.TEM.retrieve`'s, term by term, in the input's float type; only
the order of the sums differs (rounding).

The C++ source is compiled with the system's C++ compiler on first use (``g++`` or the
``CXX`` environment variable; about two seconds) into the user's cache folder
(``$XDG_CACHE_HOME/hippocore`` or ``~/.cache/hippocore``), keyed by the source, the flags
and the CPU; the library is called through ``ctypes`` (no Python headers, no build tool).
Without a compiler, :func:`load_kernel` returns ``None`` and TEM runs the torch version.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from hippocore.zoo._tem_memory import iteration_cols

# The library's one translation unit: the inference pass, which includes the attractor.
SOURCE = Path(__file__).with_name("_tem_infer.cpp")
SOURCES = (SOURCE, Path(__file__).with_name("_tem_attractor.cpp"))
FLAGS = ("-O3", "-march=native", "-fopenmp-simd", "-std=c++17", "-shared", "-fPIC")

_P, _I, _D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
_HEAD = [_P, _P, _P, _P, _D, _P]  # layout, cols, start, group, kappa, sizes
_SIGNATURES = {
    "batch_forward": _HEAD + [_P] * 9,
    "batch_backward": _HEAD + [_P] * 6 + [_I] + [_P] * 7,
    "scan_forward": _HEAD + [_P] * 12,
    "scan_backward": _HEAD + [_P] * 16,
    "infer_forward": _HEAD + [_P, _P],  # scalars, pointers
    "infer_backward": _HEAD + [_P, _P],
    "fold": _HEAD + [_P] * 6,  # scalars, memory, a, b, weights, out
    "row_sums": _HEAD + [_P] * 3,  # row groups, memory, out
}


def _cpu_id() -> str:
    """What ``-march=native`` depends on: the CPU's model and feature flags."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    keep = [ln for ln in lines if ln.startswith(("model name", "flags"))]
    return "\n".join(dict.fromkeys(keep))


class KernelUnavailableWarning(RuntimeWarning):
    """TEM runs its torch attractor: no compiler, or compiling or loading the kernel failed."""


def _compile(cxx: str, lib: Path) -> None:
    """Compile the source into ``lib`` (atomically: another process sees all of it or none)."""
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        out = Path(tmp) / lib.name
        done = subprocess.run(
            [cxx, *FLAGS, str(SOURCE), "-o", str(out)], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OSError(f"{cxx} exited with {done.returncode}: {last}")
        os.replace(out, lib)


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hippocore"


@functools.cache
def load_kernel() -> ctypes.CDLL | None:
    """The compiled attractor kernel, compiling it on first use; ``None`` without a compiler.

    Returns
    -------
    ctypes.CDLL or None
        The library, or ``None`` (with a :class:`KernelUnavailableWarning`, once per
        process) when no C++ compiler is found or compiling or loading fails: TEM then runs
        its torch version of the retrieval.
    """
    cxx = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    sources = [path.read_bytes() for path in SOURCES]
    key = hashlib.sha256(b"\0".join([*sources, " ".join(FLAGS).encode(), _cpu_id().encode()]))
    lib = _cache_dir() / f"tem_attractor_{key.hexdigest()[:16]}.so"
    try:
        if not lib.exists():
            if cxx is None:
                raise FileNotFoundError("no C++ compiler (g++ or c++) on PATH and CXX unset")
            _compile(cxx, lib)
        kernel = ctypes.CDLL(str(lib))
    except (OSError, subprocess.SubprocessError) as err:
        warnings.warn(
            f"TEM's compiled attractor is unavailable ({err}); running the torch version, "
            "about 5x slower per training step (set CXX to a C++ compiler to fix).",
            KernelUnavailableWarning,
            stacklevel=3,
        )
        return None
    for name, argtypes in _SIGNATURES.items():
        for suffix in ("f32", "f64"):
            getattr(kernel, f"tem_{name}_{suffix}").argtypes = argtypes
    return kernel


@dataclass(frozen=True)
class Layout:
    """What the kernel needs to know of the memory's units (see :func:`layout`)."""

    kernel: ctypes.CDLL
    tensors: tuple[Tensor, Tensor, Tensor, Tensor]  # (n, K, G), cols, start, group
    kappa: float

    def call(self, name: str, dtype: torch.dtype, sizes: tuple[int, ...], *arrays) -> None:
        """Run entry point ``tem_<name>_<f32|f64>`` on tensors (``None``: a null pointer)."""
        suffix = {torch.float32: "f32", torch.float64: "f64"}[dtype]
        ptrs = [a if isinstance(a, int) else None if a is None else a.data_ptr() for a in arrays]
        head = [t.data_ptr() for t in self.tensors]
        fn = getattr(self.kernel, f"tem_{name}_{suffix}")
        sizes_t = torch.tensor(sizes, dtype=torch.int64)  # held until the call returns
        fn(*head, self.kappa, sizes_t.data_ptr(), *ptrs)


def layout(kernel: ctypes.CDLL, cols: list[int], starts: list[int], kappa: float) -> Layout:
    """The layout of a memory of ``starts[-1]`` units for :func:`attractor` and :func:`scan`.

    Parameters
    ----------
    kernel : ctypes.CDLL
        From :func:`load_kernel`.
    cols : list of int
        Units updating at each attractor iteration (the first ``cols[k]``).
    starts : list of int
        Group boundaries: a unit of group f hears units from ``starts[f]`` on (``[0, n]``
        for an all-to-all memory). The matrix entries outside that are taken as zero.
    kappa : float
        Attractor decay.
    """
    n = starts[-1]
    group = torch.repeat_interleave(torch.arange(len(starts) - 1), torch.tensor(starts).diff())
    sizes = torch.tensor([n, len(cols), len(starts) - 1], dtype=torch.int64)
    as_long = [torch.tensor(v, dtype=torch.int64) for v in (cols, starts)]
    return Layout(kernel, (sizes, *as_long, group.to(torch.int64).contiguous()), float(kappa))


def tem_layout(
    p_starts: list[int], kappa: float, *, hierarchical: bool, like: Tensor
) -> Layout | None:
    """The layout of TEM's generative (``hierarchical``) or inference memory.

    ``p_starts``: first unit of each module, then ``n_p``. ``None`` where the kernel does not
    run: tensors like ``like`` not on CPU or not float32/float64, or no kernel
    (:func:`load_kernel`).
    """
    if like.device.type != "cpu" or like.dtype not in (torch.float32, torch.float64):
        return None
    return _tem_layout(tuple(p_starts), float(kappa), hierarchical)


@functools.cache
def _tem_layout(p_starts: tuple[int, ...], kappa: float, hierarchical: bool) -> Layout | None:
    """:func:`tem_layout` for a CPU float type (built once per process and memory shape)."""
    kernel = load_kernel()
    if kernel is None:
        return None
    starts = list(p_starts)
    cols = iteration_cols(starts, hierarchical=hierarchical)
    return layout(kernel, cols, starts if hierarchical else [0, starts[-1]], kappa)


class _Batch(torch.autograd.Function):
    """Independent queries (:func:`attractor`)."""

    @staticmethod
    def forward(ctx, lay, query, memory, scale, a, b, w, first):
        n_b, n_q, n = query.shape
        n_it = lay.tensors[1].numel()
        sizes = (n_b, n_q, a.shape[1])
        hs = query.new_empty(n_b, n_q, n_it + 1, n)
        zs = query.new_empty(n_b, n_q, n_it, n)  # beyond cols[k]: never read
        lay.call("batch_forward", query.dtype, sizes, query, memory, scale, a, b, w, first, hs, zs)
        ctx.save_for_backward(query, memory, scale, a, b, w, hs, zs)
        ctx.lay, ctx.sizes, ctx.has_first = lay, sizes, first is not None
        return hs[:, :, -1]

    @staticmethod
    def backward(ctx, grad_out):
        query, memory, scale, a, b, w, hs, zs = ctx.saved_tensors
        g_query, g_a, g_b = torch.empty_like(query), torch.zeros_like(a), torch.zeros_like(b)
        g_first = torch.zeros_like(query) if ctx.has_first else None
        ctx.lay.call(
            "batch_backward", query.dtype, ctx.sizes,
            query, memory, scale, a, b, w, int(ctx.has_first), hs, zs,
            grad_out.contiguous(), g_query, g_first, g_a, g_b,
        )  # fmt: skip
        return None, g_query, None, None, g_a, g_b, None, g_first


class _Scan(torch.autograd.Function):
    """The generative pass of a chunk (:func:`scan`)."""

    @staticmethod
    def forward(ctx, lay, qg, fg, qgt, fgt, p, memory, scale, w):
        n_b, n_t, n = qg.shape
        n_it = lay.tensors[1].numel()
        mem_a, mem_b = torch.empty_like(p), torch.empty_like(p)
        hs = p.new_empty(n_b, 2, n_t, n_it + 1, n)
        zs = p.new_empty(n_b, 2, n_t, n_it, n)  # beyond cols[k]: never read
        lay.call(
            "scan_forward", p.dtype, (n_b, n_t),
            qg, fg, qgt, fgt, p, memory, scale, w, mem_a, mem_b, hs, zs,
        )  # fmt: skip
        ctx.save_for_backward(qg, qgt, memory, scale, w, mem_a, mem_b, hs, zs)
        ctx.lay = lay
        ctx.mark_non_differentiable(mem_a, mem_b)
        return hs[:, 0, :, -1], hs[:, 1, :, -1], mem_a, mem_b

    @staticmethod
    def backward(ctx, g_pg, g_pgt, _g_a, _g_b):
        qg, qgt, memory, scale, w, mem_a, mem_b, hs, zs = ctx.saved_tensors
        grads = [torch.empty_like(qg) for _ in range(5)]  # qg, fg, qgt, fgt, p
        ctx.lay.call(
            "scan_backward", qg.dtype, qg.shape[:2],
            qg, qgt, memory, scale, w, mem_a, mem_b, hs, zs,
            g_pg.contiguous(), g_pgt.contiguous(), *grads,
        )  # fmt: skip
        return None, *grads, None, None, None


def _prepare(dtype: torch.dtype, *tensors: Tensor | None, constants: int) -> list:
    """Contiguous tensors of ``dtype``; the last ``constants`` must not need gradients."""
    for t in tensors[len(tensors) - constants :]:
        if t is not None and t.requires_grad:
            raise ValueError("the compiled attractor does not differentiate memory or weights.")
    return [None if t is None else t.to(dtype).contiguous() for t in tensors]


def attractor(
    lay: Layout,
    query: Tensor,
    memory: Tensor,
    old_scale: Tensor,
    a: Tensor,
    b: Tensor,
    weights: Tensor,
    *,
    first: Tensor | None = None,
) -> Tensor:
    """TEM's attractor for independent queries (``TEM.retrieve``) on the compiled kernel.

    Parameters
    ----------
    lay : Layout
        From :func:`layout`.
    query : Tensor (b, Q, n)
    memory : Tensor (b, n, n)
        Not differentiated (TEM's matrices are the detached state of the last chunk).
    old_scale : Tensor (Q,)
    a, b : Tensor (b, S, n)
        The chunk's memories (differentiated).
    weights : Tensor (Q, S)
    first : Tensor (b, Q, n), optional
        ``f_p(query) @ memory`` if already known (differentiated).

    Returns
    -------
    Tensor (b, Q, n)
    """
    q, a, b, first, memory, old_scale, weights = _prepare(
        query.dtype, query, a, b, first, memory, old_scale, weights, constants=3
    )
    return _Batch.apply(lay, q, memory, old_scale, a, b, weights, first)


def scan(
    lay: Layout,
    queries: tuple[Tensor, Tensor, Tensor, Tensor],
    p: Tensor,
    memory: Tensor,
    old_scale: Tensor,
    weights: Tensor,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """TEM's generative pass over a chunk, environment by environment, on the compiled kernel.

    For t = 0 .. T-1: ``p_g[t]`` = the attractor from ``queries[0][t]`` (its first product
    ``queries[1][t]``) and ``p_gt[t]`` from ``queries[2][t]`` (``queries[3][t]``), both
    with the matrix scaled by ``old_scale[t]`` and the memories ``a_s = p_s - p_g[s]``,
    ``b_s = p_s + p_g[s]`` of steps s < t weighted ``weights[t, s]``.

    Parameters
    ----------
    lay : Layout
    queries : 4 Tensors (b, T, n)
        Query and first product for p_g, then for p_gt (differentiated).
    p : Tensor (b, T, n)
        Inferred p (differentiated).
    memory : Tensor (b, n, n)
    old_scale : Tensor (T,)
    weights : Tensor (T, T)

    Returns
    -------
    p_g, p_gt, a, b : Tensor (b, T, n)
        The retrievals and the chunk's memories (the last two not differentiable).
    """
    *qs, p, memory, old_scale, weights = _prepare(
        p.dtype, *queries, p, memory, old_scale, weights, constants=3
    )
    return _Scan.apply(lay, *qs, p, memory, old_scale, weights)


def fold(
    lay: Layout, memory: Tensor, a: Tensor, b: Tensor, weights: Tensor, decay: float, limit: float
) -> Tensor:
    """:func:`~hippocore.zoo._tem_memory.hebbian_fold` on the compiled kernel (not differentiated).

    The layout's connectivity is the mask (a row reaches the columns of its own and lower
    groups); one pass over the matrix instead of a batched product and three more passes.

    Parameters
    ----------
    lay : Layout
    memory : Tensor (batch, n, n)
    a, b : Tensor (batch, T, n)
    weights : Tensor (T,)
    decay, limit : float

    Returns
    -------
    Tensor (batch, n, n)
    """
    dtype = memory.dtype
    memory, a, b, weights = (t.detach().to(dtype).contiguous() for t in (memory, a, b, weights))
    out = torch.empty_like(memory)
    scalars = torch.tensor([decay, limit], dtype=torch.float64)
    lay.call("fold", dtype, (memory.shape[0], a.shape[1]), scalars, memory, a, b, weights, out)
    return out


def row_sums(lay: Layout, memory: Tensor, group: Tensor, n_rows: int) -> Tensor:
    """``out[:, r]`` = the sum of the rows ``i`` of ``memory`` with ``group[i] == r``.

    ``memory`` (batch, n, n), not differentiated; returns (batch, n_rows, n).
    """
    memory = memory.contiguous()
    out = memory.new_zeros(memory.shape[0], n_rows, memory.shape[-1])
    group = group.to(torch.int64).contiguous()
    lay.call("row_sums", memory.dtype, (memory.shape[0], n_rows), group, memory, out)
    return out
