"""The synthetic world and the tf.data pipeline."""

import json
import os

import numpy as np
import pytest

from keypoints_tf.data import pipeline, synthetic, videos


def test_world_reads_back_through_the_loaders(tiny_world, tiny_data_config):
    out, summary = tiny_world
    data = pipeline.load_training_data(tiny_data_config, 32)
    assert data.videos.num_videos == 6 and data.videos.frames.shape == (24, 32, 32, 3)
    assert data.videos.masks.shape == (24, 32, 32, 1) and data.videos.masks.max() == 255
    assert data.prior.shape == (40, 17, 2) and data.eval_images.shape == (8, 32, 32, 3)
    assert data.frame_keypoints.shape == (24, 17, 2)
    # the figure is where its labels say: most keypoints fall on the foreground mask
    pixels = ((data.frame_keypoints + 1) * 16).astype(int).clip(0, 31)
    on_figure = [data.videos.masks[i, y, x, 0] > 0 for i in range(24) for x, y in pixels[i]]
    assert np.mean(on_figure) > 0.9
    assert json.load(open(os.path.join(out, "summary.json")))["train_frames"] == 24


def test_world_is_deterministic_by_seed(tmp_path):
    config = synthetic.WorldConfig(size=32, videos=2, frames=3, prior=5, eval=2, seed=11)
    a, b = synthetic.write_world(str(tmp_path / "a"), config), synthetic.write_world(str(tmp_path / "b"), config)
    assert a == b
    frames_a = videos.read_videos(str(tmp_path / "a" / "videos"), 32).frames
    frames_b = videos.read_videos(str(tmp_path / "b" / "videos"), 32).frames
    np.testing.assert_array_equal(frames_a, frames_b)
    other = synthetic.write_world(str(tmp_path / "c"), synthetic.WorldConfig(size=32, videos=2, frames=3, prior=5,
                                                                             eval=2, seed=12))
    assert other["mean_pose_error_percent"] != a["mean_pose_error_percent"]


def test_pose_variety_makes_the_mean_pose_far_from_right():
    rng = np.random.default_rng(0)
    poses = synthetic.sample_prior(rng, 400, 64)
    others = synthetic.sample_prior(rng, 400, 64)
    assert synthetic.mean_pose_error(poses, others, 64) > 8.0  # % of the image size


def test_motion_is_smooth_within_a_video():
    rng = np.random.default_rng(0)
    frames, masks, keypoints = next(synthetic.generate_videos(rng, 1, 16, 64))
    steps = np.linalg.norm(np.diff(keypoints, axis=0), axis=-1).mean()
    spread = np.linalg.norm(keypoints - keypoints.mean(0), axis=-1).mean()
    assert 0.1 < steps < 4.0 and spread > steps  # pixels per frame: moving, but smoothly


def test_pairs_shapes_ranges_and_one_video_per_pair(tiny_data_config):
    data = pipeline.load_training_data(tiny_data_config, 32)
    # paint every video a distinct flat colour: both frames of a pair must share it
    for v, (start, end) in enumerate(zip(data.videos.video_starts[:-1], data.videos.video_starts[1:])):
        data.videos.frames[start:end] = 10 + 40 * v
    sampler = pipeline.PairSampler(data, batch_size=8, seed=1, flip=True, prior_flip=True, with_labels=True)
    batch = next(iter(pipeline.training_dataset(sampler)))
    assert batch["image"].shape == (8, 32, 32, 3) and batch["foreground"].shape == (8, 32, 32, 1)
    assert batch["prior_keypoints"].shape == (8, 17, 2) and batch["keypoints"].shape == (8, 17, 2)
    for key in ("image", "appearance"):
        assert -1.0 <= float(np.min(batch[key])) and float(np.max(batch[key])) <= 1.0
    assert 0.0 <= float(np.min(batch["foreground"])) and float(np.max(batch["foreground"])) <= 1.0
    np.testing.assert_array_equal(batch["image"].numpy()[:, 0, 0], batch["appearance"].numpy()[:, 0, 0])


def test_batches_depend_only_on_seed_and_step(tiny_data_config):
    data = pipeline.load_training_data(tiny_data_config, 32)
    sampler = pipeline.PairSampler(data, batch_size=4, seed=5, flip=True, prior_flip=True)
    from_start = list(pipeline.training_dataset(sampler, start_step=0, num_steps=3))
    resumed = list(pipeline.training_dataset(sampler, start_step=2, num_steps=1))
    np.testing.assert_array_equal(from_start[2]["image"], resumed[0]["image"])
    np.testing.assert_array_equal(from_start[2]["prior_keypoints"], resumed[0]["prior_keypoints"])
    assert not np.array_equal(from_start[0]["image"], from_start[1]["image"])


def test_pairs_come_from_different_frames(tiny_data_config):
    data = pipeline.load_training_data(tiny_data_config, 32)
    sampler = pipeline.PairSampler(data, batch_size=64, seed=0, min_gap=1)
    rng_batch = sampler.batch(0)
    assert np.mean([not np.array_equal(a, b) for a, b in zip(rng_batch["image"], rng_batch["appearance"])]) > 0.9


def test_prior_subset_is_fixed_by_seed(tiny_data_config):
    tiny_data_config.prior_size = 10
    a = pipeline.load_training_data(tiny_data_config, 32).prior
    b = pipeline.load_training_data(tiny_data_config, 32).prior
    assert a.shape == (10, 17, 2)
    np.testing.assert_array_equal(a, b)
    tiny_data_config.prior_size = 1000
    with pytest.raises(Exception, match="prior_size=1000"):
        pipeline.load_training_data(tiny_data_config, 32)


def test_median_background_removes_a_moving_object():
    frames = np.zeros((5, 8, 8, 3), np.uint8)
    for t in range(5):
        frames[t, t, t] = 255
    collection = videos.VideoCollection(frames=frames, video_starts=np.array([0, 5]), video_names=["v"])
    assert pipeline.median_backgrounds(collection).max() == 0
