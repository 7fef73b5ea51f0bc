"""The person-centred crop (`keypoints_tf.crop_region`): the rule, its golden file (shared with the Android
core's CropTrackerTest) and the tracking detector (with a stand-in detector: no model needed)."""

import json
import os
import sys

import numpy as np
import pytest

from keypoints_tf import crop_region
from keypoints_tf.crop_region import (CropRegion, CropSettings, CropTracker, TrackingDetector, calibrate,
                                      target_region)
from keypoints_tf.inference import Detection
from keypoints_tf.skeleton import get_skeleton

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pose(x0, y0, x1, y1, k=17):
    """K keypoints spread over the box (x0, y0)-(x1, y1), corners included."""
    t = np.linspace(0.0, 1.0, k)
    return np.stack([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t[::-1] ** 2], axis=1)


def test_the_region_is_an_expanded_square_around_the_visible_keypoints():
    i = np.arange(17.0)
    keypoints = np.stack([100 + 10 * i, 50 + 25 * i], axis=1)   # medians (180, 250); median deviations 40, 100
    region = target_region(keypoints, np.ones(17), 640, 480)
    assert (region.center_x, region.center_y, region.side) == (180.0, 250.0, 2.7 * 200.0)
    assert region.square() == (-90, -20, 540)           # x0 = floor(180 - 270 + 0.5)
    moved = target_region(keypoints, np.ones(17), 640, 480, CropSettings(expand=2.0, offset_x=0.1, offset_y=-0.2))
    assert (moved.center_x, moved.center_y, moved.side) == (200.0, 210.0, 400.0)


def test_a_few_far_off_keypoints_barely_move_the_region():
    keypoints = _pose(100, 50, 180, 300)
    clean = target_region(keypoints, np.ones(17), 640, 480)
    keypoints[[0, 7, 16]] = [[5000.0, -4000.0], [-3000.0, 9000.0], [600.0, 470.0]]
    noisy = target_region(keypoints, np.ones(17), 640, 480)
    assert abs(noisy.center_x - clean.center_x) < 10 and abs(noisy.center_y - clean.center_y) < 25
    assert noisy.side == pytest.approx(clean.side, rel=0.2)


def test_too_few_visible_keypoints_lose_the_region():
    settings = CropSettings()
    assert settings.min_visible(17) == 5 and settings.min_visible(4) == 2
    confidence = np.full(17, 0.1)
    confidence[:4] = 0.9
    assert target_region(_pose(0, 0, 100, 100), confidence, 640, 480) is None
    confidence[4] = settings.threshold                   # at the threshold counts as visible
    assert target_region(_pose(0, 0, 100, 100), confidence, 640, 480) is not None
    assert target_region(np.full((17, 2), np.nan), np.ones(17), 640, 480) is None


def test_the_side_and_the_centre_are_clamped_to_the_frame():
    tiny = target_region(_pose(300, 200, 302, 203), np.ones(17), 640, 480)
    assert tiny.side == pytest.approx(0.1 * 640)
    huge = target_region(_pose(-500, -500, 900, 900), np.ones(17), 640, 480)
    assert huge.side == 640.0 and (huge.center_x, huge.center_y) == (200.0, 0.0)
    outside = target_region(_pose(-300, 500, -200, 700), np.ones(17), 640, 480)
    assert (outside.center_x, outside.center_y) == (0.0, 480.0)


def test_calibration_makes_a_training_frame_its_own_crop():
    rng = np.random.default_rng(0)
    i = np.arange(17.0)
    figure = np.stack([20 + i, 6 + 3 * i], axis=1)           # a figure in a 64 px training frame, off centre
    keypoints = figure + rng.normal(0, 0.2, (200, 17, 2))
    confidence = np.full((200, 17), 0.8)
    confidence[:, :5] = 0.04                                 # five keypoints below the lowest threshold
    crop = calibrate(keypoints, confidence, 64)
    assert crop["frames"] == 200 and crop["threshold"] == 0.05
    settings = CropSettings.from_contract({"crop": crop})
    region = target_region(figure, confidence[0], 64, 64, settings)
    assert (region.center_x, region.center_y, region.side) == pytest.approx((32, 32, 64), abs=0.5)
    assert calibrate(keypoints, np.zeros((200, 17)), 64) is None   # nothing confident: the defaults apply
    assert CropSettings.from_contract({}) == CropSettings()


def test_the_tracker_smooths_and_starts_over_when_lost_or_the_frame_changes():
    tracker = CropTracker()
    assert tracker.region(640, 480) is None
    first = tracker.update(_pose(100, 100, 200, 300), np.ones(17), 640, 480)
    assert tracker.region(640, 480) == first and tracker.region(480, 640) is None
    second = tracker.update(_pose(300, 100, 400, 300), np.ones(17), 640, 480)
    assert second.center_x == pytest.approx(0.5 * 150 + 0.5 * 350)  # smoothing 0.5
    assert tracker.update(_pose(0, 0, 1, 1), np.zeros(17), 640, 480) is None
    third = tracker.update(_pose(300, 100, 400, 300), np.ones(17), 640, 480)
    assert third.center_x == 350.0  # no memory of the region before it was lost
    tracker.start(CropRegion.from_square(10, 20, 100), 768, 576)
    assert tracker.region(768, 576).square() == (10, 20, 100)


def test_the_golden_crop_file_replays_through_the_rule(tmp_path):
    sys.path.insert(0, REPO)
    from export import write_golden
    written = write_golden.write_crop_golden(str(tmp_path))
    golden = json.load(open(tmp_path / "golden_crop.json"))
    assert golden == json.loads(json.dumps(written))
    assert golden["default_settings"] == {"threshold": 0.3, "min_visible_fraction": 0.25, "expand": 2.7,
                                          "offset_x": 0.0, "offset_y": 0.0, "min_side_fraction": 0.1,
                                          "smoothing": 0.5}
    lost = 0
    for sequence in golden["sequences"]:
        tracker = CropTracker(CropSettings(**sequence["settings"]))
        width, height = sequence["width"], sequence["height"]
        for frame in sequence["frames"]:
            region = tracker.region(width, height)
            expected = frame["region"]
            assert (region is None) == (expected is None)
            if region is not None:
                assert [region.center_x, region.center_y, region.side] == expected
                assert list(region.square()) == frame["square"]
            lost += region is None
            tracker.update(np.asarray(frame["keypoints"]), np.asarray(frame["confidence"]), width, height)
    assert lost == 2 * 5  # per sequence: the first frame, after frames 10-12 (three), after frame 20


class _FixedPose:
    """A stand-in detector: the same pose at fixed fractions of whatever image it is given."""

    def __init__(self, confidence=1.0):
        self.skeleton, self.source, self.contract, self.input_size = get_skeleton("human17"), "fixed", {}, 32
        self.confidence, self.seen = confidence, []

    def detect(self, image):
        height, width = image.shape[:2]
        self.seen.append(image)
        keypoints = (_pose(0.4, 0.2, 0.6, 0.8) * [width, height]).astype(np.float32)
        return Detection(keypoints, np.full(17, self.confidence, np.float32), keypoints)


def test_the_tracking_detector_detects_in_the_crop_and_maps_back_to_the_frame():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[100:300, 250:350] = 200
    stand_in = _FixedPose()
    detector = TrackingDetector(stand_in)
    first = detector.detect(frame)
    assert first.square is None and stand_in.seen[-1].shape == (480, 640, 3)
    second = detector.detect(frame)
    x0, y0, side = second.square
    assert stand_in.seen[-1].shape == (side, side, 3)
    assert np.array_equal(stand_in.seen[-1], crop_region.cut_square(frame, x0, y0, side))
    np.testing.assert_allclose(second.keypoints, _pose(0.4, 0.2, 0.6, 0.8) * side + [x0, y0], atol=1e-3)
    detector.reset()
    assert detector.detect(frame).square is None


def test_the_overlay_says_when_the_whole_frame_was_used():
    frame = np.zeros((120, 160, 3), np.uint8)
    lost = TrackingDetector(_FixedPose(confidence=0.1))
    canvas = crop_region.draw_status(frame.copy(), lost.detect(frame))
    assert canvas[:20, :100].max() > 200                      # the white note in the corner
    tracked = TrackingDetector(_FixedPose())
    tracked.detect(frame)
    detection = tracked.detect(frame)
    canvas = crop_region.draw_status(frame.copy(), detection)
    x0, y0, side = detection.square
    assert canvas[max(y0, 0) + 5, max(x0, 0)].tolist() == [160, 160, 160]   # the grey outline
    plain = Detection(np.zeros((17, 2), np.float32), np.ones(17, np.float32), np.zeros((17, 2), np.float32))
    assert crop_region.draw_status(frame.copy(), plain).max() == 0
