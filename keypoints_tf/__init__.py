"""keypoints_tf: interpretable keypoint detectors learned from unlabelled videos and an unpaired pose prior.

An implementation of KeypointGAN (Jakab, Gupta, Bilen, Vedaldi, CVPR 2020) in TensorFlow 2 / Keras 3.

    detector = keypoints_tf.load("model.tflite")   # or model.onnx, a SavedModel folder, or a workdir
    detection = detector.detect(rgb_image)         # keypoints (K, 2) in the image's pixels, confidence (K,)
"""

__version__ = "0.1.0"


def load(path, num_threads=None):
    """A detector from a `.tflite` or `.onnx` file, a SavedModel folder or a workdir (see `keypoints_tf.inference`).

    Imported lazily so that ``import keypoints_tf`` does not import TensorFlow.
    """
    from keypoints_tf.inference import load as _load
    return _load(path, num_threads=num_threads)
