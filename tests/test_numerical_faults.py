"""Non-finite losses roll training back to the last good checkpoint; a run that keeps diverging stops
with a clear message and leaves only finite weights on disk."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from keypoints_tf import train
from keypoints_tf.config import get_default_config, shrink_for_smoke
from keypoints_tf.data import pipeline
from keypoints_tf.errors import TrainingError


def _config():
    config = shrink_for_smoke(get_default_config())
    config.train.regressor_pretrain_steps = 2
    config.train.steps = 6
    config.log.checkpoint_every_steps = 1
    return config


def _poison(monkeypatch, bad_steps):
    original = pipeline.PairSampler.batch

    def batch(self, step):
        values = original(self, step)
        if step in bad_steps:
            values["image"] = np.full_like(values["image"], 255)
            values["prior_keypoints"] = np.full_like(values["prior_keypoints"], np.nan)
        return values
    monkeypatch.setattr(pipeline.PairSampler, "batch", batch)


def test_a_nan_step_is_rolled_back_and_training_finishes(tmp_path, monkeypatch, caplog):
    _poison(monkeypatch, bad_steps={4})
    with caplog.at_level(logging.WARNING):
        result = train.train_and_evaluate(_config(), str(tmp_path))
    assert result["step"] == 8 and np.isfinite(result["error"])
    assert any("rolled back to step" in r.getMessage() for r in caplog.records)


def test_a_run_that_keeps_diverging_stops_without_writing_nan_weights(tmp_path, monkeypatch):
    _poison(monkeypatch, bad_steps=set(range(3, 1000)))
    with pytest.raises(TrainingError, match="diverged"):
        train.train_and_evaluate(_config(), str(tmp_path))
    reader = tf.train.load_checkpoint(str(tmp_path / "checkpoints"))
    for name, _ in tf.train.list_variables(str(tmp_path / "checkpoints")):
        value = reader.get_tensor(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.all(np.isfinite(value)), name
