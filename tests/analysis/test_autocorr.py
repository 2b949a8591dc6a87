import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hippocore.analysis import autocorrelogram, autocorrelogram_size
from hippocore.testing import grid_map


def _direct(a):
    """Overlap-normalised Pearson at every lag, straight from the definition (slow)."""
    a = np.nan_to_num(a)
    m, n = a.shape
    out = np.zeros((2 * m - 1, 2 * n - 1))
    for i in range(2 * m - 1):
        for j in range(2 * n - 1):
            di, dj = i - (m - 1), j - (n - 1)
            x = a[max(0, -di) : min(m, m - di), max(0, -dj) : min(n, n - dj)]
            y = a[max(0, di) : min(m, m + di), max(0, dj) : min(n, n + dj)]
            if x.size > 1 and x.std() > 1e-12 and y.std() > 1e-12:
                out[i, j] = np.corrcoef(x.ravel(), y.ravel())[0, 1]
    return out


@pytest.mark.parametrize(
    ("n", "size"), [(20, 35), (21, 37), (25, 45), (40, 71), (50, 89), (10, 17), (1, 1)]
)
def test_bnt_size_rule(n, size):
    assert autocorrelogram_size(n) == size


def test_bnt_size_rule_on_maps():
    rng = np.random.default_rng(0)
    assert autocorrelogram(rng.random((20, 20))).shape == (35, 35)
    assert autocorrelogram(rng.random((21, 21))).shape == (37, 37)
    assert autocorrelogram(rng.random((10, 20))).shape == (17, 35)


@pytest.mark.parametrize("fill", [0.0, np.nan])
def test_all_zero_or_nan_map_gives_zeros_35(fill):
    out = autocorrelogram(np.full((20, 20), fill))
    assert out.shape == (35, 35) and np.all(out == 0)


def test_bnt_vector_case():
    np.testing.assert_allclose(
        autocorrelogram(np.arange(1.0, 6.0)[None]), [[0, 1, 1, 1, 1, 1, 1, 1, 0]], atol=1e-12
    )


def test_matches_direct_definition_on_small_maps():
    rng = np.random.default_rng(3)
    for shape in [(6, 6), (7, 5), (9, 12)]:
        a = rng.random(shape)
        a[rng.random(shape) < 0.1] = np.nan
        full = autocorrelogram(a, crop=False)
        np.testing.assert_allclose(full, _direct(a), atol=1e-10)


def test_stack_equals_per_unit_and_input_untouched():
    maps = np.stack([grid_map(orientation=o) for o in (0.0, 0.3, 0.7)])
    maps[1, 3, 4] = np.nan
    before = maps.copy()
    stack = autocorrelogram(maps)
    np.testing.assert_array_equal(maps, before)
    for k in range(3):
        np.testing.assert_allclose(stack[k], autocorrelogram(maps[k]), atol=1e-12)
    assert stack[0, 35, 35] == pytest.approx(1.0)


def test_constant_map_gives_zeros_and_empty_raises():
    assert np.all(autocorrelogram(np.full((8, 8), 3.0)) == 0)
    with pytest.raises(ValueError, match="empty"):
        autocorrelogram(np.zeros((0, 5)))


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(3, 12)), elements=st.floats(0, 50))
)
def test_point_symmetric_and_bounded(a):
    ac = autocorrelogram(a)
    # FFT rounding (BNT's own normxcorr2_general uses an FFT for large maps too) is amplified
    # at lags whose overlap has a tiny variance: symmetric to 1e-7, not to machine precision
    np.testing.assert_allclose(ac, ac[::-1, ::-1], atol=1e-7)
    assert np.all(np.abs(ac) <= 1.0)
