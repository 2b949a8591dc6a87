"""The centre field's opening computed in a window about the centre (issue 15 speed work).

The windowed opening must equal the whole map's opening wherever it says it is exact, and the
centre-field radii (hence BNT gridness) must equal those found with the whole opening.
"""

import numpy as np
import pytest

from hippocore.analysis import autocorrelogram
from hippocore.analysis._centre_field import centre_radii
from hippocore.analysis._gridness_bnt import normalise
from hippocore.analysis._morphology import open_by_reconstruction, open_by_reconstruction_window

from ._oracles import centre_radii_full_opening
from .test_fast_paths import _varied_maps


@pytest.fixture(scope="module")
def acorrs():
    ac = autocorrelogram(_varied_maps(120, 23))
    valid, _ = normalise(ac)
    return ac, np.flatnonzero(valid)


@pytest.mark.parametrize("margin", [0, 2, 6])
def test_windowed_opening_equals_the_whole_opening_where_exact(acorrs, margin):
    ac, _ = acorrs
    c = (ac.shape[1] // 2, ac.shape[2] // 2)
    vals, exact, peak = open_by_reconstruction_window(ac, c, 10, margin)
    full = open_by_reconstruction(ac)
    inner = full[:, c[0] - 10 : c[0] + 11, c[1] - 10 : c[1] + 11]
    np.testing.assert_array_equal(vals[exact], inner[exact])
    np.testing.assert_array_equal(peak, full.max(axis=(1, 2)))
    assert exact.any()
    if margin == 0:
        assert not exact.all()  # the check does catch windows that are not exact
    # the lower bound never exceeds the true opening
    assert np.all(vals <= inner)


def test_centre_radii_equal_those_from_the_whole_opening(acorrs):
    ac, todo = acorrs
    c = (ac.shape[1] // 2, ac.shape[2] // 2)
    np.testing.assert_array_equal(centre_radii(ac, todo, c), centre_radii_full_opening(ac, todo, c))
