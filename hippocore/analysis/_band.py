"""Band cells: the 2-D Fourier method of Krupic, Burgess & O'Keefe (2012)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from hippocore._checks import check_positive
from hippocore.analysis._stack import as_map_stack, unit_values

__all__ = [
    "FourierComponents",
    "BandScore",
    "fourier_spectrum",
    "fourier_components",
    "band_score",
    "max_fourier_power",
]


@dataclass(frozen=True)
class FourierComponents:
    """Significant plane-wave components of one rate map.

    Attributes
    ----------
    directions : ndarray of shape (k,)
        Direction of each component's wave vector (rad, in [0, pi)); the bands run
        perpendicular to it. Sorted by power, strongest first.
    wavelengths : ndarray of shape (k,)
        Distance between bands (m).
    powers : ndarray of shape (k,)
        Mean above-threshold power of the component's direction (Hz²).
    max_power : float
        Largest spectral power of the map (Hz²): the statistic tested against shuffles.
    power_threshold : float
        Threshold subtracted from the spectrum before the components were found.
    """

    directions: NDArray[np.float64]
    wavelengths: NDArray[np.float64]
    powers: NDArray[np.float64]
    max_power: float
    power_threshold: float


@dataclass(frozen=True)
class BandScore:
    """Band/grid call of the Fourier method for one map.

    Attributes
    ----------
    label : str
        ``"band"`` (one dominant direction), ``"grid"`` (three directions ~60° apart),
        ``"other"`` (several, irregular) or ``"none"`` (no significant component).
    dominance : float
        Power of the strongest component over the summed power of all components, in (0, 1]:
        1 for a pure band, about 1/3 for a regular grid; NaN without components.
    significant : bool or None
        Whether ``max_power`` exceeds ``power_threshold``; None when no threshold was given.
    components : FourierComponents
        The components behind the call.
    """

    label: str
    dominance: float
    significant: bool | None
    components: FourierComponents

    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.components.directions.size)


_N_ANGLES = 180  # 1° bins of wave-vector direction over [0, 180°)


def _prepare(stack: NDArray[np.float64], fft_size: int) -> NDArray[np.float64]:
    if max(stack.shape[1:]) > fft_size:
        raise ValueError(
            f"the map ({stack.shape[1]}x{stack.shape[2]} bins) is larger than fft_size="
            f"{fft_size}; pass a larger fft_size (a power of 2)."
        )
    visited = np.isfinite(stack)
    n = visited.sum(axis=(1, 2), keepdims=True)
    mean = np.where(visited, stack, 0.0).sum(axis=(1, 2), keepdims=True) / np.maximum(n, 1)
    return np.where(visited, stack - mean, 0.0)


def _frequency_mask(
    fft_size: int, bin_size: float, min_wavelength: float, *, half: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    fy = np.fft.fftfreq(fft_size, d=bin_size)
    fx = np.fft.rfftfreq(fft_size, d=bin_size) if half else fy
    gx, gy = np.meshgrid(fx, fy)
    radius = np.hypot(gx, gy)
    return gx, gy, (radius > 0) & (radius <= 1.0 / min_wavelength + 1e-12)


@lru_cache(maxsize=8)
def _spectrum_grid(fft_size: int, bin_size: float, min_wavelength: float):
    """The full spectrum's frequencies inside the band, in flat (row-major) order (read-only).

    Returns ``(idx, theta, abin, radius)``: flat indices of the in-band frequencies of the
    ``(fft_size, fft_size)`` spectrum, their wave-vector direction in [0, pi), its 1° bin
    and ``|f|`` (cycles/m).
    """
    gx, gy, mask = _frequency_mask(fft_size, bin_size, min_wavelength, half=False)
    idx = np.flatnonzero(mask)
    theta = np.mod(np.arctan2(gy, gx), np.pi).ravel()[idx]
    abin = np.minimum((theta / np.pi * _N_ANGLES).astype(int), _N_ANGLES - 1)
    radius = np.hypot(gx, gy).ravel()[idx]
    for a in (idx, theta, abin, radius):
        a.flags.writeable = False
    return idx, theta, abin, radius


@lru_cache(maxsize=8)
def _band_runs(fft_size: int, bin_size: float, min_wavelength: float):
    """The in-band part of the half spectrum as ``(nx, [(lo, hi, mask), ...])``.

    ``nx`` x frequencies (columns ``0 .. nx-1`` of the rfft) hold every in-band frequency;
    each run is a contiguous block of rows ``lo:hi`` of the full y transform and its
    ``(hi - lo, nx)`` in-band mask (read-only): the positive and the negative y frequencies.
    """
    _, _, mask = _frequency_mask(fft_size, bin_size, min_wavelength, half=True)
    nx = int(np.flatnonzero(mask.any(axis=0))[-1]) + 1
    rows = np.flatnonzero(mask.any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 1) + 1
    runs = []
    for run in np.split(rows, breaks):
        sub = mask[run[0] : run[-1] + 1, :nx].copy()
        sub.flags.writeable = False
        runs.append((int(run[0]), int(run[-1]) + 1, sub))
    return nx, tuple(runs)


def _check_common(bin_size: float, fft_size: int, min_wavelength: float | None) -> tuple:
    bin_size = check_positive(bin_size, "bin_size")
    if isinstance(fft_size, bool) or not isinstance(fft_size, (int, np.integer)) or fft_size < 8:
        raise ValueError(f"fft_size must be an integer >= 8 (e.g. 256); got {fft_size!r}.")
    lam = (
        4 * bin_size if min_wavelength is None else check_positive(min_wavelength, "min_wavelength")
    )
    if lam < 2 * bin_size * (1 - 1e-9):
        raise ValueError(
            f"min_wavelength={lam} m is below the Nyquist limit of 2 bins ({2 * bin_size} m)."
        )
    return bin_size, int(fft_size), lam


def max_fourier_power(
    rate_raw: ArrayLike,
    *,
    bin_size: float,
    fft_size: int = 256,
    min_wavelength: float | None = None,
) -> float | NDArray[np.float64]:
    """Largest spectral power of each map (the Krupic significance statistic), vectorised.

    Parameters
    ----------
    rate_raw : array_like of shape (y, x) or (unit, y, x)
        Unsmoothed rate map(s) (Hz); NaN = unvisited.
    bin_size : float
        Bin side (m).
    fft_size : int, default 256
        Zero-padded transform size per axis.
    min_wavelength : float, optional
        Shortest wavelength considered (m); default 4 bins.

    Returns
    -------
    float or ndarray of shape (unit,)
        ``max |F|²`` over spatial frequencies ``0 < |f| <= 1 / min_wavelength`` (Hz²).
    """
    stack, single = as_map_stack(rate_raw, "rate_raw")
    bin_size, fft_size, lam = _check_common(bin_size, fft_size, min_wavelength)
    nx, row_runs = _band_runs(fft_size, bin_size, lam)
    # Same values as rfft2 of the zero-padded map, without transforming the all-zero padding
    # rows: rfft along x of the map's own rows, keep the x frequencies in range, then the
    # zero-padded fft along y; the power only of the in-band rows, read as slices. 32 maps
    # at a time keep the transforms in cache (256 took 1.6x as long).
    out = np.empty(stack.shape[0])
    for start in range(0, stack.shape[0], 32):
        z = _prepare(stack[start : start + 32], fft_size)
        f = np.fft.rfft(z, n=fft_size, axis=-1)[..., :nx]
        f = np.fft.fft(f, n=fft_size, axis=-2)
        best = np.full(z.shape[0], -np.inf)
        for lo, hi, sub in row_runs:
            part = f[:, lo:hi]
            p = part.real**2 + part.imag**2
            np.maximum(best, p[:, sub].max(axis=1), out=best)
        out[start : start + 32] = best
    return unit_values(out, single)


def fourier_spectrum(
    rate_raw: ArrayLike, *, bin_size: float, fft_size: int = 256
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Power spectrum of one map as Krupic et al. (2012) compute it.

    The map minus its mean over visited bins (unvisited bins then set to 0) is zero-padded to
    ``fft_size`` x ``fft_size`` and transformed; power = ``|F|²``.

    Parameters
    ----------
    rate_raw : array_like of shape (y, x)
        Unsmoothed rate map (Hz).
    bin_size : float
        Bin side (m).
    fft_size : int, default 256
        Transform size per axis.

    Returns
    -------
    power : ndarray of shape (fft_size, fft_size)
        Power (Hz²), fftshifted so that zero frequency is at ``[fft_size // 2, fft_size // 2]``;
        rows are y frequencies.
    frequencies : ndarray of shape (fft_size,)
        Spatial frequency of each row/column (cycles/m), fftshifted.
    """
    stack, single = as_map_stack(rate_raw, "rate_raw")
    if not single:
        raise ValueError("fourier_spectrum takes one map (y, x); loop over a stack.")
    bin_size, fft_size, _ = _check_common(bin_size, fft_size, None)
    f = np.fft.fft2(_prepare(stack, fft_size)[0], s=(fft_size, fft_size))
    power = np.fft.fftshift(f.real**2 + f.imag**2)
    return power, np.fft.fftshift(np.fft.fftfreq(fft_size, d=bin_size))


def fourier_components(
    rate_raw: ArrayLike,
    *,
    bin_size: float,
    power_threshold: float = 0.0,
    fft_size: int = 256,
    min_wavelength: float | None = None,
    peak_fraction: float = 0.1,
    min_separation: float = np.deg2rad(10.0),
    angle_smooth: float = np.deg2rad(3.0),
) -> FourierComponents:
    """Plane-wave components of a rate map (Krupic, Burgess & O'Keefe 2012, 2-D Fourier method).

    Steps: the power spectrum of :func:`fourier_spectrum`; ``power_threshold`` (usually the
    95th percentile of shuffled maximum powers) is subtracted and the rest clipped at 0; the
    remaining power is averaged per 1° of wave-vector direction over ``[0, 180°)`` (a real
    map's spectrum is symmetric) and smoothed by a circular Gaussian of ``angle_smooth``;
    peaks of at least ``peak_fraction`` of the highest and at least ``min_separation`` apart
    are the components. A component's wavelength is ``1 / |f|`` of the strongest frequency
    within half ``min_separation`` of its direction.

    Parameters
    ----------
    rate_raw : array_like of shape (y, x)
        Unsmoothed rate map (Hz), NaN = unvisited.
    bin_size : float
        Bin side (m).
    power_threshold : float, default 0.0
        Power (Hz²) subtracted before the components are found.
    fft_size : int, default 256
        Transform size per axis (Krupic: 256).
    min_wavelength : float, optional
        Shortest wavelength considered (m); default 4 bins.
    peak_fraction : float, default 0.1
        Smallest component, as a fraction of the strongest direction's power.
    min_separation : float, default 10°
        Smallest angle between components (rad).
    angle_smooth : float, default 3°
        Smoothing of the power-by-direction curve (rad).

    Returns
    -------
    FourierComponents
        Empty arrays when no power survives the threshold.

    References
    ----------
    Krupic, Burgess & O'Keefe (2012), Science 337:853; UCL mTint ``FFT2Analysis``.
    """
    stack, single = as_map_stack(rate_raw, "rate_raw")
    if not single:
        raise ValueError("fourier_components takes one map (y, x); loop over a stack.")
    bin_size, fft_size, lam = _check_common(bin_size, fft_size, min_wavelength)
    check_positive(power_threshold, "power_threshold", allow_zero=True)
    if not 0 < peak_fraction <= 1:
        raise ValueError(f"peak_fraction must be in (0, 1]; got {peak_fraction!r}.")
    check_positive(min_separation, "min_separation")
    check_positive(angle_smooth, "angle_smooth", allow_zero=True)
    f = np.fft.fft2(_prepare(stack, fft_size)[0], s=(fft_size, fft_size))
    # only the in-band frequencies (flat order, as boolean indexing of the full spectrum)
    idx, theta, abin, radius = _spectrum_grid(fft_size, bin_size, lam)
    f = f.ravel()[idx]
    power = f.real**2 + f.imag**2
    max_power = float(power.max()) if idx.size else 0.0
    above = np.clip(power - power_threshold, 0.0, None)
    empty = np.zeros(0)
    if not above.any():
        return FourierComponents(empty, empty, empty, max_power, float(power_threshold))
    polar = np.bincount(abin, weights=above, minlength=_N_ANGLES) / np.maximum(
        np.bincount(abin, minlength=_N_ANGLES), 1
    )
    chosen = _polar_peaks(polar, angle_smooth, peak_fraction, min_separation)
    centres = (np.arange(_N_ANGLES) + 0.5) * np.pi / _N_ANGLES
    dirs, lams, pows = [], [], []
    for c in chosen:
        k = _strongest_near(power, theta, centres[c], min_separation / 2)
        theta_k, radius_k = (theta[k], radius[k]) if k >= 0 else (np.float64(0), np.float64(0))
        # Refine the 1° peak: power-weighted axial mean direction of the frequencies within
        # half min_separation of the strongest one (a window centred on the true direction).
        d = np.abs(np.angle(np.exp(2j * (theta - theta_k)))) / 2
        near = d <= min_separation / 2
        w = above[near]
        phase = np.angle(np.sum(w * np.exp(2j * theta[near]))) if w.sum() > 0 else 2 * centres[c]
        dirs.append(float(np.mod(phase / 2, np.pi)))
        lams.append(1.0 / radius_k)
        pows.append(polar[c])
    return FourierComponents(
        np.array(dirs), np.array(lams), np.array(pows), max_power, float(power_threshold)
    )


def _polar_peaks(polar, angle_smooth: float, peak_fraction: float, min_separation: float):  # noqa: ANN001
    """Smoothed power-by-direction peaks: >= peak_fraction of the highest, min_separation apart.

    ``polar`` (one value per 1° of direction) is smoothed in place of a copy by a circular
    Gaussian of ``angle_smooth`` (rad); returns the chosen 1° bins, strongest first.
    """
    sigma_bins = angle_smooth / (np.pi / _N_ANGLES)
    if sigma_bins > 0:
        polar[:] = ndimage.gaussian_filter1d(polar, sigma_bins, mode="wrap")
    left, right = np.roll(polar, 1), np.roll(polar, -1)
    cand = np.flatnonzero(
        (polar >= left) & (polar > right) & (polar >= peak_fraction * polar.max())
    )
    cand = cand[np.argsort(-polar[cand])]
    sep_bins = min_separation / (np.pi / _N_ANGLES)
    chosen: list[int] = []
    for c in cand:
        if all(min(abs(c - k), _N_ANGLES - abs(c - k)) >= sep_bins for k in chosen):
            chosen.append(int(c))
    return chosen


def _strongest_near(power, theta, direction: float, half_width: float) -> int:  # noqa: ANN001
    """Index of the strongest in-band frequency within ``half_width`` of an axial direction.

    The first in flat order on ties; -1 when none is that close (then the full spectrum's
    first frequency, f = 0, stands in, as an argmax over nothing but -inf picks it).
    """
    d = np.abs(np.angle(np.exp(2j * (theta - direction)))) / 2  # axial angle difference
    near = d <= half_width
    if not near.any():
        return -1
    return int(np.argmax(np.where(near, power, -np.inf)))


def _axial_diff(a: float, b: float) -> float:
    """Smallest difference between two axial directions (period pi), in [0, pi/2]."""
    d = abs(a - b) % np.pi
    return min(d, np.pi - d)


def band_score(
    rate_raw: ArrayLike,
    *,
    bin_size: float,
    power_threshold: float | None = None,
    fft_size: int = 256,
    min_wavelength: float | None = None,
    dominance_ratio: float = 2.0,
    grid_tolerance: float = np.deg2rad(10.0),
) -> BandScore:
    """Band or grid call of one map from its Fourier components (Krupic et al. 2012).

    The components come from :func:`fourier_components` with ``power_threshold``. The map is
    ``"grid"`` when its three strongest components lie pairwise 60° (± ``grid_tolerance``)
    apart, ``"band"`` when one component dominates (it is the only one, or at least
    ``dominance_ratio`` times stronger than the next), ``"other"`` otherwise, and ``"none"``
    when the spectral peak does not exceed ``power_threshold``. The threshold is normally the
    unit's 95th percentile of shuffled maximum powers (see
    :func:`hippocore.analysis.shuffle_scores`); without one, the call rests on the shape of
    the spectrum alone and ``significant`` is None.

    Parameters
    ----------
    rate_raw : array_like of shape (y, x)
        Unsmoothed rate map (Hz).
    bin_size : float
        Bin side (m).
    power_threshold : float, optional
        Significance level of the spectral peak (Hz²).
    fft_size : int, default 256
        Transform size per axis.
    min_wavelength : float, optional
        Shortest wavelength considered (m); default 4 bins.
    dominance_ratio : float, default 2.0
        How much stronger than the next component a band's component must be.
    grid_tolerance : float, default 10°
        Allowed deviation from 60° between grid components (rad).

    Returns
    -------
    BandScore
    """
    check_positive(dominance_ratio, "dominance_ratio")
    comps = fourier_components(
        rate_raw,
        bin_size=bin_size,
        power_threshold=0.0 if power_threshold is None else power_threshold,
        fft_size=fft_size,
        min_wavelength=min_wavelength,
    )
    significant = None if power_threshold is None else bool(comps.max_power > power_threshold)
    p = comps.powers
    dominance = float(p[0] / p.sum()) if p.size else float("nan")
    if significant is False or p.size == 0:
        label = "none"
    elif p.size >= 3 and all(
        abs(_axial_diff(comps.directions[i], comps.directions[j]) - np.pi / 3) <= grid_tolerance
        for i, j in ((0, 1), (0, 2), (1, 2))
    ):
        label = "grid"
    elif p.size == 1 or p[0] >= dominance_ratio * p[1]:
        label = "band"
    else:
        label = "other"
    return BandScore(label=label, dominance=dominance, significant=significant, components=comps)
