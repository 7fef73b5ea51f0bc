"""KeypointGAN's train step: it learns something, and it is correct under a distribution strategy."""

import numpy as np
import pytest
import tensorflow as tf

from keypoints_tf import build
from keypoints_tf.config import get_default_config, shrink_for_smoke
from keypoints_tf.skeleton import get_skeleton
from keypoints_tf.train import distributed_step

SKELETON = get_skeleton("human17")


def _config(method="keypoint_gan"):
    config = shrink_for_smoke(get_default_config())
    config.train.precision = "float32"  # exact comparisons; "auto" picks bfloat16 on AMX/AVX512-BF16 CPUs
    config.method = method
    config.model.pool_size = 0 if method == "keypoint_gan" else 4
    return config


def _batch(batch_size=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return {"image": rng.uniform(-1, 1, (batch_size, size, size, 3)).astype(np.float32),
            "appearance": rng.uniform(-1, 1, (batch_size, size, size, 3)).astype(np.float32),
            "foreground": (rng.random((batch_size, size, size, 1)) > 0.7).astype(np.float32),
            "prior_keypoints": rng.uniform(-0.8, 0.8, (batch_size, 17, 2)).astype(np.float32),
            "keypoints": rng.uniform(-0.8, 0.8, (batch_size, 17, 2)).astype(np.float32)}


def _variables(model):
    return [v.numpy() for v in model.trainable_variables]


def test_one_step_changes_every_network_and_reports_finite_losses():
    tf.keras.utils.set_random_seed(0)
    model = build.build_model(_config(), SKELETON, global_batch_size=4)
    before = {name: [v.numpy() for v in getattr(model, name).trainable_variables]
              for name in ("image_to_skeleton", "keypoint_regressor", "image_generator", "discriminator")}
    outputs = model.train_step({k: tf.constant(v) for k, v in _batch().items()})
    for name, values in before.items():
        after = [v.numpy() for v in getattr(model, name).trainable_variables]
        assert any(not np.allclose(a, b) for a, b in zip(values, after)), f"{name} did not change"
    assert all(np.isfinite(float(v)) for v in outputs.values())


_STRATEGIES = {}


def _mirrored(num_devices):
    """One MirroredStrategy per device count for the whole session: several strategies over the same
    devices in one process can reuse collective instance keys and mix up their all-reduces."""
    if num_devices not in _STRATEGIES:
        cpus = tf.config.list_logical_devices("CPU")
        assert len(cpus) >= num_devices, "conftest configures two logical CPUs"
        _STRATEGIES[num_devices] = tf.distribute.MirroredStrategy([c.name for c in cpus[:num_devices]])
    return _STRATEGIES[num_devices]


def _sgd_model(config):
    """The model with SGD optimizers: Adam's first step, lr * g / |g|, would hide a wrong loss scale."""
    model = build.build_model(config, SKELETON, global_batch_size=4)
    sgd = lambda: tf.keras.optimizers.SGD(0.05)  # noqa: E731
    if config.method == "supervised":
        model.compile(optimizer=sgd())
    else:
        model.compile(generator_optimizer=sgd(), discriminator_optimizer=sgd(), regressor_optimizer=sgd())
    model.build_all(config.image_size, SKELETON.num_keypoints)
    return model


def _one_distributed_step(strategy, config, batch, method_name="train_step", compiled=True):
    tf.keras.utils.set_random_seed(0)
    with strategy.scope():
        model = _sgd_model(config)
    start = [v.numpy() for v in model.trainable_variables]
    if compiled:  # as training runs it
        step = distributed_step(strategy, getattr(model, method_name))
    else:  # the same Python step, replicas run eagerly: the same sums, without tracing the graph twice
        step = lambda batch: strategy.run(getattr(model, method_name), args=(batch,))  # noqa: E731
    dataset = tf.data.Dataset.from_tensors(batch)
    step(next(iter(strategy.experimental_distribute_dataset(dataset))))
    return start, [v.numpy() for v in model.trainable_variables], model.trainable_variables


@pytest.mark.parametrize("method, step_name, clip_norm, compiled", [
    ("keypoint_gan", "train_step", 0.0, False),  # loss scaling (clipping off, which would hide a wrong scale)
    ("keypoint_gan", "train_step", 0.05, True),  # clipping the summed gradient, inside tf.function as trained
    ("keypoint_gan", "regressor_pretrain_step", 0.0, False),
    ("supervised", "train_step", 0.0, False)])
def test_one_replica_step_equals_two_replica_step(method, step_name, clip_norm, compiled):
    """Losses are averaged over the GLOBAL batch and clipping sees the summed gradient:
    one step on 2 replicas x 2 examples moves every weight exactly as 1 replica x 4 examples does."""
    config, batch = _config(method), _batch()
    config.train.clip_norm = clip_norm
    start, one, variables = _one_distributed_step(_mirrored(1), config, batch, step_name, compiled)
    _, two, _ = _one_distributed_step(_mirrored(2), config, batch, step_name, compiled)
    # Per network: the update has the same length (a wrong loss scale would double it) and direction.
    # Elementwise, float32 rounding differs (summation order), as it does for a permuted batch.
    networks = sorted({v.path.split("/")[0] for v in variables})
    for network in networks:
        pick = [i for i, v in enumerate(variables) if v.path.split("/")[0] == network]
        a = np.concatenate([(one[i] - start[i]).ravel() for i in pick])
        b = np.concatenate([(two[i] - start[i]).ravel() for i in pick])
        if not np.any(a):
            continue
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert abs(np.linalg.norm(b) / np.linalg.norm(a) - 1.0) < 5e-3 and cosine > 0.9995, network


def test_fit_runs_the_custom_train_step():
    tf.keras.utils.set_random_seed(0)
    model = build.build_model(_config(), SKELETON, global_batch_size=4)
    history = model.fit(tf.data.Dataset.from_tensors(_batch()).repeat(2), epochs=1, verbose=0)
    assert np.isfinite(history.history["generator_loss"][-1])


def test_equivariance_warp_moves_the_image_like_the_keypoints():
    """The image warp and the keypoint transform of the equivariance term agree (same T)."""
    from keypoints_tf.models import render_skeleton
    config = _config()
    config.image_size = 64
    model = build.build_model(config, SKELETON, global_batch_size=2)
    keypoints = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 17, 2)).astype(np.float32)
    transforms = np.array([[0.3, 0.1, 0.1, -0.05, 0.0], [-0.2, -0.1, -0.08, 0.12, 1.0]], np.float32)
    images = tf.tile(render_skeleton(keypoints, SKELETON.edges, 64, 0.25), [1, 1, 1, 3])
    expected_keypoints = []
    for angle, log_scale, tx, ty, mirror in transforms:
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        index = len(expected_keypoints)
        mirrored = keypoints[index] * [-1.0 if mirror else 1.0, 1.0]
        moved = np.exp(log_scale) * mirrored @ rotation.T + [tx, ty]
        expected_keypoints.append(moved[SKELETON.flip_permutation] if mirror else moved)  # names swap
    expected_keypoints = np.stack(expected_keypoints).astype(np.float32)
    seen = {}

    def detect(x, training=False):
        seen["warped"] = x
        return tf.constant(expected_keypoints)
    model.detect = detect
    error = model.equivariance_error(images, tf.constant(keypoints), tf.constant(transforms))
    np.testing.assert_allclose(error.numpy(), 0.0, atol=1e-10)  # targets relabelled as expected
    for i in range(len(transforms)):
        # the warped image shows the skeleton where the (unrelabelled) transformed keypoints are
        expected = render_skeleton(expected_keypoints[i:i + 1], SKELETON.edges, 64, 0.25).numpy()[0, ..., 0]
        warped = seen["warped"][i, ..., 0].numpy()
        assert np.corrcoef(warped.ravel(), expected.ravel())[0, 1] > 0.97


def test_optional_terms_run_and_are_tracked():
    config = _config()
    config.loss.equivariance_weight = 1.0
    config.loss.cycle_weight = 1.0
    config.model.skeleton_skips = True
    model = build.build_model(config, SKELETON, global_batch_size=4)
    batch = {k: tf.constant(v) for k, v in _batch().items()}
    batch["transform"] = tf.constant(np.tile([[0.1, 0.05, 0.02, -0.02, 1.0]], (4, 1)).astype(np.float32))
    outputs = model.train_step(batch)
    assert float(outputs["equivariance_loss"]) > 0 and float(outputs["cycle_loss"]) > 0


def test_one_step_with_the_perceptual_reconstruction_loss():
    """The VGG-19 loss (a Keras layer, called with per-pixel weights) inside the compiled train step (on
    random VGG features: ImageNet weights cannot be downloaded here, and their values do not matter to this)."""
    tf.keras.utils.set_random_seed(0)
    model = build.build_model(_config(), SKELETON, global_batch_size=4)
    model.reconstruction_loss = build.WeightedPerceptualLoss()  # what build picks when the weights exist
    before = [v.numpy() for v in model.image_generator.trainable_variables]
    step = tf.function(model.train_step)
    outputs = step({k: tf.constant(v) for k, v in _batch().items()})
    assert np.isfinite(float(outputs["reconstruction_loss"])) and float(outputs["reconstruction_loss"]) > 0
    after = [v.numpy() for v in model.image_generator.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_d_and_eta_losses_on_joined_halves_equal_separate_calls():
    """D and eta take real and fake skeletons in one call; per-example norms make it equal two calls."""
    from keypoints_tf import losses
    tf.keras.utils.set_random_seed(0)
    model = build.build_model(_config(), SKELETON, global_batch_size=4)   # pool_size 0: the pool passes through
    batch = _batch()
    real = model.render(tf.constant(batch["prior_keypoints"]))
    skeletons = model.image_to_skeleton(tf.constant(batch["image"]))
    joined = model.discriminator_losses(real, skeletons)
    np.testing.assert_allclose(joined["discriminator_real"],
                               losses.least_squares_real(model.discriminator(real, training=True)), rtol=1e-5)
    np.testing.assert_allclose(joined["discriminator_fake"],
                               losses.least_squares_fake(model.discriminator(skeletons, training=True)), rtol=1e-5)
    regressor = model.regressor_losses(tf.constant(batch["prior_keypoints"]), real, skeletons)
    alone = model.keypoint_regressor(real, training=True)["keypoints"]
    np.testing.assert_allclose(regressor["regressor_prior_error"],
                               losses.keypoint_mse(alone, batch["prior_keypoints"]), rtol=1e-5)
