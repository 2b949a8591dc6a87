"""NWB series to session arrays: find position, head direction and speed by type; read them in SI.

Every reader here reads only the sample ranges asked for (``ranges``: ``[(start, stop), ...]``
row indices on the session's clock) and converts with the series' ``conversion``, ``offset``
and ``unit`` (``data * conversion + offset``, then to m, rad or m/s).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hippocore.io._common import DataRepairWarning, check_timestamps

__all__ = [
    "series_time",
    "read_rows",
    "sample_ranges",
    "find_by_type",
    "position_series",
    "metres",
    "one_column",
    "compass_series",
    "speed_series",
    "head_direction_at",
    "speed_at",
]

_TO_METRES = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "centimeter": 0.01,
    "centimeters": 0.01,
    "centimetre": 0.01,
    "centimetres": 0.01,
    "mm": 0.001,
    "millimeter": 0.001,
    "millimeters": 0.001,
    "millimetre": 0.001,
    "millimetres": 0.001,
}
_TO_M_PER_S = {
    "m/s": 1.0,
    "meters/second": 1.0,
    "metres/second": 1.0,
    "cm/s": 0.01,
    "centimeters/second": 0.01,
    "centimetres/second": 0.01,
    "mm/s": 0.001,
}
_TO_RAD = {"radian": 1.0, "radians": 1.0, "rad": 1.0, "degree": np.pi / 180, "degrees": np.pi / 180}


def series_time(series: Any, what: str) -> NDArray[np.float64]:
    n = _length(series, what)
    if series.timestamps is not None:
        t = np.asarray(series.get_timestamps()[:], dtype=np.float64)
        if t.size != n:
            raise ValueError(
                f"{what}: {t.size} timestamps for {n} data samples; the file is inconsistent."
            )
    elif series.rate is not None:
        if not series.rate > 0:
            raise ValueError(f"{what}: sampling rate {series.rate!r} is not positive.")
        t = float(series.starting_time or 0.0) + np.arange(n) / float(series.rate)
    else:
        raise ValueError(
            f"{what} has neither timestamps nor a sampling rate, so its samples have no times."
        )
    return check_timestamps(t, what)


def _length(series: Any, what: str) -> int:
    data = series.data
    if data is None or not hasattr(data, "shape"):
        raise ValueError(f"{what} has no data array.")
    return int(data.shape[0]) if len(data.shape) else 0


def read_rows(data: Any, ranges: list[tuple[int, int]], cols: Any = None) -> np.ndarray:
    """Concatenate ``data[a:b]`` (optionally ``[:, cols]``) over ``ranges``; reads only those."""
    parts = []
    for a, b in ranges:
        block = data[a:b] if cols is None else data[a:b, cols]
        parts.append(np.asarray(block))
    if not parts:
        shape = (0,) + tuple(data.shape[1:]) if cols is None else (0, len(cols))
        return np.zeros(shape)
    return np.concatenate(parts, axis=0)


def sample_ranges(
    t: NDArray[np.float64], windows: list[tuple[float, float]] | None
) -> list[tuple[int, int]]:
    if windows is None:
        return [(0, t.size)]
    out: list[tuple[int, int]] = []
    for start, stop in sorted(windows):
        a = int(np.searchsorted(t, start, side="left"))
        b = int(np.searchsorted(t, stop, side="right"))
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def find_by_type(nwbfile: Any, cls: type) -> list[tuple[str, Any]]:
    found = []
    for mod_name, module in nwbfile.processing.items():
        for obj in module.data_interfaces.values():
            if isinstance(obj, cls):
                found.append((f"processing/{mod_name}/{obj.name}", obj))
    for obj in nwbfile.acquisition.values():
        if isinstance(obj, cls):
            found.append((f"acquisition/{obj.name}", obj))
    return found


def _columns(series: Any) -> int:
    shape = tuple(series.data.shape)
    return 1 if len(shape) == 1 else int(shape[1])


def position_series(
    nwbfile: Any, position: str | Sequence[str] | None, label: str
) -> tuple[list[tuple[str, Any]], str]:
    """The chosen position series and how to read them: "one", "leds" or "xy" ("none": absent).

    Two series with one column each are (x, y); two with two or three columns are two LEDs.
    """
    from pynwb.behavior import Position

    containers = find_by_type(nwbfile, Position)
    series = [
        (f"{where}/{name}", ss)
        for where, pos in containers
        for name, ss in sorted(pos.spatial_series.items())
    ]
    if not series:
        if position is None:
            return [], "none"
        raise ValueError(
            f"{label}: position={position!r} was given but the file holds no "
            "pynwb.behavior.Position container with a SpatialSeries."
        )
    if position is not None:
        wanted = [position] if isinstance(position, str) else list(position)
        if not 1 <= len(wanted) <= 2:
            raise ValueError(
                f"position must name one series, two LEDs or an (x, y) pair; got {position!r}."
            )
        chosen = []
        for w in wanted:
            hits = [(p, s) for p, s in series if s.name == w or p == w]
            if len(hits) != 1:
                raise ValueError(
                    f"{label}: position={w!r} matches {len(hits)} SpatialSeries; available: "
                    f"{[p for p, _ in series]}."
                )
            chosen.append(hits[0])
    elif len(series) <= 2:
        chosen = series
        if len(chosen) == 2 and all(_columns(s) == 1 for _, s in chosen):
            names = [s.name.lower().rstrip("_ ") for _, s in chosen]
            if not (names[0].endswith("x") and names[1].endswith("y")):
                raise ValueError(
                    f"{label}: two one-column position series {[p for p, _ in chosen]}; say "
                    "which is x and which is y with position=('x series', 'y series')."
                )
    else:
        raise ValueError(
            f"{label}: {len(series)} position SpatialSeries found ({[p for p, _ in series]}); "
            "choose one (position='name'), two LEDs (position=('LED1', 'LED2')) or two "
            "one-column series as (x, y) (position=('X', 'Y'))."
        )
    cols = [_columns(s) for _, s in chosen]
    if len(chosen) == 1:
        if cols[0] == 1:
            raise ValueError(
                f"{label}: {chosen[0][0]} has one column; hippocore needs x and y. If x and y "
                "are separate one-column series, pass position=('X series', 'Y series')."
            )
        return chosen, "one"
    if cols == [1, 1]:
        return chosen, "xy"
    if min(cols) >= 2:
        return chosen, "leds"
    raise ValueError(
        f"{label}: {chosen[0][0]} has {cols[0]} column(s) and {chosen[1][0]} has {cols[1]}; "
        "give two LED series (2-3 columns each) or two one-column series as (x, y)."
    )


def _to_metres(series: Any, where: str) -> float:
    unit = str(series.unit).strip().lower()
    if unit not in _TO_METRES:
        raise ValueError(
            f"{where}: position unit {series.unit!r} cannot be converted to metres (known: m, cm, "
            "mm). Convert pixel or arbitrary units before reading."
        )
    return _TO_METRES[unit]


def metres(series: Any, where: str, ranges: list[tuple[int, int]]) -> NDArray[np.float64]:
    shape = series.data.shape
    if len(shape) != 2 or shape[1] < 2:
        raise ValueError(
            f"{where}: position has shape {tuple(shape)}; hippocore needs at least 2 columns (x, y)."
        )
    if shape[1] > 3:
        raise ValueError(
            f"{where}: position has {shape[1]} columns; NWB allows at most 3 (x, y, z). Store each "
            "tracked LED or body part as its own SpatialSeries."
        )
    scale = _to_metres(series, where)
    raw = read_rows(series.data, ranges).astype(np.float64)
    if shape[1] == 3:
        warnings.warn(
            f"{where}: position has 3 columns (x, y, z); z is dropped (hippocore sessions are 2-D).",
            DataRepairWarning,
            stacklevel=5,
        )
    xy = raw[:, :2]
    return (xy * float(series.conversion) + float(series.offset)) * scale


def one_column(series: Any, where: str, ranges: list[tuple[int, int]]) -> NDArray[np.float64]:
    """A one-column coordinate series (x or y alone) in metres."""
    scale = _to_metres(series, where)
    raw = read_rows(series.data, ranges).astype(np.float64).reshape(-1)
    return (raw * float(series.conversion) + float(series.offset)) * scale


def compass_series(nwbfile: Any, label: str) -> tuple[str, Any] | None:
    """The first ``CompassDirection`` SpatialSeries (checked: 1-D, radians or degrees)."""
    from pynwb.behavior import CompassDirection

    found = [
        (f"{where}/{name}", ss)
        for where, cd in find_by_type(nwbfile, CompassDirection)
        for name, ss in sorted(cd.spatial_series.items())
    ]
    if not found:
        return None
    where, ss = found[0]
    unit = str(ss.unit).strip().lower()
    if unit not in _TO_RAD:
        raise ValueError(f"{label}: {where} has unit {ss.unit!r}; expected radians or degrees.")
    shape = tuple(ss.data.shape)
    if len(shape) > 1 and shape[1] != 1:
        raise ValueError(f"{label}: {where} must be 1-D head direction; got shape {shape}.")
    return where, ss


def speed_series(nwbfile: Any, label: str) -> tuple[str, Any, float] | None:
    """A 1-D ``TimeSeries`` named like "speed" in ``processing`` (m/s, cm/s or mm/s), if any.

    ``processing/behavior`` is searched first; a speed series in another unit is skipped with a
    :class:`DataRepairWarning`.
    """
    from pynwb import TimeSeries
    from pynwb.behavior import SpatialSeries

    modules = sorted(nwbfile.processing.items(), key=lambda kv: kv[0] != "behavior")
    for mod_name, module in modules:
        for obj in module.data_interfaces.values():
            if not isinstance(obj, TimeSeries) or isinstance(obj, SpatialSeries):
                continue
            if "speed" not in obj.name.lower() or obj.data is None:
                continue
            where = f"processing/{mod_name}/{obj.name}"
            shape = tuple(obj.data.shape)
            unit = str(obj.unit).strip().lower().replace(" ", "")
            if (len(shape) > 1 and shape[1] != 1) or unit not in _TO_M_PER_S:
                warnings.warn(
                    f"{label}: {where} (unit {obj.unit!r}, shape {shape}) is not read as speed; "
                    "hippocore reads 1-D speed in m/s, cm/s or mm/s.",
                    DataRepairWarning,
                    stacklevel=5,
                )
                continue
            return where, obj, _TO_M_PER_S[unit]
    return None


def _on_clock(
    series: Any,
    where: str,
    convert: Any,
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    *,
    circular: bool,
) -> NDArray[np.float64]:
    """A 1-D series' values (converted) at the session's sample times ``t``.

    On the session's clock the chosen ranges are read; on another clock the whole series is
    read and interpolated linearly (cos and sin for angles), NaN outside its span.
    """
    ts = series_time(series, where)

    def values(raw: Any) -> NDArray[np.float64]:
        return convert(np.asarray(raw, dtype=np.float64).reshape(-1))

    if ts.size == t_all.size and np.allclose(ts, t_all, rtol=0, atol=1e-9):
        v = values(read_rows(series.data, ranges))
        if circular:  # wrap into (-pi, pi]; values already there stay bit-identical
            out = (v > np.pi) | (v <= -np.pi)
            v[out] = np.angle(np.exp(1j * v[out]))
        return v
    v_all = values(series.data[:])
    ok = np.isfinite(v_all)
    if not circular:
        return np.interp(t, ts[ok], v_all[ok], left=np.nan, right=np.nan)
    c = np.interp(t, ts[ok], np.cos(v_all[ok]), left=np.nan, right=np.nan)
    s = np.interp(t, ts[ok], np.sin(v_all[ok]), left=np.nan, right=np.nan)
    return np.arctan2(s, c)


def head_direction_at(
    found: tuple[str, Any],
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    label: str,
) -> NDArray[np.float64]:
    where, ss = found
    scale = _TO_RAD[str(ss.unit).strip().lower()]

    def radians(v: NDArray[np.float64]) -> NDArray[np.float64]:  # data * conversion + offset
        return (v * float(ss.conversion) + float(ss.offset)) * scale

    return _on_clock(ss, f"{label}: {where}", radians, t, ranges, t_all, circular=True)


def speed_at(
    found: tuple[str, Any, float],
    t: NDArray[np.float64],
    ranges: list[tuple[int, int]],
    t_all: NDArray[np.float64],
    label: str,
) -> NDArray[np.float64]:
    where, ts, scale = found

    def metres_per_second(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return (v * float(ts.conversion) + float(ts.offset)) * scale

    return _on_clock(ts, f"{label}: {where}", metres_per_second, t, ranges, t_all, circular=False)
