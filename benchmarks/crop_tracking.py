"""Real footage at full frame size: does `detect --crop=track` beat the whole-frame letterbox?

    python benchmarks/crop_tracking.py --model runs/export/people_walk_int8.tflite --data runs/rp \
        [--start track|full] [--threshold 0.3] [--video PATH] [--out crop_tracking.json]

`--model` is anything `keypoints_tf.load` takes (a .tflite, an .onnx, a SavedModel, a workdir). `--data` is a
real-footage folder of `benchmarks/real_people.py`: ``clips/tracks.json`` (the tracker's summary: ``video``,
``size`` of the crops, and per track ``name``, ``first_frame``, ``num_frames`` and ``squares``, one crop square
[x0, y0, side] in frame pixels per frame; crop pixel u is frame pixel x0 + u * side / size) and
``dev/annotations.json`` (COCO keypoints, PSEUDO labels from BlazePose in pixels of the crops; ``file_name``
``images/<track>_<NNNNNN>.png``, NNNNNN the frame number within the track; v = 0 is not scored).

For each dev track, the track's frames of the source video (full frames, 768 x 576 for vtest.avi) go in order
through three detectors built on the same model:

* **whole frame**: the frame letterboxed into the model input (`keypoints_tf.load(...).detect`);
* **crop=track**: `keypoints_tf.crop_region.TrackingDetector`, what `detect --crop=track` runs. With
  ``--start track`` (default) its region starts at the track's first square, as if a person detector had
  found the walker once; from then on it follows its own keypoints, and falls back to the whole frame when
  lost (fewer confident keypoints than the rule needs). Its settings are the model's calibrated ones
  (the contract's ``crop`` section; a workdir is calibrated on its training frames), ``--threshold``
  overrides the confidence threshold. ``--start full`` starts from the whole frame;
* **track squares**: the track's own square in every frame (the crops the dev images are made of, at full
  resolution): an oracle crop, for scale.

The pseudo labels are mapped to frame pixels with the frame's square. Error = per labelled frame the mean over
keypoints with v > 0 of the distance / that frame's crop side, then the mean over frames, in %
(`keypoints_tf.metrics.keypoint_metrics` in the crop's normalised coordinates); PCK@0.1 likewise. The labels
are another model's output, not ground truth: lower means closer to BlazePose.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import cv2
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("whole frame", "crop=track", "track squares")


def load_tracks(data: str):
    """tracks.json's summary and {name: track} of its tracks."""
    path = os.path.join(data, "clips", "tracks.json")
    if not os.path.isfile(path):
        raise SystemExit(f"{path}: not found (write it with benchmarks/real_people.py --prepare-only)")
    with open(path) as f:
        summary = json.load(f)
    return summary, {track["name"]: track for track in summary["tracks"]}


def load_dev_labels(data: str, size: int):
    """The dev pseudo labels: (skeleton, {track: {frame number in track: (keypoints (K, 2) crop px, visible)}})."""
    from keypoints_tf.data.coco import read_coco_keypoints
    labels = read_coco_keypoints(os.path.join(data, "dev", "annotations.json"))
    if not np.all(labels.image_sizes == size):
        raise SystemExit(f"{labels.path}: expected {size} x {size} crops (tracks.json 'size')")
    by_track = {}
    for keypoints, visible, name in zip(labels.keypoints_pixels, labels.visible, labels.file_names):
        track, number = os.path.splitext(os.path.basename(name))[0].rsplit("_", 1)
        by_track.setdefault(track, {})[int(number)] = (keypoints, visible)
    return labels.skeleton, by_track


def video_frames(path: str, last: int):
    """(index, RGB frame) for frames 0..last of a video, decoded in order."""
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise SystemExit(f"{path}: OpenCV cannot open this video (set --video)")
    try:
        for index in range(last + 1):
            ok, bgr = capture.read()
            if not ok:
                raise SystemExit(f"{path}: ends at frame {index}, before frame {last} that tracks.json needs")
            yield index, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def run_tracks(detector, video: str, tracks: dict, labels: dict, start: str, settings):
    """Runs the three methods over every dev track; returns {method: [(track, square, prediction px, label)]}
    and {track: frames crop=track ran on the whole frame}."""
    from keypoints_tf.crop_region import CropRegion, TrackingDetector, cut_square
    trackers = {name: TrackingDetector(detector, settings) for name in labels}
    results = {method: [] for method in METHODS}
    lost = {name: 0 for name in labels}
    last = max(tracks[name]["first_frame"] + tracks[name]["num_frames"] - 1 for name in labels)
    for index, frame in video_frames(video, last):
        height, width = frame.shape[:2]
        whole = None
        for name in sorted(labels):
            track = tracks[name]
            n = index - track["first_frame"]
            if not 0 <= n < track["num_frames"]:
                continue
            square = track["squares"][n]
            if n == 0 and start == "track":
                trackers[name].tracker.start(CropRegion.from_square(*square), width, height)
            tracked = trackers[name].detect(frame)
            lost[name] += tracked.square is None
            if n not in labels[name]:
                continue
            whole = whole if whole is not None else detector.detect(frame).keypoints
            oracle = detector.detect(cut_square(frame, *square)).keypoints + np.asarray(square[:2], np.float32)
            for method, keypoints in zip(METHODS, (whole, tracked.keypoints, oracle)):
                results[method].append((name, square, keypoints, labels[name][n]))
    return results, lost


def errors(entries, skeleton, size: int) -> dict:
    """`keypoint_metrics` of frame-pixel predictions against crop-pixel labels, in each crop's coordinates."""
    from keypoints_tf.metrics import keypoint_metrics
    squares = np.asarray([square for _, square, _, _ in entries], np.float64)              # (N, 3)
    predicted = np.asarray([keypoints for _, _, keypoints, _ in entries], np.float64)     # (N, K, 2) frame px
    target = np.asarray([label[0] for _, _, _, label in entries], np.float64)             # (N, K, 2) crop px
    visible = np.asarray([label[1] for _, _, _, label in entries], bool)
    predicted_normalized = 2.0 * (predicted - squares[:, None, :2]) / squares[:, None, 2:] - 1.0
    return keypoint_metrics(predicted_normalized, target * (2.0 / size) - 1.0, skeleton, visible)


def summarize(results, lost, tracks, skeleton, size: int) -> dict:
    names = sorted({name for entries in results.values() for name, _, _, _ in entries})
    summary = {"methods": {}, "per_track": {}}
    for method, entries in results.items():
        metrics = errors(entries, skeleton, size)
        summary["methods"][method] = {"error": metrics["error"], "pck@0.1": metrics["pck@0.1"],
                                      "frames": len(entries)}
        for name in names:
            mine = [entry for entry in entries if entry[0] == name]
            summary["per_track"].setdefault(name, {})[method] = errors(mine, skeleton, size)["error"]
    frames = sum(tracks[name]["num_frames"] for name in lost)
    summary["crop=track lost frames"] = {"lost": int(sum(lost.values())), "frames": int(frames)}
    return summary


def format_report(summary) -> str:
    lines = [f"{'method':<16}{'error %':>9}{'PCK@0.1 %':>11}{'frames':>8}"]
    for method, row in summary["methods"].items():
        lines.append(f"{method:<16}{row['error']:>9.2f}{row['pck@0.1']:>11.1f}{row['frames']:>8d}")
    lost = summary["crop=track lost frames"]
    lines.append(f"crop=track used the whole frame in {lost['lost']} of {lost['frames']} frames (lost or not started)")
    lines.append("per track, error %: " + ", ".join(
        f"{name} " + " / ".join(f"{errors_by_method[m]:.1f}" for m in METHODS)
        for name, errors_by_method in summary["per_track"].items()) + f"  ({' / '.join(METHODS)})")
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="a .tflite, .onnx, SavedModel folder or workdir")
    parser.add_argument("--data", required=True, help="a real_people.py folder with clips/tracks.json and dev/")
    parser.add_argument("--start", choices=("track", "full"), default="track",
                        help="crop=track starts at the track's first square (track) or at the whole frame (full)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="crop=track: a keypoint is visible to the crop rule at this confidence (default: "
                             "the model's calibrated one, keypoints_tf.crop_region.CropSettings.for_detector)")
    parser.add_argument("--video", default="", help="the source video (default: tracks.json's 'video')")
    parser.add_argument("--out", default="", help="write the summary as JSON here")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, REPO)
    import keypoints_tf
    from keypoints_tf.crop_region import CropSettings
    started = time.time()
    summary_file, tracks = load_tracks(args.data)
    size = int(summary_file["size"])
    skeleton, labels = load_dev_labels(args.data, size)
    missing = sorted(set(labels) - set(tracks))
    if missing:
        raise SystemExit(f"dev tracks {missing} are not in {args.data}/clips/tracks.json")
    detector = keypoints_tf.load(args.model)
    if detector.skeleton.keypoint_names != skeleton.keypoint_names:
        raise SystemExit(f"{args.model}: skeleton {detector.skeleton.name} differs from the labels' {skeleton.name}")
    video = args.video or summary_file["video"]
    settings = CropSettings.for_detector(detector, args.threshold)
    results, lost = run_tracks(detector, video, tracks, labels, args.start, settings)
    summary = summarize(results, lost, tracks, skeleton, size)
    summary.update(model=os.path.abspath(args.model), data=os.path.abspath(args.data), video=video, start=args.start,
                   crop_settings=dataclasses.asdict(settings), input_size=detector.input_size,
                   seconds=round(time.time() - started, 1), labels="PSEUDO labels (BlazePose), not ground truth")
    print(f"{args.model} ({detector.input_size} px input) on {len(labels)} dev tracks of {video}, full frames; "
          f"crop=track starts {'at the first track square' if args.start == 'track' else 'from the whole frame'}, "
          f"settings {settings}; error = mean keypoint distance / crop side, % (PSEUDO labels)")
    print(format_report(summary))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
    return summary


if __name__ == "__main__":
    main()
