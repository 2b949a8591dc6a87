"""score_files: one row per unit over many files, the same numbers however the work is split."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import hippocore.analysis as ha
from hippocore.io import read_session, to_netcdf
from hippocore.workflows import score_files, session_seed, write_table

from .conftest import SCORE, model_like, units_only_nwb


def _score_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if table[c].dtype.kind in "fiub"]


@pytest.fixture(scope="module")
def run(session_dir):
    return score_files([session_dir], **SCORE)


def test_one_row_per_unit_with_provenance_scores_thresholds_and_labels(run, session_dir):
    t = run.table
    assert run.n_files == 3 and not run.failures
    assert [p.endswith("README.md") for p in run.ignored] == [True]
    assert len(t) == 15
    assert list(t.columns[:8]) == [
        "file", "session", "unit", "unit_index", "population", "source", "variable",
        "session_seed",
    ]  # fmt: skip
    for s in ("gridness", "information_rate", "border", "band_power", "speed"):
        assert {s, f"{s}_p95", f"{s}_p99", f"{s}_n_finite"} <= set(t.columns)
    assert {"label", "note", "n_spikes"} <= set(t.columns)
    assert t["file"].str.endswith(("a.nc", "b.nc", "c.nwb")).all()
    assert (t["variable"] == "spikes").all() and (t["source"] == "synthetic").all()
    assert list(t["unit_index"]) == [0, 1, 2, 3, 4] * 3
    assert run.parameters["n_shuffles"] == 10 and run.parameters["bin_size"] == 0.05


def test_each_file_equals_score_session_with_its_derived_seed(run, session_dir):
    """The workflow adds nothing to the numbers: ha.ds.classify on the file, same seed."""
    path = session_dir / "b.nc"
    seed = session_seed(SCORE["seed"], path)
    assert seed != session_seed(SCORE["seed"], session_dir / "a.nc")
    direct = ha.ds.classify(read_session(path), bin_size=0.05, n_shuffles=10, seed=seed)
    rows = run.table[run.table["file"] == str(path)]
    assert (rows["session_seed"] == seed).all()
    for name in ("gridness", "gridness_p95", "border_n_finite", "speed_p99", "n_spikes"):
        np.testing.assert_array_equal(rows[name].to_numpy(), direct[name].values)
    assert list(rows["label"]) == list(direct["label"].values)


def test_numbers_do_not_depend_on_file_order_or_folder(run, session_dir, tmp_path):
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "b.nc").write_bytes((session_dir / "b.nc").read_bytes())
    other = score_files([moved / "b.nc", session_dir / "a.nc"], **SCORE).table
    for name in ("a.nc", "b.nc"):
        mine = run.table[run.table["file"].str.endswith(name)]
        theirs = other[other["file"].str.endswith(name)]
        for col in _score_columns(run.table):
            np.testing.assert_array_equal(mine[col].to_numpy(), theirs[col].to_numpy())


def test_unit_chunks_share_the_session_seed(run, session_dir):
    """Chunks of 2 units use the session's shifts: the same numbers (to rounding)."""
    chunked = score_files([session_dir / "a.nc"], unit_chunk=2, **SCORE).table
    whole = run.table[run.table["file"].str.endswith("a.nc")].reset_index(drop=True)
    assert list(chunked["unit_index"]) == list(whole["unit_index"])
    for col in _score_columns(whole):
        np.testing.assert_allclose(
            chunked[col].to_numpy(float), whole[col].to_numpy(float), rtol=1e-12, atol=0
        )
    assert list(chunked["label"]) == list(whole["label"])


def test_bad_files_are_reported_and_skipped(session_dir, tmp_path):
    (tmp_path / "broken.nc").write_text("not netCDF")
    units_only_nwb(tmp_path / "units_only.nwb")
    r = score_files(
        [session_dir / "a.nc", tmp_path / "broken.nc", tmp_path / "missing.nwb",
         tmp_path / "units_only.nwb"], **SCORE,
    )  # fmt: skip
    assert len(r.table) == 5 and r.n_files == 4
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in r.failures}
    assert "not a format hippocore reads" in reasons["broken.nc"]
    assert "no such file" in reasons["missing.nwb"]
    assert "no position" in reasons["units_only.nwb"]
    assert "3 file(s) failed" in r.summary() and "broken.nc" in r.summary()


def test_model_sessions_score_their_activity(tmp_path):
    to_netcdf(model_like(0, negative=False), tmp_path / "m.nc")
    t = score_files(tmp_path / "m.nc", populations=["memory"], **SCORE).table
    assert list(t["population"]) == ["memory"] * 3 and list(t["unit_index"]) == [2, 3, 4]
    assert (t["variable"] == "activity").all() and (t["source"] == "model").all()
    assert (t["n_spikes"] == -1).all()


def test_negative_activity_fails_clearly_unless_rectified(tmp_path):
    to_netcdf(model_like(1, negative=True), tmp_path / "neg.nc")
    r = score_files(tmp_path / "neg.nc", **SCORE)
    assert len(r.table) == 0
    assert "negative" in r.failures[0].reason and "rectify" in r.failures[0].reason
    t = score_files(tmp_path / "neg.nc", negative_activity="rectify", **SCORE).table
    assert len(t) == 5 and (t["activity_transform"] == "rectified").all()
    assert np.isfinite(t["gridness"]).any()


def test_cache_skips_finished_tasks_and_an_interrupted_run_continues(
    session_dir, tmp_path, monkeypatch
):
    from hippocore.workflows import _score

    cache = tmp_path / "scores.parts"
    real, calls = _score.score_chunk, []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_score, "score_chunk", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        score_files([session_dir], cache_dir=cache, **SCORE)
    assert len(list(cache.glob("*.pkl"))) == 1 and not list(cache.glob(".*part*"))
    monkeypatch.setattr(_score, "score_chunk", real)
    resumed = score_files([session_dir], cache_dir=cache, **SCORE)
    assert resumed.n_cached == 1 and len(list(cache.glob("*.pkl"))) == 3
    fresh = score_files([session_dir], **SCORE)
    pd.testing.assert_frame_equal(resumed.table, fresh.table)
    again = score_files([session_dir], cache_dir=cache, **SCORE)
    assert again.n_cached == 3
    changed = score_files([session_dir], cache_dir=cache, **{**SCORE, "n_shuffles": 11})
    assert changed.n_cached == 0  # other options: nothing reused


@pytest.mark.parametrize("ext", [".csv", ".json", ".nc"])
def test_tables_round_trip_exactly(run, tmp_path, ext):
    path = write_table(run, tmp_path / f"scores{ext}")
    if ext == ".csv":
        back = pd.read_csv(path)
    elif ext == ".json":
        doc = json.loads(path.read_text())
        assert doc["parameters"]["seed"] == 3 and doc["failures"] == []
        back = pd.DataFrame(doc["rows"])
    else:
        import xarray as xr

        with xr.open_dataset(path, engine="h5netcdf") as ds:
            back = ds.load().to_dataframe().reset_index(drop=True)
            assert json.loads(ds.attrs["parameters_json"])["n_shuffles"] == 10
    for col in ("gridness", "gridness_p95", "speed", "information_rate_p99"):
        np.testing.assert_array_equal(back[col].to_numpy(float), run.table[col].to_numpy(float))
    assert list(back["label"]) == list(run.table["label"])
    assert [p.name for p in tmp_path.iterdir()] == [f"scores{ext}"]


def test_table_errors_name_the_fix(run, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"unknown extension '\.xlsx'.*scores\.csv"):
        write_table(run, tmp_path / "s.xlsx")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install hippocore\[parquet\]"):
        write_table(run, tmp_path / "s.parquet")
    (tmp_path / "s.csv").write_text("old")
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_table(run, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == "old"


def test_parquet_when_pyarrow_is_there(run, tmp_path):
    pytest.importorskip("pyarrow", reason="pyarrow (the 'parquet' extra) is not installed")
    back = pd.read_parquet(write_table(run, tmp_path / "s.parquet"))
    np.testing.assert_array_equal(back["gridness"], run.table["gridness"])
    # every column, its dtype (nullable booleans included) and every value round-trip
    pd.testing.assert_frame_equal(back, run.table, check_exact=True)


def test_options_are_checked(session_dir):
    with pytest.raises(ValueError, match="bin_size must be a positive"):
        score_files(session_dir, bin_size=-1.0)
    with pytest.raises(ValueError, match="negative_activity must be one of"):
        score_files(session_dir, bin_size=0.05, negative_activity="shift")
    with pytest.raises(ValueError, match="n_jobs must be an integer >= 1"):
        score_files(session_dir, bin_size=0.05, n_jobs=0)


def test_n_jobs_without_dask_names_the_extra(session_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install hippocore\[dask\]"):
        score_files(session_dir, bin_size=0.05, n_jobs=2)


def test_workflows_import_neither_torch_nor_dask():
    code = (
        "import sys, hippocore.workflows, hippocore.cli; "
        "print(sorted(m for m in ('torch', 'distributed', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _lattice_session(kind: str, seed: int, *, with_node: bool = True):
    """A model-like session on an 11x11 hexagonal world whose units are control patterns."""
    from hippocore.envs import make_world, random_walk
    from hippocore.schema import make_session
    from hippocore.testing import lattice_controls

    world = make_world("hexagonal", 11)
    walk = random_walk(world, 30 * world.n_nodes, seed=seed)
    pattern = lattice_controls(world, kind, 6, seed=seed).activity  # (node, unit)
    env = {"id": 0, "kind": "hexagonal", "width": 11, "height": 11, "spacing_m": world.spacing}
    ds = make_session(
        0.1 * np.arange(walk.nodes.size),
        world.coords[walk.nodes],
        activity=pattern[walk.nodes],
        population="position_encoding",
        environments=[env],
        source="model",
    )
    ds.attrs["environments_json"] = json.dumps([env])
    return ds.assign_coords(node=("time", walk.nodes)) if with_node else ds


def test_lattice_sessions_get_the_controlled_grid_test(tmp_path):
    # Rate-map labels are not the zoo's grid test on a lattice; score_files adds it for a
    # session of one hexagonal world: ideal grids pass, single plane waves do not, and an
    # export without the node index (NWB keeps position only) gives the same numbers.
    to_netcdf(_lattice_session("grid", 0), tmp_path / "grid.nc")
    to_netcdf(_lattice_session("band", 1), tmp_path / "band.nc")
    to_netcdf(_lattice_session("grid", 0, with_node=False), tmp_path / "grid_pos.nc")
    opts = dict(bin_size=0.1, n_shuffles=100, seed=0, progress=False)
    t = score_files(tmp_path, **opts).table.set_index("file")
    grid, band, pos = (t.loc[str(tmp_path / n)] for n in ("grid.nc", "band.nc", "grid_pos.nc"))
    assert grid["is_lattice_grid"].mean() >= 0.5 and not band["is_lattice_grid"].any()
    assert (grid["lattice_n_shuffles"] == 100).all() and (grid["lattice_n_finite"] <= 100).all()
    np.testing.assert_array_equal(pos["lattice_gridness"], grid["lattice_gridness"])
    # Chunking the units does not change a unit's null (its own seed).
    chunked = score_files(tmp_path / "grid.nc", unit_chunk=2, **opts).table
    np.testing.assert_array_equal(chunked["lattice_gridness_p95"], grid["lattice_gridness_p95"])
    # Below the test's 100 shuffles the columns say why instead of giving a label.
    few = score_files(tmp_path / "grid.nc", bin_size=0.1, n_shuffles=20, seed=0, progress=False)
    assert not few.table["is_lattice_grid"].any()
    assert few.table["lattice_note"].str.contains(">= 100 shuffles").all()


def test_recordings_get_no_lattice_columns(run):
    assert not any(c.startswith("lattice_") for c in run.table.columns)
