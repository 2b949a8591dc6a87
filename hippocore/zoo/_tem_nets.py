"""TEM's small networks and index maps.

Dense kernels initialised as Keras does, per-module MLPs, and the index maps and masks
that follow from the config.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.zoo._tem_config import TEMConfig


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


def index_maps(config: TEMConfig) -> tuple[list[int], dict[str, Tensor]]:
    """Index maps and masks that follow from the config.

    Returns
    -------
    p_starts : list of int
        First p unit of each module, and ``n_p``.
    maps : dict of str to Tensor
        ``g_member`` (n_g, n_mod) and ``phase_member`` (n_phases, n_mod) one-hot modules;
        ``down_index`` (g units that index memory); ``phase_module``; ``mask_g`` (n_g, n_g)
        transitions [to, from]; ``mask_p`` (n_p, n_p) generative memory [from, to];
        ``unit_mask`` and ``suffix_mask`` (n_mod, n_p): a module's units, the units it
        hears; ``two_hot`` (n_x, n_xc).
    """
    m, n_x = config.model, config.env.n_x
    n_mod, n_xc = m.n_modules, m.n_x_compressed
    grids, phases = list(m.n_grids), list(m.n_phases)
    g_module = torch.repeat_interleave(torch.arange(n_mod), torch.tensor(grids))
    phase_module = torch.repeat_interleave(torch.arange(n_mod), torch.tensor(phases))
    p_module = phase_module.repeat_interleave(n_xc)
    starts_g = np.concatenate([[0], np.cumsum(grids)])
    down = torch.cat([torch.arange(starts_g[f], starts_g[f] + phases[f]) for f in range(n_mod)])
    p_starts = [int(v) for v in np.concatenate([[0], np.cumsum([k * n_xc for k in phases])])]
    # Transitions: module i hears module j iff j has the same or a lower frequency
    # (j >= i). D[to, from].
    mask_g = (g_module[None, :] >= g_module[:, None]).float()
    # Generative memory: M[from i, to j] allowed iff module(i) >= module(j).
    mask_p = (p_module[:, None] >= p_module[None, :]).float()
    codes = list(itertools.combinations(range(n_xc), 2))[:n_x]
    two_hot = torch.zeros(n_x, n_xc)
    for k, (i, j) in enumerate(codes):
        two_hot[k, i] = two_hot[k, j] = 1.0
    return p_starts, {
        "g_member": F.one_hot(g_module, n_mod).float(),
        "down_index": down,
        "phase_module": phase_module,
        "mask_g": mask_g,
        "mask_p": mask_p,
        "phase_member": F.one_hot(phase_module, n_mod).float(),
        "unit_mask": F.one_hot(p_module, n_mod).float().T,  # (n_mod, n_p)
        "suffix_mask": (p_module[None, :] >= torch.arange(n_mod)[:, None]).float(),
        "two_hot": two_hot,
    }
