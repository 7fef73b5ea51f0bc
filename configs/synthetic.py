"""The README's main job: KeypointGAN on the embedded synthetic world, CPU-sized, 64 px.

    python -m keypoints_tf.train --config=configs/synthetic.py --workdir=runs/synthetic
    python -m keypoints_tf.train --config=configs/synthetic.py:smoke --workdir=/tmp/smoke   # seconds

Hardware: a 2-core CPU. Expected result: see README's results table.
"""

from keypoints_tf.config import get_default_config, shrink_for_smoke


def get_config(arg: str = ""):
    config = get_default_config()
    config.image_size = 64
    config.model.base_width = 16
    config.model.discriminator_width = 32
    config.loss.reconstruction = "pixel_ssim"
    if arg == "smoke":
        shrink_for_smoke(config)
    elif arg:
        raise ValueError(f"unknown config argument {arg!r}; the only one is 'smoke'")
    return config
