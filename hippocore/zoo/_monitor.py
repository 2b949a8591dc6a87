"""Grid-score monitor: how many position-encoding units are grid cells, scored like lab data."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from hippocore._checks import as_rng
from hippocore.envs import World, make_world
from hippocore.zoo._data import make_episode
from hippocore.zoo._evaluate import _as_worlds, _check_steps, run_episodes

__all__ = ["GridSummary", "grid_summary", "grid_monitor"]


@dataclass(frozen=True)
class GridSummary:
    """Grid scores of a model's position-encoding units on one long walk.

    Attributes
    ----------
    score : ndarray (n_e,)
        BNT gridness of each unit's lattice rate map (NaN where undefined).
    threshold : ndarray (n_e,)
        Each unit's 95th percentile of gridness over spatially shuffled maps.
    is_grid : ndarray of bool (n_e,)
        ``score > threshold`` (and the score is finite).
    grid_fraction : float
        Fraction of units that are grid cells.
    shuffle_fraction : float
        Fraction of shuffled maps that pass their own unit's threshold (about 0.05 by
        construction: the false-positive baseline to quote beside ``grid_fraction``).
    rate : ndarray (n_e, n_y, n_x)
        The rate maps scored.
    """

    score: NDArray[np.float64]
    threshold: NDArray[np.float64]
    is_grid: NDArray[np.bool_]
    grid_fraction: float
    shuffle_fraction: float
    rate: NDArray[np.float64]


def _gridness_of(world: World, nodes: NDArray[np.int64], act: NDArray[np.float64]) -> NDArray:
    from hippocore.analysis import autocorrelogram, gridness, lattice_rate_map

    maps = lattice_rate_map(world, nodes, act)
    return gridness(autocorrelogram(maps.rate)).score, maps.rate


@torch.no_grad()
def grid_summary(
    model: torch.nn.Module,
    world: World,
    n_steps: int,
    seed: int | np.random.Generator | None = None,
    *,
    n_shuffles: int = 100,
    percentile: float = 95.0,
) -> GridSummary:
    """Score a model's position-encoding units for gridness against a shuffle null.

    Parameters
    ----------
    model : TEMT
        The model.
    world : World
        Test world (e.g. ``make_world("hexagonal", 11)``), of a kind the model knows.
    n_steps : int
        Length of the test walk (e.g. 50 x the number of nodes).
    seed : int or Generator, optional
        Randomness of walk, observations and shuffles.
    n_shuffles : int, default 100
        Spatial shuffles per unit.
    percentile : float, default 95
        Shuffle percentile a unit must exceed.

    Returns
    -------
    GridSummary

    Notes
    -----
    Maps: :func:`hippocore.analysis.lattice_rate_map` (mean e per node over the whole walk,
    interpolated onto a square grid for hexagonal worlds); score: BNT ``gridnessScore``
    (:func:`hippocore.analysis.gridness`) of the autocorrelogram. Shuffle: the node labels of
    the walk are permuted (one random permutation of the nodes per shuffle, shared by all
    units), which keeps each unit's value distribution and destroys its spatial layout; the
    lattice's own symmetry is kept by the map rule, so the null includes it (tem.md:
    lattice symmetry inflates scores). NaN scores never count as grid.
    """
    (w,) = _as_worlds(world)
    n_steps = _check_steps(n_steps)
    rng = as_rng(seed)
    env = model.config.env
    ep = make_episode(
        w, n_steps, model.actions, n_x=env.n_x, direction_bias=env.direction_bias, rng=rng
    )
    e = run_episodes(model, [ep], chunk_length=model.config.train.chunk_length)["e"][0]
    score, rate = _gridness_of(w, ep.nodes, e)
    null = np.empty((n_shuffles, e.shape[1]))
    for s in range(n_shuffles):
        perm = rng.permutation(w.n_nodes)
        null[s] = _gridness_of(w, perm[ep.nodes], e)[0]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        # A unit whose shuffled maps all have undefined gridness gets a NaN threshold.
        warnings.simplefilter("ignore", RuntimeWarning)
        thr = np.nanpercentile(np.where(np.isfinite(null), null, np.nan), percentile, axis=0)
        is_grid = np.isfinite(score) & np.isfinite(thr) & (score > thr)
        shuffle_pass = np.isfinite(null) & (null > thr[None])
    return GridSummary(
        score=score,
        threshold=thr,
        is_grid=is_grid,
        grid_fraction=float(is_grid.mean()),
        shuffle_fraction=float(shuffle_pass.mean()),
        rate=rate,
    )


def grid_monitor(
    *,
    kind: str = "hexagonal",
    width: int = 11,
    steps_per_node: int = 30,
    n_shuffles: int = 50,
    seed: int = 0,
) -> Callable[[torch.nn.Module, int], dict[str, Any]]:
    """A ``train(..., monitor=...)`` callback logging the fraction of grid units.

    Parameters
    ----------
    kind : str, default "hexagonal"
        Test-world kind.
    width : int, default 11
        Test-world width (nodes).
    steps_per_node : int, default 30
        Walk length as a multiple of the number of nodes.
    n_shuffles : int, default 50
        Shuffles per unit.
    seed : int, default 0
        Same walk at every call, so changes come from the model.

    Returns
    -------
    callable
        ``monitor(model, step) -> {"grid_fraction", "grid_shuffle_fraction",
        "grid_score_median"}``.
    """
    world = make_world(kind, width)
    n_steps = steps_per_node * world.n_nodes

    def monitor(model: torch.nn.Module, step: int) -> dict[str, Any]:
        s = grid_summary(model, world, n_steps, seed, n_shuffles=n_shuffles)
        finite = s.score[np.isfinite(s.score)]
        return {
            "grid_fraction": s.grid_fraction,
            "grid_shuffle_fraction": s.shuffle_fraction,
            "grid_score_median": float(np.median(finite)) if finite.size else float("nan"),
        }

    return monitor
