"""D: multi-scale least-squares PatchGAN discriminator on skeleton images."""

from __future__ import annotations

import math

import keras

from keypoints_tf.models import layers

MAX_PATCH_DOWNSAMPLES = 3
MIN_PATCH_GRID = 4  # the grid entering the two stride-1 4x4 convolutions (-> 3 -> 2 logits per side)


class SkeletonDiscriminator(keras.Model):
    """D of KeypointGAN: ``num_scales`` independent PatchGANs, least squares (no sigmoid).

    Scale s sees the input resized to ``S / 2**s`` by s successive bilinear halvings (each averages
    2 x 2 pixels, so thin lines are not skipped as by a single bilinear /4 without antialiasing). Each
    PatchGAN (reference ``base_width=64``, method.md section 3): Conv4 s2 w + LeakyReLU 0.2 (no norm);
    Conv4 s2 2w, Conv4 s2 4w, Conv4 s1 8w each + InstanceNorm + LeakyReLU 0.2; Conv4 s1 -> 1 with bias.
    Every 4x4 conv pads 1 on each side (PyTorch ``padding=1``), so at 128 px the logit maps are 14, 6
    and 2 pixels wide.

    Small inputs: a PatchGAN keeps ``min(3, floor(log2(size / 4)))`` of its stride-2 convolutions
    (dropping the 4w one first, then the 2w one), so that a grid of at least 4 x 4 reaches the two
    stride-1 convolutions and every logit map is at least 2 x 2. The reference's 128, 64, 32 px scales
    keep all three. Each scale needs at least 8 px. The layers are made in `build`: they depend on the
    input size.

    Args:
        num_scales: number of PatchGANs (3 in the reference).
        base_width: w (64 in the reference).
        **kwargs: forwarded to `keras.Model`.

    Call:
        skeleton_images: (B, S, S, 1) skeleton images (real renderings or Phi's output).
        Returns a list of ``num_scales`` float32 logit maps (B, h_s, w_s, 1), finest first.

    Example:
        >>> discriminator = SkeletonDiscriminator(base_width=8)
        >>> [logits.shape for logits in discriminator(keras.ops.zeros((2, 32, 32, 1)))]
        [TensorShape([2, 2, 2, 1]), TensorShape([2, 2, 2, 1]), TensorShape([2, 2, 2, 1])]
    """

    def __init__(self, num_scales: int = 3, base_width: int = 64, **kwargs):
        super().__init__(**kwargs)
        if num_scales < 1:
            raise ValueError(f"num_scales must be at least 1, got {num_scales}")
        # === Config ===
        self.num_scales = int(num_scales)
        self.base_width = int(base_width)

        # === Layers === (made in build: they depend on the input size)
        self.patch_discriminators = []

    def build(self, input_shape):
        size = input_shape[1]
        if size is None or input_shape[2] != size:
            raise ValueError(f"{type(self).__name__}: expected square (B, S, S, 1) inputs with a static S, "
                             f"got {tuple(input_shape)}")
        self.scale_sizes = [size // 2 ** scale for scale in range(self.num_scales)]
        for scale, scale_size in enumerate(self.scale_sizes):
            if scale_size < 2 * MIN_PATCH_GRID:
                raise ValueError(f"{type(self).__name__}: scale {scale} would see {scale_size} px; each of "
                                 f"the {self.num_scales} scales needs at least {2 * MIN_PATCH_GRID} px "
                                 f"(input {size} px)")
            num_downsamples = min(MAX_PATCH_DOWNSAMPLES, int(math.log2(scale_size / MIN_PATCH_GRID)))
            patch_discriminator = self._patch_discriminator(num_downsamples, f"patch{scale}")
            patch_discriminator.build((input_shape[0], scale_size, scale_size, input_shape[3]))
            self.patch_discriminators.append(patch_discriminator)
        super().build(input_shape)

    def _patch_discriminator(self, num_downsamples, name):
        width = self.base_width
        strided_widths = [width] + [2 * width, 4 * width][:num_downsamples - 1]
        blocks = [layers.conv_block(strided_widths[0], 4, strides=2, norm="none", activation="leaky_relu",
                                    name=f"{name}_conv0")]
        for index, filters in enumerate(strided_widths[1:], start=1):
            blocks.append(layers.conv_block(filters, 4, strides=2, norm="instance", activation="leaky_relu",
                                            name=f"{name}_conv{index}"))
        blocks.append(layers.conv_block(8 * width, 4, strides=1, norm="instance", activation="leaky_relu",
                                        name=f"{name}_conv{len(blocks)}"))
        blocks.append(layers.conv(1, 4, dtype="float32", name=f"{name}_logits"))
        return keras.Sequential(blocks, name=name)

    def call(self, skeleton_images, training=None):
        logit_maps = []
        resized = skeleton_images                                      # (B, S, S, 1)
        for scale_size, patch_discriminator in zip(self.scale_sizes, self.patch_discriminators):
            if scale_size != resized.shape[1]:
                resized = keras.ops.image.resize(resized, (scale_size, scale_size),
                                                 interpolation="bilinear")  # (B, S/2**s, S/2**s, 1)
            logit_maps.append(patch_discriminator(resized, training=training))  # (B, h_s, w_s, 1) float32
        return logit_maps

    def get_config(self):
        config = super().get_config()
        config.update({"num_scales": self.num_scales, "base_width": self.base_width})
        return config
