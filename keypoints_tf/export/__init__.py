"""Export of a trained detector: SavedModel, TFLite (float32, float16, dynamic, int8), ONNX, the model contract.

    from keypoints_tf import export
    export.export_saved_model("runs/synthetic", "runs/export/saved_model")
    export.export_tflite("runs/synthetic", "runs/export/model.tflite", quantization="int8")
    from keypoints_tf.export import onnx; onnx.export_onnx("runs/synthetic", "runs/export/model.onnx")

Modules: `restore` (only Phi and eta, or a student, from a workdir's latest checkpoint), `serving` (the
uint8-in, pixels-out graph), `saved_model` (ExportArchive + contract in assets/), `tflite` (conversion,
quantization, contract embedded and beside), `onnx` (tf2onnx, contract in the metadata; imported on its
own, since it needs the ``onnx`` extra). The CLIs are in the repository's top-level ``export/``.
"""

from keypoints_tf.export.restore import RestoredDetector, load_frames, restore_detector
from keypoints_tf.export.saved_model import export_saved_model, read_saved_model_contract, write_saved_model
from keypoints_tf.export.serving import ImageToKeypoints, ServingDetector
from keypoints_tf.export.tflite import (DEFAULT_CALIBRATION_FRAMES, QUANTIZATIONS, convert_saved_model,
                                        export_tflite, read_tflite_contract, write_detector_tflite, write_tflite)

__all__ = [
    "DEFAULT_CALIBRATION_FRAMES",
    "ImageToKeypoints",
    "QUANTIZATIONS",
    "RestoredDetector",
    "ServingDetector",
    "convert_saved_model",
    "export_saved_model",
    "export_tflite",
    "load_frames",
    "read_saved_model_contract",
    "read_tflite_contract",
    "restore_detector",
    "write_detector_tflite",
    "write_saved_model",
    "write_tflite",
]
