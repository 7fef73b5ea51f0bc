"""Python inference: `keypoints_tf.load(path)` for a workdir, a SavedModel folder, a `.tflite` or an `.onnx` file.

    import keypoints_tf
    detector = keypoints_tf.load("runs/export/model.tflite")      # or .onnx, a SavedModel folder, a workdir
    detection = detector.detect(rgb_image)                         # (H, W, 3) uint8 RGB, any size
    detection.keypoints                                            # (K, 2) float32 pixels of rgb_image
    detection.confidence                                           # (K,) float32 in [0, 1]
    detector.skeleton.keypoint_names, detector.contract

`detect` letterboxes the image into the S x S input exactly like the Android core
(`keypoints_tf.data.letterbox`: OpenCV INTER_AREA, centred on zeros) and maps the model's input-pixel
keypoints back with the letterbox inverse. Coordinates are continuous pixels (`keypoints_tf.skeleton`):
the centre of pixel (i, j) is (i + 0.5, j + 0.5). `.tflite` files run in `ai_edge_litert`, `.onnx` files in
`onnxruntime` (the ``onnx`` extra).
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from keypoints_tf import contract as contract_lib
from keypoints_tf import workdirs
from keypoints_tf.data.letterbox import input_to_frame, letterbox
from keypoints_tf.detection import Detection  # noqa: F401 (part of this module's API)
from keypoints_tf.errors import DataError, ModelFileError
from keypoints_tf.skeleton import Skeleton


class Detector:
    """Base class: `run` is the model on a letterboxed uint8 tensor, `detect` adds the letterbox."""

    def __init__(self, contract: dict, source: str):
        self.contract = contract_lib.validate_contract(contract, source)
        self.source = source
        self.skeleton = Skeleton.from_dict(contract["skeleton"])
        self.input_size = int(contract["input"]["shape"][1])

    def run(self, image: np.ndarray):
        """(1, S, S, 3) uint8 -> keypoints (1, K, 2) input pixels, confidence (1, K), both float32."""
        raise NotImplementedError

    def letterbox(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (1, S, S, 3) uint8: the tensor `detect` feeds the model."""
        return letterbox(_check_image(image), self.input_size)[None]

    def detect(self, image: np.ndarray) -> Detection:
        """(H, W, 3) uint8 RGB image of any size -> Detection in that image's pixels."""
        image = _check_image(image)
        height, width = image.shape[:2]
        keypoints, confidence = self.run(self.letterbox(image))
        raw = np.asarray(keypoints, np.float32)[0]
        frame = input_to_frame(raw, width, height, self.input_size).astype(np.float32)
        return Detection(keypoints=frame, confidence=np.asarray(confidence, np.float32)[0], input_keypoints=raw)

    def __repr__(self):
        return (f"{type(self).__name__}({self.source!r}, skeleton={self.skeleton.name}, "
                f"input_size={self.input_size})")


class TFLiteDetector(Detector):
    """A `.tflite` exported by `keypoints_tf.export`, run by `ai_edge_litert` (signature serving_default).

    The model bytes and the contract are checked against the contract's SHA-256 record before anything runs
    (`keypoints_tf.contract.check_integrity`).

    Args:
        path: the .tflite file (contract embedded, or ``NAME.contract.json`` beside ``NAME.tflite``).
        num_threads: CPU threads of the interpreter (None = LiteRT's default).
    """

    def __init__(self, path: str, num_threads: Optional[int] = None):
        from ai_edge_litert.interpreter import Interpreter

        data, contract = contract_lib.read_tflite(path)
        super().__init__(contract, path)
        try:  # the bytes whose SHA-256 was checked, not the file read again
            self.interpreter = Interpreter(model_content=data, num_threads=num_threads)
            self._runner = self.interpreter.get_signature_runner("serving_default")
        except (ValueError, RuntimeError) as e:
            raise ModelFileError(f"{path}: LiteRT cannot load this model ({e})") from None
        inputs, outputs = self._runner.get_input_details(), self._runner.get_output_details()
        expected = tuple(self.contract["input"]["shape"])
        if "image" not in inputs or tuple(inputs["image"]["shape"]) != expected:
            raise ModelFileError(f"{path}: the model's input {_describe(inputs)} does not match the contract's "
                                 f"'image' {list(expected)}")
        for name in ("keypoints", "confidence"):
            shape = tuple(self.contract["outputs"][name]["shape"])
            if name not in outputs or tuple(outputs[name]["shape"]) != shape:
                raise ModelFileError(f"{path}: the model's outputs {_describe(outputs)} do not match the "
                                     f"contract's {name!r} {list(shape)}")
        self.input_dtype = inputs["image"]["dtype"]

    def run(self, image):
        outputs = self._runner(image=np.asarray(image).astype(self.input_dtype, copy=False))
        return outputs["keypoints"], outputs["confidence"]


class ONNXDetector(Detector):
    """An `.onnx` exported by `keypoints_tf.export.onnx` (contract in its metadata), run by onnxruntime on the CPU.

    Args:
        path: the .onnx file.
        num_threads: intra-op threads of the session (None = onnxruntime's default).
    """

    def __init__(self, path: str, num_threads: Optional[int] = None):
        try:
            import onnxruntime
        except ImportError:
            raise ModelFileError(f'{path}: ONNX models need onnxruntime: pip install -e ".[onnx]"') from None
        from keypoints_tf.export.onnx import read_onnx_contract
        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        try:
            self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime's errors (InvalidProtobuf, Fail, ...) derive from Exception only
            raise ModelFileError(f"{path}: onnxruntime cannot load this model ({str(e)[:300]})") from None
        super().__init__(read_onnx_contract(self.session, path), path)
        inputs = {i.name: {"shape": i.shape, "dtype": i.type} for i in self.session.get_inputs()}
        outputs = {o.name: {"shape": o.shape, "dtype": o.type} for o in self.session.get_outputs()}
        if inputs.get("image", {}).get("shape") != self.contract["input"]["shape"]:
            raise ModelFileError(f"{path}: the model's inputs {inputs} do not match the contract's 'image' "
                                 f"{self.contract['input']['shape']}")
        for name in ("keypoints", "confidence"):
            if outputs.get(name, {}).get("shape") != self.contract["outputs"][name]["shape"]:
                raise ModelFileError(f"{path}: the model's outputs {outputs} do not match the contract's {name!r} "
                                     f"{self.contract['outputs'][name]['shape']}")

    def run(self, image):
        keypoints, confidence = self.session.run(["keypoints", "confidence"], {"image": np.asarray(image, np.uint8)})
        return keypoints, confidence


class SavedModelDetector(Detector):
    """A SavedModel folder exported by `keypoints_tf.export` (contract in assets/)."""

    def __init__(self, path: str):
        import tensorflow as tf

        from keypoints_tf.export.saved_model import SIGNATURE, read_saved_model_contract
        super().__init__(read_saved_model_contract(path), path)
        try:
            self.model = tf.saved_model.load(path)
            self._signature = self.model.signatures[SIGNATURE]
        except (OSError, ValueError, KeyError, tf.errors.OpError) as e:
            raise ModelFileError(f"{path}: TensorFlow cannot load this SavedModel's {SIGNATURE} ({e})") from None

    def run(self, image):
        import tensorflow as tf
        outputs = self._signature(image=tf.constant(image, tf.uint8))
        return outputs["keypoints"].numpy(), outputs["confidence"].numpy()


class KerasDetector(Detector):
    """The detector of a training or distillation workdir, restored from its latest checkpoint."""

    def __init__(self, workdir: str):
        import tensorflow as tf

        from keypoints_tf.export.restore import restore_detector
        from keypoints_tf.export.serving import ServingDetector
        self.restored = restore_detector(workdir)
        super().__init__(self.restored.contract(), workdir)
        self.serving = ServingDetector(self.restored.network, self.restored.image_size)
        self._call = tf.function(self.serving.call, input_signature=self.serving.input_signature())

    def run(self, image):
        outputs = self._call(image)
        return outputs["keypoints"].numpy(), outputs["confidence"].numpy()


def load(path: str, num_threads: Optional[int] = None) -> Detector:
    """A detector from a `.tflite` or `.onnx` file, a SavedModel folder or a training/distillation workdir.

    Args:
        path: ``*.tflite``; ``*.onnx``; a folder with ``saved_model.pb``; a folder with ``config.json`` and
            checkpoints/.
        num_threads: CPU threads for `.tflite` and `.onnx` models.

    Raises:
        ModelFileError: the path is none of these, or the model or its contract is missing, corrupt or
            mismatched.
    """
    path = os.fspath(path)
    from keypoints_tf import pretrained
    if not os.path.exists(path) and pretrained.model_path(path):  # a shipped detector's name
        path = pretrained.model_path(path)
    if os.path.isfile(path):
        if path.endswith(".tflite"):
            return TFLiteDetector(path, num_threads=num_threads)
        if path.endswith(".onnx"):
            return ONNXDetector(path, num_threads=num_threads)
        raise ModelFileError(f"{path}: expected a .tflite or .onnx file, a SavedModel folder or a workdir")
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "saved_model.pb")):
            return SavedModelDetector(path)
        if os.path.isfile(os.path.join(path, workdirs.CONFIG_FILE)):
            return KerasDetector(path)
        raise ModelFileError(f"{path}: a folder with neither saved_model.pb (SavedModel) nor config.json "
                             "(training or distillation workdir)")
    raise ModelFileError(f"{path}: no such file or folder (expected a .tflite, an .onnx, a SavedModel folder, a "
                         f"workdir or a shipped detector's name: {', '.join(pretrained.list_models()) or 'none'})")


def _check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
        raise DataError(f"expected an (H, W, 3) uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    return image


def _describe(details: dict) -> str:
    return ", ".join(f"{name} {list(d['shape'])} {np.dtype(d['dtype']).name}" for name, d in details.items())
