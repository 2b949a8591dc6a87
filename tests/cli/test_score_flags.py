"""``hippocore score --method bnt|deepmind --null per-unit|pooled`` (issue 15)."""

import numpy as np
import pandas as pd
import pytest

from hippocore.analysis import ds as analysis_ds
from hippocore.cli import build_parser, main
from hippocore.io import read_session, to_netcdf
from hippocore.testing import synthetic_recording
from hippocore.workflows import session_seed

ARGS = ["--bin-size", "0.05", "--limits", "0", "1", "0", "1", "--shuffles", "10", "--quiet"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("flags")
    for k in range(2):
        rec = synthetic_recording(90.0, n_grid=2, n_band=1, n_place=1, n_uniform=1, seed=k)
        to_netcdf(rec, out / f"s{k}.nc")
    return out


def _score(folder, tmp_path, name, *extra):
    out = tmp_path / name
    assert main(["score", str(folder), "-o", str(out), *ARGS, "--no-cache", *extra]) == 0
    return pd.read_csv(out)


def test_default_is_bnt_with_per_unit_thresholds(folder, tmp_path, capsys):
    t = _score(folder, tmp_path, "d.csv")
    assert (t["gridness_method"] == "bnt").all() and (t["null"] == "per-unit").all()
    assert t.groupby("file")["gridness_p95"].nunique().max() > 1  # one threshold per unit


def test_pooled_null_gives_one_threshold_per_score_and_session(folder, tmp_path, capsys):
    t = _score(folder, tmp_path, "p.csv", "--null", "pooled")
    assert (t["null"] == "pooled").all()
    for col in ("gridness_p95", "information_content_p99", "border_p95"):
        assert (t.groupby("file")[col].nunique(dropna=False) == 1).all()
    # the same numbers as the library's pooled null on the session (known answer)
    path = folder / "s0.nc"
    ds = analysis_ds.classify(
        read_session(path), bin_size=0.05, limits=(0, 1, 0, 1), n_shuffles=10,
        seed=session_seed(0, path), null="pooled",
    )  # fmt: skip
    mine = t[t["file"] == str(path)]
    np.testing.assert_array_equal(mine["gridness_p95"], ds["gridness_p95"].values)
    np.testing.assert_array_equal(mine["label"], ds["label"].values.astype(str))
    # the pool is the whole session whatever --unit-chunk says
    chunked = _score(folder, tmp_path, "c.csv", "--null", "pooled", "--unit-chunk", "2")
    pd.testing.assert_frame_equal(chunked, t)


def test_deepmind_method_scores_gridness_with_deepmind(folder, tmp_path, capsys):
    dm = _score(folder, tmp_path, "m.csv", "--method", "deepmind")
    bnt = _score(folder, tmp_path, "b.csv")
    assert (dm["gridness_method"] == "deepmind").all()
    assert not np.allclose(dm["gridness"], bnt["gridness"], equal_nan=True)
    # the other scores do not depend on the grid method
    np.testing.assert_array_equal(dm["information_rate"], bnt["information_rate"])


def test_help_shows_the_flags_with_an_example(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["score", "--help"])
    text = capsys.readouterr().out
    assert "--method {bnt,deepmind}" in text and "--null {per-unit,pooled}" in text
    assert "--method deepmind --null pooled" in text


def test_unknown_method_is_one_line(folder, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", str(folder), "-o", str(tmp_path / "x.csv"), "--method", "fourier"])
    assert exc.value.code == 2 and "invalid choice: 'fourier'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
