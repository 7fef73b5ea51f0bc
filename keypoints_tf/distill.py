"""Distillation: train a compact `StudentDetector` to reproduce a trained detector on unlabelled frames.

    python -m keypoints_tf.distill --teacher=runs/synthetic --workdir=runs/student \\
        [--steps=4000 --input_size=64 --width=32 --batch_size=32 --learning_rate=2e-3 --heatmap_weight=0.0]
    python export/export_tflite.py --workdir=runs/student --quantization=int8 --output=runs/student/model.tflite

Each step draws a batch of the teacher's training frames (no labels), mirrors half of them, runs the teacher
(frozen, at its own image size) and trains the student (at `input_size`: the frames resized, which for
square frames keeps normalised coordinates exact) to match the teacher's keypoints: the squared distance in
normalised units, plus optionally `heatmap_weight` x the cross-entropy between the teacher's and the
student's marginal heatmap distributions (the teacher's heatmaps resized to the student's). The workdir gets
``config.json`` with ``"detector": "student"`` (everything the exporter and `keypoints_tf.load` need),
``checkpoints/`` (resumable; the object ``student``) and ``metrics.json`` (student and teacher error on the
evaluation split, and their mean distance).
"""

from __future__ import annotations

import dataclasses
import logging
import os

import keras
import numpy as np
import tensorflow as tf
import tqdm

from keypoints_tf import atomic
from keypoints_tf import metrics as metrics_lib
from keypoints_tf.errors import ModelFileError
from keypoints_tf.checkpoints import NetworkWeights
from keypoints_tf.data.letterbox import to_model_range
from keypoints_tf.export.restore import STUDENT, restore_detector
from keypoints_tf.student import StudentDetector


@dataclasses.dataclass
class DistillConfig:
    """Distillation settings (0 input_size = the teacher's image size)."""

    steps: int = 4000
    input_size: int = 0
    width: int = 32  # at 16: 2x faster to train, but +11.4% error over the teacher (int8) vs +5.8% at 32
    batch_size: int = 32
    learning_rate: float = 2e-3
    heatmap_weight: float = 0.0
    flip: bool = True
    seed: int = 0
    checkpoint_every_steps: int = 500
    log_every_steps: int = 100


def marginal_cross_entropy(teacher_heatmaps, student_heatmaps):
    """(B,) cross-entropy of the student's row and column distributions against the teacher's (resized)."""
    size = student_heatmaps.shape[1:3]
    teacher_heatmaps = tf.image.resize(teacher_heatmaps, size, method="bilinear")
    total = 0.0
    for axis in (1, 2):  # average over rows -> distribution over columns, and the other way round
        target = tf.nn.softmax(tf.reduce_mean(teacher_heatmaps, axis=axis), axis=1)        # (B, n, K)
        log_predicted = tf.nn.log_softmax(tf.reduce_mean(student_heatmaps, axis=axis), axis=1)
        total += -tf.reduce_mean(tf.reduce_sum(target * log_predicted, axis=1), axis=-1)  # (B,)
    return total


def _to_model_input(images, size):
    """(B, S, S, 3) uint8 -> (B, size, size, 3) float32 in [-1, 1]."""
    images = to_model_range(images)
    if images.shape[1] != size:
        images = tf.image.resize(images, (size, size), method="bilinear", antialias=True)
    return images


def distill(teacher_workdir: str, workdir: str, config: DistillConfig = DistillConfig()) -> dict:
    """Trains (or resumes) a student in `workdir` from the detector of `teacher_workdir`; returns metrics."""
    from keypoints_tf.data import pipeline
    teacher = restore_detector(teacher_workdir)
    size = config.input_size or teacher.image_size
    if size % 16:
        raise ValueError(f"the student's input_size must be a multiple of 16, got {size}")
    data = pipeline.load_training_data(teacher.data_config, teacher.image_size)
    frames = data.videos.frames                                                     # (N, S_t, S_t, 3) uint8
    student = StudentDetector(teacher.skeleton.num_keypoints, width=config.width, name="student")
    student(tf.zeros((1, size, size, 3)))
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, max(config.steps, 1))
    optimizer = keras.optimizers.Adam(schedule)
    optimizer.build(student.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    checkpoint = tf.train.Checkpoint(student=NetworkWeights(student), optimizer=optimizer, step=step,
                                     image_size=tf.Variable(size, dtype=tf.int64, trainable=False))
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=2)
    if manager.latest_checkpoint:
        try:
            checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, AssertionError) as e:
            raise ModelFileError(f"{manager.latest_checkpoint}: cannot resume this student with these settings "
                                 f"({str(e).splitlines()[0][:200]}); use the same --width and --input_size "
                                 "or a new --workdir") from None
        logging.info("resumed the student from %s at step %d", manager.latest_checkpoint, int(step))
    atomic.write_json(os.path.join(workdir, "config.json"), {
        "detector": STUDENT, "image_size": size,
        "student": {"num_keypoints": student.num_keypoints, "width": student.width},
        "skeleton": teacher.skeleton.to_dict(), "teacher": os.path.abspath(teacher_workdir),
        "teacher_image_size": teacher.image_size, "data": teacher.data_config.to_dict(),
        "distill": dataclasses.asdict(config)}, indent=2)

    @tf.function
    def train_step(images):
        target = teacher.network(_to_model_input(images, teacher.image_size), training=False)
        with tf.GradientTape() as tape:
            outputs = student(_to_model_input(images, size), training=True)
            error = tf.reduce_mean(tf.reduce_sum(tf.square(outputs["keypoints"] - target["keypoints"]), -1), -1)
            loss = tf.reduce_mean(error)
            if config.heatmap_weight:
                loss += config.heatmap_weight * tf.reduce_mean(
                    marginal_cross_entropy(target["heatmaps"], outputs["heatmaps"]))
        gradients = tape.gradient(loss, student.trainable_variables)
        optimizer.apply(gradients, student.trainable_variables)
        return loss, tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(outputs["keypoints"] - target["keypoints"]), -1)))

    start = int(step.numpy())
    progress = tqdm.tqdm(total=config.steps, initial=start, desc="distill", dynamic_ncols=True, mininterval=5.0)
    for current in range(start, config.steps):
        rng = np.random.default_rng([config.seed, current])
        images = frames[rng.integers(0, len(frames), config.batch_size)]
        if config.flip:
            mirror = rng.random(config.batch_size) < 0.5  # teacher and student see the same mirrored frame
            images = np.where(mirror[:, None, None, None], images[:, :, ::-1], images)
        loss, distance = train_step(images)
        step.assign(current + 1)
        if (current + 1) % config.log_every_steps == 0:
            progress.set_postfix(loss=f"{float(loss):.4g}", distance=f"{float(distance):.3g}", refresh=False)
        if (current + 1) % config.checkpoint_every_steps == 0:
            manager.save(checkpoint_number=current + 1)
        progress.update(1)
    progress.close()
    final = int(step.numpy())
    if not (manager.latest_checkpoint or "").endswith(f"ckpt-{final}"):
        manager.save(checkpoint_number=final)
    result = evaluate_student(student, teacher, data, size)
    result["step"] = final
    atomic.write_json(os.path.join(workdir, "metrics.json"), result, indent=2)
    return result


def evaluate_student(student, teacher, data, size: int, batch_size: int = 64) -> dict:
    """Errors (% of image size) of student and teacher on the evaluation split, and their mean distance."""
    if data.eval_images is None:
        return {}
    predictions = {"student": [], "teacher": []}
    for i in range(0, len(data.eval_images), batch_size):
        images = data.eval_images[i:i + batch_size]
        predictions["teacher"].append(teacher.network(_to_model_input(images, teacher.image_size))["keypoints"])
        predictions["student"].append(student(_to_model_input(images, size), training=False)["keypoints"])
    student_keypoints = np.concatenate(predictions["student"])
    teacher_keypoints = np.concatenate(predictions["teacher"])
    skeleton, target, visible = data.skeleton, data.eval_keypoints, data.eval_visible
    return {"student_error": metrics_lib.keypoint_metrics(student_keypoints, target, skeleton, visible)["error"],
            "teacher_error": metrics_lib.keypoint_metrics(teacher_keypoints, target, skeleton, visible)["error"],
            "student_teacher_distance": 100.0 * float(metrics_lib.distances(student_keypoints,
                                                                             teacher_keypoints).mean())}


def main(argv):
    del argv
    from absl import flags
    f = flags.FLAGS
    config = DistillConfig(steps=f.steps, input_size=f.input_size, width=f.width, batch_size=f.batch_size,
                           learning_rate=f.learning_rate, heatmap_weight=f.heatmap_weight, seed=f.seed)
    result = distill(f.teacher, f.workdir, config)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    from absl import app, flags
    defaults = DistillConfig()
    flags.DEFINE_string("teacher", None, "A trained workdir (python -m keypoints_tf.train).")
    flags.DEFINE_string("workdir", None, "Where the student's config, checkpoints and metrics go (resumable).")
    flags.DEFINE_integer("steps", defaults.steps, "Training steps.")
    flags.DEFINE_integer("input_size", defaults.input_size, "Student input size, a multiple of 16 (0 = teacher's).")
    flags.DEFINE_integer("width", defaults.width, "Student width (channels of its first stage).")
    flags.DEFINE_integer("batch_size", defaults.batch_size, "Frames per step.")
    flags.DEFINE_float("learning_rate", defaults.learning_rate, "Adam learning rate (cosine decay to 0).")
    flags.DEFINE_float("heatmap_weight", defaults.heatmap_weight, "Weight of the marginal heatmap cross-entropy.")
    flags.DEFINE_integer("seed", defaults.seed, "Seed of the frame sampling.")
    flags.mark_flags_as_required(["teacher", "workdir"])
    logging.getLogger().setLevel(logging.INFO)
    from keypoints_tf import cli
    app.run(cli.guarded(main))
