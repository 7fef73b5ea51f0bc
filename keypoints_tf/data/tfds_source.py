"""TFDS datasets as training data (``config.data.source = "tfds"``): the paper's benchmark protocols.

`load_tfds_training_data` reads datasets prepared by `keypoints_tf.data.tfds_builders` into memory and
returns the same `TrainingData` as the bring-your-own folders, so everything downstream is unchanged.
The training dataset (``config.data.tfds_name``) is one of two kinds:

* **labelled video frames** (``simple_human36m``: features ``video_id``, ``frame_position``,
  ``video_num_frames``, ``keypoints``, optionally ``mask``). The Simplified Human3.6M protocol (method.md
  section 5): the training frames are the *first half* of each training video, and the prior is the
  keypoints of the *second half* of each video, so no prior pose is ever paired with a frame that is used.
  Masks come from the dataset. The labels of the kept frames fill ``frame_keypoints`` (for the supervised
  bound and the regression protocol).
* **unlabelled face tracks** (``voxceleb2_face_tracks/128``: a ``video`` feature per track). The prior
  comes from a COCO keypoints file, ``config.data.prior`` (MultiPIE landmarks in the paper; any face68
  file here); frames are used whole.

``config.data.prior``, when set, is the prior in both cases. Evaluation reads ``config.data.tfds_eval_name``
(default: the training dataset), split ``tfds_eval_split`` (Simplified Human3.6M: ``test``, subject S11;
faces: ``faces300w/crop128``, ``full``), and fills ``eval_groups``: the activity of each image (errors are
averaged per activity, then over activities) or, for 300-W, ``common`` (helen + lfpw test sets) and
``challenging`` (ibug).

Memory: frames are decoded into uint8 arrays; ``config.data.max_frames`` caps them. For labelled videos
every k-th frame of each first half is kept (k as small as the cap allows); for tracks, up to
``max_frames / num_tracks`` evenly spaced frames of each track. The datasets' own order is a hash
shuffle, so ``max_eval_images`` (every k-th example in that order) is an unbiased subset.
"""

from __future__ import annotations

import logging
import math
import os

import cv2
import numpy as np

from keypoints_tf.data import background, coco
from keypoints_tf.data.letterbox import frame_to_input, letterbox
from keypoints_tf.data.training_data import TrainingData, median_backgrounds, subset_prior
from keypoints_tf.data.videos import VideoCollection
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import BUILTIN, get_skeleton

LABELLED_VIDEO_FEATURES = {"video_id", "frame_position", "video_num_frames", "keypoints"}
FACES_300W_GROUPS = {"helen/testset": "common", "lfpw/testset": "common", "ibug": "challenging"}


def load_tfds_training_data(data_config, image_size: int) -> TrainingData:
    """Frames, prior and evaluation set from prepared TFDS datasets (see the module docstring).

    `data_config` (config.data) fields: tfds_name, tfds_data_dir, tfds_train_split, tfds_eval_name,
    tfds_eval_split, max_frames, max_eval_images, prior (optional COCO file), skeleton, prior_size,
    prior_subset_seed, mask_background, background_fill.
    """
    name = data_config.tfds_name
    if not name:
        raise DataError("config.data.tfds_name is not set (expected a prepared dataset, e.g. 'simple_human36m' "
                        "or 'voxceleb2_face_tracks/128')")
    data_dir = os.path.expanduser(data_config.tfds_data_dir) or None
    builder = _builder(name, data_dir)
    features = set(builder.info.features.keys())
    split, max_frames = data_config.tfds_train_split, data_config.max_frames
    if "video" in features:
        collection, frame_keypoints, own_prior = _read_tracks(builder, split, image_size, max_frames), None, None
    elif LABELLED_VIDEO_FEATURES <= features:
        collection, frame_keypoints, own_prior = _read_video_halves(builder, split, image_size, max_frames)
    else:
        raise DataError(f"{name}: cannot train on it: expected unlabelled tracks (a 'video' feature) or labelled "
                        f"video frames (features {sorted(LABELLED_VIDEO_FEATURES)}); it has {sorted(features)}")
    skeleton, prior = _prior(data_config, own_prior, image_size, name)
    if frame_keypoints is not None and frame_keypoints.shape[1] != skeleton.num_keypoints:
        raise DataError(f"{name}: frames have {frame_keypoints.shape[1]} keypoints but the prior's skeleton "
                        f"{skeleton.name!r} has {skeleton.num_keypoints}")
    data = TrainingData(skeleton=skeleton, videos=collection, prior=prior, frame_keypoints=frame_keypoints)
    eval_masks = None
    if data_config.tfds_eval_split:
        eval_name = data_config.tfds_eval_name or name
        evaluation = _read_labelled_images(_builder(eval_name, data_dir), data_config.tfds_eval_split, image_size,
                                           data_config.max_eval_images)
        if evaluation["keypoints"].shape[1] != skeleton.num_keypoints:
            raise DataError(f"{eval_name}: {evaluation['keypoints'].shape[1]} keypoints per image, but the skeleton "
                            f"{skeleton.name!r} has {skeleton.num_keypoints}")
        data.eval_images, data.eval_keypoints = evaluation["images"], evaluation["keypoints"]
        data.eval_visible = np.ones(data.eval_keypoints.shape[:2], bool)
        data.eval_groups, data.eval_group_names = evaluation["groups"], evaluation["group_names"]
        eval_masks = evaluation["masks"]
    if data_config.mask_background:
        if collection.masks is None or (data.eval_images is not None and eval_masks is None):
            raise DataError(f"config.data.mask_background needs foreground masks in {name} and in the evaluation "
                            "dataset (simple_human36m has them; face datasets do not)")
        fill = data_config.background_fill
        background.paint_background(collection.frames, collection.masks, fill)
        if data.eval_images is not None:
            background.paint_background(data.eval_images, eval_masks, fill)
    if collection.masks is None:
        data.backgrounds = median_backgrounds(collection)
    logging.info("data (tfds %s): %d videos, %d frames (%d px), %d prior poses, %d evaluation images", name,
                 collection.num_videos, len(collection.frames), image_size, len(prior),
                 0 if data.eval_images is None else len(data.eval_images))
    return data


# === Reading ===

def _builder(name: str, data_dir):
    import tensorflow_datasets as tfds

    import keypoints_tf.data.tfds_builders  # noqa: F401  (registers the project's builders)
    build = (f"python -m keypoints_tf.data.tfds_builders {name} --manual_dir DIR"
             + (f" --data_dir {data_dir}" if data_dir else ""))
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as e:  # tfds raises several kinds for unknown names and configs
        raise DataError(f"TFDS dataset {name!r} not available ({str(e).splitlines()[0][:200]})") from None
    if not builder.is_prepared():
        raise DataError(f"TFDS dataset {name!r} is not prepared in {builder.data_dir}; build it first: {build}")
    return builder


def _examples(builder, split: str, skip=()):
    """NumPy examples of a split in the dataset's stored order; features in `skip` stay encoded bytes."""
    import tensorflow_datasets as tfds
    decoders = {key: tfds.decode.SkipDecoding() for key in skip if key in builder.info.features}
    dataset = builder.as_dataset(split=split, decoders=decoders, shuffle_files=False)
    return tfds.as_numpy(dataset)


def _decode(encoded: bytes, grayscale: bool = False) -> np.ndarray:
    """RGB (H, W, 3) or grey (H, W) uint8 from encoded image bytes."""
    image = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR)
    if image is None:
        raise DataError("an image in the TFDS dataset does not decode")
    return image if grayscale else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _normalized(keypoints, width: int, height: int, image_size: int) -> np.ndarray:
    """(K, 2) pixels of a (width, height) image -> normalised coordinates of its letterboxed input."""
    return (frame_to_input(keypoints, width, height, image_size) * (2.0 / image_size) - 1.0).astype(np.float32)


def _read_video_halves(builder, split: str, image_size: int, max_frames: int):
    """First halves -> VideoCollection (+ masks) and their labels; second halves -> (P, K, 2) prior poses."""
    num_examples = builder.info.splits[split].num_examples
    base_step = max(1, math.ceil(num_examples / 2 / max_frames)) if max_frames else 1
    first, lengths, second = {}, {}, []
    for example in _examples(builder, split, skip=("image", "mask")):
        video, position = example["video_id"].decode(), int(example["frame_position"])
        lengths[video] = int(example["video_num_frames"])
        if position >= lengths[video] // 2:
            second.append((video, position, example["keypoints"]))
        elif position % base_step == 0:
            first.setdefault(video, {})[position] = example
    step = _frame_step(lengths, base_step, max_frames)
    selected = {video: [p for p in sorted(first[video]) if p % step == 0] for video in sorted(first)}
    selected = {video: positions for video, positions in selected.items() if len(positions) >= 2}  # pairs
    if not selected:
        raise DataError(f"{builder.name} {split}: no video has two frames in its first half (max_frames="
                        f"{max_frames}, frame step {step})")
    total, with_masks = sum(map(len, selected.values())), "mask" in builder.info.features
    frames = np.empty((total, image_size, image_size, 3), np.uint8)  # filled in place: no second copy
    masks = np.empty((total, image_size, image_size, 1), np.uint8) if with_masks else None
    labels, starts, names, index = [], [0], list(selected), 0
    for video, positions in selected.items():
        for position in positions:
            example = first[video][position]
            image = _decode(example["image"])
            height, width = image.shape[:2]
            frames[index] = letterbox(image, image_size)
            labels.append(_normalized(example["keypoints"], width, height, image_size))
            if with_masks:
                masks[index] = letterbox(_decode(example["mask"], grayscale=True), image_size, cv2.INTER_NEAREST)
            index += 1
        starts.append(index)
    skipped = len(lengths) - len(names)
    if skipped:
        logging.warning("%s %s: %d of %d videos have fewer than 2 kept frames and are not used", builder.name, split,
                        skipped, len(lengths))
    collection = VideoCollection(frames=frames, video_starts=np.asarray(starts, np.int64), video_names=names,
                                 masks=masks)
    size = builder.info.features["image"].shape[0] or image_size  # fixed-size frames (128 px for Human3.6M)
    second.sort(key=lambda item: item[:2])
    prior = np.stack([_normalized(keypoints, size, size, image_size) for _, _, keypoints in second]) if second \
        else np.zeros((0,) + labels[0].shape, np.float32)
    return collection, np.stack(labels), prior


def _frame_step(lengths: dict, base_step: int, max_frames: int) -> int:
    """The smallest multiple of base_step keeping at most max_frames first-half frames (videos of >= 2)."""
    if not max_frames:
        return base_step
    halves = np.array([n // 2 for n in lengths.values()])
    step = base_step
    while True:
        counts = -(-halves // step)
        if counts[counts >= 2].sum() <= max_frames or step > halves.max():
            return step
        step += base_step


def _read_tracks(builder, split: str, image_size: int, max_frames: int) -> VideoCollection:
    """Unlabelled tracks -> VideoCollection; at most max_frames frames, evenly spaced within each track."""
    num_tracks = builder.info.splits[split].num_examples
    per_track = max(2, max_frames // max(num_tracks, 1)) if max_frames else 0
    frames, starts, names = [], [0], []
    for example in _examples(builder, split, skip=("video",)):
        encoded = example["video"]
        indices = np.arange(len(encoded))
        if per_track and len(indices) > per_track:
            indices = np.unique(np.round(np.linspace(0, len(encoded) - 1, per_track)).astype(int))
        if len(indices) < 2:
            continue
        if max_frames and len(frames) + len(indices) > max_frames:
            break
        frames.extend(letterbox(_decode(encoded[i]), image_size) for i in indices)
        starts.append(len(frames))
        names.append("/".join(example[k].decode() for k in ("identity", "video_id", "track") if k in example))
    if not names:
        raise DataError(f"{builder.name} {split}: no track with two frames")
    return VideoCollection(frames=np.stack(frames), video_starts=np.asarray(starts, np.int64), video_names=names)


def _read_labelled_images(builder, split: str, image_size: int, max_images: int) -> dict:
    """Images, normalised keypoints, masks (or None) and groups (or None) of a labelled split."""
    features = builder.info.features
    num_examples = builder.info.splits[split].num_examples
    step = max(1, math.ceil(num_examples / max_images)) if max_images else 1
    chosen = [e for i, e in enumerate(_examples(builder, split, skip=("image", "mask"))) if i % step == 0]
    chosen.sort(key=lambda e: tuple(e[k] for k in ("video_id", "frame_position", "subset", "image_id") if k in e))
    images, keypoints, masks = [], [], []
    for example in chosen:
        image = _decode(example["image"])
        height, width = image.shape[:2]
        images.append(letterbox(image, image_size))
        keypoints.append(_normalized(example["keypoints"], width, height, image_size))
        if "mask" in example:
            masks.append(letterbox(_decode(example["mask"], grayscale=True), image_size, cv2.INTER_NEAREST))
    if not images:
        raise DataError(f"{builder.name} {split}: no examples")
    groups, group_names = None, None
    if "activity" in features:  # Simplified Human3.6M: per activity
        groups, group_names = np.array([e["activity"] for e in chosen], np.int64), list(features["activity"].names)
    elif "subset" in features:  # 300-W: common / challenging (other splits: their folders)
        subsets = [FACES_300W_GROUPS.get(s, s) for s in (e["subset"].decode() for e in chosen)]
        group_names = sorted(set(subsets))
        groups = np.array([group_names.index(s) for s in subsets], np.int64)
    return {"images": np.stack(images), "keypoints": np.stack(keypoints), "masks": np.stack(masks) if masks else None,
            "groups": groups, "group_names": group_names}


# === The prior ===

def _prior(data_config, own_prior, image_size: int, name: str):
    """(skeleton, (P, K, 2) normalised poses): config.data.prior if set, else the dataset's second halves."""
    if data_config.prior:
        prior_set = coco.read_coco_keypoints(os.path.expanduser(data_config.prior))
        skeleton = prior_set.skeleton
        poses = prior_set.normalized(image_size)[np.all(prior_set.visible, axis=1)]
    elif own_prior is not None:
        skeleton = _skeleton(data_config, own_prior.shape[1], name)
        poses = own_prior
    else:
        raise DataError(f"config.data.prior is not set and {name} has no keypoints: give a COCO keypoints file of "
                        "unpaired poses (for faces: 68 landmarks, e.g. MultiPIE)")
    if data_config.skeleton and get_skeleton(data_config.skeleton).keypoint_names != skeleton.keypoint_names:
        raise DataError(f"the prior's skeleton {skeleton.name!r} is not the configured {data_config.skeleton!r}")
    if len(poses) == 0:
        raise DataError(f"no prior poses (with every keypoint visible) for {name}")
    return skeleton, np.asarray(subset_prior(poses, data_config, name), np.float32)


def _skeleton(data_config, num_keypoints: int, name: str):
    if data_config.skeleton:
        skeleton = get_skeleton(data_config.skeleton)
        if skeleton.num_keypoints != num_keypoints:
            raise DataError(f"{name}: {num_keypoints} keypoints, but config.data.skeleton={skeleton.name!r} has "
                            f"{skeleton.num_keypoints}")
        return skeleton
    matches = [s for s in BUILTIN.values() if s.num_keypoints == num_keypoints]
    if len(matches) != 1:
        raise DataError(f"{name}: {num_keypoints} keypoints; set config.data.skeleton to a built-in skeleton "
                        f"({sorted(BUILTIN)})")
    return matches[0]
