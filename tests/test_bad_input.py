"""The bad-input catalogue: one table of malformed inputs to the public API and what each does.

Every row is a small callable and what it must do: raise a given exception type with a
message fragment (``Raises``), warn with a given category and fragment (``Warns``), or repair
something in a documented way (``Repairs``, the callable asserts the result). The checks on
every message: one line, the fragment in it, nothing forbidden in it (``absent``), raised by
hippocore's own code, and no exception from numpy, h5py, torch or another library's internals
chained to it (so the user sees no foreign traceback). Warnings must point at the caller's line.

Issue 11 items 3-6 are the rows marked "issue 11"; the rest are existing clear errors, so
that this table is the one catalogue. Zoo rows use a tiny config (``TINY``) and one torch
thread, and are skipped without torch.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

import hippocore
from hippocore import analysis as ha
from hippocore import io as hio
from hippocore.envs import make_world
from hippocore.schema import SchemaError, make_session

PACKAGE = Path(hippocore.__file__).resolve().parent
REPO = PACKAGE.parent
SARGOLINI_POS = REPO.parent / "shared" / "data" / "sargolini2006" / "10073-17010302_POS.mat"

TINY = {
    "env": {"widths": [4, 5], "chunks_per_env": [2, 4]},
    "model": {
        "n_e": 12,
        "n_k": 16,
        "n_modules": 2,
        "transition": "orthogonal",
        "max_phase_step": [1.4, 0.9],
        "fixed_phase_step": True,
        "grid_spacing": [],
        "memory_capacity": 80,
    },
    "train": {"n_steps": 2, "batch_size": 2, "chunk_length": 20, "log_every": 1},
}


# ----------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Raises:
    """The call raises ``exc`` (exactly that class or a subclass) with ``fragment`` in it."""

    exc: type[BaseException]
    fragment: str
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Warns:
    """The call warns ``category`` with ``fragment`` in the message, and returns."""

    category: type[Warning]
    fragment: str


@dataclass(frozen=True)
class Repairs:
    """The call repairs the input in a documented way; it asserts the outcome itself."""

    what: str


@dataclass(frozen=True)
class Case:
    """One row: an id, the call (given a :class:`Ctx`) and what it must do."""

    id: str
    call: Callable[[Ctx], Any]
    expect: Raises | Warns | Repairs
    needs: tuple[str, ...] = field(default=())


class Ctx:
    """What a row's call may use: a fresh folder and small builders."""

    def __init__(self, tmp: Path):
        self.tmp = tmp

    # analysis
    t = np.arange(100) * 0.02

    @staticmethod
    def positions(n: int = 100, scale: float = 1.0) -> np.ndarray:
        return np.random.default_rng(0).uniform(0, scale, (n, 2))

    @staticmethod
    def rate(bad: float | None = None) -> np.ndarray:
        m = np.random.default_rng(1).random((20, 20))
        if bad is not None:
            m[4, 5] = bad
        return m

    @staticmethod
    def positions_with_nan() -> np.ndarray:
        pos = Ctx.positions()
        pos[10] = np.nan
        return pos

    # io
    @staticmethod
    def session(**kw: Any):
        rng = np.random.default_rng(0)
        args = dict(activity=rng.random((50, 3)), activity_units="a.u.", source="model")
        args.update(kw)
        return make_session(np.arange(50) * 0.02, rng.random((50, 2)), **args)

    def nwb(self, name: str = "s.nwb", **kw: Any) -> Path:
        return hio.write_nwb(self.session(**kw), self.tmp / name)

    def read_only(self) -> Path:
        folder = self.tmp / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder

    # zoo
    def model(self):
        from hippocore.zoo import get_model

        return get_model("tem-t", TINY)

    def checkpoint(self, edit: Callable[[dict], None] | None = None) -> Path:
        torch = pytest.importorskip("torch")

        from hippocore.zoo import save_checkpoint

        path = save_checkpoint(self.tmp / "c.pt", self.model(), step=0)
        if edit is not None:
            payload = torch.load(path, weights_only=True)
            edit(payload)
            torch.save(payload, path)
        return path


def _as_root_deny_tempfiles():
    """As root a 0o555 folder is writable: make tempfile refuse, as the kernel would for a user."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        denied = PermissionError(13, "Permission denied")
        return mock.patch("tempfile.mkstemp", side_effect=denied)
    return mock.patch.dict(os.environ)  # a no-op context


def _write_read_only(write: Callable[[Path], Any]) -> Callable[[Ctx], Any]:
    def call(ctx: Ctx) -> Any:
        folder = ctx.read_only()
        try:
            with _as_root_deny_tempfiles():
                return write(folder)
        finally:
            folder.chmod(0o755)

    return call


def _text_file(ctx: Ctx, name: str, text: str) -> Path:
    path = ctx.tmp / name
    path.write_text(text)
    return path


def _kill_mid_write_then_write_again(ctx: Ctx) -> None:
    """SIGKILL a writer mid-write; the next write to the target removes its part."""
    target = ctx.tmp / "s.nc"
    child = textwrap.dedent(
        f"""
        import time
        from hippocore.io._atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.write_bytes(b"half a file")
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert any(p.name.endswith(".part.nc") for p in ctx.tmp.iterdir())
    hio.to_netcdf(ctx.session(), target)
    assert sorted(p.name for p in ctx.tmp.iterdir()) == ["s.nc"]


def _pos_file_alone(ctx: Ctx) -> Path:
    shutil.copy(SARGOLINI_POS, ctx.tmp)
    return ctx.tmp / SARGOLINI_POS.name


def _sargolini_guide_limits(ctx: Ctx):
    """docs/analysis.md's limits=(0, 1, 0, 1) on the zero-centred Sargolini box."""
    ds = ctx.sargolini
    return ds.hc.rate_map(bin_size=0.025, limits=(0, 1, 0, 1))


def _torch_pickle(ctx: Ctx, obj: Any) -> Path:
    torch = pytest.importorskip("torch")

    path = ctx.tmp / "x.pt"
    torch.save(obj, path)
    return path


def _load(path: Path):
    from hippocore.zoo import load_checkpoint

    return load_checkpoint(path)


def _config(override: dict):
    from hippocore.zoo import as_config

    d = json.loads(json.dumps(TINY))
    for section, values in override.items():
        d.setdefault(section, {}).update(values)
    return as_config(d)


def _bad_toml(ctx: Ctx):
    from hippocore.zoo import as_config

    path = _text_file(ctx, "bad.toml", "[train]\nlr = 0.01\nn_steps = = 3\n")
    return as_config(path)


def _edit_weights(payload: dict) -> None:
    payload["config"]["model"]["n_e"] = 24  # the stored weights are for n_e = 12


def _train_into_a_file(ctx: Ctx):
    from hippocore.zoo import train

    out = _text_file(ctx, "run", "a file, not a folder")
    return train(_config({}), out=out, progress=False)


def _evaluate(model, worlds, n_steps=10):
    from hippocore.zoo import evaluate

    return evaluate(model, worlds, n_steps, seed=0)


def _rollout(model, world, n_steps=10, **kw):
    from hippocore.zoo import rollout

    return rollout(model, world, n_steps, seed=0, **kw)


HEX = make_world("hexagonal", 4)


# ----------------------------------------------------------------------------- the table

ANALYSIS = [
    # issue 11 item 3: rate maps
    Case(
        "rate_map positions outside limits (issue 11)",
        lambda c: ha.rate_map(c.t, c.positions(), [0.5], bin_size=0.1, limits=(0, 0.9, 0, 1)),
        Warns(ha.PositionsOutsideLimitsWarning, "tracked position samples ("),
    ),
    Case(
        "rate_map all positions outside limits (issue 11)",
        lambda c: ha.rate_map(c.t, c.positions(), [0.5], bin_size=0.1, limits=(2, 3, 2, 3)),
        Raises(ValueError, "all 100 tracked position samples fall outside limits"),
    ),
    Case(
        "rate_map positions in cm with a bin size in m (issue 11)",
        lambda c: ha.rate_map(c.t, c.positions(scale=100), [0.5], bin_size=0.025),
        Raises(ValueError, "If the positions are in cm, divide them by 100"),
    ),
    Case(
        "hc.rate_maps with the guide's limits on zero-centred Sargolini data (issue 11)",
        _sargolini_guide_limits,
        Warns(ha.PositionsOutsideLimitsWarning, "zero-centred"),
        needs=("sargolini",),
    ),
    Case(
        "smooth_map with inf (issue 11)",
        lambda c: ha._ratemap.smooth_map(c.rate(np.inf), 1.0),
        Raises(ValueError, "values contains 1 infinite value(s)"),
    ),
    Case(
        "autocorrelogram with inf (issue 11)",
        lambda c: ha.autocorrelogram(c.rate(-np.inf)),
        Raises(ValueError, "rate contains 1 infinite value(s)"),
    ),
    Case(
        "gridness of an autocorrelogram with inf (issue 11)",
        lambda c: ha.gridness(np.where(np.eye(21) > 0, np.inf, 0.5)),
        Raises(ValueError, "pass autocorrelogram(rate) of a finite rate map"),
    ),
    Case(
        "placefield_adaptive with inf (issue 11)",
        lambda c: ha.placefield_adaptive(c.rate(np.inf)),
        Raises(ValueError, "rate contains 1 infinite value(s)"),
    ),
    Case(
        "place_fields with inf",
        lambda c: ha.place_fields(c.rate(np.inf)),
        Raises(ValueError, "rate contains 1 infinite value(s)"),
    ),
    Case(
        "map_stats with inf",
        lambda c: ha.map_stats(c.rate(np.inf), np.ones((20, 20))),
        Raises(ValueError, "rate contains 1 infinite value(s)"),
    ),
    Case(
        "head_direction_stats with inf",
        lambda c: ha.head_direction_stats([1.0, np.inf, 2.0], np.array([0.0, 2.0, 4.0])),
        Raises(ValueError, "curve contains 1 infinite value(s)"),
    ),
    # existing clear errors and warnings
    Case(
        "rate_map NaN positions",
        lambda c: ha.rate_map(c.t, c.positions_with_nan(), [0.5], bin_size=0.1),
        Warns(ha.UntrackedPositionWarning, "1 of 100 position samples are NaN"),
    ),
    Case(
        "rate_map spikes outside tracking",
        lambda c: ha.rate_map(c.t, c.positions(), [0.5, 50.0], bin_size=0.1),
        Warns(ha.SpikesOutsideTrackingWarning, "1 spike(s) fall outside the tracking interval"),
    ),
    Case(
        "rate_map negative bin_size",
        lambda c: ha.rate_map(c.t, c.positions(), [0.5], bin_size=-0.1),
        Raises(ValueError, "bin_size must be a finite positive number"),
    ),
    Case(
        "rate_map times not increasing",
        lambda c: ha.rate_map(c.t[::-1], c.positions(), [0.5], bin_size=0.1),
        Raises(ValueError, "times must be strictly increasing"),
    ),
    Case(
        "rate_map transposed positions",
        lambda c: ha.rate_map(c.t, c.positions().T, [0.5], bin_size=0.1),
        Raises(ValueError, "did you pass the transpose?"),
    ),
    Case(
        "rate_map neither spikes nor activity",
        lambda c: ha.rate_map(c.t, c.positions(), bin_size=0.1),
        Raises(ValueError, "pass exactly one of spike_times"),
    ),
    Case(
        "rate_map bad max_bins",
        lambda c: ha.rate_map(c.t, c.positions(), [0.5], bin_size=0.1, max_bins=0),
        Raises(ValueError, "max_bins must be a positive integer"),
    ),
    Case(
        "rate_map non-numeric positions",
        lambda c: ha.rate_map(c.t, "north", [0.5], bin_size=0.1),
        Raises(TypeError, "positions must be numeric array-like"),
    ),
    Case(
        "gridness unknown method",
        lambda c: ha.gridness(np.zeros((21, 21)), method="sargolini"),
        Raises(ValueError, "method must be one of ['bnt', 'deepmind']"),
    ),
    Case(
        "gridness deepmind on a non-square autocorrelogram",
        lambda c: ha.gridness(np.zeros((21, 19)), method="deepmind"),
        Raises(ValueError, "needs a square autocorrelogram of odd side"),
    ),
    Case(
        "autocorrelogram of an empty map",
        lambda c: ha.autocorrelogram(np.zeros((0, 5))),
        Raises(ValueError, "rate is empty"),
    ),
    Case(
        "spatial_correlation of maps of different shapes",
        lambda c: ha.spatial_correlation(np.ones((5, 5)), np.ones((5, 6))),
        Raises(ValueError, "same shape"),
    ),
    Case(
        "lattice_rate_map node out of range",
        lambda c: ha.lattice_rate_map(HEX, [0, 1, 999], np.ones(3)),
        Raises(ValueError, "nodes must be integers in 0.."),
    ),
    Case(
        "lattice_rate_map without a World",
        lambda c: ha.lattice_rate_map("hexagonal", [0, 1], np.ones(2)),
        Raises(TypeError, "world must be a hippocore.envs.World"),
    ),
    Case(
        "ha.ds.rate_map of something that is not a session",
        lambda c: ha.ds.rate_map(xr_dataset(), bin_size=0.1),
        Raises(TypeError, "session must be a hippocore session dataset"),
    ),
    Case(
        "shuffle_scores with a seed that is not one",
        lambda c: ha.shuffle_scores(
            c.t, c.positions(), [0.5], bin_size=0.1, min_shift=0.5, seed="lucky"
        ),
        Raises(TypeError, "seed must be an int, a numpy.random.Generator or None"),
    ),
    Case(
        "speed_score unknown variant",
        lambda c: ha.speed_score(c.t, np.ones(100), [0.5], variant="1999"),
        Raises(ValueError, "variant"),
    ),
    Case(
        "pair_structure of stacks with different units",
        lambda c: ha.pair_structure(np.ones((3, 9)), np.ones((4, 9))),
        Raises(ValueError, "must hold the same units"),
    ),
    Case(
        "pair_structure with one group label too few",
        lambda c: ha.pair_structure(np.ones((3, 9)), np.ones((3, 9)), groups=[0, 1]),
        Raises(ValueError, "groups must have one label per unit"),
    ),
    Case(
        "lattice_node_means node out of range",
        lambda c: ha.lattice_node_means(HEX, [0, 1, 999], np.ones(3)),
        Raises(ValueError, "nodes must be integers in 0.."),
    ),
    Case(
        "one_field_at with one node for several units",
        lambda c: ha.lattice_fields(HEX, [0, 1], np.ones((2, 3))).one_field_at([0]),
        Raises(ValueError, "one node per unit"),
    ),
]


def xr_dataset():
    import xarray as xr

    return xr.Dataset({"x": ("t", np.arange(3.0))})


IO = [
    # issue 11 item 5
    Case(
        "read_nwb units that do not exist, file without unit names (issue 11)",
        lambda c: hio.read_nwb(c.nwb(), units=["no-such-unit"]),
        Raises(ValueError, "nothing matches 'no-such-unit'", absent=("None column",)),
    ),
    Case(
        "read_nwb unit names that do not exist (issue 11)",
        lambda c: hio.read_nwb(
            c.nwb(unit=np.array(["a1", "b2", "c3"], dtype=object)), units=["a1", "zz"]
        ),
        Raises(ValueError, "nothing matches 'zz'; available names: ['a1', 'b2', 'c3']"),
    ),
    Case(
        "read_nwb unit id that does not exist",
        lambda c: hio.read_nwb(c.nwb(), units=[7]),
        Raises(ValueError, "nothing matches id(s) 7; available ids: [0, 1, 2]"),
    ),
    Case(
        "read_nwb units selector of another type",
        lambda c: hio.read_nwb(c.nwb(), units=[1.5]),
        Raises(TypeError, "select rows by name (str) or id (int); got 1.5"),
    ),
    Case(
        "write_nwb into a read-only folder (issue 11)",
        _write_read_only(lambda d: hio.write_nwb(Ctx.session(), d / "s.nwb")),
        Raises(PermissionError, "cannot write to folder"),
    ),
    Case(
        "to_netcdf into a read-only folder (issue 11)",
        _write_read_only(lambda d: hio.to_netcdf(Ctx.session(), d / "s.nc")),
        Raises(PermissionError, "choose a folder you can write to"),
    ),
    Case(
        "read_kavli_mat of a POS file with no cell files (issue 11)",
        lambda c: hio.read_kavli_mat(_pos_file_alone(c)),
        Warns(hio.NoUnitsWarning, "found no cell files 10073-17010302_T<n>C<m>.mat"),
        needs=("sargolini_file",),
    ),
    # issue 11 item 6
    Case(
        "a writer killed mid-write leaves a part; the next write removes it (issue 11)",
        _kill_mid_write_then_write_again,
        Repairs("stale .part files of the same target are removed"),
        needs=("posix",),
    ),
    # existing clear errors
    Case(
        "read_nwb of a missing file",
        lambda c: hio.read_nwb(c.tmp / "missing.nwb"),
        Raises(FileNotFoundError, "no such file"),
    ),
    Case(
        "read_nwb of a text file",
        lambda c: hio.read_nwb(_text_file(c, "notes.nwb", "not an nwb file")),
        Raises(ValueError, "not an HDF5 file"),
    ),
    Case(
        "write_nwb onto an existing file",
        lambda c: hio.write_nwb(c.session(), c.nwb()),
        Raises(FileExistsError, "pass overwrite=True to replace it"),
    ),
    Case(
        "to_netcdf into a folder that does not exist",
        lambda c: hio.to_netcdf(c.session(), c.tmp / "nope" / "s.nc"),
        Raises(FileNotFoundError, "does not exist; create it first"),
    ),
    Case(
        "to_netcdf with a bad compression level",
        lambda c: hio.to_netcdf(c.session(), c.tmp / "s.nc", compression_level=12),
        Raises(ValueError, "compression_level must be an int in 1..9"),
    ),
    Case(
        "to_netcdf of something that is not a schema dataset",
        lambda c: hio.to_netcdf(xr_dataset(), c.tmp / "s.nc"),
        Raises(SchemaError, "hippocore"),
    ),
    Case(
        "write_nwb with an unknown subject field",
        lambda c: hio.write_nwb(c.session(), c.tmp / "a.nwb", subject={"name": "rat"}),
        Raises(ValueError, "unknown field"),
    ),
    Case(
        "write_nwb sampling spikes from activity in a.u.",
        lambda c: hio.write_nwb(c.session(), c.tmp / "a.nwb", sample_spikes_from_activity=True),
        Raises(ValueError, "only be sampled from activity in Hz"),
    ),
    Case(
        "read_kavli_mat of a file that is not MATLAB",
        lambda c: hio.read_kavli_mat(_text_file(c, "x_POS.mat", "hello")),
        Raises(ValueError, "is not a readable MATLAB file"),
    ),
    Case(
        "read_kavli_mat of a missing file",
        lambda c: hio.read_kavli_mat(c.tmp / "missing_POS.mat"),
        Raises(FileNotFoundError, "no such file"),
    ),
]

ZOO = [
    # issue 11 item 4: configs
    Case(
        "config lr = inf (issue 11)",
        lambda c: _config({"train": {"lr": math.inf}}),
        Raises(ValueError, "train.lr must be > 0 and finite; got inf"),
    ),
    Case(
        "config lr_min > lr (issue 11)",
        lambda c: _config({"train": {"lr": 1e-3, "lr_min": 1e-2}}),
        Raises(ValueError, "train.lr_min (0.01) must be <= train.lr (0.001)"),
    ),
    Case(
        "config NaN loss weight (issue 11)",
        lambda c: _config({"train": {"path_loss": math.nan}}),
        Raises(ValueError, "train.path_loss must be >= 0 and finite; got nan"),
    ),
    Case(
        "config infinite grad_clip (issue 11)",
        lambda c: _config({"train": {"grad_clip": math.inf}}),
        Raises(ValueError, "train.grad_clip must be > 0 and finite"),
    ),
    Case(
        "config infinite smooth_loss weight (issue 11)",
        lambda c: _config({"train": {"smooth_loss": [math.inf]}}),
        Raises(ValueError, "train.smooth_loss weights must be >= 0 and finite"),
    ),
    Case(
        "config infinite env.spacing (issue 11)",
        lambda c: _config({"env": {"spacing": math.inf}}),
        Raises(ValueError, "env.spacing must be > 0 and finite"),
    ),
    Case(
        "config NaN direction_bias (issue 11)",
        lambda c: _config({"env": {"direction_bias": math.nan}}),
        Raises(ValueError, "env.direction_bias must be in [0, 1] and finite"),
    ),
    Case(
        "config infinite beta_init (issue 11)",
        lambda c: _config({"model": {"beta_init": math.inf}}),
        Raises(ValueError, "model.beta_init must be > 0 and finite"),
    ),
    Case(
        "config unknown device (issue 11)",
        lambda c: _config({"train": {"device": "gpu7"}}),
        Raises(ValueError, "train.device must be a torch device"),
    ),
    Case(
        "config TOML syntax error (issue 11)",
        _bad_toml,
        Raises(ValueError, "bad.toml: line 3, column"),
    ),
    # issue 11 item 4: checkpoints and runs
    Case(
        "load_checkpoint with weights that do not fit the stored config (issue 11)",
        lambda c: _load(c.checkpoint(_edit_weights)),
        Raises(
            ValueError, "the stored weights do not fit the stored config", absent=("size mismatch",)
        ),  # fmt: skip
    ),
    Case(
        "load_checkpoint of random bytes (issue 11)",
        lambda c: _load(_write_bytes(c.tmp / "r.pt", np.random.default_rng(0).bytes(4096))),
        Raises(ValueError, "is not a readable torch checkpoint", absent=("weights_only",)),
    ),
    Case(
        "load_checkpoint of a pickled object (issue 11)",
        lambda c: _load(
            _torch_pickle(c, {"model": pickle.dumps}),
        ),
        Raises(ValueError, "holds Python objects other than tensors", absent=("weights_only",)),
    ),
    Case(
        "train(out=<an existing file>) (issue 11)",
        _train_into_a_file,
        Raises(FileExistsError, "is an existing file; train writes a run folder"),
    ),
    # issue 11 item 5
    Case(
        "rollout(model, None) (issue 11)",
        lambda c: _rollout(c.model(), None),
        Raises(TypeError, "world must be a hippocore.envs.World"),
    ),
    Case(
        "evaluate(None, world) (issue 11)",
        lambda c: _evaluate(None, HEX),
        Raises(TypeError, "model must be a hippocore zoo model"),
    ),
    # existing clear errors
    Case(
        "config unknown key",
        lambda c: _config({"train": {"learning_rate": 0.1}}),
        Raises(ValueError, "unknown key(s) ['learning_rate'] in config.train; valid keys"),
    ),
    Case(
        "config integer field given a float",
        lambda c: _config({"model": {"n_e": 2.5}}),
        Raises(ValueError, "config.model.n_e must be an integer"),
    ),
    Case(
        "config lifetime longer than the memory",
        lambda c: _config({"model": {"memory_capacity": 40}}),
        Raises(ValueError, "exceeds model.memory_capacity"),
    ),
    Case(
        "config file that does not exist",
        lambda c: _config_path(c.tmp / "missing.toml"),
        Raises(FileNotFoundError, "does not exist"),
    ),
    Case(
        "load_checkpoint of an empty file",
        lambda c: _load(_write_bytes(c.tmp / "e.pt", b"")),
        Raises(ValueError, "is empty (0 bytes)"),
    ),
    Case(
        "config naming a model that does not exist (issue 13)",
        lambda c: _zoo().as_config({"model_name": "tem-x"}),
        Raises(ValueError, "model_name='tem-x' is not a registered model; use one of"),
    ),
    Case(
        "TEM config with a phase count per module missing (issue 13)",
        lambda c: _zoo().as_config({"model_name": "tem", "model": {"n_phases": [10, 10]}}),
        Raises(ValueError, "model.n_phases has 2 values; give one per module"),
    ),
    Case(
        "load_checkpoint of a TEM checkpoint as TEM-t (issue 13)",
        lambda c: _tem_checkpoint_as_tem_t(c),
        Raises(ValueError, "holds a 'tem' model, not 'tem-t'"),
    ),
    Case(
        "load_checkpoint of a plain torch file",
        lambda c: _load(_torch_pickle(c, {"weights": 1})),
        Raises(ValueError, "is not a hippocore checkpoint (no format_version)"),
    ),
    Case(
        "load_checkpoint of a missing file",
        lambda c: _load(c.tmp / "missing.pt"),
        Raises(FileNotFoundError, "does not exist"),
    ),
    Case(
        "evaluate with no worlds",
        lambda c: _evaluate(c.model(), []),
        Raises(ValueError, "worlds is empty"),
    ),
    Case(
        "evaluate with zero steps",
        lambda c: _evaluate(c.model(), HEX, 0),
        Raises(ValueError, "n_steps must be a positive integer"),
    ),
    Case(
        "evaluate on a lattice the model was not trained on",
        lambda c: _evaluate(c.model(), make_world("square", 4)),
        Raises(ValueError, "trained on"),
    ),
    Case(
        "rollout with a negative step duration",
        lambda c: _rollout(c.model(), HEX, dt=-1.0),
        Raises(ValueError, "dt must be a finite positive number"),
    ),
    Case(
        "get_model of an unknown model",
        lambda c: _zoo().get_model("tem-x"),
        Raises(ValueError, "unknown model 'tem-x'; available models are"),
    ),
    Case(
        "get_model with a config of the wrong type",
        lambda c: _zoo().get_model("tem-t", 3),
        Raises(TypeError, "must be a TEMTConfig or a mapping"),
    ),
    Case(
        "pretrained weights that do not exist",
        lambda c: _zoo().pretrained("tem-z"),
        Raises(ValueError, "no pretrained checkpoint for 'tem-z'; available"),
    ),
]


def _zoo():
    import hippocore.zoo

    return hippocore.zoo


def _tem_checkpoint_as_tem_t(ctx: Ctx):
    zoo = _zoo()
    tiny = {
        "model_name": "tem",
        "env": {"n_x": 10},
        "model": {"n_grids": [6], "n_phases": [2], "n_x_compressed": 5, "filter_init": [0.5]},
    }
    path = zoo.save_checkpoint(ctx.tmp / "tem.pt", zoo.get_model("tem", tiny), step=0)
    return zoo.load_checkpoint(path, model="tem-t")


def _config_path(path: Path):
    return _zoo().as_config(path)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _plotting():
    pytest.importorskip("matplotlib")
    import hippocore.plotting

    return hippocore.plotting


PLOTTING = [
    Case(
        "plot_lattice_map with a value count that is not the node count",
        lambda c: _plotting().plot_lattice_map(HEX, np.ones(HEX.n_nodes - 1)),
        Raises(ValueError, "one value per node"),
    ),
    Case(
        "plot_lattice_map without a World",
        lambda c: _plotting().plot_lattice_map("hexagonal", np.ones(4)),
        Raises(TypeError, "world must be a hippocore.envs.World"),
    ),
    Case(
        "plot_autocorrelogram given a stack's Gridness",
        lambda c: _plotting().plot_autocorrelogram(
            np.zeros((9, 9)), gridness=ha.gridness(np.zeros((2, 9, 9)))
        ),
        Raises(ValueError, "gridness must describe one autocorrelogram"),
    ),
    Case(
        "unit_gallery with fewer autocorrelograms than maps",
        lambda c: _plotting().unit_gallery(HEX, np.ones((3, HEX.n_nodes)), np.zeros((2, 9, 9))),
        Raises(ValueError, "one autocorrelogram per unit"),
    ),
]


TABLE = (
    [("analysis", c) for c in ANALYSIS]
    + [("io", c) for c in IO]
    + [("zoo", c) for c in ZOO]
    + [("plotting", c) for c in PLOTTING]
)


# ----------------------------------------------------------------------------- checks


def _raised_in(exc: BaseException) -> Path:
    """File of the innermost frame that raised ``exc``."""
    return Path(traceback.extract_tb(exc.__traceback__)[-1].filename).resolve()


def _shown_chain(exc: BaseException) -> list[BaseException]:
    """The exceptions Python prints above ``exc`` (its cause, or its context unless suppressed)."""
    chain = []
    while True:
        nxt = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if nxt is None:
            return chain
        chain.append(nxt)
        exc = nxt


def _check_message(text: str, fragment: str) -> None:
    assert fragment in text, f"{fragment!r} not in {text!r}"
    assert "\n" not in text.strip(), f"message is not one line: {text!r}"
    assert len(text) >= 30, f"message too short to say what was wrong and the fix: {text!r}"


@pytest.fixture
def torch_one_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sargolini():
    if not SARGOLINI_POS.exists():
        pytest.skip(f"Sargolini 2006 data not found at {SARGOLINI_POS}")
    return hio.read_kavli_mat(SARGOLINI_POS)


def test_the_table_covers_enough_distinct_cases():
    ids = [c.id for _, c in TABLE]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40
    for area in ("analysis", "io", "zoo"):
        assert sum(a == area for a, _ in TABLE) >= 8, area


@pytest.mark.parametrize(("area", "case"), TABLE, ids=[f"{a}: {c.id}" for a, c in TABLE])
def test_bad_input(area, case, tmp_path, request):
    if area == "zoo":
        request.getfixturevalue("torch_one_thread")
    ctx = Ctx(tmp_path)
    if "sargolini" in case.needs:
        ctx.sargolini = request.getfixturevalue("sargolini")
    if "sargolini_file" in case.needs and not SARGOLINI_POS.exists():
        pytest.skip(f"Sargolini 2006 data not found at {SARGOLINI_POS}")
    if "posix" in case.needs and os.name == "nt":
        pytest.skip("SIGKILL is POSIX")
    expect = case.expect

    if isinstance(expect, Raises):
        with pytest.raises(expect.exc) as info:
            case.call(ctx)
        err = info.value
        _check_message(str(err), expect.fragment)
        for word in expect.absent:
            assert word not in str(err), f"{word!r} should not be in {str(err)!r}"
        assert PACKAGE in _raised_in(err).parents, f"raised outside hippocore: {_raised_in(err)}"
        for shown in _shown_chain(err):
            assert PACKAGE in _raised_in(shown).parents, (
                f"a traceback from {_raised_in(shown)} is shown above the error: "
                f"{type(shown).__name__}: {shown}"
            )
    elif isinstance(expect, Warns):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            case.call(ctx)
        ours = [w for w in caught if issubclass(w.category, expect.category)]
        assert ours, f"no {expect.category.__name__}; got {[str(w.message) for w in caught]}"
        assert len(ours) == len(caught), [str(w.message) for w in caught]
        _check_message(str(ours[0].message), expect.fragment)
        assert Path(ours[0].filename).resolve() == Path(__file__).resolve(), (
            f"the warning points at {ours[0].filename}, not at the caller"
        )
    else:
        case.call(ctx)
