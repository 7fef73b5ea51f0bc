"""Left and right from the direction of travel, for people walking in a video.

A one-channel skeleton image looks the same with its left and right limbs swapped, so which side a detector
calls left is a guess (method.md section 6). A video says more: people walk the way they face, and a person
walking towards a camera above the ground (any camera higher than the feet) moves down the image, away from it
up the image. Facing the camera, a person's left is on the image's right (larger x); facing away, on its left.

`approach_rate` reads the direction of travel from the person's box over the last second (its bottom edge: the
feet); `orient` swaps a detection's sides where its torso (shoulders and hips) says the other thing. It only
relabels keypoints, never moves them. Where the person stands still or walks across the image (rate near 0)
the detection is left as it is.

    sides = TravelSides(skeleton)                    # one per tracked person; frames in order
    keypoints, confidence = sides(keypoints, confidence, time_seconds)  # frame pixels; box=(x0, y0, side) optional

The rate is in box sides per second, positive towards the camera. Keypoints are (..., K, 2) with x to the
right in any of the package's conventions (`keypoints_tf.skeleton`): only the order of x values is used.
"""

from __future__ import annotations

import collections
import functools

import numpy as np

from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import Skeleton, part_name

SECONDS = 1.0    # how far back the direction of travel is read
MIN_RATE = 0.02  # box sides per second; below it the detection keeps its sides (standing, walking across)
TORSO = ("shoulder", "hip")


def approach_rate(bottoms, sides, times) -> float:
    """How fast a person's box moves down the image, in box sides per second, from its first to its last
    entry: `bottoms` (the box's lower edge, y down) and `sides` (its size) in frame pixels, at `times` in
    seconds, oldest first. 0 with fewer than two entries or no time between them."""
    if len(bottoms) < 2 or times[-1] <= times[0]:
        return 0.0
    size = float(np.sqrt(sides[0] * sides[-1]))  # geometric mean: the box grows as the person approaches
    return (bottoms[-1] - bottoms[0]) / max(size, 1e-9) / (times[-1] - times[0])


def approach_rates(squares, fps: float, seconds: float = SECONDS) -> np.ndarray:
    """(L,) `approach_rate` at each frame of a track, over the frames of the last `seconds` (0 at its first
    frame): `squares` (L, 3) [x0, y0, side] per frame, frame pixels (`keypoints_tf.data.tracks`)."""
    squares = np.asarray(squares, np.float64).reshape(-1, 3)
    back = max(1, int(round(seconds * fps)))
    bottoms, sides = squares[:, 1] + squares[:, 2], squares[:, 2]
    rates = np.zeros(len(squares))
    for t in range(1, len(squares)):
        s = max(0, t - back)
        rates[t] = approach_rate(bottoms[[s, t]], sides[[s, t]], np.array([s, t]) / fps)
    return rates


def keypoint_box(keypoints):
    """(x0, y0, side): the square of (K, 2) keypoints' extent, its bottom edge at the lowest keypoint (the feet)."""
    keypoints = np.asarray(keypoints, np.float64)
    low, high = keypoints.min(axis=0), keypoints.max(axis=0)
    side = float(max(high - low))
    return float(low[0]), float(high[1]) - side, side


@functools.lru_cache(maxsize=None)  # read on every frame of a video: the names are parsed once per skeleton
def torso_pairs(skeleton: Skeleton) -> tuple:
    """The (left, right) keypoint indices of the shoulders and hips."""
    names, left = skeleton.keypoint_names, set(skeleton.left_indices)
    pairs = [(a, b) if a in left else (b, a) for a, b in skeleton.flip_pairs
             if part_name(names[a]).lower() in TORSO and left & {a, b}]
    if not pairs:
        raise DataError(f"skeleton {skeleton.name!r}: sides from the direction of travel need left/right "
                        f"shoulder or hip keypoints; it has {list(names)}")
    return tuple(pairs)


def contradicts(keypoints, rates, skeleton: Skeleton, min_rate: float = MIN_RATE) -> np.ndarray:
    """Bool (...,): where the torso's order in keypoints (..., K, 2) contradicts the direction of travel:
    approaching (rate >= min_rate) the left shoulder and hip should be right of the right ones in the image,
    walking away (rate <= -min_rate) left of them. `rates` has the keypoints' leading shape."""
    keypoints = np.asarray(keypoints)
    rates = np.asarray(rates, np.float64)
    left_of_right = sum(keypoints[..., a, 0] - keypoints[..., b, 0] for a, b in torso_pairs(skeleton))
    facing = np.where(rates >= min_rate, 1.0, np.where(rates <= -min_rate, -1.0, 0.0))
    return facing * left_of_right < 0


def orient(keypoints, rates, skeleton: Skeleton, min_rate: float = MIN_RATE) -> np.ndarray:
    """Keypoints (..., K, 2) with left and right swapped where they `contradict` the direction of travel."""
    keypoints = np.asarray(keypoints)
    swap = contradicts(keypoints, rates, skeleton, min_rate)
    return np.where(swap[..., None, None], keypoints[..., skeleton.flip_permutation, :], keypoints)


class TravelSides:
    """`orient` for one person's detections in a video, frame by frame (module docstring). `reset` when the
    person is lost or the video changes."""

    def __init__(self, skeleton: Skeleton, seconds: float = SECONDS, min_rate: float = MIN_RATE):
        torso_pairs(skeleton)  # a skeleton without a torso is refused here, not at the first frame
        self.skeleton, self.seconds, self.min_rate = skeleton, seconds, min_rate
        self._history = collections.deque()  # (time, bottom, side) of the last `seconds`

    def __call__(self, keypoints, confidence, time_seconds: float, box=None):
        """(keypoints, confidence): (K, 2) frame pixels and (K,), relabelled together from the person's boxes
        over the last `seconds`: `box` (x0, y0, side) in frame pixels, e.g. a tracker's crop square; by default
        the keypoints' own."""
        x0, y0, side = (float(v) for v in (keypoint_box(keypoints) if box is None else box))
        history = self._history
        while history and time_seconds - history[0][0] > self.seconds + 1e-9:
            history.popleft()
        history.append((time_seconds, y0 + side, side))
        times, bottoms, sides = (np.array(column) for column in zip(*history))
        if contradicts(keypoints, approach_rate(bottoms, sides, times), self.skeleton, self.min_rate):
            order = self.skeleton.flip_permutation
            return np.asarray(keypoints)[order], np.asarray(confidence)[order]
        return keypoints, confidence

    def reset(self):
        self._history.clear()
