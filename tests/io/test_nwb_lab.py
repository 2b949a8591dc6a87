"""Lab-style NWB files (not written by hippocore): by-type lookup, LEDs, compass, tables."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from hippocore.io import read_nwb
from hippocore.schema import spike_trains


def _write(path, build):
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject

    nwb = NWBFile(
        session_description="lab",
        identifier="lab-1",
        session_start_time=datetime(2021, 5, 4, tzinfo=timezone.utc),
        session_id="s7",
        subject=Subject(subject_id="m3", species="Mus musculus", sex="F", age="P60D"),
    )
    build(nwb)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _two_leds(nwb, n=500):
    from pynwb.behavior import Position, SpatialSeries

    t = np.arange(n) / 30.0
    led1 = np.column_stack([50 + 20 * np.cos(t), 50 + 20 * np.sin(t)])
    led2 = led1 - 3.0  # LED 2 behind LED 1 along (-1, -1): heading 45 degrees
    mod = nwb.create_processing_module(name="behavior", description="tracking")
    mod.add(
        Position(
            name="Position",
            spatial_series=[
                SpatialSeries(
                    name=f"SpatialSeriesLED{k}",
                    data=d,
                    unit="meters",
                    conversion=0.01,
                    reference_frame="corner",
                    timestamps=t,
                )
                for k, d in ((1, led1), (2, led2))
            ],
        )
    )
    return t, led1, led2


def test_two_leds_give_midpoint_and_head_direction(tmp_path):
    holder = {}

    def build(nwb):
        holder["t"], holder["l1"], holder["l2"] = _two_leds(nwb)

    ds = read_nwb(_write(tmp_path / "leds.nwb", build))
    np.testing.assert_allclose(ds.position.values, (holder["l1"] + holder["l2"]) / 2 * 0.01)
    np.testing.assert_allclose(ds.head_direction.values, np.pi / 4)
    assert ds.attrs["session_id"] == "s7" and ds.attrs["species"] == "Mus musculus"


def test_compass_direction_in_degrees_on_its_own_clock(tmp_path):
    from pynwb.behavior import CompassDirection, Position, SpatialSeries

    t = np.arange(300) * 0.02

    def build(nwb):
        mod = nwb.create_processing_module(name="behavior", description="tracking")
        mod.add(
            Position(
                name="pos",
                spatial_series=SpatialSeries(
                    name="xy", data=np.ones((300, 2)), reference_frame="c", timestamps=t
                ),
            )
        )
        t_hd = np.arange(600) * 0.01  # twice as fast
        mod.add(
            CompassDirection(
                name="hd",
                spatial_series=SpatialSeries(
                    name="angle",
                    data=np.full(600, 90.0),
                    unit="degrees",
                    reference_frame="east",
                    timestamps=t_hd,
                ),
            )
        )

    ds = read_nwb(_write(tmp_path / "hd.nwb", build))
    np.testing.assert_allclose(ds.head_direction.values, np.pi / 2)


def test_unit_columns_and_interval_tables(tmp_path):
    def build(nwb):
        _two_leds(nwb, n=900)
        nwb.add_unit_column(name="location", description="brain area")
        nwb.add_unit_column(name="depth", description="m")
        nwb.add_unit_column(name="unit_name", description="cell id")
        for k, (loc, depth) in enumerate([("MEC", 1e-3), ("CA1", 2e-3), ("MEC", 3e-3)]):
            nwb.add_unit(
                spike_times=np.arange(1, 5) + 0.1 * k,
                location=loc,
                depth=depth,
                unit_name=f"t1c{k + 1}",
            )
        nwb.units.resolution = 1 / 30000
        nwb.add_epoch(start_time=0.0, stop_time=10.0, tags=["box"])
        nwb.add_epoch(start_time=15.0, stop_time=29.0, tags=["track"])
        nwb.add_trial(start_time=1.0, stop_time=2.0)
        nwb.add_trial(start_time=3.0, stop_time=4.0)

    path = _write(tmp_path / "units.nwb", build)
    ds = read_nwb(path)
    assert list(ds.unit.values) == ["t1c1", "t1c2", "t1c3"]
    assert list(ds.location.values) == ["MEC", "CA1", "MEC"]
    np.testing.assert_allclose(ds.depth.values, [1e-3, 2e-3, 3e-3])
    intervals = json.loads(ds.attrs["intervals_json"])
    assert [r["tags"] for r in intervals["epochs"]] == [["box"], ["track"]]
    assert [r["start_time"] for r in intervals["trials"]] == [1.0, 3.0]
    mec = read_nwb(path, units={"location": "MEC"}, epochs=["box"])
    assert list(mec.unit.values) == ["t1c1", "t1c3"]
    assert mec.time.values.max() <= 10.0
    np.testing.assert_allclose(spike_trains(mec)[1], np.arange(1, 5) + 0.2)
    by_name = read_nwb(path, units=["t1c2"])
    assert list(by_name.location.values) == ["CA1"]
    by_id = read_nwb(path, units=[0, 2], epochs=[0], interval_table="trials")
    assert list(by_id.unit.values) == ["t1c1", "t1c3"]
    assert by_id.time.values.min() >= 1.0 and by_id.time.values.max() <= 2.0


def test_ambiguous_position_asks_for_a_name(tmp_path):
    from pynwb.behavior import Position, SpatialSeries

    t = np.arange(50) * 0.1

    def build(nwb):
        mod = nwb.create_processing_module(name="behavior", description="tracking")
        mod.add(
            Position(
                name="Position",
                spatial_series=[
                    SpatialSeries(
                        name=n, data=np.full((50, 2), v), reference_frame="c", timestamps=t
                    )
                    for n, v in (("head", 1.0), ("body", 2.0), ("tail", 3.0))
                ],
            )
        )

    path = _write(tmp_path / "three.nwb", build)
    with pytest.raises(ValueError, match="3 position SpatialSeries found"):
        read_nwb(path)
    ds = read_nwb(path, position="body")
    np.testing.assert_allclose(ds.position.values, 2.0)
    with pytest.raises(ValueError, match="matches 0 SpatialSeries"):
        read_nwb(path, position="nose")
