"""TEM: the Tolman-Eichenbaum Machine (Whittington et al., Cell 2020), as its TF2 code runs it.

The model, read top-down; beside it its config (``_tem_config``), memory (``_tem_memory``;
compiled: ``_tem_kernel``, ``_tem_infer``), networks (``_tem_nets``), state and loss
(``_tem_state``). Every number and rule follows the authors' TensorFlow 2 code
(``djcrw/generalising-structural-knowledge``, ``tem_tf2``); docs/zoo.md lists departures.

The agent walks a graph world; each node carries an observation (one of ``n_x`` classes);
at every step the model predicts the observation at the node it arrives at.

- **g** (medial entorhinal "grid" units): ``n_modules`` frequency modules. Path
  integration ``g_gen = clip(g + D_a g, -1, 1)`` with ``D_a`` = MLP(one-hot action),
  zero-initialised output, masked so a module hears only modules of its own or lower
  frequency. Stay-still is the all-zero action (``D = 0``).
- **x** (lateral entorhinal, sensory): the one-hot observation is compressed to a fixed
  two-hot code (``n_x_compressed`` units), temporally filtered per module with a learnable
  rate ``x_f <- a x_f + (1 - a) x``, ``a = sigmoid(gamma_f)``, demeaned, rectified and
  normalised.
- **p** (hippocampal place units): per module the outer product of the first ``n_phases``
  units of g (downsampled g) and the filtered x: ``p = f_p(repeat(g_down) * tile(x))``
  with ``f_p(z) = leaky_relu(clip(z, -1, 1), 0.01)``.
- **Memory**: two Hebbian matrices over p, ``M <- clip(lambda M + eta (p + p_hat)
  (p - p_hat)^T, -1, 1)``: a generative one (``p_hat = p_g``, hierarchical: a module
  hears modules of its own or lower frequency) and an inference one (``p_hat = p_x``,
  all-to-all). Within a chunk they are kept as low-rank scalar products and folded into
  the matrices at the chunk's end (as the TF2 code does). Retrieval is an attractor,
  ``h <- f_p(kappa h + h M)`` for ``n_modules`` iterations; in the generative memory
  module f stops after ``n_modules - f`` of them.
- **Inference of g**: the path-integrated prior (inference sigma from a per-module MLP) and
  an estimate from memory (retrieve p from the sensory input, sum over sensory units, MLP;
  its sigma from the retrieved memory's quality) are combined by precision weighting.
- **Predictions** of x (read out from module 0): ``x_p`` from the inferred p, ``x_g`` and
  ``x_gt`` from memory queried with the inferred and the path-integrated g (``x_gt`` is
  made before seeing x: what the accuracies score).

References
----------
Whittington, Muller, Mark, Chen, Barry, Burgess & Behrens (2020), "The Tolman-Eichenbaum
Machine: unifying space and relational memory through generalization in the hippocampal
formation", Cell 183:1249.
Ba, Hinton, Mnih, Leibo & Ionescu (2016), "Using fast weights to attend to the recent
past", NeurIPS (the scalar-product form of the within-chunk Hebbian memory).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hippocore.zoo._data import action_vocabulary
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import register_model
from hippocore.zoo._tem_config import EnvConfig, ModelConfig, TEMConfig, TrainConfig, _Schedule
from hippocore.zoo._tem_infer import fused_inference
from hippocore.zoo._tem_kernel import Layout, attractor, row_sums, scan, tem_layout
from hippocore.zoo._tem_kernel import fold as fold_kernel
from hippocore.zoo._tem_memory import (
    attention_without_softmax,
    attract,
    conjunction,
    f_p,
    hebbian_fold,
    iteration_cols,
    memory_readout,
)
from hippocore.zoo._tem_nets import _dense, _ModuleMLPs, index_maps
from hippocore.zoo._tem_state import TEMOutput, TEMState, _Chunk, chunk_loss

__all__ = [
    "EnvConfig",
    "ModelConfig",
    "TrainConfig",
    "TEMConfig",
    "TEM",
    "TEMState",
    "TEMOutput",
    "hebbian_fold",
    "attention_without_softmax",
    "conjunction",
    "memory_readout",
    "f_p",
]


class TEM(ZooModel):
    """TEM (see the module docstring). Build with ``hippocore.zoo.get_model("tem", cfg)``.

    Parameters
    ----------
    config : TEMConfig
        The full config (weights are seeded by ``config.train.seed``).

    Attributes
    ----------
    kernel : {"auto", "torch"}
        ``"auto"`` (default): the inference pass, the attractor and the fold run compiled
        (``_tem_infer``, ``_tem_kernel``) on CPU when a C++ compiler is found; ``"torch"``:
        always the torch operations. Same numbers up to rounding.
    """

    state_type = TEMState
    grid_population = "g"
    memory_population = "p"
    memory = (
        "two Hebbian matrices over the place units p (generative: hierarchical across "
        "modules; inference: all-to-all), cleared when a world starts; p units are the "
        "memory (place) neurons"
    )

    def __init__(self, config: TEMConfig):
        super().__init__()
        self.config = config
        self.kernel = "auto"
        m = config.model
        self.actions = action_vocabulary(config.env.kinds)
        n_a, n_x, n_xc = len(self.actions), config.env.n_x, m.n_x_compressed
        n_mod, grids, phases = m.n_modules, list(m.n_grids), list(m.n_phases)
        n_g, n_phase, n_p = m.n_g, sum(phases), m.n_p
        gen = torch.Generator().manual_seed(config.train.seed)
        self.p_starts, buffers = index_maps(config)
        for name, value in buffers.items():  # not saved in checkpoints
            self.register_buffer(name, value, persistent=False)
        # Temporal filters (gamma = logit of the smoothing constant), per module.
        self.gamma = nn.ParameterList(
            nn.Parameter(torch.tensor(math.log(a / (1 - a)))) for a in m.filter_init
        )
        self.w_x = nn.Parameter(torch.tensor(1.0))  # read-out gain
        self.b_x = nn.Parameter(torch.zeros(n_xc))  # read-out bias
        self.w_p = nn.ParameterList(nn.Parameter(torch.tensor(1.0)) for _ in range(n_mod))
        std = m.g_init_std
        self.g_prior_mu = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(n_g), std=std, a=-2 * std, b=2 * std, generator=gen)
        )
        self.g_prior_logsig = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(n_g), std=std, a=-2 * std, b=2 * std, generator=gen)
        )
        # Transition MLP: one-hot action -> tanh hidden -> D_a (n_g x n_g), no biases, the
        # output layer zero-initialised (so g starts by staying put).
        self.transition_hidden = _dense(n_a, m.transition_hidden, gen)
        self.transition_out = nn.Parameter(torch.zeros(m.transition_hidden, n_g * n_g))
        # Memory -> g: mean from the retrieved p summed over sensory units; sigma from
        # [|mean|^2, error of x predicted from the retrieved p].
        self.p2g_mu = _ModuleMLPs(
            phases, [2 * k for k in grids], grids, gen, out_std=m.p2g_init_std
        )
        self.p2g_logsig = _ModuleMLPs(
            [2] * n_mod, [2 * k for k in grids], grids, gen, out_tanh=True
        )
        # Path-integration sigma of the inference network, from the previous g.
        self.g2g_logsig = _ModuleMLPs(grids, [2 * k for k in grids], grids, gen, out_tanh=True)
        # Decompression of the read-out to observation logits.
        hidden = 20 * n_xc
        self.c_star_w1 = _dense(n_xc, hidden, gen)
        self.c_star_b1 = nn.Parameter(torch.zeros(hidden))
        self.c_star_w2 = _dense(hidden, n_x, gen)
        self.c_star_b2 = nn.Parameter(torch.zeros(n_x))
        assert n_phase * n_xc == n_p

    def _layout(self, hierarchical: bool) -> Layout | None:
        """The compiled attractor's layout; ``None``: ``self.kernel == "torch"`` or unavailable."""
        if self.kernel != "auto":
            return None
        kappa = self.config.model.kappa
        return tem_layout(self.p_starts, kappa, hierarchical=hierarchical, like=self.g_prior_mu)

    # -- building blocks --------------------------------------------------------------

    def schedule(self, step: int) -> _Schedule:
        """Annealed constants at gradient ``step`` (TF2 ``get_scaling_parameters``)."""
        tc, m = self.config.train, self.config.model
        ramp = lambda n: min((step + 1) / n, 1.0)  # noqa: E731
        z = (step - tc.p2g_start) / tc.p2g_scale
        return _Schedule(
            forget=m.hebb_forget * ramp(tc.forget_warmup),
            eta=m.hebb_rate * ramp(tc.hebb_warmup),
            p2g_use=0.5 * (1.0 + math.tanh(z / 2)),  # sigmoid without overflow
            temp=ramp(tc.loss_warmup),
            g_reg=tc.g_reg * (1.0 - ramp(tc.g_reg_decay)),
            p_reg=tc.p_reg * (1.0 - ramp(tc.p_reg_decay)),
        )

    def transition_matrices(self) -> Tensor:
        """``D_a`` for every action plus zeros for stay (last): (n_a + 1, n_g, n_g), [to, from]."""
        n_g = self.config.model.n_g
        hidden = torch.tanh(self.transition_hidden)  # one-hot actions: rows of W1
        d = (hidden @ self.transition_out).view(-1, n_g, n_g) * self.mask_g
        return torch.cat([d, d.new_zeros(1, n_g, n_g)], 0)

    def sensory_input(self, x_filtered: Tensor, w_p: Tensor | None = None) -> Tensor:
        """Each module's x as p sees it: demeaned, rectified, normalised, weighted.

        (..., n_modules, n_x_compressed) -> the same shape; :meth:`x_to_p` tiles it.
        ``w_p``: the weights ``sigmoid(w_p)`` (n_modules, 1) if already computed.
        """
        x = F.relu(x_filtered - x_filtered.mean(-1, keepdim=True))
        x = x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp_min(1e-12))
        if w_p is None:
            w_p = torch.sigmoid(torch.stack(list(self.w_p)))[:, None]
        return x * w_p

    def x_to_p(self, x_filtered: Tensor) -> Tensor:
        """Sensory input to p: :meth:`sensory_input` tiled once per phase, (..., n_p)."""
        x = self.sensory_input(x_filtered)
        return x[..., self.phase_module, :].flatten(-2)

    def g_to_p(self, g: Tensor) -> Tensor:
        """Grid input to p: the downsampled g, each unit repeated n_x_compressed times."""
        g_down = g[..., self.down_index]
        n_xc = self.config.model.n_x_compressed
        return g_down[..., None].expand(*g_down.shape, n_xc).flatten(-2)

    def read_out(self, p: Tensor) -> Tensor:
        """Observation logits from p: the prediction module's p summed over phases."""
        m = self.config.model
        f = m.prediction_module
        block = p[..., self.p_starts[f] : self.p_starts[f + 1]]
        x = block.unflatten(-1, (m.n_phases[f], m.n_x_compressed)).sum(-2)
        h = F.elu((self.w_x * x + self.b_x) @ self.c_star_w1 + self.c_star_b1)
        return h @ self.c_star_w2 + self.c_star_b2

    def _row_sums(self, memory: Tensor, *, by: str) -> Tensor:
        """The memory's rows summed over what a structured query repeats.

        A sensory query (x tiled over a module's phases) or a grid query (g repeated over
        the sensory units) stays structured through ``f_p``, so its first product with the
        memory only needs the rows summed within each repeat: ``by="sense"`` (b, n_modules *
        n_x_compressed, n_p) sums each module's phases, ``by="phase"`` (b, total phases,
        n_p) each phase's sensory units. One pass over the memory per chunk instead of one
        per step.
        """
        m = self.config.model
        n_xc, unit = m.n_x_compressed, torch.arange(m.n_p, device=memory.device)
        if by == "phase":
            group, n_rows = unit // n_xc, sum(m.n_phases)
        else:
            group = self.phase_module[unit // n_xc] * n_xc + unit % n_xc
            n_rows = m.n_modules * n_xc
        lay = self._layout(False)
        if lay is not None and not memory.requires_grad:
            return row_sums(lay, memory, group, n_rows)
        return memory.new_zeros(memory.shape[0], n_rows, m.n_p).index_add(1, group, memory)

    def retrieve(
        self,
        query: Tensor,
        memory: Tensor,
        old_scale: Tensor,
        a: Tensor,
        b: Tensor,
        weights: Tensor,
        *,
        hierarchical: bool,
        first_product: Tensor | None = None,
    ) -> Tensor:
        """Attractor retrieval ``h <- f_p(kappa h + h M)``, ``n_modules`` iterations.

        ``h M = old_scale * (h @ memory) + low-rank part`` (the matrix at the chunk's start
        decayed, plus the chunk's memories). With ``hierarchical`` (generative memory) the
        modules stop early: module f is updated in the first ``n_modules - f`` iterations
        only, and hears modules of its own or lower frequency.

        Parameters
        ----------
        query : Tensor (b, Q, n_p)
        memory : Tensor (b, n_p, n_p)
        old_scale : Tensor (Q,)
        a, b : Tensor (b, S, n_p)
        weights : Tensor (Q, S)
        first_product : Tensor (b, Q, n_p), optional
            ``f_p(query) @ memory`` if already known (structured queries: :meth:`_row_sums`).

        Returns
        -------
        Tensor (b, Q, n_p)
        """
        lay = self._layout(hierarchical)
        if lay is not None and not memory.requires_grad:
            return attractor(lay, query, memory, old_scale, a, b, weights, first=first_product)
        masks = {"suffix_mask": self.suffix_mask, "unit_mask": self.unit_mask}
        return attract(
            query,
            memory,
            old_scale,
            a,
            b,
            weights,
            cols=iteration_cols(self.p_starts, hierarchical=hierarchical),
            kappa=self.config.model.kappa,
            first=first_product,
            **(masks if hierarchical else {}),
        )

    def memory_to_g(
        self,
        p_x: Tensor,
        x_onehot: Tensor,
        p2g_use: float,
        weights: tuple[tuple[Tensor, ...], tuple[Tensor, ...]] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """The estimate of g from memory retrieved by the senses: mean and sigma, (b, n_g) each.

        ``weights``: the assembled ``p2g_mu`` and ``p2g_logsig`` weights, if already built.
        """
        m = self.config.model
        w_mu, w_sig = weights if weights is not None else (None, None)
        g_down = p_x.unflatten(-1, (sum(m.n_phases), m.n_x_compressed)).mean(-1)
        mu_raw = self.p2g_mu(g_down, w_mu)
        with torch.no_grad():  # the sigma's inputs are not differentiated (TF2: stop_gradient)
            x_hat = torch.softmax(self.read_out(p_x), -1)
            err = 0.5 * (x_onehot - x_hat).pow(2).sum(-1, keepdim=True)  # (b, 1)
            norm = mu_raw.pow(2) @ self.g_member  # (b, n_mod)
            quality = torch.stack([norm, err.expand_as(norm)], -1).flatten(-2)
        logsig = self.p2g_logsig(quality, w_sig) * m.logsig_ratio + m.logsig_offset
        sigma = torch.exp(logsig) + (1.0 - p2g_use) * m.p2g_sigma_offset
        return mu_raw.clamp(-1.0, 1.0), sigma

    def initial_state(self, batch_size: int) -> TEMState:
        """An empty state (every element at the start of a fresh environment).

        Parameters
        ----------
        batch_size : int
            Number of environments.

        Returns
        -------
        TEMState
        """
        m = self.config.model
        dev = self.g_prior_mu.device
        return TEMState(
            g=torch.zeros(batch_size, m.n_g, device=dev),
            x_filtered=torch.zeros(batch_size, m.n_modules, m.n_x_compressed, device=dev),
            memory_gen=torch.zeros(batch_size, m.n_p, m.n_p, device=dev),
            memory_inf=torch.zeros(batch_size, m.n_p, m.n_p, device=dev),
        )

    # -- forward over a chunk ---------------------------------------------------------

    def forward(
        self,
        actions: Tensor,
        observations: Tensor,
        state: TEMState,
        reset: Tensor,
        *,
        populations: bool = False,
    ) -> TEMOutput:
        """Run one chunk.

        Parameters
        ----------
        actions : Tensor of long (batch, time)
            Global action index (``self.actions``; ``len(self.actions)`` = stay) taken to
            arrive at step t's node. At t = 0 where ``reset`` g starts from the prior.
        observations : Tensor of long (batch, time)
            Observation class at step t's node.
        state : TEMState
            State from the previous chunk (or :meth:`initial_state`).
        reset : Tensor of bool (batch,)
            Elements entering a fresh environment at t = 0: memories and filtered x are
            cleared, g starts from its learned prior.
        populations : bool, default False
            Unused (every exported population is always in the output).

        Returns
        -------
        TEMOutput

        Notes
        -----
        Three passes over the chunk, each as the TF2 step computes it: (1) inference, step
        by step (path integration, sensory filtering, retrieval from the inference memory,
        precision-weighted g, p): it never reads the generative memory; (2) the generative
        retrieval with the inferred g, step by step (its memories feed the next steps);
        (3) the retrieval with the path-integrated g for every step at once (it feeds no
        memory). Memories within the chunk are scalar products; the matrices are updated
        once, at the end.
        """
        c = self._chunk(actions, observations, state, reset)
        g, g_gen, p, p_x, a_inf, b_inf = self._inference_pass(c)
        lay = self._layout(True)
        if lay is not None:  # the compiled generative pass
            queries = [self._grid_query(gg, c.gen_by_phase) for gg in (g, g_gen)]
            p_g, p_gt, a_gen, b_gen = scan(
                lay, (*queries[0], *queries[1]), p, c.mem_gen, c.old_scale, c.weights
            )
        else:
            p_g, p_gt, a_gen, b_gen = self._generative_pass(c, g, g_gen, p)
        new_state = self._fold(c, g[:, -1], (a_gen, b_gen), (a_inf, b_inf))
        return TEMOutput(
            logits=self.read_out(p_gt),
            logits_p=self.read_out(p),
            logits_g=self.read_out(p_g),
            g=g,
            g_gen=g_gen,
            p=p,
            p_g=p_g,
            p_gt=p_gt,
            p_x=p_x,
            x_filtered=c.x_filtered,
            state=new_state,
        )

    def _chunk(
        self, actions: Tensor, observations: Tensor, state: TEMState, reset: Tensor
    ) -> _Chunk:
        """What every step of the chunk reads (see :class:`_Chunk`)."""
        sc = self.schedule(self.trained_steps)
        t_len = actions.shape[1]
        keep = (~reset).to(self.g_prior_mu.dtype)
        if bool(reset.any()):  # (else skip two passes over the matrices)
            mem_gen = state.memory_gen * keep[:, None, None]
            mem_inf = state.memory_inf * keep[:, None, None]
        else:
            mem_gen, mem_inf = state.memory_gen, state.memory_inf
        # Memory weights: at step t the chunk's memory tau < t counts eta * lambda^(t-1-tau),
        # the matrix lambda^t.
        t = torch.arange(t_len, device=actions.device, dtype=torch.float64)
        lag = t[:, None] - 1 - t[None, :]
        weights = torch.where(lag >= 0, sc.eta * sc.forget ** lag.clamp_min(0), 0.0).float()
        # The senses do not depend on g: filter them for every step first.
        x_c = self.two_hot[observations]  # (b, T, n_xc)
        smooth = torch.sigmoid(torch.stack(list(self.gamma)))[:, None]  # (n_mod, 1)
        xf, xfs = state.x_filtered * keep[:, None, None], []
        for step in range(t_len):
            xf = smooth * xf + (1 - smooth) * x_c[:, step, None, :]
            xfs.append(xf)
        x_filtered = torch.stack(xfs, 1)  # (b, T, n_mod, n_xc)
        x_in = self.sensory_input(x_filtered)
        inf_by_sense = self._row_sums(mem_inf, by="sense")
        return _Chunk(
            schedule=sc,
            actions=actions,
            reset=reset,
            g_start=state.g * keep[:, None],
            mem_gen=mem_gen,
            mem_inf=mem_inf,
            weights=weights,
            old_scale=(sc.forget**t).float(),
            x_onehot=F.one_hot(observations, self.config.env.n_x).to(x_c.dtype),
            x_filtered=x_filtered,
            x2p=x_in[..., self.phase_module, :].flatten(-2),  # tiled over phases
            first_inf=f_p(x_in).flatten(-2) @ inf_by_sense,
            gen_by_phase=self._row_sums(mem_gen, by="phase"),
        )

    def _inference_pass(self, c: _Chunk) -> tuple[Tensor, ...]:
        """Step by step: path integration, retrieval from the senses, precision-weighted g, p.

        Returns g, g_gen, p, p_x (b, T, ...) and the inference memories a = p - p_x,
        b = p + p_x (b, T, n_p). Never reads the generative memory.
        """
        lay = self._layout(False)
        if lay is not None and not c.mem_inf.requires_grad:  # the compiled pass
            return fused_inference(self, c, lay)
        m, sc = self.config.model, c.schedule
        n_b, t_len = c.actions.shape
        d_flat = self.transition_matrices().flatten(0, 1)  # (n_actions * n_g, n_g)
        rows = torch.arange(n_b, device=d_flat.device)
        mlp_mem = (self.p2g_mu.assemble(), self.p2g_logsig.assemble())
        mlp_path = self.g2g_logsig.assemble()
        prior_sigma = torch.exp(self.g_prior_logsig + m.logsig_offset)
        g_prev, out = c.g_start, {k: [] for k in ("g", "g_gen", "p", "p_x", "a", "b")}
        for step in range(t_len):
            # D_a g for every action in one product, then each element's own action.
            path = (g_prev @ d_flat.T).view(n_b, -1, m.n_g)[rows, c.actions[:, step]]
            g_gen = (g_prev + path).clamp(-1.0, 1.0)
            logsig = self.g2g_logsig(g_prev.detach(), mlp_path) * m.logsig_ratio + m.logsig_offset
            sigma_gen = torch.exp(logsig)
            if step == 0:  # a fresh world: the prior on g
                g_gen = torch.where(c.reset[:, None], self.g_prior_mu, g_gen)
                sigma_gen = torch.where(c.reset[:, None], prior_sigma, sigma_gen)
            x2p = c.x2p[:, step]
            mem = [torch.stack(out[k], 1) if step else x2p.new_zeros(n_b, 0, m.n_p) for k in "ab"]
            args = (
                c.mem_inf,
                c.old_scale[step : step + 1],
                *mem,
                c.weights[step : step + 1, :step],
            )
            first = c.first_inf[:, step : step + 1]
            p_x = self.retrieve(x2p[:, None], *args, hierarchical=False, first_product=first)[:, 0]
            mu_mem, sigma_mem = self.memory_to_g(p_x, c.x_onehot[:, step], sc.p2g_use, mlp_mem)
            # 1 / sigma^2 (as pow(-2) computes it; its backward is cheaper than pow's)
            inv_gen = torch.reciprocal(sigma_gen * sigma_gen)
            inv_mem = torch.reciprocal(sigma_mem * sigma_mem)
            g = (g_gen * inv_gen + mu_mem * inv_mem) / (inv_gen + inv_mem)
            p = f_p(self.g_to_p(g) * x2p)
            for k, v in zip(out, (g, g_gen, p, p_x, p - p_x, p + p_x), strict=True):
                out[k].append(v)
            g_prev = g
        return tuple(torch.stack(v, 1) for v in out.values())

    def _grid_query(self, g: Tensor, by_phase: Tensor) -> tuple[Tensor, Tensor]:
        """Query of the generative memory from g and its first product with the matrix."""
        return self.g_to_p(g), f_p(g[..., self.down_index]) @ by_phase

    def _generative_pass(self, c: _Chunk, g: Tensor, g_gen: Tensor, p: Tensor) -> tuple:
        """The generative retrievals of a chunk in torch (the kernel's ``scan``, op by op).

        p_g (memory queried with the inferred g, step by step: its memories feed the next
        steps) and p_gt (with the path-integrated g, all steps at once: it feeds no memory);
        with the generative memories a = p - p_g, b = p + p_g.
        """
        n_b, t_len, n_p = p.shape
        p_gs, a_gen, b_gen = [], [], []
        for step in range(t_len):
            mem_a = torch.stack(a_gen, 1) if step else p.new_zeros(n_b, 0, n_p)
            mem_b = torch.stack(b_gen, 1) if step else mem_a
            query, first = self._grid_query(g[:, step : step + 1], c.gen_by_phase)
            scale, w = c.old_scale[step : step + 1], c.weights[step : step + 1, :step]
            p_g = self.retrieve(
                query, c.mem_gen, scale, mem_a, mem_b, w, hierarchical=True, first_product=first
            )[:, 0]
            a_gen.append(p[:, step] - p_g)
            b_gen.append(p[:, step] + p_g)
            p_gs.append(p_g)
        a_all, b_all = torch.stack(a_gen, 1), torch.stack(b_gen, 1)
        query, first = self._grid_query(g_gen, c.gen_by_phase)
        p_gt = self.retrieve(
            query, c.mem_gen, c.old_scale, a_all, b_all, c.weights,
            hierarchical=True, first_product=first,
        )  # fmt: skip
        return torch.stack(p_gs, 1), p_gt, a_all, b_all

    def _fold(self, c: _Chunk, g_last: Tensor, gen: tuple, inf: tuple) -> TEMState:
        """The state after the chunk, its memories folded into the matrices (detached)."""
        m, sc = self.config.model, c.schedule
        t_len = c.actions.shape[1]
        with torch.no_grad():
            t = torch.arange(t_len, device=g_last.device, dtype=torch.float64)
            fold = (sc.eta * sc.forget ** (t_len - 1 - t)).float()
            decay = sc.forget**t_len
            new = []  # generative (hierarchical mask), inference
            for mem, (a, b), hier in ((c.mem_gen, gen, True), (c.mem_inf, inf, False)):
                a, b, lay = a.detach(), b.detach(), self._layout(hier)
                if lay is not None:  # compiled: one pass over the matrix
                    new.append(fold_kernel(lay, mem, a, b, fold, decay, m.hebb_limit))
                    continue
                mask = self.mask_p if hier else None
                new.append(hebbian_fold(mem, a, b, fold, decay, mask=mask, limit=m.hebb_limit))
        return TEMState(g_last.detach(), c.x_filtered[:, -1].detach(), *new)  # g, x, gen, inf

    # -- the zoo protocol: loss, export -------------------------------------------------

    def loss(self, out: TEMOutput, batch: Batch) -> Tensor:
        """TEM's loss for one chunk (TF2 ``compute_losses``).

        ``lx_p + lx_g + lx_gt`` (cross-entropy of the three predictions) ``+ temp (lp +
        lg) + temp * p2g_use * lp_x`` (half squared errors ``|p - p_g|^2``, ``|g -
        g_gen|^2``, ``|p - p_x|^2``) ``+ g_reg |g|^2 + p_reg |p|_1``, each step's terms
        averaged over the batch elements at already-visited nodes (``train.visited_only``)
        and the steps averaged: ``sum_t sum_b l * v / (sum_b v + 1e-8) / T``.

        Parameters
        ----------
        out : TEMOutput
            The model's output for the chunk.
        batch : Batch
            The chunk (observations and revisit flags).

        Returns
        -------
        Tensor
            Scalar.
        """
        visited = batch.revisit if self.config.train.visited_only else None
        return chunk_loss(out, batch.observations, visited, self.schedule(self.trained_steps))

    def populations(self, out: TEMOutput, observations: Tensor) -> dict[str, Tensor]:
        """``g`` (inferred), ``p`` (inferred) and ``x`` (filtered sensory), (batch, time, units)."""
        return {"g": out.g, "p": out.p, "x": out.x_filtered.flatten(-2)}

    def export_populations(
        self, arrays: Mapping[str, np.ndarray], *, n_memory_units: int | None
    ) -> tuple[list[Population], dict[str, Any]]:
        """``g``, ``p`` and ``x`` units of one walk, each with its frequency ``module``.

        ``n_memory_units`` does not apply (TEM's memories are matrices, not slots).
        """
        m = self.config.model
        g_module = np.repeat(np.arange(m.n_modules), m.n_grids)
        p_module = np.repeat(np.arange(m.n_modules), np.asarray(m.n_phases) * m.n_x_compressed)
        x_module = np.repeat(np.arange(m.n_modules), m.n_x_compressed)
        pops = [
            Population("g", arrays["g"], {"module": g_module}),
            Population("p", arrays["p"], {"module": p_module}),
            Population("x", arrays["x"], {"module": x_module}),
        ]
        return pops, {"memory": self.memory}


register_model("tem", config=TEMConfig)(TEM)
