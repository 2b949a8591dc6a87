import json

import numpy as np
import pytest
import xarray as xr

from hippocore.schema import (
    SchemaError,
    environments,
    kind_of,
    make_rate_maps,
    make_scores,
    make_session,
    spike_trains,
    validate,
)


def _session(**kw):
    t = np.arange(100) * 0.02
    pos = np.column_stack([np.linspace(0, 1, 100), np.linspace(0, 0.5, 100)])
    args = dict(
        activity=np.ones((100, 3)), activity_units="Hz", population=["g", "g", "p"], source="model"
    )
    args.update(kw)
    return make_session(t, pos, **args)


def test_good_session_validates_and_reports_kind():
    ds = _session()
    assert validate(ds) is ds
    assert kind_of(ds) == "session"
    assert ds.position.attrs["units"] == "m"
    assert list(ds.axis.values) == ["x", "y"]
    assert ds.activity.dims == ("time", "unit")


def test_spike_trains_round_trip_per_unit():
    trains = [np.array([0.5, 0.1]), np.array([]), np.array([1.0, 1.5, 0.2])]
    ds = _session(activity=None, spike_times=trains)
    validate(ds)
    back = spike_trains(ds)
    assert [b.tolist() for b in back] == [[0.1, 0.5], [], [0.2, 1.0, 1.5]]


def test_environments_json_round_trip():
    envs = [{"id": 0, "kind": "square"}, {"id": 1, "kind": "hexagonal"}]
    ds = _session(environment=np.repeat([0, 1], 50), environments=envs)
    validate(ds)
    assert environments(ds) == envs


def test_dict_attrs_become_json():
    ds = _session(attrs={"config": {"lr": 0.001}})
    assert json.loads(ds.attrs["config"]) == {"lr": 0.001}
    validate(ds)


def test_validate_lists_every_problem_at_once():
    ds = _session()
    bad = ds.assign(position=ds.position * np.nan)
    bad.position.attrs["units"] = "cm"
    bad.attrs["source"] = "mystery"
    bad.attrs["flag"] = True
    bad = bad.drop_vars("population")
    with pytest.raises(SchemaError) as err:
        validate(bad)
    problems = err.value.problems
    text = str(err.value)
    assert len(problems) == 5, problems
    for needle in ("metres", "NaN", "source", "flag", "population"):
        assert needle in text


def test_validate_rejects_nonmonotonic_time_and_wrong_dims():
    ds = _session()
    t = ds.time.values.copy()
    t[10] = t[5]
    bad = ds.assign_coords(time=("time", t, {"units": "s"}))
    bad["activity"] = bad.activity.transpose("unit", "time")
    with pytest.raises(SchemaError) as err:
        validate(bad)
    assert any("strictly increasing" in p for p in err.value.problems)
    assert any("'activity' must have dims" in p for p in err.value.problems)


def test_validate_checks_spike_indices():
    ds = _session(activity=None, spike_times=[np.array([0.1]), np.array([0.2]), np.array([0.3])])
    bad = ds.assign(spike_unit=("spike", np.array([0, 1, 7], dtype=np.int32)))
    with pytest.raises(SchemaError, match="index the unit dim"):
        validate(bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"position": np.zeros((100, 3))}, r"shape \(n, 2\)"),
        ({"position": np.zeros((2, 100))}, "transpose"),
        ({"position": np.full((100, 2), np.nan)}, "NaN"),
        ({"time": np.zeros(100)}, "strictly increasing"),
        ({"time": np.arange(99.0)}, "must match"),
        ({"activity": np.ones((100, 2)), "population": ["a", "b", "c"]}, "population"),
        ({"activity": np.ones((99, 2))}, r"\(n_time, n_unit\)"),
        ({"activity_units": "furlongs"}, "activity_units"),
        ({"source": "guess"}, "source"),
        ({"environment": np.zeros(100)}, "integer"),
    ],
)
def test_make_session_bad_input_names_the_argument(kwargs, match):
    base = dict(
        time=np.arange(100) * 0.02,
        position=np.zeros((100, 2)),
        activity=np.ones((100, 3)),
        population="g",
    )
    base.update(kwargs)
    t, p = base.pop("time"), base.pop("position")
    with pytest.raises(ValueError, match=match):
        make_session(t, p, **base)


def test_make_session_never_modifies_inputs():
    t = np.arange(10) * 0.1
    pos = np.random.default_rng(0).random((10, 2))
    act = np.ones((10, 2))
    t0, p0, a0 = t.copy(), pos.copy(), act.copy()
    ds = make_session(t, pos, activity=act)
    ds["position"].values[:] = -1
    assert np.array_equal(t, t0) and np.array_equal(pos, p0) and np.array_equal(act, a0)


def test_rate_maps_and_scores():
    rate = np.random.default_rng(1).random((2, 4, 5))
    rate[0, 0, 0] = np.nan
    rm = make_rate_maps(
        rate,
        np.ones((4, 5)),
        x=np.arange(5) * 0.1 + 0.05,
        y=np.arange(4) * 0.1 + 0.05,
        bin_size=0.1,
    )
    assert validate(rm, "rate_maps") is rm
    sc = make_scores(
        rm.unit.values,
        {"grid_score": [0.1, 0.2], "spacing": np.ones((2, 3))},
        attrs={"method": "bnt"},
    )
    assert validate(sc, "scores") is sc
    assert sc.spacing.dims == ("unit", "spacing_dim1")


def test_rate_maps_bad_coords():
    rm = make_rate_maps(
        np.ones((1, 3, 3)), np.ones((3, 3)), x=[0.1, 0.2, 0.4], y=[0.3, 0.2, 0.1], bin_size=0.1
    )
    with pytest.raises(SchemaError) as err:
        validate(rm)
    assert len(err.value.problems) == 2


def test_kind_mismatch_and_unknown():
    with pytest.raises(SchemaError, match="expected"):
        validate(_session(), "scores")
    with pytest.raises(SchemaError, match="cannot tell"):
        validate(xr.Dataset({"a": ("b", [1])}))
    with pytest.raises(TypeError, match="xarray.Dataset"):
        validate({"position": 1})
