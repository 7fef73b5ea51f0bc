"""PSEUDO labels for real footage: a supervised pose model labels held-out crops, as a measuring stick only.

    python -m keypoints_tf.data.pseudo_labels --clips CLIPS --tracks track_004 track_009 ... --out DEV \\
        --model ../shared/data/reference_models/pose_landmark_full.tflite

Real footage has no labels. To *measure* an unsupervised detector on it, MediaPipe's BlazePose GHUM Full
(`pose_landmark_full.tflite`, run in `ai_edge_litert`) labels the crops of tracks written by
`keypoints_tf.data.tracks`. These labels are another model's guesses, not ground truth: they are for
evaluation only, never a training signal, and never used to pick training frames. Every file written
here says so (the COCO ``info.pseudo_labels`` block, and ``evaluate`` reports ``labels: pseudo``).

Input: each crop square is cut again from the original video at 256 px (BlazePose's input; the person
centred and filling it, as the tracks' crops are), pixels in [0, 1]. Output ``DEV/images/<track>_<n>.png``
(the 128 px training-size crop, copied), ``DEV/masks/...`` (its foreground mask, where the clips have
masks) and ``DEV/annotations.json`` (COCO keypoints, ``human17``, pixels of the crop; each image also carries
its track's ``approach_rate`` at that crop, from the crop squares alone, for `keypoints_tf.sides`).

Mapping of BlazePose's 33 landmarks to ``human17`` (l_ = the subject's left; BlazePose's odd indices from
7 on are left):
    pelvis = midpoint of the hips (23, 24); l_/r_hip = 23 / 24; knee = 25 / 26; ankle = 27 / 28;
    toes = foot index 31 / 32; neck = midpoint of the shoulders (11, 12); shoulder = 11 / 12;
    elbow = 13 / 14; wrist = 15 / 16; head_back = the top of the head, as the mocap prior's ``Head_end``:
    ear midpoint (7, 8) + 0.8 x (ear midpoint - neck) (the crown sits about 0.8x the neck-to-ear height
    above the ears).
A crop is kept when BlazePose's pose-presence score is >= `min_presence`; a keypoint is marked visible
(v = 2) when every landmark it is made of has visibility >= `min_visibility` (sigmoid of the logit), else
v = 0 (not scored).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import cv2
import numpy as np

from keypoints_tf import sides
from keypoints_tf.data import coco, tracks as tracks_lib, videos
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import get_skeleton

INPUT_SIZE = 256
HEAD_ABOVE_EARS = 0.8
# human17 keypoint -> the BlazePose landmarks it is the mean of (head_back is computed apart).
BLAZEPOSE_TO_HUMAN17 = {
    "pelvis": (23, 24), "r_hip": (24,), "r_knee": (26,), "r_ankle": (28,), "r_toes": (32,),
    "l_hip": (23,), "l_knee": (25,), "l_ankle": (27,), "l_toes": (31,), "neck": (11, 12),
    "head_back": (7, 8, 11, 12), "l_shoulder": (11,), "l_elbow": (13,), "l_wrist": (15,),
    "r_shoulder": (12,), "r_elbow": (14,), "r_wrist": (16,),
}
DESCRIPTION = ("PSEUDO labels (not ground truth) from MediaPipe BlazePose GHUM Full, for evaluation only; "
               "never used for training")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


class BlazePoseLabeller:
    """BlazePose Full on a square RGB crop -> (33, 2) landmarks in crop pixels, (33,) visibility, presence."""

    def __init__(self, model_path: str, num_threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter
        if not os.path.isfile(model_path):
            raise DataError(f"{model_path}: BlazePose model not found (see ../shared/data/reference_models/README.md)")
        self.interpreter = Interpreter(model_path=model_path, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self.landmarks, self.presence = outputs["Identity"], outputs["Identity_1"]

    def __call__(self, crop_rgb: np.ndarray):
        side = crop_rgb.shape[0]
        image = cv2.resize(crop_rgb, (INPUT_SIZE, INPUT_SIZE),
                           interpolation=cv2.INTER_AREA if side > INPUT_SIZE else cv2.INTER_LINEAR)
        self.interpreter.set_tensor(self.input, (image.astype(np.float32) / 255.0)[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.landmarks).reshape(39, 5)[:33]
        presence = float(np.asarray(self.interpreter.get_tensor(self.presence)).reshape(-1)[0])
        return raw[:, :2] * (side / INPUT_SIZE), _sigmoid(raw[:, 3]), presence


def to_human17(landmarks: np.ndarray, visibility: np.ndarray, min_visibility: float = 0.5):
    """(33, 2) BlazePose landmarks and (33,) visibility -> (17, 2) human17 keypoints and (17,) bool visible."""
    skeleton = get_skeleton("human17")
    keypoints = np.zeros((skeleton.num_keypoints, 2), np.float64)
    visible = np.zeros(skeleton.num_keypoints, bool)
    for k, name in enumerate(skeleton.keypoint_names):
        indices = BLAZEPOSE_TO_HUMAN17[name]
        if name == "head_back":
            ears, neck = landmarks[[7, 8]].mean(0), landmarks[[11, 12]].mean(0)
            keypoints[k] = ears + HEAD_ABOVE_EARS * (ears - neck)
        else:
            keypoints[k] = landmarks[list(indices)].mean(0)
        visible[k] = bool(np.all(visibility[list(indices)] >= min_visibility))
    return keypoints, visible


def label_tracks(clips: str, names, out: str, model_path: str, min_presence: float = 0.5,
                 min_visibility: float = 0.5, frame_step: int = 1) -> dict:
    """Labels every `frame_step`-th crop of the named tracks of CLIPS; writes OUT (see the module doc).

    Returns a summary: crops seen, kept, per-track counts.
    """
    summary_path = os.path.join(clips, "tracks.json")
    if not os.path.isfile(summary_path):
        raise DataError(f"{summary_path}: not found (expected the output of python -m keypoints_tf.data.tracks)")
    with open(summary_path) as f:
        summary = json.load(f)
    by_name = {t["name"]: t for t in summary["tracks"]}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise DataError(f"{summary_path}: no track named {unknown} (it has {sorted(by_name)[:5]}...)")
    size = int(summary["size"])
    labeller = BlazePoseLabeller(model_path)
    wanted = {}  # frame index -> [(track name, crop number, square, approach rate)]
    for name in names:
        track = by_name[name]
        rates = sides.approach_rates(track["squares"], summary["fps"])  # from the track alone: no labels
        for n, square in enumerate(track["squares"]):
            if n % frame_step == 0:
                wanted.setdefault(track["first_frame"] + n, []).append((name, n, square, rates[n]))
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    has_masks = os.path.isdir(os.path.join(clips, "masks"))
    if has_masks:
        os.makedirs(os.path.join(out, "masks"), exist_ok=True)
    keypoints, visible, files, kept_rates, per_track, seen = [], [], [], [], {}, 0
    capture = videos.open_video(summary["video"])
    try:
        for index in range(max(wanted, default=-1) + 1):
            ok, frame = capture.read()
            if not ok:
                raise DataError(f"{summary['video']}: frame {index} could not be decoded")
            for name, n, square, rate in wanted.get(index, []):
                seen += 1
                side = int(square[2])
                crop = cv2.cvtColor(tracks_lib.crop_square(frame, square, side), cv2.COLOR_BGR2RGB)
                landmarks, visibility, presence = labeller(crop)
                if presence < min_presence:
                    continue
                points, seen_points = to_human17(landmarks * (size / crop.shape[0]), visibility, min_visibility)
                file_name = f"{name}_{n:06d}.png"
                source = os.path.join(clips, name, f"{n:06d}.png")
                image = videos.decode_image(source)
                if image is None:
                    raise DataError(f"{source}: crop missing or unreadable")
                if not cv2.imwrite(os.path.join(out, "images", file_name), image):
                    raise DataError(f"{out}: could not write {file_name}")
                if has_masks:
                    mask = videos.decode_image(os.path.join(clips, "masks", name, f"{n:06d}.png"), cv2.IMREAD_GRAYSCALE)
                    if mask is None:
                        raise DataError(f"{clips}/masks/{name}/{n:06d}.png: mask missing or unreadable")
                    cv2.imwrite(os.path.join(out, "masks", file_name), mask)
                keypoints.append(points)
                visible.append(seen_points)
                files.append(os.path.join("images", file_name))
                kept_rates.append(rate)
                per_track[name] = per_track.get(name, 0) + 1
    finally:
        capture.release()
    if not keypoints:
        raise DataError(f"{clips}: BlazePose found no person in the {seen} crops of {list(names)}")
    info = {"description": DESCRIPTION, "pseudo_labels": True,
            "labeller": os.path.basename(model_path), "source_video": summary["video"], "tracks": list(names),
            "mapping": {k: list(v) for k, v in BLAZEPOSE_TO_HUMAN17.items()},
            "head_back": f"ear midpoint + {HEAD_ABOVE_EARS} x (ear midpoint - shoulder midpoint)",
            "min_presence": min_presence, "min_visibility": min_visibility}
    coco.write_coco_keypoints(os.path.join(out, "annotations.json"), get_skeleton("human17"), np.stack(keypoints),
                              (size, size), files, np.stack(visible), extra={"info": info}, approach_rates=kept_rates)
    result = {"crops_seen": seen, "crops_kept": len(keypoints), "per_track": per_track,
              "visible_fraction": float(np.mean(visible)), "masks": has_masks}
    logging.info("%s: %d of %d crops labelled (%.1f%% of keypoints visible), tracks %s", out, len(keypoints), seen,
                 100 * result["visible_fraction"], per_track)
    return result


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m keypoints_tf.data.pseudo_labels",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--clips", required=True, help="output folder of python -m keypoints_tf.data.tracks")
    parser.add_argument("--tracks", nargs="+", required=True, help="track names to label (held-out tracks only)")
    parser.add_argument("--out", required=True, help="folder for images/, masks/ and annotations.json")
    parser.add_argument("--model", required=True, help="pose_landmark_full.tflite")
    parser.add_argument("--min-presence", type=float, default=0.5)
    parser.add_argument("--min-visibility", type=float, default=0.5)
    parser.add_argument("--frame-step", type=int, default=1, help="label every N-th crop of each track")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if os.path.exists(os.path.join(args.out, "annotations.json")):
        raise DataError(f"{args.out}: already holds annotations.json; choose another --out")
    return label_tracks(args.clips, args.tracks, args.out, args.model, args.min_presence, args.min_visibility,
                        args.frame_step)


if __name__ == "__main__":
    from keypoints_tf import cli
    cli.run(main)
