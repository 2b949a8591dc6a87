"""Kavli/Moser MAT files (Sargolini et al. 2006): reader, converter and the NWB read-back."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import scipy.io

from hippocore.io import DataRepairWarning, convert_kavli_to_nwb, read_kavli_mat, read_nwb
from hippocore.schema import spike_trains, validate


def _synthetic_pos_session(folder, *, n=500, cells=("T1C1", "T2C3")):
    """A tiny session in the POS + cellTS convention with known values."""
    t = np.arange(n) * 0.02
    x = 40 * np.cos(t / 3)
    y = 40 * np.sin(t / 5)
    scipy.io.savemat(
        folder / "123-4567_POS.mat",
        {"post": t, "posx": x, "posy": y, "posx2": np.zeros(0), "posy2": np.zeros(0)},
    )
    trains = {}
    for k, c in enumerate(cells):
        s = np.sort(np.random.default_rng(k).uniform(0, t[-1], 20 + k))
        scipy.io.savemat(folder / f"123-4567_{c}.mat", {"cellTS": s})
        trains[c] = s
    return t, np.column_stack([x, y]), trains


def test_position_file_convention(tmp_path):
    t, xy_cm, trains = _synthetic_pos_session(tmp_path)
    ds = validate(read_kavli_mat(tmp_path / "123-4567_POS.mat"))
    np.testing.assert_allclose(ds.position.values, xy_cm * 0.01)  # cm -> m
    np.testing.assert_array_equal(ds.time.values, t)
    assert list(ds.unit.values) == ["T1C1", "T2C3"]  # discovered beside the POS file
    for got, want in zip(spike_trains(ds), trains.values(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert ds.attrs["subject_id"] == "123" and ds.attrs["session_id"] == "4567"
    assert "head_direction" not in ds  # one LED
    only = read_kavli_mat(tmp_path / "123-4567_POS.mat", [tmp_path / "123-4567_T2C3.mat"])
    assert list(only.unit.values) == ["T2C3"]


def test_cell_file_convention_with_two_leds(tmp_path):
    n = 400
    t = np.arange(n) * 0.02
    x1, y1 = np.full(n, 10.0), np.full(n, -5.0)
    x2, y2 = x1 - 3.0, y1 - 3.0  # LED1 in front, up-right of LED2: 45 degrees
    x1[7] = np.nan  # LED1 lost: position from LED2, no head direction
    x2[9] = y2[9] = x1[9] = y1[9] = np.nan  # both lost: sample dropped
    ts = np.array([0.5, 1.0, 7.5])
    scipy.io.savemat(
        tmp_path / "999-01020304+05_t6c1.mat",
        {"t": t, "x1": x1, "y1": y1, "x2": x2, "y2": y2, "ts": ts},
    )
    with pytest.warns(DataRepairWarning, match="dropped 1 of 400"):
        ds = read_kavli_mat(tmp_path / "999-01020304+05_t6c1.mat")
    assert list(ds.unit.values) == ["t6c1"]
    assert ds.attrs["session_id"] == "01020304+05"
    assert ds.sizes["time"] == 399
    np.testing.assert_allclose(ds.position.values[0], [0.085, -0.065])  # midpoint, m
    np.testing.assert_allclose(ds.position.values[7], [0.07, -0.08])  # LED2 only
    hd = ds.head_direction.values
    assert np.isnan(hd[7])
    np.testing.assert_allclose(hd[np.isfinite(hd)], np.pi / 4)
    np.testing.assert_array_equal(spike_trains(ds)[0], ts)


def test_bad_kavli_files_are_clear_errors(tmp_path):
    scipy.io.savemat(tmp_path / "a.mat", {"foo": np.ones(3)})
    with pytest.raises(ValueError, match="not a Kavli position or cell file"):
        read_kavli_mat(tmp_path / "a.mat")
    scipy.io.savemat(
        tmp_path / "b_POS.mat", {"post": np.arange(5.0), "posx": np.ones(4), "posy": np.ones(5)}
    )
    with pytest.raises(ValueError, match="posx/posy have 4/5 samples but the timestamps have 5"):
        read_kavli_mat(tmp_path / "b_POS.mat")
    scipy.io.savemat(
        tmp_path / "c_POS.mat",
        {"post": np.array([0, 0.02, 0.02, 0.04]), "posx": np.ones(4), "posy": np.ones(4)},
    )
    with pytest.raises(ValueError, match="duplicated"):
        read_kavli_mat(tmp_path / "c_POS.mat")
    (tmp_path / "d.mat").write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(ValueError, match="not a readable MATLAB file"):
        read_kavli_mat(tmp_path / "d.mat")
    _synthetic_pos_session(tmp_path)
    scipy.io.savemat(tmp_path / "nospikes.mat", {"x": np.ones(2)})
    with pytest.raises(ValueError, match="no spike times"):
        read_kavli_mat(tmp_path / "123-4567_POS.mat", [tmp_path / "nospikes.mat"])
    with pytest.raises(FileNotFoundError):
        read_kavli_mat(tmp_path / "missing.mat")


def test_converter_layout_matches_dandi_000582(tmp_path, assert_clean_nwb):
    t, xy_cm, trains = _synthetic_pos_session(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    path = convert_kavli_to_nwb(tmp_path / "123-4567_POS.mat", out / "s.nwb", timestamps="explicit")
    with h5py.File(path, "r") as f:
        led = f["processing/behavior/Position/SpatialSeriesLED1"]
        np.testing.assert_array_equal(led["data"][:], xy_cm)  # raw cm kept
        assert led["data"].attrs["unit"] == "meters" and led["data"].attrs["conversion"] == 0.01
        np.testing.assert_array_equal(led["timestamps"][:], t)
        assert "SpatialSeriesLED2" not in f["processing/behavior/Position"]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["units/unit_name"][:]]
        assert names == ["T1C1", "T2C3"]
        assert f["general/subject/subject_id"][()].decode() == "123"
        assert f["general/subject/species"][()].decode() == "Rattus norvegicus"
        assert f["general/session_id"][()].decode() == "4567"
        assert f["session_start_time"][()].decode().startswith("1900-01-01")
    # explicit timestamps of a regular clock: nwbinspector suggests rate (the only message)
    assert_clean_nwb(path, ignore=("check_regular_timestamps",))
    auto = convert_kavli_to_nwb(tmp_path / "123-4567_POS.mat", out / "auto.nwb")
    assert_clean_nwb(auto)
    for p in (path, auto):
        back = read_nwb(p)
        ref = read_kavli_mat(tmp_path / "123-4567_POS.mat")
        np.testing.assert_allclose(back.position.values, ref.position.values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(back.time.values, ref.time.values, rtol=0, atol=1e-9)
        assert list(back.unit.values) == list(ref.unit.values)
        for a, b in zip(spike_trains(back), spike_trains(ref), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.realdata
@pytest.mark.parametrize("source", ["10073-17010302_POS.mat", "11207-21060501+02_t6c1.mat"])
def test_sargolini_nwb_reads_back_like_the_mat_reader(
    sargolini_dir, tmp_path, source, assert_clean_nwb
):
    mat = sargolini_dir / source
    ref = read_kavli_mat(mat)
    path = convert_kavli_to_nwb(mat, tmp_path / "sargolini.nwb", timestamps="explicit")
    back = read_nwb(path)
    np.testing.assert_allclose(back.position.values, ref.position.values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(back.time.values, ref.time.values)
    assert list(back.unit.values) == list(ref.unit.values)
    for a, b in zip(spike_trains(back), spike_trains(ref), strict=True):
        np.testing.assert_array_equal(a, b)
    if "head_direction" in ref:
        np.testing.assert_allclose(
            back.head_direction.values, ref.head_direction.values, equal_nan=True
        )
    raw = scipy.io.loadmat(mat, squeeze_me=True)
    x_cm = raw["posx"] if "posx" in raw else raw["x1"]
    if "posx" in raw:  # one LED: position is the LED, in m
        np.testing.assert_allclose(ref.position.values[:, 0], x_cm * 0.01)
    assert back.attrs["subject_id"] == source.split("-")[0]
    assert_clean_nwb(path, ignore=("check_regular_timestamps",))


@pytest.mark.realdata
def test_sargolini_session_content(sargolini_dir):
    ds = read_kavli_mat(sargolini_dir / "10073-17010302_POS.mat")
    assert ds.sizes["time"] == 30000 and ds.sizes["unit"] == 8
    assert list(ds.unit.values) == ["T1C1", "T2C1", "T2C3", "T3C1", "T3C2", "T3C3", "T3C4", "T4C1"]
    assert ds.position.values.min() >= -0.51 and ds.position.values.max() <= 0.51  # 1 m box
    assert [t.size for t in spike_trains(ds)] == [1759, 901, 1547, 679, 776, 815, 1731, 879]
    t6 = read_kavli_mat(sargolini_dir / "11207-21060501+02_t6c1.mat")
    assert t6.sizes["unit"] == 1 and spike_trains(t6)[0].size == 673
    assert np.isfinite(t6.head_direction.values).mean() > 0.99


@pytest.mark.realdata
def test_a_kavli_session_exports_to_nwb_and_back(sargolini_dir, tmp_path, assert_clean_nwb):
    from hippocore.io import write_nwb

    ds = read_kavli_mat(sargolini_dir / "10073-17010302_POS.mat")
    path = write_nwb(ds, tmp_path / "k.nwb")
    assert_clean_nwb(path)
    back = read_nwb(path)
    assert back.attrs == ds.attrs
    np.testing.assert_allclose(back.position.values, ds.position.values)
    np.testing.assert_allclose(back.time.values, ds.time.values, atol=1e-9)
    assert list(back.unit.values) == list(ds.unit.values)
    for a, b in zip(spike_trains(back), spike_trains(ds), strict=True):
        np.testing.assert_array_equal(a, b)
    with h5py.File(path, "r") as f:
        assert f["units/spike_times"].attrs["resolution"] == pytest.approx(1 / 96000)
        assert f["general/subject/species"][()].decode() == "Rattus norvegicus"
