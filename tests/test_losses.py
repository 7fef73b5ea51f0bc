"""Per-example losses (keypoints_tf.losses)."""

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

import model_checks
from keypoints_tf import losses
from keypoints_tf.errors import ModelFileError

BATCH, SIZE = 2, 32


# === Adversarial ===
def test_least_squares_known_values():
    fine = np.stack([np.full((2, 2, 1), 2.0), np.full((2, 2, 1), 1.0)]).astype(np.float32)  # (B, 2, 2, 1)
    coarse = np.zeros((BATCH, 1, 1, 1), np.float32)
    real = losses.least_squares_real([fine, coarse])  # mean over scales of mean (D - 1)^2
    fake = losses.least_squares_fake([fine, coarse])  # mean over scales of mean D^2
    model_checks.assert_tensor(real, (BATCH,))
    np.testing.assert_allclose(real.numpy(), [(1.0 + 1.0) / 2, (0.0 + 1.0) / 2])
    np.testing.assert_allclose(fake.numpy(), [(4.0 + 0.0) / 2, (1.0 + 0.0) / 2])
    np.testing.assert_allclose(losses.least_squares_fake(fine).numpy(), [4.0, 1.0])  # one map, no list


# === Regression ===
def test_keypoint_mse_with_and_without_visibility():
    predicted = np.zeros((BATCH, 3, 2), np.float32)
    target = np.array([[[1, 1], [0, 0], [0, 2]], [[1, 0], [0, 0], [0, 0]]], np.float32)
    plain = losses.keypoint_mse(predicted, target)
    model_checks.assert_tensor(plain, (BATCH,))
    np.testing.assert_allclose(plain.numpy(), [(1.0 + 0.0 + 2.0) / 3, (0.5 + 0 + 0) / 3])
    visible = np.array([[True, False, False], [False, False, False]])
    np.testing.assert_allclose(losses.keypoint_mse(predicted, target, visible).numpy(), [1.0, 0.0])


def test_image_mse_known_value():
    value = losses.image_mse(np.ones((BATCH, 4, 4, 3), np.float32), np.zeros((BATCH, 4, 4, 3), np.float32))
    model_checks.assert_tensor(value, (BATCH,))
    np.testing.assert_allclose(value.numpy(), [1.0, 1.0])


# === Reconstruction without ImageNet weights ===
def test_multiscale_pixel_ssim_loss_known_values_and_weights():
    x = np.full((BATCH, SIZE, SIZE, 3), 0.5, np.float32)
    y = np.zeros((BATCH, SIZE, SIZE, 3), np.float32)
    loss = losses.multiscale_pixel_ssim_loss(x, y)
    model_checks.assert_tensor(loss, (BATCH,))
    # constant images: L1 = 0.5 at every scale; SSIM = luminance term only, on [0, 1] images (0.75, 0.5)
    c1 = 0.01 ** 2
    ssim = (2 * 0.75 * 0.5 + c1) / (0.75 ** 2 + 0.5 ** 2 + c1)
    np.testing.assert_allclose(loss.numpy(), 0.5 + 1.0 - ssim, atol=1e-3)  # tf.image.ssim's float32 round-off
    np.testing.assert_allclose(losses.multiscale_pixel_ssim_loss(x, x).numpy(), 0.0, atol=1e-5)
    # a difference only where the weight is zero leaves the L1 part at zero
    different = x.copy()
    different[:, :, : SIZE // 2] = -0.5
    weights = np.zeros((BATCH, SIZE, SIZE, 1), np.float32)
    weights[:, :, SIZE // 2:] = 1.0
    weighted = losses.multiscale_pixel_ssim_loss(different, x, weights).numpy()
    unweighted = losses.multiscale_pixel_ssim_loss(different, x).numpy()
    ssim_only = 1.0 - tf.image.ssim((different + 1) / 2, (x + 1) / 2, max_val=1.0).numpy()
    np.testing.assert_allclose(weighted, ssim_only, atol=1e-5)
    assert np.all(unweighted > weighted)


# === VGG-19 weights ===
def write_legacy_h5_weights(model, path):
    """Writes `model`'s weights in Keras' legacy .h5 layout (that of the cached keras.applications files)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}_W_{i}:0" for i in range(len(layer.weights))]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, value in zip(names, layer.get_weights()):
                group.create_dataset(name, data=value)


def new_vgg19():
    return keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))


@pytest.fixture(scope="module")
def vgg19_weights_file(tmp_path_factory):
    """A random-init VGG-19 no-top saved as the Keras cache would hold it: (path, weights)."""
    vgg = new_vgg19()
    path = tmp_path_factory.mktemp("keras_home") / "models" / losses.VGG19_NOTOP_FILE
    path.parent.mkdir()
    write_legacy_h5_weights(vgg, path)
    return path, vgg.get_weights()


def assert_weights_equal(model, weights):
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


def test_load_vgg19_weights_from_an_explicit_file(vgg19_weights_file):
    path, weights = vgg19_weights_file
    vgg = new_vgg19()
    assert losses.load_vgg19_weights(vgg, str(path)) is True
    assert_weights_equal(vgg, weights)


def test_load_vgg19_weights_from_the_keras_cache(vgg19_weights_file, monkeypatch):
    path, weights = vgg19_weights_file
    monkeypatch.setenv("KERAS_HOME", str(path.parent.parent))
    assert losses.vgg19_weights_candidates()[0] == str(path)
    vgg = new_vgg19()
    assert losses.load_vgg19_weights(vgg) is True
    assert_weights_equal(vgg, weights)


def test_load_vgg19_weights_returns_false_without_a_file_and_raises_for_a_missing_explicit_one(
        tmp_path, monkeypatch):
    monkeypatch.setattr(losses, "vgg19_weights_candidates", lambda: [str(tmp_path / "absent.h5")])
    vgg = new_vgg19()
    assert losses.load_vgg19_weights(vgg) is False
    with pytest.raises(ModelFileError, match="does not exist"):
        losses.load_vgg19_weights(vgg, str(tmp_path / "absent.h5"))


# === Perceptual ===
@pytest.fixture(scope="module")
def perceptual_loss():
    return losses.PerceptualLoss(weights_path=None)


def test_perceptual_loss_running_means(perceptual_loss):
    loss = perceptual_loss
    assert loss.trainable_weights == []  # VGG is frozen
    x, target = model_checks.random_images(seed=0), model_checks.random_images(seed=1)
    before_training = loss(x, target, training=False)  # never updated: normalised by the batch means
    model_checks.assert_tensor(before_training, (BATCH,))
    assert float(tf.reduce_mean(before_training)) == pytest.approx(1.0, rel=1e-5)
    assert int(loss.num_updates.numpy()) == 0

    first = loss(x, target, training=True)  # r <- batch means: each level averages to 1 over the batch
    assert float(tf.reduce_mean(first)) == pytest.approx(1.0, rel=1e-5)
    first_means = loss.running_means.numpy()
    assert np.all(first_means > 0)

    x2 = model_checks.random_images(seed=2)
    loss(x2, target, training=False)  # not training: running means unchanged
    np.testing.assert_array_equal(loss.running_means.numpy(), first_means)

    unnormalised = losses.PerceptualLoss(weights_path=None, momentum=0.0)  # r = the batch mean
    unnormalised.features.set_weights(loss.features.get_weights())
    unnormalised(x2, target, training=True)
    batch_means = unnormalised.running_means.numpy()
    loss(x2, target, training=True)
    np.testing.assert_allclose(loss.running_means.numpy(), 0.99 * first_means + 0.01 * batch_means, rtol=1e-4)


def test_perceptual_loss_gradient_reaches_the_reconstruction(perceptual_loss):
    reconstructed = tf.Variable(model_checks.random_images(seed=3))
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(perceptual_loss(reconstructed, model_checks.random_images(seed=4)))
    gradient = tape.gradient(value, reconstructed).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).sum() > 0
