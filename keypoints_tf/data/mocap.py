"""Motion capture -> an unpaired 2D pose prior: BVH joints mapped to a skeleton, seen by random cameras.

    python -m keypoints_tf.data.mocap --bvh 01_01.bvh 01_03.bvh Boxing_Toes.bvh --skeleton human17 \\
        --out prior.json [--views 4 --seed 0 --size 128 --frame-step 4 --mapping FILE --contact-sheet sheet.png]

Steps: forward kinematics of every `--frame-step`-th frame (`keypoints_tf.data.bvh`); keypoints picked from
the BVH joints by a mapping; each pose seen by `--views` random cameras (yaw uniform over the full circle,
pitch, roll and distance as in `CameraRanges`) with a pinhole projection; then framed like an
object-centred training crop: the 2D box of the pose is centred in a `--size` px square, its longer side
scaled to a random fraction of the square and its centre jittered (`FramingRanges`). The result is written
as a COCO keypoints file (`keypoints_tf.data.coco.write_coco_keypoints`), pixel coordinates with pixel
centres at i + 0.5 (`keypoints_tf.skeleton`).

Axes: BVH is right-handed with y up; the camera frame is x right, y down, z forward (also right-handed),
and world -> camera is a proper rotation (det +1), never a mirror. So a figure seen from the front has its
left side (l_*) on the image's right, and seen from behind on the image's left, with the labels unchanged.

Mappings (keypoint -> BVH joint; End Sites are ``<joint>_end``), detected from the joint names:

* ``cmu`` (CMU Graphics Lab / cgspeed BVH, e.g. 01_01.bvh): Hips -> pelvis; (Left|Right)UpLeg, Leg, Foot,
  ToeBase -> hip, knee, ankle, toes; Neck (base of the neck) -> neck; (Left|Right)Arm, ForeArm, Hand ->
  shoulder, elbow, wrist; **head_back -> Head_end**, the End Site above the Head joint (top of the head).
  CMU's Head joint sits at the top of the neck, barely above Neck1; the End Site matches the reference's
  Human3.6M head joint (index 15, the Site above "Head", see `tfds_builders.simple_human36m`).
* ``hips_ab_chest`` (Hips/Ab/Chest/Neck/Head, (Left|Right)Collar/Shoulder/Elbow/Wrist,
  Hip/Knee/Ankle/Toes; e.g. Boxing_Toes.bvh): the same choices, head_back -> Head_end.
* any other naming: ``--mapping FILE``, a JSON object ``{"keypoints": {"pelvis": "Hips", ...}}`` (or the
  inner object alone) naming a BVH joint for every keypoint of the skeleton.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from typing import Optional, Sequence

import cv2
import numpy as np

from keypoints_tf import atomic
from keypoints_tf.data.bvh import BvhMotion, axis_rotation, forward_kinematics, read_bvh
from keypoints_tf.data.coco import write_coco_keypoints
from keypoints_tf.errors import DataError
from keypoints_tf.skeleton import Skeleton, get_skeleton


def _sided(prefix_left, prefix_right, parts):
    mapping = {}
    for keypoint, joint in parts.items():
        mapping["l_" + keypoint] = prefix_left + joint
        mapping["r_" + keypoint] = prefix_right + joint
    return mapping


CUSTOM = "custom"  # the name of a mapping given as a dict or a --mapping file
# keypoint -> BVH joint, or a list of joints whose mean it is. In the CMU (cgspeed) files the root "Hips" sits
# about a quarter of a thigh above the hip joints and the joint named "Neck" has no offset from Spine1 (mid-back,
# well below the shoulders): the pelvis is the midpoint of the hip joints (UpLeg) and the neck the midpoint of
# the shoulder joints (Arm), where the other naming below (hips_ab_chest) has them.
MAPPINGS = {
    "cmu": {"pelvis": ["LeftUpLeg", "RightUpLeg"], "neck": ["LeftArm", "RightArm"], "head_back": "Head_end",
            **_sided("Left", "Right", {"hip": "UpLeg", "knee": "Leg", "ankle": "Foot", "toes": "ToeBase",
                                       "shoulder": "Arm", "elbow": "ForeArm", "wrist": "Hand"})},
    "hips_ab_chest": {"pelvis": "Hips", "neck": "Neck", "head_back": "Head_end",
                      **_sided("Left", "Right", {"hip": "Hip", "knee": "Knee", "ankle": "Ankle", "toes": "Toes",
                                                 "shoulder": "Shoulder", "elbow": "Elbow", "wrist": "Wrist"})},
}


@dataclasses.dataclass(frozen=True)
class CameraRanges:
    """Random camera, uniform in each range. Angles in degrees; distance in units of the figure's height.

    Positive pitch looks down on the figure; the distance sets the perspective (3-6 heights is like
    Human3.6M's cameras); ``distance=None`` gives an orthographic projection.
    """

    yaw: tuple = (0.0, 360.0)
    pitch: tuple = (-10.0, 40.0)
    roll: tuple = (-10.0, 10.0)
    distance: Optional[tuple] = (3.0, 6.0)


@dataclasses.dataclass(frozen=True)
class FramingRanges:
    """Framing like an object-centred crop: the pose's 2D box is centred in the square image, its longer
    side is `fill` of the image side and its centre is moved by up to `offset` of the side."""

    fill: tuple = (0.55, 0.8)
    offset: float = 0.05


# === Mapping ===

def load_mapping(path: str) -> dict:
    """A mapping file: ``{"keypoints": {keypoint: bvh_joint or [joints to average]}}`` or the inner object alone."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: mapping file not found")
    try:
        with open(path) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not valid JSON ({e}); expected {{\"keypoints\": {{\"pelvis\": \"Hips\", ...}}}}")
    if isinstance(data, dict) and isinstance(data.get("keypoints"), dict):
        data = data["keypoints"]
    if not isinstance(data, dict) or not all(isinstance(k, str) and (isinstance(v, str) or (
            isinstance(v, list) and v and all(isinstance(j, str) for j in v))) for k, v in data.items()):
        raise DataError(f"{path}: expected an object mapping keypoint names to BVH joint names, "
                        "e.g. {\"keypoints\": {\"pelvis\": \"Hips\", ...}}")
    return data


def _joints(value) -> list:
    """A mapping value (one joint name, or a list of them) as a list."""
    return [value] if isinstance(value, str) else list(value)


def mapping_weights(motion: BvhMotion, skeleton: Skeleton, mapping: dict, mapping_name: str) -> np.ndarray:
    """(K, J) weights: keypoint k is the mean of the BVH joints it maps to. DataError names what is missing."""
    unmapped = [k for k in skeleton.keypoint_names if k not in mapping]
    if unmapped:
        raise DataError(f"mapping {mapping_name!r} has no BVH joint for keypoint(s) {unmapped} of skeleton "
                        f"{skeleton.name!r}")
    missing = [f"{k} -> {j}" for k in skeleton.keypoint_names for j in _joints(mapping[k])
               if j not in motion.joint_names]
    if missing:
        raise DataError(f"{motion.path}: joint(s) missing for mapping {mapping_name!r}: {missing}; the file's "
                        f"joints are {motion.joint_names}"
                        + ("" if mapping_name == CUSTOM else " (give --mapping FILE for another naming)"))
    weights = np.zeros((skeleton.num_keypoints, len(motion.joint_names)))
    for k, name in enumerate(skeleton.keypoint_names):
        joints = _joints(mapping[name])
        for joint in joints:
            weights[k, motion.joint_names.index(joint)] += 1.0 / len(joints)
    return weights


def detect_mapping(motion: BvhMotion, skeleton: Skeleton) -> str:
    """The name of the first built-in mapping whose joints are all in the file."""
    missing = {}
    for name, mapping in MAPPINGS.items():
        absent = [j for k in skeleton.keypoint_names for j in _joints(mapping.get(k) or [f"<{k}>"])
                  if j not in motion.joint_names]
        if not absent:
            return name
        missing[name] = absent
    details = "; ".join(f"{name} lacks {absent[:4]}{'...' if len(absent) > 4 else ''}"
                        for name, absent in missing.items())
    raise DataError(f"{motion.path}: joint names match no built-in mapping ({details}); the file's joints are "
                    f"{motion.joint_names}; give --mapping FILE")


def mocap_poses(motion: BvhMotion, skeleton: Skeleton, mapping: Optional[dict] = None,
                frame_step: int = 1) -> np.ndarray:
    """(F', K, 3) world positions (y up) of the skeleton's keypoints in every `frame_step`-th frame."""
    if frame_step < 1:
        raise DataError(f"frame_step must be >= 1, got {frame_step}")
    if mapping is None:
        name = detect_mapping(motion, skeleton)
        mapping = MAPPINGS[name]
    else:
        name = CUSTOM
    weights = mapping_weights(motion, skeleton, mapping, name)
    frames = np.arange(0, motion.num_frames, frame_step)
    return np.einsum("kj,fjc->fkc", weights, forward_kinematics(motion, frames))


# === Cameras and projection ===

def camera_rotations(yaw, pitch, roll) -> np.ndarray:
    """(N,) angles in degrees -> (N, 3, 3) world (y up) -> camera (x right, y down, z forward) rotations.

    Yaw turns the camera about the vertical axis (at yaw 0 it looks along world -z, from +z), pitch tilts it
    down, roll turns it about its optical axis. Every matrix is a proper rotation (det +1).
    """
    to_camera = np.diag([1.0, -1.0, -1.0])  # y up -> y down, looking along -z: a rotation by 180 deg about x
    # Rotating the points by +pitch about the camera's x axis brings the world's up side nearer to the
    # camera: the camera orbits up and looks down.
    return (axis_rotation("Z", roll) @ axis_rotation("X", pitch) @ to_camera
            @ axis_rotation("Y", -np.asarray(yaw, np.float64)))


def project(points, rotations, distance=None) -> np.ndarray:
    """(N, K, 3) world points, (N, 3, 3) rotations -> (N, K, 2) image-plane points (x right, y down).

    The points are centred on their mean first. With `distance` (N,) the camera is that far from the centre
    (pinhole, focal length = distance, so the scale at the centre is 1); without it, orthographic.
    """
    points = np.asarray(points, np.float64)
    centred = points - points.mean(axis=1, keepdims=True)
    camera = np.einsum("nij,nkj->nki", rotations, centred)
    if distance is None:
        return camera[..., :2]
    distance = np.asarray(distance, np.float64)[:, None]
    depth = np.maximum(camera[..., 2] + distance, 1e-3 * distance)
    return camera[..., :2] * (distance / depth)[..., None]


def frame_in_square(points2d, size: int, rng: np.random.Generator,
                    framing: FramingRanges = FramingRanges()) -> np.ndarray:
    """(N, K, 2) image-plane points -> (N, K, 2) pixel coordinates in a (size, size) image."""
    low, high = points2d.min(axis=1), points2d.max(axis=1)  # (N, 2)
    centre, extent = (low + high) / 2, np.maximum((high - low).max(axis=1), 1e-9)
    n = len(points2d)
    scale = rng.uniform(*framing.fill, size=n) * size / extent
    target = size / 2 + rng.uniform(-framing.offset, framing.offset, size=(n, 2)) * size
    return (points2d - centre[:, None]) * scale[:, None, None] + target[:, None]


def random_views(poses3d, views: int, size: int, rng: np.random.Generator,
                 cameras: CameraRanges = CameraRanges(), framing: FramingRanges = FramingRanges()) -> np.ndarray:
    """(F, K, 3) poses -> (F * views, K, 2) pixel keypoints, `views` random cameras per pose (pose-major)."""
    poses = np.repeat(np.asarray(poses3d, np.float64), views, axis=0)
    n = len(poses)
    rotations = camera_rotations(rng.uniform(*cameras.yaw, n), rng.uniform(*cameras.pitch, n),
                                 rng.uniform(*cameras.roll, n))
    distance = None
    if cameras.distance is not None:
        height = np.median(np.ptp(poses[..., 1], axis=1)) if n else 1.0  # the figure's typical height (y up)
        distance = rng.uniform(*cameras.distance, n) * max(height, 1e-9)
    return frame_in_square(project(poses, rotations, distance), size, rng, framing)


# === The prior ===

def upright(poses3d, skeleton: Skeleton, max_tilt: float) -> np.ndarray:
    """(F,) bool: the pelvis -> neck direction is within `max_tilt` degrees of vertical (world y up)."""
    names = skeleton.keypoint_names
    if "pelvis" not in names or "neck" not in names:
        raise DataError(f"max_tilt needs 'pelvis' and 'neck' keypoints; skeleton {skeleton.name!r} has none")
    torso = poses3d[:, names.index("neck")] - poses3d[:, names.index("pelvis")]
    cosine = torso[:, 1] / np.maximum(np.linalg.norm(torso, axis=1), 1e-9)
    return cosine >= np.cos(np.radians(max_tilt))


def ground_speed(poses3d, skeleton: Skeleton, seconds_per_pose: float, window: float = 1.0) -> np.ndarray:
    """(F,) the pelvis's speed over the ground (world x, z), in figure heights per second, from its displacement
    over about `window` seconds centred on each pose (one-sided at the ends). Walking is about 0.5-1 height/s."""
    if "pelvis" not in skeleton.keypoint_names:
        raise DataError(f"a speed range needs a 'pelvis' keypoint; skeleton {skeleton.name!r} has none")
    poses3d = np.asarray(poses3d, np.float64)
    n = len(poses3d)
    if n < 2:
        return np.zeros(n)
    ground = poses3d[:, skeleton.keypoint_names.index("pelvis")][:, [0, 2]]
    half = max(1, int(round(window / seconds_per_pose / 2)))
    later, earlier = np.minimum(np.arange(n) + half, n - 1), np.maximum(np.arange(n) - half, 0)
    height = max(float(np.median(np.ptp(poses3d[..., 1], axis=1))), 1e-9)
    distance = np.linalg.norm(ground[later] - ground[earlier], axis=1) / height
    return distance / ((later - earlier) * seconds_per_pose)


def make_prior(bvh_paths: Sequence[str], skeleton: Skeleton, views: int = 4, seed: int = 0, size: int = 128,
               frame_step: int = 4, mapping: Optional[dict] = None,
               cameras: CameraRanges = CameraRanges(), framing: FramingRanges = FramingRanges(),
               max_tilt: Optional[float] = None, speed: Optional[Sequence[float]] = None):
    """Poses of every file seen by random cameras; with `max_tilt` (degrees) only upright ones (`upright`), with
    `speed` (min, max figure heights per second) only those moving over the ground that fast (`ground_speed`):
    a prior for footage of walkers need not teach the detector boxing guards and falls.

    Returns:
        keypoints: (N, K, 2) float64 pixel coordinates in a (size, size) image.
        sources: (N,) int, index into `bvh_paths` of each pose.
        summary: per-file frame counts and the mapping used (for the COCO file's ``info``).
    """
    if views < 1:
        raise DataError(f"views must be >= 1, got {views}")
    rng = np.random.default_rng(seed)
    keypoints, sources, files = [], [], []
    for i, path in enumerate(bvh_paths):
        motion = read_bvh(path)
        mapping_name = CUSTOM if mapping is not None else detect_mapping(motion, skeleton)
        poses = mocap_poses(motion, skeleton, mapping if mapping is not None else MAPPINGS[mapping_name],
                            frame_step)
        keep = np.ones(len(poses), bool)
        if max_tilt is not None:
            keep &= upright(poses, skeleton, max_tilt)
        if speed is not None:
            moving = ground_speed(poses, skeleton, motion.frame_time * frame_step)
            keep &= (moving >= speed[0]) & (moving <= speed[1])
        poses = poses[keep]
        keypoints.append(random_views(poses, views, size, rng, cameras, framing))
        sources.append(np.full(len(poses) * views, i))
        files.append({"file": os.path.basename(path), "frames": motion.num_frames, "frames_used": len(poses),
                      "frame_time": motion.frame_time, "mapping": mapping_name})
    summary = {"files": files, "views": views, "seed": seed, "size": size, "frame_step": frame_step,
               "max_tilt": max_tilt, "speed": None if speed is None else list(speed),
               "cameras": dataclasses.asdict(cameras), "framing": dataclasses.asdict(framing)}
    if not sum(f["frames_used"] for f in files):
        raise DataError(f"no pose of {[f['file'] for f in files]} passes max_tilt={max_tilt}, speed={speed}")
    return np.concatenate(keypoints), np.concatenate(sources), summary


# === Drawing ===

COLORS_BGR = {"left": (255, 160, 40), "right": (40, 40, 255), "center": (80, 220, 80)}


def draw_pose(image, keypoints, skeleton: Skeleton, thickness: int = 2):
    """Draws (K, 2) pixel keypoints on a BGR uint8 image in place: left limbs blue, right red, centre green."""
    points = np.round((np.asarray(keypoints) - 0.5) * 16).astype(np.int64)  # cv2: centres at integers, 4-bit shift
    for e, (a, b) in enumerate(skeleton.edges):
        cv2.line(image, tuple(map(int, points[a])), tuple(map(int, points[b])), COLORS_BGR[skeleton.edge_side(e)],
                 thickness, cv2.LINE_AA, shift=4)
    for point in points:
        cv2.circle(image, tuple(map(int, point)), 2 * 16, (255, 255, 255), -1, cv2.LINE_AA, shift=4)
    return image


def contact_sheet(keypoints, skeleton: Skeleton, size: int, columns: int = 8, labels=None) -> np.ndarray:
    """(N, K, 2) pixel keypoints in (size, size) images -> one BGR image with a grid of N tiles."""
    n = len(keypoints)
    rows = max(1, -(-n // columns))
    sheet = np.full((rows * size, columns * size, 3), 40, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        tile = sheet[r * size:(r + 1) * size, c * size:(c + 1) * size]
        cv2.rectangle(tile, (0, 0), (size - 1, size - 1), (90, 90, 90), 1)
        draw_pose(tile, keypoints[i], skeleton)
        if labels is not None:
            cv2.putText(tile, str(labels[i]), (3, size - 5), cv2.FONT_HERSHEY_PLAIN, 0.7, (200, 200, 200), 1,
                        cv2.LINE_AA)
    return sheet


def write_contact_sheet(path, keypoints, sources, source_names, skeleton, size, count=48, seed=0, columns=8):
    """Renders `count` poses, the same number from each source, to a PNG."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(sources == s) for s in range(len(source_names))]
    groups = [g for g in groups if len(g)]
    per = -(-count // max(1, len(groups)))
    chosen = np.concatenate([np.sort(rng.choice(g, min(per, len(g)), replace=False)) for g in groups])[:count]
    labels = [os.path.splitext(os.path.basename(source_names[sources[i]]))[0][:12] for i in chosen]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, contact_sheet(keypoints[chosen], skeleton, size, columns, labels)):
        raise DataError(f"{path}: could not write the PNG")


# === CLI ===

def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m keypoints_tf.data.mocap", description=__doc__.split("\n")[0])
    parser.add_argument("--bvh", nargs="+", required=True, help="BVH files")
    parser.add_argument("--skeleton", default="human17", help="built-in skeleton (default human17)")
    parser.add_argument("--out", required=True, help="COCO keypoints JSON to write")
    parser.add_argument("--views", type=int, default=4, help="random cameras per mocap frame (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=128, help="side of the square image, px (default 128)")
    parser.add_argument("--frame-step", type=int, default=4,
                        help="use every N-th mocap frame (default 4: 120 Hz mocap -> 30 Hz)")
    parser.add_argument("--mapping", help="JSON file mapping keypoint names to BVH joint names")
    defaults = CameraRanges()
    parser.add_argument("--yaw", type=float, nargs=2, default=defaults.yaw, metavar=("MIN", "MAX"),
                        help=f"camera yaw range, degrees (default {defaults.yaw[0]:g} {defaults.yaw[1]:g})")
    parser.add_argument("--pitch", type=float, nargs=2, default=defaults.pitch, metavar=("MIN", "MAX"),
                        help="camera pitch range, degrees, positive looks down (default "
                             f"{defaults.pitch[0]:g} {defaults.pitch[1]:g}; an elevated camera: e.g. 15 45)")
    parser.add_argument("--max-tilt", type=float, default=None,
                        help="keep only poses whose torso is within this many degrees of vertical (e.g. 30 for "
                             "people walking or standing; default: every pose)")
    parser.add_argument("--speed", type=float, nargs=2, metavar=("MIN", "MAX"),
                        help="keep only poses whose pelvis moves over the ground at MIN-MAX figure heights per "
                             "second, over a 1 s window (e.g. 0.4 1.3 for walkers; default: every pose)")
    parser.add_argument("--contact-sheet", help="also render 48 poses to this PNG")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out / --contact-sheet")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.time()
    for output in (args.out, args.contact_sheet):
        if output:
            atomic.check_output(output, args.overwrite, inputs=[*args.bvh, args.mapping])
    skeleton = get_skeleton(args.skeleton)
    mapping = load_mapping(args.mapping) if args.mapping else None
    cameras = dataclasses.replace(CameraRanges(), yaw=tuple(args.yaw), pitch=tuple(args.pitch))
    keypoints, sources, summary = make_prior(args.bvh, skeleton, views=args.views, seed=args.seed, size=args.size,
                                             frame_step=args.frame_step, mapping=mapping, cameras=cameras,
                                             max_tilt=args.max_tilt, speed=args.speed)
    write_coco_keypoints(args.out, skeleton, keypoints, (args.size, args.size),
                         extra={"info": {"description": "2D pose prior from motion capture "
                                                        "(keypoints_tf.data.mocap)", **summary}})
    if args.contact_sheet:
        write_contact_sheet(args.contact_sheet, keypoints, sources, args.bvh, skeleton, args.size, seed=args.seed)
    logging.info("wrote %d poses (%s) to %s in %.1f s", len(keypoints),
                 ", ".join(f"{f['file']}: {f['frames_used']} frames x {args.views} views" for f in summary["files"]),
                 args.out, time.time() - start)
    return keypoints


if __name__ == "__main__":
    from keypoints_tf import cli
    cli.run(main)
