import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from hippocore.analysis import autocorrelogram
from hippocore.analysis._autocorr import autocorrelogram_size
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
    # FFT rounding (BNT's own normxcorr2_general uses an FFT for large maps too) is of order
    # eps * (energy of the whole map) and is divided by the overlap's variance, so lags whose
    # overlap varies little relative to the map are only symmetric to ~1e-7 (hypothesis found
    # 1.6e-7 with values 0-50 beside 2e-3): check to 1e-6, not to machine precision.
    np.testing.assert_allclose(ac, ac[::-1, ::-1], atol=1e-6)
    assert np.all(np.abs(ac) <= 1.0)


def _bnt_definition(a):
    """BNT's autocorrelogram (normxcorr2_general) evaluated lag by lag with two-pass sums.

    At every lag: Pearson r over the overlapping bins (NaN counted as 0); 0 where an overlap
    is constant, and, as normxcorr2_general, where the denominator sqrt(var_x var_y) (sums of
    squared deviations) is at most 1000 eps of the largest one. Cropped as BNT.
    """
    a = np.nan_to_num(np.asarray(a, float))
    m, n = a.shape
    num = np.zeros((2 * m - 1, 2 * n - 1))
    den = np.zeros_like(num)
    for i in range(2 * m - 1):
        for j in range(2 * n - 1):
            di, dj = i - (m - 1), j - (n - 1)
            x = a[max(0, -di) : min(m, m - di), max(0, -dj) : min(n, n - dj)].ravel()
            y = a[max(0, di) : min(m, m + di), max(0, dj) : min(n, n + dj)].ravel()
            if x.min() == x.max() or y.min() == y.max():
                continue
            xc, yc = x - x.mean(), y - y.mean()
            num[i, j] = xc @ yc
            den[i, j] = np.sqrt((xc @ xc) * (yc @ yc))
    ok = den > 1000 * np.spacing(den.max())
    out = np.where(ok, num / np.where(ok, den, 1.0), 0.0)
    sy, sx = autocorrelogram_size(m), autocorrelogram_size(n)
    oy, ox = (2 * m - 1 - sy) // 2, (2 * n - 1 - sx) // 2
    return out[oy : oy + sy, ox : ox + sx]


@pytest.mark.parametrize(
    "name", ["hex", "three_fields", "rectangular", "rectangular_transposed", "sparse"]
)
def test_equals_bnt_definition_at_every_lag(name):
    # BNT's synthetic test maps hold values down to ~1e-50 of their peak at the edges: there
    # an FFT's rounding (a fraction of eps of the whole map's variance) once gave errors up
    # to 0.3 at edge lags. Those lags are now summed directly; every lag must equal the
    # definition to 1e-9 (correlations, whose peak is 1: absolute = relative to the peak).
    from ._bnt_inputs import bnt_hex_map, bnt_rectangular_map, bnt_three_fields_map

    rng = np.random.default_rng(8)
    sparse = ndimage.gaussian_filter(rng.gamma(0.3, 2.0, (40, 40)), 1.0)
    sparse[:, :18] = np.nan  # an unvisited half: smoothing tails of 1e-70 beside it
    maps = {
        "hex": bnt_hex_map(),
        "three_fields": bnt_three_fields_map(),
        "rectangular": bnt_rectangular_map(),
        "rectangular_transposed": bnt_rectangular_map().T,
        "sparse": sparse,
    }
    ref = _bnt_definition(maps[name])
    np.testing.assert_allclose(autocorrelogram(maps[name]), ref, rtol=0, atol=1e-9)


def _nearly_flat_lattice_maps(rng, n_maps=4, shape=(25, 30)):
    """Maps like an untrained model's on a hexagonal world: a level of 0.3 varying by ~1e-5
    where visited, four unvisited corner bins (BNT counts them as 0)."""
    maps = 0.3 + 1e-5 * ndimage.gaussian_filter(rng.standard_normal((n_maps, *shape)), (0, 2, 2))
    maps[:, [0, 1, -2, -1], -1] = np.nan
    return maps


def test_nearly_flat_maps_with_unvisited_bins_are_exact_without_direct_sums(monkeypatch):
    # the unvisited bins' step (0.3) is 3e4 times the visited variation, so nearly every
    # overlap used to be flagged for direct sums (about 60 ms a map); splitting the visited
    # level off keeps them exact on the FFT path
    from hippocore.analysis import _autocorr

    maps = _nearly_flat_lattice_maps(np.random.default_rng(5))
    calls = []
    original = _autocorr._direct_lags

    def counted(plain, unit, dy, dx, **kw):
        calls.append(unit.size)  # lags summed directly
        return original(plain, unit, dy, dx, **kw)

    monkeypatch.setattr(_autocorr, "_direct_lags", counted)
    ac = autocorrelogram(maps)
    n_lags = ac[0].size * len(maps)
    assert sum(calls) < 0.01 * n_lags
    for k in range(len(maps)):
        np.testing.assert_allclose(ac[k], _bnt_definition(maps[k]), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_unvisited_bins_beside_visited_zeros_and_flat_patches_equal_definition(seed, monkeypatch):
    # where an overlap is nearly constant only through visited zeros next to unvisited ones
    # (true variance small, the split's terms large and cancelling) the lag must still be
    # summed directly: every lag equals the definition. Every map takes the split here.
    from hippocore.analysis import _autocorr

    monkeypatch.setattr(_autocorr, "_SPLIT_ABOVE", -1)
    rng = np.random.default_rng(seed)
    m, n = rng.integers(6, 20, 2)
    a = 0.3 + 1e-4 * ndimage.gaussian_filter(rng.standard_normal((m, n)), 1.5)
    a[: m // 3] = 0.0  # visited zeros
    a[rng.random((m, n)) < 0.3] = 0.3  # exactly flat patches
    a[rng.random((m, n)) < 0.1] = np.nan
    a[m // 3, :] = np.nan  # unvisited row beside the zeros
    np.testing.assert_allclose(autocorrelogram(a), _bnt_definition(a), rtol=0, atol=1e-9)
