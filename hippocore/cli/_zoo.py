"""``hippocore train``, ``export`` and ``zoo list``: the model zoo (torch imported only here)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hippocore.cli._parser import subcommand

__all__ = ["add_train", "add_export", "add_zoo", "parse_world", "card_line"]

_TRAIN_EXAMPLE = """\
examples:
  hippocore train                                   # TEM-t's default config, runs/tem-t
  hippocore train docs/configs/tem.toml --out runs/tem --steps 200
  hippocore train --config docs/configs/tem-t-square.toml --grid-every 500
  hippocore train docs/configs/tem.toml docs/configs/tem-t-square.toml --seeds 0 1 2 \
      --n-jobs 2 --out runs/sweep

The config's top-level model_name picks the model (`hippocore zoo list`); a run folder with a
checkpoint is resumed unless --restart. A sweep (several configs or --seeds) trains each run
in OUT/<config stem>-seed<k> and skips runs whose folder records them finished.
"""

_EXPORT_EXAMPLE = """\
examples:
  hippocore export pretrained:tem-t --world hexagonal:11 --steps 6050 -o tem-t.nwb
  hippocore export runs/tem-t/checkpoint.pt --world square:9 --steps 2000 --seed 1 -o run.nc
  hippocore score tem-t.nwb -o tem-t.csv --bin-size 0.1 --population position_encoding \\
      --negative-activity rectify

Writes the model's units (activity per population, node positions in m, one sample per step
of dt = 0.1 s) as a session: .nwb (write_nwb), .nc (to_netcdf) or .zarr (to_zarr).
"""

_ZOO_EXAMPLE = """\
example:
  hippocore zoo list
"""


def parse_world(text: str) -> tuple[str, int, int | None]:
    """Parse ``KIND:WIDTH`` or ``KIND:WIDTHxHEIGHT`` (e.g. ``hexagonal:11``, ``square:9x7``).

    Parameters
    ----------
    text : str
        The world.

    Returns
    -------
    kind : str
    width : int
    height : int or None
    """
    kind, _, size = text.partition(":")
    width, _, height = size.partition("x")
    if not kind or not width.isdigit() or (height and not height.isdigit()):
        raise ValueError(
            f"--world {text!r}: expected KIND:WIDTH or KIND:WIDTHxHEIGHT, e.g. hexagonal:11 "
            "(kinds: square, hexagonal, eight)."
        )
    return kind, int(width), int(height) if height else None


def _load_model(spec: str):  # -> torch.nn.Module (torch is not imported here)
    from hippocore.zoo import load_checkpoint, pretrained

    if spec.startswith("pretrained:"):
        return pretrained(spec.removeprefix("pretrained:"))
    if not Path(spec).is_file():
        raise FileNotFoundError(
            f"no checkpoint at {spec}; give a checkpoint.pt or pretrained:NAME "
            "(see `hippocore zoo list`)."
        )
    return load_checkpoint(spec)[0]


def _export(args: argparse.Namespace) -> int:
    from hippocore.envs import make_world
    from hippocore.io import to_netcdf, to_zarr, write_nwb

    out = Path(args.output)
    writers = {".nwb": write_nwb, ".nc": to_netcdf, ".zarr": to_zarr}
    if out.suffix.lower() not in writers:
        raise ValueError(f"output {out}: unknown extension {out.suffix!r}; use .nwb, .nc or .zarr.")
    if out.exists() and not args.overwrite:
        raise FileExistsError(f"{out} already exists; pass --overwrite to replace it.")
    kind, width, height = parse_world(args.world)
    world = make_world(kind, width, height)
    from hippocore.zoo import rollout

    model = _load_model(args.model)
    steps = args.steps if args.steps is not None else 50 * world.n_nodes
    session = rollout(model, world, steps, seed=args.seed)
    write = writers[out.suffix.lower()]
    extra = {"seed": args.seed} if write is write_nwb else {}
    path = write(session, out, overwrite=args.overwrite, **extra)
    pops = {
        str(p): int((session.population.values == p).sum()) for p in set(session.population.values)
    }
    print(f"{args.model} walked {steps} steps in {args.world} -> {path} (units {pops})")
    return 0


def _sweep(args: argparse.Namespace, configs: list[str | None]) -> int:
    from hippocore.workflows import train_sweep

    if args.grid_every or args.device or args.restart:
        raise ValueError("--grid-every, --device and --restart apply to one run, not to sweeps.")
    runs = train_sweep(
        configs,
        seeds=args.seeds if args.seeds else [args.seed if args.seed is not None else 0],
        out=args.out,
        steps=args.steps,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
        progress=not args.quiet,
    )
    for r in runs:
        loss = r.metrics.get("loss")
        tail = f", loss {loss:.3f}" if isinstance(loss, float) else ""
        what = r.reason if r.status == "failed" else f"{r.step} steps{tail}"
        print(f"{r.status:<8} {r.folder}: {what}")
    failed = sum(r.status == "failed" for r in runs)
    print(
        f"{len(runs) - failed} of {len(runs)} run(s) finished ({sum(r.status == 'skipped' for r in runs)} skipped)"
    )
    return 1 if failed else 0


def _train(args: argparse.Namespace) -> int:
    from hippocore.zoo import as_config, config_document, train

    if args.config_files and args.config:
        raise ValueError("give the config once: positionally or with --config, not both.")
    configs = args.config_files or [args.config]
    if len(configs) > 1 or args.seeds or args.n_jobs > 1 or args.scheduler:
        return _sweep(args, configs)
    cfg = config_document(as_config(configs[0]))
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


def card_line(card: dict) -> str:
    """One line from a pretrained checkpoint's model card (its note's first sentence)."""
    head = f"{card.get('model', '?')} model, {card.get('step', '?')} training steps"
    note = str(card.get("note", "")).strip()
    if note:
        return f"{head}; {note.split('. ')[0].rstrip('.')}."
    fraction = card.get("grid_units_lattice_grid_units_per_unit_null_100_shuffles", {})
    grid = fraction.get("hexagonal_11x11", {}).get("grid_fraction_per_walk")
    extra = f"; grid units in an 11x11 hexagonal world: {grid[0]:.0%}" if grid else ""
    return f"{head}, the current default config{extra}."


def _zoo_list(args: argparse.Namespace) -> int:
    import hippocore

    folder = Path(hippocore.__file__).parent / "zoo" / "pretrained"
    try:
        from hippocore.zoo import list_models

        print("registered models: " + ", ".join(list_models()))
    except ImportError as exc:
        print(f"registered models: unknown ({exc})")
    print("pretrained checkpoints (hippocore export pretrained:NAME ...):")
    for pt in sorted(folder.glob("*.pt")):
        card_path = pt.with_suffix(".json")
        card = json.loads(card_path.read_text()) if card_path.is_file() else {}
        print(f"  {pt.stem:<14} {card_line(card)}")
    return 0


def add_train(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore train``."""
    tr = subcommand(
        sub,
        "train",
        common,
        "train a zoo model (no config: retrain the shipped TEM-t default from scratch)",
        _TRAIN_EXAMPLE,
    )
    tr.add_argument(
        "config_files",
        nargs="*",
        default=[],
        metavar="CONFIG",
        help="TOML config file(s); several, or --seeds, make a sweep",
    )
    tr.add_argument(
        "--config",
        default=None,
        help="TOML config file (same as CONFIG); its top-level model_name picks the model "
        "(default: tem-t's built-in default)",
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
    tr.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="sweep: one run per config and seed, in OUT/<config>-seed<k> (finished runs skipped)",
    )
    tr.add_argument("--n-jobs", type=int, default=1, help="sweep: processes (>1: local Dask)")
    tr.add_argument("--scheduler", default=None, help="sweep: address of a Dask scheduler")
    tr.set_defaults(func=_train)


def add_export(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore export``."""
    ex = subcommand(
        sub,
        "export",
        common,
        "walk a trained model through a world and write its units as a session file",
        _EXPORT_EXAMPLE,
    )
    ex.add_argument("model", metavar="CHECKPOINT", help="checkpoint file or pretrained:NAME")
    ex.add_argument("--world", default="hexagonal:11", help="KIND:WIDTH[xHEIGHT] (hexagonal:11)")
    ex.add_argument("--steps", type=int, default=None, help="walk length (default 50 x nodes)")
    ex.add_argument("--seed", type=int, default=0, help="seed of the walk (default 0)")
    ex.add_argument("-o", "--output", required=True, help="session file: .nwb, .nc or .zarr")
    ex.add_argument("--overwrite", action="store_true", help="replace an existing output")
    ex.set_defaults(func=_export)


def add_zoo(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``hippocore zoo list``."""
    zoo = subcommand(
        sub, "zoo", common, "the model zoo: registered models and shipped checkpoints", _ZOO_EXAMPLE
    )
    zsub = zoo.add_subparsers(dest="zoo_command", required=True)
    ls = subcommand(
        zsub, "list", common, "list registered models and pretrained checkpoints", _ZOO_EXAMPLE
    )
    ls.set_defaults(func=_zoo_list)
