"""Marginal soft-argmax and heatmap confidence (keypoints_tf.models.soft_argmax)."""

import numpy as np
import pytest
import tensorflow as tf

import model_checks
from keypoints_tf.models.soft_argmax import heatmap_confidence, marginal_soft_argmax
from keypoints_tf.skeleton import pixel_centers

HEIGHT, WIDTH = 8, 16  # not square, so x and y grids differ


def peaked_heatmaps(peaks, height=HEIGHT, width=WIDTH, value=1000.0):
    """(1, H, W, K) zero logits with one high logit per channel at (column, row) = peaks[k]."""
    heatmaps = np.zeros((1, height, width, len(peaks)), np.float32)
    for k, (column, row) in enumerate(peaks):
        heatmaps[0, row, column, k] = value
    return heatmaps


def test_sharp_peak_gives_the_pixel_centre():
    peaks = [(0, 0), (3, 5), (15, 7), (9, 2)]
    keypoints = marginal_soft_argmax(peaked_heatmaps(peaks))
    model_checks.assert_tensor(keypoints, (1, len(peaks), 2), "float32")
    expected = [[pixel_centers(WIDTH)[column], pixel_centers(HEIGHT)[row]] for column, row in peaks]
    np.testing.assert_allclose(keypoints[0].numpy(), expected, atol=1e-5)


def test_flat_heatmap_gives_the_image_centre_and_zero_confidence():
    flat = np.zeros((2, HEIGHT, WIDTH, 3), np.float32)
    np.testing.assert_allclose(marginal_soft_argmax(flat).numpy(), 0.0, atol=1e-6)
    np.testing.assert_allclose(heatmap_confidence(flat).numpy(), 0.0, atol=1e-3)


def test_confidence_is_in_unit_interval_and_higher_for_peaked_heatmaps():
    random = np.random.default_rng(0).normal(size=(2, HEIGHT, WIDTH, 5)).astype(np.float32) * 5.0
    confidence = heatmap_confidence(random)
    model_checks.assert_tensor(confidence, (2, 5), "float32")
    assert np.all((confidence.numpy() >= 0.0) & (confidence.numpy() <= 1.0))
    sharp = float(heatmap_confidence(peaked_heatmaps([(4, 4)]))[0, 0])
    broad = float(heatmap_confidence(peaked_heatmaps([(4, 4)], value=40.0))[0, 0])
    flat = float(heatmap_confidence(np.zeros((1, HEIGHT, WIDTH, 1), np.float32))[0, 0])
    assert sharp == pytest.approx(1.0, abs=1e-3)
    assert sharp > broad > flat


def test_bfloat16_heatmaps_are_computed_in_float32():
    heatmaps = tf.constant(peaked_heatmaps([(3, 5)], value=100.0), tf.bfloat16)
    assert marginal_soft_argmax(heatmaps).dtype == tf.float32
    assert heatmap_confidence(heatmaps).dtype == tf.float32
