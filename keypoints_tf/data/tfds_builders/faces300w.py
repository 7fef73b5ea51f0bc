"""300-W (Sagonas et al. 2013): faces with 68 iBUG landmarks, in the usual splits of the face alignment papers.

On-disk format (the iBUG "300-W" download; dlib's ``ibug_300W_large_face_landmark_dataset`` has the
same folders)::

    <manual_dir>/afw/*.jpg + *.pts                  337 faces
    <manual_dir>/helen/trainset/*.jpg + *.pts       2000
    <manual_dir>/helen/testset/*.jpg + *.pts        330
    <manual_dir>/lfpw/trainset/*.png + *.pts        811
    <manual_dir>/lfpw/testset/*.png + *.pts         224
    <manual_dir>/ibug/*.jpg + *.pts                 135

(or all of that one folder below `manual_dir`, e.g. ``300W/``). Each face has its own image file (an
image with two faces appears twice, ``..._1.jpg`` and ``..._2.jpg``) and a .pts file with the same stem::

    version: 1
    n_points:  68
    {
    x y
    ... (68 lines)
    }

Splits: train = afw + helen/trainset + lfpw/trainset (3148); common = helen/testset + lfpw/testset (554);
challenging = ibug (135); full = common + challenging (689). Images named ``*_mirror.*`` (added by some
redistributions for training) are skipped.

Keypoints are stored in `keypoints_tf.skeleton`'s pixel convention (pixel centres at i + 0.5) as
``pts - 0.5``: we assume, as menpo does, that .pts files are 1-based (the centre of the top-left pixel is
(1, 1)). **Uncertain**: the annotation tools were not documented to that level; if the points are
0-based pixel centres, every keypoint is 0.5 px off. ``interocular_distance`` is the distance between the
outer eye corners (landmarks 37 and 46, 1-based), the usual 300-W normaliser.

Configs: ``original`` (whole images, as in the folders) and ``crop128`` (a square around the landmarks'
box, side = 1.3 x its longer side, resized to 128 px, keypoints mapped into it; the crop uses the
ground-truth landmarks, as the 300-W boxes do).
"""

from __future__ import annotations

import dataclasses
import logging
import os

import cv2
import numpy as np
import tensorflow_datasets as tfds

from keypoints_tf.data.tfds_builders.compat import SourceFileCodePath
from keypoints_tf.errors import DataError

SUBSETS = {"train": ("afw", "helen/trainset", "lfpw/trainset"), "common": ("helen/testset", "lfpw/testset"),
           "challenging": ("ibug",), "full": ("helen/testset", "lfpw/testset", "ibug")}
EXPECTED_COUNTS = {"afw": 337, "helen/trainset": 2000, "helen/testset": 330, "lfpw/trainset": 811,
                   "lfpw/testset": 224, "ibug": 135}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
NUM_KEYPOINTS = 68


def read_pts(path: str, num_points: int = NUM_KEYPOINTS) -> np.ndarray:
    """(num_points, 2) float32 keypoints of a .pts file in our pixel convention (file values - 0.5)."""
    try:
        with open(path) as f:
            lines = [line.strip() for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read the .pts file ({e})") from None
    if "{" not in lines or "}" not in lines:
        raise DataError(f"{path}: not a .pts file (expected 'version: 1', 'n_points: N', then points in '{{ }}')")
    header = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines[:lines.index("{")])}
    body = lines[lines.index("{") + 1:lines.index("}")]
    declared = header.get("n_points")
    if declared is not None and declared.isdigit() and int(declared) != len(body):
        raise DataError(f"{path}: n_points says {declared} but {len(body)} points follow")
    if len(body) != num_points:
        raise DataError(f"{path}: {len(body)} points, expected {num_points}")
    try:
        points = np.array([[float(v) for v in line.split()] for line in body], np.float64)
    except ValueError:
        raise DataError(f"{path}: points must be 'x y' numbers") from None
    if points.shape != (num_points, 2):
        raise DataError(f"{path}: every point line must hold two numbers 'x y'")
    return (points - 0.5).astype(np.float32)


def find_root(manual_dir: str) -> str:
    candidates = [manual_dir] + sorted(os.path.join(manual_dir, d) for d in os.listdir(manual_dir)
                                       if os.path.isdir(os.path.join(manual_dir, d)))
    for candidate in candidates:
        if all(os.path.isdir(os.path.join(candidate, s)) for s in EXPECTED_COUNTS):
            return candidate
    raise DataError(f"{manual_dir}: no 300-W folders found (expected {sorted(EXPECTED_COUNTS)} there or one folder "
                    "below)")


def list_faces(root: str, subset: str) -> list:
    """Sorted (image path, pts path) pairs of one subset folder."""
    folder = os.path.join(root, subset)
    faces = []
    for name in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(name)
        if extension.lower() != ".pts" or stem.endswith("_mirror"):
            continue
        images = [os.path.join(folder, stem + e) for e in IMAGE_EXTENSIONS + tuple(x.upper() for x in IMAGE_EXTENSIONS)
                  if os.path.isfile(os.path.join(folder, stem + e))]
        if not images:
            raise DataError(f"{os.path.join(folder, name)}: no image with the same name ({'/'.join(IMAGE_EXTENSIONS)})")
        faces.append((images[0], os.path.join(folder, name)))
    if len(faces) != EXPECTED_COUNTS[subset]:
        logging.warning("300-W %s: %d faces, the standard release has %d", subset, len(faces), EXPECTED_COUNTS[subset])
    return faces


def crop_around(image: np.ndarray, keypoints: np.ndarray, size: int, scale: float):
    """Square crop around the keypoints' box (side = scale x longer side), resized to size; keypoints mapped."""
    low, high = keypoints.min(axis=0), keypoints.max(axis=0)
    side = max(float((high - low).max()) * scale, 2.0)
    x0, y0 = (low + high) / 2 - side / 2
    factor = size / side
    # Continuous coordinates: u -> (u - x0) * factor. OpenCV's warpAffine has pixel centres at integers.
    matrix = np.array([[factor, 0.0, (0.5 - x0) * factor - 0.5], [0.0, factor, (0.5 - y0) * factor - 0.5]])
    if factor < 1:  # shrink: blur first so the warp does not alias
        image = cv2.GaussianBlur(image, (0, 0), sigmaX=0.5 / factor)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return crop, ((keypoints - np.array([x0, y0])) * factor).astype(np.float32)


@dataclasses.dataclass
class Faces300wConfig(tfds.core.BuilderConfig):
    """crop_size 0: whole images; else square crops of that size around the face (side = crop_scale x box)."""

    crop_size: int = 0
    crop_scale: float = 1.3


class Faces300w(SourceFileCodePath, tfds.core.GeneratorBasedBuilder):
    """300-W faces with 68 landmarks: train / common / challenging / full test splits."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First version."}
    BUILDER_CONFIGS = [Faces300wConfig(name="original", description="whole images"),
                       Faces300wConfig(name="crop128", description="128 px squares around the faces", crop_size=128)]
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Download 300-W from the iBUG site (https://ibug.doc.ic.ac.uk/resources/300-W/: afw, helen, lfpw and
    ibug with their .pts files; research use only), unpack it and pass the folder that holds afw/, helen/,
    ibug/ and lfpw/ as --manual_dir:
        tfds build faces300w --imports keypoints_tf.data.tfds_builders --manual_dir DIR
    """

    def _info(self):
        size = self.builder_config.crop_size
        image_shape = (size, size, 3) if size else (None, None, 3)
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__.split("\n")[0],
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=image_shape, encoding_format="jpeg" if size else None),
                "keypoints": tfds.features.Tensor(shape=(NUM_KEYPOINTS, 2), dtype=np.float32),
                "face_box": tfds.features.Tensor(shape=(4,), dtype=np.float32),
                "interocular_distance": np.float32,
                "subset": tfds.features.Text(),
                "image_id": tfds.features.Text(),
            }),
            homepage="https://ibug.doc.ic.ac.uk/resources/300-W/",
            citation="Sagonas et al., 300 Faces in-the-Wild Challenge: The first facial landmark localization "
                     "challenge, ICCV Workshops 2013",
        )

    def _split_generators(self, dl_manager):
        root = find_root(os.fspath(dl_manager.manual_dir))
        return {split: self._generate_examples(root, subsets) for split, subsets in SUBSETS.items()}

    def _generate_examples(self, root, subsets):
        for subset in subsets:
            for image_path, pts_path in list_faces(root, subset):
                key = f"{subset}/{os.path.basename(image_path)}"
                yield key, self._example(image_path, pts_path, subset)

    def _example(self, image_path, pts_path, subset):
        keypoints = read_pts(pts_path)
        config = self.builder_config
        if config.crop_size:
            image = cv2.imread(image_path, cv2.IMREAD_COLOR)
            if image is None:
                raise DataError(f"{image_path}: could not decode the image")
            image, keypoints = crop_around(image, keypoints, config.crop_size, config.crop_scale)
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            image_feature = encoded.tobytes()
        else:
            image_feature = image_path  # the file's bytes as they are (tfds decodes jpg and png to RGB)
        low, high = keypoints.min(axis=0), keypoints.max(axis=0)
        return {
            "image": image_feature,
            "keypoints": keypoints,
            "face_box": np.concatenate([low, high]).astype(np.float32),
            "interocular_distance": np.float32(np.linalg.norm(keypoints[36] - keypoints[45])),
            "subset": subset,
            "image_id": os.path.splitext(os.path.basename(image_path))[0],
        }
