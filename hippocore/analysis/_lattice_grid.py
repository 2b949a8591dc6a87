"""Grid units on graph-world lattices: BNT gridness against an absolute floor and a null.

Node-permuted lattice maps are white noise: BNT gridness is undefined (NaN, no central
autocorrelogram peak) for 96-99 % of them on 11x11 and 15x15 hexagonal worlds. A test that
drops those shuffles builds each unit's threshold from a handful of values and passes single
plane waves and smooth random fields 15-32 % of the time (issue 12). Counting a NaN shuffle
as one that did not beat the unit and adding an absolute floor (0.3) fixes the plane waves,
but node-permuted maps still cannot model the best-over-radii inflation of BNT gridness on
smooth maps: about 8 % (5-12 % by seed) of smooth random fields score above 0.3 on 15x15
maps and would pass. The default null therefore keeps each unit's spatial frequencies and randomises their
directions (a rotationally averaged spectral surrogate); see :func:`lattice_grid_units` and
the controls in tests/analysis/test_lattice_grid.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hippocore._checks import as_rng, check_choice
from hippocore.analysis._autocorr import autocorrelogram
from hippocore.analysis._gridness import gridness
from hippocore.analysis._lattice_geometry import (
    _check_axis_deviation,
    _geometry_text,
    _is_hexagonal,
)
from hippocore.analysis._null import count_finite, percentile_nan_low
from hippocore.analysis._null_scores import _blocks
from hippocore.analysis._ratemap import check_lattice_inputs, lattice_rate_map

__all__ = ["LatticeGridUnits", "lattice_grid_units", "MIN_LATTICE_SHUFFLES"]

#: Fewest node shuffles :func:`lattice_grid_units` accepts (the issue-12 rule: >= 100).
MIN_LATTICE_SHUFFLES = 100

_KINDS = ("square", "hexagonal", "eight")  # lattices hippocore builds; only hexagonal is tested
_MAPS_PER_CHUNK = 2000  # maps autocorrelated and scored in one call (bounds memory)
_N_WAVES = 64  # plane waves per spectral surrogate (sums of many waves are near-Gaussian)


@dataclass(frozen=True)
class LatticeGridUnits:
    """Result of :func:`lattice_grid_units`: which units of a lattice walk are grid units.

    Attributes
    ----------
    score : ndarray of shape (n_unit,)
        BNT gridness of each unit's lattice rate map; NaN where undefined.
    null_threshold : ndarray of shape (n_unit,)
        The null percentile each unit's score must exceed: per unit (``null="per-unit"``) or
        one pooled value repeated (``null="pooled"``). NaN shuffles count as lower than every
        score, so this is -inf when more than ``100 - percentile`` % of the shuffles are
        undefined (the null then does not bind and only ``min_gridness`` does).
    threshold : ndarray of shape (n_unit,)
        The threshold applied: ``max(min_gridness, null_threshold)``.
    n_finite_shuffles : ndarray of int, shape (n_unit,)
        Shuffles of each unit with a defined (finite) gridness; the rest counted as not
        beating the unit.
    n_shuffles : int
        Shuffles drawn (the same node permutations for every unit).
    hexagonal : ndarray of bool, shape (n_unit,)
        The autocorrelogram's three axis peaks (BNT's grid geometry, the six peaks nearest
        the centre) lie 60° apart within ``max_axis_deviation``; all True when that
        requirement is off (``max_axis_deviation=None``).
    is_grid : ndarray of bool, shape (n_unit,)
        ``score > threshold`` and ``hexagonal`` (False where the score is NaN).
    grid_fraction : float
        Fraction of units that are grid units.
    false_positive_rate : float
        Fraction of shuffled maps (all units x shuffles) whose gridness exceeds their own
        unit's ``threshold`` and that are hexagonal (the units' rule): the rate at which the
        test calls spatially scrambled maps grid units, to quote beside ``grid_fraction`` (at
        most about ``1 - percentile / 100`` by construction; lower when the floor binds).
    null : ndarray of shape (n_unit, n_shuffles)
        Gridness of every null map, NaN kept.
    null_hexagonal : ndarray of bool, shape (n_unit, n_shuffles)
        ``hexagonal`` of every null map.
    axis_deviation : ndarray of shape (n_unit,)
        Largest deviation (degrees) from 60° of the gaps between each unit's three
        autocorrelogram axes; NaN where BNT found no grid geometry. ``hexagonal`` is
        ``axis_deviation <= max_axis_deviation``; :meth:`with_max_axis_deviation` re-decides
        the test at another tolerance from these.
    null_axis_deviation : ndarray of shape (n_unit, n_shuffles)
        The same for every null map.
    rate : ndarray of shape (n_unit, n_y, n_x)
        The observed lattice rate maps (:func:`~hippocore.analysis.lattice_rate_map`).
    parameters : dict
        Every option that changes a number (percentile, floor, null, shuffles, seed, map
        bin size and smoothing, world kind and size, gridness method).
    """

    score: NDArray[np.float64]
    null_threshold: NDArray[np.float64]
    threshold: NDArray[np.float64]
    n_finite_shuffles: NDArray[np.int64]
    n_shuffles: int
    hexagonal: NDArray[np.bool_]
    is_grid: NDArray[np.bool_]
    grid_fraction: float
    false_positive_rate: float
    null: NDArray[np.float64] = field(repr=False)
    null_hexagonal: NDArray[np.bool_] = field(repr=False)
    axis_deviation: NDArray[np.float64] = field(repr=False)
    null_axis_deviation: NDArray[np.float64] = field(repr=False)
    rate: NDArray[np.float64] = field(repr=False)
    parameters: dict[str, float | int | str] = field(default_factory=dict)

    def with_max_axis_deviation(self, max_axis_deviation: float | None) -> LatticeGridUnits:
        """The same test decided at another geometry tolerance, without re-scoring.

        Scores, null maps and thresholds do not depend on the tolerance (it only decides
        which maps count as hexagonal), so a sweep over tolerances costs nothing.

        Parameters
        ----------
        max_axis_deviation : float or None
            As in :func:`lattice_grid_units`: degrees in [0, 60), or None for no geometry
            requirement.

        Returns
        -------
        LatticeGridUnits
            ``hexagonal``, ``is_grid``, ``grid_fraction``, ``false_positive_rate``,
            ``null_hexagonal`` and ``parameters["geometry"]`` re-decided; the rest shared.
        """
        dev = _check_axis_deviation(max_axis_deviation)
        decided = _decide(
            self.score, self.threshold, self.null, self.axis_deviation,
            self.null_axis_deviation, dev,
        )  # fmt: skip
        parameters = {**self.parameters, "geometry": _geometry_text(dev)}
        return replace(self, **decided, parameters=parameters)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.score.size)

    @property
    def n_grid(self) -> int:
        """Number of grid units."""
        return int(self.is_grid.sum())

    @property
    def score_median(self) -> float:
        """Median gridness over units with a defined score (NaN if none)."""
        finite = self.score[np.isfinite(self.score)]
        return float(np.median(finite)) if finite.size else float("nan")


def _check_world(world: object) -> None:
    kind = getattr(world, "kind", None)
    if kind not in _KINDS or not hasattr(world, "coords") or not hasattr(world, "spacing"):
        got = f"kind {kind!r}" if kind is not None else type(world).__name__
        raise ValueError(
            f"world must be a lattice hippocore knows (a hexagonal hippocore.envs.World); got "
            f"{got}. Build it with hippocore.envs.make_world('hexagonal', width), and score "
            "maps of continuous arenas with rate_map + gridness + shuffle_scores instead."
        )
    if kind != "hexagonal":
        raise ValueError(
            f"world is a {kind!r} lattice; the grid-unit test is validated on hexagonal worlds "
            "only. On square and eight-connected lattices (one map bin per node) ideal grids "
            "have no BNT score and smooth random fields pass about 13 % on 15x15 worlds, and "
            "their 90-degree symmetry inflates 60-degree scores (tem.md). Score the units on "
            "make_world('hexagonal', width) (a model must know hexagonal actions)."
        )


def _gridness_of(rate: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """BNT gridness of a stack of maps and their axis deviations (:func:`_axis_deviation`).

    Scored in chunks that never leave a map alone.
    """
    out = np.empty(rate.shape[0])
    deviation = np.empty(rate.shape[0])
    for lo, hi in _blocks(rate.shape[0], _MAPS_PER_CHUNK):
        g = gridness(autocorrelogram(rate[lo:hi]))
        out[lo:hi] = g.score
        deviation[lo:hi] = g.axis_deviation
    return out, deviation


def _decide(score, threshold, null_scores, deviation, null_deviation, max_deviation) -> dict:  # noqa: ANN001
    """The fields of :class:`LatticeGridUnits` that the geometry tolerance decides."""
    unit_hex = _is_hexagonal(deviation, max_deviation)
    null_hex = _is_hexagonal(null_deviation, max_deviation)
    with np.errstate(invalid="ignore"):
        is_grid = np.isfinite(score) & np.isfinite(threshold) & (score > threshold) & unit_hex
        beats = np.isfinite(null_scores) & (null_scores > threshold[:, None]) & null_hex
    return {
        "hexagonal": unit_hex,
        "null_hexagonal": null_hex,
        "is_grid": is_grid,
        "grid_fraction": float(is_grid.mean()) if is_grid.size else float("nan"),
        "false_positive_rate": float(beats.mean()) if beats.size else float("nan"),
    }


def _radial_power(rate: NDArray[np.float64], bin_size: float) -> tuple[NDArray, NDArray]:
    """Radially summed power spectrum of each map: wavenumbers (rad/m) and weights (unit, k).

    Each map minus its mean over defined bins (undefined bins then 0) is zero-padded to a
    square of side max(64, 2 x its longest side) and Fourier transformed; power |F|^2 is
    summed in rings of width one frequency step; the zero-frequency ring gets no weight.
    """
    ok = np.isfinite(rate)
    count = ok.sum(axis=(-2, -1), keepdims=True)
    mean = np.where(ok, rate, 0.0).sum(axis=(-2, -1), keepdims=True) / np.maximum(count, 1)
    r = np.where(ok, rate - mean, 0.0)  # an all-undefined map has no power (flat surrogates)
    n = max(64, 2 * max(r.shape[-2:]))
    power = np.abs(np.fft.fft2(r, s=(n, n))) ** 2
    f = np.fft.fftfreq(n, d=bin_size)
    step = 2 * np.pi / (n * bin_size)
    ring = np.rint(2 * np.pi * np.hypot(*np.meshgrid(f, f)) / step).astype(np.int64).ravel()
    n_k = int(ring.max()) + 1
    weights = np.stack(
        [np.bincount(ring, weights=p.ravel(), minlength=n_k) for p in power.reshape(len(r), -1)]
    )
    weights[:, 0] = 0.0
    return np.arange(n_k) * step, weights


def _spectral_surrogates(
    coords: NDArray[np.float64],
    rate: NDArray[np.float64],
    node_rate: NDArray[np.float64],
    bin_size: float,
    n_shuffles: int,
    rngs: list[np.random.Generator],
) -> NDArray[np.float64]:
    """Node values (n_nodes, n_unit * n_shuffles), unit-major, of rotated-spectrum surrogates.

    ``rngs`` holds one generator per unit (the same object repeated when the units share
    one stream); each unit's waves are drawn from its own entry, in unit order.

    Each surrogate is a sum of ``_N_WAVES`` unit cosines whose wavenumbers are drawn from the
    unit's radial power (uniform within a ring), with uniform random directions and phases,
    evaluated at the node coordinates and scaled to the mean and standard deviation of the
    unit's own node values. Units with a flat map get constant surrogates (no score).
    """
    k_ring, weights = _radial_power(rate, bin_size)
    step = k_ring[1] if k_ring.size > 1 else 1.0
    n_nodes, n_unit = coords.shape[0], rate.shape[0]
    out = np.empty((n_nodes, n_unit, n_shuffles))
    shape = (n_shuffles, _N_WAVES)
    for u in range(n_unit):
        rng = rngs[u]
        mean, sd = np.nanmean(node_rate[u]), np.nanstd(node_rate[u])
        total = weights[u].sum()
        if not (total > 0 and sd > 0):
            out[:, u, :] = mean if np.isfinite(mean) else 0.0
            continue
        ring = rng.choice(k_ring.size, size=shape, p=weights[u] / total)
        k = (ring + rng.uniform(-0.5, 0.5, size=shape)) * step
        theta = rng.uniform(0, 2 * np.pi, size=shape)
        phi = rng.uniform(0, 2 * np.pi, size=shape)
        kx, ky = (k * np.cos(theta)).ravel(), (k * np.sin(theta)).ravel()
        arg = np.outer(coords[:, 0], kx) + np.outer(coords[:, 1], ky) + phi.ravel()
        z = np.cos(arg).reshape(n_nodes, n_shuffles, _N_WAVES).sum(axis=2)
        z = (z - z.mean(axis=0)) / np.maximum(z.std(axis=0), np.finfo(float).tiny)
        out[:, u, :] = mean + sd * z
    return out.reshape(n_nodes, n_unit * n_shuffles)


def _unit_rngs(seed, unit_seeds, n_unit: int) -> list[np.random.Generator]:  # noqa: ANN001
    """One generator per unit: a shared stream, or ``default_rng([seed, unit_seeds[u]])``."""
    if unit_seeds is None:
        return [as_rng(seed)] * max(n_unit, 1)  # one stream, the same object for all
    ids = np.asarray(unit_seeds)
    if ids.shape != (n_unit,) or not np.issubdtype(ids.dtype, np.integer) or np.any(ids < 0):
        raise ValueError(
            f"unit_seeds must hold one non-negative integer per unit ({n_unit}), e.g. the "
            f"units' indices in the session; got {unit_seeds!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"unit_seeds needs an integer seed >= 0 to derive each unit's seed from; got "
            f"seed={seed!r}."
        )
    return [np.random.default_rng([int(seed), int(i)]) for i in ids]


def _node_null_maps(world, nd, a2, n_shuffles, rngs, shared, map_options):  # noqa: ANN001
    """Node-permuted null maps, unit-major ``(n_unit * n_shuffles, y, x)``.

    One permutation per shuffle shared by all units (``shared``), or each unit's own.
    """
    n_nodes, n_unit = len(world.coords), a2.shape[1]
    if shared:
        perms = np.stack([rngs[0].permutation(n_nodes) for _ in range(n_shuffles)])
        maps = np.stack([lattice_rate_map(world, p[nd], a2, **map_options).rate for p in perms])
        return maps.transpose(1, 0, 2, 3).reshape(-1, *maps.shape[2:])  # shift- to unit-major
    maps = []
    for u in range(n_unit):
        for _ in range(n_shuffles):
            p = rngs[u].permutation(n_nodes)
            maps.append(lattice_rate_map(world, p[nd], a2[:, [u]], **map_options).rate)
    return np.concatenate(maps)


def _check_lattice_options(n_shuffles, percentile, null, shuffle, min_gridness):  # noqa: ANN001
    """Checked ``(n_shuffles, null, shuffle, min_gridness)`` of :func:`lattice_grid_units`."""
    if (
        isinstance(n_shuffles, bool)
        or not isinstance(n_shuffles, (int, np.integer))
        or n_shuffles < MIN_LATTICE_SHUFFLES
    ):
        raise ValueError(
            f"n_shuffles must be an integer >= {MIN_LATTICE_SHUFFLES}; got {n_shuffles!r}. "
            f"A 95th percentile needs a null of at least {MIN_LATTICE_SHUFFLES} shuffles "
            "(issue 12); pass n_shuffles=100 or more."
        )
    if not 0 < float(percentile) < 100:
        raise ValueError(f"percentile must be in (0, 100), e.g. 95; got {percentile!r}.")
    null = check_choice(null, "null", ("per-unit", "pooled"))
    shuffle = check_choice(shuffle, "shuffle", ("spectral", "nodes"))
    min_gridness = float(min_gridness)
    if not np.isfinite(min_gridness):
        raise ValueError(f"min_gridness must be a finite BNT score, e.g. 0.3; got {min_gridness}.")
    return int(n_shuffles), null, shuffle, min_gridness


def _lattice_parameters(**p) -> dict[str, float | int | str]:  # noqa: ANN003
    """Every parameter that changes a number of :func:`lattice_grid_units`."""
    world = p["world"]
    out: dict[str, float | int | str] = {
        "method": "BNT gridnessScore of lattice_rate_map",
        "shuffle": (
            f"spectral: {_N_WAVES} plane waves per null map, wavenumbers from the unit's radial "
            "power spectrum, random directions and phases, evaluated at the visited nodes"
            if p["shuffle"] == "spectral"
            else "nodes: one permutation of the nodes per shuffle, shared by all units"
        ),
        "n_shuffles": p["n_shuffles"],
        "percentile": float(p["percentile"]),
        "min_gridness": p["min_gridness"],
        "null": p["null"],
        "nan_shuffles": "counted as not beating the unit (NaN -> -inf before the percentile)",
        "world_kind": str(world.kind),
        "world_width": int(world.width),
        "world_height": int(world.height),
        "bin_size": float(p["bin_size"]),
        "smooth": float(p["smooth"]),
        "n_steps": int(p["n_steps"]),
        "geometry": _geometry_text(p["max_axis_deviation"]),
    }
    if p["null"] == "pooled":
        out["n_pooled_units"] = p["n_pooled"]
    if p["unit_seeds"] is not None:
        out["null_seeds"] = "per unit: numpy default_rng([seed, unit_seeds[u]])"
    seed = p["seed"]
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        out["seed"] = int(seed)
    return out


def lattice_grid_units(
    world,  # noqa: ANN001 - a hippocore.envs.World (duck-typed: analysis does not import envs)
    nodes: ArrayLike,
    activity: ArrayLike,
    *,
    n_shuffles: int = 100,
    percentile: float = 95.0,
    min_gridness: float = 0.3,
    null: str = "per-unit",
    shuffle: str = "spectral",
    bin_size: float | None = None,
    smooth: float = 0.0,
    seed: int | np.random.Generator | None = None,
    unit_seeds: ArrayLike | None = None,
    max_axis_deviation: float | None = 15.0,
) -> LatticeGridUnits:
    """Test which units of a lattice walk are grid units, against a shuffled null.

    A unit is a grid unit when the BNT gridness of its lattice rate map exceeds **both**
    ``min_gridness`` (0.3, the lower threshold of the TEM-t paper, Whittington et al. 2022)
    **and** the ``percentile``-th percentile of its null of ``n_shuffles`` >= 100 maps
    (issue 12), **and** its autocorrelogram has a hexagonal geometry: BNT finds the six
    peaks nearest the centre and their three axes lie 60° apart, each gap within
    ``max_axis_deviation`` (15°) of 60°.

    - Why the geometry: BNT gridness is a correlation over an annulus chosen per map; on
      coarse band-like model maps (one wide stripe across the world, bands with a kink) that
      annulus can correlate at 60° and 120° and not at 30°, 90°, 150°, and such maps scored
      up to 0.85 and beat their nulls (TEM, docs/results/tem-vs-tem-t.md, session 10, with
      the maps). Their autocorrelograms have no six-fold peaks: axes such as -4°, 42°, 79°,
      or fewer than four peaks. The requirement removed none of the pretrained TEM-t's 82
      grid units on an 11x11 walk, 1 of 49 passing ideal grids (11x11) and 0 of 50 (15x15),
      and every one of those TEM units; the same rule applies to the null maps counted in
      ``false_positive_rate``. ``max_axis_deviation=None`` is the score-only rule used before.

    - Maps: :func:`~hippocore.analysis.lattice_rate_map` (mean activity per node,
      interpolated onto half-spacing square bins by default); score: BNT ``gridnessScore``
      (:func:`~hippocore.analysis.gridness` of :func:`~hippocore.analysis.autocorrelogram`).
      Null maps are node values passed through the same map rule, scored as one stack.
    - ``shuffle="spectral"`` (default): rotated-spectrum surrogates. Each null map is a sum
      of 64 plane waves whose wavenumbers are drawn from the unit's own radially summed
      power spectrum (of its observed map), with uniform random directions and phases,
      evaluated at the visited nodes' coordinates and scaled to the unit's node mean and
      standard deviation. It keeps the unit's spatial scales (so the null maps are as smooth
      and go through the same best-over-radii maximum of BNT gridness) and destroys only the
      angular arrangement that gridness measures: the null asks whether a unit is more
      hexagonal than a random field of the same spatial frequencies. Gridness depends on
      the map only through its autocorrelogram, i.e. its power spectrum, so a null that
      kept the spectrum (e.g. phase randomisation) would equal the observed score.
    - ``shuffle="nodes"``: the node labels of the walk are permuted, one random permutation
      of the nodes per shuffle shared by all units (the zoo's earlier null). Permuted maps
      are white noise; their gridness is NaN 96-99 % of the time on 11x11 and 15x15
      hexagonal worlds, so this null rarely binds and the test reduces to the floor, which
      passes about 8 % of smooth random fields on 15x15 worlds (the controls in
      tests/analysis/test_lattice_grid.py). Kept for comparison, not recommended.
    - NaN policy: a shuffle whose gridness is NaN counts as a shuffle that did not beat the
      unit: NaN -> -inf before the percentile (:func:`percentile_nan_low`), never dropped;
      ``n_finite_shuffles`` reports how many were defined. A unit whose own score is NaN is
      not a grid unit. NaN activity is rejected.
    - ``null="per-unit"``: each unit against its own shuffles. ``null="pooled"``: one
      population threshold, the percentile of all non-constant units' shuffles pooled
      (Langston et al. 2010; Wills et al. 2010); units whose activity never changes are left
      out of the pool (their maps have no score, shuffled or not).

    To score per-node maps directly (e.g. patterns evaluated at the node coordinates, as
    :func:`hippocore.testing.lattice_controls` builds), pass ``nodes=np.arange(n_nodes)``
    and the maps as ``activity`` of shape ``(n_nodes, n_unit)``.

    Parameters
    ----------
    world : hippocore.envs.World
        A hexagonal lattice (``make_world("hexagonal", width)``). Square and eight-connected
        worlds are refused: there (one bin per node) the controls fail, ideal grids have no
        BNT score and 13 % of smooth random fields pass on 15x15 worlds.
    nodes : array_like of int, shape (n_steps,)
        Node visited at each time step.
    activity : array_like of shape (n_steps,) or (n_steps, n_unit)
        Activity of each unit at each step (finite).
    n_shuffles : int, default 100
        Null maps per unit; at least :data:`MIN_LATTICE_SHUFFLES` (100).
    percentile : float, default 95.0
        Null percentile a score must exceed, in (0, 100).
    min_gridness : float, default 0.3
        Absolute floor on the score (BNT units; never mix with DeepMind-style thresholds).
    null : {"per-unit", "pooled"}, default "per-unit"
        Per-unit thresholds or one pooled population threshold.
    shuffle : {"spectral", "nodes"}, default "spectral"
        How null maps are made (see above).
    bin_size : float, optional
        Map bin (m), default half the node spacing (as
        :func:`~hippocore.analysis.lattice_rate_map`). At that default BNT gridness is
        undefined (centre field of radius 1 bin) for the finest grids, plane-wave wavelength
        below about 4.5 node spacings; a quarter spacing scores them, at about 3x the cost.
    smooth : float, default 0
        Map smoothing (bins, BNT kernel), applied to observed and null maps alike.
    seed : int or Generator, optional
        Randomness of the null.
    unit_seeds : array_like of int, shape (n_unit,), optional
        Give each unit a null of its own: unit ``u``'s shuffles are drawn from
        ``numpy.random.default_rng([seed, unit_seeds[u]])`` (``seed`` an int), so a unit's
        numbers do not depend on which other units are scored with it: scoring a stack at
        once, unit by unit or in any chunking gives the same result when each unit keeps its
        number (e.g. its index in the session, as :func:`hippocore.workflows.lattice_columns`
        passes). With ``shuffle="nodes"`` each unit then has its own node permutations.
        Default: one stream from ``seed`` for the whole stack (permutations shared by all
        units).
    max_axis_deviation : float or None, default 15.0
        Largest deviation (degrees) of each gap between the three autocorrelogram axes from
        60°; None: no geometry requirement (score and null only).

    Returns
    -------
    LatticeGridUnits

    Raises
    ------
    ValueError
        If ``world`` is not a hexagonal lattice, ``n_shuffles`` < 100, ``percentile``
        outside (0, 100), ``max_axis_deviation`` outside [0, 60), ``null`` or ``shuffle``
        unknown, or the walk is malformed (nodes outside the world, NaN activity, mismatched
        lengths).

    Examples
    --------
    >>> import numpy as np
    >>> from hippocore.envs import make_world
    >>> from hippocore.testing import lattice_controls
    >>> world = make_world("hexagonal", 11)
    >>> grids = lattice_controls(world, "grid", 4, seed=0)
    >>> res = lattice_grid_units(world, np.arange(world.n_nodes), grids.activity, seed=0)
    >>> res.score.shape, res.n_shuffles
    ((4,), 100)
    """
    _check_world(world)
    n_shuffles, null, shuffle, min_gridness = _check_lattice_options(
        n_shuffles, percentile, null, shuffle, min_gridness
    )
    max_axis_deviation = _check_axis_deviation(max_axis_deviation)
    coords, nd, act = check_lattice_inputs(world, nodes, activity)
    a2 = act[:, None] if act.ndim == 1 else act
    n_unit = a2.shape[1]
    rngs = _unit_rngs(seed, unit_seeds, n_unit)
    map_options = {"bin_size": bin_size, "smooth": smooth}

    observed = lattice_rate_map(world, nd, a2, **map_options)
    if shuffle == "nodes":
        null_maps = _node_null_maps(
            world, nd, a2, n_shuffles, rngs, unit_seeds is None, map_options
        )
    else:
        n_nodes = coords.shape[0]
        visits = np.bincount(nd, minlength=n_nodes)
        sums = np.stack([np.bincount(nd, weights=a, minlength=n_nodes) for a in a2.T])
        visited = np.flatnonzero(visits > 0)
        node_rate = sums[:, visited] / visits[visited]
        values = _spectral_surrogates(
            coords[visited], observed.rate, node_rate, float(observed.bin_size), n_shuffles, rngs
        )
        null_maps = lattice_rate_map(world, visited, values, **map_options).rate
    # observed and null maps scored as one stack: no map is ever scored alone (a lone map's
    # autocorrelogram can differ in the last bit), so a unit scores the same in any stack
    scores, deviation = _gridness_of(np.concatenate([observed.rate, null_maps]))
    score, null_scores = scores[:n_unit], scores[n_unit:].reshape(n_unit, n_shuffles)
    unit_dev, null_dev = deviation[:n_unit], deviation[n_unit:].reshape(n_unit, n_shuffles)

    n_finite = count_finite(null_scores, axis=1)
    varying = np.ptp(a2, axis=0) > 0
    if null == "per-unit":
        null_thr = percentile_nan_low(null_scores, percentile, axis=1)
    else:
        pool = null_scores[varying].ravel()
        value = percentile_nan_low(pool, percentile) if pool.size else np.float64(np.nan)
        null_thr = np.full(n_unit, float(value))
    threshold = np.maximum(min_gridness, null_thr)  # NaN (empty pool) stays NaN
    parameters = _lattice_parameters(
        shuffle=shuffle, n_shuffles=n_shuffles, percentile=percentile, min_gridness=min_gridness,
        null=null, world=world, bin_size=observed.bin_size, smooth=smooth, n_steps=nd.size,
        n_pooled=int(varying.sum()), seed=seed, unit_seeds=unit_seeds,
        max_axis_deviation=max_axis_deviation,
    )  # fmt: skip
    return LatticeGridUnits(
        score=np.asarray(score, float),
        null_threshold=null_thr,
        threshold=threshold,
        n_finite_shuffles=n_finite,
        n_shuffles=n_shuffles,
        **_decide(score, threshold, null_scores, unit_dev, null_dev, max_axis_deviation),
        null=null_scores,
        rate=observed.rate,
        parameters=parameters,
        axis_deviation=unit_dev,
        null_axis_deviation=null_dev,
    )
