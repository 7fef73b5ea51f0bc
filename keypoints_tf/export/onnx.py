"""ONNX export: the serving graph of the SavedModel and TFLite exports (uint8 RGB in, input pixels out), as ONNX.

    from keypoints_tf.export import onnx
    onnx.export_onnx("runs/synthetic", "runs/export/model.onnx")
    keypoints_tf.load("runs/export/model.onnx").detect(rgb)        # onnxruntime

Conversion: `tf2onnx.convert.from_function` on `ServingDetector.call` with its batch-1 uint8 signature
(opset `OPSET`), the very function the SavedModel serves. Keras' own ``model.export(format="onnx")`` calls
the same tf2onnx function on the TensorFlow backend (after patching tf2onnx for NumPy 2, which tf2onnx 1.17
no longer needs); calling it here returns the ModelProto in memory, so the contract goes into the model's
metadata before the one write. Inputs and outputs keep the TFLite names: ``image`` uint8 [1, S, S, 3] ->
``keypoints`` float32 [1, K, 2] (input pixels), ``confidence`` float32 [1, K].

The contract (`keypoints_tf.contract`) is the metadata entry `METADATA_KEY` (``metadata_props`` of the
ModelProto; ``session.get_modelmeta().custom_metadata_map`` in onnxruntime). No file is written beside
the ``.onnx``; it is written whole or not at all and replaces an existing file only with ``overwrite``. Needs the ``onnx`` extra: ``pip install -e ".[onnx]"`` (tf2onnx, onnx, onnxruntime).
"""

from __future__ import annotations

import json
import logging
import os

import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf import contract as contract_lib
from keypoints_tf.errors import ModelFileError
from keypoints_tf.export.restore import RestoredDetector, restore_detector
from keypoints_tf.export.serving import ServingDetector

OPSET = 17
METADATA_KEY = contract_lib.ENTRY_NAME  # the one name of the contract: ZIP entry, SavedModel asset, metadata
INSTALL_HINT = 'pip install -e ".[onnx]" (tf2onnx, onnx, onnxruntime)'


def convert_detector(restored: RestoredDetector, opset: int = OPSET):
    """The `onnx.ModelProto` of a restored detector's serving graph (no contract yet)."""
    try:
        import tf2onnx
    except ImportError:
        raise ModelFileError(f"ONNX export needs tf2onnx: {INSTALL_HINT}") from None
    serving = ServingDetector(restored.network, restored.image_size, name="serving_detector")
    signature = serving.input_signature()
    serving(tf.zeros(signature[0].shape, tf.uint8))  # builds it
    function = tf.function(serving.call, input_signature=signature)
    logging.getLogger("tf2onnx").setLevel(logging.WARNING)
    model, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=opset)
    return model


def write_onnx(model, contract: dict, output: str, overwrite: bool = False) -> None:
    """Writes the ModelProto to `output` with the contract in its metadata, whole or not at all
    (`keypoints_tf.atomic`); an existing `output` is an OutputError unless `overwrite`."""
    contract_lib.validate_contract(contract)
    atomic.check_output(output, overwrite)
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(contract, indent=1)
    atomic.write_bytes(output, model.SerializeToString())


def write_detector_onnx(restored: RestoredDetector, output: str, opset: int = OPSET, overwrite: bool = False) -> dict:
    """Converts a restored detector and writes `output`; returns the contract. An existing `output` is an
    OutputError (before the conversion) unless `overwrite`."""
    atomic.check_output(output, overwrite)
    contract = restored.contract({"quantization": "float32", "format": "onnx", "onnx_opset": opset},
                                 crop=restored.crop_calibration())
    write_onnx(convert_detector(restored, opset), contract, output, overwrite)
    logging.info("wrote %s (opset %d, %.1f KB)", output, opset, os.path.getsize(output) / 1024)
    return contract


def export_onnx(workdir: str, output: str, opset: int = OPSET, overwrite: bool = False) -> dict:
    """Workdir -> `output` .onnx with the contract in its metadata; returns the contract. An existing
    `output` is an OutputError (before anything is restored) unless `overwrite`."""
    atomic.check_output(output, overwrite)
    return write_detector_onnx(restore_detector(workdir), output, opset, overwrite)


def read_onnx_contract(session, source: str) -> dict:
    """The contract in the metadata of an onnxruntime `InferenceSession`, or ModelFileError."""
    metadata = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in metadata:
        raise ModelFileError(f"{source}: no {METADATA_KEY!r} in the ONNX metadata; export with "
                             "export/export_onnx.py")
    return contract_lib.parse_contract(metadata[METADATA_KEY].encode("utf-8"), source)
