"""What goes into a report: items (sessions, their scores, training runs), scored on demand."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hippocore.plotting._training import METRICS_FILE

__all__ = ["ReportItem", "ScoredSession", "as_items", "score_item", "auto_bin_size"]


@dataclass(frozen=True)
class ReportItem:
    """One section of a report: a session (scores optional) or a training run folder.

    Attributes
    ----------
    session : xarray.Dataset, optional
        A schema session (lab recording, synthetic data or a model rollout).
    scores : xarray.Dataset, optional
        Its scores (:func:`hippocore.analysis.ds.classify`); computed when absent.
    run : path-like, optional
        A training run folder (``metrics.jsonl``, ``config.toml``) instead of a session.
    name : str, optional
        Section title; default the file name, the session's ``session_id``/``model`` or
        "item <k>".
    path : str, optional
        The file the session was read from (shown as provenance).
    bin_size : float, optional
        Rate-map bin (m) for this session; default the report's, else :func:`auto_bin_size`.
    limits : (x_min, x_max, y_min, y_max), optional
        Arena limits (m); default the data range.
    extra : xarray.Dataset, optional
        More per-unit columns for the table, on the session's ``unit`` dimension (e.g. the
        lattice grid test of model units that ``hippocore report`` adds); merged into the
        scores.
    """

    session: xr.Dataset | None = None
    scores: xr.Dataset | None = None
    run: str | os.PathLike[str] | None = None
    name: str | None = None
    path: str | None = None
    bin_size: float | None = None
    limits: tuple[float, float, float, float] | None = None
    extra: xr.Dataset | None = None


@dataclass(frozen=True)
class ScoredSession:
    """A session item with everything the report draws from it.

    Attributes
    ----------
    item : ReportItem
        The item (with its final name).
    session : xarray.Dataset
        The session as scored (the item's, with negative activity handled as asked).
    scores : xarray.Dataset
        Scores of every unit.
    rate_maps : xarray.Dataset
        Rate maps made with the scores' own map parameters.
    variable : str
        "spikes" or "activity".
    computed : bool
        Whether the report computed the scores (False: they were given).
    activity_note : str
        What was done to negative activity ("" when nothing was).
    """

    item: ReportItem
    session: xr.Dataset
    scores: xr.Dataset
    rate_maps: xr.Dataset
    variable: str
    computed: bool
    activity_note: str = ""


def _one(value: Any, k: int, name: str | None) -> ReportItem:
    if isinstance(value, ReportItem):
        item = value
    elif isinstance(value, xr.Dataset):
        item = ReportItem(session=value)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], xr.Dataset):
        item = ReportItem(session=value[0], scores=value[1])
    elif isinstance(value, (str, os.PathLike)):
        if not (Path(value) / METRICS_FILE).is_file():
            raise ValueError(
                f"items[{k}] = {str(value)!r} is not a training run folder (no {METRICS_FILE}); "
                "read session files first (e.g. hippocore.io.read_nwb) and pass the datasets."
            )
        item = ReportItem(run=value)
    else:
        raise TypeError(
            f"items[{k}] must be a session dataset, a (session, scores) pair, a run folder or "
            f"a ReportItem; got {type(value).__name__}."
        )
    if (item.session is None) == (item.run is None):
        raise ValueError(f"items[{k}] must hold exactly one of a session and a run folder.")
    if item.session is not None and item.session.attrs.get("hippocore_kind") != "session":
        raise TypeError(f"items[{k}] is not a hippocore session (see schema.make_session).")
    if item.scores is not None and item.session is not None:
        if not np.array_equal(item.scores["unit"].values, item.session["unit"].values):
            raise ValueError(f"items[{k}]: scores and session hold different units.")
    name = name or item.name or _default_name(item, k)
    return replace(item, name=str(name))


def _default_name(item: ReportItem, k: int) -> str:
    if item.run is not None:
        return Path(item.run).name or str(item.run)
    if item.path is not None:
        return Path(item.path).name
    a = item.session.attrs
    for key in ("session_id", "model"):
        if a.get(key):
            return f"{a.get('subject_id', '')} {a[key]}".strip()
    return f"item {k}"


def as_items(items: Any) -> list[ReportItem]:
    """Items of a report from a dataset, a run folder, a sequence or a mapping name -> item.

    Parameters
    ----------
    items : Dataset, (Dataset, Dataset), path-like, ReportItem, sequence or mapping of these
        Sessions (with their scores as a pair), training run folders or ready items; a
        mapping's keys become the section names.

    Returns
    -------
    list of ReportItem
        Named, with unique names (a repeated name gets " (2)", " (3)" ...).
    """
    if isinstance(items, Mapping):
        found = [_one(v, k, str(n)) for k, (n, v) in enumerate(items.items())]
    elif isinstance(items, (xr.Dataset, ReportItem, str, os.PathLike, tuple)):
        found = [_one(items, 0, None)]
    elif isinstance(items, Sequence):
        found = [_one(v, k, None) for k, v in enumerate(items)]
    else:
        raise TypeError(f"items must be a dataset, a sequence or a mapping; got {items!r}.")
    if not found:
        raise ValueError("items is empty; pass at least one session or run folder.")
    seen: dict[str, int] = {}
    out = []
    for item in found:
        seen[item.name] = seen.get(item.name, 0) + 1
        name = item.name if seen[item.name] == 1 else f"{item.name} ({seen[item.name]})"
        out.append(replace(item, name=name))
    return out


def auto_bin_size(session: xr.Dataset) -> float:
    """A rate-map bin for a session: its lattice spacing, else 1/40 of the arena's side.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session.

    Returns
    -------
    float
        Bin side (m): the ``spacing_m`` of a lattice world described in
        ``environments_json`` (model rollouts), else the longer side of the visited range
        over 40 to two significant digits (1 m box -> 0.025 m, BNT's usual 2.5 cm).
    """
    for env in json.loads(session.attrs.get("environments_json", "[]") or "[]"):
        if isinstance(env, dict) and env.get("spacing_m"):
            return float(env["spacing_m"])
    pos = session["position"].values
    side = float(np.nanmax(np.ptp(pos, axis=0))) if pos.size else 0.0
    if not side > 0:
        raise ValueError("the session's positions do not span an area; pass bin_size=.")
    raw = side / 40
    return round(raw, 1 - int(math.floor(math.log10(raw))))


def _non_negative(session: xr.Dataset, how: str) -> tuple[xr.Dataset, str]:
    """The session with negative activity rectified or shifted (per unit), and a note."""
    act = session["activity"]
    low = act.min("time")
    if not bool((low < 0).any()):
        return session, ""
    n = int((low < 0).sum())
    if how == "error":
        raise ValueError(
            f"{n} unit(s) of this session have negative activity, which the rate-based scores "
            "cannot use; pass negative='rectify' (max(activity, 0)) or 'shift' (minus each "
            "unit's minimum)."
        )
    if how == "rectify":
        new = act.clip(min=0)
        note = f"negative activity of {n} unit(s) rectified: max(activity, 0)"
    else:
        new = act - low.clip(max=0)
        note = f"activity of {n} unit(s) shifted by their minimum to start at 0"
    return session.assign(activity=new.assign_attrs(act.attrs)), note


def score_item(item: ReportItem, options: Mapping[str, Any]) -> ScoredSession:
    """Scores (given or computed with :func:`hippocore.analysis.ds.classify`) and maps.

    Parameters
    ----------
    item : ReportItem
        A session item.
    options : mapping
        The report's ``bin_size``, ``smooth``, ``n_shuffles``, ``seed``, ``percentile``,
        ``negative`` and ``progress``.

    Returns
    -------
    ScoredSession
    """
    import hippocore.analysis as ha

    ses, note = item.session, ""
    variable = "spikes" if "spike_time" in ses else "activity"
    if variable == "activity" and item.scores is None:
        ses, note = _non_negative(ses, options["negative"])
    scores, computed = item.scores, item.scores is None
    if scores is None:
        bs = item.bin_size or options["bin_size"] or auto_bin_size(ses)
        scores = ha.ds.classify(
            ses, bin_size=bs, limits=item.limits, smooth=options["smooth"],
            variable=variable, n_shuffles=options["n_shuffles"],
            percentile=options["percentile"], seed=options["seed"],
            progress=options["progress"],
        )  # fmt: skip
    if item.extra is not None:
        scores = scores.assign({k: ("unit", v.values) for k, v in item.extra.data_vars.items()})
    a = scores.attrs
    variable = a.get("variable", variable)
    bs = float(a.get("shuffle_bin_size") or item.bin_size or auto_bin_size(ses))
    limits = a.get("limits_m", item.limits)
    maps = ha.ds.rate_map(
        ses, bin_size=bs, limits=None if limits is None else [float(v) for v in limits],
        smooth=float(a.get("shuffle_smooth", options["smooth"])), variable=variable,
    )  # fmt: skip
    return ScoredSession(item, ses, scores, maps, variable, computed, note)
