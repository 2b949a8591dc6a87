"""Sped-up internals equal the implementations they replaced (kept in ``_oracles.py``)."""

import numpy as np
import pytest
from scipy import ndimage

from hippocore.analysis import autocorrelogram, gridness
from hippocore.analysis._gridness import _bnt_score_only
from hippocore.analysis._place import _label_stats

from ._oracles import label_stats_lexsort
from .test_fast_paths import _varied_maps


@pytest.mark.parametrize("seed", [0, 1])
def test_label_stats_equal_the_lexsort_version(seed):
    rng = np.random.default_rng(seed)
    values = np.round(rng.gamma(1.0, 2.0, (30, 20, 20)), 1)  # ties inside labels
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = True  # 8-connected within each map
    labels, _ = ndimage.label(values > 2.0, structure=structure)
    holes = np.where(labels % 4 == 0, 0, labels)  # empty labels, as after filtering
    for lab in (labels, holes, np.zeros_like(labels)):
        for new, old in zip(
            _label_stats(lab, values), label_stats_lexsort(lab, values), strict=True
        ):
            np.testing.assert_array_equal(new, old)


def test_score_only_path_equals_gridness_score():
    ac = autocorrelogram(_varied_maps(120, 21))
    ac[3] = np.nan  # an unusable map in the stack
    expected = gridness(ac).score
    np.testing.assert_array_equal(_bnt_score_only(ac.copy(), block=32), expected)
    assert np.isfinite(expected).sum() > 30
