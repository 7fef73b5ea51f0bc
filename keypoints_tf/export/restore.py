"""Restoring only the detector of a workdir: Phi and eta of a KeypointGAN / supervised run, or a student.

A training workdir (`keypoints_tf.train`) holds ``config.json`` and ``checkpoints/`` with, among others, the
objects ``image_to_skeleton`` (Phi) and ``keypoint_regressor`` (eta); only those two are read. A
distillation workdir (`keypoints_tf.distill`) has ``"detector": "student"`` in its ``config.json`` and the
object ``student``. Anything missing, corrupt or not matching the config raises `ModelFileError`.

Checkpoints are read by `keypoints_tf.workdirs.checkpoints` (the one restorer, shared with training), the
networks built by `keypoints_tf.models.build_detector_networks`: no training code is imported here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Optional

import ml_collections
import numpy as np
import tensorflow as tf

from keypoints_tf import contract as contract_lib
from keypoints_tf import workdirs
from keypoints_tf.errors import DataError, ModelFileError
from keypoints_tf.skeleton import Skeleton, get_skeleton
from keypoints_tf.workdirs.checkpoints import restore_from_workdir

STUDENT = "student"
CROP_CALIBRATION_FRAMES = 200


@dataclasses.dataclass
class RestoredDetector:
    """A detector restored from a workdir.

    Attributes:
        network: (B, S, S, 3) float32 images in [-1, 1] -> {"keypoints": (B, K, 2) in [-1, 1], "heatmaps"}.
        skeleton: the keypoints' skeleton.
        image_size: S, the square input size.
        kind: "keypoint_gan", "supervised" or "student".
        checkpoint: the checkpoint path the weights came from.
        data_config: the workdir's ``config.data`` (for calibration frames and the evaluation split).
        reference: for "keypoint_gan"/"supervised", the plain Keras call ``eta(Phi(x))`` (the networks as
            trained), else the student itself; parity checks compare exports with it.
    """

    network: object
    skeleton: Skeleton
    image_size: int
    kind: str
    checkpoint: str
    data_config: ml_collections.ConfigDict
    reference: object = None
    _crop: object = dataclasses.field(default=False, repr=False)  # crop_calibration's result; False: not yet

    def contract(self, extra: Optional[dict] = None, crop: Optional[dict] = None) -> dict:
        """The model contract (`keypoints_tf.contract`) with a ``model`` section saying what was exported,
        and `crop` (`crop_calibration`) as its ``crop`` section when given."""
        from keypoints_tf import __version__
        model = {"kind": self.kind, "checkpoint": os.path.basename(self.checkpoint),
                 "keypoints_tf_version": __version__}
        model.update(extra or {})
        sections = {"model": model, **({"crop": crop} if crop else {})}
        return contract_lib.build_contract(self.skeleton, self.image_size, extra=sections)

    def crop_calibration(self, num_frames: int = CROP_CALIBRATION_FRAMES) -> Optional[dict]:
        """The person-crop constants of this detector (`keypoints_tf.crop_region.calibrate`), measured on
        `num_frames` of its training frames; None (logged) where those frames cannot be read. Computed once."""
        if self._crop is False:
            from keypoints_tf.crop_region import calibrate
            from keypoints_tf.data.letterbox import to_model_range
            from keypoints_tf.models import heatmap_confidence
            try:
                frames = load_frames(self, num_frames)
            except DataError as e:
                logging.warning("no crop calibration (the contract's crop section is left out): %s", e)
                self._crop = None
                return None
            keypoints, confidence = [], []
            for start in range(0, len(frames), 50):
                outputs = self.network(to_model_range(frames[start:start + 50]), training=False)
                keypoints.append((outputs["keypoints"].numpy() + 1.0) * (self.image_size / 2.0))
                confidence.append(heatmap_confidence(outputs["heatmaps"]).numpy())
            self._crop = calibrate(np.concatenate(keypoints), np.concatenate(confidence), self.image_size)
        return self._crop


def is_student_workdir(workdir: str) -> bool:
    return workdirs.read_config(workdir).get("detector") == STUDENT


def workdir_data_config(workdir: str) -> ml_collections.ConfigDict:
    """The ``config.data`` a training or distillation workdir was trained on (a student's config.json holds its
    teacher's, resolved), without restoring any network."""
    values = workdirs.read_config(workdir)
    if values.get("detector") == STUDENT:
        return ml_collections.ConfigDict(values.get("data", {}))
    return workdirs.training_config(values).data


def restore_detector(workdir: str, skeleton: Optional[Skeleton] = None) -> RestoredDetector:
    """Builds the detector described by ``<workdir>/config.json`` and restores its latest checkpoint.

    Args:
        workdir: a training workdir or a distillation (student) workdir.
        skeleton: overrides the skeleton read from the workdir's data (needed only when the prior file it
            was trained with is gone and config.data.skeleton is empty).

    Raises:
        ModelFileError: no config, no checkpoint, a corrupt checkpoint, or one whose shapes do not match.
    """
    from keypoints_tf.models import dtype_policy
    with dtype_policy("float32"):  # exported graphs are float32 whatever precision trained them
        return _restore_detector(workdir, skeleton)


def _restore_detector(workdir: str, skeleton: Optional[Skeleton]) -> RestoredDetector:
    values = workdirs.read_config(workdir)
    if values.get("detector") == STUDENT:
        from keypoints_tf import student
        try:
            config = ml_collections.ConfigDict(values)
            network = student.StudentDetector.from_config(dict(values["student"]))
            skeleton = skeleton or Skeleton.from_dict(values["skeleton"])
            size = int(values["image_size"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{workdir}/config.json: not a valid student config ({e!r}); expected "
                                 "image_size, student, skeleton and data, as keypoints_tf.distill writes") from None
        if network.num_keypoints != skeleton.num_keypoints:
            raise ModelFileError(f"{workdir}/config.json: the student has {network.num_keypoints} keypoints but "
                                 f"the skeleton {skeleton.name!r} has {skeleton.num_keypoints}")
        network(tf.zeros((1, size, size, 3)))
        path = restore_from_workdir(workdir, {"student": network}, size)
        return RestoredDetector(network, skeleton, size, STUDENT, path, config.data, reference=network)

    from keypoints_tf.export.serving import ImageToKeypoints
    from keypoints_tf.models import build_detector_networks
    config = workdirs.training_config(values)
    skeleton = skeleton or workdir_skeleton(config, workdir)
    size = config.image_size
    phi, eta = build_detector_networks(config, skeleton.num_keypoints)
    eta(phi(tf.zeros((1, size, size, 3))))
    path = restore_from_workdir(workdir, {"image_to_skeleton": phi, "keypoint_regressor": eta}, size)

    def reference(images, training=False):
        return eta(phi(images, training=False), training=False)

    return RestoredDetector(ImageToKeypoints(phi, eta, name="image_to_keypoints"), skeleton, size,
                            config.method, path, config.data, reference=reference)


def workdir_skeleton(config, workdir: str) -> Skeleton:
    """The skeleton a training workdir learned: its prior file's category, else config.data.skeleton."""
    from keypoints_tf.data import coco
    prior = config.data.get("prior")
    if prior and os.path.isfile(prior):
        try:
            data = coco.load_json(prior)
            category = [c for c in data["categories"] if isinstance(c, dict) and "keypoints" in c][0]
            return Skeleton.from_coco_category(category, source=prior)
        except (DataError, KeyError, IndexError, TypeError) as e:
            raise ModelFileError(f"{workdir}: cannot read the skeleton from the prior {prior} ({e})") from None
    if config.data.get("skeleton"):
        return get_skeleton(config.data.skeleton)
    raise ModelFileError(f"{workdir}: the prior file {prior!r} it was trained with is gone and config.data.skeleton "
                         "is empty, so its skeleton is unknown; pass skeleton= (a keypoints_tf.skeleton.Skeleton)")


def load_frames(restored: RestoredDetector, num_frames: int) -> np.ndarray:
    """(N, S, S, 3) uint8 training frames, evenly spaced over the workdir's videos (int8 and crop calibration)."""
    from keypoints_tf.data import pipeline
    try:
        data = pipeline.load_training_data(restored.data_config, restored.image_size)
    except (DataError, OSError) as e:
        raise DataError(f"calibration reads the workdir's training frames and could not: {e}") from None
    frames = data.videos.frames
    indices = np.linspace(0, len(frames) - 1, min(num_frames, len(frames))).round().astype(int)
    return frames[indices]
