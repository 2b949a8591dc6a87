"""Readers and writers: NWB, Kavli MAT, netCDF and zarr, all to and from schema datasets.

pynwb is imported lazily; nothing here imports torch. Every writer writes to a temporary
file beside the target and renames it into place only when complete.
"""

from hippocore.io._common import DataRepairWarning
from hippocore.io._kavli import convert_kavli_to_nwb, read_kavli_mat
from hippocore.io._netcdf import open_dataset, to_netcdf
from hippocore.io._nwb_read import read_nwb
from hippocore.io._nwb_write import write_nwb
from hippocore.io._sessions import open_sessions
from hippocore.io._zarr import open_zarr, to_zarr

__all__ = [
    "read_nwb",
    "write_nwb",
    "read_kavli_mat",
    "convert_kavli_to_nwb",
    "to_netcdf",
    "open_dataset",
    "to_zarr",
    "open_zarr",
    "open_sessions",
    "DataRepairWarning",
]
