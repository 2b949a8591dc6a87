"""Fixtures of the report tests: a lab-like recording, a model-like lattice session, a run."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from hippocore.envs import make_world, random_walk
from hippocore.schema import make_session
from hippocore.testing import lattice_controls, synthetic_recording


@pytest.fixture(scope="session")
def lab_session():
    """4 min synthetic recording: 2 grid, 1 band, 1 place, 1 untuned cell with spikes."""
    return synthetic_recording(240.0, n_grid=2, n_band=1, n_place=1, n_uniform=1, seed=0)


@pytest.fixture(scope="session")
def model_session():
    """Lattice activity like a model rollout: grid, band and noise patterns on a hex world."""
    n_steps = 1200
    world = make_world("hexagonal", 11)
    walk = random_walk(world, n_steps - 1, seed=0)
    act = np.concatenate(
        [lattice_controls(world, k, 2, seed=1).activity for k in ("grid", "band", "noise")],
        axis=1,
    )  # (n_nodes, 6 units)
    return make_session(
        np.arange(n_steps) * 0.1,
        world.coords[walk.nodes],
        activity=act[walk.nodes],
        unit=[f"m{u}" for u in range(act.shape[1])],
        population="position_encoding",
        environment=np.zeros(n_steps, dtype=np.int64),
        environments=[{"id": 0, **world.describe()}],
        source="model",
        attrs={"model": "lattice-controls", "seed": 1, "config_json": json.dumps({"width": 11})},
    )


@pytest.fixture
def run_folder(tmp_path):
    """A training run folder with two metrics lines (as hippocore.zoo.train writes)."""
    path = tmp_path / "run"
    lines = [
        {"step": 10, "loss": 2.0, "revisit_accuracy": 0.2, "zero_shot_accuracy": None},
        {"step": 20, "loss": 1.2, "revisit_accuracy": 0.6, "zero_shot_accuracy": 0.3,
         "grid_fraction": 0.4, "grid_shuffle_fraction": 0.05},
    ]  # fmt: skip
    path.mkdir(parents=True, exist_ok=True)
    (path / "metrics.jsonl").write_text("".join(json.dumps(ln) + "\n" for ln in lines))
    (path / "config.toml").write_text('model_name = "tem-t"\n[train]\nn_steps = 20\n')
    return path


class _Page(HTMLParser):
    """Rows of the units table (id, style, {col: data-v}) and the gallery cards, in DOM order."""

    def __init__(self):
        super().__init__()
        self.rows, self.cards, self.images = [], [], []
        self._row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("id", "").startswith("row-"):
            self._row = {"id": a["id"], "hidden": "none" in a.get("style", ""), "v": {}}
            self.rows.append(self._row)
        elif tag == "td" and self._row is not None and "data-col" in a:
            self._row["v"][a["data-col"]] = a.get("data-v", "")
        elif tag == "figure" and "card" in a.get("class", ""):
            self.cards.append({"row": a["data-row"], "hidden": "none" in a.get("style", "")})
        elif tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None


@pytest.fixture(scope="session")
def parse_page():
    """``parse_page(html) -> parser`` with ``.rows``, ``.cards`` and ``.images``."""

    def parse(text):
        p = _Page()
        p.feed(text)
        return p

    return parse
