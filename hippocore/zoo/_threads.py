"""torch intra-op threads for the zoo's small models: chosen deliberately, restored afterwards.

torch starts with one intra-op thread per core. For models of the zoo's size (tens of
units, batches of a few walks) a step is a few small matrix products: the threads spend
more time waiting for each other than computing, and on a machine where another process
loads a core they wait for that process too. Measured on the project's 2-core VM
(docs/results/threads.md): one evaluate call on the shipped TEM-t took 0.8 s on one or two
threads on a quiet machine; with a busy loop on the other core, 0.7 s on one thread and 3.6 s
on two.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["DEFAULT_THREADS", "resolve_threads", "torch_threads"]

#: Threads used when neither the caller nor ``OMP_NUM_THREADS`` says otherwise.
DEFAULT_THREADS = 1


def resolve_threads(n_threads: int | None) -> int:
    """The thread count to use: ``n_threads``, else ``OMP_NUM_THREADS``, else 1.

    Parameters
    ----------
    n_threads : int or None
        Explicit count (>= 1), or None for the default.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``n_threads`` (or ``OMP_NUM_THREADS`` when it decides) is not a positive integer.
    """
    if n_threads is None:
        env = os.environ.get("OMP_NUM_THREADS", "").strip()
        if not env:
            return DEFAULT_THREADS
        try:
            value = int(env)
        except ValueError:
            raise ValueError(
                f"OMP_NUM_THREADS={env!r} is not an integer; set it to a positive integer "
                "or unset it (hippocore then uses 1 thread for its small models)."
            ) from None
        if value < 1:
            raise ValueError(f"OMP_NUM_THREADS must be >= 1; got {env!r}.")
        return value
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValueError(
            f"n_threads must be a positive integer or None (1, or OMP_NUM_THREADS when set); "
            f"got {n_threads!r}."
        )
    return n_threads


@contextmanager
def torch_threads(n_threads: int | None = None) -> Iterator[int]:
    """Run a block with torch's intra-op thread count set, then restore the caller's.

    Parameters
    ----------
    n_threads : int or None, default None
        Threads for the block; None: ``OMP_NUM_THREADS`` if set, else 1
        (:func:`resolve_threads`).

    Yields
    ------
    int
        The thread count in force inside the block.
    """
    n = resolve_threads(n_threads)
    old = torch.get_num_threads()
    if n != old:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)
