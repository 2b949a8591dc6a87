import re

import numpy as np
import pytest

from hippocore.cli import main
from hippocore.io import open_dataset


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the README's main job once (``hippocore demo``) and keep its output."""
    out = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo", "--out", str(out)]) == 0
    return out, buffer.getvalue()


def test_demo_exports_nwb_and_scores_the_units(demo):
    folder, out = demo
    assert out.count("read back identical: True") >= 1
    assert out.count("grid") >= 4
    assert (folder / "synthetic_session.nwb").exists()
    scores = open_dataset(folder / "synthetic_scores.nc")
    assert scores.sizes["unit"] == 10  # every unit was scored
    g = scores["gridness"].values
    # The demo's synthetic grid cells (units 1-3, spacing 0.4-0.6 m) score as grid cells and
    # the place and band cells do not.
    assert np.all(g[1:4] > 0.8)
    assert np.all(g[4:8] < 0.3)
    labels = scores["label"].values
    assert list(labels[1:6]) == ["grid", "grid", "grid", "band", "band"]
    assert list(labels[8:]) == ["none", "none"]


def test_demo_model_part_meets_the_learning_criterion_and_exports(demo):
    pytest.importorskip("torch")
    folder, out = demo
    revisit = float(re.search(r"revisit accuracy ([0-9.]+)", out).group(1))
    zero_shot = float(re.search(r"zero-shot link inference ([0-9.]+)", out).group(1))
    assert revisit >= 0.95 and zero_shot >= 0.90
    assert (folder / "tem-t_rollout.nwb").exists()
    assert out.count("read back identical: True") == 2
