"""Phi: image -> 1-channel skeleton image (a U-Net)."""

from __future__ import annotations

import keras

from keypoints_tf.models import layers


class ImageToSkeleton(keras.Model):
    """Phi of KeypointGAN: a U-Net from an RGB image to an unbounded 1-channel "skeleton image".

    Reference (method.md section 3, ``base_width=32``, ``num_downsamples=3``, 128 px), ``w_l = 32 * 2**l``:

    * encoder: [conv7 w0, conv3 w0] @S; per level l = 1..n: [conv3 s2 w_l, conv3 w_l] @S/2**l;
      at the bottom also a linear 1x1 conv w_n (bias, no norm, no activation);
    * decoder: two conv3 w_n, bilinear x2; per level l = n-1..0: concat the level-l encoder output,
      1x1 conv to w_l, two conv3 w_l, bilinear x2 (except at the top);
    * last conv3 -> 1 channel with bias, no activation, float32 under any dtype policy.

    Args:
        base_width: width of the top level (32 in the reference).
        num_downsamples: number of stride-2 stages n (3 in the reference).
        norm: ``"batch"`` (reference), ``"instance"`` or ``"none"``.
        **kwargs: forwarded to `keras.Model`.

    Call:
        images: (B, S, S, 3) images in [-1, 1], S a multiple of ``2**num_downsamples``.
        Returns (B, S, S, 1) float32 skeleton images, unbounded.

    Example:
        >>> phi = ImageToSkeleton(base_width=8)
        >>> phi(keras.ops.zeros((2, 32, 32, 3))).shape
        TensorShape([2, 32, 32, 1])
    """

    def __init__(self, base_width: int = 32, num_downsamples: int = 3, norm: str = "batch", **kwargs):
        super().__init__(**kwargs)
        # === Config ===
        self.base_width = int(base_width)
        self.num_downsamples = int(num_downsamples)
        self.norm = norm

        # === Layers ===
        n, widths = self.num_downsamples, [self.base_width * 2 ** level for level in range(num_downsamples + 1)]
        self.encoder_levels = []  # one list of blocks per level 0..n
        for level, width in enumerate(widths):
            first = (layers.conv_block(width, 7, norm=norm, name="encoder0a") if level == 0 else
                     layers.conv_block(width, 3, strides=2, norm=norm, name=f"encoder{level}a"))
            blocks = [first, layers.conv_block(width, 3, norm=norm, name=f"encoder{level}b")]
            if level == n:
                blocks.append(layers.conv(width, 1, name=f"encoder{level}_linear"))
            self.encoder_levels.append(blocks)
        self.bottom = [layers.conv_block(widths[n], 3, norm=norm, name=f"decoder{n}a"),
                       layers.conv_block(widths[n], 3, norm=norm, name=f"decoder{n}b")]
        self.decoder_levels = []  # levels n-1 .. 0: [1x1 merge, conv3, conv3]
        for level in reversed(range(n)):
            self.decoder_levels.append([
                layers.conv_block(widths[level], 1, norm=norm, name=f"decoder{level}_merge"),
                layers.conv_block(widths[level], 3, norm=norm, name=f"decoder{level}a"),
                layers.conv_block(widths[level], 3, norm=norm, name=f"decoder{level}b")])
        self.upsample = layers.upsample()
        self.concatenate = keras.layers.Concatenate(axis=-1)
        self.output_conv = layers.conv(1, 3, dtype="float32", name="output_conv")

    def call(self, images, training=None):
        layers.check_image_size(images.shape, self.num_downsamples, type(self).__name__)
        features, skips = images, []                                   # (B, S, S, 3) in [-1, 1]
        for blocks in self.encoder_levels:
            for block in blocks:
                features = block(features, training=training)
            skips.append(features)                                     # level l: (B, S/2**l, S/2**l, w_l)
        for block in self.bottom:
            features = block(features, training=training)              # (B, S/2**n, S/2**n, w_n)
        for level, blocks in zip(reversed(range(self.num_downsamples)), self.decoder_levels):
            features = self.upsample(features)                         # (B, S/2**level, ..., w_{level+1})
            features = self.concatenate([features, skips[level]])
            for block in blocks:
                features = block(features, training=training)          # (B, S/2**level, ..., w_level)
        return self.output_conv(features)                              # (B, S, S, 1) float32, unbounded

    def get_config(self):
        config = super().get_config()
        config.update({"base_width": self.base_width, "num_downsamples": self.num_downsamples,
                       "norm": self.norm})
        return config
