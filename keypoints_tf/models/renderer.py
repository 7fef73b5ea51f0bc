"""beta: the analytic, differentiable skeleton renderer (keypoints -> 1-channel skeleton image).

For each edge (a, b) and each pixel centre m (grid: `keypoints_tf.skeleton.pixel_centers` on both axes,
so a keypoint at a pixel centre lands exactly on that pixel)::

    t = clip(((m - a) . (b - a)) / max(|b - a|^2, 1e-6), 0, 1)     # closest point on the segment
    d = sqrt(|a + t (b - a) - m|^2 + 1e-6)                          # distance to the segment
    value = exp(-d / sigma^2)                                       # note: d, not d^2 (the reference's profile)

Edges combine by a per-pixel max and the image is mapped to ``2 * value - 1``: background -1, line
centre ~1 (exactly ``2 exp(-1e-3 / sigma^2) - 1`` because of the 1e-6 under the square root).
Distances are in normalised units, so the line width in pixels grows with the image size unless
sigma shrinks: `line_sigma` gives the sigma with the reference's per-pixel profile.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from keypoints_tf.skeleton import pixel_centers

REFERENCE_SIGMA = 0.2
REFERENCE_IMAGE_SIZE = 128


def line_sigma(image_size: int) -> float:
    """The sigma whose line profile in pixels equals the reference's (sigma 0.2 at 128 px).

    ``exp(-d / sigma^2)`` with ``d = 2 p / S`` for a distance of ``p`` pixels is the same profile when
    ``S sigma^2`` is constant: ``sigma = 0.2 * sqrt(128 / S)`` (0.283 at 64 px, 0.4 at 32 px).
    """
    if image_size <= 0:
        raise ValueError(f"image_size must be a positive number of pixels, got {image_size}")
    return REFERENCE_SIGMA * math.sqrt(REFERENCE_IMAGE_SIZE / image_size)


def _edge_indices(edges):
    edges = np.asarray(edges, dtype=np.int32)
    if edges.ndim != 2 or edges.shape[0] == 0 or edges.shape[1] != 2:
        raise ValueError(f"edges must be a non-empty list of (a, b) keypoint index pairs, got shape {edges.shape}")
    return edges


def render_skeleton(keypoints, edges, image_size: int, sigma: float):
    """Renders keypoints as a skeleton image of line segments.

    Args:
        keypoints: (B, K, 2) xy in [-1, 1] (see `keypoints_tf.skeleton`); any float dtype, computed in float32.
        edges: (E, 2) pairs of keypoint indices (Python ints), e.g. ``skeleton.edges``.
        image_size: output height and width S in pixels.
        sigma: line width parameter in normalised units (`line_sigma(S)` for the reference profile).

    Returns:
        (B, S, S, 1) float32 skeleton image in [-1, 1], background -1.

    Example:
        >>> skeleton = get_skeleton("human17")
        >>> image = render_skeleton(keypoints, skeleton.edges, 64, line_sigma(64))  # (B, 64, 64, 1)
    """
    edges = _edge_indices(edges)
    keypoints = tf.cast(keypoints, tf.float32)                     # (B, K, 2) xy in [-1, 1]
    start = tf.gather(keypoints, edges[:, 0], axis=1)              # (B, E, 2) a
    end = tf.gather(keypoints, edges[:, 1], axis=1)                # (B, E, 2) b
    grid = tf.constant(pixel_centers(image_size))                  # (S,) pixel centres
    grid_x = grid[None, None, None, :]                             # (1, 1, 1, S) varies along columns
    grid_y = grid[None, None, :, None]                             # (1, 1, S, 1) varies along rows
    start_x, start_y = start[..., 0, None, None], start[..., 1, None, None]  # (B, E, 1, 1)
    delta_x = end[..., 0, None, None] - start_x                    # (B, E, 1, 1) b - a
    delta_y = end[..., 1, None, None] - start_y
    offset_x = grid_x - start_x                                    # (B, E, 1, S) m - a
    offset_y = grid_y - start_y                                    # (B, E, S, 1)
    length_squared = tf.maximum(delta_x * delta_x + delta_y * delta_y, 1e-6)
    t = tf.clip_by_value((offset_x * delta_x + offset_y * delta_y) / length_squared, 0.0, 1.0)  # (B, E, S, S)
    distance_x = t * delta_x - offset_x                            # (B, E, S, S) a + t (b - a) - m
    distance_y = t * delta_y - offset_y
    distance = tf.sqrt(distance_x * distance_x + distance_y * distance_y + 1e-6)
    values = tf.exp(-distance / (float(sigma) ** 2))               # (B, E, S, S) in (0, 1]
    image = tf.reduce_max(values, axis=1)                          # (B, S, S) max over edges
    return (2.0 * image - 1.0)[..., None]                          # (B, S, S, 1) in [-1, 1]


class SkeletonRenderer(keras.layers.Layer):
    """A weightless layer around `render_skeleton`: (B, K, 2) keypoints -> (B, S, S, 1) skeleton image.

    The layer's dtype defaults to float32 (whatever the global policy), so that keypoints are not
    rounded to bfloat16 before rendering; its output is float32.

    Args:
        edges: (E, 2) pairs of keypoint indices.
        image_size: output height and width S in pixels.
        sigma: line width in normalised units; None means `line_sigma(image_size)`.
        **kwargs: forwarded to `keras.layers.Layer` (name, dtype, ...).

    Example:
        >>> renderer = SkeletonRenderer(get_skeleton("human17").edges, image_size=64)
        >>> renderer(keypoints).shape  # keypoints: (B, 17, 2)
        TensorShape([B, 64, 64, 1])
    """

    def __init__(self, edges, image_size: int, sigma: float | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        # === Config ===
        self.edges = tuple((int(a), int(b)) for a, b in _edge_indices(edges))
        self.image_size = int(image_size)
        self.sigma = float(line_sigma(image_size) if sigma is None else sigma)

    def call(self, keypoints):
        return render_skeleton(keypoints, self.edges, self.image_size, self.sigma)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, 1)

    def get_config(self):
        config = super().get_config()
        config.update({"edges": [list(e) for e in self.edges], "image_size": self.image_size,
                       "sigma": self.sigma})
        return config
