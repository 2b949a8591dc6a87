"""Figures of arena data: what is drawn is the known structure of the data, not just pixels."""

import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

import hippocore.analysis as ha
from hippocore.analysis import (
    # noqa: E402,
    autocorrelogram,
    band_score,
    gridness,
    head_direction_stats,
    place_fields,
)
from hippocore.plotting import (  # noqa: E402
    component_points,
    field_outline,
    metric_columns,
    peak_offsets,
    plot_autocorrelogram,
    plot_fourier_spectrum,
    plot_grid_fraction,
    plot_head_direction,
    plot_learning_curves,
    plot_place_fields,
    plot_rate_map,
    plot_score_histogram,
    rate_map_gallery,
    read_metrics,
    sort_order,
    spike_positions,
)
from hippocore.schema import make_session  # noqa: E402
from hippocore.testing import band_map, bin_centres, grid_map, place_map  # noqa: E402


def _labelled(ax, label):
    found = [ln for ln in ax.lines if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.lines]
    return found[0]


# ----------------------------------------------------------------------------- rate maps


def test_rate_map_extent_path_and_spikes_are_the_data():
    t = np.arange(200) * 0.1
    pos = np.column_stack([0.5 + 0.4 * np.cos(t / 3), 0.5 + 0.4 * np.sin(t / 5)])
    fire = np.array([10, 55, 130])  # spikes exactly at these samples
    ses = make_session(t, pos, spike_times=[t[fire], t[[3]]])
    sp = spike_positions(ses, 0)
    np.testing.assert_allclose(sp, pos[fire])
    maps = ha.ds.rate_map(ses, bin_size=0.1, limits=(0, 1, 0, 1), smooth=0)
    rate = maps["rate"][0]
    image = plot_rate_map(rate, trajectory=pos, spikes=sp, title="u0")
    assert isinstance(image.figure, Figure)
    assert image.get_extent() == pytest.approx([0, 1, 0, 1])  # bin edges, not centres
    drawn = image.get_array()
    np.testing.assert_array_equal(drawn.mask, np.isnan(rate.values))
    np.testing.assert_array_equal(drawn.data[~drawn.mask], rate.values[~np.isnan(rate.values)])
    ax = image.axes
    np.testing.assert_array_equal(_labelled(ax, "trajectory").get_xydata(), pos)
    np.testing.assert_array_equal(_labelled(ax, "spikes").get_xydata(), pos[fire])
    assert ax.get_title() == "u0" and image.get_clim()[0] == 0


def test_rate_map_from_an_array_uses_bin_indices_and_checks_shapes():
    image = plot_rate_map(np.arange(12.0).reshape(3, 4))
    assert image.get_extent() == pytest.approx([-0.5, 3.5, -0.5, 2.5])
    with pytest.raises(ValueError, match="x must hold one bin centre per map column"):
        plot_rate_map(np.zeros((3, 4)), x=[0, 1, 2], y=[0, 1, 2])
    with pytest.raises(ValueError, match="trajectory must have columns"):
        plot_rate_map(np.zeros((3, 4)), trajectory=np.zeros((5, 3)))


def test_place_fields_are_outlined_one_per_field():
    rate = place_map((30, 30), bin_size=0.05, centres=[[0.3, 0.3], [1.1, 1.1]], sigma=0.1)
    x, y = bin_centres(rate.shape, 0.05)
    fields = place_fields(rate, x=x, y=y)
    assert len(fields) == 2  # the known answer
    outlines = plot_place_fields(rate, fields, x=x, y=y)
    assert [o.get_label() for o in outlines] == ["field 0", "field 1"]
    ax = outlines[0].axes
    assert ax.get_title() == "2 field(s)"
    assert len([c for c in ax.collections if c.get_label().startswith("field")]) == 2
    for field, outline in zip(fields, outlines, strict=True):
        segs = np.asarray(outline.get_segments())
        np.testing.assert_allclose(segs, field_outline(field.mask(rate.shape), x, y))
        # every outline vertex is a bin corner, and the outline encloses the field's peak
        px, py = x[field.peak_bin[1]], y[field.peak_bin[0]]
        assert segs[..., 0].min() < px < segs[..., 0].max()
        assert segs[..., 1].min() < py < segs[..., 1].max()
        np.testing.assert_allclose(np.round(segs / 0.025) % 2, 0, atol=1e-9)


def test_field_outline_of_one_bin_and_of_a_block():
    one = np.zeros((3, 3), bool)
    one[1, 1] = True
    segs = field_outline(one, [0, 1, 2], [0, 1, 2])
    assert segs.shape == (4, 2, 2)  # a square around the bin
    assert {tuple(map(tuple, s)) for s in segs} == {
        ((0.5, 0.5), (1.5, 0.5)), ((0.5, 1.5), (1.5, 1.5)),
        ((0.5, 0.5), (0.5, 1.5)), ((1.5, 0.5), (1.5, 1.5)),
    }  # fmt: skip
    block = np.ones((2, 3), bool)  # a field touching the map's edges: 2 * (2 + 3) edges
    assert field_outline(block, [0, 1, 2], [0, 1]).shape == (10, 2, 2)


# ----------------------------------------------------------------------------- autocorrelogram


def test_six_peak_markers_sit_on_the_grid_peaks():
    spacing, bs = 0.3, 0.025
    acorr = autocorrelogram(grid_map((40, 40), bin_size=bs, spacing=spacing, orientation=0.2))
    g = gridness(acorr)
    assert g.score > 0.8
    image = plot_autocorrelogram(acorr, gridness=g, bin_size=bs)
    drawn = _labelled(image.axes, "peaks").get_xydata()
    np.testing.assert_allclose(drawn, peak_offsets(g) * bs)
    # the markers sit on the known lattice: six points at the grid spacing, 60 deg apart
    np.testing.assert_allclose(np.hypot(*drawn.T), spacing, rtol=0.06)
    angles = np.sort(np.mod(np.arctan2(drawn[:, 1], drawn[:, 0]) - 0.2, 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 3, atol=np.deg2rad(4))
    # and on local maxima of the autocorrelogram (within one bin)
    c = (np.array(acorr.shape) - 1) // 2
    for dx, dy in peak_offsets(g):
        r, k = int(round(c[0] + dy)), int(round(c[1] + dx))
        patch = acorr[r - 2 : r + 3, k - 2 : k + 3]
        assert acorr[r, k] >= np.nanmax(patch) - 0.1
    radii = {p.get_label(): p.get_radius() for p in image.axes.patches}
    assert radii["best radius"] == pytest.approx(g.best_radius * bs)


def test_no_peaks_without_geometry_or_when_switched_off():
    acorr = autocorrelogram(grid_map((40, 40), spacing=0.3))
    image = plot_autocorrelogram(acorr, peaks=False)
    assert not [ln for ln in image.axes.lines if ln.get_label() == "peaks"]
    image = plot_autocorrelogram(acorr, gridness=0.5)  # a plain score has no peaks
    assert not image.axes.lines
    with pytest.raises(ValueError, match="one autocorrelogram"):
        peak_offsets(gridness(np.stack([acorr, acorr])))


# ----------------------------------------------------------------------------- Fourier


def test_spectrum_marks_the_band_wave_vector():
    bs, lam, theta = 0.025, 0.25, 0.5
    rate = band_map((40, 40), bin_size=bs, wavelength=lam, orientation=theta)
    band = band_score(rate, bin_size=bs)
    image = plot_fourier_spectrum(rate, bin_size=bs, components=band)
    drawn = _labelled(image.axes, "components").get_xydata()
    np.testing.assert_allclose(drawn, component_points(band))
    assert band.label == "band" and drawn.shape == (2 * band.n_components, 2)
    f = drawn[0]  # strongest component: the band's wave vector (or its mirror)
    df = 1 / (256 * bs)
    assert np.hypot(*f) == pytest.approx(1 / lam, abs=df)
    axial = abs(np.angle(np.exp(2j * (np.arctan2(f[1], f[0]) - theta)))) / 2
    assert axial < np.deg2rad(3)
    # the marker is on the spectrum's brightest pixel
    power = image.get_array()
    x0, x1, y0, y1 = image.get_extent()
    r, c = np.unravel_index(np.argmax(power), power.shape)
    brightest = np.array([x0 + (c + 0.5) * df, y0 + (r + 0.5) * df])
    assert min(np.hypot(*(drawn[:2] - brightest).T)) <= 1.5 * df
    assert image.axes.get_title().startswith("band")
    assert x1 == pytest.approx(-x0, abs=df) and x1 >= 1 / (4 * bs)


def test_spectrum_without_components_computes_them():
    rate = band_map((30, 30), bin_size=0.03, wavelength=0.3)
    image = plot_fourier_spectrum(rate, bin_size=0.03)
    assert "no threshold" in image.axes.get_title()
    with pytest.raises(TypeError, match="FourierComponents or BandScore"):
        plot_fourier_spectrum(rate, bin_size=0.03, components=[1, 2])


# ----------------------------------------------------------------------------- head direction


def test_polar_curve_peaks_at_the_preferred_direction():
    d = (np.arange(60) + 0.5) * 2 * np.pi / 60
    pref = d[17]
    curve = 1 + 9 * np.exp(np.cos(d - pref) * 3) / math.e**3
    line = plot_head_direction(curve, d)
    assert line.axes.name == "polar"
    ang, val = line.get_xdata(), line.get_ydata()
    assert ang[np.argmax(val)] == pytest.approx(head_direction_stats(curve, d).peak_direction)
    assert ang[np.argmax(val)] == pytest.approx(pref)
    assert ang[0] == ang[-1]  # closed
    vec = _labelled(line.axes, "mean vector")
    assert vec.get_xdata()[0] == pytest.approx(pref, abs=1e-9)
    with pytest.raises(TypeError, match="polar"):
        plot_head_direction(curve, d, ax=Figure().add_subplot())
    with pytest.raises(ValueError, match="same length"):
        plot_head_direction(curve[:-1], d)


# ----------------------------------------------------------------------------- score histogram


def test_histogram_threshold_lines_are_at_the_percentiles():
    rng = np.random.default_rng(3)
    null = rng.normal(0, 0.2, 5000)
    values = np.r_[rng.normal(0.5, 0.3, 40), np.nan]
    thresholds = rng.uniform(0.2, 0.4, values.size)
    ax = plot_score_histogram(values, "gridness", null=null, thresholds=thresholds)
    lines = {ln.get_label(): ln for ln in ax.lines}
    assert lines["null p95"].get_xdata()[0] == pytest.approx(np.percentile(null, 95))
    assert lines["median unit p95"].get_xdata()[0] == pytest.approx(np.median(thresholds))
    np.testing.assert_array_equal(lines["unit thresholds"].get_xdata(), thresholds)
    _, labels = ax.get_legend_handles_labels()
    assert "units (n=40)" in labels and "null" in labels
    bars = [p for p in ax.patches if p.get_gid() == "null"]
    assert sum(b.get_height() for b in bars) == pytest.approx(40)  # scaled to the units
    ax = plot_score_histogram(values, null=null, percentile=99)
    assert {ln.get_label() for ln in ax.lines} == {"null p99"}


def test_histogram_reads_a_scores_dataset():
    from hippocore.schema import make_scores

    ds = make_scores([0, 1, 2], {"gridness": [0.1, 0.9, 0.4], "gridness_p95": [0.3, 0.2, 0.5]})
    ax = plot_score_histogram(ds, "gridness")
    assert ax.get_xlabel() == "gridness"
    thr = {ln.get_label(): ln for ln in ax.lines}["unit thresholds"].get_xdata()
    np.testing.assert_array_equal(thr, [0.3, 0.2, 0.5])
    with pytest.raises(ValueError, match="name must be a score"):
        plot_score_histogram(ds, "border")


# ----------------------------------------------------------------------------- gallery


def _two_cell_maps():
    t = np.arange(0, 600, 0.05)
    pos = np.column_stack([0.5 + 0.45 * np.sin(t / 7.3), 0.5 + 0.45 * np.sin(t / 11.1)])
    ses = make_session(t, pos, activity=np.column_stack([t % 3, np.cos(t)]), unit=["a", "b"])
    maps = ha.ds.rate_map(ses, bin_size=0.1, variable="activity")
    return maps


def test_rate_map_gallery_follows_the_sort():
    from hippocore.schema import make_scores

    maps = _two_cell_maps()
    ids = ["u0", "u1", "u2", "u3"]
    rate = np.concatenate([maps["rate"].values] * 2)
    stack = maps.isel(unit=[0, 1, 0, 1]).assign_coords(unit=ids)
    scores = make_scores(ids, {"gridness": [0.1, np.nan, 0.7, -0.2], "label": ["a", "b", "c", "d"]})
    fig = rate_map_gallery(stack, scores=scores, sort_by="gridness", title="t")
    order = [ax.get_label().split()[1] for ax in fig.axes if ax.get_label().startswith("map ")]
    assert order == ["u2", "u0", "u3", "u1"]  # highest first, NaN last
    by = {ax.get_label(): ax for ax in fig.axes}
    np.testing.assert_array_equal(by["map u2"].images[0].get_array().filled(np.nan), rate[2])
    assert by["map u2"].get_title() == "u2 c"
    assert by["acorr u2"].get_title().startswith("g ")
    fig = rate_map_gallery(stack, sort_by=[4, 3, 2, 1], acorr=False, max_units=2)
    assert [ax.get_label() for ax in fig.axes] == ["map u0", "map u1"]
    with pytest.raises(ValueError, match="names no variable of scores"):
        rate_map_gallery(stack, sort_by="gridness")


def test_sort_order_puts_nan_last_both_ways():
    key = [0.2, np.nan, 0.9, 0.2]
    assert sort_order(key).tolist() == [2, 0, 3, 1]
    assert sort_order(key, descending=False).tolist() == [0, 3, 2, 1]


# ----------------------------------------------------------------------------- training runs


def _run_folder(tmp_path):
    lines = [
        {"step": 100, "loss": 2.0, "revisit_accuracy": 0.2, "zero_shot_accuracy": None},
        {"step": 200, "loss": 1.5, "revisit_accuracy": 0.5, "zero_shot_accuracy": 0.1,
         "grid_fraction": 0.25, "grid_shuffle_fraction": 0.05},
        {"step": 300, "loss": 1.0, "revisit_accuracy": 0.8, "zero_shot_accuracy": 0.4,
         "grid_fraction": 0.5, "grid_shuffle_fraction": 0.04},
    ]  # fmt: skip
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(ln) + "\n" for ln in lines))
    return tmp_path, lines


def test_learning_curves_and_grid_fraction_are_the_metrics_lines(tmp_path):
    run, lines = _run_folder(tmp_path)
    assert read_metrics(run) == lines
    (loss,) = plot_learning_curves(run)
    np.testing.assert_array_equal(loss.get_xdata(), [100, 200, 300])
    np.testing.assert_array_equal(loss.get_ydata(), [2.0, 1.5, 1.0])
    acc = plot_learning_curves(lines, keys=("revisit_accuracy", "zero_shot_accuracy"))
    np.testing.assert_array_equal(acc[1].get_ydata(), [np.nan, 0.1, 0.4])  # None -> NaN
    assert [ln.get_label() for ln in acc] == ["revisit_accuracy", "zero_shot_accuracy"]
    frac, null = plot_grid_fraction(run)
    np.testing.assert_array_equal(frac.get_ydata(), [np.nan, 0.25, 0.5])
    np.testing.assert_array_equal(null.get_ydata(), [np.nan, 0.05, 0.04])
    assert frac.axes.get_ylim() == (0, 1)
    csv = tmp_path / "m.csv"
    csv.write_text("step,loss\n1,3.0\n2,\n")
    np.testing.assert_array_equal(metric_columns(csv)["loss"], [3.0, np.nan])


def test_training_plots_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.jsonl"):
        read_metrics(tmp_path)
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "loss": 1}\n{"step": 2,\n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        read_metrics(tmp_path)
    with pytest.raises(ValueError, match="no 'grid_fraction'"):
        plot_grid_fraction([{"step": 1, "loss": 1.0}])
    with pytest.raises(ValueError, match=r"metrics have no \['acc'\]"):
        plot_learning_curves([{"step": 1, "loss": 1.0}], keys=("acc",))
