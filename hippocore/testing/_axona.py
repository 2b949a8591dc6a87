"""Small Axona dacqUSB / TINT trials written from a session, with the raw values they hold.

Written from the file format (see :mod:`hippocore.io._axona` for the layout), so that the
reader, its bad-input errors and its unit conversions can be tested without downloads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.schema import spike_trains

__all__ = ["AxonaTrial", "write_axona_trial", "write_tetrode_file"]

_UNTRACKED = 1023
_END = b"\r\ndata_end\r\n"


@dataclass(frozen=True)
class AxonaTrial:
    """Files written by :func:`write_axona_trial` and the raw values in them.

    Attributes
    ----------
    set_path : pathlib.Path
        The trial's ``.set`` file (the other files sit beside it).
    pixels : ndarray of int, shape (n, 4)
        ``x1, y1, x2, y2`` as stored in the ``.pos`` file (window pixels, rows down; 1023 where
        an LED is untracked).
    sample_rate : float
        Position samples per second.
    pixels_per_metre : float
    window : tuple of 4 int
        Tracking window ``(xmin, xmax, ymin, ymax)`` in camera pixels.
    ticks : dict of int to ndarray
        Spike timestamps (``timebase`` ticks) of each tetrode, as stored.
    clusters : dict of int to ndarray
        Cluster id of each spike of each tetrode (0 = unassigned noise).
    timebase : float
        Spike timestamp clock (Hz).
    """

    set_path: Path
    pixels: NDArray[np.int64]
    sample_rate: float
    pixels_per_metre: float
    window: tuple[int, int, int, int]
    ticks: dict[int, NDArray[np.int64]]
    clusters: dict[int, NDArray[np.int64]]
    timebase: float


def _header(lines: dict[str, object]) -> bytes:
    return "".join(f"{k} {v}\r\n" for k, v in lines.items()).encode("latin-1")


def _common(duration: float) -> dict[str, object]:
    return {
        "trial_date": "Friday, 15 Aug 2014",
        "trial_time": "15:21:10",
        "experimenter": "Doe",
        "comments": "synthetic trial (hippocore.testing)",
        "duration": int(np.ceil(duration)),
        "sw_version": "1.2.2.16",
    }


def write_tetrode_file(
    path: str | os.PathLike[str],
    ticks: NDArray[np.int64],
    *,
    duration: float,
    timebase: float = 96000.0,
    samples_per_spike: int = 50,
    seed: int | np.random.Generator | None = 0,
) -> Path:
    """Write a dacqUSB tetrode file: 4 channels, 4-byte timestamps, 1-byte samples.

    Parameters
    ----------
    path : path-like
        Target (``<trial>.<N>``).
    ticks : ndarray of int
        Spike timestamps in ``timebase`` ticks.
    duration : float
        Trial length (s), for the header.
    timebase : float, default 96000
        Timestamp clock (Hz).
    samples_per_spike : int, default 50
        Waveform samples per channel (random bytes).
    seed : int or Generator, optional
        Randomness of the waveforms.

    Returns
    -------
    pathlib.Path
    """
    ticks = np.asarray(ticks, dtype=np.int64)
    header = _common(duration) | {
        "num_chans": 4,
        "timebase": f"{timebase:g} hz",
        "bytes_per_timestamp": 4,
        "samples_per_spike": samples_per_spike,
        "sample_rate": "48000 hz",
        "bytes_per_sample": 1,
        "spike_format": "t,ch1,t,ch2,t,ch3,t,ch4",
        "num_spikes": ticks.size,
    }
    rec = np.zeros((ticks.size, 4), dtype=[("t", ">u4"), ("wave", "i1", (samples_per_spike,))])
    rec["t"] = ticks[:, None]
    rec["wave"] = as_rng(seed).integers(-128, 128, rec["wave"].shape, dtype=np.int8)
    out = Path(path)
    out.write_bytes(_header(header) + b"data_start" + rec.tobytes() + _END)
    return out


def write_axona_trial(
    folder: str | os.PathLike[str],
    session: xr.Dataset,
    *,
    name: str = "trial",
    pixels_per_metre: float = 300.0,
    window: tuple[int, int, int, int] = (100, 420, 50, 370),
    two_leds: bool = True,
    led_distance: float = 0.05,
    untracked_every: int = 37,
    n_tetrodes: int = 2,
    cluster_files: Literal["cut", "clu", "none"] = "cut",
    noise_fraction: float = 0.1,
    tetrodes: Sequence[int] | None = None,
    seed: int | np.random.Generator | None = 0,
) -> AxonaTrial:
    """Write a session as an Axona trial: ``.set``, ``.pos``, tetrode and cluster files.

    Positions (m, y up, from the arena's lower-left corner) become window pixels with rows
    growing downwards: ``x_px = round(x * ppm)``, ``y_px = round(height - y * ppm)`` with
    ``height = ymax - ymin``. With ``two_leds`` LED 1 sits ``led_distance / 2`` ahead of the
    position along the head direction and LED 2 as far behind; every ``untracked_every``-th
    sample LED 1 is untracked (1023) and every ``2 * untracked_every + 1``-th both are. Units
    are dealt to tetrodes in turn; cluster ``k`` of a tetrode is its ``k``-th unit, and
    ``noise_fraction`` extra spikes (uniform in time) go to cluster 0.

    Parameters
    ----------
    folder : path-like
        Existing folder to write into.
    session : xarray.Dataset
        A schema session with position, spikes and (for two LEDs) head direction, on a regular
        clock (e.g. :func:`~hippocore.testing.synthetic_recording`).
    name : str, default "trial"
        Trial name (file stem).
    pixels_per_metre : float, default 300
    window : (xmin, xmax, ymin, ymax), default (100, 420, 50, 370)
        Tracking window, camera pixels.
    two_leds : bool, default True
    led_distance : float, default 0.05
        LED separation (m).
    untracked_every : int, default 37
        Period of the untracked samples; 0 for none.
    n_tetrodes : int, default 2
    cluster_files : {"cut", "clu", "none"}, default "cut"
        Write TINT ``.cut``, KlustaKwik ``.clu.N`` or no cluster files.
    noise_fraction : float, default 0.1
    tetrodes : sequence of int, optional
        Tetrode numbers; default ``1..n_tetrodes``.
    seed : int or Generator, optional

    Returns
    -------
    AxonaTrial
        Paths and the raw values written.
    """
    rng = as_rng(seed)
    folder = Path(folder)
    t = np.asarray(session["time"].values, dtype=np.float64)
    rate = float(np.round(1.0 / np.median(np.diff(t)), 6))
    ppm = float(pixels_per_metre)
    raw = _led_pixels(
        session, ppm=ppm, height=window[3] - window[2], two_leds=two_leds,
        led_distance=led_distance, untracked_every=untracked_every,
    )  # fmt: skip
    duration = t.size / rate
    set_path = _write_set_and_pos(
        folder, name, raw, rate=rate, ppm=ppm, window=window, two_leds=two_leds, rng=rng
    )
    timebase = 96000.0
    numbers = list(tetrodes) if tetrodes is not None else list(range(1, n_tetrodes + 1))
    trains = spike_trains(session)
    ticks: dict[int, NDArray[np.int64]] = {}
    clusters: dict[int, NDArray[np.int64]] = {}
    for i, tet in enumerate(numbers):
        mine = trains[i :: len(numbers)]
        n_noise = int(noise_fraction * sum(s.size for s in mine))
        times = [*mine, rng.uniform(0, t[-1], n_noise)]
        ids = [np.full(s.size, k + 1) for k, s in enumerate(mine)] + [np.zeros(n_noise, int)]
        tk = np.round(np.concatenate(times) * timebase).astype(np.int64)
        cl = np.concatenate(ids).astype(np.int64)
        order = np.argsort(tk, kind="stable")
        ticks[tet], clusters[tet] = tk[order], cl[order]
        write_tetrode_file(
            folder / f"{name}.{tet}", ticks[tet], duration=duration, timebase=timebase, seed=rng
        )
        _write_clusters(folder, name, tet, clusters[tet], cluster_files)
    return AxonaTrial(
        set_path=set_path,
        pixels=raw,
        sample_rate=rate,
        pixels_per_metre=ppm,
        window=tuple(int(w) for w in window),
        ticks=ticks,
        clusters=clusters,
        timebase=timebase,
    )


def _led_pixels(
    session: xr.Dataset,
    *,
    ppm: float,
    height: float,
    two_leds: bool,
    led_distance: float,
    untracked_every: int,
) -> NDArray[np.int64]:
    """``x1, y1, x2, y2`` window pixels (rows down) of the LEDs, 1023 where untracked."""
    pos = np.asarray(session["position"].values, dtype=np.float64)
    n = pos.shape[0]
    hd = (
        np.asarray(session["head_direction"].values) if "head_direction" in session else np.zeros(n)
    )
    half = 0.5 * led_distance * np.column_stack([np.cos(hd), np.sin(hd)])

    def pixels(xy: NDArray[np.float64]) -> NDArray[np.int64]:
        px = np.column_stack([np.round(xy[:, 0] * ppm), np.round(height - xy[:, 1] * ppm)])
        return px.astype(np.int64)

    led1 = pixels(pos + half) if two_leds else pixels(pos)
    led2 = pixels(pos - half) if two_leds else np.full((n, 2), _UNTRACKED)
    if untracked_every > 0:
        led1[::untracked_every] = _UNTRACKED
        both = np.arange(0, n, 2 * untracked_every + 1)
        led1[both] = _UNTRACKED
        led2[both] = _UNTRACKED
    return np.column_stack([led1, led2])


def _write_set_and_pos(
    folder: Path,
    name: str,
    raw: NDArray[np.int64],
    *,
    rate: float,
    ppm: float,
    window: tuple[int, int, int, int],
    two_leds: bool,
    rng: np.random.Generator,
) -> Path:
    """The ``.set`` file and the ``.pos`` file holding ``raw``; returns the ``.set`` path."""
    n = raw.shape[0]
    duration = n / rate
    settings = _common(duration) | {
        "ADC_fullscale_mv": 1500,
        "xmin": window[0],
        "xmax": window[1],
        "ymin": window[2],
        "ymax": window[3],
        "colactive_1": 1,
        "colactive_2": int(two_leds),
        "tracked_spots": 2 if two_leds else 1,
        "tracker_pixels_per_metre": f"{ppm:g}",
        "lightBearing_1": 0,
        "lightBearing_2": 180 if two_leds else 0,
    }
    set_path = folder / f"{name}.set"
    set_path.write_bytes(_header(settings))

    pos_header = _common(duration) | {
        "num_colours": 4,
        "min_x": 0,
        "max_x": 768,
        "min_y": 0,
        "max_y": 574,
        "window_min_x": window[0],
        "window_max_x": window[1],
        "window_min_y": window[2],
        "window_max_y": window[3],
        "timebase": f"{rate:g} hz",
        "bytes_per_timestamp": 4,
        "sample_rate": f"{rate:.1f} hz",
        "EEG_samples_per_position": 5,
        "pos_format": "t,x1,y1,x2,y2,numpix1,numpix2",
        "bytes_per_coord": 2,
        "pixels_per_metre": f"{ppm:g}",
        "num_pos_samples": n,
    }
    rec = np.zeros(n, dtype=[("t", ">u4"), ("c", ">i2", (8,))])
    rec["t"] = np.arange(n)
    rec["c"][:, :4] = raw
    rec["c"][:, 4:7] = rng.integers(5, 40, (n, 3))  # pixel counts; unused by readers
    (folder / f"{name}.pos").write_bytes(_header(pos_header) + b"data_start" + rec.tobytes() + _END)
    return set_path


def _write_clusters(
    folder: Path, name: str, tet: int, clusters: NDArray[np.int64], kind: str
) -> None:
    """The TINT ``.cut`` or KlustaKwik ``.clu.N`` file of one tetrode (nothing for "none")."""
    if kind == "cut":
        body = [f"n_clusters: {int(clusters.max()) + 1}", "n_channels: 4", "n_params: 2"]
        body += [f"Exact_cut_for: {name} spikes: {clusters.size}"]
        ids_text = " ".join(str(v) for v in clusters)
        (folder / f"{name}_{tet}.cut").write_text("\r\n".join(body) + "\r\n" + ids_text + "\r\n")
    elif kind == "clu":
        lines = [str(int(clusters.max()) + 2)] + [str(v + 1) for v in clusters]
        (folder / f"{name}.clu.{tet}").write_text("\n".join(lines) + "\n")
