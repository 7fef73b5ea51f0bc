"""The first-GPU check: steps/s at 128 px on 1 GPU and on all of them, bfloat16 and float32, then a learning curve.

    python benchmarks/gpu_check.py --out runs/gpu_check                 # a machine with GPUs and TensorFlow
    python benchmarks/gpu_check.py --out /tmp/gpu_check --smoke         # anywhere: :smoke sizes, seconds

1. Throughput: configs/synthetic_128.py (reference widths, batch 16 per GPU) under
   `tf.distribute.MirroredStrategy` over the first GPU, then over all GPUs (global batch 16 x GPUs), in
   bfloat16 and float32: GAN steps per second and images per second.
2. Learning: `python -m keypoints_tf.train --config=configs/synthetic_128.py` for `--minutes` (default 10) on
   all GPUs, evaluated every 250 steps; the curve (minutes, step, error, mean-pose error) is printed and
   written to OUT/learning.json.
Without GPUs (or with --smoke) the same code runs on the CPU at :smoke sizes, as a check that it works.
"""

import argparse
import json
import os
import tempfile
import time

import tensorflow as tf

from keypoints_tf import build, train
from keypoints_tf.config import load_config_file
from keypoints_tf.data import pipeline, synthetic


def throughput(config_path, devices, chosen, steps, world):
    """(steps/s, images/s) of GAN steps under MirroredStrategy over `devices`, in precision `chosen`."""
    config = load_config_file(config_path)
    strategy = tf.distribute.MirroredStrategy(devices)
    replicas = strategy.num_replicas_in_sync
    config.train.precision = chosen
    config.train.batch_size *= replicas
    config.data.source = "folders"
    config.data.update({"videos": f"{world}/videos", "masks": f"{world}/masks", "prior": f"{world}/prior.json",
                        "eval": ""})
    data = pipeline.load_training_data(config.data, config.image_size)
    with strategy.scope():
        model = build.build_model(config, data.skeleton, config.train.batch_size)
    sampler = pipeline.PairSampler(data, config.train.batch_size, flip=True, prior_flip=True)
    iterator = train.distributed_batches(strategy, sampler, 0)
    step = train.distributed_step(strategy, model.train_step)
    for _ in range(3):
        step(next(iterator))["generator_loss"].numpy()
    start = time.perf_counter()
    for _ in range(steps):
        outputs = step(next(iterator))
    outputs["generator_loss"].numpy()
    per_second = steps / (time.perf_counter() - start)
    return per_second, per_second * config.train.batch_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--smoke", action="store_true", help=":smoke sizes (a functional check on any machine)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    smoke = args.smoke or not gpus
    config_path = "configs/synthetic_128.py" + (":smoke" if smoke else "")
    devices = gpus or ["/cpu:0"]
    print(f"TensorFlow {tf.__version__}; GPUs: {gpus or 'none (CPU, :smoke sizes)'}")
    for gpu in tf.config.list_physical_devices("GPU"):
        print(f"  {gpu.name}: {tf.config.experimental.get_device_details(gpu)}")
    os.makedirs(args.out, exist_ok=True)
    results = {"gpus": gpus, "config": config_path, "throughput": []}
    with tempfile.TemporaryDirectory() as world:
        size = load_config_file(config_path).image_size
        synthetic.write_world(world, synthetic.WorldConfig(size=size, videos=20, frames=8, prior=200, eval=4))
        print(f"{'devices':>8} {'precision':>9} {'steps/s':>8} {'images/s':>9}")
        for group in ([devices[:1], devices] if len(devices) > 1 else [devices]):
            for chosen in ("bfloat16", "float32"):
                steps, images = throughput(config_path, group, chosen, 2 if smoke else args.steps, world)
                results["throughput"].append({"devices": len(group), "precision": chosen, "steps_per_second": steps,
                                              "images_per_second": images})
                print(f"{len(group):>8} {chosen:>9} {steps:>8.2f} {images:>9.1f}", flush=True)
    config = load_config_file(config_path)
    config.train.max_minutes = 0.2 if smoke else args.minutes
    config.log.eval_every_steps = 2 if smoke else 250
    metrics = train.train_and_evaluate(config, os.path.join(args.out, "workdir"))
    results["learning"] = metrics.get("history", [])
    print("learning curve (minutes, step, error %, mean-pose error %):")
    for entry in results["learning"]:
        print(f"  {entry.get('minutes', 0):6.2f} {entry['step']:>7} {entry.get('error', float('nan')):7.2f} "
              f"{entry.get('mean_pose_error', float('nan')):7.2f}")
    with open(os.path.join(args.out, "learning.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
