"""Golden files for the Android tests: a non-square frame, the model's raw outputs, Python's keypoints, crops.

    python export/write_golden.py --out runs/export                       # for runs/export/model.tflite
    python export/write_golden.py --out DIR --workdir runs/synthetic      # exports DIR/model.tflite (float32) first
    python export/write_golden.py --out DIR --model other.tflite
    python export/write_golden.py --out DIR                               # tiny random human17 detector

The model is --model, else <out>/model.tflite if it exists, else a float32 export of --workdir, else a
randomly initialised 32 px human17 detector (seeded; no training, its heatmap head scaled up so that the
keypoints spread over the frame and the confidences are not all 0) exported to <out>/model.tflite. Writes
<out>/golden_contract.json (the model's contract), <out>/golden_input.png (a 96 x 72 RGB frame: gradient,
shapes, noise), <out>/golden.json:

    {"image": "golden_input.png", "image_width": 96, "image_height": 72, "input_size": S,
     "raw_outputs": {"keypoints": [[[x, y], ...]], "confidence": [[c, ...]]},   # the model's outputs
     "python_keypoints": [[x, y], ...], "python_confidence": [...],             # keypoints_tf.load(...).detect
     "input_tensor_mean": m}                                                    # mean of the uint8 input tensor

and <out>/golden_crop.json, the person-centred crop rule (`keypoints_tf.crop_region`) on pose sequences that
need no model (a figure that walks, shrinks, grows, leaves the frame and is lost and found again, in a landscape
frame with the default settings and a portrait frame with calibrated-looking ones):

    {"default_settings": {"threshold": .., "min_visible_fraction": .., "expand": .., "offset_x": .., ...},
     "lost_text": "...",
     "sequences": [{"width": W, "height": H, "settings": {...},
                    "frames": [{"keypoints": [[x, y], ...], "confidence": [...],     # this frame's pose
                                "region": [cx, cy, side] or null,                    # the crop it was detected in
                                "square": [x0, y0, side] or null}, ...],             # (null: the whole frame)
                    "next_region": [cx, cy, side] or null}]}

Coordinates are continuous pixels (`keypoints_tf.skeleton`); floats are written at full precision.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

GOLDEN_WIDTH, GOLDEN_HEIGHT = 96, 72
CROP_SEQUENCES = (((640, 480), {}),
                  ((480, 640), {"threshold": 0.17, "expand": 2.2, "offset_x": 0.03, "offset_y": 0.12}))


def golden_frame(width: int = GOLDEN_WIDTH, height: int = GOLDEN_HEIGHT, seed: int = 0) -> np.ndarray:
    """(height, width, 3) uint8 RGB: a colour gradient, a figure-like set of shapes, mild noise."""
    import cv2
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    frame = np.stack([40 + 150 * x / width, 60 + 120 * y / height, 180 - 100 * x / width], -1)
    frame = np.ascontiguousarray(frame.astype(np.uint8))
    cx, cy = width // 2, height // 2
    cv2.circle(frame, (cx, cy - 22), 7, (230, 200, 170), -1)                       # head
    cv2.line(frame, (cx, cy - 15), (cx + 2, cy + 10), (200, 40, 40), 5)            # torso
    cv2.line(frame, (cx, cy - 10), (cx - 18, cy + 2), (40, 160, 60), 3)            # arms
    cv2.line(frame, (cx, cy - 10), (cx + 16, cy - 20), (40, 160, 60), 3)
    cv2.line(frame, (cx + 2, cy + 10), (cx - 10, cy + 30), (30, 30, 120), 4)       # legs
    cv2.line(frame, (cx + 2, cy + 10), (cx + 14, cy + 30), (30, 30, 120), 4)
    cv2.rectangle(frame, (4, 4), (20, 16), (250, 250, 250), -1)
    noise = rng.integers(-6, 7, frame.shape)
    return np.clip(frame.astype(np.int32) + noise, 0, 255).astype(np.uint8)


def random_detector(seed: int = 0):
    """A RestoredDetector: the smoke-config human17 Phi and eta, randomly initialised (no training)."""
    import keras
    import tensorflow as tf

    from keypoints_tf.models import build_detector_networks
    from keypoints_tf.config import get_default_config, shrink_for_smoke
    from keypoints_tf.export.restore import RestoredDetector
    from keypoints_tf.export.serving import ImageToKeypoints
    from keypoints_tf.skeleton import get_skeleton
    config = shrink_for_smoke(get_default_config())
    skeleton = get_skeleton("human17")
    keras.utils.set_random_seed(seed)
    phi, eta = build_detector_networks(config, skeleton.num_keypoints)
    size = config.image_size
    eta(phi(tf.zeros((1, size, size, 3))))
    for variable in eta.heatmap_head.weights:  # sharper heatmaps: spread keypoints, non-zero confidences
        variable.assign(variable * 300.0)
    return RestoredDetector(ImageToKeypoints(phi, eta), skeleton, size, "random", "random-initialisation",
                            config.data)


def write_golden(out: str, workdir: str | None = None, model: str | None = None, seed: int = 0) -> dict:
    """Writes the golden files to `out` (see the module docstring); returns golden.json's content."""
    import cv2

    import keypoints_tf
    from keypoints_tf.export import tflite
    os.makedirs(out, exist_ok=True)
    if model is None:
        model = os.path.join(out, "model.tflite")
        if workdir:  # the golden folder is this script's own: its files are replaced
            tflite.export_tflite(workdir, model, "float32", overwrite=True)
        elif not os.path.isfile(model):
            tflite.write_detector_tflite(random_detector(seed), model, "float32", overwrite=True)
    contract = tflite.read_tflite_contract(model)
    with open(os.path.join(out, "golden_contract.json"), "w") as f:
        json.dump(contract, f, indent=1)
    detector = keypoints_tf.load(model)
    frame = golden_frame(seed=seed)
    if not cv2.imwrite(os.path.join(out, "golden_input.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {out}/golden_input.png")
    tensor = detector.letterbox(frame)
    detection = detector.detect(frame)
    golden = {
        "image": "golden_input.png", "image_width": int(frame.shape[1]), "image_height": int(frame.shape[0]),
        "input_size": detector.input_size, "model": os.path.abspath(model),
        "raw_outputs": {"keypoints": [_floats(detection.input_keypoints)],
                        "confidence": [_floats(detection.confidence)]},
        "python_keypoints": _floats(detection.keypoints),
        "python_confidence": _floats(detection.confidence),
        "input_tensor_mean": float(tensor.mean()),
    }
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    write_crop_golden(out, seed)
    return golden


def crop_poses(width: int, height: int, seed: int = 0, frames: int = 40, num_keypoints: int = 17):
    """A pose sequence for the crop rule: (frames, K, 2) frame pixels and (frames, K) confidences.

    A figure (a fixed random cloud 0.4 wide and 1 tall, scaled to its height) walks across the frame with
    jitter. Frames 10-12: every confidence 0.1 (lost); 20: one visible keypoint too few (lost); 21: just
    enough; 25: centred left of the frame (the centre is clamped); 30: taller than the frame (the side is
    clamped); 34: tiny (the smallest side).
    """
    from keypoints_tf.crop_region import CropSettings
    rng = np.random.default_rng(seed)
    settings, longest = CropSettings(), max(width, height)
    figure = rng.uniform([-0.2, -0.5], [0.2, 0.5], (num_keypoints, 2))
    keypoints, confidence = [], []
    for t in range(frames):
        size = {30: 2.0 * longest, 34: 0.02 * longest}.get(t, 0.45 * height * (1.0 + 0.3 * np.sin(t / 6.0)))
        centre = np.array([-0.05 * width if t == 25 else (0.2 + 0.6 * t / frames) * width, 0.55 * height])
        keypoints.append(centre + figure * size + rng.normal(0.0, 2.0, (num_keypoints, 2)))
        c = rng.uniform(0.35, 1.0, num_keypoints)
        c[rng.choice(num_keypoints, 3, replace=False)] = rng.uniform(0.0, 0.29, 3)
        if 10 <= t <= 12:
            c[:] = 0.1
        if t in (20, 21):
            c[:] = 0.1
            c[:settings.min_visible(num_keypoints) - (t == 20)] = 0.9
        confidence.append(c)
    # float32 values: the Android core holds poses in floats, so both sides start from the same numbers.
    return np.asarray(keypoints, np.float32), np.asarray(confidence, np.float32)


def write_crop_golden(out: str, seed: int = 0) -> dict:
    """Runs `keypoints_tf.crop_region.CropTracker` over `crop_poses` and writes <out>/golden_crop.json."""
    import dataclasses

    from keypoints_tf.crop_region import LOST_TEXT, CropSettings, CropTracker

    def region_list(region):
        return None if region is None else [region.center_x, region.center_y, region.side]

    sequences = []
    for n, ((width, height), changes) in enumerate(CROP_SEQUENCES):
        settings = dataclasses.replace(CropSettings(), **changes)
        tracker = CropTracker(settings)
        frames = []
        for keypoints, confidence in zip(*crop_poses(width, height, seed + n)):
            region = tracker.region(width, height)
            frames.append({"keypoints": keypoints.tolist(), "confidence": confidence.tolist(),
                           "region": region_list(region), "square": list(region.square()) if region else None})
            tracker.update(keypoints, confidence, width, height)
        sequences.append({"width": width, "height": height, "settings": dataclasses.asdict(settings),
                          "frames": frames, "next_region": region_list(tracker.region(width, height))})
    golden = {"default_settings": dataclasses.asdict(CropSettings()), "lost_text": LOST_TEXT,
              "sequences": sequences}
    with open(os.path.join(out, "golden_crop.json"), "w") as f:
        json.dump(golden, f)
    return golden


def _floats(array):
    return np.asarray(array, np.float32).astype(np.float64).tolist()  # exact float32 values


def main(argv):
    del argv
    from absl import flags
    f = flags.FLAGS
    golden = write_golden(f.out, f.workdir or None, f.model or None, f.seed)
    spread = np.asarray(golden["python_keypoints"]).std(0)
    print(f"wrote {f.out}/golden.json, golden_input.png, golden_contract.json, golden_crop.json "
          f"({golden['image_width']}x{golden['image_height']} frame, input {golden['input_size']} px, "
          f"keypoint spread {spread.round(2)} px)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from anywhere
    from absl import app, flags
    flags.DEFINE_string("out", None, "Folder for the golden files (and model.tflite).")
    flags.DEFINE_string("workdir", "", "Export this workdir's detector (float32) to <out>/model.tflite first.")
    flags.DEFINE_string("model", "", "Use this .tflite instead of <out>/model.tflite.")
    flags.DEFINE_integer("seed", 0, "Seed of the golden frame (and of the random detector).")
    flags.mark_flags_as_required(["out"])
    from keypoints_tf import cli
    app.run(cli.guarded(main))
