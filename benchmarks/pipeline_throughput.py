"""Input pipeline throughput: frame pairs per second out of `keypoints_tf.data.pipeline` at 64 and 128 px.

    python benchmarks/pipeline_throughput.py [--sizes 64 128 --batch 16 --steps 300]

Writes a synthetic world per size (300 videos x 16 frames, like configs/synthetic.py) to a temp folder,
loads it (timed), then pulls batches from the prefetched tf.data pipeline (timed) and prints one table.
"""

import argparse
import tempfile
import time

from keypoints_tf.config import get_default_config
from keypoints_tf.data import pipeline, synthetic


def measure(size, batch, steps, folder):
    t0 = time.time()
    synthetic.write_world(folder, synthetic.WorldConfig(size=size, videos=300, frames=16, prior=5000, eval=100))
    generate = time.time() - t0
    config = get_default_config().data
    config.update({"source": "folders", "videos": f"{folder}/videos", "masks": f"{folder}/masks",
                   "prior": f"{folder}/prior.json"})
    t0 = time.time()
    data = pipeline.load_training_data(config, size)
    load = time.time() - t0
    sampler = pipeline.PairSampler(data, batch, seed=0, flip=True, prior_flip=True)
    iterator = iter(pipeline.training_dataset(sampler))
    for _ in range(20):
        next(iterator)
    t0 = time.time()
    for _ in range(steps):
        next(iterator)
    seconds = time.time() - t0
    return generate, load, steps * batch / seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    print(f"{'size':>5} {'write world s':>14} {'load s':>8} {'pairs/s':>10}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            generate, load, rate = measure(size, args.batch, args.steps, folder)
        print(f"{size:>5} {generate:>14.1f} {load:>8.1f} {rate:>10.0f}")


if __name__ == "__main__":
    main()
