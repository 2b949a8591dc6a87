"""Config shared by every zoo model: worlds and walks, training options, TOML round trips.

The world/walk section and the model-independent training options live here, with the
dict/TOML plumbing (unknown keys rejected).

A model's config is a frozen dataclass with three sections (TOML tables): ``env``
(:class:`EnvConfig`, the same for every model), ``model`` (the model's own) and ``train``
(a subclass of :class:`CommonTrainConfig` that may add the model's loss weights and change
defaults). A TOML file names its model with a top-level ``model_name = "tem"``; without it
the file is a TEM-t config (every TOML written before there was a second model).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import torch

from hippocore.envs import make_world

__all__ = [
    "EnvConfig",
    "CommonTrainConfig",
    "config_from_dict",
    "config_to_dict",
    "load_toml",
    "ConfigError",
    "DEFAULT_MODEL",
    "check_context_streams",
]

#: The model a config means when it does not name one (``model_name``).
DEFAULT_MODEL = "tem-t"

C = TypeVar("C")


class ConfigError(ValueError):
    """A configuration is invalid (unknown key, wrong type or impossible value)."""


# ----------------------------------------------------------------------------- checks


def _check_int(value: int, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")


def _check_real(
    value: float, name: str, *, low: float, high: float = math.inf, strict: bool = False
) -> None:
    """Finite real number in ``[low, high]`` (``(low, high]`` when ``strict``), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    above = value > low if strict else value >= low
    if not (math.isfinite(value) and above and value <= high):
        if math.isfinite(high):
            bound = f"in {'(' if strict else '['}{low}, {high}]"
        else:
            bound = f"> {low}" if strict else f">= {low}"
        raise ValueError(f"{name} must be {bound} and finite; got {value!r}.")


def _check_range(value: tuple[int, int], name: str, low: int) -> None:
    if len(value) != 2:
        raise ValueError(f"{name} must be (min, max); got {value!r}.")
    for v in value:
        _check_int(v, name, low)
    if value[0] > value[1]:
        raise ValueError(f"{name} must be (min, max) with min <= max; got {value!r}.")


# ----------------------------------------------------------------------------- sections


@dataclass(frozen=True, kw_only=True)
class EnvConfig:
    """Worlds and walks a model is trained on (the same section for every model).

    Attributes
    ----------
    kinds : tuple of str, default ("hexagonal",)
        Lattice kinds (``hippocore.envs.WORLD_KINDS``); one is drawn per environment.
    widths : (int, int), default (6, 9)
        Smallest and largest world width (nodes per row; worlds are square, width x width);
        drawn uniformly per environment.
    n_x : int, default 45
        Number of observation classes (n_x in TEM); one is drawn i.i.d. per node.
    spacing : float, default 0.1
        Node spacing (m), for exported positions only.
    direction_bias : float, default 0.2
        Probability of keeping the heading in TEM's biased walk (0.2 hex, 0.25 square in TEM).
    lifetime : {"chunks", "visits"}, default "chunks"
        How long a batch element stays in one environment. ``"chunks"``: a number of
        truncated-BPTT chunks drawn uniformly from ``chunks_per_env``. ``"visits"``: TEM's
        curriculum (TF2 ``initialise_environments``): ``(n + j) * n_nodes`` steps, rounded
        down to whole chunks (at least one), with ``j`` uniform in ``0 .. visits_jitter - 1``
        and ``n`` falling linearly from ``visits_per_node[0]`` to ``visits_per_node[1]``
        over the first ``visits_anneal_steps`` gradient steps (``n`` is taken at the step
        the environment starts).
    chunks_per_env : (int, int), default (4, 12)
        ``lifetime = "chunks"``: environment lifetime, in truncated-BPTT chunks, drawn
        uniformly per environment; each batch element switches to a fresh world (new size,
        new observations) when its lifetime ends, independently of the others.
    visits_per_node : (float, float), default (40.0, 5.0)
        ``lifetime = "visits"``: walk length per node at the start and at the end of the
        curriculum (TEM's ``restart_max``, ``restart_min``).
    visits_jitter : int, default 30
        ``lifetime = "visits"``: range of the random extra visits per node (TEM's
        ``seq_jitter``).
    visits_anneal_steps : int, default 15000
        ``lifetime = "visits"``: gradient steps over which the visits per node fall
        (TEM: ``(40 - 5) / (400 * (40 + 5 + 30) / 2)`` per step, i.e. 15000 steps).
    n_c : int, default 0
        Context classes of a three-stream world (``hippocore.envs._streams``): each step
        carries a context c and the observation at a node is drawn per (node, context);
        the revisit flags then mean a revisit of the (node, context) pair. 0: a
        two-stream world (no context; one observation per node).
    context_switch : float, default 1.0
        Three-stream worlds: probability per step of redrawing the context (1: an
        independent context at every step; ``1 / context_switch`` is the mean block length).
    """

    kinds: tuple[str, ...] = ("hexagonal",)
    widths: tuple[int, int] = (6, 9)
    n_x: int = 45
    spacing: float = 0.1
    direction_bias: float = 0.2
    lifetime: Literal["chunks", "visits"] = "chunks"
    chunks_per_env: tuple[int, int] = (4, 12)
    visits_per_node: tuple[float, float] = (40.0, 5.0)
    visits_jitter: int = 30
    visits_anneal_steps: int = 15000
    n_c: int = 0
    context_switch: float = 1.0

    def __post_init__(self) -> None:
        if not self.kinds:
            raise ValueError("env.kinds must name at least one lattice kind.")
        for k in self.kinds:
            make_world(k, 2)  # raises a clear ValueError for an unknown kind
        object.__setattr__(self, "kinds", tuple(make_world(k, 2).kind for k in self.kinds))
        _check_range(self.widths, "env.widths", 2)
        _check_int(self.n_x, "env.n_x", 2)
        _check_real(self.spacing, "env.spacing", low=0, strict=True)
        _check_real(self.direction_bias, "env.direction_bias", low=0, high=1)
        if self.lifetime not in ("chunks", "visits"):
            raise ValueError(f"env.lifetime must be 'chunks' or 'visits'; got {self.lifetime!r}.")
        _check_range(self.chunks_per_env, "env.chunks_per_env", 1)
        if len(self.visits_per_node) != 2:
            raise ValueError(
                f"env.visits_per_node must be (start, end); got {self.visits_per_node!r}."
            )
        for v in self.visits_per_node:
            _check_real(v, "env.visits_per_node", low=0, strict=True)
        _check_int(self.visits_jitter, "env.visits_jitter", 1)
        _check_int(self.visits_anneal_steps, "env.visits_anneal_steps", 1)
        _check_int(self.n_c, "env.n_c", 0)
        if self.n_c == 1:
            raise ValueError(
                "env.n_c must be 0 (a two-stream world) or >= 2 context classes; got 1."
            )
        _check_real(self.context_switch, "env.context_switch", low=0, high=1, strict=True)

    def visits_at(self, step: int) -> float:
        """``lifetime = "visits"``: walk length per node (before jitter) at gradient ``step``."""
        start, end = self.visits_per_node
        frac = min((step + 1) / self.visits_anneal_steps, 1.0)
        return start + (end - start) * frac

    def max_steps(self, chunk_length: int) -> int:
        """Longest possible environment lifetime (steps) with chunks of ``chunk_length``."""
        if self.lifetime == "chunks":
            return self.chunks_per_env[1] * chunk_length
        w = self.widths[1]
        n_nodes = w * w
        most = (max(self.visits_per_node) + self.visits_jitter - 1) * n_nodes
        return max(chunk_length, int(most) // chunk_length * chunk_length)


@dataclass(frozen=True, kw_only=True)
class CommonTrainConfig:
    """Training options every model shares (a model's ``train`` section subclasses it).

    Attributes
    ----------
    seed : int, default 0
        Seeds the weights (torch generator) and the worlds/walks (numpy).
    n_steps : int, default 4000
        Gradient steps.
    batch_size : int, default 16
        Environments walked in parallel.
    chunk_length : int, default 50
        Walk steps per gradient step (truncated-BPTT length).
    lr : float, default 2e-3
        Initial Adam learning rate.
    lr_min : float, default 1e-4
        Learning-rate floor.
    lr_half_life : int, default 2000
        Steps over which ``lr - lr_min`` halves (TEM's schedule).
    grad_clip : float, default 1.0
        Maximum gradient norm.
    grad_clip_mode : {"global", "per-tensor", "none"}, default "global"
        ``"global"``: the norm of all gradients together is clipped
        (``torch.nn.utils.clip_grad_norm_``); ``"per-tensor"``: each parameter's gradient is
        clipped on its own (TF2 TEM's ``clip_by_norm`` per variable); ``"none"``: no
        clipping (torch_tem).
    log_every : int, default 100
        Steps per metrics line (metrics are averaged over the window).
    checkpoint_every : int, default 250
        Steps between checkpoints.
    n_threads : int, default 1
        torch intra-op threads during training (one beats two on a busy machine).
    device : str, default "cpu"
        torch device.
    init_from : str, optional
        Fine-tuning: start from the weights of this checkpoint (a path, or
        ``"pretrained:<name>"`` for a shipped one) instead of a fresh initialisation; the
        optimiser, walks and step count start afresh. Its model config and action
        vocabulary must match this config's. Default: none (train from scratch).
    """

    seed: int = 0
    n_steps: int = 4000
    batch_size: int = 16
    chunk_length: int = 50
    lr: float = 2e-3
    lr_min: float = 1e-4
    lr_half_life: int = 2000
    grad_clip: float = 1.0
    grad_clip_mode: Literal["global", "per-tensor", "none"] = "global"
    log_every: int = 100
    checkpoint_every: int = 250
    n_threads: int = 1
    device: str = "cpu"
    init_from: str | None = None

    def __post_init__(self) -> None:
        if self.init_from is not None and not self.init_from:
            raise ValueError("train.init_from must be a checkpoint path or 'pretrained:<name>'.")
        _check_int(self.seed, "train.seed", 0)
        _check_int(self.n_steps, "train.n_steps", 0)
        _check_int(self.batch_size, "train.batch_size", 1)
        _check_int(self.chunk_length, "train.chunk_length", 1)
        _check_int(self.lr_half_life, "train.lr_half_life", 1)
        _check_int(self.log_every, "train.log_every", 1)
        _check_int(self.checkpoint_every, "train.checkpoint_every", 1)
        _check_int(self.n_threads, "train.n_threads", 1)
        for name in ("lr", "lr_min", "grad_clip"):
            _check_real(getattr(self, name), f"train.{name}", low=0, strict=True)
        if self.lr_min > self.lr:
            raise ValueError(
                f"train.lr_min ({self.lr_min!r}) must be <= train.lr ({self.lr!r}): it is the "
                "floor the learning rate decays to; lower lr_min or raise lr."
            )
        if self.grad_clip_mode not in ("global", "per-tensor", "none"):
            raise ValueError(
                "train.grad_clip_mode must be 'global', 'per-tensor' or 'none'; got "
                f"{self.grad_clip_mode!r}."
            )
        if not isinstance(self.device, str):
            raise ValueError(f"train.device must be a string such as 'cpu'; got {self.device!r}.")
        try:
            torch.device(self.device)
        except (RuntimeError, ValueError):
            raise ValueError(
                f"train.device must be a torch device such as 'cpu' or 'cuda:0'; got "
                f"{self.device!r}."
            ) from None


def check_context_streams(env: EnvConfig, n_c: int, model_name: str) -> None:
    """For a model that binds a context stream: the world must have one of ``n_c`` classes.

    Raises
    ------
    ValueError
        If ``env.n_c`` is 0 (a two-stream world) or differs from the model's ``n_c``.
    """
    _check_int(n_c, "model.n_c", 2)
    if env.n_c == 0:
        raise ValueError(
            f"{model_name} binds a context stream c but env.n_c = 0 is a two-stream world; set "
            f"env.n_c = {n_c} (model.n_c) for a three-stream world."
        )
    if env.n_c != n_c:
        raise ValueError(
            f"model.n_c = {n_c} context units but the world has env.n_c = {env.n_c} context "
            f"classes; set model.n_c = env.n_c."
        )


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
