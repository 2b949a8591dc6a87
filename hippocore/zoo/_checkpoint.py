"""Checkpoints: atomic writes, version and model checks, the shipped pretrained weights."""

from __future__ import annotations

import functools
import json
import os
import pickle
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import torch

from hippocore._version import __version__
from hippocore.zoo._config import ConfigError, config_from_dict, config_to_dict
from hippocore.zoo._registry import get_config_class, get_model, list_models

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "save_checkpoint",
    "load_checkpoint",
    "read_checkpoint",
    "pretrained",
    "list_pretrained",
    "export_weights",
    "load_weights",
]

#: Version of the checkpoint layout; a checkpoint with a larger number is refused.
CHECKPOINT_FORMAT = 1
_PRETRAINED = Path(__file__).parent / "pretrained"


class CheckpointError(ValueError):
    """A file is not a hippocore checkpoint, or one this version cannot read."""


@functools.lru_cache(maxsize=1)
def _git_sha() -> str:
    """Commit of the hippocore source, read once per process (the code that was loaded)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def save_checkpoint(
    path: str | os.PathLike[str],
    model: torch.nn.Module,
    *,
    step: int,
    metrics: dict[str, Any] | None = None,
    train_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically (temporary file + rename: never half-written).

    Parameters
    ----------
    path : path-like
        Target file (its folder must exist); replaced if present.
    model : torch.nn.Module
        A registered zoo model (has ``model_name`` and ``config``).
    step : int
        Gradient steps taken.
    metrics : dict, optional
        Latest metrics (JSON-safe).
    train_state : dict, optional
        Optimizer, data-stream and recurrent state for bit-identical resumption.

    Returns
    -------
    pathlib.Path
    """
    target = Path(path)
    if not target.parent.exists():
        raise FileNotFoundError(f"folder {target.parent} does not exist; create it first.")
    payload = {
        "format_version": CHECKPOINT_FORMAT,
        "model_name": model.model_name,
        "config": config_to_dict(model.config),
        "seed": model.config.train.seed,
        "step": int(step),
        "metrics": dict(metrics or {}),
        "hippocore_version": __version__,
        "torch_version": str(torch.__version__),
        "git_sha": _git_sha(),
        "state_dict": model.state_dict(),
        "train_state": train_state,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a checkpoint is an ordinary file
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a checkpoint's payload (no model is built).

    Parameters
    ----------
    path : path-like
        Checkpoint file.

    Returns
    -------
    dict
        Keys ``format_version``, ``model_name``, ``config``, ``seed``, ``step``,
        ``metrics``, ``hippocore_version``, ``torch_version``, ``git_sha``, ``state_dict``,
        ``train_state``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CheckpointError
        If it is not a hippocore checkpoint, comes from a newer format or names an unknown
        model.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint {p} does not exist.")
    payload = _torch_load(p)
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise CheckpointError(
            f"{p} is not a hippocore checkpoint (no format_version); "
            "checkpoints are written by hippocore.zoo.train / save_checkpoint."
        )
    version = payload["format_version"]
    if not isinstance(version, int) or version > CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{p} has checkpoint format {version!r}, newer than this hippocore "
            f"({__version__}) reads (format {CHECKPOINT_FORMAT}); upgrade hippocore."
        )
    missing = sorted({"model_name", "config", "step", "state_dict"} - set(payload))
    if missing or not isinstance(payload["config"], dict):
        raise CheckpointError(
            f"{p} is an incomplete hippocore checkpoint (missing or malformed: "
            f"{missing or ['config']}); write it again with save_checkpoint."
        )
    name = payload.get("model_name")
    if name not in list_models():
        raise CheckpointError(
            f"{p} holds a model named {name!r}, which this hippocore does not have; "
            f"available models are {list_models()}."
        )
    # Keys a config gained after this checkpoint was written, whose defaults changed since:
    # fill in what the checkpoint meant (its config class says which).
    for section, values in getattr(get_config_class(name), "legacy_values", {}).items():
        saved = payload["config"].setdefault(section, {})
        for key, value in values.items():
            saved.setdefault(key, value)
    return payload


def _torch_load(p: Path) -> Any:
    """``torch.load`` with ``weights_only=True``, its many failure types turned into one.

    The message never repeats torch's advice to retry with ``weights_only=False``: that runs
    arbitrary code from the file, and no hippocore checkpoint needs it.
    """
    if p.stat().st_size == 0:
        raise CheckpointError(f"{p} is empty (0 bytes); an interrupted copy? Copy it again.")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" in str(exc) or "GLOBAL" in str(exc):
            why = (
                "it holds Python objects other than tensors and plain data (a pickled model, "
                "numpy arrays, ...), which hippocore checkpoints never do, so it is not loaded"
            )
        else:
            why = "its contents are not a torch.save file (corrupted, truncated or another format)"
    except Exception:  # noqa: BLE001 - torch raises many types for a non-checkpoint file
        why = "its contents are not a torch.save file (corrupted, truncated or another format)"
    raise CheckpointError(
        f"{p} is not a readable torch checkpoint: {why}; hippocore checkpoints are written "
        "by hippocore.zoo.train or save_checkpoint."
    )


def load_weights(net: torch.nn.Module, state_dict: Any, path: str | os.PathLike[str]) -> None:
    """Load ``state_dict`` into ``net``, or raise a one-line :class:`CheckpointError`.

    torch's own error lists every mismatching tensor over many lines; this names the first
    and how many differ, and says that the stored weights do not fit the stored config.

    Parameters
    ----------
    net : torch.nn.Module
        The model built from the checkpoint's config.
    state_dict : mapping of str to Tensor
        The checkpoint's weights.
    path : path-like
        The checkpoint (for the message).
    """
    if not isinstance(state_dict, dict) or not all(
        isinstance(v, torch.Tensor) for v in state_dict.values()
    ):
        raise CheckpointError(
            f"{path}: its state_dict is not a mapping of names to tensors; write the "
            "checkpoint again with save_checkpoint."
        )
    ours = net.state_dict()
    missing = sorted(set(ours) - set(state_dict))
    extra = sorted(set(state_dict) - set(ours))
    shapes = [
        f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}"
        for k, v in ours.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    problems = []
    if shapes:
        problems.append(f"{len(shapes)} tensor(s) of another shape (e.g. {shapes[0]})")
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if extra:
        problems.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
    if problems:
        raise CheckpointError(
            f"{path}: the stored weights do not fit the stored config ({'; '.join(problems)}; "
            "stored vs config shape); the file was altered or its config edited: use the "
            "checkpoint as train or save_checkpoint wrote it."
        )
    net.load_state_dict(state_dict)


def load_checkpoint(
    path: str | os.PathLike[str], *, model: str | None = None
) -> tuple[torch.nn.Module, Any]:
    """Rebuild a model from a checkpoint through the registry.

    Parameters
    ----------
    path : path-like
        Checkpoint file.
    model : str, optional
        Expected model name; a checkpoint of another model raises.

    Returns
    -------
    model : torch.nn.Module
        In eval mode; ``model.trained_steps`` holds the checkpoint's step.
    config : config dataclass

    Raises
    ------
    CheckpointError
        For another model, a newer format, a file that is not a checkpoint, an invalid
        stored config, or weights that do not fit the stored config.
    """
    payload = read_checkpoint(path)
    if model is not None and payload["model_name"] != model:
        raise CheckpointError(f"{path} holds a {payload['model_name']!r} model, not {model!r}.")
    try:
        cfg = config_from_dict(get_config_class(payload["model_name"]), payload["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{path}: its stored config is invalid: {exc}") from None
    net = get_model(payload["model_name"], cfg)
    load_weights(net, payload["state_dict"], path)
    net.trained_steps = int(payload["step"])
    net.checkpoint_metrics = dict(payload.get("metrics") or {})
    net.eval()
    return net, cfg


def export_weights(checkpoint: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Copy a training checkpoint without its training state (optimizer, memory, stream).

    The result is a few hundred kB instead of many MB and loads with :func:`load_checkpoint`
    (but cannot resume training). This is how ``hippocore/zoo/pretrained/*.pt`` are made.

    Parameters
    ----------
    checkpoint : path-like
        A checkpoint written by :func:`hippocore.zoo.train`.
    path : path-like
        Target file (written atomically).

    Returns
    -------
    pathlib.Path
    """
    net, _ = load_checkpoint(checkpoint)
    payload = read_checkpoint(checkpoint)
    return save_checkpoint(path, net, step=payload["step"], metrics=payload["metrics"])


def list_pretrained() -> list[str]:
    """Names of the checkpoints shipped inside the package.

    Returns
    -------
    list of str
    """
    return sorted(p.stem for p in _PRETRAINED.glob("*.pt"))


def pretrained(name: str) -> torch.nn.Module:
    """A checkpoint shipped with hippocore (e.g. ``pretrained("tem-t")``).

    Parameters
    ----------
    name : str
        Checkpoint name; see :func:`list_pretrained`: ``"tem-t"`` (the default config, the
        modular grid-cell model), ``"tem"`` (TEM's default config part way through its
        training: an interim checkpoint, see its card's ``"status"``) or ``"tem-t-v1"``
        (the first default, one module). The model card is ``<name>.json`` beside it.

    Returns
    -------
    torch.nn.Module
        In eval mode.

    Raises
    ------
    ValueError
        If no checkpoint ships for ``name``.
    """
    path = _PRETRAINED / f"{name}.pt"
    if not path.is_file():
        raise ValueError(f"no pretrained checkpoint for {name!r}; available: {list_pretrained()}.")
    net, _ = load_checkpoint(path)  # several shipped checkpoints may hold one model
    card = path.with_suffix(".json")
    net.model_card = json.loads(card.read_text()) if card.is_file() else {}
    return net
