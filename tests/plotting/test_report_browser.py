"""The report in a real browser: headless Chromium renders it, runs its script and sorts.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it when
missing); skipped with the reason when it is absent. Each Chromium run gets its own empty
profile and no network features, so nothing outside the file can be loaded or cached.
"""

import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import hippocore.analysis as ha  # noqa: E402
from hippocore.plotting import auto_bin_size, write_report  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found: install Debian's chromium (apt-get install -y "
    "chromium) to render the report in a browser",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium(tmp_path, url, *args):
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    res = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory, lab_session, model_session):
    """A lab session and a model-like session, scored by the report (few shuffles)."""
    out = tmp_path_factory.mktemp("browser") / "report.html"
    write_report({"lab": lab_session, "model": model_session}, out, n_shuffles=5, seed=0)
    scores = [
        ha.ds.classify(lab_session, bin_size=auto_bin_size(lab_session), n_shuffles=5, seed=0),
        ha.ds.classify(
            model_session,
            bin_size=auto_bin_size(model_session),
            variable="activity",
            n_shuffles=5,
            seed=0,
        ),
    ]  # what the report computed: its default bins, the same shuffles and seed
    return out, scores


def _expected(scores, col, descending):
    """Row ids in the order the table must show: sorted by ``col``, missing values last."""
    ids, keys = [], []
    for k, sc in enumerate(scores):
        ids += [f"row-{k}-{u}" for u in range(sc.sizes["unit"])]
        keys.append(sc[col].values.astype(float))
    key = np.concatenate(keys)
    v = -key if descending else key
    return [ids[i] for i in np.argsort(np.where(np.isnan(key), np.inf, v), kind="stable")]


def test_screenshot_shows_the_page_and_its_gallery(tmp_path, report):
    from matplotlib.image import imread

    out, _ = report
    shot = tmp_path / "shot.png"
    chromium(tmp_path, out.as_uri(), "--window-size=1200,2000", f"--screenshot={shot}")
    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2000, 1200)
    ink = (img.min(axis=2) < 0.9).mean()
    assert ink > 0.05, f"the page is (nearly) blank: {ink:.1%} non-white pixels"
    # the gallery's rate maps and autocorrelograms (jet colours): saturated pixels, which
    # the text and table alone do not have
    saturation = img.max(axis=2) - img.min(axis=2)
    colour = (saturation > 0.5).mean()
    assert colour > 0.02, f"no gallery drawn: {colour:.2%} saturated pixels"


def test_script_runs_and_table_and_gallery_are_in_the_dom(tmp_path, report, parse_page):
    out, scores = report
    dom = chromium(tmp_path, out.as_uri(), "--dump-dom")
    assert 'data-ready="1"' in dom  # the report's script ran to the end
    page = parse_page(dom)
    n = sum(sc.sizes["unit"] for sc in scores)
    assert len(page.rows) == n and not any(r["hidden"] for r in page.rows)
    assert len(page.cards) == n
    assert f"{n} of {n} units" in dom


@pytest.mark.parametrize(("col", "direction"), [("gridness", "desc"), ("border", "asc")])
def test_table_sorts_from_the_address(tmp_path, report, parse_page, col, direction):
    out, scores = report
    dom = chromium(tmp_path, f"{out.as_uri()}#sort={col}:{direction}", "--dump-dom")
    page = parse_page(dom)
    got = [r["id"] for r in page.rows]
    assert got == _expected(scores, col, direction == "desc")
    assert got != sorted(got, key=lambda s: tuple(map(int, s.split("-")[1:])))  # order changed
    # each gallery follows the table's order
    rank = {rid: i for i, rid in enumerate(got)}
    for k in range(2):
        cards = [c["row"] for c in page.cards if c["row"].startswith(f"row-{k}-")]
        assert cards == sorted(cards, key=rank.__getitem__)
    assert f'data-col="{col}" data-type="num" class="num" data-dir="{direction}"' in dom


def test_table_filters_from_the_address(tmp_path, report, parse_page):
    out, scores = report
    dom = chromium(tmp_path, f"{out.as_uri()}#source=model", "--dump-dom")
    page = parse_page(dom)
    shown = [r["id"] for r in page.rows if not r["hidden"]]
    assert shown == [f"row-1-{u}" for u in range(scores[1].sizes["unit"])]
    assert all(c["hidden"] == c["row"].startswith("row-0-") for c in page.cards)
