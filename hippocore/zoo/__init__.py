"""Model zoo: TEM and TEM-t on graph worlds (requires the ``zoo`` extra, i.e. torch)."""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "hippocore.zoo needs PyTorch. Install it with `pip install torch` (a CPU build is "
        "enough; on CPU-only machines `pip install torch==2.13.0`) or `pip install hippocore[zoo]`."
    ) from exc

__all__: list[str] = []
