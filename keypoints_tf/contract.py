"""The exported detector's contract: one JSON that travels with every exported model.

It is embedded in the `.tflite` (a ZIP entry named ``keypoints_contract.json`` appended to the flatbuffer,
readable with `zipfile` in Python and `java.util.zip` on Android) and written beside it as
``NAME.contract.json`` for ``NAME.tflite`` (`beside_path`), stored in the SavedModel's ``assets/``, and in the
ONNX model's metadata (key ``keypoints_contract.json``). Example (human17, 64 px)::

    {
      "format": "keypoints_tf.detector", "format_version": 1,
      "skeleton": {"name": "human17", "keypoint_names": [...], "edges": [[0, 1], ...],
                   "flip_pairs": [[1, 5], ...], "edge_sides": ["right", ..., "center"]},
      "input": {"name": "image", "shape": [1, 64, 64, 3], "dtype": "uint8", "color_order": "RGB",
                "normalization": {"scale": 0.00784313725490196, "offset": -1.0, "applied_in_model": true},
                "resize": "letterbox"},
      "outputs": {"keypoints": {"shape": [1, 17, 2], "dtype": "float32", "units": "input_pixels"},
                  "confidence": {"shape": [1, 17], "dtype": "float32", "range": [0.0, 1.0]}},
      "coordinates": "<keypoints_tf.skeleton.COORDINATE_CONVENTION>",
      "letterbox": "<keypoints_tf.data.letterbox docstring rule>",
      "crop": {"threshold": 0.17, "expand": 1.94, "offset": [0.02, 0.12], "frames": 200}   # optional
    }

``normalization``: a float input would be ``pixel * scale + offset``; with ``applied_in_model`` the
model takes raw uint8 RGB and does it itself. ``crop`` (exports only, where the training frames could be
read) holds the person-crop constants measured on the model (`keypoints_tf.crop_region.calibrate`);
``threshold`` is also the confidence at which a keypoint is drawn.
"""

from __future__ import annotations

import glob
import io
import json
import os
import zipfile
import zlib

from keypoints_tf.errors import ModelFileError
from keypoints_tf.skeleton import COORDINATE_CONVENTION, Skeleton

FORMAT = "keypoints_tf.detector"
FORMAT_VERSION = 1
ENTRY_NAME = "keypoints_contract.json"
BESIDE_SUFFIX = ".contract.json"   # NAME.tflite -> NAME.contract.json: one pair per model, nothing shared
LEGACY_BESIDE = "contract.json"    # what older exports wrote; read only for the one .tflite of its folder
LETTERBOX_RULE = ("s = S / max(W, H); w' = floor(W s + 0.5), h' = floor(H s + 0.5); the frame is resized to "
                  "(w', h') and pasted at (left, top) = ((S - w') // 2, (S - h') // 2) on zeros; a frame "
                  "point u maps to (u_x w' / W + left, u_y h' / H + top) in input pixels.")


def build_contract(skeleton: Skeleton, image_size: int, extra: dict | None = None) -> dict:
    k = skeleton.num_keypoints
    contract = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skeleton": skeleton.to_dict(),
        "input": {"name": "image", "shape": [1, image_size, image_size, 3], "dtype": "uint8",
                  "color_order": "RGB",
                  "normalization": {"scale": 2.0 / 255.0, "offset": -1.0, "applied_in_model": True},
                  "resize": "letterbox"},
        "outputs": {"keypoints": {"shape": [1, k, 2], "dtype": "float32", "units": "input_pixels"},
                    "confidence": {"shape": [1, k], "dtype": "float32", "range": [0.0, 1.0]}},
        "coordinates": COORDINATE_CONVENTION,
        "letterbox": LETTERBOX_RULE,
    }
    if extra:
        contract.update(extra)
    return contract


def validate_contract(contract, source: str = "contract") -> dict:
    """Checks the fields every consumer relies on; returns the contract or raises ModelFileError."""
    def fail(message):
        raise ModelFileError(f"{source}: {message}")

    if not isinstance(contract, dict):
        fail(f"expected a JSON object, got {type(contract).__name__}")
    if contract.get("format") != FORMAT:
        fail(f"'format' is {contract.get('format')!r}, expected {FORMAT!r}")
    if contract.get("format_version") != FORMAT_VERSION:
        fail(f"'format_version' is {contract.get('format_version')!r}; this version reads {FORMAT_VERSION}")
    try:
        skeleton = Skeleton.from_dict(contract["skeleton"])
        shape = contract["input"]["shape"]
        keypoints_shape = contract["outputs"]["keypoints"]["shape"]
    except (KeyError, TypeError) as e:
        fail(f"missing field {e}")
    except ValueError as e:
        fail(str(e))
    if not (isinstance(shape, list) and len(shape) == 4 and shape[0] == 1 and shape[3] == 3
            and all(isinstance(v, int) and v > 0 for v in shape)):
        fail(f"input shape must be [1, H, W, 3], got {shape!r}")
    if keypoints_shape != [1, skeleton.num_keypoints, 2]:
        fail(f"keypoints output shape {keypoints_shape!r} does not match the skeleton's "
             f"{skeleton.num_keypoints} keypoints")
    crop = contract.get("crop")
    if crop is not None and not _is_crop_section(crop):
        fail(f"'crop' must be {{\"threshold\": number, \"expand\": number, \"offset\": [x, y]}}, got {crop!r}"[:300])
    return contract


def _is_crop_section(crop) -> bool:
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    offset = crop.get("offset") if isinstance(crop, dict) else None
    return (isinstance(crop, dict) and number(crop.get("threshold")) and number(crop.get("expand"))
            and isinstance(offset, list) and len(offset) == 2 and all(number(v) for v in offset))


def parse_contract(data: bytes, source: str = "contract") -> dict:
    try:
        contract = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{source}: not a UTF-8 JSON contract ({str(e)[:200]})") from None
    return validate_contract(contract, source)


def embed_in_tflite(tflite_bytes: bytes, contract: dict) -> bytes:
    """Appends the contract as a ZIP archive after the flatbuffer; interpreters ignore trailing bytes.

    The archive is written in append mode onto the model bytes, so its offsets count from the start of
    the file: `zipfile` and `java.util.zip.ZipFile` read it as an ordinary ZIP (as TFLite metadata does).
    """
    buffer = io.BytesIO(tflite_bytes)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr(ENTRY_NAME, json.dumps(contract, indent=1))
    return buffer.getvalue()


def read_from_tflite(tflite_bytes: bytes, source: str = ".tflite") -> dict:
    """The contract embedded by `embed_in_tflite`, or ModelFileError."""
    try:
        with zipfile.ZipFile(io.BytesIO(tflite_bytes)) as archive:
            data = archive.read(ENTRY_NAME)
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError, NotImplementedError, RuntimeError, OSError,
            zlib.error) as e:
        raise ModelFileError(f"{source}: no embedded {ENTRY_NAME} ({e}); export with export/export_tflite.py "
                             "or put the contract JSON beside the model") from None
    return parse_contract(data, source)


def beside_path(model_path: str) -> str:
    """``NAME.contract.json`` for ``NAME.tflite``: the contract file paired with one model."""
    return os.path.splitext(os.fspath(model_path))[0] + BESIDE_SUFFIX


def find_beside(model_path: str) -> str | None:
    """The contract file beside a model: its ``NAME.contract.json``, else a legacy ``contract.json`` when the
    model is the only ``.tflite`` of its folder (so it cannot be another model's), else None."""
    paired = beside_path(model_path)
    if os.path.isfile(paired):
        return paired
    folder = os.path.dirname(os.path.abspath(model_path))
    legacy = os.path.join(folder, LEGACY_BESIDE)
    if os.path.isfile(legacy) and len(glob.glob(os.path.join(glob.escape(folder), "*.tflite"))) == 1:
        return legacy
    return None


def write_beside(model_path: str, contract: dict) -> str:
    """Writes ``NAME.contract.json`` beside ``NAME.<ext>``; returns its path."""
    path = beside_path(model_path)
    with open(path, "w") as f:
        json.dump(contract, f, indent=1)
    return path
