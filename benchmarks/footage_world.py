"""A synthetic world with no given masks: raw footage whose masks must come from the footage itself.

    python benchmarks/footage_world.py --out DIR [--videos 300 --frames 32 --eval 100 --size 64 --seed 7]

Each video is a static camera looking at its own cluttered scene (`synthetic.sample_background`: a gradient,
blurred shapes, noise) that one figure of the synthetic world crosses from one side to the other, written as
an MJPG ``.avi`` the way a camera would (compression included). The figure's crop square is known in every
frame, so the tracker's detection step is replaced by the true squares (``tracks --squares``), and everything
after it is the footage path of real video (`keypoints_tf.data.tracks`): the video's temporal-median
background, foreground masks cleaned with morphology, cut with the square, the centred person kept
(`keypoints_tf.data.background`). The true masks are only used to report how well those masks match
(``summary.json``: mean IoU). Written in the bring-your-own format:

    DIR/footage/video_0000.avi, video_0000.json    the raw videos and their crop squares (tracks --squares)
    DIR/videos/video_0000/000000.png ...           crops, unlabelled
    DIR/masks/video_0000/000000.png ...            masks from the footage (255 = figure)
    DIR/prior.json                                 unpaired poses (COCO keypoints, no images)
    DIR/eval/annotations.json, images/, masks/     held-out videos: labelled crops, masks from the footage
    DIR/train_labels.json, DIR/summary.json        labels of the training crops (supervised bound only); counts,
                                                   mean-pose baseline, mask IoU

Then train through the masked recipe (configs/footage_world.py holds the settings):

    python -m keypoints_tf.train --config=configs/footage_world.py --config.data.root=DIR --workdir=runs/fw
"""

import argparse
import json
import os
import shutil

import cv2
import numpy as np

from keypoints_tf import atomic
from keypoints_tf.data import background, coco, synthetic, tracks

SIDES = (64, 96)  # the figure's crop side in the footage, px (the crops are resized to --size)


def scene(rng, side):
    """(H, W, 3) uint8 static scene a little taller than the crop and 3.5 crops wide."""
    height, width = side + 16, int(side * 3.5)
    canvas = synthetic.sample_background(rng, width)
    top = int(rng.integers(0, width - height))
    return np.clip(canvas[top:top + height], 0, 255).astype(np.uint8)


def footage(rng, frames):
    """One video: (T, H, W, 3) uint8 RGB frames, (T, H, W) true masks, (T, 3) squares, (T, 17, 2) keypoints
    in crop pixels (of the square)."""
    side = int(rng.integers(SIDES[0], SIDES[1] + 1))
    canvas = scene(rng, side)
    height, width = canvas.shape[:2]
    angles = synthetic.sample_angle_tracks(rng, 1, frames)[0]
    body = synthetic.sample_bodies(rng, 1)
    joints = synthetic.forward_kinematics(angles, {k: np.repeat(v, frames) for k, v in body.items()})
    pixels, depth, scale = synthetic.frame_poses(joints, side, rng, per_video=frames)
    appearance = synthetic.sample_appearance(rng)
    one_body = {k: v[0] for k, v in body.items()}
    xs = np.linspace(4, width - side - 4, frames)
    if rng.random() < 0.5:
        xs = xs[::-1]
    ys = 8 + np.round(2 * np.sin(np.arange(frames) * rng.uniform(0.3, 0.8)))
    images, masks, squares = [], [], []
    for t in range(frames):
        x0, y0 = int(round(xs[t])), int(ys[t])
        crop = canvas[y0:y0 + side, x0:x0 + side].astype(np.float32)
        figure, mask = synthetic.render_figure(crop, pixels[t], depth[t], scale[t], one_body, appearance)
        image, full_mask = canvas.copy(), np.zeros((height, width), np.uint8)
        image[y0:y0 + side, x0:x0 + side] = figure
        full_mask[y0:y0 + side, x0:x0 + side] = mask
        images.append(image)
        masks.append(full_mask)
        squares.append([x0, y0, side])
    return np.stack(images), np.stack(masks), np.array(squares, np.int64), pixels[:, :17].astype(np.float32)


def write_video(path, images):
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (images.shape[2], images.shape[1]))
    for image in images:
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()


def through_footage_path(video, crops, frames_dir, masks_dir, size):
    """The footage path of `keypoints_tf.data.tracks`: median background, masks, crops. crops: the tracks."""
    sampler = tracks.background_sampler(video)
    for index, frame in enumerate(tracks._bgr_frames(video)):
        sampler.add(index, frame)
    backdrop = tracks.video_background(sampler, video)
    tracks.crop_video(video, crops, frames_dir, masks_dir, size, backdrop)
    return backdrop is not None


def mask_iou(masks_dir, name, true_masks, squares, size):
    """IoU of each written mask of track `name` with the true mask cut by the same square."""
    ious = []
    for n, square in enumerate(squares):
        written = cv2.imread(os.path.join(masks_dir, name, f"{n:06d}.png"), cv2.IMREAD_GRAYSCALE)
        truth = tracks.crop_square(true_masks[n], square, size) >= 128
        ious.append(background.mask_iou(written, truth))
    return ious


def write_world(out, args):
    train_rng, prior_rng, eval_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(3))
    size = args.size
    for folder in ("footage", "videos", "masks", "eval/images", "eval/masks", "eval/crops", "eval/crop_masks"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    labels, names, ious, moving = [], [], [], 0
    for v in range(args.videos):
        images, true_masks, squares, keypoints = footage(train_rng, args.frames)
        name = f"video_{v:04d}"
        video = os.path.join(out, "footage", name + ".avi")
        write_video(video, images)
        given = [{"name": name, "first_frame": 0, "squares": squares}]
        atomic.write_json(os.path.join(out, "footage", name + ".json"),
                          {"tracks": [{**given[0], "squares": squares.tolist()}]})
        if not through_footage_path(video, given, os.path.join(out, "videos"), os.path.join(out, "masks"), size):
            moving += 1
            continue
        ious += mask_iou(os.path.join(out, "masks"), name, true_masks, squares, size)
        labels.append(keypoints * (size / squares[:, 2])[:, None, None])
        names += [f"videos/{name}/{t:06d}.png" for t in range(args.frames)]
    labels = np.concatenate(labels)
    coco.write_coco_keypoints(os.path.join(out, "train_labels.json"), synthetic.SKELETON, labels, (size, size),
                              file_names=names)
    prior = synthetic.sample_prior(prior_rng, args.prior, size)
    coco.write_coco_keypoints(os.path.join(out, "prior.json"), synthetic.SKELETON, prior, (size, size))
    eval_labels, eval_names, eval_ious = [], [], []
    for v in range(args.eval):  # held-out videos: a whole video gives the background, 5 frames are labelled
        images, true_masks, squares, keypoints = footage(eval_rng, args.frames)
        video = os.path.join(out, "eval", "crops", f"clip_{v:04d}.avi")
        write_video(video, images)
        chosen = np.linspace(2, args.frames - 3, 5).astype(int)
        crops = [{"name": f"e{v:04d}_{t:02d}", "first_frame": int(t), "squares": squares[t:t + 1]} for t in chosen]
        through_footage_path(video, crops, os.path.join(out, "eval", "crops"), os.path.join(out, "eval", "crop_masks"),
                             size)
        for crop, t in zip(crops, chosen):
            for source, target in (("crops", "images"), ("crop_masks", "masks")):
                shutil.move(os.path.join(out, "eval", source, crop["name"], "000000.png"),
                            os.path.join(out, "eval", target, crop["name"] + ".png"))
            written = cv2.imread(os.path.join(out, "eval", "masks", crop["name"] + ".png"), cv2.IMREAD_GRAYSCALE)
            eval_ious.append(background.mask_iou(written, tracks.crop_square(true_masks[t], squares[t], size) >= 128))
            eval_labels.append(keypoints[t] * size / squares[t, 2])
            eval_names.append(f"images/{crop['name']}.png")
    shutil.rmtree(os.path.join(out, "eval", "crops"))
    shutil.rmtree(os.path.join(out, "eval", "crop_masks"))
    eval_labels = np.stack(eval_labels)
    coco.write_coco_keypoints(os.path.join(out, "eval", "annotations.json"), synthetic.SKELETON, eval_labels,
                              (size, size), file_names=eval_names)
    summary = {"args": vars(args), "train_videos": args.videos - moving, "train_frames": int(len(labels)),
               "prior_poses": int(len(prior)), "eval_images": int(len(eval_labels)),
               "videos_without_masks": moving,
               "mask_iou_train": round(float(np.mean(ious)), 3), "mask_iou_eval": round(float(np.mean(eval_ious)), 3),
               "mask_iou_train_p10": round(float(np.percentile(ious, 10)), 3),
               "mean_pose_error_percent": round(synthetic.mean_pose_error(labels, eval_labels, size), 3),
               "prior_mean_pose_error_percent": round(synthetic.mean_pose_error(prior, eval_labels, size), 3)}
    atomic.write_json(os.path.join(out, "summary.json"), summary, indent=2)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    for name, default in [("size", 64), ("videos", 300), ("frames", 32), ("prior", 5000), ("eval", 100),
                          ("seed", 7)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    args = parser.parse_args()
    atomic.check_output(args.out, args.overwrite)
    with atomic.replacing(args.out, args.overwrite) as partial:
        summary = write_world(partial, args)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
