"""KeypointGAN on faces, the paper's protocol: unlabelled face video, an unpaired landmark prior, 300-W test.

    python -m keypoints_tf.data.tfds_builders voxceleb2_face_tracks --manual_dir /data/voxceleb2 \\
        --data_dir ~/tensorflow_datasets                                    # once: unlabelled face tracks
    python -m keypoints_tf.data.tfds_builders faces300w/crop128 --manual_dir /data/300W \\
        --data_dir ~/tensorflow_datasets                                    # once: the labelled test set
    python -m keypoints_tf.train --config=configs/faces_300w.py --workdir=runs/faces_300w \\
        --config.data.prior=multipie_landmarks.json [--config.data.tfds_data_dir=DIR]
    python -m keypoints_tf.train --config=configs/faces_300w.py:smoke --workdir=/tmp/faces_smoke \\
        --config.data.prior=PRIOR.json --config.data.tfds_data_dir=DIR      # seconds

Protocol (method.md sections 5 and 6, `keypoints_tf.data.tfds_source`): training frames from VoxCeleb2 face
tracks (``voxceleb2_face_tracks/128``, at most ``max_frames`` evenly spaced over the tracks; slice the split,
e.g. ``--config.data.tfds_train_split='train[:20000]'``, to read fewer tracks); the prior is a COCO keypoints
file of 68-point (``face68``) landmarks from a separate labelled set, MultiPIE in the paper (convert its
landmarks with `keypoints_tf.data.coco.write_coco_keypoints`, framed like the 128 px face crops: the 300-W
crops are 1.3 x the landmarks' box); evaluation on 300-W ``full`` (``faces300w/crop128``): ``nme_interocular``
(% of the outer-eye-corner distance, the 300-W number) with ``nme_interocular_per_group`` for ``common``
(helen + lfpw test) and ``challenging`` (ibug). Faces have no masks, so frames are not masked and the
reconstruction is not foreground-weighted (a talking head's median frame is the face itself).

Hardware: one GPU; about 5 GB of host memory for the 100,000 frames kept by ``max_frames``.

What was and was not run: VoxCeleb2, 300-W and MultiPIE are licensed and not on these machines, so no full run
was done and no number is claimed. Loading through this config's ``:smoke`` variant is tested on tiny fixtures
in each dataset's own on-disk format (tests/test_tfds_source.py), with a stand-in face68 prior file.
"""

from keypoints_tf.config import get_default_config, with_argument


def get_config(arg: str = ""):
    config = get_default_config()
    config.data.source = "tfds"
    config.data.tfds_name = "voxceleb2_face_tracks/128"
    config.data.tfds_eval_name = "faces300w/crop128"
    config.data.tfds_eval_split = "full"
    config.data.skeleton = "face68"
    config.data.max_frames = 100_000
    config.image_size = 128
    config.model.base_width = 32
    config.model.discriminator_width = 64
    config.loss.reconstruction = "auto"  # VGG-19 perceptual where ImageNet weights exist, else pixel + SSIM
    # The recipe of configs/synthetic.py where it applies (no masks for faces): skeleton skips, equivariance.
    config.model.skeleton_skips = True
    config.loss.equivariance_weight = 100.0
    config.train.regressor_pretrain_steps = 10_000
    return with_argument(config, arg, smoke={"data.max_frames": 64, "data.max_eval_images": 16})
