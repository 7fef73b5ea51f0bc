"""The supervised upper bound: the same detector eta(Phi(x)) trained directly on labelled frames."""

from __future__ import annotations

import keras
import tensorflow as tf

from keypoints_tf import gradients, losses
from keypoints_tf.models.detector import DetectsWithPhiEta


class SupervisedDetector(DetectsWithPhiEta, keras.Model):
    """eta(Phi(x)) trained with MSE to the labels (the `supervised` config).

    Args:
        image_to_skeleton: Phi. keypoint_regressor: eta.
        global_batch_size: the batch the per-example losses are averaged over.
        clip_norm: gradient clipping by global norm (after cross-replica summing, as in KeypointGAN).

    Example:
        >>> model = SupervisedDetector(phi, eta, global_batch_size=16)
        >>> model.compile(optimizer=keras.optimizers.Adam(2e-4))
        >>> model.train_step({"image": x, "keypoints": labels})
    """

    def __init__(self, image_to_skeleton, keypoint_regressor, global_batch_size, clip_norm=1.0, **kwargs):
        super().__init__(**kwargs)
        self.image_to_skeleton = image_to_skeleton
        self.keypoint_regressor = keypoint_regressor
        self.global_batch_size = int(global_batch_size)
        self.clip_norm = float(clip_norm)
        self.loss_tracker = keras.metrics.Mean(name="keypoint_loss")

    # Trained on labels: no frozen reference eta, no left/right fix (see KeypointGAN).
    reference_regressor = None

    @property
    def metrics(self):
        return [self.loss_tracker]

    def checkpoint_objects(self) -> dict:
        """What a checkpoint must hold to resume exactly (`keypoints_tf.workdirs.checkpoints`)."""
        return {"image_to_skeleton": self.image_to_skeleton, "keypoint_regressor": self.keypoint_regressor,
                "learning_rate_scale": self.learning_rate_scale,
                "fitted_steps": self.fitted_steps, "optimizer": self.optimizer}

    def build_all(self, image_size: int, num_keypoints: int):
        skeletons = self.image_to_skeleton(tf.zeros((1, image_size, image_size, 3)))
        self.keypoint_regressor(skeletons)
        self.optimizer.build(self.trainable_variables)
        self.built = True

    def train_step(self, data):
        """Runs once per replica; the loss is averaged over the global batch."""
        with tf.GradientTape() as tape:
            error = losses.keypoint_mse(self.detect(data["image"], training=True), data["keypoints"])  # (b,)
            loss = gradients.average_loss(error, self.global_batch_size)
        gradients.apply_clipped(self.optimizer, tape.gradient(loss, self.trainable_variables),
                                [self.trainable_variables], self.clip_norm)
        self.loss_tracker.update_state(error)
        return {"keypoint_loss": self.loss_tracker.result()}
