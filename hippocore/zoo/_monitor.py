"""Grid-unit monitor: how many position-encoding units are grid units by issue 12's test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.envs import World, make_world
from hippocore.zoo._data import env_episode
from hippocore.zoo._evaluate import _as_worlds, _check_steps, run_episodes

if TYPE_CHECKING:
    from hippocore.analysis import LatticeGridUnits

__all__ = ["GridSummary", "grid_summary", "grid_monitor"]


@dataclass(frozen=True)
class GridSummary:
    """Grid units among a model's position-encoding units on one long walk.

    Attributes
    ----------
    score : ndarray (n_e,)
        BNT gridness of each unit's lattice rate map (NaN where undefined).
    threshold : ndarray (n_e,)
        The threshold each score had to beat: ``max(0.3, null percentile)``
        (:func:`hippocore.analysis.lattice_grid_units`).
    n_finite_shuffles : ndarray of int (n_e,)
        Null maps of each unit with a defined gridness (the rest counted as not beating it).
    is_grid : ndarray of bool (n_e,)
        ``score > threshold`` (the score finite) and the map's grid geometry hexagonal.
    grid_fraction : float
        Fraction of units that are grid units.
    shuffle_fraction : float
        Fraction of null maps that beat their own unit's threshold: the false-positive
        baseline to quote beside ``grid_fraction`` (at most 0.05 with the per-unit null).
    score_median : float
        Median gridness over units with a defined score (NaN if none).
    rate : ndarray (n_e, n_y, n_x)
        The rate maps scored.
    test : hippocore.analysis.LatticeGridUnits
        The full result (null scores, null thresholds, parameters).
    nodes : ndarray of int (n_steps,)
        The walk: node at each step.
    activity : ndarray (n_steps, n_e)
        The position code scored, one row per step (for further analyses of the same walk,
        e.g. Fourier band calls).
    """

    score: NDArray[np.float64]
    threshold: NDArray[np.float64]
    n_finite_shuffles: NDArray[np.int64]
    is_grid: NDArray[np.bool_]
    grid_fraction: float
    shuffle_fraction: float
    score_median: float
    rate: NDArray[np.float64] = field(repr=False)
    test: LatticeGridUnits = field(repr=False)
    nodes: NDArray[np.int64] = field(repr=False)
    activity: NDArray[np.float64] = field(repr=False)


def _check_grid_world(kind: str, n_shuffles: int) -> None:
    """Fail before training starts rather than at the first monitor call."""
    if kind != "hexagonal":
        raise ValueError(
            f"kind={kind!r}: grid units are tested on hexagonal worlds only (on square and "
            "eight-connected lattices the grid test's controls fail; see "
            "hippocore.analysis.lattice_grid_units). Monitor a model that knows hexagonal "
            "worlds, or train without the grid monitor."
        )
    from hippocore.analysis._lattice_grid import MIN_LATTICE_SHUFFLES

    bad = isinstance(n_shuffles, bool) or not isinstance(n_shuffles, int)
    if bad or n_shuffles < MIN_LATTICE_SHUFFLES:
        raise ValueError(
            f"n_shuffles must be an integer >= {MIN_LATTICE_SHUFFLES}; got {n_shuffles!r}."
        )


@torch.no_grad()
def grid_summary(
    model: torch.nn.Module,
    world: World,
    n_steps: int,
    seed: int | np.random.Generator | None = None,
    *,
    n_shuffles: int = 100,
    percentile: float = 95.0,
    min_gridness: float = 0.3,
    null: str = "per-unit",
    shuffle: str = "spectral",
    bin_size: float | None = None,
    max_axis_deviation: float | None = 15.0,
) -> GridSummary:
    """Count the grid units among a model's position-encoding units (issue 12's test).

    Parameters
    ----------
    model : ZooModel
        The model (any registered one: its ``grid_population`` is scored).
    world : World
        Hexagonal test world (e.g. ``make_world("hexagonal", 11)``) the model knows.
    n_steps : int
        Length of the test walk (e.g. 50 x the number of nodes).
    seed : int or Generator, optional
        Randomness of walk, observations and null maps.
    n_shuffles : int, default 100
        Null maps per unit (>= 100).
    percentile, min_gridness, null, shuffle, bin_size, max_axis_deviation
        As in :func:`hippocore.analysis.lattice_grid_units` (``max_axis_deviation``: the
        hexagonal-geometry requirement; None for the score-only rule).

    Returns
    -------
    GridSummary

    Notes
    -----
    The model walks ``world`` from a random node (TEM's direction-biased walk of its
    config, with its context stream in a three-stream world); the position code ``e`` of every step is scored by
    :func:`hippocore.analysis.lattice_grid_units`: a unit is a grid unit when the BNT
    gridness of its lattice rate map beats both ``min_gridness`` and the ``percentile`` of
    its null (default: rotated-spectrum surrogates of its own map), NaN null scores counted
    as not beating it.
    """
    from hippocore.analysis import lattice_grid_units

    (w,) = _as_worlds(world)
    n_steps = _check_steps(n_steps)
    rng = as_rng(seed)
    ep = env_episode(w, n_steps, model.actions, model.config.env, rng=rng)
    e = run_episodes(model, [ep], chunk_length=model.config.train.chunk_length)["e"][0]
    e = np.asarray(e, np.float64)
    res = lattice_grid_units(
        w, ep.nodes, e, n_shuffles=n_shuffles, percentile=percentile,
        min_gridness=min_gridness, null=null, shuffle=shuffle, bin_size=bin_size, seed=rng,
        max_axis_deviation=max_axis_deviation,
    )  # fmt: skip
    return GridSummary(
        score=res.score,
        threshold=res.threshold,
        n_finite_shuffles=res.n_finite_shuffles,
        is_grid=res.is_grid,
        grid_fraction=res.grid_fraction,
        shuffle_fraction=res.false_positive_rate,
        score_median=res.score_median,
        rate=res.rate,
        test=res,
        nodes=np.asarray(ep.nodes),
        activity=e,
    )


def grid_monitor(
    *,
    kind: str = "hexagonal",
    width: int = 11,
    steps_per_node: int = 30,
    n_shuffles: int = 100,
    seed: int = 0,
) -> Callable[[torch.nn.Module, int], dict[str, Any]]:
    """A ``train(..., monitor=...)`` callback logging the fraction of grid units.

    Parameters
    ----------
    kind : str, default "hexagonal"
        Test-world kind; only ``"hexagonal"`` is accepted (the grid test's controls pass
        there only).
    width : int, default 11
        Test-world width (nodes).
    steps_per_node : int, default 30
        Walk length as a multiple of the number of nodes.
    n_shuffles : int, default 100
        Null maps per unit (>= 100).
    seed : int, default 0
        Same walk at every call, so changes come from the model.

    Returns
    -------
    callable
        ``monitor(model, step) -> {"grid_fraction", "grid_shuffle_fraction",
        "grid_score_median", "grid_finite_null"}``; ``grid_finite_null`` is the fraction of
        null maps with a defined gridness.

    Raises
    ------
    ValueError
        For a non-hexagonal ``kind`` or fewer than 100 shuffles (before training starts).
    """
    _check_grid_world(kind, n_shuffles)
    world = make_world(kind, width)
    n_steps = steps_per_node * world.n_nodes

    def monitor(model: torch.nn.Module, step: int) -> dict[str, Any]:
        s = grid_summary(model, world, n_steps, seed, n_shuffles=n_shuffles)
        return {
            "grid_fraction": s.grid_fraction,
            "grid_shuffle_fraction": s.shuffle_fraction,
            "grid_score_median": s.score_median,
            "grid_finite_null": float(s.n_finite_shuffles.mean() / n_shuffles),
        }

    return monitor
