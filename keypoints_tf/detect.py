"""Run a detector on images, a folder or a video: overlays and a COCO-style results JSON.

    python -m keypoints_tf.detect --model=runs/export/model.tflite --input=photo.jpg --output=photo_keypoints.jpg
    python -m keypoints_tf.detect --model=runs/synthetic --input=frames/ --output=overlays/ --json=keypoints.json
    python -m keypoints_tf.detect --model=saved_model/ --input=clip.mp4 --output=clip_keypoints.mp4 \\
        --json=clip.json --smoothing [--min_cutoff=1.0 --beta=0.05 --d_cutoff=1.0] [--crop=track]

`--model` is anything `keypoints_tf.load` takes. Skeleton edges are drawn blue on the subject's left, orange
on the right, light grey in the centre (the Android app's colours), for keypoints whose confidence is at
least `--threshold`. Frames are read, detected, drawn and written one at a time (memory stays flat on long
videos); the JSON is streamed too. It is a COCO keypoints file: ``images`` (id, file_name, width, height,
and for videos frame_index and time_seconds), ``categories`` (the skeleton) and ``annotations``, which are
COCO results ``{"image_id", "category_id": 1, "keypoints": [x, y, v] * K, "score"}`` in continuous pixel
coordinates (`keypoints_tf.skeleton`), v = 2 where confidence >= threshold else 1, score = mean confidence.
``json.load(f)["annotations"]`` is what COCO's ``loadRes`` takes. ``--crop=track`` detects in a person-centred
square that follows the previous frame's keypoints (`keypoints_tf.crop_region`; frames and folder images in
order), drawn as a grey outline, with a note on the overlay where tracking is lost and the whole frame is used.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import cv2
import numpy as np

from keypoints_tf import crop_region
from keypoints_tf.data import videos
from keypoints_tf.data.videos import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import Skeleton

SIDE_COLORS = {"left": (33, 150, 243), "right": (255, 152, 0), "center": (200, 200, 200)}  # RGB


def draw_skeleton(image: np.ndarray, keypoints, confidence, skeleton: Skeleton, threshold: float = 0.3):
    """A copy of the (H, W, 3) uint8 RGB image with the skeleton drawn (keypoints in its pixels)."""
    canvas = np.ascontiguousarray(image).copy()
    thickness = max(1, int(round(max(image.shape[:2]) / 200)))
    shift = 4  # sub-pixel drawing: coordinates in 1/16 px; continuous x maps to OpenCV's x - 0.5

    def point(k):
        return tuple(int(round((float(v) - 0.5) * (1 << shift))) for v in keypoints[k])

    visible = np.asarray(confidence) >= threshold
    for e, (a, b) in enumerate(skeleton.edges):
        if visible[a] and visible[b]:
            cv2.line(canvas, point(a), point(b), SIDE_COLORS[skeleton.edge_side(e)], thickness, cv2.LINE_AA, shift)
    for k in np.flatnonzero(visible):
        side = {"l": "left", "r": "right"}.get(_side_of(skeleton, k), "center")
        cv2.circle(canvas, point(k), (thickness + 1) << shift, SIDE_COLORS[side], -1, cv2.LINE_AA, shift)
    return canvas


def _side_of(skeleton, k):
    if k in skeleton.left_indices:
        return "l"
    return "r" if k in skeleton.right_indices else "c"


class CocoResultsWriter:
    """Streams a COCO keypoints results file: annotations to the file, images through a temporary file."""

    def __init__(self, path: str, skeleton: Skeleton, threshold: float, info: dict):
        self.path, self.threshold, self.count = path, threshold, 0
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._file = open(path + ".partial", "w")
        self._images = tempfile.TemporaryFile("w+")
        self._file.write('{"info": %s, "categories": [%s], "annotations": [\n'
                         % (json.dumps(info), json.dumps(skeleton.to_coco_category(1))))

    def add(self, image: dict, keypoints, confidence):
        self.count += 1
        image = dict(image, id=self.count)
        v = np.where(np.asarray(confidence) >= self.threshold, 2, 1)
        values = np.concatenate([np.asarray(keypoints, np.float64), v[:, None]], axis=1).reshape(-1)
        annotation = {"id": self.count, "image_id": self.count, "category_id": 1,
                      "keypoints": [round(float(x), 3) if i % 3 < 2 else int(x) for i, x in enumerate(values)],
                      "score": round(float(np.mean(confidence)), 5), "num_keypoints": int((v == 2).sum())}
        separator = ",\n" if self.count > 1 else ""
        self._file.write(separator + json.dumps(annotation))
        self._images.write(separator + json.dumps(image))

    def close(self):
        self._file.write('\n], "images": [\n')
        self._images.seek(0)
        shutil.copyfileobj(self._images, self._file)
        self._file.write("\n]}\n")
        self._file.close()
        self._images.close()
        os.replace(self.path + ".partial", self.path)


def input_kind(path: str) -> str:
    """'image', 'folder' or 'video' for --input, or DataError."""
    if os.path.isdir(path):
        return "folder"
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file or folder (expected an image, a folder of images or a video)")
    extension = os.path.splitext(path)[1].lower()
    if extension in IMAGE_EXTENSIONS:
        return "image"
    if extension in VIDEO_EXTENSIONS:
        return "video"
    raise DataError(f"{path}: unknown extension {extension!r}; images: {IMAGE_EXTENSIONS}, videos: {VIDEO_EXTENSIONS}")


def run(detector, input_path: str, output: str, json_path: str | None = None, threshold: float = 0.3,
        smoother=None, progress: bool = True) -> dict:
    """Detects keypoints in `input_path` (image, folder or video), writes overlays to `output`.

    Args:
        detector: from `keypoints_tf.load`.
        smoother: a `keypoints_tf.smoothing.PoseSmoother` for videos, or None.

    Returns:
        {"kind", "frames", "output", "json"}.
    """
    import tqdm
    kind = input_kind(input_path)
    info = {"model": getattr(detector, "source", ""), "input": os.path.abspath(input_path),
            "coordinates": "continuous pixels: pixel (i, j) is centred at (i + 0.5, j + 0.5)"}
    writer = CocoResultsWriter(json_path, detector.skeleton, threshold, info) if json_path else None
    try:
        if kind == "video":
            frames = _run_video(detector, input_path, output, writer, threshold, smoother, progress, tqdm)
        else:
            files = [input_path] if kind == "image" else _list_images(input_path)
            if kind == "folder":
                os.makedirs(output, exist_ok=True)
            for file in tqdm.tqdm(files, desc="detect", disable=not progress or len(files) < 2):
                image = _read_image(file)
                detection = detector.detect(image)
                target = output if kind == "image" else os.path.join(output, os.path.basename(file))
                if kind == "image" and os.path.isdir(output):
                    target = os.path.join(output, os.path.basename(file))
                _write_image(target, crop_region.draw_status(draw_skeleton(
                    image, detection.keypoints, detection.confidence, detector.skeleton, threshold), detection))
                if writer:
                    name = os.path.relpath(os.path.abspath(file), os.path.dirname(os.path.abspath(json_path)))
                    writer.add({"file_name": name, "width": image.shape[1], "height": image.shape[0]},
                               detection.keypoints, detection.confidence)
            frames = len(files)
    finally:
        if writer:
            writer.close()
    return {"kind": kind, "frames": frames, "output": output, "json": json_path}


def _run_video(detector, path, output, writer, threshold, smoother, progress, tqdm) -> int:
    capture = videos.open_video(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and np.isfinite(fps) and fps > 0 else 30.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    video_writer, count = None, 0
    try:
        with tqdm.tqdm(total=total, desc="detect", unit="frame", disable=not progress) as bar:
            while True:
                ok, bgr = capture.read()
                if not ok:
                    break
                image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                detection = detector.detect(image)
                keypoints = detection.keypoints
                if smoother is not None:
                    keypoints = smoother(keypoints, detection.confidence, count / fps)
                if video_writer is None:
                    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
                    video_writer = cv2.VideoWriter(output, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                                   (image.shape[1], image.shape[0]))
                    if not video_writer.isOpened():
                        raise DataError(f"{output}: OpenCV cannot write a video here (use a .mp4 path)")
                overlay = draw_skeleton(image, keypoints, detection.confidence, detector.skeleton, threshold)
                crop_region.draw_status(overlay, detection)
                video_writer.write(cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
                if writer:
                    writer.add({"file_name": f"{os.path.basename(path)}#{count:06d}", "width": image.shape[1],
                                "height": image.shape[0], "frame_index": count,
                                "time_seconds": round(count / fps, 6)}, keypoints, detection.confidence)
                count += 1
                bar.update(1)
    finally:
        capture.release()
        if video_writer is not None:
            video_writer.release()
    if count == 0:
        raise DataError(f"{path}: no frame could be decoded from this video")
    return count


def _list_images(folder):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise DataError(f"{folder}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
    return files


def _read_image(path):
    from keypoints_tf.data.videos import read_image
    return read_image(path)


def _write_image(path, image):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise DataError(f"{path}: OpenCV could not write this image (check the extension: .png, .jpg)")


def main(argv):
    del argv
    from absl import flags

    import keypoints_tf
    from keypoints_tf.smoothing import PoseSmoother
    f = flags.FLAGS
    detector = keypoints_tf.load(f.model, num_threads=f.num_threads or None)
    threshold = f.threshold if f.threshold is not None else crop_region.CropSettings.from_contract(
        detector.contract).threshold
    if f.crop == "track":
        detector = crop_region.TrackingDetector(detector, crop_region.CropSettings.for_detector(detector, f.threshold))
        threshold = detector.settings.threshold
    smoother = PoseSmoother(f.min_cutoff, f.beta, f.d_cutoff, threshold) if f.smoothing else None
    result = run(detector, f.input, f.output, f.json or None, threshold, smoother)
    print(f"{result['frames']} {'frames' if result['kind'] == 'video' else 'images'} -> {result['output']}"
          + (f", {result['json']}" if result["json"] else ""))


if __name__ == "__main__":
    from absl import app, flags

    from keypoints_tf.errors import KeypointsError
    flags.DEFINE_string("model", None, "A shipped detector's name (keypoints_tf.list_models()), a .tflite file, "
                        "a SavedModel folder or a workdir.")
    flags.DEFINE_string("input", None, "An image, a folder of images or a video file.")
    flags.DEFINE_string("output", None, "Overlay image, folder of overlays (for a folder), or .mp4 (for a video).")
    flags.DEFINE_string("json", "", "COCO-style keypoints results JSON to write (optional).")
    flags.DEFINE_float("threshold", None, "Keypoints below this confidence are not drawn (and get v = 1); default: "
                       "the model's calibrated one (its contract's crop.threshold), else 0.3.")
    flags.DEFINE_bool("smoothing", False, "One-Euro temporal smoothing of video keypoints.")
    flags.DEFINE_float("min_cutoff", 1.0, "One-Euro minimum cutoff (Hz).")
    flags.DEFINE_float("beta", 0.05, "One-Euro speed coefficient.")
    flags.DEFINE_float("d_cutoff", 1.0, "One-Euro derivative cutoff (Hz).")
    flags.DEFINE_integer("num_threads", 0, "CPU threads for .tflite models (0 = LiteRT's default).")
    flags.DEFINE_enum("crop", "none", ["none", "track"], "none: letterbox the whole frame; track: a person-centred "
                      "crop from the previous frame's keypoints (keypoints_tf.crop_region).")
    flags.mark_flags_as_required(["model", "input", "output"])

    def guarded(argv):
        try:
            main(argv)
        except KeypointsError as e:
            raise SystemExit(f"error: {e}")
    app.run(guarded)
