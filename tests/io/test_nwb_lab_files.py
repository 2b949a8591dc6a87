"""Lab NWB files as they come: no tracking, metadata kept, re-export, exact clocks."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone

import h5py
import numpy as np
import pytest

import hippocore.analysis  # noqa: F401  (the ds.hc accessor)
from hippocore.io import convert_kavli_to_nwb, read_kavli_mat, read_nwb, write_nwb
from hippocore.schema import make_session, missing, spike_trains, validate

START = datetime(2021, 5, 4, 9, 30, tzinfo=timezone.utc)
FULL_METADATA = dict(
    session_description="open field, 20 min",
    experiment_description="grid cells in MEC layer II",
    experimenter=["Doe, Jane", "Roe, Richard"],
    institution="Kavli Institute for Systems Neuroscience, NTNU",
    lab="Moser",
    related_publications=["doi:10.1126/science.1125572"],
    keywords=["grid cells", "entorhinal cortex"],
    protocol="IACUC 1234",
    notes="light on",
    session_id="s7",
)
FULL_SUBJECT = dict(
    subject_id="m3",
    species="Rattus norvegicus",
    sex="M",
    age="P90D",
    description="Long Evans, implanted at P70",
    weight="0.35 kg",
    strain="Long Evans",
    genotype="wild type",
)


def _write(path, build=None, *, metadata=FULL_METADATA, subject=FULL_SUBJECT):
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject

    nwb = NWBFile(
        identifier="lab-1", session_start_time=START, subject=Subject(**subject), **metadata
    )
    if build is not None:
        build(nwb)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _units(nwb, trains, resolution=1 / 30000):
    nwb.add_unit_column(name="unit_name", description="cell id")
    for k, s in enumerate(trains):
        nwb.add_unit(spike_times=np.asarray(s, dtype=float), unit_name=f"t1c{k + 1}")
    nwb.units.resolution = resolution


def _trains(n_unit=3, duration=100.0, seed=0):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.uniform(0.5, duration, 50 + 40 * k)) for k in range(n_unit)]


def _metadata_of(path) -> dict:
    """Every NWBFile and Subject metadata field, as stored."""
    from pynwb import NWBHDF5IO

    keys = (
        "session_description",
        "session_start_time",
        "session_id",
        "experimenter",
        "institution",
        "lab",
        "experiment_description",
        "related_publications",
        "keywords",
        "protocol",
        "notes",
        "pharmacology",
        "surgery",
        "virus",
        "stimulus_notes",
        "data_collection",
        "slices",
    )
    subject_keys = (
        "subject_id",
        "species",
        "sex",
        "age",
        "description",
        "weight",
        "strain",
        "genotype",
        "date_of_birth",
    )

    def plain(v):
        if isinstance(v, (np.ndarray, tuple, list)):
            return [plain(x) for x in v]
        return v.decode() if isinstance(v, bytes) else v

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        out = {k: plain(getattr(nwb, k)) for k in keys}
        out.update({f"subject.{k}": plain(getattr(nwb.subject, k)) for k in subject_keys})
    return out


def _inspector_checks(path) -> set[str]:
    from nwbinspector import inspect_nwbfile

    return {m.check_function_name for m in inspect_nwbfile(nwbfile_path=str(path))}


# ----------------------------------------------------------------------------- no tracking


def test_units_only_file_reads_like_pynapple(tmp_path):
    nap = pytest.importorskip("pynapple")
    trains = _trains()

    def build(nwb):
        _units(nwb, trains)
        nwb.add_epoch(start_time=0.0, stop_time=40.0, tags=["sleep"])
        nwb.add_epoch(start_time=50.0, stop_time=100.0, tags=["run"])

    path = _write(tmp_path / "units.nwb", build)
    ds = validate(read_nwb(path))
    assert "position" not in ds and missing(ds) == ["position"]
    assert ds.sizes["time"] == 0 and list(ds.unit.values) == ["t1c1", "t1c2", "t1c3"]
    units = nap.load_file(str(path))["units"]
    assert [len(units[k]) for k in units.keys()] == [s.size for s in spike_trains(ds)]
    for k, ours in zip(units.keys(), spike_trains(ds), strict=True):
        np.testing.assert_array_equal(units[k].times(), ours)
    assert ds.attrs["spike_resolution"] == pytest.approx(1 / 30000)
    intervals = json.loads(ds.attrs["intervals_json"])
    assert [r["tags"] for r in intervals["epochs"]] == [["sleep"], ["run"]]
    run = read_nwb(path, epochs=["run"])  # spikes of the chosen epochs only
    assert all(s.min() >= 50.0 for s in spike_trains(run) if s.size)
    assert sum(s.size for s in spike_trains(run)) == sum(int((s >= 50).sum()) for s in trains)
    # position analyses say what is missing
    with pytest.raises(ValueError, match="rate maps need 'position'.*attrs\\['missing'\\]"):
        ds.hc.rate_map(bin_size=0.05)
    with pytest.raises(ValueError, match="need 'position'"):
        ds.hc.classify(bin_size=0.05, n_shuffles=2, seed=0)
    with pytest.raises(ValueError, match="no 'head_direction'"):
        ds.hc.head_direction_tuning()


def _compass(nwb, t, hd_deg):
    from pynwb.behavior import CompassDirection, SpatialSeries

    mod = nwb.create_processing_module(name="behavior", description="head tracking")
    mod.add(
        CompassDirection(
            name="CompassDirection",
            spatial_series=SpatialSeries(
                name="hd",
                data=hd_deg,
                unit="degrees",
                reference_frame="0 = east",
                timestamps=t,
            ),
        )
    )
    return mod


def test_head_direction_only_file_scores_head_direction(tmp_path):
    t = np.arange(60000) * 0.01  # 10 min at 100 Hz
    hd = np.rad2deg(
        np.angle(np.exp(1j * np.cumsum(np.random.default_rng(1).normal(0, 0.1, t.size))))
    )
    pref = 90.0  # an HD cell firing near 90 degrees, one untuned unit
    rng = np.random.default_rng(2)
    lam = 20 * np.exp(2 * (np.cos(np.deg2rad(hd - pref)) - 1)) * 0.01
    tuned = t[rng.random(t.size) < lam] + 0.001
    flat = np.sort(rng.uniform(0, t[-1], tuned.size))

    def build(nwb):
        _compass(nwb, t, hd)
        _units(nwb, [tuned, flat])

    ds = validate(read_nwb(_write(tmp_path / "hd.nwb", build)))
    assert missing(ds) == ["position"] and ds.sizes["time"] == t.size
    np.testing.assert_allclose(np.rad2deg(ds.head_direction.values), hd, atol=1e-9)
    scores = ds.hc.head_direction_tuning()
    mvl = scores.hd_mean_vector_length.values
    assert mvl[0] > 0.5 and mvl[1] < 0.1
    assert np.rad2deg(scores.hd_mean_direction.values[0]) == pytest.approx(pref, abs=5)
    with pytest.raises(ValueError, match="stability scores need 'position'"):
        ds.hc.stability(bin_size=0.05)


def test_speed_only_file_scores_speed(tmp_path):
    from pynwb import TimeSeries

    t = np.arange(30000) * 0.02
    speed_cm = 15 + 10 * np.sin(t / 7.0)
    rng = np.random.default_rng(3)
    fast = t[rng.random(t.size) < (0.2 * speed_cm) * 0.02]

    def build(nwb):
        mod = nwb.create_processing_module(name="behavior", description="treadmill")
        mod.add(TimeSeries(name="running_speed", data=speed_cm, unit="cm/s", rate=50.0))
        _units(nwb, [fast])

    ds = validate(read_nwb(_write(tmp_path / "speed.nwb", build)))
    assert missing(ds) == ["position"] and "head_direction" not in ds
    np.testing.assert_allclose(ds.speed.values, speed_cm * 0.01)
    assert ds.hc.speed_score().speed_score.values[0] > 0.5


def test_units_only_session_exports_and_reads_back(tmp_path, assert_clean_nwb):
    trains = _trains()
    path = _write(tmp_path / "units.nwb", lambda nwb: _units(nwb, trains))
    ds = read_nwb(path)
    out = write_nwb(ds, tmp_path / "again.nwb")  # no arguments: everything is in the session
    assert_clean_nwb(out)
    back = read_nwb(out)
    assert back.attrs == ds.attrs and "position" not in back
    for a, b in zip(spike_trains(back), spike_trains(ds), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_session_without_position_round_trips_with_its_head_direction(tmp_path):
    t = np.cumsum(np.r_[0.0, np.random.default_rng(4).uniform(0.009, 0.011, 499)])  # irregular
    ds = make_session(
        t,
        None,
        head_direction=np.angle(np.exp(1j * t)),
        spike_times=[t[::7], t[::11]],
        source="synthetic",
    )
    assert missing(ds) == ["position"]
    back = read_nwb(write_nwb(ds, tmp_path / "hd.nwb"))
    assert back.attrs == ds.attrs
    np.testing.assert_array_equal(back.time.values, t)
    np.testing.assert_allclose(back.head_direction.values, ds.head_direction.values)


# ----------------------------------------------------------------------------- (x, y) pairs


def _one_column_series(nwb, t, x, y, extra=()):
    """Position as neuroconv's Axona interface lays it out: one-column series."""
    from pynwb.behavior import Position, SpatialSeries

    series = [
        SpatialSeries(name=name, data=values, unit="meters", reference_frame="c", timestamps=t)
        for name, values in (("X", x), ("Y", y), *extra)
    ]
    mod = nwb.create_processing_module(name="behavior", description="tracking")
    mod.add(Position(name="Position", spatial_series=series))


def test_two_one_column_series_are_x_and_y(tmp_path):
    t = np.arange(400) * 0.02
    x, y = 0.5 + 0.3 * np.cos(t), 0.4 + 0.2 * np.sin(t)
    pixels = (("PX", np.full(t.size, 12.0)), ("x", x * 300))
    many = _write(tmp_path / "many.nwb", lambda nwb: _one_column_series(nwb, t, x, y, pixels))
    with pytest.raises(ValueError, match="4 position SpatialSeries found.*position=\\('X', 'Y'\\)"):
        read_nwb(many)
    ds = read_nwb(many, position=("X", "Y"))
    np.testing.assert_array_equal(ds.position.values, np.column_stack([x, y]))
    assert "head_direction" not in ds  # an (x, y) pair is not two LEDs
    swapped = read_nwb(many, position=("Y", "X"))  # the order given is (x, y)
    np.testing.assert_array_equal(swapped.position.values, np.column_stack([y, x]))
    two = _write(tmp_path / "two.nwb", lambda nwb: _one_column_series(nwb, t, x, y))
    np.testing.assert_array_equal(read_nwb(two).position.values, np.column_stack([x, y]))
    with pytest.raises(ValueError, match="has one column"):
        read_nwb(many, position="X")
    with pytest.raises(ValueError, match="has 1 column\\(s\\) and"):
        _write(
            tmp_path / "mixed.nwb",
            lambda nwb: _mixed(nwb, t),
        )
        read_nwb(tmp_path / "mixed.nwb", position=("X", "XY"))


def _mixed(nwb, t):
    from pynwb.behavior import Position, SpatialSeries

    mod = nwb.create_processing_module(name="behavior", description="tracking")
    mod.add(
        Position(
            name="Position",
            spatial_series=[
                SpatialSeries(name="X", data=t, reference_frame="c", timestamps=t),
                SpatialSeries(
                    name="XY", data=np.column_stack([t, t]), reference_frame="c", timestamps=t
                ),
            ],
        )
    )


# ----------------------------------------------------------------------------- metadata, re-export


def _tracked(nwb, n=3000):
    from pynwb.behavior import Position, SpatialSeries

    t = np.arange(n) * 0.02
    xy = np.column_stack([50 + 40 * np.cos(t / 9), 50 + 40 * np.sin(t / 13)])
    mod = nwb.create_processing_module(name="behavior", description="tracking")
    mod.add(
        Position(
            name="Position",
            spatial_series=SpatialSeries(
                name="SpatialSeriesLED1",
                description="LED 1 (cm)",
                data=xy,
                unit="meters",
                conversion=0.01,
                reference_frame="(0,0) is not known.",
                timestamps=t,
            ),
        )
    )
    _units(nwb, _trains(duration=t[-1]))


def test_metadata_travels_nwb_to_session_to_nwb(tmp_path, assert_clean_nwb):
    src = _write(tmp_path / "src.nwb", _tracked)
    ds = read_nwb(src)
    assert json.loads(ds.attrs["experimenter_json"]) == FULL_METADATA["experimenter"]
    assert json.loads(ds.attrs["keywords_json"]) == FULL_METADATA["keywords"]
    assert ds.attrs["institution"] == FULL_METADATA["institution"]
    assert ds.attrs["protocol"] == "IACUC 1234" and ds.attrs["notes"] == "light on"
    assert ds.attrs["subject_description"] == FULL_SUBJECT["description"]
    assert ds.attrs["weight"] == "0.35 kg" and ds.attrs["genotype"] == "wild type"
    out = write_nwb(ds, tmp_path / "out.nwb")  # no extra arguments
    assert _metadata_of(out) == _metadata_of(src)
    # the re-export adds no inspector message the source did not have
    assert _inspector_checks(out) <= _inspector_checks(src)
    assert_clean_nwb(out)


def _same_files(a, b) -> None:
    """Two NWB files hold the same groups, datasets and attributes (identifiers aside)."""
    skip = {"/identifier", "/file_create_date"}

    def content(path):
        items = {}
        with h5py.File(path, "r") as f:

            def visit(name, obj):
                key = "/" + name
                if key in skip:
                    return
                attrs = {
                    k: f[v].name if isinstance(v, h5py.Reference) else np.asarray(v).tolist()
                    for k, v in obj.attrs.items()
                    if k != "object_id"
                }
                data = None
                if isinstance(obj, h5py.Dataset):
                    raw = obj[()]
                    data = (
                        raw.tobytes()
                        if isinstance(raw, np.ndarray) and raw.dtype.kind != "O"
                        else str(raw)
                    )
                items[key] = (attrs, data)

            f.visititems(visit)
        return items

    ca, cb = content(a), content(b)
    assert set(ca) == set(cb), set(ca) ^ set(cb)
    differ = [k for k in ca if ca[k] != cb[k]]
    assert differ == [], differ


def test_read_write_read_write_gives_the_same_file(tmp_path):
    src = _write(tmp_path / "src.nwb", _tracked)
    first = write_nwb(read_nwb(src), tmp_path / "first.nwb")
    second = write_nwb(read_nwb(first), tmp_path / "second.nwb")
    _same_files(first, second)


def test_spike_resolution_given_to_the_writer_survives_read_back(tmp_path, assert_clean_nwb):
    from hippocore.testing import synthetic_recording

    rec = synthetic_recording(60.0, seed=1)
    rec.attrs["source"] = "recording"
    subject = {"subject_id": "r1", "species": "Rattus norvegicus", "sex": "F", "age": "P90D"}
    first = write_nwb(
        rec, tmp_path / "first.nwb", spike_resolution=1 / 48000, subject=subject,
        metadata={"session_start_time": START, "experimenter": "Doe, Jane"},
    )  # fmt: skip
    back = read_nwb(first)
    assert back.attrs["spike_resolution"] == 1 / 48000
    assert back.attrs["species"] == "Rattus norvegicus"
    second = write_nwb(back, tmp_path / "second.nwb")  # no arguments needed any more
    assert_clean_nwb(second)
    with h5py.File(second, "r") as f:
        assert f["units/spike_times"].attrs["resolution"] == 1 / 48000
    assert read_nwb(second).attrs == back.attrs
    _same_files(second, write_nwb(read_nwb(second), tmp_path / "third.nwb"))


def test_sampled_spikes_re_export_with_their_resolution(tmp_path, make_model_session):
    ds = make_model_session(n_time=1000)
    first = write_nwb(ds, tmp_path / "a.nwb", sample_spikes_from_activity=True, seed=1)
    second = write_nwb(read_nwb(first), tmp_path / "b.nwb")
    with h5py.File(second, "r") as f:
        assert f["units/spike_times"].attrs["resolution"] == 0.001


# ----------------------------------------------------------------------------- exact clocks


def _kavli_like_clock(n=30000):
    """A 50 Hz clock that starting_time + rate cannot rebuild bit for bit (like Kavli's post)."""
    return np.round(np.arange(n) * 0.02, 12) + np.where(np.arange(n) % 3 == 0, 2e-14, 0.0)


def test_a_regular_clock_round_trips_bit_for_bit(tmp_path, assert_clean_nwb):
    from hippocore.io._nwb_write import regular_clock

    t = _kavli_like_clock()
    rate, exact = regular_clock(t)
    assert rate == 50.0 and not exact
    assert not np.array_equal(np.arange(t.size) / rate + t[0], t)
    ds = make_session(t, np.column_stack([np.cos(t), np.sin(t)]), source="synthetic")
    path = write_nwb(ds, tmp_path / "clock.nwb")
    assert_clean_nwb(path)  # the series keep starting_time + rate (inspector-clean)
    with h5py.File(path, "r") as f:
        assert f["processing/behavior/Position/position/starting_time"].attrs["rate"] == 50.0
    np.testing.assert_array_equal(read_nwb(path).time.values, t)
    # a clock that the rate rebuilds exactly stores no extra times
    plain = make_session(np.arange(500) / 50.0, np.zeros((500, 2)), source="synthetic")
    with h5py.File(write_nwb(plain, tmp_path / "plain.nwb"), "r") as f:
        assert "hippocore_time" not in f["scratch"]


# ----------------------------------------------------------------------------- Sargolini, DANDI layout


@pytest.mark.realdata
def test_sargolini_50hz_clock_round_trips_bit_for_bit(sargolini_dir, tmp_path):
    ds = read_kavli_mat(sargolini_dir / "10073-17010302_POS.mat")
    t = ds.time.values
    rebuilt = (
        np.arange(t.size) / ((t.size - 1) / (t[-1] - t[0])) + t[0]
    )  # what a rate-only file gives back
    assert np.count_nonzero(rebuilt != t) > 20000
    back = read_nwb(write_nwb(ds, tmp_path / "k.nwb"))
    np.testing.assert_array_equal(back.time.values, t)
    assert back.attrs == ds.attrs


@pytest.mark.realdata
def test_catalystneuro_layout_sargolini_round_trip_keeps_every_field(sargolini_dir, tmp_path):
    src = convert_kavli_to_nwb(
        sargolini_dir / "10073-17010302_POS.mat", tmp_path / "dandi.nwb", timestamps="explicit"
    )
    ds = read_nwb(src)
    out = write_nwb(ds, tmp_path / "again.nwb")  # without extra arguments
    meta_src, meta_out = _metadata_of(src), _metadata_of(out)
    assert meta_out == meta_src
    assert {k for k, v in meta_src.items() if v is not None} >= {
        "institution", "lab", "related_publications", "keywords", "experiment_description",
        "subject.species", "subject.description", "subject.strain", "subject.age",
    }  # fmt: skip
    assert _inspector_checks(out) <= _inspector_checks(src)
    back = read_nwb(out)
    np.testing.assert_array_equal(back.time.values, ds.time.values)
    np.testing.assert_array_equal(back.position.values, ds.position.values)
    for a, b in zip(spike_trains(back), spike_trains(ds), strict=True):
        np.testing.assert_array_equal(a, b)
    _same_files(out, write_nwb(back, tmp_path / "third.nwb"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert back.attrs == ds.attrs


def test_a_session_without_position_round_trips_through_netcdf(tmp_path):
    import xarray as xr

    from hippocore.io import open_dataset, to_netcdf

    ds = make_session(np.zeros(0), None, spike_times=[np.array([1.0, 2.0]), np.array([3.0])])
    back = open_dataset(to_netcdf(ds, tmp_path / "units.nc"))
    xr.testing.assert_identical(back, ds)
    assert missing(back) == ["position"]
