"""The detector's two networks built from a config, how they compose (`DetectsWithPhiEta`), and the
dtype-policy scope networks are built in.

Shared by training (`keypoints_tf.build`) and export (`keypoints_tf.export.restore`), which must not import
the training code.
"""

from __future__ import annotations

import contextlib

import keras

from keypoints_tf.models.image_to_skeleton import ImageToSkeleton
from keypoints_tf.models.keypoint_regressor import KeypointRegressor


@contextlib.contextmanager
def dtype_policy(name: str):
    """Sets the global Keras dtype policy inside the block and restores the previous one after.

    Keras reads the policy when a layer is built, so it is scoped: a bfloat16 training run must not leave
    bfloat16 layers behind for the exporter (TFLite has no bfloat16 kernels) or the next run in the process.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build_detector_networks(config, num_keypoints: int):
    """(Phi, eta): the two networks of the exported detector."""
    phi = ImageToSkeleton(base_width=config.model.base_width, num_downsamples=config.model.num_downsamples,
                          name="image_to_skeleton")
    return phi, build_keypoint_regressor(config, num_keypoints)


def build_keypoint_regressor(config, num_keypoints: int):
    """eta alone (also the frozen reference eta of KeypointGAN's left/right fix)."""
    return KeypointRegressor(num_keypoints, base_width=config.model.base_width,
                             num_downsamples=config.model.num_downsamples, name="keypoint_regressor")


class DetectsWithPhiEta:
    """For a model holding Phi (`image_to_skeleton`) and eta (`keypoint_regressor`): the detector eta(Phi(x)),
    which is also what calling the model does. Shared by the trainers (KeypointGAN, the supervised bound)."""

    def detect(self, images, training=False):
        """(B, S, S, 3) in [-1, 1] -> (B, K, 2) normalised keypoints."""
        skeletons = self.image_to_skeleton(images, training=training)
        return self.keypoint_regressor(skeletons, training=training)["keypoints"]

    def call(self, images, training=False):
        return self.detect(images, training=training)
