"""Bring-your-own data (see README, "Your own data"): unlabelled videos, an unpaired COCO keypoints prior
and, optionally, a labelled COCO evaluation set.

    python -m keypoints_tf.train --config=configs/custom.py --workdir=runs/mine \\
        --config.data.videos=DIR --config.data.prior=prior.json --config.data.eval=eval.json
    python -m keypoints_tf.train --config=configs/custom.py:smoke --workdir=/tmp/mine ...   # seconds

Without masks the reconstruction is weighted towards pixels that differ from each clip's median frame
(a static camera's background). With masks, add --config.data.masks=MASKS --config.data.mask_background=True
--config.data.eval_masks=EVAL_MASKS (the recipe of configs/synthetic.py). Hardware: a 2-core CPU at 64 px, a GPU at 128 px.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.data.source = "folders"
    config.image_size = 64
    config.model.base_width = 16
    config.model.discriminator_width = 32
    config.loss.reconstruction = "auto"
    config.loss.foreground_weight = 10.0  # without masks: weight pixels that differ from the clip's median
    config.model.skeleton_skips = True
    config.loss.equivariance_weight = 100.0
    config.train.regressor_pretrain_steps = 3000
    return with_argument(config, arg)
