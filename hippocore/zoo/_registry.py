"""The model registry (torchvision style): ``register_model``, ``get_model``, ``list_models``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hippocore.zoo._config import config_from_dict

__all__ = [
    "register_model",
    "get_model",
    "list_models",
    "get_config_class",
    "model_name_of",
    "ModelEntry",
]


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its builder class and its config dataclass."""

    name: str
    builder: type
    config_class: type


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, *, config: type) -> Callable[[type], type]:
    """Class decorator adding a model to the registry.

    Parameters
    ----------
    name : str
        Registry name (e.g. ``"tem-t"``).
    config : type
        The model's frozen config dataclass.

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    ValueError
        If ``name`` is already registered.
    """

    def wrap(cls: type) -> type:
        if name in _REGISTRY:
            raise ValueError(f"a model named {name!r} is already registered.")
        if any(e.config_class is config for e in _REGISTRY.values()):
            raise ValueError(f"config class {config.__name__} already belongs to another model.")
        _REGISTRY[name] = ModelEntry(name, cls, config)
        cls.model_name = name  # type: ignore[attr-defined]
        return cls

    return wrap


def _entry(name: str) -> ModelEntry:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; available models are {list_models()}.")
    return _REGISTRY[name]


def list_models() -> list[str]:
    """Names of the registered models.

    Returns
    -------
    list of str
    """
    return sorted(_REGISTRY)


def get_config_class(name: str) -> type:
    """Config dataclass of a registered model.

    Parameters
    ----------
    name : str
        Registry name.

    Returns
    -------
    type
    """
    return _entry(name).config_class


def model_name_of(config: Any) -> str:
    """Registry name of the model a config instance belongs to.

    Parameters
    ----------
    config : config dataclass instance
        A registered model's config.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``config`` is not the config of a registered model.
    """
    for entry in _REGISTRY.values():
        if type(config) is entry.config_class:
            return entry.name
    configs = [e.config_class.__name__ for e in _REGISTRY.values()]
    raise TypeError(
        f"config must be a zoo model's config ({', '.join(configs)}), a mapping or a TOML "
        f"path; got {type(config).__name__}."
    )


def get_model(name: str, config: Any = None) -> Any:
    """Build a registered model (fresh weights, seeded by the config).

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"tem-t"`` (see :func:`list_models`).
    config : config dataclass or mapping, optional
        The model's config, or a nested mapping of overrides (unknown keys rejected; a
        top-level ``model_name``, as in a TOML file, must be ``name``); default: the
        default config.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or an invalid config.
    """
    entry = _entry(name)
    if config is None:
        config = entry.config_class()
    elif isinstance(config, Mapping):
        data = dict(config)
        named = data.pop("model_name", name)
        if named != name:
            raise ValueError(
                f"the config is for model_name={named!r}; get_model({name!r}) needs a "
                f"{name!r} config (or call get_model({named!r}, ...))."
            )
        config = config_from_dict(entry.config_class, data)
    elif not isinstance(config, entry.config_class):
        raise TypeError(
            f"config for {name!r} must be a {entry.config_class.__name__} or a mapping; "
            f"got {type(config).__name__}."
        )
    return entry.builder(config)
