"""Control patterns on the nodes of a lattice world: ideal grids, bands, smooth random fields.

The positive and negative controls of the lattice grid-unit test
(:func:`hippocore.analysis.lattice_grid_units`): a test that calls model units grid units
must pass ideal grids and fail bands and smooth noise on the same world and pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array, as_positions, as_rng, check_choice, check_positive
from hippocore.envs import World
from hippocore.testing._maps import band_rate

__all__ = [
    "CONTROL_KINDS",
    "LatticeControls",
    "plane_wave_grid_rate",
    "smooth_noise_on_nodes",
    "lattice_controls",
]

#: Kinds of control pattern: ``grid`` (positive), ``band`` and ``noise`` (negative).
CONTROL_KINDS = ("grid", "band", "noise")


def plane_wave_grid_rate(
    positions: ArrayLike,
    *,
    wavelength: float,
    orientation: float = 0.0,
    phase: Sequence[float] = (0.0, 0.0),
) -> NDArray[np.float64]:
    """An ideal hexagonal grid as three plane waves 60 degrees apart, scaled to [0, 1].

    ``rate = (sum_j cos(k_j . (x - phase)) + 3/2) / (9/2)`` with ``|k_j| = 2 pi / wavelength``
    and ``k_j`` at ``orientation + j * 60 deg`` (j = 0, 1, 2; up to sign the triad
    k_1 + k_2 + k_3 = 0). The sum lies in [-3/2, 3], so the rate is non-negative and peaks
    at 1 on the fields, which sit on a triangular lattice of spacing
    ``wavelength * 2 / sqrt(3)`` with one field at ``phase``.

    Parameters
    ----------
    positions : array_like of shape (n, 2)
        Where to evaluate (m), columns (x, y).
    wavelength : float
        Wavelength of each plane wave (m).
    orientation : float, default 0
        Direction of the first wave vector (rad from +x).
    phase : (float, float), default (0, 0)
        Position of one field centre (m).

    Returns
    -------
    ndarray of shape (n,)
    """
    pos = as_positions(positions)
    wavelength = check_positive(wavelength, "wavelength")
    ph = as_float_array(phase, "phase", ndim=1, allow_nan=False)
    if ph.size != 2:
        raise ValueError(f"phase must be (x, y) in m; got {phase!r}.")
    angles = float(orientation) + np.arange(3) * np.pi / 3
    k = 2 * np.pi / wavelength * np.column_stack([np.cos(angles), np.sin(angles)])  # (3, 2)
    waves = np.cos((pos - ph) @ k.T).sum(axis=1)
    return (waves + 1.5) / 4.5


def smooth_noise_on_nodes(
    world: World,
    *,
    sigma: float,
    n_units: int = 1,
    seed: int | np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """Gaussian-smoothed white noise on the nodes of a world, scaled to [0, 1] per unit.

    Independent standard normal values at each node are smoothed with a Gaussian kernel of
    the Euclidean distance between node coordinates, ``w_ij = exp(-d_ij^2 / (2 sigma^2))``
    normalised per node, then each unit is shifted and scaled to span [0, 1].

    Parameters
    ----------
    world : World
        The lattice (uses ``coords`` and ``spacing``).
    sigma : float
        Kernel standard deviation, in node spacings.
    n_units : int, default 1
        Independent fields to draw.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    ndarray of shape (n_nodes, n_units)
    """
    sigma = check_positive(sigma, "sigma")
    rng = as_rng(seed)
    c = np.asarray(world.coords, float) / float(world.spacing)
    d2 = np.sum((c[:, None, :] - c[None, :, :]) ** 2, axis=-1)
    w = np.exp(-d2 / (2 * sigma**2))
    w /= w.sum(axis=1, keepdims=True)
    f = w @ rng.standard_normal((c.shape[0], int(n_units)))
    f -= f.min(axis=0)
    return f / f.max(axis=0)


def _check_stretch(stretch: object, kind: str) -> float:
    try:
        value = float(stretch)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = float("nan")
    if not (np.isfinite(value) and value >= 1.0):
        raise ValueError(f"stretch must be a number >= 1 (1: no stretch); got {stretch!r}.")
    if value != 1.0 and kind != "grid":
        raise ValueError(f"stretch applies to grids only; got kind={kind!r} with stretch={value}.")
    return value


def _squeeze(coords: ArrayLike, stretch: float, direction: float, centre: NDArray) -> NDArray:
    """Coordinates compressed by ``stretch`` along ``direction`` (rad) about ``centre``.

    A pattern evaluated at them is the pattern stretched by ``stretch`` along that direction.
    """
    u = np.array([np.cos(direction), np.sin(direction)])
    rel = np.asarray(coords, float) - centre
    along = rel @ u
    return centre + rel - np.outer(along * (1.0 - 1.0 / stretch), u)


@dataclass(frozen=True)
class LatticeControls:
    """Control patterns on a world's nodes (result of :func:`lattice_controls`).

    Attributes
    ----------
    kind : {"grid", "band", "noise"}
        The pattern.
    activity : ndarray of shape (n_nodes, n_units)
        Non-negative rate of each unit at each node, in [0, 1]. Score with
        ``lattice_grid_units(world, np.arange(n_nodes), activity)``, or index by a walk's
        nodes (``activity[walk.nodes]``).
    wavelength : ndarray of shape (n_units,)
        Plane-wave wavelength (node spacings) for grids and bands; NaN for noise.
    orientation : ndarray of shape (n_units,)
        Direction of the (first) wave vector (rad); NaN for noise.
    phase : ndarray of shape (n_units, 2)
        Grids: a field centre (m); bands: (phase in rad, NaN); NaN for noise.
    sigma : ndarray of shape (n_units,)
        Noise kernel standard deviation (node spacings); NaN for grids and bands.
    parameters : dict
        The ranges the parameters were drawn from and the seed.
    """

    kind: str
    activity: NDArray[np.float64] = field(repr=False)
    wavelength: NDArray[np.float64]
    orientation: NDArray[np.float64]
    phase: NDArray[np.float64]
    sigma: NDArray[np.float64]
    parameters: dict[str, float | int | str] = field(default_factory=dict)


def lattice_controls(
    world: World,
    kind: str,
    n_units: int,
    *,
    wavelength: tuple[float, float] = (4.0, 7.0),
    sigma: tuple[float, float] = (1.0, 2.0),
    stretch: float = 1.0,
    seed: int | np.random.Generator | None = None,
) -> LatticeControls:
    """Random control patterns at the node coordinates of a world.

    - ``"grid"`` (positive control): :func:`plane_wave_grid_rate`, three plane waves 60 deg
      apart, wavelength uniform in ``wavelength`` node spacings, orientation uniform in
      [0, 60) deg, a field centre uniform over the world's bounding box.
    - ``"band"`` (negative control): one plane wave ``(1 + cos(k . x - phi)) / 2``
      (:func:`band_rate` with peak 1), the same
      wavelengths, orientation uniform in [0, 180) deg, phase uniform in [0, 2 pi).
    - ``"noise"`` (negative control): :func:`smooth_noise_on_nodes` with a kernel standard
      deviation uniform in ``sigma`` node spacings.

    Parameters
    ----------
    world : World
        The lattice.
    kind : {"grid", "band", "noise"}
        Pattern.
    n_units : int
        Patterns to draw.
    wavelength : (float, float), default (4, 7)
        Range of plane-wave wavelengths, in node spacings (grids: field spacing is
        ``wavelength * 2 / sqrt(3)``).
    sigma : (float, float), default (1, 2)
        Range of the noise kernel's standard deviation, in node spacings.
    stretch : float, default 1
        Grids only: stretch each grid by this factor along a direction uniform in
        [0, 180) deg (its fields then lie on an ellipse, axis ratio ``stretch``, as in
        many recorded grid cells). 1 (default) draws nothing extra, so seeds give the same
        patterns as without it.
    seed : int or Generator, optional
        Randomness.

    Returns
    -------
    LatticeControls
    """
    if not isinstance(world, World):
        raise TypeError(f"world must be a hippocore.envs.World; got {type(world).__name__}.")
    kind = check_choice(kind, "kind", CONTROL_KINDS)
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 1:
        raise ValueError(f"n_units must be an integer >= 1; got {n_units!r}.")
    for name, rng_ in (("wavelength", wavelength), ("sigma", sigma)):
        if len(rng_) != 2 or not 0 < rng_[0] <= rng_[1]:
            raise ValueError(
                f"{name} must be a range (low, high) with 0 < low <= high; got {rng_!r}."
            )
    stretch = _check_stretch(stretch, kind)
    rng = as_rng(seed)
    n = int(n_units)
    sp = float(world.spacing)
    nan = np.full(n, np.nan)
    params: dict[str, float | int | str] = {"kind": kind}
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        params["seed"] = int(seed)
    if kind == "noise":
        sig = rng.uniform(*sigma, size=n)
        act = np.column_stack([smooth_noise_on_nodes(world, sigma=s, seed=rng)[:, 0] for s in sig])
        params["sigma_range_spacings"] = f"{sigma[0]}-{sigma[1]}"
        return LatticeControls(kind, act, nan, nan, np.full((n, 2), np.nan), sig, params)
    lam = rng.uniform(*wavelength, size=n)
    params["wavelength_range_spacings"] = f"{wavelength[0]}-{wavelength[1]}"
    x0, x1, y0, y1 = world.extent
    if kind == "grid":
        ori = rng.uniform(0, np.pi / 3, size=n)
        ph = np.column_stack([rng.uniform(x0, x1, size=n), rng.uniform(y0, y1, size=n)])
        coords = [np.asarray(world.coords, float)] * n
        if stretch != 1.0:
            psi = rng.uniform(0, np.pi, size=n)
            coords = [_squeeze(world.coords, stretch, a, ph[u]) for u, a in enumerate(psi)]
            params["stretch"] = stretch
            params["stretch_direction"] = "uniform in [0, 180) deg, one per unit"
        act = np.column_stack(
            [
                plane_wave_grid_rate(coords[u], wavelength=lam[u] * sp, orientation=ori[u],
                                     phase=ph[u])
                for u in range(n)
            ]
        )  # fmt: skip
    else:
        ori = rng.uniform(0, np.pi, size=n)
        phi = rng.uniform(0, 2 * np.pi, size=n)
        act = np.column_stack(
            [
                band_rate(world.coords, wavelength=lam[u] * sp, orientation=ori[u],
                          phase=phi[u], peak_rate=1.0)
                for u in range(n)
            ]
        )  # fmt: skip
        ph = np.column_stack([phi, nan])
    return LatticeControls(kind, act, lam, ori, ph, nan, params)
