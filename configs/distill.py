"""Distillation: a compact `StudentDetector` trained to reproduce a trained detector on unlabelled frames.

    python -m keypoints_tf.distill --config=configs/distill.py --config.teacher=runs/synthetic --workdir=runs/student
    python -m keypoints_tf.distill --config=configs/distill.py:smoke --config.teacher=/tmp/smoke --workdir=/tmp/student

Hardware: a 2-core CPU; width 32 and 4,000 steps took 12.8 minutes (README, export table). The workdir's
config.json is this config resolved: the input size, the keypoints, the skeleton and the data of the teacher
filled in (what the exporter and `keypoints_tf.load` read).
"""

import ml_collections

from keypoints_tf.config import with_argument


def get_config(arg: str = ""):
    config = ml_collections.ConfigDict()
    config.detector = "student"
    config.teacher = ""                  # a trained workdir (python -m keypoints_tf.train); required
    config.seed = 0                      # the frame sampling
    config.image_size = 0                # the student's input size, a multiple of 16; 0 = the teacher's
    config.student = ml_collections.ConfigDict()
    config.student.width = 32            # at 16: 2x faster to train, but +11.4% error over the teacher (int8) vs +5.8%
    config.train = ml_collections.ConfigDict()
    config.train.steps = 4000
    config.train.batch_size = 32
    config.train.learning_rate = 2e-3    # Adam, cosine decay to 0 over train.steps
    config.train.heatmap_weight = 0.0    # x the cross-entropy of the marginal heatmaps (0 = keypoints only)
    config.train.flip = True             # mirror half of the frames (teacher and student see the same one)
    config.log = ml_collections.ConfigDict()
    config.log.every_steps = 100
    config.log.checkpoint_every_steps = 500
    config.log.checkpoint_every_minutes = 0.0  # 0 = by steps only
    config.log.keep_checkpoints = 2
    return with_argument(config, arg, shrink=False, smoke={
        "student.width": 4, "train.steps": 2, "train.batch_size": 2, "log.every_steps": 1,
        "log.checkpoint_every_steps": 1})
