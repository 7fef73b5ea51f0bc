"""KeypointGAN on real footage: people tracked out of a raw pedestrian video, a motion-capture prior, no labels.

    python benchmarks/real_people.py --out runs/real_people --minutes 35      # prepare + train + overlay strip
    python benchmarks/real_people.py --out runs/real_people --prepare-only    # ~1 min: clips and prior only
    python -m keypoints_tf.train --config=configs/real_people.py --workdir=runs/real_people/workdir
    python -m keypoints_tf.train --config=configs/real_people.py:smoke --workdir=/tmp/real_smoke   # seconds

Data (written by benchmarks/real_people.py, defaults below point at runs/real_people/): the clips are walkers
tracked in ../shared/data/real/vtest.avi by ``python -m keypoints_tf.data.tracks`` (128 px crops; every 5th
track is held out for display only), the prior is the three CMU/cgspeed BVH files turned into ~3,900 2D
``human17`` poses by ``python -m keypoints_tf.data.mocap`` (3 random cameras per every 8th frame). There are no
masks and no labelled frames: the reconstruction is weighted towards pixels that differ from each clip's
median frame (configs/custom.py), and there is no evaluation set, so no error is reported; the result is the
overlay strip docs/images/real_people_strip.png.

Hardware: a 2-core CPU at 64 px, or one GPU.
"""

from keypoints_tf.config import get_default_config, shrink_for_smoke


def get_config(arg: str = ""):
    config = get_default_config()
    config.data.source = "folders"
    config.data.videos = "runs/real_people/clips"
    config.data.prior = "runs/real_people/prior.json"
    config.data.skeleton = "human17"
    config.image_size = 64
    config.model.base_width = 16
    config.model.discriminator_width = 32
    config.loss.reconstruction = "auto"
    config.loss.foreground_weight = 10.0  # no masks: weight pixels that differ from the clip's median
    config.model.skeleton_skips = True
    config.loss.equivariance_weight = 100.0
    config.train.regressor_pretrain_steps = 3000
    # About 22 minutes on a 2-core CPU (~0.6 s per GAN step): the rate holds for half the run, then decays
    # linearly to a tenth, as in configs/synthetic.py.
    config.train.steps = 2000
    config.train.decay_to = 0.1
    config.train.mixed_precision = True
    if arg == "smoke":
        shrink_for_smoke(config)
    elif arg:
        raise ValueError(f"unknown config argument {arg!r}; the only one is 'smoke'")
    return config
