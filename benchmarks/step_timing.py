"""Train-step timing: one table of seconds per step (eta pre-training, KeypointGAN, supervised) at 64 and 128 px,
batch 16, per precision, on this CPU; `--profile` adds where a GAN step's time goes.

    python benchmarks/step_timing.py [--config configs/synthetic.py] [--sizes 64 128] [--steps 8]
        [--precisions float32 bfloat16] [--reference] [--profile]
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/step_timing.py ...   # an AVX2-class CPU, emulated

The CPU kind is detected (`keypoints_tf.precision`), oneDNN's ISA cap included. `--reference` adds 128 px rows
with the reference widths (base 32) and the VGG-19 perceptual loss (random weights saved to a file: the same
cost as ImageNet's). Batches come from the real pipeline (a small synthetic world). CPU figures are noisy:
compare ratios from the same run.
"""

import argparse
import os
import tempfile
import time

import keypoints_tf  # noqa: F401  (before TensorFlow: it turns oneDNN's CPU kernels on, as training does)
import keras
import tensorflow as tf

from keypoints_tf import build, precision, train
from keypoints_tf.config import load_config_file
from keypoints_tf.data import pipeline, synthetic


def cpu_kind() -> str:
    """A short description of this CPU as training sees it."""
    import cpuinfo
    info = cpuinfo.get_cpu_info()
    flags = set(info.get("flags", []))
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "")
    native = precision.choose("auto", cpu_flags=flags, gpu_capabilities=[])[0] == "bfloat16"
    kind = "AMX/AVX512-BF16" if native else ("AVX512" if "avx512f" in flags else "AVX2")
    name = info.get("brand_raw", "unknown CPU")
    return f"{name}, {os.cpu_count()} cores, {kind}" + (f", ONEDNN_MAX_CPU_ISA={cap}" if cap else "")


def world_data(config, world):
    config.data.source = "folders"
    config.data.update({"videos": f"{world}/videos", "masks": f"{world}/masks", "prior": f"{world}/prior.json",
                        "eval": "", "train_labels": f"{world}/train_labels.json"})
    return pipeline.load_training_data(config.data, config.image_size)


def seconds_per_step(step, iterator, steps):
    """Mean seconds per step over `steps` steps, after 3 warm-up steps (tracing, oneDNN kernel selection)."""
    for _ in range(3):
        tf.nest.map_structure(lambda t: t.numpy(), step(next(iterator)))
    start = time.perf_counter()
    for _ in range(steps):
        outputs = step(next(iterator))
    tf.nest.map_structure(lambda t: t.numpy(), outputs)
    return (time.perf_counter() - start) / steps


def time_config(config, world, steps):
    """{"pretrain", "gan", "supervised"}: seconds per step of each kind for this config."""
    data = world_data(config, world)
    strategy = tf.distribute.get_strategy()
    out = {}
    for method in ("keypoint_gan", "supervised"):
        config.method = method
        model = build.build_model(config, data.skeleton, config.train.batch_size)
        sampler = pipeline.PairSampler(data, config.train.batch_size, flip=True, prior_flip=True,
                                       with_labels=method == "supervised")
        iterator = iter(pipeline.training_dataset(sampler))
        if method == "supervised":
            out["supervised"] = seconds_per_step(train.distributed_step(strategy, model.train_step), iterator, steps)
        else:
            out["pretrain"] = seconds_per_step(train.distributed_step(strategy, model.regressor_pretrain_step),
                                               iterator, steps)
            out["gan"] = seconds_per_step(train.distributed_step(strategy, model.train_step), iterator, steps)
            out["model"], out["batch"] = model, next(iterator)
    config.method = "keypoint_gan"
    return out


def profile(model, batch, steps):
    """Seconds of forward + backward of each player's piece of a GAN step, timed alone (a breakdown, not a sum)."""
    images, appearance, prior = batch["image"], batch["appearance"], batch["prior_keypoints"]

    def timed(fn, variables):
        @tf.function
        def run():
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.cast(fn(), tf.float32))
            return tape.gradient(loss, variables) if variables else loss
        run()
        start = time.perf_counter()
        for _ in range(steps):
            result = run()
        tf.nest.map_structure(lambda t: t.numpy(), result)
        return (time.perf_counter() - start) / steps

    skeletons = model.image_to_skeleton(images)
    rendered = model.render(prior)
    return {
        "Phi": timed(lambda: model.image_to_skeleton(images, training=True), model.image_to_skeleton.trainable_variables),
        "eta": timed(lambda: model.keypoint_regressor(skeletons, training=True)["keypoints"],
                     model.keypoint_regressor.trainable_variables),
        "beta (renderer)": timed(lambda: model.render(model.keypoint_regressor(skeletons)["keypoints"]), []),
        "Psi": timed(lambda: model.image_generator(rendered, appearance, training=True),
                     model.image_generator.trainable_variables),
        "D": timed(lambda: tf.add_n([tf.reduce_mean(o) for o in model.discriminator(rendered, training=True)]),
                   model.discriminator.trainable_variables),
        "reconstruction loss": timed(lambda: model.reconstruction_loss(appearance, images, tf.ones_like(images[..., :1]),
                                                                       training=True), []),
    }


def random_vgg_weights(folder):
    path = f"{folder}/vgg19_random_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None).save_weights(path)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/synthetic.py")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reference", action="store_true", help="also the reference widths + VGG-19 at 128 px")
    parser.add_argument("--profile", action="store_true", help="also a per-network breakdown of the GAN step")
    args = parser.parse_args()
    print(f"CPU: {cpu_kind()}; TensorFlow {tf.__version__}; batch {args.batch}; mean of {args.steps} steps")
    print(f"{'size':>4} {'width':>5} {'loss':>10} {'precision':>9} {'pretrain s':>10} {'GAN s':>7} {'supervised s':>12}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as world:
            synthetic.write_world(world, synthetic.WorldConfig(size=size, videos=20, frames=8, prior=200, eval=4))
            variants = [(None, None)] + ([(32, None), (32, "perceptual")] if size == 128 and args.reference else [])
            for width, loss in variants:
                for chosen in args.precisions:
                    config = load_config_file(args.config)
                    with config.unlocked():
                        config.image_size, config.train.batch_size = size, args.batch
                        config.train.precision = chosen
                        if width:
                            config.model.base_width, config.model.discriminator_width = width, 64
                        if loss == "perceptual":
                            config.loss.reconstruction = "perceptual"
                            config.loss.vgg_weights = random_vgg_weights(world)
                    times = time_config(config, world, args.steps)
                    print(f"{size:>4} {config.model.base_width:>5} {config.loss.reconstruction:>10} {chosen:>9} "
                          f"{times['pretrain']:>10.3f} {times['gan']:>7.3f} {times['supervised']:>12.3f}", flush=True)
                    if args.profile:
                        parts = profile(times["model"], times["batch"], args.steps)
                        print("      GAN step pieces, forward + backward alone: " +
                              ", ".join(f"{k} {v:.3f}s" for k, v in parts.items()), flush=True)


if __name__ == "__main__":
    main()
