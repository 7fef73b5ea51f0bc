"""beta: the skeleton renderer (keypoints_tf.models.renderer)."""

import numpy as np
import pytest
import tensorflow as tf

import model_checks
from keypoints_tf.models.renderer import SkeletonRenderer, line_sigma, render_skeleton
from keypoints_tf.skeleton import get_skeleton, pixel_centers

SIZE = 32
CENTERS = pixel_centers(SIZE)


def random_keypoints(batch_size=2, num_keypoints=17, seed=0):
    return np.random.default_rng(seed).uniform(-0.8, 0.8, (batch_size, num_keypoints, 2)).astype(np.float32)


def test_shape_dtype_and_range():
    skeleton = get_skeleton("human17")
    image = render_skeleton(random_keypoints(), skeleton.edges, SIZE, line_sigma(SIZE))
    model_checks.assert_tensor(image, (2, SIZE, SIZE, 1), "float32")
    assert -1.0 <= float(tf.reduce_min(image)) and float(tf.reduce_max(image)) <= 1.0


def test_line_centre_is_the_maximum_and_far_background_is_minus_one():
    sigma = 0.1
    row = 10
    keypoints = np.array([[[CENTERS[4], CENTERS[row]], [CENTERS[20], CENTERS[row]]]], np.float32)  # (1, 2, 2)
    image = render_skeleton(keypoints, [(0, 1)], SIZE, sigma)[0, ..., 0].numpy()  # (S, S)
    on_line = 2.0 * np.exp(-np.sqrt(1e-6) / sigma ** 2) - 1.0  # exactly on the centre line: d = sqrt(1e-6)
    assert image[row, 12] == pytest.approx(on_line, abs=1e-5)
    assert image[row, 12] == pytest.approx(image.max(), abs=1e-6)
    assert image[row - 1, 12] < image[row, 12]
    assert image[SIZE - 1, SIZE - 1] == pytest.approx(-1.0, abs=1e-6)


def test_keypoint_at_pixel_centre_puts_the_peak_in_that_pixel():
    column, row = 5, 9
    point = [CENTERS[column], CENTERS[row]]
    keypoints = np.array([[point, point]], np.float32)  # a zero-length edge: a blob at the keypoint
    image = render_skeleton(keypoints, [(0, 1)], SIZE, line_sigma(SIZE))[0, ..., 0].numpy()
    assert np.unravel_index(np.argmax(image), image.shape) == (row, column)


def test_horizontal_flip_of_keypoints_flips_the_image():
    skeleton = get_skeleton("human17")
    keypoints = random_keypoints()
    image = render_skeleton(keypoints, skeleton.edges, SIZE, line_sigma(SIZE))
    flipped = render_skeleton(skeleton.flip_keypoints(keypoints), skeleton.edges, SIZE, line_sigma(SIZE))
    np.testing.assert_allclose(flipped.numpy(), image.numpy()[:, :, ::-1], atol=1e-5)


def test_gradients_with_respect_to_keypoints_are_finite_and_non_zero():
    skeleton = get_skeleton("human17")
    keypoints = tf.Variable(random_keypoints())
    weights = tf.constant(np.random.default_rng(1).normal(size=(2, SIZE, SIZE, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(render_skeleton(keypoints, skeleton.edges, SIZE, line_sigma(SIZE)) * weights)
    gradient = tape.gradient(loss, keypoints).numpy()  # (B, K, 2)
    assert np.all(np.isfinite(gradient))
    assert np.all(np.abs(gradient).sum(axis=-1) > 0), "every keypoint of the skeleton should get a gradient"


def test_eager_equals_tf_function():
    skeleton = get_skeleton("human17")
    keypoints = random_keypoints()
    eager = render_skeleton(keypoints, skeleton.edges, SIZE, 0.3)
    compiled = tf.function(lambda k: render_skeleton(k, skeleton.edges, SIZE, 0.3))(tf.constant(keypoints))
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), atol=1e-6)


def test_line_sigma_matches_the_reference_profile():
    assert line_sigma(128) == pytest.approx(0.2)
    assert line_sigma(64) == pytest.approx(0.283, abs=1e-3)
    with pytest.raises(ValueError, match="positive"):
        line_sigma(0)


def test_layer_config_round_trip_and_float32_under_mixed_precision():
    skeleton = get_skeleton("human17")
    with model_checks.dtype_policy("mixed_bfloat16"):
        renderer = SkeletonRenderer(skeleton.edges, image_size=SIZE)
        image = renderer(tf.constant(random_keypoints(), tf.bfloat16))
        model_checks.assert_tensor(image, (2, SIZE, SIZE, 1), "float32")
        model_checks.assert_config_round_trip(renderer, [random_keypoints()])
    assert renderer.sigma == pytest.approx(line_sigma(SIZE))


def test_rejects_bad_edges():
    with pytest.raises(ValueError, match="edges"):
        render_skeleton(random_keypoints(), [], SIZE, 0.3)
