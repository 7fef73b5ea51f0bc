"""Long runs: resident memory of `detect` over a 10,000-frame video and of training over 1,000 steps.

    python benchmarks/long_runs.py                          # both; about 10-15 minutes on 2 CPUs
    python benchmarks/long_runs.py --skip-train             # (a) only (trains a 2-step smoke model to run)
    python benchmarks/long_runs.py --skip-detect            # (b) only
    python benchmarks/long_runs.py --model=runs/export/model.tflite   # (a) with another detector
    python benchmarks/long_runs.py --json=long_runs.json --workdir=/tmp/long_runs   # keep the files

(a) detect. A synthetic video of `--frames` (10,000) frames, `--size` (64) px square, is written with OpenCV
(mp4v): `--unique-frames` (1,000) frames of figures moving in `keypoints_tf.data.synthetic` scenes, played
forwards and backwards until the length is reached (the detector does not care that frames repeat; rendering
10,000 distinct frames would take minutes). Then ``python -m keypoints_tf.detect --model=M --input=V
--output=O.mp4 --json=J`` runs as a subprocess. Its progress is read from the streamed results file (one
annotation per line) and its memory from /proc/<pid>/status every 0.1 s: VmRSS (resident now) and VmHWM
(peak resident so far) when it passes 1,000, 2,000, 5,000 and 10,000 frames; the peak over the whole run is
the child's ru_maxrss from wait4(). Flat memory: the peak at 10k frames is within a few MB of the peak at 1k.

(b) training. ``python -m keypoints_tf.train --config=configs/synthetic.py:smoke`` (32 px) for `--train-steps`
(1,000) steps in total (the smoke config's 2 pre-training steps included), with a checkpoint, an evaluation
and an image grid every 50 steps. Its VmRSS / VmHWM are sampled when each checkpoint appears (that is, right
after steps 50, 100, ..., 1,000), and the growth is reported between step 100 and step 1,000, with the slope
of a line fitted to VmRSS over steps 200-1,000 (MB per 1,000 steps).

The default model of (a) is the workdir (b) trains; with --skip-train a 2-step smoke model is trained first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MILESTONES = (1000, 2000, 5000, 10000)


def _env():
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def memory_mb(pid: int) -> dict:
    """{'rss': VmRSS, 'hwm': VmHWM} in MB from /proc/<pid>/status, or {} once the process is gone."""
    try:
        text = open(f"/proc/{pid}/status").read()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    out = {}
    for key, field in (("rss", "VmRSS"), ("hwm", "VmHWM")):
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
        if match:
            out[key] = round(int(match.group(1)) / 1024.0, 1)
    return out


class Child:
    """A subprocess reaped with wait4(), so that its peak RSS (ru_maxrss) is known when it ends."""

    def __init__(self, command, log):
        self.process = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT)
        self.pid, self.exit_code, self.peak_mb = self.process.pid, None, None

    def running(self) -> bool:
        if self.exit_code is not None:
            return False
        pid, status, usage = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.process.returncode = self.exit_code  # so that Popen does not wait for it again
        self.peak_mb = round(usage.ru_maxrss / 1024.0, 1)
        return False

    def kill(self):
        if self.running():
            self.process.kill()
            while self.running():
                time.sleep(0.05)


# === (a) detect on a long video ===

def write_long_video(path: str, frames: int, size: int, unique_frames: int, seed: int = 0) -> dict:
    import cv2
    from keypoints_tf.data import synthetic
    started = time.time()
    rng = np.random.default_rng(seed)
    per_video = min(250, unique_frames)
    clips = [clip for clip, _, _ in synthetic.generate_videos(rng, max(1, unique_frames // per_video), per_video, size)]
    # Ping-pong each clip, then the next: continuous motion, a cut every so often.
    sequence = np.concatenate([np.concatenate([clip, clip[::-1]]) for clip in clips])
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (size, size))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path} (mp4v)")
    for t in range(frames):
        writer.write(cv2.cvtColor(sequence[t % len(sequence)], cv2.COLOR_RGB2BGR))
    writer.release()
    return {"frames": frames, "size": size, "unique_frames": len(clips) * per_video,
            "bytes": os.path.getsize(path), "seconds": round(time.time() - started, 1)}


def count_lines(path: str, state: dict) -> int:
    """Newlines in a growing file, read incrementally (state keeps the offset and the count)."""
    try:
        with open(path, "rb") as f:
            f.seek(state.get("offset", 0))
            data = f.read()
    except FileNotFoundError:
        return state.get("count", 0)
    state["offset"] = state.get("offset", 0) + len(data)
    state["count"] = state.get("count", 0) + data.count(b"\n")
    return state["count"]


def run_detect(model: str, video: str, out_dir: str, frames: int, timeout: float) -> dict:
    json_path, output = os.path.join(out_dir, "detections.json"), os.path.join(out_dir, "overlay.mp4")
    command = [sys.executable, "-m", "keypoints_tf.detect", f"--model={model}", f"--input={video}",
               f"--output={output}", f"--json={json_path}"]
    log_path = os.path.join(out_dir, "detect.log")
    started = time.time()
    with open(log_path, "wb") as log:
        process = Child(command, log)
        samples, milestones, state, last = [], {}, {}, {}
        pending = [m for m in MILESTONES if m <= frames] + ([frames] if frames not in MILESTONES else [])
        while process.running():
            if time.time() - started > timeout:
                process.kill()
                raise RuntimeError(f"detect did not finish in {timeout:.0f} s; see {log_path}")
            done = count_lines(json_path + ".partial", state)
            memory = memory_mb(process.pid)
            if memory:
                last = dict(memory, frames=done)
                if not samples or done - samples[-1]["frames"] >= 250:
                    samples.append(dict(last, seconds=round(time.time() - started, 1)))
                while pending and done >= pending[0]:
                    milestones[pending.pop(0)] = dict(memory, seconds=round(time.time() - started, 1))
            time.sleep(0.1)
        code, peak = process.exit_code, process.peak_mb
    result = {"command": " ".join(command), "exit_code": code, "seconds": round(time.time() - started, 1),
              "peak_rss_mb": peak, "milestones": milestones, "samples": samples, "last_sample": last}
    if code != 0:
        result["log_tail"] = open(log_path, "rb").read()[-3000:].decode("utf-8", "replace")
        return result
    with open(json_path) as f:
        result["annotations"] = len(json.load(f)["annotations"])
    import cv2
    capture = cv2.VideoCapture(output)
    result["output_frames"] = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    # Frames seen between the last sample and the end were not sampled: the end is the run's peak (wait4).
    for m in pending:
        result["milestones"][m] = {"hwm": peak, "rss": last.get("rss"), "at_exit": True}
    return result


# === (b) training memory ===

def train_command(workdir: str, total_steps: int, every: int) -> list:
    return [sys.executable, "-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke", f"--workdir={workdir}",
            f"--config.train.steps={total_steps - 2}", "--config.train.regressor_pretrain_steps=2",
            f"--config.log.checkpoint_every_steps={every}", f"--config.log.eval_every_steps={every}",
            f"--config.log.image_every_steps={every}", "--config.log.every_steps=10",
            "--config.log.keep_checkpoints=2"]


def run_training(workdir: str, total_steps: int, every: int, timeout: float) -> dict:
    checkpoints = os.path.join(workdir, "checkpoints")
    log_path = workdir.rstrip("/") + ".log"
    started = time.time()
    with open(log_path, "wb") as log:
        process = Child(train_command(workdir, total_steps, every), log)
        by_step, seen = {}, set()
        while process.running():
            if time.time() - started > timeout:
                process.kill()
                raise RuntimeError(f"training did not finish in {timeout:.0f} s; see {log_path}")
            try:
                names = os.listdir(checkpoints)
            except FileNotFoundError:
                names = []
            steps = {int(m.group(1)) for m in map(re.compile(r"^ckpt-(\d+)\.index$").match, names) if m}
            memory = memory_mb(process.pid)
            for step in sorted(steps - seen):
                if memory:
                    by_step[step] = dict(memory, seconds=round(time.time() - started, 1))
                seen.add(step)
            time.sleep(0.05)
        code, peak = process.exit_code, process.peak_mb
    result = {"command": " ".join(train_command(workdir, total_steps, every)), "exit_code": code,
              "seconds": round(time.time() - started, 1), "peak_rss_mb": peak,
              "by_step": {str(k): v for k, v in sorted(by_step.items())}}
    if code != 0:
        result["log_tail"] = open(log_path, "rb").read()[-3000:].decode("utf-8", "replace")
        return result
    fit = [(s, v["rss"]) for s, v in by_step.items() if s >= 200]
    if len(fit) >= 3:
        slope = np.polyfit([s for s, _ in fit], [r for _, r in fit], 1)[0]
        result["rss_slope_mb_per_1000_steps"] = round(float(slope) * 1000, 1)
    return result


def train_tiny_model(workdir: str, timeout: float) -> str:
    command = [sys.executable, "-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke",
               f"--workdir={workdir}", "--config.train.steps=2", "--config.train.regressor_pretrain_steps=1"]
    subprocess.run(command, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=timeout, check=True)
    return workdir


def print_table(results: dict):
    print("")
    detect = results.get("detect")
    if detect:
        video = results["video"]
        print(f"(a) detect: {video['frames']} frames {video['size']}x{video['size']} "
              f"({video['unique_frames']} distinct), model {results['model']}")
        print(f"    exit {detect['exit_code']}, {detect['seconds']} s, annotations {detect.get('annotations')}, "
              f"overlay frames {detect.get('output_frames')}")
        print(f"    {'frames':>8} {'VmRSS MB':>9} {'VmHWM MB':>9} {'seconds':>8}")
        for m, v in sorted(detect["milestones"].items()):
            rss, hwm = v.get("rss", float("nan")), v.get("hwm", float("nan"))
            print(f"    {m:>8} {rss:>9} {hwm:>9} {v.get('seconds', 'exit'):>8}")
        print(f"    peak RSS over the run (wait4 ru_maxrss): {detect['peak_rss_mb']} MB")
    train = results.get("train")
    if train:
        print(f"(b) training: smoke config, {results['train_steps']} steps, exit {train['exit_code']}, "
              f"{train['seconds']} s")
        print(f"    {'step':>8} {'VmRSS MB':>9} {'VmHWM MB':>9} {'seconds':>8}")
        for step, v in train["by_step"].items():
            if int(step) in (50, 100, 200, 500, 1000) or int(step) == results["train_steps"]:
                print(f"    {step:>8} {v['rss']:>9} {v['hwm']:>9} {v['seconds']:>8}")
        print(f"    peak RSS over the run (wait4 ru_maxrss): {train['peak_rss_mb']} MB; VmRSS slope over steps "
              f"200-{results['train_steps']}: {train.get('rss_slope_mb_per_1000_steps')} MB per 1,000 steps")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--unique-frames", type=int, default=1000)
    parser.add_argument("--train-steps", type=int, default=1000)
    parser.add_argument("--every", type=int, default=50, help="checkpoint / eval / image grid cadence (steps)")
    parser.add_argument("--model", help="detector for (a): .tflite, SavedModel or workdir (default: (b)'s workdir)")
    parser.add_argument("--skip-detect", action="store_true")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder, deleted)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    root = args.workdir or tempfile.mkdtemp(prefix="long_runs_")
    os.makedirs(root, exist_ok=True)
    results = {"train_steps": args.train_steps}
    ok = True
    try:
        train_dir = os.path.join(root, "train")
        if not args.skip_train:
            results["train"] = run_training(train_dir, args.train_steps, args.every, args.timeout)
            ok &= results["train"]["exit_code"] == 0
            print(json.dumps({k: v for k, v in results["train"].items() if k != "by_step"}), flush=True)
        if not args.skip_detect:
            model = args.model or (train_dir if not args.skip_train else
                                   train_tiny_model(os.path.join(root, "tiny"), args.timeout))
            results["model"] = model
            video = os.path.join(root, "long.mp4")
            results["video"] = write_long_video(video, args.frames, args.size, args.unique_frames)
            print(json.dumps(results["video"]), flush=True)
            results["detect"] = run_detect(model, video, root, args.frames, args.timeout)
            ok &= results["detect"]["exit_code"] == 0 and results["detect"].get("annotations") == args.frames
        print_table(results)
        if not ok:
            for part in ("train", "detect"):
                if results.get(part, {}).get("log_tail"):
                    print(f"--- {part} log tail ---\n{results[part]['log_tail']}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
