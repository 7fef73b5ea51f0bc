"""KeypointGAN on Simplified Human3.6M, the paper's protocol: 128 px, reference widths, masked frames.

    python -m keypoints_tf.data.tfds_builders simple_human36m --manual_dir /data/simple_human36m \\
        --data_dir ~/tensorflow_datasets                                    # once: the TFDS build step
    python -m keypoints_tf.train --config=configs/simple_human36m.py --workdir=runs/simple_human36m \\
        [--config.data.tfds_data_dir=DIR]
    python -m keypoints_tf.train --config=configs/simple_human36m.py:smoke --workdir=/tmp/h36m_smoke \\
        --config.data.tfds_data_dir=DIR                                      # seconds, on any prepared copy

Protocol (method.md sections 5 and 6, `keypoints_tf.data.tfds_source`): frames from the first half of every
training video (S1, S5-S9), prior = the 17 keypoints of the second half of every training video (never paired
with a used frame), foreground masks from the dataset black out the background of frames and test images;
evaluation on S11 (split ``test``): error in % of the image size, averaged per activity and then over the six
activities (``error_group_mean``, ``flip_fixed_error_group_mean`` with the left/right fix; the per-image mean
is ``error``). The paper reports 2.73 (method.md section 7).

Hardware: one GPU (128 px at the reference widths; a 2-core CPU manages only a few hundred steps an hour, as
for configs/synthetic_128.py) and about 7 GB of host memory for the 100,000 frames + masks kept by
``max_frames`` (65 KB each at 128 px).

What was and was not run: the dataset is licensed and not on these machines, so the full run has not been
done and no number is claimed. The loader, the per-activity evaluation and this config's ``:smoke`` variant
run end to end in tests/test_tfds_source.py on a tiny fixture in the dataset's own on-disk format.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.data.source = "tfds"
    config.data.tfds_name = "simple_human36m"
    config.data.tfds_eval_split = "test"
    config.data.skeleton = "human17"
    config.data.max_frames = 100_000
    config.image_size = 128
    config.model.base_width = 32
    config.model.discriminator_width = 64
    config.loss.reconstruction = "auto"  # VGG-19 perceptual where ImageNet weights exist, else pixel + SSIM
    # The recipe of configs/synthetic.py: masked frames, skeleton skips, equivariance.
    config.data.mask_background = True
    config.model.skeleton_skips = True
    config.loss.equivariance_weight = 100.0
    config.train.regressor_pretrain_steps = 10_000
    return with_argument(config, arg, smoke={"data.max_frames": 64, "data.max_eval_images": 16})
