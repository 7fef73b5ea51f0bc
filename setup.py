"""keypoints_tf: KeypointGAN in TensorFlow 2 / Keras 3."""

import re

from setuptools import find_packages, setup

with open("keypoints_tf/__init__.py") as f:
    version = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)

setup(
    name="keypoints_tf",
    version=version,
    description="Interpretable keypoint detectors learned from unlabelled videos and an unpaired pose prior "
                "(KeypointGAN, CVPR 2020), with TFLite export.",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["keypoints_tf", "keypoints_tf.*"]),
    package_data={"keypoints_tf.pretrained": ["index.json", "*.tflite"]},
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.15,<4",
        "tensorboard>=2.21,<2.22",
        "tensorflow-datasets>=4.9",
        "numpy>=1.26",
        "opencv-python-headless>=4.9,<5",  # 5.x dropped the HOG people detector used by data.tracks
        "absl-py>=2.1",
        "ml-collections>=1.0",
        "ai-edge-litert>=2.0",
        "tqdm>=4.60",
        "py-cpuinfo>=9",  # CPU feature flags for train.precision="auto"
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "hypothesis>=6.100"],
        # ONNX export and inference (export/export_onnx.py, keypoints_tf.load("model.onnx")). tf2onnx 1.16 pins
        # protobuf~=3.20, which TensorFlow 2.21 cannot use; 1.17 drops the pin and runs on NumPy 2.
        "onnx": ["tf2onnx>=1.17", "onnx>=1.17", "onnxruntime>=1.20"],
    },
)
