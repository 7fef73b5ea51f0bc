"""TFDS datasets as training data (keypoints_tf.data.tfds_source), on tiny fixtures in each dataset's own format.

The fixtures are built with the helpers of tests/test_tfds_builders.py and prepared with the builders
(`download_and_prepare` from a manual folder); the data is then loaded through each config's `:smoke`.
"""

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from keypoints_tf import evaluate, train  # noqa: E402
from keypoints_tf.data import coco, tfds_source  # noqa: E402
from keypoints_tf.data.tfds_builders import faces300w, simple_human36m  # noqa: E402
from keypoints_tf.data.tfds_builders import voxceleb2_face_tracks as voxceleb  # noqa: E402
from keypoints_tf.errors import DataError  # noqa: E402
from keypoints_tf.skeleton import get_skeleton  # noqa: E402
from model_checks import smoke_config  # noqa: E402
from test_tfds_builders import _build, _write_h36m_frame, voxceleb_dir, w300_dir  # noqa: E402,F401

# (subject, sequence, number of frames); frame files are numbered 0 .. n-1 (unpadded, as in the release).
H36M_VIDEOS = ([(s, "Directions 1.54138969", 4) for s in simple_human36m.TRAIN_SUBJECTS]
               + [("S1", "Walking.55011271", 12)]
               + [("S11", "Directions 1.54138969", 2), ("S11", "Walking.55011271", 3), ("S11", "Posing.54138969", 1)])


def _smoke_config(name, data_dir, **data):
    config = smoke_config(name)
    config.data.tfds_data_dir = str(data_dir)
    config.data.update(data)
    return config


# === Simplified Human3.6M ===
@pytest.fixture(scope="module")
def h36m(tmp_path_factory):
    """A prepared fixture and the normalised human17 keypoints of every frame, by (video_id, position)."""
    manual_dir = tmp_path_factory.mktemp("h36m_in")
    rng = np.random.default_rng(0)
    truth = {}
    for subject, sequence, length in H36M_VIDEOS:
        for frame in range(length):
            keypoints_2d = _write_h36m_frame(str(manual_dir), subject, sequence, frame, rng, compress=False)
            pixels = keypoints_2d[:, ::-1] * 128  # (row, column) / 128 -> (x, y) pixels, as the builder stores
            truth[(f"{subject}/{sequence}", frame)] = pixels[list(simple_human36m.HUMAN17_FROM_32)] / 64.0 - 1.0
    data_dir = tmp_path_factory.mktemp("h36m_tfds")
    _build(simple_human36m.SimpleHuman36m, manual_dir, data_dir)
    return data_dir, truth


def _which_frame(pose, truth):
    """(video_id, position) of the fixture frame whose keypoints are `pose`."""
    matches = [key for key, keypoints in truth.items() if np.abs(keypoints - pose).max() < 1e-4]
    assert len(matches) == 1, matches
    return matches[0]


@pytest.fixture(scope="module")
def h36m_data(h36m):
    config = _smoke_config("simple_human36m", h36m[0])
    return tfds_source.load_tfds_training_data(config.data, config.image_size)


def test_h36m_frames_from_first_halves_prior_from_second_halves(h36m, h36m_data):
    data, truth = h36m_data, h36m[1]
    lengths = {f"{s}/{q}": n for s, q, n in H36M_VIDEOS}
    videos = data.videos
    assert videos.frames.shape == (6 * 2 + 6, 32, 32, 3) and videos.frames.dtype == np.uint8
    assert videos.masks.shape == (18, 32, 32, 1) and set(np.unique(videos.masks)) <= {0, 255}
    assert data.skeleton.name == "human17" and data.frame_keypoints.shape == (18, 17, 2)
    train_videos = sorted(f"{s}/{q}" for s, q, _ in H36M_VIDEOS if s != "S11")
    assert videos.video_names == train_videos
    # Frames: exactly the first halves, in order within each video (their labels identify them).
    frames = [_which_frame(pose, truth) for pose in data.frame_keypoints]
    assert frames == [(v, p) for v in train_videos for p in range(lengths[v] // 2)]
    assert list(videos.video_starts) == list(np.cumsum([0] + [lengths[v] // 2 for v in train_videos]))
    # Prior: exactly the second halves, so no prior pose belongs to a training frame.
    prior = [_which_frame(pose, truth) for pose in data.prior]
    assert prior == [(v, p) for v in train_videos for p in range(lengths[v] // 2, lengths[v])]
    assert not set(prior) & set(frames)
    # Masking blacks out the background (the fixture's masks cover rows 20-100, columns 40-90 of 128).
    assert videos.frames[:, :2].max() == 0 and data.eval_images[:, :2].max() == 0
    assert data.backgrounds is None


def test_h36m_evaluation_split_and_activity_groups(h36m, h36m_data):
    data, truth = h36m_data, h36m[1]
    assert data.eval_images.shape == (6, 32, 32, 3) and data.eval_keypoints.shape == (6, 17, 2)
    assert data.eval_visible.all()
    assert data.eval_group_names == list(simple_human36m.ACTIVITIES)
    evaluated = [_which_frame(pose, truth) for pose in data.eval_keypoints]
    assert all(video.startswith("S11/") for video, _ in evaluated)  # the test split is subject S11 only
    activities = [data.eval_group_names[g] for g in data.eval_groups]
    assert activities == [simple_human36m.parse_sequence_name(v.split("/")[1])[0] for v, _ in evaluated]
    assert sorted(set(activities)) == ["directions", "posing", "walking"]


def test_h36m_max_frames_keeps_whole_videos_with_a_frame_step(h36m, caplog):
    data_dir, truth = h36m
    config = _smoke_config("simple_human36m", data_dir, max_frames=4, max_eval_images=2)
    data = tfds_source.load_tfds_training_data(config.data, config.image_size)
    # 36 training frames, cap 4: step 5 leaves only S1 Walking (first half 0-5) with two frames, 0 and 5.
    assert data.videos.video_names == ["S1/Walking.55011271"]
    assert [_which_frame(pose, truth) for pose in data.frame_keypoints] == [("S1/Walking.55011271", 0),
                                                                             ("S1/Walking.55011271", 5)]
    assert len(data.prior) == 6 * 2 + 6  # the prior still holds every second half
    assert len(data.eval_images) == 2


def test_h36m_smoke_training_reports_per_activity_errors(h36m, tmp_path):
    data_dir, _ = h36m
    config = _smoke_config("simple_human36m", data_dir)
    result = train.train_and_evaluate(config, str(tmp_path / "run"))
    assert result["step"] == config.train.regressor_pretrain_steps + config.train.steps
    assert np.isfinite(result["error"]) and np.isfinite(result["error_group_mean"])
    assert set(result["error_per_group"]) == {"directions", "posing", "walking"}
    np.testing.assert_allclose(result["error_group_mean"], np.mean(list(result["error_per_group"].values())))
    assert "flip_fixed_error_group_mean" in result


def test_unprepared_dataset_names_the_build_command(tmp_path):
    config = _smoke_config("simple_human36m", tmp_path)
    with pytest.raises(DataError, match="python -m keypoints_tf.data.tfds_builders simple_human36m --manual_dir"):
        tfds_source.load_tfds_training_data(config.data, config.image_size)


# === Faces: VoxCeleb2-style tracks + a face68 prior file + 300-W ===
@pytest.fixture(scope="module")
def faces(tmp_path_factory, voxceleb_dir, w300_dir):
    data_dir = tmp_path_factory.mktemp("faces_tfds")
    _build(voxceleb.Voxceleb2FaceTracks, voxceleb_dir, data_dir)  # config "128"
    _build(faces300w.Faces300w, w300_dir[0], data_dir, config="crop128")
    prior_path = str(tmp_path_factory.mktemp("faces_prior") / "prior.json")
    keypoints = np.random.default_rng(2).uniform(30, 98, (10, 68, 2))
    coco.write_coco_keypoints(prior_path, get_skeleton("face68"), keypoints, (128, 128))
    return data_dir, prior_path, keypoints


def test_faces_tracks_prior_file_and_300w_groups(faces):
    data_dir, prior_path, prior_pixels = faces
    config = _smoke_config("faces_300w", data_dir, prior=prior_path)
    data = tfds_source.load_tfds_training_data(config.data, config.image_size)
    assert data.skeleton.name == "face68"
    assert data.videos.frames.shape == (6 + 5, 32, 32, 3) and data.videos.masks is None  # whole tracks
    assert sorted(data.videos.video_names) == ["id00012/_raAxpKDjWo/00001", "id00012/_raAxpKDjWo/00002"]
    assert data.backgrounds.shape == (2, 32, 32, 3) and data.frame_keypoints is None
    np.testing.assert_allclose(data.prior, prior_pixels / 64.0 - 1.0, atol=1e-4)  # written with 3 decimals
    assert data.eval_images.shape == (3, 32, 32, 3) and data.eval_keypoints.shape == (3, 68, 2)
    assert data.eval_group_names == ["challenging", "common"]
    assert sorted(data.eval_groups) == [0, 1, 1]  # ibug; helen and lfpw test sets


def test_faces_max_frames_spreads_frames_over_tracks(faces):
    data_dir, prior_path, _ = faces
    config = _smoke_config("faces_300w", data_dir, prior=prior_path, max_frames=6)
    data = tfds_source.load_tfds_training_data(config.data, config.image_size)
    assert list(data.videos.video_lengths()) == [3, 3]  # 6 frames, evenly spread over the 2 tracks


def test_faces_without_a_prior_file_is_a_clear_error(faces):
    data_dir, _, _ = faces
    config = _smoke_config("faces_300w", data_dir)
    with pytest.raises(DataError, match="config.data.prior is not set"):
        tfds_source.load_tfds_training_data(config.data, config.image_size)


# === Per-group metrics ===
def test_group_metrics_average_per_group_then_over_groups():
    skeleton = get_skeleton("face68")
    target = np.random.default_rng(3).uniform(-0.5, 0.5, (4, 68, 2))
    predicted = target.copy()
    predicted[0] += [0.08, 0.0]  # 4% of the image size off, only in image 0 (group 1, alone)
    out = evaluate.group_metrics(predicted, target, skeleton, None, np.array([1, 0, 0, 0]), ["a", "b"], prefix="p_")
    np.testing.assert_allclose([out["p_error_per_group"]["a"], out["p_error_per_group"]["b"]], [0.0, 4.0], atol=1e-9)
    np.testing.assert_allclose(out["p_error_group_mean"], 2.0)  # the per-image mean would be 1.0
    assert out["p_nme_interocular_per_group"]["a"] == 0.0 and out["p_nme_interocular_per_group"]["b"] > 0
