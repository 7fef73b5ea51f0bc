"""A person-centred crop that follows the keypoints from frame to frame (`detect --crop=track`).

The model sees a small square input (32 to 128 px). Letterboxing a whole camera frame into it leaves a
walker a few pixels tall; the official pose demos crop around the person instead (MoveNet keeps a crop
region from the previous frame's keypoints, MediaPipe tracks a region of interest). The rule here, the same
in the Android core (``android_demo/core``: ``CropTracker``, ``CropRegion``), is:

1. With no region (first frame, tracking lost, frame size changed) the detector sees the whole frame,
   letterboxed as usual.
2. After each frame, the keypoints whose confidence is at least ``threshold`` are the visible ones. With
   fewer than ``max(2, ceil(min_visible_fraction * K))`` of them, tracking is lost (rule 1 next frame).
3. Otherwise, with c the per-axis median of the visible keypoints and e twice the larger of their two
   per-axis median absolute deviations from c (`spread`: a few keypoints thrown far off move neither),
   the target region is the square of side ``expand * e``, clamped to ``[min_side_fraction, 1] x max(W,
   H)``, centred at ``c + (offset_x, offset_y) * e``, clamped to the frame.
4. It is blended with the previous region (when there is one): ``smoothing * previous + (1 - smoothing) *
   target`` for the centre and the side.
5. The pixels cut out are the integer square ``side_px = max(1, floor(side + 0.5))``, ``x0 = floor(cx -
   side_px / 2 + 0.5)``, ``y0`` likewise; outside the frame it is black. The detector letterboxes that
   square (an exact resize, as it is square) and its keypoints map back as ``(x0, y0) + crop pixels``.

Coordinates are continuous frame pixels (`keypoints_tf.skeleton`).

**Calibration.** The constants that depend on the model are measured at export (`calibrate`, stored in the
contract's ``crop`` section, read by `CropSettings.from_contract` here and by the Android core): the
detector runs on its own training frames, which show people at the scale it learned; ``threshold`` is the
lower quartile of its confidences (within [0.05, 0.3]: a weak model's confidences sit well below the usual
0.3, and tracking would be lost at once), ``expand`` the median of S / e and ``offset`` the median of
(S/2 - c) / e. A crop drawn by the rule around the model's keypoints on a training frame is then that
frame again (a fixed point), rather than one that shrinks, grows or creeps by the model's own bias frame
after frame. Without the section: threshold 0.3, expand 2.7, no offset (the medians over the real-footage
pseudo labels in their 128 px crops: expand 2.83 on dev, 2.60 on test; offsets within 0.02).

    detector = TrackingDetector(keypoints_tf.load("model.tflite"))
    for frame in frames:
        detection = detector.detect(frame)      # .keypoints in frame pixels, .square [x0, y0, side] or None
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import cv2
import numpy as np

from keypoints_tf.detection import Detection

LOST_TEXT = "no person tracked: whole frame"  # the overlay's words when there is no region (the app's too)
THRESHOLD_RANGE = (0.05, 0.3)  # calibrated threshold: never above the usual 0.3, never down to noise
EXPAND_RANGE = (1.5, 6.0)
OFFSET_LIMIT = 1.0


@dataclasses.dataclass(frozen=True)
class CropSettings:
    """The crop rule's constants (module docstring); the Android core's ``CropSettings.DEFAULT`` equals these."""

    threshold: float = 0.3             # a keypoint is visible at this confidence (the overlay's threshold)
    min_visible_fraction: float = 0.25  # fewer visible keypoints than this share of K: tracking is lost
    expand: float = 2.7                # crop side / spread of the visible keypoints (rule 3's e)
    offset_x: float = 0.0              # crop centre - keypoints' median, in units of e
    offset_y: float = 0.0
    min_side_fraction: float = 0.1     # smallest crop side, as a share of the frame's longer side
    smoothing: float = 0.5             # weight of the previous region in the blend (0 = none)

    def min_visible(self, num_keypoints: int) -> int:
        return max(2, math.ceil(self.min_visible_fraction * num_keypoints))

    @staticmethod
    def from_contract(contract: dict) -> "CropSettings":
        """The defaults with the contract's calibrated ``crop`` section (`calibrate`), where it has one."""
        crop = contract.get("crop") or {}
        offset = crop.get("offset", [0.0, 0.0])
        defaults = CropSettings()
        return CropSettings(threshold=float(crop.get("threshold", defaults.threshold)),
                            expand=float(crop.get("expand", defaults.expand)),
                            offset_x=float(offset[0]), offset_y=float(offset[1]))

    @staticmethod
    def for_detector(detector, threshold: Optional[float] = None) -> "CropSettings":
        """`from_contract` of a loaded detector (a training workdir, not exported yet, is calibrated now),
        with `threshold` instead of the calibrated one when given."""
        contract = detector.contract
        restored = getattr(detector, "restored", None)  # keypoints_tf.inference.KerasDetector
        if "crop" not in contract and restored is not None:
            contract = dict(contract, crop=restored.crop_calibration())
        settings = CropSettings.from_contract(contract)
        return settings if threshold is None else dataclasses.replace(settings, threshold=float(threshold))


@dataclasses.dataclass(frozen=True)
class CropRegion:
    """A square crop region in frame pixels: centre (center_x, center_y) and side, before rounding."""

    center_x: float
    center_y: float
    side: float

    def square(self):
        """(x0, y0, side) integers: the pixels cut out (rule 5)."""
        side = max(1, math.floor(self.side + 0.5))
        return (math.floor(self.center_x - side / 2 + 0.5), math.floor(self.center_y - side / 2 + 0.5), side)

    @staticmethod
    def from_square(x0, y0, side) -> "CropRegion":
        return CropRegion(x0 + side / 2, y0 + side / 2, float(side))


class CropTracker:
    """The crop region for the next frame, from the keypoints of the previous one (module docstring).

    Example:
        >>> tracker = CropTracker()
        >>> tracker.region(640, 480) is None          # nothing tracked yet: the whole frame
        True
    """

    def __init__(self, settings: CropSettings = CropSettings()):
        self.settings = settings
        self._region: Optional[CropRegion] = None
        self._frame_size = None

    def region(self, width: int, height: int) -> Optional[CropRegion]:
        """The region to crop from the next `width` x `height` frame, or None for the whole frame."""
        return self._region if self._frame_size == (width, height) else None

    def start(self, region: CropRegion, width: int, height: int):
        """Starts tracking from a known region (e.g. a person detector's box)."""
        self._region, self._frame_size = region, (width, height)

    def reset(self):
        self._region, self._frame_size = None, None

    def update(self, keypoints, confidence, width: int, height: int) -> Optional[CropRegion]:
        """Takes this frame's (K, 2) keypoints (frame pixels) and (K,) confidences; returns the next region."""
        target = target_region(keypoints, confidence, width, height, self.settings)
        previous = self.region(width, height)
        if target is not None and previous is not None:
            s = self.settings.smoothing
            target = CropRegion(s * previous.center_x + (1.0 - s) * target.center_x,
                                s * previous.center_y + (1.0 - s) * target.center_y,
                                s * previous.side + (1.0 - s) * target.side)
        self._region, self._frame_size = target, (width, height)
        return target


def target_region(keypoints, confidence, width: int, height: int, settings: CropSettings = CropSettings()):
    """Rules 2 and 3: the region around one frame's visible keypoints, or None when too few are visible."""
    keypoints = np.asarray(keypoints, np.float64).reshape(-1, 2)
    confidence = np.asarray(confidence, np.float64).reshape(-1)
    visible = (confidence >= settings.threshold) & np.all(np.isfinite(keypoints), axis=1)
    if visible.sum() < settings.min_visible(len(confidence)):
        return None
    centre, extent = spread(keypoints[visible])
    longest = float(max(width, height))
    side = min(max(settings.expand * extent, settings.min_side_fraction * longest), longest)
    center_x = min(max(centre[0] + settings.offset_x * extent, 0.0), float(width))
    center_y = min(max(centre[1] + settings.offset_y * extent, 0.0), float(height))
    return CropRegion(float(center_x), float(center_y), float(side))


def spread(points):
    """(centre (2,), extent): the per-axis median of (M, 2) points and twice their larger median absolute
    deviation from it. Robust: a few keypoints thrown far off by a weak model move neither."""
    centre = np.median(points, axis=0)
    return centre, float(2.0 * np.median(np.abs(points - centre), axis=0).max())


def calibrate(keypoints, confidence, size: int, settings: CropSettings = CropSettings()) -> dict | None:
    """The contract's ``crop`` section from a detector's outputs on its training frames (module docstring).

    Args:
        keypoints: (N, K, 2) input pixels of N letterboxed S x S training frames; confidence: (N, K).
        size: S.

    Returns:
        {"threshold", "expand", "offset": [x, y], "frames"}, or None when no frame has enough keypoints
        above the lowest threshold (an untrained model): the defaults apply.
    """
    keypoints, confidence = np.asarray(keypoints, np.float64), np.asarray(confidence, np.float64)
    threshold = float(np.clip(np.quantile(confidence, 0.25), *THRESHOLD_RANGE))
    extents, offsets = [], []
    for points, scores in zip(keypoints, confidence):
        visible = scores >= threshold
        if visible.sum() < settings.min_visible(len(scores)):
            continue
        centre, extent = spread(points[visible])
        if extent > 0:
            extents.append(extent)
            offsets.append((size / 2.0 - centre) / extent)
    if not extents:
        return None
    expand = float(np.clip(np.median(size / np.asarray(extents)), *EXPAND_RANGE))
    offset = np.clip(np.median(np.asarray(offsets), axis=0), -OFFSET_LIMIT, OFFSET_LIMIT)
    return {"threshold": round(threshold, 4), "expand": round(expand, 4),
            "offset": [round(float(offset[0]), 4), round(float(offset[1]), 4)], "frames": len(extents)}


def cut_square(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """The (side, side) square of `image` at (x0, y0), zeros (black) where it leaves the image."""
    height, width = image.shape[:2]
    canvas = np.zeros((side, side) + image.shape[2:], image.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, width), min(y0 + side, height)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return canvas


@dataclasses.dataclass
class TrackedDetection(Detection):
    """A `Detection` in frame pixels, plus the square it was detected in ((x0, y0, side), None = whole frame)."""

    square: Optional[tuple] = None


class TrackingDetector:
    """Runs a detector (`keypoints_tf.load`) on a person-centred crop that follows the previous frames.

    `settings` default to the model's calibration (`CropSettings.for_detector`). Frames must come in order,
    from one video; `reset` between videos.
    """

    def __init__(self, detector, settings: Optional[CropSettings] = None):
        self.detector = detector
        self.settings = settings or CropSettings.for_detector(detector)
        self.tracker = CropTracker(self.settings)
        self.skeleton, self.source, self.contract = detector.skeleton, detector.source, detector.contract
        self.input_size = detector.input_size

    def detect(self, image: np.ndarray) -> TrackedDetection:
        height, width = image.shape[:2]
        region = self.tracker.region(width, height)
        square = region.square() if region is not None else None
        if square is None:
            detection = self.detector.detect(image)
            keypoints = detection.keypoints
        else:
            x0, y0, side = square
            detection = self.detector.detect(cut_square(image, x0, y0, side))
            keypoints = (detection.keypoints + np.array([x0, y0], np.float32)).astype(np.float32)
        self.tracker.update(keypoints, detection.confidence, width, height)
        return TrackedDetection(keypoints=keypoints, confidence=detection.confidence,
                                input_keypoints=detection.input_keypoints, square=square)

    def reset(self):
        self.tracker.reset()


def draw_status(canvas: np.ndarray, detection) -> np.ndarray:
    """Marks an overlay (RGB, in place) with the crop of a `TrackedDetection`: its square as a thin grey
    outline, or `LOST_TEXT` when the whole frame was used. Other detections are left alone."""
    if not isinstance(detection, TrackedDetection):
        return canvas
    scale = max(canvas.shape[:2]) / 640.0
    if detection.square is not None:
        x0, y0, side = detection.square
        cv2.rectangle(canvas, (x0, y0), (x0 + side - 1, y0 + side - 1), (160, 160, 160), max(1, round(scale)))
        return canvas
    font_scale, thickness = 0.5 * max(scale, 0.5), max(1, round(scale))
    (w, h), base = cv2.getTextSize(LOST_TEXT, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
    cv2.rectangle(canvas, (0, 0), (w + 8, h + base + 8), (0, 0, 0), -1)
    cv2.putText(canvas, LOST_TEXT, (4, h + 4), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
    return canvas
