"""Geometry vs appearance, from a trained workdir: the pose x appearance grid and a keypoint-editing video.

    python -m keypoints_tf.experiments.disentangle --workdir=runs/synthetic --out=grid.png \
        [--rows=4 --columns=6 --seed=0 --scale=2]
    python -m keypoints_tf.experiments.disentangle --workdir=runs/synthetic --edit=edit.mp4 \
        [--joint=l_wrist --frames=36 --radius=0.25 --fps=12]                       # or edit.gif (needs Pillow)

Grid: (rows + 1) x (columns + 1) cells of S x S pixels (times --scale), no borders. Cell (r, c) for r, c >= 1
is Psi(beta(pose c), appearance r). Header column (c = 0): the appearance frames, one per video. Header row
(r = 0): the pose sources; columns alternate between keypoints detected on a frame of another video (the
frame, its detected skeleton drawn over it in red) and a pose of the prior (its rendered skeleton beta(p)).
The top-left cell is white.

Editing video: one joint of a pose detected on a training frame moves once around a circle that passes
through its detected position; each frame is [the source frame with the edited skeleton | Psi(beta(edited
pose), source frame)], (S, 2 S) pixels times --scale. MP4 is written with OpenCV, GIF with Pillow.
"""

from __future__ import annotations

import logging
import os

import cv2
import numpy as np
import tensorflow as tf

from keypoints_tf import build, workdirs
from keypoints_tf.data import pipeline
from keypoints_tf.data.letterbox import from_model_range, to_model_range
from keypoints_tf.errors import ModelFileError
from keypoints_tf.workdirs import checkpoints

OVERLAY_COLOR = np.array([255, 40, 40], np.float32)  # RGB


def restore_workdir(workdir: str):
    """(config, data, model, step): the workdir's KeypointGAN at its latest checkpoint and its training data."""
    config = workdirs.load_config(workdir)
    if config.method != "keypoint_gan":
        raise ValueError(f"{workdir}: config.method is {config.method!r}; these figures need a 'keypoint_gan' "
                         "run (its generator Psi)")
    data = pipeline.load_training_data(config.data, config.image_size)
    model = build.build_model(config, data.skeleton, config.train.batch_size)
    step = checkpoints.TrainingState(model.checkpoint_objects(), config, workdir).restore_or_initialize()
    if step == 0:
        raise ModelFileError(f"{workdir}: no checkpoint to draw with; train first (python -m keypoints_tf.train)")
    return config, data, model, step


def to_uint8(images) -> np.ndarray:
    """(B, S, S, C) float in [-1, 1] -> uint8 RGB (one channel is repeated)."""
    images = np.asarray(tf.cast(images, tf.float32))
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return from_model_range(images)


def overlay(frames: np.ndarray, skeletons) -> np.ndarray:
    """(B, S, S, 3) uint8 frames with the (B, S, S, 1) skeleton images drawn over them in red."""
    alpha = np.clip((np.asarray(skeletons, np.float32) + 1.0) / 2.0, 0.0, 1.0)  # background 0, line 1
    return (frames * (1.0 - alpha) + OVERLAY_COLOR * alpha).astype(np.uint8)


def choose_frames(data: pipeline.TrainingData, rows: int, columns: int, seed: int = 0):
    """Frame indices of the appearances (one per video), of the detected-pose sources (other videos where
    there are enough) and prior indices: (rows,), (ceil(columns / 2),), (columns // 2,)."""
    rng = np.random.default_rng(seed)
    starts, lengths = data.videos.video_starts[:-1], data.videos.video_lengths()
    num_videos, num_sources = len(lengths), (columns + 1) // 2
    order = rng.permutation(num_videos)
    appearance_videos = order[:rows] if rows <= num_videos else rng.choice(num_videos, rows)
    others = order[rows:] if num_videos - rows >= num_sources else order
    source_videos = rng.choice(others, num_sources, replace=num_sources > len(others))

    def frame_in(videos):
        return starts[videos] + (rng.random(len(videos)) * lengths[videos]).astype(np.int64)

    priors = rng.choice(len(data.prior), columns // 2, replace=columns // 2 > len(data.prior))
    return frame_in(appearance_videos), frame_in(source_videos), priors


def disentanglement_grid(model, data: pipeline.TrainingData, rows: int = 4, columns: int = 6,
                         seed: int = 0) -> np.ndarray:
    """((rows + 1) S, (columns + 1) S, 3) uint8 RGB: the grid described in the module docstring."""
    if rows < 1 or columns < 1:
        raise ValueError(f"rows and columns must be >= 1, got {rows} and {columns}")
    frames = data.videos.frames
    appearance_indices, source_indices, prior_indices = choose_frames(data, rows, columns, seed)
    detected = model.detect(to_model_range(frames[source_indices]), training=False).numpy()  # (C1, K, 2)
    poses = np.empty((columns,) + data.prior.shape[1:], np.float32)                            # (C, K, 2)
    poses[0::2], poses[1::2] = detected, data.prior[prior_indices]
    skeletons = model.render(poses)                                                           # (C, S, S, 1)
    appearance = to_model_range(frames[appearance_indices])                                  # (R, S, S, 3)
    cells = to_uint8(model.image_generator(tf.tile(skeletons, [rows, 1, 1, 1]),
                                           tf.repeat(appearance, columns, axis=0), training=False))
    header = to_uint8(skeletons)
    header[0::2] = overlay(frames[source_indices], skeletons.numpy()[0::2])
    size = data.image_size
    grid = np.full(((rows + 1) * size, (columns + 1) * size, 3), 255, np.uint8)
    grid[:size, size:] = np.concatenate(list(header), axis=1)
    grid[size:, :size] = np.concatenate(list(frames[appearance_indices]), axis=0)
    grid[size:, size:] = cells.reshape(rows, columns, size, size, 3).transpose(0, 2, 1, 3, 4).reshape(
        rows * size, columns * size, 3)
    return grid


def keypoint_edit_frames(model, data: pipeline.TrainingData, joint: str = "l_wrist", num_frames: int = 36,
                         radius: float = 0.25, seed: int = 0) -> np.ndarray:
    """(num_frames, S, 2 S, 3) uint8 RGB: [frame + edited skeleton | Psi(beta(edited pose), frame)].

    The joint moves once around a circle of `radius` (normalised units) through its detected position.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    index = data.skeleton.index(joint)
    frame = data.videos.frames[np.random.default_rng(seed).integers(len(data.videos.frames))][None]  # (1, S, S, 3)
    keypoints = model.detect(to_model_range(frame), training=False).numpy()                      # (1, K, 2)
    angles = 2.0 * np.pi * np.arange(num_frames) / num_frames
    poses = np.repeat(keypoints, num_frames, axis=0)                                               # (T, K, 2)
    poses[:, index] += radius * np.stack([np.cos(angles) - 1.0, np.sin(angles)], axis=1)
    skeletons = model.render(poses.astype(np.float32))                                             # (T, S, S, 1)
    drawn = model.image_generator(skeletons, tf.repeat(to_model_range(frame), num_frames, axis=0),
                                  training=False)
    return np.concatenate([overlay(np.repeat(frame, num_frames, axis=0), skeletons.numpy()), to_uint8(drawn)],
                          axis=2)


def upscale(images: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of the last-but-one two axes (H, W) by an integer factor."""
    if scale == 1:
        return images
    return np.repeat(np.repeat(images, scale, axis=-3), scale, axis=-2)


def write_image(image: np.ndarray, path: str):
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the image (expected a .png/.jpg path in an existing folder)")


def write_video(frames: np.ndarray, path: str, fps: float = 12.0):
    """(T, H, W, 3) uint8 RGB -> .mp4 (OpenCV, mp4v) or .gif (Pillow, looping)."""
    extension = os.path.splitext(path)[1].lower()
    if extension == ".gif":
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("writing a GIF needs Pillow (pip install pillow); or ask for an .mp4") from None
        images = [Image.fromarray(frame) for frame in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=int(round(1000.0 / fps)), loop=0)
    elif extension == ".mp4":
        height, width = frames.shape[1:3]
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        if not writer.isOpened():
            raise OSError(f"{path}: OpenCV could not open an mp4v video writer")
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()
    else:
        raise ValueError(f"{path}: expected a .mp4 or .gif file name")


def main(argv):
    del argv
    from absl import app, flags
    FLAGS = flags.FLAGS
    if not (FLAGS.out or FLAGS.edit):
        raise app.UsageError("give --out=grid.png, --edit=edit.mp4|edit.gif, or both")
    _, data, model, step = restore_workdir(FLAGS.workdir)
    if FLAGS.out:
        write_image(upscale(disentanglement_grid(model, data, FLAGS.rows, FLAGS.columns, FLAGS.seed), FLAGS.scale),
                    FLAGS.out)
        print(f"grid ({FLAGS.rows} appearances x {FLAGS.columns} poses, step {step}) written to {FLAGS.out}")
    if FLAGS.edit:
        frames = keypoint_edit_frames(model, data, FLAGS.joint, FLAGS.frames, FLAGS.radius, FLAGS.seed)
        write_video(upscale(frames, FLAGS.scale), FLAGS.edit, FLAGS.fps)
        print(f"{len(frames)} frames moving {FLAGS.joint} (step {step}) written to {FLAGS.edit}")


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("workdir", None, "A KeypointGAN training workdir.")
    flags.DEFINE_string("out", "", "Where to write the grid (.png).")
    flags.DEFINE_string("edit", "", "Where to write the keypoint-editing video (.mp4, or .gif with Pillow).")
    flags.DEFINE_integer("rows", 4, "Appearance frames (one per video).")
    flags.DEFINE_integer("columns", 6, "Poses: detected on other videos' frames and from the prior, alternately.")
    flags.DEFINE_integer("seed", 0, "Which frames and prior poses are drawn.")
    flags.DEFINE_string("joint", "l_wrist", "The keypoint that moves in the editing video.")
    flags.DEFINE_integer("frames", 36, "Frames of the editing video (one turn of the circle).")
    flags.DEFINE_float("radius", 0.25, "Radius of the joint's circle, in normalised units (2 = image width).")
    flags.DEFINE_float("fps", 12.0, "Frames per second of the editing video.")
    flags.DEFINE_integer("scale", 1, "Enlarge the outputs by this integer factor (nearest neighbour).")
    flags.mark_flags_as_required(["workdir"])
    logging.getLogger().setLevel(logging.INFO)
    from keypoints_tf import cli
    app.run(cli.guarded(main))
