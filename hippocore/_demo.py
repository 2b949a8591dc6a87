"""The main job, on built-in defaults: what ``make demo`` / ``hippocore demo`` runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

from hippocore.schema import spike_trains

__all__ = ["run_demo", "unit_table"]


def unit_table(session: xr.Dataset, scores: xr.Dataset | None = None) -> str:
    """Format a per-unit summary of a session (and its scores) as a text table.

    Parameters
    ----------
    session : xarray.Dataset
        A schema session with spikes.
    scores : xarray.Dataset, optional
        A scores dataset on the same units (``gridness``, ``grid_spacing`` are shown).

    Returns
    -------
    str
    """
    duration = float(session.time[-1] - session.time[0])
    trains = spike_trains(session)
    truth = session["cell_type"].values if "cell_type" in session.coords else None
    true_spacing = session["true_spacing"].values if "true_spacing" in session.coords else None
    head = f"{'unit':>5}  {'population':<12}"
    head += f"  {'truth':<8}" if truth is not None else ""
    head += f"  {'spikes':>7}  {'mean Hz':>8}"
    if scores is not None:
        head += f"  {'gridness':>8}  {'spacing m':>9}"
        head += f"  {'true m':>6}" if true_spacing is not None else ""
        head += f"  {'label':<14}" if "label" in scores else ""
    lines = [head, "-" * len(head)]
    for k, unit in enumerate(session.unit.values):
        row = f"{unit!s:>5}  {session.population.values[k]!s:<12}"
        row += f"  {truth[k]!s:<8}" if truth is not None else ""
        row += f"  {trains[k].size:>7d}  {trains[k].size / duration:>8.2f}"
        if scores is not None:
            g = float(scores["gridness"].values[k])
            spacing = scores["grid_spacing"].values[k]
            sp = float(np.mean(spacing)) if np.all(np.isfinite(spacing)) else np.nan
            row += f"  {g:>8.3f}  {sp:>9.3f}"
            row += f"  {true_spacing[k]:>6.2f}" if true_spacing is not None else ""
            row += f"  {scores['label'].values[k]!s:<14}" if "label" in scores else ""
            if "gridness_reason" in scores and not np.isfinite(g):
                row += f"  ({scores['gridness_reason'].values[k]})"
        lines.append(row)
    return "\n".join(lines)


def run_demo(out: str | Path = "demo-output", *, seed: int = 0) -> Path:
    """Run the main job: simulate, export to NWB, read back, score, report.

    A synthetic 10-minute lab-like recording (rat-like trajectory, Poisson spikes from grid,
    band, place and untuned cells with known parameters) is written to NWB, read back, turned
    into BNT rate maps (2.5 cm bins, 1-bin smoothing), scored (BNT gridness, spatial
    information, border, Krupic band, head direction, speed) against 100 time-shift shuffles per
    cell, and labelled.

    Parameters
    ----------
    out : path-like, default "demo-output"
        Folder for the outputs (created if missing; files in it are replaced).
    seed : int, default 0
        Seed of the synthetic recording.

    Then the pretrained TEM-t (shipped with the package) is evaluated on new worlds, rolled
    out in a hexagonal world, exported to NWB and read back; its memory neurons' remapping and
    its grid units (:func:`hippocore.analysis.lattice_grid_units`) are reported.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    import hippocore.analysis  # noqa: F401  (registers the .hc accessor)
    from hippocore.io import read_nwb, to_netcdf, write_nwb
    from hippocore.testing import synthetic_recording

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    session = synthetic_recording(600.0, seed=seed)
    nwb_path = write_nwb(session, folder / "synthetic_session.nwb", overwrite=True, seed=seed)
    back = read_nwb(nwb_path)
    same = np.allclose(back.position.values, session.position.values) and np.allclose(
        back.spike_time.values, session.spike_time.values
    )
    limits = (0.0, 1.0, 0.0, 1.0)
    scores = back.hc.classify(bin_size=0.025, limits=limits, n_shuffles=100, seed=seed)
    grid = back.hc.rate_map(bin_size=0.025, limits=limits).hc.gridness()
    scores = scores.assign(
        grid_spacing=grid["grid_spacing"], gridness_reason=grid["gridness_reason"]
    )
    to_netcdf(scores, folder / "synthetic_scores.nc", overwrite=True)
    print(
        f"[1] synthetic 10-min recording, {session.sizes['unit']} cells -> {nwb_path} "
        f"({nwb_path.stat().st_size / 1e6:.2f} MB); read back identical: {same}"
    )
    print(
        "    BNT rate maps (2.5 cm bins, 1-bin smoothing), scores vs 100 shuffles, labels "
        "at the 95th percentile:"
    )
    print(
        "    "
        + unit_table(
            back.assign_coords(cell_type=session.cell_type, true_spacing=session.true_spacing),
            scores,
        ).replace("\n", "\n    ")
    )
    print(f"    scores -> {folder / 'synthetic_scores.nc'}  ({time.perf_counter() - t0:.1f} s)")
    _model_part(folder, seed=seed)
    return folder


def _model_part(folder: Path, *, seed: int) -> None:
    """Pretrained TEM-t: evaluate, roll out, export to NWB, read back, score its units."""
    try:
        from hippocore.zoo import evaluate, get_model, grid_summary, pretrained, rollout
    except ImportError as exc:
        print(f"[2] skipped the model part: {exc}")
        return
    from hippocore.analysis import lattice_grid_units
    from hippocore.envs import make_world
    from hippocore.io import read_nwb, write_nwb
    from hippocore.testing import CONTROL_KINDS, lattice_controls

    t0 = time.perf_counter()
    model = pretrained("tem-t")
    worlds = [make_world("hexagonal", w) for w in (7, 9, 11)]
    acc = evaluate(model, worlds, 1000, seed=seed)
    print(
        f"[2] pretrained TEM-t on 3 new hexagonal worlds (1000 steps each): revisit accuracy "
        f"{acc.revisit_accuracy:.3f}, zero-shot link inference {acc.zero_shot_accuracy:.3f}, "
        f"first visit {acc.first_visit_accuracy:.3f} (chance 1/45 = 0.022)"
    )
    world = make_world("hexagonal", 9)
    n_steps = 40 * world.n_nodes
    # Two worlds (new observations) whose walks start at different nodes (opposite corners).
    starts = (0, world.n_nodes - 1)
    runs = [
        rollout(model, world, n_steps, seed=seed + k, n_memory_units=256, start=starts[k])
        for k in (0, 1)
    ]
    nwb_path = write_nwb(runs[0], folder / "tem-t_rollout.nwb", overwrite=True, seed=seed)
    back = read_nwb(nwb_path)
    same = np.allclose(back.activity.values, runs[0].activity.values, rtol=1e-6, atol=1e-6)
    pops = {
        str(p): int(n)
        for p, n in zip(*np.unique(runs[0].population.values, return_counts=True), strict=True)
    }
    print(
        f"    rollout: {n_steps} steps in a 9x9 hexagonal world, units {pops} -> {nwb_path} "
        f"({nwb_path.stat().st_size / 1e6:.1f} MB); read back identical: {same}"
    )
    _remapping(model, world, runs)
    grid_world = make_world("hexagonal", 11)
    grids = grid_summary(model, grid_world, 50 * 121, seed=seed)
    res = grids.test
    print(
        f"    grid units among the {res.n_units} position units (11x11 hexagonal world, "
        f"{50 * 121} steps; BNT gridness > 0.3 and > the 95th percentile of "
        f"{res.n_shuffles} rotated-spectrum null maps per unit, NaN null scores counted as "
        f"not beating the unit, and hexagonal autocorrelogram axes): {res.n_grid} ({res.grid_fraction:.0%}; null maps passing "
        f"{res.false_positive_rate:.1%}); median gridness {res.score_median:.2f}, "
        f"{int(np.isfinite(res.score).sum())} units with a defined score; finite null scores "
        f"per unit: median {int(np.median(res.n_finite_shuffles))} of {res.n_shuffles}"
    )
    twin = grid_summary(get_model("tem-t", model.config).eval(), grid_world, 50 * 121, seed=seed)
    print(
        f"    the same test on the untrained model (same architecture, fresh weights): "
        f"{twin.test.n_grid} of {twin.test.n_units} grid units; median gridness "
        f"{twin.test.score_median:.2f}"
    )
    # The same test on known patterns at the same nodes: what it calls grid when the answer
    # is known (hippocore.testing.lattice_controls; docs/results/scripts/grid_controls.py for more).
    counts = []
    for kind in CONTROL_KINDS:
        act = lattice_controls(grid_world, kind, 20, seed=seed).activity
        ctl = lattice_grid_units(grid_world, np.arange(grid_world.n_nodes), act, seed=seed)
        counts.append(f"{kind} {ctl.n_grid}/20")
    print(
        "    controls through the same test (ideal grids should pass, bands and smooth noise "
        f"should not): {', '.join(counts)}  ({time.perf_counter() - t0:.1f} s)"
    )


def _remapping(model, world, runs) -> None:  # noqa: ANN001 - a TEM-t and its two rollouts
    """Print how position units and memory neurons remap between the two rollouts' worlds."""
    from hippocore.analysis import lattice_node_means, pair_structure, spatial_correlation

    pop = runs[0].population.values
    maps, firsts, seconds = [], [], []
    for run in runs:
        nodes, act = run["node"].values, run.activity.values.astype(float)
        h = nodes.size // 2
        maps.append(lattice_node_means(world, nodes, act))
        firsts.append(lattice_node_means(world, nodes[:h], act[:h]))
        seconds.append(lattice_node_means(world, nodes[h:], act[h:]))
    pos = np.flatnonzero(pop == "position_encoding")
    module = pos // (pos.size // model.config.model.n_modules)
    pairs = pair_structure(
        firsts[0][pos], firsts[1][pos], groups=module,
        second_a=seconds[0][pos], second_b=seconds[1][pos],
    )  # fmt: skip
    naive = spatial_correlation(maps[0][pos][:, None], maps[1][pos][:, None])  # (unit, 1, node)
    mem = np.flatnonzero(pop == "memory")
    mem_r = spatial_correlation(maps[0][mem][:, None], maps[1][mem][:, None])
    print(
        "    remapping across two worlds whose walks start at opposite corners (one pair of "
        f"walks): position units' split-half pair correlations within modules r = "
        f"{pairs.r:+.2f}, map-by-map r = {np.nanmean(naive):+.2f}; memory neurons map-by-map r = "
        f"{np.nanmean(mem_r):+.3f} (5 pairs of walks and the untrained model: "
        "docs/results/tem-t.md)"
    )
