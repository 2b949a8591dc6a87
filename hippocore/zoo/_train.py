"""One training loop for every zoo model: seeded, deterministic, resumable bit-identically.

It uses only the model protocol (``_protocol.py``); runs are deterministic on CPU and
resume from checkpoints bit for bit.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hippocore.zoo._checkpoint import (
    CheckpointError,
    _git_sha,
    load_weights,
    read_checkpoint,
    save_checkpoint,
)
from hippocore.zoo._config import (
    DEFAULT_MODEL,
    ConfigError,
    config_from_dict,
    config_to_dict,
    dump_toml,
    load_toml,
)
from hippocore.zoo._data import WalkStream
from hippocore.zoo._protocol import Batch, state_from_tensors, state_to_tensors
from hippocore.zoo._registry import get_config_class, get_model, list_models, model_name_of
from hippocore.zoo._threads import torch_threads

__all__ = ["train", "TrainResult", "learning_rate", "as_config", "config_document"]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.jsonl"


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained model (eval mode).
    config : config dataclass
        The config used.
    step : int
        Gradient steps taken in total.
    metrics : list of dict
        Every metrics line written (also in ``out/metrics.jsonl`` when ``out`` is set).
    out : pathlib.Path or None
        Run folder.
    """

    model: torch.nn.Module
    config: Any
    step: int
    metrics: list[dict[str, Any]] = field(repr=False)
    out: Path | None


def as_config(config: Any = None, *, model_name: str | None = None) -> Any:
    """Turn a config, a mapping or a TOML/JSON path into a model's config dataclass.

    Parameters
    ----------
    config : config dataclass, mapping, path or None
        A registered model's config (returned as is); a mapping or TOML/JSON file whose
        top-level ``model_name`` (default ``"tem-t"``) names the model; None: the default
        config of ``model_name``.
    model_name : str, optional
        The model a mapping without ``model_name`` is for (default ``"tem-t"``); a mapping
        that names another model raises.

    Returns
    -------
    config dataclass

    Raises
    ------
    ConfigError
        For an unknown model name, an unknown key or an invalid value.
    """
    if config is None:
        return get_config_class(model_name or DEFAULT_MODEL)()
    if isinstance(config, (str, os.PathLike)):
        config = load_toml(config)
    if isinstance(config, Mapping):
        data = dict(config)
        name = data.pop("model_name", None)
        if name is not None and model_name is not None and name != model_name:
            raise ConfigError(
                f"the config is for model_name={name!r}, not {model_name!r}; use a "
                f"{model_name!r} config."
            )
        name = name or model_name or DEFAULT_MODEL
        if not isinstance(name, str) or name not in list_models():
            raise ConfigError(
                f"model_name={name!r} is not a registered model; use one of {list_models()}."
            )
        return config_from_dict(get_config_class(name), data)
    model_name_of(config)  # TypeError unless a registered model's config
    return config


def config_document(config: Any) -> dict[str, Any]:
    """A config as the nested dict a TOML file holds: ``model_name`` first, then the sections.

    Parameters
    ----------
    config : config dataclass
        A registered model's config.

    Returns
    -------
    dict
    """
    return {"model_name": model_name_of(config), **config_to_dict(config)}


def learning_rate(cfg: Any, step: int) -> float:
    """TEM's schedule: ``(lr - lr_min) * 0.5 ** (step / half_life) + lr_min``.

    Parameters
    ----------
    cfg : config dataclass
        Config.
    step : int
        Gradient step (0-based).

    Returns
    -------
    float
    """
    t = cfg.train
    return (t.lr - t.lr_min) * 0.5 ** (step / t.lr_half_life) + t.lr_min


class _Window:
    """Running sums of one logging window."""

    def __init__(self) -> None:
        self.sums = dict(loss=0.0, steps=0, first=0, first_ok=0, rev=0, rev_ok=0, zs=0, zs_ok=0)

    def add(self, loss: float, correct: np.ndarray, revisit: np.ndarray, zero: np.ndarray) -> None:
        s = self.sums
        s["loss"] += loss
        s["steps"] += 1
        s["first"] += int((~revisit).sum())
        s["first_ok"] += int(correct[~revisit].sum())
        s["rev"] += int(revisit.sum())
        s["rev_ok"] += int(correct[revisit].sum())
        s["zs"] += int(zero.sum())
        s["zs_ok"] += int(correct[zero].sum())

    def summary(self) -> dict[str, float]:
        s = self.sums

        def r(a: str, b: str) -> float:
            return s[a] / s[b] if s[b] else float("nan")

        return {
            "loss": s["loss"] / max(s["steps"], 1),
            "first_visit_accuracy": r("first_ok", "first"),
            "revisit_accuracy": r("rev_ok", "rev"),
            "zero_shot_accuracy": r("zs_ok", "zs"),
            "n_revisits": s["rev"],
            "n_zero_shot": s["zs"],
        }


def _json_safe(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def _without_n_steps(d: Mapping[str, Any]) -> dict[str, Any]:
    """A config dict without ``train.n_steps`` (a run may be extended)."""
    out = json.loads(json.dumps(d))
    out["train"].pop("n_steps", None)
    return out


def _run_folder(out: str | os.PathLike[str] | None) -> Path | None:
    """Create the run folder ``out`` (if given), with one-line errors for the usual mistakes."""
    if out is None:
        return None
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a folder path or None; got {type(out).__name__}.")
    run = Path(out)
    if run.exists() and not run.is_dir():
        raise FileExistsError(
            f"out={str(run)!r} is an existing file; train writes a run folder (config.toml, "
            "metrics.jsonl, checkpoint.pt) there: pass a folder path."
        )
    try:
        run.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a parent is a file
        raise FileExistsError(
            f"cannot create the run folder out={str(run)!r}: a parent path is a file; pass a "
            "folder path."
        ) from None
    except PermissionError:
        raise PermissionError(
            f"cannot create the run folder out={str(run)!r}: permission denied; pass a "
            "folder you can write to."
        ) from None
    if not os.access(run, os.W_OK):
        raise PermissionError(
            f"the run folder out={str(run)!r} is not writable; pass a folder you can write to."
        )
    return run


def train(
    config: Any = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: bool = True,
    monitor: Callable[[torch.nn.Module, int], Mapping[str, Any]] | None = None,
    monitor_every: int = 0,
) -> TrainResult:
    """Train a registered zoo model (TEM-t unless the config names another).

    Parameters
    ----------
    config : config dataclass, mapping, TOML path or None
        The config (a TOML/mapping picks the model with a top-level ``model_name``; default:
        TEM-t's default config).
    out : path-like, optional
        Run folder: ``config.toml``, ``metrics.jsonl`` (one JSON object per ``log_every``
        steps) and ``checkpoint.pt`` (every ``checkpoint_every`` steps and at the end).
        Without it nothing is written.
    resume : bool, default True
        If ``out`` holds a checkpoint of the same model and config (``train.n_steps`` may
        differ, to extend a run), continue from it; the result is bit-identical to an
        uninterrupted run (CPU). An interrupted run (Ctrl-C, kill) loses only the steps
        since its last checkpoint (checkpoints are written atomically).
    progress : bool, default True
        Show a tqdm progress bar.
    monitor : callable, optional
        ``monitor(model, step) -> dict`` called every ``monitor_every`` steps; its values are
        logged (e.g. a grid-score monitor).
    monitor_every : int, default 0
        Steps between monitor calls (0: never); a multiple of ``train.log_every``.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        If ``out`` holds a checkpoint of another model or config (use a fresh folder or
        ``resume=False``).
    FileExistsError, PermissionError
        If ``out`` is a file, or a folder that cannot be created or written to.

    Notes
    -----
    Adam with TEM's halving learning-rate schedule (:func:`learning_rate`); per step: the
    model's forward over one chunk of every batch element, its ``loss`` (TEM-t:
    :meth:`~hippocore.zoo.tem_t.TEMT.loss`, TEM: :meth:`~hippocore.zoo.tem.TEM.loss`),
    gradient clipping by ``train.grad_clip`` (``train.grad_clip_mode``), the optimiser
    step and the model's ``post_step`` hook; the recurrent state is carried (detached)
    to the next chunk. Sets torch's intra-op threads to ``train.n_threads`` for the
    duration (restored afterwards) and flushes denormal floats during training only
    (TEM-t's sharp attention otherwise makes steps ~2.6x slower; switched off again on
    return).
    """
    cfg = as_config(config)
    name = model_name_of(cfg)
    tc = cfg.train
    _git_sha()  # record the commit of the code loaded now, not of a later checkout
    if isinstance(monitor_every, bool) or not isinstance(monitor_every, int) or monitor_every < 0:
        raise ValueError(f"monitor_every must be a non-negative integer; got {monitor_every!r}.")
    if monitor_every and monitor_every % tc.log_every:
        raise ValueError(
            f"monitor_every ({monitor_every}) must be a multiple of train.log_every "
            f"({tc.log_every}): monitor values are written on metrics lines."
        )
    run = _run_folder(out)
    ckpt_path = run / CHECKPOINT_NAME if run is not None else None
    payload = None
    if run is not None:
        if resume and ckpt_path.exists():
            payload = read_checkpoint(ckpt_path)
            if payload["model_name"] != name:
                raise ValueError(
                    f"{ckpt_path} holds a {payload['model_name']!r} model, not {name!r}; use a "
                    "fresh out folder or resume=False to start over."
                )
            # (as_config fills fields added since the checkpoint was written)
            saved = config_to_dict(as_config(payload["config"], model_name=name))
            if _without_n_steps(saved) != _without_n_steps(config_to_dict(cfg)):
                raise ValueError(
                    f"{ckpt_path} was written with another config; use a fresh out folder or "
                    "resume=False to start over."
                )
        (run / "config.toml").write_text(dump_toml(config_document(cfg)))

    with torch_threads(tc.n_threads):
        torch.set_flush_denormal(True)
        try:
            return _train_loop(cfg, run, ckpt_path, payload, progress, monitor, monitor_every)
        finally:
            # Flush-to-zero is a process-wide CPU flag: leaving it on changed numpy results
            # elsewhere (BNT gridness tests failed after a training run in the same process).
            torch.set_flush_denormal(False)


def _load_init_weights(model: torch.nn.Module, cfg: Any) -> None:
    """Copy the weights of ``cfg.train.init_from`` into ``model`` (fine-tuning start)."""
    from hippocore.zoo._checkpoint import load_checkpoint, pretrained

    src = cfg.train.init_from
    assert src is not None
    if src.startswith("pretrained:"):
        net = pretrained(src.split(":", 1)[1])
    else:
        net, _ = load_checkpoint(src)
    if net.model_name != model.model_name:
        raise ValueError(
            f"train.init_from={src!r} holds a {net.model_name!r} model; this config trains "
            f"{model.model_name!r}: fine-tune from a checkpoint of the same model."
        )

    def architecture(config: Any) -> dict[str, Any]:
        # Fields that constrain training without changing the architecture may differ (the
        # post-step hook below applies them at once).
        model_section = config_to_dict(config)["model"]
        for key in model.training_only_fields:
            model_section.pop(key)
        return model_section

    theirs, ours = architecture(net.config), architecture(cfg)
    if theirs != ours or tuple(net.actions) != tuple(model.actions):
        raise ValueError(
            f"train.init_from={src!r} holds a model with another model config or action set "
            f"(its [model] is {theirs}, its env kinds {list(net.config.env.kinds)}); "
            "fine-tuning needs the same [model] section and lattice kinds."
        )
    model.load_state_dict(net.state_dict())
    model.post_step()


def _adam(model: torch.nn.Module, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam over the model's parameters; torch's fused kernel where it has one (CPU, CUDA).

    The fused step computes Adam's update in one pass over each tensor instead of about ten
    small operations per tensor (TEM: 80 tensors, 8 -> 1.5 ms per step on one thread); the
    update is Adam's, equal up to float rounding.
    """
    fused = device.type in ("cpu", "cuda") and all(
        p.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64)
        for p in model.parameters()
    )
    return torch.optim.Adam(model.parameters(), lr=lr, fused=fused or None)


def _clip_gradients(model: torch.nn.Module, tc: Any) -> None:
    """Clip gradients by ``train.grad_clip`` as ``train.grad_clip_mode`` says."""
    if tc.grad_clip_mode == "global":
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
    elif tc.grad_clip_mode == "per-tensor":  # TF2 TEM: clip_by_norm of each variable
        # clip_grad_norm_ of each tensor on its own, as a handful of batched operations
        # (one call per tensor cost about as much as Adam's step for TEM's 80 tensors).
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if grads:
            norms = torch.stack(torch._foreach_norm(grads))
            coef = (tc.grad_clip / (norms + 1e-6)).clamp(max=1.0)
            torch._foreach_mul_(grads, list(coef.unbind()))


def train_step(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    cfg: Any,
    chunk: Any,
    state: Any,
    step: int,
    device: torch.device,
) -> tuple[Any, torch.Tensor, Batch]:
    """One gradient step, exactly as :func:`train` takes it (the benchmarks time this).

    Sets the learning rate of ``step`` (:func:`learning_rate`) and ``model.trained_steps``,
    runs the model on ``chunk`` from ``state``, backpropagates ``model.loss``, clips the
    gradients (``train.grad_clip_mode``), steps the optimiser and calls ``model.post_step``.

    Parameters
    ----------
    model : ZooModel
        The model (train mode).
    opt : torch.optim.Optimizer
        Its optimiser.
    cfg : config dataclass
        The model's full config.
    chunk : Chunk
        The next chunk of walks (``WalkStream.next_chunk(step)``).
    state : model state
        The recurrent state before the chunk.
    step : int
        0-based gradient step.
    device : torch.device
        Where the batch goes.

    Returns
    -------
    out, loss, batch
        The model's output (``out.state`` is the next state, not detached), the scalar
        loss and the batch built from ``chunk``.
    """
    for group in opt.param_groups:
        group["lr"] = learning_rate(cfg, step)
    model.trained_steps = step  # schedules that follow training progress read it
    batch = Batch.from_chunk(chunk, device)
    out = model(
        batch.actions, batch.observations, state, batch.reset, **batch.forward_kwargs(model)
    )
    loss = model.loss(out, batch)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    _clip_gradients(model, cfg.train)
    opt.step()
    model.post_step()
    return out, loss, batch


def _train_loop(cfg, run, ckpt_path, payload, progress, monitor, monitor_every) -> TrainResult:
    tc = cfg.train
    device = torch.device(tc.device)
    name = model_name_of(cfg)
    model = get_model(name, cfg).to(device)
    if payload is None and tc.init_from is not None:
        _load_init_weights(model, cfg)
    opt = _adam(model, tc.lr, device)
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, tc.seed)
    state = model.initial_state(tc.batch_size)
    start, elapsed = 0, 0.0
    window = _Window()
    if payload is not None:
        state, start, elapsed = _resume(payload, ckpt_path, model, opt, stream, window, device)
    metrics_path, log = _restart_metrics(run, start)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=tc.n_steps, initial=start, desc=f"train {name}", unit="step")
    model.train()
    t_window, steps_window = time.perf_counter(), 0
    t_last = time.perf_counter()
    for step in range(start, tc.n_steps):
        chunk = stream.next_chunk(step)
        out_, loss, batch = train_step(model, opt, cfg, chunk, state, step, device)
        state = out_.state.detach()
        correct = (out_.logits.detach().argmax(-1) == batch.observations).cpu().numpy()
        window.add(float(loss.detach()), correct, chunk.revisit, chunk.zero_shot)
        now = time.perf_counter()
        elapsed += now - t_last
        t_last = now
        steps_window += 1
        done = step + 1
        if bar is not None:
            bar.update(1)
        if done % tc.log_every == 0 or done == tc.n_steps:
            rate = steps_window / max(now - t_window, 1e-9)
            line = _log_line(cfg, model, window, step, elapsed, rate, monitor, monitor_every)
            log.append(line)
            _show_line(line, metrics_path, bar)
            window = _Window()
            t_window, steps_window = time.perf_counter(), 0
        if done % tc.checkpoint_every == 0 or done == tc.n_steps:
            if ckpt_path is not None:
                _save(ckpt_path, model, opt, stream, state, window, elapsed, log, done)
            t_last = time.perf_counter()
    if bar is not None:
        bar.close()
    model.eval()
    model.trained_steps = max(start, tc.n_steps)
    return TrainResult(model=model, config=cfg, step=max(start, tc.n_steps), metrics=log, out=run)


def _resume(
    payload: Mapping[str, Any],
    ckpt_path: Path,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    stream: WalkStream,
    window: _Window,
    device: torch.device,
) -> tuple[Any, int, float]:
    """Restore weights, optimiser, walk stream and log window; return (state, step, elapsed s)."""
    ts = payload["train_state"]
    if ts is None:
        raise CheckpointError(f"{ckpt_path} has no training state to resume from.")
    load_weights(model, payload["state_dict"], ckpt_path)
    opt.load_state_dict(ts["optimizer"])
    stream.load_state_dict(json.loads(ts["stream"]))
    state = state_from_tensors(model, ts["recurrent"], device)
    window.sums = json.loads(ts["window"])
    return state, int(payload["step"]), float(ts["elapsed_s"])


def _restart_metrics(run: Path | None, start: int) -> tuple[Path | None, list[dict[str, Any]]]:
    """The run's metrics file cut back to ``start`` (lines of later steps dropped) and its lines."""
    if run is None:
        return None, []
    metrics_path = run / METRICS_NAME
    lines = metrics_path.read_text().splitlines() if metrics_path.exists() else []
    kept = [ln for ln in lines if ln.strip() and json.loads(ln)["step"] <= start]
    metrics_path.write_text("".join(ln + "\n" for ln in kept))
    return metrics_path, [json.loads(ln) for ln in kept]


def _log_line(
    cfg: Any,
    model: torch.nn.Module,
    window: _Window,
    step: int,
    elapsed: float,
    steps_per_s: float,
    monitor: Any,
    monitor_every: int | None,
) -> dict[str, Any]:
    """One metrics line after gradient step ``step``: the window's summary and the monitor's."""
    done = step + 1
    line = {"step": done, "wall_time_s": round(elapsed, 3), "lr": learning_rate(cfg, step)}
    line.update(window.summary())
    line["steps_per_s"] = steps_per_s
    if monitor is not None and monitor_every and done % monitor_every == 0:
        model.eval()
        model.trained_steps = done
        line.update(monitor(model, done))
        model.train()
    return _json_safe(line)


def _show_line(line: Mapping[str, Any], metrics_path: Path | None, bar: Any) -> None:
    """Append ``line`` to the metrics file and show it on the progress bar."""
    if metrics_path is not None:
        with metrics_path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
    if bar is not None:
        bar.set_postfix(
            loss=f"{line['loss']:.3f}",
            revisit=f"{line['revisit_accuracy'] or 0:.3f}",
            zero_shot=f"{line['zero_shot_accuracy'] or 0:.3f}",
        )


def _save(
    ckpt_path: Path,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    stream: WalkStream,
    state: Any,
    window: _Window,
    elapsed: float,
    log: list[dict[str, Any]],
    step: int,
) -> None:
    """A resumable checkpoint: weights, optimiser, walk stream, recurrent state, log window."""
    save_checkpoint(
        ckpt_path,
        model,
        step=step,
        metrics=log[-1] if log else {},
        train_state={
            "optimizer": opt.state_dict(),
            "stream": json.dumps(stream.state_dict()),
            "recurrent": state_to_tensors(state),
            "window": json.dumps(window.sums),
            "elapsed_s": elapsed,
        },
    )
