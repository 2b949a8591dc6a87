"""score_files on a 2-worker local Dask cluster returns exactly the in-process numbers."""

from __future__ import annotations

import numpy as np
import pytest

from hippocore.workflows import score_files

from .conftest import SCORE

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
