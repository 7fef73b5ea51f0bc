"""KeypointGAN on real footage: people tracked out of a raw pedestrian video, masks from the video itself, a
motion-capture prior, no labels.

    python benchmarks/real_people.py --out runs/real_people --prepare-only    # ~2 min: clips, masks, labels, prior
    python -m keypoints_tf.train --config=configs/real_people.py --workdir=runs/real_people/workdir
    python benchmarks/real_people.py --out runs/real_people --minutes 60      # all of it, test errors, strips
    python -m keypoints_tf.train --config=configs/real_people.py:smoke --workdir=/tmp/real_smoke   # seconds

Data (written by benchmarks/real_people.py; the defaults below point at runs/real_people/): 128 px crops of
walkers tracked in ../shared/data/real/vtest.avi, with foreground masks from a median background of the whole
video (`keypoints_tf.data.background`); the prior is 3,138 2D ``human17`` poses of someone walking, projected
from three CMU BVH files (`mocap --speed 0.4 1.3 --max-tilt 30`). Evaluation is on the **dev** tracks (people
never trained on) against PSEUDO labels from BlazePose: a measuring stick, not ground truth; the test tracks are
scored once, by the benchmark.

Hardware: a 2-core CPU at 64 px, or one GPU.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.data.source = "folders"
    config.data.videos = "runs/real_people/clips"
    config.data.masks = "runs/real_people/clips/masks"
    config.data.prior = "runs/real_people/prior_walk.json"  # walkers only: no boxing guards, falls or climbing
    config.data.eval = "runs/real_people/dev/annotations.json"
    config.data.eval_masks = "runs/real_people/dev/masks"
    config.data.mask_background = True  # the recipe of the synthetic worlds, with masks from the footage
    config.data.background_fill = 128   # mid-grey: on black, the dark coats of most walkers vanish
    config.data.skeleton = "human17"
    config.image_size = 64
    config.model.base_width = 16
    config.model.discriminator_width = 32
    config.loss.reconstruction = "auto"
    config.model.skeleton_skips = True
    # A walker's other frame has nearly the same layout: with spatial appearance features Psi copies it and
    # the skeleton need not carry the pose. Pooled globally, x' gives colours and textures only.
    config.model.appearance_pooling = "global"
    config.loss.equivariance_weight = 100.0
    # Reconstruction 3x and adversarial term at half the synthetic recipe's: the stride follows the walkers'
    # more closely (README, "Real footage": runs 15-21, two seeds of this recipe, 17 and 20).
    config.loss.reconstruction_weight = 30.0
    config.loss.adversarial_weight = 5.0
    config.train.regressor_pretrain_steps = 3000
    # About 30-35 minutes on one core of a 2-core AMX CPU (~0.8-1 s per GAN step in bfloat16): the rate holds for
    # half the run, then decays linearly to a tenth, as in configs/synthetic.py; fitted to 60 minutes where the
    # CPU is slower (keypoints_tf.budget). README: "Real footage".
    config.train.steps = 2000
    config.train.decay_to = 0.1
    config.train.budget_minutes = 60.0
    return with_argument(config, arg)
