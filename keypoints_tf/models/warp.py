"""The equivariance term's geometry: a random similarity (or mirror) T applied to images and keypoints."""

from __future__ import annotations

import tensorflow as tf


def similarity_warp(images, keypoints, transforms, flip_permutation):
    """(T x, T p) for per-example similarity transforms, mirrors included.

    Args:
        images: (b, S, S, C) in [-1, 1]; outside the image the warp fills -1.
        keypoints: (b, K, 2) normalised xy (`keypoints_tf.skeleton`).
        transforms: (b, 5) = (angle in radians, log scale, tx, ty, mirror in {0, 1}) in normalised units.
        flip_permutation: (K,) the skeleton's left/right permutation.

    Returns:
        (warped (b, S, S, C) float32, moved (b, K, 2)). T p = s R M p + t with M = diag(-1, 1) when mirrored,
        and then left and right swap names (the mirror image of a left knee is a right knee). Mirrors also
        catch a constant offset b of a detector, which a similarity close to the identity barely sees:
        mirrored, it becomes -b.
    """
    angle, scale = transforms[:, 0], tf.exp(transforms[:, 1])
    shift, mirrored = transforms[:, 2:4], transforms[:, 4]                # (b, 2), (b,)
    cos, sin = tf.cos(angle), tf.sin(angle)
    sign = 1.0 - 2.0 * mirrored                                          # -1 mirrors x
    linear = tf.reshape(tf.stack([cos * sign, -sin, sin * sign, cos], -1), [-1, 2, 2])
    linear = scale[:, None, None] * linear                               # (b, 2, 2) s R M
    moved = tf.einsum("bij,bkj->bki", linear, keypoints) + shift[:, None]           # (b, K, 2)
    relabelled = tf.gather(moved, flip_permutation, axis=1)
    moved = tf.where(mirrored[:, None, None] > 0.5, relabelled, moved)
    # The image warp samples the input at T^-1(q) for every output pixel q (pixel-index coordinates).
    size = float(images.shape[1])
    centre = (size - 1.0) / 2.0
    inverse = tf.linalg.inv(linear)                                      # (b, 2, 2)
    offset = centre - tf.einsum("bij,bj->bi", inverse, centre + shift * size / 2.0)  # (b, 2)
    matrix = tf.concat([inverse[:, 0], offset[:, :1], inverse[:, 1], offset[:, 1:],
                        tf.zeros([tf.shape(images)[0], 2])], axis=1)              # (b, 8)
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(images, tf.float32), transforms=matrix, output_shape=tf.shape(images)[1:3],
        fill_value=-1.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    return warped, moved
