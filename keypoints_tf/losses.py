"""Per-example losses of KeypointGAN. Each function returns shape (B,) float32.

The caller reduces with ``tf.nn.compute_average_loss(per_example, global_batch_size=...)`` so that the
losses are correct under a distribution strategy (style.md point 8). Weights such as the 10 on the
adversarial and perceptual terms (method.md section 4) are applied by the caller.

* `least_squares_real` / `least_squares_fake`: LSGAN terms on D's multi-scale logit maps.
* `keypoint_mse`, `image_mse`: plain mean squared errors.
* `PerceptualLoss`: VGG-19 features with running-mean normalisation (the reference's reconstruction loss).
* `multiscale_pixel_ssim_loss`: a reconstruction loss that needs no ImageNet weights.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from keypoints_tf.errors import ModelFileError

VGG19_NOTOP_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
PERCEPTUAL_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv2", "block4_conv2", "block5_conv2")
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)  # keras.applications 'caffe' preprocessing


def _mean_per_example(values):
    """(B, ...) -> (B,) float32 mean over every axis but the first."""
    values = tf.cast(values, tf.float32)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


# === Adversarial (least squares) ===
def _least_squares(logit_maps, target: float):
    """mean over scales of the per-example mean of (D - target)^2: (B,) float32."""
    maps = list(logit_maps) if isinstance(logit_maps, (list, tuple)) else [logit_maps]
    return tf.add_n([_mean_per_example(tf.square(tf.cast(m, tf.float32) - target)) for m in maps]) / len(maps)


def least_squares_real(logit_maps):
    """mean over scales and positions of (D - 1)^2: D's target for real inputs, G's for its fakes.

    Args:
        logit_maps: a list of (B, h_s, w_s, 1) logit maps (or one such tensor).

    Returns:
        (B,) float32.
    """
    return _least_squares(logit_maps, 1.0)


def least_squares_fake(logit_maps):
    """mean over scales and positions of D^2: D's target for fake inputs. Same shapes as `least_squares_real`."""
    return _least_squares(logit_maps, 0.0)


# === Regression ===
def keypoint_mse(predicted, target, visible=None):
    """Mean squared error between keypoints, over keypoints and both coordinates.

    Args:
        predicted: (B, K, 2) xy in [-1, 1].
        target: (B, K, 2) xy in [-1, 1].
        visible: optional (B, K) bool or float weights; the mean is then over visible keypoints only
            (an example with none visible gives 0).

    Returns:
        (B,) float32.
    """
    squared = tf.reduce_mean(tf.square(tf.cast(predicted, tf.float32) - tf.cast(target, tf.float32)),
                             axis=-1)                                  # (B, K)
    if visible is None:
        return tf.reduce_mean(squared, axis=-1)
    weights = tf.cast(visible, tf.float32)                             # (B, K)
    return tf.math.divide_no_nan(tf.reduce_sum(weights * squared, axis=-1), tf.reduce_sum(weights, axis=-1))


def image_mse(predicted, target):
    """(B, H, W, C) x 2 -> (B,) float32 mean squared error over pixels and channels."""
    return _mean_per_example(tf.square(tf.cast(predicted, tf.float32) - tf.cast(target, tf.float32)))


# === Reconstruction without ImageNet weights ===
def multiscale_pixel_ssim_loss(reconstructed, target, weights=None, num_scales: int = 3):
    """Weighted multi-scale L1 plus (1 - SSIM), per example.

    With images x_s, y_s and weights w_s average-pooled 2 x 2 (s - 1) times, C channels::

        L = (1 / num_scales) sum_s [ sum_p w_s(p) |x_s(p) - y_s(p)|_1 / (C sum_p w_s(p)) ]
            + 1 - SSIM(x, y)

    SSIM is `tf.image.ssim` at full resolution on the images mapped to [0, 1] (max_val 1, window
    ``min(11, S)``) and is not weighted. Without `weights` the L1 terms are plain means.

    Args:
        reconstructed: (B, S, S, C) images in [-1, 1].
        target: (B, S, S, C) images in [-1, 1].
        weights: optional (B, S, S, 1) non-negative per-pixel weights (e.g. a foreground mask plus a floor).
        num_scales: number of L1 scales (3).

    Returns:
        (B,) float32.
    """
    reconstructed = tf.cast(reconstructed, tf.float32)
    target = tf.cast(target, tf.float32)
    if weights is None:
        weights = tf.ones_like(target[..., :1])
    weights = tf.cast(weights, tf.float32)                             # (B, S, S, 1)
    channels = float(target.shape[-1])
    l1_terms = []
    x, y, w = reconstructed, target, weights
    for scale in range(num_scales):
        if scale > 0:
            x, y, w = (tf.nn.avg_pool2d(t, 2, 2, "VALID") for t in (x, y, w))
        weighted = tf.reduce_sum(w * tf.abs(x - y), axis=[1, 2, 3])    # (B,)
        l1_terms.append(tf.math.divide_no_nan(weighted, channels * tf.reduce_sum(w, axis=[1, 2, 3])))
    size = int(target.shape[1])
    ssim = tf.image.ssim((reconstructed + 1.0) / 2.0, (target + 1.0) / 2.0, max_val=1.0,
                         filter_size=min(11, size))                    # (B,)
    return tf.add_n(l1_terms) / num_scales + (1.0 - ssim)


# === Perceptual ===
def vgg19_weights_candidates():
    """Where Keras caches the VGG-19 no-top ImageNet weights: $KERAS_HOME (or ~/.keras), then /tmp/.keras."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return [os.path.join(keras_home, "models", VGG19_NOTOP_FILE),
            os.path.join("/tmp", ".keras", "models", VGG19_NOTOP_FILE)]


def load_vgg19_weights(model, path: str | None = None) -> bool:
    """Loads ImageNet weights into `model`, a ``keras.applications.VGG19(include_top=False)``; never downloads.

    Args:
        model: the full no-top VGG-19 (the weights file covers all its layers).
        path: an explicit weights file (Keras' legacy ``.h5``, or ``.weights.h5``). If given it must exist.
            If None, the Keras cache is tried (`vgg19_weights_candidates`).

    Returns:
        True if weights were loaded, False if `path` is None and no cached file exists (the caller logs
        that the perceptual loss runs on random features).

    Raises:
        ModelFileError: `path` is given but missing, or a file does not fit the model.
    """
    if path is not None:
        if not os.path.isfile(path):
            raise ModelFileError(
                f"VGG-19 weights file {path!r} does not exist (expected Keras' {VGG19_NOTOP_FILE})")
        candidates = [path]
    else:
        candidates = [p for p in vgg19_weights_candidates() if os.path.isfile(p)]
    if not candidates:
        return False
    try:
        model.load_weights(candidates[0])
    except (ValueError, OSError, KeyError) as e:
        raise ModelFileError(f"{candidates[0]}: not VGG-19 no-top weights for this model: {e}") from e
    return True


def vgg19_feature_extractor(vgg):
    """A model from (B, H, W, 3) 'caffe'-preprocessed images to the five conv*_2 feature maps of `vgg`."""
    return keras.Model(vgg.input, [vgg.get_layer(name).output for name in PERCEPTUAL_LAYERS],
                       name="vgg19_features")


def vgg19_preprocess(images):
    """(B, H, W, 3) RGB in [-1, 1] -> BGR in [0, 255] minus the ImageNet mean (Keras 'caffe' mode)."""
    pixels = (tf.cast(images, tf.float32) + 1.0) * 127.5
    return pixels[..., ::-1] - tf.constant(IMAGENET_MEAN_BGR, tf.float32)


class PerceptualLoss(keras.layers.Layer):
    """VGG-19 perceptual loss with per-level running-mean normalisation (method.md section 4).

    Six levels: the preprocessed input pixels and conv1_2, conv2_2, conv3_2, conv4_2, conv5_2 (after
    ReLU, the standard Keras VGG-19). Per level l and example b, ``e_l(b)`` = mean squared feature error.
    When training, each level's running mean is updated first with the batch mean ``m_l`` (averaged over
    replicas under a distribution strategy, so every replica uses the same normaliser)::

        r_l <- m_l                       (first update)
        r_l <- 0.99 r_l + 0.01 m_l       (afterwards)

    and the loss is ``mean_l e_l(b) / r_l`` (r_l without gradient). Outside training the running means
    are used as they are (the batch means if never updated). VGG's weights are frozen.

    The running means and their update count are variables of the layer (`checkpoint_objects`), so that a
    resumed run goes on with the same normalisers: without the count, its first step would take one batch's
    means as the running means.

    Args:
        weights_path: an ImageNet weights file for `load_vgg19_weights`; None tries the Keras cache.
        momentum: the running mean's decay (0.99).
        features: a Keras model from preprocessed images to a list of feature maps, used instead of VGG-19
            (tests use a small one); None: VGG-19's five conv*_2 maps.
        **kwargs: forwarded to `keras.layers.Layer`; the dtype defaults to float32 (VGG itself follows
            the global policy).

    Attributes:
        pretrained: whether ImageNet weights were loaded (False: random VGG features; log it).

    Call:
        reconstructed: (B, S, S, 3) images in [-1, 1].
        target: (B, S, S, 3) images in [-1, 1].
        training: update the running means.
        Returns (B,) float32.

    Example:
        >>> perceptual = PerceptualLoss()
        >>> if not perceptual.pretrained: logging.warning("no VGG-19 ImageNet weights: random features")
        >>> per_example = perceptual(x_rec, x, training=True)  # (B,)
    """

    def __init__(self, weights_path: str | None = None, momentum: float = 0.99, features=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        # === Config ===
        self.weights_path = weights_path
        self.momentum = float(momentum)

        # === Layers ===
        self.pretrained = False
        if features is None:
            vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
            self.pretrained = load_vgg19_weights(vgg, weights_path)
            features = vgg19_feature_extractor(vgg)
        self.features = features
        self.features.trainable = False

        # === State ===
        num_levels = len(self.features.outputs) + 1
        self.running_means = self.add_weight(shape=(num_levels,), initializer="zeros", trainable=False,
                                             name="running_means")     # (6,) with VGG-19
        self.num_updates = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                           name="num_updates")

    def call(self, reconstructed, target, training=False):
        # Two passes rather than one on the concatenated batch: back-propagation then runs through VGG for the
        # reconstruction only (the target is data; the joint pass paid the backward pass for it too).
        reconstructed, target = vgg19_preprocess(reconstructed), vgg19_preprocess(target)  # (B, S, S, 3)
        errors = [image_mse(reconstructed, target)]                               # input pixels: (B,)
        for ours, theirs in zip(self.features(reconstructed), self.features(target)):  # (B, h, w, c) per level
            errors.append(image_mse(ours, theirs))
        errors = tf.stack(errors, axis=1)                              # (B, 6) per-level MSE
        batch_means = tf.reduce_mean(errors, axis=0)                   # (6,)
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            batch_means = context.all_reduce("MEAN", batch_means)
        batch_means = tf.stop_gradient(batch_means)
        first = tf.equal(tf.convert_to_tensor(self.num_updates), 0)
        if training:
            running_means = tf.convert_to_tensor(self.running_means)
            updated = self.momentum * running_means + (1.0 - self.momentum) * batch_means
            normalisers = tf.where(first, batch_means, updated)
            self.running_means.assign(normalisers)
            self.num_updates.assign_add(1)
        else:
            normalisers = tf.where(first, batch_means, self.running_means)
        normalisers = tf.maximum(tf.stop_gradient(normalisers), 1e-8)
        return tf.reduce_mean(errors / normalisers, axis=1)           # (B,)

    def checkpoint_objects(self) -> dict:
        """The state a checkpoint must hold (the names older checkpoints used for the running means)."""
        return {"perceptual_running_means": self.running_means, "perceptual_num_updates": self.num_updates}

    def get_config(self):
        config = super().get_config()
        config.update({"weights_path": self.weights_path, "momentum": self.momentum})
        return config
