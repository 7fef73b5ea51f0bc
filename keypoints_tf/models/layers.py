"""Small building blocks shared by the KeypointGAN networks.

Every convolution pads symmetrically by ``(k - 1) // 2`` with an explicit `ZeroPadding2D` and then runs
``"valid"``, like the PyTorch reference (method.md section 8): Keras' ``padding="same"`` pads a stride-2
convolution on the bottom/right only. Note that neither is exactly centred: a 3x3 stride-2 convolution
with padding 1 centres output pixel ``i`` on input pixel ``2 i`` (PyTorch and here), ``"same"`` on
``2 i + 1``, while the output pixel's area is centred at ``2 i + 0.5``. Each stride-2 layer therefore
shifts the receptive field by half an input pixel (up/left here); the networks learn to absorb this
constant offset, and the heatmap grid stays `keypoints_tf.skeleton.pixel_centers`.

Initialisation follows the reference: convolution kernels N(0, 0.02), biases zero, BatchNorm gamma
N(1, 0.02). The blocks follow the global dtype policy (``mixed_bfloat16`` works); callers that need
float32 outputs (heatmap logits, images) make their last layer with ``dtype="float32"``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

NORMS = ("batch", "instance", "none")
ACTIVATIONS = ("relu", "leaky_relu", None)


def conv_kernel_initializer():
    """N(0, 0.02), the reference's convolution init (a fresh instance per layer)."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def normalization(norm: str, name: str | None = None):
    """The normalisation layer named by `norm`, or None for ``"none"``.

    ``"batch"``: BatchNormalization(momentum=0.9, epsilon=1e-5) (PyTorch momentum 0.1), gamma N(1, 0.02),
    synchronized across replicas under a `tf.distribute` strategy, so that N replicas of B / N examples
    normalise like one replica of B (a no-op on one device).
    ``"instance"``: `InstanceNormalization` (no affine parameters).
    """
    if norm == "batch":
        return BatchNormalization(
            momentum=0.9, epsilon=1e-5, synchronized=True,
            gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02), name=name)
    if norm == "instance":
        return InstanceNormalization(epsilon=1e-5, name=name)
    if norm == "none":
        return None
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


@keras.saving.register_keras_serializable(package="keypoints_tf")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' BatchNormalization, computed by TensorFlow's fused kernel where the result is the same.

    Keras 3 normalises with separate ops in float32 (a cast, two reductions, several element-wise passes and
    their gradients); the fused kernel (`tf.compat.v1.nn.fused_batch_norm`, oneDNN on CPU) does it in one pass
    each way and takes bfloat16 as it is: Phi's forward + backward at 128 px, batch 16, one AMX core, took
    0.53x the time in bfloat16 and 0.82x in float32, outputs equal to 1e-4 in float32. Used for rank-4
    channels-last inputs on one replica; with several replicas (`synchronized` statistics across them),
    a mask, or another layout, Keras' own path runs. Variables and config are Keras', so checkpoints and
    saved models are unchanged. The moving variance is updated with the batch's biased variance, as Keras does.
    """

    def call(self, inputs, training=None, mask=None):
        if (mask is not None or self.renorm or len(inputs.shape) != 4 or self.axis not in (-1, 3)
                or (self.synchronized and tf.distribute.get_strategy().num_replicas_in_sync > 1)):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        gamma = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones([channels], tf.float32)
        beta = tf.cast(self.beta, tf.float32) if self.center else tf.zeros([channels], tf.float32)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True)
            count = tf.cast(tf.size(inputs) // channels, tf.float32)
            variance = variance * (count - 1.0) / tf.maximum(count, 1.0)  # the kernel's is Bessel-corrected
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs, gamma, beta, mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32), epsilon=self.epsilon, data_format="NHWC",
                is_training=False)
        return tf.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="keypoints_tf")
class InstanceNormalization(keras.layers.Layer):
    """Per-image, per-channel normalisation over H and W, without affine parameters (the reference's
    InstanceNorm): ``(x - mean) / sqrt(variance + epsilon)``.

    The arithmetic of ``keras.layers.GroupNormalization(groups=-1, center=False, scale=False)`` (statistics in
    float32, ``x * inv - mean * inv``), but on the rank-4 tensor: GroupNormalization reshapes to rank 5,
    which the LiteRT GPU delegate does not take, so with this layer the trained network exports as it is
    (MEAN, SQUARED_DIFFERENCE, RSQRT, MUL, SUB). It has no variables, like the layer it replaces, so
    checkpoints are unchanged.

    Call: (B, H, W, C) -> (B, H, W, C) in the layer's compute dtype. In training the same statistics come from
    TensorFlow's fused batch-norm kernel on the (1, H, W, B * C) transpose (each image's channel is its own
    "batch" channel): eta's forward + backward at 128 px, batch 16, one AMX core, took 0.64x the time in
    bfloat16, outputs equal to 5e-7 in float32. Inference (and so export) keeps the plain ops above.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, features, training=None):
        if training:
            return self._fused(features)
        x = tf.cast(features, tf.float32)
        mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)   # (B, 1, 1, C)
        inverse = tf.math.rsqrt(variance + self.epsilon)
        return tf.cast(x * inverse - mean * inverse, self.compute_dtype)

    def _fused(self, features):
        shape = tf.shape(features)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        stacked = tf.reshape(tf.transpose(features, [1, 2, 0, 3]), [1, height, width, batch * channels])
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            stacked, tf.ones([batch * channels]), tf.zeros([batch * channels]), epsilon=self.epsilon,
            data_format="NHWC", is_training=True)
        outputs = tf.transpose(tf.reshape(outputs, [height, width, batch, channels]), [2, 0, 1, 3])
        return tf.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def conv(filters: int, kernel_size: int, strides: int = 1, use_bias: bool = True, dtype=None,
         name: str | None = None):
    """A bare convolution with symmetric padding ``(k - 1) // 2``: ZeroPadding2D + Conv2D("valid").

    Returns a `keras.Sequential`. `dtype` overrides the global policy (e.g. ``"float32"`` for a last
    layer whose output must stay float32 under mixed precision).
    """
    padding = (kernel_size - 1) // 2
    layers = []
    if padding > 0:
        layers.append(keras.layers.ZeroPadding2D(padding, dtype=dtype))
    layers.append(keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias,
        kernel_initializer=conv_kernel_initializer(), bias_initializer="zeros", dtype=dtype))
    return keras.Sequential(layers, name=name)


def conv_block(filters: int, kernel_size: int = 3, strides: int = 1, norm: str = "batch",
               activation: str | None = "relu", name: str | None = None):
    """conv(k, s, c) of method.md: symmetric-padded convolution, then `norm`, then `activation`.

    Args:
        filters: output channels.
        kernel_size: square kernel size; padding is ``(kernel_size - 1) // 2`` on every side (1 for 4x4,
            like PyTorch's ``padding=1``).
        strides: 1 or 2.
        norm: ``"batch"``, ``"instance"`` or ``"none"``. The convolution has a bias only with ``"none"``
            (a following normalisation would cancel it).
        activation: ``"relu"``, ``"leaky_relu"`` (slope 0.2) or None (linear).

    Returns:
        A `keras.Sequential`: ``(B, H, W, C) -> (B, H', W', filters)`` with
        ``H' = (H + 2 p - k) // s + 1``.

    Example:
        >>> block = conv_block(32, kernel_size=3, strides=2, norm="batch")
        >>> block(keras.ops.zeros((2, 32, 32, 3))).shape
        TensorShape([2, 16, 16, 32])
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    block = conv(filters, kernel_size, strides, use_bias=(norm == "none"), name=name)
    norm_layer = normalization(norm)
    if norm_layer is not None:
        block.add(norm_layer)
    if activation == "relu":
        block.add(keras.layers.ReLU())
    elif activation == "leaky_relu":
        block.add(keras.layers.LeakyReLU(negative_slope=0.2))
    return block


def upsample(name: str | None = None):
    """Bilinear x2 with half-pixel centres (PyTorch ``align_corners=False``)."""
    return keras.layers.UpSampling2D(size=2, interpolation="bilinear", name=name)


def encoder_blocks(base_width: int, num_downsamples: int, norm: str, prefix: str):
    """The encoder pattern of eta (and Psi's two encoders) as a list of blocks.

    conv7 w0, conv3 w0, then per downsampling ``l = 1..n``: [conv3 s2 w_l, conv3 w_l], with
    ``w_l = base_width * 2 ** l``. ``(B, S, S, C) -> (B, S / 2**n, S / 2**n, base_width * 2**n)``.
    """
    blocks = [conv_block(base_width, 7, norm=norm, name=f"{prefix}_conv0a"),
              conv_block(base_width, 3, norm=norm, name=f"{prefix}_conv0b")]
    for level in range(1, num_downsamples + 1):
        width = base_width * 2 ** level
        blocks.append(conv_block(width, 3, strides=2, norm=norm, name=f"{prefix}_conv{level}a"))
        blocks.append(conv_block(width, 3, norm=norm, name=f"{prefix}_conv{level}b"))
    return blocks


def check_image_size(shape, num_downsamples: int, owner: str):
    """Raises ValueError unless the static (H, W) of `shape` (B, H, W, C) are divisible by 2**n."""
    factor = 2 ** num_downsamples
    height, width = shape[1], shape[2]
    for size in (height, width):
        if size is not None and size % factor:
            raise ValueError(f"{owner}: image height and width must be multiples of 2**num_downsamples = "
                             f"{factor}, got input shape {tuple(shape)}")
