"""keypoints_tf: interpretable keypoint detectors learned from unlabelled videos and an unpaired pose prior.

An implementation of KeypointGAN (Jakab, Gupta, Bilen, Vedaldi, CVPR 2020) in TensorFlow 2 / Keras 3.

    keypoints_tf.list_models()                     # the detectors shipped in the package
    detector = keypoints_tf.load("people_walk")    # one of those, a .tflite/.onnx, a SavedModel folder, a workdir
    detection = detector.detect(rgb_image)         # keypoints (K, 2) in the image's pixels, confidence (K,)
"""

import os as _os
import platform as _platform

__version__ = "0.1.0"

# TensorFlow turns its oneDNN CPU kernels on by default only on x86 CPUs with AVX512-VNNI/BF16 or AMX; on
# AVX2-only CPUs they stay off, and a KeypointGAN step runs 3x slower without them (README, "oneDNN on every
# x86 CPU"). Set before TensorFlow is imported (it reads the variable once); a value the user set is kept.
if _platform.machine().lower() in ("x86_64", "amd64"):
    _os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def list_models():
    """Names of the detectors that ship with the package (`keypoints_tf.load(NAME)` runs one)."""
    from keypoints_tf.pretrained import list_models as _list
    return _list()


def load(path, num_threads=None):
    """A detector from a shipped model's name (`list_models()`), a `.tflite` or `.onnx` file, a SavedModel folder
    or a workdir (see `keypoints_tf.inference`).

    Imported lazily so that ``import keypoints_tf`` does not import TensorFlow.
    """
    from keypoints_tf.inference import load as _load
    return _load(path, num_threads=num_threads)
