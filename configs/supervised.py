"""The upper bound: the same detector eta(Phi(x)) trained directly on the labels of the training frames.

    python -m keypoints_tf.train --config=configs/supervised.py --workdir=runs/supervised
    python -m keypoints_tf.train --config=configs/supervised.py:smoke --workdir=/tmp/supervised  # seconds

Uses the embedded synthetic world (its train_labels.json) unless --config.data.source=folders with
--config.data.train_labels=FILE. Hardware: a 2-core CPU, 64 px.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.method = "supervised"
    config.image_size = 64
    config.model.base_width = 16
    config.data.mask_background = True
    config.train.learning_rate = 1e-3
    config.train.beta_1 = 0.9
    # About 40 minutes on a 2-core AMX CPU (~0.2 s per step), decayed like configs/synthetic.py so the two
    # are compared at the same budget and schedule; fitted to 45 minutes where the CPU is slower.
    config.train.steps = 13000
    config.train.decay_to = 0.1
    config.train.budget_minutes = 45.0
    return with_argument(config, arg)
