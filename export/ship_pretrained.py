r"""Adds a trained detector to the package's shipped models (keypoints_tf/pretrained/): int8 .tflite + index entry.

    python export/ship_pretrained.py --name=people_walk --workdir=runs/real_people/workdir \
        --description="..." --trained="command, data, minutes, machine" [--quantization=int8] [--overwrite]

The detector is exported (contract embedded in the .tflite), then scored **through the exported file** on the
workdir's evaluation split (the labels' kind, ground truth or pseudo, is recorded), and
keypoints_tf/pretrained/index.json gains an entry with its file, size, input, accuracy and how it was trained.
An existing model of that name is never replaced unless --overwrite is given. Students (distillation
workdirs) ship the same way.
"""

import json
import os
import tempfile

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", None, "The model's name (keypoints_tf.load(NAME)); letters, digits and _ only.")
flags.DEFINE_string("workdir", None, "A training or distillation workdir.")
flags.DEFINE_string("description", "", "One sentence: what it detects, on what kind of input.")
flags.DEFINE_string("trained", "", "How it was trained: command, data, minutes, machine.")
flags.DEFINE_enum("quantization", "int8", ["float32", "float16", "dynamic", "int8"], "Quantization.")
flags.DEFINE_bool("overwrite", False, "Replace a shipped model of the same name.")


def score(path: str, restored) -> dict:
    """Errors of the exported .tflite on the workdir's evaluation split, with both mean-pose baselines."""
    import keypoints_tf
    from keypoints_tf import metrics
    from keypoints_tf.data import pipeline
    data = pipeline.load_training_data(restored.data_config, restored.image_size)
    if data.eval_images is None:
        return {}
    detector = keypoints_tf.load(path)
    size = restored.image_size
    predicted = np.concatenate([detector.run(image[None])[0] for image in data.eval_images]) * (2.0 / size) - 1.0
    out = metrics.keypoint_metrics(predicted, data.eval_keypoints, data.skeleton, data.eval_visible)
    oracle = metrics.mean_pose_metrics(data.eval_keypoints, data.eval_keypoints, data.skeleton, data.eval_visible)
    prior = metrics.mean_pose_metrics(data.prior, data.eval_keypoints, data.skeleton, data.eval_visible)
    return {"labels": data.eval_labels, "images": int(len(predicted)), "error": round(out["error"], 3),
            "pck@0.1": round(out["pck@0.1"], 2), "oracle_mean_pose_error": round(oracle["error"], 3),
            "prior_mean_pose_error": round(prior["error"], 3),
            "per_keypoint_error": out["per_keypoint_error"],
            "masked_background": bool(restored.data_config.get("mask_background")),
            "background_fill": int(restored.data_config.get("background_fill", 0))}


def main(argv):
    del argv
    from keypoints_tf import atomic, pretrained
    from keypoints_tf.errors import OutputError
    from keypoints_tf.export import restore_detector, write_detector_tflite
    f = flags.FLAGS
    if not f.name.replace("_", "").isalnum():
        raise OutputError(f"--name={f.name!r}: use letters, digits and _ only")
    target = os.path.join(pretrained.FOLDER, f"{f.name}.tflite")
    if (f.name in pretrained.index() or os.path.exists(target)) and not f.overwrite:
        raise OutputError(f"{f.name!r} is already shipped ({target}); pass --overwrite to replace it")
    restored = restore_detector(f.workdir)
    with tempfile.TemporaryDirectory(dir=pretrained.FOLDER) as scratch:
        staged = os.path.join(scratch, f"{f.name}.tflite")  # the contract is embedded (and sealed): it ships alone
        contract = write_detector_tflite(restored, staged, f.quantization)
        accuracy = score(staged, restored)
        os.replace(staged, target)
    entries = pretrained.index()
    entries[f.name] = {"file": os.path.basename(target), "description": f.description,
                       "skeleton": contract["skeleton"]["name"], "input_size": restored.image_size,
                       "quantization": f.quantization, "kind": contract["model"]["kind"],
                       "size_kb": round(os.path.getsize(target) / 1024), "accuracy": accuracy, "trained": f.trained}
    atomic.write_json(os.path.join(pretrained.FOLDER, "index.json"), {"models": dict(sorted(entries.items()))},
                      indent=1)
    print(f"shipped {f.name}: {target} ({entries[f.name]['size_kb']} KB); accuracy {json.dumps(accuracy)[:300]}")


if __name__ == "__main__":
    from keypoints_tf import cli
    flags.mark_flags_as_required(["name", "workdir"])
    app.run(cli.guarded(main))
