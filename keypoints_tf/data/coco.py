"""COCO keypoints files: the format of priors, evaluation sets and training labels.

A file holds one keypoints category (its ``keypoints`` names and 1-based ``skeleton`` pairs define the
skeleton), an ``images`` list (``id``, ``file_name``, ``width``, ``height``) and ``annotations``
(``image_id``, ``category_id``, ``keypoints`` = [x, y, v] x K in pixels of that image; v = 0 marks a
missing keypoint). Coordinates follow `keypoints_tf.skeleton` (pixel centres at i + 0.5).

Every image is letterboxed onto the square model input (`keypoints_tf.data.letterbox`); normalised
keypoints are relative to that square, so poses from frames of any aspect ratio keep their proportions
and line up exactly with the letterboxed pixels.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Optional, Sequence

import numpy as np

from keypoints_tf import atomic
from keypoints_tf.data.letterbox import frame_to_input
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import Skeleton


@dataclasses.dataclass
class KeypointSet:
    """Keypoint annotations read from a COCO file.

    Attributes:
        skeleton: the file's skeleton.
        keypoints_pixels: (N, K, 2) float32 continuous pixel coordinates of each annotation's image.
        visible: (N, K) bool, False where v == 0.
        image_sizes: (N, 2) int, (width, height) of each annotation's image.
        file_names: N paths resolved relative to the JSON file's folder (None where the file has no name).
        path: the JSON file it came from.
        pseudo_labels: True where the file's ``info.pseudo_labels`` says its labels come from another model
            (`keypoints_tf.data.pseudo_labels`): a measuring stick, not ground truth.
        approach_rates: (N,) how fast each image's person walks towards the camera (`keypoints_tf.sides`; an
            image's ``approach_rate``, written for crops of tracked video), or None unless every image has one.
    """

    skeleton: Skeleton
    keypoints_pixels: np.ndarray
    visible: np.ndarray
    image_sizes: np.ndarray
    file_names: list
    path: str = ""
    pseudo_labels: bool = False
    approach_rates: Optional[np.ndarray] = None

    def __len__(self):
        return len(self.keypoints_pixels)

    def normalized(self, image_size: int) -> np.ndarray:
        """(N, K, 2) float32 keypoints in normalised coordinates of the letterboxed (image_size)^2 input."""
        out = np.empty(self.keypoints_pixels.shape, np.float32)
        for i, (width, height) in enumerate(self.image_sizes):
            out[i] = frame_to_input(self.keypoints_pixels[i], width, height, image_size) * (2.0 / image_size) - 1.0
        return out

    def subset(self, indices) -> "KeypointSet":
        indices = np.asarray(indices)
        return dataclasses.replace(self, keypoints_pixels=self.keypoints_pixels[indices], visible=self.visible[indices],
                                   image_sizes=self.image_sizes[indices],
                                   file_names=[self.file_names[i] for i in indices],
                                   approach_rates=None if self.approach_rates is None else self.approach_rates[indices])


def _fail(path, message):
    raise DataError(f"{path}: {message}")


def load_json(path: str):
    if not os.path.isfile(path):
        _fail(path, "file not found (expected a COCO keypoints JSON file)")
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except UnicodeDecodeError as e:
        _fail(path, f"not UTF-8 text ({e}); expected a COCO keypoints JSON file")
    except (ValueError, RecursionError) as e:  # JSONDecodeError, huge integers, absurd nesting
        _fail(path, f"not valid JSON ({str(e)[:200]}); expected a COCO keypoints JSON file")


def read_coco_keypoints(path: str, skeleton: Optional[Skeleton] = None,
                        require_files: bool = False) -> KeypointSet:
    """Reads and validates a COCO keypoints file.

    Args:
        path: the JSON file.
        skeleton: when given, the file's skeleton must have the same keypoint names.
        require_files: check that every image's ``file_name`` exists (evaluation sets).

    Raises:
        DataError: naming the file and what is wrong.
    """
    data = load_json(path)
    if not isinstance(data, dict) or not all(k in data for k in ("images", "annotations", "categories")):
        _fail(path, "not COCO keypoints: expected an object with 'images', 'annotations' and 'categories'")
    categories = data["categories"]
    if not isinstance(categories, list):
        _fail(path, "'categories' must be a list")
    keypoint_categories = [c for c in categories if isinstance(c, dict) and "keypoints" in c]
    if len(keypoint_categories) != 1:
        _fail(path, f"expected exactly one category with 'keypoints', found {len(keypoint_categories)}")
    category = keypoint_categories[0]
    file_skeleton = Skeleton.from_coco_category(category, source=path)
    if skeleton is not None and file_skeleton.keypoint_names != skeleton.keypoint_names:
        _fail(path, f"skeleton differs: this file has {file_skeleton.num_keypoints} keypoints "
                    f"{list(file_skeleton.keypoint_names)[:6]}..., expected {skeleton.num_keypoints} "
                    f"{list(skeleton.keypoint_names)[:6]}... ({skeleton.name})")
    images = data["images"]
    if not isinstance(images, list):
        _fail(path, "'images' must be a list")
    by_id = {}
    for image in images:
        if not isinstance(image, dict) or not isinstance(image.get("id"), (int, str)):
            _fail(path, f"every image needs an integer or string 'id', got {str(image)[:80]}")
        by_id[image["id"]] = image
    annotations = data["annotations"]
    if not isinstance(annotations, list):
        _fail(path, "'annotations' must be a list")
    num_keypoints = file_skeleton.num_keypoints
    folder = os.path.dirname(os.path.abspath(path))
    keypoints, visible, sizes, names, rates = [], [], [], [], []
    for n, annotation in enumerate(annotations):
        where = f"annotation {n}"
        if not isinstance(annotation, dict):
            _fail(path, f"{where} must be an object")
        if annotation.get("category_id", category.get("id")) != category.get("id"):
            continue
        values = annotation.get("keypoints")
        if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            _fail(path, f"{where}: 'keypoints' must be a list of numbers [x, y, v] x K")
        if len(values) != 3 * num_keypoints:
            _fail(path, f"{where}: {len(values)} keypoint values, expected 3 x {num_keypoints} = "
                        f"{3 * num_keypoints} for skeleton {file_skeleton.name!r}")
        try:
            triples = np.asarray(values, np.float64).reshape(num_keypoints, 3)
        except OverflowError:
            _fail(path, f"{where}: keypoint values too large")
        if not np.all(np.isfinite(triples)):
            _fail(path, f"{where}: keypoints contain non-finite values (NaN or infinity)")
        image_id = annotation.get("image_id")
        image = by_id.get(image_id) if isinstance(image_id, (int, str)) else None
        if image is None:
            _fail(path, f"{where}: image_id {annotation.get('image_id')!r} is not in 'images'")
        width, height = image.get("width"), image.get("height")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v <= 1e6
                   for v in (width, height)):
            _fail(path, f"image {image['id']!r}: 'width' and 'height' must be numbers from 1 to 1e6 pixels, "
                        f"got {width!r} x {height!r}")
        _check_on_image(path, annotation, n, triples, width, height, file_skeleton)
        rate = image.get("approach_rate")
        if rate is not None and (not isinstance(rate, (int, float)) or isinstance(rate, bool)
                                 or not np.isfinite(rate)):
            _fail(path, f"image {image['id']!r}: 'approach_rate' must be a finite number (box sides per second), "
                        f"got {rate!r}")
        rates.append(rate)
        file_name = image.get("file_name")
        resolved = None
        if isinstance(file_name, str) and file_name:
            resolved = os.path.normpath(os.path.join(folder, file_name))
            if require_files and not os.path.isfile(resolved):
                _fail(path, f"image file {file_name!r} not found (looked for {resolved}; "
                            "file names are relative to the JSON file's folder)")
        elif require_files:
            _fail(path, f"image {image['id']!r} has no 'file_name'")
        keypoints.append(triples[:, :2])
        visible.append(triples[:, 2] > 0)
        sizes.append((int(round(width)), int(round(height))))
        names.append(resolved)
    if not keypoints:
        _fail(path, "no keypoint annotations found")
    info = data.get("info")
    return KeypointSet(skeleton=file_skeleton, keypoints_pixels=np.stack(keypoints).astype(np.float32),
                       visible=np.stack(visible), image_sizes=np.asarray(sizes, np.int32), file_names=names,
                       path=path, pseudo_labels=isinstance(info, dict) and info.get("pseudo_labels") is True,
                       approach_rates=None if None in rates else np.asarray(rates, np.float64))


def _check_on_image(path, annotation, n, triples, width, height, skeleton):
    """DataError for a visible keypoint more than one image size outside its image (a unit or axis mix-up,
    or a corrupt value): the renderer would draw nothing of it and the pose would teach nothing."""
    xy, visible = triples[:, :2], triples[:, 2] > 0
    low, high = -np.array([width, height], np.float64), 2.0 * np.array([width, height], np.float64)
    outside = visible & np.any((xy < low) | (xy > high), axis=1)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        where = f"annotation id {annotation['id']!r}" if isinstance(annotation.get("id"), (int, str)) else \
            f"annotation {n}"
        _fail(path, f"{where}: keypoint {skeleton.keypoint_names[k]!r} at ({xy[k, 0]:g}, {xy[k, 1]:g}) px is far "
                    f"outside its {width:g} x {height:g} image (allowed: x in [{-width:g}, {2 * width:g}], y in "
                    f"[{-height:g}, {2 * height:g}]); mark it missing (v = 0) or fix the coordinates")


def write_coco_keypoints(path: str, skeleton: Skeleton, keypoints_pixels, image_sizes,
                         file_names: Optional[Sequence[str]] = None, visible=None, extra: Optional[dict] = None,
                         approach_rates=None):
    """Writes a COCO keypoints file.

    Args:
        keypoints_pixels: (N, K, 2) continuous pixel coordinates of each annotation's image.
        image_sizes: (N, 2) (width, height), or one (width, height) for all.
        file_names: N names relative to the JSON file's folder, or None (a prior: images need not exist).
        visible: (N, K) bool, default all visible.
        extra: extra top-level fields (e.g. ``info``).
        approach_rates: (N,) each image's ``approach_rate`` (`KeypointSet.approach_rates`), or None.
    """
    keypoints_pixels = np.asarray(keypoints_pixels, np.float64)
    n = len(keypoints_pixels)
    if keypoints_pixels.shape[1:] != (skeleton.num_keypoints, 2):
        raise DataError(f"expected keypoints of shape (N, {skeleton.num_keypoints}, 2), got {keypoints_pixels.shape}")
    sizes = np.broadcast_to(np.asarray(image_sizes), (n, 2))
    visible = np.ones((n, skeleton.num_keypoints), bool) if visible is None else np.asarray(visible, bool)
    images, annotations = [], []
    for i in range(n):
        image = {"id": i + 1, "width": int(sizes[i][0]), "height": int(sizes[i][1])}
        image["file_name"] = file_names[i] if file_names is not None else f"prior_{i:06d}.png"
        if approach_rates is not None:
            image["approach_rate"] = round(float(approach_rates[i]), 5)
        images.append(image)
        triples = np.concatenate([keypoints_pixels[i], np.where(visible[i], 2, 0)[:, None]], axis=1)
        values = [round(float(v), 3) for v in triples.reshape(-1)]
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "keypoints": values,
                            "num_keypoints": int(visible[i].sum()), "iscrowd": 0})
    data = {"images": images, "annotations": annotations, "categories": [skeleton.to_coco_category(1)]}
    if extra:
        data.update(extra)
    atomic.write_json(path, data)
