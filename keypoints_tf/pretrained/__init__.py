"""Detectors that ship inside the package: `keypoints_tf.list_models()`, `keypoints_tf.load(NAME)`.

Each is a `.tflite` file in this folder with its contract embedded (`keypoints_tf.contract`), listed in
`index.json` with how it was trained (command, data, minutes, machine) and its measured accuracy.
README.md ("Shipped detectors") holds the same table.
"""

from __future__ import annotations

import json
import os

FOLDER = os.path.dirname(os.path.abspath(__file__))


def index() -> dict:
    """{name: entry} from index.json; each entry has at least "file" and "description"."""
    path = os.path.join(FOLDER, "index.json")
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)["models"]


def list_models() -> list:
    """Names of the shipped detectors, for `keypoints_tf.load(NAME)` and `detect --model=NAME`."""
    return sorted(index())


def model_path(name: str) -> str | None:
    """The file of a shipped detector, or None when `name` is not one."""
    entry = index().get(name)
    return os.path.join(FOLDER, entry["file"]) if entry else None
