"""SavedModel export with `keras.export.ExportArchive`: one fixed batch-1 signature, the contract in assets/.

The SavedModel has the signature ``serving_default`` with the input ``image`` (uint8 [1, S, S, 3] RGB,
letterboxed) and the outputs ``keypoints`` (float32 [1, K, 2], continuous pixels of the input) and
``confidence`` (float32 [1, K]); the contract JSON is ``assets/keypoints_contract.json``. Plain TensorFlow
reads it without keypoints_tf::

    import json, tensorflow as tf
    model = tf.saved_model.load("runs/export/saved_model")
    contract = json.load(open("runs/export/saved_model/assets/keypoints_contract.json"))
    size = contract["input"]["shape"][1]                 # S; letterbox the frame to S x S first
    outputs = model.signatures["serving_default"](image=tf.zeros((1, size, size, 3), tf.uint8))
    outputs["keypoints"]                                 # (1, K, 2) input pixels, pixel (i, j) centred at (i+.5, j+.5)
    outputs["confidence"]                                # (1, K) in [0, 1]
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from keypoints_tf import atomic
from keypoints_tf import contract as contract_lib
from keypoints_tf.errors import ModelFileError, OutputError
from keypoints_tf.export.restore import RestoredDetector, restore_detector
from keypoints_tf.export.serving import ServingDetector

SIGNATURE = "serving_default"
CONTRACT_ASSET = contract_lib.ENTRY_NAME  # assets/keypoints_contract.json


def write_saved_model(restored: RestoredDetector, output: str, overwrite: bool = False) -> dict:
    """Writes the SavedModel of a restored detector to `output`; returns the contract.

    It is written to a temporary sibling folder and renamed into place when complete. An existing `output`
    is an OutputError unless `overwrite`, and even then only a SavedModel folder is replaced (a mistyped
    --output must not delete a workdir).
    """
    check_saved_model_output(output, overwrite)
    serving = ServingDetector(restored.network, restored.image_size, name="serving_detector")
    signature = serving.input_signature()
    serving(tf.zeros(signature[0].shape, tf.uint8))  # builds it
    contract = restored.contract(crop=restored.crop_calibration())
    contract_lib.validate_contract(contract)
    archive = keras.export.ExportArchive()
    archive.track(serving)
    archive.add_endpoint(SIGNATURE, serving.call, input_signature=signature)
    with atomic.replacing(output) as partial:
        archive.write_out(partial, verbose=False)
        os.makedirs(os.path.join(partial, "assets"), exist_ok=True)  # a plain file: tf.saved_model.load ignores it
        with open(os.path.join(partial, "assets", CONTRACT_ASSET), "w") as f:
            json.dump(contract, f, indent=1)
    return contract


def check_saved_model_output(output: str, overwrite: bool = False):
    """OutputError when `output` exists (without `overwrite`) or is a folder other than a SavedModel."""
    atomic.check_output(output, overwrite)
    if os.path.lexists(output) and not os.path.isfile(os.path.join(output, "saved_model.pb")):
        raise OutputError(f"{output}: exists and is not a SavedModel folder (no saved_model.pb); refusing to "
                          "replace it even with --overwrite: choose another --output")


def export_saved_model(workdir: str, output: str, overwrite: bool = False) -> dict:
    """Restores the detector of `workdir` and writes its SavedModel to `output`; returns the contract."""
    check_saved_model_output(output, overwrite)
    return write_saved_model(restore_detector(workdir), output, overwrite)


def read_saved_model_contract(saved_model_dir: str) -> dict:
    """The contract in a SavedModel's assets, validated; ModelFileError if missing or malformed."""
    if not os.path.isfile(os.path.join(saved_model_dir, "saved_model.pb")):
        raise ModelFileError(f"{saved_model_dir}: not a SavedModel folder (no saved_model.pb)")
    path = os.path.join(saved_model_dir, "assets", CONTRACT_ASSET)
    if not os.path.isfile(path):
        raise ModelFileError(f"{saved_model_dir}: no assets/{CONTRACT_ASSET}; export it with "
                             "export/export_saved_model.py")
    with open(path, "rb") as f:
        return contract_lib.parse_contract(f.read(contract_lib.MAX_CONTRACT_BYTES + 1), path)
