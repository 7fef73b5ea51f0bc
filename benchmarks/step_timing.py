"""Train-step timing: seconds per KeypointGAN step at 64 and 128 px, batch 16, float32 vs bfloat16, and the
share of the step spent waiting for input.

    python benchmarks/step_timing.py [--config configs/synthetic.py] [--sizes 64 128] [--steps 10]

Uses the config's networks and losses at each size (widths from the config; 128 px also with the
reference widths, base 32). Pulls batches from the real pipeline; the input share is the time spent in
`next(iterator)` over the whole loop. CPU figures are noisy: compare ratios from the same run.
"""

import argparse
import tempfile
import time

import keras
import tensorflow as tf

from keypoints_tf import build, train
from keypoints_tf.config import load_config_file
from keypoints_tf.data import pipeline, synthetic


def time_steps(config, world, steps, bfloat16):
    config.train.precision = "bfloat16" if bfloat16 else "float32"  # build_model builds in the config's precision
    config.data.source = "folders"
    config.data.update({"videos": f"{world}/videos", "masks": f"{world}/masks", "prior": f"{world}/prior.json",
                        "eval": ""})
    data = pipeline.load_training_data(config.data, config.image_size)
    model = build.build_model(config, data.skeleton, config.train.batch_size)
    sampler = pipeline.PairSampler(data, config.train.batch_size, flip=True, prior_flip=True)
    iterator = iter(pipeline.training_dataset(sampler))
    step = train.distributed_step(tf.distribute.get_strategy(), model.train_step)
    for _ in range(3):
        step(next(iterator))["generator_loss"].numpy()
    waiting = 0.0
    start = time.time()
    for _ in range(steps):
        t0 = time.time()
        batch = next(iterator)
        waiting += time.time() - t0
        step(batch)["generator_loss"].numpy()
    total = time.time() - start
    return total / steps, waiting / total


def random_vgg_weights(folder):
    path = f"{folder}/vgg19_random_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None).save_weights(path)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/synthetic.py")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    print(f"{'size':>5} {'base width':>10} {'loss':>11} {'dtype':>9} {'s/step':>8} {'input wait':>10}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as world:
            synthetic.write_world(world, synthetic.WorldConfig(size=size, videos=20, frames=8, prior=200, eval=4))
            # (base width, reconstruction loss): the config's own, and at 128 px the reference networks with
            # the VGG-19 perceptual loss (random weights, saved to a file: same cost as ImageNet's).
            variants = [(None, None)] + ([(32, None), (32, "perceptual")] if size == 128 else [])
            for width, loss in variants:
                for bfloat16 in (False, True):
                    config = load_config_file(args.config)
                    config.image_size, config.train.batch_size = size, args.batch
                    if width:
                        config.model.base_width, config.model.discriminator_width = width, 64
                    if loss == "perceptual":
                        config.loss.reconstruction, config.loss.vgg_weights = "perceptual", random_vgg_weights(world)
                    seconds, wait = time_steps(config, world, args.steps, bfloat16)
                    print(f"{size:>5} {config.model.base_width:>10} {config.loss.reconstruction:>11} "
                          f"{'bfloat16' if bfloat16 else 'float32':>9} {seconds:>8.3f} {wait:>10.1%}", flush=True)


if __name__ == "__main__":
    main()
