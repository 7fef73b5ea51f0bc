"""Distillation: train a compact `StudentDetector` to reproduce a trained detector on unlabelled frames.

    python -m keypoints_tf.distill --config=configs/distill.py --config.teacher=runs/synthetic --workdir=runs/student \\
        [--config.train.steps=4000 --config.image_size=64 --config.student.width=32 --config.train.heatmap_weight=0.0]
    python export/export_tflite.py --workdir=runs/student --quantization=int8 --output=runs/student/model.tflite

Each step draws a batch of the teacher's training frames (no labels), mirrors half of them, runs the teacher
(frozen, at its own image size) and trains the student (at `image_size`: the frames resized, which for
square frames keeps normalised coordinates exact) to match the teacher's keypoints: the squared distance in
normalised units, plus optionally `heatmap_weight` x the cross-entropy between the teacher's and the
student's marginal heatmap distributions (the teacher's heatmaps resized to the student's). The workdir gets
``config.json`` (the config resolved, `resolve_config`: ``"detector": "student"`` and everything the exporter
and `keypoints_tf.load` need), ``checkpoints/`` (resumable; the objects ``student`` and ``optimizer``) and
``metrics.json`` (student and teacher error on the evaluation split, and their mean distance).
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf
import tqdm

from keypoints_tf import atomic, workdirs
from keypoints_tf import metrics as metrics_lib
from keypoints_tf.data.letterbox import to_model_range
from keypoints_tf.export.restore import STUDENT, restore_detector
from keypoints_tf.student import StudentDetector
from keypoints_tf.errors import OutputError
from keypoints_tf.workdirs import checkpoints, safety


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


def resolve_config(config, teacher):
    """A copy of `config` (configs/distill.py) as it runs: the teacher's input size (image_size 0), keypoints,
    skeleton and data filled in. It is the workdir's config.json."""
    if config.detector != STUDENT:
        raise ValueError(f"config.detector must be {STUDENT!r} (configs/distill.py), got {config.detector!r}")
    resolved = config.copy_and_resolve_references()
    with resolved.unlocked():
        resolved.teacher = os.path.abspath(config.teacher)
        resolved.image_size = config.image_size or teacher.image_size
        resolved.teacher_image_size = teacher.image_size
        resolved.student.num_keypoints = teacher.skeleton.num_keypoints
        resolved.skeleton = teacher.skeleton.to_dict()
        resolved.data = teacher.data_config.to_dict()
    if resolved.image_size % 16:
        raise ValueError(f"the student's config.image_size must be a multiple of 16, got {resolved.image_size}")
    return resolved


def distill(config, workdir: str) -> dict:
    """Trains (or resumes) a student in `workdir` from the detector of the workdir `config.teacher`
    (`config`: configs/distill.py); returns its metrics."""
    if not config.teacher:
        raise ValueError("config.teacher: set it to a trained workdir (--config.teacher=runs/synthetic)")
    if atomic.same_path(workdir, config.teacher):
        raise OutputError(f"{workdir}: this is the teacher's workdir (config.teacher); the student needs its own "
                          "--workdir")
    teacher = restore_detector(config.teacher)
    config = resolve_config(config, teacher)
    with safety.guarded(workdir, config):  # one run per workdir, and only the config it was started with
        return _distill(config, teacher, workdir)


def _distill(config, teacher, workdir: str) -> dict:
    from keypoints_tf.data import pipeline
    size, train = config.image_size, config.train
    data = pipeline.load_training_data(teacher.data_config, teacher.image_size)
    frames = data.videos.frames                                                     # (N, S_t, S_t, 3) uint8
    student = StudentDetector(config.student.num_keypoints, width=config.student.width, name="student")
    student(tf.zeros((1, size, size, 3)))
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(train.learning_rate,
                                                                             max(train.steps, 1)))
    optimizer.build(student.trainable_variables)
    state = checkpoints.TrainingState({"student": student, "optimizer": optimizer}, config, workdir)
    start = state.restore_or_initialize()
    workdirs.write_config(workdir, config)

    @tf.function
    def train_step(images):
        target = teacher.network(_to_model_input(images, teacher.image_size), training=False)
        with tf.GradientTape() as tape:
            outputs = student(_to_model_input(images, size), training=True)
            error = tf.reduce_mean(tf.reduce_sum(tf.square(outputs["keypoints"] - target["keypoints"]), -1), -1)
            loss = tf.reduce_mean(error)
            if train.heatmap_weight:
                loss += train.heatmap_weight * tf.reduce_mean(
                    marginal_cross_entropy(target["heatmaps"], outputs["heatmaps"]))
        gradients = tape.gradient(loss, student.trainable_variables)
        optimizer.apply(gradients, student.trainable_variables)
        return loss, tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(outputs["keypoints"] - target["keypoints"]), -1)))

    progress = tqdm.tqdm(total=train.steps, initial=start, desc="distill", dynamic_ncols=True, mininterval=5.0)
    for current in range(start, train.steps):
        rng = np.random.default_rng([config.seed, current])
        images = frames[rng.integers(0, len(frames), train.batch_size)]
        if train.flip:
            mirror = rng.random(train.batch_size) < 0.5  # teacher and student see the same mirrored frame
            images = np.where(mirror[:, None, None, None], images[:, :, ::-1], images)
        loss, distance = train_step(images)
        if (current + 1) % config.log.every_steps == 0:
            progress.set_postfix(loss=f"{float(loss):.4g}", distance=f"{float(distance):.3g}", refresh=False)
        state.maybe_save(current + 1)
        progress.update(1)
    progress.close()
    final = max(start, train.steps)
    state.save(final)
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
    result = distill(flags.FLAGS.config, flags.FLAGS.workdir)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    import logging

    from absl import app, flags
    from ml_collections import config_flags
    config_flags.DEFINE_config_file("config", None, "configs/distill.py (add :smoke to shrink it), with "
                                    "--config.teacher=WORKDIR.", lock_config=True)
    flags.DEFINE_string("workdir", None, "Where the student's config, checkpoints and metrics go (resumable).")
    flags.mark_flags_as_required(["config", "workdir"])
    logging.getLogger().setLevel(logging.INFO)
    from keypoints_tf import cli
    app.run(cli.guarded(main))
