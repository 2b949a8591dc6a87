"""The ``.hc`` dataset accessor: one method per concept, generated from the spec table.

``ds.hc.<name>(...)`` is :func:`hippocore.analysis.ds.<name>` with ``ds`` as its dataset, so
the methods copy no parameter list (``_spec.py``). ``import hippocore`` registers the class as
``ds.hc`` (through ``hippocore._hc``, which imports this module on the first ``ds.hc``).
The methods' old names (``rate_maps``, ``grid_scores``, ``map_scores``, ``head_direction``,
``speed_scores``) still work for one release with a ``FutureWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

import xarray as xr

from . import ds as _forms
from ._spec import CONCEPTS, accessor_method

__all__ = ["HippocoreAccessor", "DEPRECATED_METHODS"]

#: Old accessor method names -> the concept's name (deprecated; removed in the next release).
DEPRECATED_METHODS = {
    "rate_maps": "rate_map",
    "grid_scores": "gridness",
    "map_scores": "map_stats",
    "head_direction": "head_direction_tuning",
    "speed_scores": "speed_score",
}


class HippocoreAccessor:
    """``ds.hc``: hippocore analyses on schema datasets (sessions and rate maps).

    One method per concept of :mod:`hippocore.analysis.ds` (same name, same options):
    ``rate_map``, ``gridness``, ``map_stats``, ``place_fields``, ``head_direction_tuning``,
    ``speed_score``, ``stability``, ``remapping``, ``classify``.
    """

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    def __getattr__(self, name: str) -> Any:
        new = DEPRECATED_METHODS.get(name)
        if new is None:
            raise AttributeError(f"'.hc' has no method {name!r}; see dir(ds.hc).")
        warnings.warn(
            f"ds.hc.{name} is deprecated and goes in the next release; use ds.hc.{new} "
            "(same options, same result).",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(self, new)


for _c in CONCEPTS:
    setattr(HippocoreAccessor, _c.name, accessor_method(getattr(_forms, _c.name)))
del _c
