"""Simplified Human3.6M (Zhang et al., CVPR 2018), the release KeypointGAN trains and evaluates on.

On-disk format (as read by the KeypointGAN release, ``data/simplehuman36m_dataset.py``; the folder name
``BackgroudMask`` is spelt that way in the release)::

    <manual_dir>/S1/WithBackground/<sequence>/<frame>.jpg   128 x 128 RGB crops
    <manual_dir>/S1/BackgroudMask/<sequence>/<frame>.png    foreground masks (non-zero = person)
    <manual_dir>/S1/Landmarks/<sequence>/<frame>.mat        'keypoints_2d': (32, 2), (y, x) / 128
    ... S5, S6, S7, S8, S9, S11

``<sequence>`` is ``<Activity>[ <n>].<camera>``, e.g. ``Directions 1.54138969``; ``<frame>`` is an
unpadded integer. Splits: train = S1, S5, S6, S7, S8, S9; test = S11. Activities: directions, discussion,
greeting, posing, waiting, walking (case-insensitive; other activities are skipped).

Keypoints: ``keypoints_2d`` holds (row, column) in units of the image side (the release multiplies by
128 and swaps to (x, y)). We store ``keypoints_32`` = (x, y) * image side as continuous pixel coordinates
(`keypoints_tf.skeleton`, pixel centres at i + 0.5) and ``keypoints``, the `human17` subset, taking the
release's own choice of Human3.6M joints (``data/human36m_skeleton.py``, ``links_simple2``)::

    human17:  pelvis r_hip r_knee r_ankle r_toes l_hip l_knee l_ankle l_toes neck head_back
    index:      11     1     2      3       5     6     7      8       10    13     15
    human17:  l_shoulder l_elbow l_wrist r_shoulder r_elbow r_wrist
    index:        17        18      19       25        26      27

Uncertain (the real files were not available when this was written):
* whether ``keypoints_2d * 128`` puts 0 at the image edge (our assumption) or at the first pixel centre
  (then every keypoint is 0.5 px off, 0.4 % of the image side);
* whether masks are 1-bit PNGs (the release multiplies images by them as 0/1) or 0/255; any non-zero
  value counts as foreground here, stored as 0/255;
* the .mat version: Level 5 (compressed or not) and v7.3/HDF5 are both read (`matlab.read_mat_arrays`);
* sequences are matched to activities by their exact name before the take number (``Walking 1`` is
  walking, ``WalkingDog`` is not); the release matches by prefix, which would also take ``WalkingDog``
  and ``WalkTogether`` if they were in the folder (they are not in the six-activity release).
"""

from __future__ import annotations

import os
import re

import cv2
import numpy as np
import tensorflow_datasets as tfds

from keypoints_tf.data.tfds_builders.matlab import read_mat_arrays
from keypoints_tf.data.tfds_builders.compat import SourceFileCodePath
from keypoints_tf.errors import DataError

ACTIVITIES = ("directions", "discussion", "greeting", "posing", "waiting", "walking")
TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9")
TEST_SUBJECTS = ("S11",)
HUMAN17_FROM_32 = (11, 1, 2, 3, 5, 6, 7, 8, 10, 13, 15, 17, 18, 19, 25, 26, 27)
IMAGE_SIZE = 128
IMAGES, MASKS, LANDMARKS = "WithBackground", "BackgroudMask", "Landmarks"


def parse_sequence_name(name: str):
    """'Directions 1.54138969' -> ('directions', '54138969'); None for another activity or naming."""
    match = re.match(r"^([A-Za-z]+)(?: \d+)?\.(\w+)$", name)
    if not match or match.group(1).lower() not in ACTIVITIES:
        return None
    return match.group(1).lower(), match.group(2)


def find_root(manual_dir: str) -> str:
    """The folder holding S1 ... S11: `manual_dir` or one folder below it."""
    candidates = [manual_dir] + sorted(os.path.join(manual_dir, d) for d in os.listdir(manual_dir)
                                       if os.path.isdir(os.path.join(manual_dir, d)))
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, "S1", MASKS)):
            return candidate
    raise DataError(f"{manual_dir}: no Simplified Human3.6M data found (expected S1/{MASKS}/, S1/{IMAGES}/ and "
                    f"S1/{LANDMARKS}/ there or one folder below)")


def read_keypoints_32(path: str) -> np.ndarray:
    """(32, 2) float32 (x, y) in units of the image side, from a Landmarks .mat file."""
    arrays = read_mat_arrays(path)
    if "keypoints_2d" not in arrays:
        raise DataError(f"{path}: no 'keypoints_2d' variable (found {sorted(arrays)})")
    keypoints = np.asarray(arrays["keypoints_2d"], np.float64)
    if keypoints.shape != (32, 2):
        raise DataError(f"{path}: 'keypoints_2d' has shape {keypoints.shape}, expected (32, 2)")
    return keypoints[:, ::-1].astype(np.float32)  # (row, column) -> (x, y)


def _encode(image: np.ndarray, extension: str) -> bytes:
    ok, encoded = cv2.imencode(extension, image)
    if not ok:
        raise DataError(f"could not encode an image as {extension}")
    return encoded.tobytes()


class SimpleHuman36m(SourceFileCodePath, tfds.core.GeneratorBasedBuilder):
    """Simplified Human3.6M: 128 px crops of six activities with masks and 32 joints (17 as human17)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version: images, masks, human17 and 32-joint keypoints (pixels)."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
    Ask the authors of Zhang et al., "Unsupervised Discovery of Object Landmarks as Structural
    Representations" (CVPR 2018) for the Simplified Human3.6M release (Human3.6M licence terms apply),
    unpack it and pass the folder that holds S1, S5, S6, S7, S8, S9 and S11 (each with {IMAGES}/,
    {MASKS}/ and {LANDMARKS}/) as --manual_dir:
        tfds build simple_human36m --imports keypoints_tf.data.tfds_builders --manual_dir DIR
    """

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__.split("\n")[0],
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(IMAGE_SIZE, IMAGE_SIZE, 3), encoding_format="jpeg"),
                "mask": tfds.features.Image(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), encoding_format="png"),
                "keypoints": tfds.features.Tensor(shape=(17, 2), dtype=np.float32),
                "keypoints_32": tfds.features.Tensor(shape=(32, 2), dtype=np.float32),
                "subject": tfds.features.Text(),
                "activity": tfds.features.ClassLabel(names=ACTIVITIES),
                "camera": tfds.features.Text(),
                "video_id": tfds.features.Text(),
                "frame_index": np.int32,
                "frame_position": np.int32,
                "video_num_frames": np.int32,
            }),
            homepage="https://github.com/YutingZhang/lmdis-rep",
            citation="Zhang et al., Unsupervised Discovery of Object Landmarks as Structural Representations, CVPR 2018",
        )

    def _split_generators(self, dl_manager):
        root = find_root(os.fspath(dl_manager.manual_dir))
        missing = [s for s in TRAIN_SUBJECTS + TEST_SUBJECTS if not os.path.isdir(os.path.join(root, s, MASKS))]
        if missing:
            raise DataError(f"{root}: subject folder(s) {missing} missing (expected {MASKS}/ inside each of "
                            f"{list(TRAIN_SUBJECTS + TEST_SUBJECTS)})")
        return {"train": self._generate_examples(root, TRAIN_SUBJECTS),
                "test": self._generate_examples(root, TEST_SUBJECTS)}

    def _generate_examples(self, root, subjects):
        for subject in subjects:
            for sequence in sorted(os.listdir(os.path.join(root, subject, MASKS))):
                parsed = parse_sequence_name(sequence)
                if parsed is None:
                    continue
                activity, camera = parsed
                folder = os.path.join(root, subject, MASKS, sequence)
                frames = sorted(int(os.path.splitext(f)[0]) for f in os.listdir(folder) if f.endswith(".png"))
                for position, frame in enumerate(frames):
                    key = f"{subject}/{sequence}/{frame}"
                    yield key, self._example(root, subject, sequence, frame, activity, camera, position, len(frames))

    def _example(self, root, subject, sequence, frame, activity, camera, position, num_frames):
        image_path = os.path.join(root, subject, IMAGES, sequence, f"{frame}.jpg")
        mask_path = os.path.join(root, subject, MASKS, sequence, f"{frame}.png")
        if not os.path.isfile(image_path):
            raise DataError(f"{image_path}: image missing (every mask needs its image)")
        with open(image_path, "rb") as f:
            encoded_image = f.read()
        image = cv2.imdecode(np.frombuffer(encoded_image, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise DataError(f"{image_path}: could not decode the image")
        if image.shape != (IMAGE_SIZE, IMAGE_SIZE, 3):  # else keep the release's JPEG bytes as they are
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image[:, :, :3]
            image = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
            encoded_image = _encode(image, ".jpg")
        mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise DataError(f"{mask_path}: mask unreadable")
        if mask.shape[:2] != (IMAGE_SIZE, IMAGE_SIZE):
            mask = cv2.resize(mask, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_NEAREST)
        mask = np.where(mask > 0, 255, 0).astype(np.uint8)
        keypoints_32 = read_keypoints_32(os.path.join(root, subject, LANDMARKS, sequence, f"{frame}.mat")) * IMAGE_SIZE
        return {
            "image": encoded_image,
            "mask": _encode(mask[:, :, None], ".png"),
            "keypoints": keypoints_32[list(HUMAN17_FROM_32)],
            "keypoints_32": keypoints_32,
            "subject": subject,
            "activity": activity,
            "camera": camera,
            "video_id": f"{subject}/{sequence}",
            "frame_index": frame,
            "frame_position": position,
            "video_num_frames": num_frames,
        }
