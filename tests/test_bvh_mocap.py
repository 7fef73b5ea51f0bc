"""BVH parsing and forward kinematics (keypoints_tf.data.bvh); mocap -> 2D prior (keypoints_tf.data.mocap)."""

import json
import os

import numpy as np
import pytest

from keypoints_tf.data import bvh, mocap
from keypoints_tf.data.coco import read_coco_keypoints
from keypoints_tf.errors import DataError, OutputError
from keypoints_tf.skeleton import get_skeleton

REAL_DATA = os.environ.get("KEYPOINTS_REAL_DATA") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data", "real")
HUMAN17 = get_skeleton("human17")

CHAIN = """HIERARCHY
ROOT A
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT B
  {
    OFFSET 0 2 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 1 0 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.1
0 0 0 0 0 0 0 0 0
1 0 0 90 0 0 0 0 90
"""


def _real(name):
    path = os.path.join(REAL_DATA, name)
    if not os.path.isfile(path):
        pytest.skip(f"real data not found at {path} (set KEYPOINTS_REAL_DATA)")
    return path


# === Parsing and forward kinematics ===
def test_two_joint_chain_forward_kinematics():
    motion = bvh.parse_bvh(CHAIN)
    assert motion.joint_names == ["A", "B", "B_end"] and list(motion.parents) == [-1, 0, 1]
    assert motion.num_frames == 2 and motion.frame_time == pytest.approx(0.1)
    positions = bvh.forward_kinematics(motion)  # (F, J, 3)
    np.testing.assert_allclose(positions[0], [[0, 0, 0], [0, 2, 0], [1, 2, 0]], atol=1e-12)
    # Frame 1: root at x=1 turned 90 deg about z, so B = (1,0,0) + Rz(90)(0,2,0) = (-1,0,0); B turned 90 deg
    # about y: B_end = B + Rz(90) Ry(90) (1,0,0) = (-1,0,0) + (0,0,-1).
    np.testing.assert_allclose(positions[1], [[1, 0, 0], [-1, 0, 0], [-1, 0, -1]], atol=1e-12)


@pytest.mark.parametrize("order", ["Xrotation Yrotation Zrotation", "Yrotation Zrotation Xrotation"])
def test_rotation_order_is_the_channel_order(order):
    text = CHAIN.replace("CHANNELS 3 Zrotation Xrotation Yrotation", f"CHANNELS 3 {order}")
    text = text.replace("1 0 0 90 0 0 0 0 90", "0 0 0 0 0 0 30 40 50")
    positions = bvh.forward_kinematics(bvh.parse_bvh(text))
    angles = dict(zip([c[0] for c in order.split()], (30, 40, 50)))
    rotation = np.eye(3)
    for axis in [c[0] for c in order.split()]:
        rotation = rotation @ bvh.axis_rotation(axis, [angles[axis]])[0]
    np.testing.assert_allclose(positions[1, 2], [0, 2, 0] + rotation @ [1, 0, 0], atol=1e-12)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("1 0 0 90 0 0 0 0 90\n", ""), r"truncated motion data: 'Frames: 2' but only 1"),
    (lambda t: t.replace("1 0 0 90 0 0 0 0 90\n", "1 0 0 90 0"), r"line 20: 5 values in a frame, the hierarchy has "
                                                                 r"9 channels \(is the file truncated\?\)"),
    (lambda t: t.replace("CHANNELS 3 Zrotation", "CHANNELS 3 Wrotation"), r"line 9: unknown channel 'Wrotation' "
                                                                           r"in joint 'B'"),
    (lambda t: t.replace("0 0 90 0 0 0 0 90", "0 0 90 0 abc 0 0 90"), r"line 20: non-numeric motion value 'abc'"),
    (lambda t: t.replace("OFFSET 0 2 0", "OFFSET 0 two 0"), r"line 8: expected a number for the OFFSET of joint 'B'"),
    (lambda t: t[:t.index("MOTION")], r"no MOTION section"),
    (lambda t: t.replace("Frames: 2", "Frames: two"), r"'Frames:' must be a whole number"),
    (lambda t: "HIERARCHY\nROOT A\n{\n  OFFSET 0 0 0\n", r"no MOTION section"),
    (lambda t: t.replace("HIERARCHY", "HIERARCH"), r"not a BVH file"),
])
def test_bad_bvh_gives_a_clear_error(edit, message):
    with pytest.raises(DataError, match=r"^chain\.bvh.*" + message):
        bvh.parse_bvh(edit(CHAIN), path="chain.bvh")


def test_a_file_cut_inside_its_last_number_is_refused():
    whole = CHAIN.replace("0 0 0 90", "0 0 0 95")            # the last number is 95 ...
    with pytest.raises(DataError, match=r"chain\.bvh, line 20: the file ends inside its last frame"):
        bvh.parse_bvh(whole[:-2], path="chain.bvh")          # ... cut to 9, no line end
    assert bvh.parse_bvh(whole).motion[-1, -1] == 95.0


def test_read_bvh_missing_file(tmp_path):
    with pytest.raises(DataError, match="BVH file not found"):
        bvh.read_bvh(str(tmp_path / "nope.bvh"))


# === A small figure in BVH, facing +z, its left side towards +x (right-handed, y up) ===
FIGURE = {  # name: (parent, offset)
    "Pelvis": (None, (0, 9, 0)),
    "LThigh": ("Pelvis", (1, 0, 0)), "LShin": ("LThigh", (0, -4, 0)), "LHeel": ("LShin", (0, -4, 0)),
    "LToe": ("LHeel", (0, -1, 1)),
    "RThigh": ("Pelvis", (-1, 0, 0)), "RShin": ("RThigh", (0, -4, 0)), "RHeel": ("RShin", (0, -4, 0)),
    "RToe": ("RHeel", (0, -1, 1)),
    "Chest": ("Pelvis", (0, 3, 0)), "Throat": ("Chest", (0, 1, 0)), "Skull": ("Throat", (0, 1, 0)),
    "LUpper": ("Throat", (1.5, 0, 0)), "LLower": ("LUpper", (2, 0, 0)), "LPalm": ("LLower", (2, 0, 0)),
    "RUpper": ("Throat", (-1.5, 0, 0)), "RLower": ("RUpper", (-2, 0, 0)), "RPalm": ("RLower", (-2, 0, 0)),
}
FIGURE_MAPPING = {"pelvis": "Pelvis", "l_hip": "LThigh", "l_knee": "LShin", "l_ankle": "LHeel", "l_toes": "LToe",
                  "r_hip": "RThigh", "r_knee": "RShin", "r_ankle": "RHeel", "r_toes": "RToe", "neck": "Throat",
                  "head_back": "Skull_end", "l_shoulder": "LUpper", "l_elbow": "LLower", "l_wrist": "LPalm",
                  "r_shoulder": "RUpper", "r_elbow": "RLower", "r_wrist": "RPalm"}


def _figure_bvh(names=FIGURE, frames=2):
    children = {}
    for name, (parent, _) in names.items():
        children.setdefault(parent, []).append(name)

    def block(name, depth):
        pad = "  " * depth
        kind = "ROOT" if names[name][0] is None else "JOINT"
        channels = "6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" if kind == "ROOT" else \
            "3 Zrotation Xrotation Yrotation"
        lines = [f"{pad}{kind} {name}", f"{pad}{{", f"{pad}  OFFSET {' '.join(map(str, names[name][1]))}",
                 f"{pad}  CHANNELS {channels}"]
        for child in children.get(name, []):
            lines += block(child, depth + 1)
        if not children.get(name):
            lines += [f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 1 0", f"{pad}  }}"]
        return lines + [f"{pad}}}"]

    num_channels = 6 + 3 * (len(names) - 1)
    motion = ["MOTION", f"Frames: {frames}", "Frame Time: 0.008333"] + [" ".join(["0"] * num_channels)] * frames
    return "\n".join(["HIERARCHY"] + block(children[None][0], 0) + motion) + "\n"


def _views(yaw, pitch=0.0, distance=None):
    motion = bvh.parse_bvh(_figure_bvh())
    poses = mocap.mocap_poses(motion, HUMAN17, FIGURE_MAPPING)
    cameras = mocap.CameraRanges(yaw=(yaw, yaw), pitch=(pitch, pitch), roll=(0, 0), distance=distance)
    return mocap.random_views(poses[:1], 1, 64, np.random.default_rng(0), cameras)[0]  # (K, 2)


def test_left_right_survive_projection():
    index = HUMAN17.index
    front, back = _views(0.0), _views(180.0)
    # Seen from the front, the figure's left hand is on the image's right; from behind, on its left.
    assert front[index("l_wrist"), 0] > front[index("r_wrist"), 0] + 10
    assert back[index("l_wrist"), 0] < back[index("r_wrist"), 0] - 10
    for pose in (front, back):  # y down: head above pelvis above ankles
        assert pose[index("head_back"), 1] < pose[index("pelvis"), 1] < pose[index("l_ankle"), 1]


def test_pitch_looks_down():
    index = HUMAN17.index
    level, above = _views(0.0, 0.0), _views(0.0, 60.0)
    # From above the toes (pointing at the camera) show below the ankles by more than seen level.
    assert (above[index("l_toes"), 1] - above[index("l_ankle"), 1]) > (level[index("l_toes"), 1] - level[index("l_ankle"), 1])


def test_cameras_never_mirror():
    rng = np.random.default_rng(0)
    rotations = mocap.camera_rotations(rng.uniform(0, 360, 50), rng.uniform(-90, 90, 50), rng.uniform(-180, 180, 50))
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0, atol=1e-9)
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (50, 3, 3)),
                               atol=1e-9)


def test_framing_fits_the_square():
    motion = bvh.parse_bvh(_figure_bvh(frames=3))
    poses = mocap.mocap_poses(motion, HUMAN17, FIGURE_MAPPING)
    keypoints = mocap.random_views(poses, 20, 64, np.random.default_rng(1))  # (60, K, 2)
    assert keypoints.shape == (60, 17, 2)
    extent = np.ptp(keypoints, axis=1).max(axis=1) / 64
    assert extent.min() >= 0.55 - 1e-9 and extent.max() <= 0.8 + 1e-9
    assert keypoints.min() >= 0 and keypoints.max() <= 64


def test_mapping_file_and_missing_joints(tmp_path):
    path = tmp_path / "figure.bvh"
    path.write_text(_figure_bvh())
    mapping_path = tmp_path / "mapping.json"
    mapping_path.write_text(json.dumps({"keypoints": FIGURE_MAPPING}))
    keypoints, sources, summary = mocap.make_prior([str(path)], HUMAN17, views=3, size=32, frame_step=1,
                                                   mapping=mocap.load_mapping(str(mapping_path)))
    assert keypoints.shape == (6, 17, 2) and list(sources) == [0] * 6 and summary["files"][0]["mapping"] == "custom"
    with pytest.raises(DataError, match=r"figure\.bvh: joint names match no built-in mapping"):
        mocap.make_prior([str(path)], HUMAN17)
    partial = {k: v for k, v in FIGURE_MAPPING.items() if k != "neck"}
    with pytest.raises(DataError, match=r"has no BVH joint for keypoint\(s\) \['neck'\]"):
        mocap.make_prior([str(path)], HUMAN17, mapping=partial)
    with pytest.raises(DataError, match=r"figure\.bvh: joint\(s\) missing for mapping 'custom': \['neck -> Nape'\]"):
        mocap.make_prior([str(path)], HUMAN17, mapping={**FIGURE_MAPPING, "neck": "Nape"})


def test_a_keypoint_can_be_the_mean_of_joints(tmp_path):
    """E.g. the pelvis as the midpoint of the hip joints (the CMU mapping), from a mapping file too."""
    path = tmp_path / "figure.bvh"
    path.write_text(_figure_bvh(frames=3))
    motion = bvh.read_bvh(str(path))
    (tmp_path / "mapping.json").write_text(json.dumps({"keypoints": {**FIGURE_MAPPING, "pelvis": ["LThigh", "RThigh"]}}))
    mapping = mocap.load_mapping(str(tmp_path / "mapping.json"))
    poses = mocap.mocap_poses(motion, HUMAN17, mapping)
    index = HUMAN17.index
    np.testing.assert_allclose(poses[:, index("pelvis")], (poses[:, index("l_hip")] + poses[:, index("r_hip")]) / 2)


def test_cli_writes_coco_prior_and_contact_sheet(tmp_path):
    path = tmp_path / "figure.bvh"
    path.write_text(_figure_bvh(frames=8))
    (tmp_path / "mapping.json").write_text(json.dumps(FIGURE_MAPPING))
    mocap.main(["--bvh", str(path), "--out", str(tmp_path / "prior.json"), "--views", "2", "--frame-step", "4",
                "--size", "48", "--mapping", str(tmp_path / "mapping.json"),
                "--contact-sheet", str(tmp_path / "sheet.png")])
    prior = read_coco_keypoints(str(tmp_path / "prior.json"), skeleton=HUMAN17)
    assert len(prior) == 4 and (prior.image_sizes == 48).all()
    assert os.path.getsize(tmp_path / "sheet.png") > 0


def _standing_then_walking(frames=480, speed=1.0):
    """The figure (15 units tall, 120 Hz) stands for the first half, then walks along x at `speed` heights/s."""
    text = _figure_bvh(frames=frames)
    head, _ = text.split("MOTION")
    rest = " ".join(["0"] * (5 + 3 * (len(FIGURE) - 1)))
    x = np.maximum(np.arange(frames) - frames // 2, 0) * speed * 15.0 / 120.0
    return head + f"MOTION\nFrames: {frames}\nFrame Time: {1 / 120}\n" + "".join(f"{v} {rest}\n" for v in x)


def test_ground_speed_is_in_heights_per_second():
    poses = mocap.mocap_poses(bvh.parse_bvh(_standing_then_walking()), HUMAN17, FIGURE_MAPPING)  # (480, 17, 3)
    speed = mocap.ground_speed(poses, HUMAN17, 1 / 120)
    np.testing.assert_allclose(speed[:150], 0.0, atol=1e-9)  # standing (the 1 s window ends before the walk)
    np.testing.assert_allclose(speed[300:420], 1.0, rtol=1e-6)  # walking, a whole window inside the walk


def test_speed_keeps_only_walking_poses(tmp_path):
    path = tmp_path / "walk.bvh"
    path.write_text(_standing_then_walking())
    (tmp_path / "mapping.json").write_text(json.dumps(FIGURE_MAPPING))
    common = ["--bvh", str(path), "--views", "1", "--frame-step", "4", "--mapping", str(tmp_path / "mapping.json")]
    every = mocap.main(common + ["--out", str(tmp_path / "every.json")])
    walking = mocap.main(common + ["--out", str(tmp_path / "walking.json"), "--speed", "0.5", "2"])
    assert len(every) == 120 and 50 <= len(walking) <= 62  # the walking half, give or take its first window
    before = (tmp_path / "walking.json").read_bytes()
    with pytest.raises(OutputError, match="already exists"):  # an existing prior is replaced only when asked
        mocap.main(common + ["--out", str(tmp_path / "walking.json")])
    assert (tmp_path / "walking.json").read_bytes() == before
    assert len(mocap.main(common + ["--out", str(tmp_path / "walking.json"), "--overwrite"])) == len(every)
    mocap.main(common + ["--out", str(tmp_path / "walking.json"), "--speed", "0.5", "2", "--overwrite"])
    info = json.load(open(tmp_path / "walking.json"))["info"]
    assert info["speed"] == [0.5, 2.0] and info["files"][0]["frames_used"] == len(walking)
    with pytest.raises(DataError, match="no pose of.*speed"):
        mocap.main(common + ["--out", str(tmp_path / "none.json"), "--speed", "3", "4"])
    assert not os.path.exists(tmp_path / "none.json")


def test_cli_refuses_a_file_without_frames_and_writes_no_prior(tmp_path):
    from model_checks import assert_one_error_line, run_cli
    path = tmp_path / "figure.bvh"
    path.write_text(_figure_bvh(frames=0))
    (tmp_path / "mapping.json").write_text(json.dumps(FIGURE_MAPPING))
    result = run_cli("-m", "keypoints_tf.data.mocap", "--bvh", str(path), "--out", str(tmp_path / "prior.json"),
                     "--mapping", str(tmp_path / "mapping.json"))
    assert_one_error_line(result, "figure.bvh", "'Frames: 0'")
    assert sorted(os.listdir(tmp_path)) == ["figure.bvh", "mapping.json"]


# === The real CMU and Boxing files ===
@pytest.mark.parametrize("name, mapping, frames, joints", [("01_01.bvh", "cmu", 2752, 38),
                                                           ("Boxing_Toes.bvh", "hips_ab_chest", 3069, 26)])
def test_real_files_parse_and_map(name, mapping, frames, joints):
    motion = bvh.read_bvh(_real(name))
    assert (motion.num_frames, motion.num_joints) == (frames, joints)
    assert mocap.detect_mapping(motion, HUMAN17) == mapping
    poses = mocap.mocap_poses(motion, HUMAN17, frame_step=50)  # (F, 17, 3), y up
    index = HUMAN17.index
    bone = np.linalg.norm(poses[:, index("l_knee")] - poses[:, index("l_ankle")], axis=1)
    np.testing.assert_allclose(bone, bone[0], rtol=1e-9)  # rigid bones
    assert np.mean(poses[:, index("head_back"), 1] > poses[:, index("pelvis"), 1]) > 0.9  # mostly upright
    # Anatomy, as a pose detector labels it: the pelvis between the hip joints, the neck level with the
    # shoulders, a torso about 0.5-0.7 of the leg (the CMU root and "Neck" joint are neither).
    def length(a, b):
        return np.linalg.norm(poses[:, index(a)] - poses[:, index(b)], axis=-1).mean()
    torso, leg = length("pelvis", "neck"), length("l_hip", "l_knee") + length("l_knee", "l_ankle")
    assert 0.45 < torso / leg < 0.75, torso / leg
    hips = (poses[:, index("l_hip")] + poses[:, index("r_hip")]) / 2
    assert np.linalg.norm(poses[:, index("pelvis")] - hips, axis=-1).max() < 0.1 * torso
    shoulders = (poses[:, index("l_shoulder")] + poses[:, index("r_shoulder")]) / 2
    assert np.linalg.norm(poses[:, index("neck")] - shoulders, axis=-1).mean() < 0.25 * torso


def test_real_cli(tmp_path):
    files = [_real(name) for name in ("01_01.bvh", "01_03.bvh", "Boxing_Toes.bvh")]
    mocap.main(["--bvh", *files, "--out", str(tmp_path / "prior.json"), "--frame-step", "100", "--views", "2"])
    prior = read_coco_keypoints(str(tmp_path / "prior.json"), skeleton=HUMAN17)
    assert len(prior) == 2 * (28 + 46 + 31)
    assert prior.keypoints_pixels.min() >= 0 and prior.keypoints_pixels.max() <= 128
