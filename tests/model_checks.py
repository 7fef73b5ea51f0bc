"""Checks and helpers shared by the tests (imported as ``model_checks``)."""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from keypoints_tf.models import dtype_policy  # noqa: F401  (re-exported for the tests)
from keypoints_tf.config import load_config_file


def assert_tensor(tensor, shape, dtype="float32"):
    """Asserts a tensor's static shape and dtype, and that its values are finite."""
    assert tuple(tensor.shape) == tuple(shape), f"shape {tuple(tensor.shape)} != {tuple(shape)}"
    assert tensor.dtype == tf.as_dtype(dtype), f"dtype {tensor.dtype} != {dtype}"
    assert np.all(np.isfinite(np.asarray(tf.cast(tensor, tf.float32)))), "non-finite values"


def assert_config_round_trip(layer, call_inputs):
    """`from_config(get_config())` rebuilds an equal config and a layer with the same output shapes."""
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    outputs = tf.nest.flatten(layer(*call_inputs))
    clone_outputs = tf.nest.flatten(clone(*call_inputs))
    assert [tuple(o.shape) for o in clone_outputs] == [tuple(o.shape) for o in outputs]
    return clone


def random_images(batch_size=2, size=32, channels=3, seed=0):
    """(B, S, S, C) float32 uniform in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (batch_size, size, size, channels)).astype(np.float32)


def smoke_config(name="synthetic"):
    """A fresh configs/<name>.py:smoke config."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return load_config_file(os.path.join(repo, "configs", f"{name}.py:smoke"))


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, timeout: float = 300, **kwargs):
    """`python *args` from the repository root (this checkout first on the path): a CompletedProcess."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def assert_one_error_line(result, *fragments) -> str:
    """The CLI ended with exit code 2 and exactly one ``error: ...`` line holding `fragments`, no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr, (
        f"exit code {result.returncode}, stderr:\n{result.stderr[-4000:]}")
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]
