"""The networks (Phi, eta, Psi, D) and the history pool at 32 px with tiny widths."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import model_checks
from keypoints_tf.models import (ImageGenerator, ImagePool, ImageToSkeleton, KeypointRegressor,
                                 SkeletonDiscriminator)

SIZE, BATCH, WIDTH, K = 32, 2, 4, 5


def images(channels=3, seed=0):
    return model_checks.random_images(BATCH, SIZE, channels, seed)


def test_instance_normalization_is_keras_group_normalization_per_channel_at_rank_4():
    from keypoints_tf.models.layers import InstanceNormalization
    x = tf.random.stateless_normal((2, 8, 8, 5), seed=(1, 2)) * 3.0 + 1.0
    expected = keras.layers.GroupNormalization(groups=-1, center=False, scale=False, epsilon=1e-5)(x)
    np.testing.assert_allclose(InstanceNormalization(epsilon=1e-5)(x), expected, atol=1e-5)
    with tf.GradientTape(persistent=True) as tape:  # training takes the fused kernel: the same values and gradients
        tape.watch(x)
        fused, plain = InstanceNormalization()(x, training=True), InstanceNormalization()(x, training=False)
        weights = tf.range(5, dtype=tf.float32)
        losses = [tf.reduce_sum(tf.sin(y) * weights) for y in (fused, plain)]
    np.testing.assert_allclose(fused, plain, atol=1e-5)
    np.testing.assert_allclose(tape.gradient(losses[0], x), tape.gradient(losses[1], x), atol=1e-4)
    training_graph = tf.function(lambda t: InstanceNormalization()(t, training=True)).get_concrete_function(x).graph
    assert any(op.type.startswith("FusedBatchNorm") for op in training_graph.get_operations())
    graph = tf.function(InstanceNormalization()).get_concrete_function(tf.TensorSpec((1, 8, 8, 5))).graph
    assert all(len(t.shape) <= 4 for op in graph.get_operations() for t in op.outputs if t.shape.rank is not None)


def test_fused_batch_normalization_matches_keras_in_training_inference_and_gradients():
    from keypoints_tf.models.layers import BatchNormalization
    x = tf.random.stateless_normal((4, 6, 6, 5), seed=(3, 4)) * 2.0 + 0.5
    ours, theirs = (layer(momentum=0.9, epsilon=1e-5, synchronized=True,
                          gamma_initializer=keras.initializers.RandomNormal(1.0, 0.3, seed=1),
                          beta_initializer=keras.initializers.RandomNormal(0.0, 0.3, seed=2))
                    for layer in (BatchNormalization, keras.layers.BatchNormalization))
    for training in (True, True, False):  # two updates of the moving statistics, then inference with them
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            a, b = ours(x, training=training), theirs(x, training=training)
            loss_a, loss_b = (tf.reduce_sum(tf.sin(y) * tf.range(5, dtype=tf.float32)) for y in (a, b))
        np.testing.assert_allclose(a, b, atol=1e-5)
        np.testing.assert_allclose(tape.gradient(loss_a, x), tape.gradient(loss_b, x), atol=1e-4)
        for u, v in zip(tape.gradient(loss_a, ours.trainable_variables), tape.gradient(loss_b, theirs.trainable_variables)):
            np.testing.assert_allclose(u, v, atol=1e-4)
    for u, v in zip(ours.non_trainable_variables, theirs.non_trainable_variables):  # moving mean and variance
        np.testing.assert_allclose(u, v, atol=1e-6)
    graph = tf.function(lambda t: ours(t, training=True)).get_concrete_function(x).graph
    assert any(op.type.startswith("FusedBatchNorm") for op in graph.get_operations())  # the fused kernel ran
    assert ours(tf.cast(x, tf.bfloat16), training=True).dtype == tf.float32  # bfloat16 in, the layer's dtype out


# === Phi ===
def test_image_to_skeleton_shapes_and_config():
    phi = ImageToSkeleton(base_width=WIDTH)
    model_checks.assert_tensor(phi(images(), training=True), (BATCH, SIZE, SIZE, 1))
    model_checks.assert_config_round_trip(phi, [images()])
    shallow = ImageToSkeleton(base_width=WIDTH, num_downsamples=2, norm="instance")
    model_checks.assert_tensor(shallow(images()), (BATCH, SIZE, SIZE, 1))


def test_image_to_skeleton_rejects_sizes_not_divisible_by_the_downsampling():
    with pytest.raises(ValueError, match="multiples of 2\\*\\*num_downsamples"):
        ImageToSkeleton(base_width=WIDTH)(np.zeros((1, 36, 36, 3), np.float32))


# === eta ===
def test_keypoint_regressor_shapes_config_and_confidence():
    eta = KeypointRegressor(num_keypoints=K, base_width=WIDTH)
    outputs = eta(images(channels=1), training=True)
    model_checks.assert_tensor(outputs["heatmaps"], (BATCH, SIZE // 8, SIZE // 8, K))
    model_checks.assert_tensor(outputs["keypoints"], (BATCH, K, 2))
    assert np.all(np.abs(outputs["keypoints"].numpy()) <= 1.0)
    confidence = eta.confidence(outputs["heatmaps"])
    model_checks.assert_tensor(confidence, (BATCH, K))
    model_checks.assert_config_round_trip(eta, [images(channels=1)])
    shallow = KeypointRegressor(num_keypoints=K, base_width=WIDTH, num_downsamples=2)
    model_checks.assert_tensor(shallow(images(channels=1))["heatmaps"], (BATCH, SIZE // 4, SIZE // 4, K))


# === Psi ===
@pytest.mark.parametrize("appearance_pooling, appearance_skips", [("spatial", False), ("global", False),
                                                                  ("spatial", True)])
def test_image_generator_shapes_and_config(appearance_pooling, appearance_skips):
    psi = ImageGenerator(base_width=WIDTH, appearance_pooling=appearance_pooling, appearance_skips=appearance_skips,
                         skeleton_skips=appearance_skips)
    inputs = [images(channels=1), images(seed=1)]
    model_checks.assert_tensor(psi(*inputs, training=True), (BATCH, SIZE, SIZE, 3))
    model_checks.assert_config_round_trip(psi, inputs)


def test_appearance_skips_reach_every_decoder_scale():
    """With appearance skips, the pooled appearance feeds a projection at each scale, and each gets gradient."""
    psi = ImageGenerator(base_width=WIDTH, appearance_skips=True)
    inputs = [images(channels=1), images(seed=1)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(psi(*inputs, training=True)))
    projections = [v for p in psi.appearance_projections for v in p.trainable_variables]
    assert len(psi.appearance_projections) == psi.num_downsamples
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in tape.gradient(loss, projections))


def test_image_generator_rejects_unknown_pooling():
    with pytest.raises(ValueError, match="appearance_pooling"):
        ImageGenerator(appearance_pooling="max")


# === D ===
def test_discriminator_scales_and_config():
    discriminator = SkeletonDiscriminator(base_width=WIDTH)
    logit_maps = discriminator(images(channels=1), training=True)
    assert len(logit_maps) == 3
    for logits in logit_maps:
        model_checks.assert_tensor(logits, (BATCH, 2, 2, 1))
    model_checks.assert_config_round_trip(discriminator, [images(channels=1)])
    single = SkeletonDiscriminator(num_scales=1, base_width=WIDTH)(np.zeros((1, 64, 64, 1), np.float32))
    model_checks.assert_tensor(single[0], (1, 6, 6, 1))  # 64 -> 32 -> 16 -> 8 -> 7 -> 6


def test_discriminator_rejects_inputs_too_small_for_its_scales():
    with pytest.raises(ValueError, match="at least 8 px"):
        SkeletonDiscriminator(num_scales=3, base_width=WIDTH)(np.zeros((1, 16, 16, 1), np.float32))


# === Mixed precision ===
def test_networks_run_in_bfloat16_and_return_float32():
    with model_checks.dtype_policy("mixed_bfloat16"):
        phi = ImageToSkeleton(base_width=WIDTH)
        eta = KeypointRegressor(num_keypoints=K, base_width=WIDTH)
        psi = ImageGenerator(base_width=WIDTH)
        discriminator = SkeletonDiscriminator(base_width=WIDTH)
        skeleton_images = phi(images())
        outputs = eta(skeleton_images)
        reconstructed = psi(skeleton_images, images(seed=1))
        logit_maps = discriminator(skeleton_images)
    model_checks.assert_tensor(skeleton_images, (BATCH, SIZE, SIZE, 1), "float32")
    model_checks.assert_tensor(outputs["keypoints"], (BATCH, K, 2), "float32")
    model_checks.assert_tensor(outputs["heatmaps"], (BATCH, SIZE // 8, SIZE // 8, K), "float32")
    model_checks.assert_tensor(reconstructed, (BATCH, SIZE, SIZE, 3), "float32")
    for logits in logit_maps:
        assert logits.dtype == tf.float32
    convolutions = conv_layers(phi)
    assert convolutions[0].compute_dtype == "bfloat16" and convolutions[-1].compute_dtype == "float32"
    assert all(v.dtype == "float32" for v in phi.trainable_variables)


def conv_layers(model):
    """Every Conv2D inside `model`, in tracking order."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(conv_layers(layer))
    return found


# === History pool ===
def pool_outputs(pool, batches, compiled=False):
    call = tf.function(pool.__call__) if compiled else pool.__call__
    return [call(tf.constant(batch)).numpy() for batch in batches]


def constant_batches(num_batches, size=4):
    """Batch b holds images filled with 10 b + i (i = index in the batch), so values name their origin."""
    return [np.stack([np.full((size, size, 1), 10.0 * b + i, np.float32) for i in range(BATCH)])
            for b in range(num_batches)]


def test_image_pool_fills_then_mixes_old_and_new_images():
    pool = ImagePool(pool_size=3, seed=0)
    batches = constant_batches(8)
    outputs = pool_outputs(pool, batches)
    np.testing.assert_array_equal(outputs[0], batches[0])  # filling: the new images come back
    seen = set()
    returned_old = False
    for batch, output in zip(batches, outputs):
        new = set(batch[:, 0, 0, 0].tolist())
        for value in output[:, 0, 0, 0].tolist():
            assert value in new or value in seen, "the pool returned an image it was never given"
            returned_old |= value not in new
        seen |= new
    assert returned_old
    assert int(pool.num_stored.numpy()) == 3
    assert set(pool.images.numpy()[:, 0, 0, 0].tolist()) <= seen


def test_image_pool_is_deterministic_and_eager_equals_tf_function():
    batches = constant_batches(6)
    eager = pool_outputs(ImagePool(pool_size=3, seed=7), batches)
    again = pool_outputs(ImagePool(pool_size=3, seed=7), batches)
    compiled = pool_outputs(ImagePool(pool_size=3, seed=7), batches, compiled=True)
    for a, b, c in zip(eager, again, compiled):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_image_pool_of_size_zero_is_the_identity_and_config_round_trips():
    batch = constant_batches(1)[0]
    np.testing.assert_array_equal(ImagePool(pool_size=0)(batch).numpy(), batch)
    pool = ImagePool(pool_size=4, seed=3)
    assert ImagePool.from_config(pool.get_config()).get_config() == pool.get_config()
