"""The paper's sizes on the embedded synthetic world: 128 px, reference widths, VGG-19 perceptual loss
where ImageNet weights are present (else the pixel + SSIM fallback, with one loud log line).

    python -m keypoints_tf.train --config=configs/synthetic_128.py --workdir=runs/synthetic_128

Hardware: one GPU (a 2-core CPU manages a few hundred steps an hour). See README's results table.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.image_size = 128
    config.model.base_width = 32
    config.model.discriminator_width = 64
    config.loss.reconstruction = "auto"
    config.data.mask_background = True
    config.train.regressor_pretrain_steps = 10_000
    return with_argument(config, arg)
