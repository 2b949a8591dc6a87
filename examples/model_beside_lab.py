"""Put a model's units beside recorded grid cells in one report: do they look alike.

    python examples/model_beside_lab.py [--steps 2000] [--shuffles 100] [--out lab-and-model.html]

The shipped TEM-t walks an 11x11 hexagonal world; its 60 position units are scored with the
same BNT methods and shuffles as the 8 cells of Sargolini et al. (2006) session
10073-17010302, and both go into one report (one table with a ``source`` column; the
gridness distributions of both on one plot).
"""

import argparse
from pathlib import Path

from hippocore.envs import make_world
from hippocore.io import read_kavli_mat
from hippocore.plotting import write_report
from hippocore.zoo import pretrained, rollout

DATA = Path(__file__).resolve().parents[2] / "shared/data/sargolini2006"


def main(argv=None):
    """Run the example; ``argv`` as on the command line (default ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA), help="folder of the Sargolini MAT files")
    p.add_argument("--steps", type=int, default=2000, help="steps of the model's walk")
    p.add_argument("--shuffles", type=int, default=100, help="time-shift shuffles per unit")
    p.add_argument("--out", default="lab-and-model.html")
    args = p.parse_args(argv)

    lab = read_kavli_mat(Path(args.data) / "10073-17010302_POS.mat")
    model = rollout(pretrained("tem-t"), make_world("hexagonal", 11), args.steps, seed=0)
    model = model.isel(unit=model.population == "position_encoding")  # the grid-code units
    out = write_report(
        {"rat 10073, MEC (Sargolini 2006)": lab, "TEM-t position units": model},
        args.out,
        n_shuffles=args.shuffles,
        max_gallery=24,
        overwrite=True,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
