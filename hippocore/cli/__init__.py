"""The ``hippocore`` command (thin: it parses arguments and calls the library)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from hippocore._demo import run_demo

    run_demo(args.out, seed=args.seed)
    return 0


def _train(args: argparse.Namespace) -> int:
    from hippocore.zoo import as_config, config_document, train

    cfg = config_document(as_config(args.config))
    for key, value in (("n_steps", args.steps), ("device", args.device), ("seed", args.seed)):
        if value is not None:
            cfg["train"][key] = value
    monitor = None
    if args.grid_every:
        from hippocore.zoo import grid_monitor

        # Grid units are tested on hexagonal worlds only; the model must know them (a model
        # trained on other lattices gets grid_monitor's error before training starts).
        kinds = as_config(cfg).env.kinds
        monitor = grid_monitor(kind="hexagonal" if "hexagonal" in kinds else kinds[0])
    result = train(
        cfg,
        out=args.out,
        resume=not args.restart,
        progress=not args.quiet,
        monitor=monitor,
        monitor_every=args.grid_every,
    )
    last = result.metrics[-1] if result.metrics else {}
    print(
        f"trained {result.step} steps into {result.out}: "
        + ", ".join(
            f"{k}={last[k]:.3f}"
            for k in ("loss", "revisit_accuracy", "zero_shot_accuracy")
            if isinstance(last.get(k), float)
        )
    )
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
    parser = argparse.ArgumentParser(prog="hippocore", description=__doc__)
    from hippocore._version import __version__

    parser.add_argument("--version", action="version", version=f"hippocore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on built-in defaults")
    demo.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(func=_demo)
    tr = sub.add_parser(
        "train",
        help="train a zoo model (no options: retrain the shipped TEM-t default from scratch)",
    )
    tr.add_argument(
        "--config",
        default=None,
        help="TOML config file; its top-level model_name picks the model (default: tem-t's "
        "built-in default)",
    )
    tr.add_argument("--out", default="runs/tem-t", help="run folder (default: runs/tem-t)")
    tr.add_argument("--steps", type=int, default=None, help="override train.n_steps")
    tr.add_argument("--device", default=None, help="override train.device (default: cpu)")
    tr.add_argument("--seed", type=int, default=None, help="override train.seed")
    tr.add_argument(
        "--restart", action="store_true", help="ignore a checkpoint in --out and start over"
    )
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument(
        "--grid-every",
        type=int,
        default=0,
        help="log the fraction of grid units every N steps (a multiple of train.log_every; "
        "default 0 = off)",
    )
    tr.set_defaults(func=_train)
    ins = sub.add_parser(
        "inspect",
        help="say what a file holds (NWB, Axona .set/.pos, Kavli .mat, netCDF, zarr) and what "
        "hippocore can compute from it",
    )
    ins.add_argument("files", nargs="+", help="files to inspect")
    ins.add_argument("--json", action="store_true", help="print JSON instead of text")
    ins.set_defaults(func=_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
