"""Left and right from the direction of travel (keypoints_tf.sides)."""

import numpy as np
import pytest

from keypoints_tf import sides
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import get_skeleton

HUMAN17 = get_skeleton("human17")


def _facing_camera_pose():
    """A human17 pose (normalised) of someone facing the camera: their left limbs on the image's right."""
    rng = np.random.default_rng(0)
    pose = rng.uniform(-0.05, 0.05, size=(HUMAN17.num_keypoints, 2))
    for k in HUMAN17.left_indices:
        pose[k, 0] += 0.2
    for k in HUMAN17.right_indices:
        pose[k, 0] -= 0.2
    return pose


def _walk(frames, fps, toward: bool):
    """(L, 3) crop squares of someone walking towards (down the image, growing) or away from the camera."""
    t = np.arange(frames) / fps
    side = 100 * (1 + (0.2 if toward else -0.2) * t)
    y0 = 50 + (40 if toward else -40) * t
    return np.stack([np.full(frames, 300.0), y0, side], axis=1)


def test_approach_rate_is_positive_towards_the_camera_negative_away_and_zero_at_the_start():
    for toward in (True, False):
        rates = sides.approach_rates(_walk(30, 10.0, toward), fps=10.0)
        assert rates[0] == 0.0
        assert np.all(rates[1:] > 0.2) if toward else np.all(rates[1:] < -0.2)
    standing = np.tile([[300.0, 50.0, 100.0]], (30, 1))
    assert np.all(sides.approach_rates(standing, fps=10.0) == 0.0)


def test_orient_swaps_only_the_sides_that_contradict_the_direction_of_travel():
    facing = _facing_camera_pose()
    away = facing[HUMAN17.flip_permutation]  # the same points labelled as someone seen from behind
    poses = np.stack([facing, away, facing, away, away])
    rates = np.array([0.5, 0.5, -0.5, -0.5, 0.01])  # the last one: too slow to decide
    oriented = sides.orient(poses, rates, HUMAN17)
    np.testing.assert_array_equal(oriented[0], facing)   # approaching, already facing the camera
    np.testing.assert_array_equal(oriented[1], facing)   # approaching, sides swapped back
    np.testing.assert_array_equal(oriented[2], away)     # walking away: left on the image's left
    np.testing.assert_array_equal(oriented[3], away)
    np.testing.assert_array_equal(oriented[4], away)     # undecided: left as detected
    # Relabelled, never moved: every image keeps the same set of points.
    np.testing.assert_array_equal(np.sort(oriented.reshape(5, -1), axis=1), np.sort(poses.reshape(5, -1), axis=1))


def test_the_streaming_form_matches_the_track_form_and_resets():
    fps = 10.0
    squares = np.concatenate([_walk(15, fps, toward=True), _walk(15, fps, toward=False)])
    rng = np.random.default_rng(1)
    poses = np.stack([_facing_camera_pose()[HUMAN17.flip_permutation] if flip else _facing_camera_pose()
                      for flip in rng.random(30) < 0.5])
    expected = sides.orient(poses, sides.approach_rates(squares, fps), HUMAN17)
    confidence = np.linspace(0.1, 0.9, HUMAN17.num_keypoints)
    stream = sides.TravelSides(HUMAN17)
    streamed = [stream(p, confidence, i / fps, box=s) for i, (p, s) in enumerate(zip(poses, squares))]
    np.testing.assert_allclose(np.stack([keypoints for keypoints, _ in streamed]), expected)
    for (keypoints, moved), pose in zip(streamed, poses):  # a confidence moves with its keypoint
        swapped = not np.array_equal(keypoints, pose)
        np.testing.assert_array_equal(moved, confidence[HUMAN17.flip_permutation] if swapped else confidence)
    assert any(not np.array_equal(k, p) for (k, _), p in zip(streamed, poses))
    stream.reset()
    kept, _ = stream(poses[20], confidence, 2.0, box=squares[20])
    np.testing.assert_array_equal(kept, poses[20])  # no history: as detected


def test_a_skeleton_without_a_torso_is_refused_in_one_line():
    with pytest.raises(DataError, match="shoulder or hip"):
        sides.TravelSides(get_skeleton("face68"))


class _BrightBlobDetector:
    """A stand-in detector: a person-sized pose centred on the frame's bright pixels, its left limbs always on
    the image's left (as if seen from behind)."""

    skeleton, source = HUMAN17, "blob"

    def detect(self, image):
        from keypoints_tf.detection import Detection
        ys, xs = np.nonzero(image[..., 0] > 128)
        centre, height = np.array([xs.mean(), ys.mean()]), float(np.ptp(ys) + 1)
        pose = centre + _facing_camera_pose()[HUMAN17.flip_permutation] * height
        confidence = np.ones(HUMAN17.num_keypoints, np.float32)
        return Detection(pose.astype(np.float32), confidence, pose.astype(np.float32))


def _walking_video(path, frames=12, fps=10.0):
    """Someone (a bright bar) walking down the image and growing: towards the camera."""
    import cv2
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (96, 96))
    for i in range(frames):
        frame = np.zeros((96, 96, 3), np.uint8)
        cv2.rectangle(frame, (40, 5 + 3 * i), (52, 40 + 4 * i), (255, 255, 255), -1)
        writer.write(frame)
    writer.release()


@pytest.mark.parametrize("choice", ["detected", "travel"])
def test_detect_on_a_video_takes_its_sides_from_the_walk_when_asked(tmp_path, choice):
    import json

    from keypoints_tf import detect
    _walking_video(tmp_path / "walk.mp4")
    detect.run(_BrightBlobDetector(), str(tmp_path / "walk.mp4"), str(tmp_path / "out.mp4"),
               str(tmp_path / "walk.json"), progress=False, sides=choice)
    keypoints = np.array([a["keypoints"] for a in json.load(open(tmp_path / "walk.json"))["annotations"]])
    keypoints = keypoints.reshape(len(keypoints), -1, 3)[..., :2]
    (ls, rs), = [(a, b) for a, b in sides.torso_pairs(HUMAN17) if "shoulder" in HUMAN17.keypoint_names[a]]
    left_right_of_right = keypoints[1:, ls, 0] > keypoints[1:, rs, 0]  # frame 0 has no walk yet
    # Walking towards the camera, the person faces it: their left shoulder on the image's right.
    assert left_right_of_right.all() if choice == "travel" else not left_right_of_right.any()


def test_sides_from_travel_on_a_still_image_is_refused_before_anything_is_written(tmp_path):
    import cv2

    from keypoints_tf import detect
    cv2.imwrite(str(tmp_path / "still.png"), np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(DataError, match="need a video"):
        detect.run(_BrightBlobDetector(), str(tmp_path / "still.png"), str(tmp_path / "out.png"), sides="travel")
    assert not (tmp_path / "out.png").exists()
