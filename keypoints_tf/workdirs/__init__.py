"""A workdir on disk. Its config and its checkpoints are read and written only through this package, by
training, evaluation, export, distillation, the experiments and `keypoints_tf.load`.

    <workdir>/config.json     the resolved config of the run (`read_config`, `load_config`, `write_config`);
                              a distillation workdir's has ``"detector": "student"`` (configs/distill.py)
    <workdir>/checkpoints/    `workdirs.checkpoints`: restore a set of objects from the newest readable
                              checkpoint, save, the state file rebuilt when torn
    <workdir>/.lock           `workdirs.safety`: one run at a time, one config per workdir, Ctrl-C saves
    metrics.json, history.jsonl, logs/, images/   written by training and evaluation

This module only reads and writes files: it imports no network or training code, so that export and
inference can use it.
"""

from __future__ import annotations

import json
import os

import ml_collections

from keypoints_tf import atomic
from keypoints_tf.errors import ModelFileError

CONFIG_FILE = "config.json"
CHECKPOINTS = "checkpoints"


def checkpoint_dir(workdir: str) -> str:
    return os.path.join(workdir, CHECKPOINTS)


def read_config(workdir: str) -> dict:
    """The raw ``config.json`` of a workdir as a dict, or ModelFileError."""
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise ModelFileError(f"{workdir}: not a training or distillation workdir (no {CONFIG_FILE}); train with "
                             "python -m keypoints_tf.train or distil with python -m keypoints_tf.distill")
    try:
        with open(path, "rb") as f:
            values = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: unreadable config ({e})") from None
    if not isinstance(values, dict):
        raise ModelFileError(f"{path}: expected a JSON object, got {type(values).__name__}")
    return values


def load_config(workdir: str, overrides: dict | None = None) -> ml_collections.ConfigDict:
    """The config a training workdir was trained with, with dotted-key overrides applied."""
    return training_config(read_config(workdir), overrides)


def training_config(values: dict, overrides: dict | None = None) -> ml_collections.ConfigDict:
    """A training config.json's values over the defaults (fields added since it was written keep theirs)."""
    from keypoints_tf.config import get_default_config
    config = get_default_config()
    config.update_from_flattened_dict(upgrade_fields(flatten(values)))
    for key, value in (overrides or {}).items():
        config.update_from_flattened_dict({key: value})
    return config


def write_config(workdir: str, config: ml_collections.ConfigDict):
    """Writes the resolved config atomically (a kill never leaves half a file)."""
    atomic.write_text(os.path.join(workdir, CONFIG_FILE), config.to_json_best_effort(indent=2))


def upgrade_fields(flat: dict) -> dict:
    """Fields of older workdirs under their current names: train.mixed_precision (bool) -> train.precision."""
    flat = dict(flat)
    if "train.mixed_precision" in flat:
        flat.setdefault("train.precision", "bfloat16" if flat.pop("train.mixed_precision") else "float32")
    return flat


def flatten(values: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
