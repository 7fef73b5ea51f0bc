"""What every detector returns (`keypoints_tf.inference`, `keypoints_tf.crop_region`): its own module, so that
the crop tracker needs none of the loaders."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Detection:
    """One image's keypoints.

    Attributes:
        keypoints: (K, 2) float32 continuous pixel coordinates of the image given to `detect`.
        confidence: (K,) float32 in [0, 1] (how peaked each heatmap is; not calibrated).
        input_keypoints: (K, 2) float32 the model's raw output, pixels of the S x S letterboxed input.
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    input_keypoints: np.ndarray
