"""Run a detector on images, a folder or a video: overlays and a COCO-style results JSON.

    python -m keypoints_tf.detect --model=runs/export/model.tflite --input=photo.jpg --output=photo_keypoints.jpg
    python -m keypoints_tf.detect --model=runs/synthetic --input=frames/ --output=overlays/ --json=keypoints.json
    python -m keypoints_tf.detect --model=saved_model/ --input=clip.mp4 --output=clip_keypoints.mp4 \\
        --json=clip.json --smoothing [--min_cutoff=1.0 --beta=0.05 --d_cutoff=1.0] [--crop=track] [--sides=travel]

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
``--sides=travel`` (a video of one walking person) relabels left and right from the direction they walk
(`keypoints_tf.sides`): a one-channel skeleton cannot tell them apart, the walk can.

Outputs appear whole or not at all (`keypoints_tf.atomic`): the overlay (image, folder or video) and the
JSON are written beside their final names and renamed into place when every frame is done, so a failure
part-way leaves an existing file as it was. An existing output is replaced only with `--overwrite` (a
folder only if it holds nothing but images); an output that is the input is refused. A video that ends
before the frame count its header announces (a truncated file) is an error, not a shorter result.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile

import cv2
import numpy as np

from keypoints_tf import atomic, crop_region
from keypoints_tf import sides as sides_lib
from keypoints_tf.data import videos
from keypoints_tf.data.videos import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from keypoints_tf.errors import DataError, OutputError
from keypoints_tf.skeleton import Skeleton

SIDES = ("detected", "travel")
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
    """Streams a COCO keypoints results file to `path`: annotations to the file, images through a
    temporary file (`close` appends them). Write it to a temporary path (`atomic.replacing`)."""

    def __init__(self, path: str, skeleton: Skeleton, threshold: float, info: dict):
        self.threshold, self.count = threshold, 0
        self._file = open(path, "w")
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
        self.discard()

    def discard(self):
        self._file.close()
        self._images.close()


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


OVERLAY_MARKER = ".keypoints_tf-overlays"  # in a folder of overlays: detect --overwrite may replace it


def overlay_path(kind: str, input_path: str, output: str) -> str:
    """Where the overlay of `input_path` goes: `output`, or inside it for an image and an existing folder."""
    if kind == "image" and os.path.isdir(output):
        return os.path.join(output, os.path.basename(input_path))
    return output


def check_outputs(kind: str, input_path: str, output: str, json_path: str | None, overwrite: bool = False):
    """OutputError, before anything is read, for an output that is an input or would replace something."""
    target = overlay_path(kind, input_path, output)
    atomic.check_output(target, overwrite, inputs=[input_path])
    if json_path:
        atomic.check_output(json_path, overwrite, inputs=[input_path, target])
    if kind == "folder" and os.path.isdir(target) and not _holds_only_overlays(target, json_path):
        raise OutputError(f"{target}: exists and is not a folder of overlays written by detect (no {OVERLAY_MARKER} "
                          "file, or more than images in it); refusing to replace it even with --overwrite: choose "
                          "another --output")


def _holds_only_overlays(folder: str, json_path: str | None) -> bool:
    """True when `folder` is what a previous run left: its marker file, images and the results JSON only.

    Without the marker a folder of the user's own images would look the same, and --overwrite would delete it.
    """
    names = os.listdir(folder)
    if OVERLAY_MARKER not in names:
        return False
    for name in names:
        path = os.path.join(folder, name)
        if not (os.path.isfile(path) and (name == OVERLAY_MARKER or name.lower().endswith(IMAGE_EXTENSIONS)
                                          or (json_path and atomic.same_path(path, json_path)))):
            return False
    return True


def _inside(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)


def run(detector, input_path: str, output: str, json_path: str | None = None, threshold: float = 0.3,
        smoother=None, progress: bool = True, overwrite: bool = False, sides: str = "detected") -> dict:
    """Detects keypoints in `input_path` (image, folder or video), writes overlays to `output`.

    Args:
        detector: from `keypoints_tf.load`.
        smoother: a `keypoints_tf.smoothing.PoseSmoother` for videos, or None.
        sides: "detected", or "travel" (videos of one walking person): left and right from the direction of
            travel (`keypoints_tf.sides`), before smoothing.
        overwrite: replace an existing `output` / `json_path` (see the module doc).

    Returns:
        {"kind", "frames", "output", "json"}.
    """
    import tqdm
    kind = input_kind(input_path)
    check_sides(sides, kind, input_path)
    check_outputs(kind, input_path, output, json_path, overwrite)
    target = overlay_path(kind, input_path, output)
    info = {"model": getattr(detector, "source", ""), "input": os.path.abspath(input_path),
            "coordinates": "continuous pixels: pixel (i, j) is centred at (i + 0.5, j + 0.5)"}
    json_in_folder = kind == "folder" and json_path and _inside(json_path, target)  # moves in with the folder
    with contextlib.ExitStack() as stack:
        json_partial = stack.enter_context(atomic.replacing(json_path, overwrite)) if json_path and not json_in_folder \
            else None
        partial = stack.enter_context(atomic.replacing(target, overwrite))
        if kind == "folder":
            os.makedirs(partial)
            with open(os.path.join(partial, OVERLAY_MARKER), "w") as f:
                f.write("Overlays written by python -m keypoints_tf.detect; --overwrite may replace this folder.\n")
        if json_in_folder:
            json_partial = os.path.join(partial, os.path.relpath(json_path, target))
            os.makedirs(os.path.dirname(json_partial), exist_ok=True)
        writer = None
        if json_partial:
            writer = CocoResultsWriter(json_partial, detector.skeleton, threshold, info)
            stack.callback(writer.discard)
        if kind == "video":
            frames = _run_video(detector, input_path, partial, writer, threshold, smoother, progress, tqdm, target,
                                sides)
        else:
            files = [input_path] if kind == "image" else _list_images(input_path)
            for file in tqdm.tqdm(files, desc="detect", disable=not progress or len(files) < 2):
                image = _read_image(file)
                detection = detector.detect(image)
                base = os.path.basename(file)
                overlay = crop_region.draw_status(draw_skeleton(
                    image, detection.keypoints, detection.confidence, detector.skeleton, threshold), detection)
                _write_image(partial if kind == "image" else os.path.join(partial, base), overlay,
                             target if kind == "image" else os.path.join(target, base))
                if writer:
                    name = os.path.relpath(os.path.abspath(file), os.path.dirname(os.path.abspath(json_path)))
                    writer.add({"file_name": name, "width": image.shape[1], "height": image.shape[0]},
                               detection.keypoints, detection.confidence)
            frames = len(files)
        if writer:
            writer.close()
    return {"kind": kind, "frames": frames, "output": target, "json": json_path}


def check_sides(sides: str, kind: str, input_path: str):
    if sides not in SIDES:
        raise DataError(f"sides={sides!r}: expected one of {SIDES}")
    if sides == "travel" and kind != "video":
        raise DataError(f"{input_path}: sides from the direction of travel need a video (got {kind}): "
                        "use --sides=detected")


def _run_video(detector, path, output, writer, threshold, smoother, progress, tqdm, shown, sides="detected") -> int:
    """Writes the overlay video to `output` (a temporary path; `shown` is its final name, for messages)."""
    capture = videos.open_video(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and np.isfinite(fps) and fps > 0 else 30.0
    travel = sides_lib.TravelSides(detector.skeleton) if sides == "travel" else None
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
                keypoints, confidence = detection.keypoints, detection.confidence
                if travel is not None:  # before smoothing, which would blend a left with a right
                    keypoints, confidence = travel(keypoints, confidence, count / fps)
                if smoother is not None:
                    keypoints = smoother(keypoints, confidence, count / fps)
                if video_writer is None:
                    video_writer = cv2.VideoWriter(output, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                                   (image.shape[1], image.shape[0]))
                    if not video_writer.isOpened():
                        raise DataError(f"{shown}: OpenCV cannot write a video here (use a .mp4 path)")
                overlay = draw_skeleton(image, keypoints, confidence, detector.skeleton, threshold)
                crop_region.draw_status(overlay, detection)
                video_writer.write(cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
                if writer:
                    writer.add({"file_name": f"{os.path.basename(path)}#{count:06d}", "width": image.shape[1],
                                "height": image.shape[0], "frame_index": count,
                                "time_seconds": round(count / fps, 6)}, keypoints, confidence)
                count += 1
                bar.update(1)
    finally:
        capture.release()
        if video_writer is not None:
            video_writer.release()
    if count == 0:
        raise DataError(f"{path}: no frame could be decoded from this video")
    if total and total - count > max(1, 0.02 * total):
        raise DataError(f"{path}: decoding stopped after {count} of the {total} frames its header announces "
                        "(a truncated or damaged file); nothing was written. Re-encode what decodes (e.g. "
                        "ffmpeg -i IN -c:v libx264 OUT.mp4) to use those frames")
    return count


def _list_images(folder):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise DataError(f"{folder}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
    return files


def _read_image(path):
    from keypoints_tf.data.videos import read_image
    return read_image(path)


def _write_image(path, image, shown):
    """Writes `image` to `path` (a temporary path; `shown` is its final name, for messages)."""
    try:
        written = cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    except cv2.error:
        written = False
    if not written:
        raise DataError(f"{shown}: OpenCV could not write this image (check the extension: .png, .jpg)")


def main(argv):
    del argv
    from absl import flags

    import keypoints_tf
    from keypoints_tf.smoothing import PoseSmoother
    f = flags.FLAGS
    check_sides(f.sides, input_kind(f.input), f.input)  # before loading the model
    check_outputs(input_kind(f.input), f.input, f.output, f.json or None, f.overwrite)
    detector = keypoints_tf.load(f.model, num_threads=f.num_threads or None)
    threshold = f.threshold if f.threshold is not None else crop_region.CropSettings.from_contract(
        detector.contract).threshold
    if f.crop == "track":
        detector = crop_region.TrackingDetector(detector, crop_region.CropSettings.for_detector(detector, f.threshold))
        threshold = detector.settings.threshold
    smoother = PoseSmoother(f.min_cutoff, f.beta, f.d_cutoff, threshold) if f.smoothing else None
    result = run(detector, f.input, f.output, f.json or None, threshold, smoother, overwrite=f.overwrite,
                 sides=f.sides)
    print(f"{result['frames']} {'frames' if result['kind'] == 'video' else 'images'} -> {result['output']}"
          + (f", {result['json']}" if result["json"] else ""))


if __name__ == "__main__":
    from absl import app, flags

    from keypoints_tf import cli
    flags.DEFINE_string("model", None, "A shipped detector's name (keypoints_tf.list_models()), a .tflite file, "
                        "a SavedModel folder or a workdir.")
    flags.DEFINE_string("input", None, "An image, a folder of images or a video file.")
    flags.DEFINE_string("output", None, "Overlay image, folder of overlays (for a folder), or .mp4 (for a video).")
    flags.DEFINE_string("json", "", "COCO-style keypoints results JSON to write (optional).")
    flags.DEFINE_bool("overwrite", False, "Replace an existing --output / --json (never the input).")
    flags.DEFINE_float("threshold", None, "Keypoints below this confidence are not drawn (and get v = 1); default: "
                       "the model's calibrated one (its contract's crop.threshold), else 0.3.")
    flags.DEFINE_bool("smoothing", False, "One-Euro temporal smoothing of video keypoints.")
    flags.DEFINE_float("min_cutoff", 1.0, "One-Euro minimum cutoff (Hz).")
    flags.DEFINE_float("beta", 0.05, "One-Euro speed coefficient.")
    flags.DEFINE_float("d_cutoff", 1.0, "One-Euro derivative cutoff (Hz).")
    flags.DEFINE_integer("num_threads", 0, "CPU threads for .tflite models (0 = LiteRT's default).")
    flags.DEFINE_enum("crop", "none", ["none", "track"], "none: letterbox the whole frame; track: a person-centred "
                      "crop from the previous frame's keypoints (keypoints_tf.crop_region).")
    flags.DEFINE_enum("sides", "detected", list(SIDES), "detected: left and right as the model says; travel "
                      "(a video of one walking person): from the direction they walk (keypoints_tf.sides).")
    flags.mark_flags_as_required(["model", "input", "output"])
    app.run(cli.guarded(main))
