"""The xarray forms: every analysis concept on schema datasets, under the numpy function's name.

``hippocore.analysis.ds.<name>(dataset, **options)`` takes a session (``rate_map``,
``head_direction_tuning``, ``speed_score``, ``stability``, ``classify``) or a rate-map
dataset (``gridness``, ``map_stats``, ``place_fields``, ``remapping``) and returns a schema
dataset whose attrs record every option. ``dataset.hc.<name>(**options)`` is the same call.
The options and their defaults are the numpy function's (``hippocore.analysis.<name>``): the
signatures here are generated from them (see ``_spec.py``), so the three forms cannot drift.
``gridness`` and ``map_stats`` score dask-backed rate maps chunk by chunk (``apply_ufunc``).
"""

from hippocore.analysis._spec import CONCEPTS, xarray_form

_FORMS = {c.name: xarray_form(c) for c in CONCEPTS}

rate_map = _FORMS["rate_map"]
gridness = _FORMS["gridness"]
map_stats = _FORMS["map_stats"]
place_fields = _FORMS["place_fields"]
head_direction_tuning = _FORMS["head_direction_tuning"]
speed_score = _FORMS["speed_score"]
stability = _FORMS["stability"]
remapping = _FORMS["remapping"]
classify = _FORMS["classify"]

__all__ = [c.name for c in CONCEPTS]
