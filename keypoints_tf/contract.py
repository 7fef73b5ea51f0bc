"""The exported detector's contract: one JSON that travels with every exported model.

It is embedded in the `.tflite` (a ZIP entry named ``keypoints_contract.json`` appended to the flatbuffer,
readable with `zipfile` in Python and `java.util.zip` on Android), written beside it, and stored in the
SavedModel's ``assets/``. Example (human17, 64 px)::

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
      "letterbox": "<keypoints_tf.data.letterbox docstring rule>"
    }

``normalization``: a float input would be ``pixel * scale + offset``; with ``applied_in_model`` the
model takes raw uint8 RGB and does it itself.

A `.tflite`'s contract also carries ``"integrity": {"model_sha256", "model_bytes", "contract_sha256"}``
(`seal`): the SHA-256 and size of the flatbuffer it describes, and the SHA-256 of the rest of the contract
(canonical JSON: sorted keys, no spaces). Loading checks both (`check_integrity`), so a corrupted model or
a contract edited after export is refused instead of run. It is a checksum against accidents and edits,
not a signature: whoever rewrites both parts on purpose can recompute it. A contract is at most
`MAX_CONTRACT_BYTES` (checked before it is decompressed).
"""

from __future__ import annotations

import hashlib
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
CONTRACT_FILE = "contract.json"  # the contract beside a .tflite (the Android app's asset name)
INTEGRITY = "integrity"
MAX_CONTRACT_BYTES = 1 << 20  # a face68 contract is about 10 KB
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
    return contract


def parse_contract(data: bytes, source: str = "contract") -> dict:
    if len(data) > MAX_CONTRACT_BYTES:
        raise ModelFileError(f"{source}: the contract has {len(data)} bytes, more than a contract may have "
                             f"({MAX_CONTRACT_BYTES})")
    try:
        contract = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{source}: not a UTF-8 JSON contract ({str(e)[:200]})") from None
    return validate_contract(contract, source)


def seal(contract: dict, model_bytes: bytes) -> dict:
    """A copy of `contract` with its integrity record for `model_bytes` (the flatbuffer, without the ZIP)."""
    contract = {key: value for key, value in contract.items() if key != INTEGRITY}
    contract[INTEGRITY] = {"model_sha256": _sha256(model_bytes), "model_bytes": len(model_bytes),
                           "contract_sha256": _sha256(_canonical(contract))}
    return contract


def check_integrity(contract: dict, model_bytes: bytes, source: str = "contract"):
    """ModelFileError unless `contract`'s integrity record matches itself and `model_bytes`."""
    record = contract.get(INTEGRITY)
    if not isinstance(record, dict):
        raise ModelFileError(f"{source}: the contract has no '{INTEGRITY}' record (SHA-256 of the model), so "
                             "a corrupt or changed model cannot be told apart; re-export it with "
                             "export/export_tflite.py")
    if record.get("contract_sha256") != _sha256(_canonical(contract)):
        raise ModelFileError(f"{source}: the contract was changed after export (its SHA-256 does not match "
                             f"its '{INTEGRITY}' record); re-export the model instead of editing its contract")
    if record.get("model_bytes") != len(model_bytes) or record.get("model_sha256") != _sha256(model_bytes):
        raise ModelFileError(f"{source}: the model is not the one its contract was exported with ({len(model_bytes)} "
                             f"bytes, the contract expects {record.get('model_bytes')!r} with another SHA-256): "
                             "the file is corrupt or was changed; copy or export it again")


def _canonical(contract: dict) -> bytes:
    content = {key: value for key, value in contract.items() if key != INTEGRITY}
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    """The contract embedded by `embed_in_tflite`, checked against the model bytes before it; or ModelFileError."""
    try:
        with zipfile.ZipFile(io.BytesIO(tflite_bytes)) as archive:
            info = archive.getinfo(ENTRY_NAME)
            if info.file_size > MAX_CONTRACT_BYTES:
                raise ModelFileError(f"{source}: the embedded contract would inflate to {info.file_size} bytes, "
                                     f"more than a contract may have ({MAX_CONTRACT_BYTES})")
            with archive.open(info) as entry:
                data = entry.read(MAX_CONTRACT_BYTES + 1)  # the header's size may lie
            model_end = min(item.header_offset for item in archive.infolist())
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError, NotImplementedError, RuntimeError, OSError,
            zlib.error) as e:
        raise ModelFileError(f"{source}: no embedded {ENTRY_NAME} ({e}); export with export/export_tflite.py "
                             "or put the contract JSON beside the model") from None
    contract = parse_contract(data, source)
    check_integrity(contract, tflite_bytes[:model_end], source)
    return contract


def read_tflite_contract(path: str) -> dict:
    """The contract of a `.tflite` (see `read_tflite`)."""
    return read_tflite(path)[1]


def read_tflite(path: str) -> tuple:
    """(the file's bytes, its contract): the embedded contract, else the ``contract.json`` beside it, each
    checked against the model bytes (`check_integrity`); ModelFileError if neither is there or fits.

    An embedded contract that is malformed or does not match is an error even when a ``contract.json`` exists.
    """
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: file not found (expected a .tflite written by export/export_tflite.py)")
    with open(path, "rb") as f:
        data = f.read()
    if _has_embedded_contract(data):
        return data, read_from_tflite(data, path)
    beside = os.path.join(os.path.dirname(os.path.abspath(path)), CONTRACT_FILE)
    if not os.path.isfile(beside):
        return data, read_from_tflite(data, path)  # raises, saying how to fix it
    with open(beside, "rb") as f:
        contract = parse_contract(f.read(MAX_CONTRACT_BYTES + 1), beside)
    check_integrity(contract, data, f"{beside} (for {path})")
    return data, contract


def _has_embedded_contract(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return ENTRY_NAME in archive.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        return False
