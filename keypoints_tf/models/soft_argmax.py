"""Heatmaps -> keypoints (marginal soft-argmax) and a cheap per-keypoint confidence.

Marginal soft-argmax (method.md section 3): for heatmap k, average over rows to get one logit per
column, softmax over columns, and take the expected column centre; likewise for rows::

    p_x[j] = softmax_j(mean_i H_k[i, j]),   x_k = sum_j p_x[j] g_x[j],   g_x = pixel_centers(W)
    p_y[i] = softmax_i(mean_j H_k[i, j]),   y_k = sum_i p_y[i] g_y[i],   g_y = pixel_centers(H)

so a heatmap whose mass sits in pixel (column i, row j) gives the normalised centre of that pixel in
the convention of `keypoints_tf.skeleton`, at any heatmap resolution.

Confidence (`heatmap_confidence`): one minus the spread of the two marginal distributions relative to
a flat heatmap::

    s_k = sqrt((Var p_x + Var p_y) / 2)                  # RMS spread, normalised units
    s_flat = sqrt((Var_uniform(g_x) + Var_uniform(g_y)) / 2)
    confidence_k = clip(1 - s_k / s_flat, 0, 1)

1 for all mass in one pixel, 0 for a flat heatmap (or anything at least as spread out, e.g. two peaks
at opposite edges). It reuses the soft-argmax's softmaxes (a few reductions: cheap on a mobile GPU),
is resolution-independent, and marginals with a standard deviation of one pixel on a 16 x 16 map give
0.78. It measures how localised the detector's answer is, not whether the keypoint is visible: it is
not calibrated.
"""

from __future__ import annotations

import tensorflow as tf

from keypoints_tf.skeleton import pixel_centers


def _marginals(heatmaps):
    """(B, H, W, K) -> p_x (B, W, K), p_y (B, H, K) softmaxes and grids g_x (W, 1), g_y (H, 1), float32."""
    heatmaps = tf.cast(heatmaps, tf.float32)                           # (B, H, W, K) logits
    height, width = heatmaps.shape[1], heatmaps.shape[2]
    if height is None or width is None:
        raise ValueError(f"heatmaps need a static height and width, got shape {heatmaps.shape}")
    p_x = tf.nn.softmax(tf.reduce_mean(heatmaps, axis=1), axis=1)       # (B, W, K) over columns
    p_y = tf.nn.softmax(tf.reduce_mean(heatmaps, axis=2), axis=1)       # (B, H, K) over rows
    grid_x = tf.constant(pixel_centers(width))[:, None]                # (W, 1)
    grid_y = tf.constant(pixel_centers(height))[:, None]               # (H, 1)
    return p_x, p_y, grid_x, grid_y


def marginal_soft_argmax(heatmaps):
    """Marginal soft-argmax of each heatmap channel.

    Args:
        heatmaps: (B, H, W, K) heatmap logits (any float dtype; computed in float32).

    Returns:
        (B, K, 2) float32 keypoints, xy in [-1, 1] (`keypoints_tf.skeleton` convention).
    """
    p_x, p_y, grid_x, grid_y = _marginals(heatmaps)
    x = tf.reduce_sum(p_x * grid_x, axis=1)                            # (B, K)
    y = tf.reduce_sum(p_y * grid_y, axis=1)                            # (B, K)
    return tf.stack([x, y], axis=-1)                                   # (B, K, 2) xy in [-1, 1]


def heatmap_confidence(heatmaps):
    """Per-keypoint confidence from the spread of the marginal distributions (see the module docstring).

    Args:
        heatmaps: (B, H, W, K) heatmap logits.

    Returns:
        (B, K) float32 in [0, 1]: 1 = all mass in one pixel, 0 = flat heatmap.
    """
    p_x, p_y, grid_x, grid_y = _marginals(heatmaps)
    mean_x = tf.reduce_sum(p_x * grid_x, axis=1, keepdims=True)        # (B, 1, K)
    mean_y = tf.reduce_sum(p_y * grid_y, axis=1, keepdims=True)
    variance_x = tf.reduce_sum(p_x * tf.square(grid_x - mean_x), axis=1)  # (B, K)
    variance_y = tf.reduce_sum(p_y * tf.square(grid_y - mean_y), axis=1)
    flat_variance = tf.reduce_mean(tf.square(grid_x)) + tf.reduce_mean(tf.square(grid_y))
    spread = tf.sqrt(tf.maximum((variance_x + variance_y) / flat_variance, 1e-12))  # s_k / s_flat
    return tf.clip_by_value(1.0 - spread, 0.0, 1.0)                    # (B, K) in [0, 1]
