"""The KeypointGAN networks (Phi, eta, Psi, D), the renderer beta, soft-argmax, the history pool, and
the detector built from a config (`detector`)."""

from keypoints_tf.models.detector import build_detector_networks, build_keypoint_regressor, dtype_policy
from keypoints_tf.models.discriminator import SkeletonDiscriminator
from keypoints_tf.models.history_pool import ImagePool
from keypoints_tf.models.image_generator import ImageGenerator
from keypoints_tf.models.image_to_skeleton import ImageToSkeleton
from keypoints_tf.models.keypoint_regressor import KeypointRegressor
from keypoints_tf.models.renderer import SkeletonRenderer, line_sigma, render_skeleton
from keypoints_tf.models.soft_argmax import heatmap_confidence, marginal_soft_argmax

__all__ = [
    "ImageGenerator",
    "ImagePool",
    "ImageToSkeleton",
    "KeypointRegressor",
    "SkeletonDiscriminator",
    "SkeletonRenderer",
    "build_detector_networks",
    "build_keypoint_regressor",
    "dtype_policy",
    "heatmap_confidence",
    "line_sigma",
    "marginal_soft_argmax",
    "render_skeleton",
]
