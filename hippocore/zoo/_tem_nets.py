"""TEM's small networks: dense kernels initialised as Keras does, per-module MLPs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _dense(n_in: int, n_out: int, g: torch.Generator, std: float | None = None) -> nn.Parameter:
    """Kernel (n_in, n_out): Glorot-uniform (Keras default) or truncated normal (±2 std)."""
    w = torch.empty(n_in, n_out)
    if std is None:
        nn.init.xavier_uniform_(w, generator=g)
    else:
        nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std, generator=g)
    return nn.Parameter(w)


class _ModuleMLPs(nn.Module):
    """One two-layer MLP per module (TF2 keeps one Keras model per module), run at once.

    Each module has its own weights (so per-tensor gradient clipping sees the same
    variables as TF2); a forward call assembles them block-diagonally, so all modules go
    through two matrix products.
    """

    def __init__(
        self,
        n_in: list[int],
        n_hidden: list[int],
        n_out: list[int],
        g: torch.Generator,
        *,
        out_std: float | None = None,
        out_tanh: bool = False,
    ):
        super().__init__()
        self.w1 = nn.ParameterList(_dense(i, h, g) for i, h in zip(n_in, n_hidden, strict=True))
        self.b1 = nn.ParameterList(nn.Parameter(torch.zeros(h)) for h in n_hidden)
        self.w2 = nn.ParameterList(
            _dense(h, o, g, out_std) for h, o in zip(n_hidden, n_out, strict=True)
        )
        self.b2 = nn.ParameterList(nn.Parameter(torch.zeros(o)) for o in n_out)
        self.out_tanh = out_tanh

    def assemble(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Block-diagonal weights and concatenated biases of all modules (once per chunk)."""
        return (
            torch.block_diag(*self.w1),
            torch.cat(list(self.b1)),
            torch.block_diag(*self.w2),
            torch.cat(list(self.b2)),
        )

    def forward(self, x: Tensor, weights: tuple[Tensor, ...] | None = None) -> Tensor:
        """x: (..., sum n_in) with modules concatenated -> (..., sum n_out)."""
        w1, b1, w2, b2 = self.assemble() if weights is None else weights
        y = F.elu(x @ w1 + b1) @ w2 + b2
        return torch.tanh(y) if self.out_tanh else y
