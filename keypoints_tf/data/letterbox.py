"""Letterboxing: how a frame of any size becomes the square model input, and how keypoints map back.

A (W, H) frame is scaled by s = S / max(W, H) to (w', h') = (round(W s), round(H s)) pixels, pasted at
(left, top) = ((S - w') // 2, (S - h') // 2) on an (S, S) canvas of zeros. With continuous pixel
coordinates (`keypoints_tf.skeleton`), a frame point u maps to u * (w' / W) + left, exactly, for the
pixels the model sees. The detector, the data pipeline and the Android app share these formulas, and
`to_model_range`: the networks see letterboxed uint8 pixels mapped to [-1, 1].
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import tensorflow as tf


def letterbox_transform(width: int, height: int, size: int):
    """(scale_x, scale_y, left, top): frame pixel coordinates u map to u * scale + offset in the input."""
    scale = size / max(width, height)
    new_w = max(1, int(math.floor(width * scale + 0.5)))
    new_h = max(1, int(math.floor(height * scale + 0.5)))
    return new_w / width, new_h / height, (size - new_w) // 2, (size - new_h) // 2


def letterbox(image: np.ndarray, size: int, interpolation=cv2.INTER_AREA) -> np.ndarray:
    """(H, W, C) or (H, W) image -> (size, size, C) letterboxed image of the same dtype."""
    height, width = image.shape[:2]
    scale_x, scale_y, left, top = letterbox_transform(width, height, size)
    new_w, new_h = int(round(width * scale_x)), int(round(height * scale_y))
    if (new_w, new_h) != (width, height):
        image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    if image.ndim == 2:
        image = image[:, :, None]
    canvas = np.zeros((size, size, image.shape[2]), image.dtype)
    canvas[top:top + new_h, left:left + new_w] = image
    return canvas


def frame_to_input(keypoints_pixels, width, height, size):
    """(..., K, 2) frame pixels -> (..., K, 2) pixels of the (size, size) letterboxed input."""
    scale_x, scale_y, left, top = letterbox_transform(width, height, size)
    keypoints = np.asarray(keypoints_pixels, np.float64)
    return keypoints * np.array([scale_x, scale_y]) + np.array([left, top])


def input_to_frame(keypoints_pixels, width, height, size):
    """Inverse of `frame_to_input`."""
    scale_x, scale_y, left, top = letterbox_transform(width, height, size)
    keypoints = np.asarray(keypoints_pixels, np.float64)
    return (keypoints - np.array([left, top])) / np.array([scale_x, scale_y])


def to_model_range(images):
    """uint8 pixels (any shape) -> float32 in [-1, 1], the networks' input range (x * 2 / 255 - 1).

    The one place this mapping lives: training batches, evaluation, export (inside the served graph,
    `keypoints_tf.contract` records it) and distillation all call it."""
    return tf.cast(images, tf.float32) * (2.0 / 255.0) - 1.0


def from_model_range(images) -> np.ndarray:
    """The inverse for pictures: float in [-1, 1] (any shape) -> uint8 pixels, values outside clipped."""
    return np.clip((np.asarray(tf.cast(images, tf.float32)) + 1.0) * 127.5, 0, 255).astype(np.uint8)
