"""Train a small TEM-t, export its units to NWB, score them and report the run.

    python examples/train_and_report.py [--steps 20] [--shuffles 100] [--out runs/small]

Writes the run folder (``config.toml``, ``metrics.jsonl``, ``checkpoint.pt``), ``model.nwb``
(the position units of a walk in a new world) and ``report.html`` into ``--out``.
"""

import argparse
from pathlib import Path

from hippocore.envs import make_world
from hippocore.io import read_nwb, write_nwb
from hippocore.plotting import write_report
from hippocore.zoo import rollout, train


def main(argv=None):
    """Run the example; ``argv`` as on the command line (default ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20, help="training steps")
    p.add_argument("--walk", type=int, default=2000, help="steps of the exported walk")
    p.add_argument("--shuffles", type=int, default=100, help="time-shift shuffles per unit")
    p.add_argument("--out", default="runs/small", help="run folder")
    args = p.parse_args(argv)

    run = Path(args.out)
    config = {"train": {"n_steps": args.steps, "log_every": max(1, args.steps // 5)}}
    result = train(config, out=run, progress=False)  # TEM-t's default model, few steps
    session = rollout(result.model, make_world("hexagonal", 11), args.walk, seed=0)
    session = session.isel(unit=session.population == "position_encoding")
    write_nwb(session, run / "model.nwb", overwrite=True)  # what a lab would receive
    units = read_nwb(run / "model.nwb")
    out = write_report(
        {"TEM-t position units": units, "training run": run},
        run / "report.html",
        n_shuffles=args.shuffles,
        overwrite=True,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
