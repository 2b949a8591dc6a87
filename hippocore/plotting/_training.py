"""Learning curves and the grid-unit fraction over training, from a run's metrics lines.

A zoo training run (:func:`hippocore.zoo.train` with ``out=``) writes ``metrics.jsonl``: one
JSON object per ``log_every`` steps with ``step``, ``loss``, the accuracies and, with a grid
monitor, ``grid_fraction`` and ``grid_shuffle_fraction``. These functions read and draw
those lines; they never import torch or load a model.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hippocore.plotting._mpl import axes_or_new

__all__ = ["METRICS_FILE", "read_metrics", "metric_columns", "plot_learning_curves",
           "plot_grid_fraction"]  # fmt: skip

#: The metrics file of a run folder (as written by :func:`hippocore.zoo.train`).
METRICS_FILE = "metrics.jsonl"


def _number(text: str) -> Any:
    if text in ("", "None", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The metrics lines of a training run.

    Parameters
    ----------
    path : path-like
        A run folder (holding ``metrics.jsonl``), a ``.jsonl`` file (one JSON object per
        line) or a ``.csv`` file (a header row, then one row per log step).

    Returns
    -------
    list of dict
        One dict per line, in file order; missing values are None.

    Raises
    ------
    FileNotFoundError
        If there is no metrics file at ``path``.
    ValueError
        If a line is not valid JSON (names the file and line).
    """
    p = Path(path)
    if p.is_dir():
        p = p / METRICS_FILE
    if not p.is_file():
        raise FileNotFoundError(
            f"no metrics file at {p}; pass a run folder written by hippocore.zoo.train(out=...) "
            f"(it holds {METRICS_FILE}) or a .jsonl/.csv metrics file."
        )
    if p.suffix == ".csv":
        with p.open(newline="") as fh:
            return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(fh)]
    out = []
    for i, line in enumerate(p.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{p} line {i} is not valid JSON ({exc.msg}); fix or remove it."
            ) from None
    return out


def metric_columns(
    metrics: Sequence[Mapping[str, Any]] | str | os.PathLike[str],
) -> dict[str, NDArray[np.float64]]:
    """Metrics lines as columns: one float array per numeric key, NaN where a line lacks it.

    Parameters
    ----------
    metrics : sequence of mapping, or path-like
        Metrics lines (e.g. ``TrainResult.metrics``) or where to read them
        (:func:`read_metrics`).

    Returns
    -------
    dict of str to ndarray of shape (n_lines,)
        Every key with a numeric value on some line (``step`` included).
    """
    lines = read_metrics(metrics) if isinstance(metrics, (str, os.PathLike)) else list(metrics)
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise TypeError(f"metrics[{i}] must be a mapping (one metrics line); got {line!r}.")
    keys = {k for line in lines for k, v in line.items() if isinstance(v, (int, float))
            and not isinstance(v, bool)}  # fmt: skip
    cols = {}
    for k in sorted(keys):
        vals = [line.get(k) for line in lines]
        cols[k] = np.array([float(v) if isinstance(v, (int, float)) else math.nan for v in vals])
    return cols


def _draw(metrics: Any, keys: Sequence[str], ax: Any, figsize: tuple[float, float]) -> list[Any]:
    cols = metric_columns(metrics)
    if "step" not in cols:
        raise ValueError("metrics lines have no 'step'; pass the lines of a zoo training run.")
    missing = [k for k in keys if k not in cols]
    if missing:
        have = sorted(k for k in cols if k != "step")
        raise ValueError(f"metrics have no {missing}; available: {have}.")
    ax = axes_or_new(ax, figsize)
    lines = [ax.plot(cols["step"], cols[k], marker=".", markersize=3, label=k)[0] for k in keys]
    ax.set_xlabel("training step")
    return lines


def plot_learning_curves(
    metrics: Any,
    *,
    keys: Sequence[str] = ("loss",),
    ax: Any = None,
    log_y: bool = False,
) -> list[Any]:
    """Draw metrics over training steps (default the loss).

    Parameters
    ----------
    metrics : sequence of mapping, or path-like
        Metrics lines or a run folder / metrics file (:func:`read_metrics`).
    keys : sequence of str, default ("loss",)
        Metrics to draw, e.g. ``("revisit_accuracy", "zero_shot_accuracy")``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure, made without pyplot.
    log_y : bool, default False
        Logarithmic y axis.

    Returns
    -------
    list of matplotlib.lines.Line2D
        One line per key, labelled with it; x = ``step``, y = the metric (NaN where a line
        lacks it or has null).
    """
    lines = _draw(metrics, keys, ax, (4.0, 2.6))
    if log_y:
        lines[0].axes.set_yscale("log")
    return lines


def plot_grid_fraction(metrics: Any, *, ax: Any = None) -> list[Any]:
    """Draw the fraction of grid units over training, beside the null's false-positive rate.

    Parameters
    ----------
    metrics : sequence of mapping, or path-like
        Metrics lines of a run trained with a grid monitor
        (:func:`hippocore.zoo.grid_monitor`): ``grid_fraction`` and, when logged,
        ``grid_shuffle_fraction``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure, made without pyplot.

    Returns
    -------
    list of matplotlib.lines.Line2D
        ``grid_fraction`` first, then ``grid_shuffle_fraction`` if logged; y in [0, 1].
    """
    cols = metric_columns(metrics)
    keys = [k for k in ("grid_fraction", "grid_shuffle_fraction") if k in cols]
    if "grid_fraction" not in keys:
        raise ValueError(
            "metrics have no 'grid_fraction'; train with monitor=hippocore.zoo.grid_monitor() "
            "and monitor_every > 0 to log it."
        )
    lines = _draw(metrics, keys, ax, (4.0, 2.6))
    lines[0].axes.set_ylim(0, 1)
    lines[0].axes.set_ylabel("fraction of units")
    return lines
