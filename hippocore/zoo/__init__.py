"""Model zoo: TEM, TEM-t and their triple-conjunction variants (requires torch: ``zoo`` extra).

>>> from hippocore.zoo import get_model, list_models
>>> list_models()
['tem', 'tem-3', 'tem-t', 'tem-t-3']

Public names: :func:`get_model`, :func:`list_models`, :func:`train`, :func:`load_checkpoint`,
:func:`pretrained`, :func:`evaluate`, :func:`rollout`, the config dataclasses and the model
protocol (:class:`ZooModel`; ``hippocore/zoo/_protocol.py`` says what a model provides).
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "hippocore.zoo needs PyTorch. Install it with `pip install torch` (a CPU build is "
        "enough; on CPU-only machines `pip install torch==2.13.0`) or `pip install hippocore[zoo]`."
    ) from exc

from hippocore.zoo._checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    export_weights,
    list_pretrained,
    load_checkpoint,
    pretrained,
    read_checkpoint,
    save_checkpoint,
)
from hippocore.zoo._config import (
    CommonTrainConfig,
    ConfigError,
    EnvConfig,
    config_from_dict,
    config_to_dict,
    load_toml,
)
from hippocore.zoo._evaluate import EvalResult, evaluate, rollout
from hippocore.zoo._fresh_worlds import EVAL_SEEDS, FreshWorlds, evaluate_fresh_worlds
from hippocore.zoo._link_inference import LinkInference, agent_accuracy, link_inference
from hippocore.zoo._monitor import GridSummary, grid_monitor, grid_summary
from hippocore.zoo._protocol import Batch, Population, ZooModel
from hippocore.zoo._registry import (
    get_config_class,
    get_model,
    list_models,
    model_name_of,
    register_model,
)
from hippocore.zoo._train import TrainResult, as_config, config_document, learning_rate, train
from hippocore.zoo.tem import TEM, TEMConfig
from hippocore.zoo.tem3 import TEM3, TEM3Config
from hippocore.zoo.tem_t import TEMT, ModelConfig, TEMTConfig, TrainConfig
from hippocore.zoo.tem_t3 import TEMT3, TEMT3Config

__all__ = [
    "get_model",
    "list_models",
    "register_model",
    "get_config_class",
    "model_name_of",
    "ZooModel",
    "Batch",
    "Population",
    "train",
    "TrainResult",
    "as_config",
    "config_document",
    "learning_rate",
    "evaluate",
    "evaluate_fresh_worlds",
    "FreshWorlds",
    "EVAL_SEEDS",
    "EvalResult",
    "link_inference",
    "LinkInference",
    "agent_accuracy",
    "rollout",
    "grid_summary",
    "grid_monitor",
    "GridSummary",
    "load_checkpoint",
    "save_checkpoint",
    "read_checkpoint",
    "pretrained",
    "list_pretrained",
    "export_weights",
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "ConfigError",
    "config_from_dict",
    "config_to_dict",
    "load_toml",
    "TEM",
    "TEMConfig",
    "TEMT",
    "TEMTConfig",
    "TEM3",
    "TEM3Config",
    "TEMT3",
    "TEMT3Config",
    "EnvConfig",
    "CommonTrainConfig",
    "ModelConfig",
    "TrainConfig",
]
