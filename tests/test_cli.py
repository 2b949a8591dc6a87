from hippocore.cli import main


def test_demo_runs_and_prints_a_unit_table(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "read back identical: True" in out
    assert out.count("grid") >= 4
    assert (tmp_path / "out" / "synthetic_session.nc").exists()
