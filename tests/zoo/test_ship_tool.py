"""The release tool that ships a run as ``pretrained(NAME)`` (tools/ship_pretrained.py).

What it checks before it writes (the run's model and config), what the card says about the
learning criterion (from the run's own metrics, up to the checkpoint's step), and that the
shipped weights are the run's. Its evaluations and grid test call ``evaluate`` and
``grid_summary``, which have their own tests; here they are replaced by stubs that record
their call, so the tool runs in a second.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hippocore.zoo import TEMTConfig, get_model, load_checkpoint, save_checkpoint  # noqa: E402

TOOL = Path(__file__).resolve().parents[2] / "tools" / "ship_pretrained.py"


@pytest.fixture
def ship(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("ship_pretrained", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "DEST", tmp_path / "pretrained")
    calls = []
    monkeypatch.setattr(mod, "_evaluations", lambda model, cfg: calls.append("eval") or {})
    monkeypatch.setattr(mod, "_grid_units", lambda model: calls.append("grid") or {})
    fresh = {"met_on_every_seed": False}
    monkeypatch.setattr(mod, "_criterion_fresh", lambda model, cfg, name: dict(fresh))
    mod.calls, mod.fresh = calls, fresh
    return mod


def _row(step: int, revisit: float, zero_shot: float) -> dict:
    return {
        "step": step,
        "wall_time_s": 6.0 * step,
        "revisit_accuracy": revisit,
        "zero_shot_accuracy": zero_shot,
    }


def _run(folder: Path, cfg: TEMTConfig, step: int, rows: list[dict]) -> tuple[Path, dict]:
    folder.mkdir()
    torch.manual_seed(0)
    model = get_model("tem-t", cfg)
    save_checkpoint(folder / "checkpoint.pt", model, step=step)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder, {k: v.clone() for k, v in model.state_dict().items()}


def test_first_hit_is_the_first_row_meeting_both_criteria(ship):
    rows = [_row(100, 0.96, 0.5), _row(200, 0.9, 0.95), _row(300, 0.96, 0.91), _row(400, 1, 1)]
    assert ship._first_hit(rows, "tem-t") == {"step": 300, "wall_time_min": 30.0}
    assert ship._first_hit(rows[:2], "tem-t") is None
    assert ship._first_hit([_row(5, 0.0, 0.8)], "tem") == {"step": 5, "wall_time_min": 0.5}


def test_ships_the_runs_weights_and_a_card_that_reads_the_runs_metrics(ship, tmp_path):
    # A row after the checkpoint's step meets the criterion: the card must not count it.
    rows = [_row(100, 0.5, 0.3), _row(200, 0.97, 0.92), _row(300, 0.99, 0.99)]
    run, weights = _run(tmp_path / "run", TEMTConfig(), 250, rows)
    ship.main(str(run), "python -m hippocore train", "tem-t")
    card = json.loads((ship.DEST / "tem-t.json").read_text())
    assert card["model"] == "tem-t" and card["step"] == 250
    assert card["criterion_first_met"] == {"step": 200, "wall_time_min": 20.0}
    assert card["status"] == "met the learning criterion"
    assert card["final_training_window"]["step"] == 200
    assert ship.calls == ["eval", "grid"]
    shipped, _ = load_checkpoint(ship.DEST / "tem-t.pt")
    assert shipped.trained_steps == 250
    for k, v in shipped.state_dict().items():
        assert torch.equal(v, weights[k]), k


def test_a_run_short_of_the_criterion_ships_as_interim(ship, tmp_path):
    run, _ = _run(tmp_path / "run", TEMTConfig(), 200, [_row(100, 0.5, 0.3), _row(200, 0.9, 0.8)])
    ship.main(str(run), "python -m hippocore train", "tem-t")
    card = json.loads((ship.DEST / "tem-t.json").read_text())
    assert card["criterion_first_met"] is None and "interim" in card["status"]


def test_met_on_fresh_worlds_only_says_so(ship, tmp_path):
    # TEM's training windows are longer walks than the card's evaluation: a run can meet the
    # criterion on fresh worlds of its training widths before its windows do, and its card
    # must say which.
    run, _ = _run(tmp_path / "run", TEMTConfig(), 200, [_row(100, 0.5, 0.3), _row(200, 0.9, 0.8)])
    ship.fresh["met_on_every_seed"] = True
    ship.main(str(run), "python -m hippocore train", "tem-t")
    card = json.loads((ship.DEST / "tem-t.json").read_text())
    assert card["criterion_first_met"] is None
    assert card["status"].startswith("met the learning criterion on fresh worlds")
    assert card["criterion_on_fresh_worlds"]["met_on_every_seed"] is True


def test_fresh_world_criterion_needs_every_seed(ship, monkeypatch):
    # _criterion_fresh: met only when every evaluation seed reaches both accuracies; the
    # pooled accuracies weight each seed by its counts. evaluate is replaced by a table
    # (inside evaluate_fresh_worlds, which the tool calls).
    from types import SimpleNamespace

    import hippocore.zoo._fresh_worlds as fw

    table = dict.fromkeys(fw.EVAL_SEEDS, (0.97, 0.95, 100))
    table[2025] = (0.99, 0.89, 300)
    fake = lambda model, worlds, n, seed, n_threads=None: SimpleNamespace(  # noqa: E731
        revisit_accuracy=table[seed][0], n_revisits=200,
        zero_shot_accuracy=table[seed][1], n_zero_shot=table[seed][2],
    )  # fmt: skip
    spec = importlib.util.spec_from_file_location("ship_real", TOOL)
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    monkeypatch.setattr(fw, "evaluate", fake)
    res = real._criterion_fresh(None, TEMTConfig(), "tem-t")  # criterion 0.95 / 0.90
    assert res["met_on_every_seed"] is False
    assert res["seeds"] == list(fw.EVAL_SEEDS)
    assert res["zero_shot_accuracy_pooled"] == pytest.approx((0.95 * 400 + 0.89 * 300) / 700)
    assert res["revisit_accuracy_pooled"] == pytest.approx((0.97 * 4 + 0.99) / 5)
    table[2025] = (0.99, 0.91, 300)
    assert real._criterion_fresh(None, TEMTConfig(), "tem-t")["met_on_every_seed"] is True
    table[2025] = (0.94, 0.91, 300)  # revisit below 0.95 on one seed
    assert real._criterion_fresh(None, TEMTConfig(), "tem-t")["met_on_every_seed"] is False


def test_refuses_a_run_of_another_config_or_model(ship, tmp_path):
    base = TEMTConfig()
    changed = replace(base, train=replace(base.train, lr=2 * base.train.lr))
    run, _ = _run(tmp_path / "run", changed, 100, [_row(100, 1.0, 1.0)])
    with pytest.raises(SystemExit, match="not the default tem-t config"):
        ship.main(str(run), "python -m hippocore train", "tem-t")
    with pytest.raises(SystemExit, match="pass --model tem-t"):
        ship.main(str(run), "python -m hippocore train", "tem")
    assert not ship.DEST.exists() and ship.calls == []  # nothing written, nothing evaluated
