"""Keeping a training workdir whole (issue 16): one run at a time, one config per workdir, a checkpoint on Ctrl-C.

- `locked(workdir)`: an exclusive lock (`fcntl.flock` on ``<workdir>/.lock``) for the run's lifetime; a
  second run on the same workdir stops at once, naming the process that holds it. The kernel drops the
  lock when that process dies, even by SIGKILL, so a killed run never leaves a stale lock.
- `check_config(workdir, config)`: the workdir's ``config.json`` records the config it was trained with.
  The fields that decide what is trained are compared (their SHA-256 is the workdir's fingerprint); a rerun
  with a different config stops with the differing fields before anything is written, unless nothing was
  trained yet. `RESUMABLE_FIELDS` (how long to train, how it runs, logging) may change between runs; a field
  added to keypoints_tf after the workdir was written counts as unchanged while it keeps its default, so an
  upgrade never strands a run.
- `move_aside(workdir)` (train's ``--fresh``): the old workdir is renamed to ``<workdir>.previous-<time>``,
  never deleted.
- `StopSignals`: while training, SIGINT and SIGTERM only set a flag; the loop then saves a checkpoint and
  raises `errors.Interrupted`. A second Ctrl-C (or SIGTERM) acts at once, without saving.

`guarded(workdir, config, ...)` is what `keypoints_tf.train` does with the first three before it reads data.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import threading
import time

from keypoints_tf.errors import ModelFileError, OutputError, TrainingError
from keypoints_tf.workdirs import CONFIG_FILE, checkpoint_dir, flatten, read_config, upgrade_fields
from keypoints_tf.workdirs.checkpoints import checkpoints_on_disk

LOCK_FILE = ".lock"
_NO_DEFAULT = object()
# Fields that may differ between runs of one workdir: how long and where it runs, and logging.
RESUMABLE_FIELDS = ("train.steps", "train.max_minutes", "train.budget_minutes", "train.strategy",
                    "train.jit_compile", "train.precision", "train.max_rollbacks", "train.collapse_action", "log.")


@contextlib.contextmanager
def guarded(workdir: str, config, chief: bool = True, fresh: bool = False, ignore=()):
    """What a training run does before touching `workdir` (chief only; other workers write nothing there):
    `move_aside` with `fresh`, then `locked` for the block, and `check_config`."""
    if not chief:
        yield
        return
    if fresh:
        move_aside(workdir)
    with locked(workdir):
        check_config(workdir, config, ignore)
        yield


@contextlib.contextmanager
def locked(workdir: str):
    """Holds the workdir's lock for the block; TrainingError when another process holds it."""
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, LOCK_FILE)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise TrainingError(f"{workdir}: another training run is using this workdir ({holder}); wait for "
                                "it to finish or stop it, or use another --workdir") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def fingerprint_fields(config_values: dict, ignore=()) -> dict:
    """The flattened config fields that decide what is trained (all but `RESUMABLE_FIELDS` and `ignore`)."""
    skip = tuple(RESUMABLE_FIELDS) + tuple(ignore)
    return {key: value for key, value in flatten(config_values).items()
            if not any(key == s or (s.endswith(".") and key.startswith(s)) for s in skip)}


def fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


def check_config(workdir: str, config, ignore=()):
    """TrainingError when `workdir` holds a run trained with other values of the fingerprint fields.

    Args:
        config: the config of this run, as given (before the data paths are resolved).
        ignore: more fields to leave out of the comparison (the data paths a synthetic world resolves).
    """
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.isfile(path) or not has_results(workdir):
        return
    try:
        recorded = read_config(workdir)
    except ModelFileError as e:
        raise TrainingError(f"{e}; it records the config this workdir was trained with. Restore it, or pass "
                            "--fresh to move the old run aside") from None
    # Older workdirs: renamed fields under their current names; a field added to keypoints_tf since the run
    # was written is not compared while it keeps its default (the run never had it), only when set otherwise.
    from keypoints_tf.config import get_default_config
    defaults = flatten(json.loads(get_default_config().to_json_best_effort()))
    old = fingerprint_fields(upgrade_fields(flatten(recorded)), ignore)
    new = fingerprint_fields(json.loads(config.to_json_best_effort()), ignore)
    new = {key: value for key, value in new.items() if key in old or defaults.get(key, _NO_DEFAULT) != value}
    if fingerprint(old) == fingerprint(new):
        return
    changes = [f"{key}: {old.get(key, '(absent)')!r} -> {new.get(key, '(absent)')!r}"
               for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    raise TrainingError(
        f"{workdir} holds a run trained with another config ({path}; {len(changes)} field(s) differ: "
        f"{'; '.join(changes[:6])}{'; ...' if len(changes) > 6 else ''}). Resume it with the config it was "
        f"trained with (only {', '.join(RESUMABLE_FIELDS)}* may change), use another --workdir, or pass "
        "--fresh to move the old run aside")


def has_results(workdir: str) -> bool:
    """True when `workdir` holds something trained: a checkpoint or a metrics.json."""
    return bool(checkpoints_on_disk(checkpoint_dir(workdir))) or os.path.isfile(
        os.path.join(workdir, "metrics.json"))


def move_aside(workdir: str) -> str | None:
    """Renames an existing, non-empty `workdir` to <workdir>.previous-<time>; returns the new name."""
    if not os.path.isdir(workdir) or not os.listdir(workdir):
        return None
    if not (has_results(workdir) or os.path.isfile(os.path.join(workdir, CONFIG_FILE))):
        raise OutputError(f"{workdir}: --fresh moves a previous run aside, but this folder holds no config.json "
                          "or checkpoints; refusing to move it: check --workdir")
    target = f"{os.path.normpath(workdir)}.previous-{time.strftime('%Y%m%d-%H%M%S')}"
    with locked(workdir):  # refuses while another run uses it; renamed before anyone else can take it
        os.rename(workdir, target)
    logging.warning("--fresh: moved the previous run in %s to %s", workdir, target)
    return target


class StopSignals:
    """A context in which, once `arm`ed, SIGINT and SIGTERM set `received` (the signal number) instead of
    stopping at once; the training loop checks it after each step.

    Before `arm` (data loading, tracing) and after a first signal, a signal acts as it would without this
    context (Ctrl-C: KeyboardInterrupt). Only the main thread can handle signals; elsewhere it does nothing.
    """

    NUMBERS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.received = None
        self.armed = False
        self._previous = {}

    def arm(self):
        self.armed = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in self.NUMBERS}
        return self

    def __exit__(self, *exc_info):
        self._restore()
        return False

    def _handle(self, number, frame):
        del frame
        if not self.armed or self.received is not None:
            self._restore()
            signal.raise_signal(number)
            return
        self.received = number

    def _restore(self):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""
