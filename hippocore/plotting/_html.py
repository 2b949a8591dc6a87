"""Small HTML builders for the report: every text escaped, nothing loaded from elsewhere."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["esc", "number_text", "kv_table", "units_table", "select", "page", "Column"]

Column = tuple[str, str]  # (name, "num" or "text")


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(value), quote=True)


def _float(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return None


def number_text(value: Any) -> str:
    """Display text of a table value: 3 significant digits for floats, "n/a" for NaN."""
    v = _float(value)
    if v is None:
        return str(value)
    if not math.isfinite(v):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if float(v).is_integer() and abs(v) < 1e9:
        return str(int(v))
    return f"{v:.3g}"


def _attr_value(value: Any) -> str:
    v = _float(value)
    if v is None:
        return str(value)
    return repr(v) if math.isfinite(v) else ""


def kv_table(pairs: Mapping[str, Any] | Iterable[tuple[str, Any]], *, cls: str = "kv") -> str:
    """A two-column key/value table; long values fold into a ``<details>``."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    body = []
    for key, value in items:
        text = str(value)
        if len(text) > 160:
            shown = f"<details><summary>{esc(text[:80])}…</summary><pre>{esc(text)}</pre></details>"
        else:
            shown = esc(text)
        body.append(f"<tr><td>{esc(key)}</td><td>{shown}</td></tr>")
    return f'<table class="{esc(cls)}"><tbody>{"".join(body)}</tbody></table>'


def units_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """The sortable per-unit table (id ``units``): ``td`` carry ``data-col`` and ``data-v``.

    Parameters
    ----------
    rows : sequence of mapping
        One mapping per unit, with an ``_id`` (the row's element id) and a value per column.
    columns : sequence of (name, "num" | "text")
        Column names and how they sort.

    Returns
    -------
    str
    """
    head = "".join(
        f'<th data-col="{esc(c)}" data-type="{t}" class="{"num" if t == "num" else "text"}">'
        f"{esc(c)}</th>"
        for c, t in columns
    )
    out = []
    for k, row in enumerate(rows):
        cells = []
        for c, t in columns:
            v = row.get(c, "")
            nan = t == "num" and _attr_value(v) == ""
            cls = "num" if t == "num" else "text"
            cells.append(
                f'<td data-col="{esc(c)}" data-v="{esc(_attr_value(v))}" '
                f'class="{cls}{" nan" if nan else ""}">{esc(number_text(v))}</td>'
            )
        out.append(f'<tr id="{esc(row["_id"])}" data-order="{k}">{"".join(cells)}</tr>')
    return f'<table id="units"><thead><tr>{head}</tr></thead><tbody>{"".join(out)}</tbody></table>'


def select(name: str, label: str, values: Iterable[str]) -> str:
    """A ``<select id="filter-<name>">`` with an empty "all" option and one per value."""
    opts = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    return (
        f'<label>{esc(label)} <select id="filter-{esc(name)}">'
        f'<option value="">all</option>{opts}</select></label>'
    )


def _asset(name: str) -> str:
    return resources.files("hippocore.plotting").joinpath(name).read_text(encoding="utf-8")


def page(title: str, body: str) -> str:
    """A complete HTML document with the report's CSS and script inline."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_asset('_report.css')}</style></head>"
        f"<body>{body}<script>{_asset('_report.js')}</script></body></html>\n"
    )
