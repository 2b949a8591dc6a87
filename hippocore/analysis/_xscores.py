"""xarray forms, part 2: map statistics, fields, direction, speed, remapping, stability, classify.

Implementations behind :mod:`hippocore.analysis.ds` (signatures generated in ``_spec.py``):
options have no defaults here, the numpy functions hold them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from hippocore.schema import UNIT, X, Y

from ._band import band_score
from ._border import border_score
from ._classify import classify
from ._direction import head_direction_stats, head_direction_tuning
from ._place import count_fields, place_fields
from ._remap import population_vector_correlation, spatial_correlation
from ._shuffle import SCORES, shuffle_scores
from ._speed import speed_score
from ._stability import stability
from ._stats import coherence, map_stats, skaggs_information
from ._xarray import as_rate_maps, as_session, per_unit, scores_from, units_of

__all__ = [
    "map_stats_of_maps",
    "place_fields_of_maps",
    "head_direction_of_session",
    "speed_score_of_session",
    "remapping_of_maps",
    "stability_of_session",
    "classify_session",
]


_MAP_OUTPUTS: dict[str, tuple[type | np.dtype, int]] = {
    **dict.fromkeys(
        ["information_rate", "information_content", "skaggs_information_rate",
         "skaggs_information_content", "sparsity", "selectivity", "mean_rate", "peak_rate",
         "coherence", "border_score", "border_coverage", "border_distance"],
        (np.float64, 0),
    ),
    "n_fields": (np.int64, 0),
    "band_label": (object, 0),
    "band_dominance": (np.float64, 0),
    "band_n_components": (np.int64, 0),
}  # fmt: skip


def _map_block(rate, raw, *, occ, bin_size, border_threshold, field, min_peak):  # noqa: ANN001
    """The outputs of :data:`_MAP_OUTPUTS` for stacks ``rate`` and ``raw`` (n, y, x)."""
    ms = map_stats(rate, occ)
    sk = skaggs_information(np.clip(rate, 0, None), occ)
    bo = border_score(rate, threshold=border_threshold, min_peak=min_peak)
    n_fields = count_fields(place_fields(rate, min_peak=min_peak, **field), len(rate))
    bands = [band_score(m, bin_size=bin_size) for m in raw]
    return (
        ms.information_rate, ms.information_content, sk.rate, sk.content, ms.sparsity,
        ms.selectivity, ms.mean_rate, ms.peak_rate, coherence(raw), bo.score, bo.coverage,
        bo.distance, n_fields, np.array([b.label for b in bands], dtype=object),
        np.array([b.dominance for b in bands]), np.array([b.n_components for b in bands]),
    )  # fmt: skip


def _of_units(
    func: Callable[..., Any],
    ds: xr.Dataset,
    signal: np.ndarray,
    variable: str,
    options: dict[str, Any],
) -> Any:
    """``func(time, signal, trains, activity=..., **options)`` on every unit of session ``ds``.

    The session-wide numpy functions (head direction, speed, stability, shuffles) share this
    call: ``variable`` picks the spike trains or the activity (``units_of``).
    """
    trains, act = units_of(ds, variable)
    return func(ds["time"].values, signal, trains, activity=act, **options)


def map_stats_of_maps(
    rate_maps: xr.Dataset,
    *,
    border_threshold: float,
    field_threshold: float,
    field_min_bins: int,
    field_min_peak: float,
) -> xr.Dataset:
    """Map statistics of every unit: information, sparsity, selectivity, coherence, border, band.

    ``information_*`` (BNT clipped form), ``sparsity``, ``selectivity``, ``mean_rate`` and
    ``peak_rate`` come from :func:`~hippocore.analysis.map_stats` on ``rate`` and the smoothed
    occupancy (BNT ``mapStatsPDF``); ``skaggs_information_*`` is the textbook form;
    ``coherence`` is BNT's on ``rate_raw``; ``border_*`` from
    :func:`~hippocore.analysis.border_score` (``border_threshold``, ``field_min_peak``);
    ``n_fields`` from :func:`~hippocore.analysis.place_fields` (the ``field_*`` options);
    ``band_*`` from :func:`~hippocore.analysis.band_score` on ``rate_raw`` without a shuffle
    threshold (use :func:`classify` for significance). Dask-backed rate maps are scored chunk
    by chunk and stay lazy until computed.

    Returns
    -------
    xarray.Dataset
        A schema scores dataset; attrs record every option and the map's provenance.
    """
    ds = as_rate_maps(rate_maps)
    if "rate_raw" not in ds:
        raise ValueError(
            "rate_maps has no 'rate_raw' (the unsmoothed map) needed for coherence and the "
            "band score; build it with hippocore.analysis.ds.rate_map."
        )
    occ_name = "occupancy_smoothed" if "occupancy_smoothed" in ds else "occupancy"
    bs = float(ds.attrs["bin_size"])
    field = {"threshold": field_threshold, "min_bins": field_min_bins}
    opts = dict(border_threshold=border_threshold, field=field, min_peak=field_min_peak)
    occ = ds[occ_name].transpose(Y, X).values

    def block(rate, raw):  # noqa: ANN001, ANN202
        return _map_block(rate, raw, occ=occ, bin_size=bs, **opts)

    return scores_from(
        ds,
        per_unit(block, [ds["rate"], ds["rate_raw"]], _MAP_OUTPUTS),
        attrs={
            "information": "BNT mapStatsPDF (clipped log); skaggs_*: Skaggs 1993 textbook form",
            "occupancy_used": occ_name,
            "coherence": "BNT coherence on rate_raw, atanh",
            "border_method": "Solstad 2008 as BNT borderScore, searchWidth 8, walls TRBL",
            "border_threshold": float(border_threshold),
            "field_method": "BNT placefield",
            "field_threshold": float(field_threshold),
            "field_min_bins": int(field_min_bins),
            "field_min_peak": float(field_min_peak),
            "band_method": "Krupic 2012 2-D Fourier, fft 256, no shuffle threshold",
            "bin_size": bs,
            "smooth_bins": float(ds.attrs.get("smooth_bins", np.nan)),
        },
    )


def place_fields_of_maps(
    rate_maps: xr.Dataset,
    *,
    method: str,
    threshold: float,
    min_bins: int,
    min_peak: float,
    min_mean_rate: float,
) -> xr.Dataset:
    """Every place field of every unit, one row per field (:func:`~hippocore.analysis.place_fields`).

    Returns
    -------
    xarray.Dataset
        Dim ``field``; variables ``unit`` (the unit id), ``peak``, ``mean_rate``, ``n_bins``,
        ``area`` (m²), ``centroid_x``, ``centroid_y``, ``peak_x``, ``peak_y`` (m).
    """
    ds = as_rate_maps(rate_maps)
    rate = ds["rate"].transpose(UNIT, Y, X).values
    x, y = ds[X].values, ds[Y].values
    found = place_fields(
        rate, method=method, threshold=threshold, min_bins=min_bins, min_peak=min_peak,
        min_mean_rate=min_mean_rate, x=x, y=y,
    )  # fmt: skip
    ids = ds[UNIT].values

    def column(values: list, dtype: type) -> tuple[str, np.ndarray]:
        return ("field", np.array(values, dtype=dtype))

    return xr.Dataset(
        {
            "unit": column([ids[f.unit] for f in found], ids.dtype),
            "peak": column([f.peak for f in found], float),
            "mean_rate": column([f.mean_rate for f in found], float),
            "n_bins": column([f.n_bins for f in found], int),
            "area": (*column([f.area for f in found], float), {"units": "m2"}),
            "centroid_x": column([f.centroid[0] for f in found], float),
            "centroid_y": column([f.centroid[1] for f in found], float),
            "peak_x": column([x[f.peak_bin[1]] for f in found], float),
            "peak_y": column([y[f.peak_bin[0]] for f in found], float),
        },
        attrs={
            "method": f"BNT placefield{'Adaptive' if method == 'adaptive' else ''}",
            "threshold": float(threshold),
            "min_bins": int(min_bins),
            "min_peak": float(min_peak),
            "min_mean_rate": float(min_mean_rate),
            "bin_size": float(ds.attrs["bin_size"]),
        },
    )


def head_direction_of_session(
    session: xr.Dataset, *, n_bins: int, smooth: float, max_gap: float, variable: str
) -> xr.Dataset:
    """Head-direction tuning curves and their statistics for every unit of a session.

    The session needs ``head_direction`` (rad); see
    :func:`~hippocore.analysis.head_direction_tuning` and ``head_direction_stats``.

    Returns
    -------
    xarray.Dataset
        Scores ``hd_mean_vector_length``, ``hd_mean_direction`` (rad), ``hd_std``,
        ``hd_peak_rate``, ``hd_peak_direction`` (rad), ``hd_mean_rate`` and the curve
        ``hd_curve (unit, direction)`` with coordinate ``direction`` (rad).
    """
    ds = as_session(session)
    if "head_direction" not in ds:
        raise ValueError(
            "this session has no 'head_direction'; compute it from two LEDs with "
            "hippocore.analysis.head_direction_from_leds and store it in the session."
        )
    options = {"n_bins": n_bins, "smooth": smooth, "max_gap": max_gap}
    tc = _of_units(head_direction_tuning, ds, ds["head_direction"].values, variable, options)
    curve = tc.curve  # (unit, n_bins): units_of gives a list of trains or 2-D activity
    st = head_direction_stats(curve, tc.bin_centres)
    out = scores_from(
        ds,
        {
            "hd_mean_vector_length": st.mean_vector_length,
            "hd_mean_direction": st.mean_direction,
            "hd_std": st.std,
            "hd_peak_rate": st.peak_rate,
            "hd_peak_direction": st.peak_direction,
            "hd_mean_rate": st.mean_rate,
            "hd_curve": curve,
        },
        attrs={
            "hd_method": "BNT turningCurve/tcStatistics (circular smoothing)",
            "hd_bins": int(n_bins),
            "hd_smooth_bins": float(smooth),
            "max_gap_s": float(max_gap),
            "variable": variable,
        },
    )
    out = out.rename_dims({"hd_curve_dim1": "direction"})
    return out.assign_coords(direction=("direction", tc.bin_centres, {"units": "rad"}))


def speed_score_of_session(
    session: xr.Dataset,
    *,
    sigma: float,
    speed_range: tuple[float, float],
    variant: str,
    variable: str,
) -> xr.Dataset:
    """Speed score (Kropff 2015, :func:`~hippocore.analysis.speed_score`) of every unit of a session.

    The session needs ``speed`` (m/s).

    Returns
    -------
    xarray.Dataset
        Scores dataset with ``speed_score``.
    """
    ds = as_session(session)
    if "speed" not in ds:
        raise ValueError("this session has no 'speed' (m/s); add it to score speed tuning.")
    options = {"sigma": sigma, "speed_range": speed_range, "variant": variant}
    s = _of_units(speed_score, ds, ds["speed"].values, variable, options)
    return scores_from(
        ds,
        {"speed_score": s},
        attrs={
            "speed_method": f"Kropff 2015 (BNT speedScore score{variant[2:]})",
            "speed_sigma_s": float(sigma),
            "speed_range_m_s": [float(v) for v in speed_range],
            "variable": variable,
        },
    )


def remapping_of_maps(rate_maps_a: xr.Dataset, rate_maps_b: xr.Dataset) -> xr.Dataset:
    """Remapping between two rate-map datasets (e.g. two environments) of the same units and bins.

    Returns
    -------
    xarray.Dataset
        ``spatial_correlation (unit)`` (BNT ``spatialCrossCorrelation``) and
        ``pv_correlation (y, x)`` (BNT ``populationVectorCorrelation``, NaN where undefined);
        attr ``mean_pv_correlation``.
    """
    a, b = as_rate_maps(rate_maps_a, "rate_maps_a"), as_rate_maps(rate_maps_b, "rate_maps_b")
    if not np.array_equal(a[UNIT].values, b[UNIT].values):
        raise ValueError("rate_maps_a and rate_maps_b must hold the same units in the same order.")
    for c in (X, Y):
        if a.sizes[c] != b.sizes[c] or not np.allclose(a[c].values, b[c].values):
            raise ValueError(
                f"rate_maps_a and rate_maps_b have different '{c}' bins; build both with the "
                "same limits and bin_size."
            )
    ra = a["rate"].transpose(UNIT, Y, X).values
    rb = b["rate"].transpose(UNIT, Y, X).values
    pv = (
        population_vector_correlation(ra, rb) if ra.shape[0] >= 2 else np.full(ra.shape[1:], np.nan)
    )
    out = scores_from(
        a,
        {"spatial_correlation": spatial_correlation(ra, rb)},
        attrs={
            "remapping_method": "BNT spatialCrossCorrelation / populationVectorCorrelation",
            "mean_pv_correlation": float(np.nanmean(pv)) if np.isfinite(pv).any() else np.nan,
        },
    )
    return out.assign(pv_correlation=((Y, X), pv)).assign_coords({X: a[X].values, Y: a[Y].values})


def stability_of_session(
    session: xr.Dataset,
    *,
    bin_size: float,
    limits: Sequence[float] | None,
    smooth: float,
    max_gap: float,
    variable: str,
) -> xr.Dataset:
    """Within-session stability (first vs second half, :func:`~hippocore.analysis.stability`) of every unit.

    Returns
    -------
    xarray.Dataset
        Scores dataset with ``stability``.
    """
    ds = as_session(session, "stability scores")
    options = {"bin_size": bin_size, "limits": limits, "smooth": smooth, "max_gap": max_gap}
    r = _of_units(stability, ds, ds["position"].transpose("time", "axis").values, variable, options)
    return scores_from(
        ds,
        {"stability": r},
        attrs={
            "stability_method": "spatial correlation of first- and second-half rate maps",
            "bin_size": float(bin_size),
            "smooth_bins": float(smooth),
            "max_gap_s": float(max_gap),
            "variable": variable,
        },
    )


def classify_session(
    session: xr.Dataset,
    *,
    variable: str,
    percentile: float,
    min_fields: int,
    min_finite: float,
    null: str,
    **shuffle_options: Any,
) -> xr.Dataset:
    """Score and classify every unit of a session: scores, shuffled nulls and labels.

    Runs :func:`~hippocore.analysis.shuffle_scores` (circular time shifts of spikes, or of the
    activity trace for model units; head direction and speed are used when the session has
    them, and ``scores`` names them) and :func:`~hippocore.analysis.classify` (``percentile``,
    ``min_fields``, ``min_finite``, ``null``: each unit's own shuffles or one pooled threshold
    per score; the ``null`` and ``gridness_method`` variables record both choices).
    ``shuffle_options`` are the keyword options of
    ``shuffle_scores`` (the generated signature lists them).

    Returns
    -------
    xarray.Dataset
        Scores dataset: for every score ``s`` the observed ``s``, its null percentiles
        ``s_p95`` and ``s_p99`` (NaN shuffles counted as not beating the unit; NaN with fewer
        than ``min_finite`` of the shuffles finite) and ``s_n_finite`` (shuffles with a
        defined score); ``n_spikes``, ``n_fields``, ``note`` (data), ``classify_note`` (tests
        not run for want of finite shuffles), ``band_label``, ``label`` and one boolean
        ``is_<label>`` per label; attrs record every parameter (maps, shuffles,
        classification percentile, minimum finite fraction and rules).
    """
    ds = as_session(session, "classify (rate maps, grid, border and place scores)")
    hd = ds["head_direction"].values if "head_direction" in ds else None
    speed = ds["speed"].values if "speed" in ds else None
    scores = shuffle_options["scores"]
    if scores is not None:
        wanted = list(scores)
        hd = hd if "head_direction" in wanted else None
        speed = speed if "speed" in wanted else None
    options = {"head_direction": hd, "speed": speed, **shuffle_options}
    sh = _of_units(
        shuffle_scores, ds, ds["position"].transpose("time", "axis").values, variable, options
    )
    c = classify(sh, percentile=percentile, min_fields=min_fields, min_finite=min_finite, null=null)
    thresholds = sh.pooled_percentile if c.null == "pooled" else sh.percentile
    variables: dict[str, np.ndarray] = {}
    for name in SCORES:
        if name in sh.observed:
            variables[name] = sh.observed[name]
            variables[f"{name}_p95"] = thresholds(name, 95, min_finite=min_finite)
            variables[f"{name}_p99"] = thresholds(name, 99, min_finite=min_finite)
            variables[f"{name}_n_finite"] = sh.n_finite(name)
    variables["n_spikes"] = sh.n_spikes
    variables["n_fields"] = sh.n_fields
    variables["note"] = sh.note
    variables["classify_note"] = c.note
    variables["band_label"] = c.band_label
    variables["label"] = c.label
    variables["gridness_method"] = np.full(sh.n_units, sh.parameters["gridness_method"])
    variables["null"] = np.full(sh.n_units, c.null)
    for name, ok in c.passed.items():
        variables[f"is_{name.replace('-', '_')}"] = ok
    half = shuffle_options["bin_size"] / 2
    attrs = {f"shuffle_{k}": v for k, v in sh.parameters.items()}
    attrs.update(
        {
            "variable": variable,
            "limits_m": [float(sh.x[0] - half), float(sh.x[-1] + half),
                         float(sh.y[0] - half), float(sh.y[-1] + half)],
            "classify_percentile": float(percentile),
            "classify_min_finite": float(min_finite),
            "classify_null": c.null,
            "classify_rules": c.rules,
            "map_method": "BNT analyses.map (2020 mirror)",
        }
    )  # fmt: skip
    return scores_from(ds, variables, attrs=attrs)
