"""Worlds the models live in and animals run through.

Graph worlds (:func:`make_world`): square 4-connected, hexagonal 6-connected and
8-connected lattices, with node coordinates in metres, a fixed action index per direction,
an optional stay-still action, random observations (:func:`assign_observations`) and walk
policies (:func:`random_walk`, :func:`tem_walk`). Three-stream worlds add a context c
per step that changes what each node shows (:func:`assign_context_observations`,
:func:`draw_contexts`; the cap of a context-blind predictor: :func:`context_blind_cap`).
Continuous arenas
(:func:`arena_trajectory`): rat-like trajectories for synthetic recordings.
"""

from hippocore.envs._arena import Trajectory, arena_trajectory, check_limits
from hippocore.envs._graph import WORLD_KINDS, World, assign_observations, make_world
from hippocore.envs._streams import (
    assign_context_observations,
    complete_revisits,
    context_blind_cap,
    count_oracle,
    draw_contexts,
    expected_max_multiplicity,
)
from hippocore.envs._walks import Walk, random_walk, tem_walk

__all__ = [
    "WORLD_KINDS",
    "World",
    "make_world",
    "assign_observations",
    "Walk",
    "random_walk",
    "tem_walk",
    "assign_context_observations",
    "draw_contexts",
    "context_blind_cap",
    "expected_max_multiplicity",
    "complete_revisits",
    "count_oracle",
    "Trajectory",
    "arena_trajectory",
    "check_limits",
]
