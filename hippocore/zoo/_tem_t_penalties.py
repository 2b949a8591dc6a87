"""TEM-t's auxiliary penalties on the position code (commutation, centring, smoothness).

Split from ``tem_t.py``; also importable from :mod:`hippocore.zoo.tem_t`.
"""

from __future__ import annotations

import torch

__all__ = ["commutation_penalty", "centering_penalty", "smoothness_penalty"]


def commutation_penalty(model: torch.nn.Module) -> torch.Tensor:
    """``mean ||W_a W_b - W_b W_a||_F^2 / n_e`` over pairs of actions of the same lattice kind.

    Parameters
    ----------
    model : TEMT
        The model (its ``transition_matrices()`` and ``actions``).

    Returns
    -------
    Tensor
        Scalar penalty (0 for commuting transitions).
    """
    w = model.transition_matrices()[:-1]  # without stay (the identity commutes)
    kinds = [name.split(":", 1)[0] for name in model.actions]
    terms = []
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        wk = w[idx]
        ab = torch.einsum("aij,bjk->abik", wk, wk)
        comm = ab - ab.transpose(0, 1)  # [W_a, W_b] for every ordered pair
        upper = torch.triu_indices(len(idx), len(idx), offset=1)
        terms.append(comm[upper[0], upper[1]].pow(2).sum(dim=(-2, -1)) / w.shape[-1])
    return torch.cat(terms).mean()


def centering_penalty(r: torch.Tensor, n_modules: int) -> torch.Tensor:
    """Mean over modules of ``||mean r||^2 / n``, the mean taken over batch and time.

    Parameters
    ----------
    r : Tensor (batch, time, n_e)
        Recurrent parts of the position encodings of one chunk (rates minus baseline).
    n_modules : int
        Modules (equal blocks of n units, each of norm ``sqrt(n)`` at every step).

    Returns
    -------
    Tensor
        Scalar in [0, 1]: 0 when every module's r averages to zero over the chunk (it
        moves with position), 1 when every module sits at one vector (a constant code).
    """
    blocks = r.unflatten(-1, (n_modules, r.shape[-1] // n_modules))
    mean = blocks.mean(dim=(0, 1))  # (n_modules, n)
    return mean.pow(2).sum(-1).mean() / blocks.shape[-1]


def smoothness_penalty(e: torch.Tensor, n_modules: int, weights: tuple[float, ...]) -> torch.Tensor:
    """Weighted per-module ``mean ||e_t - e_{t-1}||^2 / n`` over consecutive steps.

    Parameters
    ----------
    e : Tensor (batch, time, n_e)
        Position encodings of one chunk (one environment per row: worlds change only
        between chunks).
    n_modules : int
        Modules (equal blocks of units).
    weights : tuple of float
        One weight per module, or one for all.

    Returns
    -------
    Tensor
        Scalar penalty.
    """
    d = (e[:, 1:] - e[:, :-1]).unflatten(-1, (n_modules, e.shape[-1] // n_modules))
    per_module = d.pow(2).mean(dim=(0, 1, 3))  # (n_modules,)
    w = torch.as_tensor(weights, dtype=e.dtype, device=e.device).expand(n_modules)
    return (w * per_module).sum()
