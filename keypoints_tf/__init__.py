"""keypoints_tf: interpretable keypoint detectors learned from unlabelled videos and an unpaired pose prior.

An implementation of KeypointGAN (Jakab, Gupta, Bilen, Vedaldi, CVPR 2020) in TensorFlow 2 / Keras 3.

    keypoints_tf.list_models()                     # the detectors shipped in the package
    detector = keypoints_tf.load("people_walk")    # one of those, a .tflite/.onnx, a SavedModel folder, a workdir
    detection = detector.detect(rgb_image)         # keypoints (K, 2) in the image's pixels, confidence (K,)
"""

__version__ = "0.1.0"


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
