"""The README's main job: KeypointGAN on the embedded synthetic world, CPU-sized, 64 px.

    python -m keypoints_tf.train --config=configs/synthetic.py --workdir=runs/synthetic
    python -m keypoints_tf.train --config=configs/synthetic.py:smoke --workdir=/tmp/smoke   # seconds

Hardware: a 2-core CPU. Expected result: see README's results table.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.image_size = 64
    config.model.base_width = 16
    config.model.discriminator_width = 32
    config.loss.reconstruction = "pixel_ssim"
    # What made KeypointGAN learn at this scale (README, "What made it learn"): frames with the background
    # blacked out by their masks (the reference's Simplified Human3.6M protocol), Psi's decoder seeing the
    # rendered skeleton at every scale, and an equivariance term under random similarity transforms.
    config.data.mask_background = True
    config.model.skeleton_skips = True
    config.loss.equivariance_weight = 100.0
    config.train.regressor_pretrain_steps = 3000
    # About 45 minutes on a 2-core CPU (~0.8 s per GAN step). The rate holds for the first half, then falls
    # linearly to a tenth: the adversarial game keeps oscillating at a constant rate (the error swung
    # 4.3% -> 5.6% over the last 10 minutes of a constant-rate run), the decay lets it settle.
    config.train.steps = 3200
    config.train.decay_to = 0.1
    return with_argument(config, arg)
