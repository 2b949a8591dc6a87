"""How much TEM's inferred g leans on its memory (diagnostics, not used in training).

TEM infers g by precision weighting (docs/zoo.md, TEM): the path-integrated g, with a sigma
from ``g2g_logsig`` of the previous g, and the memory's estimate of g from the retrieved
``p_x`` (:meth:`hippocore.zoo.tem.TEM.memory_to_g`), each weighted by its inverse variance.
:func:`memory_weight` gives the memory's share per g unit. The results scripts
(docs/results/scripts/tem_memory_weight.py) and the triple-conjunction benchmark
(benchmarks/bench_triple.py) read it from here, so the formula exists once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from hippocore.zoo.tem import TEM

__all__ = ["memory_weight"]


@torch.no_grad()
def memory_weight(
    model: TEM, g_prev: Tensor, p_x: Tensor, x_onehot: Tensor, p2g_use: float
) -> tuple[Tensor, Tensor]:
    """The memory's estimate of g and its weight in the inferred g, per step and g unit.

    Parameters
    ----------
    model : TEM
        The model (a TEM-3's ``.tem`` for the triple-conjunction variant).
    g_prev : Tensor of shape (..., n_g)
        The inferred g of the step before (the path integration's start).
    p_x : Tensor of shape (..., n_p)
        The place code the inference memory retrieved at the step.
    x_onehot : Tensor of shape (..., n_x)
        The step's observation, one-hot (the joint (x, c) code for TEM-3).
    p2g_use : float
        The schedule's ``p2g_use`` at the model's step (``model.schedule(step).p2g_use``).

    Returns
    -------
    g_mem : Tensor of shape (..., n_g)
        The memory's estimate of g (``memory_to_g``'s mean).
    weight : Tensor of shape (..., n_g)
        ``s_mem^-2 / (s_mem^-2 + s_path^-2)``, in [0, 1]: 1 when the memory alone decides g.
        Not valid at a world's first step, where the prior replaces the path.
    """
    m = model.config.model
    g_mem, sigma_mem = model.memory_to_g(p_x, x_onehot, p2g_use)
    log_path = model.g2g_logsig(g_prev) * m.logsig_ratio + m.logsig_offset
    inv_mem, inv_path = sigma_mem.pow(-2), torch.exp(-2 * log_path)
    return g_mem, inv_mem / (inv_mem + inv_path)
