"""``hippocore score`` and ``hippocore convert``: file-level jobs over many sessions."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from hippocore.cli._parser import subcommand

__all__ = ["add_score", "add_convert"]

_SCORE_EXAMPLE = """\
examples:
  hippocore convert ../shared/data/sargolini2006 -o nwb/
  hippocore score nwb/ -o scores.csv --shuffles 100 --seed 0
  hippocore score a.nwb b.nwb model.nc -o scores.nc --n-jobs 2
  hippocore score nwb/ -o scores.parquet --method deepmind --null pooled
  hippocore score tem.nwb -o tem.csv --bin-size 0.1 --population position_encoding \\
      --negative-activity rectify

Rows: one per unit (file, session, unit, population, source, variable, session_seed, every
score s with s_p95, s_p99 and s_n_finite, n_spikes, n_fields, notes, label, is_<label>, and
gridness_method and null: the grid score and the null behind every threshold of the row).
--null pooled: one threshold per score from all units' shuffles of each session.
Finished sessions are kept in OUT's .parts folder (scores.parts/ for scores.csv): rerun the
same command after Ctrl-C and it continues. Exit status 0: every file scored; 1: some failed
(listed); 2: an error before scoring.
"""

_CONVERT_EXAMPLE = """\
examples:
  hippocore convert ../shared/data/sargolini2006 -o nwb/
  hippocore convert trial.set 10073-17010302_POS.mat -o nwb/ --overwrite

Kavli/Moser .mat sessions (a *_POS.mat with its _T<n>C<m>.mat cells, or a cell file with its
own position) and Axona trials (.set) become NWB files (DANDI:000582 layout for Kavli);
hippocore netCDF/zarr sessions are written with write_nwb. Exit status 1 if any file failed.
"""


def _score(args: argparse.Namespace) -> int:
    from hippocore.workflows import check_table_path, score_files, write_table

    out = check_table_path(args.output, overwrite=args.overwrite)
    cache = None if args.no_cache else out.with_suffix(".parts")
    run = score_files(
        args.paths,
        bin_size=args.bin_size,
        smooth=args.smooth,
        limits=args.limits,
        n_shuffles=args.shuffles,
        seed=args.seed,
        populations=args.population,
        negative_activity=args.negative_activity,
        unit_chunk=args.unit_chunk,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
        cache_dir=cache,
        progress=not args.quiet,
        gridness_method=args.method,
        null=args.null,
    )
    if run.n_files == 0:
        raise ValueError(f"no session files found in {args.paths}.")
    write_table(run, out, overwrite=args.overwrite)
    _print_warnings(run.warnings)
    print(run.summary())
    print(f"table -> {out}" + (f" (finished sessions cached in {cache})" if cache else ""))
    return 1 if run.failures else 0


def _print_warnings(messages: tuple[tuple[str, str], ...], *, limit: int = 5) -> None:
    for path, message in messages[:limit]:
        print(f"warning: {path}: {message}")
    if len(messages) > limit:
        print(f"warning: ... and {len(messages) - limit} more")


def _nwb_name(fmt: str, path: Path) -> str:
    stem = path.stem if fmt != "zarr" else path.name.removesuffix(".zarr")
    if fmt == "kavli-mat" and stem.upper().endswith("_POS"):
        stem = stem[: -len("_POS")]
    return f"{stem}.nwb"


def _convert_one(path: Path, folder: Path, overwrite: bool) -> Path:
    from hippocore.io import (
        convert_axona_to_nwb,
        convert_kavli_to_nwb,
        detect_format,
        read_session,
        write_nwb,
    )

    fmt, source = detect_format(path)
    target = folder / _nwb_name(fmt, source)
    if fmt == "kavli-mat":
        return convert_kavli_to_nwb(source, target, overwrite=overwrite)
    if fmt == "axona":
        return convert_axona_to_nwb(source, target, overwrite=overwrite)
    if fmt in ("netcdf", "zarr"):
        return write_nwb(read_session(source, require=()), target, overwrite=overwrite)
    raise ValueError(f"{path}: is already NWB; nothing to convert.")


def _convert(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from hippocore.io import find_session_files

    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    files, _ = find_session_files(args.inputs)
    if not files:
        raise ValueError(f"no session files found in {args.inputs}.")
    failed, messages = [], []
    for path in tqdm(files, desc="converting", unit="file", disable=args.quiet):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                target = _convert_one(path, folder, args.overwrite)
                print(f"{path} -> {target}")
            except Exception as exc:  # one file's failure is reported, the others go on
                text = str(exc).strip()
                failed.append((path, text.splitlines()[0] if text else type(exc).__name__))
        messages += [(str(path), f"{w.category.__name__}: {w.message}") for w in caught]
    _print_warnings(tuple(dict.fromkeys(messages)))
    print(f"converted {len(files) - len(failed)} of {len(files)} file(s) into {folder}")
    for path, why in failed:
        print(f"  failed: {path}: {why}")
    return 1 if failed else 0


def add_score(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore score``."""
    p = subcommand(
        sub,
        "score",
        common,
        "score and classify every unit of many session files into one table",
        _SCORE_EXAMPLE,
        description="Score and classify every unit of session files (lab NWB, Kavli .mat, "
        "Axona, model exports in NWB/netCDF) against circular time-shift shuffles: one row "
        "per unit.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="session files or folders of them")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="table: .csv, .nc, .json or .parquet (the parquet extra)",
    )
    p.add_argument("--bin-size", type=float, default=0.025, help="map bin (m; default 0.025)")
    p.add_argument("--smooth", type=float, default=1.0, help="map smoothing (bins; default 1)")
    p.add_argument(
        "--limits",
        type=float,
        nargs=4,
        metavar=("X0", "X1", "Y0", "Y1"),
        default=None,
        help="arena limits (m) of every session (default: each session's data range)",
    )
    p.add_argument("--shuffles", type=int, default=100, help="shuffles per unit (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    p.add_argument(
        "--method",
        choices=("bnt", "deepmind"),
        default="bnt",
        help="grid score: BNT gridnessScore (default) or DeepMind's (square arenas)",
    )
    p.add_argument(
        "--null",
        choices=("per-unit", "pooled"),
        default="per-unit",
        help="thresholds from each unit's shuffles (default) or one per score from all the "
        "session's units' shuffles pooled (Langston et al. 2010)",
    )
    p.add_argument(
        "--population", nargs="+", default=None, help="score only these populations' units"
    )
    p.add_argument(
        "--negative-activity",
        choices=("error", "rectify"),
        default="error",
        help="model activity below 0: fail the file (default) or score max(activity, 0)",
    )
    p.add_argument(
        "--unit-chunk", type=int, default=100, help="units per task in large sessions (100)"
    )
    p.add_argument(
        "--n-jobs", type=int, default=1, help="processes (>1: a local Dask cluster; default 1)"
    )
    p.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    p.add_argument("--no-cache", action="store_true", help="do not keep finished sessions")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_score)


def add_convert(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore convert``."""
    p = subcommand(
        sub,
        "convert",
        common,
        "convert Kavli .mat and Axona sessions to NWB",
        _CONVERT_EXAMPLE,
        description="Convert session files to NWB, one file per session.",
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="session files or folders of them")
    p.add_argument("-o", "--output", required=True, help="folder for the NWB files")
    p.add_argument("--overwrite", action="store_true", help="replace existing NWB files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_convert)
