"""The one data contract shared by model export, lab readers and analysis.

Three kinds of :class:`xarray.Dataset` travel through hippocore. Each carries its kind in
``ds.attrs["hippocore_kind"]`` and can be checked with :func:`validate`.

**Session** (``"session"``): a model rollout or a real recording.

=====================  ===================  ===========================================
name                   dims                 meaning / units
=====================  ===================  ===========================================
``time``               coord (time)         sample times, s, strictly increasing
``axis``               coord (axis)         ``["x", "y"]``
``unit``               coord (unit)         unit ids (int or str)
``population``         coord (unit)         population label, e.g. ``"MEC"``, ``"memory"``
``position``           (time, axis)         m, finite (absent only when ``attrs["missing"]`` names it)
``activity``           (time, unit)         optional; ``attrs["units"]`` in Hz, count, a.u.
``spike_time``         (spike)              optional; spike times, s
``spike_unit``         (spike)              optional; index (0..n_unit-1) of each spike's unit
``head_direction``     (time)               optional; rad in (-pi, pi], counter-clockwise from +x
``speed``              (time)               optional; m/s
``environment``        coord (time)         optional; integer environment id per sample
=====================  ===================  ===========================================

A recording without tracking (e.g. units in one file, tracking in another) has no ``position``
and says so: ``attrs["missing"] == "position"`` (a comma-separated list of the absent required
variables). Its ``time`` is then the clock of whatever behaviour exists (head direction,
speed), or empty; analyses that need position raise an error naming what is missing
(:func:`require`).

Attributes: ``source`` (``"model"``, ``"recording"`` or ``"synthetic"``), ``hippocore_version``,
``schema_version`` and free provenance (``model``, ``config_json``, ``seed`` ...). Several
environments are described by ``attrs["environments_json"]`` (a JSON list of dicts with an
``id`` each). Attribute values must be netCDF-safe: str, int, float or 1-D numeric lists;
dictionaries are stored as JSON strings.

**Rate maps** (``"rate_maps"``): ``rate (unit, y, x)`` (Hz for spikes, the activity's units
otherwise; NaN where unvisited), ``occupancy (y, x)`` in s, coords ``y`` and ``x`` = bin centres
in m (ascending, evenly spaced; row 0 is the lowest y), attrs ``bin_size`` (m) and the map
parameters.

**Scores** (``"scores"``): one variable per score along ``unit``; attrs record every parameter
that changes a number.

Everything inside is SI (m, s, Hz, rad); cm, degrees and other conventions appear only at the
io boundaries. Head direction, as data, is one convention everywhere: radians in (-pi, pi],
counter-clockwise from +x, NaN where unknown; from two LEDs it is the direction from the back
LED to the front one (:func:`led_head_direction`, used by the readers and by
``hippocore.analysis.head_direction_from_leds`` alike).
"""

from hippocore.schema._access import (
    environments,
    kind_of,
    led_head_direction,
    missing,
    require,
    spike_trains,
)
from hippocore.schema._build import make_rate_maps, make_scores, make_session
from hippocore.schema._names import (
    ACTIVITY_UNITS,
    AXIS,
    SCHEMA_VERSION,
    SOURCES,
    SPIKE,
    TIME,
    UNIT,
    SchemaError,
    X,
    Y,
)
from hippocore.schema._names import (
    Kind as Kind,
)
from hippocore.schema._validate import validate

__all__ = [
    "SCHEMA_VERSION",
    "SchemaError",
    "TIME",
    "UNIT",
    "AXIS",
    "SPIKE",
    "X",
    "Y",
    "SOURCES",
    "ACTIVITY_UNITS",
    "make_session",
    "make_rate_maps",
    "make_scores",
    "spike_trains",
    "validate",
    "kind_of",
    "environments",
    "missing",
    "require",
    "led_head_direction",
]
