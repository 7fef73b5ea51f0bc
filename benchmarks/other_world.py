"""A second articulated-figure world, drawn by a different generator, for a held-out learning check.

    python benchmarks/other_world.py --out DIR [--size 64 --videos 300 --frames 16 --prior 5000 --eval 500]

The training recipe was tuned on `keypoints_tf.data.synthetic`; this world was not used for tuning. It
shares only the 3D stick-body kinematics with it and changes everything else: body proportions (long
legs, short torso, wide shoulders), motion ranges (a walking/reaching repertoire), and drawing: filled
ellipses for limbs, a trapezoid torso, an elliptical head, a two-tone palette with dithering noise,
striped or checkered backgrounds. It writes the bring-your-own format (COCO keypoints files, frame
folders, masks) and is loaded through `configs/custom.py`:

    python -m keypoints_tf.train --config=configs/custom.py --workdir=runs/other \\
        --config.data.videos=DIR/videos --config.data.masks=DIR/masks --config.data.prior=DIR/prior.json \\
        --config.data.eval=DIR/eval/annotations.json --config.data.eval_masks=DIR/eval/masks \\
        --config.data.mask_background=True

The held-out learning check (README, Results) trains that config, with configs/synthetic.py's schedule
(decay to a tenth, no foreground weighting: the masks already black the background out), beside the
supervised upper bound on the same frames, both runs at once with one core each:

    python benchmarks/learning_benchmark.py --parallel --minutes 45 --out runs/other_bench \
        --config configs/custom.py --steps 2100 --supervised_steps 8500 --config.train.decay_to=0.1 \
        --config.loss.foreground_weight=0.0 --config.data.source=folders \
        --config.data.videos=DIR/videos --config.data.masks=DIR/masks --config.data.prior=DIR/prior.json \
        --config.data.eval=DIR/eval/annotations.json --config.data.eval_masks=DIR/eval/masks \
        --config.data.mask_background=True --config.data.train_labels=DIR/train_labels.json
"""

import argparse
import json
import os

import cv2
import numpy as np

from keypoints_tf.data import coco, synthetic
from keypoints_tf.skeleton import get_skeleton

SKELETON = get_skeleton("human17")
J = {name: i for i, name in enumerate(SKELETON.keypoint_names)}
RANGES = {  # degrees; the same angle names as the synthetic world, other limits
    "yaw": (-80.0, 80.0), "pitch": (-5.0, 15.0), "roll": (-5.0, 5.0),
    "torso_flex": (0.0, 20.0), "torso_side": (-8.0, 8.0), "torso_twist": (-30.0, 30.0), "head_flex": (-10.0, 20.0),
    "l_hip_flex": (-35.0, 60.0), "l_hip_abd": (0.0, 25.0), "l_knee": (0.0, 80.0),
    "r_hip_flex": (-35.0, 60.0), "r_hip_abd": (0.0, 25.0), "r_knee": (0.0, 80.0),
    "l_shoulder_flex": (-60.0, 160.0), "l_shoulder_abd": (5.0, 80.0), "l_elbow": (0.0, 110.0),
    "r_shoulder_flex": (-60.0, 160.0), "r_shoulder_abd": (5.0, 80.0), "r_elbow": (0.0, 110.0),
}


def angles(rng, num, length):
    """(num, length, A) radians: the synthetic world's smooth tracks, rescaled into these ranges."""
    tracks = synthetic.sample_angle_tracks(rng, num, length)
    low = np.deg2rad([synthetic.ANGLE_RANGES[a][0] for a in synthetic.ANGLES])
    high = np.deg2rad([synthetic.ANGLE_RANGES[a][1] for a in synthetic.ANGLES])
    unit = (tracks - low) / (high - low)
    new_low = np.deg2rad([RANGES[a][0] for a in synthetic.ANGLES])
    new_high = np.deg2rad([RANGES[a][1] for a in synthetic.ANGLES])
    return new_low + unit * (new_high - new_low)


def bodies(rng, num):
    def jitter(base, spread):
        return base * rng.uniform(1 - spread, 1 + spread, num)
    return {"thigh": jitter(0.29, 0.1), "shin": jitter(0.28, 0.1), "foot": jitter(0.06, 0.2),
            "torso": jitter(0.25, 0.1), "neck": jitter(0.07, 0.2), "upper_arm": jitter(0.15, 0.1),
            "forearm": jitter(0.15, 0.1), "hip_width": jitter(0.10, 0.2), "shoulder_width": jitter(0.30, 0.15),
            "thickness": jitter(0.07, 0.25), "head_radius": jitter(0.08, 0.15)}


def background(rng, size):
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    period = int(rng.integers(4, 16))
    y, x = np.mgrid[:size, :size]
    if rng.random() < 0.5:
        pattern = ((x + y * rng.uniform(-1, 1)) // period) % 2
    else:
        pattern = ((x // period) + (y // period)) % 2
    image = np.where(pattern[..., None] > 0, a, b)
    return np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.float32)


def draw(bg, pixels, depth, scale, body, palette, rng):
    size = bg.shape[0]
    f = 4
    image = cv2.resize(bg, (size * f, size * f), interpolation=cv2.INTER_NEAREST)
    mask = np.zeros((size * f, size * f), np.float32)
    p = pixels * f
    thickness = body["thickness"] * scale * f
    parts = []
    for a, b, colour, width in [("l_hip", "l_knee", 0, 1.1), ("l_knee", "l_ankle", 0, 0.9), ("l_ankle", "l_toes", 2, 0.6),
                                ("r_hip", "r_knee", 0, 1.1), ("r_knee", "r_ankle", 0, 0.9), ("r_ankle", "r_toes", 2, 0.6),
                                ("l_shoulder", "l_elbow", 1, 0.8), ("l_elbow", "l_wrist", 3, 0.7),
                                ("r_shoulder", "r_elbow", 1, 0.8), ("r_elbow", "r_wrist", 3, 0.7)]:
        parts.append(((depth[J[a]] + depth[J[b]]) / 2, "limb", (p[J[a]], p[J[b]], palette[colour], width)))
    parts.append((depth[J["pelvis"]], "torso", None))
    parts.append((depth[J["head_back"]], "head", None))
    for _, kind, item in sorted(parts, key=lambda x: x[0]):
        if kind == "limb":
            pa, pb, colour, width = item
            centre = tuple(int(v) for v in (pa + pb) / 2)
            length = int(np.linalg.norm(pb - pa) / 2 + thickness * width / 2)
            angle = float(np.degrees(np.arctan2(pb[1] - pa[1], pb[0] - pa[0])))
            axes = (max(length, 1), max(int(thickness * width / 2), 1))
            cv2.ellipse(image, centre, axes, angle, 0, 360, tuple(float(c) for c in colour), -1, cv2.LINE_AA)
            cv2.ellipse(mask, centre, axes, angle, 0, 360, 255.0, -1)
        elif kind == "torso":
            corners = np.array([p[J["l_shoulder"]], p[J["r_shoulder"]], p[J["r_hip"]], p[J["l_hip"]]], np.int32)
            cv2.fillConvexPoly(image, corners, tuple(float(c) for c in palette[1]), cv2.LINE_AA)
            cv2.fillConvexPoly(mask, corners, 255.0)
            cv2.line(image, tuple(int(v) for v in p[J["pelvis"]]), tuple(int(v) for v in p[J["neck"]]),
                     tuple(float(c) for c in palette[0]), max(1, int(thickness * 0.8)), cv2.LINE_AA)
            cv2.line(mask, tuple(int(v) for v in p[J["pelvis"]]), tuple(int(v) for v in p[J["neck"]]), 255.0,
                     max(1, int(thickness * 0.8)))
        else:
            radius = body["head_radius"] * scale * f
            centre = tuple(int(v) for v in p[J["head_back"]])
            axes = (max(int(radius * 0.85), 1), max(int(radius * 1.1), 1))
            cv2.ellipse(image, centre, axes, 0, 0, 360, tuple(float(c) for c in palette[3]), -1, cv2.LINE_AA)
            cv2.ellipse(mask, centre, axes, 0, 0, 360, 255.0, -1)
    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    image += rng.normal(0, 4, image.shape).astype(np.float32) * (cv2.resize(mask, (size, size))[..., None] > 0)
    mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(image, 0, 255).astype(np.uint8), (mask > 127).astype(np.uint8) * 255


def videos(rng, num, length, size):
    for _ in range(num):
        body = bodies(rng, 1)
        joints = synthetic.forward_kinematics(angles(rng, 1, length)[0], {k: np.repeat(v, length) for k, v in body.items()})
        pixels, depth, scale = synthetic.frame_poses(joints, size, rng, per_video=length)
        base = rng.uniform(30, 225, 3)
        palette = [np.clip(base + rng.normal(0, 60, 3), 0, 255) for _ in range(4)]
        bg = background(rng, size)
        one = {k: v[0] for k, v in body.items()}
        frames, masks = zip(*(draw(bg, pixels[t], depth[t], scale[t], one, palette, rng) for t in range(length)))
        yield np.stack(frames), np.stack(masks), pixels[:, :17].astype(np.float32)


def prior(rng, num, size):
    joints = synthetic.forward_kinematics(angles(rng, num, 5)[:, 2], bodies(rng, num))
    pixels, _, _ = synthetic.frame_poses(joints, size, rng)
    return pixels[:, :17].astype(np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    for name, default in [("size", 64), ("videos", 300), ("frames", 16), ("prior", 5000), ("eval", 500), ("seed", 100)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    train_rng, prior_rng, eval_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(3))
    size, out = args.size, args.out
    names, labels = [], []
    for v, (frames, masks, keypoints) in enumerate(videos(train_rng, args.videos, args.frames, size)):
        for folder in ("videos", "masks"):
            os.makedirs(f"{out}/{folder}/clip{v:04d}", exist_ok=True)
        for t in range(args.frames):
            cv2.imwrite(f"{out}/videos/clip{v:04d}/f{t:05d}.png", cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR))
            cv2.imwrite(f"{out}/masks/clip{v:04d}/f{t:05d}.png", masks[t])
            names.append(f"videos/clip{v:04d}/f{t:05d}.png")
        labels.append(keypoints)
    labels = np.concatenate(labels)
    coco.write_coco_keypoints(f"{out}/train_labels.json", SKELETON, labels, (size, size), file_names=names)
    poses = prior(prior_rng, args.prior, size)
    coco.write_coco_keypoints(f"{out}/prior.json", SKELETON, poses, (size, size))
    os.makedirs(f"{out}/eval/images", exist_ok=True)
    os.makedirs(f"{out}/eval/masks", exist_ok=True)
    eval_names, eval_labels = [], []
    for i, (frames, masks, keypoints) in enumerate(videos(eval_rng, args.eval, 1, size)):
        cv2.imwrite(f"{out}/eval/images/{i:05d}.png", cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
        cv2.imwrite(f"{out}/eval/masks/{i:05d}.png", masks[0])
        eval_names.append(f"images/{i:05d}.png")
        eval_labels.append(keypoints[0])
    eval_labels = np.stack(eval_labels)
    coco.write_coco_keypoints(f"{out}/eval/annotations.json", SKELETON, eval_labels, (size, size), file_names=eval_names)
    summary = {"train_frames": len(labels), "prior_poses": len(poses), "eval_images": len(eval_labels),
               "mean_pose_error_percent": round(synthetic.mean_pose_error(poses, eval_labels, size), 3)}
    json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
