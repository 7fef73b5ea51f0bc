"""The serving graph: uint8 RGB image -> keypoints in input pixels + per-keypoint confidence.

Only the detector is served (Phi and eta, or a distilled student), never the GAN wrapper. The graph has a
fixed batch-1 input and keeps to ops the LiteRT GPU delegate runs: CAST, MUL/ADD/SUB, CONV_2D,
DEPTHWISE_CONV_2D, PAD, RESIZE_BILINEAR, CONCATENATION, MEAN, SUM, SQUARED_DIFFERENCE, RSQRT, SQRT,
TRANSPOSE, SOFTMAX, MAXIMUM/MINIMUM, PACK, all on tensors of rank <= 4. The trained networks are served as
they are: eta's instance normalisation (`keypoints_tf.models.layers.InstanceNormalization`) stays rank 4.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keypoints_tf.data.letterbox import to_model_range
from keypoints_tf.models import heatmap_confidence


class ImageToKeypoints(keras.Model):
    """The trained detector eta(Phi(x)) for inference (no weights of its own).

    Args:
        image_to_skeleton: Phi (`keypoints_tf.models.ImageToSkeleton`), built.
        keypoint_regressor: eta (`keypoints_tf.models.KeypointRegressor`), built.
        **kwargs: forwarded to `keras.Model`.

    Call:
        images: (B, S, S, 3) float32 in [-1, 1].
        Returns ``{"keypoints": (B, K, 2) xy in [-1, 1], "heatmaps": (B, h, h, K) logits}``:
        ``keypoint_regressor(image_to_skeleton(images))`` in inference mode.

    Example:
        >>> phi, eta = keypoints_tf.models.build_detector_networks(config, num_keypoints=17)
        >>> detector = ImageToKeypoints(phi, eta)
        >>> detector(tf.zeros((1, 64, 64, 3)))["keypoints"].shape
        TensorShape([1, 17, 2])
    """

    def __init__(self, image_to_skeleton, keypoint_regressor, **kwargs):
        super().__init__(**kwargs)
        # === Layers ===
        self.image_to_skeleton = image_to_skeleton
        self.keypoint_regressor = keypoint_regressor

    def call(self, images, training=False):
        return self.keypoint_regressor(self.image_to_skeleton(images, training=False), training=False)


class ServingDetector(keras.Model):
    """The exported model: uint8 RGB in, keypoints in input pixels and confidence out.

    Args:
        network: maps (B, S, S, 3) float32 images in [-1, 1] to ``{"keypoints": (B, K, 2) in [-1, 1],
            "heatmaps": (B, h, w, K)}`` (`ImageToKeypoints` or `keypoints_tf.student.StudentDetector`).
        image_size: S.
        **kwargs: forwarded to `keras.Model`.

    Call:
        image: (1, S, S, 3) uint8 RGB, letterboxed (`keypoints_tf.data.letterbox`).
        Returns ``{"keypoints": (1, K, 2) float32 continuous pixels of the input ((normalised + 1) S / 2,
        `keypoints_tf.skeleton`), "confidence": (1, K) float32 in [0, 1] (`heatmap_confidence`)}``.
    """

    def __init__(self, network, image_size: int, **kwargs):
        super().__init__(**kwargs)
        # === Config ===
        self.image_size = int(image_size)
        # === Layers ===
        self.network = network

    def call(self, image):
        images = to_model_range(image)                                 # (1, S, S, 3) in [-1, 1]
        outputs = self.network(images, training=False)
        keypoints = (outputs["keypoints"] + 1.0) * (self.image_size / 2.0)  # (1, K, 2) input pixels
        confidence = heatmap_confidence(outputs["heatmaps"])           # (1, K) in [0, 1]
        return {"keypoints": keypoints, "confidence": confidence}

    def input_signature(self):
        return [tf.TensorSpec((1, self.image_size, self.image_size, 3), tf.uint8, name="image")]
