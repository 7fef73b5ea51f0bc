"""One-Euro smoothing (the Android core's algorithm) and the student network's shapes."""

import math

import numpy as np
import pytest

from keypoints_tf.smoothing import OneEuroFilter, PoseSmoother


def _java_one_euro(values, times, min_cutoff, beta, d_cutoff):
    """A line-by-line transcription of android_demo/core OneEuroFilter.filter for one scalar signal."""
    def alpha(cutoff, dt):
        return 1.0 / (1.0 + (1.0 / (2.0 * math.pi * cutoff)) / dt)
    out, last_time, last_value, last_derivative = [], None, None, None
    for value, t in zip(values, times):
        if last_time is None:
            last_time, last_value, last_derivative = t, value, 0.0
            out.append(value)
            continue
        dt = t - last_time
        if not dt > 0:
            out.append(last_value)
            continue
        derivative = (value - last_value) / dt
        smoothed_derivative = last_derivative + alpha(d_cutoff, dt) * (derivative - last_derivative)
        cutoff = min_cutoff + beta * abs(smoothed_derivative)
        last_value = last_value + alpha(cutoff, dt) * (value - last_value)
        last_time, last_derivative = t, smoothed_derivative
        out.append(last_value)
    return np.array(out)


def test_one_euro_matches_the_android_core():
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(40, 3)), axis=0) * 5
    times = np.arange(40) / 30.0
    times[10] = times[9]  # a repeated timestamp returns the previous estimate
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.05, d_cutoff=1.0)
    ours = np.stack([smoother(v, t) for v, t in zip(values, times)])
    for c in range(3):
        np.testing.assert_allclose(ours[:, c], _java_one_euro(values[:, c], times, 1.0, 0.05, 1.0), rtol=1e-12)


def test_pose_smoother_restarts_a_keypoint_that_was_lost():
    smoother = PoseSmoother(min_cutoff=0.5, beta=0.0, threshold=0.3)
    smoother(np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([1.0, 1.0]), 0.0)
    moved = np.array([[10.0, 10.0], [10.0, 10.0]])
    lost = smoother(moved, np.array([1.0, 0.1]), 0.1)
    assert 0 < lost[0, 0] < 10 and lost[1, 0] == 10  # smoothed; below the threshold: raw
    back = smoother(np.array([[10.0, 10.0], [20.0, 20.0]]), np.array([1.0, 1.0]), 0.2)
    assert back[1, 0] == 20  # came back: starts where it is, no glide from the old estimate


def test_one_euro_rejects_bad_parameters():
    with pytest.raises(ValueError, match="min_cutoff"):
        OneEuroFilter(min_cutoff=0.0)


def test_student_shapes_and_config_round_trip():
    import keras

    from keypoints_tf.student import StudentDetector
    student = StudentDetector(num_keypoints=5, width=4)
    outputs = student(keras.ops.zeros((2, 32, 32, 3)))
    assert tuple(outputs["keypoints"].shape) == (2, 5, 2) and tuple(outputs["heatmaps"].shape) == (2, 8, 8, 5)
    assert StudentDetector.from_config(student.get_config()).get_config() == student.get_config()
    with pytest.raises(ValueError, match="multiples of 16"):
        student(keras.ops.zeros((1, 40, 40, 3)))
