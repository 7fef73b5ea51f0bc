"""Psi: (skeleton image, appearance frame) -> reconstructed image."""

from __future__ import annotations

import keras

from keypoints_tf.models import layers

APPEARANCE_POOLINGS = ("spatial", "global")


class ImageGenerator(keras.Model):
    """Psi of KeypointGAN: draws the target frame from its rendered skeleton and another frame.

    Reference (method.md section 3, ``base_width=32``, ``num_downsamples=3``): two encoders with eta's
    layer pattern and BatchNorm, one on the skeleton image (1 channel) and one on the appearance frame
    (3 channels), each to ``8 w`` channels at S / 8; concatenated (``16 w``); decoder: two conv3 per scale
    with widths 8w, 4w, 2w, w and bilinear x2 between; last conv3 -> 3 with bias, no activation, float32.

    Args:
        base_width: w (32 in the reference).
        num_downsamples: stride-2 stages n in each encoder (3 in the reference).
        norm: ``"batch"`` (reference), ``"instance"`` or ``"none"``.
        appearance_pooling: ``"spatial"`` (reference: the appearance features keep their layout) or
            ``"global"`` (their global average is broadcast over the grid, so the appearance frame can
            pass colours and textures but no layout; method.md section 9).
        skeleton_skips: also feed the skeleton encoder's features to the decoder at every scale
            (U-Net skips), so Psi can draw along the rendered lines without decoding them from S / 8.
        appearance_skips: also feed the appearance frame's globally pooled features (a per-image vector:
            colours and textures, no layout), projected to each scale's width, to the decoder at every scale,
            so the colours of x' reach every layer that draws (without it Psi learns to draw a grey figure).
        **kwargs: forwarded to `keras.Model`.

    Call:
        skeleton_images: (B, S, S, 1) rendered skeletons in [-1, 1].
        appearance_images: (B, S, S, 3) another frame of the same video, in [-1, 1].
        Returns (B, S, S, 3) float32 images (unbounded; trained towards [-1, 1]).

    Example:
        >>> psi = ImageGenerator(base_width=8, appearance_pooling="global")
        >>> psi(keras.ops.zeros((2, 32, 32, 1)), keras.ops.zeros((2, 32, 32, 3))).shape
        TensorShape([2, 32, 32, 3])
    """

    def __init__(self, base_width: int = 32, num_downsamples: int = 3, norm: str = "batch",
                 appearance_pooling: str = "spatial", skeleton_skips: bool = False, appearance_skips: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if appearance_pooling not in APPEARANCE_POOLINGS:
            raise ValueError(
                f"appearance_pooling must be one of {APPEARANCE_POOLINGS}, got {appearance_pooling!r}")
        # === Config ===
        self.base_width = int(base_width)
        self.num_downsamples = int(num_downsamples)
        self.norm = norm
        self.appearance_pooling = appearance_pooling
        self.skeleton_skips = bool(skeleton_skips)
        self.appearance_skips = bool(appearance_skips)

        # === Layers ===
        self.skeleton_encoder = layers.encoder_blocks(self.base_width, self.num_downsamples, norm, "skeleton")
        self.appearance_encoder = layers.encoder_blocks(self.base_width, self.num_downsamples, norm, "appearance")
        self.concatenate = keras.layers.Concatenate(axis=-1)
        self.decoder_levels = []  # levels n .. 0, two conv3 each
        for level in reversed(range(self.num_downsamples + 1)):
            width = self.base_width * 2 ** level
            self.decoder_levels.append([layers.conv_block(width, 3, norm=norm, name=f"decoder{level}a"),
                                        layers.conv_block(width, 3, norm=norm, name=f"decoder{level}b")])
        self.upsample = layers.upsample()
        self.appearance_projections = [  # levels n-1 .. 0 (after each upsampling)
            keras.layers.Dense(self.base_width * 2 ** level, name=f"appearance_projection{level}")
            for level in reversed(range(self.num_downsamples))] if self.appearance_skips else []
        self.output_conv = layers.conv(3, 3, dtype="float32", name="output_conv")

    def build(self, skeleton_images_shape, appearance_images_shape):
        # A symbolic call builds every sublayer (Keras cannot do it alone for a two-input call,
        # e.g. when loading a .keras file).
        self.call(keras.KerasTensor(skeleton_images_shape), keras.KerasTensor(appearance_images_shape))

    def call(self, skeleton_images, appearance_images, training=None):
        layers.check_image_size(skeleton_images.shape, self.num_downsamples, type(self).__name__)
        skeleton_features = skeleton_images                            # (B, S, S, 1)
        skips = []  # skeleton features at S / 2**level, level 0..n
        for index, block in enumerate(self.skeleton_encoder):
            skeleton_features = block(skeleton_features, training=training)  # -> (B, h, h, 8w), h = S/2**n
            if index % 2 == 1:
                skips.append(skeleton_features)
        appearance_features = appearance_images                        # (B, S, S, 3)
        for block in self.appearance_encoder:
            appearance_features = block(appearance_features, training=training)  # -> (B, h, h, 8w)
        pooled = keras.ops.mean(appearance_features, axis=(1, 2), keepdims=True)  # (B, 1, 1, 8w)
        if self.appearance_pooling == "global":
            appearance_features = keras.ops.zeros_like(appearance_features) + pooled  # (B, h, h, 8w), no layout
        features = self.concatenate([skeleton_features, appearance_features])  # (B, h, h, 16w)
        for index, blocks in enumerate(self.decoder_levels):
            if index > 0:
                features = self.upsample(features)
                if self.skeleton_skips:  # U-Net-style: the skeleton's layout at this scale
                    features = keras.ops.concatenate([features, skips[self.num_downsamples - index]], axis=-1)
                if self.appearance_skips:  # the appearance vector, broadcast over this scale
                    style = self.appearance_projections[index - 1](pooled)          # (B, 1, 1, w_level)
                    features = keras.ops.concatenate(
                        [features, keras.ops.zeros_like(features[..., :1]) + style], axis=-1)
            for block in blocks:
                features = block(features, training=training)          # (B, S/2**level, ..., w_level)
        return self.output_conv(features)                              # (B, S, S, 3) float32

    def get_config(self):
        config = super().get_config()
        config.update({"base_width": self.base_width, "num_downsamples": self.num_downsamples,
                       "norm": self.norm, "appearance_pooling": self.appearance_pooling,
                       "skeleton_skips": self.skeleton_skips, "appearance_skips": self.appearance_skips})
        return config
