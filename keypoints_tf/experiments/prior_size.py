"""Error vs the size of the unpaired prior (the paper's slide 11):

    python -m keypoints_tf.experiments.prior_size --config=configs/synthetic.py --out=runs/prior_size \
        [--sizes=50,500,5000,0] [--seeds=0,1] [--minutes=M] [--config.FIELD=VALUE ...]
    python -m keypoints_tf.experiments.prior_size --config=configs/synthetic.py:smoke --out=/tmp/prior \
        --sizes=16,0 --seeds=0                                                               # seconds

For every prior size (0 = all poses) and seed it trains in <out>/prior_<size>_seed<seed> with
data.prior_size=size, data.prior_subset_seed=seed and seed=seed, everything else equal (the synthetic world
is generated once in <out>/world unless config.data.world_dir names one). A run whose metrics.json exists is
skipped and an interrupted one resumes from its checkpoint, so rerunning the command continues the sweep
(delete a run's metrics.json to train it further, e.g. with a larger --minutes). Writes
<out>/prior_size.json (every run and a per-size summary), <out>/prior_size.csv (one row per run) and
<out>/prior_size.png (error vs prior size on a log axis: per-seed points, mean +/- std, mean-pose baseline).

configs/synthetic.py's world has 5000 prior poses, so size 5000 and size 0 are the same run there; add e.g.
--config.data.world.prior=20000 for a distinct "all" point (x position: the number of poses actually used).

Seeds can train at the same time, one process per core (start the second once the first has written the
shared world), then one more call with every seed collects the finished runs into the JSON/CSV/PNG
without training:

    export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
    taskset -c 0 python -m keypoints_tf.experiments.prior_size ... --seeds=0 &
    taskset -c 1 python -m keypoints_tf.experiments.prior_size ... --seeds=1
    python -m keypoints_tf.experiments.prior_size ... --seeds=0,1
"""

from __future__ import annotations

import csv
import json
import logging
import os

import cv2
import numpy as np

from keypoints_tf import evaluate, train, workdirs
from keypoints_tf.data import coco

RUN_FIELDS = ("error", "flip_fixed_error", "error_left_right_agnostic", "mean_pose_error", "pck@0.1",
              "step", "minutes")
CSV_FIELDS = ("size", "prior_poses", "seed", "error", "flip_fixed_error", "mean_pose_error", "step", "minutes")
SUMMARY_FIELDS = ("error", "flip_fixed_error", "mean_pose_error")


def run_workdir(out: str, size: int, seed: int) -> str:
    return os.path.join(out, f"prior_{size}_seed{seed}")


def run_config(config, out: str, size: int, seed: int, minutes: float | None = None):
    """`config` with this run's prior size and seeds (and the world shared across runs)."""
    run = config.copy_and_resolve_references()
    run.data.prior_size = int(size)
    run.data.prior_subset_seed = int(seed)
    run.seed = int(seed)
    if minutes is not None:
        run.train.max_minutes = float(minutes)
    if run.data.source == "synthetic" and not run.data.world_dir:
        run.data.world_dir = os.path.join(out, "world")
    return run


def run_sweep(config, out: str, sizes, seeds, minutes: float | None = None, description: dict | None = None,
              train_fn=train.train_and_evaluate) -> dict:
    """Trains (or reads) every (size, seed) run, then writes prior_size.json/.csv/.png; returns the JSON."""
    os.makedirs(out, exist_ok=True)
    runs = []
    for size in sizes:
        for seed in seeds:
            workdir = run_workdir(out, size, seed)
            metrics = evaluate.read_metrics(workdir)
            if metrics:
                logging.info("%s: finished (metrics.json), skipped", workdir)
            else:
                metrics = train_fn(run_config(config, out, size, seed, minutes), workdir)
            row = {"size": int(size), "seed": int(seed), "prior_poses": prior_poses(workdir, size),
                   "workdir": os.path.relpath(workdir, out)}
            row.update({key: metrics.get(key) for key in RUN_FIELDS})
            runs.append(row)
            logging.info("prior size %s seed %s: %s", size, seed, evaluate.summary_line(metrics))
    result = dict(description or {}, sizes=[int(s) for s in sizes], seeds=[int(s) for s in seeds],
                  runs=runs, summary=summarize(runs))
    write_results(out, result)
    return result


def prior_poses(workdir: str, size: int) -> int:
    """How many prior poses the run used: `size`, or (size 0) every fully visible pose of its prior file."""
    if size:
        return int(size)
    prior = coco.read_coco_keypoints(workdirs.load_config(workdir).data.prior)
    return int(np.all(prior.visible, axis=1).sum())


def summarize(runs: list) -> list:
    """Per size: prior_poses, num_seeds and <field>_mean / <field>_std (std over seeds, ddof 1)."""
    summary = []
    for size in dict.fromkeys(run["size"] for run in runs):
        group = [run for run in runs if run["size"] == size]
        entry = {"size": size, "prior_poses": group[0]["prior_poses"], "num_seeds": len(group)}
        for field in SUMMARY_FIELDS:
            values = np.array([run[field] for run in group if run.get(field) is not None], np.float64)
            entry[f"{field}_mean"] = float(values.mean()) if len(values) else None
            entry[f"{field}_std"] = float(values.std(ddof=1)) if len(values) > 1 else (0.0 if len(values) else None)
        summary.append(entry)
    return summary


def write_results(out: str, result: dict):
    with open(os.path.join(out, "prior_size.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(out, "prior_size.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result["runs"])
    title = f"error vs prior size ({len(result['seeds'])} seed{'s' * (len(result['seeds']) > 1)})"
    cv2.imwrite(os.path.join(out, "prior_size.png"), plot_prior_size(result["runs"], result["summary"], title))


# === The plot (OpenCV; BGR) ===
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 420, 72, 20, 36, 62
SERIES = (("error", "error", (180, 110, 30)), ("flip_fixed_error", "error, left/right fixed", (30, 130, 240)))
BASELINE_COLOR, FONT = (130, 130, 130), cv2.FONT_HERSHEY_SIMPLEX


def plot_prior_size(runs: list, summary: list, title: str) -> np.ndarray:
    """(HEIGHT, WIDTH, 3) uint8 BGR: per-seed points, mean +/- std per size, the mean-pose baseline dashed."""
    image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    summary = sorted(summary, key=lambda e: (e["prior_poses"], e["size"] == 0))
    logs = np.log10([e["prior_poses"] for e in summary])
    x_low, x_high = logs.min() - 0.25, logs.max() + 0.25
    values = [run[f] for run in runs for f in SUMMARY_FIELDS if run.get(f) is not None]
    top = max(values + [1e-3]) * 1.4  # headroom for the legend
    y_step = _nice_step(top / 5)
    y_high = float(np.ceil(top / y_step) * y_step)  # at most 5 gridlines above 0

    def to_pixel(poses, value):
        x = LEFT + (np.log10(poses) - x_low) / (x_high - x_low) * (WIDTH - LEFT - RIGHT)
        y = HEIGHT - BOTTOM - value / y_high * (HEIGHT - TOP - BOTTOM)
        return int(round(x)), int(round(y))

    _draw_axes(image, summary, y_high, y_step, to_pixel, title)
    baseline = [to_pixel(e["prior_poses"], e["mean_pose_error_mean"]) for e in summary
                if e["mean_pose_error_mean"] is not None]
    for a, b in zip(baseline[:-1], baseline[1:]):
        _dashed_line(image, a, b, BASELINE_COLOR)
    legend = [("mean-pose baseline", BASELINE_COLOR)]
    for field, label, color in SERIES:
        means = [(e, to_pixel(e["prior_poses"], e[f"{field}_mean"])) for e in summary if e[f"{field}_mean"] is not None]
        if not means:
            continue
        legend.append((label + " (mean +/- std; o = one seed)", color))
        cv2.polylines(image, [np.array([p for _, p in means], np.int32)], False, color, 2, cv2.LINE_AA)
        for entry, (x, y) in means:
            _, top = to_pixel(entry["prior_poses"], entry[f"{field}_mean"] + entry[f"{field}_std"])
            _, bottom = to_pixel(entry["prior_poses"], max(entry[f"{field}_mean"] - entry[f"{field}_std"], 0.0))
            cv2.line(image, (x, top), (x, bottom), color, 1, cv2.LINE_AA)
            cv2.circle(image, (x, y), 4, color, -1, cv2.LINE_AA)
        for run in runs:
            if run.get(field) is not None:
                cv2.circle(image, to_pixel(run["prior_poses"], run[field]), 3, color, 1, cv2.LINE_AA)
    left = WIDTH - RIGHT - 40 - max(cv2.getTextSize(label, FONT, 0.42, 1)[0][0] for label, _ in legend)
    for i, (label, color) in enumerate(legend):
        y = TOP + 14 + 18 * i
        cv2.line(image, (left, y - 4), (left + 25, y - 4), color, 2, cv2.LINE_AA)
        cv2.putText(image, label, (left + 32, y), FONT, 0.42, (40, 40, 40), 1, cv2.LINE_AA)
    return image


def _draw_axes(image, summary, y_high, step, to_pixel, title):
    ink, grid = (40, 40, 40), (225, 225, 225)
    for i in range(int(round(y_high / step)) + 1):
        _, y = to_pixel(summary[0]["prior_poses"], i * step)
        cv2.line(image, (LEFT, y), (WIDTH - RIGHT, y), grid, 1)
        cv2.putText(image, f"{i * step:g}", (LEFT - 40, y + 4), FONT, 0.4, ink, 1, cv2.LINE_AA)
    labels = {}
    for entry in summary:
        labels.setdefault(entry["prior_poses"], []).append(
            f"all={entry['prior_poses']}" if entry["size"] == 0 else str(entry["size"]))
    for poses, names in labels.items():
        x, y = to_pixel(poses, 0.0)
        cv2.line(image, (x, y), (x, y + 5), ink, 1)
        text = "/".join(dict.fromkeys(names))
        width = cv2.getTextSize(text, FONT, 0.4, 1)[0][0]
        cv2.putText(image, text, (x - width // 2, y + 20), FONT, 0.4, ink, 1, cv2.LINE_AA)
    cv2.rectangle(image, (LEFT, TOP), (WIDTH - RIGHT, HEIGHT - BOTTOM), ink, 1)
    cv2.putText(image, "prior poses (log scale)", (WIDTH // 2 - 80, HEIGHT - 14), FONT, 0.45, ink, 1, cv2.LINE_AA)
    cv2.putText(image, title, (LEFT, TOP - 12), FONT, 0.5, ink, 1, cv2.LINE_AA)
    label = np.full((22, 220, 3), 255, np.uint8)
    cv2.putText(label, "error (% of image size)", (4, 15), FONT, 0.45, ink, 1, cv2.LINE_AA)
    label = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)  # (220, 22)
    top = max(TOP, (HEIGHT - label.shape[0]) // 2)
    image[top:top + label.shape[0], 2:2 + label.shape[1]] = np.minimum(
        image[top:top + label.shape[0], 2:2 + label.shape[1]], label)


def _dashed_line(image, a, b, color, dash: int = 8):
    a, b = np.array(a, np.float64), np.array(b, np.float64)
    pieces = max(int(np.linalg.norm(b - a) // dash), 1)
    for i in range(0, pieces, 2):
        start, end = a + (b - a) * i / pieces, a + (b - a) * min(i + 1, pieces) / pieces
        cv2.line(image, tuple(int(v) for v in start), tuple(int(v) for v in end), color, 2, cv2.LINE_AA)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n that is >= raw."""
    power = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def _integers(values, name):
    try:
        return [int(v) for v in values]
    except ValueError:
        raise ValueError(f"--{name} must be comma-separated integers, got {values!r}") from None


def main(argv):
    del argv
    from absl import flags
    from ml_collections import config_flags
    description = {"config_file": config_flags.get_config_filename(flags.FLAGS["config"]),
                   "overrides": {k: str(v) for k, v in config_flags.get_override_values(flags.FLAGS["config"]).items()},
                   "minutes": flags.FLAGS.minutes}
    result = run_sweep(flags.FLAGS.config, flags.FLAGS.out, _integers(flags.FLAGS.sizes, "sizes"),
                       _integers(flags.FLAGS.seeds, "seeds"), flags.FLAGS.minutes, description)
    for entry in result["summary"]:
        print(json.dumps(entry))
    print(f"written to {os.path.join(flags.FLAGS.out, 'prior_size.{json,csv,png}')}")


if __name__ == "__main__":
    from absl import app, flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config", None, "Path to a config file in configs/ (add :smoke to shrink it).",
                                    lock_config=True)
    flags.DEFINE_string("out", None, "Folder for the runs (<out>/prior_<size>_seed<seed>) and the results.")
    flags.DEFINE_list("sizes", ["50", "500", "5000", "0"], "Prior sizes (0 = every pose), comma-separated.")
    flags.DEFINE_list("seeds", ["0", "1"], "Seeds (model, batches and prior subset), comma-separated.")
    flags.DEFINE_float("minutes", None, "Training wall-time budget per run (config.train.max_minutes); "
                       "default: the config's.")
    flags.mark_flags_as_required(["config", "out"])
    logging.getLogger().setLevel(logging.INFO)
    from keypoints_tf import cli
    app.run(cli.guarded(main))
