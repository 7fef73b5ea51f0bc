"""Pseudo labels for real footage (keypoints_tf.data.pseudo_labels) and the baselines reported beside them."""

import json
import os

import numpy as np
import pytest

from keypoints_tf import sides
from keypoints_tf.data import coco, pseudo_labels, tracks
from keypoints_tf.skeleton import get_skeleton

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data")
REAL_DATA = os.environ.get("KEYPOINTS_REAL_DATA") or os.path.join(SHARED, "real")
BLAZEPOSE = os.path.join(SHARED, "reference_models", "pose_landmark_full.tflite")


def test_blazepose_landmarks_map_to_human17():
    landmarks = np.arange(66, dtype=np.float64).reshape(33, 2) * 3.0   # distinct points
    visibility = np.ones(33)
    visibility[15] = 0.1                                               # BlazePose's left wrist unsure
    keypoints, visible = pseudo_labels.to_human17(landmarks, visibility)
    names = get_skeleton("human17").keypoint_names
    at = {name: keypoints[i] for i, name in enumerate(names)}
    np.testing.assert_allclose(at["pelvis"], (landmarks[23] + landmarks[24]) / 2)
    np.testing.assert_allclose(at["neck"], (landmarks[11] + landmarks[12]) / 2)
    np.testing.assert_allclose(at["l_wrist"], landmarks[15])          # odd = the subject's left
    np.testing.assert_allclose(at["r_toes"], landmarks[32])
    ears = (landmarks[7] + landmarks[8]) / 2
    np.testing.assert_allclose(at["head_back"], ears + pseudo_labels.HEAD_ABOVE_EARS * (ears - at["neck"]))
    assert not visible[names.index("l_wrist")] and visible.sum() == 16


def test_oracle_mean_pose_is_the_labels_own_mean():
    from keypoints_tf import metrics
    skeleton = get_skeleton("human17")
    rng = np.random.default_rng(0)
    labels = rng.uniform(-0.5, 0.5, (20, 17, 2))
    prior = labels + 0.3                                                # a prior shifted away from the labels
    oracle = metrics.mean_pose_metrics(labels, labels, skeleton)["error"]
    expected = 100 * np.mean(np.linalg.norm(labels - labels.mean(0), axis=-1).mean(1) / 2)
    assert oracle == pytest.approx(expected)
    assert metrics.mean_pose_metrics(prior, labels, skeleton)["error"] > oracle


def test_labelling_a_real_track_writes_a_pseudo_coco_set(tmp_path):
    video = os.path.join(REAL_DATA, "vtest.avi")
    if not (os.path.isfile(video) and os.path.isfile(BLAZEPOSE)):
        pytest.skip(f"needs {video} and {BLAZEPOSE} (../shared/data; set KEYPOINTS_REAL_DATA for the video)")
    clips = tmp_path / "clips"
    summary = tracks.main(["--video", video, "--out", str(clips), "--max-frames", "24", "--stride", "3",
                           "--min-length", "10", "--size", "64"])
    name = summary["tracks"][0]["name"]
    result = pseudo_labels.main(["--clips", str(clips), "--tracks", name, "--out", str(tmp_path / "dev"),
                                 "--model", BLAZEPOSE])
    assert result["crops_kept"] >= 5 and result["masks"]
    labels = coco.read_coco_keypoints(str(tmp_path / "dev" / "annotations.json"), require_files=True)
    assert labels.pseudo_labels and labels.skeleton.name == "human17"
    assert json.load(open(tmp_path / "dev" / "annotations.json"))["info"]["description"].startswith("PSEUDO")
    # A walker, upright in the crop: head above neck above pelvis above ankles, all inside the 64 px crop.
    at = {n: labels.keypoints_pixels[:, i] for i, n in enumerate(labels.skeleton.keypoint_names)}
    assert np.all(at["head_back"][:, 1] < at["neck"][:, 1]) and np.all(at["neck"][:, 1] < at["pelvis"][:, 1])
    assert np.all(at["pelvis"][:, 1] < at["l_ankle"][:, 1])
    assert np.all((labels.keypoints_pixels > -8) & (labels.keypoints_pixels < 72))
    assert os.path.isfile(tmp_path / "dev" / "masks" / os.path.basename(labels.file_names[0]))
    # Each crop carries its track's direction of travel at that crop, from the crop squares alone.
    numbers = [int(os.path.splitext(f)[0].rsplit("_", 1)[1]) for f in labels.file_names]
    written = json.load(open(clips / "tracks.json"))
    rates = sides.approach_rates(written["tracks"][0]["squares"], written["fps"])
    np.testing.assert_allclose(labels.approach_rates, rates[numbers], atol=1e-5)
    with pytest.raises(Exception, match="already holds annotations.json"):  # never overwrites a labelled set
        pseudo_labels.main(["--clips", str(clips), "--tracks", name, "--out", str(tmp_path / "dev"),
                            "--model", BLAZEPOSE])
