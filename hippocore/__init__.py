"""hippocore: hippocampal models and rodent-lab spatial analysis on one data schema.

The package is layered (see ``ARCHITECTURE``):

- :mod:`hippocore.schema` - the data contract (session, rate-map and scores datasets);
- :mod:`hippocore.envs` - graph worlds, walks and continuous-arena trajectories;
- :mod:`hippocore.testing` - synthetic data with known answers;
- :mod:`hippocore.analysis` - rate maps and grid/band/place scores (numpy/scipy only);
- :mod:`hippocore.io` - NWB, Kavli MAT, netCDF and zarr;
- :mod:`hippocore.zoo` - models and training (needs the ``zoo`` extra: torch).

Importing ``hippocore`` loads only the schema and registers the ``ds.hc`` accessor (whose
analysis code is imported on first use); the other parts are imported on use, and nothing
here imports torch.
"""

from hippocore import _hc as _hc  # registers ds.hc (lazily: no scipy until first used)
from hippocore import schema
from hippocore._version import __version__
from hippocore.schema import SchemaError, validate

__all__ = ["__version__", "schema", "SchemaError", "validate"]
