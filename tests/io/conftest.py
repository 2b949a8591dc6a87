"""Helpers for the io tests: every NWB file the tests write is checked by pynwb and nwbinspector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hippocore.schema import make_session


def nwb_problems(path: Path, *, config: str | None = None, ignore: tuple[str, ...] = ()) -> list:
    """pynwb validation errors plus nwbinspector CRITICAL/BEST_PRACTICE_VIOLATION messages."""
    from nwbinspector import Importance, inspect_nwbfile, load_config
    from pynwb import validate

    errors = list(validate(path=str(path)))
    messages = list(
        inspect_nwbfile(
            nwbfile_path=str(path),
            config=load_config(config) if config else None,
            importance_threshold=Importance.BEST_PRACTICE_VIOLATION,
            ignore=list(ignore) or None,
        )
    )
    return errors + [f"{m.importance.name} {m.check_function_name}: {m.message}" for m in messages]


@pytest.fixture
def assert_clean_nwb():
    def check(path: Path, **kw) -> None:
        problems = nwb_problems(path, **kw)
        assert problems == [], "\n".join(map(str, problems))

    return check


def model_session(n_time: int = 3000, dt: float = 0.02, seed: int = 0, **overrides):
    """A small model session: two populations, unit metadata, two environments, HD and speed."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_time) * dt
    pos = np.column_stack([0.5 + 0.4 * np.sin(t / 7.0), 0.5 + 0.4 * np.cos(t / 11.0)]) + rng.normal(
        0, 0.001, (n_time, 2)
    )
    act = rng.gamma(2.0, 2.0, (n_time, 8))
    args = dict(
        activity=act,
        activity_units="Hz",
        population=["position_encoding"] * 5 + ["memory"] * 3,
        unit_coords={
            "true_spacing": np.array([0.3, 0.4, 0.5, 0.6, 0.7, np.nan, np.nan, np.nan]),
            "layer_index": np.arange(8) % 5,
            "cell_type": np.array(["grid"] * 5 + ["place"] * 3, dtype=object),
            "is_grid": np.array([True] * 5 + [False] * 3),
        },
        head_direction=np.angle(np.exp(1j * t)),
        speed=np.abs(rng.normal(0.1, 0.02, n_time)),
        environment=np.repeat([0, 1, 0], [n_time // 3, n_time // 3, n_time - 2 * (n_time // 3)]),
        environments=[
            {"id": 0, "lattice": "square", "size": 10, "walls": [0, 1]},
            {"id": 1, "lattice": "hexagonal", "size": 12, "walls": [2]},
        ],
        source="model",
        attrs={"model": "tem", "seed": seed, "config_json": '{"n_g": [30, 30], "lr": 0.001}'},
    )
    args.update(overrides)
    return make_session(t, pos, **args)


@pytest.fixture
def make_model_session():
    return model_session
