"""Tuning functions with known answers: ideal grids, bands (plane waves), place fields."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array, as_positions, check_positive

__all__ = [
    "grid_rate",
    "square_grid_rate",
    "band_rate",
    "place_rate",
    "bin_centres",
    "on_bins",
    "grid_map",
    "band_map",
    "place_map",
]


def _lattice_points(
    basis: NDArray[np.float64],
    phase: NDArray[np.float64],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    margin: float,
) -> NDArray[np.float64]:
    """All points phase + i*b1 + j*b2 inside the box [lo - margin, hi + margin]."""
    corners = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]], [hi[0], hi[1]]])
    inv = np.linalg.inv(basis.T)
    ij = (corners - phase) @ inv.T
    reach = margin / min(np.linalg.norm(basis, axis=1)) + 2
    i_range = np.arange(math.floor(ij[:, 0].min() - reach), math.ceil(ij[:, 0].max() + reach) + 1)
    j_range = np.arange(math.floor(ij[:, 1].min() - reach), math.ceil(ij[:, 1].max() + reach) + 1)
    ii, jj = np.meshgrid(i_range, j_range)
    pts = phase + ii.reshape(-1, 1) * basis[0] + jj.reshape(-1, 1) * basis[1]
    keep = np.all((pts >= lo - margin) & (pts <= hi + margin), axis=1)
    return pts[keep]


def _bumps(
    pos: NDArray[np.float64], centres: NDArray[np.float64], sigma: float, peak_rate: float
) -> NDArray[np.float64]:
    # Max over fields rather than a sum, so that every field peaks at exactly peak_rate.
    out = np.zeros(pos.shape[0])
    for c in centres:
        d2 = np.sum((pos - c) ** 2, axis=1)
        np.maximum(out, np.exp(-d2 / (2 * sigma**2)), out=out)
    return peak_rate * out


def _lattice_rate(
    positions: ArrayLike,
    basis: NDArray[np.float64],
    phase: Sequence[float],
    sigma: float,
    peak_rate: float,
) -> NDArray[np.float64]:
    pos = as_positions(positions)
    ph = as_float_array(phase, "phase", ndim=1)
    if ph.size != 2:
        raise ValueError(f"phase must be (x, y) in m; got {phase!r}.")
    if pos.shape[0] == 0:
        return np.zeros(0)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    centres = _lattice_points(basis, ph, lo, hi, margin=4 * sigma)
    return _bumps(pos, centres, sigma, peak_rate)


def grid_rate(
    positions: ArrayLike,
    *,
    spacing: float,
    orientation: float = 0.0,
    phase: Sequence[float] = (0.0, 0.0),
    field_sigma: float | None = None,
    peak_rate: float = 10.0,
) -> NDArray[np.float64]:
    """Firing rate of an ideal grid cell: Gaussian fields on a triangular lattice.

    Parameters
    ----------
    positions : array_like of shape (n, 2)
        Where to evaluate (m), columns (x, y).
    spacing : float
        Distance between neighbouring fields (m).
    orientation : float, default 0
        Angle of one lattice axis from +x (rad); the others are at +60° and +120°.
    phase : (float, float), default (0, 0)
        Position of one field centre (m).
    field_sigma : float, optional
        Standard deviation of each Gaussian field (m); default ``0.15 * spacing``.
    peak_rate : float, default 10
        Rate at each field centre (Hz).

    Returns
    -------
    ndarray of shape (n,)
        Rate (Hz); fields combine by their maximum, so the peak is exactly ``peak_rate``.
    """
    spacing = check_positive(spacing, "spacing")
    sigma = check_positive(0.15 * spacing if field_sigma is None else field_sigma, "field_sigma")
    check_positive(peak_rate, "peak_rate", allow_zero=True)
    a = float(orientation)
    basis = spacing * np.array(
        [[np.cos(a), np.sin(a)], [np.cos(a + np.pi / 3), np.sin(a + np.pi / 3)]]
    )
    return _lattice_rate(positions, basis, phase, sigma, peak_rate)


def square_grid_rate(
    positions: ArrayLike,
    *,
    spacing: float,
    orientation: float = 0.0,
    phase: Sequence[float] = (0.0, 0.0),
    field_sigma: float | None = None,
    peak_rate: float = 10.0,
) -> NDArray[np.float64]:
    """Firing rate with Gaussian fields on a square lattice (a known non-grid: scores < 0).

    Parameters are as in :func:`grid_rate`; the lattice axes are at ``orientation`` and +90°.

    Parameters
    ----------
    positions : array_like of shape (n, 2)
        Where to evaluate (m).
    spacing : float
        Lattice constant (m).
    orientation : float, default 0
        Angle of one lattice axis (rad).
    phase : (float, float), default (0, 0)
        Position of one field centre (m).
    field_sigma : float, optional
        Field standard deviation (m); default ``0.15 * spacing``.
    peak_rate : float, default 10
        Peak rate (Hz).

    Returns
    -------
    ndarray of shape (n,)
    """
    spacing = check_positive(spacing, "spacing")
    sigma = check_positive(0.15 * spacing if field_sigma is None else field_sigma, "field_sigma")
    a = float(orientation)
    basis = spacing * np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    return _lattice_rate(positions, basis, phase, sigma, peak_rate)


def band_rate(
    positions: ArrayLike,
    *,
    wavelength: float,
    orientation: float = 0.0,
    phase: float = 0.0,
    peak_rate: float = 10.0,
) -> NDArray[np.float64]:
    """Firing rate of an ideal band cell: a plane wave.

    ``rate = peak_rate * (1 + cos(k . x - phase)) / 2`` with ``|k| = 2 pi / wavelength`` and
    ``k`` pointing along ``orientation`` (the bands run perpendicular to it).

    Parameters
    ----------
    positions : array_like of shape (n, 2)
        Where to evaluate (m).
    wavelength : float
        Distance between bands (m).
    orientation : float, default 0
        Direction of the wave vector (rad from +x).
    phase : float, default 0
        Phase of the wave (rad).
    peak_rate : float, default 10
        Rate on a band's crest (Hz).

    Returns
    -------
    ndarray of shape (n,)
    """
    pos = as_positions(positions)
    wavelength = check_positive(wavelength, "wavelength")
    k = 2 * np.pi / wavelength * np.array([np.cos(orientation), np.sin(orientation)])
    return peak_rate * (1 + np.cos(pos @ k - phase)) / 2


def place_rate(
    positions: ArrayLike,
    *,
    centres: ArrayLike,
    sigma: float | ArrayLike = 0.08,
    peak_rate: float | ArrayLike = 10.0,
) -> NDArray[np.float64]:
    """Firing rate of a place cell with one or several Gaussian fields.

    Parameters
    ----------
    positions : array_like of shape (n, 2)
        Where to evaluate (m).
    centres : array_like of shape (k, 2) or (2,)
        Field centres (m).
    sigma : float or array_like of shape (k,), default 0.08
        Field standard deviation(s) (m).
    peak_rate : float or array_like of shape (k,), default 10
        Peak rate of each field (Hz).

    Returns
    -------
    ndarray of shape (n,)
        Fields combine by their maximum.
    """
    pos = as_positions(positions)
    c = as_float_array(centres, "centres", ndim=(1, 2), allow_nan=False).reshape(-1, 2)
    sig = np.broadcast_to(as_float_array(sigma, "sigma"), (c.shape[0],))
    peak = np.broadcast_to(as_float_array(peak_rate, "peak_rate"), (c.shape[0],))
    if np.any(sig <= 0):
        raise ValueError(f"sigma must be positive; got {sigma!r}.")
    out = np.zeros(pos.shape[0])
    for ci, si, pi in zip(c, sig, peak, strict=True):
        np.maximum(out, pi * np.exp(-np.sum((pos - ci) ** 2, axis=1) / (2 * si**2)), out=out)
    return out


def bin_centres(
    shape: tuple[int, int], bin_size: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bin centres of a ``(n_y, n_x)`` map whose lower-left corner is at (0, 0).

    Parameters
    ----------
    shape : (int, int)
        Map shape (n_y, n_x).
    bin_size : float
        Bin side (m).

    Returns
    -------
    x, y : ndarray
        Centres along x (n_x,) and y (n_y,), in m.
    """
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (n_y, n_x) with positive sizes; got {shape!r}.")
    bin_size = check_positive(bin_size, "bin_size")
    ny, nx = (int(s) for s in shape)
    return (np.arange(nx) + 0.5) * bin_size, (np.arange(ny) + 0.5) * bin_size


def on_bins(func, shape: tuple[int, int], bin_size: float, **params) -> NDArray[np.float64]:  # noqa: ANN001
    """Evaluate a tuning function (e.g. :func:`grid_rate`) at the bin centres of a map.

    Parameters
    ----------
    func : callable
        ``func(positions, **params)`` returning rates for ``(n, 2)`` positions.
    shape : (int, int)
        Map shape (n_y, n_x); row 0 is the lowest y.
    bin_size : float
        Bin side (m).
    **params
        Passed to ``func``.

    Returns
    -------
    ndarray of shape (n_y, n_x)
    """
    x, y = bin_centres(shape, bin_size)
    xx, yy = np.meshgrid(x, y)
    return func(np.column_stack([xx.ravel(), yy.ravel()]), **params).reshape(shape)


def grid_map(
    shape: tuple[int, int] = (40, 40),
    *,
    bin_size: float = 0.025,
    spacing: float = 0.4,
    orientation: float = 0.0,
    phase: Sequence[float] = (0.0, 0.0),
    field_sigma: float | None = None,
    peak_rate: float = 10.0,
) -> NDArray[np.float64]:
    """Rate map ``(n_y, n_x)`` of an ideal grid cell (see :func:`grid_rate`).

    Parameters
    ----------
    shape : (int, int), default (40, 40)
        Map shape (n_y, n_x).
    bin_size : float, default 0.025
        Bin side (m); the map spans ``shape * bin_size`` from (0, 0).
    spacing, orientation, phase, field_sigma, peak_rate
        As in :func:`grid_rate`.

    Returns
    -------
    ndarray of shape (n_y, n_x)
        Rate (Hz); in bins, the spacing is ``spacing / bin_size``.
    """
    return on_bins(
        grid_rate,
        shape,
        bin_size,
        spacing=spacing,
        orientation=orientation,
        phase=phase,
        field_sigma=field_sigma,
        peak_rate=peak_rate,
    )


def band_map(
    shape: tuple[int, int] = (40, 40),
    *,
    bin_size: float = 0.025,
    wavelength: float = 0.3,
    orientation: float = 0.0,
    phase: float = 0.0,
    peak_rate: float = 10.0,
) -> NDArray[np.float64]:
    """Rate map ``(n_y, n_x)`` of an ideal band cell (see :func:`band_rate`).

    Parameters
    ----------
    shape : (int, int), default (40, 40)
        Map shape (n_y, n_x).
    bin_size : float, default 0.025
        Bin side (m).
    wavelength, orientation, phase, peak_rate
        As in :func:`band_rate`.

    Returns
    -------
    ndarray of shape (n_y, n_x)
    """
    return on_bins(
        band_rate,
        shape,
        bin_size,
        wavelength=wavelength,
        orientation=orientation,
        phase=phase,
        peak_rate=peak_rate,
    )


def place_map(
    shape: tuple[int, int] = (40, 40),
    *,
    bin_size: float = 0.025,
    centres: ArrayLike = ((0.5, 0.5),),
    sigma: float | ArrayLike = 0.08,
    peak_rate: float | ArrayLike = 10.0,
) -> NDArray[np.float64]:
    """Rate map ``(n_y, n_x)`` with Gaussian place fields (see :func:`place_rate`).

    Parameters
    ----------
    shape : (int, int), default (40, 40)
        Map shape (n_y, n_x).
    bin_size : float, default 0.025
        Bin side (m).
    centres, sigma, peak_rate
        As in :func:`place_rate`.

    Returns
    -------
    ndarray of shape (n_y, n_x)
    """
    return on_bins(place_rate, shape, bin_size, centres=centres, sigma=sigma, peak_rate=peak_rate)
