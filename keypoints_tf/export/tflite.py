"""TFLite conversion of the exported SavedModel, with the contract embedded and written beside it.

Quantization (a string choice):

* ``float32``: no quantization.
* ``float16``: float16 weights (half the size); the CPU dequantizes them once, the GPU delegate runs in
  float16 anyway.
* ``dynamic``: int8 weights, float activations quantized on the fly by the CPU kernels (dynamic range).
  The GPU delegate dequantizes the weights and runs in float.
* ``int8``: int8 weights and activations (full integer), calibrated on `DEFAULT_CALIBRATION_FRAMES`
  evenly spaced training frames of the workdir's data. The input stays **uint8** RGB and the outputs stay
  **float32**, so every variant has the same contract (the app needs no per-variant code): the uint8 ->
  [-1, 1] step is quantized at the model's entry, and the soft-argmax / confidence tail (a few
  reductions over 16 x 16 maps, negligible time) is kept in float32, where int8 would cost up to half a
  heatmap pixel (``FLOAT_TAIL_OPS``). The GPU delegate runs int8 models by dequantizing the weights.

Every variant keeps the ``serving_default`` signature (input ``image``, outputs ``keypoints`` and
``confidence``) and carries the contract as the ZIP entry ``keypoints_contract.json`` after the flatbuffer
(`keypoints_tf.contract.embed_in_tflite`); ``NAME.contract.json`` is written beside ``NAME.tflite``, so that
several exports can share a folder (the Android app bundles such a folder as is).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings

import numpy as np
import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf import contract as contract_lib
from keypoints_tf.export.restore import RestoredDetector, load_frames, restore_detector
from keypoints_tf.export.saved_model import write_saved_model

QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
DEFAULT_CALIBRATION_FRAMES = 200
read_tflite_contract = contract_lib.read_tflite_contract  # lives in keypoints_tf.contract: no TensorFlow needed
# Ops of the heatmap -> keypoints tail kept in float32 in int8 models.
FLOAT_TAIL_OPS = ("SOFTMAX", "SUM", "SQUARED_DIFFERENCE", "SQRT", "MAXIMUM", "MINIMUM", "PACK", "TRANSPOSE")


def convert_saved_model(saved_model_dir: str, quantization: str = "float32", calibration_images=None) -> bytes:
    """The `.tflite` flatbuffer (without contract) of an exported SavedModel.

    Args:
        saved_model_dir: written by `write_saved_model` (signature ``serving_default``).
        quantization: one of `QUANTIZATIONS`.
        calibration_images: (N, S, S, 3) uint8 letterboxed RGB frames; required for ``int8``.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir, signature_keys=["serving_default"])
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quantization == "int8":
        if calibration_images is None or len(calibration_images) == 0:
            raise ValueError("int8 quantization needs calibration_images: (N, S, S, 3) uint8 frames")
        return _convert_int8(converter, np.asarray(calibration_images, np.uint8))
    return converter.convert()


def _convert_int8(converter, images: np.ndarray) -> bytes:
    def representative_dataset():
        for image in images:
            yield {"image": image[None]}

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.inference_output_type = tf.float32
    # The debugger is TensorFlow's public way to keep chosen ops in float (denylisted_ops); it calibrates
    # through the converter and, on construction, runs the calibrated model once in tf.lite.Interpreter
    # (deprecated in favour of ai_edge_litert, hence the silenced warning). Nothing else here uses it.
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(FLOAT_TAIL_OPS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: iter([{"image": images[0][None]}]), debug_options=options)
        return debugger.get_nondebug_quantized_model()


def write_tflite(model: bytes, contract: dict, output: str, overwrite: bool = False) -> str:
    """Writes `model` with the contract sealed (`keypoints_tf.contract.seal`, after every other section) and
    embedded to `output` (NAME.tflite), and the same sealed contract beside it as NAME.contract.json; returns
    that file's path. The pair is written together (`atomic.write_together`): both appear whole or neither
    changes; an existing one is replaced only with `overwrite`."""
    contract_lib.validate_contract(contract)
    contract = contract_lib.seal(contract, model)
    check_tflite_output(output, overwrite)
    contract_path = contract_lib.beside_path(output)
    atomic.write_together({output: contract_lib.embed_in_tflite(model, contract),
                           contract_path: json.dumps(contract, indent=1).encode("utf-8")})
    return contract_path


def export_tflite(workdir: str, output: str, quantization: str = "float32",
                  calibration_frames: int = DEFAULT_CALIBRATION_FRAMES, overwrite: bool = False) -> dict:
    """Workdir -> SavedModel (in a temporary folder) -> `output` .tflite.

    Returns the contract, which records the quantization and, for int8, the number of calibration frames.
    An existing `output` or NAME.contract.json beside it is an OutputError unless `overwrite`.
    """
    check_tflite_output(output, overwrite)
    return write_detector_tflite(restore_detector(workdir), output, quantization, calibration_frames,
                                 overwrite=overwrite)


def check_tflite_output(output: str, overwrite: bool = False):
    """OutputError (before any work) when `output` (NAME.tflite) or the NAME.contract.json beside it exists
    and not `overwrite`."""
    for path in (output, contract_lib.beside_path(output)):
        atomic.check_output(path, overwrite)


def write_detector_tflite(restored: RestoredDetector, output: str, quantization: str = "float32",
                          calibration_frames: int = DEFAULT_CALIBRATION_FRAMES, calibration_images=None,
                          overwrite: bool = False) -> dict:
    """Like `export_tflite` for an already restored detector (`calibration_images` overrides the frames)."""
    check_tflite_output(output, overwrite)
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    if quantization == "int8" and calibration_images is None:
        calibration_images = load_frames(restored, calibration_frames)
    with tempfile.TemporaryDirectory() as scratch:
        folder = os.path.join(scratch, "saved_model")
        write_saved_model(restored, folder)
        model = convert_saved_model(folder, quantization, calibration_images)
    extra = {"quantization": quantization}
    if quantization == "int8":
        extra["calibration_frames"] = int(len(calibration_images))
    contract = restored.contract(extra, crop=restored.crop_calibration())
    contract_path = write_tflite(model, contract, output, overwrite)
    logging.info("wrote %s (%s, %.1f KB) and %s", output, quantization, os.path.getsize(output) / 1024,
                 os.path.basename(contract_path))
    return contract
