import re

import numpy as np
import pytest

from hippocore.cli import main
from hippocore.io import open_dataset


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the README's main job once (``hippocore demo``) and keep its output."""
    out = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["demo", "--out", str(out)]) == 0
    return out, buffer.getvalue()


def test_demo_exports_nwb_and_scores_the_units(demo):
    folder, out = demo
    assert out.count("read back identical: True") >= 1
    assert out.count("grid") >= 4
    assert (folder / "synthetic_session.nwb").exists()
    scores = open_dataset(folder / "synthetic_scores.nc")
    assert scores.sizes["unit"] == 10  # every unit was scored
    g = scores["gridness"].values
    # The demo's synthetic grid cells (units 1-3, spacing 0.4-0.6 m) score as grid cells and
    # the place and band cells do not.
    assert np.all(g[1:4] > 0.8)
    assert np.all(g[4:8] < 0.3)
    labels = scores["label"].values
    assert list(labels[1:6]) == ["grid", "grid", "grid", "band", "band"]
    assert list(labels[8:]) == ["none", "none"]


def test_demo_model_part_meets_the_learning_criterion_and_exports(demo):
    pytest.importorskip("torch")
    folder, out = demo
    revisit = float(re.search(r"revisit accuracy ([0-9.]+)", out).group(1))
    zero_shot = float(re.search(r"zero-shot link inference ([0-9.]+)", out).group(1))
    assert revisit >= 0.95 and zero_shot >= 0.90
    assert (folder / "tem-t_rollout.nwb").exists()
    assert out.count("read back identical: True") == 2


# --- the file-level commands: score, convert, export, zoo list, train, --help ---------------


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    from hippocore.io import to_netcdf
    from hippocore.testing import synthetic_recording

    folder = tmp_path_factory.mktemp("cli_sessions")
    for seed in (0, 1):
        rec = synthetic_recording(60.0, n_grid=1, n_band=1, n_place=1, n_uniform=0, seed=seed)
        to_netcdf(rec, folder / f"s{seed}.nc")
    return folder


def _commands():
    import argparse

    from hippocore.cli import build_parser

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield (*prefix, name), sub
                    yield from walk(sub, (*prefix, name))

    return list(walk(build_parser(), ()))


def test_every_command_help_ends_with_a_copy_paste_example(capsys):
    commands = _commands()
    names = {" ".join(c) for c, _ in commands}
    assert {"score", "convert", "export", "train", "zoo", "zoo list", "inspect", "demo"} <= names
    for cmd, _ in commands:
        with pytest.raises(SystemExit) as exit_:
            main([*cmd, "--help"])
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        example = text[text.rindex("example") :]
        assert re.search(rf"^\s+hippocore {' '.join(cmd)}\b", example, re.M), cmd
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "hippocore score" in capsys.readouterr().out


def test_score_writes_one_row_per_unit_and_reruns_from_the_cache(sessions, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    argv = ["score", str(sessions), "-o", str(out), "--shuffles", "5", "--bin-size", "0.05"]
    code, text, err = _run([*argv, "--quiet"], capsys)
    assert code == 0, err
    import pandas as pd

    table = pd.read_csv(out)
    assert len(table) == 6 and {"file", "unit", "gridness_p95", "label"} <= set(table.columns)
    assert "scored 6 unit(s) from 2 of 2 file(s)" in text
    assert sorted(p.suffix for p in (tmp_path / "scores.parts").iterdir()) == [".pkl", ".pkl"]
    code, text, err = _run([*argv, "--quiet", "--overwrite"], capsys)
    assert code == 0 and "(2 chunk(s) from the cache)" in text
    assert pd.read_csv(out).equals(table)


def test_score_reports_bad_files_and_exits_1(sessions, tmp_path, capsys):
    (tmp_path / "broken.nwb").write_text("no")
    out = tmp_path / "s.json"
    code, text, _ = _run(
        ["score", str(sessions / "s0.nc"), str(tmp_path / "broken.nwb"), "-o", str(out),
         "--shuffles", "3", "--quiet", "--no-cache"],
        capsys,
    )  # fmt: skip
    assert code == 1
    assert "1 file(s) failed and were skipped" in text and "broken.nwb" in text
    assert out.exists() and not (tmp_path / "s.parts").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "OUT/s.xlsx"], "unknown extension '.xlsx'"),
        (["-o", "OUT/s.parquet"], "pip install hippocore[parquet]"),
        (["-o", "OUT/s.csv", "--n-jobs", "2"], "pip install hippocore[dask]"),
        (["-o", "OUT/s.csv", "--bin-size", "-1"], "bin_size must be a positive"),
    ],
)
def test_score_errors_are_one_line_with_the_fix(sessions, tmp_path, capsys, monkeypatch, extra,
                                                message):  # fmt: skip
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    argv = ["score", str(sessions), *[a.replace("OUT", str(tmp_path)) for a in extra], "--quiet"]
    code, text, err = _run(argv, capsys)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises((ValueError, ImportError)):
        main([*argv, "--debug"])


def test_ctrl_c_leaves_no_output_and_the_rerun_continues(sessions, tmp_path, capsys, monkeypatch):
    from hippocore.workflows import _score

    real, calls = _score.score_chunk, []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_score, "score_chunk", interrupt_second)
    out = tmp_path / "scores.nc"
    argv = ["score", str(sessions), "-o", str(out), "--shuffles", "3", "--quiet"]
    code, _, err = _run(argv, capsys)
    assert code == 130 and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parts"]
    monkeypatch.setattr(_score, "score_chunk", real)
    code, text, _ = _run(argv, capsys)
    assert code == 0 and "(1 chunk(s) from the cache)" in text and out.exists()


@pytest.mark.realdata
def test_convert_then_score_the_sargolini_sessions(sargolini_dir, tmp_path, capsys):
    code, text, _ = _run(["convert", str(sargolini_dir), "-o", str(tmp_path / "nwb"), "--quiet"],
                         capsys)  # fmt: skip
    assert code == 0 and "converted 2 of 2 file(s)" in text
    assert sorted(p.name for p in (tmp_path / "nwb").iterdir()) == [
        "10073-17010302.nwb", "11207-21060501+02_t6c1.nwb",
    ]  # fmt: skip
    out = tmp_path / "scores.csv"
    code, text, _ = _run(
        ["score", str(tmp_path / "nwb"), "-o", str(out), "--shuffles", "10", "--quiet",
         "--limits", "-0.5", "0.5", "-0.5", "0.5"], capsys,
    )  # fmt: skip
    assert code == 0, text
    import pandas as pd

    t = pd.read_csv(out)
    assert len(t) == 9 and set(t["session"].astype(str)) == {"17010302", "21060501+02"}
    # T2C1 and T3C1 of 10073-17010302 are grid cells of the paper's figures: strongly gridded.
    g = t.set_index("unit")["gridness"]
    assert g["T2C1"] > 0.5 and g["T3C1"] > 0.5
    code, text, _ = _run(["convert", str(sargolini_dir), "-o", str(tmp_path / "nwb"), "--quiet"],
                         capsys)  # fmt: skip
    assert code == 1 and "already exists" in text


def test_convert_reports_files_it_cannot_convert(sessions, tmp_path, capsys):
    (tmp_path / "x.mat").write_text("not matlab")
    code, text, _ = _run(
        ["convert", str(sessions / "s0.nc"), str(tmp_path / "x.mat"), "-o", str(tmp_path / "o"),
         "--quiet"], capsys,
    )  # fmt: skip
    assert code == 1 and "converted 1 of 2" in text and "x.mat" in text
    assert (tmp_path / "o" / "s0.nwb").exists()


def test_zoo_list_names_models_and_checkpoints(capsys):
    pytest.importorskip("torch")
    code, text, _ = _run(["zoo", "list"], capsys)
    assert code == 0
    assert re.search(r"registered models: .*tem-t", text)
    from hippocore.zoo import pretrained

    steps = pretrained("tem-t").trained_steps
    assert re.search(rf"^\s+tem-t\s+tem-t model, {steps} training steps", text, re.M)
    assert re.search(r"^\s+tem-t-v1\s+.*one module", text, re.M)


def test_export_a_pretrained_model_and_score_its_units(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "tem.nc"
    code, text, err = _run(
        ["export", "pretrained:tem-t", "--world", "hexagonal:5", "--steps", "450", "-o",
         str(out)], capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "walked 450 steps" in text and out.exists()
    scores = tmp_path / "tem.csv"
    argv = ["score", str(out), "-o", str(scores), "--bin-size", "0.1", "--shuffles", "3",
            "--population", "position_encoding", "--quiet"]  # fmt: skip
    code, text, _ = _run(argv, capsys)
    assert code == 1 and "negative" in text and "--negative-activity rectify" in text
    code, text, _ = _run([*argv, "--negative-activity", "rectify", "--overwrite"], capsys)
    assert code == 0, text
    import pandas as pd

    t = pd.read_csv(scores)
    assert (t["population"] == "position_encoding").all() and (t["variable"] == "activity").all()
    assert (t["source"] == "model").all() and len(t) > 10


def test_export_and_train_bad_input(tmp_path, capsys):
    code, _, err = _run(["export", "pretrained:tem-t", "--world", "hex", "-o", "x.nwb"], capsys)
    assert code == 2 and "expected KIND:WIDTH" in err
    code, _, err = _run(["export", str(tmp_path / "none.pt"), "-o", str(tmp_path / "x.csv")],
                        capsys)  # fmt: skip
    assert code == 2 and "unknown extension '.csv'" in err
    code, _, err = _run(["train", "a.toml", "--config", "b.toml"], capsys)
    assert code == 2 and "positionally or with --config" in err
