"""Fault test: SIGKILL the training CLI at random moments, restart it, and compare with an uninterrupted run.

    python benchmarks/fault_test.py                       # full: 8 stops, 10 + 30 steps (a few minutes on 2 CPUs)
    python benchmarks/fault_test.py --kills 10 --seed 3   # more kills, another random schedule
    python benchmarks/fault_test.py --fast                # what tests/test_fault_tolerance.py runs (4 stops)
    python benchmarks/fault_test.py --json out.json       # also write the figures as JSON
    python benchmarks/fault_test.py --fast --perceptual   # the perceptual reconstruction loss (random VGG-19)

What it does. The same command (`python -m keypoints_tf.train --config=configs/synthetic.py:smoke` with a
fixed seed, a checkpoint after every step, an evaluation every `EVAL_EVERY` steps) runs twice, in two
temporary workdirs:

* the reference: once, uninterrupted (at the same time as the other, unless --serial);
* the faulted run: started, killed with SIGKILL, restarted with the same command, N times, then left to
  finish. The kills, by kind:
    - ``checkpoint_write``: the checkpoint folder is polled every ~0.5 ms for TensorFlow's ``ckpt-N_temp``
      folder (its writer puts the shards there, merges them into ``ckpt-N.index``/``.data-*`` and only then
      updates the ``checkpoint`` state file), and the process is killed the moment it appears, i.e. mid-write.
      Whether the write really was cut short is recorded (the ``_temp`` folder is still there and no
      ``ckpt-N.index``).
    - ``training``: once the run has saved a step beyond where it resumed and at least two steps into the
      GAN phase, after a random 0-1 s delay.
    - ``startup``: a random 0.5-8 s after the process starts (imports, data, restore, tracing).
    - ``after_evaluation``: the moment an evaluation is appended to ``history.jsonl``, i.e. between an
      evaluation and the checkpoint of its step (whether that checkpoint was written first is recorded).
      The restart evaluates that step again; the history must still hold one entry per evaluated step.
    - ``sigterm``: SIGTERM (what a scheduler or ``kill`` sends) once the run has saved a step beyond where it
      resumed. The run must save the step it is at, say so in one line and exit with 143; the restart must
      resume from exactly that step.
    - ``after_final_checkpoint``: the moment the last step's checkpoint is recorded, before ``metrics.json``
      is written (full mode only). The window is milliseconds wide: when the kill comes too late,
      ``metrics.json`` is removed, which leaves the workdir as a kill inside the window would have; the
      restart must then write it.
  Before one restart (two in full mode) the newest checkpoint is damaged (its data file truncated to half,
  or overwritten in the middle with random bytes); the next segment must log that it could not be read and
  resume from the previous one ("resumed from an older checkpoint"). Before another restart the checkpoint
  state file (``checkpoints/checkpoint``) is torn (truncated to half); the restart must rebuild it and resume
  from the newest checkpoint on disk, not from step 0.

With ``--perceptual`` the runs use the VGG-19 perceptual reconstruction loss (on random VGG weights written to
a file, since ImageNet weights cannot be assumed here): its running means and their update count are state
that the checkpoint must carry, and the resumed run must use them as the uninterrupted one does.

What "match" means. Batches are a function of (seed, step) (`pipeline.PairSampler`), the image pool's random
state and every optimizer's state are in the checkpoint, so a resumed run replays exactly the computation
of the uninterrupted one: a kill between a step and its checkpoint only means that step is computed again,
with the same inputs and the same state. On CPU, with the same thread count, TensorFlow's kernels are
deterministic, so we expect -- and check -- **bitwise equality** of the final step, of each optimizer's
``iterations``, of the Adam moments and every network weight in the final checkpoint, and of every number in
``metrics.json`` except wall time (``minutes``), and of the evaluation ``history``: the same steps, in order,
once each, with the same numbers. The figures printed are the maximum absolute differences measured.
`--atol` loosens the float comparisons (for example on a GPU, where cuDNN kernels need not be deterministic;
there the expected difference is of the order of float32 round-off amplified over the replayed steps).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINT_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
CHECKPOINT_TEMP = re.compile(r"^ckpt-(\d+)_temp")
FALLBACK_MESSAGE = "resumed from an older checkpoint"
UNREADABLE_MESSAGE = "could not be read"
REBUILT_MESSAGE = "rebuilt it from the"
SIGTERM_MESSAGE = re.compile(r"stopped by SIGTERM at step (\d+)")
EVAL_EVERY = 2


def train_command(workdir: str, seed: int, pretrain_steps: int, steps: int, vgg_weights: str = "") -> list:
    """The training command; with `vgg_weights`, on the perceptual reconstruction loss with those weights."""
    perceptual = ["--config.loss.reconstruction=perceptual", f"--config.loss.vgg_weights={vgg_weights}"]
    return [sys.executable, "-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke",
            f"--workdir={workdir}", f"--config.seed={seed}", f"--config.train.steps={steps}",
            f"--config.train.regressor_pretrain_steps={pretrain_steps}",
            "--config.log.checkpoint_every_steps=1", "--config.log.keep_checkpoints=3",
            f"--config.log.eval_every_steps={EVAL_EVERY}", "--config.log.image_every_steps=1000000"] + (
                perceptual if vgg_weights else [])


def write_random_vgg19_weights(path: str) -> str:
    """A VGG-19 no-top weights file with random values (seed 0), for the perceptual loss without ImageNet."""
    import keras
    keras.utils.set_random_seed(0)
    keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3)).save_weights(path)
    return path


def _env():
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def saved_steps(checkpoint_dir: str) -> list:
    """Steps with a complete checkpoint (its .index written by the merge)."""
    try:
        names = os.listdir(checkpoint_dir)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(CHECKPOINT_INDEX.match, names) if m)


def temp_steps(checkpoint_dir: str) -> list:
    try:
        names = os.listdir(checkpoint_dir)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(CHECKPOINT_TEMP.match, names) if m)


def history_lines(workdir: str) -> list:
    """The raw lines of <workdir>/history.jsonl (what the runs appended, duplicates included)."""
    try:
        return open(os.path.join(workdir, "history.jsonl"), "rb").read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return []


def latest_recorded(checkpoint_dir: str):
    """The step named by the `checkpoint` state file (what a restart tries first), or None."""
    try:
        text = open(os.path.join(checkpoint_dir, "checkpoint")).read()
    except FileNotFoundError:
        return None
    match = re.search(r'^model_checkpoint_path:\s*"(?:.*/)?ckpt-(\d+)"', text, re.M)
    return int(match.group(1)) if match else None


class Segment:
    """One run of the training command, its output in a log file."""

    def __init__(self, command, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.started = time.time()
        self.process = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=self.log, stderr=subprocess.STDOUT)

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self, number=signal.SIGKILL) -> bool:
        """Sends `number` (SIGKILL) and waits for the exit; False if it had already exited."""
        if not self.running():
            return False
        self.process.send_signal(number)
        self.process.wait()
        return True

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"training did not finish in {timeout:.0f} s; see {self.log_path}") from None
        finally:
            self.log.close()

    def text(self) -> str:
        return open(self.log_path, "rb").read().decode("utf-8", "replace")


def _wait_for(condition, segment: Segment, timeout: float, interval: float = 0.01) -> bool:
    """Polls until `condition()` is true (True) or the process exits / the timeout passes (False)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        if not segment.running():
            return bool(condition())
        time.sleep(interval)
    return False


def kill_once(kind: str, segment: Segment, checkpoint_dir: str, resumed_at: int, pretrain_steps: int,
              total_steps: int, rng: random.Random, timeout: float) -> dict:
    """Kills `segment` at a moment of the given kind; returns what happened."""
    event = {"kind": kind, "resumed_at": resumed_at}
    progressed = lambda floor: (lambda: any(s > floor for s in saved_steps(checkpoint_dir)))  # noqa: E731
    if kind == "startup":
        delay = rng.uniform(0.5, 8.0)
        event["delay_s"] = round(delay, 2)
        _wait_for(lambda: False, segment, delay)
    elif kind == "training":
        # Two steps into the GAN phase when possible: it has the most state (four optimizers, the image
        # pool and its random state), and a fall-back to the previous checkpoint still lands inside it.
        floor = max(resumed_at, pretrain_steps + 2)
        floor = floor if floor < total_steps - 1 else resumed_at
        if _wait_for(progressed(floor), segment, timeout):
            delay = rng.uniform(0.0, 1.0)
            event["delay_s"] = round(delay, 2)
            _wait_for(lambda: False, segment, delay)
    elif kind == "checkpoint_write":
        if _wait_for(progressed(resumed_at), segment, timeout):
            done = max(saved_steps(checkpoint_dir))
            target = lambda: any(s > done for s in temp_steps(checkpoint_dir))  # noqa: E731
            if _wait_for(target, segment, timeout, interval=0.0005) and segment.kill():
                step = max(temp_steps(checkpoint_dir))
                event["writing_step"] = step
                event["cut_mid_write"] = step not in saved_steps(checkpoint_dir)
    elif kind == "after_evaluation":
        workdir, seen = os.path.dirname(checkpoint_dir), len(history_lines(os.path.dirname(checkpoint_dir)))
        if _wait_for(lambda: len(history_lines(workdir)) > seen, segment, timeout, interval=0.0005):
            killed = segment.kill()
            step = json.loads(history_lines(workdir)[-1])["step"]
            event.update(evaluated_step=step, checkpoint_saved_before_kill=step in saved_steps(checkpoint_dir),
                         killed_after_evaluation=killed)
    elif kind == "sigterm":
        if _wait_for(progressed(resumed_at), segment, timeout):
            event["finished_before_signal"] = not segment.kill(signal.SIGTERM)
            event["exit_code"] = segment.process.returncode
            found = SIGTERM_MESSAGE.findall(segment.text())
            event["saved_on_sigterm"] = int(found[-1]) if found else None
        event["killed"] = event.get("saved_on_sigterm") is not None
    elif kind == "after_final_checkpoint":
        _wait_for(lambda: latest_recorded(checkpoint_dir) == total_steps, segment, timeout, interval=0.002)
    else:
        raise ValueError(kind)
    if kind != "sigterm":
        event["killed"] = segment.kill() or event.get("writing_step") is not None or \
            bool(event.get("killed_after_evaluation"))
    if kind == "after_final_checkpoint":
        # The window between the last checkpoint and metrics.json is milliseconds wide; when the kill came
        # too late, removing metrics.json leaves the workdir as a kill inside the window would have.
        metrics = os.path.join(os.path.dirname(checkpoint_dir), "metrics.json")
        event["metrics_json_written_before_kill"] = os.path.exists(metrics)
        if event["metrics_json_written_before_kill"]:
            os.remove(metrics)
    steps = saved_steps(checkpoint_dir)
    event["last_saved_step"] = steps[-1] if steps else 0
    event["seconds_after_start"] = round(time.time() - segment.started, 2)
    return event


def corrupt_latest(checkpoint_dir: str, mode: str, rng: random.Random):
    """Damages the data file of the checkpoint a restart would try first; returns its step or None."""
    step = latest_recorded(checkpoint_dir)
    if step is None or len(saved_steps(checkpoint_dir)) < 2:
        return None
    path = os.path.join(checkpoint_dir, f"ckpt-{step}.data-00000-of-00001")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        if mode == "truncate":
            f.truncate(size // 2)
        elif mode == "garbage":
            f.seek(size // 3)
            f.write(bytes(rng.getrandbits(8) for _ in range(min(4096, size // 3))))
        else:
            raise ValueError(mode)
    return step


def tear_state_file(checkpoint_dir: str):
    """Truncates the checkpoint state file to half (a torn write); returns the newest complete step on disk."""
    path = os.path.join(checkpoint_dir, "checkpoint")
    steps = saved_steps(checkpoint_dir)
    if not os.path.isfile(path) or not steps:
        return None
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    return steps[-1]


def compare_histories(a: list, b: list) -> dict:
    """The evaluation histories of two metrics.json: steps (each once, in order) and numbers except minutes."""
    steps_a, steps_b = [e.get("step") for e in a], [e.get("step") for e in b]
    differences = [abs(float(x[k]) - float(y[k])) for x, y in zip(a, b) for k in x
                   if k != "minutes" and isinstance(x.get(k), float) and isinstance(y.get(k), float)]
    return {"steps": [steps_a, steps_b], "in_order_once": steps_b == sorted(set(steps_b)),
            "max_abs_difference": max(differences, default=0.0)}


def _resume_step(log_text: str):
    match = re.findall(r"resumed from (?:an older checkpoint )?\S*ckpt-(\d+)", log_text)
    return int(match[-1]) if match else 0


def compare_checkpoints(prefix_a: str, prefix_b: str) -> dict:
    """Max |a - b| per group of variables of two checkpoints, and each optimizer's iterations."""
    import numpy as np
    import tensorflow as tf
    a, b = tf.train.load_checkpoint(prefix_a), tf.train.load_checkpoint(prefix_b)
    names_a = set(a.get_variable_to_shape_map())
    names_b = set(b.get_variable_to_shape_map())
    out = {"missing": sorted(names_a ^ names_b), "iterations": {}, "groups": {}, "max_abs_difference": 0.0,
           "variables": 0, "values": 0, "differing_values": 0}
    for name in sorted(names_a & names_b):
        if name.startswith("_CHECKPOINTABLE_OBJECT_GRAPH"):
            continue
        x, y = a.get_tensor(name), b.get_tensor(name)
        if name.endswith("_iterations/.ATTRIBUTES/VARIABLE_VALUE"):
            out["iterations"][name.split("/")[0]] = [int(x), int(y)]
        # A variable is stored once, under the first path that reaches it: network weights may appear under
        # the network (e.g. image_to_skeleton/weights/N) or as <optimizer>/_trainable_variables/N; Adam's
        # first and second moments are <optimizer>/_variables/N.
        top = name.split("/")[0]
        if "optimizer/_variables/" in name:
            group = "Adam moments (m, v)"
        elif "optimizer/_trainable_variables/" in name:
            group = "network weights (reached via an optimizer)"
        elif top.endswith("optimizer"):
            group = "optimizer iterations and learning rates"
        elif top in ("step", "save_counter"):
            group = "step counters"
        elif top.startswith(("image_pool", "pool")):
            group = "image pool (images, count, random state)"
        else:
            group = f"networks (weights, BatchNorm statistics): {top}"
        x = np.asarray(x)
        y = np.asarray(y)
        if x.dtype.kind in "fc":
            difference = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))) if x.size else 0.0
            differing = int(np.sum(x != y))
        else:
            difference = float(not np.array_equal(x, y))
            differing = int(not np.array_equal(x, y))
        out["variables"] += 1
        out["values"] += int(x.size)
        out["differing_values"] += differing
        stats = out["groups"].setdefault(group, {"variables": 0, "max_abs_difference": 0.0})
        stats["variables"] += 1
        stats["max_abs_difference"] = max(stats["max_abs_difference"], difference)
        out["max_abs_difference"] = max(out["max_abs_difference"], difference)
    return out


def compare_metrics(a: dict, b: dict) -> dict:
    """Max |a - b| over the numbers of metrics.json (nested ones included), except wall time and history."""
    differences, missing = {}, []

    def walk(x, y, key):
        if key.split("/")[0] in ("minutes", "history"):
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in set(x) | set(y):
                if k not in x or k not in y:
                    missing.append(f"{key}/{k}".strip("/"))
                else:
                    walk(x[k], y[k], f"{key}/{k}".strip("/"))
        elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
            differences[key] = abs(float(x) - float(y))
        elif x != y:
            missing.append(key)

    walk(a, b, "")
    return {"max_abs_difference": max(differences.values(), default=0.0), "numbers": len(differences),
            "mismatched_fields": missing, "error": [a.get("error"), b.get("error")],
            "step": [a.get("step"), b.get("step")]}


def schedule(kills: int, fast: bool) -> list:
    if fast:
        kinds = ["checkpoint_write", "after_evaluation", "sigterm", "training"]
        return kinds[:kills] + ["training"] * max(0, kills - len(kinds))
    kinds = ["checkpoint_write", "training", "startup", "after_evaluation", "training", "sigterm", "checkpoint_write",
             "after_final_checkpoint"]
    out = kinds[:min(kills, len(kinds) - 1)]
    out += [("training", "checkpoint_write", "startup")[i % 3] for i in range(max(0, kills - len(kinds)))]
    if kills >= len(kinds):
        out.append("after_final_checkpoint")  # last: it ends the training
    return out


def run_fault_test(root: str, kills: int = 8, seed: int = 0, pretrain_steps: int = 10, steps: int = 30,
                   fast: bool = False, serial: bool = False, timeout: float = 600.0, schedule_seed: int = 0,
                   atol: float = 0.0, corrupt_modes=None, perceptual: bool = False, kinds=None, log=print) -> dict:
    """Runs the reference and the faulted training in `root`; returns the figures (see the module doc).
    `kinds`: the kills in order (default: `schedule(kills, fast)`)."""
    rng = random.Random(schedule_seed)
    total_steps = pretrain_steps + steps
    reference_dir, faulted_dir = os.path.join(root, "reference"), os.path.join(root, "faulted")
    checkpoint_dir = os.path.join(faulted_dir, "checkpoints")
    vgg_weights = write_random_vgg19_weights(os.path.join(root, "vgg19_random.weights.h5")) if perceptual else ""
    command = lambda workdir: train_command(workdir, seed, pretrain_steps, steps, vgg_weights)  # noqa: E731
    started = time.time()
    reference = Segment(command(reference_dir), os.path.join(root, "reference.log"))
    if serial:
        reference_code = reference.wait(timeout)
    kinds = list(kinds) if kinds else schedule(kills, fast)
    # Before the restart that follows the last kill, or the one before it when the last kill comes after
    # the final checkpoint (that restart must find the finished run as it was left).
    corrupt_before = {len(kinds) - 1 if kinds[-1] == "after_final_checkpoint" else len(kinds)}
    if not fast and len(kinds) >= 4:
        corrupt_before.add(2)
    tear_before = {3} - corrupt_before if len(kinds) >= 3 else set()
    modes = iter(corrupt_modes or (["truncate"] if fast else ["garbage", "truncate"]))
    events, corruptions, tears, resumed_at, number, pending = [], [], [], 0, 0, None
    while True:
        number += 1
        corrupted = torn = None
        if number - 1 in corrupt_before:
            corrupted = corrupt_latest(checkpoint_dir, next(modes, "truncate"), rng)
            if corrupted is None:  # fewer than two checkpoints yet: try again before the next restart
                corrupt_before.add(number)
        if number - 1 in tear_before:
            torn = tear_state_file(checkpoint_dir)
            if torn is None:
                tear_before.add(number)
        segment = Segment(command(faulted_dir), os.path.join(root, f"faulted_{number}.log"))
        if number <= len(kinds):
            event = kill_once(kinds[number - 1], segment, checkpoint_dir, resumed_at, pretrain_steps,
                              total_steps, rng, timeout)
            segment.log.close()
        else:
            event = {"kind": "final (no kill)", "resumed_at": resumed_at, "exit_code": segment.wait(timeout)}
            event["last_saved_step"] = max(saved_steps(checkpoint_dir), default=0)
        text = segment.text()
        event["resumed_from"] = _resume_step(text)
        if torn is not None:
            tears.append({"newest_on_disk": torn, "resumed_from": event["resumed_from"], "segment": number,
                          "warned_rebuilt": REBUILT_MESSAGE in text,
                          "ok": REBUILT_MESSAGE in text and event["resumed_from"] == torn})
        if corrupted is not None:
            pending = {"step": corrupted}
            corruptions.append(pending)
        if pending is not None:
            # A segment killed before it restored has not read the checkpoints yet: the next one decides.
            pending.update(resumed_from=event["resumed_from"], warned_unreadable=UNREADABLE_MESSAGE in text,
                           warned_fallback=FALLBACK_MESSAGE in text, segment=number,
                           restored=bool(re.search(r"resumed from ", text)))
            pending["ok"] = (pending["warned_unreadable"] and pending["warned_fallback"]
                             and 0 < pending["resumed_from"] < pending["step"])
            if pending["restored"]:
                pending = None
        log(f"segment {number}: {event}")
        events.append(event)
        resumed_at = event["last_saved_step"]
        if number > len(kinds):
            break
        if os.path.exists(os.path.join(faulted_dir, "metrics.json")) and event["kind"] != "after_final_checkpoint":
            # It finished before the kill: later kills would land on a finished run; one more restart checks it.
            kinds = kinds[:number]
    if not serial:
        reference_code = reference.wait(timeout)
    if reference_code != 0:
        raise RuntimeError(f"the reference run failed ({reference_code}); see {reference.log_path}")
    final = events[-1]
    result = {"kills": sum(bool(e.get("killed")) for e in events[:-1]), "schedule": kinds,
              "total_steps": total_steps, "seed": seed, "events": events, "corruptions": corruptions,
              "torn_state_files": tears,
              "wall_seconds": round(time.time() - started, 1), "final_exit_code": final["exit_code"],
              "leftover_temp_folders": temp_steps(checkpoint_dir)}
    if final["exit_code"] != 0:
        result["ok"] = False
        result["reason"] = f"the final restart failed with exit code {final['exit_code']}"
        return result
    final_a, final_b = saved_steps(os.path.join(reference_dir, "checkpoints")), saved_steps(checkpoint_dir)
    result["final_step"] = [final_a[-1] if final_a else None, final_b[-1] if final_b else None]
    metrics_path = os.path.join(faulted_dir, "metrics.json")
    result["faulted_metrics_written"] = os.path.isfile(metrics_path)
    metrics_a = json.load(open(os.path.join(reference_dir, "metrics.json")))
    metrics_b = json.load(open(metrics_path)) if os.path.isfile(metrics_path) else {}
    result["metrics"] = compare_metrics(metrics_a, metrics_b)
    result["history"] = compare_histories(metrics_a.get("history", []), metrics_b.get("history", []))
    lines = history_lines(faulted_dir)
    result["history"]["file_lines"] = len(lines)
    result["checkpoint"] = compare_checkpoints(os.path.join(reference_dir, "checkpoints", f"ckpt-{total_steps}"),
                                               os.path.join(checkpoint_dir, f"ckpt-{total_steps}"))
    iterations_equal = all(a == b for a, b in result["checkpoint"]["iterations"].values())
    problems = []
    if result["final_step"] != [total_steps, total_steps]:
        problems.append(f"final steps {result['final_step']} != {total_steps}")
    if not iterations_equal or not result["checkpoint"]["iterations"]:
        problems.append(f"optimizer iterations differ: {result['checkpoint']['iterations']}")
    if result["checkpoint"]["missing"]:
        problems.append(f"variables in one checkpoint only: {result['checkpoint']['missing'][:5]}")
    if result["checkpoint"]["max_abs_difference"] > atol:
        problems.append(f"checkpoint values differ by up to {result['checkpoint']['max_abs_difference']:.3g}")
    if not result["faulted_metrics_written"]:
        problems.append("the faulted run has no metrics.json after its final restart")
    elif result["metrics"]["max_abs_difference"] > atol or result["metrics"]["mismatched_fields"]:
        problems.append(f"metrics differ: {result['metrics']}")
    for corruption in corruptions:
        if corruption["restored"] and not corruption["ok"]:
            problems.append(f"corrupt checkpoint not handled as expected: {corruption}")
    if not any(c["restored"] for c in corruptions):
        problems.append("no corrupt-checkpoint restart was exercised")
    history = result["history"]
    if history["steps"][0] != history["steps"][1] or not history["in_order_once"]:
        problems.append(f"evaluation histories differ: steps {history['steps']}")
    elif history["max_abs_difference"] > atol:
        problems.append(f"evaluation histories differ by up to {history['max_abs_difference']:.3g}")
    problems += _stop_problems(events, tears)
    result["problems"] = problems
    result["ok"] = not problems
    return result


def _stop_problems(events: list, tears: list) -> list:
    """What went wrong with the SIGTERM stops, the kills after an evaluation and the torn state files."""
    problems = []
    for i, event in enumerate(events[:-1]):
        if event["kind"] == "sigterm" and event.get("saved_on_sigterm") is not None:
            following = events[i + 1]["resumed_from"]
            if event.get("exit_code") != 128 + signal.SIGTERM or following != event["saved_on_sigterm"]:
                problems.append(f"SIGTERM: exit code {event.get('exit_code')}, saved step "
                                f"{event['saved_on_sigterm']}, the restart resumed from {following}")
        elif event["kind"] == "sigterm" and not event.get("finished_before_signal"):
            problems.append(f"SIGTERM did not save and say so: {event}")
    for tear in tears:
        if not tear["ok"]:
            problems.append(f"torn state file not recovered: {tear}")
    return problems


def print_summary(result: dict, log=print):
    log("")
    log(f"kills: {result['kills']} ({', '.join(result['schedule'])}); total steps {result['total_steps']}; "
        f"wall {result['wall_seconds']} s")
    for i, event in enumerate(result["events"], 1):
        extra = ""
        if "writing_step" in event:
            extra = f", writing ckpt-{event['writing_step']}, cut mid-write: {event['cut_mid_write']}"
        if "evaluated_step" in event:
            extra = (f", killed after evaluating step {event['evaluated_step']} (its checkpoint written first: "
                     f"{event['checkpoint_saved_before_kill']})")
        if event["kind"] == "sigterm":
            extra = f", saved step {event.get('saved_on_sigterm')}, exit code {event.get('exit_code')}"
        log(f"  segment {i}: {event['kind']:<22} resumed from step {event['resumed_from']:>3}, "
            f"last saved step {event['last_saved_step']:>3}{extra}")
    for c in result["corruptions"]:
        log(f"  corrupted ckpt-{c['step']}: next start resumed from step {c['resumed_from']}, warned "
            f"unreadable={c['warned_unreadable']} fallback={c['warned_fallback']}")
    for t in result.get("torn_state_files", []):
        log(f"  torn state file (newest checkpoint on disk: {t['newest_on_disk']}): next start resumed from "
            f"step {t['resumed_from']}, warned rebuilt={t['warned_rebuilt']}")
    if "final_step" in result:
        checkpoint = result["checkpoint"]
        log(f"final step (reference, faulted): {result['final_step']}")
        log(f"optimizer iterations (reference, faulted): {checkpoint['iterations']}")
        for group, stats in checkpoint["groups"].items():
            log(f"  {group:<45} {stats['variables']:>4} variables, max |diff| = {stats['max_abs_difference']:.3g}")
        log(f"  all: {checkpoint['variables']} variables, {checkpoint['values']} values, "
            f"{checkpoint['differing_values']} differ")
        log(f"metrics.json: {result['metrics']['numbers']} numbers, max |diff| = "
            f"{result['metrics']['max_abs_difference']:.3g}; error (reference, faulted) = {result['metrics']['error']}")
        history = result["history"]
        log(f"history: steps {history['steps'][1]} (reference {history['steps'][0]}), max |diff| = "
            f"{history['max_abs_difference']:.3g}; history.jsonl has {history['file_lines']} lines")
    log(f"leftover ckpt-N_temp folders: {result['leftover_temp_folders']}")
    log("PASS" if result["ok"] else f"FAIL: {result.get('problems') or result.get('reason')}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0, help="training seed (config.seed)")
    parser.add_argument("--schedule-seed", type=int, default=0, help="seed of the random kill moments")
    parser.add_argument("--pretrain-steps", type=int, default=10)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--fast", action="store_true", help="4 stops, 4 + 6 steps (the pytest version)")
    parser.add_argument("--serial", action="store_true", help="run the reference first, not alongside")
    parser.add_argument("--atol", type=float, default=0.0, help="tolerance of float comparisons (default: bitwise)")
    parser.add_argument("--corrupt", nargs="+", choices=("truncate", "garbage"),
                        help="how to damage the newest checkpoint, in order (default: truncate; full mode: "
                             "garbage, then truncate)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any one wait may take")
    parser.add_argument("--perceptual", action="store_true",
                        help="train with the perceptual reconstruction loss (random VGG-19 weights)")
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder, deleted)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    if args.fast:
        args.kills, args.pretrain_steps, args.steps = min(args.kills, 4), 4, 6
    root = args.workdir or tempfile.mkdtemp(prefix="fault_test_")
    os.makedirs(root, exist_ok=True)
    try:
        result = run_fault_test(root, kills=args.kills, seed=args.seed, pretrain_steps=args.pretrain_steps,
                                steps=args.steps, fast=args.fast, serial=args.serial, timeout=args.timeout,
                                schedule_seed=args.schedule_seed, atol=args.atol,
                                corrupt_modes=args.corrupt, perceptual=args.perceptual)
        print_summary(result)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
