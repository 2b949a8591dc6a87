"""Checkpoints: atomic writes, version and model checks, the shipped pretrained weights."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import torch

from hippocore._version import __version__
from hippocore.zoo._config import config_from_dict, config_to_dict
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
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a non-checkpoint file
        raise CheckpointError(f"{p} is not a readable torch checkpoint ({exc}).") from exc
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
        For another model, a newer format or a file that is not a checkpoint.
    """
    payload = read_checkpoint(path)
    if model is not None and payload["model_name"] != model:
        raise CheckpointError(f"{path} holds a {payload['model_name']!r} model, not {model!r}.")
    cfg = config_from_dict(get_config_class(payload["model_name"]), payload["config"])
    net = get_model(payload["model_name"], cfg)
    net.load_state_dict(payload["state_dict"])
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
        modular grid-cell model) or ``"tem-t-v1"`` (the first default, one module). The
        model card is ``<name>.json`` beside it.

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
