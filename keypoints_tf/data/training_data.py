"""`TrainingData`: what every data source (folders, the synthetic world, TFDS) hands to training.

The sources (`keypoints_tf.data.pipeline.load_training_data` dispatches on config.data.source) share this
module, not each other: the folder reader and the TFDS reader do not import one another.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from keypoints_tf.data import videos
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import Skeleton


@dataclasses.dataclass
class TrainingData:
    """Everything training needs, validated and in memory.

    Attributes:
        skeleton: the prior's skeleton (the evaluation set's must match).
        videos: the unlabelled frames (`keypoints_tf.data.videos.VideoCollection`).
        prior: (P, K, 2) normalised unpaired poses.
        eval_images: (E, S, S, 3) uint8 or None.
        eval_keypoints: (E, K, 2) normalised or None; eval_visible: (E, K) bool.
        frame_keypoints: (N, K, 2) normalised labels of every training frame, or None.
        backgrounds: (V, S, S, 3) uint8 per-video median frame, used where there are no masks.
        raw_frames: (N, S, S, 3) uint8 training frames before their background was painted, kept only when
            config.data.unmasked_input > 0; eval_images_raw likewise for the evaluation images.
        eval_labels: "ground truth", or "pseudo" where the evaluation labels come from another model
            (`keypoints_tf.data.pseudo_labels`; every reported error then says so).
        eval_approach_rates: (E,) how fast each evaluation image's person walks towards the camera, or None:
            the evaluation then also scores the detections with their sides from it (`keypoints_tf.sides`).
        eval_groups: (E,) int group of each evaluation image (e.g. its activity) or None; metrics are then
            also averaged per group, then over groups. eval_group_names: the name of each group id.
    """

    skeleton: Skeleton
    videos: videos.VideoCollection
    prior: np.ndarray
    eval_images: Optional[np.ndarray] = None
    eval_keypoints: Optional[np.ndarray] = None
    eval_visible: Optional[np.ndarray] = None
    eval_labels: str = "ground truth"
    raw_frames: Optional[np.ndarray] = None
    eval_images_raw: Optional[np.ndarray] = None
    frame_keypoints: Optional[np.ndarray] = None
    backgrounds: Optional[np.ndarray] = None
    eval_approach_rates: Optional[np.ndarray] = None
    eval_groups: Optional[np.ndarray] = None
    eval_group_names: Optional[list] = None

    @property
    def image_size(self) -> int:
        return self.videos.image_size


def median_backgrounds(collection: videos.VideoCollection, max_frames: int = 50) -> np.ndarray:
    """(V, S, S, 3) uint8: per-video median of (up to `max_frames` evenly spaced) frames.

    For a static camera this removes the moving object and leaves the background.
    """
    out = np.empty((collection.num_videos,) + collection.frames.shape[1:], np.uint8)
    for v, (start, end) in enumerate(zip(collection.video_starts[:-1], collection.video_starts[1:])):
        indices = np.linspace(start, end - 1, min(max_frames, end - start)).astype(int)
        out[v] = np.median(collection.frames[indices], axis=0).astype(np.uint8)
    return out


def subset_prior(poses: np.ndarray, data_config, where: str) -> np.ndarray:
    """config.data.prior_size (0 = every pose) poses drawn once with config.data.prior_subset_seed, in order."""
    if data_config.prior_size:
        if data_config.prior_size > len(poses):
            raise DataError(f"{where}: prior_size={data_config.prior_size} but the prior has {len(poses)} poses")
        rng = np.random.default_rng(data_config.prior_subset_seed)
        poses = poses[np.sort(rng.choice(len(poses), data_config.prior_size, replace=False))]
    return poses
