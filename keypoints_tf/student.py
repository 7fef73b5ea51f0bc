"""A compact, mobile-fast detector: image -> heatmaps (S / 4) -> keypoints (marginal soft-argmax).

MobileNet-style: a stride-2 stem, depthwise-separable blocks (depthwise 3x3 + BatchNorm + ReLU6, pointwise
1x1 + BatchNorm + ReLU6) down to S / 16, then two bilinear x2 steps that add projected skip features
(S / 8, S / 4), and a 1x1 heatmap head in float32. BatchNorm folds into the convolutions on export, and
every op (CONV_2D, DEPTHWISE_CONV_2D, ADD, RESIZE_BILINEAR, RELU6) runs on the LiteRT GPU delegate and
quantizes well to int8. About 0.1 GFLOP at 128 px with width 16 (the reference detector: ~7 GFLOP).
It is trained by distillation from a trained detector (`keypoints_tf.distill`).
"""

from __future__ import annotations

import keras

from keypoints_tf.models.soft_argmax import heatmap_confidence, marginal_soft_argmax


def _pointwise(filters, name, activation=True):
    block = keras.Sequential(name=name)
    block.add(keras.layers.Conv2D(filters, 1, use_bias=False))
    block.add(keras.layers.BatchNormalization())
    if activation:
        block.add(keras.layers.Activation("relu6"))
    return block


def _separable(filters, strides, name):
    """Depthwise 3x3 (stride 1 or 2) + BN + ReLU6, pointwise 1x1 + BN + ReLU6."""
    block = keras.Sequential(name=name)
    block.add(keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False))
    block.add(keras.layers.BatchNormalization())
    block.add(keras.layers.Activation("relu6"))
    for layer in _pointwise(filters, name + "_pointwise").layers:
        block.add(layer)
    return block


class StudentDetector(keras.Model):
    """A MobileNet-style keypoint detector.

    Args:
        num_keypoints: K.
        width: channels of the first stage; later stages have 2, 4 and 8 times as many.
        **kwargs: forwarded to `keras.Model`.

    Call:
        images: (B, S, S, 3) float32 in [-1, 1], S a multiple of 16.
        Returns ``{"keypoints": (B, K, 2) float32 xy in [-1, 1], "heatmaps": (B, S/4, S/4, K) float32 logits}``.

    Example:
        >>> student = StudentDetector(num_keypoints=17, width=8)
        >>> outputs = student(keras.ops.zeros((2, 64, 64, 3)))
        >>> outputs["keypoints"].shape, outputs["heatmaps"].shape
        (TensorShape([2, 17, 2]), TensorShape([2, 16, 16, 17]))
    """

    def __init__(self, num_keypoints: int, width: int = 16, **kwargs):
        super().__init__(**kwargs)
        # === Config ===
        self.num_keypoints = int(num_keypoints)
        self.width = int(width)

        # === Layers ===
        w = self.width
        self.stem = keras.Sequential([keras.layers.Conv2D(w, 3, strides=2, padding="same", use_bias=False),
                                      keras.layers.BatchNormalization(), keras.layers.Activation("relu6")],
                                     name="stem")                                      # S/2
        self.stage1 = _separable(w, 1, "stage1")                                      # S/2
        self.stage2 = keras.Sequential([_separable(2 * w, 2, "stage2a"), _separable(2 * w, 1, "stage2b")],
                                       name="stage2")                                  # S/4
        self.stage3 = keras.Sequential([_separable(4 * w, 2, "stage3a"), _separable(4 * w, 1, "stage3b")],
                                       name="stage3")                                  # S/8
        self.stage4 = keras.Sequential([_separable(8 * w, 2, "stage4a"), _separable(8 * w, 1, "stage4b"),
                                        _separable(8 * w, 1, "stage4c")], name="stage4")  # S/16
        self.upsample = keras.layers.UpSampling2D(2, interpolation="bilinear")
        self.reduce4 = _pointwise(4 * w, "reduce4")
        self.skip3 = _pointwise(4 * w, "skip3", activation=False)
        self.decoder3 = _separable(4 * w, 1, "decoder3")                              # S/8
        self.reduce3 = _pointwise(2 * w, "reduce3")
        self.skip2 = _pointwise(2 * w, "skip2", activation=False)
        self.decoder2 = _separable(2 * w, 1, "decoder2")                              # S/4
        self.heatmap_head = keras.layers.Conv2D(self.num_keypoints, 1, dtype="float32", name="heatmap_head")

    def call(self, images, training=None):
        for size in images.shape[1:3]:
            if size is not None and size % 16:
                raise ValueError(f"StudentDetector: image height and width must be multiples of 16, got "
                                 f"input shape {tuple(images.shape)}")
        features2 = self.stage2(self.stage1(self.stem(images, training=training), training=training),
                                training=training)                                     # (B, S/4, S/4, 2w)
        features3 = self.stage3(features2, training=training)                         # (B, S/8, S/8, 4w)
        features4 = self.stage4(features3, training=training)                         # (B, S/16, S/16, 8w)
        up3 = self.upsample(self.reduce4(features4, training=training))
        features = self.decoder3(up3 + self.skip3(features3, training=training), training=training)
        up2 = self.upsample(self.reduce3(features, training=training))
        features = self.decoder2(up2 + self.skip2(features2, training=training), training=training)
        heatmaps = self.heatmap_head(features)                                        # (B, S/4, S/4, K)
        return {"keypoints": marginal_soft_argmax(heatmaps), "heatmaps": heatmaps}

    def confidence(self, heatmaps):
        """(B, h, w, K) -> (B, K) in [0, 1] (`keypoints_tf.models.heatmap_confidence`)."""
        return heatmap_confidence(heatmaps)

    def get_config(self):
        config = super().get_config()
        config.update({"num_keypoints": self.num_keypoints, "width": self.width})
        return config
