import numpy as np

from hippocore.cli import main
from hippocore.io import open_dataset


def test_demo_exports_nwb_and_scores_the_units(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "read back identical: True" in out
    assert out.count("grid") >= 4
    assert (tmp_path / "out" / "synthetic_session.nwb").exists()
    scores = open_dataset(tmp_path / "out" / "synthetic_scores.nc")
    kind = scores["population"].values  # every unit was scored
    assert kind.size == 10
    g = scores["gridness"].values
    # The demo's synthetic grid cells (units 1-3, spacing 0.4-0.6 m) score as grid cells and
    # the place and band cells do not.
    assert np.all(g[1:4] > 0.8)
    assert np.all(g[4:8] < 0.3)
    labels = scores["label"].values
    assert list(labels[1:6]) == ["grid", "grid", "grid", "band", "band"]
    assert list(labels[8:]) == ["none", "none"]
