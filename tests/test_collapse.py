"""The collapse alarm (keypoints_tf.collapse): the monitor's rule, and what training does when it fires."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from keypoints_tf import train
from keypoints_tf.collapse import CollapseMonitor
from keypoints_tf.errors import TrainingError
from model_checks import smoke_config


def test_the_alarm_needs_a_whole_stretch_of_low_spread():
    monitor = CollapseMonitor(ratio=0.25, patience=100, healthy_step=1000)
    assert not monitor.update(1050, 0.05, 0.1)        # healthy: 0.5x the prior's spread
    assert not monitor.update(1100, 0.01, 0.1)        # low, but only 50 steps after the last healthy one
    assert not monitor.update(1149, 0.01, 0.1)
    assert monitor.update(1150, 0.01, 0.1)            # 100 steps of low spread
    assert monitor.low_since == 1100 and monitor.healthy_step == 1050
    assert "COLLAPSE ALARM at step 1150" in monitor.message(1150, 0.01, 0.1)
    assert not monitor.update(1200, 0.01, 0.1)        # still low: the next alarm needs another whole stretch
    assert monitor.update(1250, 0.01, 0.1) and monitor.low_since == 1100
    assert not monitor.update(1300, 0.03, 0.1)        # recovered: the watch starts again
    assert monitor.healthy_step == 1300 and monitor.low_since is None


def _always_collapsed(action, tmp_path, **train_fields):
    """A smoke run whose alarm fires at the first GAN log step (threshold far above any real spread)."""
    config = smoke_config()
    config.train.collapse_action = action
    config.train.collapse_ratio = 1e6
    config.train.collapse_patience = 2
    config.train.update(train_fields)
    return config, str(tmp_path / action)


def test_stop_saves_and_stops_with_the_reason(tmp_path):
    config, workdir = _always_collapsed("stop", tmp_path)
    with pytest.raises(TrainingError, match="COLLAPSE ALARM at step 4.*Stopped"):
        train.train_and_evaluate(config, workdir)
    assert tf.train.latest_checkpoint(f"{workdir}/checkpoints").endswith("ckpt-4")


def test_rollback_goes_back_to_a_healthy_checkpoint_with_a_lower_rate(tmp_path, caplog):
    config, workdir = _always_collapsed("rollback", tmp_path, max_rollbacks=1, collapse_rate_factor=0.5)
    with caplog.at_level(logging.WARNING), pytest.raises(TrainingError, match="1 roll-backs already"):
        train.train_and_evaluate(config, workdir)
    assert "rolled back to step 2, learning rates now x0.5" in caplog.text
    reader = tf.train.load_checkpoint(f"{workdir}/checkpoints")
    assert reader.get_tensor("learning_rate_scale/.ATTRIBUTES/VARIABLE_VALUE") == pytest.approx(0.5)


def test_warn_keeps_going(tmp_path, caplog):
    config, workdir = _always_collapsed("warn", tmp_path)
    with caplog.at_level(logging.WARNING):
        metrics = train.train_and_evaluate(config, workdir)
    assert metrics["step"] == config.train.regressor_pretrain_steps + config.train.steps
    # Steps 4 and 6 (patience 2): once per whole stretch of low spread, then again after another one.
    assert caplog.text.count("COLLAPSE ALARM") == 2 and "Action: warn" in caplog.text
    assert "COLLAPSE ALARM at step 6" in caplog.text and "since step 4" in caplog.text
    assert np.isfinite(metrics["error"])
