"""The paper's experiments at smoke size: prior-size sweep, regression protocol, disentanglement grid, editing."""

import csv
import json
import os
import subprocess
import sys
import types

import cv2
import numpy as np
import pytest
import tensorflow as tf

from keypoints_tf import evaluate, metrics, train
from keypoints_tf.config import get_default_config
from keypoints_tf.experiments import disentangle, prior_size
from keypoints_tf.skeleton import get_skeleton
from model_checks import smoke_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """One real smoke training through the prior-size driver: <out>/prior_16_seed0 (16 of the 64 poses)."""
    out = str(tmp_path_factory.mktemp("prior_size"))
    result = prior_size.run_sweep(smoke_config(), out, sizes=[16], seeds=[0])
    return out, result


@pytest.fixture(scope="module")
def restored(sweep):
    out, _ = sweep
    return disentangle.restore_workdir(prior_size.run_workdir(out, 16, 0))


# === Prior size ===
def test_prior_size_run_trains_with_the_subset_and_seed(sweep):
    out, result = sweep
    workdir = prior_size.run_workdir(out, 16, 0)
    config = json.load(open(os.path.join(workdir, "config.json")))
    assert config["data"]["prior_size"] == 16 and config["data"]["prior_subset_seed"] == 0 and config["seed"] == 0
    assert config["data"]["world_dir"] == os.path.join(out, "world")  # one world shared by every run
    [run] = result["runs"]
    assert run["prior_poses"] == 16 and np.isfinite(run["error"])
    assert run["error"] == json.load(open(os.path.join(workdir, "metrics.json")))["error"]


def test_prior_size_sweep_skips_finished_runs_and_writes_json_csv_png(sweep):
    out, _ = sweep
    calls = []

    def fake_train(config, workdir):  # the real data resolution, no training
        calls.append((config.data.prior_size, config.data.prior_subset_seed, config.seed, config.train.max_minutes))
        os.makedirs(workdir)
        resolved, _ = train.prepare_data(config, workdir)
        with open(os.path.join(workdir, "config.json"), "w") as f:
            f.write(resolved.to_json_best_effort())
        return {"error": 30.0, "flip_fixed_error": 25.0, "mean_pose_error": 20.0, "step": 6, "minutes": 0.1}

    result = prior_size.run_sweep(smoke_config(), out, sizes=[16, 0], seeds=[0], minutes=0.5,
                                  train_fn=fake_train)
    assert calls == [(0, 0, 0, 0.5)]  # prior_16_seed0 has metrics.json: skipped
    assert [(r["size"], r["seed"], r["prior_poses"]) for r in result["runs"]] == [(16, 0, 16), (0, 0, 64)]
    saved = json.load(open(os.path.join(out, "prior_size.json")))
    assert saved["runs"] == result["runs"] and saved["sizes"] == [16, 0] and saved["seeds"] == [0]
    summary = [(e["size"], e["num_seeds"], e["error_mean"], e["error_std"]) for e in saved["summary"]]
    assert summary[1] == (0, 1, 30.0, 0.0)
    rows = list(csv.DictReader(open(os.path.join(out, "prior_size.csv"))))
    assert tuple(rows[0]) == prior_size.CSV_FIELDS
    assert [(r["size"], r["seed"], r["error"], r["mean_pose_error"]) for r in rows][1] == ("0", "0", "30.0", "20.0")
    assert cv2.imread(os.path.join(out, "prior_size.png")).shape == (prior_size.HEIGHT, prior_size.WIDTH, 3)


def test_prior_size_summary_mean_and_std_over_seeds():
    runs = [{"size": 50, "prior_poses": 50, "seed": s, "error": e, "flip_fixed_error": None, "mean_pose_error": 9.0}
            for s, e in ((0, 10.0), (1, 14.0))]
    [entry] = prior_size.summarize(runs)
    assert entry["error_mean"] == 12.0 and entry["error_std"] == pytest.approx(np.sqrt(8.0))
    assert entry["flip_fixed_error_mean"] is None and entry["num_seeds"] == 2
    image = prior_size.plot_prior_size(runs, [entry], "one size")
    assert image.shape == (prior_size.HEIGHT, prior_size.WIDTH, 3) and image.min() < 100  # something was drawn


# === Regression protocol ===
class _LookupDetector:
    """detect(images) = table[value of pixel (0, 0), red]: a known affine function of each image's labels."""

    def __init__(self, table):
        self.table = tf.constant(table, tf.float32)

    def detect(self, images, training=False):
        return tf.gather(self.table, tf.cast(tf.round((images[:, 0, 0, 0] + 1.0) * 127.5), tf.int32))


def test_regression_recovers_labels_from_an_affine_relabelling():
    skeleton = get_skeleton("human17")
    labels = np.random.default_rng(0).uniform(-0.8, 0.8, (240, 17, 2)).astype(np.float32)
    detected = metrics.swap_left_right(labels, skeleton) * 0.5 + 0.1  # linear in the labels, but not them
    images = np.zeros((240, 32, 32, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(240)
    data = types.SimpleNamespace(skeleton=skeleton, videos=types.SimpleNamespace(frames=images[:200]),
                                 frame_keypoints=labels[:200], eval_images=images[200:], eval_keypoints=labels[200:],
                                 eval_visible=None)
    config = get_default_config()
    config.image_size, config.log.eval_batch_size = 32, 64
    result = evaluate.regression_metrics(_LookupDetector(detected), data, config, num_train=150)
    assert result["regression_num_train"] == 150
    assert result["regression_error"] < 0.02 and result["regression_pck@0.05"] == 100.0  # alpha 1e-3 shrinks a bit
    exact = evaluate.regression_metrics(_LookupDetector(detected), data, config, alpha=1e-9)
    assert exact["regression_num_train"] == 200 and exact["regression_error"] < 1e-4
    assert metrics.keypoint_metrics(detected[200:], labels[200:], skeleton)["error"] > 10.0  # direct: far off


def test_evaluate_workdir_reports_direct_and_regression_numbers(sweep):
    out, _ = sweep
    result = evaluate.evaluate_workdir(prior_size.run_workdir(out, 16, 0), regression=True)
    assert np.isfinite(result["error"]) and np.isfinite(result["regression_error"])
    assert np.isfinite(result["regression_pck@0.1"]) and result["regression_num_train"] == 6 * 4  # every frame


# === Disentanglement grid and editing ===
def test_grid_layout(restored):
    _, data, model, _ = restored
    size = data.image_size
    grid = disentangle.disentanglement_grid(model, data, rows=2, columns=3, seed=1)
    assert grid.shape == (3 * size, 4 * size, 3) and grid.dtype == np.uint8
    assert (grid[:size, :size] == 255).all()  # blank corner
    appearance, sources, priors = disentangle.choose_frames(data, 2, 3, seed=1)
    np.testing.assert_array_equal(grid[size:, :size], np.concatenate(list(data.videos.frames[appearance])))
    video = data.videos.video_of_frame()
    assert len(set(video[appearance])) == 2 and not set(video[sources]) & set(video[appearance])
    prior_header = disentangle.to_uint8(model.render(data.prior[priors[:1]]))[0]
    np.testing.assert_array_equal(grid[:size, 2 * size:3 * size], prior_header)


def test_edit_frames_move_the_joint(restored, tmp_path):
    _, data, model, _ = restored
    frames = disentangle.keypoint_edit_frames(model, data, "l_wrist", num_frames=5, seed=2)
    size = data.image_size
    assert frames.shape == (5, size, 2 * size, 3) and frames.dtype == np.uint8
    assert len({frame[:, :size].tobytes() for frame in frames}) == 5  # the drawn skeleton moves
    pytest.importorskip("PIL")
    from PIL import Image
    disentangle.write_video(frames, str(tmp_path / "edit.gif"))
    assert Image.open(tmp_path / "edit.gif").n_frames == 5


def test_grid_and_edit_command(sweep, tmp_path):
    out, _ = sweep
    grid, video = str(tmp_path / "grid.png"), str(tmp_path / "edit.mp4")
    command = [sys.executable, "-m", "keypoints_tf.experiments.disentangle",
               f"--workdir={prior_size.run_workdir(out, 16, 0)}", f"--out={grid}", f"--edit={video}",
               "--rows=2", "--columns=3", "--frames=4", "--scale=2"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    subprocess.run(command, check=True, cwd=REPO, env=env, capture_output=True, timeout=300)
    assert cv2.imread(grid).shape == (3 * 32 * 2, 4 * 32 * 2, 3)
    capture = cv2.VideoCapture(video)
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 4 and int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == 2 * 32 * 2


# === The learning benchmark's side-by-side mode ===

@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="--parallel pins the two runs to different cores")
@pytest.mark.large  # subprocess runs, minutes: pytest --run-large
def test_learning_benchmark_parallel_runs_both_methods_on_separate_cores(tmp_path):
    command = [sys.executable, "benchmarks/learning_benchmark.py", "--parallel", "--minutes", "2",
               "--out", str(tmp_path), "--config", "configs/synthetic.py:smoke",
               "--supervised_config", "configs/supervised.py:smoke", "--steps", "6", "--supervised_steps", "8"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    started = [line for line in result.stdout.splitlines() if line.startswith("$ ")]
    assert len(started) == 2 and "--config.train.steps=6" in started[0] and "--config.train.steps=8" in started[1]
    cores = [line[line.index("(cores "):] for line in started]
    assert cores[0] != cores[1]
    summary = json.loads(result.stdout[result.stdout.index("\n{") + 1:])
    for name, steps in (("keypoint_gan", 6 + 2), ("supervised", 8)):  # smoke: 2 pre-training steps first
        assert evaluate.read_metrics(os.path.join(tmp_path, name))["step"] == steps
    assert summary["ratio_to_supervised"] == pytest.approx(
        min(summary["keypoint_gan_error"], summary["keypoint_gan_flip_fixed_error"]) / summary["supervised_error"])
