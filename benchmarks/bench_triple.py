"""Hippocampal units, memory footprint and step time of TEM-3 and TEM-t-3 against n_c.

Run: PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_triple.py [--out JSON]
     [--n-c 5 10 20 45] [--steps 3] [--skip-time]

For each number of contexts n_c, both models at their default sizes (TEM-3: TEM's TF2
sizes, 5 modules, 40 phases, 10 two-hot x units; TEM-t-3: TEM-t's default position code,
memory capacity 1024):

- analytic counts: TEM-3 p units ``sum(n_phases) * n_x_compressed * n_c`` and memory
  ``2 * n_p^2`` floats per environment; TEM-t-3 feature units ``n_e + n_x + n_c``, memory
  neurons = capacity, memory ``capacity * n_e`` floats plus two class indices per slot;
- as built: the same numbers counted from the model's tensors (parameters, and the
  recurrent state of one environment built on the ``meta`` device, so TEM-3's
  multi-gigabyte matrices are counted, not allocated);
- step time: median seconds of ``train_step`` (the shared loop's step) on one thread at a
  small training setting (batch 4, 20-step chunks, ``--steps`` timed steps after one
  untimed), TEM-t-3 at its default size, TEM-3 at TEM's default size and at a reduced size
  (2 modules, 18 phases), each only up to ``--max-n-p`` p units (default 4000: the reduced
  TEM-3 at n_c = 45, 8100 p units, passed 9 GB of memory at batch 4 and was stopped).

Writes a JSON record (machine, versions, commit, load, figures) and prints a table.

Pattern completion (``--completion CHECKPOINT``, a TEM-t-3 or TEM-3 run's checkpoint, or
``untrained:<config.toml>``, or ``pretrained:<name>`` of a two-stream model, run on
three-stream walks with ``--walk-n-c`` contexts as the context-blind baseline): fresh three-stream walks (``--worlds`` hexagonal worlds of
width 5, ``--walk`` steps each, the model's env settings), and at every revisit of a
(node, context) pair the accuracy of each recall: x from (g, c) (the prediction), c from
(g, x), and the place from (x, c): TEM-t-3, the node of the memory the (x, c) query weighs
most; TEM-3, the node of the earlier step whose inferred g is nearest (cosine) to TEM's
estimate of g from the inference memory queried with x (x) c (``g|x,c``, TEM's route to a
position code), and beside it (``TEM3_PLACE``) the node of the stored p nearest the
retrieved p, of the stored p nearest the query itself (no retrieval), and of the earlier g
nearest the step's own g (the route's ceiling), with ``tem3_place_diagnostics`` (why the
route fails or holds). Beside each: chance, and the accuracy of a count oracle that knows
the walk so far (what memory can at best give: ties within a node or an (x, c) pair are
ambiguous).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

import hippocore
from hippocore.envs import context_blind_cap, make_world
from hippocore.zoo import as_config, get_model, load_checkpoint, pretrained, rollout
from hippocore.zoo._data import WalkStream, make_episode
from hippocore.zoo._evaluate import run_episodes
from hippocore.zoo._tem_diagnostics import memory_weight
from hippocore.zoo._train import _adam, train_step

REDUCED_TEM3 = {"n_grids": [30, 24], "n_phases": [10, 8], "filter_init": [0.01, 0.7]}


def config(name: str, n_c: int, model: dict | None = None, train: dict | None = None):
    """A model's default config with ``n_c`` contexts (and overrides)."""
    return as_config(
        {
            "model_name": name,
            "env": {"n_c": n_c},
            "model": {"n_c": n_c, **(model or {})},
            "train": {"batch_size": 4, "chunk_length": 20, **(train or {})},
        }
    )


def counts(name: str, n_c: int) -> dict:
    """Analytic and as-built unit counts and footprints of one model at ``n_c``."""
    cfg = config(name, n_c)
    model = get_model(name, cfg)
    n_params = sum(p.numel() for p in model.parameters())
    state = model.to("meta").initial_state(1)
    fields = {k: v for k, v in vars(state).items() if isinstance(v, torch.Tensor)}
    bytes_state = sum(v.numel() * v.element_size() for v in fields.values())
    m, n_x = cfg.model, cfg.env.n_x
    if name == "tem-3":
        n_p = sum(m.n_phases) * m.n_x_compressed * n_c
        analytic = {"hippocampal_units": n_p, "memory_floats": 2 * n_p * n_p}
        built = {
            "hippocampal_units": int(state.memory_gen.shape[-1]),
            "memory_floats": int(state.memory_gen.numel() + state.memory_inf.numel()),
        }
        extra = {"g_units": m.n_g, "x_units": m.n_modules * m.n_x_compressed, "c_units": n_c}
    else:
        analytic = {
            "hippocampal_units": m.memory_capacity,
            "feature_units": m.n_e + n_x + n_c,
            "memory_floats": m.memory_capacity * m.n_e,
            "memory_indices": 2 * m.memory_capacity,
        }
        built = {
            "hippocampal_units": int(state.mem_e.shape[1]),
            "feature_units": int(
                model.e_init.numel() + model.readout.in_features + model.readout_c.in_features
            ),
            "memory_floats": int(state.mem_e.numel()),
            "memory_indices": int(state.mem_x.numel() + state.mem_c.numel()),
        }
        extra = {}
    return {
        "model": name,
        "n_c": n_c,
        "analytic": analytic,
        "built": built,
        "parameters": int(n_params),
        "state_bytes_per_env": int(bytes_state),
        **extra,
    }


def cfg_name(cfg) -> str:
    """Registry name of a triple model's config."""
    return {"TEM3Config": "tem-3", "TEMT3Config": "tem-t-3"}[type(cfg).__name__]


def step_time(cfg, n_steps: int) -> float:
    """Median wall seconds per ``train_step`` after one untimed step (one thread)."""
    name = cfg_name(cfg)
    model = get_model(name, cfg)
    opt = _adam(model, cfg.train.lr, torch.device("cpu"))  # the training loop's optimiser
    tc = cfg.train
    stream = WalkStream(cfg.env, model.actions, tc.batch_size, tc.chunk_length, tc.seed)
    state = model.initial_state(tc.batch_size)
    times = []
    for step in range(n_steps + 1):
        t0 = time.perf_counter()
        out, _, _ = train_step(
            model, opt, cfg, stream.next_chunk(step), state, step, torch.device("cpu")
        )
        state = out.state.detach()
        if step:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


@torch.no_grad()
def recalls(model, episodes) -> dict[str, np.ndarray]:
    """Run a triple model over equal-length episodes; each recall's answer per step.

    TEM-3 adds, per step, what its inference memory gives for the (x, c) query
    (:func:`tem3_parts`); the weight at each walk's first step (the prior) is NaN.
    """
    stack = lambda k: torch.from_numpy(np.stack([getattr(ep, k) for ep in episodes]))  # noqa: E731
    if not model.uses_context:  # a two-stream model: it predicts x and ignores c
        res = run_episodes(model, episodes, chunk_length=model.config.train.chunk_length)
        return {"x": res["logits"].argmax(-1)}
    acts, obs, ctx = stack("actions"), stack("observations"), stack("contexts")
    b, n = acts.shape
    state = model.initial_state(b)
    reset = torch.ones(b, dtype=torch.bool)
    parts: dict[str, list[np.ndarray]] = {"x": [], "c": [], "slot": []}
    chunk = model.config.train.chunk_length
    for s in range(0, n, chunk):
        sl = slice(s, s + chunk)
        out = model(acts[:, sl], obs[:, sl], state, reset, context=ctx[:, sl], populations=True)
        reset = torch.zeros_like(reset)
        parts["x"].append(out.logits.argmax(-1).numpy())
        parts["c"].append(out.logits_c.argmax(-1).numpy())
        if getattr(out, "place_weights", None) is not None:
            parts["slot"].append(out.place_weights.argmax(-1).numpy())
        if hasattr(out, "joint"):  # TEM-3
            for k, v in tem3_parts(model, out, obs[:, sl], ctx[:, sl], state.g).items():
                parts.setdefault(k, []).append(v.numpy())
        state = out.state
    res = {k: np.concatenate(v, 1) for k, v in parts.items() if v}
    if "memory_weight" in res:
        res["memory_weight"][:, 0] = np.nan
    return res


def tem3_parts(model, out, obs, ctx, g_last) -> dict[str, torch.Tensor]:
    """What TEM-3's inference memory gives for the (x, c) query, per step (b, T, ...).

    ``query``: the query itself, x (x) c (TEM's filtered sensory code, tiled over phases);
    ``p_x``: the p it retrieves (TEM's attractor on the inference memory); ``p``: the p
    inferred at the step (what the memory stores); ``g``: the inferred g; ``g_hat``: TEM's
    estimate of g from ``p_x`` (``memory_to_g``'s mean); ``memory_weight``: the weight of
    ``g_hat`` in the inferred g per g unit, ``s_mem^-2 / (s_mem^-2 + s_path^-2)`` (TEM's
    precision weighting; ``g_last``: the g before the chunk, for the first step's path sigma).
    """
    tem = model.tem
    n_c, n_x = model.config.env.n_c, model.config.env.n_x
    joint = torch.nn.functional.one_hot(obs * n_c + ctx, n_x * n_c).float()  # as TEM3.forward
    p2g_use = tem.schedule(model.trained_steps).p2g_use
    g_prev = torch.cat([g_last[:, None], out.joint.g[:, :-1]], 1)
    g_hat, weight = memory_weight(tem, g_prev, out.joint.p_x, joint, p2g_use)
    return {
        "query": tem.x_to_p(out.joint.x_filtered),
        "p_x": out.joint.p_x,
        "p": out.joint.p,
        "g": out.joint.g,
        "g_hat": g_hat,
        "memory_weight": weight,
    }


def nearest_earlier(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each step t, the earlier step (< t) whose key is nearest the query (cosine)."""
    qn = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    kn = keys / np.maximum(np.linalg.norm(keys, axis=1, keepdims=True), 1e-12)
    sim = qn @ kn.T
    sim[np.triu_indices(len(sim))] = -np.inf  # only earlier steps
    return np.where(np.arange(len(sim)) > 0, sim.argmax(1), 0)


def oracle(keys: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Most frequent earlier target with the same key (ties: lowest), -1 for a new key."""
    pred = np.full(keys.size, -1)
    seen: dict[int, dict[int, int]] = {}
    for t, (k, y) in enumerate(zip(keys.tolist(), targets.tolist(), strict=True)):
        counts = seen.setdefault(k, {})
        if counts:
            top = max(counts.values())
            pred[t] = min(v for v, c in counts.items() if c == top)
        counts[y] = counts.get(y, 0) + 1
    return pred


# TEM-3's place-from-(x, c) decoders: row -> (query, keys) of nearest_earlier. The first is
# TEM's own route to a position code; the second reads the stored pattern the memory returns;
# the third skips the memory (the query against the stored patterns: the structural part);
# the last is no recall but the ceiling of the first: the place from the step's own g.
TEM3_PLACE = {
    "g|x,c": ("g_hat", "g"),
    "g|x,c stored p": ("p_x", "p"),
    "g|x,c query only": ("query", "p"),
    "g|own g": ("g", "g"),
}


def tem3_diagnostics(res: dict[str, np.ndarray], revisit: np.ndarray) -> dict:
    """Why TEM-3's g route from (x, c) fails or holds, at the pair revisits (b, T) mask.

    The mean cosine of ``g_hat`` with the g inferred at the same step, and the weight of
    ``g_hat`` in g (median and mean over revisits and g units; g units whose median weight
    passes 0.5). The retrieved p's cosines with the stored p: :func:`retrieved_cosines`.
    """
    w = res["memory_weight"][revisit]  # (n, n_g)
    per_unit = np.nanmedian(w, 0)
    g_hat, g = res["g_hat"][revisit], res["g"][revisit]
    cos = np.sum(g_hat * g, -1) / np.maximum(
        np.linalg.norm(g_hat, axis=-1) * np.linalg.norm(g, axis=-1), 1e-12
    )
    return {
        "cos_g_hat_g": float(np.mean(cos)),
        "memory_weight_median": float(np.nanmedian(w)),
        "memory_weight_mean": float(np.nanmean(w)),
        "g_units_memory_weight_above_half": int((per_unit > 0.5).sum()),
        "g_units": int(w.shape[-1]),
    }


def retrieved_cosines(res: dict, b: int, pair: np.ndarray, xc: np.ndarray, rev: np.ndarray):
    """Walk ``b``: at each revisit, the mean cosine of the retrieved p with the earlier stored
    p of the same (node, context) ``pair``, of the same ``xc`` at another node, and of other
    (x, c) (lists over the revisits in ``rev`` that have such earlier steps)."""
    unit = lambda a: a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)  # noqa: E731
    sim = unit(res["p_x"][b]) @ unit(res["p"][b]).T
    out: dict[str, list[float]] = {"same_pair": [], "same_xc_other_node": [], "other": []}
    for t in np.flatnonzero(rev):
        same, s_xc = pair[:t] == pair[t], xc[:t] == xc[t]
        for k, sel in zip(out, (same, s_xc & ~same, ~s_xc), strict=True):
            if sel.any():
                out[k].append(float(sim[t, :t][sel].mean()))
    return out


def completion(model, n_worlds: int, walk: int, seed: int, n_c: int) -> dict:
    """Accuracy of each recall at (node, context) revisits, with chance and an oracle.

    ``n_c``: contexts of the walks when the model is a two-stream one (its env has none).
    TEM-3: the place from (x, c) by each decoder of ``TEM3_PLACE`` and the diagnostics.
    """
    env = dataclasses.replace(model.config.env, n_c=model.config.env.n_c or n_c)
    rng = np.random.default_rng(seed)
    world = make_world("hexagonal", 5)
    eps = [
        make_episode(
            world,
            walk,
            model.actions,
            n_x=env.n_x,
            direction_bias=env.direction_bias,
            rng=rng,
            n_c=env.n_c,
            context_switch=env.context_switch,
        )
        for _ in range(n_worlds)
    ]
    res = recalls(model, eps)
    places = {k: v for k, v in TEM3_PLACE.items() if v[0] in res}
    if "slot" in res:
        places = {"g|x,c": ("slot", None)}
    hits: dict[str, list[int]] = {}
    cosines: dict[str, list[float]] = {}
    for b, ep in enumerate(eps):
        rev, nodes, x, c = ep.revisit, ep.nodes, ep.observations, ep.contexts
        pairs = {"x|g,c": (res["x"][b], x, oracle(nodes * env.n_c + c, x))}
        if "c" in res:
            pairs["c|g,x"] = (res["c"][b], c, oracle(nodes * env.n_x + x, c))
        for name, (q, k) in places.items():
            slot = res[q][b] if k is None else nearest_earlier(res[q][b], res[k][b])
            keys = nodes if name == "g|own g" else x * env.n_c + c
            pairs[name] = (nodes[slot], nodes, oracle(keys, nodes))
        pairs["x|g,c complete"] = (res["x"][b], x, x)
        for name, (pred, truth, orc) in pairs.items():
            at = ep.complete if name == "x|g,c complete" else rev
            h = hits.setdefault(name, [0, 0, 0])
            h[0] += int((pred[at] == truth[at]).sum())
            h[1] += int((orc[at] == truth[at]).sum())
            h[2] += int(at.sum())
        if "p_x" in res:
            pair_cos = retrieved_cosines(res, b, nodes * env.n_c + c, x * env.n_c + c, rev)
            for k, v in pair_cos.items():
                cosines.setdefault(k, []).extend(v)
    chance = {"x|g,c": 1 / env.n_x, "c|g,x": 1 / env.n_c, "x|g,c complete": 1 / env.n_x}
    rows = {
        name: {
            "accuracy": ok / n,
            "oracle": orc / n,
            "chance": chance.get(name, 1 / world.n_nodes),
            "n": n,
        }
        for name, (ok, orc, n) in hits.items()
        if n
    }
    rows["x|g,c complete"]["context_blind_cap"] = context_blind_cap(
        env.n_x, env.n_c, switch_prob=env.context_switch
    )
    record = {"world": world.describe(), "n_worlds": n_worlds, "walk": walk, "recalls": rows}
    if "memory_weight" in res:
        revisit = np.stack([ep.revisit for ep in eps])
        diag = tem3_diagnostics(res, revisit)
        diag.update({f"cos_p_x_stored_p_{k}": float(np.mean(v)) for k, v in cosines.items()})
        record["tem3_place_diagnostics"] = diag
    return record


def context_remapping(model, n_steps: int, seed: int, n_memory_units: int = 256) -> dict:
    """Do position units keep their maps across contexts, and do memory units switch?

    One walk of ``n_steps`` in a hexagonal world of width 6 with the model's contexts.
    (a) Position code (``grid_population``): each unit's node map in each context, the
    per-unit map correlation between every pair of contexts (median over units and pairs).
    (b) The same for the memory units (``memory_population``); NaN pairs (a flat map in
    a context) are counted. (c) Context selectivity of the memory units: each unit's home
    context (TEM-t-3: the context its memory was written in; TEM-3: the context block of the
    p unit) and the share of its activity (absolute, over its lifetime) that falls at steps
    in its home context: about 1 / n_c for a context-blind unit, 1 for a unit silent
    outside its context. (d) TEM-t-3: the fraction of memory units with exactly one field
    (``lattice_fields``, BNT's 0.2-of-peak rule on nodes), containing the node where the
    memory was written, on the steps of its lifetime in its home context (units with at
    least 2 x n_nodes such steps).
    """
    from hippocore.analysis import lattice_fields, lattice_node_means, spatial_correlation

    world = make_world("hexagonal", 6)
    ds = rollout(model, world, n_steps, seed=seed, n_memory_units=n_memory_units)
    nodes, ctx = ds["node"].values, ds["context"].values
    act, pops = ds["activity"].values.astype(float), ds["population"].values
    n_c = model.config.env.n_c
    out: dict[str, dict] = {}
    for label, pop in (
        ("position", ds.attrs["grid_population"]),
        ("memory", ds.attrs["memory_population"]),
    ):
        units = act[:, pops == pop]
        maps = [lattice_node_means(world, nodes[ctx == k], units[ctx == k]) for k in range(n_c)]
        # (unit, 1, node) stacks: one r per unit (a 2-D (unit, node) array is one map, and
        # its r mixes the units' different mean rates into a single number)
        rs = np.array(
            [
                spatial_correlation(maps[a][:, None], maps[b][:, None])
                for a in range(n_c)
                for b in range(a + 1, n_c)
            ]
        )
        out[label] = {
            "units": int(units.shape[1]),
            "median_r_across_contexts": float(np.nanmedian(rs)),
            "nan_fraction": float(np.isnan(rs).mean()),
        }
    mem = act[:, pops == ds.attrs["memory_population"]]
    if model.model_name == "tem-t-3":
        home = ctx[: mem.shape[1]]  # unit j = memory written at step j
        alive = np.arange(n_steps)[:, None] > np.arange(mem.shape[1])[None]
    else:
        home = np.arange(mem.shape[1]) % n_c  # p unit layout (phase, x unit, context)
        alive = np.ones_like(mem, dtype=bool)
    mem = np.abs(mem) * alive
    in_home = ctx[:, None] == home[None]
    share = (mem * in_home).sum(0) / np.maximum(mem.sum(0), 1e-12)
    active = mem.sum(0) > 1e-9
    out["memory"]["home_context_share_median"] = float(np.median(share[active]))
    if model.model_name == "tem-t-3":  # place fields in the home context, at the write node
        hit = []
        for j in range(mem.shape[1]):
            steps = alive[:, j] & in_home[:, j]
            if steps.sum() >= 2 * world.n_nodes:
                f = lattice_fields(world, nodes[steps], mem[steps, j])
                hit.append(bool(f.one_field_at([nodes[j]])[0]))
        out["memory"]["one_field_at_write_node"] = float(np.mean(hit)) if hit else None
        out["memory"]["units_scored_for_fields"] = len(hit)
    out["memory"]["home_context_share_blind"] = 1 / n_c
    out["memory"]["active_units"] = int(active.sum())
    return {"world": world.describe(), "n_steps": n_steps, **out}


def machine() -> dict:
    """Machine, versions, commit and load."""
    cpu = "unknown"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    root = Path(__file__).parents[1]
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "n_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "hippocore": hippocore.__version__,
        "commit": commit,
        "loadavg": os.getloadavg(),
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench_triple.json"))
    parser.add_argument("--n-c", type=int, nargs="+", default=[5, 10, 20, 45])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per setting")
    parser.add_argument("--skip-time", action="store_true", help="counts only")
    parser.add_argument("--batch", type=int, default=4, help="environments per timed step")
    parser.add_argument(
        "--max-n-p",
        type=int,
        default=4000,
        help="time TEM-3 only up to this many p units (n_p = 8100 at batch 4 took > 9 GB)",
    )
    parser.add_argument("--completion", help="checkpoint (or untrained:<toml>): recalls")
    parser.add_argument("--contexts", help="checkpoint (or untrained:<toml>): remapping")
    parser.add_argument("--worlds", type=int, default=16, help="completion: walks")
    parser.add_argument("--walk", type=int, default=600, help="completion: steps per walk")
    parser.add_argument(
        "--walk-n-c", type=int, default=5, help="completion: contexts for a two-stream model"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    source = args.completion or args.contexts
    if source:
        if source.startswith("pretrained:"):
            model = pretrained(source.split(":", 1)[1])
            step = model.trained_steps
        elif source.startswith("untrained:"):
            cfg = as_config(source.split(":", 1)[1])
            model, step = get_model(cfg_name(cfg), cfg).eval(), 0
        else:
            model, _ = load_checkpoint(source)
            step = model.trained_steps
        record = {"machine": machine(), "source": source, "step": step}
        if args.completion:
            record.update(completion(model.eval(), args.worlds, args.walk, 1, args.walk_n_c))
        else:
            record.update(context_remapping(model.eval(), args.walk, seed=2))
        print(json.dumps({k: v for k, v in record.items() if k != "machine"}, indent=1))
        args.out.write_text(json.dumps(record, indent=1))
        return
    torch.set_flush_denormal(True)  # as train() does
    record = {"machine_start": machine(), "counts": [], "step_time_s": []}
    for n_c in args.n_c:
        for name in ("tem-3", "tem-t-3"):
            row = counts(name, n_c)
            record["counts"].append(row)
            print(json.dumps(row), flush=True)
    if not args.skip_time:
        for n_c in args.n_c:
            batch = {"batch_size": args.batch}
            settings = [("tem-t-3", "default", config("tem-t-3", n_c, train=batch))]
            settings.append(("tem-3", "default", config("tem-3", n_c, train=batch)))
            settings.append(("tem-3", "reduced", config("tem-3", n_c, REDUCED_TEM3, batch)))
            for name, size, cfg in settings:
                if name == "tem-3" and cfg.model.n_p > args.max_n_p:
                    row = {"model": name, "size": size, "n_c": n_c, "seconds": None}
                    row.update(n_p=cfg.model.n_p, skipped=f"n_p > --max-n-p {args.max_n_p}")
                    record["step_time_s"].append(row)
                    continue
                seconds = step_time(cfg, args.steps)
                row = {"model": name, "size": size, "n_c": n_c, "seconds": seconds}
                row["batch"] = args.batch
                row["n_p"] = cfg.model.n_p if name == "tem-3" else None
                record["step_time_s"].append(row)
                print(json.dumps(row), flush=True)
    torch.set_flush_denormal(False)
    record["machine_end"] = machine()
    args.out.write_text(json.dumps(record, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    from _record import recording

    with recording("bench_triple"):
        main()
