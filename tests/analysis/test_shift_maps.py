"""The shift engine's vectorised paths equal the per-shift code they replaced (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

import hippocore.analysis._shift_maps as shift_maps
import hippocore.analysis._shuffle as shuffle_module
from hippocore.analysis import shuffle_scores
from hippocore.analysis._shuffle import _engine
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording

from ._oracles import shifted_spike_counts_per_shift


@pytest.fixture(scope="module")
def session():
    ds = synthetic_recording(120, n_grid=3, n_band=1, n_place=2, n_uniform=2, seed=3)
    return ds.time.values, ds.position.values, spike_trains(ds)


@pytest.mark.parametrize("keys_per_pass", [1, 5_000, 4_000_000])
def test_spike_counts_of_all_shifts_equal_one_bincount_per_shift(
    session, monkeypatch, keys_per_pass
):
    t, pos, trains = session
    options = dict(bin_size=0.05, limits=None, smooth=1.0, max_gap=0.1)
    engine, n_units = _engine(t, pos, trains, None, None, 10, options)[:2]
    shifts = np.random.default_rng(0).integers(0, t.size, size=7)
    monkeypatch.setattr(shift_maps, "_KEYS_PER_PASS", keys_per_pass)
    got = engine._spike_counts(shifts, n_units)
    np.testing.assert_array_equal(got, shifted_spike_counts_per_shift(engine, shifts, n_units))
    assert got.sum() > 0


def test_chunking_of_the_shuffles_changes_no_number(session, monkeypatch):
    t, pos, trains = session
    kwargs = dict(bin_size=0.05, n_shuffles=9, min_shift=5.0, seed=1)
    results = []
    for maps in (1, 20, 10_000):  # one shift per chunk, a few, all at once
        monkeypatch.setattr(shuffle_module, "_MAPS_PER_CHUNK", maps)
        results.append(shuffle_scores(t, pos, trains, **kwargs))
    for other in results[1:]:
        for name, null in results[0].null.items():
            np.testing.assert_array_equal(other.null[name], null)
            np.testing.assert_array_equal(other.observed[name], results[0].observed[name])


def test_no_chunk_or_autocorrelogram_block_leaves_a_map_alone(session, monkeypatch):
    # numpy sums a one-map stack in another order than a stack of several (e.g. the mean of
    # an 18 x 22 lattice map differs in the last bit), so a map scored alone could differ
    # from the same map in any other chunking: no chunk of shifts, and no block that
    # autocorrelogram splits into 16s, may hold a lone map.
    from hippocore.analysis._null_scores import _blocks

    for n in range(1, 600):
        bounds = _blocks(n, 256)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
        assert n == 1 or all((hi - lo) % 16 != 1 for lo, hi in bounds)
    t, pos, trains = session
    sizes = []
    real = shift_maps.ShiftEngine.maps

    def spy(self, shifts, n_units):
        sizes.append(shifts.size * n_units)
        return real(self, shifts, n_units)

    monkeypatch.setattr(shift_maps.ShiftEngine, "maps", spy)
    monkeypatch.setattr(shuffle_module, "_MAPS_PER_CHUNK", 4)
    shuffle_scores(t, pos, trains[0], bin_size=0.05, n_shuffles=8, min_shift=5.0, seed=1)
    assert sum(sizes) == 9 and min(sizes) > 1  # 4 + 5, not 4 + 4 + 1


@pytest.mark.parametrize(("sigma", "half"), [(1.0, 8), (2.0, 17), (0.5, 4)])
def test_null_smoothing_drops_only_the_kernels_negligible_tail(sigma, half, monkeypatch):
    from scipy import ndimage

    from hippocore.analysis._ratemap import smooth_map

    rng = np.random.default_rng(2)
    maps = rng.gamma(0.3, 5.0, (12, 40, 36)) * (rng.random((12, 40, 36)) < 0.2)
    got = shift_maps.smooth_core(maps, sigma)
    full = smooth_map(maps, sigma)
    assert np.abs(got - full).max() <= 1e-14 * full.max()
    widths = []
    real = ndimage.convolve1d
    monkeypatch.setattr(
        shift_maps.ndimage,
        "convolve1d",
        lambda a, k, **kw: widths.append(k.size) or real(a, k, **kw),
    )
    shift_maps.smooth_core(maps, sigma)
    assert widths == [2 * half + 1, 2 * half + 1]
