"""The self-contained HTML report: sessions and training runs, side by side, in one file."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import secrets
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hippocore._checks import check_choice, check_positive
from hippocore.plotting._html import esc, kv_table, page, select, units_table
from hippocore.plotting._map_gallery import sort_order
from hippocore.plotting._mpl import require_matplotlib
from hippocore.plotting._report_figures import (
    compare_histogram,
    histograms,
    run_figure,
    unit_card,
)
from hippocore.plotting._report_items import ReportItem, ScoredSession, as_items, score_item
from hippocore.plotting._training import read_metrics

__all__ = ["write_report", "software_versions", "REPORT_PACKAGES"]

#: Distributions whose versions every report lists (read from metadata, never imported).
REPORT_PACKAGES = ("hippocore", "numpy", "scipy", "scikit-image", "xarray", "matplotlib",
                   "pynwb", "h5py", "torch")  # fmt: skip


def software_versions() -> dict[str, str]:
    """Python, the platform and :data:`REPORT_PACKAGES` versions ("not installed" if absent).

    Returns
    -------
    dict of str to str
    """
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in REPORT_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    from hippocore._version import __version__

    out["hippocore"] = __version__  # the code that ran, even from a source checkout
    return out


def _columns(scored: Sequence[ScoredSession]) -> list[tuple[str, str]]:
    """Table columns: identity and label, the items' extra columns, then every score.

    Extra columns (e.g. the lattice grid test) sit beside the label they qualify.
    """
    from hippocore.analysis import SCORES

    cols = [("source", "text"), ("item", "text"), ("unit", "text"), ("population", "text"),
            ("label", "text")]  # fmt: skip
    extra = [v for s in scored if s.item.extra is not None for v in s.item.extra.data_vars]
    for v in dict.fromkeys(extra):
        num = any(s.scores[v].dtype.kind in "fiu" for s in scored if v in s.scores.data_vars)
        cols.append((v, "num" if num else "text"))
    cols += [("band_label", "text"), ("n_spikes", "num")]
    have = {v for s in scored for v in s.scores.data_vars}
    for name in SCORES:
        if name in have:
            cols += [(f"{name}{suffix}", "num") for suffix in ("", "_p95", "_p99", "_n_finite")]
    return cols + [("note", "text")]


def _rows(k: int, s: ScoredSession, columns: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    sc, ses = s.scores, s.item.session
    pop = ses["population"].values if "population" in ses.coords else None
    rows = []
    for u, uid in enumerate(sc["unit"].values):
        row: dict[str, Any] = {"_id": f"row-{k}-{u}", "unit": uid, "item": s.item.name,
                               "source": ses.attrs.get("source", "")}  # fmt: skip
        row["population"] = "" if pop is None else pop[u]
        for c, _ in columns:
            if c in sc.data_vars and sc[c].dims == ("unit",):
                row[c] = sc[c].values[u]
        rows.append(row)
    return rows


def _provenance(item: ReportItem) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.path is not None:
        out["file"] = str(item.path)
    for key, value in item.session.attrs.items():
        if key == "config_json":
            try:
                value = json.dumps(json.loads(value), indent=1)
            except (TypeError, ValueError):
                pass
        out[key] = value
    out["units"] = int(item.session.sizes.get("unit", 0))
    if item.session.sizes.get("time"):
        t = item.session["time"].values
        out["duration_s"] = f"{float(t[-1] - t[0]):.1f}"
    return out


def _hd(s: ScoredSession) -> Any:
    if "head_direction" not in s.session:
        return None
    import hippocore.analysis as ha

    return ha.ds.head_direction_tuning(s.session, variable=s.variable)


def _gallery(k: int, s: ScoredSession, *, sort_by: str, max_gallery: int) -> str:
    sc = s.scores
    key = sc[sort_by].values if sort_by in sc else np.zeros(sc.sizes["unit"])
    order = sort_order(key)[:max_gallery]
    hd = _hd(s)
    cards = []
    for u in order:
        uid = sc["unit"].values[u]
        label = sc["label"].values[u] if "label" in sc else ""
        cards.append(
            f'<figure class="card" data-row="row-{k}-{u}" data-unit="{esc(uid)}">'
            f'<img alt="unit {esc(uid)}" src="{unit_card(s, int(u), hd)}">'
            f"<figcaption><b>{esc(uid)}</b> {esc(label)}</figcaption></figure>"
        )
    more = sc.sizes["unit"] - len(order)
    note = (f'<p class="note">Gallery: the first {len(order)} units by {esc(sort_by)}; '
            f"{more} more are in the table.</p>") if more > 0 else ""  # fmt: skip
    return f'{note}<div class="gallery" id="gallery-{k}">{"".join(cards)}</div>'


def _session_section(k: int, s: ScoredSession, opts: Mapping[str, Any]) -> str:
    ses = s.item.session
    source = str(ses.attrs.get("source", ""))
    params = {**({"computed by": "this report (hippocore.analysis.ds.classify)"} if s.computed else
                 {"computed by": "given with the session"}), **s.scores.attrs}  # fmt: skip
    params["rate_map_bin_size_m"] = float(s.rate_maps.attrs["bin_size"])
    if s.activity_note:
        params["activity"] = s.activity_note
    labels = s.scores["label"].values if "label" in s.scores else np.array([])
    counts = {str(v): int((labels == v).sum()) for v in sorted(set(labels.tolist()))}
    hist = histograms(s.scores, percentile=opts["percentile"])
    return (
        f'<section id="item-{k}"><h2>{esc(s.item.name)}'
        f'<span class="badge {esc(source)}">{esc(source)}</span></h2>'
        f"<p>{len(labels)} units ({s.variable}); labels: "
        f"{esc(', '.join(f'{n} {c}' for n, c in counts.items()) or 'none')}."
        + (f" Note: {esc(s.activity_note)}." if s.activity_note else "")
        + "</p>"
        f"<h3>Gallery</h3>{_gallery(k, s, sort_by=opts['sort_by'], max_gallery=opts['max_gallery'])}"
        + (
            f'<h3>Scores</h3><div class="figure"><img alt="score histograms" src="{hist}"></div>'
            if hist
            else ""
        )  # fmt: skip
        + f"<details><summary>Parameters</summary>{kv_table(params)}</details>"
        f"<details><summary>Provenance</summary>{kv_table(_provenance(s.item))}</details>"
        "</section>"
    )


def _run_section(k: int, item: ReportItem) -> str:
    run = Path(item.run)
    lines = read_metrics(run)
    config = run / "config.toml"
    files = sorted(p.name for p in run.iterdir())
    last = lines[-1] if lines else {}
    return (
        f'<section id="item-{k}"><h2>{esc(item.name)}<span class="badge model">training run'
        f"</span></h2><p>{len(lines)} metrics lines, last at step {esc(last.get('step', 'n/a'))}."
        f'</p><div class="figure"><img alt="learning curves" src="{run_figure(lines)}"></div>'
        f"<h3>Last metrics line</h3>{kv_table(last)}"
        + (
            f"<details><summary>config.toml</summary><pre>{esc(config.read_text())}</pre></details>"
            if config.is_file()
            else ""
        )  # fmt: skip
        + f"<details><summary>Provenance</summary>"
        f"{kv_table({'folder': str(run.resolve()), 'files': ', '.join(files)})}</details>"
        "</section>"
    )


def _units_section(scored: Sequence[ScoredSession], rows: list, columns: list) -> str:
    if not rows:
        return ""
    values = {c: sorted({str(r.get(c, "")) for r in rows} - {""})
              for c in ("label", "source", "item")}  # fmt: skip
    controls = (
        '<div class="controls"><label>filter <input id="filter-q" type="search" '
        'placeholder="unit, label, note…"></label>'
        f"{select('label', 'label', values['label'])}{select('source', 'source', values['source'])}"
        f"{select('item', 'item', values['item'])}"
        '<span id="count"></span></div>'
    )
    compare = ""
    sources = {}
    for s in scored:
        if "gridness" in s.scores:
            name = f"{s.item.name} ({s.item.session.attrs.get('source', '')})"
            sources[name] = s.scores["gridness"].values
    if len(sources) > 1:
        uri = compare_histogram(list(sources.items()), "gridness")
        compare = (f'<h3>Gridness by item</h3><div class="figure"><img alt="gridness by item" '
                   f'src="{uri}"></div>')  # fmt: skip
    return (
        '<section id="units-section"><h2>All units</h2><p class="note">Click a column to sort '
        "(missing values last); galleries follow the table's order and filter. The view is "
        "kept in the address (e.g. <code>#sort=gridness:desc&amp;label=grid</code>).</p>"
        f'{controls}<div class="scroll">{units_table(rows, columns)}</div>{compare}</section>'
    )


def _write_atomic(out: Path, text: str) -> None:
    """Write to a hidden part beside ``out`` (mode from the umask), then rename onto it."""
    tmp = out.parent / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_out(out: str | os.PathLike[str], overwrite: bool) -> Path:
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a file path (e.g. 'report.html'); got {out!r}.")
    path = Path(out)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")
    if path.is_dir():
        raise IsADirectoryError(
            f"out={str(path)!r} is a folder; give a file name, e.g. report.html."
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {path.parent} does not exist; create it first.")
    return path


def write_report(
    items: Any,
    out: str | os.PathLike[str],
    *,
    title: str | None = None,
    overwrite: bool = False,
    bin_size: float | None = None,
    smooth: float = 1.0,
    n_shuffles: int = 100,
    percentile: float = 95.0,
    seed: int | None = 0,
    negative: str = "rectify",
    sort_by: str = "gridness",
    max_gallery: int = 100,
    progress: bool = False,
) -> Path:
    """Write one self-contained HTML report of sessions and training runs.

    The file needs no server and loads nothing from anywhere (figures are embedded PNGs;
    the CSS and a small script are inline). It holds, per item, a section: for a session, a
    gallery (per unit: path and spikes, rate map, autocorrelogram with the gridness annulus
    and peaks, and head direction when tracked), score histograms with each unit's shuffle
    threshold, the scoring parameters and the provenance (file, recording or model
    attributes); for a training run, learning curves (and the grid-unit fraction when
    logged), the last metrics line and ``config.toml``. One table lists every unit of every
    session with ``source`` and ``item`` columns (scores, their 95th/99th shuffle
    percentiles, finite-shuffle counts, labels): click a column to sort, filter by text,
    label, source or item; the galleries follow. With two or more sessions, their gridness
    distributions are drawn on one axes (model units beside recorded cells). Software
    versions close the page.

    Parameters
    ----------
    items : Dataset, (Dataset, Dataset), path-like, ReportItem, or a sequence or mapping of these
        Sessions (schema datasets, scored here with
        :func:`hippocore.analysis.ds.classify` unless given as a ``(session, scores)``
        pair or a :class:`ReportItem` with scores), training run folders (holding
        ``metrics.jsonl``). A mapping's keys name the sections.
    out : path-like
        The HTML file to write (written to a temporary file beside it, then renamed).
    title : str, optional
        Page title; default "hippocore report: <item names>".
    overwrite : bool, default False
        Replace an existing ``out``.
    bin_size : float, optional
        Rate-map bin (m) for sessions scored here; default per session
        (:func:`~hippocore.plotting._report_items.auto_bin_size`: a model world's lattice
        spacing, else 1/40 of the arena).
    smooth : float, default 1.0
        Rate-map smoothing (bins) for sessions scored here.
    n_shuffles : int, default 100
        Shuffles per unit for sessions scored here.
    percentile : float, default 95.0
        Classification percentile and the threshold drawn in histograms.
    seed : int or None, default 0
        Shuffle seed for sessions scored here.
    negative : {"rectify", "shift", "error"}, default "rectify"
        What to do with negative activity (model units in a.u.) before scoring here: the
        rate-based scores need non-negative rates, so ``max(activity, 0)`` (as a ReLU
        firing rate), each unit minus its minimum, or an error. Said in the section when
        done; spikes and given scores are never changed.
    sort_by : str, default "gridness"
        Score the galleries are sorted by (highest first, NaN last).
    max_gallery : int, default 100
        Most units drawn per session gallery (all stay in the table).
    progress : bool, default False
        Show the scoring progress bars.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``overwrite`` is False (checked before any scoring).
    TypeError, ValueError
        For items that are not sessions, pairs, run folders or report items.
    """
    require_matplotlib()
    path = _check_out(out, overwrite)
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, int) or n_shuffles < 1:
        raise ValueError(f"n_shuffles must be a positive integer (e.g. 100); got {n_shuffles!r}.")
    if isinstance(max_gallery, bool) or not isinstance(max_gallery, int) or max_gallery < 0:
        raise ValueError(f"max_gallery must be a non-negative integer; got {max_gallery!r}.")
    if bin_size is not None:
        bin_size = check_positive(bin_size, "bin_size")
    check_choice(negative, "negative", ("rectify", "shift", "error"))
    opts = {"bin_size": bin_size, "smooth": smooth, "n_shuffles": n_shuffles, "seed": seed,
            "percentile": percentile, "progress": progress, "sort_by": sort_by,
            "max_gallery": max_gallery, "negative": negative}  # fmt: skip
    found = as_items(items)
    scored = {k: score_item(it, opts) for k, it in enumerate(found) if it.session is not None}
    columns = _columns(list(scored.values()))
    rows = [r for k, s in scored.items() for r in _rows(k, s, columns)]
    sections = [
        _session_section(k, scored[k], opts) if k in scored else _run_section(k, it)
        for k, it in enumerate(found)
    ]
    title = title or "hippocore report: " + ", ".join(it.name for it in found)
    nav = "".join(f'<a href="#item-{k}">{esc(it.name)}</a>' for k, it in enumerate(found))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"<header><h1>{esc(title)}</h1><nav>{nav}"
        + ('<a href="#units-section">all units</a>' if rows else "")
        + f'<a href="#versions">versions</a></nav><p class="note">Written {esc(stamp)} by '
        f"hippocore.plotting.write_report.</p></header><main>"
        + _units_section(list(scored.values()), rows, columns)
        + "".join(sections)
        + f'<section id="versions"><h2>Software</h2>{kv_table(software_versions())}</section>'
        "</main>"
    )
    _write_atomic(path, page(title, body))
    return path
