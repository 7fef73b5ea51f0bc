"""The real trainer end to end on the smoke config: checkpoints, resume, metrics, evaluation."""

import json
import os
import shutil

import numpy as np
import pytest

from keypoints_tf import budget, build, evaluate, metrics, plateau, sides, train
from keypoints_tf.config import load_config_file
from keypoints_tf.skeleton import get_skeleton
from model_checks import smoke_config


@pytest.fixture(scope="module")
def trained(smoke_trained, tmp_path_factory):
    """A copy of the session's smoke-trained workdir (these tests resume and re-evaluate it)."""
    source, config, result = smoke_trained
    workdir = str(tmp_path_factory.mktemp("run") / "workdir")
    shutil.copytree(source, workdir)
    return workdir, config.copy_and_resolve_references(), result


def test_smoke_run_writes_checkpoint_config_logs_and_metrics(trained):
    workdir, config, result = trained
    total = config.train.regressor_pretrain_steps + config.train.steps
    assert result["step"] == total and np.isfinite(result["error"])
    assert os.path.isfile(os.path.join(workdir, "checkpoints", "checkpoint"))
    assert json.load(open(os.path.join(workdir, "config.json")))["image_size"] == 32
    assert json.load(open(os.path.join(workdir, "metrics.json")))["step"] == total
    assert os.listdir(os.path.join(workdir, "logs"))


def test_second_run_resumes_at_the_right_step(trained, caplog):
    workdir, config, _ = trained
    config = config.copy_and_resolve_references()
    config.train.steps += 2  # the same command with a longer schedule continues, not restarts
    import logging
    with caplog.at_level(logging.INFO):
        result = train.train_and_evaluate(config, workdir)
    total = config.train.regressor_pretrain_steps + config.train.steps
    assert result["step"] == total
    assert any(f"at step {total - 2}" in r.getMessage() for r in caplog.records), "did not resume"


def test_another_config_on_a_trained_workdir_is_a_clear_error(trained):
    from keypoints_tf.errors import TrainingError
    workdir, config, _ = trained
    config = config.copy_and_resolve_references()
    config.model.base_width = 8
    with pytest.raises(TrainingError, match="another config.*model.base_width: 4 -> 8"):
        train.train_and_evaluate(config, workdir)
    assert json.load(open(os.path.join(workdir, "config.json")))["model"]["base_width"] == 4  # untouched


def test_evaluate_workdir_reads_the_checkpoint(trained):
    workdir, _, _ = trained
    final = evaluate.read_metrics(workdir)
    again = evaluate.evaluate_workdir(workdir)
    assert again["step"] == final["step"]
    # every weight comes back, BatchNorm statistics and the frozen reference eta included
    assert again["error"] == pytest.approx(final["error"], abs=1e-4)
    assert again["flip_fixed_error"] == pytest.approx(final["flip_fixed_error"], abs=1e-4)
    assert again["mean_pose_error"] > 0


def test_without_pretraining_the_reference_eta_is_still_frozen(tmp_path, monkeypatch):
    """regressor_pretrain_steps=0: the flip fix's reference eta is eta as initialised, not left random."""
    from keypoints_tf.gan import KeypointGAN
    frozen = []
    original = KeypointGAN.freeze_reference_regressor

    def record(model):
        original(model)
        frozen.append(model.reference_regressor is not None)
    monkeypatch.setattr(KeypointGAN, "freeze_reference_regressor", record)
    config = smoke_config()
    with config.unlocked():
        config.train.regressor_pretrain_steps, config.train.steps = 0, 1
    train.train_and_evaluate(config, str(tmp_path))
    assert frozen == [True]


def test_plateau_stop_waits_for_two_windows_and_stops_only_when_the_error_stops_falling():
    stop = plateau.PlateauStop.from_steps(window_steps=100, every_steps=50, min_gain=0.1)
    assert stop.window == 2
    assert not any(stop.update(v) for v in (1.0, 0.9, 0.7, 0.6, 0.45, 0.4))   # each window >= 10% lower
    assert not stop.update(0.39)
    assert stop.update(0.41) and stop.gain() < 0.1                          # 0.40 after 0.425: 6% lower
    rising = plateau.PlateauStop(window=1, min_gain=0.0)
    assert not rising.update(1.0) and not rising.update(0.5) and rising.update(0.6)


def test_pretraining_that_stops_early_goes_on_at_the_gan_phases_step_numbers(tmp_path, caplog):
    """A plateau ends eta's pre-training; the GAN steps keep their numbers, so schedules and resumes hold."""
    import logging
    config = smoke_config()
    with config.unlocked():
        config.train.regressor_pretrain_steps, config.train.steps = 40, 4
        config.train.regressor_pretrain_window = 2          # one logged value per window (log.every_steps=2)
        config.train.regressor_pretrain_min_gain = 1.0      # nothing falls by 100%: stop after two windows
    with caplog.at_level(logging.INFO):
        result = train.train_and_evaluate(config, str(tmp_path))
    assert any("pre-training stopped at step 4 of 40" in r.getMessage() for r in caplog.records)
    assert result["step"] == 44
    assert [h["step"] for h in result["history"]] == [40, 44]  # evaluations at eval_every_steps=4, GAN phase


def test_a_time_budget_cuts_pretraining_fits_the_steps_and_a_resume_keeps_them(tmp_path, monkeypatch, caplog):
    """train.budget_minutes: pre-training ends at its share of the budget, the GAN steps shrink to what fits
    (here nothing more: the budget is spent), and the fitted number survives a restart."""
    import logging
    monkeypatch.setattr(budget, "WARMUP", 1)
    monkeypatch.setattr(budget, "WINDOW", 2)
    config = smoke_config()
    with config.unlocked():
        config.train.regressor_pretrain_steps, config.train.steps = 40, 30
        config.train.budget_minutes = 0.01  # 0.6 s: pre-training's share is spent by its first step
    with caplog.at_level(logging.INFO):
        result = train.train_and_evaluate(config, str(tmp_path))
    messages = [r.getMessage() for r in caplog.records]
    assert any("pre-training stopped at step 1 of 40: it used 25% of train.budget_minutes" in m for m in messages)
    assert any("the run trains 4 of config.train.steps=30 GAN steps (to step 44)" in m for m in messages)
    assert result["step"] == 44
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = train.train_and_evaluate(config, str(tmp_path))   # restarted: the fitted 4 steps, not 30
    assert again["step"] == 44
    assert any("training already finished at step 44" in r.getMessage() for r in caplog.records)


def test_a_roll_back_to_a_checkpoint_older_than_the_fit_keeps_the_fitted_schedule():
    import types

    import keras
    fitted = keras.Variable(0, trainable=False, dtype="int64")  # as restored from a checkpoint before the fit
    progress = types.SimpleNamespace(reset=lambda total: None, update=lambda n: None)
    run = types.SimpleNamespace(fitted=4, total_steps=40 + 4, progress=progress,
                                model=types.SimpleNamespace(fitted_steps=fitted))
    assert train._Run._restart_at(run, 42) == 42
    assert int(fitted.numpy()) == 4


def test_budget_fit_spreads_evaluations_keeps_the_last_one_and_never_adds_steps():
    # 100 s left, 0.97 of it planned, minus a 7 s final evaluation: 90 s; 1 s per step + 7/10 s of evaluations
    assert budget.fit_steps(1000.0, 900.0, 20, 3200, 1.0, 7.0, 10) == 20 + int((0.97 * 100.0 - 7.0) / 1.7)
    assert budget.fit_steps(10_000.0, 100.0, 20, 3200, 1.0, 7.0, 10) == 3200   # fits: the config's steps
    assert budget.fit_steps(1000.0, 1200.0, 20, 3200, 1.0, 7.0, 10) == 20      # over budget: stop here


def test_budget_clock_times_a_window_after_warm_up_without_evaluations():
    clock = budget.BudgetClock(600.0)
    now, step = 0.0, 100
    assert clock.seconds_per_step(step, now) is None                 # the first GAN step (traces)
    for _ in range(budget.WARMUP + budget.WINDOW - 1):
        step, now = step + 1, now + 2.0
        if step == 100 + budget.WARMUP + 3:
            clock.evaluated(30.0)
            now += 30.0                                             # an evaluation inside the window
        assert clock.seconds_per_step(step, now) is None
    assert clock.seconds_per_step(step + 1, now + 2.0) == pytest.approx(2.0)
    assert clock.seconds_per_evaluation() == pytest.approx(30.0)
    assert clock.pretraining_over(151.0) and not clock.pretraining_over(149.0)


def test_the_learning_rate_schedule_spans_the_fitted_steps_once_there_are_some():
    import keras
    config = smoke_config()
    with config.unlocked():
        config.train.steps, config.train.decay_to, config.train.learning_rate = 100, 0.1, 1.0
    fitted = keras.Variable(0, trainable=False, dtype="int64")
    schedule = build.learning_rate_schedule(config, fitted_steps=fitted)
    assert [float(schedule(s)) for s in (50, 75, 100)] == pytest.approx([1.0, 0.55, 0.1])
    fitted.assign(10)
    assert [float(schedule(s)) for s in (5, 10, 50)] == pytest.approx([1.0, 0.1, 0.1])


def test_supervised_smoke_run(tmp_path):
    result = train.train_and_evaluate(smoke_config("supervised"), str(tmp_path))
    assert np.isfinite(result["error"])


def test_metrics_on_a_hand_computed_case():
    skeleton = get_skeleton("human17")
    target = np.zeros((2, 17, 2), np.float32)
    predicted = target.copy()
    predicted[0, :, 0] = 0.2    # every keypoint 0.2 normalised = 10% of the image off
    predicted[1, 0, 1] = -0.08  # one keypoint 4% off, the rest exact
    result = metrics.keypoint_metrics(predicted, target, skeleton)
    assert result["error"] == pytest.approx((10.0 + 4.0 / 17) / 2, rel=1e-5)
    assert result["pck@0.05"] == pytest.approx(100.0 * 17 / 34)
    assert result["pck@0.1"] == pytest.approx(100.0 * 17 / 34)  # 10% is not < 10%
    swapped = metrics.swap_left_right(target + np.arange(17)[None, :, None] * 0.01, skeleton)
    fixed = metrics.flip_fixed(swapped, target + np.arange(17)[None, :, None] * 0.01, skeleton)
    np.testing.assert_allclose(fixed, target + np.arange(17)[None, :, None] * 0.01)


def test_ridge_regression_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 4, 2))
    targets = (features.reshape(50, 8) @ rng.normal(size=(8, 6)) + 0.3).reshape(50, 3, 2)
    predict = metrics.ridge_regression(features, targets, alpha=1e-8)
    np.testing.assert_allclose(predict(features), targets, atol=1e-5)


def test_readouts_recover_offsets_and_linear_maps_on_visible_labels_only():
    rng = np.random.default_rng(0)
    skeleton = get_skeleton("human17")
    detected = rng.uniform(-0.5, 0.5, size=(60, 17, 2))
    labels = detected + rng.normal(size=(1, 17, 2)) * 0.1        # another definition of each joint
    visible = rng.uniform(size=(60, 17)) > 0.2
    hidden = np.where(visible[..., None], labels, 9.0)             # what an unseen label may hold: ignored
    np.testing.assert_allclose(metrics.readout_map("offset", detected, hidden, visible)(detected), labels, atol=1e-9)
    mixed = np.einsum("nkc,kj->njc", detected, rng.normal(size=(17, 17))) + 0.2
    ridge = metrics.readout_map("ridge", detected, np.where(visible[..., None], mixed, 9.0), visible)
    np.testing.assert_allclose(ridge(detected), mixed, atol=0.02)  # ridge_regression: alpha 1e-3
    mean = metrics.readout_map("offset", 0 * detected, hidden, visible)(0 * detected[:1])[0]
    np.testing.assert_allclose(mean[0], labels[visible[:, 0], 0].mean(0))  # constant features: the mean pose
    with pytest.raises(ValueError, match="offset' or 'ridge"):
        metrics.readout_map("lasso", detected, labels, visible)
    swapped = metrics.swap_left_right(labels, skeleton)
    swapped[::2] = labels[::2]                                     # every other image's sides are swapped
    np.testing.assert_allclose(metrics.sides_from_labels(swapped, labels, skeleton), labels)


def test_left_right_distance_correlation_ignores_sides_and_joint_definitions():
    rng = np.random.default_rng(1)
    skeleton = get_skeleton("human17")
    labels = rng.uniform(-0.6, 0.6, size=(80, 17, 2))
    visible = rng.uniform(size=(80, 17)) > 0.2
    # Other joint definitions (a constant offset), scaled, and sides swapped on every other image: the
    # distances between left and right joints still follow the labels' exactly.
    other = 0.5 * metrics.swap_left_right(labels, skeleton) + 0.1
    other[1::2] = 0.5 * labels[1::2] + 0.1
    found = metrics.left_right_distance_correlation(other, labels, skeleton, visible)
    assert set(found) == {"hip", "knee", "ankle", "toes", "shoulder", "elbow", "wrist"}
    np.testing.assert_allclose(list(found.values()), 1.0, atol=1e-9)
    assert all(abs(r) < 0.35 for r in metrics.left_right_distance_correlation(
        rng.uniform(-0.6, 0.6, size=labels.shape), labels, skeleton, visible).values())  # unrelated poses
    still = metrics.left_right_distance_correlation(np.zeros_like(labels) + labels[:1], labels, skeleton)
    assert set(still.values()) == {0.0}                                           # one pose for every image
    hidden = visible.copy()
    hidden[:, skeleton.index("l_wrist")] = False
    assert np.isnan(metrics.left_right_distance_correlation(labels, labels, skeleton, hidden)["wrist"])
    other[~visible] = 5.0                                      # an unseen label may hold anything: ignored
    assert metrics.left_right_distance_correlation(other, np.where(visible[..., None], labels, 5.0), skeleton,
                                                   visible)["ankle"] > 0.999


def test_evaluator_scores_left_right_agnostic_error_per_image():
    import tensorflow as tf
    from keypoints_tf.data.training_data import TrainingData
    rng = np.random.default_rng(2)
    skeleton = get_skeleton("human17")
    labels = rng.uniform(-0.6, 0.6, size=(10, 17, 2)).astype(np.float32)
    found = labels.copy()
    found[1::2] = metrics.swap_left_right(labels[1::2], skeleton)   # sides swapped on every other image

    class Replay:  # reads each image's index from its first pixel
        def detect(self, images, training=False):
            index = tf.cast(tf.round((images[:, 0, 0, 0] + 1.0) * 127.5), tf.int32)
            return tf.gather(tf.constant(found), index)

    images = np.broadcast_to(np.arange(10, dtype=np.uint8)[:, None, None, None], (10, 8, 8, 3)).copy()
    data = TrainingData(skeleton=skeleton, videos=None, prior=labels, eval_images=images, eval_keypoints=labels,
                        eval_visible=np.ones((10, 17), bool))
    scores = evaluate.Evaluator(Replay(), data, smoke_config()).evaluate()
    assert scores["error"] > 1.0 and scores["error_left_right_agnostic"] < 1e-4
    assert "travel_sides_error" not in scores  # no direction of travel, no such score
    # Crops of tracked video carry their person's direction of travel: the sides it says are scored too.
    data.eval_approach_rates = np.linspace(-1.0, 1.0, 10)
    scores = evaluate.Evaluator(Replay(), data, smoke_config()).evaluate()
    expected = metrics.keypoint_metrics(sides.orient(found, data.eval_approach_rates, skeleton), labels, skeleton)
    assert scores["travel_sides_error"] == pytest.approx(expected["error"])
    assert scores["travel_sides_error"] != pytest.approx(scores["error"])


def test_configs_are_locked_and_smoke_is_one_helper():
    config = smoke_config()
    with pytest.raises(AttributeError, match="stpes"):
        config.train.stpes = 3  # a misspelt field is an error, not a new field
    config.train.steps = 3
    with pytest.raises(ValueError, match="unknown config argument 'tiny'"):
        load_config_file(os.path.join(os.path.dirname(os.path.dirname(__file__)), "configs", "synthetic.py:tiny"))
    faces = smoke_config("faces_300w")  # shrink_for_smoke, then the file's own smoke changes
    assert (faces.image_size, faces.data.max_frames, faces.data.max_eval_images) == (32, 64, 16)


def test_prepare_data_leaves_the_callers_config_alone(tmp_path):
    config = smoke_config()
    resolved, data = train.prepare_data(config, str(tmp_path))
    assert config.data.videos == "" and resolved.data.videos == os.path.join(str(tmp_path), "world", "videos")
    assert data.eval_images is not None


def test_config_files_load_with_their_argument_and_a_wrong_path_is_a_clear_error():
    assert smoke_config("supervised").method == "supervised" and smoke_config("supervised").image_size == 32
    with pytest.raises(ValueError, match=r"expected a \.py file"):
        load_config_file("configs/synthetic:smoke")


def _tiny_perceptual_loss(config):
    """The perceptual loss on a two-level convolutional feature net instead of VGG-19 (its running means
    and update count are what matters here, and they work the same on any features)."""
    import keras

    from keypoints_tf import build
    del config
    inputs = keras.Input((None, None, 3))
    first = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    second = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(first)
    return build.WeightedPerceptualLoss(features=keras.Model(inputs, [first, second]))


def test_a_resumed_perceptual_loss_run_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    """The perceptual loss normalises each level by a running mean; the checkpoint holds the means and
    their update count, so a run resumed in the GAN phase goes on exactly as the uninterrupted run (without
    the count, the first resumed step took one batch's means as the running means)."""
    import tensorflow as tf

    from keypoints_tf import build
    monkeypatch.setattr(build, "build_reconstruction_loss", _tiny_perceptual_loss)
    config = smoke_config()
    config.log.eval_every_steps = 100
    config.train.decay_to = 1.0  # a constant rate: the schedule does not depend on train.steps
    total = config.train.regressor_pretrain_steps + config.train.steps
    train.train_and_evaluate(config, str(tmp_path / "uninterrupted"))
    stopped = config.copy_and_resolve_references()
    stopped.train.steps -= 2  # stops after 2 GAN steps; the same workdir with all steps resumes there
    train.train_and_evaluate(stopped, str(tmp_path / "resumed"))
    train.train_and_evaluate(config, str(tmp_path / "resumed"))
    a = tf.train.load_checkpoint(str(tmp_path / "uninterrupted" / "checkpoints" / f"ckpt-{total}"))
    b = tf.train.load_checkpoint(str(tmp_path / "resumed" / "checkpoints" / f"ckpt-{total}"))
    names = sorted(a.get_variable_to_shape_map())
    assert sorted(b.get_variable_to_shape_map()) == names
    assert a.get_tensor("perceptual_num_updates/.ATTRIBUTES/VARIABLE_VALUE") == config.train.steps
    for name in names:
        if not name.startswith(("_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter")):
            np.testing.assert_allclose(b.get_tensor(name), a.get_tensor(name), rtol=1e-5, atol=1e-7, err_msg=name)
