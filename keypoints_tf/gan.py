"""KeypointGAN: the adversarial reconstruction model that trains the detector eta(Phi(x)).

Holds the networks (Phi, eta, Psi, D), the analytic renderer beta and the history pool, and no layers of
its own. `train_step` runs once per replica on that replica's share of the global batch; every loss is
computed per example and divided by the GLOBAL batch size (`tf.nn.compute_average_loss`), so the
gradients that the optimizers sum over replicas are those of one replica holding the whole batch.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keypoints_tf import gradients, losses
from keypoints_tf.models import render_skeleton
from keypoints_tf.models.detector import DetectsWithPhiEta
from keypoints_tf.models.warp import similarity_warp


class KeypointGAN(DetectsWithPhiEta, keras.Model):
    """Unsupervised keypoint learning by adversarial, geometry-bottlenecked reconstruction.

    Args:
        image_to_skeleton: Phi, (B, S, S, 3) image -> (B, S, S, 1) skeleton image.
        keypoint_regressor: eta, skeleton image -> {"keypoints": (B, K, 2), "heatmaps": ...}.
        image_generator: Psi, (skeleton image, appearance frame) -> (B, S, S, 3) image.
        discriminator: D, skeleton image -> list of logit maps.
        image_pool: history pool of fake skeleton images for D.
        edges: the skeleton's edges (index pairs), for the renderer beta.
        image_size: S.
        sigma: the renderer's line width (`keypoints_tf.models.line_sigma`).
        reconstruction_loss: callable (x_rec, x, weights, training) -> (B,).
        adversarial_weight, reconstruction_weight: G's loss weights (10 and 10 in the reference).
        foreground_weight: reconstruction weights are 1 + foreground_weight * foreground (0: plain).
        regressor_prior_weight, regressor_render_weight: eta's fine-tuning loss (0.9 and 0.1).
        adversarial_start_step: G's adversarial term is off before this step (a reconstruction warm-up).
        clip_norm: each network's gradient is clipped to this global norm (after cross-replica summing).
        equivariance_weight: weight of MSE(detect(T x), T detect(x)) for the random similarity transform T
            that the batch carries (`transform`); 0 = off (the reference).
        cycle_weight: weight of MSE(detect(Psi(beta(p_bar), x')), p_bar): the detector must find the prior
            pose that Psi drew (Psi's output without gradient); 0 = off (the reference).
        cycle_start_step: the cycle term is off before this GAN step (Psi must first learn to draw).
        flip_permutation: (K,) the skeleton's left/right permutation, for mirrored equivariance transforms.
        global_batch_size: the batch size the losses are averaged over.
        reference_regressor: a network like eta that `freeze_reference_regressor` sets to eta's pre-trained
            weights (the frozen eta of the left/right fix, method.md 6); None: no fix.

    Example:
        >>> gan = KeypointGAN(phi, eta, psi, d, ImagePool(50), skeleton.edges, 64, line_sigma(64),
        ...                   reconstruction_loss, global_batch_size=16)
        >>> gan.compile(generator_optimizer=adam(), discriminator_optimizer=adam(), regressor_optimizer=adam())
        >>> gan.build_all(image_size=64, num_keypoints=17)   # before fit / a distributed loop
        >>> metrics = gan.train_step(batch)
    """

    def __init__(self, image_to_skeleton, keypoint_regressor, image_generator, discriminator, image_pool,
                 edges, image_size, sigma, reconstruction_loss, global_batch_size, adversarial_weight=10.0,
                 reconstruction_weight=10.0, foreground_weight=0.0, regressor_prior_weight=0.9,
                 regressor_render_weight=0.1, adversarial_start_step=0, clip_norm=1.0,
                 equivariance_weight=0.0, cycle_weight=0.0, cycle_start_step=0, flip_permutation=None,
                 reference_regressor=None, **kwargs):
        super().__init__(**kwargs)
        # === Networks ===
        self.image_to_skeleton = image_to_skeleton
        self.keypoint_regressor = keypoint_regressor
        self.image_generator = image_generator
        self.discriminator = discriminator
        self.image_pool = image_pool
        self.reconstruction_loss = reconstruction_loss
        self.reference_regressor = reference_regressor
        # === Config ===
        self.edges = tuple(tuple(e) for e in edges)
        self.image_size = int(image_size)
        self.sigma = float(sigma)
        self.global_batch_size = int(global_batch_size)
        self.adversarial_weight = float(adversarial_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.foreground_weight = float(foreground_weight)
        self.regressor_prior_weight = float(regressor_prior_weight)
        self.regressor_render_weight = float(regressor_render_weight)
        self.adversarial_start_step = int(adversarial_start_step)
        self.clip_norm = float(clip_norm)
        self.equivariance_weight = float(equivariance_weight)
        self.cycle_weight = float(cycle_weight)
        self.cycle_start_step = int(cycle_start_step)
        self.flip_permutation = tuple(int(i) for i in flip_permutation) if flip_permutation is not None else None
        # === Metrics ===
        names = ["generator_loss", "reconstruction_loss", "adversarial_loss", "discriminator_loss",
                 "discriminator_real", "discriminator_fake", "regressor_loss", "regressor_prior_error",
                 "keypoint_spread", "prior_spread", "equivariance_loss", "cycle_loss"]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    # === Set-up ===
    def compile(self, generator_optimizer, discriminator_optimizer, regressor_optimizer,
                regressor_pretrain_optimizer=None, **kwargs):
        """Three optimizers for the three players; eta's pre-training may have its own (default: eta's)."""
        super().compile(**kwargs)
        self.regressor_pretrain_optimizer = regressor_pretrain_optimizer or regressor_optimizer
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.regressor_optimizer = regressor_optimizer

    def build_all(self, image_size: int, num_keypoints: int):
        """Creates every variable, optimizer slots included (needed before a distributed first step)."""
        images = tf.zeros((1, image_size, image_size, 3))
        skeletons = self.image_to_skeleton(images)
        self.keypoint_regressor(skeletons)
        self.image_generator(skeletons, images)
        self.discriminator(skeletons)
        self.image_pool(skeletons)
        if self.reference_regressor is not None:
            self.reference_regressor(skeletons)
        if hasattr(self.reconstruction_loss, "build_for"):
            self.reconstruction_loss.build_for(images)
        self.generator_optimizer.build(self.generator_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        self.regressor_optimizer.build(self.keypoint_regressor.trainable_variables)
        if self.regressor_pretrain_optimizer is not self.regressor_optimizer:
            self.regressor_pretrain_optimizer.build(self.keypoint_regressor.trainable_variables)
        self.built = True

    # === State ===
    def checkpoint_objects(self) -> dict:
        """What a checkpoint must hold to resume exactly (`keypoints_tf.workdirs.checkpoints`): every network,
        the frozen reference eta, the image pool and its random state, the four optimizers, the learning-rate
        scale, the steps a time budget fitted and the reconstruction loss's state (its running means and their
        update count)."""
        objects = {"image_to_skeleton": self.image_to_skeleton, "keypoint_regressor": self.keypoint_regressor,
                   "image_generator": self.image_generator, "discriminator": self.discriminator,
                   "image_pool": self.image_pool,
                   "pool_seed": self.image_pool.seed_generator.state,  # not among the pool's .weights
                   "learning_rate_scale": self.learning_rate_scale, "fitted_steps": self.fitted_steps,
                   "generator_optimizer": self.generator_optimizer,
                   "discriminator_optimizer": self.discriminator_optimizer,
                   "regressor_optimizer": self.regressor_optimizer,
                   "regressor_pretrain_optimizer": self.regressor_pretrain_optimizer,
                   **self.reconstruction_loss.checkpoint_objects()}
        if self.reference_regressor is not None:
            objects["reference_regressor"] = self.reference_regressor
        return objects

    def freeze_reference_regressor(self):
        """Copies eta's pre-trained weights into the reference eta (at the end of eta's pre-training)."""
        if self.reference_regressor is not None:
            self.reference_regressor.set_weights(self.keypoint_regressor.get_weights())

    @property
    def generator_variables(self):
        return self.image_to_skeleton.trainable_variables + self.image_generator.trainable_variables

    @property
    def metrics(self):
        return list(self.trackers.values())

    # === Forward passes (detect and call: `DetectsWithPhiEta`) ===
    def render(self, keypoints):
        """beta: (B, K, 2) normalised keypoints -> (B, S, S, 1) skeleton image in [-1, 1]."""
        return render_skeleton(keypoints, self.edges, self.image_size, self.sigma)

    # === Training ===
    def train_step(self, data):
        """One iteration on this replica's share of the global batch (runs once per replica).

        1. G (Phi, Psi): `generator_losses`. 2. D: `discriminator_losses` on the skeletons G drew.
        3. eta: `regressor_losses`. Each player's per-example losses are averaged over the global batch.
        """
        with tf.GradientTape() as tape:
            generator, skeletons = self.generator_losses(data)
            loss = self._average(generator["generator_loss"])
        self._apply(self.generator_optimizer, tape.gradient(loss, self.generator_variables),
                    [self.image_to_skeleton.trainable_variables, self.image_generator.trainable_variables])
        skeletons = tf.stop_gradient(skeletons)
        real = self.render(data["prior_keypoints"])  # beta(p_bar): D's real examples and eta's inputs, drawn once
        with tf.GradientTape() as tape:
            discriminator = self.discriminator_losses(real, skeletons)
            loss = self._average(discriminator["discriminator_loss"])
        self._apply(self.discriminator_optimizer, tape.gradient(loss, self.discriminator.trainable_variables),
                    [self.discriminator.trainable_variables])
        with tf.GradientTape() as tape:
            regressor = self.regressor_losses(data["prior_keypoints"], real, skeletons)
            loss = self._average(regressor["regressor_loss"])
        self._apply(self.regressor_optimizer, tape.gradient(loss, self.keypoint_regressor.trainable_variables),
                    [self.keypoint_regressor.trainable_variables])
        self._track(**generator, **discriminator, **regressor)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def generator_losses(self, data):
        """G's per-example terms and the skeletons y = Phi(x) it drew (D's fakes, eta's targets).

        Reconstruct x from x' through y = Phi(x), p = eta(y), y_hat = beta(p), x_rec = Psi(y_hat, x'), plus
        the adversarial term on y (D and eta are not updated by G) and the optional equivariance and cycle
        terms. Returns ({name: (b,)}, y): generator_loss (the weighted sum), its terms, and the collapse
        monitor's keypoint_spread and prior_spread.
        """
        images, appearance = data["image"], data["appearance"]                # (b, S, S, 3) in [-1, 1]
        prior_keypoints = data["prior_keypoints"]                              # (b, K, 2)
        weights = 1.0 + self.foreground_weight * data["foreground"]           # (b, S, S, 1)
        iterations = self.generator_optimizer.iterations
        adversarial_on = tf.cast(iterations >= self.adversarial_start_step, tf.float32)
        cycle_on = tf.cast(iterations >= self.cycle_start_step, tf.float32)
        batch = tf.shape(images)[0]
        skeletons = self.image_to_skeleton(images, training=True)               # y (b, S, S, 1)
        keypoints = self.keypoint_regressor(skeletons)["keypoints"]            # p (b, K, 2)
        rendered = self.render(keypoints)                                      # y_hat (b, S, S, 1)
        if self.cycle_weight:  # one Psi call draws x_rec and the prior poses in x's appearance
            drawn = self.image_generator(tf.concat([rendered, self.render(prior_keypoints)], 0),
                                         tf.concat([appearance, appearance], 0), training=True)
            reconstructed = drawn[:batch]
        else:
            reconstructed = self.image_generator(rendered, appearance, training=True)
        reconstruction = self.reconstruction_loss(reconstructed, data.get("target", images), weights,
                                                  training=True)                                  # (b,)
        adversarial = losses.least_squares_real(self.discriminator(skeletons))               # (b,)
        total = self.reconstruction_weight * reconstruction + adversarial_on * self.adversarial_weight * adversarial
        equivariance = cycle = tf.zeros([batch])
        if self.equivariance_weight:
            equivariance = self.equivariance_error(images, keypoints, data["transform"])
            total += self.equivariance_weight * equivariance
        if self.cycle_weight:
            cycle = losses.keypoint_mse(self.detect(tf.stop_gradient(drawn[batch:]), training=True), prior_keypoints)
            total += cycle_on * self.cycle_weight * cycle
        return {"generator_loss": total, "reconstruction_loss": reconstruction, "adversarial_loss": adversarial,
                "equivariance_loss": equivariance, "cycle_loss": cycle, "keypoint_spread": keypoint_spread(keypoints),
                "prior_spread": keypoint_spread(prior_keypoints)}, skeletons

    def discriminator_losses(self, real, skeletons):
        """D's per-example LSGAN terms: real skeletons beta(p_bar) of prior poses vs pooled fakes y."""
        fake = tf.cast(self.image_pool(skeletons), real.dtype)
        batch = tf.shape(real)[0]
        # One call on both halves: D's norms are per example, so the values are those of two calls, in
        # bigger (faster) ops.
        logits = self.discriminator(tf.concat([real, fake], 0), training=True)
        real_term = losses.least_squares_real([scale[:batch] for scale in logits])
        fake_term = losses.least_squares_fake([scale[batch:] for scale in logits])
        return {"discriminator_loss": 0.5 * (real_term + fake_term), "discriminator_real": real_term,
                "discriminator_fake": fake_term}

    def regressor_losses(self, prior_keypoints, real, skeletons):
        """eta's per-example loss: 0.9 * regression of the rendered prior poses `real` = beta(p_bar) + 0.1 *
        re-rendering of y."""
        batch = tf.shape(real)[0]
        if self.keypoint_regressor.norm == "batch":  # batch statistics: each half on its own
            predicted = [self.keypoint_regressor(x, training=True)["keypoints"] for x in (real, skeletons)]
        else:  # per-example norms: one call on both halves, the same values in bigger ops
            both = self.keypoint_regressor(tf.concat([real, tf.cast(skeletons, real.dtype)], 0), training=True)
            predicted = [both["keypoints"][:batch], both["keypoints"][batch:]]
        prior_error = losses.keypoint_mse(predicted[0], prior_keypoints)
        rerendered = self.render(predicted[1])
        render_error = losses.image_mse(rerendered, skeletons)                # (b,)
        return {"regressor_loss": self.regressor_prior_weight * prior_error
                + self.regressor_render_weight * render_error, "regressor_prior_error": prior_error}

    def regressor_pretrain_step(self, data):
        """eta pre-training on rendered prior poses only (runs once per replica): MSE(eta(beta(p)), p)."""
        prior_keypoints = data["prior_keypoints"]
        with tf.GradientTape() as tape:
            error = losses.keypoint_mse(
                self.keypoint_regressor(self.render(prior_keypoints), training=True)["keypoints"],
                prior_keypoints)
            loss = self._average(error)
        self._apply(self.regressor_pretrain_optimizer,
                    tape.gradient(loss, self.keypoint_regressor.trainable_variables),
                    [self.keypoint_regressor.trainable_variables])
        self._track(regressor_prior_error=error)
        return {"regressor_prior_error": self.trackers["regressor_prior_error"].result()}

    def equivariance_error(self, images, keypoints, transforms):
        """(b,) MSE between detect(T x) and T p for the batch's similarity transforms (`similarity_warp`)."""
        warped, moved = similarity_warp(images, keypoints, transforms, self.flip_permutation)
        return losses.keypoint_mse(self.detect(warped, training=True), moved)

    # === Helpers ===
    def _average(self, per_example):
        return gradients.average_loss(per_example, self.global_batch_size)

    def _apply(self, optimizer, grads, groups):
        gradients.apply_clipped(optimizer, grads, groups, self.clip_norm)

    def _track(self, **values):
        for name, value in values.items():
            self.trackers[name].update_state(value)


def keypoint_spread(keypoints):
    """(B, K, 2) -> (B,) the standard deviation across the batch of each keypoint, averaged over K and xy.

    The collapse monitor: near 0 when Phi draws one skeleton for every image, about the prior's
    spread when keypoints follow the images. Each example gets the batch's value.
    """
    spread = tf.reduce_mean(tf.math.reduce_std(tf.cast(keypoints, tf.float32), axis=0))
    return tf.fill([tf.shape(keypoints)[0]], spread)
