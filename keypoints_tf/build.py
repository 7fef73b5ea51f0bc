"""Builds the networks, the reconstruction loss and the trainable model from a config."""

from __future__ import annotations

import logging

import keras

from keypoints_tf import losses, precision
from keypoints_tf.gan import KeypointGAN
from keypoints_tf.models import (ImageGenerator, ImagePool, SkeletonDiscriminator, build_detector_networks,
                                 build_keypoint_regressor, dtype_policy, line_sigma)
from keypoints_tf.skeleton import Skeleton
from keypoints_tf.supervised import SupervisedDetector


def renderer_sigma(config) -> float:
    return float(config.model.sigma) or line_sigma(config.image_size)


class PixelSSIMLoss:
    """Multi-scale weighted L1 + (1 - SSIM): the reconstruction loss that needs no ImageNet weights."""

    def __call__(self, reconstructed, target, weights, training):
        return losses.multiscale_pixel_ssim_loss(reconstructed, target, weights)

    def checkpoint_objects(self) -> dict:
        return {}  # stateless


class WeightedPerceptualLoss(keras.layers.Layer):
    """VGG-19 perceptual loss; with foreground weights, both images are multiplied by sqrt(weights / mean)."""

    def __init__(self, weights_path=None, features=None, **kwargs):
        super().__init__(**kwargs)
        self.perceptual = losses.PerceptualLoss(weights_path=weights_path or None, features=features)

    def checkpoint_objects(self) -> dict:
        return self.perceptual.checkpoint_objects()

    @property
    def pretrained(self):
        return self.perceptual.pretrained

    def call(self, reconstructed, target, weights, training):
        import tensorflow as tf
        scale = tf.sqrt(weights / tf.reduce_mean(weights, axis=[1, 2, 3], keepdims=True))
        return self.perceptual(reconstructed * scale, target * scale, training=training)


def build_reconstruction_loss(config):
    choice = config.loss.reconstruction
    if choice not in ("auto", "perceptual", "pixel_ssim"):
        raise ValueError(f"config.loss.reconstruction must be auto, perceptual or pixel_ssim, got {choice!r}")
    if choice == "pixel_ssim":
        return PixelSSIMLoss()
    loss = WeightedPerceptualLoss(config.loss.vgg_weights)
    if loss.pretrained:
        logging.info("reconstruction loss: VGG-19 perceptual with ImageNet weights")
        return loss
    if choice == "perceptual":
        raise FileNotFoundError(
            "config.loss.reconstruction='perceptual' but no VGG-19 ImageNet weights were found (looked at "
            f"config.loss.vgg_weights={config.loss.vgg_weights!r} and the Keras cache ~/.keras/models/"
            f"{losses.VGG19_NOTOP_FILE}); put the file there or use 'auto'/'pixel_ssim'")
    logging.warning("*** NO VGG-19 IMAGENET WEIGHTS FOUND (config.loss.vgg_weights or ~/.keras/models/%s): "
                    "falling back to the multi-scale L1 + SSIM reconstruction loss ***", losses.VGG19_NOTOP_FILE)
    return PixelSSIMLoss()


def learning_rate_schedule(config, scale=None, fitted_steps=None):
    """The constant learning rate of the reference, or (decay_to < 1) constant for the first half of the run's
    GAN steps, then linear down to decay_to x the rate: late GAN oscillation averages out.

    The run's GAN steps are config.train.steps, or `fitted_steps` (a variable) once it is > 0: the number a
    time budget fitted (`keypoints_tf.budget`). `scale`: a variable multiplying the rate (lowered by the
    collapse alarm's roll-back)."""
    schedule = _HoldThenLinear(config.train.learning_rate, config.train.steps, min(config.train.decay_to, 1.0),
                               fitted_steps)
    return schedule if scale is None else _Scaled(schedule, scale)


class _HoldThenLinear(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, rate, steps, fraction, fitted_steps=None):
        self.rate, self.steps, self.fraction, self.fitted_steps = rate, steps, fraction, fitted_steps

    def __call__(self, step):
        total = keras.ops.convert_to_tensor(float(self.steps))
        if self.fitted_steps is not None:
            fitted = keras.ops.cast(keras.ops.convert_to_tensor(self.fitted_steps), "float32")
            total = keras.ops.where(fitted > 0, fitted, total)
        total = keras.ops.maximum(total, 2.0)
        hold = keras.ops.floor(total / 2.0)
        progress = keras.ops.clip((keras.ops.cast(step, "float32") - hold) / (total - hold), 0.0, 1.0)
        return self.rate * (1.0 - (1.0 - self.fraction) * progress)

    def get_config(self):
        return {"rate": self.rate, "steps": self.steps, "fraction": self.fraction}


class _Scaled(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, schedule, scale):
        self.schedule, self.scale = schedule, scale

    def __call__(self, step):
        return self.schedule(step) * keras.ops.convert_to_tensor(self.scale)

    def get_config(self):
        return {"schedule": self.schedule.get_config()}


def build_model(config, skeleton: Skeleton, global_batch_size: int):
    """A compiled KeypointGAN (config.method == 'keypoint_gan') or SupervisedDetector ('supervised'), its
    layers in the config's precision (`keypoints_tf.precision`) whatever the global policy is."""
    with dtype_policy(precision.policy_name(config)):
        return _build_model(config, skeleton, global_batch_size)


def _build_model(config, skeleton: Skeleton, global_batch_size: int):
    phi, eta = build_detector_networks(config, skeleton.num_keypoints)
    # One multiplier of every player's rate, saved in checkpoints (the collapse alarm's roll-back lowers it).
    scale = keras.Variable(1.0, trainable=False, dtype="float32", name="learning_rate_scale")
    # The run's GAN (or supervised) steps once a time budget fitted them (`keypoints_tf.budget`); 0: not fitted,
    # config.train.steps. Saved in checkpoints, so that a resumed run keeps its schedule.
    fitted_steps = keras.Variable(0, trainable=False, dtype="int64", name="fitted_steps")

    def adam():
        return keras.optimizers.Adam(learning_rate_schedule(config, scale, fitted_steps),
                                     beta_1=config.train.beta_1, beta_2=config.train.beta_2)

    if config.method == "supervised":
        model = SupervisedDetector(phi, eta, global_batch_size, clip_norm=config.train.clip_norm)
        model.compile(optimizer=adam())
    elif config.method == "keypoint_gan":
        psi = ImageGenerator(base_width=config.model.base_width, num_downsamples=config.model.num_downsamples,
                             appearance_pooling=config.model.appearance_pooling,
                             skeleton_skips=config.model.skeleton_skips,
                             appearance_skips=config.model.appearance_skips, name="image_generator")
        with dtype_policy("float32"):  # the frozen eta only relabels in evaluation: float32 at any precision
            reference = build_keypoint_regressor(config, skeleton.num_keypoints)
        discriminator = SkeletonDiscriminator(num_scales=config.model.discriminator_scales,
                                              base_width=config.model.discriminator_width, name="discriminator")
        model = KeypointGAN(
            phi, eta, psi, discriminator, ImagePool(config.model.pool_size, seed=config.seed, name="image_pool"),
            edges=skeleton.edges, image_size=config.image_size, sigma=renderer_sigma(config),
            reconstruction_loss=build_reconstruction_loss(config), global_batch_size=global_batch_size,
            adversarial_weight=config.loss.adversarial_weight,
            reconstruction_weight=config.loss.reconstruction_weight,
            foreground_weight=config.loss.foreground_weight,
            regressor_prior_weight=config.loss.regressor_prior_weight,
            regressor_render_weight=config.loss.regressor_render_weight,
            adversarial_start_step=config.train.adversarial_start_step, clip_norm=config.train.clip_norm,
            equivariance_weight=config.loss.equivariance_weight, cycle_weight=config.loss.cycle_weight,
            cycle_start_step=config.train.cycle_start_step, flip_permutation=skeleton.flip_permutation,
            reference_regressor=reference)
        pretrain = keras.optimizers.Adam(config.train.regressor_pretrain_learning_rate, beta_1=0.9, beta_2=0.999)
        model.compile(generator_optimizer=adam(), discriminator_optimizer=adam(), regressor_optimizer=adam(),
                      regressor_pretrain_optimizer=pretrain)
    else:
        raise ValueError(f"config.method must be 'keypoint_gan' or 'supervised', got {config.method!r}")
    model.learning_rate_scale, model.fitted_steps = scale, fitted_steps
    model.build_all(config.image_size, skeleton.num_keypoints)
    return model
