"""score_files on a 2-worker local Dask cluster returns exactly the in-process numbers."""

from __future__ import annotations

import numpy as np
import pytest

from hippocore.workflows import score_files

from .conftest import SCORE, units_only_nwb

pytest.importorskip("distributed", reason="dask.distributed not installed (hippocore[dask])")


def test_two_workers_give_exactly_the_in_process_numbers(session_dir, tmp_path):
    (tmp_path / "bad.nc").write_text("not a session")
    paths = [session_dir, tmp_path / "bad.nc"]
    here = score_files(paths, unit_chunk=2, **SCORE)
    cache = tmp_path / "parts"
    dask = score_files(paths, unit_chunk=2, n_jobs=2, cache_dir=cache, **SCORE)
    assert len(here.table) == len(dask.table) == 15
    assert list(dask.table.columns) == list(here.table.columns)
    for col in here.table.columns:
        a, b = here.table[col].to_numpy(), dask.table[col].to_numpy()
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b)
        else:
            assert list(a) == list(b), col
    assert [f.path for f in dask.failures] == [str(tmp_path / "bad.nc")]
    assert len(list(cache.glob("*.pkl"))) == 9  # 3 sessions x 3 chunks of <= 2 units


def test_local_workers_run_without_dasks_malloc_trim_threshold():
    """Dask's MALLOC_TRIM_THRESHOLD_ made scoring take 1.7-1.9x the CPU time; it is unset."""
    import os

    from hippocore.workflows._dask import dask_client

    with dask_client(2, None) as client:
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(seen.values()) == [None, None]


def test_ctrl_c_on_dask_keeps_finished_chunks_and_the_rerun_continues(
    session_dir, tmp_path, monkeypatch
):
    # Ctrl-C arrives while results come back from the workers: the finished chunks stay in
    # the cache (whole files only), the cluster is closed, and a rerun on Dask reuses them
    # and returns exactly the in-process numbers.
    import pandas as pd

    from hippocore.workflows import _run

    cache = tmp_path / "parts"
    real_put, calls = _run._Cache.put, []

    def put_then_interrupt(self, result):
        real_put(self, result)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(_run._Cache, "put", put_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        score_files([session_dir], unit_chunk=2, n_jobs=2, cache_dir=cache, **SCORE)
    assert len(list(cache.glob("*.pkl"))) == 2 and not list(cache.glob(".*"))
    monkeypatch.setattr(_run._Cache, "put", real_put)
    resumed = score_files([session_dir], unit_chunk=2, n_jobs=2, cache_dir=cache, **SCORE)
    assert resumed.n_cached == 2 and len(list(cache.glob("*.pkl"))) == 9
    here = score_files([session_dir], unit_chunk=2, **SCORE)
    pd.testing.assert_frame_equal(resumed.table, here.table)


def test_cli_on_dask_ctrl_c_rerun_and_bad_files_with_exit_codes(tmp_path, capsys, monkeypatch):
    from hippocore.cli import main
    from hippocore.io import to_netcdf
    from hippocore.testing import synthetic_recording
    from hippocore.workflows import _run

    data = tmp_path / "data"
    data.mkdir()
    for k in range(2):
        rec = synthetic_recording(90.0, n_grid=1, n_band=1, n_place=1, n_uniform=0, seed=k)
        to_netcdf(rec, data / f"s{k}.nc")
    (data / "broken.nc").write_text("not a session")
    units_only_nwb(data / "noposition.nwb")  # units, no position
    out = tmp_path / "out" / "scores.csv"
    out.parent.mkdir()
    argv = ["score", str(data), "-o", str(out), "--shuffles", "3", "--bin-size", "0.05",
            "--unit-chunk", "1", "--n-jobs", "2", "--quiet"]  # fmt: skip

    real_put, calls = _run._Cache.put, []

    def put_then_interrupt(self, result):  # Ctrl-C after the first scored chunk
        real_put(self, result)
        calls.append(result.rows is not None)
        if sum(calls) == 1 and calls[-1]:
            raise KeyboardInterrupt

    monkeypatch.setattr(_run._Cache, "put", put_then_interrupt)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted; no partial output was written" in err
    assert sorted(p.name for p in out.parent.iterdir()) == ["scores.parts"]  # no table

    monkeypatch.setattr(_run._Cache, "put", real_put)
    assert main(argv) == 1  # finished, but files failed: exit status 1
    text = capsys.readouterr().out
    assert "from the cache)" in text
    assert "2 file(s) failed and were skipped" in text
    assert "broken.nc" in text and "noposition.nwb" in text
    assert out.exists() and "s0.nc" in out.read_text() and "broken" not in out.read_text()
