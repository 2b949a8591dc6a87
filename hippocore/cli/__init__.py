"""The ``hippocore`` command (thin: it parses arguments and calls the library).

Errors the library raises for bad input (ValueError, FileNotFoundError, ...) are printed as
one line on stderr with exit status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hippocore.cli._parser import subcommand
from hippocore.cli._report import add_report
from hippocore.cli._score import add_convert, add_score
from hippocore.cli._zoo import add_export, add_train, add_zoo

__all__ = ["main", "build_parser"]

_EXAMPLES = """\
examples:
  hippocore inspect session.nwb
  hippocore convert ../shared/data/sargolini2006 -o nwb/
  hippocore score nwb/ -o scores.csv
  hippocore export pretrained:tem-t --world hexagonal:11 -o tem-t.nwb
  hippocore zoo list

Every command has --help with an example.
"""

_DEMO_EXAMPLE = """\
example:
  hippocore demo --out demo-output
"""

_INSPECT_EXAMPLE = """\
examples:
  hippocore inspect ../shared/data/sargolini2006/10073-17010302_POS.mat
  hippocore inspect session.nwb trial.set --json
"""

#: Errors that mean bad input or a missing optional package: one line, no traceback.
_USER_ERRORS = (ValueError, OSError, ImportError)


def _demo(args: argparse.Namespace) -> int:
    from hippocore._demo import run_demo

    run_demo(args.out, seed=args.seed)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from hippocore.io import inspect_file

    for path in args.files:
        summary = inspect_file(path)
        print(summary.to_json() if args.json else summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser.

    Returns
    -------
    argparse.ArgumentParser
    """
    from hippocore._version import __version__

    parser = argparse.ArgumentParser(
        prog="hippocore",
        description=__doc__.splitlines()[0],
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hippocore {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = subcommand(sub, "demo", common, "run the main job on built-in defaults", _DEMO_EXAMPLE)
    demo.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(func=_demo)
    add_score(sub, common)
    add_convert(sub, common)
    add_train(sub, common)
    add_export(sub, common)
    add_zoo(sub, common)
    ins = subcommand(
        sub,
        "inspect",
        common,
        "say what a file holds (NWB, Axona .set/.pos, Kavli .mat, netCDF, zarr) and what "
        "hippocore can compute from it",
        _INSPECT_EXAMPLE,
    )
    ins.add_argument("files", nargs="+", help="files to inspect")
    ins.add_argument("--json", action="store_true", help="print JSON instead of text")
    ins.set_defaults(func=_inspect)
    add_report(sub, common)
    return parser


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success; 1 some files of a batch failed (listed); 2 an error (one line
        on stderr); 130 interrupted (Ctrl-C).
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(
            f"hippocore {args.command}: interrupted; no partial output was written (rerun the "
            "same command to continue)",
            file=sys.stderr,
        )
        return 130
    except _USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"hippocore {args.command}: error: {_first_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
