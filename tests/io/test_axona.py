"""Axona dacqUSB / TINT trials: reader, NWB converter, bad input.

Synthetic trials (hippocore.testing.write_axona_trial) carry the coverage on any machine; the
public recordings, when present in the test-data cache, check the reader against numbers
derived here from the raw bytes.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import hippocore.analysis  # noqa: F401  (the ds.hc accessor)
from hippocore.io import DataRepairWarning, convert_axona_to_nwb, read_axona, read_nwb
from hippocore.schema import missing, spike_trains, validate
from hippocore.testing import synthetic_recording, write_axona_trial, write_tetrode_file

CACHE = Path(
    os.environ.get("HIPPOCORE_TEST_DATA", Path.home() / ".cache" / "hippocore-testdata")
).expanduser()
AXONA = CACHE / "axona"
HOW_TO_GET = (
    "public Axona test data not found under {path}. Get it with: datalad install "
    "https://gin.g-node.org/NeuralEnsemble/ephy_testing_data && cd ephy_testing_data && "
    "datalad get axona/dataset_unit_spikes; then copy ephy_testing_data/axona/ to "
    "$HIPPOCORE_TEST_DATA/axona/ (default ~/.cache/hippocore-testdata/axona/). For the cut-file "
    "test copy M851_140908t2rh.set, .pos and _3.cut from rhayman/ephysiopy "
    "(src/ephysiopy/tests/data/) to $HIPPOCORE_TEST_DATA/axona/ephysiopy/"
)


def _quiet(func, *args, **kwargs):
    """Call a reader whose documented repairs (untracked samples) are expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def recording():
    return synthetic_recording(120.0, seed=5, limits=(0.05, 0.95, 0.05, 0.95))


@pytest.fixture
def trial(tmp_path, recording):
    return write_axona_trial(tmp_path, recording, seed=1)


def _expected_position(trial, y_axis="up"):
    """LED positions (m) from the raw pixels, NaN where untracked (1023)."""
    px = trial.pixels.astype(float)
    px[px == 1023] = np.nan
    height = trial.window[3] - trial.window[2]
    led1, led2 = px[:, :2].copy(), px[:, 2:].copy()
    for led in (led1, led2):
        if y_axis == "up":
            led[:, 1] = height - led[:, 1]
        led /= trial.pixels_per_metre
    return led1, led2


# ----------------------------------------------------------------------------- synthetic trials


def test_positions_in_metres_and_seconds(trial):
    with pytest.warns(DataRepairWarning, match="trial.pos: dropped"):
        ds = read_axona(trial.set_path)
    validate(ds)
    led1, led2 = _expected_position(trial)
    n = trial.pixels.shape[0]
    t = np.arange(n) / 50.0  # sample k at k / sample_rate
    both_lost = ~np.isfinite(led1).all(axis=1) & ~np.isfinite(led2).all(axis=1)
    assert ds.sizes["time"] == n - both_lost.sum()
    np.testing.assert_array_equal(ds.time.values, t[~both_lost])
    one = np.isfinite(led1).all(axis=1) & np.isfinite(led2).all(axis=1)
    mid = (led1 + led2) / 2
    expected = np.where(one[:, None], mid, np.where(np.isfinite(led1), led1, led2))
    np.testing.assert_allclose(ds.position.values, expected[~both_lost], rtol=0, atol=1e-15)
    # head direction: from LED 2 to LED 1, counter-clockwise with y up
    v = led1 - led2
    hd = np.arctan2(v[:, 1], v[:, 0])[~both_lost]
    np.testing.assert_allclose(ds.head_direction.values, hd, equal_nan=True)
    assert np.isnan(ds.head_direction.values).sum() == (~one).sum() - both_lost.sum()
    assert ds.attrs["pixels_per_metre"] == 300.0 and ds.attrs["position_leds"] == 2
    assert ds.attrs["tracking_window_px"] == [100.0, 420.0, 50.0, 370.0]
    assert ds.attrs["spike_resolution"] == 1 / 96000
    assert ds.attrs["session_start_time"] == "2014-08-15T15:21:10+00:00"


def test_y_axis_down_keeps_camera_rows(trial):
    ds = _quiet(read_axona, trial.set_path, y_axis="down", cut_files="none")
    led1, led2 = _expected_position(trial, y_axis="down")
    ok = np.isfinite(led1).all(axis=1) & np.isfinite(led2).all(axis=1)
    sel = np.isin(np.round(ds.time.values * 50).astype(int), np.flatnonzero(ok))
    np.testing.assert_allclose(ds.position.values[sel], ((led1 + led2) / 2)[ok], atol=1e-15)


def test_clusters_from_cut_files(trial, recording):
    ds = _quiet(read_axona, trial.set_path)
    names = [f"t{tet}c{c}" for tet in (1, 2) for c in range(1, 6)]
    assert list(ds.unit.values) == names
    assert list(ds.tetrode.values) == [1] * 5 + [2] * 5
    assert not ds.multi_unit.values.any()
    for name, got in zip(names, spike_trains(ds), strict=True):
        tet, c = int(name[1]), int(name[3])
        want = trial.ticks[tet][trial.clusters[tet] == c] / 96000.0
        np.testing.assert_array_equal(got, want)
    # each cluster is one of the recording's units (spike times to the 96 kHz tick)
    truth = spike_trains(recording)
    np.testing.assert_allclose(spike_trains(ds)[0], truth[0], atol=0.6 / 96000)
    np.testing.assert_allclose(spike_trains(ds)[5], truth[1], atol=0.6 / 96000)


def test_clu_files_give_the_same_units(tmp_path, recording):
    (tmp_path / "cut").mkdir()
    (tmp_path / "clu").mkdir()
    cut = write_axona_trial(tmp_path / "cut", recording)
    clu = write_axona_trial(tmp_path / "clu", recording, cluster_files="clu")
    a, b = _quiet(read_axona, cut.set_path), _quiet(read_axona, clu.set_path)
    assert list(a.unit.values) == list(b.unit.values)
    for x, y in zip(spike_trains(a), spike_trains(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_without_cut_files_each_tetrode_is_one_multi_unit(tmp_path, recording):
    trial = write_axona_trial(tmp_path, recording, cluster_files="none", n_tetrodes=3)
    ds = _quiet(read_axona, trial.set_path)
    assert list(ds.unit.values) == ["t1", "t2", "t3"]
    assert list(ds.cluster.values) == [-1, -1, -1] and ds.multi_unit.values.all()
    for tet, got in zip((1, 2, 3), spike_trains(ds), strict=True):
        assert got.size == trial.ticks[tet].size  # noise spikes included
    only = _quiet(read_axona, trial.set_path, tetrodes=[2])
    assert list(only.unit.values) == ["t2"]


def test_a_trial_without_pos_file_has_units_and_no_position(trial):
    trial.set_path.with_suffix(".pos").unlink()
    ds = validate(read_axona(trial.set_path))
    assert missing(ds) == ["position"] and ds.sizes["unit"] == 10


def test_axona_session_scores_like_any_other(trial):
    ds = _quiet(read_axona, trial.set_path, population="MEC")
    scores = ds.hc.classify(bin_size=0.05, n_shuffles=3, seed=0)
    assert scores.sizes["unit"] == 10 and "gridness" in scores
    assert np.isfinite(scores.gridness.values).any()


def test_converts_to_nwb_that_reads_back_and_passes_the_inspector(
    tmp_path, trial, assert_clean_nwb
):
    subject = {"subject_id": "r1", "species": "Rattus norvegicus", "sex": "M", "age": "P90D"}
    path = convert_axona_to_nwb(trial.set_path, tmp_path / "trial.nwb", subject=subject)
    assert_clean_nwb(path)
    ref = _quiet(read_axona, trial.set_path)
    back = _quiet(read_nwb, path)
    np.testing.assert_array_equal(back.time.values, ref.time.values)
    np.testing.assert_array_equal(back.position.values, ref.position.values)
    np.testing.assert_allclose(
        back.head_direction.values, ref.head_direction.values, equal_nan=True
    )
    assert list(back.unit.values) == list(ref.unit.values)
    for name in ("tetrode", "cluster", "multi_unit"):
        np.testing.assert_array_equal(back[name].values, ref[name].values)
    for a, b in zip(spike_trains(back), spike_trains(ref), strict=True):
        np.testing.assert_array_equal(a, b)
    from pynwb import NWBHDF5IO

    led1, led2 = _expected_position(trial)
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        ss = nwb.processing["behavior"]["Position"]["SpatialSeriesLED1"]
        assert ss.unit == "meters" and ss.rate == 50.0 and ss.starting_time == 0.0
        np.testing.assert_array_equal(ss.data[:], led1)  # every sample, NaN where untracked
        np.testing.assert_array_equal(
            nwb.processing["behavior"]["Position"]["SpatialSeriesLED2"].data[:], led2
        )
        assert nwb.units.resolution == 1 / 96000
        assert list(nwb.experimenter) == ["Doe"]


# ----------------------------------------------------------------------------- bad input


def test_missing_set_file_names_it(trial):
    trial.set_path.unlink()
    with pytest.raises(FileNotFoundError, match=r"trial\.set: no such file.*beside <trial>\.pos"):
        read_axona(trial.set_path)


def test_truncated_pos_file_names_it(trial):
    pos = trial.set_path.with_suffix(".pos")
    raw = pos.read_bytes()
    pos.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"trial\.pos: truncated -- the header says 6000 position"):
        read_axona(trial.set_path)


def test_tetrode_header_that_disagrees_with_its_size_names_the_file(trial):
    tet = trial.set_path.with_suffix(".2")
    raw = tet.read_bytes()
    n = trial.ticks[2].size
    tet.write_bytes(raw.replace(f"num_spikes {n}\r\n".encode(), f"num_spikes {n + 7}\r\n".encode()))
    with pytest.raises(ValueError, match=rf"trial\.2: the header says {n + 7} spikes of 216 bytes"):
        _quiet(read_axona, trial.set_path)
    tet.write_bytes(raw[:-500])  # cut inside the data: truncated
    with pytest.raises(ValueError, match=r"trial\.2: truncated"):
        _quiet(read_axona, trial.set_path)


def test_cut_file_with_the_wrong_spike_count_names_it(trial):
    cut = trial.set_path.parent / "trial_1.cut"
    text = cut.read_text()
    cut.write_text(text.rstrip() + " 1 2\r\n")
    n = trial.ticks[1].size
    with pytest.raises(
        ValueError, match=rf"trial_1\.cut: holds {n + 2} cluster ids .* has {n} spikes"
    ):
        _quiet(read_axona, trial.set_path)
    n_stated = text.split("spikes: ")[1].split()[0]
    cut.write_text(text.replace(f"spikes: {n_stated}", f"spikes: {n + 1}"))
    with pytest.raises(ValueError, match=r"trial_1\.cut: .*says \d+\) but trial\.1 has"):
        _quiet(read_axona, trial.set_path)
    cut.write_text("not a cut file")
    with pytest.raises(ValueError, match=r"trial_1\.cut: no 'Exact_cut_for"):
        _quiet(read_axona, trial.set_path)
    ok = _quiet(read_axona, trial.set_path, cut_files="none")  # the way out the error names
    assert list(ok.unit.values) == ["t1", "t2"]


def test_other_bad_input(trial, tmp_path):
    with pytest.raises(ValueError, match=r"metadata has unknown key\(s\) \['lab_name'\]"):
        convert_axona_to_nwb(trial.set_path, tmp_path / "x.nwb", metadata={"lab_name": "M"})
    with pytest.raises(ValueError, match="y_axis must be 'up' or 'down'"):
        read_axona(trial.set_path, y_axis="left")
    with pytest.raises(FileNotFoundError, match=r"no tetrode file\(s\) trial\.7"):
        read_axona(trial.set_path, tetrodes=[7])
    pos = trial.set_path.with_suffix(".pos")
    pos.write_bytes(
        pos.read_bytes().replace(b"pos_format t,x1,y1,x2,y2,numpix1,numpix2", b"pos_format t,x1,y1")
    )
    with pytest.raises(ValueError, match=r"trial\.pos: pos_format 't,x1,y1' is not supported"):
        read_axona(trial.set_path)


# ----------------------------------------------------------------------------- public recordings


def _raw(path: Path) -> tuple[bytes, int]:
    """Bytes of an Axona file and where its binary data start (after 'data_start')."""
    raw = path.read_bytes()
    return raw, raw.index(b"data_start") + len(b"data_start")


@pytest.fixture(scope="module")
def hussaini():
    folder = AXONA / "dataset_unit_spikes"
    if not (folder / "20140815-180secs.set").exists():
        pytest.skip(HOW_TO_GET.format(path=folder))
    return folder / "20140815-180secs.set"


def test_public_axona_trial_matches_numbers_from_its_bytes(hussaini, tmp_path, assert_clean_nwb):
    folder = hussaini.parent
    # numbers derived from the raw files, not from the reader
    raw, start = _raw(folder / "20140815-180secs.pos")
    n_pos = (len(raw) - start - len(b"\r\ndata_end\r\n")) // 20
    assert n_pos == 9000 == 180 * 50  # duration 180 s at 50 Hz
    rec = np.frombuffer(raw[start : start + 20 * n_pos], dtype=[("t", ">u4"), ("c", ">i2", (8,))])
    x, y = rec["c"][:, 0].astype(float), rec["c"][:, 1].astype(float)
    lost = (x == 1023) | (y == 1023)
    assert lost.sum() == 140
    counts = []
    for k in (1, 2, 3, 4):
        raw_t, start_t = _raw(folder / f"20140815-180secs.{k}")
        counts.append((len(raw_t) - start_t - len(b"\r\ndata_end\r\n")) // (4 * (4 + 50)))
    assert counts == [15941, 17876, 6468, 10163]

    with pytest.warns(DataRepairWarning, match="dropped 140 of 9000"):
        ds = read_axona(hussaini)
    validate(ds)
    assert ds.sizes["time"] == 9000 - 140
    np.testing.assert_array_equal(ds.time.values, (np.arange(9000) / 50.0)[~lost])
    height = 417 - 159  # .set tracking window ymax - ymin; 300 pixels per metre
    np.testing.assert_allclose(ds.position.values[:, 0], x[~lost] / 300, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ds.position.values[:, 1], (height - y[~lost]) / 300, atol=1e-15)
    assert list(ds.unit.values) == ["t1", "t2", "t3", "t4"]  # no cut files: multi-units
    assert [s.size for s in spike_trains(ds)] == counts
    assert max(s.max() for s in spike_trains(ds)) < 180.0
    assert ds.attrs["experimenter_json"] == '["Abid"]'
    scores = ds.hc.classify(bin_size=0.025, n_shuffles=3, seed=0)  # scores like any other
    assert scores.sizes["unit"] == 4

    out = _quiet(
        convert_axona_to_nwb,
        hussaini,
        tmp_path / "hussaini.nwb",
        subject={"subject_id": "m1", "species": "Mus musculus", "sex": "U", "age": "P90D"},
    )
    assert_clean_nwb(out)  # pynwb.validate + nwbinspector: 0 CRITICAL, 0 violations
    back = _quiet(read_nwb, out)
    np.testing.assert_array_equal(back.time.values, ds.time.values)
    np.testing.assert_array_equal(back.position.values, ds.position.values)
    assert [s.size for s in spike_trains(back)] == counts


def test_public_tint_cut_file_splits_a_tetrode_into_its_clusters(tmp_path):
    folder = AXONA / "ephysiopy"
    if not (folder / "M851_140908t2rh_3.cut").exists():
        pytest.skip(HOW_TO_GET.format(path=folder))
    for name in ("M851_140908t2rh.set", "M851_140908t2rh.pos", "M851_140908t2rh_3.cut"):
        shutil.copy(folder / name, tmp_path / name)
    text = (folder / "M851_140908t2rh_3.cut").read_text()
    ids = np.array(text.split("spikes: ")[1].split()[1:], dtype=int)
    assert ids.size == 52877  # the cut file's own count
    # the tetrode file itself is not public: a synthetic one with as many spikes stands in
    ticks = np.sort(np.random.default_rng(0).integers(0, 2401 * 96000, ids.size))
    write_tetrode_file(tmp_path / "M851_140908t2rh.3", ticks, duration=2401)
    raw, start = _raw(folder / "M851_140908t2rh.pos")
    assert (len(raw) - start - len(b"\r\ndata_end\r\n")) // 20 == 120050 == 2401 * 50
    with pytest.warns(DataRepairWarning):
        ds = read_axona(tmp_path / "M851_140908t2rh.set")
    clusters = np.unique(ids[ids > 0])
    assert list(ds.unit.values) == [f"t3c{c}" for c in clusters]
    assert [s.size for s in spike_trains(ds)] == [int((ids == c).sum()) for c in clusters]
    assert ds.attrs["notes"].startswith("100cm diameter circular envmt")
    short = tmp_path / "M851_140908t2rh.3"
    write_tetrode_file(short, ticks[:-1], duration=2401)
    with pytest.raises(ValueError, match=r"M851_140908t2rh_3\.cut: holds 52877 cluster ids"):
        _quiet(read_axona, tmp_path / "M851_140908t2rh.set")
