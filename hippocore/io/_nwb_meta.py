"""NWB file and subject metadata <-> session attributes, so that it survives a round trip.

Every text field of ``NWBFile`` and ``Subject`` that describes the experiment becomes one
session attribute (netCDF-safe: lists are stored as JSON strings):

======================================  ===========================================
NWB                                     session attribute
======================================  ===========================================
``session_description``                 ``description``
``session_start_time``                  ``session_start_time`` (ISO 8601)
``timestamps_reference_time``           ``timestamps_reference_time`` (when it differs)
``session_id``, ``institution``, ``lab``, ``experiment_description``, ``protocol``,
``notes``, ``pharmacology``, ``surgery``, ``virus``, ``stimulus_notes``,
``data_collection``, ``slices``         same name
``experimenter``, ``keywords``,
``related_publications``                ``<name>_json`` (a JSON list)
``subject.subject_id``, ``species``, ``sex``, ``age``, ``strain``, ``genotype``,
``weight``, ``date_of_birth``           same name
``subject.description``                 ``subject_description``
``subject.age__reference``              ``subject_age_reference`` (when not "birth")
======================================  ===========================================

The file's ``identifier`` is kept as ``identifier`` for reference; a re-export gets a new one
(NWB identifiers name one file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

__all__ = [
    "TEXT_FIELDS",
    "LIST_FIELDS",
    "SUBJECT_FIELDS",
    "metadata_attrs",
    "subject_attrs",
    "metadata_from_attrs",
    "subject_from_attrs",
    "metadata_args_as_attrs",
    "subject_args_as_attrs",
]

#: NWBFile text fields carried under their own name.
TEXT_FIELDS = (
    "session_id",
    "institution",
    "lab",
    "experiment_description",
    "protocol",
    "notes",
    "pharmacology",
    "surgery",
    "virus",
    "stimulus_notes",
    "data_collection",
    "slices",
)
#: NWBFile list fields, carried as JSON lists in ``<name>_json``.
LIST_FIELDS = ("experimenter", "keywords", "related_publications")
#: Subject field -> session attribute.
SUBJECT_FIELDS = {
    "subject_id": "subject_id",
    "species": "species",
    "sex": "sex",
    "age": "age",
    "strain": "strain",
    "genotype": "genotype",
    "weight": "weight",
    "date_of_birth": "date_of_birth",
    "description": "subject_description",
    "age__reference": "subject_age_reference",
}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [_text(value)]
    return [_text(v) for v in np.asarray(value, dtype=object).reshape(-1).tolist()]


def metadata_attrs(nwbfile: Any) -> dict[str, Any]:
    """Session attributes from an ``NWBFile``'s metadata (see the module table)."""
    attrs: dict[str, Any] = {}
    if nwbfile.session_description:
        attrs["description"] = _text(nwbfile.session_description)
    attrs["session_start_time"] = nwbfile.session_start_time.isoformat()
    ref = nwbfile.timestamps_reference_time
    if ref is not None and ref != nwbfile.session_start_time:
        attrs["timestamps_reference_time"] = ref.isoformat()
    attrs["identifier"] = _text(nwbfile.identifier)
    for key in TEXT_FIELDS:
        value = getattr(nwbfile, key, None)
        if value is not None and _text(value) != "":
            attrs[key] = _text(value)
    for key in LIST_FIELDS:
        values = _as_list(getattr(nwbfile, key, None))
        if values:
            attrs[f"{key}_json"] = json.dumps(values)
    return attrs


def subject_attrs(subject: Any) -> dict[str, Any]:
    """Session attributes from an NWB ``Subject`` (None gives none)."""
    attrs: dict[str, Any] = {}
    if subject is None:
        return attrs
    for field, key in SUBJECT_FIELDS.items():
        value = getattr(subject, field, None)
        if value is None or _text(value) == "":
            continue
        if field == "age__reference" and _text(value) == "birth":
            continue  # the default
        attrs[key] = _text(value)
    return attrs


def _list_attr(attrs: Mapping[str, Any], key: str) -> list[str] | None:
    if f"{key}_json" in attrs:
        return [str(v) for v in json.loads(str(attrs[f"{key}_json"]))]
    if key in attrs:  # a plain string or list, as users may set it
        return _as_list(attrs[key])
    return None


def metadata_from_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``NWBFile`` keyword arguments from session attributes (inverse of :func:`metadata_attrs`).

    ``identifier`` is not taken (a new file gets a new one); ``session_description`` comes from
    ``description``.
    """
    out: dict[str, Any] = {}
    if attrs.get("description"):
        out["session_description"] = str(attrs["description"])
    for key in ("session_start_time", "timestamps_reference_time"):
        if key in attrs:
            out[key] = datetime.fromisoformat(str(attrs[key]))
    for key in TEXT_FIELDS:
        if key in attrs:
            out[key] = str(attrs[key])
    for key in LIST_FIELDS:
        values = _list_attr(attrs, key)
        if values is not None:
            out[key] = values
    return out


def subject_from_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``Subject`` keyword arguments from session attributes (inverse of :func:`subject_attrs`)."""
    out: dict[str, Any] = {}
    for field, key in SUBJECT_FIELDS.items():
        if key in attrs:
            value = str(attrs[key])
            out[field] = datetime.fromisoformat(value) if field == "date_of_birth" else value
    return out


def metadata_args_as_attrs(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Session attributes recording ``write_nwb(metadata=...)`` (all but ``identifier``)."""
    attrs: dict[str, Any] = {}
    for key, value in meta.items():
        if key == "identifier" or value is None:
            continue
        if key == "session_description":
            attrs["description"] = str(value)
        elif key in LIST_FIELDS:
            attrs[f"{key}_json"] = json.dumps(_as_list(value))
        elif isinstance(value, datetime):
            attrs[key] = value.isoformat()
        else:
            attrs[key] = _text(value)
    return attrs


def subject_args_as_attrs(subject: Mapping[str, Any]) -> dict[str, Any]:
    """Session attributes recording ``write_nwb(subject=...)``."""
    return {
        SUBJECT_FIELDS[field]: _text(value)
        for field, value in subject.items()
        if field in SUBJECT_FIELDS and value is not None
    }
