"""The history pool of fake skeleton images that D is trained on (pix2pix / CycleGAN style)."""

from __future__ import annotations

import keras
import tensorflow as tf


class ImagePool(keras.layers.Layer):
    """A pool of up to `pool_size` past images, held in non-trainable variables.

    Per image of the batch, in order (as in pix2pix's ``ImagePool.query``): while the pool is not full,
    the image is stored and returned; afterwards, with probability 0.5 a uniformly chosen stored image
    is returned and the new one takes its slot, otherwise the new image is returned. Within one batch
    the order is respected exactly (an image stored by example j can be returned to example i > j), yet
    the whole call is vectorised: one read and one write of the buffer, no control flow, so it runs in a
    compiled `train_step`. Randomness comes from a `keras.random.SeedGenerator(seed)`: a given seed and
    sequence of batches give the same outputs. The returned images carry no gradient.

    Under `tf.distribute.MirroredStrategy` (create the layer inside ``strategy.scope()`` and call it in
    replica context, once per replica per step, with that replica's batch): the variables are mirrored
    with ``aggregation="none"``, and TensorFlow applies an assignment made in replica context to that
    replica's own copy only (as Keras does for BatchNorm statistics). So **each replica keeps its own
    pool of its own fakes**, with no cross-replica communication; all replicas draw the same random
    numbers (same seed state), i.e. the same swap decisions and slots, applied to different images.
    A checkpoint saves (and a restore sets every replica to) the first replica's copy.

    Args:
        pool_size: number of stored images (50 in the reference); 0 turns the pool off (identity).
        seed: int seed of the pool's random choices, or None for a random one.
        **kwargs: forwarded to `keras.layers.Layer`; the dtype defaults to float32.

    Call:
        images: (B, S, S, C) fake skeleton images (S, C static; B may be dynamic).
        Returns (B, S, S, C) images: each one the new image or an older one from the pool.

    Example:
        >>> pool = ImagePool(pool_size=50, seed=0)
        >>> pooled = pool(fake_skeleton_images)  # (B, S, S, 1), feed to D as fakes
    """

    def __init__(self, pool_size: int = 50, seed: int | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if pool_size < 0:
            raise ValueError(f"pool_size must be 0 (no pool) or a positive number of images, got {pool_size}")
        # === Config ===
        self.pool_size = int(pool_size)
        self.seed = seed

        # === State ===
        self.seed_generator = keras.random.SeedGenerator(seed, name="pool_seed")

    def build(self, input_shape):
        if any(size is None for size in input_shape[1:]):
            raise ValueError(f"{type(self).__name__}: expected (B, S, S, C) images with static S and C, "
                             f"got {tuple(input_shape)}")
        self.images = self.add_weight(
            shape=(self.pool_size,) + tuple(input_shape[1:]), initializer="zeros", trainable=False,
            aggregation="none", name="images")                        # (P, S, S, C) stored images
        self.num_stored = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, aggregation="none",
            name="num_stored")                                         # () how many slots are filled

    def call(self, images):
        if self.pool_size == 0:
            return images
        images = tf.stop_gradient(tf.cast(images, self.images.dtype))  # (B, S, S, C)
        batch_size = tf.shape(images)[0]
        index = tf.range(batch_size)                                   # (B,)
        num_stored = tf.convert_to_tensor(self.num_stored)
        coin = tf.random.stateless_uniform([batch_size], seed=self._draw_seed())
        random_slot = tf.random.stateless_uniform([batch_size], seed=self._draw_seed(), minval=0,
                                                  maxval=self.pool_size, dtype=tf.int32)
        filling = num_stored + index < self.pool_size                  # (B,) stored into a free slot
        swapping = tf.logical_and(tf.logical_not(filling), coin < 0.5)  # (B,) returns an old image
        writes = tf.logical_or(filling, swapping)                      # (B,) stores itself
        slot = tf.where(filling, num_stored + index, random_slot)      # (B,) in [0, P)
        same_slot = tf.logical_and(writes[None, :], tf.equal(slot[None, :], slot[:, None]))  # (B, B) [i, j]
        earlier = tf.logical_and(same_slot, index[None, :] < index[:, None])  # j wrote i's slot before i
        later = tf.logical_and(same_slot, index[None, :] > index[:, None])    # j overwrites i's slot later
        # What example i finds in its slot: the last earlier writer's image, else the stored one.
        last_earlier = tf.reduce_max(tf.where(earlier, index[None, :], -1), axis=1)  # (B,) or -1
        stored = tf.gather(tf.convert_to_tensor(self.images), slot)    # (B, S, S, C)
        found = tf.where(self._per_image(last_earlier >= 0), tf.gather(images, tf.maximum(last_earlier, 0)),
                         stored)
        outputs = tf.where(self._per_image(swapping), found, images)   # (B, S, S, C)
        # Each slot keeps its last writer's image.
        final = tf.logical_and(writes, tf.logical_not(tf.reduce_any(later, axis=1)))  # (B,)
        updated = tf.tensor_scatter_nd_update(
            tf.convert_to_tensor(self.images), tf.boolean_mask(slot, final)[:, None],
            tf.boolean_mask(images, final))
        self.images.assign(updated)
        self.num_stored.assign(tf.minimum(num_stored + batch_size, self.pool_size))
        return outputs

    def _draw_seed(self):
        return tf.cast(self.seed_generator.next(), tf.int32)          # (2,) stateless seed

    @staticmethod
    def _per_image(mask):
        return mask[:, None, None, None]                               # (B,) -> (B, 1, 1, 1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "seed": self.seed})
        return config
