"""hippocore: hippocampal models and rodent-lab spatial analysis on one data schema.

The package is layered (docs/architecture.md: the parts, who may import whom, the schema;
``tests/test_import_boundary.py`` reads its table):

- :mod:`hippocore.schema` - the data contract (session, rate-map and scores datasets);
- :mod:`hippocore.envs` - graph worlds, walks and continuous-arena trajectories;
- :mod:`hippocore.testing` - synthetic data with known answers;
- :mod:`hippocore.analysis` - rate maps, autocorrelograms, grid/band/place/border/direction
  scores, shuffles and classification (numpy, scipy, scikit-image, xarray; never torch);
- :mod:`hippocore.io` - NWB, Kavli MAT, Axona, netCDF and zarr;
- :mod:`hippocore.zoo` - models and training (needs the ``zoo`` extra: torch);
- :mod:`hippocore.plotting` - figures and the HTML report (needs the ``plot`` extra);
- ``hippocore`` command (:mod:`hippocore.cli`).

Importing ``hippocore`` loads only the schema and registers the ``ds.hc`` accessor (whose
analysis code is imported on first use); the other parts are imported on use, and nothing
here imports torch.
"""

from hippocore import _hc as _hc  # registers ds.hc (lazily: no scipy until first used)
from hippocore import schema
from hippocore._version import __version__
from hippocore.schema import SchemaError, validate

__all__ = ["__version__", "schema", "SchemaError", "validate"]
