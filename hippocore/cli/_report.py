"""``hippocore report``: one self-contained HTML file of sessions and training runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hippocore.cli._parser import subcommand

__all__ = ["add_report"]

_REPORT_EXAMPLE = """\
examples:
  hippocore report ../shared/data/sargolini2006/10073-17010302_POS.mat -o rat.html
  hippocore report nwb/ tem-t.nc runs/small -o lab-and-model.html --shuffles 100
  hippocore report tem-t.nwb rat.nwb -o both.html --population position_encoding

PATH: session files (NWB, Kavli .mat, Axona .set, netCDF, zarr), folders of them, and
training run folders (holding metrics.jsonl). Each session is scored with hippocore.analysis.ds.classify (rate
maps, every score against --shuffles time shifts, a label); model sessions of one hexagonal
world also get the controlled lattice grid test (lattice_gridness, its 95th-percentile null
threshold, finite shuffles, is_lattice_grid), the test the zoo's results use. Negative model
activity is rectified for the rate-based scores (the section says so).
"""


def _items(args: argparse.Namespace) -> list[Any]:
    """Report items from the command's paths: run folders as runs, the rest as sessions."""
    from hippocore.io import find_session_files, read_session
    from hippocore.plotting import ReportItem

    items: list[Any] = []
    for raw in args.paths:
        path = Path(raw)
        if path.is_dir() and (path / "metrics.jsonl").is_file():
            items.append(ReportItem(run=path, name=path.name))
            continue
        files, _ = find_session_files([path])
        if not files:
            raise ValueError(f"{path}: no session files or training run found there.")
        for f in files:
            session = _select(read_session(f), args.population)
            items.append(ReportItem(session=session, path=str(f), extra=_lattice(session, args)))
    if args.population and not any(
        i.session is not None and bool(i.session["population"].isin(args.population).any())
        for i in items
    ):
        raise ValueError(f"no session has units of population(s) {args.population}.")
    return items


def _select(session: Any, populations: list[str] | None) -> Any:
    """The units of ``populations`` when the session has any; else the session whole.

    So that ``--population position_encoding`` trims a model rollout while a recording
    beside it (population "MEC", say) keeps its cells.
    """
    if not populations or "population" not in session.coords:
        return session
    keep = session["population"].isin(populations)
    return session.isel(unit=keep) if bool(keep.any()) else session


def _lattice(session: Any, args: argparse.Namespace) -> Any:
    """The lattice grid-test columns of a model session of one hexagonal world, or None."""
    import numpy as np
    import xarray as xr

    from hippocore.workflows import lattice_columns

    if "activity" not in session:
        return None
    index = np.arange(session.sizes["unit"])
    table = lattice_columns(session, index, n_shuffles=args.shuffles, seed=args.seed)
    if table is None:
        return None
    return xr.Dataset({c: ("unit", table[c].to_numpy()) for c in table.columns})


def _report(args: argparse.Namespace) -> int:
    from hippocore.plotting import write_report

    out = write_report(
        _items(args),
        args.output,
        title=args.title,
        overwrite=args.overwrite,
        bin_size=args.bin_size,
        n_shuffles=args.shuffles,
        seed=args.seed,
        max_gallery=args.max_gallery,
        progress=not args.quiet,
    )
    print(f"report -> {out}")
    return 0


def add_report(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore report`` to the command's subparsers."""
    p = subcommand(
        sub,
        "report",
        common,
        "write one self-contained HTML report of sessions and training runs",
        _REPORT_EXAMPLE,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="session files, folders, run folders")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.add_argument("--title", default=None, help="page title")
    p.add_argument("--shuffles", type=int, default=100, help="shuffles per unit (default 100)")
    p.add_argument("--seed", type=int, default=0, help="shuffle seed (default 0)")
    p.add_argument(
        "--bin-size", type=float, default=None, help="rate-map bin (m); default per session"
    )
    p.add_argument(
        "--population",
        action="append",
        default=None,
        help="keep only this population's units in sessions that have it (repeatable)",
    )
    p.add_argument("--max-gallery", type=int, default=100, help="units drawn per session")
    p.add_argument("--overwrite", action="store_true", help="replace an existing report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_report)
