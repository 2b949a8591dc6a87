"""Training loop: seeded, deterministic on CPU, resumable bit-identically from checkpoints."""

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
import torch.nn.functional as F

from hippocore.zoo._checkpoint import (
    CheckpointError,
    _git_sha,
    load_weights,
    read_checkpoint,
    save_checkpoint,
)
from hippocore.zoo._config import config_from_dict, config_to_dict, dump_toml, load_toml
from hippocore.zoo._data import WalkStream
from hippocore.zoo._registry import get_model
from hippocore.zoo._threads import torch_threads
from hippocore.zoo.tem_t import TEMTConfig, TEMTState

__all__ = ["train", "TrainResult", "learning_rate", "as_config"]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.jsonl"


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : TEMT
        The trained model (eval mode).
    config : TEMTConfig
        The config used.
    step : int
        Gradient steps taken in total.
    metrics : list of dict
        Every metrics line written (also in ``out/metrics.jsonl`` when ``out`` is set).
    out : pathlib.Path or None
        Run folder.
    """

    model: torch.nn.Module
    config: TEMTConfig
    step: int
    metrics: list[dict[str, Any]] = field(repr=False)
    out: Path | None


def as_config(config: TEMTConfig | Mapping[str, Any] | str | os.PathLike[str] | None) -> TEMTConfig:
    """Turn a config, a mapping or a TOML/JSON path into a :class:`TEMTConfig`.

    Parameters
    ----------
    config : TEMTConfig, mapping, path or None
        None gives the default config.

    Returns
    -------
    TEMTConfig
    """
    if config is None:
        return TEMTConfig()
    if isinstance(config, TEMTConfig):
        return config
    if isinstance(config, (str, os.PathLike)):
        config = load_toml(config)
    if isinstance(config, Mapping):
        return config_from_dict(TEMTConfig, config)
    raise TypeError(
        f"config must be a TEMTConfig, a mapping or a TOML path; got {type(config).__name__}."
    )


def learning_rate(cfg: TEMTConfig, step: int) -> float:
    """TEM's schedule: ``(lr - lr_min) * 0.5 ** (step / half_life) + lr_min``.

    Parameters
    ----------
    cfg : TEMTConfig
        Config.
    step : int
        Gradient step (0-based).

    Returns
    -------
    float
    """
    t = cfg.train
    return (t.lr - t.lr_min) * 0.5 ** (step / t.lr_half_life) + t.lr_min


def training_loss(
    cfg: TEMTConfig, out: Any, observations: torch.Tensor, model: torch.nn.Module
) -> torch.Tensor:
    """The loss :func:`train` minimises for one chunk.

    Parameters
    ----------
    cfg : TEMTConfig
        Config (its ``train`` section holds the penalty weights).
    out : TEMTOutput
        The model's output for the chunk.
    observations : Tensor of long (batch, time)
        The observations that were predicted.
    model : TEMT
        The model (the commutation penalty acts on its weights).

    Returns
    -------
    Tensor
        Scalar: cross-entropy of every prediction plus the weighted penalties.
    """
    tc = cfg.train
    e = out.e
    loss = F.cross_entropy(out.logits.reshape(-1, out.logits.shape[-1]), observations.reshape(-1))
    if tc.path_loss:
        drift = (out.e_path - e.detach()).pow(2).sum(-1).mean() / e.shape[-1]
        loss = loss + tc.path_loss * drift
    if tc.nonneg_loss:
        loss = loss + tc.nonneg_loss * F.relu(-e).pow(2).mean()
    if tc.activity_loss:
        loss = loss + tc.activity_loss * e.pow(2).mean()
    if tc.smooth_loss:
        loss = loss + smoothness_penalty(e, cfg.model.n_modules, tc.smooth_loss)
    if tc.commute_loss:
        loss = loss + tc.commute_loss * commutation_penalty(model)
    if tc.center_loss:
        r = e - model.offset_b if cfg.model.offset else e
        loss = loss + tc.center_loss * centering_penalty(r, cfg.model.n_modules)
    return loss


def commutation_penalty(model: torch.nn.Module) -> torch.Tensor:
    """``mean ||W_a W_b - W_b W_a||_F^2 / n_e`` over pairs of actions of the same lattice kind.

    Parameters
    ----------
    model : TEMT
        The model (its ``transition_matrices()`` and ``actions``).

    Returns
    -------
    Tensor
        Scalar penalty (0 for commuting transitions).
    """
    w = model.transition_matrices()[:-1]  # without stay (the identity commutes)
    kinds = [name.split(":", 1)[0] for name in model.actions]
    terms = []
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        wk = w[idx]
        ab = torch.einsum("aij,bjk->abik", wk, wk)
        comm = ab - ab.transpose(0, 1)  # [W_a, W_b] for every ordered pair
        upper = torch.triu_indices(len(idx), len(idx), offset=1)
        terms.append(comm[upper[0], upper[1]].pow(2).sum(dim=(-2, -1)) / w.shape[-1])
    return torch.cat(terms).mean()


def centering_penalty(r: torch.Tensor, n_modules: int) -> torch.Tensor:
    """Mean over modules of ``||mean r||^2 / n``, the mean taken over batch and time.

    Parameters
    ----------
    r : Tensor (batch, time, n_e)
        Recurrent parts of the position encodings of one chunk (rates minus baseline).
    n_modules : int
        Modules (equal blocks of n units, each of norm ``sqrt(n)`` at every step).

    Returns
    -------
    Tensor
        Scalar in [0, 1]: 0 when every module's r averages to zero over the chunk (it
        moves with position), 1 when every module sits at one vector (a constant code).
    """
    blocks = r.unflatten(-1, (n_modules, r.shape[-1] // n_modules))
    mean = blocks.mean(dim=(0, 1))  # (n_modules, n)
    return mean.pow(2).sum(-1).mean() / blocks.shape[-1]


def smoothness_penalty(e: torch.Tensor, n_modules: int, weights: tuple[float, ...]) -> torch.Tensor:
    """Weighted per-module ``mean ||e_t - e_{t-1}||^2 / n`` over consecutive steps.

    Parameters
    ----------
    e : Tensor (batch, time, n_e)
        Position encodings of one chunk (one environment per row: worlds change only
        between chunks).
    n_modules : int
        Modules (equal blocks of units).
    weights : tuple of float
        One weight per module, or one for all.

    Returns
    -------
    Tensor
        Scalar penalty.
    """
    d = (e[:, 1:] - e[:, :-1]).unflatten(-1, (n_modules, e.shape[-1] // n_modules))
    per_module = d.pow(2).mean(dim=(0, 1, 3))  # (n_modules,)
    w = torch.as_tensor(weights, dtype=e.dtype, device=e.device).expand(n_modules)
    return (w * per_module).sum()


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


def _state_to_dict(state: TEMTState) -> dict[str, torch.Tensor]:
    return {k: getattr(state, k).detach().cpu().clone() for k in ("e", "mem_e", "mem_x", "count")}


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
    config: TEMTConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: bool = True,
    progress: bool = True,
    monitor: Callable[[torch.nn.Module, int], Mapping[str, Any]] | None = None,
    monitor_every: int = 0,
) -> TrainResult:
    """Train TEM-t.

    Parameters
    ----------
    config : TEMTConfig, mapping, TOML path or None
        The config (default: the default config).
    out : path-like, optional
        Run folder: ``config.toml``, ``metrics.jsonl`` (one JSON object per ``log_every``
        steps) and ``checkpoint.pt`` (every ``checkpoint_every`` steps and at the end).
        Without it nothing is written.
    resume : bool, default True
        If ``out`` holds a checkpoint of the same config (``train.n_steps`` may differ, to
        extend a run), continue from it; the result is
        bit-identical to an uninterrupted run (CPU). An interrupted run (Ctrl-C, kill) loses
        only the steps since its last checkpoint (checkpoints are written atomically).
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
        If ``out`` holds a checkpoint of another config (use a fresh folder or
        ``resume=False``).
    FileExistsError, PermissionError
        If ``out`` is a file, or a folder that cannot be created or written to.

    Notes
    -----
    Adam with TEM's halving learning-rate schedule (:func:`learning_rate`), global
    gradient-norm clipping, cross-entropy on every step's prediction plus
    ``train.path_loss`` times the path-integration loss, ``train.nonneg_loss`` times the
    non-negativity penalty, ``train.activity_loss`` times the activity penalty,
    ``train.center_loss`` times the centring penalty (:func:`centering_penalty`),
    ``train.commute_loss`` times the commutation penalty and the per-module smoothness
    penalties ``train.smooth_loss`` (:func:`smoothness_penalty`; the logged ``loss`` is
    the sum; all in :func:`training_loss`). After each optimiser step the model's
    ``project_`` enforces ``model.max_phase_step``. Sets torch's intra-op
    threads to ``train.n_threads`` for the duration (restored afterwards) and flushes
    denormal floats during training only (sharp attention otherwise makes steps ~2.6x
    slower; switched off again on return).
    """
    cfg = as_config(config)
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
            saved = config_to_dict(as_config(payload["config"]))  # fills fields added since
            if _without_n_steps(saved) != _without_n_steps(config_to_dict(cfg)):
                raise ValueError(
                    f"{ckpt_path} was written with another config; use a fresh out folder or "
                    "resume=False to start over."
                )
        (run / "config.toml").write_text(dump_toml(config_to_dict(cfg)))

    with torch_threads(tc.n_threads):
        torch.set_flush_denormal(True)
        try:
            return _train_loop(cfg, run, ckpt_path, payload, progress, monitor, monitor_every)
        finally:
            # Flush-to-zero is a process-wide CPU flag: leaving it on changed numpy results
            # elsewhere (BNT gridness tests failed after a training run in the same process).
            torch.set_flush_denormal(False)


def _load_init_weights(model: torch.nn.Module, cfg: TEMTConfig) -> None:
    """Copy the weights of ``cfg.train.init_from`` into ``model`` (fine-tuning start)."""
    from hippocore.zoo._checkpoint import load_checkpoint, pretrained

    src = cfg.train.init_from
    assert src is not None
    if src.startswith("pretrained:"):
        net = pretrained(src.split(":", 1)[1])
    else:
        net, _ = load_checkpoint(src)

    def architecture(config: TEMTConfig) -> dict[str, Any]:
        # fixed_phase_step constrains training, it does not change the architecture: a model
        # trained without it may be fine-tuned with it (project_ below applies it at once).
        model_section = config_to_dict(config)["model"]
        model_section.pop("fixed_phase_step")
        return model_section

    theirs, ours = architecture(net.config), architecture(cfg)
    if theirs != ours or tuple(net.actions) != tuple(model.actions):
        raise ValueError(
            f"train.init_from={src!r} holds a model with another model config or action set "
            f"(its [model] is {theirs}, its env kinds {list(net.config.env.kinds)}); "
            "fine-tuning needs the same [model] section and lattice kinds."
        )
    model.load_state_dict(net.state_dict())
    model.project_()


def _train_loop(cfg, run, ckpt_path, payload, progress, monitor, monitor_every) -> TrainResult:
    tc = cfg.train
    device = torch.device(tc.device)
    model = get_model("tem-t", cfg).to(device)
    if payload is None and tc.init_from is not None:
        _load_init_weights(model, cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, tc.seed)
    state = model.initial_state(tc.batch_size)
    start, elapsed = 0, 0.0
    window = _Window()
    log: list[dict[str, Any]] = []
    if payload is not None:
        ts = payload["train_state"]
        if ts is None:
            raise CheckpointError(f"{ckpt_path} has no training state to resume from.")
        load_weights(model, payload["state_dict"], ckpt_path)
        opt.load_state_dict(ts["optimizer"])
        stream.load_state_dict(json.loads(ts["stream"]))
        state = TEMTState(**{k: v.to(device) for k, v in ts["recurrent"].items()})
        window.sums = json.loads(ts["window"])
        start, elapsed = int(payload["step"]), float(ts["elapsed_s"])
    metrics_path = run / METRICS_NAME if run is not None else None
    if metrics_path is not None:
        lines = metrics_path.read_text().splitlines() if metrics_path.exists() else []
        kept = [ln for ln in lines if ln.strip() and json.loads(ln)["step"] <= start]
        metrics_path.write_text("".join(ln + "\n" for ln in kept))
        log = [json.loads(ln) for ln in kept]

    def checkpoint(step: int) -> None:
        if ckpt_path is None:
            return
        save_checkpoint(
            ckpt_path,
            model,
            step=step,
            metrics=log[-1] if log else {},
            train_state={
                "optimizer": opt.state_dict(),
                "stream": json.dumps(stream.state_dict()),
                "recurrent": _state_to_dict(state),
                "window": json.dumps(window.sums),
                "elapsed_s": elapsed,
            },
        )

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=tc.n_steps, initial=start, desc="train tem-t", unit="step")
    model.train()
    t_window, steps_window = time.perf_counter(), 0
    t_last = time.perf_counter()
    for step in range(start, tc.n_steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step)
        chunk = stream.next_chunk()
        obs = torch.from_numpy(chunk.observations).to(device)
        out_ = model(
            torch.from_numpy(chunk.actions).to(device),
            obs,
            state,
            torch.from_numpy(chunk.reset).to(device),
        )
        loss = training_loss(cfg, out_, obs, model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        model.project_()
        state = out_.state.detach()
        correct = (out_.logits.detach().argmax(-1) == obs).cpu().numpy()
        window.add(float(loss.detach()), correct, chunk.revisit, chunk.zero_shot)
        now = time.perf_counter()
        elapsed += now - t_last
        t_last = now
        steps_window += 1
        done = step + 1
        if bar is not None:
            bar.update(1)
        if done % tc.log_every == 0 or done == tc.n_steps:
            line = {"step": done, "wall_time_s": round(elapsed, 3), "lr": learning_rate(cfg, step)}
            line.update(window.summary())
            line["steps_per_s"] = steps_window / max(now - t_window, 1e-9)
            if monitor is not None and monitor_every and done % monitor_every == 0:
                model.eval()
                line.update(monitor(model, done))
                model.train()
            line = _json_safe(line)
            log.append(line)
            if metrics_path is not None:
                with metrics_path.open("a") as fh:
                    fh.write(json.dumps(line) + "\n")
            if bar is not None:
                bar.set_postfix(
                    loss=f"{line['loss']:.3f}",
                    revisit=f"{line['revisit_accuracy'] or 0:.3f}",
                    zero_shot=f"{line['zero_shot_accuracy'] or 0:.3f}",
                )
            window = _Window()
            t_window, steps_window = time.perf_counter(), 0
        if done % tc.checkpoint_every == 0 or done == tc.n_steps:
            checkpoint(done)
            t_last = time.perf_counter()
    if bar is not None:
        bar.close()
    model.eval()
    model.trained_steps = max(start, tc.n_steps)
    return TrainResult(model=model, config=cfg, step=max(start, tc.n_steps), metrics=log, out=run)
