"""Numeric arrays from MATLAB .mat files without SciPy (Simplified Human3.6M stores its keypoints in them).

Reads Level 5 MAT-files (MATLAB's ``-v6``/``-v7`` default, zlib-compressed or not; what
``scipy.io.savemat`` writes) with only numpy/zlib, and ``-v7.3`` files (HDF5) with h5py. Only numeric
(real, non-sparse) top-level variables are returned; cells, structs, strings and sparse arrays are skipped.
`write_mat_v5` writes the same format (used by the tests to make fixtures).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from keypoints_tf.errors import DataError

_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_NUMERIC_CLASSES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4", 14: "i8", 15: "u8"}


def read_mat_arrays(path: str) -> dict:
    """{name: ndarray} of the numeric variables of a .mat file. Raises DataError if it cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read the .mat file ({e})") from None
    if data[:19] == b"MATLAB 7.3 MAT-file" or data[:8] == b"\x89HDF\r\n\x1a\n" or data[512:520] == b"\x89HDF\r\n\x1a\n":
        return _read_hdf5(path)
    if len(data) < 128 or not data[:6] == b"MATLAB":
        raise DataError(f"{path}: not a MATLAB .mat file (no 'MATLAB' header)")
    endian = {b"IM": "<", b"MI": ">"}.get(data[126:128])
    if endian is None:
        raise DataError(f"{path}: bad endian indicator {data[126:128]!r} in the .mat header")
    arrays = {}
    try:
        _read_elements(data, 128, len(data), endian, arrays)
    except (struct.error, zlib.error, ValueError, IndexError) as e:
        raise DataError(f"{path}: corrupt .mat file ({e})") from None
    return arrays


def _tag(data, position, endian):
    """(type, nbytes, data start, next element position) of the element at `position`."""
    first, second = struct.unpack_from(endian + "II", data, position)
    if first >> 16:  # small data element: type and size in one word, data in the next 4 bytes
        return first & 0xFFFF, first >> 16, position + 4, position + 8
    end = position + 8 + second
    return first, second, position + 8, end + (-end % 8)


def _read_elements(data, position, end, endian, arrays):
    while position + 8 <= end:
        kind, nbytes, start, following = _tag(data, position, endian)
        if kind == _MI_COMPRESSED:
            inner = zlib.decompress(data[start:start + nbytes])
            _read_elements(inner, 0, len(inner), endian, arrays)
            following = start + nbytes  # compressed elements are not padded
        elif kind == _MI_MATRIX and nbytes:
            name, array = _read_matrix(data, start, start + nbytes, endian)
            if array is not None:
                arrays[name] = array
        position = following


def _read_matrix(data, position, end, endian):
    parts = []
    while position + 8 <= end and len(parts) < 5:
        kind, nbytes, start, position = _tag(data, position, endian)
        parts.append((kind, data[start:start + nbytes]))
    if len(parts) < 3:
        return None, None
    flags = np.frombuffer(parts[0][1], endian + "u4")
    array_class, is_complex = int(flags[0] & 0xFF), bool(flags[0] & 0x0800)
    dims = tuple(int(d) for d in np.frombuffer(parts[1][1], endian + "i4"))
    name = parts[2][1].decode("ascii", "replace")
    if array_class not in _NUMERIC_CLASSES or is_complex or len(parts) < 4:
        return name, None
    kind, raw = parts[3]
    if kind not in _MI_TYPES:
        return name, None
    values = np.frombuffer(raw, endian + _MI_TYPES[kind]).astype(_NUMERIC_CLASSES[array_class])
    return name, values.reshape(dims, order="F")  # MATLAB is column-major


def _read_hdf5(path):
    import h5py  # pylint: disable=import-outside-toplevel

    arrays = {}
    with h5py.File(path, "r") as f:
        for name, item in f.items():
            if isinstance(item, h5py.Dataset) and item.dtype.kind in "fiu":
                arrays[name] = np.asarray(item).T  # HDF5 stores MATLAB arrays transposed
    return arrays


def write_mat_v5(path: str, arrays: dict, compress: bool = True):
    """Writes numeric arrays as a Level 5 MAT-file (little-endian, double or the array's integer class)."""
    out = bytearray(b"MATLAB 5.0 MAT-file, written by keypoints_tf".ljust(116, b" "))
    out += b"\x00" * 8 + struct.pack("<H", 0x0100) + b"IM"
    classes = {v: k for k, v in _NUMERIC_CLASSES.items()}
    mi_types = {v: k for k, v in _MI_TYPES.items()}
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.str[1:] not in classes:
            array = array.astype("f8")
        code = array.dtype.str[1:]
        body = _element(6, struct.pack("<II", classes[code], 0))
        body += _element(5, np.asarray(array.shape if array.ndim >= 2 else (1, array.size), "<i4").tobytes())
        body += _element(1, name.encode("ascii"))
        body += _element(mi_types[code], array.astype("<" + code).tobytes(order="F"))
        matrix = struct.pack("<II", _MI_MATRIX, len(body)) + body
        if compress:
            packed = zlib.compress(matrix)
            out += struct.pack("<II", _MI_COMPRESSED, len(packed)) + packed
        else:
            out += matrix
    with open(path, "wb") as f:
        f.write(bytes(out))


def _element(kind, payload):
    return struct.pack("<II", kind, len(payload)) + payload + b"\x00" * (-len(payload) % 8)
