"""``hippocore report``: sessions and runs from paths, model units with the lattice grid test."""

from __future__ import annotations

import re

from hippocore.cli import main
from hippocore.io import to_netcdf

from .test_score_files import _lattice_session


def test_report_of_a_lattice_model_session_carries_the_lattice_grid_test(tmp_path, capsys):
    to_netcdf(_lattice_session("grid", 0), tmp_path / "grid.nc")
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "grid.nc"), "-o", str(out), "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    head = re.findall(r'data-col="([^"]+)"', html) or re.findall(r"<th[^>]*>([^<]+)</th>", html)
    assert "is_lattice_grid" in html and "lattice_gridness_p95" in html
    # the test's columns stand beside the label, before the rate-map scores
    text = " ".join(head)
    assert text.index("label") < text.index("lattice_gridness") < text.index("information_rate")
    assert "report ->" in capsys.readouterr().out


def test_report_errors_are_one_line(tmp_path, capsys):
    code = main(["report", str(tmp_path / "missing.nc"), "-o", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "missing.nc" in err
    assert not (tmp_path / "r.html").exists()
