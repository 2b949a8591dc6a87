"""Config plumbing shared by every zoo model: dict/TOML round trips with unknown keys rejected."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["config_from_dict", "config_to_dict", "load_toml", "ConfigError"]

C = TypeVar("C")


class ConfigError(ValueError):
    """A configuration is invalid (unknown key, wrong type or impossible value)."""


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain nested dict of a (nested) config dataclass; tuples become lists (JSON/TOML-safe).

    Parameters
    ----------
    config : dataclass instance
        The config.

    Returns
    -------
    dict
    """

    def convert(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [convert(v) for v in value]
        return value

    return convert(config)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table (mapping); got {value!r}.")
        return config_from_dict(annotation, value, _where=where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list; got {value!r}.")
        inner = args[0] if args else Any
        return tuple(_coerce(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where} must be one of {list(args)}; got {value!r}.")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number; got {value!r}.")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer; got {value!r}.")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false; got {value!r}.")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string; got {value!r}.")
        return value
    return value


def config_from_dict(cls: type[C], data: Mapping[str, Any], *, _where: str = "config") -> C:
    """Build a (nested) config dataclass from a mapping, rejecting unknown keys.

    Parameters
    ----------
    cls : type
        The config dataclass.
    data : mapping
        Values by field name; nested configs as nested mappings; missing keys keep defaults.

    Returns
    -------
    cls instance

    Raises
    ------
    ConfigError
        For an unknown key (the message lists the valid keys), a wrong type or a value the
        config's own checks reject.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_where} must be a mapping; got {type(data).__name__}.")
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in {_where}; valid keys are {names}. "
            "Check the spelling or the section the key belongs to."
        )
    types_ = _field_types(cls)
    kwargs = {k: _coerce(v, types_[k], f"{_where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{_where}: {exc}") from exc


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file into a dict.

    Parameters
    ----------
    path : path-like
        TOML file.

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ConfigError
        If it is not valid TOML (or JSON for ``.json``): the message names the file, the line
        and the column.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as exc:
            raise ImportError(
                "reading TOML on Python 3.10 needs `pip install tomli`; or use JSON."
            ) from exc
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"config file {p} does not exist.")
    if not p.is_file():
        raise ConfigError(f"config path {p} is a folder; pass the TOML file inside it.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {p} is not UTF-8 text (byte {exc.start}); is it a TOML file?"
        ) from None
    if p.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{p}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}); fix "
                "the syntax there."
            ) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: {_toml_error(exc, text)}; fix the syntax there.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must hold a table of sections; got {type(data).__name__}.")
    return data


def _toml_error(exc: Exception, text: str) -> str:
    """'line L, column C: invalid TOML (what)' from a TOMLDecodeError on any Python version."""
    lineno = getattr(exc, "lineno", None)  # Python >= 3.14
    colno = getattr(exc, "colno", None)
    msg = getattr(exc, "msg", None) or str(exc)
    if lineno is None:  # older: "<what> (at line L, column C)" or "(at end of document)"
        match = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if match:
            lineno, colno = int(match.group(1)), int(match.group(2))
        else:
            lineno, colno = text.count("\n") + 1, None
        msg = re.sub(r"\s*\(at [^)]*\)\s*$", "", msg)
    where = f"line {lineno}" + (f", column {colno}" if colno else "")
    return f"{where}: invalid TOML ({msg})"


def dump_toml(data: Mapping[str, Any]) -> str:
    """Write a nested dict of scalars and lists as TOML text (enough for configs).

    Parameters
    ----------
    data : mapping
        Nested dict; nested mappings become tables.

    Returns
    -------
    str
    """

    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        raise TypeError(f"cannot write {v!r} to TOML")

    lines: list[str] = []
    tables = []
    for k, v in data.items():
        if isinstance(v, Mapping):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{k} = {scalar(v)}")
    for name, table in tables:
        lines.append(f"\n[{name}]")
        lines.extend(f"{k} = {scalar(v)}" for k, v in table.items() if v is not None)
    return "\n".join(lines).strip() + "\n"
