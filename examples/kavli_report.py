"""Score one Kavli/Moser recording (Sargolini et al. 2006) and write a table and a report.

    python examples/kavli_report.py [POSITION_FILE] [--shuffles 100] [--out sargolini]

Writes ``<out>.csv`` (one row per cell: every score, its 95th/99th shuffle percentiles, the
finite-shuffle counts and the label) and ``<out>.html`` (the self-contained report).
"""

import argparse
from pathlib import Path

import hippocore.analysis as ha
from hippocore.io import read_kavli_mat
from hippocore.plotting import ReportItem, write_report

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/sargolini2006/10073-17010302_POS.mat"


def main(argv=None):
    """Run the example; ``argv`` as on the command line (default ``sys.argv[1:]``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("position_file", nargs="?", default=str(DEFAULT))
    p.add_argument("--shuffles", type=int, default=100, help="time-shift shuffles per cell")
    p.add_argument("--out", default="sargolini", help="output name (without extension)")
    args = p.parse_args(argv)

    session = read_kavli_mat(args.position_file)  # cm -> m; cells found beside the file
    scores = ha.ds.classify(session, bin_size=0.025, n_shuffles=args.shuffles, seed=0)
    table = scores.drop_vars([v for v in scores.data_vars if scores[v].dims != ("unit",)])
    table.to_dataframe().to_csv(f"{args.out}.csv")
    item = ReportItem(session=session, scores=scores, path=args.position_file)
    out = write_report([item], f"{args.out}.html", overwrite=True)
    print(dict(zip(scores.unit.values, scores.label.values, strict=True)))
    print(f"wrote {args.out}.csv and {out}")


if __name__ == "__main__":
    main()
