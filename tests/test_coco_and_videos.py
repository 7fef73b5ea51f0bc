"""Bring-your-own data: hand-written COCO files and video folders load; each bad input has a clear error."""

import json
import os

import cv2
import numpy as np
import pytest

from keypoints_tf.data import coco, pipeline, videos
from keypoints_tf.data.letterbox import frame_to_input, input_to_frame, letterbox
from keypoints_tf.errors import DataError


def _coco(num_keypoints=3, keypoints=None, names=None, file_name=None, width=100, height=50):
    names = names or ["head", "l_hand", "r_hand"][:num_keypoints]
    keypoints = keypoints if keypoints is not None else [10, 20, 2, 30.5, 40, 2, 50, 10, 0][:3 * num_keypoints]
    image = {"id": 7, "width": width, "height": height}
    if file_name:
        image["file_name"] = file_name
    return {"images": [image], "categories": [{"id": 1, "name": "toy", "keypoints": names,
                                              "skeleton": [[1, 2], [1, 3]]}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "keypoints": keypoints}]}


def _write(tmp_path, data, name="a.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_hand_written_prior_loads(tmp_path):
    keypoint_set = coco.read_coco_keypoints(_write(tmp_path, _coco()))
    assert keypoint_set.skeleton.keypoint_names == ("head", "l_hand", "r_hand")
    assert keypoint_set.skeleton.flip_pairs == ((1, 2),)
    np.testing.assert_allclose(keypoint_set.keypoints_pixels[0, 1], [30.5, 40])
    assert keypoint_set.visible.tolist() == [[True, True, False]]
    # a 100 x 50 image letterboxed into 100 px: y shifts by 25; normalised = 2 u / S - 1
    np.testing.assert_allclose(keypoint_set.normalized(100)[0, 0], [2 * 10 / 100 - 1, 2 * 45 / 100 - 1], atol=1e-6)


def test_hand_written_eval_set_resolves_files_relative_to_the_json(tmp_path):
    os.makedirs(tmp_path / "imgs")
    cv2.imwrite(str(tmp_path / "imgs" / "x.png"), np.zeros((50, 100, 3), np.uint8))
    keypoint_set = coco.read_coco_keypoints(_write(tmp_path, _coco(file_name="imgs/x.png")), require_files=True)
    assert keypoint_set.file_names == [str(tmp_path / "imgs" / "x.png")]
    assert videos.load_labelled_images(keypoint_set.file_names, 32).shape == (1, 32, 32, 3)


@pytest.mark.parametrize("data, message", [
    ("{not json", "not valid JSON"),
    ({"foo": 1}, "not COCO keypoints"),
    (_coco(keypoints=[1, 2, 2] * 2), "expected 3 x 3 = 9"),
    (_coco(keypoints=[1, float("nan"), 2] * 3), "non-finite"),
    (_coco(file_name="missing.png"), "not found"),
    (_coco(width=0), "numbers from 1 to"),
    ({**_coco(), "images": [{"id": 7, "width": 100, "height": 50, "approach_rate": "fast"}]}, "approach_rate"),
])
def test_bad_coco_files(tmp_path, data, message):
    path = _write(tmp_path, data if isinstance(data, str) else json.dumps(data).replace("NaN", "NaN"))
    with pytest.raises(DataError, match=message) as error:
        coco.read_coco_keypoints(path, require_files=True)
    assert str(tmp_path) in str(error.value)


def test_non_utf8_and_missing_files(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(DataError, match="UTF-8"):
        coco.read_coco_keypoints(str(path))
    with pytest.raises(DataError, match="file not found"):
        coco.read_coco_keypoints(str(tmp_path / "nope.json"))


def test_coco_round_trip(tmp_path):
    from keypoints_tf.skeleton import get_skeleton
    skeleton = get_skeleton("human17")
    keypoints = np.random.default_rng(0).uniform(0, 64, (5, 17, 2))
    coco.write_coco_keypoints(str(tmp_path / "p.json"), skeleton, keypoints, (64, 48))
    back = coco.read_coco_keypoints(str(tmp_path / "p.json"), skeleton=skeleton)
    np.testing.assert_allclose(back.keypoints_pixels, keypoints, atol=1e-3)
    assert back.skeleton == skeleton and back.image_sizes.tolist() == [[64, 48]] * 5
    assert back.approach_rates is None  # nothing written: nothing read
    rates = np.array([0.3, -0.2, 0.0, 0.01234, -1.5])
    coco.write_coco_keypoints(str(tmp_path / "r.json"), skeleton, keypoints, (64, 48), approach_rates=rates)
    back = coco.read_coco_keypoints(str(tmp_path / "r.json"))
    np.testing.assert_allclose(back.approach_rates, rates, atol=1e-5)
    np.testing.assert_allclose(back.subset([4, 1]).approach_rates, rates[[4, 1]], atol=1e-5)


def _frames_folder(root, name, count, colour):
    os.makedirs(root / name, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(root / name / f"{i:03d}.png"), np.full((20, 30, 3), colour, np.uint8))


def test_video_folders_and_files(tmp_path):
    _frames_folder(tmp_path, "a", 3, 10)
    writer = cv2.VideoWriter(str(tmp_path / "b.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (30, 20))
    for _ in range(4):
        writer.write(np.full((20, 30, 3), 200, np.uint8))
    writer.release()
    collection = videos.read_videos(str(tmp_path), 16)
    assert collection.video_names == ["a", "b"]
    assert collection.video_lengths().tolist() == [3, 4] and collection.frames.shape == (7, 16, 16, 3)


@pytest.mark.parametrize("setup, message", [
    ("missing", "videos folder not found"),
    ("empty", "no videos found"),
    ("one_frame", "at least 2"),
    ("undecodable", "could not open|readable frame"),
    ("mostly_corrupt", "do not decode"),
])
def test_bad_videos(tmp_path, setup, message):
    folder = tmp_path / "videos"
    if setup != "missing":
        os.makedirs(folder)
    if setup == "one_frame":
        _frames_folder(folder, "a", 1, 0)
    if setup == "undecodable":
        (folder / "broken.mp4").write_bytes(b"\x00garbage" * 100)
    if setup == "mostly_corrupt":
        _frames_folder(folder, "a", 3, 0)
        for i in range(3, 6):
            (folder / "a" / f"{i:03d}.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=message) as error:
        videos.read_videos(str(folder), 16)
    assert str(folder) in str(error.value)


def test_a_few_corrupt_frames_are_skipped_and_counted(tmp_path):
    _frames_folder(tmp_path, "a", 20, 0)
    (tmp_path / "a" / "999.png").write_bytes(b"truncated")
    collection = videos.read_videos(str(tmp_path), 8)
    assert collection.skipped_frames == 1 and len(collection.frames) == 20


def test_letterbox_maps_points_exactly():
    image = np.zeros((30, 60, 3), np.uint8)
    image[10:12, 40:42] = 255  # a 2 x 2 block centred at pixel coords (41, 11)
    boxed = letterbox(image, 32)
    centre = frame_to_input(np.array([[41.0, 11.0]]), 60, 30, 32)[0]
    ys, xs = np.nonzero(boxed[..., 0] > 0)
    np.testing.assert_allclose(centre, [xs.mean() + 0.5, ys.mean() + 0.5], atol=0.51)
    np.testing.assert_allclose(input_to_frame(frame_to_input([[3.0, 4.0]], 60, 30, 32), 60, 30, 32), [[3, 4]])


def test_prior_and_eval_skeletons_must_match(tmp_path, tiny_data_config):
    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((50, 100, 3), np.uint8))
    tiny_data_config.eval = _write(tmp_path, _coco(file_name="x.png"))
    with pytest.raises(DataError, match="differs from the prior"):
        pipeline.load_training_data(tiny_data_config, 32)
