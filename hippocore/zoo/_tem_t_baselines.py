"""TEM-t's two position-code baselines: fixed 2-D sinusoids of the node, a learned row per node.

Issue 13 item 6 asks what TEM-t's recurrent position code buys over codes that are simply
given the position. ``model.position_code`` picks the code e_t; everything else (memory,
keys and queries from e, position correction, read-out, losses and penalties) is TEM-t's:

``"recurrent"`` (default)
    TEM-t itself: ``e_t = f(e_{t-1} W_{a_t})``, path-integrated from the actions.
``"sinusoidal"``
    A **fixed** (not learned) transformer-style positional encoding of the current node's
    2-D coordinates r (node spacings; ``World.coords / World.spacing``): for each of
    ``n_e / 2`` wave vectors k_j, the two units ``sqrt(2) sin(k_j . r)`` and
    ``sqrt(2) cos(k_j . r)`` (units ``2j`` and ``2j + 1``; the factor makes the code's norm
    ``sqrt(n_e)``, as TEM-t's). The wave vectors: 6 orientations 30 degrees apart (0, 30,
    ..., 150 degrees; j mod 6) times wavelengths in a geometric series from 2 to 12 node
    spacings (j div 6; as many as ``n_e / 12`` rounded up). With the default 120 units that
    is 10 wavelengths (2, 2.44, ..., 12 spacings), one per 12-unit module block.
``"embedding"``
    A **learned** vector per node index: row ``i`` of a table with one row per node of the
    largest world the env config makes (``env.widths[1] ** 2``), drawn N(0, 1) at
    initialisation and passed through TEM-t's f (each module rescaled to norm
    ``sqrt(units per module)``), so the activity penalty cannot shrink it away.

Both are **oracles of position**: the code depends on the node alone, so every revisit of a
node, by any path, gives the same key, and zero-shot inference (a revisit through a
never-taken edge) comes free by construction: nothing has to be path-integrated. Node index
``i`` is row ``i // width``, column ``i % width`` (``hippocore.envs.make_world``): the same
lattice point in every world of one width, a different one across widths. The sinusoidal
code is the same function of the coordinates in every world; the embedding's row i means
different places in worlds of different widths, which no loss asks it to reconcile
(memory is cleared per world, so it need not).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = [
    "POSITION_CODES",
    "PositionOracle",
    "sinusoidal_wave_vectors",
    "sinusoidal_code",
]

POSITION_CODES = ("recurrent", "sinusoidal", "embedding")
"""The values of ``model.position_code``."""


def sinusoidal_wave_vectors(
    n_e: int, *, n_orientations: int = 6, shortest: float = 2.0, longest: float = 12.0
) -> Tensor:
    """The sinusoidal baseline's wave vectors, shape (n_e // 2, 2), radians per node spacing.

    Parameters
    ----------
    n_e : int
        Code units (even): ``n_e / 2`` wave vectors.
    n_orientations : int, default 6
        Orientations ``pi * o / n_orientations`` (o = j mod n_orientations).
    shortest, longest : float, default 2.0, 12.0
        Wavelength range (node spacings); the wavelengths ``j div n_orientations`` run
        geometrically from ``shortest`` to ``longest`` (one wavelength: ``longest``).

    Returns
    -------
    Tensor (n_e // 2, 2)
        ``k_j = 2 pi / lambda_j (cos theta_j, sin theta_j)``.
    """
    n_k = n_e // 2
    j = torch.arange(n_k, dtype=torch.float64)
    theta = math.pi * torch.remainder(j, n_orientations) / n_orientations
    level = torch.div(j, n_orientations, rounding_mode="floor")
    n_levels = math.ceil(n_k / n_orientations)
    if n_levels == 1:
        wavelength = torch.full_like(j, longest)
    else:
        wavelength = shortest * (longest / shortest) ** (level / (n_levels - 1))
    k = 2 * math.pi / wavelength
    return torch.stack([k * theta.cos(), k * theta.sin()], -1).float()


def sinusoidal_code(positions: Tensor, wave_vectors: Tensor) -> Tensor:
    """``sqrt(2) (sin k_j.r, cos k_j.r)`` interleaved per wave vector, shape (..., 2 n_k).

    Parameters
    ----------
    positions : Tensor (..., 2)
        Node coordinates r, in node spacings.
    wave_vectors : Tensor (n_k, 2)
        From :func:`sinusoidal_wave_vectors`.

    Returns
    -------
    Tensor (..., 2 n_k)
        Unit ``2j``: ``sqrt(2) sin(k_j . r)``; unit ``2j + 1``: ``sqrt(2) cos(k_j . r)``.
    """
    phase = positions.to(wave_vectors.dtype) @ wave_vectors.T  # (..., n_k)
    code = torch.stack([phase.sin(), phase.cos()], -1) * math.sqrt(2)
    return code.flatten(-2)


class PositionOracle(nn.Module):
    """The baselines' position codes (a mixin of :class:`hippocore.zoo.tem_t.TEMT`).

    Reads ``self.config`` and the model's f (``self._f``); owns the table or the wave
    vectors it creates.
    """

    config: object  # the model's TEMTConfig, set by the model

    def _init_position_oracle(self, g: torch.Generator) -> None:
        """The sinusoidal wave vectors (a buffer) or the embedding table (a parameter)."""
        m, env = self.config.model, self.config.env
        if m.position_code == "sinusoidal":
            # Not saved (persistent=False): it follows from the config.
            self.register_buffer(
                "wave_vectors_fixed", sinusoidal_wave_vectors(m.n_e), persistent=False
            )
        elif m.position_code == "embedding":
            rows = env.widths[1] ** 2  # worlds are width x width
            self.position_embedding = nn.Parameter(torch.randn(rows, m.n_e, generator=g))

    @property
    def uses_nodes(self) -> bool:
        """Whether ``forward`` needs ``nodes=`` and ``positions=`` (the baselines)."""
        return self.config.model.position_code != "recurrent"

    def oracle_code(self, nodes: Tensor | None, positions: Tensor | None) -> Tensor:
        """The baseline's code e at every step, shape (batch, time, n_e).

        Parameters
        ----------
        nodes : Tensor of long (batch, time)
            Node index at each step (the embedding's row).
        positions : Tensor (batch, time, 2)
            Node coordinates, node spacings (the sinusoids' argument).

        Raises
        ------
        ValueError
            If the input the code needs is missing, or a node index is beyond the
            embedding table (a world wider than ``env.widths[1]``).
        """
        code = self.config.model.position_code
        if nodes is None or positions is None:
            raise ValueError(
                f"model.position_code = {code!r} reads the node at each step; pass nodes= and "
                "positions= to forward (train, evaluate and rollout do)."
            )
        if code == "sinusoidal":
            return sinusoidal_code(positions, self.wave_vectors_fixed)
        rows = self.position_embedding.shape[0]
        if nodes.numel() and int(nodes.max()) >= rows:
            width = self.config.env.widths[1]
            raise ValueError(
                f"node index {int(nodes.max())} is beyond the position embedding's {rows} rows "
                f"(model.position_code = 'embedding': one row per node of the widest training "
                f"world, env.widths[1] = {width}); use worlds at most {width} x {width}."
            )
        return self._f(self.position_embedding[nodes])
