"""The distributed-training convention of every model here (KeypointGAN, the supervised bound), in one place.

Each replica computes per-example losses on its share of the global batch and divides their sum by the
GLOBAL batch size (`average_loss`), so the gradients summed over replicas are those of one replica holding
the whole batch. `apply_clipped` then sums them itself, clips the true gradient and applies it.
"""

from __future__ import annotations

import tensorflow as tf


def average_loss(per_example, global_batch_size: int):
    """(b,) per-example losses of this replica -> their sum / the global batch size (any strategy)."""
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)


def apply_clipped(optimizer, gradients, groups, clip_norm: float):
    """Sums `gradients` over replicas, clips each group's part to the global norm `clip_norm` (0 = off),
    and applies them to the variables of `groups` (a list of variable lists, in the gradients' order).

    Keras clips before its own cross-replica sum, which would clip each replica's partial gradient; so we
    sum here, clip the true gradient, and hand the optimizer 1/N of it per replica (its sum over the N
    replicas is the clipped gradient). Each network of a player is clipped on its own (Phi and Psi).
    """
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas > 1:
        gradients = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
    clipped, start = [], 0
    for group in groups:
        part = gradients[start:start + len(group)]
        start += len(group)
        if clip_norm > 0:
            part, _ = tf.clip_by_global_norm(part, clip_norm)
        clipped.extend(part)
    if replicas > 1:
        clipped = [g / replicas for g in clipped]
    optimizer.apply(clipped, [v for group in groups for v in group])
