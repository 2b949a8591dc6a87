"""The ``NWBFile`` and ``Subject`` arguments of a write: from the session's attrs and the caller's, checked.

In-silico sessions get placeholder subject fields (described as such); recordings must state
theirs. DANDI mode adds DANDI's form rules (session id, species, ISO-8601 age).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import xarray as xr

from hippocore.io._common import sanitize_name
from hippocore.io._nwb_meta import LIST_FIELDS, TEXT_FIELDS, metadata_from_attrs, subject_from_attrs

__all__ = ["IN_SILICO_SPECIES", "META_KEYS", "SUBJECT_KEYS", "subject_fields", "file_metadata"]

#: NCBI Taxonomy "synthetic construct" (taxid 32630): the default species of an in-silico agent.
IN_SILICO_SPECIES = "http://purl.obolibrary.org/obo/NCBITaxon_32630"

META_KEYS = (
    "session_description",
    "identifier",
    "session_start_time",
    "timestamps_reference_time",
    *LIST_FIELDS,
    *TEXT_FIELDS,
)
SUBJECT_KEYS = (
    "subject_id",
    "species",
    "sex",
    "age",
    "date_of_birth",
    "description",
    "strain",
    "genotype",
    "weight",
    "age__reference",
)
_SPECIES_FORM = re.compile(r"([A-Z][a-z]* [a-z]+)|(http://purl\.obolibrary\.org/obo/NCBITaxon_\d+)")
_AGE_FORM = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")


def subject_fields(
    session: xr.Dataset, subject: Mapping[str, Any] | None, *, dandi: bool
) -> dict[str, Any]:
    given = dict(subject or {})
    unknown = sorted(set(given) - set(SUBJECT_KEYS))
    if unknown:
        raise ValueError(f"subject has unknown field(s) {unknown}; allowed: {list(SUBJECT_KEYS)}.")
    attrs = session.attrs
    in_silico = attrs.get("source") in ("model", "synthetic")
    fields: dict[str, Any] = subject_from_attrs(attrs)
    if in_silico:
        label = attrs.get("model", "synthetic")
        seed = attrs.get("seed")
        default_id = sanitize_name(f"{label}-seed{seed}" if seed is not None else str(label))
        fields.setdefault("subject_id", default_id.replace("_", "-"))
        fields.setdefault("species", IN_SILICO_SPECIES)
        fields.setdefault("sex", "O")
        fields.setdefault("age", "P0D")
        fields.setdefault(
            "description",
            f"In-silico agent (hippocore source {attrs.get('source')!r}, model {label!r}). "
            "Species is NCBI Taxonomy 'synthetic construct'; sex 'O' (other) and age 'P0D' "
            "are placeholders, not biological facts.",
        )
    fields.update(given)
    fields = {k: v if k in ("weight", "date_of_birth") else str(v) for k, v in fields.items()}
    fields = {k: v for k, v in fields.items() if v is not None}
    if isinstance(fields.get("date_of_birth"), str):
        fields["date_of_birth"] = datetime.fromisoformat(fields["date_of_birth"])
    missing = [k for k in ("subject_id", "species", "sex", "age") if k not in fields]
    if missing and "date_of_birth" in fields and "age" in missing:
        missing.remove("age")
    if missing:
        raise ValueError(
            f"the subject needs {missing} (nwbinspector treats a missing subject, subject_id, "
            "sex or age as CRITICAL). Pass subject={'subject_id': '...', 'species': "
            "'Rattus norvegicus', 'sex': 'M', 'age': 'P90D'} (lab recordings), or set "
            "session.attrs['source'] to 'model' for in-silico defaults."
        )
    problems = []
    if "/" in fields["subject_id"]:
        problems.append(f"subject_id {fields['subject_id']!r} contains '/'")
    if fields["sex"] not in ("M", "F", "U", "O"):
        problems.append(f"sex {fields['sex']!r} is not one of 'M', 'F', 'U', 'O'")
    if dandi:
        if not _SPECIES_FORM.fullmatch(fields["species"]):
            problems.append(
                f"species {fields['species']!r} is neither a Latin binomial ('Rattus norvegicus') "
                "nor an NCBITaxon IRI"
            )
        age = fields.get("age")
        if age is not None and not all(
            part == "" or _AGE_FORM.fullmatch(part) for part in age.split("/")
        ):
            problems.append(f"age {age!r} is not an ISO-8601 duration such as 'P90D' or 'P3M/P5M'")
    if problems:
        raise ValueError("subject is not valid: " + "; ".join(problems) + ".")
    return fields


def file_metadata(
    session: xr.Dataset, metadata: Mapping[str, Any] | None, *, dandi: bool
) -> dict[str, Any]:
    given = dict(metadata or {})
    unknown = sorted(set(given) - set(META_KEYS))
    if unknown:
        raise ValueError(f"metadata has unknown key(s) {unknown}; allowed: {list(META_KEYS)}.")
    attrs = session.attrs
    model = attrs.get("model")
    out: dict[str, Any] = {
        "session_description": attrs.get("description")
        or (
            f"hippocore {attrs.get('source')} session"
            + (f" of model {model}" if model else "")
            + " exported by hippocore.io.write_nwb"
        ),
        "identifier": str(uuid.uuid4()),
        "keywords": ["hippocore"] + (["simulation", str(model)] if model else []),
    }
    out.update(metadata_from_attrs(attrs))  # what a reader kept (see hippocore.io._nwb_meta)
    out.update(given)
    start = out.get("session_start_time") or datetime.now(timezone.utc).replace(microsecond=0)
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    if not isinstance(start, datetime):
        raise TypeError(
            f"metadata['session_start_time'] must be a datetime or ISO string; got {start!r}."
        )
    if start.tzinfo is None:
        raise ValueError(
            "metadata['session_start_time'] must be timezone-aware, e.g. "
            "datetime(2024, 1, 1, tzinfo=timezone.utc)."
        )
    out["session_start_time"] = start
    if isinstance(out.get("timestamps_reference_time"), str):
        out["timestamps_reference_time"] = datetime.fromisoformat(out["timestamps_reference_time"])
    for key in LIST_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = [out[key]]
    if "session_id" in out:
        out["session_id"] = str(out["session_id"])
        if "/" in out["session_id"]:
            raise ValueError(f"session_id {out['session_id']!r} must not contain '/'.")
    if dandi and "session_id" not in out:
        raise ValueError(
            "DANDI mode needs a session id: pass metadata={'session_id': '...'} "
            "(or set session.attrs['session_id'])."
        )
    return out
