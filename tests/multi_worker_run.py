"""Runs the smoke training in one process of a (possibly multi-worker) job; used by test_multi_worker.py.

    TF_CONFIG=... python tests/multi_worker_run.py WORKDIR WORLD_DIR {multi_worker,default}
"""

import sys

import tensorflow as tf

from keypoints_tf import train
from keypoints_tf.config import get_default_config, shrink_for_smoke


def main(workdir, world_dir, strategy_name):
    strategy = train.make_strategy(strategy_name)  # first, before any other TensorFlow op
    config = shrink_for_smoke(get_default_config())
    config.data.world_dir = world_dir
    config.train.precision = "float32"  # compared weight by weight; "auto" picks bfloat16 on AMX/AVX512-BF16 CPUs
    config.train.regressor_pretrain_steps = 2
    config.train.steps = 3
    config.log.checkpoint_every_steps = 5
    config.model.pool_size = 0
    metrics = train.train_and_evaluate(config, workdir, strategy)
    print("RESULT", metrics["step"], metrics["error"], strategy.num_replicas_in_sync, flush=True)
    return 0


if __name__ == "__main__":
    tf.get_logger().setLevel("ERROR")
    sys.exit(main(*sys.argv[1:4]))
