"""Raw video -> object-centred clips of people, in the bring-your-own video format.

    python -m keypoints_tf.data.tracks --video vtest.avi --out clips/ [--size 128 --margin 0.1 --min-length 20
        --stride 2 --detect-height 720 --max-frames N --no-masks --squares FILE --overwrite]

With ``--squares FILE`` steps 1-4 are skipped: the tracks' crop squares are given (an earlier tracks.json, or
boxes from your own detector turned into squares), and only the crops and masks are written.

Steps:
1. **Detect** people with OpenCV's HOG people detector (`cv2.HOGDescriptor_getDefaultPeopleDetector()`, no
   download; removed in OpenCV 5, hence ``opencv<5``) on every `--stride`-th frame, resized so that its
   height is `--detect-height` px (the detector's window is 64 x 128 px, so people under ~100 px are only
   found in an upscaled frame), then non-maximum suppression (IoU, and boxes mostly inside a stronger one).
2. **Link** detections into tracks: each track predicts its box with a constant velocity; detections are
   matched greedily by IoU with the predictions (gated by centre distance and height ratio); a track
   survives `--max-gap` frames without a match; unmatched confident detections start new tracks.
3. **Smooth**: box centre and height are interpolated over every frame of the track, including the
   frames between detections, and smoothed with a Gaussian over time (the height more strongly).
4. **Crop**: a square of side ``height * (1 + margin)`` centred on the box (HOG boxes are 1:2 with the
   person about 3/4 of the height), zero-padded outside the frame, resized to `--size` px.
5. **Masks** (default; ``--no-masks`` skips): a background model of the whole video (temporal median, static
   camera) gives each frame's foreground; cropped with each track into ``OUT/masks/track_000/000000.png``,
   keeping the person at the crop's centre (`keypoints_tf.data.background`). Where the camera moves, no
   masks are written and a warning says so.
6. **Write** ``OUT/track_000/000000.png ...`` (`keypoints_tf.data.videos` reads it) and ``OUT/tracks.json``:
   per track its first frame, length, detection count and the crop square of every frame as
   ``[x0, y0, side]`` in frame pixels (a crop pixel u maps to the frame as ``x0 + u * side / size``).
   Tracks shorter than `--min-length` frames are dropped (a clip needs frames at several gaps to give
   training pairs).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from typing import Optional

import cv2
import numpy as np

from keypoints_tf.crop_region import cut_square
from keypoints_tf import atomic
from keypoints_tf.data import background, videos

from keypoints_tf.errors import DataError


@dataclasses.dataclass(frozen=True)
class TrackerSettings:
    """Detection and linking parameters (defaults tuned on vtest.avi, 768 x 576, 10 fps).

    Attributes:
        detect_height: frames are resized to this height before detection (None: as they are).
        stride: run the detector on every `stride`-th frame.
        min_score: drop detections whose HOG SVM score is lower.
        start_score: a detection needs at least this score to start a new track.
        nms_iou: IoU above which the weaker of two detections is dropped.
        nms_containment: a detection this much inside a stronger one is dropped.
        match_iou: least IoU between a track's predicted box and a detection for a match.
        max_gap: frames a track may go without a matched detection before it ends.
        min_hits: least number of detections in a kept track.
        center_sigma, height_sigma: Gaussian smoothing over time, in frames.
    """

    detect_height: Optional[int] = 720
    stride: int = 2
    min_score: float = 0.3
    start_score: float = 0.8
    nms_iou: float = 0.4
    nms_containment: float = 0.7
    match_iou: float = 0.3
    max_gap: int = 8
    min_hits: int = 4
    center_sigma: float = 1.5
    height_sigma: float = 3.0


# === Detection ===

def non_max_suppression(boxes, scores, iou_threshold=0.4, containment_threshold=0.7) -> np.ndarray:
    """Indices of the boxes kept, strongest first. boxes: (N, 4) x, y, w, h; scores: (N,)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores, np.float64))
    keep = []
    for i in order:
        if all(_iou(boxes[i], boxes[j]) <= iou_threshold and _inside(boxes[i], boxes[j]) <= containment_threshold
               for j in keep):
            keep.append(int(i))
    return np.array(keep, np.int64)


def _intersection(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _iou(a, b):
    inter = _intersection(a, b)
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _inside(a, b):
    """Fraction of box a that lies inside box b."""
    return _intersection(a, b) / max(a[2] * a[3], 1e-9)


class PeopleDetector:
    """OpenCV's HOG + linear SVM people detector. Call with a BGR frame -> (N, 5) x, y, w, h, score."""

    def __init__(self, settings: TrackerSettings = TrackerSettings()):
        if not hasattr(cv2, "HOGDescriptor_getDefaultPeopleDetector"):
            raise DataError(f"OpenCV {cv2.__version__} has no HOG people detector (removed in OpenCV 5); "
                            "install opencv-python-headless<5")
        self.settings = settings
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        scale = 1.0
        if self.settings.detect_height:
            scale = self.settings.detect_height / frame.shape[0]
            if abs(scale - 1.0) > 1e-3:
                frame = cv2.resize(frame, None, fx=scale, fy=scale,
                                   interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
        rects, weights = self.hog.detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=1.05)
        if len(rects) == 0:
            return np.zeros((0, 5))
        detections = np.concatenate([np.asarray(rects, np.float64) / scale,
                                     np.asarray(weights, np.float64).reshape(-1, 1)], axis=1)
        detections = detections[detections[:, 4] >= self.settings.min_score]
        keep = non_max_suppression(detections[:, :4], detections[:, 4], self.settings.nms_iou,
                                   self.settings.nms_containment)
        return detections[keep]


open_video = videos.open_video


def detect_video(path: str, settings: TrackerSettings = TrackerSettings(), max_frames: Optional[int] = None,
                 on_frame=None):
    """Runs the detector on every `settings.stride`-th frame; `on_frame(index, frame)` sees every frame read.

    Returns:
        detections: {frame index: (N, 5) x, y, w, h, score in frame pixels}.
        num_frames: frames read.
        frame_size: (width, height).
        fps: frames per second reported by the container (0 if unknown).
    """
    detector = PeopleDetector(settings)
    capture = open_video(path)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    detections, index, frame_size = {}, 0, None
    try:
        while max_frames is None or index < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            frame_size = (frame.shape[1], frame.shape[0])
            if on_frame is not None:
                on_frame(index, frame)
            if index % settings.stride == 0:
                detections[index] = detector(frame)
            index += 1
    finally:
        capture.release()
    if index == 0:
        raise DataError(f"{path}: no frame could be decoded")
    return detections, index, frame_size, fps


# === Linking ===

@dataclasses.dataclass
class Track:
    """Detections of one person: frame indices, (n, 4) boxes x, y, w, h and scores."""

    frames: list
    boxes: list
    scores: list

    def predict(self, frame: int) -> np.ndarray:
        """The box expected at `frame`, moving with the velocity of the last detections."""
        last = np.asarray(self.boxes[-1])
        if len(self.frames) < 2:
            return last
        first = max(0, len(self.frames) - 4)
        span = self.frames[-1] - self.frames[first]
        velocity = (last - np.asarray(self.boxes[first])) / max(span, 1)
        velocity[2:] = 0.0  # keep the size; HOG sizes jump between pyramid levels
        return last + velocity * (frame - self.frames[-1])


def link_detections(detections: dict, settings: TrackerSettings = TrackerSettings()) -> list:
    """Greedy IoU association of per-frame detections into tracks (list of `Track`, in order of start)."""
    active, finished = [], []
    for frame in sorted(detections):
        boxes = detections[frame]
        still_active = []
        for track in active:
            (still_active if frame - track.frames[-1] <= settings.max_gap else finished).append(track)
        active = still_active
        pairs = []
        for t, track in enumerate(active):
            predicted = track.predict(frame)
            for d, box in enumerate(boxes):
                overlap = _iou(predicted, box[:4])
                distance = np.hypot(*(predicted[:2] + predicted[2:] / 2 - box[:2] - box[2:4] / 2))
                ratio = box[3] / max(predicted[3], 1e-9)
                if overlap >= settings.match_iou and distance < 0.5 * predicted[3] and 0.7 < ratio < 1.45:
                    pairs.append((overlap, t, d))
        used_tracks, used_detections = set(), set()
        for _, t, d in sorted(pairs, reverse=True):
            if t in used_tracks or d in used_detections:
                continue
            used_tracks.add(t)
            used_detections.add(d)
            active[t].frames.append(frame)
            active[t].boxes.append(boxes[d, :4])
            active[t].scores.append(float(boxes[d, 4]))
        for d, box in enumerate(boxes):
            if d not in used_detections and box[4] >= settings.start_score:
                active.append(Track([frame], [box[:4]], [float(box[4])]))
    finished.extend(active)
    return sorted(finished, key=lambda t: t.frames[0])


def _gaussian_smooth(values, sigma):
    """Smooths (L, C) values along axis 0 with a Gaussian of `sigma` samples.

    The ends are padded by odd reflection (``2 v[0] - v[i]``), which keeps a steady motion steady up to the
    last frame instead of pulling the box back towards the middle of the track.
    """
    if sigma <= 0 or len(values) < 2:
        return values
    radius = min(int(3 * sigma), len(values) - 1)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([2 * values[:1] - values[radius:0:-1], values,
                             2 * values[-1:] - values[-2:-radius - 2:-1]])
    return np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(values.shape[1])], axis=1)


def smooth_track(track: Track, settings: TrackerSettings = TrackerSettings()):
    """Boxes of every frame from the track's first to its last detection, interpolated and smoothed.

    Returns:
        frames: (L,) int frame indices; centres: (L, 2) x, y; heights: (L,) box heights, in frame pixels.
    """
    detected = np.asarray(track.frames)
    boxes = np.asarray(track.boxes, np.float64)
    frames = np.arange(detected[0], detected[-1] + 1)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    values = np.stack([np.interp(frames, detected, centres[:, 0]), np.interp(frames, detected, centres[:, 1]),
                       np.interp(frames, detected, boxes[:, 3])], axis=1)
    centre = _gaussian_smooth(values[:, :2], settings.center_sigma)
    height = _gaussian_smooth(values[:, 2:], settings.height_sigma)[:, 0]
    return frames, centre, height


def crop_squares(centres, heights, margin: float) -> np.ndarray:
    """(L, 3) int crop squares [x0, y0, side] in frame pixels: side = height * (1 + margin)."""
    side = np.maximum(np.round(np.asarray(heights) * (1.0 + margin)), 2)
    x0 = np.round(centres[:, 0] - side / 2)
    y0 = np.round(centres[:, 1] - side / 2)
    return np.stack([x0, y0, side], axis=1).astype(np.int64)


def crop_square(frame: np.ndarray, square, size: int) -> np.ndarray:
    """Cuts [x0, y0, side] out of a frame (zeros outside it) and resizes it to (size, size)."""
    x0, y0, side = (int(v) for v in square)
    canvas = cut_square(frame, x0, y0, side)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(canvas, (size, size), interpolation=interpolation)


# === Crops and masks ===

def crop_video(video: str, tracks: list, frames_dir: str, masks_dir: Optional[str] = None, size: int = 128,
               backdrop: Optional[np.ndarray] = None,
               mask_settings: background.BackgroundSettings = background.BackgroundSettings()):
    """Writes each track's crops to FRAMES_DIR/NAME/NNNNNN.png and, given `masks_dir` and the video's `backdrop`
    (its median background), the tracked person's foreground masks to MASKS_DIR/NAME/NNNNNN.png.

    tracks: [{"name": str, "first_frame": int, "squares": (L, 3) [x0, y0, side] in frame pixels}, ...].
    """
    masks_dir = masks_dir if backdrop is not None else None
    by_frame = {}
    for track in tracks:
        os.makedirs(os.path.join(frames_dir, track["name"]), exist_ok=True)
        if masks_dir:
            os.makedirs(os.path.join(masks_dir, track["name"]), exist_ok=True)
        for n, square in enumerate(track["squares"]):
            by_frame.setdefault(int(track["first_frame"]) + n, []).append((track["name"], n, square))
    capture = open_video(video)
    try:
        for index in range(max(by_frame, default=-1) + 1):
            ok, frame = capture.read()
            if not ok:
                raise DataError(f"{video}: frame {index} is needed by a track but could not be decoded")
            if index not in by_frame:
                continue
            mask = background.foreground_mask(frame, backdrop, mask_settings) if masks_dir else None
            for name, n, square in by_frame[index]:
                _write_png(os.path.join(frames_dir, name, f"{n:06d}.png"), crop_square(frame, square, size))
                if mask is not None:
                    _write_png(os.path.join(masks_dir, name, f"{n:06d}.png"),
                               background.central_figure(crop_square(mask, square, size), mask_settings))
    finally:
        capture.release()


def background_sampler(video: str, max_frames: Optional[int] = None,
                       settings: background.BackgroundSettings = background.BackgroundSettings()):
    """A `background.BackgroundSampler` sized for the video's frame count (frames are offered by the caller)."""
    capture = open_video(video)
    expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    capture.release()
    expected = min(expected, max_frames) if max_frames and expected else (expected or max_frames or 1000)
    return background.BackgroundSampler(expected, settings)


def video_background(sampler: background.BackgroundSampler, video: str) -> Optional[np.ndarray]:
    """The sampled video's median background, or None (with a logged warning) where the camera moves."""
    try:
        return sampler.background()
    except background.MovingCameraError as e:
        background.log_moving_camera(video, e)
        return None


def _masks_summary(backdrop, mask_settings):
    return dataclasses.asdict(mask_settings) if backdrop is not None else None


def _tracks_summary(tracks):
    return [{"name": t["name"], "first_frame": int(t["first_frame"]), "num_frames": len(t["squares"]),
             **{k: v for k, v in t.items() if k in ("num_detections", "mean_score")},
             "squares": np.asarray(t["squares"]).tolist()} for t in tracks]


# === The whole pipeline ===

def extract_tracks(video: str, out: str, size: int = 128, margin: float = 0.1, min_length: int = 20,
                   settings: TrackerSettings = TrackerSettings(), max_frames: Optional[int] = None,
                   masks: bool = True, mask_settings: background.BackgroundSettings = background.BackgroundSettings()
                   ) -> dict:
    """Detects, links, smooths and crops; writes OUT/track_XXX/NNNNNN.png, OUT/tracks.json and, with `masks`,
    OUT/masks/track_XXX/NNNNNN.png (foreground masks of the tracked person, `keypoints_tf.data.background`).

    Where the camera moves no masks are written (a logged warning) and the summary's "masks" is null.
    Returns the summary written to tracks.json.
    """
    if min_length < 2:
        raise DataError(f"min_length must be >= 2 (a clip needs two frames for a pair), got {min_length}")
    start = time.time()
    sampler = background_sampler(video, max_frames, mask_settings) if masks else None
    detections, num_frames, frame_size, fps = detect_video(video, settings, max_frames,
                                                           on_frame=sampler.add if sampler else None)
    detect_seconds = time.time() - start
    backdrop = video_background(sampler, video) if sampler else None
    linked = link_detections(detections, settings)
    kept = []
    for track in linked:
        if len(track.frames) < settings.min_hits:
            continue
        frames, centres, heights = smooth_track(track, settings)
        if len(frames) >= min_length:
            kept.append({"name": f"track_{len(kept):03d}", "first_frame": int(frames[0]),
                         "num_detections": len(track.frames), "mean_score": round(float(np.mean(track.scores)), 3),
                         "squares": crop_squares(centres, heights, margin)})
    os.makedirs(out, exist_ok=True)
    crop_video(video, kept, out, os.path.join(out, "masks"), size, backdrop, mask_settings)
    summary = {
        "video": os.path.abspath(video), "num_frames": num_frames, "frame_size": list(frame_size), "fps": fps,
        "size": size, "margin": margin, "min_length": min_length, "settings": dataclasses.asdict(settings),
        "masks": _masks_summary(backdrop, mask_settings),
        "num_detections": int(sum(len(d) for d in detections.values())), "num_raw_tracks": len(linked),
        "detect_seconds": round(detect_seconds, 2), "seconds": round(time.time() - start, 2),
        "tracks": _tracks_summary(kept),
    }
    with open(os.path.join(out, "tracks.json"), "w") as f:
        json.dump(summary, f)
    return summary


def read_squares(path: str) -> list:
    """Tracks given as crop squares (a tracks.json of an earlier run, or boxes from your own detector):
    ``{"tracks": [{"first_frame": F, "squares": [[x0, y0, side], ...], "name": optional}, ...]}``."""
    try:
        with open(path) as f:
            given = json.load(f)["tracks"]
        tracks = []
        for i, track in enumerate(given):
            squares = np.asarray(track["squares"], np.float64)
            first = int(track["first_frame"])
            if squares.ndim != 2 or squares.shape[1] != 3 or len(squares) < 2 or first < 0:
                raise ValueError(f"track {i}: expected first_frame >= 0 and at least two [x0, y0, side] squares")
            if (squares[:, 2] < 2).any():
                raise ValueError(f"track {i}: every square side must be >= 2 px")
            tracks.append({"name": str(track.get("name", f"track_{i:03d}")), "first_frame": first,
                           "squares": np.round(squares).astype(np.int64)})
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: not a squares file ({e}); expected "
                        '{"tracks": [{"first_frame": F, "squares": [[x0, y0, side], ...]}, ...]}') from None
    names = [t["name"] for t in tracks]
    if len(set(names)) != len(names) or any(os.sep in n or n in ("", ".", "..", "masks") for n in names):
        raise DataError(f"{path}: track names must be unique folder names other than 'masks', got {names}")
    return tracks


def crop_tracks(video: str, tracks: list, out: str, size: int = 128, masks: bool = True,
                mask_settings: background.BackgroundSettings = background.BackgroundSettings()) -> dict:
    """Crops given tracks (`read_squares`) without detecting: OUT/NAME/..., OUT/masks/NAME/... and tracks.json."""
    start = time.time()
    backdrop, num_frames, frame_size = None, 0, None
    sampler = background_sampler(video, None, mask_settings) if masks else None
    for num_frames, frame in enumerate(_bgr_frames(video), start=1):
        frame_size = (frame.shape[1], frame.shape[0])
        if sampler:
            sampler.add(num_frames - 1, frame)
    if num_frames == 0:
        raise DataError(f"{video}: no frame could be decoded")
    last = max((t["first_frame"] + len(t["squares"]) for t in tracks), default=0)
    if last > num_frames:
        raise DataError(f"{video}: a track reaches frame {last - 1} but the video has {num_frames} frames")
    backdrop = video_background(sampler, video) if sampler else None
    os.makedirs(out, exist_ok=True)
    crop_video(video, tracks, out, os.path.join(out, "masks"), size, backdrop, mask_settings)
    summary = {"video": os.path.abspath(video), "num_frames": num_frames, "frame_size": list(frame_size),
               "size": size, "masks": _masks_summary(backdrop, mask_settings),
               "seconds": round(time.time() - start, 2), "tracks": _tracks_summary(tracks)}
    with open(os.path.join(out, "tracks.json"), "w") as f:
        json.dump(summary, f)
    return summary


def _bgr_frames(video: str):
    """Yields the video's (H, W, 3) uint8 frames as OpenCV decodes them (BGR, the order the masks are made in)."""
    capture = open_video(video)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def _write_png(path: str, image: np.ndarray):
    if not cv2.imwrite(path, image):
        raise DataError(f"{path}: could not write the PNG")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m keypoints_tf.data.tracks", description=__doc__.split("\n")[0])
    defaults = TrackerSettings()
    parser.add_argument("--video", required=True, help="video file (anything OpenCV/FFmpeg decodes)")
    parser.add_argument("--out", required=True, help="folder for track_XXX/ frame folders and tracks.json")
    parser.add_argument("--size", type=int, default=128, help="side of the square crops, px (default 128)")
    parser.add_argument("--margin", type=float, default=0.1,
                        help="crop side = detection height x (1 + margin) (default 0.1)")
    parser.add_argument("--min-length", type=int, default=20, help="drop tracks shorter than this (frames)")
    parser.add_argument("--stride", type=int, default=defaults.stride, help="detect on every N-th frame")
    parser.add_argument("--detect-height", type=int, default=defaults.detect_height,
                        help="resize frames to this height for detection (0: as they are)")
    parser.add_argument("--max-gap", type=int, default=defaults.max_gap,
                        help="frames a track may miss detections before it ends")
    parser.add_argument("--max-frames", type=int, help="read at most this many frames (quick runs)")
    parser.add_argument("--masks", action=argparse.BooleanOptionalAction, default=True,
                        help="write foreground masks of each tracked person to OUT/masks (static camera; "
                             "default on, --no-masks to skip)")
    parser.add_argument("--squares", help="crop these tracks instead of detecting people: a JSON file "
                        '{"tracks": [{"first_frame": F, "squares": [[x0, y0, side], ...]}, ...]} (an earlier '
                        "tracks.json, or boxes from your own detector)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.stride < 1:
        raise DataError(f"--stride must be >= 1, got {args.stride}")
    atomic.check_output(args.out, args.overwrite, inputs=[args.video, args.squares])
    if args.squares:
        given = read_squares(args.squares)
        with atomic.replacing(args.out, args.overwrite) as partial:
            summary = crop_tracks(args.video, given, partial, size=args.size, masks=args.masks)
        logging.info("cropped %d given track(s) of %s in %.1f s; wrote %s", len(given), args.video,
                     summary["seconds"], args.out)
        return summary
    settings = dataclasses.replace(TrackerSettings(), stride=args.stride, max_gap=args.max_gap,
                                   detect_height=args.detect_height or None)
    with atomic.replacing(args.out, args.overwrite) as partial:
        summary = extract_tracks(args.video, partial, size=args.size, margin=args.margin,
                                 min_length=args.min_length, settings=settings, max_frames=args.max_frames,
                                 masks=args.masks)
    lengths = sorted((t["num_frames"] for t in summary["tracks"]), reverse=True)
    logging.info("%d track(s) of >= %d frames from %d frames (%d detections) in %.1f s (detection %.1f s); "
                 "lengths %s; wrote %s", len(lengths), args.min_length, summary["num_frames"],
                 summary["num_detections"], summary["seconds"], summary["detect_seconds"], lengths, args.out)
    return summary


if __name__ == "__main__":
    from keypoints_tf import cli
    cli.run(main)
