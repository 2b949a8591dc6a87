"""The HTML report: content, self-containment, escaping, given scores, atomic writing."""

import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import hippocore.analysis as ha  # noqa: E402
from hippocore.plotting import ReportItem, auto_bin_size, write_report  # noqa: E402

FAST = {"n_shuffles": 5, "seed": 0}


@pytest.fixture(scope="module")
def scored(lab_session, model_session):
    """Scores of both sessions, computed once (few shuffles) and given to the reports."""
    return {
        "lab": ha.ds.classify(lab_session, bin_size=0.05, n_shuffles=5, seed=0),
        "model": ha.ds.classify(
            model_session, bin_size=0.1, variable="activity", n_shuffles=5, seed=0
        ),
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory, lab_session, model_session, scored):
    out = tmp_path_factory.mktemp("report") / "report.html"
    items = {
        "lab cells": (lab_session, scored["lab"]),
        "model units": (model_session, scored["model"]),
    }
    write_report(items, out, title="lab & model", max_gallery=4)
    return out.read_text(encoding="utf-8")


def test_table_lists_every_unit_of_every_item_with_source(report, scored, parse_page):
    page = parse_page(report)
    n_lab, n_model = scored["lab"].sizes["unit"], scored["model"].sizes["unit"]
    assert len(page.rows) == n_lab + n_model
    sources = [r["v"]["source"] for r in page.rows]
    assert sources == ["synthetic"] * n_lab + ["model"] * n_model
    assert [r["v"]["item"] for r in page.rows] == ["lab cells"] * n_lab + ["model units"] * n_model
    for name, rows in (("lab", page.rows[:n_lab]), ("model", page.rows[n_lab:])):
        sc = scored[name]
        for col in ("gridness", "gridness_p95", "gridness_p99", "gridness_n_finite", "border"):
            drawn = np.array([float(r["v"][col]) if r["v"][col] else np.nan for r in rows])
            np.testing.assert_array_equal(drawn, sc[col].values)
        assert [r["v"]["label"] for r in rows] == sc["label"].values.tolist()
    # galleries: max_gallery cards per session, sorted by gridness, linked to their rows
    ids = {r["id"] for r in page.rows}
    assert len(page.cards) == 4 + 4 and all(c["row"] in ids for c in page.cards)
    g = scored["lab"]["gridness"].values
    first = [int(c["row"].rsplit("-", 1)[1]) for c in page.cards[:4]]
    assert first == ha_order(g)[:4]


def ha_order(values):
    v = np.asarray(values, float)
    return np.argsort(np.where(np.isnan(v), np.inf, -v), kind="stable").tolist()


def test_report_is_self_contained(report):
    assert report.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?:", report), "no URL of any kind"
    refs = re.findall(r"""(?:src|href|action|poster|data)\s*=\s*["']([^"']*)""", report)
    assert refs, "the report has images and links"
    external = [
        r for r in refs if not (r.startswith("data:image/png;base64,") or r.startswith("#"))
    ]
    assert not external
    assert not re.search(r"url\(|@import|<link|<iframe|fetch\(|XMLHttpRequest", report)
    assert report.count("<script>") == 1 and "<script src" not in report


def test_report_has_parameters_provenance_versions_and_figures(report, parse_page):
    import matplotlib
    import numpy

    for text in ("Parameters", "Provenance", "lattice-controls", "shuffle_n_shuffles",
                 "Gridness by item", f"<td>numpy</td><td>{numpy.__version__}</td>",
                 f"<td>matplotlib</td><td>{matplotlib.__version__}</td>"):  # fmt: skip
        assert text in report, text
    images = parse_page(report).images
    assert len(images) >= 8 + 2 + 1  # cards, histograms per session, the comparison
    assert all(src.startswith("data:image/png;base64,iVBOR") for src in images)


def test_text_is_escaped(tmp_path, model_session, scored):
    evil = '<script>alert("x")</script>'
    ses = model_session.assign_attrs(comment=evil)
    out = write_report(
        {"<b>name</b>": (ses, scored["model"])}, tmp_path / "r.html", title="a <i>title</i>",
        max_gallery=1,
    )  # fmt: skip
    text = out.read_text()
    assert evil not in text and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "<b>name</b>" not in text and "&lt;b&gt;name&lt;/b&gt;" in text
    assert "<i>title</i>" not in text and text.count("<script>") == 1


def test_sessions_are_scored_with_ds_classify_and_its_options(tmp_path, lab_session, monkeypatch):
    calls = []
    original = ha.ds.classify

    def spy(session, **kw):
        calls.append(kw)
        return original(session, **{**kw, "n_shuffles": 3})

    monkeypatch.setattr(ha.ds, "classify", spy)
    write_report([lab_session], tmp_path / "a.html", max_gallery=0)
    assert calls[-1]["n_shuffles"] == 100 and calls[-1]["seed"] == 0  # the defaults
    assert calls[-1]["bin_size"] == auto_bin_size(lab_session) and calls[-1]["variable"] == "spikes"
    write_report(ReportItem(session=lab_session, bin_size=0.1), tmp_path / "b.html",
                 n_shuffles=7, seed=3, max_gallery=0)  # fmt: skip
    assert (calls[-1]["n_shuffles"], calls[-1]["seed"], calls[-1]["bin_size"]) == (7, 3, 0.1)


def test_auto_bin_size(lab_session, model_session):
    assert auto_bin_size(model_session) == 0.1  # the lattice spacing
    assert auto_bin_size(lab_session) == pytest.approx(0.025, rel=0.1)  # 1 m box / 40


def test_training_run_section(tmp_path, run_folder, parse_page):
    out = write_report([run_folder], tmp_path / "run.html")
    text = out.read_text()
    assert "2 metrics lines, last at step 20" in text
    assert "n_steps = 20" in text  # config.toml
    page = parse_page(text)
    assert page.rows == [] and len(page.images) == 1


def test_given_scores_are_not_recomputed(tmp_path, model_session, scored, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("ha.ds.classify called although scores were given")

    monkeypatch.setattr(ha.ds, "classify", boom)
    write_report([(model_session, scored["model"])], tmp_path / "r.html", max_gallery=0)


def test_existing_file_is_kept_and_a_failed_write_leaves_nothing(
    tmp_path, model_session, scored, monkeypatch
):
    out = tmp_path / "r.html"
    out.write_text("old")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_report([(model_session, scored["model"])], out)
    assert out.read_text() == "old"

    import hippocore.plotting._report as rep

    def broken(title, body):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the page is assembled

    monkeypatch.setattr(rep, "page", broken)
    new = tmp_path / "new.html"
    with pytest.raises(KeyboardInterrupt):
        write_report([(model_session, scored["model"])], new, max_gallery=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


@pytest.mark.parametrize(
    ("items", "error", "fragment"),
    [
        ([42], TypeError, r"items\[0\] must be a session dataset"),
        ([], ValueError, "items is empty"),
        (["no-such-run"], ValueError, "is not a training run folder"),
    ],
)
def test_bad_items(tmp_path, items, error, fragment):
    with pytest.raises(error, match=fragment):
        write_report(items, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_bad_options(tmp_path, model_session):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report([model_session], tmp_path / "missing" / "r.html")
    with pytest.raises(ValueError, match="n_shuffles must be a positive integer"):
        write_report([model_session], tmp_path / "r.html", n_shuffles=0)
    with pytest.raises(ValueError, match="different units"):
        write_report([(model_session, model_session.isel(unit=[0]))], tmp_path / "r.html")


def test_negative_model_activity_is_rectified_shifted_or_refused(
    tmp_path, model_session, monkeypatch
):
    ses = model_session.assign(activity=model_session["activity"] - 0.5)  # a.u., partly < 0
    seen = []
    original = ha.ds.classify

    def spy(session, **kw):
        seen.append(session["activity"].values)
        return original(session, **{**kw, "n_shuffles": 2})

    monkeypatch.setattr(ha.ds, "classify", spy)
    text = write_report([ses], tmp_path / "a.html", max_gallery=0).read_text()
    np.testing.assert_array_equal(seen[-1], np.maximum(ses["activity"].values, 0))
    assert "rectified: max(activity, 0)" in text
    write_report([ses], tmp_path / "b.html", max_gallery=0, negative="shift")
    low = ses["activity"].values.min(axis=0)
    np.testing.assert_allclose(seen[-1], ses["activity"].values - np.minimum(low, 0))
    with pytest.raises(ValueError, match="negative activity"):
        write_report([ses], tmp_path / "c.html", negative="error")
    with pytest.raises(ValueError, match="negative must be one of"):
        write_report([ses], tmp_path / "c.html", negative="clip")
