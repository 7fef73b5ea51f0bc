"""Bring-your-own videos: a folder in which each sub-folder of frames or each video file is one video.

Frames are letterboxed onto a square canvas (see `keypoints_tf.data.coco`), resized to the configured
size and kept in memory as uint8 RGB, shape (S, S, 3). Optional foreground masks live in a parallel
folder with the same sub-folder and frame names (``masks/<video>/<frame>.png``, 0 = background).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Optional, Sequence

import cv2
import numpy as np

from keypoints_tf.data.letterbox import letterbox
from keypoints_tf.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


MAX_IMAGE_PIXELS = 100_000_000


def decode_image(path: str, flags=cv2.IMREAD_COLOR):
    """cv2.imdecode of a file's bytes, or None where it does not decode.

    Reading the bytes ourselves works for any file name (OpenCV's own file access fails on names that
    are not UTF-8), and a PNG whose chunk lengths or size do not fit the file is refused before OpenCV
    would try to allocate what its header claims.
    """
    try:
        data = np.fromfile(path, np.uint8)
    except OSError:
        return None
    if not _plausible_png(data):
        return None
    return cv2.imdecode(data, flags) if data.size else None


def _plausible_png(data: np.ndarray) -> bool:
    raw = data.tobytes()
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return True  # not a PNG: leave it to OpenCV
    position = 8
    while position + 8 <= len(raw):
        length = int.from_bytes(raw[position:position + 4], "big")
        kind = raw[position + 4:position + 8]
        if position + 12 + length > len(raw):
            return False
        if kind == b"IHDR" and length >= 8:
            width = int.from_bytes(raw[position + 8:position + 12], "big")
            height = int.from_bytes(raw[position + 12:position + 16], "big")
            if width * height > MAX_IMAGE_PIXELS:
                return False
        if kind == b"IEND":
            return True
        position += 12 + length
    return False


def read_image(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB. Raises DataError if the file is missing or does not decode."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: image file not found")
    image = decode_image(path)
    if image is None:
        raise DataError(f"{path}: could not decode the image (expected png/jpg/bmp)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def open_video(path: str) -> cv2.VideoCapture:
    """An opened cv2.VideoCapture, or DataError (missing file, a name OpenCV cannot open, no decoder)."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: video file not found")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(f"{path!r}: OpenCV cannot open file names that are not UTF-8; rename the file") from None
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise DataError(f"{path}: OpenCV could not open this video (expected mp4/avi/mov that FFmpeg decodes)")
    return capture


def iter_video_file(path: str):
    """Yields (H, W, 3) uint8 RGB frames of a video file decoded with OpenCV."""
    capture = open_video(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


@dataclasses.dataclass
class VideoCollection:
    """Frames of many videos with random access by global frame index.

    Attributes:
        frames: (N, S, S, 3) uint8 RGB, all videos concatenated.
        video_starts: (V + 1,) int64; video v has frames [video_starts[v], video_starts[v + 1]).
        video_names: V names (sub-folder or file names).
        masks: (N, S, S, 1) uint8 foreground masks (255 = object) or None.
        skipped_frames: corrupt frames that were skipped while reading.
    """

    frames: np.ndarray
    video_starts: np.ndarray
    video_names: list
    masks: Optional[np.ndarray] = None
    skipped_frames: int = 0

    @property
    def num_videos(self) -> int:
        return len(self.video_names)

    @property
    def image_size(self) -> int:
        return int(self.frames.shape[1])

    def video_lengths(self) -> np.ndarray:
        return np.diff(self.video_starts)

    def video_of_frame(self) -> np.ndarray:
        """(N,) the video index of every frame."""
        return np.repeat(np.arange(self.num_videos), self.video_lengths())


def _list_frames(folder: str):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


def list_videos(folder: str) -> list:
    """[(name, kind, path)] with kind 'frames' (a sub-folder of images) or 'file' (a video file)."""
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: videos folder not found (expected a folder whose sub-folders of frames "
                        "or video files are the videos)")
    videos = []
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and _list_frames(path):
            videos.append((entry, "frames", path))
        elif os.path.isfile(path) and entry.lower().endswith(VIDEO_EXTENSIONS):
            videos.append((os.path.splitext(entry)[0], "file", path))
    if not videos:
        raise DataError(f"{folder}: no videos found (expected sub-folders of {'/'.join(IMAGE_EXTENSIONS)} "
                        f"frames or {'/'.join(VIDEO_EXTENSIONS)} files)")
    return videos


def read_videos(folder: str, image_size: int, masks_folder: Optional[str] = None,
                max_frames_per_video: Optional[int] = None, max_corrupt_fraction: float = 0.1,
                min_frames: int = 2) -> VideoCollection:
    """Reads every video under `folder`, letterboxed and resized to (image_size, image_size).

    Corrupt frames are skipped and counted; a collection where more than `max_corrupt_fraction` of the
    frames are corrupt, or a video with fewer than `min_frames` readable frames, raises DataError.
    """
    if masks_folder and not os.path.isdir(masks_folder):
        raise DataError(f"{masks_folder}: masks folder not found")
    all_frames, all_masks, starts, names = [], [], [0], []
    skipped = total = 0
    for name, kind, path in list_videos(folder):
        frames, masks = [], []
        if kind == "frames":
            files = _list_frames(path)[:max_frames_per_video]
            for file in files:
                total += 1
                image = decode_image(file)
                if image is None:
                    skipped += 1
                    continue
                frames.append(letterbox(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), image_size))
                if masks_folder:
                    masks.append(_read_mask(os.path.join(masks_folder, name, os.path.basename(file)), image_size))
        else:
            try:
                for frame in iter_video_file(path):
                    total += 1
                    frames.append(letterbox(frame, image_size))
                    if max_frames_per_video and len(frames) >= max_frames_per_video:
                        break
            except cv2.error as e:
                raise DataError(f"{path}: video decoding failed: {e}") from None
            if masks_folder:
                raise DataError(f"{path}: masks are only supported for videos stored as folders of frames")
        if len(frames) < min_frames:
            raise DataError(f"{path}: {len(frames)} readable frame(s), a video needs at least {min_frames} "
                            "to give frame pairs (is the file a video that OpenCV/FFmpeg can decode?)")
        all_frames.append(np.stack(frames))
        if masks_folder:
            all_masks.append(np.stack(masks))
        starts.append(starts[-1] + len(frames))
        names.append(name)
    if skipped:
        logging.warning("%s: skipped %d corrupt frame(s) of %d", folder, skipped, total)
        if skipped > max_corrupt_fraction * total:
            raise DataError(f"{folder}: {skipped} of {total} frames do not decode (more than "
                            f"{max_corrupt_fraction:.0%}); check the files")
    return VideoCollection(frames=np.concatenate(all_frames), video_starts=np.asarray(starts, np.int64),
                           video_names=names, masks=np.concatenate(all_masks) if masks_folder else None,
                           skipped_frames=skipped)


def _read_mask(path: str, image_size: int) -> np.ndarray:
    mask = decode_image(path, cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise DataError(f"{path}: mask missing or unreadable (masks must mirror the frames' names)")
    return letterbox(mask, image_size, interpolation=cv2.INTER_NEAREST)


def load_labelled_images(file_names: Sequence[str], image_size: int) -> np.ndarray:
    """(N, S, S, 3) uint8: the images of an evaluation set, letterboxed like training frames."""
    return np.stack([letterbox(read_image(f), image_size) for f in file_names])
