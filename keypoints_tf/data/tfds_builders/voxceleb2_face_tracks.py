"""VoxCeleb2-style face tracks: unlabelled face video for the image side of KeypointGAN's face experiments.

On-disk format: the official VoxCeleb2 release unpacks to ``dev/mp4/<identity>/<video>/<track>.mp4``
(``vox2_dev_mp4``) and ``test/mp4/...`` or ``mp4/...`` (``vox2_test_mp4``): 224 x 224 face tracks at 25 fps,
identities ``id00012``, YouTube video ids ``_raAxpKDjWo``, tracks ``00001``. Preprocessed copies often
hold frames instead: ``<identity>/<video>/<track>/*.jpg|png``. Both are read::

    <manual_dir>/[dev|test/][mp4/]<identity>/<video>/<track>.mp4      (or .avi/.mov/.mkv/.webm)
    <manual_dir>/[dev|test/][mp4/]<identity>/<video>/<track>/0001.jpg ...

An identity folder is any folder named ``id`` + digits. Tracks under a path with a ``test`` component go
to the ``test`` split, all others to ``train``. Frames are letterboxed (`keypoints_tf.data.letterbox`) to
``size`` px (square VoxCeleb2 tracks are simply resized) and every ``frame_step``-th frame is kept, at most
``max_frames`` per track.

Uncertain: whether ``vox2_test_mp4`` unpacks with a ``test/`` folder (a bare ``mp4/`` folder next to
``dev/`` is not recognised as test: put it under ``test/``); the frame naming of third-party frame dumps
(any png/jpg names, sorted).
"""

from __future__ import annotations

import dataclasses
import os
import re

import cv2
import numpy as np
import tensorflow_datasets as tfds

from keypoints_tf.data.letterbox import letterbox
from keypoints_tf.data.tfds_builders.compat import SourceFileCodePath
from keypoints_tf.errors import DataError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
IDENTITY = re.compile(r"^id\d+$")


def find_tracks(manual_dir: str) -> list:
    """Sorted (split, identity, video, track, path) of every track under `manual_dir`."""
    tracks = []
    for folder, subfolders, _ in os.walk(manual_dir):
        subfolders.sort()
        if not IDENTITY.match(os.path.basename(folder)):
            continue
        subfolders[:] = []  # do not descend further by os.walk; tracks are read below
        identity = os.path.basename(folder)
        relative = os.path.relpath(folder, manual_dir).split(os.sep)
        split = "test" if "test" in relative[:-1] else "train"
        for video in sorted(os.listdir(folder)):
            video_folder = os.path.join(folder, video)
            if not os.path.isdir(video_folder):
                continue
            for entry in sorted(os.listdir(video_folder)):
                path = os.path.join(video_folder, entry)
                stem, extension = os.path.splitext(entry)
                if os.path.isfile(path) and extension.lower() in VIDEO_EXTENSIONS:
                    tracks.append((split, identity, video, stem, path))
                elif os.path.isdir(path) and _frame_files(path):
                    tracks.append((split, identity, video, entry, path))
    return tracks


def _frame_files(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


def read_track(path: str, size: int, frame_step: int = 1, max_frames: int = 0) -> list:
    """BGR uint8 (size, size, 3) frames of one track (a video file or a folder of images)."""
    frames = []
    if os.path.isdir(path):
        for index, file in enumerate(_frame_files(path)):
            if index % frame_step:
                continue
            image = cv2.imread(file, cv2.IMREAD_COLOR)
            if image is None:
                raise DataError(f"{file}: could not decode the frame")
            frames.append(letterbox(image, size))
            if max_frames and len(frames) >= max_frames:
                break
        return frames
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise DataError(f"{path}: OpenCV could not open this video")
    try:
        index = 0
        while not max_frames or len(frames) < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            if index % frame_step == 0:
                frames.append(letterbox(frame, size))
            index += 1
    finally:
        capture.release()
    return frames


@dataclasses.dataclass
class FaceTracksConfig(tfds.core.BuilderConfig):
    size: int = 128
    frame_step: int = 1
    max_frames: int = 250  # VoxCeleb2 tracks are 4 s to 20 s at 25 fps


class Voxceleb2FaceTracks(SourceFileCodePath, tfds.core.GeneratorBasedBuilder):
    """Unlabelled face tracks (VoxCeleb2 layout): one example per track, a video of square frames."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version."}
    BUILDER_CONFIGS = [FaceTracksConfig(name="128", description="128 px frames, every frame, <= 250 per track")]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Get VoxCeleb2 (https://www.robots.ox.ac.uk/~vgg/data/voxceleb/vox2.html; vox2_dev_mp4 and vox2_test_mp4,
    research use), unpack so that the tracks are at dev/mp4/idXXXXX/VIDEO/TRACK.mp4 and
    test/mp4/idXXXXX/VIDEO/TRACK.mp4 (folders of frames instead of .mp4 files also work), and pass the
    folder as --manual_dir:
        tfds build voxceleb2_face_tracks --imports keypoints_tf.data.tfds_builders --manual_dir DIR
    """

    def _info(self):
        size = self.builder_config.size
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__.split("\n")[0],
            features=tfds.features.FeaturesDict({
                "video": tfds.features.Video(shape=(None, size, size, 3), encoding_format="jpeg"),
                "identity": tfds.features.Text(),
                "video_id": tfds.features.Text(),
                "track": tfds.features.Text(),
                "num_frames": np.int32,
            }),
            homepage="https://www.robots.ox.ac.uk/~vgg/data/voxceleb/vox2.html",
            citation="Chung, Nagrani and Zisserman, VoxCeleb2: Deep Speaker Recognition, Interspeech 2018",
        )

    def _split_generators(self, dl_manager):
        manual_dir = os.fspath(dl_manager.manual_dir)
        tracks = find_tracks(manual_dir)
        if not tracks:
            raise DataError(f"{manual_dir}: no face tracks found (expected [dev/][mp4/]idXXXXX/VIDEO/TRACK.mp4 or "
                            "idXXXXX/VIDEO/TRACK/ folders of frames)")
        splits = sorted({t[0] for t in tracks})
        return {split: self._generate_examples([t for t in tracks if t[0] == split]) for split in splits}

    def _generate_examples(self, tracks):
        config = self.builder_config
        for _, identity, video, track, path in tracks:
            frames = read_track(path, config.size, config.frame_step, config.max_frames)
            if len(frames) < 2:
                raise DataError(f"{path}: {len(frames)} readable frame(s); a track needs at least 2")
            encoded = [cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes() for frame in frames]
            yield f"{identity}/{video}/{track}", {"video": encoded, "identity": identity, "video_id": video,
                                                   "track": track, "num_frames": len(frames)}
