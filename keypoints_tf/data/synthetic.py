"""The synthetic video world: procedurally rendered videos of an articulated figure on `human17`.

Each video shows one figure with its own appearance (clothing colours and patterns, skin, body
proportions, limb thickness) in front of its own static background, moving smoothly: every joint
angle and the body's orientation follow slow random trajectories. The figure is a 3D stick body with
capsule limbs and a nose, seen by an orthographic camera; limbs are drawn far-to-near, so they
occlude each other. The figure faces the camera's half-space (yaw within +-90 degrees): a one-channel
skeleton image cannot tell a figure seen from the front from its mirror image seen from behind, and
no detector could name its left and right there. The unpaired prior holds poses drawn independently of the videos (other bodies,
other motions) and the evaluation split shows appearances never seen in training.

    python -m keypoints_tf.data.synthetic --out DIR [--size 64 --videos 300 --frames 16 --prior 5000
                                                     --eval 500 --seed 0]

writes the bring-your-own format (see README):

    DIR/videos/video_0000/000000.png ...   unlabelled training videos
    DIR/masks/video_0000/000000.png ...    their foreground masks (255 = figure)
    DIR/prior.json                         COCO keypoints, unpaired poses, no image files
    DIR/eval/annotations.json, eval/images/, eval/masks/   labelled evaluation split
    DIR/train_labels.json                  labels of the training frames (for the supervised upper bound)
    DIR/summary.json                       counts and the mean-pose baseline error
"""

from __future__ import annotations

import dataclasses
import json
import os

import cv2
import numpy as np

from keypoints_tf import atomic
from keypoints_tf.data import coco
from keypoints_tf.errors import OutputError
from keypoints_tf.skeleton import get_skeleton

SKELETON = get_skeleton("human17")
_J = {name: i for i, name in enumerate(SKELETON.keypoint_names)}

# Joint-angle ranges in degrees: (low, high). Trajectories stay inside them.
ANGLE_RANGES = {
    "yaw": (-90.0, 90.0), "pitch": (-10.0, 20.0), "roll": (-8.0, 8.0),
    "torso_flex": (-5.0, 30.0), "torso_side": (-12.0, 12.0), "torso_twist": (-25.0, 25.0),
    "head_flex": (-20.0, 30.0),
    "l_hip_flex": (-25.0, 75.0), "l_hip_abd": (-5.0, 35.0), "l_knee": (0.0, 110.0),
    "r_hip_flex": (-25.0, 75.0), "r_hip_abd": (-5.0, 35.0), "r_knee": (0.0, 110.0),
    "l_shoulder_flex": (-45.0, 135.0), "l_shoulder_abd": (0.0, 110.0), "l_elbow": (0.0, 135.0),
    "r_shoulder_flex": (-45.0, 135.0), "r_shoulder_abd": (0.0, 110.0), "r_elbow": (0.0, 135.0),
}
ANGLES = tuple(ANGLE_RANGES)


@dataclasses.dataclass
class WorldConfig:
    size: int = 64
    videos: int = 300
    frames: int = 16
    prior: int = 5000
    eval: int = 500
    seed: int = 0


# ----------------------------------------------------------------------------------------- poses
def sample_angle_tracks(rng: np.random.Generator, num: int, length: int) -> np.ndarray:
    """(num, length, A) joint angles in radians: smooth random trajectories, one per video.

    Each angle is centre + amplitude * (a sum of two slow sinusoids), folded back into its range, so
    the marginal over videos covers the whole range and consecutive frames change little.
    """
    t = np.linspace(0.0, 1.0, length)[None, :, None]  # (1, T, 1)
    low = np.array([ANGLE_RANGES[a][0] for a in ANGLES])
    high = np.array([ANGLE_RANGES[a][1] for a in ANGLES])
    centre = rng.uniform(-1.0, 1.0, (num, 1, len(ANGLES)))
    amplitude = rng.uniform(0.1, 0.6, (num, 1, len(ANGLES)))
    wave = np.zeros((num, length, len(ANGLES)))
    for _ in range(2):
        frequency = rng.uniform(0.2, 1.2, (num, 1, len(ANGLES)))
        phase = rng.uniform(0.0, 2 * np.pi, (num, 1, len(ANGLES)))
        wave += 0.5 * np.sin(2 * np.pi * frequency * t + phase)
    u = centre + amplitude * wave
    u = np.abs((u + 1.0) % 4.0 - 2.0) - 1.0  # fold into [-1, 1] (triangle wave keeps motion smooth)
    degrees = low + (high - low) * (u + 1.0) / 2.0
    return np.deg2rad(degrees)


def sample_bodies(rng: np.random.Generator, num: int) -> dict:
    """Body proportions (in units of a standing height of about 1), each (num,)."""
    def jitter(base, spread):
        return base * rng.uniform(1.0 - spread, 1.0 + spread, num)
    return {"thigh": jitter(0.245, 0.15), "shin": jitter(0.245, 0.15), "foot": jitter(0.08, 0.2),
            "torso": jitter(0.30, 0.12), "neck": jitter(0.10, 0.2), "upper_arm": jitter(0.17, 0.15),
            "forearm": jitter(0.16, 0.15), "hip_width": jitter(0.13, 0.25), "shoulder_width": jitter(0.22, 0.2),
            "thickness": jitter(0.055, 0.3), "head_radius": jitter(0.065, 0.2)}


def _rot_x(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rot_y(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _rot_z(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _apply(rotation, vector):
    return np.einsum("...ij,...j->...i", rotation, vector)


def forward_kinematics(angles: np.ndarray, body: dict) -> np.ndarray:
    """(N, A) angles and (N,) proportions -> (N, 18, 3): the 17 joints, then the nose, in the camera frame.

    Body frame: x = the figure's left, y = up, z = the direction it faces. The camera looks along -z
    from +z (so a figure with yaw 0 faces the camera and its left appears on the image's right).
    """
    a = {name: angles[:, i] for i, name in enumerate(ANGLES)}
    n = len(angles)
    joints = np.zeros((n, 18, 3))
    down = np.array([0.0, -1.0, 0.0])
    torso = _rot_y(a["torso_twist"]) @ _rot_z(a["torso_side"]) @ _rot_x(a["torso_flex"])
    joints[:, _J["neck"]] = _apply(torso, np.array([0.0, 1.0, 0.0]) * body["torso"][:, None])
    head = torso @ _rot_x(a["head_flex"])
    joints[:, _J["head_back"]] = joints[:, _J["neck"]] + _apply(head, np.array([0.0, 1.0, 0.0]) * (
        body["neck"] + body["head_radius"])[:, None])
    joints[:, 17] = joints[:, _J["head_back"]] + _apply(head, np.array([0.0, 0.0, 1.0]) * body["head_radius"][:, None])
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = np.stack([sign * body["hip_width"] / 2, np.zeros(n), np.zeros(n)], -1)
        joints[:, _J[f"{side}_hip"]] = hip
        # Positive flexion swings the leg forward (+z); abduction swings it outwards (sign * x).
        leg = _rot_z(sign * a[f"{side}_hip_abd"]) @ _rot_x(-a[f"{side}_hip_flex"])
        knee = hip + _apply(leg, down * body["thigh"][:, None])
        shin = leg @ _rot_x(a[f"{side}_knee"])
        ankle = knee + _apply(shin, down * body["shin"][:, None])
        toes = ankle + _apply(shin, np.array([0.0, 0.0, 1.0]) * body["foot"][:, None])
        joints[:, _J[f"{side}_knee"]], joints[:, _J[f"{side}_ankle"]], joints[:, _J[f"{side}_toes"]] = knee, ankle, toes
        shoulder = joints[:, _J["neck"]] + _apply(torso, np.stack(
            [sign * body["shoulder_width"] / 2, -0.02 * np.ones(n), np.zeros(n)], -1))
        arm = torso @ _rot_z(sign * a[f"{side}_shoulder_abd"]) @ _rot_x(-a[f"{side}_shoulder_flex"])
        elbow = shoulder + _apply(arm, down * body["upper_arm"][:, None])
        forearm = arm @ _rot_x(-a[f"{side}_elbow"])
        wrist = elbow + _apply(forearm, down * body["forearm"][:, None])
        joints[:, _J[f"{side}_shoulder"]], joints[:, _J[f"{side}_elbow"]], joints[:, _J[f"{side}_wrist"]] = (
            shoulder, elbow, wrist)
    camera = _rot_z(a["roll"]) @ _rot_x(a["pitch"]) @ _rot_y(a["yaw"])
    return np.einsum("nij,nkj->nki", camera, joints)


def frame_poses(joints3d: np.ndarray, size: int, rng: np.random.Generator, per_video: int = 1):
    """(N, 17, 3) -> (N, 17, 2) pixel keypoints and (N, 17) depth, framed like object-centred crops.

    The figure is centred on its 2D bounding box and scaled so that its standing height (~1) fills
    about 80% of the image, shrunk where needed so the pose fits; framing jitter is drawn once per
    `per_video` consecutive poses (a static camera within a video).
    """
    xy = joints3d[..., :2] * np.array([1.0, -1.0])  # image y points down
    depth = joints3d[..., 2]
    groups = len(xy) // per_video
    jitter_scale = np.repeat(rng.uniform(0.85, 1.05, groups), per_video)
    jitter_shift = np.repeat(rng.uniform(-0.05, 0.05, (groups, 2)), per_video, axis=0)
    low, high = xy.min(1), xy.max(1)
    extent = np.maximum((high - low).max(1), 0.8)
    scale = 0.78 * size / extent * jitter_scale
    centre = (low + high) / 2
    pixels = (xy - centre[:, None]) * scale[:, None, None] + size / 2 + (jitter_shift * size)[:, None]
    return pixels, depth, scale


# ----------------------------------------------------------------------------------------- appearance
def sample_appearance(rng: np.random.Generator) -> dict:
    def colour():
        return rng.uniform(20, 235, 3)
    skin = np.array([rng.uniform(90, 240), rng.uniform(60, 190), rng.uniform(40, 160)])
    shirt, trousers, shoes = colour(), colour(), colour()
    long_sleeves = rng.random() < 0.5
    parts = {"torso": shirt, "upper_arm": shirt, "forearm": shirt if long_sleeves else skin,
             "thigh": trousers, "shin": trousers if rng.random() < 0.7 else skin, "foot": shoes,
             "head": skin, "hips": trousers, "shoulders": shirt, "neck": skin}
    return {"parts": parts, "stripes": rng.random() < 0.3, "stripe_colour": colour(),
            "outline": rng.uniform(0.45, 0.8)}


def sample_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float32 RGB background: a gradient plus blurred random shapes."""
    factor = 2
    big = size * factor
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ramp = np.linspace(0, 1, big)
    if rng.random() < 0.5:
        ramp = ramp[:, None, None] * np.ones((1, big, 1))
    else:
        ramp = ramp[None, :, None] * np.ones((big, 1, 1))
    image = (c0 * (1 - ramp) + c1 * ramp).astype(np.float32)
    for _ in range(rng.integers(3, 12)):
        colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
        centre = tuple(int(v) for v in rng.uniform(0, big, 2))
        if rng.random() < 0.5:
            axes = tuple(int(v) for v in rng.uniform(big * 0.05, big * 0.4, 2))
            cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        else:
            corner = tuple(int(v) for v in rng.uniform(0, big, 2))
            cv2.rectangle(image, centre, corner, colour, -1)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 2.0) * factor)
    image += rng.normal(0, rng.uniform(0, 8), image.shape).astype(np.float32)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


# Segments drawn as capsules: (joint a, joint b, appearance part, thickness factor).
_SEGMENTS = [("pelvis", "neck", "torso", 2.6), ("pelvis", "l_hip", "hips", 1.6), ("pelvis", "r_hip", "hips", 1.6),
             ("neck", "l_shoulder", "shoulders", 1.4), ("neck", "r_shoulder", "shoulders", 1.4),
             ("l_hip", "l_knee", "thigh", 1.3), ("l_knee", "l_ankle", "shin", 1.0), ("l_ankle", "l_toes", "foot", 0.9),
             ("r_hip", "r_knee", "thigh", 1.3), ("r_knee", "r_ankle", "shin", 1.0), ("r_ankle", "r_toes", "foot", 0.9),
             ("l_shoulder", "l_elbow", "upper_arm", 1.0), ("l_elbow", "l_wrist", "forearm", 0.85),
             ("r_shoulder", "r_elbow", "upper_arm", 1.0), ("r_elbow", "r_wrist", "forearm", 0.85),
             ("neck", "head_back", "neck", 0.7)]


def render_figure(background: np.ndarray, pixels: np.ndarray, depth: np.ndarray, scale: float,
                  body: dict, appearance: dict, supersample: int = 3):
    """Draws one figure; returns (image uint8 (S, S, 3), mask uint8 (S, S)). Limbs are drawn far to near."""
    size = background.shape[0]
    f = supersample
    image = cv2.resize(background, (size * f, size * f), interpolation=cv2.INTER_NEAREST)
    mask = np.zeros((size * f, size * f), np.float32)
    shift = 4  # cv2 fixed-point: coordinates in 1/16 px

    def point(p):  # continuous pixel coords -> cv2 fixed point in the supersampled image
        return tuple(int(round((v * f - 0.5) * (1 << shift))) for v in p)

    items = []
    thickness = body["thickness"] * scale * f
    for a, b, part, factor in _SEGMENTS:
        ia, ib = _J[a], _J[b]
        items.append(((depth[ia] + depth[ib]) / 2, "segment", (pixels[ia], pixels[ib], part, factor)))
    head_centre = pixels[_J["head_back"]]
    items.append((depth[_J["head_back"]], "head", head_centre))
    if depth[17] > depth[_J["head_back"]]:  # the nose, where the face turns towards the camera
        items.append((depth[17], "nose", pixels[17]))
    for _, kind, item in sorted(items, key=lambda entry: entry[0]):
        if kind == "segment":
            pa, pb, part, factor = item
            colour = appearance["parts"][part]
            width = max(1, int(round(thickness * factor)))
            outline = tuple(float(c) * appearance["outline"] for c in colour)
            cv2.line(image, point(pa), point(pb), outline, width + 2 * f, cv2.LINE_AA, shift)
            cv2.line(image, point(pa), point(pb), tuple(float(c) for c in colour), width, cv2.LINE_AA, shift)
            if appearance["stripes"] and part in ("torso", "thigh", "upper_arm"):
                cv2.line(image, point(pa), point(pb), tuple(float(c) for c in appearance["stripe_colour"]),
                         max(1, width // 4), cv2.LINE_AA, shift)
            cv2.line(mask, point(pa), point(pb), 255.0, width + 2 * f, cv2.LINE_8, shift)
        elif kind == "nose":
            radius = int(round(0.35 * body["head_radius"] * scale * f * (1 << shift)))
            colour = tuple(float(c) * 0.6 for c in appearance["parts"]["head"])
            cv2.circle(image, point(item), radius, colour, -1, cv2.LINE_AA, shift)
        else:
            radius = int(round(body["head_radius"] * scale * f * (1 << shift)))
            colour = appearance["parts"]["head"]
            cv2.circle(image, point(item), radius + (f << shift), tuple(float(c) * appearance["outline"] for c in colour),
                       -1, cv2.LINE_AA, shift)
            cv2.circle(image, point(item), radius, tuple(float(c) for c in colour), -1, cv2.LINE_AA, shift)
            cv2.circle(mask, point(item), radius + (f << shift), 255.0, -1, cv2.LINE_8, shift)
    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(image, 0, 255).astype(np.uint8), (mask > 127).astype(np.uint8) * 255


# ----------------------------------------------------------------------------------------- splits
def _body_slice(bodies: dict, i: int) -> dict:
    return {k: v[i] for k, v in bodies.items()}


def generate_videos(rng: np.random.Generator, num_videos: int, num_frames: int, size: int):
    """Yields (frames (T, S, S, 3) uint8, masks (T, S, S) uint8, keypoints (T, 17, 2) pixels) per video."""
    for _ in range(num_videos):
        angles = sample_angle_tracks(rng, 1, num_frames)[0]
        body = sample_bodies(rng, 1)
        joints = forward_kinematics(angles, {k: np.repeat(v, num_frames) for k, v in body.items()})
        pixels, depth, scale = frame_poses(joints, size, rng, per_video=num_frames)
        appearance = sample_appearance(rng)
        background = sample_background(rng, size)
        frames, masks = zip(*(render_figure(background, pixels[t], depth[t], scale[t], _body_slice(body, 0),
                                            appearance) for t in range(num_frames)))
        yield np.stack(frames), np.stack(masks), pixels[:, :17].astype(np.float32)


def sample_prior(rng: np.random.Generator, num: int, size: int) -> np.ndarray:
    """(num, 17, 2) pixel keypoints of poses drawn independently of any video."""
    angles = sample_angle_tracks(rng, num, 7)[:, rng.integers(0, 7)]
    joints = forward_kinematics(angles, sample_bodies(rng, num))
    pixels, _, _ = frame_poses(joints, size, rng)
    return pixels[:, :17].astype(np.float32)


def mean_pose_error(train_keypoints: np.ndarray, eval_keypoints: np.ndarray, size: int) -> float:
    """Mean L2 error / image size (in %) of always predicting the mean training pose."""
    mean_pose = train_keypoints.reshape(-1, 17, 2).mean(0)
    return float(np.linalg.norm(eval_keypoints - mean_pose, axis=-1).mean() / size * 100)


def read_world_config(folder: str):
    """The WorldConfig fields (a dict) of the world written in `folder`, or None when there is none."""
    try:
        with open(os.path.join(folder, "summary.json")) as f:
            return json.load(f)["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_world(out: str, config: WorldConfig) -> dict:
    """Writes the whole world to `out` and returns the summary (also written to summary.json).

    It is written beside `out` and renamed into place when complete, so `out` holds one whole world, never
    a mix with an older one. An existing `out` is replaced only if it is empty or holds a world.
    """
    if os.path.isdir(out) and os.listdir(out) and read_world_config(out) is None:
        raise OutputError(f"{out}: exists and is not a synthetic world (no summary.json); refusing to replace "
                          "it: choose another folder")
    with atomic.replacing(out) as partial:
        return _write_world(partial, config)


def _write_world(out: str, config: WorldConfig) -> dict:
    # Independent streams, so changing one split's size does not change the others.
    streams = np.random.SeedSequence(config.seed).spawn(3)
    train_rng, prior_rng, eval_rng = (np.random.default_rng(s) for s in streams)
    size = config.size
    train_keypoints, train_names = [], []
    for v, (frames, masks, keypoints) in enumerate(generate_videos(train_rng, config.videos, config.frames, size)):
        name = f"video_{v:04d}"
        for folder in ("videos", "masks"):
            os.makedirs(os.path.join(out, folder, name), exist_ok=True)
        for t in range(config.frames):
            file_name = f"{t:06d}.png"
            cv2.imwrite(os.path.join(out, "videos", name, file_name), cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR))
            cv2.imwrite(os.path.join(out, "masks", name, file_name), masks[t])
            train_names.append(f"videos/{name}/{file_name}")
        train_keypoints.append(keypoints)
    train_keypoints = np.concatenate(train_keypoints)
    coco.write_coco_keypoints(os.path.join(out, "train_labels.json"), SKELETON, train_keypoints, (size, size),
                              file_names=train_names)
    prior = sample_prior(prior_rng, config.prior, size)
    coco.write_coco_keypoints(os.path.join(out, "prior.json"), SKELETON, prior, (size, size))
    eval_keypoints, eval_names = [], []
    for folder in ("images", "masks"):
        os.makedirs(os.path.join(out, "eval", folder), exist_ok=True)
    for i, (frames, masks, keypoints) in enumerate(generate_videos(eval_rng, config.eval, 1, size)):
        file_name = f"{i:06d}.png"
        cv2.imwrite(os.path.join(out, "eval", "images", file_name), cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
        cv2.imwrite(os.path.join(out, "eval", "masks", file_name), masks[0])
        eval_names.append(f"images/{file_name}")
        eval_keypoints.append(keypoints[0])
    eval_keypoints = np.stack(eval_keypoints)
    coco.write_coco_keypoints(os.path.join(out, "eval", "annotations.json"), SKELETON, eval_keypoints,
                              (size, size), file_names=eval_names)
    summary = {"config": dataclasses.asdict(config), "train_frames": int(len(train_keypoints)),
               "prior_poses": int(len(prior)), "eval_images": int(len(eval_keypoints)),
               "mean_pose_error_percent": round(mean_pose_error(train_keypoints, eval_keypoints, size), 3),
               "prior_mean_pose_error_percent": round(mean_pose_error(prior, eval_keypoints, size), 3)}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    for field in dataclasses.fields(WorldConfig):
        parser.add_argument(f"--{field.name}", type=int, default=field.default)
    args = parser.parse_args(argv)
    config = WorldConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(WorldConfig)})
    summary = write_world(args.out, config)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    from keypoints_tf import cli
    cli.run(main)
