"""Skeletons (keypoint names, edges, left/right pairs) and THE coordinate convention.

Coordinate convention (used by the data, the renderer, the detector, the metrics, the exporter and the
Android app; nothing else in the project defines one):

* **Normalised** keypoints are ``(x, y)`` with x to the right and y downwards, origin at the top-left
  **corner** of the image, scaled so that the image spans ``[-1, 1] x [-1, 1]``: ``-1`` is the outer
  edge of the first pixel and ``+1`` the outer edge of the last one. The centre of pixel column ``i`` of
  an image ``W`` pixels wide is at ``x = (2 i + 1) / W - 1``. Tensors of keypoints are ``(..., K, 2)``.
* **Pixel** keypoints are continuous pixel coordinates in the same orientation: the image spans
  ``[0, W] x [0, H]`` and the centre of pixel ``(i, j)`` (column i, row j) is ``(i + 0.5, j + 0.5)``.
  COCO files read and written by this project use these pixel coordinates.

The convention does not depend on resolution: the same normalised point is the same place in a
64 px image, its 16 x 16 heatmap and its 512 px original, so resizing needs no half-pixel fix-ups.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Sequence

import numpy as np

from keypoints_tf.errors import DataError

COORDINATE_CONVENTION = (
    "(x, y), x right, y down, origin at the top-left corner of the image. Normalised: the image spans "
    "[-1, 1] x [-1, 1] (edges, not pixel centres). Pixels: the image spans [0, W] x [0, H] and pixel "
    "(i, j) has its centre at (i + 0.5, j + 0.5)."
)


def pixels_to_normalized(keypoints, width, height):
    """(..., K, 2) continuous pixel coordinates -> (..., K, 2) normalised coordinates in [-1, 1]."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    scale = np.array([2.0 / width, 2.0 / height], dtype=np.float32)
    return keypoints * scale - 1.0


def normalized_to_pixels(keypoints, width, height):
    """(..., K, 2) normalised coordinates -> (..., K, 2) continuous pixel coordinates."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    scale = np.array([width / 2.0, height / 2.0], dtype=np.float32)
    return (keypoints + 1.0) * scale


def pixel_centers(size):
    """Normalised coordinates of the centres of `size` pixels along one axis: (size,) float32."""
    return ((2.0 * np.arange(size) + 1.0) / size - 1.0).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """A keypoint skeleton.

    Args:
        name: short identifier, e.g. ``"human17"``.
        keypoint_names: one name per keypoint, in output order.
        edges: pairs of keypoint indices (0-based) joined by a bone / contour segment.
        flip_pairs: pairs of keypoint indices that swap under a horizontal mirror (left/right).

    Example:
        >>> skeleton = get_skeleton("human17")
        >>> skeleton.num_keypoints, len(skeleton.edges)
        (17, 16)
    """

    name: str
    keypoint_names: tuple
    edges: tuple
    flip_pairs: tuple

    def __post_init__(self):
        names = tuple(str(n) for n in self.keypoint_names)
        edges = tuple((int(a), int(b)) for a, b in self.edges)
        pairs = tuple((int(a), int(b)) for a, b in self.flip_pairs)
        object.__setattr__(self, "keypoint_names", names)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "flip_pairs", pairs)
        k = len(names)
        if k == 0:
            raise DataError(f"skeleton {self.name!r}: expected at least one keypoint name, got none")
        if len(set(names)) != k:
            raise DataError(f"skeleton {self.name!r}: keypoint names must be unique, got {list(names)}")
        for a, b in edges + pairs:
            if not (0 <= a < k and 0 <= b < k) or a == b:
                raise DataError(
                    f"skeleton {self.name!r}: pair ({a}, {b}) must join two different keypoints in [0, {k})")
        seen = [i for pair in pairs for i in pair]
        if len(seen) != len(set(seen)):
            raise DataError(f"skeleton {self.name!r}: a keypoint appears in more than one flip pair: {pairs}")

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoint_names)

    @property
    def flip_permutation(self) -> np.ndarray:
        """(K,) int: ``keypoints[..., flip_permutation, :]`` relabels left as right and right as left."""
        permutation = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            permutation[a], permutation[b] = b, a
        return permutation

    @property
    def left_indices(self) -> tuple:
        """Indices of keypoints on the object's left side (first member of each flip pair is not assumed)."""
        return tuple(i for i, n in enumerate(self.keypoint_names) if _side(n) == "left")

    @property
    def right_indices(self) -> tuple:
        return tuple(i for i, n in enumerate(self.keypoint_names) if _side(n) == "right")

    def index(self, keypoint_name: str) -> int:
        try:
            return self.keypoint_names.index(keypoint_name)
        except ValueError:
            raise DataError(f"skeleton {self.name!r} has no keypoint {keypoint_name!r}; "
                            f"it has {list(self.keypoint_names)}") from None

    def edge_side(self, edge_index: int) -> str:
        """'left', 'right' or 'center' for drawing an edge in a colour that tells left from right."""
        sides = {_side(self.keypoint_names[i]) for i in self.edges[edge_index]}
        for side in ("left", "right"):
            if side in sides:
                return side
        return "center"

    def flip_keypoints(self, keypoints):
        """Mirror normalised keypoints horizontally: (..., K, 2) -> (..., K, 2), left/right relabelled."""
        keypoints = np.asarray(keypoints)
        mirrored = keypoints * np.array([-1.0, 1.0], dtype=keypoints.dtype)
        return mirrored[..., self.flip_permutation, :]

    # === Serialisation ===
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "keypoint_names": list(self.keypoint_names),
            "edges": [list(e) for e in self.edges],
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "edge_sides": [self.edge_side(i) for i in range(len(self.edges))],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Skeleton":
        try:
            return cls(name=data["name"], keypoint_names=data["keypoint_names"], edges=data["edges"],
                       flip_pairs=data["flip_pairs"])
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise DataError(f"not a skeleton description (need name, keypoint_names, edges, flip_pairs): {e}")

    def to_coco_category(self, category_id: int = 1) -> dict:
        """The COCO keypoints category: names and 1-based skeleton pairs."""
        return {"id": category_id, "name": self.name, "supercategory": self.name,
                "keypoints": list(self.keypoint_names),
                "skeleton": [[a + 1, b + 1] for a, b in self.edges]}

    @classmethod
    def from_coco_category(cls, category: dict, source: str = "COCO category") -> "Skeleton":
        """Reads ``keypoints`` (names) and ``skeleton`` (1-based pairs); flip pairs come from left/right names."""
        if not isinstance(category, dict):
            raise DataError(f"{source}: a category must be an object, got {type(category).__name__}")
        names = category.get("keypoints")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise DataError(f"{source}: category 'keypoints' must be a non-empty list of keypoint names")
        pairs = category.get("skeleton", [])
        if not isinstance(pairs, list) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) for i in p) for p in pairs):
            raise DataError(f"{source}: category 'skeleton' must be a list of [a, b] 1-based keypoint index pairs")
        for a, b in pairs:
            if not (1 <= a <= len(names) and 1 <= b <= len(names)):
                raise DataError(f"{source}: skeleton pair [{a}, {b}] is outside 1..{len(names)} (pairs are 1-based)")
        name = category.get("name")
        builtin = BUILTIN.get(name) if isinstance(name, str) else None
        if builtin is not None and list(builtin.keypoint_names) == names:
            return builtin  # keeps hand-written flip pairs (face68 has unnamed sides)
        if builtin is not None:
            raise DataError(f"{source}: the category is named {name!r}, a built-in skeleton, but its {len(names)} "
                            f"keypoints {names[:5]}... are not {name}'s {builtin.num_keypoints} "
                            f"{list(builtin.keypoint_names)[:5]}...; fix the keypoint names or rename the category")
        return cls(name=str(category.get("name", "custom")), keypoint_names=names,
                   edges=[(a - 1, b - 1) for a, b in pairs], flip_pairs=flip_pairs_from_names(names))


_SIDE_TOKENS = {"l": "left", "left": "left", "r": "right", "right": "right"}


def _side(name: str):
    tokens = re.split(r"[_\-\s.]+", name.lower())
    for token in tokens:
        if token in _SIDE_TOKENS:
            return _SIDE_TOKENS[token]
    return None


def part_name(name: str) -> str:
    """A keypoint's name without its side: 'l_knee' -> 'knee', 'LeftArm' -> 'Arm', 'neck' -> 'neck'."""
    kept = [token for token in re.split(r"[_\-\s.]+", name) if token.lower() not in _SIDE_TOKENS]
    camel = re.match(r"^(Left|Right)(.+)$", "_".join(kept))
    return camel.group(2) if camel else "_".join(kept) or name


def _mirror_name(name: str):
    """The name of the mirrored keypoint ('l_knee' -> 'r_knee', 'LeftArm' -> 'RightArm'), or None."""
    swaps = {"l": "r", "r": "l", "left": "right", "right": "left"}
    parts = re.split(r"([_\-\s.]+)", name)
    for i, part in enumerate(parts):
        if part.lower() in swaps:
            swapped = swaps[part.lower()]
            if part.isupper():
                swapped = swapped.upper()
            elif part[:1].isupper():
                swapped = swapped.capitalize()
            return "".join(parts[:i] + [swapped] + parts[i + 1:])
    camel = re.match(r"^(Left|Right)(.+)$", name)
    if camel:
        return ("Right" if camel.group(1) == "Left" else "Left") + camel.group(2)
    return None


def flip_pairs_from_names(names: Sequence[str]) -> list:
    """Left/right index pairs found by name ('l_x'/'r_x', 'left_x'/'right_x', 'LeftX'/'RightX')."""
    index = {n: i for i, n in enumerate(names)}
    pairs = []
    for i, name in enumerate(names):
        j = index.get(_mirror_name(name) or "")
        if j is not None and i < j:
            pairs.append((i, j))
    return pairs


def _chain(indices: Iterable[int], closed: bool = False):
    indices = list(indices)
    edges = list(zip(indices[:-1], indices[1:]))
    if closed:
        edges.append((indices[-1], indices[0]))
    return edges


def _human17() -> Skeleton:
    names = ["pelvis", "r_hip", "r_knee", "r_ankle", "r_toes", "l_hip", "l_knee", "l_ankle", "l_toes",
             "neck", "head_back", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist"]
    edge_names = [("pelvis", "r_hip"), ("r_hip", "r_knee"), ("r_knee", "r_ankle"), ("r_ankle", "r_toes"),
                  ("pelvis", "l_hip"), ("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("l_ankle", "l_toes"),
                  ("pelvis", "neck"), ("neck", "head_back"), ("neck", "l_shoulder"),
                  ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("neck", "r_shoulder"),
                  ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist")]
    edges = [(names.index(a), names.index(b)) for a, b in edge_names]
    return Skeleton("human17", names, edges, flip_pairs_from_names(names))


def _face68() -> Skeleton:
    """iBUG / 300-W 68 landmarks (0-based). Sides are the subject's: r_eye is on the image's left."""
    names = ([f"jaw_{i:02d}" for i in range(17)] + [f"r_brow_{i}" for i in range(5)]
             + [f"l_brow_{i}" for i in range(5)] + [f"nose_bridge_{i}" for i in range(4)]
             + [f"nose_base_{i}" for i in range(5)]
             + ["r_eye_outer", "r_eye_top_0", "r_eye_top_1", "r_eye_inner", "r_eye_bottom_1", "r_eye_bottom_0"]
             + ["l_eye_inner", "l_eye_top_1", "l_eye_top_0", "l_eye_outer", "l_eye_bottom_0", "l_eye_bottom_1"]
             + [f"mouth_outer_{i:02d}" for i in range(12)] + [f"mouth_inner_{i}" for i in range(8)])
    edges = (_chain(range(0, 17)) + _chain(range(17, 22)) + _chain(range(22, 27)) + _chain(range(27, 31))
             + _chain(range(31, 36)) + [(30, 33)] + _chain(range(36, 42), closed=True)
             + _chain(range(42, 48), closed=True) + _chain(range(48, 60), closed=True)
             + _chain(range(60, 68), closed=True))
    pairs = ([(i, 16 - i) for i in range(8)] + [(17 + i, 26 - i) for i in range(5)]
             + [(31, 35), (32, 34)] + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
             + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)] + [(60, 64), (61, 63), (65, 67)])
    return Skeleton("face68", names, edges, pairs)


BUILTIN = {"human17": _human17(), "face68": _face68()}


def get_skeleton(name: str) -> Skeleton:
    """A built-in skeleton by name ('human17', 'face68')."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise DataError(f"unknown skeleton {name!r}; built in: {sorted(BUILTIN)} "
                        "(or give a COCO keypoints file, whose category defines its own)") from None
