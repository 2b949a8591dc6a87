"""Dask (``dask.distributed``) as the engine: a local cluster or a running scheduler.

Dask is an optional extra (``pip install hippocore[dask]``); nothing here is imported until a
run asks for more than one process or for a scheduler.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

__all__ = ["DASK_MISSING", "dask_client", "require_distributed"]

DASK_MISSING = (
    "running on more than one process (n_jobs > 1, --n-jobs) or on a scheduler (--scheduler) "
    "needs dask.distributed; install it with `pip install hippocore[dask]`, or run with "
    "n_jobs=1."
)


def require_distributed() -> Any:
    """Import ``dask.distributed``, or raise an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise ImportError(DASK_MISSING) from None
    return distributed


@contextlib.contextmanager
def dask_client(n_jobs: int, scheduler: str | None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` if given, else on a new local cluster.

    The local cluster has ``n_jobs`` worker processes of one thread each (no dashboard) and
    is closed on exit, also on Ctrl-C.

    Parameters
    ----------
    n_jobs : int
        Worker processes of the local cluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.

    Yields
    ------
    distributed.Client
    """
    distributed = require_distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); check the address "
                "and that `dask scheduler` is running there."
            ) from None
        with client:
            yield client
        return
    import dask

    # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in its workers' environment (to give memory
    # back to the OS in long-lived workers). Setting it switches off glibc's adaptive mmap
    # threshold, so every large numpy temporary is a fresh mmap with page faults: scoring
    # took 1.7-1.9x the CPU time that way (docs/results/score-dask.md). These workers live for
    # one run, so the variable is left unset (None unsets it in Dask's config).
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = distributed.LocalCluster(
            n_workers=n_jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        cluster.close()
