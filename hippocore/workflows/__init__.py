"""File-level jobs: score many session files into one table, in process or on Dask.

- :func:`score_files` -- NWB, Kavli, Axona, netCDF and zarr sessions (lab recordings and model
  exports alike) -> :class:`ScoreRun`: one row per unit with every score, its shuffle
  thresholds and finite-shuffle counts, its label and provenance; failed files listed;
- :func:`write_table` -- that table to ``.nc``, ``.csv``, ``.parquet`` or ``.json``,
  atomically;
- :func:`train_sweep` -- zoo configs x seeds, each run in its own folder, finished runs skipped
  (torch imported only when it runs);
- :func:`session_seed` -- the per-session seed a run derives from its seed and a file name.

Imports io and analysis, never torch; Dask only when a run asks for it (``n_jobs > 1`` or a
scheduler). See ``docs/cli.md``.
"""

from hippocore.workflows._plan import ScoreOptions, session_seed
from hippocore.workflows._run import FileFailure, ScoreRun, score_files
from hippocore.workflows._score import lattice_columns
from hippocore.workflows._sweep import SweepRun, train_sweep
from hippocore.workflows._table import TABLE_FORMATS, check_table_path, write_table

__all__ = [
    "lattice_columns",
    "score_files",
    "ScoreRun",
    "FileFailure",
    "ScoreOptions",
    "session_seed",
    "train_sweep",
    "SweepRun",
    "write_table",
    "check_table_path",
    "TABLE_FORMATS",
]
