"""One definition per concept: the table that generates the xarray forms and the ``.hc`` methods.

Every concept has one name in three places: the numpy function ``hippocore.analysis.<name>``,
its xarray form ``hippocore.analysis.ds.<name>`` (schema datasets in, schema datasets out)
and the accessor method ``ds.hc.<name>``. The numpy functions hold every option and default
once; a :class:`Concept` row says which numpy function(s) a dataset form takes its keyword
options from, which of them the dataset itself supplies (``activity``, bin centres...), and
which helper's options it borrows under a prefix. :func:`xarray_form` builds the public
signature from that row (so ``max_gap``'s default is written once, in ``rate_map``) and
:func:`accessor_method` binds the dataset. ``tests/analysis/test_public_api.py`` walks the
table.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._border import border_score
from ._classify import classify
from ._direction import head_direction_tuning
from ._gridness import gridness
from ._place import place_fields
from ._ratemap import rate_map
from ._remap import population_vector_correlation, spatial_correlation
from ._shuffle import shuffle_scores
from ._speed import speed_score
from ._stability import stability
from ._stats import map_stats
from ._xarray import gridness_of_maps, rate_map_of_session
from ._xscores import (
    classify_session,
    head_direction_of_session,
    map_stats_of_maps,
    place_fields_of_maps,
    remapping_of_maps,
    speed_score_of_session,
    stability_of_session,
)

__all__ = ["Concept", "CONCEPTS", "xarray_form", "accessor_method", "options_of"]

_KW = inspect.Parameter.KEYWORD_ONLY

#: The session forms' one option of their own: which unit signal to score.
VARIABLE = inspect.Parameter("variable", _KW, default="spikes", annotation="str")


@dataclass(frozen=True)
class Concept:
    """One analysis concept across the numpy function, the xarray form and the accessor.

    Attributes
    ----------
    name : str
        The one name (``hippocore.analysis.<name>``, ``hippocore.analysis.ds.<name>``,
        ``ds.hc.<name>``).
    data : tuple of str
        The xarray form's dataset arguments (positional), e.g. ``("session",)``.
    numpy : tuple of callables
        The numpy function(s) whose keyword-only options the xarray form takes.
    impl : callable
        ``impl(*datasets, **options)``: the dataset implementation (options without defaults).
    supplied : tuple of str
        Options of the numpy function(s) that the dataset supplies (never in the xarray form).
    borrowed : tuple of (prefix, callable, names)
        Options of helper functions the form also takes, renamed ``prefix + name``.
    session : bool
        A session form: it also takes ``variable="spikes"`` (spike trains or activity).
    """

    name: str
    data: tuple[str, ...]
    numpy: tuple[Callable[..., Any], ...]
    impl: Callable[..., Any]
    supplied: tuple[str, ...] = ()
    borrowed: tuple[tuple[str, Callable[..., Any], tuple[str, ...]], ...] = ()
    session: bool = False


_FROM_SESSION = ("activity",)

CONCEPTS: tuple[Concept, ...] = (
    Concept("rate_map", ("session",), (rate_map,), rate_map_of_session, _FROM_SESSION,
            session=True),
    Concept("gridness", ("rate_maps",), (gridness,), gridness_of_maps),
    Concept("map_stats", ("rate_maps",), (map_stats,), map_stats_of_maps,
            borrowed=(("border_", border_score, ("threshold",)),
                      ("field_", place_fields, ("threshold", "min_bins", "min_peak")))),
    Concept("place_fields", ("rate_maps",), (place_fields,), place_fields_of_maps, ("x", "y")),
    Concept("head_direction_tuning", ("session",), (head_direction_tuning,),
            head_direction_of_session, _FROM_SESSION, session=True),
    Concept("speed_score", ("session",), (speed_score,), speed_score_of_session,
            _FROM_SESSION, session=True),
    Concept("stability", ("session",), (stability,), stability_of_session, _FROM_SESSION,
            session=True),
    Concept("remapping", ("rate_maps_a", "rate_maps_b"),
            (spatial_correlation, population_vector_correlation), remapping_of_maps),
    Concept("classify", ("session",), (shuffle_scores, classify), classify_session,
            ("activity", "head_direction", "speed"), session=True),
)  # fmt: skip


def options_of(concept: Concept) -> list[inspect.Parameter]:
    """The keyword-only options of a concept's xarray form, in order, with their defaults."""
    out: dict[str, inspect.Parameter] = {}
    for fn in concept.numpy:
        for p in inspect.signature(fn).parameters.values():
            if p.kind is _KW and p.name not in concept.supplied:
                out.setdefault(p.name, p)
    for prefix, fn, names in concept.borrowed:
        params = inspect.signature(fn).parameters
        for n in names:
            out.setdefault(prefix + n, params[n].replace(name=prefix + n))
    if concept.session:
        out.setdefault(VARIABLE.name, VARIABLE)
    return list(out.values())


def _docstring(concept: Concept, options: list[inspect.Parameter]) -> str:
    """The impl's docstring with a generated Parameters section before its Returns."""
    doc = inspect.cleandoc(concept.impl.__doc__ or "")
    sources = ", ".join(f":func:`hippocore.analysis.{fn.__name__}`" for fn in concept.numpy)
    lines = ["Parameters", "----------"]
    lines += [f"{d} : xarray.Dataset" for d in concept.data]
    lines += [
        "    A schema " + ("session." if concept.data == ("session",) else "rate-map dataset.")
    ]
    for p in options:
        default = "" if p.default is inspect.Parameter.empty else f", default {p.default!r}"
        lines.append(f"{p.name}{default}")
    lines.append(f"    Options as in {sources}" + (
        "; ``variable`` is ``'spikes'`` or ``'activity'`` (model units)."
        if concept.session else "."))  # fmt: skip
    head, sep, tail = doc.partition("\nReturns\n")
    return head.rstrip() + "\n\n" + "\n".join(lines) + "\n" + sep + tail


def xarray_form(concept: Concept) -> Callable[..., Any]:
    """The public xarray form of ``concept``: its signature generated from the numpy function(s)."""
    options = options_of(concept)
    pos = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(d, pos, annotation="xarray.Dataset") for d in concept.data]
    sig = inspect.Signature(params + options, return_annotation="xarray.Dataset")

    def form(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        data = [values.pop(d) for d in concept.data]
        return concept.impl(*data, **values)

    form.__name__ = form.__qualname__ = concept.name
    form.__module__ = "hippocore.analysis.ds"
    form.__signature__ = sig  # type: ignore[attr-defined]
    form.__doc__ = _docstring(concept, options)
    return form


def accessor_method(form: Callable[..., Any]) -> Callable[..., Any]:
    """``ds.hc.<name>``: ``form`` with the accessor's dataset as its first argument."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return form(self._ds, *args, **kwargs)

    sig = inspect.signature(form)
    params = list(sig.parameters.values())
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = sig.replace(parameters=[self_param, *params[1:]])  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = form.__name__
    method.__doc__ = (
        f"``ds.hc.{form.__name__}(...)`` is :func:`hippocore.analysis.ds.{form.__name__}` "
        f"on this dataset.\n\n{form.__doc__}"
    )
    return method
