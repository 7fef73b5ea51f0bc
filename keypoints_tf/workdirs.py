"""Reading a training workdir: its resolved config and where its pieces are."""

from __future__ import annotations

import json
import os

import ml_collections

from keypoints_tf.config import get_default_config
from keypoints_tf.errors import ModelFileError


def load_config(workdir: str, overrides: dict | None = None) -> ml_collections.ConfigDict:
    """The config a workdir was trained with (<workdir>/config.json), with dotted-key overrides applied."""
    path = os.path.join(workdir, "config.json")
    if not os.path.isfile(path):
        raise ModelFileError(f"{workdir}: not a training workdir (no config.json); train with "
                             "python -m keypoints_tf.train --config=... --workdir=...")
    try:
        values = json.load(open(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: unreadable config ({e})") from None
    config = get_default_config()
    config.update_from_flattened_dict(upgrade_fields(flatten(values)))
    for key, value in (overrides or {}).items():
        config.update_from_flattened_dict({key: value})
    return config


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
