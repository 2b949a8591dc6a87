"""xarray layer for map statistics, fields, direction, speed, remapping and classification.

Thin wrappers from schema datasets (sessions, rate maps) to schema scores datasets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from hippocore._checks import check_choice
from hippocore.schema import UNIT, X, Y, kind_of, make_scores, require, spike_trains

from ._band import band_score
from ._border import border_score
from ._classify import classify
from ._direction import head_direction_stats, head_direction_tuning
from ._place import place_fields
from ._remap import population_vector_correlation, spatial_correlation
from ._shuffle import MIN_FINITE_FRACTION, SCORES, shuffle_scores
from ._speed import speed_score
from ._stability import stability
from ._stats import coherence, map_stats, skaggs_information

__all__ = [
    "map_scores",
    "place_field_table",
    "head_direction_scores",
    "speed_scores",
    "remapping",
    "stability_scores",
    "score_session",
]


def _rate_maps(ds: xr.Dataset, name: str = "rate_maps") -> xr.Dataset:
    if not isinstance(ds, xr.Dataset) or "rate" not in ds or kind_of(ds) != "rate_maps":
        raise TypeError(
            f"{name} must be a hippocore rate-map dataset (see hippocore.analysis."
            "compute_rate_maps or ds.hc.rate_maps)."
        )
    return ds


def _session(ds: xr.Dataset, purpose: str | None = None) -> xr.Dataset:
    """``ds`` if it is a session; with ``purpose``, also require its position."""
    if not isinstance(ds, xr.Dataset) or "time" not in ds.coords or kind_of(ds) != "session":
        raise TypeError("session must be a hippocore session dataset (see schema.make_session).")
    return ds if purpose is None else require(ds, "position", purpose=purpose)


def _population(ds: xr.Dataset):
    return ds["population"].values if "population" in ds.coords else None


def _units(session: xr.Dataset, variable: str):
    """(spike_times or None, activity or None) of a session."""
    check_choice(variable, "variable", ("spikes", "activity"))
    if variable == "activity":
        if "activity" not in session:
            raise ValueError("this session holds no 'activity'; use variable='spikes'.")
        return None, session["activity"].transpose("time", UNIT).values.astype(np.float64)
    trains = spike_trains(session)
    if not trains:
        raise ValueError("this session has no units.")
    return list(trains), None


def map_scores(
    rate_maps: xr.Dataset,
    *,
    border_threshold: float = 0.3,
    field_threshold: float = 0.2,
    field_min_bins: int = 9,
    field_min_peak: float = 1.0,
) -> xr.Dataset:
    """Map statistics of every unit: information, sparsity, selectivity, coherence, border, band.

    ``information_*`` (BNT clipped form), ``sparsity``, ``selectivity``, ``mean_rate`` and
    ``peak_rate`` come from :func:`map_stats` on ``rate`` and the smoothed occupancy (BNT
    ``mapStatsPDF``); ``skaggs_information_*`` is the textbook form; ``coherence`` is BNT's
    on ``rate_raw``; ``border_*`` from :func:`border_score`; ``n_fields`` from
    :func:`place_fields`; ``band_*`` from :func:`band_score` on ``rate_raw`` without a
    shuffle threshold (use :func:`score_session` for significance).

    Parameters
    ----------
    rate_maps : xarray.Dataset
        A schema rate-map dataset with ``rate`` and ``rate_raw``.
    border_threshold : float, default 0.3
        Field threshold of the border score.
    field_threshold, field_min_bins, field_min_peak
        Place-field options (BNT ``placefield`` defaults).

    Returns
    -------
    xarray.Dataset
        A schema scores dataset; attrs record every option and the map's provenance.
    """
    ds = _rate_maps(rate_maps)
    if "rate_raw" not in ds:
        raise ValueError(
            "rate_maps has no 'rate_raw' (the unsmoothed map) needed for coherence and the "
            "band score; build it with hippocore.analysis.compute_rate_maps."
        )
    rate = ds["rate"].transpose(UNIT, Y, X).values
    raw = ds["rate_raw"].transpose(UNIT, Y, X).values
    occ_name = "occupancy_smoothed" if "occupancy_smoothed" in ds else "occupancy"
    occ = ds[occ_name].values
    bs = float(ds.attrs["bin_size"])
    ms = map_stats(rate, occ)
    sk = skaggs_information(np.clip(rate, 0, None), occ)
    bo = border_score(rate, threshold=border_threshold, min_peak=field_min_peak)
    fields = place_fields(
        rate, threshold=field_threshold, min_bins=field_min_bins, min_peak=field_min_peak
    )
    bands = [band_score(m, bin_size=bs) for m in raw]
    return make_scores(
        ds[UNIT].values,
        {
            "information_rate": ms.information_rate,
            "information_content": ms.information_content,
            "skaggs_information_rate": sk.rate,
            "skaggs_information_content": sk.content,
            "sparsity": ms.sparsity,
            "selectivity": ms.selectivity,
            "mean_rate": ms.mean_rate,
            "peak_rate": ms.peak_rate,
            "coherence": coherence(raw),
            "border_score": bo.score,
            "border_coverage": bo.coverage,
            "border_distance": bo.distance,
            "n_fields": np.array([len(f) for f in fields]),
            "band_label": np.array([b.label for b in bands]),
            "band_dominance": np.array([b.dominance for b in bands]),
            "band_n_components": np.array([b.n_components for b in bands]),
        },
        population=_population(ds),
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


def place_field_table(
    rate_maps: xr.Dataset,
    *,
    method: str = "bnt",
    threshold: float = 0.2,
    min_bins: int = 9,
    min_peak: float = 1.0,
) -> xr.Dataset:
    """Every place field of every unit, one row per field (:func:`place_fields`).

    Parameters
    ----------
    rate_maps : xarray.Dataset
        A schema rate-map dataset.
    method : {"bnt", "adaptive"}, default "bnt"
        Field detection.
    threshold, min_bins, min_peak
        As in :func:`place_fields`.

    Returns
    -------
    xarray.Dataset
        Dim ``field``; variables ``unit`` (the unit id), ``peak``, ``mean_rate``, ``n_bins``,
        ``area`` (m²), ``centroid_x``, ``centroid_y``, ``peak_x``, ``peak_y`` (m).
    """
    ds = _rate_maps(rate_maps)
    rate = ds["rate"].transpose(UNIT, Y, X).values
    x, y = ds[X].values, ds[Y].values
    found = place_fields(
        rate, method=method, threshold=threshold, min_bins=min_bins, min_peak=min_peak, x=x, y=y
    )
    ids = ds[UNIT].values
    rows = [(ids[u], f) for u, fl in enumerate(found) for f in fl]
    return xr.Dataset(
        {
            "unit": ("field", np.array([r[0] for r in rows], dtype=ids.dtype)),
            "peak": ("field", np.array([f.peak for _, f in rows], float)),
            "mean_rate": ("field", np.array([f.mean_rate for _, f in rows], float)),
            "n_bins": ("field", np.array([f.n_bins for _, f in rows], int)),
            "area": ("field", np.array([f.area for _, f in rows], float), {"units": "m2"}),
            "centroid_x": ("field", np.array([f.centroid[0] for _, f in rows], float)),
            "centroid_y": ("field", np.array([f.centroid[1] for _, f in rows], float)),
            "peak_x": ("field", np.array([x[f.peak_bin[1]] for _, f in rows], float)),
            "peak_y": ("field", np.array([y[f.peak_bin[0]] for _, f in rows], float)),
        },
        attrs={
            "method": f"BNT placefield{'Adaptive' if method == 'adaptive' else ''}",
            "threshold": float(threshold),
            "min_bins": int(min_bins),
            "min_peak": float(min_peak),
            "bin_size": float(ds.attrs["bin_size"]),
        },
    )


def head_direction_scores(
    session: xr.Dataset,
    *,
    n_bins: int = 120,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    variable: str = "spikes",
) -> xr.Dataset:
    """Head-direction tuning curves and their statistics for every unit of a session.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session with ``head_direction`` (rad).
    n_bins, smooth, max_gap
        As in :func:`head_direction_tuning`.
    variable : {"spikes", "activity"}, default "spikes"
        Score spike trains or continuous activity.

    Returns
    -------
    xarray.Dataset
        Scores ``hd_mean_vector_length``, ``hd_mean_direction`` (rad), ``hd_std``,
        ``hd_peak_rate``, ``hd_peak_direction`` (rad), ``hd_mean_rate`` and the curve
        ``hd_curve (unit, direction)`` with coordinate ``direction`` (rad).
    """
    ds = _session(session)
    if "head_direction" not in ds:
        raise ValueError(
            "this session has no 'head_direction'; compute it from two LEDs with "
            "hippocore.analysis.head_direction_from_leds and store it in the session."
        )
    trains, act = _units(ds, variable)
    tc = head_direction_tuning(
        ds["time"].values,
        ds["head_direction"].values,
        trains,
        activity=act,
        n_bins=n_bins,
        smooth=smooth,
        max_gap=max_gap,
    )
    curve = tc.curve if tc.curve.ndim == 2 else tc.curve[None]
    st = head_direction_stats(curve, tc.bin_centres)
    out = make_scores(
        ds[UNIT].values,
        {
            "hd_mean_vector_length": st.mean_vector_length,
            "hd_mean_direction": st.mean_direction,
            "hd_std": st.std,
            "hd_peak_rate": st.peak_rate,
            "hd_peak_direction": st.peak_direction,
            "hd_mean_rate": st.mean_rate,
            "hd_curve": curve,
        },
        population=_population(ds),
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


def speed_scores(
    session: xr.Dataset,
    *,
    sigma: float = 0.4,
    speed_range: tuple[float, float] = (0.02, 0.5),
    variant: str = "2015",
    variable: str = "spikes",
) -> xr.Dataset:
    """Speed score (Kropff 2015) of every unit of a session with a ``speed`` variable.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session with ``speed`` (m/s).
    sigma, speed_range, variant
        As in :func:`speed_score`.
    variable : {"spikes", "activity"}, default "spikes"
        Score spike trains or continuous activity.

    Returns
    -------
    xarray.Dataset
        Scores dataset with ``speed_score``.
    """
    ds = _session(session)
    if "speed" not in ds:
        raise ValueError("this session has no 'speed' (m/s); add it to score speed tuning.")
    trains, act = _units(ds, variable)
    s = speed_score(
        ds["time"].values,
        ds["speed"].values,
        trains,
        activity=act,
        sigma=sigma,
        speed_range=speed_range,
        variant=variant,
    )
    return make_scores(
        ds[UNIT].values,
        {"speed_score": np.atleast_1d(s)},
        population=_population(ds),
        attrs={
            "speed_method": f"Kropff 2015 (BNT speedScore score{variant[2:]})",
            "speed_sigma_s": float(sigma),
            "speed_range_m_s": [float(v) for v in speed_range],
            "variable": variable,
        },
    )


def remapping(rate_maps_a: xr.Dataset, rate_maps_b: xr.Dataset) -> xr.Dataset:
    """Remapping between two rate-map datasets of the same units and bins.

    Parameters
    ----------
    rate_maps_a, rate_maps_b : xarray.Dataset
        Schema rate-map datasets (e.g. two environments), same unit ids and bins.

    Returns
    -------
    xarray.Dataset
        ``spatial_correlation (unit)`` (BNT ``spatialCrossCorrelation``) and
        ``pv_correlation (y, x)`` (BNT ``populationVectorCorrelation``, NaN where undefined);
        attr ``mean_pv_correlation``.
    """
    a, b = _rate_maps(rate_maps_a, "rate_maps_a"), _rate_maps(rate_maps_b, "rate_maps_b")
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
    out = make_scores(
        a[UNIT].values,
        {"spatial_correlation": spatial_correlation(ra, rb)},
        population=_population(a),
        attrs={
            "remapping_method": "BNT spatialCrossCorrelation / populationVectorCorrelation",
            "mean_pv_correlation": float(np.nanmean(pv)) if np.isfinite(pv).any() else np.nan,
        },
    )
    return out.assign(pv_correlation=((Y, X), pv)).assign_coords({X: a[X].values, Y: a[Y].values})


def stability_scores(
    session: xr.Dataset,
    *,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    variable: str = "spikes",
) -> xr.Dataset:
    """Within-session stability (first vs second half) of every unit (:func:`stability`).

    Parameters
    ----------
    session : xarray.Dataset
        A schema session.
    bin_size, limits, smooth, max_gap
        Map options, as in :func:`~hippocore.analysis.rate_map`.
    variable : {"spikes", "activity"}, default "spikes"
        Score spike trains or continuous activity.

    Returns
    -------
    xarray.Dataset
        Scores dataset with ``stability``.
    """
    ds = _session(session, "stability scores")
    trains, act = _units(ds, variable)
    r = stability(
        ds["time"].values,
        ds["position"].transpose("time", "axis").values,
        trains,
        activity=act,
        bin_size=bin_size,
        limits=limits,
        smooth=smooth,
        max_gap=max_gap,
    )
    return make_scores(
        ds[UNIT].values,
        {"stability": np.atleast_1d(r)},
        population=_population(ds),
        attrs={
            "stability_method": "spatial correlation of first- and second-half rate maps",
            "bin_size": float(bin_size),
            "smooth_bins": float(smooth),
            "max_gap_s": float(max_gap),
            "variable": variable,
        },
    )


def score_session(
    session: xr.Dataset,
    *,
    bin_size: float,
    limits: Sequence[float] | None = None,
    smooth: float = 1.0,
    max_gap: float = 0.1,
    variable: str = "spikes",
    n_shuffles: int = 100,
    min_shift: float = 20.0,
    percentile: float = 95.0,
    min_finite: float = MIN_FINITE_FRACTION,
    scores: Sequence[str] | None = None,
    seed: int | np.random.Generator | None = None,
    progress: bool = False,
    gridness_method: str = "bnt",
    null: str = "per-unit",
) -> xr.Dataset:
    """Score and classify every unit of a session: scores, shuffled nulls and labels.

    Runs :func:`shuffle_scores` (circular time shifts of spikes, or of the activity trace for
    model units; head direction and speed are used when the session has them) and
    :func:`classify`.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session.
    bin_size, limits, smooth, max_gap
        Map options, as in :func:`~hippocore.analysis.rate_map`.
    variable : {"spikes", "activity"}, default "spikes"
        Score spike trains or continuous activity.
    n_shuffles, min_shift, scores, seed, progress
        As in :func:`shuffle_scores`.
    percentile : float, default 95.0
        Null percentile used by :func:`classify`.
    min_finite : float, default 0.2
        Smallest fraction of finite shuffles for a threshold (:func:`classify`).
    gridness_method : {"bnt", "deepmind"}, default "bnt"
        Grid score (:func:`shuffle_scores`); recorded in the ``gridness_method`` variable.
    null : {"per-unit", "pooled"}, default "per-unit"
        Thresholds from each unit's own shuffles, or one per score from all scored units'
        shuffles pooled (:func:`classify`); every ``s_p95`` / ``s_p99`` follows it and the
        ``null`` variable records it.

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
    ds = _session(session, "score_session (rate maps, grid, border and place scores)")
    trains, act = _units(ds, variable)
    hd = ds["head_direction"].values if "head_direction" in ds else None
    speed = ds["speed"].values if "speed" in ds else None
    if scores is not None:
        wanted = list(scores)
        hd = hd if "head_direction" in wanted else None
        speed = speed if "speed" in wanted else None
    sh = shuffle_scores(
        ds["time"].values,
        ds["position"].transpose("time", "axis").values,
        trains,
        activity=act,
        head_direction=hd,
        speed=speed,
        bin_size=bin_size,
        limits=limits,
        smooth=smooth,
        max_gap=max_gap,
        n_shuffles=n_shuffles,
        min_shift=min_shift,
        scores=scores,
        seed=seed,
        progress=progress,
        gridness_method=gridness_method,
    )
    c = classify(sh, percentile=percentile, min_finite=min_finite, null=null)
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
    attrs = {f"shuffle_{k}": v for k, v in sh.parameters.items()}
    attrs.update(
        {
            "variable": variable,
            "limits_m": [float(sh.x[0] - bin_size / 2), float(sh.x[-1] + bin_size / 2),
                         float(sh.y[0] - bin_size / 2), float(sh.y[-1] + bin_size / 2)],
            "classify_percentile": float(percentile),
            "classify_min_finite": float(min_finite),
            "classify_null": c.null,
            "classify_rules": c.rules,
            "map_method": "BNT analyses.map (2020 mirror)",
        }
    )  # fmt: skip
    return make_scores(ds[UNIT].values, variables, population=_population(ds), attrs=attrs)
