"""The public API: its size, one name per concept in three layers, deprecations, return shapes."""

import inspect
import re
import warnings

import numpy as np
import pytest

import hippocore.analysis as ha
from hippocore.analysis._accessor import DEPRECATED_METHODS, HippocoreAccessor
from hippocore.analysis._spec import CONCEPTS, options_of
from hippocore.schema import spike_trains
from hippocore.testing import synthetic_recording

#: Measured on main at 10465dc before issue 17's renames: 69 names in __all__ plus 9 accessor
#: methods (78 with repeats); 71 distinct names (``rate_maps`` and ``head_direction`` were the
#: accessor names not in __all__).
TODAY_WITH_REPEATS = 78
TODAY_DISTINCT = 71


def _listing() -> dict[str, list[str]]:
    methods = [n for n in vars(HippocoreAccessor) if not n.startswith("_")]
    return {"hippocore.analysis": list(ha.__all__), "ds.hc": methods, "ds": list(ha.ds.__all__)}


def test_public_listing_is_at_most_two_thirds_of_before():
    listing = _listing()
    for where, names in listing.items():
        print(f"{where} ({len(names)}): {', '.join(names)}")
    distinct = set().union(*listing.values())
    print(f"distinct public names: {len(distinct)} (before: {TODAY_DISTINCT})")
    assert len(distinct) <= TODAY_DISTINCT * 2 / 3
    # every concept is reachable from arrays and from a session, under the same name
    for c in CONCEPTS:
        assert c.name in ha.ds.__all__ and c.name in listing["ds.hc"]
        assert all(fn.__name__ in ha.__all__ for fn in c.numpy)
    assert set(listing["ds.hc"]) == set(ha.ds.__all__)


@pytest.fixture(scope="module")
def session():
    return synthetic_recording(duration=150.0, n_grid=2, n_band=1, n_place=2, n_uniform=1, seed=3)


def _check_parameters(c):
    """The xarray form's and the accessor's options = the numpy function's, names and defaults."""
    form = getattr(ha.ds, c.name)
    method = getattr(HippocoreAccessor, c.name)
    want = [(p.name, p.default) for p in options_of(c)]
    got = [(p.name, p.default) for p in inspect.signature(form).parameters.values()]
    assert got[len(c.data) :] == want
    by_numpy = {}
    for fn in c.numpy:
        for p in inspect.signature(fn).parameters.values():
            if p.kind is p.KEYWORD_ONLY and p.name not in c.supplied:
                by_numpy.setdefault(p.name, p.default)
    for name, default in want:
        if name in by_numpy:
            assert by_numpy[name] == default, (c.name, name)
    assert set(by_numpy) <= {n for n, _ in want}
    got_m = [(p.name, p.default) for p in inspect.signature(method).parameters.values()]
    assert got_m[0][0] == "self" and got_m[1:] == got[1:]


def _numpy_numbers(c, session, maps):
    """The concept computed with the numpy function(s) on the session's arrays."""
    t, xy = session.time.values, session.position.transpose("time", "axis").values
    trains = list(spike_trains(session))
    rate = maps["rate"].values
    if c.name == "rate_map":
        return ha.rate_map(t, xy, trains, bin_size=0.05, limits=(0, 1, 0, 1)).rate
    if c.name == "gridness":
        return ha.gridness(ha.autocorrelogram(rate)).score
    if c.name == "map_stats":
        return ha.map_stats(rate, maps["occupancy_smoothed"].values).information_rate
    if c.name == "place_fields":
        return np.array([f.peak for f in ha.place_fields(rate)])
    if c.name == "head_direction_tuning":
        return ha.head_direction_tuning(t, session.head_direction.values, trains).curve
    if c.name == "speed_score":
        return ha.speed_score(t, session.speed.values, trains)
    if c.name == "stability":
        return ha.stability(t, xy, trains, bin_size=0.05, limits=(0, 1, 0, 1))
    if c.name == "remapping":
        return ha.spatial_correlation(rate, rate[::-1])
    if c.name == "classify":
        sh = ha.shuffle_scores(
            t, xy, trains, bin_size=0.05, n_shuffles=5, seed=1, scores=["gridness"]
        )
        return ha.classify(sh).label
    raise AssertionError(f"no numpy check for {c.name}")


def _dataset_numbers(c, result):
    key = {
        "rate_map": "rate",
        "gridness": "gridness",
        "map_stats": "information_rate",
        "place_fields": "peak",
        "head_direction_tuning": "hd_curve",
        "speed_score": "speed_score",
        "stability": "stability",
        "remapping": "spatial_correlation",
        "classify": "label",
    }[c.name]
    return result[key].values


def _call(c, how, session, maps):
    form = getattr(ha.ds, c.name)
    opts = {
        "rate_map": {"bin_size": 0.05, "limits": (0, 1, 0, 1)},
        "stability": {"bin_size": 0.05, "limits": (0, 1, 0, 1)},
        "classify": {"bin_size": 0.05, "n_shuffles": 5, "seed": 1, "scores": ["gridness"]},
    }.get(c.name, {})
    data = session if c.data == ("session",) else maps
    other = (maps.isel(unit=slice(None, None, -1)).assign_coords(unit=maps.unit),)
    extra = other if c.name == "remapping" else ()
    if how == "form":
        return form(data, *extra, **opts)
    return getattr(data.hc, c.name)(*extra, **opts)


@pytest.mark.parametrize("c", CONCEPTS, ids=[c.name for c in CONCEPTS])
def test_every_concept_same_options_and_numbers_in_three_layers(c, session):
    _check_parameters(c)
    maps = ha.ds.rate_map(session, bin_size=0.05, limits=(0, 1, 0, 1))
    want = np.asarray(_numpy_numbers(c, session, maps))
    for how in ("form", "accessor"):
        got = _dataset_numbers(c, _call(c, how, session, maps))
        if want.dtype.kind in "OU":
            assert got.tolist() == want.tolist()
        else:
            np.testing.assert_array_equal(got, want)


def test_dask_backed_maps_stay_lazy_until_computed(session):
    dask = pytest.importorskip("dask", reason="dask is not installed")
    maps = ha.ds.rate_map(session, bin_size=0.05, limits=(0, 1, 0, 1))
    lazy = maps.assign(  # as open_mfdataset(chunks=...) gives them: lazy maps
        rate=maps["rate"].chunk({"unit": 2}), rate_raw=maps["rate_raw"].chunk({"unit": 2})
    )

    def refuse(*args, **kwargs):
        raise AssertionError("something was computed before .compute()")

    with dask.config.set(scheduler=refuse):
        g = ha.ds.gridness(lazy)
        s = lazy.hc.map_stats()
    assert g["gridness"].chunks is not None and s["information_rate"].chunks is not None
    for lazy_out, eager in ((g, ha.ds.gridness(maps)), (s, ha.ds.map_stats(maps))):
        done = lazy_out.compute()
        for name in eager.data_vars:
            a, b = done[name].values, eager[name].values
            if b.dtype.kind in "OU":
                assert a.tolist() == b.tolist(), name
            else:
                np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("old", sorted(ha.DEPRECATED))
def test_old_names_warn_once_and_are_the_new_objects(old):
    module, new, hint = ha.DEPRECATED[old]
    assert old not in ha.__all__
    with pytest.warns(FutureWarning, match=re.escape(hint)) as rec:
        obj = getattr(ha, old)
    assert len(rec) == 1
    target = getattr(ha.ds, new) if module == "ds" else getattr(getattr(ha, module), new)
    assert obj is target


def test_old_accessor_methods_warn_and_give_the_same_result(session):
    maps = session.hc.rate_map(bin_size=0.05, limits=(0, 1, 0, 1))
    for old, new in DEPRECATED_METHODS.items():
        data = maps if new in ("gridness", "map_stats") else session
        opts = {"bin_size": 0.05, "limits": (0, 1, 0, 1)} if new == "rate_map" else {}
        with pytest.warns(FutureWarning, match=f"ds.hc.{new}"):
            got = getattr(data.hc, old)(**opts)
        assert got.identical(getattr(data.hc, new)(**opts))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no method"):
            maps.hc.no_such_method  # noqa: B018


def test_a_unit_axis_comes_out_exactly_when_one_goes_in(session):
    maps = ha.ds.rate_map(session, bin_size=0.05, limits=(0, 1, 0, 1))
    rate, raw = maps["rate"].values, maps["rate_raw"].values
    t, v = session.time.values, session.speed.values
    trains = spike_trains(session)
    xy = session.position.transpose("time", "axis").values
    one = {
        "coherence": ha.coherence(raw[0]),
        "speed_score": ha.speed_score(t, v, trains[0]),
        "stability": ha.stability(t, xy, trains[0], bin_size=0.1),
        "spatial_correlation": ha.spatial_correlation(rate[0], rate[1]),
        "map_stats": ha.map_stats(rate[0], maps["occupancy"].values).sparsity,
    }
    stack = {
        "coherence": ha.coherence(raw[:1]),
        "speed_score": ha.speed_score(t, v, [trains[0]]),
        "stability": ha.stability(t, xy, [trains[0]], bin_size=0.1),
        "spatial_correlation": ha.spatial_correlation(rate[:1], rate[1:2]),
        "map_stats": ha.map_stats(rate[:1], maps["occupancy"].values).sparsity,
    }
    for name in one:
        assert type(one[name]) is float, name
        assert isinstance(stack[name], np.ndarray) and stack[name].shape == (1,), name
        np.testing.assert_array_equal(stack[name], [one[name]], err_msg=name)
    # place fields: one flat list of PlaceField for a map and for a stack
    f1, f2 = ha.place_fields(rate[0]), ha.place_fields(rate[:1])
    assert type(f1) is type(f2) is list and [f.unit for f in f2] == [0] * len(f1)
    _, adaptive = ha.placefield_adaptive(rate[0])
    assert all(isinstance(f, ha.PlaceField) for f in adaptive)
