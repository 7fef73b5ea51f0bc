"""Raw video -> object-centred clips (keypoints_tf.data.tracks)."""

import json
import os

import numpy as np
import pytest

from keypoints_tf.data import tracks
from keypoints_tf.data.videos import read_videos
from keypoints_tf.errors import DataError

REAL_DATA = os.environ.get("KEYPOINTS_REAL_DATA") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data", "real")
SETTINGS = tracks.TrackerSettings(stride=1, max_gap=3, min_hits=2)


def _box(x, y, w=40.0, h=80.0, score=2.0):
    return np.array([[x, y, w, h, score]])


def test_non_max_suppression_overlap_and_containment():
    boxes = np.array([[0, 0, 40, 80], [2, 2, 40, 80], [10, 10, 16, 32], [100, 0, 40, 80]], float)
    scores = np.array([1.0, 2.0, 0.5, 0.3])
    keep = tracks.non_max_suppression(boxes, scores, iou_threshold=0.4, containment_threshold=0.7)
    assert list(keep) == [1, 3]  # 0 overlaps 1; 2 lies inside 1; 3 is elsewhere


def test_link_two_walkers_with_a_gap():
    detections = {}
    for frame in range(12):
        boxes = [_box(10 + 5 * frame, 20)]  # walks right
        if frame not in (5, 6):  # missed twice: the track bridges the gap
            boxes.append(_box(300 - 5 * frame, 30))  # walks left
        if frame == 3:
            boxes.append(_box(200, 200, score=0.5))  # weak one-off: starts no track
        detections[frame] = np.concatenate(boxes)
    linked = tracks.link_detections(detections, SETTINGS)
    assert sorted(len(t.frames) for t in linked) == [10, 12]
    walker = next(t for t in linked if len(t.frames) == 10)
    frames, centres, heights = tracks.smooth_track(walker, SETTINGS)
    assert list(frames) == list(range(12))  # the gap is filled
    np.testing.assert_allclose(centres[:, 0], 320 - 5 * frames, atol=1e-6)  # steady motion stays steady to the ends
    np.testing.assert_allclose(heights, 80.0)


def test_a_track_ends_after_max_gap():
    detections = {f: _box(10, 10) for f in range(5)}
    detections.update({f: np.zeros((0, 5)) for f in range(5, 10)})
    detections.update({f: _box(10, 10) for f in range(10, 14)})
    assert [len(t.frames) for t in tracks.link_detections(detections, SETTINGS)] == [5, 4]


def test_crop_square_pads_with_zeros_and_keeps_content():
    frame = np.zeros((40, 60, 3), np.uint8)
    frame[:, :, 0] = np.arange(60)[None, :]  # column index in channel 0
    frame[:, :, 1] = 200
    crop = tracks.crop_square(frame, (-10, 0, 20), 20)  # half outside the left edge, same size: no resampling
    assert crop.shape == (20, 20, 3)
    assert (crop[:, :10] == 0).all()
    np.testing.assert_array_equal(crop[5, 10:, 0], np.arange(10))
    squares = tracks.crop_squares(np.array([[30.0, 20.0]]), np.array([20.0]), margin=0.5)
    np.testing.assert_array_equal(squares, [[15, 5, 30]])


def test_missing_video_is_an_error(tmp_path):
    with pytest.raises(DataError, match="video file not found"):
        tracks.extract_tracks(str(tmp_path / "none.avi"), str(tmp_path / "out"))
    with pytest.raises(DataError, match="min_length must be >= 2"):
        tracks.extract_tracks(str(tmp_path / "none.avi"), str(tmp_path / "out"), min_length=1)


def test_vtest_first_frames(tmp_path):
    """The real pedestrian video, first 24 frames only (the full-video check is in the issue's report)."""
    video = os.path.join(REAL_DATA, "vtest.avi")
    if not os.path.isfile(video):
        pytest.skip(f"real data not found at {video} (set KEYPOINTS_REAL_DATA)")
    out = tmp_path / "clips"
    summary = tracks.main(["--video", video, "--out", str(out), "--max-frames", "24", "--stride", "3",
                           "--min-length", "10", "--size", "64"])
    assert summary["num_frames"] == 24 and len(summary["tracks"]) >= 1
    with open(out / "tracks.json") as f:
        assert json.load(f)["tracks"][0]["name"] == "track_000"
    collection = read_videos(str(out), image_size=64)  # the bring-your-own format reads it back
    assert collection.num_videos == len(summary["tracks"])
    assert list(collection.video_lengths()) == [t["num_frames"] for t in summary["tracks"]]
    assert collection.frames.std() > 10  # real image content, not padding


def test_given_squares_are_cropped_with_masks_and_an_existing_out_is_kept(tmp_path):
    """`--squares`: crops and masks of given tracks, no detection; a second run refuses to replace --out."""
    import cv2
    from keypoints_tf.errors import OutputError
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 256, (60, 120, 3)).astype(np.uint8)
    scene = cv2.resize(cv2.resize(scene, (30, 15), interpolation=cv2.INTER_AREA), (120, 60))  # coarse clutter
    video = str(tmp_path / "walk.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 10, (120, 60))
    for t in range(20):
        frame = scene.copy()
        cv2.rectangle(frame, (10 + 4 * t, 15), (22 + 4 * t, 50), (255, 0, 255), -1)  # the walker
        writer.write(frame)
    writer.release()
    squares = {"tracks": [{"name": "walker", "first_frame": 2,
                           "squares": [[4 * t - 4, 5, 50] for t in range(2, 18)]}]}
    (tmp_path / "squares.json").write_text(json.dumps(squares))
    out = tmp_path / "clips"
    args = ["--video", video, "--out", str(out), "--squares", str(tmp_path / "squares.json"), "--size", "32"]
    summary = tracks.main(args)
    assert summary["masks"] is not None and summary["tracks"][0]["num_frames"] == 16
    collection = read_videos(str(out), 32, masks_folder=str(out / "masks"))
    assert collection.num_videos == 1 and collection.masks is not None
    mask = collection.masks[0, ..., 0]  # the walker: the centre column of the crop is foreground
    assert mask[8:28, 14:18].mean() > 200 and mask[:, :4].max() == 0
    with pytest.raises(OutputError, match="already exists"):
        tracks.main(args)
    assert tracks.main(args + ["--overwrite"])["tracks"][0]["name"] == "walker"
    (tmp_path / "bad.json").write_text(json.dumps({"tracks": [{"first_frame": 0, "squares": [[0, 0]]}]}))
    with pytest.raises(DataError, match="not a squares file"):
        tracks.main(["--video", video, "--out", str(tmp_path / "x"), "--squares", str(tmp_path / "bad.json")])
    late = {"tracks": [{"first_frame": 15, "squares": [[0, 0, 20]] * 10}]}
    (tmp_path / "late.json").write_text(json.dumps(late))
    with pytest.raises(DataError, match="has 20 frames"):
        tracks.main(["--video", video, "--out", str(tmp_path / "y"), "--squares", str(tmp_path / "late.json")])
    assert not os.path.exists(tmp_path / "y")  # a failed run leaves nothing under the name
