"""Outputs that appear whole or not at all, and never replace what they must not.

Each output is written to a temporary sibling (same folder, so the final rename stays on one file system)
and renamed into place only once it is complete: a failure or a kill leaves the previous output, or
nothing, plus at most a hidden ``.NAME.partial-PID`` sibling; never half a file under the real name.

    check_output(path, overwrite, inputs=[source])   # refuses an existing output or one that is an input
    with replacing(path) as partial:                 # write `partial` (a file or a folder)
        ...                                          # renamed onto `path` when the block ends without error
    with replacing(path, overwrite=False) as partial:  # ... and never onto an output that appeared meanwhile
    write_json(path, value)                          # the same for small files, flushed to disk first
    write_together({model: data, contract: text})    # several files, renamed only once all are written
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil

from keypoints_tf.errors import OutputError


def same_path(a: str, b: str) -> bool:
    """True when `a` and `b` name the same file or folder (links and relative paths resolved)."""
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def check_output(path: str, overwrite: bool = False, inputs=(), flag: str = "--overwrite"):
    """OutputError when `path` is one of `inputs`, or exists and `overwrite` is False."""
    for source in inputs:
        if source and same_path(path, source):
            raise OutputError(f"{path}: this output is also an input ({source}); choose another output path")
    if os.path.lexists(path) and not overwrite:
        raise OutputError(f"{path}: already exists; choose another path, or pass {flag} to replace it")


def partial_path(path: str) -> str:
    """The temporary sibling of `path`; it keeps the extension (OpenCV picks its writer by it)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, extension = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.partial-{os.getpid()}{extension}")


@contextlib.contextmanager
def replacing(path: str, overwrite: bool = True):
    """Yields a temporary sibling path to write (a file or a folder); it replaces `path` when the block
    succeeds and is removed when it raises.

    With `overwrite` False, `path` is also checked when the block ends: an output that appeared there while
    this one was being written (another run) is kept, and the new one is left beside it as
    ``NAME.new-PID.EXT`` (OutputError naming both), so neither run's work is lost.
    """
    partial = partial_path(path)
    os.makedirs(os.path.dirname(partial), exist_ok=True)
    _remove(partial)
    try:
        yield partial
        if not os.path.lexists(partial):
            return
        if not overwrite:
            _place_new(partial, path)
        elif os.path.isdir(partial):
            _swap_folder(partial, path)
        else:
            os.replace(partial, path)
    finally:
        _remove(partial)


def _place_new(partial: str, path: str):
    """Renames `partial` to `path` only where nothing is there; otherwise keeps it as NAME.new-PID.EXT."""
    try:
        if os.path.isdir(partial):
            if os.path.lexists(path):  # (no atomic no-replace rename for folders in the standard library)
                raise FileExistsError(path)
            os.rename(partial, path)
        else:
            os.link(partial, path)  # fails, atomically, where `path` exists
            os.remove(partial)
    except FileExistsError:
        stem, extension = os.path.splitext(path)
        kept = f"{stem}.new-{os.getpid()}{extension}"
        os.rename(partial, kept)
        raise OutputError(f"{path}: appeared while this run was writing it and was kept; this run's output is "
                          f"{kept}") from None


def _swap_folder(partial: str, path: str):
    if not os.path.lexists(path):
        os.rename(partial, path)
        return
    if not os.path.isdir(path) or os.path.islink(path):
        raise OutputError(f"{path}: exists and is not a folder; refusing to replace it with one")
    old = partial + ".old"
    os.rename(path, old)
    try:
        os.rename(partial, path)
    except OSError:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove(path: str):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def write_bytes(path: str, data: bytes):
    """Writes `path` atomically, flushed to disk before the rename (a crashed machine keeps old or new)."""
    write_together({path: data})


def write_together(files: dict):
    """Writes files that belong together ({path: bytes}, e.g. a model and its contract): each one is written
    and flushed to its temporary sibling first, and only when all of them are complete are they renamed into
    place, in reverse order (the first path last). A failure while writing leaves every old file as it was."""
    with contextlib.ExitStack() as stack:
        for path, data in files.items():
            partial = stack.enter_context(replacing(path))
            with open(partial, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())


def write_text(path: str, text: str):
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str, value, **kwargs):
    write_text(path, json.dumps(value, **kwargs))
