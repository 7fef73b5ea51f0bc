"""Evaluation: `python -m keypoints_tf.evaluate --workdir=DIR [--regression] [--config.data.eval=FILE]`.

Prints and writes `<workdir>/eval.json` (or --output): error in % of the image size with and without
the left/right fix (method.md section 6), PCK@0.05/0.1, per-keypoint errors, NME for face68, and the
mean-pose baseline (the mean of the prior's poses) on the same images; where the data has evaluation
groups (the TFDS benchmarks: activities, 300-W subsets), errors per group and their mean (`group_metrics`);
where its images carry their person's ``approach_rate`` (crops of tracked video), `travel_sides_error` etc.: the
detections with left and right from the direction of travel (`keypoints_tf.sides`).
With --regression it adds the protocol of methods whose keypoints need a supervised mapping
(`regression_metrics`): `regression_error` etc., from a ridge regression fitted on labelled training
frames, in the same JSON.
"""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf import metrics as metrics_lib
from keypoints_tf import sides
from keypoints_tf.data.letterbox import to_model_range
from keypoints_tf.models import render_skeleton


class Evaluator:
    """Runs the detector over the evaluation split held by a TrainingData.

    Args:
        model: anything with `detect(images) -> (B, K, 2)` (KeypointGAN, SupervisedDetector).
        data: TrainingData with eval_images / eval_keypoints (nothing is computed without them).
        config: for the batch size, image size and renderer width.
        reference_regressor: the frozen pre-trained eta for the left/right fix, or None.
    """

    def __init__(self, model, data, config, reference_regressor=None):
        self.model, self.data, self.config = model, data, config
        self.reference_regressor = reference_regressor
        self._detect = tf.function(lambda images: model.detect(images, training=False))
        from keypoints_tf.build import renderer_sigma
        sigma, size, edges = renderer_sigma(config), config.image_size, data.skeleton.edges
        if reference_regressor is not None:
            self._relabel = tf.function(lambda keypoints: reference_regressor(
                render_skeleton(keypoints, edges, size, sigma))["keypoints"])

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 -> (N, K, 2) normalised keypoints."""
        batch = self.config.log.eval_batch_size
        outputs = []
        for start in range(0, len(images), batch):
            chunk = to_model_range(images[start:start + batch])
            outputs.append(self._detect(chunk).numpy())
        return np.concatenate(outputs)

    def evaluate(self) -> dict:
        if self.data.eval_images is None:
            return {}
        skeleton, target, visible = self.data.skeleton, self.data.eval_keypoints, self.data.eval_visible
        predicted = self.predict(self.data.eval_images)
        out = metrics_lib.keypoint_metrics(predicted, target, skeleton, visible)
        # Every joint counts here, visible or not (as in all the figures reported with it).
        agnostic = metrics_lib.sides_from_labels(predicted, target, skeleton)
        out["error_left_right_agnostic"] = metrics_lib.keypoint_metrics(agnostic, target, skeleton)["error"]
        if self.reference_regressor is not None:
            reference = np.concatenate([self._relabel(predicted[i:i + 256]).numpy()
                                        for i in range(0, len(predicted), 256)])
            fixed = metrics_lib.flip_fixed(predicted, reference, skeleton)
            out.update(metrics_lib.keypoint_metrics(fixed, target, skeleton, visible, prefix="flip_fixed_"))
            if self.data.eval_groups is not None:
                out.update(group_metrics(fixed, target, skeleton, visible, self.data.eval_groups,
                                         self.data.eval_group_names, prefix="flip_fixed_"))
        if self.data.eval_approach_rates is not None:  # crops of tracked video: sides from the walk, no labels
            oriented = sides.orient(predicted, self.data.eval_approach_rates, skeleton)
            out.update(metrics_lib.keypoint_metrics(oriented, target, skeleton, visible, prefix="travel_sides_"))
        if self.data.eval_groups is not None:
            out.update(group_metrics(predicted, target, skeleton, visible, self.data.eval_groups,
                                     self.data.eval_group_names))
        # Baselines: the prior's mean pose (what a detector that ignores the image would say), and the
        # oracle mean pose, the mean of the evaluation labels themselves (it knows the test set's average).
        baseline = metrics_lib.mean_pose_metrics(self.data.prior, target, skeleton, visible)
        oracle = metrics_lib.mean_pose_metrics(target, target, skeleton, visible)
        out["mean_pose_error"] = baseline["error"]
        out["mean_pose_per_keypoint_error"] = baseline["per_keypoint_error"]
        out["oracle_mean_pose_error"] = oracle["error"]
        out["oracle_mean_pose_per_keypoint_error"] = oracle["per_keypoint_error"]
        out["labels"] = self.data.eval_labels
        if self.data.eval_images_raw is not None:  # the same images with their real background
            raw = metrics_lib.keypoint_metrics(self.predict(self.data.eval_images_raw), target, skeleton, visible)
            out["unmasked_error"] = raw["error"]
        out["prediction_spread"] = float(predicted.std(0).mean())
        out["target_spread"] = float(np.asarray(target).std(0).mean())
        out["num_images"] = int(len(target))
        return out


def group_metrics(predicted, target, skeleton, visible, groups, group_names=None, prefix: str = "") -> dict:
    """Errors per group of images and their mean: Simplified Human3.6M's protocol (per activity, then over
    activities). Returns ``error_per_group`` ({name: %}), ``error_group_mean`` and, for face68,
    ``nme_interocular_per_group`` (300-W's common / challenging), each key with `prefix`."""
    groups = np.asarray(groups)
    visible = np.ones(np.shape(target)[:2], bool) if visible is None else np.asarray(visible, bool)
    errors, nme = {}, {}
    for group in np.unique(groups):
        chosen = groups == group
        name = group_names[group] if group_names is not None else str(group)
        result = metrics_lib.keypoint_metrics(predicted[chosen], target[chosen], skeleton, visible[chosen])
        errors[name] = result["error"]
        if "nme_interocular" in result:
            nme[name] = result["nme_interocular"]
    out = {"error_per_group": errors, "error_group_mean": float(np.mean(list(errors.values())))}
    if nme:
        out["nme_interocular_per_group"] = nme
    return {prefix + key: value for key, value in out.items()}


def regression_metrics(model, data, config, num_train: int = 1000, alpha: float = 1e-3, seed: int = 0) -> dict:
    """The linear-regression protocol: ridge from detected keypoints to labels, reported on the eval split.

    The mapping (`metrics.ridge_regression`, keypoints -> labels, both flattened) is fitted on up to
    `num_train` labelled training frames (a fixed random subset, `seed`; labels from
    config.data.train_labels) and applied to the detections on the evaluation images. Returns
    `regression_error`, `regression_pck@0.05`, ... (the `keypoint_metrics` keys with a `regression_`
    prefix) and `regression_num_train`.
    """
    if data.frame_keypoints is None:
        raise ValueError("the regression protocol needs labelled training frames: set config.data.train_labels "
                         "(the synthetic world sets it)")
    if data.eval_images is None:
        return {}
    evaluator = Evaluator(model, data, config)
    frames = data.videos.frames
    rng = np.random.default_rng(seed)
    subset = np.sort(rng.choice(len(frames), min(num_train, len(frames)), replace=False))
    predict = metrics_lib.ridge_regression(evaluator.predict(frames[subset]), data.frame_keypoints[subset], alpha)
    mapped = predict(evaluator.predict(data.eval_images))                      # (E, K, 2) normalised
    out = metrics_lib.keypoint_metrics(mapped, data.eval_keypoints, data.skeleton, data.eval_visible,
                                       prefix="regression_")
    out["regression_num_train"] = int(len(subset))
    return out


class History:
    """Evaluation results over a run, in <workdir>/history.jsonl, so that resumed runs extend it.

    The file is append-only; what a kill leaves in it is sorted out on reading. A line cut short is skipped
    (the next entry starts on a new line). An evaluation whose checkpoint was never written is done again by
    the resumed run, and a roll-back re-evaluates steps: an entry for step s replaces every earlier-written
    entry for step s or later. With `resumed_step`, entries after it (a lost future) are left out too, so
    `entries` is one entry per evaluated step, in step order, of the run that led to the checkpoint.
    `minutes` counts training wall time across restarts (the most minutes recorded + this session's).
    """

    def __init__(self, workdir: str | None, resumed_step: int | None = None):
        self.path = os.path.join(workdir, "history.jsonl") if workdir else None
        self.entries, self._offset, skipped = [], 0.0, 0
        for entry in self._read():
            if entry is None:
                skipped += 1
                continue
            self._keep(entry)
            self._offset = max(self._offset, float(entry.get("minutes", 0.0)))
        if skipped:
            logging.warning("%s: skipped %d unreadable line(s) (cut short by a kill)", self.path, skipped)
        if resumed_step is not None:
            self.entries = [e for e in self.entries if e["step"] <= resumed_step]

    def _read(self):
        """The file's entries in order, None for a line that is not a JSON object with an integer step."""
        if not self.path or not os.path.isfile(self.path):
            return
        with open(self.path, "rb") as f:
            for line in f.read().decode("utf-8", "replace").splitlines():
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    entry = None
                valid = isinstance(entry, dict) and isinstance(entry.get("step"), int) and isinstance(
                    entry.get("minutes", 0.0), (int, float))
                yield entry if valid else None

    def _keep(self, entry: dict):
        self.entries = [e for e in self.entries if e["step"] < entry["step"]] + [entry]

    def minutes(self, seconds_this_session: float) -> float:
        return self._offset + seconds_this_session / 60.0

    def add(self, metrics: dict):
        entry = {k: metrics[k] for k in ("step", "minutes", "error", "flip_fixed_error",
                                         "error_left_right_agnostic", "travel_sides_error", "mean_pose_error",
                                         "oracle_mean_pose_error", "prediction_spread", "unmasked_error", "labels")
                 if k in metrics}
        self._keep(entry)
        if self.path:
            with open(self.path, "ab") as f:
                start = b"\n" if f.tell() and not _ends_with_newline(self.path) else b""
                f.write(start + (json.dumps(entry) + "\n").encode("utf-8"))


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def summary_line(metrics: dict) -> str:
    keys = ("step", "minutes", "labels", "error", "flip_fixed_error", "error_left_right_agnostic",
            "travel_sides_error", "unmasked_error", "pck@0.1", "mean_pose_error", "oracle_mean_pose_error",
            "prediction_spread", "nme_interocular", "error_group_mean")
    parts = []
    for key in keys:
        if key in metrics:
            value = metrics[key]
            parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


def write_metrics(workdir: str, metrics: dict, name: str = "metrics.json"):
    """Writes atomically (a temporary file, then a rename): a kill never leaves half a file."""
    atomic.write_json(os.path.join(workdir, name), metrics, indent=2)


def read_metrics(workdir: str, name: str = "metrics.json") -> dict:
    path = os.path.join(workdir, name)
    if not os.path.isfile(path):
        return {}
    try:
        return json.load(open(path))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def evaluate_workdir(workdir: str, overrides: dict | None = None, regression: bool = False) -> dict:
    """Restores the latest checkpoint of `workdir` and evaluates it (optionally on another eval set);
    `regression` adds `regression_metrics`."""
    from keypoints_tf import build, workdirs
    from keypoints_tf.data import pipeline
    from keypoints_tf.workdirs import checkpoints
    config = workdirs.load_config(workdir, overrides)
    data = pipeline.load_training_data(config.data, config.image_size)
    model = build.build_model(config, data.skeleton, config.train.batch_size)
    # Read-only: a training run may be writing this workdir (TrainingState would tidy its checkpoints).
    step = 0
    if checkpoints.checkpoint_paths(workdirs.checkpoint_dir(workdir)):
        step = checkpoints.checkpoint_step(
            checkpoints.restore_from_workdir(workdir, model.checkpoint_objects(), config.image_size))
    if step == 0:
        logging.warning("%s has no checkpoint: evaluating an untrained model", workdir)
    metrics = Evaluator(model, data, config, model.reference_regressor).evaluate()
    if regression:
        metrics.update(regression_metrics(model, data, config))
    metrics["step"] = step
    return metrics


def main(argv):
    del argv
    from absl import flags
    from ml_collections import config_flags
    overrides = config_flags.get_override_values(flags.FLAGS["config"])
    f = flags.FLAGS
    if f.output:  # the default <workdir>/eval.json is this command's own file, replaced on each run
        atomic.check_output(f.output, f.overwrite, inputs=[os.path.join(f.workdir, name) for name in
                                                           ("config.json", "metrics.json", "history.jsonl")])
    metrics = evaluate_workdir(f.workdir, overrides, regression=f.regression)
    output = f.output or os.path.join(f.workdir, "eval.json")
    atomic.write_json(output, metrics, indent=2)
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, dict)}, indent=2))
    print(f"written to {output}")


if __name__ == "__main__":
    from absl import app, flags
    from ml_collections import config_flags

    from keypoints_tf.config import get_default_config
    config_flags.DEFINE_config_dict("config", get_default_config(),
                                    "Overrides of the workdir's config, e.g. --config.data.eval=FILE.")
    flags.DEFINE_string("workdir", None, "A training workdir.")
    flags.DEFINE_string("output", "", "Where to write the JSON (default <workdir>/eval.json, replaced on each run; "
                        "another existing file only with --overwrite).")
    flags.DEFINE_bool("overwrite", False, "Replace an existing --output.")
    flags.DEFINE_bool("regression", False, "Also report the ridge-regression protocol (regression_error, ...), "
                      "fitted on labelled training frames (config.data.train_labels).")
    flags.mark_flags_as_required(["workdir"])
    from keypoints_tf import cli
    app.run(cli.guarded(main))
