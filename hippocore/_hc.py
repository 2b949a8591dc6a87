"""``ds.hc`` on every xarray Dataset as soon as ``hippocore`` is imported, without loading the analysis.

The accessor's methods live in :class:`hippocore.analysis.HippocoreAccessor`, which needs scipy
and scikit-image. Registering that class here would make ``import hippocore`` load them;
registering it in :mod:`hippocore.analysis` made ``ds.hc`` fail until that module had been
imported. So the registered class is a stand-in whose construction (xarray builds it on the
first ``ds.hc`` of each dataset, then caches it) imports the analysis and returns the real
accessor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import xarray as xr

if TYPE_CHECKING:
    from hippocore.analysis._accessor import HippocoreAccessor

__all__: list[str] = []


@xr.register_dataset_accessor("hc")
class _LazyHippocoreAccessor:
    """``ds.hc``: hippocore analyses; see :class:`hippocore.analysis.HippocoreAccessor`."""

    def __new__(cls, ds: xr.Dataset) -> HippocoreAccessor:
        from hippocore.analysis._accessor import HippocoreAccessor

        return HippocoreAccessor(ds)
