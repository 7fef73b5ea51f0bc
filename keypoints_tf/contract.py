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
      "crop": {"threshold": 0.17, "expand": 1.94, "offset": [0.02, 0.12], "frames": 200},  # optional
      "integrity": {"model_sha256": "<hex>", "model_bytes": 290072, "contract_sha256": "<hex>"}  # .tflite
    }

``normalization``: a float input would be ``pixel * scale + offset``; with ``applied_in_model`` the
model takes raw uint8 RGB and does it itself. ``crop`` (exports only, where the training frames could be
read) holds the person-crop constants measured on the model (`keypoints_tf.crop_region.calibrate`);
``threshold`` is also the confidence at which a keypoint is drawn.

A `.tflite`'s contract also carries ``"integrity": {"model_sha256", "model_bytes", "contract_sha256"}``
(`seal`, the last step of an export, after every other section, ``crop`` included): the SHA-256 and size of
the flatbuffer it describes, and the SHA-256 of the rest of the contract (canonical JSON: sorted keys, no
spaces). Loading checks both (`check_integrity`), so a corrupted model or a contract edited after export is
refused instead of run. It is a checksum against accidents and edits, not a signature: whoever rewrites
both parts on purpose can recompute it. A contract is at most `MAX_CONTRACT_BYTES` (checked before it is
decompressed).

The embedded contract is the authoritative one: when a `.tflite` has it, ``NAME.contract.json`` (the same
sealed contract, written with it) is not read. A `.tflite` without one (a flatbuffer from elsewhere, or one
whose ZIP was stripped) is read with the file beside it, whose ``integrity`` must match the whole file's
bytes, so a beside file that belongs to another model or was edited is refused like an embedded one.
"""

from __future__ import annotations

import glob
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
BESIDE_SUFFIX = ".contract.json"   # NAME.tflite -> NAME.contract.json: one pair per model, nothing shared
LEGACY_BESIDE = "contract.json"    # what older exports wrote; read only for the one .tflite of its folder
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
                             "or put its sealed NAME.contract.json beside the model") from None
    contract = parse_contract(data, source)
    check_integrity(contract, tflite_bytes[:model_end], source)
    return contract


def read_tflite_contract(path: str) -> dict:
    """The contract of a `.tflite` (see `read_tflite`)."""
    return read_tflite(path)[1]


def read_tflite(path: str) -> tuple:
    """(the file's bytes, its contract): the embedded contract, else the file beside it (`find_beside`:
    ``NAME.contract.json``, or a legacy ``contract.json``), each checked against the model bytes
    (`check_integrity`); ModelFileError if neither is there or fits.

    An embedded contract that is malformed or does not match is an error even when a file beside it exists.
    """
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: file not found (expected a .tflite written by export/export_tflite.py)")
    with open(path, "rb") as f:
        data = f.read()
    if _has_embedded_contract(data):
        return data, read_from_tflite(data, path)
    beside = find_beside(path)
    if beside is None:
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
