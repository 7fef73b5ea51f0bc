"""keypoints_tf: interpretable keypoint detectors learned from unlabelled videos and an unpaired pose prior.

An implementation of KeypointGAN (Jakab, Gupta, Bilen, Vedaldi, CVPR 2020) in TensorFlow 2 / Keras 3.
"""

__version__ = "0.1.0"
