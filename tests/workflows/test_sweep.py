"""Training sweeps: configs x seeds, each run its own folder, finished runs skipped."""

from __future__ import annotations

import json

import pytest

from hippocore.cli import main
from hippocore.workflows import train_sweep

pytest.importorskip("torch")

TINY_TOML = """\
model_name = "tem-t"

[env]
widths = [4, 5]
chunks_per_env = [2, 4]

[model]
n_e = 12
n_k = 16
n_modules = 2
transition = "orthogonal"
max_phase_step = [1.4, 0.9]
fixed_phase_step = true
grid_spacing = []
memory_capacity = 80

[train]
n_steps = 10
batch_size = 2
chunk_length = 10
log_every = 5
checkpoint_every = 10
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


def test_each_seed_its_own_folder_and_a_rerun_skips_finished_runs(tiny, tmp_path):
    out = tmp_path / "sweep"
    runs = train_sweep([tiny], seeds=[0, 1], out=out, progress=False)
    assert [r.status for r in runs] == ["trained", "trained"]
    assert [r.folder for r in runs] == [str(out / "tiny-seed0"), str(out / "tiny-seed1")]
    record = json.loads((out / "tiny-seed1" / "finished.json").read_text())
    assert record["step"] == 10 and record["config"]["train"]["seed"] == 1
    assert runs[0].metrics["loss"] != runs[1].metrics["loss"]  # the seeds differ
    again = train_sweep([tiny], seeds=[0, 1, 2], out=out, progress=False)
    assert [r.status for r in again] == ["skipped", "skipped", "trained"]
    assert again[0].metrics == runs[0].metrics
    longer = train_sweep([tiny], seeds=[0], out=out, steps=15, progress=False)
    assert longer[0].status == "trained" and longer[0].step == 15  # resumed, not skipped


def test_an_invalid_config_fails_before_training_and_the_cli_runs_a_sweep(tiny, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('model_name = "tem-t"\n[train]\nn_steps = -3\n')
    with pytest.raises(ValueError):  # invalid configs fail before anything trains
        train_sweep([tiny, bad], seeds=[0], out=tmp_path / "s", progress=False)
    code = main(["train", str(tiny), "--seeds", "3", "--out", str(tmp_path / "s"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "1 of 1 run(s) finished" in out and "tiny-seed3" in out


def test_sweep_on_two_dask_workers_equals_in_process(tiny, tmp_path):
    pytest.importorskip("distributed")
    here = train_sweep([tiny], seeds=[4, 5], out=tmp_path / "a", progress=False)
    dask = train_sweep([tiny], seeds=[4, 5], out=tmp_path / "b", n_jobs=2, progress=False)
    assert [r.status for r in dask] == ["trained", "trained"]
    assert [r.metrics["loss"] for r in dask] == [r.metrics["loss"] for r in here]
