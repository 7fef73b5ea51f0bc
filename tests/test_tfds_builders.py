"""TFDS builders (keypoints_tf.data.tfds_builders), each built from a tiny fixture in its dataset's own format."""

import os

import cv2
import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from keypoints_tf.data.tfds_builders import faces300w, matlab, simple_human36m  # noqa: E402
from keypoints_tf.data.tfds_builders import voxceleb2_face_tracks as voxceleb  # noqa: E402
from keypoints_tf.errors import DataError  # noqa: E402


def _build(builder_class, manual_dir, data_dir, config=None):
    builder = builder_class(data_dir=str(data_dir), config=config)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
    return builder


def _examples(builder, split):
    return list(tfds.as_numpy(builder.as_dataset(split=split)))


# === MAT-files ===
@pytest.mark.parametrize("compress", [False, True])
def test_mat_round_trip(tmp_path, compress):
    keypoints = np.random.default_rng(0).random((32, 2))
    path = str(tmp_path / "a.mat")
    matlab.write_mat_v5(path, {"keypoints_2d": keypoints, "n": np.arange(3, dtype=np.uint8)}, compress=compress)
    arrays = matlab.read_mat_arrays(path)
    np.testing.assert_array_equal(arrays["keypoints_2d"], keypoints)
    np.testing.assert_array_equal(arrays["n"], [[0, 1, 2]])


def test_mat_rejects_other_files(tmp_path):
    path = tmp_path / "a.mat"
    path.write_bytes(b"not a mat file at all" * 10)
    with pytest.raises(DataError, match="not a MATLAB .mat file"):
        matlab.read_mat_arrays(str(path))


# === Simplified Human3.6M ===
def _write_h36m_frame(root, subject, sequence, frame, rng, compress):
    for folder in ("WithBackground", "BackgroudMask", "Landmarks"):
        os.makedirs(os.path.join(root, subject, folder, sequence), exist_ok=True)
    cv2.imwrite(os.path.join(root, subject, "WithBackground", sequence, f"{frame}.jpg"),
                rng.integers(0, 255, (128, 128, 3), dtype=np.uint8))
    mask = np.zeros((128, 128), np.uint8)
    mask[20:100, 40:90] = 1  # the release's masks multiply images as 0/1
    cv2.imwrite(os.path.join(root, subject, "BackgroudMask", sequence, f"{frame}.png"), mask)
    keypoints_2d = rng.uniform(0.1, 0.9, (32, 2))  # (row, column) / 128
    matlab.write_mat_v5(os.path.join(root, subject, "Landmarks", sequence, f"{frame}.mat"),
                        {"keypoints_2d": keypoints_2d}, compress=compress)
    return keypoints_2d


@pytest.fixture(scope="module")
def h36m_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("h36m") / "human_images")
    rng = np.random.default_rng(0)
    truth = {}
    for subject in simple_human36m.TRAIN_SUBJECTS + simple_human36m.TEST_SUBJECTS:
        for frame in (10, 2):  # unpadded names: numeric order 2, 10
            truth[(subject, "Directions 1.54138969", frame)] = _write_h36m_frame(
                root, subject, "Directions 1.54138969", frame, rng, compress=frame == 2)
    truth[("S11", "Walking.55011271", 0)] = _write_h36m_frame(root, "S11", "Walking.55011271", 0, rng, True)
    _write_h36m_frame(root, "S1", "WalkingDog.54138969", 0, rng, True)  # not one of the six activities
    return os.path.dirname(root), truth


def test_h36m_sequence_names():
    assert simple_human36m.parse_sequence_name("Directions 1.54138969") == ("directions", "54138969")
    assert simple_human36m.parse_sequence_name("Walking.55011271") == ("walking", "55011271")
    assert simple_human36m.parse_sequence_name("WalkingDog.54138969") is None
    assert simple_human36m.parse_sequence_name("Eating 2.54138969") is None


def test_h36m_build(h36m_dir, tmp_path):
    manual_dir, truth = h36m_dir
    builder = _build(simple_human36m.SimpleHuman36m, manual_dir, tmp_path)
    assert builder.info.splits["train"].num_examples == 12 and builder.info.splits["test"].num_examples == 3
    test = _examples(builder, "test")
    by_key = {(e["subject"].decode(), e["video_id"].decode().split("/")[1], int(e["frame_index"])): e for e in test}
    example = by_key[("S11", "Directions 1.54138969", 10)]
    assert example["image"].shape == (128, 128, 3) and example["mask"].shape == (128, 128, 1)
    assert set(np.unique(example["mask"])) == {0, 255}
    expected_32 = truth[("S11", "Directions 1.54138969", 10)][:, ::-1] * 128  # (x, y) pixels
    np.testing.assert_allclose(example["keypoints_32"], expected_32, rtol=1e-6)
    np.testing.assert_allclose(example["keypoints"], expected_32[list(simple_human36m.HUMAN17_FROM_32)], rtol=1e-6)
    assert (example["frame_position"], example["video_num_frames"]) == (1, 2)  # frame 10 comes after frame 2
    activity = builder.info.features["activity"]
    assert activity.int2str(example["activity"]) == "directions"
    assert activity.int2str(by_key[("S11", "Walking.55011271", 0)]["activity"]) == "walking"
    assert example["camera"] == b"54138969"


def test_h36m_missing_subject_is_an_error(tmp_path):
    rng = np.random.default_rng(0)
    _write_h36m_frame(str(tmp_path / "in"), "S1", "Posing.54138969", 0, rng, True)
    with pytest.raises(DataError, match=r"subject folder\(s\) \['S5'"):
        _build(simple_human36m.SimpleHuman36m, tmp_path / "in", tmp_path / "out")


# === 300-W ===
def _write_pts(path, points):
    lines = ["version: 1", "n_points:  68", "{"] + [f"{x:.3f} {y:.3f}" for x, y in points] + ["}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def w300_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("w300") / "300W"
    rng = np.random.default_rng(1)
    truth = {}
    for subset in faces300w.EXPECTED_COUNTS:
        folder = root / subset
        folder.mkdir(parents=True)
        extension = ".png" if subset.startswith("lfpw") else ".jpg"
        name = f"{subset.split('/')[0]}_001_1"
        points = rng.uniform(40, 90, (68, 2))
        image = np.full((120, 100, 3), 30, np.uint8)
        if subset == "ibug":
            image = image[:, :, 0]  # some 300-W images are greyscale
            x, y = np.round(points[30] - 1).astype(int)  # a bright dot under landmark 31 (1-based .pts pixels)
            image[y - 1:y + 2, x - 1:x + 2] = 255
        cv2.imwrite(str(folder / (name + extension)), image)
        _write_pts(folder / (name + ".pts"), points)
        truth[subset] = points
        if subset == "helen/trainset":  # mirrored copies of some redistributions are skipped
            cv2.imwrite(str(folder / (name + "_mirror.jpg")), image)
            _write_pts(folder / (name + "_mirror.pts"), points)
    return root.parent, truth


def test_read_pts_convention_and_errors(tmp_path):
    points = np.tile([[1.0, 1.0]], (68, 1))
    _write_pts(tmp_path / "a.pts", points)
    np.testing.assert_allclose(faces300w.read_pts(str(tmp_path / "a.pts")), 0.5)  # 1-based centre -> 0.5
    _write_pts(tmp_path / "b.pts", points[:5])
    with pytest.raises(DataError, match="n_points says 68 but 5 points follow"):
        faces300w.read_pts(str(tmp_path / "b.pts"))


def test_300w_build_original(w300_dir, tmp_path):
    manual_dir, truth = w300_dir
    builder = _build(faces300w.Faces300w, manual_dir, tmp_path, config="original")
    sizes = {split: info.num_examples for split, info in builder.info.splits.items()}
    assert sizes == {"train": 3, "common": 2, "challenging": 1, "full": 3}
    (example,) = _examples(builder, "challenging")
    assert example["image"].shape == (120, 100, 3)
    np.testing.assert_allclose(example["keypoints"], truth["ibug"] - 0.5, atol=1e-3)
    expected = np.linalg.norm(truth["ibug"][36] - truth["ibug"][45])
    np.testing.assert_allclose(example["interocular_distance"], expected, rtol=1e-4)
    assert example["subset"] == b"ibug"


def test_300w_build_crop(w300_dir, tmp_path):
    manual_dir, truth = w300_dir
    builder = _build(faces300w.Faces300w, manual_dir, tmp_path, config="crop128")
    (example,) = _examples(builder, "challenging")
    image, keypoints = example["image"], example["keypoints"]
    assert image.shape == (128, 128, 3)
    assert keypoints.min() >= 0 and keypoints.max() <= 128
    x, y = np.floor(keypoints[30]).astype(int)  # the dot drawn under landmark 31 lands under it in the crop
    assert image[y - 1:y + 2, x - 1:x + 2].max() > 150 and image[:10, :10].max() < 60


# === VoxCeleb2-style face tracks ===
def _write_video(path, frames):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, frames[0].shape[1::-1])
    if not writer.isOpened():
        pytest.skip("OpenCV cannot write mp4 here")
    for frame in frames:
        writer.write(frame)
    writer.release()


@pytest.fixture(scope="module")
def voxceleb_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("vox2")
    frames = [np.full((64, 64, 3), 20 * i, np.uint8) for i in range(6)]
    (root / "dev/mp4/id00012/_raAxpKDjWo").mkdir(parents=True)
    _write_video(root / "dev/mp4/id00012/_raAxpKDjWo/00001.mp4", frames)
    track = root / "dev/mp4/id00012/_raAxpKDjWo/00002"
    track.mkdir()
    for i, frame in enumerate(frames[:5]):
        cv2.imwrite(str(track / f"{i:04d}.jpg"), frame)
    (root / "test/mp4/id00017/01dfn2spqyE").mkdir(parents=True)
    _write_video(root / "test/mp4/id00017/01dfn2spqyE/00001.mp4", frames[:3])
    return root


def test_voxceleb_find_tracks(voxceleb_dir):
    tracks = voxceleb.find_tracks(str(voxceleb_dir))
    assert [(t[0], t[1], t[2], t[3]) for t in tracks] == [
        ("train", "id00012", "_raAxpKDjWo", "00001"), ("train", "id00012", "_raAxpKDjWo", "00002"),
        ("test", "id00017", "01dfn2spqyE", "00001")]


def test_voxceleb_build(voxceleb_dir, tmp_path):
    config = voxceleb.FaceTracksConfig(name="tiny", size=32, frame_step=2, max_frames=2)
    builder = _build(voxceleb.Voxceleb2FaceTracks, voxceleb_dir, tmp_path, config=config)
    assert builder.info.splits["train"].num_examples == 2 and builder.info.splits["test"].num_examples == 1
    examples = {e["track"].decode(): e for e in _examples(builder, "train")}
    video = examples["00002"]["video"]
    assert video.shape == (2, 32, 32, 3) and examples["00002"]["num_frames"] == 2
    np.testing.assert_allclose(video[:, 16, 16, 0], [0, 40], atol=6)  # frames 0 and 2 of the folder
    assert examples["00001"]["identity"] == b"id00012"


def test_voxceleb_empty_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no face tracks found"):
        _build(voxceleb.Voxceleb2FaceTracks, tmp_path, tmp_path / "out")
