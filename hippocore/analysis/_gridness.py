"""Grid scores of spatial autocorrelograms, vectorised over a stack of units.

BNT ``gridnessScore`` (2020 mirror; :mod:`._gridness_bnt`, :mod:`._centre_field` and
:mod:`._grid_geometry`) and DeepMind's ``GridScorer`` (Banino et al. 2018;
:mod:`._gridness_deepmind`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_float_array, check_choice
from hippocore.analysis._centre_field import centre_radii
from hippocore.analysis._grid_geometry import bnt_geometry
from hippocore.analysis._gridness_bnt import bnt_scores, check_radii, normalise, shells
from hippocore.analysis._gridness_deepmind import gridness_deepmind
from hippocore.analysis._lattice_geometry import _axis_deviation
from hippocore.analysis._stack import reject_inf

__all__ = ["Gridness", "gridness"]


@dataclass(frozen=True)
class Gridness:
    """Grid score and grid geometry of one autocorrelogram or a stack (leading ``unit`` axis).

    Attributes
    ----------
    score : float or ndarray (n_unit,)
        Gridness (BNT: min(r60, r120) - max(r30, r90, r150) averaged over 3 radii, in [-2, 2];
        DeepMind: ``score_60``). NaN where it cannot be computed (see ``reason``).
    spacing : ndarray (3,) or (n_unit, 3)
        Distances (bins of the autocorrelogram = rate-map bins) from the centre to the three
        axis peaks, sorted by orientation; NaN if fewer than the needed peaks were found.
    orientation : ndarray (3,) or (n_unit, 3)
        Angles of those peaks (rad, counter-clockwise from +x, y up), ascending.
    centre_radius : float or ndarray (n_unit,)
        BNT: radius (bins) of the central field, floor(sqrt(area / pi)). DeepMind: inner radius
        of the best ring.
    best_radius : float or ndarray (n_unit,)
        BNT: outer radius (bins) at the centre of the best 3-radius window. DeepMind: outer
        radius of the best ring.
    ellipse : ndarray (5,) or (n_unit, 5)
        Ellipse through the six nearest peaks (BNT ``fitEllipse``): centre column, centre row
        (0-based bins), the two semi-axes (bins) and the axis angle (rad).
    ellipse_theta : float or ndarray (n_unit,)
        BNT's reported ellipse angle: the axis angle wrapped to [-pi, pi] plus pi (rad).
    score_90 : float or ndarray (n_unit,)
        DeepMind ``score_90`` (c90 - (c45 + c135) / 2, max over rings); NaN for BNT.
    reason : str or ndarray of str (n_unit,)
        Empty when everything was computed; otherwise why the score (or the geometry) is NaN.
    method : str
        "bnt" or "deepmind".
    """

    score: NDArray[np.float64] | float
    spacing: NDArray[np.float64]
    orientation: NDArray[np.float64]
    centre_radius: NDArray[np.float64] | float
    best_radius: NDArray[np.float64] | float
    ellipse: NDArray[np.float64]
    ellipse_theta: NDArray[np.float64] | float
    score_90: NDArray[np.float64] | float
    reason: NDArray[np.str_] | str
    method: str

    @property
    def axis_deviation(self) -> NDArray[np.float64] | float:
        """Largest deviation (degrees) from 60° of the gaps between the three axis peaks.

        The axes are taken mod 180°, so a perfect hexagon gives 0 and a square-like
        autocorrelogram about 30 or more. NaN where the geometry was not found (``reason``
        not empty) and for the DeepMind method (no geometry). The lattice grid-unit test
        (:func:`~hippocore.analysis.lattice_grid_units`) requires at most 15°. Float for one
        autocorrelogram, ndarray (n_unit,) for a stack.
        """
        ori = np.asarray(self.orientation, float)
        dev = _axis_deviation(ori.reshape(-1, 3), np.asarray(self.reason).reshape(-1))
        return float(dev[0]) if ori.ndim == 1 else dev


def _gridness_bnt(a: NDArray[np.float64], valid: NDArray[np.bool_], reasons: list[str]):
    """BNT gridnessScore of a normalised stack: the eight outputs of :class:`Gridness`."""
    u, h, w = a.shape
    _, _, _, _, rad, centre, _ = shells((h, w))
    radii = centre_radii(a, np.flatnonzero(valid), centre)
    check_radii(radii, valid, reasons, rad)
    score, best_r = bnt_scores(a, radii, valid, reasons)
    spacing, orient, ellipse, theta = bnt_geometry(a, score, best_r, reasons, centre)
    cr = np.where(radii > 0, radii.astype(float), np.nan)
    return score, spacing, orient, cr, best_r, ellipse, theta, np.full(u, np.nan)


def gridness(acorr: ArrayLike, *, method: str = "bnt") -> Gridness:
    """Grid score of a spatial autocorrelogram (or a stack), BNT or DeepMind definition.

    ``method="bnt"`` (default; the rodent-lab standard) is BNT ``analyses.gridnessScore``
    (2020 mirror, brkanter/BNT a872035): normalise by the maximum; centre-field radius r from
    :func:`placefield_adaptive` (minPeak 0, minBins 2, started at the centre); radii
    R = r+1 .. ceil(n/2); bilinear rotations by 30..150 deg; Pearson correlation over each
    annulus r < d < R; GNS(R) = min(r60, r120) - max(r30, r90, r150); score = the best mean of
    GNS over 3 consecutive radii (windows 1 .. n_R-3, BNT's off-by-one; the mean of all GNS if
    there is only one window). Spacing and orientation come from the six peaks nearest the
    centre inside 1.25 x the best radius (regional maxima, 15 deg minimum separation).

    ``method="deepmind"`` is DeepMind's ``GridScorer`` (grid-cells ``scores.py``, d1a2304):
    cubic-spline rotations (scipy ``ndimage.rotate``, order 3) by 30, 45, 60, 90, 120, 135,
    150 deg; ten rings with inner radius 0.2 n and outer radius 0.4 n .. 1.0 n (n = rate-map
    side, inferred as (m + 1) / 2 from the autocorrelogram side m); its asymmetric ring
    correlation (rotated map centred with the original's mean, divided by the original's
    variance + 1e-5); ``score`` = max over rings of (c60 + c120)/2 - (c30 + c90 + c150)/3 and
    ``score_90`` = max over rings of c90 - (c45 + c135)/2. For DeepMind's exact numbers pass
    the uncropped autocorrelogram (``autocorrelogram(rate, crop=False)``); spacing and
    orientation are not part of that method (NaN). Its values are generally higher than BNT's:
    never mix the thresholds of the two.

    Parameters
    ----------
    acorr : array_like of shape (m_y, m_x) or (n_unit, m_y, m_x)
        Autocorrelograms from :func:`autocorrelogram` (zero lag at the centre).
    method : {"bnt", "deepmind"}, default "bnt"
        Which published definition to compute.

    Returns
    -------
    Gridness
        Scalars / per-unit arrays (a leading unit axis when given a stack).

    Notes
    -----
    NaN policy: an autocorrelogram containing NaN, with no positive maximum (all-zero,
    e.g. from an empty or constant map), or too small (a side < 3, or a centre field that
    fills it) gets a NaN score with the reason in ``reason``; nothing raises for such maps.
    An infinite value raises ``ValueError``: :func:`autocorrelogram` never makes one, so it
    means the input is not an autocorrelogram (e.g. a rate map divided by zero occupancy).
    Non-square autocorrelograms are allowed for BNT (radii up to ceil(min side / 2));
    DeepMind's rings need a square, odd-sized one (ValueError otherwise). The input is never
    modified.
    """
    method = check_choice(method, "method", ("bnt", "deepmind"))
    a = as_float_array(acorr, "acorr", ndim=(2, 3))
    reject_inf(
        a, "acorr", fix="pass autocorrelogram(rate) of a finite rate map (values in [-1, 1])"
    )
    single = a.ndim == 2
    if single:
        a = a[None]
    u, h, w = a.shape
    if method == "deepmind" and (h != w or h % 2 == 0):
        raise ValueError(
            f"method='deepmind' needs a square autocorrelogram of odd side; got {h}x{w}. "
            "Use autocorrelogram(rate, crop=False) of a square rate map."
        )
    if u and (h < 3 or w < 3):
        valid = np.zeros(u, dtype=bool)
        reasons = [f"autocorrelogram {h}x{w} is too small (needs at least 3x3)"] * u
        a[:] = 0.0
    else:
        valid, reasons = normalise(a)
    impl = _gridness_bnt if method == "bnt" else gridness_deepmind
    out = impl(a, valid, reasons)
    reason = np.array(reasons, dtype=str)
    fields = dict(
        zip(  # noqa: B905 - both sides have eight entries
            (
                "score",
                "spacing",
                "orientation",
                "centre_radius",
                "best_radius",
                "ellipse",
                "ellipse_theta",
                "score_90",
            ),
            out,
        )
    )
    if single:
        fields = {k: (v[0] if np.ndim(v) > 1 else float(v[0])) for k, v in fields.items()}
        return Gridness(**fields, reason=str(reason[0]), method=method)
    return Gridness(**fields, reason=reason, method=method)
