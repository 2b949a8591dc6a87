"""Cell-type labels from per-unit shuffle thresholds: grid, band, border, head direction, place."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hippocore._checks import check_choice, check_positive
from hippocore.analysis._band import band_score
from hippocore.analysis._shuffle import MIN_FINITE_FRACTION, ShuffleScores

__all__ = ["LABELS", "Classification", "classify"]

#: Labels in order of precedence (a unit that passes several tests gets the first). Band
#: comes before grid: its test already demands a single dominant Fourier component, which a
#: regular grid never has, while plane waves can pass the gridness shuffle.
LABELS = ("band", "grid", "border", "place", "head-direction", "none")

_NULL_WORDS = {
    "per-unit": "per-unit {q}th percentile of its shuffled null",
    "pooled": "{q}th percentile of all scored units' shuffles pooled (one threshold per score)",
}

#: The score each label is tested on.
_CRITERIA = {
    "band": "band_power",
    "grid": "gridness",
    "border": "border",
    "place": "information_content",
    "head-direction": "head_direction",
}


@dataclass(frozen=True)
class Classification:
    """Labels of units and the evidence behind them.

    Attributes
    ----------
    label : ndarray of str, shape (unit,)
        One of :data:`LABELS`.
    passed : dict of str to ndarray of bool, shape (unit,)
        Whether each unit passed each label's test (several can be true, e.g. a conjunctive
        grid x head-direction cell).
    thresholds : dict of str to ndarray of shape (unit,)
        The per-unit threshold each score was compared with (its null's
        :meth:`ShuffleScores.percentile`, NaN shuffles counted as not beating the unit); NaN
        where fewer than ``min_finite`` of the shuffles had a defined score.
    n_finite : dict of str to ndarray of int, shape (unit,)
        Shuffles with a defined (finite) score, per tested score and unit.
    note : ndarray of str, shape (unit,)
        Tests that could not be run for want of finite shuffles (``""`` when none), e.g.
        ``"gridness: 12 of 100 shuffles finite (< 20): no threshold"``.
    band_label : ndarray of str, shape (unit,)
        The Fourier call (band / grid / other / none) at the unit's band-power threshold.
    percentile : float
        Null percentile used.
    min_finite : float
        Smallest fraction of finite shuffles for a threshold.
    rules : str
        The rules, in words.
    null : str
        ``"per-unit"`` (each unit's own shuffles) or ``"pooled"`` (one threshold per score
        from all scored units' shuffles).
    """

    label: NDArray[np.str_]
    passed: dict[str, NDArray[np.bool_]]
    thresholds: dict[str, NDArray[np.float64]]
    n_finite: dict[str, NDArray[np.int64]]
    note: NDArray[np.str_]
    band_label: NDArray[np.str_]
    percentile: float
    min_finite: float
    rules: str
    null: str = "per-unit"


def _band_labels(
    shuffles: ShuffleScores, candidates: NDArray[np.bool_], power_threshold: NDArray | None
) -> NDArray[np.object_]:
    """Krupic's band call for the units whose band power beat its threshold ("none" else)."""
    band_label = np.array(["none"] * shuffles.n_units, dtype=object)
    if power_threshold is None:
        return band_label
    bin_size = float(shuffles.parameters["bin_size"])
    fft_size = int(shuffles.parameters.get("fft_size", 256))
    for u in np.flatnonzero(candidates):
        b = band_score(
            shuffles.rate_raw[u],
            bin_size=bin_size,
            power_threshold=float(power_threshold[u]),
            fft_size=fft_size,
        )
        band_label[u] = b.label
    return band_label


def classify(
    shuffles: ShuffleScores,
    *,
    percentile: float = 95.0,
    min_fields: int = 1,
    min_finite: float = MIN_FINITE_FRACTION,
    null: str = "per-unit",
) -> Classification:
    """Label each unit grid / band / border / head-direction / place / none from its shuffles.

    A unit passes a test when its observed score is strictly above the ``percentile``-th
    percentile of its own shuffled null:

    - **grid**: BNT gridness;
    - **band**: the largest Fourier power is significant *and* the Fourier components above
      that threshold show one dominant direction (:func:`band_score`, Krupic et al. 2012);
    - **border**: border score (Solstad et al. 2008);
    - **place**: spatial information content (bits/spike, BNT form) and at least
      ``min_fields`` place fields (BNT ``placefield``);
    - **head-direction**: mean vector length of the head-direction tuning curve.

    A unit that passes several tests gets the first label in :data:`LABELS` order (band,
    grid, border, place, head-direction: a band cell's autocorrelogram can beat the gridness
    shuffle, but a grid never has a single dominant Fourier component; a place cell's uneven
    sampling of directions can beat the head-direction shuffle); ``passed`` keeps every
    result. A unit whose scores are NaN
    (no or too few spikes) fails every test. Tests whose score was not computed (e.g. no
    head direction given) are skipped and reported as all False.

    Shuffles whose score is NaN count as shuffles that did not beat the unit (never dropped;
    :meth:`ShuffleScores.percentile`). A unit with fewer than ``min_finite`` x
    ``n_shuffles`` finite shuffles for a score gets a NaN threshold for it: that test is not
    run (the unit cannot get that label from it) and ``note`` says why; its other tests
    still count. ``n_finite`` reports the finite shuffles per score and unit.

    Parameters
    ----------
    shuffles : ShuffleScores
        Output of :func:`shuffle_scores`.
    percentile : float, default 95.0
        Null percentile a score must exceed (95 and 99 are the usual choices).
    min_fields : int, default 1
        Place fields required for the place label.
    min_finite : float, default 0.2
        Smallest fraction of finite shuffles for a threshold (why 0.2: see
        :meth:`ShuffleScores.percentile`).
    null : {"per-unit", "pooled"}, default "per-unit"
        Each unit against its own shuffles, or every unit against one population threshold
        per score: the percentile of all scored units' shuffles pooled
        (:meth:`ShuffleScores.pooled_percentile`; Langston et al. 2010). ``min_finite`` then
        applies to the pool.

    Returns
    -------
    Classification
    """
    if not isinstance(shuffles, ShuffleScores):
        raise TypeError(
            f"classify expects the ShuffleScores of shuffle_scores; got {type(shuffles).__name__}."
        )
    check_positive(percentile, "percentile")
    if not 0 <= min_finite <= 1:
        raise ValueError(
            f"min_finite must be a fraction of the shuffles in [0, 1], e.g. 0.2; got {min_finite!r}."
        )
    if percentile >= 100:
        raise ValueError(f"percentile must be below 100; got {percentile!r}.")
    null = check_choice(null, "null", ("per-unit", "pooled"))
    n = shuffles.n_units
    passed: dict[str, NDArray[np.bool_]] = {}
    thresholds: dict[str, NDArray[np.float64]] = {}
    n_finite: dict[str, NDArray[np.int64]] = {}
    notes: list[list[str]] = [[] for _ in range(n)]
    for label, score in _CRITERIA.items():
        if score not in shuffles.null:
            passed[label] = np.zeros(n, dtype=bool)
            continue
        n_finite[score] = shuffles.n_finite(score)
        if null == "pooled":
            thr = shuffles.pooled_percentile(score, percentile, min_finite=min_finite)
            pool = shuffles.pooled_null(score)
            finite, n_sh, what = np.full(n, int(np.isfinite(pool).sum())), pool.size, "pooled "
        else:
            thr = shuffles.percentile(score, percentile, min_finite=min_finite)
            finite, n_sh, what = n_finite[score], shuffles.null[score].shape[1], ""
        thresholds[score] = thr
        obs = shuffles.observed[score]
        with np.errstate(invalid="ignore"):
            passed[label] = np.isfinite(obs) & np.isfinite(thr) & (obs > thr)
        need = max(1, math.ceil(min_finite * n_sh))
        for u in np.flatnonzero(~np.isfinite(thr) & np.isfinite(obs)):
            k = finite[u]
            why = f"< {need}" if k < need else f"the {percentile:g}th percentile is undefined"
            notes[u].append(f"{score}: {k} of {n_sh} {what}shuffles finite ({why}): no threshold")
    method = shuffles.parameters.get("gridness_method", "bnt")
    band_label = _band_labels(shuffles, passed["band"], thresholds.get("band_power"))
    passed["band"] = passed["band"] & (band_label == "band")
    passed["place"] = passed["place"] & (shuffles.n_fields >= min_fields)
    label = np.array(["none"] * n, dtype=object)
    for name in reversed(LABELS[:-1]):  # lowest precedence first, overwritten by higher
        label[passed[name]] = name
    rules = (
        f"score > {_NULL_WORDS[null].format(q=f'{percentile:g}')}; grid: "
        f"{'gridness' if method == 'bnt' else 'gridness (DeepMind grid score)'}; "
        "band: Fourier band_power and a single dominant component; border: border score; "
        "head-direction: mean vector length; place: information content (bits/spike) and "
        f">= {min_fields} field(s); precedence band > grid > border > place > head-direction; "
        "NaN shuffles count as not beating the unit; no threshold (test not run, noted) with "
        f"fewer than {min_finite:g} of the shuffles finite"
    )
    return Classification(
        label=label.astype(str),
        passed=passed,
        thresholds=thresholds,
        n_finite=n_finite,
        note=np.array(["; ".join(x) for x in notes], dtype=str),
        band_label=band_label.astype(str),
        percentile=float(percentile),
        min_finite=float(min_finite),
        rules=rules,
        null=null,
    )
