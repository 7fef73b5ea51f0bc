"""tf.data pipelines: frame pairs from one video, unpaired prior poses, labelled evaluation batches.

Everything is validated by `load_training_data` before any training starts. Decoded frames live in
memory as uint8 (a 64 px frame is 12 KB: a million frames would take 12 GB; bigger collections should
come from a TFDS builder). Batches are assembled in NumPy from a per-step random generator seeded with
(seed, step), so a run resumed at step N sees exactly the batches an uninterrupted run sees from N on.

Batch layout (global batch B, images in [-1, 1], keypoints normalised per `keypoints_tf.skeleton`):
    image:           (B, S, S, 3) float32   frame x, Phi's input
    target:          (B, S, S, 3) float32   frame x as Psi must reconstruct it (masked; = image unless
                                            config.data.unmasked_input gives Phi the real background)
    appearance:      (B, S, S, 3) float32   another frame x' of the same video
    foreground:      (B, S, S, 1) float32   in [0, 1]: the figure in x (mask, or an estimate)
    prior_keypoints: (B, K, 2)    float32   unpaired poses
    transform:       (B, 5)       float32   a random similarity (angle, log scale, tx, ty, mirror 0/1) per pair
    keypoints:       (B, K, 2)    float32   labels of x (only with `with_labels`, for the supervised bound)
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import numpy as np
import tensorflow as tf

from keypoints_tf.data import background, coco, tfds_source, videos
from keypoints_tf.data.letterbox import to_model_range
# TrainingData and median_backgrounds live in training_data (shared with tfds_source); also reachable from here.
from keypoints_tf.data.training_data import TrainingData, median_backgrounds, subset_prior  # noqa: F401
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import get_skeleton


def load_training_data(data_config, image_size: int) -> TrainingData:
    """Reads and validates the data of `data_config` (a whole config.data): the one dispatch on its source.

    "tfds": prepared TFDS datasets (`keypoints_tf.data.tfds_source`); "folders", and "synthetic" once its paths
    point into the generated world (`keypoints_tf.train.prepare_data`): `load_folder_data`.
    """
    if data_config.source == "tfds":
        return tfds_source.load_tfds_training_data(data_config, image_size)
    if data_config.source in ("folders", "synthetic"):
        return load_folder_data(data_config, image_size)
    raise ValueError(f"config.data.source must be 'synthetic', 'folders' or 'tfds', got {data_config.source!r}")


def load_folder_data(data_config, image_size: int) -> TrainingData:
    """Videos, prior, evaluation set (config.data.eval, optional) and frame labels (train_labels, optional)
    from files; the prior is subset by prior_size / prior_subset_seed."""
    videos_dir = _resolve(data_config, "videos")
    prior = coco.read_coco_keypoints(_resolve(data_config, "prior"))
    skeleton = prior.skeleton
    if data_config.skeleton:  # names and count, whatever the prior's category is called
        builtin = get_skeleton(data_config.skeleton)
        if list(builtin.keypoint_names) != list(skeleton.keypoint_names):
            raise DataError(f"{prior.path}: the prior's skeleton {skeleton.name!r} has {skeleton.num_keypoints} "
                            f"keypoints {list(skeleton.keypoint_names)[:5]}..., but the config asks for "
                            f"{builtin.name!r} ({builtin.num_keypoints} keypoints "
                            f"{list(builtin.keypoint_names)[:5]}...)")
    eval_set = None
    if data_config.eval:
        eval_set = coco.read_coco_keypoints(_resolve(data_config, "eval"), require_files=True)
        if eval_set.skeleton.keypoint_names != skeleton.keypoint_names:
            raise DataError(f"{eval_set.path}: the evaluation skeleton ({eval_set.skeleton.num_keypoints} "
                            f"keypoints {list(eval_set.skeleton.keypoint_names)[:4]}...) differs from the "
                            f"prior's in {prior.path} ({skeleton.num_keypoints} keypoints "
                            f"{list(skeleton.keypoint_names)[:4]}...)")
    masks_dir = _resolve(data_config, "masks") if data_config.masks else None
    collection = videos.read_videos(videos_dir, image_size, masks_folder=masks_dir)
    prior_keypoints = prior.normalized(image_size)[np.all(prior.visible, axis=1)]
    if len(prior_keypoints) == 0:
        raise DataError(f"{prior.path}: no prior pose has all {skeleton.num_keypoints} keypoints visible")
    prior_keypoints = subset_prior(prior_keypoints, data_config, prior.path)
    data = TrainingData(skeleton=skeleton, videos=collection, prior=prior_keypoints.astype(np.float32))
    if eval_set is not None:
        data.eval_images = videos.load_labelled_images(eval_set.file_names, image_size)
        data.eval_keypoints = eval_set.normalized(image_size)
        data.eval_visible = eval_set.visible
        data.eval_labels = "pseudo" if eval_set.pseudo_labels else "ground truth"
        data.eval_approach_rates = eval_set.approach_rates
    if data_config.train_labels:
        data.frame_keypoints = _frame_labels(_resolve(data_config, "train_labels"), skeleton, videos_dir,
                                             collection, image_size)
    if data_config.mask_background:
        _mask_backgrounds(data, data_config, eval_set, image_size)
    if collection.masks is None:
        data.backgrounds = median_backgrounds(collection)
    logging.info("data: %d videos, %d frames (%d px), %d prior poses, %d evaluation images",
                 collection.num_videos, len(collection.frames), image_size, len(data.prior),
                 0 if data.eval_images is None else len(data.eval_images))
    return data


def _resolve(data_config, field):
    path = data_config[field]
    if not path:
        raise DataError(f"config.data.{field} is not set (expected a path)")
    return os.path.expanduser(path)


def _mask_backgrounds(data, data_config, eval_set, image_size):
    """Paints everything but the object in training frames and evaluation images with one grey level,
    config.data.background_fill (0 = black, the reference's protocol)."""
    if data.videos.masks is None:
        raise DataError("config.data.mask_background needs foreground masks: set config.data.masks")
    fill = data_config.background_fill
    if data_config.unmasked_input > 0:
        data.raw_frames = data.videos.frames.copy()
        data.eval_images_raw = None if data.eval_images is None else data.eval_images.copy()
    background.paint_background(data.videos.frames, data.videos.masks, fill)
    if eval_set is not None:
        folder = data_config.eval_masks
        if not folder:
            raise DataError("config.data.mask_background needs config.data.eval_masks (masks of the evaluation "
                            "images, with the images' file names)")
        masks = np.stack([videos.letterbox(_read_gray(os.path.join(folder, os.path.basename(f))), image_size,
                                           interpolation=0) for f in eval_set.file_names])
        background.paint_background(data.eval_images, masks, fill)


def _read_gray(path):
    import cv2
    mask = videos.decode_image(path, cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise DataError(f"{path}: evaluation mask missing or unreadable")
    return mask


def _frame_labels(path, skeleton, videos_dir, collection, image_size):
    """Labels aligned with the collection's frames, matched by file name."""
    labels = coco.read_coco_keypoints(path, skeleton=skeleton)
    by_file = {os.path.normpath(f): i for i, f in enumerate(labels.file_names) if f}
    normalized = labels.normalized(image_size)
    out = np.zeros((len(collection.frames), skeleton.num_keypoints, 2), np.float32)
    frame = 0
    for name, kind, folder in videos.list_videos(videos_dir):
        if kind != "frames":
            raise DataError(f"{path}: training labels need videos stored as folders of frames ({folder} is a file)")
        for file in videos._list_frames(folder):
            index = by_file.get(os.path.normpath(os.path.abspath(file)))
            if index is None:
                raise DataError(f"{path}: no label for frame {file}")
            out[frame] = normalized[index]
            frame += 1
    if frame != len(collection.frames):
        raise DataError(f"{path}: labelled {frame} frames but the videos have {len(collection.frames)}")
    return out


class PairSampler:
    """Draws training batches in NumPy; batch `step` depends only on (seed, step).

    Args:
        data: TrainingData.
        batch_size: the global batch size.
        max_gap: largest frame gap between x and x' (0 = anywhere in the video).
        min_gap: smallest gap (>= 1 where videos allow it).
        flip: mirror a pair (both frames and the foreground) horizontally with probability 0.5.
        prior_flip: mirror prior poses (with left/right relabelling) with probability 0.5.
        with_labels: also return the labels of x (supervised training).
        unmasked_input: probability that "image" (Phi's input) is x with its real background; "target"
            (what Psi reconstructs) is always the masked x. Needs `data.raw_frames`.
    """

    def __init__(self, data: TrainingData, batch_size: int, seed: int = 0, min_gap: int = 1, max_gap: int = 0,
                 flip: bool = False, prior_flip: bool = False, with_labels: bool = False, unmasked_input: float = 0.0):
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.min_gap, self.max_gap = min_gap, max_gap
        self.flip, self.prior_flip, self.with_labels = flip, prior_flip, with_labels
        self.unmasked_input = unmasked_input
        if unmasked_input > 0 and data.raw_frames is None:
            raise DataError("config.data.unmasked_input needs masked frames (config.data.mask_background and masks)")
        if with_labels and data.frame_keypoints is None:
            raise DataError("supervised training needs config.data.train_labels (labels of the training frames)")
        self._starts = data.videos.video_starts[:-1]
        self._lengths = data.videos.video_lengths()

    def batch(self, step: int) -> dict:
        rng = np.random.default_rng([self.seed, step])
        b = self.batch_size
        video = rng.integers(0, len(self._lengths), b)
        length = self._lengths[video]
        i = (rng.random(b) * length).astype(np.int64)
        max_gap = np.where(self.max_gap > 0, np.minimum(self.max_gap, length - 1), length - 1)
        min_gap = np.minimum(self.min_gap, max_gap)
        gap = min_gap + (rng.random(b) * (max_gap - min_gap + 1)).astype(np.int64)
        sign = np.where(rng.random(b) < 0.5, -1, 1)
        j = i + sign * gap
        j = np.where((j < 0) | (j >= length), i - sign * gap, j)  # reflect into the video
        j = np.clip(j, 0, length - 1)
        first, second = self._starts[video] + i, self._starts[video] + j
        frames = self.data.videos.frames
        batch = {"image": frames[first], "target": frames[first], "appearance": frames[second]}
        if self.unmasked_input > 0:
            raw = rng.random(b) < self.unmasked_input
            batch["image"] = np.where(raw[:, None, None, None], self.data.raw_frames[first], frames[first])
        batch["foreground"] = self._foreground(first, video)
        prior = self.data.prior[rng.integers(0, len(self.data.prior), b)]
        if self.prior_flip:
            flip_prior = rng.random(b) < 0.5
            prior = np.where(flip_prior[:, None, None], self.data.skeleton.flip_keypoints(prior), prior)
        batch["prior_keypoints"] = prior.astype(np.float32)
        # A random similarity transform per pair (angle, log scale, tx, ty, mirror) for the equivariance term.
        batch["transform"] = np.stack([rng.uniform(-0.35, 0.35, b), rng.uniform(-0.15, 0.15, b),
                                       rng.uniform(-0.12, 0.12, b), rng.uniform(-0.12, 0.12, b),
                                       (rng.random(b) < 0.5).astype(np.float64)], 1).astype(np.float32)
        if self.with_labels:
            batch["keypoints"] = self.data.frame_keypoints[first]
        if self.flip:
            mirror = rng.random(b) < 0.5
            for key in ("image", "target", "appearance", "foreground"):
                batch[key] = np.where(mirror[:, None, None, None], batch[key][:, :, ::-1], batch[key])
            if self.with_labels:
                batch["keypoints"] = np.where(mirror[:, None, None],
                                              self.data.skeleton.flip_keypoints(batch["keypoints"]),
                                              batch["keypoints"])
        return batch

    def _foreground(self, frame_indices, video_indices):
        """(B, S, S, 1) uint8 in [0, 255]: the mask, or |frame - median background| where there are none."""
        if self.data.videos.masks is not None:
            return self.data.videos.masks[frame_indices]
        difference = np.abs(self.data.videos.frames[frame_indices].astype(np.int16)
                            - self.data.backgrounds[video_indices].astype(np.int16)).max(-1, keepdims=True)
        return np.clip(difference * 8, 0, 255).astype(np.uint8)  # 32 grey levels of change -> fully foreground


def _to_float(batch):
    out = {}
    for key, value in batch.items():
        if key in ("image", "target", "appearance"):
            out[key] = to_model_range(value)
        elif key == "foreground":
            out[key] = tf.cast(value, tf.float32) / 255.0
        else:
            out[key] = value
    return out


def training_dataset(sampler: PairSampler, start_step: int = 0, num_steps: Optional[int] = None) -> tf.data.Dataset:
    """Infinite (or `num_steps`-long) dataset of global batches starting at `start_step`, prefetched."""
    data = sampler.data
    s, k, b = data.image_size, data.skeleton.num_keypoints, sampler.batch_size
    signature = {"image": tf.TensorSpec((b, s, s, 3), tf.uint8), "target": tf.TensorSpec((b, s, s, 3), tf.uint8),
                 "appearance": tf.TensorSpec((b, s, s, 3), tf.uint8),
                 "foreground": tf.TensorSpec((b, s, s, 1), tf.uint8),
                 "prior_keypoints": tf.TensorSpec((b, k, 2), tf.float32),
                 "transform": tf.TensorSpec((b, 5), tf.float32)}
    if sampler.with_labels:
        signature["keypoints"] = tf.TensorSpec((b, k, 2), tf.float32)

    def generate():
        step = start_step
        while num_steps is None or step < start_step + num_steps:
            yield sampler.batch(step)
            step += 1

    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.map(_to_float, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def evaluation_dataset(images: np.ndarray, keypoints: np.ndarray, batch_size: int,
                       visible: Optional[np.ndarray] = None) -> tf.data.Dataset:
    """Finite dataset of {"image": (B, S, S, 3) in [-1, 1], "keypoints": (B, K, 2), "visible": (B, K)}."""
    if visible is None:
        visible = np.ones(keypoints.shape[:2], bool)
    dataset = tf.data.Dataset.from_tensor_slices({"image": images, "keypoints": keypoints.astype(np.float32),
                                                  "visible": visible})
    return dataset.batch(batch_size).map(_to_float).prefetch(tf.data.AUTOTUNE)
