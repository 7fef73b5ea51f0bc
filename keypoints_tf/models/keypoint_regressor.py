"""eta: skeleton image -> heatmaps -> keypoints (marginal soft-argmax)."""

from __future__ import annotations

import keras

from keypoints_tf.models import layers
from keypoints_tf.models.soft_argmax import heatmap_confidence, marginal_soft_argmax


class KeypointRegressor(keras.Model):
    """eta of KeypointGAN: reads keypoints off a 1-channel skeleton image.

    Layers (method.md section 3, reference ``base_width=32``, ``num_downsamples=3``): conv7 w, conv3 w,
    then per downsampling [conv3 s2 2w, conv3 2w], [s2 4w, 4w], [s2 8w, 8w], then a 1x1 convolution to K
    heatmaps at S / 8; InstanceNorm without affine. The heatmap convolution and the soft-argmax run in
    float32 under any dtype policy.

    Args:
        num_keypoints: K.
        base_width: width of the first layers (32 in the reference); level l has ``base_width * 2**l``.
        num_downsamples: stride-2 stages n; heatmaps are ``S / 2**n`` pixels wide.
        norm: ``"instance"`` (reference), ``"batch"`` or ``"none"``.
        **kwargs: forwarded to `keras.Model` (name, dtype, ...).

    Call:
        skeleton_images: (B, S, S, 1) skeleton images (S a multiple of ``2**num_downsamples``).
        Returns ``{"keypoints": (B, K, 2) float32 xy in [-1, 1], "heatmaps": (B, h, h, K) float32 logits}``.

    Example:
        >>> regressor = KeypointRegressor(num_keypoints=17, base_width=8)
        >>> outputs = regressor(keras.ops.zeros((2, 32, 32, 1)))
        >>> outputs["keypoints"].shape, outputs["heatmaps"].shape
        (TensorShape([2, 17, 2]), TensorShape([2, 4, 4, 17]))
        >>> confidence = regressor.confidence(outputs["heatmaps"])  # (2, 17) in [0, 1]
    """

    def __init__(self, num_keypoints: int, base_width: int = 32, num_downsamples: int = 3,
                 norm: str = "instance", **kwargs):
        super().__init__(**kwargs)
        # === Config ===
        self.num_keypoints = int(num_keypoints)
        self.base_width = int(base_width)
        self.num_downsamples = int(num_downsamples)
        self.norm = norm

        # === Layers ===
        self.encoder = layers.encoder_blocks(self.base_width, self.num_downsamples, norm, prefix="encoder")
        self.heatmap_head = layers.conv(self.num_keypoints, 1, dtype="float32", name="heatmap_head")

    def call(self, skeleton_images, training=None):
        layers.check_image_size(skeleton_images.shape, self.num_downsamples, type(self).__name__)
        features = skeleton_images                                     # (B, S, S, 1)
        for block in self.encoder:
            features = block(features, training=training)              # ... (B, S/2**n, S/2**n, 8w)
        heatmaps = self.heatmap_head(features)                         # (B, h, h, K) float32 logits
        keypoints = marginal_soft_argmax(heatmaps)                     # (B, K, 2) xy in [-1, 1]
        return {"keypoints": keypoints, "heatmaps": heatmaps}

    def confidence(self, heatmaps):
        """(B, h, w, K) heatmaps -> (B, K) float32 confidence in [0, 1] (see `heatmap_confidence`)."""
        return heatmap_confidence(heatmaps)

    def get_config(self):
        config = super().get_config()
        config.update({"num_keypoints": self.num_keypoints, "base_width": self.base_width,
                       "num_downsamples": self.num_downsamples, "norm": self.norm})
        return config
