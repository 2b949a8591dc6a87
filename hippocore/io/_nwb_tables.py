"""Selecting rows of NWB dynamic tables (units, epochs, intervals) by id, name or column value."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Selector", "select_rows", "scalar_columns", "table_column", "intervals_json", "text"]

Selector = Sequence[str | int] | Mapping[str, Any] | None
_RAGGED_OR_REF = {"spike_times", "obs_intervals", "electrodes", "waveforms", "timeseries"}


def match(values: np.ndarray, wanted: Any) -> NDArray[np.bool_]:
    """Mask of ``values`` equal to ``wanted`` (or to any of them, for a list)."""
    if isinstance(wanted, (list, tuple, set, np.ndarray)):
        return np.isin(values.astype(object), list(wanted))
    return np.asarray([v == wanted for v in values.tolist()], dtype=bool)


def text(value: Any) -> str:
    """A table cell as ``str`` (HDF5 may give bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def table_column(table: Any, name: str) -> np.ndarray:
    """All values of a scalar column (strings as ``object``)."""
    col = table[name]
    data = col.data[:]
    if len(data) and isinstance(data[0], bytes):
        data = [d.decode() for d in data]
    return np.asarray(data, dtype=object if len(data) and isinstance(data[0], str) else None)


def scalar_columns(table: Any) -> list[str]:
    """Names of the columns with one scalar per row (not ragged, not references)."""
    from hdmf.common import DynamicTableRegion, VectorIndex

    ragged = {c.target.name for c in table.columns if isinstance(c, VectorIndex)}
    names = []
    for col in table.columns:
        if isinstance(col, (VectorIndex, DynamicTableRegion)) or col.name in _RAGGED_OR_REF:
            continue
        if col.name in ragged:
            continue
        shape = getattr(col.data, "shape", None)
        if shape is not None and len(shape) != 1:
            continue
        names.append(col.name)
    return names


def select_rows(table: Any, selector: Selector, *, what: str, by: str | None) -> NDArray[np.int64]:
    """Row indices chosen by ids/names (``by`` column, or ``tags``) or ``{column: value(s)}``.

    Raises ``ValueError`` naming ``what`` when a column is missing or nothing matches.
    """
    n = len(table)
    if selector is None:
        return np.arange(n)
    ids = np.asarray(table.id.data[:])
    if isinstance(selector, Mapping):
        keep = np.ones(n, dtype=bool)
        for column, wanted in selector.items():
            if column == "id":
                keep &= match(ids, wanted)
                continue
            if column not in table.colnames:
                raise ValueError(
                    f"{what}: no column {column!r} to select by; columns: {['id', *table.colnames]}."
                )
            keep &= match(table_column(table, column), wanted)
        rows = np.flatnonzero(keep)
    else:
        if isinstance(selector, (str, int, np.integer)):
            selector = [selector]
        labels: Any = None
        if by == "tags" and "tags" in table.colnames:
            labels = [[text(x) for x in tags] for tags in table["tags"][:]]
        elif by and by in table.colnames:
            labels = table_column(table, by)
        rows_list: list[int] = []
        missing_names: list[str] = []
        missing_ids: list[int] = []
        for item in selector:
            if isinstance(item, str):
                if labels is None:
                    hits = []
                elif by == "tags":
                    hits = [i for i, tags in enumerate(labels) if item in tags]
                else:
                    hits = [i for i, v in enumerate(labels) if v == item]
                if not hits:
                    missing_names.append(item)
            elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                hits = np.flatnonzero(ids == int(item)).tolist()
                if not hits:
                    missing_ids.append(int(item))
            else:
                raise TypeError(
                    f"{what}: select rows by name (str) or id (int); got {item!r} "
                    f"({type(item).__name__})."
                )
            rows_list.extend(hits)
        if missing_names:
            raise ValueError(_not_found(what, missing_names, labels, by, ids))
        if missing_ids:
            raise ValueError(_not_found(what, missing_ids, None, None, ids))
        rows = np.array(sorted(set(rows_list)), dtype=np.int64)
    if rows.size == 0:
        raise ValueError(f"{what}: the selection {selector!r} matches no row.")
    return rows


def _preview(values: Sequence[Any], limit: int = 20) -> str:
    """Up to ``limit`` distinct values, then how many there are in all."""
    distinct = list(dict.fromkeys(values))
    shown = ", ".join(repr(v) for v in distinct[:limit])
    more = f", ... ({len(distinct)} in all)" if len(distinct) > limit else ""
    return f"[{shown}{more}]"


def _not_found(what: str, missing: list[Any], labels: Any, by: str | None, ids: Any) -> str:
    """One line: which names/ids were not found and which exist."""
    wanted = ", ".join(repr(m) for m in missing)
    id_list = _preview([int(i) for i in ids])
    if labels is None and isinstance(missing[0], str):
        return (
            f"{what}: nothing matches {wanted}: its rows have no names ({by or 'name'} column) "
            f"to select by; select by id (available ids: {id_list}) or by column value "
            "({'column': value})."
        )
    if labels is None:
        return f"{what}: nothing matches id(s) {wanted}; available ids: {id_list}."
    names = [t for tags in labels for t in tags] if by == "tags" else [text(v) for v in labels]
    noun = "tags" if by == "tags" else "names"
    return f"{what}: nothing matches {wanted}; available {noun}: {_preview(names)}."


def intervals_json(nwbfile: Any, skip: set[str]) -> str | None:
    """Every interval table (epochs, trials, ...) as JSON rows: times, scalar columns, tags."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, table in nwbfile.intervals.items():
        if name in skip:
            continue
        cols = ["start_time", "stop_time"] + [
            c for c in scalar_columns(table) if c not in ("start_time", "stop_time")
        ]
        data = {c: table_column(table, c) for c in cols}
        if "tags" in table.colnames:
            tags = [[text(x) for x in t] for t in table["tags"][:]]
            data["tags"] = np.empty(len(tags), dtype=object)
            data["tags"][:] = tags
        rows = []
        for i in range(len(table)):
            row = {}
            for c, values in data.items():
                v = values[i]
                row[c] = v.item() if isinstance(v, np.generic) else v
            rows.append(row)
        out[name] = rows
    return json.dumps(out) if out else None
