"""Training state on disk: networks, optimizers, step, the frozen pre-trained eta, resumable at any moment.

`tf.train.CheckpointManager` writes the checkpoint files first and updates its state file
(``checkpoints/checkpoint``) last, so a run killed mid-write still has the previous checkpoint. On restore,
a latest checkpoint that is truncated or corrupt is skipped, with a warning, for the newest one that reads;
a state file that is missing or torn is rebuilt from the complete checkpoints on disk (`checkpoint_paths`).
A checkpoint records the image size it was trained at: the weights of a fully convolutional network load at
any size, so nothing else would notice a changed config.image_size.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import tempfile
import time

import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf.build import build_detector_networks
from keypoints_tf.errors import ModelFileError, TrainingError


class NetworkWeights(tf.__internal__.tracking.AutoTrackable):
    """What a checkpoint stores of one Keras network: ``weights`` = ``network.weights``, all, in order.

    `tf.train.Checkpoint` does not see Keras 3 layers held in Python lists (our encoders and decoders),
    so checkpointing a network object directly would drop most of its non-trainable state (BatchNorm
    statistics) and every weight of a network without an optimizer (the frozen reference eta).
    """

    def __init__(self, network):
        self.weights = list(network.weights)


class TrainingState:
    """Owns the checkpoint of one workdir.

    Args:
        model: KeypointGAN or SupervisedDetector, built (variables and optimizer slots exist).
        config: the run's config (for the reference regressor's shape and the save cadence).
        workdir: checkpoints go to <workdir>/checkpoints.
        chief: under MultiWorkerMirroredStrategy every worker must take part in saving, but only the
            chief writes to the workdir; the others write to a scratch folder that is deleted at once.
    """

    def __init__(self, model, config, workdir: str, chief: bool = True):
        self.model, self.config = model, config
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        objects = {"step": self.step, "image_to_skeleton": NetworkWeights(model.image_to_skeleton),
                   "keypoint_regressor": NetworkWeights(model.keypoint_regressor),
                   "learning_rate_scale": model.learning_rate_scale}
        self.image_size = tf.Variable(config.image_size, dtype=tf.int64, trainable=False, name="image_size")
        objects["image_size"] = self.image_size
        self.reference_regressor = None
        if hasattr(model, "image_generator"):  # KeypointGAN
            _, self.reference_regressor = build_detector_networks(config, model.keypoint_regressor.num_keypoints)
            self.reference_regressor(tf.zeros((1, config.image_size, config.image_size, 1)))
            objects.update(image_generator=NetworkWeights(model.image_generator),
                           discriminator=NetworkWeights(model.discriminator),
                           image_pool=NetworkWeights(model.image_pool),
                           pool_seed=model.image_pool.seed_generator.state,  # not among .weights
                           reference_regressor=NetworkWeights(self.reference_regressor),
                           generator_optimizer=model.generator_optimizer,
                           discriminator_optimizer=model.discriminator_optimizer,
                           regressor_optimizer=model.regressor_optimizer,
                           regressor_pretrain_optimizer=model.regressor_pretrain_optimizer)
            loss_state = getattr(model.reconstruction_loss, "perceptual", None)
            if loss_state is not None:
                objects["perceptual_running_means"] = loss_state.running_means
        else:
            objects["optimizer"] = model.optimizer
        self.checkpoint = tf.train.Checkpoint(**objects)
        self.directory = os.path.join(workdir, "checkpoints")
        self.chief = chief
        if chief:
            recover_state_file(self.directory)
        self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory,
                                                  max_to_keep=config.log.keep_checkpoints)
        self._write_manager = self.manager
        if not chief:
            self._scratch = tempfile.mkdtemp(prefix="keypoints_tf_worker_checkpoint_")
            self._write_manager = tf.train.CheckpointManager(self.checkpoint, self._scratch, max_to_keep=1)
        self._last_save_time = time.time()
        self._last_saved_step = -1

    def restore_or_initialize(self) -> int:
        """Restores the newest readable checkpoint; returns the step to continue from (0 when none)."""
        for scratch in glob.glob(os.path.join(self.directory, "ckpt-*_temp")):  # left by a kill mid-write
            shutil.rmtree(scratch, ignore_errors=True)
        candidates = list(reversed(self.manager.checkpoints))
        step = self._restore_first_readable(candidates)
        if step is None and candidates:
            raise ModelFileError(f"{self.directory}: none of the checkpoints {candidates} could be read; "
                                 "move the folder away to start from scratch")
        return step or 0

    def restore_at_most(self, step: int) -> int | None:
        """Restores the newest readable checkpoint written at or before `step`; its step, or None."""
        candidates = [p for p in reversed(self.manager.checkpoints) if _checkpoint_step(p) <= step]
        return self._restore_first_readable(candidates)

    def _restore_first_readable(self, candidates) -> int | None:
        for i, path in enumerate(candidates):
            try:
                status = self.checkpoint.restore(path)
                try:
                    status.assert_existing_objects_matched()
                except AssertionError as e:
                    missing = [name for name in _OPTIONAL_STATE if name in str(e)]
                    if "unmatched objects" in str(e) and str(e).count("<Variable") == sum(
                            str(e).count(name) for name in missing):
                        logging.warning("%s has no %s (written by an older version): starting from defaults",
                                        path, " or ".join(sorted(missing)))
                    else:
                        raise
                status.expect_partial()
            except (tf.errors.OpError, ValueError, AssertionError, IndexError) as e:
                if _is_shape_mismatch(e):
                    raise ModelFileError(
                        f"{path}: this checkpoint does not fit the model built from the config "
                        f"({e.__class__.__name__}: {str(e).splitlines()[0][:300]}). Use the config it was "
                        "trained with, or a new --workdir.") from None
                logging.warning("checkpoint %s could not be read (%s); trying an older one", path,
                                str(e).splitlines()[0][:200])
                continue
            if int(self.image_size.numpy()) != self.config.image_size:
                raise ModelFileError(f"{path}: trained at image_size={int(self.image_size.numpy())}, the config "
                                     f"says {self.config.image_size}; use the config it was trained with, or a new "
                                     "--workdir")
            step = int(self.step.numpy())
            if i:
                logging.warning("resumed from an older checkpoint %s (step %d): newer ones were corrupt or "
                                "too new", path, step)
            else:
                logging.info("resumed from %s at step %d", path, step)
            self._last_saved_step = step
            return step
        return None

    def restore_latest_good(self) -> int:
        """Goes back to the newest readable checkpoint (after a non-finite loss); returns its step."""
        step = self.restore_or_initialize()
        if step == 0 and not self.manager.checkpoints:
            raise TrainingError("the loss became non-finite before the first checkpoint was written; lower "
                                "config.train.learning_rate or check the data")
        return step

    def freeze_reference_regressor(self):
        """Copies eta's pre-trained weights: the frozen eta used by the left/right fix (method.md 6)."""
        if self.reference_regressor is not None:
            self.reference_regressor.set_weights(self.model.keypoint_regressor.get_weights())

    def maybe_save(self, step: int):
        every_steps = self.config.log.checkpoint_every_steps
        every_seconds = 60.0 * self.config.log.checkpoint_every_minutes
        if (every_steps and step % every_steps == 0) or (
                every_seconds and time.time() - self._last_save_time > every_seconds):
            self.save(step)

    def save(self, step: int):
        if step == self._last_saved_step:
            return
        self.step.assign(step)
        try:
            self._write_manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as e:  # e.g. a full disk (ResourceExhaustedError)
            raise TrainingError(f"{self.directory}: could not write the checkpoint of step {step} "
                                f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); free some disk space, then "
                                "rerun the same command: it resumes from the last checkpoint") from None
        if not self.chief:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self._last_save_time, self._last_saved_step = time.time(), step


# State that checkpoints of older versions lack; it then starts from its initial value.
_OPTIONAL_STATE = ("seed_generator_state", "learning_rate_scale", "image_size")
STATE_FILE = "checkpoint"
_INDEX_FILE = re.compile(r"^ckpt-(\d+)\.index$")


def checkpoint_paths(directory: str) -> list:
    """Checkpoint prefixes, newest first: those the state file lists or, when it is missing or torn, every
    complete one on disk (its .index is written after its data)."""
    state = _read_state(directory)
    if state is not None:  # its paths may already include a relative workdir: the files are in `directory`
        return [os.path.join(directory, os.path.basename(p)) for p in reversed(state.all_model_checkpoint_paths)]
    return list(reversed(checkpoints_on_disk(directory)))


def checkpoints_on_disk(directory: str) -> list:
    """Prefixes of the complete checkpoints in `directory`, oldest first."""
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    steps = sorted(int(m.group(1)) for m in map(_INDEX_FILE.match, names) if m)
    return [os.path.join(directory, f"ckpt-{step}") for step in steps]


def recover_state_file(directory: str) -> bool:
    """Rewrites a missing or torn state file from the checkpoints on disk; True when it did.

    Without it TensorFlow finds no checkpoint (or raises on an empty file) and training restarts from step 0.
    """
    found = checkpoints_on_disk(directory)
    if not found or _read_state(directory) is not None:
        return False
    names = [os.path.basename(p) for p in found]
    times = [os.path.getmtime(p + ".index") for p in found]  # the manager deletes what is older than max_to_keep
    atomic.write_text(os.path.join(directory, STATE_FILE), "".join(
        [f'model_checkpoint_path: "{names[-1]}"\n'] + [f'all_model_checkpoint_paths: "{n}"\n' for n in names]
        + [f"all_model_checkpoint_timestamps: {t!r}\n" for t in times]
        + [f"last_preserved_timestamp: {min(times) - 1.0!r}\n"]))
    logging.warning("%s: the checkpoint state file was missing or torn; rebuilt it from the %d checkpoints on "
                    "disk (newest %s)", directory, len(names), names[-1])
    return True


def _read_state(directory: str):
    """The parsed state file, or None when it is missing, empty, torn or names no checkpoint of its list."""
    if not os.path.isfile(os.path.join(directory, STATE_FILE)):
        return None
    try:
        state = tf.train.get_checkpoint_state(directory)
    except (ValueError, tf.errors.OpError):  # an empty file: "Invalid checkpoint state"
        return None
    if state is None or not state.model_checkpoint_path or not state.all_model_checkpoint_paths:
        return None
    if state.model_checkpoint_path != state.all_model_checkpoint_paths[-1]:
        return None
    return state


def _checkpoint_step(path: str) -> int:
    return int(path.rsplit("-", 1)[-1])


def _is_shape_mismatch(error) -> bool:
    text = str(error)
    return "shape" in text.lower() and ("mismatch" in text.lower() or "incompatible" in text.lower()
                                        or "does not match" in text.lower())
