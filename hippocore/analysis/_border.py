"""Border score (Solstad et al. 2008, as BNT ``borderScore``/``borderCoverage`` compute it)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore.analysis._field import PlaceField
from hippocore.analysis._place import _bnt_field_labels
from hippocore.analysis._stack import as_map_stack

__all__ = ["BorderScore", "border_score", "border_coverage"]


@dataclass(frozen=True)
class BorderScore:
    """Border score and its parts; floats for one map, ``(unit,)`` arrays for a stack.

    Attributes
    ----------
    score : float or ndarray
        ``(coverage - distance) / (coverage + distance)`` in [-1, 1]; -1 when the map has no
        field (BNT convention).
    coverage : float or ndarray
        CM: largest fraction of one wall covered by one field.
    distance : float or ndarray
        DM: rate-weighted distance of field bins to the nearest wall, over half the shorter
        side of the map.
    n_fields : int or ndarray
        Number of fields used.
    """

    score: float | NDArray[np.float64]
    coverage: float | NDArray[np.float64]
    distance: float | NDArray[np.float64]
    n_fields: int | NDArray[np.int64]


def _wall_strips(a: NDArray, walls: str, width: int) -> list[NDArray]:
    """Strips ``(..., wall_length, width)`` whose last-axis index 0 is the wall bin, per wall."""
    strips = []
    if "L" in walls:
        strips.append(a[..., :, :width])
    if "R" in walls:
        strips.append(a[..., :, ::-1][..., :, :width])
    if "B" in walls:  # row 0 is the lowest y
        strips.append(np.swapaxes(a[..., :width, :], -1, -2))
    if "T" in walls:
        strips.append(np.swapaxes(a[..., ::-1, :][..., :width, :], -1, -2))
    return strips


def _coverage(
    labels: NDArray[np.intp], visited: NDArray[np.bool_], walls: str, width: int
) -> NDArray[np.float64]:
    """Largest wall fraction covered by one labelled field, for each map of a stack.

    ``labels`` is ``(n, y, x)`` with fields 1..k per map (0 = none); vectorised over maps.
    """
    n = labels.shape[0]
    k = int(labels.max(initial=0))
    best = np.zeros(n)
    if k == 0:
        return best
    for lab, vis in zip(
        _wall_strips(labels, walls, width), _wall_strips(visited, walls, width), strict=True
    ):
        has = vis.any(axis=-1)  # (n, wall_length)
        first = np.argmax(vis, axis=-1)  # first visited bin inward from the wall
        at_wall = np.take_along_axis(lab, first[..., None], axis=-1)[..., 0]
        at_wall = np.where(has, at_wall, 0)
        counts = np.bincount(
            (np.arange(n)[:, None] * (k + 1) + at_wall).ravel(), minlength=n * (k + 1)
        ).reshape(n, k + 1)[:, 1:]
        n_wall = has.sum(axis=1)
        frac = np.where(n_wall > 0, counts.max(axis=1) / np.maximum(n_wall, 1), 0.0)
        best = np.maximum(best, frac)
    return best


def border_coverage(
    field_masks: list[NDArray[np.bool_]],
    visited: NDArray[np.bool_],
    *,
    walls: str = "TRBL",
    search_width: int = 8,
) -> float:
    """Largest fraction of a wall covered by a single field (BNT ``borderCoverage``).

    A wall bin counts as covered when it belongs to the field. An unvisited wall bin is
    replaced by the first visited bin inward within ``search_width`` bins; wall bins with no
    visited bin that close are left out of the wall's length.

    Parameters
    ----------
    field_masks : list of ndarray of bool, each (y, x)
        One mask per field (fields do not overlap).
    visited : ndarray of bool, shape (y, x)
        Visited (non-NaN) bins.
    walls : str, default "TRBL"
        Walls to test: any of T (top, highest y), R (right), B (bottom), L (left).
    search_width : int, default 8
        How far inward (bins) to look past unvisited wall bins.

    Returns
    -------
    float
        Coverage in [0, 1]; 0 without fields.
    """
    vis = np.asarray(visited, dtype=bool)
    labels = np.zeros(vis.shape, dtype=np.intp)
    for k, mask in enumerate(field_masks, start=1):
        labels[np.asarray(mask, dtype=bool)] = k
    return float(_coverage(labels[None], vis[None], _check_walls(walls), int(search_width))[0])


def _check_walls(walls: str) -> str:
    if not isinstance(walls, str) or not walls:
        raise TypeError(f"walls must be a string of T, R, B, L; got {walls!r}.")
    w = walls.upper()
    if set(w) - set("TRBL") or len(set(w)) != len(w):
        raise ValueError(
            f"walls must name each wall at most once with T (top), R (right), B (bottom), "
            f"L (left); got {walls!r}."
        )
    return w


def border_score(
    rate: ArrayLike,
    *,
    threshold: float = 0.3,
    min_bins: int = 9,
    min_peak: float = 1.0,
    search_width: int = 8,
    walls: str = "TRBL",
    fields: list[PlaceField] | None = None,
) -> BorderScore:
    """Border score of Solstad et al. (2008) as BNT ``borderScore`` computes it.

    Fields are detected with :func:`~hippocore.analysis.place_fields` (``method="bnt"``, ``threshold=0.3``
    of the peak, as in Solstad et al.) unless given. CM is the largest fraction of one wall
    covered by one field (:func:`border_coverage`, BNT ``borderCoverage`` with its search
    width); DM is the mean distance of field bins to the nearest wall, weighted by their rate
    (normalised to sum 1), in bins counted from 1 at the wall row, times 2 over the shorter
    side of the map. Score = (CM - DM) / (CM + DM).

    Parameters
    ----------
    rate : array_like of shape (y, x) or (unit, y, x)
        Smoothed rate map(s) (Hz); row 0 is the bottom (lowest y) wall.
    threshold : float, default 0.3
        Field threshold, fraction of the peak.
    min_bins : int, default 9
        Smallest field (bins).
    min_peak : float, default 1.0
        Smallest field peak (Hz).
    search_width : int, default 8
        Bins to search inward past unvisited wall bins (BNT ``searchWidth``).
    walls : str, default "TRBL"
        Walls to score: T (top), R (right), B (bottom), L (left).
    fields : list of PlaceField, optional
        Precomputed fields, as :func:`place_fields` returns them for this map or stack; then
        ``threshold``, ``min_bins`` and ``min_peak`` are unused.

    Returns
    -------
    BorderScore
        Score -1 (and coverage 0, distance NaN) for a map without fields.

    Notes
    -----
    NaN policy: unvisited (NaN) bins never belong to a field and are skipped in DM; at the
    walls they are handled as described for :func:`border_coverage`. (BNT itself raises on
    maps with NaN.)

    References
    ----------
    Solstad, Boccara, Kropff, Moser & Moser (2008), Science 322:1865. BNT
    ``analyses.borderScore``, ``analyses.borderCoverage`` (github.com/brkanter/BNT @ a872035).
    """
    stack, single = as_map_stack(rate, "rate")
    w = _check_walls(walls)
    if isinstance(search_width, bool) or not isinstance(search_width, (int, np.integer)):
        raise TypeError(f"search_width must be a positive integer; got {search_width!r}.")
    if search_width < 1:
        raise ValueError(f"search_width must be a positive integer; got {search_width!r}.")
    ny, nx = stack.shape[1:]
    if fields is None:
        labels = _bnt_field_labels(stack, float(threshold), int(min_bins), float(min_peak), 0.0)
    else:
        labels = _labels_of(fields, stack.shape)
    rows, cols = np.mgrid[0:ny, 0:nx]
    dist = np.minimum(np.minimum(rows + 1, cols + 1), np.minimum(ny - rows, nx - cols))
    visited = np.isfinite(stack)
    nf = labels.max(axis=(1, 2))
    cov = _coverage(labels, visited, w, int(search_width))
    weights = np.where((labels > 0) & visited, stack, 0.0)
    total = weights.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        dm = np.where(
            (nf > 0) & (total > 0),
            2 * (weights * dist).sum(axis=(1, 2)) / np.where(total > 0, total, 1) / min(ny, nx),
            np.nan,
        )
        score = np.where(nf > 0, (cov - dm) / (cov + dm), -1.0)
    if single:
        return BorderScore(float(score[0]), float(cov[0]), float(dm[0]), int(nf[0]))
    return BorderScore(score, cov, dm, nf)


def _labels_of(fields: list[PlaceField], shape: tuple[int, int, int]) -> NDArray[np.intp]:
    """Label image ``(n, y, x)`` (fields 1..k per map) of :func:`place_fields`' flat list."""
    if fields and all(isinstance(f, list) for f in fields):
        warnings.warn(
            "border_score(fields=...) takes place_fields' flat list now (each PlaceField knows "
            "its map from .unit); one list per map is deprecated and goes in the next release.",
            FutureWarning,
            stacklevel=3,
        )
        fields = [replace(f, unit=u) for u, fl in enumerate(fields) for f in fl]
    if not all(isinstance(f, PlaceField) and 0 <= f.unit < shape[0] for f in fields):
        raise ValueError(
            "fields must be the list of PlaceField that place_fields returns for this map or "
            f"stack ({shape[0]} maps; every PlaceField.unit below {shape[0]})."
        )
    labels = np.zeros(shape, dtype=np.intp)
    for f in fields:
        labels[f.unit, f.bins[:, 0], f.bins[:, 1]] = labels[f.unit].max() + 1
    return labels
