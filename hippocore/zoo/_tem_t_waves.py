"""TEM-t's plane-wave transition: path integration by rotations of plane-wave phases.

Per module, ``W_a = U R(K d_a) U^T``: the module's wave vectors ``K`` (a triad 120 degrees
apart, or free directions), each action's displacement ``d_a`` (the lattice's, a learned
vector, or the lattice's length with a learned direction) and a learned mixing ``U`` of the
plane coordinates into units. A mixin of :class:`hippocore.zoo.tem_t.TEMT` (it reads
``self.config`` and owns the parameters it creates); split from ``tem_t.py`` to keep each
file readable.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hippocore.zoo._tem_t_config import action_displacements, cyclic_order

__all__ = ["PlaneWaveTransition"]


class PlaneWaveTransition(nn.Module):
    """The plane-wave parameters and transition matrices of TEM-t (mixin; see module)."""

    config: object  # the model's TEMTConfig, set by the model
    actions: tuple[str, ...]  # the model's action vocabulary (``"kind:direction"``)

    def _init_plane_waves(self, g: torch.Generator) -> None:
        """Parameters of the plane-wave transition (``model.transition = "plane-waves"``)."""
        m = self.config.model
        n_mod, size = m.n_modules, m.n_e // m.n_modules
        n_planes = self._planes_per_module()
        spacing = torch.tensor(m.grid_spacing, dtype=torch.float32).expand(n_mod)
        # |k| at which three waves 60 degrees apart make a hexagonal grid of this spacing.
        self.register_buffer("wave_length", 4 * math.pi / (math.sqrt(3) * spacing))
        # U_m = expm(S - S^T): which unit reads which plane. A small S starts near the
        # identity: every unit (nearly) one plane coordinate, i.e. a band, so whether a unit
        # combines its module's waves into a grid is learned, not given (a random U mixes).
        self.mixing_param = nn.Parameter(
            m.mixing_init * torch.randn(n_mod, size, size, generator=g)
        )
        if m.wave_geometry == "triad":
            self.wave_orientation = nn.Parameter(2 * math.pi * torch.rand(n_mod, generator=g))
        else:
            self.wave_direction = nn.Parameter(
                2 * math.pi * torch.rand(n_mod, n_planes, generator=g)
            )
        disp = torch.as_tensor(action_displacements(self.config.env.kinds), dtype=torch.float32)
        if m.action_geometry == "lattice":
            self.register_buffer("action_displacement", disp)
        elif m.action_geometry == "directions":
            self.register_buffer("action_length", disp.norm(dim=1))
            lattice = torch.atan2(disp[:, 1], disp[:, 0])
            jitter = m.direction_spread * (2 * torch.rand(len(disp), generator=g) - 1)
            start = lattice + jitter
            if m.ordered_start:
                kinds = [name.split(":")[0] for name in self.actions]  # "kind:direction"
                sizes = [kinds.count(k) for k in dict.fromkeys(kinds)]  # moves per world kind
                start = cyclic_order(lattice, start, sizes)
            self.action_angle = nn.Parameter(start / m.direction_rate)
        else:
            angle = 2 * math.pi * torch.rand(len(disp), generator=g)
            start = 0.1 * torch.stack([angle.cos(), angle.sin()], 1)
            self.action_displacement = nn.Parameter(start)

    def _equal_plane_start(self, g: torch.Generator) -> Tensor:
        """A start vector with every rotation plane at amplitude sqrt(2), random phases."""
        m = self.config.model
        n_planes = m.n_modules * self._planes_per_module()
        phase = 2 * math.pi * torch.rand(n_planes, generator=g)
        z = math.sqrt(2) * torch.stack([phase.cos(), phase.sin()], 1).reshape(-1)
        u = self.mixing().detach()  # (n_mod, size, 2 * planes)
        blocks = z.reshape(m.n_modules, -1)
        e0 = torch.einsum("mij,mj->mi", u, blocks)
        # With more units than plane coordinates, U has orthonormal columns and the units'
        # norm is sqrt(2 * planes) per module; the module rescaling after f restores it.
        return e0.reshape(-1)

    # -- building blocks --------------------------------------------------------------

    def _planes_per_module(self) -> int:
        """Plane-wave transition: rotation planes per module (3 for a triad)."""
        m = self.config.model
        return 3 if m.wave_geometry == "triad" else m.n_e // m.n_modules // 2

    def mixing(self) -> Tensor:
        """Plane-wave transition: each module's mixing U, shape (n_modules, n, 2 * planes).

        ``U = expm(S - S^T) U_0``: orthonormal columns, one per plane coordinate. With as
        many units as plane coordinates ``U_0 = I`` (U is a rotation); with k times as many,
        unit i starts reading plane coordinate ``i mod (2 * planes)`` (``U_0`` scaled by
        ``1 / sqrt(k)`` to keep the columns orthonormal), so every unit starts as a band and
        k units share each coordinate until training mixes them.
        """
        s = self.mixing_param
        u = torch.linalg.matrix_exp(s - s.transpose(1, 2))
        n_coord = 2 * self._planes_per_module()
        size = u.shape[-1]
        if size == n_coord:
            return u
        u0 = torch.eye(n_coord, dtype=u.dtype, device=u.device).repeat(size // n_coord, 1)
        return u @ (u0 / math.sqrt(size // n_coord))

    def action_angles(self) -> Tensor:
        """``action_geometry = "directions"``: each action's step direction (rad), (n_a,)."""
        return self.action_angle * self.config.model.direction_rate

    def displacements(self) -> Tensor:
        """Plane-wave transition: each action's displacement (node spacings), shape (n_a, 2)."""
        if self.config.model.action_geometry == "directions":
            a = self.action_angles()
            return torch.stack([a.cos(), a.sin()], -1) * self.action_length[:, None]
        return self.action_displacement

    def wave_vectors(self) -> Tensor:
        """Plane-wave transition: wave vectors (rad per node spacing), (n_modules, n_planes, 2)."""
        m = self.config.model
        if m.wave_geometry == "triad":
            turns = torch.arange(3, dtype=self.wave_length.dtype, device=self.wave_length.device)
            angle = self.wave_orientation[:, None] + 2 * math.pi / 3 * turns
        else:
            angle = self.wave_direction
        unit = torch.stack([angle.cos(), angle.sin()], -1)
        return unit * self.wave_length[:, None, None]

    def _plane_wave_transitions(self) -> Tensor:
        """``W_a = U R(K d_a) U^T`` per module, block-diagonal, shape (n_a, n_e, n_e)."""
        phase = torch.einsum("mpd,ad->amp", self.wave_vectors(), self.displacements())
        c, s = phase.cos(), phase.sin()
        # 2x2 rotation per plane (row-vector convention: e_next = e @ W).
        rot = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)
        n_a, n_mod, n_planes = phase.shape
        eye_p = torch.eye(n_planes, dtype=c.dtype, device=c.device)
        # Block-diagonal over planes: (n_a, n_mod, 2p, 2p).
        blocks = torch.einsum("ampij,pq->ampiqj", rot, eye_p).reshape(
            n_a, n_mod, 2 * n_planes, 2 * n_planes
        )
        u = self.mixing()
        w_mod = u[None] @ blocks @ u.transpose(1, 2)[None]  # (n_a, n_mod, size, size)
        eye_m = torch.eye(n_mod, dtype=c.dtype, device=c.device)
        # Block-diagonal over modules in one product (no Python loop over actions).
        size = u.shape[1]
        return torch.einsum("amij,mn->aminj", w_mod, eye_m).reshape(n_a, n_mod * size, n_mod * size)
