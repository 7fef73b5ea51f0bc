"""Foreground masks from the footage itself, for a static camera: a background model of the whole video.

The masked recipe (`config.data.mask_background`, README "What made it learn") needs a mask per frame.
Raw footage has none, but a fixed camera sees the same background in every frame, so:

1. **Background**: the per-pixel temporal median of up to `BackgroundSettings.sample_frames` evenly spaced
   frames (a person who keeps moving is at any pixel for far less than half of the video).
2. **Foreground**: pixels whose largest channel difference from the background exceeds `threshold` grey
   levels (on frames blurred by `blur` px to calm compression noise), cleaned with a morphological opening
   (specks), a closing (gaps inside a person) and hole filling.
3. **Per track**: the mask is cut with the track's crop square, and `central_figure` keeps only the connected
   components that reach the centre of the crop (the tracked person), so a passer-by at the crop's edge is
   not part of the figure.

Where the camera moves the median is no background. `camera_motion` measures the global shift between
frames (the median motion of tracked corners). In a plain scene most corners can lie on the moving person, so a
large shift alone is not proof: the camera counts as moving when the shift is above `max_shift` px per frame
**and** the median sampled frame differs from the median background in more than `max_foreground` of its
pixels (a panned scene differs almost everywhere, a person in a static one covers a small part).
`BackgroundSampler.background` then raises `MovingCameraError`, and the caller (`keypoints_tf.data.tracks`) then writes no masks and logs a
warning (training falls back to the clip-median foreground weight of configs/custom.py).

Masks are uint8, 255 = foreground, 0 = background, the size of the frame (or of the crop).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Iterable

import cv2
import numpy as np

from keypoints_tf.errors import DataError


class MovingCameraError(DataError):
    """The footage's camera moves: a temporal median is not its background."""


@dataclasses.dataclass(frozen=True)
class BackgroundSettings:
    """Background-subtraction parameters (defaults tuned on a synthetic clip, checked on vtest.avi's look).

    Attributes:
        sample_frames: frames in the temporal median.
        threshold: a pixel is foreground when its largest channel differs from the background by more.
        blur: Gaussian blur (kernel side, px, odd; 0 = none) before differencing.
        open_size, close_size: elliptical kernels (px) of the opening (removes specks) and closing (joins parts).
        max_shift: median global shift between consecutive frames (px) above which the camera may be moving ...
        max_foreground: ... and counts as moving when, besides, the median frame's foreground (pixels differing
            from the background by more than `threshold`) is a larger fraction of the frame than this.
        centre_fraction: `central_figure` keeps the components that reach the central box of this fraction of the crop.
        band_fraction: ... and only within the central vertical band of this fraction of the crop's width (cuts
            off a neighbour walking beside the tracked person, whose blob merges with theirs).
    """

    sample_frames: int = 100
    threshold: int = 28
    blur: int = 5
    open_size: int = 3
    close_size: int = 9
    max_shift: float = 0.5
    max_foreground: float = 0.3
    centre_fraction: float = 0.25
    band_fraction: float = 0.7


def camera_motion(pair, width: int = 320) -> float:
    """Global shift (px of the full frame) between two consecutive (H, W, 3) uint8 frames.

    Corners tracked with pyramidal Lucas-Kanade; the median of their motion is the camera's (people moving
    in front of a static background move a minority of the corners). 0 where nothing can be tracked.
    """
    scale = width / pair[0].shape[1]
    size = (width, max(1, round(pair[0].shape[0] * scale)))
    first, second = (cv2.cvtColor(cv2.resize(f, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY) for f in pair)
    corners = cv2.goodFeaturesToTrack(first, maxCorners=200, qualityLevel=0.01, minDistance=5)
    if corners is None:
        return 0.0
    moved, status, _ = cv2.calcOpticalFlowPyrLK(first, second, corners, None)
    found = status.ravel() == 1
    if not found.any():
        return 0.0
    flow = (moved - corners).reshape(-1, 2)[found]
    return float(np.hypot(*np.median(flow, axis=0)) / scale)


class BackgroundSampler:
    """Collects what the background model needs during one pass over a video.

    Keeps every `step`-th frame (step chosen from the expected frame count so that about
    `settings.sample_frames` are kept) and a few consecutive pairs for the moving-camera check.
    """

    def __init__(self, expected_frames: int, settings: BackgroundSettings = BackgroundSettings(), pairs: int = 10):
        self.settings = settings
        self.step = max(1, int(expected_frames) // settings.sample_frames)
        self.pair_starts = set(np.linspace(0, max(int(expected_frames) - 2, 0), pairs).astype(int).tolist())
        self.samples, self.pairs, self._pending = [], [], {}

    def add(self, index: int, frame: np.ndarray):
        """Offers frame `index` (frames in order)."""
        if index % self.step == 0:
            self.samples.append(frame)
        if index - 1 in self._pending:
            self.pairs.append((self._pending.pop(index - 1), frame))
        if index in self.pair_starts:
            self._pending[index] = frame

    def background(self) -> np.ndarray:
        """(H, W, 3) uint8 median background; MovingCameraError where the camera moves."""
        if len(self.samples) < 3:
            raise DataError(f"a background model needs at least 3 frames, got {len(self.samples)}")
        settings = self.settings
        model = np.median(np.stack(self.samples), axis=0).astype(np.uint8)
        shift = float(np.median([camera_motion(pair) for pair in self.pairs])) if self.pairs else 0.0
        if shift > settings.max_shift:
            covered = float(np.median([(_difference(frame, model, settings.blur) > settings.threshold).mean()
                                       for frame in self.samples]))
            if covered > settings.max_foreground:
                raise MovingCameraError(
                    f"the camera moves (median global shift {shift:.2f} px per frame, more than {settings.max_shift}, "
                    f"and {covered:.0%} of a frame differs from the median, more than {settings.max_foreground:.0%}): "
                    "a temporal median is not its background")
        return model


def foreground_mask(frame: np.ndarray, background: np.ndarray,
                    settings: BackgroundSettings = BackgroundSettings()) -> np.ndarray:
    """(H, W, 3) uint8 frame and background -> (H, W) uint8 mask, 255 = foreground."""
    if frame.shape != background.shape:
        raise DataError(f"frame {frame.shape} and background {background.shape} differ in size")
    mask = np.where(_difference(frame, background, settings.blur) > settings.threshold, 255, 0).astype(np.uint8)
    if settings.open_size:
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _ellipse(settings.open_size))
    if settings.close_size:
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _ellipse(settings.close_size))
    return fill_holes(mask)


def _difference(frame: np.ndarray, background: np.ndarray, blur: int) -> np.ndarray:
    """(H, W) largest per-channel absolute difference, after a `blur` px Gaussian (0 = none) on both."""
    if blur:
        frame = cv2.GaussianBlur(frame, (blur, blur), 0)
        background = cv2.GaussianBlur(background, (blur, blur), 0)
    return cv2.absdiff(frame, background).max(axis=2)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fills background regions not connected to the image border (holes inside a figure)."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8), (0, 0), 255)
    holes = cv2.bitwise_not(flood)[1:-1, 1:-1]
    return cv2.bitwise_or(mask, holes)


def keep_central_components(mask: np.ndarray, centre_fraction: float) -> np.ndarray:
    """(S, S) uint8 mask -> the same with only the components that touch the central box.

    The central box is `centre_fraction` of the side wide and twice that tall (a standing person).
    """
    count, labels = cv2.connectedComponents((mask > 0).astype(np.uint8), connectivity=8)
    if count <= 1:
        return mask
    height, width = mask.shape
    half_w, half_h = max(1, round(width * centre_fraction / 2)), max(1, round(height * centre_fraction))
    centre = labels[height // 2 - half_h:height // 2 + half_h, width // 2 - half_w:width // 2 + half_w]
    kept = np.setdiff1d(np.unique(centre), [0])
    return np.where(np.isin(labels, kept), 255, 0).astype(np.uint8)


def central_figure(mask_crop: np.ndarray, settings: BackgroundSettings = BackgroundSettings()) -> np.ndarray:
    """A mask cropped around a tracked person (resampled, so binarised again) -> only that person's components."""
    binary = np.where(mask_crop >= 128, 255, 0).astype(np.uint8)
    width = binary.shape[1]
    margin = round(width * (1.0 - settings.band_fraction) / 2)
    if margin > 0:
        binary[:, :margin] = 0
        binary[:, width - margin:] = 0
    return keep_central_components(binary, settings.centre_fraction)


def paint_background(images: np.ndarray, masks: np.ndarray, fill: int = 0):
    """In place: pixels of (N, S, S, 3) uint8 `images` where `masks` (N, S, S, 1) is 0 become grey level `fill`.

    The masked-background protocol (`config.data.mask_background`, `config.data.background_fill`).
    """
    images[:] = np.where(masks > 0, images, np.uint8(fill))


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (> 0 = foreground); 1.0 when both are empty."""
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def log_moving_camera(path: str, error: MovingCameraError):
    logging.warning("%s: %s; writing no masks (training falls back to the clip-median foreground weight, "
                    "configs/custom.py)", path, error)
