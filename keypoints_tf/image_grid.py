"""The training image grid: input | skeleton image y | rendered keypoints beta(p) | reconstruction."""

from __future__ import annotations

import os

import cv2
import numpy as np
import tensorflow as tf

from keypoints_tf.data.letterbox import from_model_range


def grid_rows(model, batch, num_rows: int = 6) -> np.ndarray:
    """(rows * S, 4 * S, 3) uint8 grid for the first `num_rows` pairs of `batch`."""
    images = batch["image"][:num_rows]
    appearance = batch["appearance"][:num_rows]
    skeletons = model.image_to_skeleton(images, training=False)
    keypoints = model.keypoint_regressor(skeletons)["keypoints"]
    rendered = model.render(keypoints)
    reconstructed = model.image_generator(rendered, appearance, training=False)

    def to_rgb(x):
        x = tf.cast(x, tf.float32)
        if x.shape[-1] == 1:  # skeleton images are unbounded: show them in [-1, 1]
            x = tf.tile(tf.clip_by_value(x, -1.0, 1.0), [1, 1, 1, 3])
        return from_model_range(x)

    columns = [to_rgb(t) for t in (images, skeletons, rendered, reconstructed)]
    return np.concatenate([np.concatenate(list(c), axis=0) for c in columns], axis=1)


def log_grid(model, batch, writer, step: int, folder: str):
    """Writes the grid to TensorBoard at `step` (explicitly: never the step frozen at trace time) and as PNG."""
    grid = grid_rows(model, batch)
    with writer.as_default():
        tf.summary.image("train/input|skeleton|keypoints|reconstruction", grid[None], step=step)
    os.makedirs(folder, exist_ok=True)
    cv2.imwrite(os.path.join(folder, "latest.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
