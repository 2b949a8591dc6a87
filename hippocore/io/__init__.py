"""Readers and writers: NWB, Kavli MAT, netCDF and zarr, all to and from schema datasets.

- :func:`read_nwb` -- a lab NWB file or a hippocore export -> session (lazy, by-type lookup);
- :func:`write_nwb` -- a session -> NWB that passes nwbinspector (optionally DANDI-ready);
- :func:`read_kavli_mat`, :func:`convert_kavli_to_nwb` -- the Kavli/Moser MAT release of
  Sargolini et al. (2006) -> session, or -> NWB in the DANDI:000582 layout;
- :func:`read_axona`, :func:`convert_axona_to_nwb` -- Axona dacqUSB/TINT trials (``.set``,
  ``.pos``, tetrode and ``.cut``/``.clu`` files) -> session in m and s, or -> NWB;
- :func:`read_session` -- any of these files -> session, the reader chosen from what the file
  is (:func:`detect_format`); :func:`find_session_files` -- the session files of folders;
- :func:`to_netcdf`, :func:`open_dataset`, :func:`to_zarr`, :func:`open_zarr` -- any schema
  dataset, identical round trips, lazy dask opening; :func:`open_sessions` -- many sessions as
  one dataset along ``session``.

pynwb is imported lazily; nothing here imports torch. Every writer writes to a temporary
file beside the target and renames it into place only when complete; documented repairs warn
with :class:`DataRepairWarning`. See ``docs/io.md``.
"""

from hippocore.io._axona import read_axona
from hippocore.io._axona_nwb import convert_axona_to_nwb
from hippocore.io._common import DataRepairWarning, NoUnitsWarning
from hippocore.io._inspect import FileSummary, inspect_file
from hippocore.io._kavli import convert_kavli_to_nwb, read_kavli_mat
from hippocore.io._netcdf import open_dataset, to_netcdf
from hippocore.io._nwb_read import read_nwb
from hippocore.io._nwb_write import write_nwb
from hippocore.io._read import FORMATS, detect_format, find_session_files, read_session
from hippocore.io._sessions import open_sessions
from hippocore.io._zarr import open_zarr, to_zarr

__all__ = [
    "read_session",
    "detect_format",
    "find_session_files",
    "FORMATS",
    "read_nwb",
    "write_nwb",
    "read_kavli_mat",
    "convert_kavli_to_nwb",
    "read_axona",
    "convert_axona_to_nwb",
    "to_netcdf",
    "open_dataset",
    "to_zarr",
    "open_zarr",
    "open_sessions",
    "inspect_file",
    "FileSummary",
    "DataRepairWarning",
    "NoUnitsWarning",
]
