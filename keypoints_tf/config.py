"""The base configuration. Every file in configs/ starts from `get_default_config()`, changes a few fields and
returns `with_argument(config, arg)`: the config locked, so that a misspelt field (``c.train.stpes = 3``) is
an error, with its ``:smoke`` variant applied in one place. Every field has its default here and only here:
code reads fields as attributes, never ``config.get(field, default)``.

Field groups: data (where frames, prior and labels come from), model (network sizes), loss (weights),
train (schedule and optimisation), log (logging, evaluation, checkpoints).
"""

from __future__ import annotations

import ml_collections


def get_default_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.image_size = 64
    # "keypoint_gan" (unsupervised, the method) or "supervised" (eta(Phi(x)) trained on labels: the upper bound).
    config.method = "keypoint_gan"

    config.data = ml_collections.ConfigDict()
    # "synthetic": generate the embedded world (config.data.world) into world_dir on first use;
    # "folders": bring-your-own data at the paths below; "tfds": datasets prepared by
    # keypoints_tf.data.tfds_builders (keypoints_tf.data.tfds_source, the tfds_* fields below).
    config.data.source = "synthetic"
    config.data.world = ml_collections.ConfigDict(
        {"videos": 300, "frames": 16, "prior": 5000, "eval": 500, "seed": 0})
    config.data.world_dir = ""           # "" = <workdir>/world
    config.data.videos = ""              # folder of videos (sub-folders of frames or video files)
    config.data.masks = ""               # optional foreground masks, same layout as the frame folders
    config.data.prior = ""               # COCO keypoints JSON of unpaired poses
    config.data.eval = ""                # COCO keypoints JSON of labelled evaluation images
    config.data.train_labels = ""        # labels of the training frames (supervised method only)
    config.data.skeleton = ""            # optional check: the prior's skeleton must be this built-in one
    config.data.prior_size = 0           # 0 = every prior pose; N = a fixed random subset of N poses
    config.data.prior_subset_seed = 0
    config.data.min_gap = 1              # frame gap between x and x' (max_gap 0 = anywhere in the video)
    config.data.max_gap = 0
    config.data.flip = True              # mirror training pairs
    config.data.prior_flip = True        # mirror prior poses (left/right relabelled)
    # Black out the background of training frames and evaluation images with their masks, as the
    # reference does on Simplified Human3.6M (needs config.data.masks and config.data.eval_masks).
    config.data.mask_background = False
    config.data.eval_masks = ""          # masks of the evaluation images, same names under this folder
    # The grey level painted over the background (0 = black, the reference). Real footage: mid-grey, so
    # that dark clothes do not vanish into a black background.
    config.data.background_fill = 0
    # With masks: the fraction of training frames that Phi sees with their real background while the
    # reconstruction target stays masked, so that the detector also works where no mask exists.
    config.data.unmasked_input = 0.0
    # source "tfds" (keypoints_tf.data.tfds_source). The prior is config.data.prior if set, else the keypoints
    # of the second half of every training video (Simplified Human3.6M; frames come from the first halves).
    config.data.tfds_name = ""           # training frames: "simple_human36m" or "voxceleb2_face_tracks/128"
    config.data.tfds_data_dir = ""       # "" = tensorflow-datasets' default (~/tensorflow_datasets)
    config.data.tfds_train_split = "train"
    config.data.tfds_eval_name = ""      # labelled evaluation dataset; "" = tfds_name (faces: "faces300w/crop128")
    config.data.tfds_eval_split = ""     # "" = no evaluation; "test" (Human3.6M S11), "full" (300-W)
    config.data.max_frames = 0           # training frames held in memory (0 = all): a frame step, or per track
    config.data.max_eval_images = 0      # 0 = the whole evaluation split; N = every k-th example, <= N

    config.model = ml_collections.ConfigDict()
    config.model.base_width = 32         # Phi, eta and Psi widths are multiples of this (32 = the reference)
    config.model.num_downsamples = 3     # eta's heatmaps are image_size / 2**num_downsamples
    config.model.discriminator_width = 64
    config.model.discriminator_scales = 3
    config.model.appearance_pooling = "spatial"  # or "global": Psi sees x' only through pooled features
    config.model.sigma = 0.0             # renderer line width; 0 = the reference's profile at this size
    config.model.pool_size = 50
    config.model.skeleton_skips = False  # Psi's decoder also sees the skeleton at every scale
    config.model.appearance_skips = False  # ... and the appearance frame's pooled colours at every scale

    config.loss = ml_collections.ConfigDict()
    # "perceptual" (VGG-19; ImageNet weights from loss.vgg_weights or the Keras cache), "pixel_ssim"
    # (multi-scale L1 + SSIM, needs no weights), or "auto" (perceptual when the weights exist).
    config.loss.reconstruction = "auto"
    config.loss.vgg_weights = ""
    config.loss.reconstruction_weight = 10.0
    config.loss.adversarial_weight = 10.0
    config.loss.foreground_weight = 0.0
    config.loss.regressor_prior_weight = 0.9
    config.loss.regressor_render_weight = 0.1
    config.loss.equivariance_weight = 0.0  # detect(T x) = T detect(x) for random similarities and mirrors T (0 = off)
    config.loss.cycle_weight = 0.0       # detect(Psi(beta(p_bar), x')) = p_bar (0 = off)

    config.train = ml_collections.ConfigDict()
    config.train.batch_size = 16         # global batch, split over replicas
    config.train.steps = 100_000         # GAN (or supervised) steps after eta's pre-training
    config.train.regressor_pretrain_steps = 4000
    config.train.regressor_pretrain_learning_rate = 1e-3  # Adam(beta_1=0.9) for eta's pre-training
    # regressor_pretrain_steps is the most: with a window > 0, pre-training stops once the mean prior error of
    # the last window of steps fell less than min_gain (a fraction) below the window before (keypoints_tf.plateau).
    config.train.regressor_pretrain_window = 0
    config.train.regressor_pretrain_min_gain = 0.02
    config.train.adversarial_start_step = 0
    config.train.cycle_start_step = 0
    config.train.learning_rate = 2e-4
    config.train.decay_to = 1.0          # < 1: hold for half of train.steps, then decay linearly to this x the rate
    config.train.beta_1 = 0.5
    config.train.beta_2 = 0.999
    config.train.clip_norm = 1.0
    # "auto": bfloat16 where the hardware runs it natively (CPUs with AMX/AVX512-BF16, GPUs of compute
    # capability >= 8.0), else float32; or force "bfloat16" / "float32" (keypoints_tf.precision).
    config.train.precision = "auto"
    config.train.jit_compile = False
    config.train.max_minutes = 0.0       # stop after this much training wall time (0 = no limit)
    # Fit the run to this much wall time (0 = off; keypoints_tf.budget): eta's pre-training ends by a quarter of
    # it, and after 45 GAN steps the run's steps become those that fit (at most train.steps), schedule included.
    config.train.budget_minutes = 0.0
    config.train.strategy = "auto"       # auto (Mirrored over local GPUs), mirrored, multi_worker, default
    config.train.max_rollbacks = 3       # non-finite losses / collapse: roll back at most this often
    # The collapse alarm (keypoints_tf.collapse): keypoint spread across a batch < collapse_ratio x the prior's
    # for collapse_patience GAN steps -> "warn" (log + TensorBoard), "rollback" (to the last healthy
    # checkpoint, rates x collapse_rate_factor), "stop", or "off".
    config.train.collapse_action = "warn"
    config.train.collapse_ratio = 0.25
    config.train.collapse_patience = 300
    config.train.collapse_rate_factor = 0.5

    config.log = ml_collections.ConfigDict()
    config.log.every_steps = 50
    config.log.eval_every_steps = 500
    config.log.image_every_steps = 1000
    config.log.checkpoint_every_steps = 500
    config.log.checkpoint_every_minutes = 10.0
    config.log.keep_checkpoints = 3
    config.log.eval_batch_size = 64
    return config


def shrink_for_smoke(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """The `:smoke` variant: tiny images, widths, data and steps, so the whole pipeline runs in seconds."""
    config.image_size = 32
    config.data.world.update({"videos": 6, "frames": 4, "prior": 64, "eval": 8})
    config.model.base_width = 4
    config.model.discriminator_width = 8
    config.model.discriminator_scales = 2
    config.model.pool_size = 4
    config.loss.reconstruction = "pixel_ssim"
    config.train.batch_size = 4
    config.train.steps = 4
    config.train.regressor_pretrain_steps = 2
    config.log.every_steps = 2
    config.log.eval_every_steps = 4
    config.log.image_every_steps = 4
    config.log.checkpoint_every_steps = 2
    config.log.eval_batch_size = 4
    return config


def with_argument(config: ml_collections.ConfigDict, arg: str, smoke: dict | None = None,
                  shrink: bool = True) -> ml_collections.ConfigDict:
    """What a config file's `get_config(arg)` returns: `config` for arg "", or its ``smoke`` variant
    (`shrink_for_smoke` unless `shrink` is False, as for configs that are not training configs, then the file's
    own `smoke` changes as dotted fields, e.g. ``{"data.max_frames": 64}``); locked either way. Any other
    argument is a ValueError."""
    if arg == "smoke":
        if shrink:
            shrink_for_smoke(config)
        config.update_from_flattened_dict(smoke or {})
    elif arg:
        raise ValueError(f"unknown config argument {arg!r}; the only one is 'smoke'")
    config.lock()
    return config


def load_config_file(path: str) -> ml_collections.ConfigDict:
    """`get_config(arg)` of a config file named as on the command line: `configs/synthetic.py[:smoke]`, locked
    (new fields cannot be added, so a misspelt one raises)."""
    import importlib.util
    path, _, arg = path.partition(":")
    if not path.endswith(".py"):
        raise ValueError(f"{path!r} is not a config file: expected a .py file with get_config(), "
                         "e.g. configs/synthetic.py")
    spec = importlib.util.spec_from_file_location("keypoints_tf_config_file", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config(arg)
    config.lock()
    return config
