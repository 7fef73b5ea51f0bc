"""Checkpoints of a workdir (<workdir>/checkpoints): restore a set of objects from the newest readable one, save.

What a checkpoint holds is said by its owner: `KeypointGAN.checkpoint_objects()` and
`SupervisedDetector.checkpoint_objects()` for training, ``{"student": ..., "optimizer": ...}`` for distillation,
Phi and eta alone for export (`keypoints_tf.export.restore`). `checkpoint_of` wraps each Keras network in
`NetworkWeights`; `restore` is the one restorer (training, evaluation, export, distillation, `keypoints_tf.load`).

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

import keras
import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf.errors import ModelFileError, TrainingError
from keypoints_tf.workdirs import checkpoint_dir


class NetworkWeights(tf.__internal__.tracking.AutoTrackable):
    """What a checkpoint stores of one Keras network: ``weights`` = ``network.weights``, all, in order.

    `tf.train.Checkpoint` does not see Keras 3 layers held in Python lists (our encoders and decoders),
    so checkpointing a network object directly would drop most of its non-trainable state (BatchNorm
    statistics) and every weight of a network without an optimizer (the frozen reference eta).
    """

    def __init__(self, network):
        self.weights = list(network.weights)


def checkpoint_of(objects: dict) -> tf.train.Checkpoint:
    """A checkpoint of `objects` (name -> Keras network, optimizer or variable), each network as
    `NetworkWeights`. The names are the checkpoint's keys: a saved workdir reads back only under the same ones."""
    return tf.train.Checkpoint(**{name: NetworkWeights(value) if isinstance(value, keras.layers.Layer) else value
                                  for name, value in objects.items()})


def restore(checkpoint: tf.train.Checkpoint, candidates: list, image_size: int) -> str:
    """Restores `checkpoint` (`checkpoint_of`, with the variable ``image_size`` among its objects) from the
    first readable of `candidates` (checkpoint paths, newest first); returns its path.

    A candidate that is truncated or corrupt (what a kill mid-write or a damaged disk leaves) is skipped with
    a warning, and whatever it partly applied is put back. State that older versions did not save
    (`_OPTIONAL_STATE`) keeps its initial value. Raises ModelFileError, one line, when a checkpoint does not
    fit the objects (other shapes: another config), lacks a network's weights, was trained at another
    `image_size` than the config's, or when no candidate could be read.
    """
    variables = [v for v in tf.train.TrackableView(checkpoint).descendants()
                 if isinstance(v, (tf.Variable, keras.Variable))]
    before = [v.numpy() for v in variables]
    errors = []
    for path in candidates:
        try:
            _check_saves_weights(path, checkpoint)
            status = checkpoint.restore(path)
            _assert_matched(status, path)
            status.expect_partial()
        except ModelFileError:
            raise
        except (tf.errors.OpError, ValueError, AssertionError, IndexError) as e:  # IndexError: a truncated file
            message = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            if _is_shape_mismatch(e):
                raise ModelFileError(f"{path}: the checkpoint does not fit the networks built from the config "
                                     f"({message}); use the config it was trained with, or a new --workdir") from None
            for variable, value in zip(variables, before):  # a partly applied restore must not linger
                variable.assign(value)
            errors.append(f"{os.path.basename(path)}: {message}")
            logging.warning("checkpoint %s could not be read (%s); trying an older one", path, message)
            continue
        if int(checkpoint.image_size.numpy()) != image_size:
            raise ModelFileError(f"{path}: trained at image_size={int(checkpoint.image_size.numpy())}, but the config "
                                 f"says {image_size}: the weights would run on another input size unnoticed; use the "
                                 "config it was trained with (config.json's image_size), or a new --workdir")
        return path
    raise ModelFileError(f"{os.path.dirname(candidates[0]) if candidates else 'checkpoints'}: no checkpoint could "
                         f"be read ({'; '.join(errors) or 'there is none'}); move the folder away to start from "
                         "scratch")


def restore_from_workdir(workdir: str, objects: dict, image_size: int) -> str:
    """Restores `objects` (`checkpoint_of`) from the newest readable checkpoint of `workdir`, read-only (a torn
    state file is worked around, not rewritten); returns its path. For export and inference."""
    directory = checkpoint_dir(workdir)
    candidates = checkpoint_paths(directory)
    if not candidates:
        raise ModelFileError(f"{directory}: no checkpoint (train first, or point at the workdir that has one)")
    size = tf.Variable(image_size, dtype=tf.int64, trainable=False, name="image_size")
    return restore(checkpoint_of(dict(objects, image_size=size)), candidates, image_size)


class TrainingState:
    """Owns the checkpoints of one training (or distillation) workdir: resumable at any moment.

    Args:
        objects: what a checkpoint must hold, e.g. `model.checkpoint_objects()`; the step and the image size
            are added here.
        config: the run's config (image_size, and log.keep_checkpoints / checkpoint_every_* for the cadence).
        workdir: checkpoints go to <workdir>/checkpoints.
        chief: under MultiWorkerMirroredStrategy every worker must take part in saving, but only the
            chief writes to the workdir; the others write to a scratch folder that is deleted at once.
    """

    def __init__(self, objects: dict, config, workdir: str, chief: bool = True):
        self.config = config
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.image_size = tf.Variable(config.image_size, dtype=tf.int64, trainable=False, name="image_size")
        self.checkpoint = checkpoint_of(dict(objects, step=self.step, image_size=self.image_size))
        self.directory = checkpoint_dir(workdir)
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
        return self._restore(list(reversed(self.manager.checkpoints))) or 0

    def restore_at_most(self, step: int) -> int | None:
        """Restores the newest readable checkpoint written at or before `step`; its step, or None."""
        return self._restore([p for p in reversed(self.manager.checkpoints) if checkpoint_step(p) <= step])

    def _restore(self, candidates) -> int | None:
        if not candidates:
            return None
        path = restore(self.checkpoint, candidates, self.config.image_size)
        step = int(self.step.numpy())
        if path != candidates[0]:
            logging.warning("resumed from an older checkpoint %s (step %d): newer ones were corrupt or "
                            "too new", path, step)
        else:
            logging.info("resumed from %s at step %d", path, step)
        self._last_saved_step = step
        return step

    def restore_latest_good(self) -> int:
        """Goes back to the newest readable checkpoint (after a non-finite loss); returns its step."""
        step = self.restore_or_initialize()
        if step == 0 and not self.manager.checkpoints:
            raise TrainingError("the loss became non-finite before the first checkpoint was written; lower "
                                "config.train.learning_rate or check the data")
        return step

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


def _assert_matched(status, path: str):
    """Every object of the checkpoint found in the file, except state that older versions did not save."""
    try:
        status.assert_existing_objects_matched()
    except AssertionError as e:
        missing = [name for name in _OPTIONAL_STATE if name in str(e)]
        if not ("unmatched objects" in str(e) and str(e).count("<Variable") == sum(
                str(e).count(name) for name in missing)):
            raise
        logging.warning("%s has no %s (written by an older version): starting from defaults",
                        path, " or ".join(sorted(missing)))


# State that checkpoints of older versions lack; it then starts from its initial value.
_OPTIONAL_STATE = ("seed_generator_state", "learning_rate_scale", "image_size", "num_updates", "fitted_steps")
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


def checkpoint_step(path: str) -> int:
    return int(path.rsplit("-", 1)[-1])


def _check_saves_weights(path: str, checkpoint: tf.train.Checkpoint):
    """ModelFileError unless the file's object graph has ``<name>/weights`` for every network of `checkpoint`."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    names = [name for name, value in tf.train.TrackableView(checkpoint).children(checkpoint).items()
             if isinstance(value, NetworkWeights)]
    reader = tf.train.load_checkpoint(path)  # OpError (DataLossError, NotFoundError) if unreadable
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    root = {child.local_name: child.node_id for child in graph.nodes[0].children}
    for name in names:
        if name not in root:
            raise ModelFileError(f"{path}: the checkpoint has no {name!r} (found {sorted(root)})")
        if "weights" not in {child.local_name for child in graph.nodes[root[name]].children}:
            raise ModelFileError(
                f"{path}: the checkpoint does not hold the weights of {name!r}: it saved the Keras network "
                "object itself, which leaves out the blocks kept in Python lists and their BatchNorm "
                "statistics. Checkpoints must save NetworkWeights(network) under that name "
                "(keypoints_tf.workdirs.checkpoints.checkpoint_of); retrain with this version")


def _is_shape_mismatch(error) -> bool:
    text = str(error).lower()
    return "shape" in text and any(w in text for w in ("mismatch", "incompatible", "does not match"))
