"""Learning benchmark: does KeypointGAN learn within a CPU budget, and how close to supervised does it get?

    python benchmarks/learning_benchmark.py --minutes 45 --out runs/learning [--config configs/synthetic.py]
        [--supervised_config configs/supervised.py] [--config.data.world_dir=... (any config field, both runs)]
        [--parallel --steps 2100 --supervised_steps 8500]

Trains the unsupervised config and the supervised upper bound (the same detector, labels) for the same
wall-clock budget, then prints the learning curves (evaluation error vs training minutes) beside the
mean-pose baseline. By default the runs go one after the other, each with the whole machine; with
--parallel they run at the same time, each pinned to half of the CPU cores (one core each on a 2-core
machine: each run gets half the compute of the sequential mode, and both finish in one budget). The
configs' step counts are sized for the whole machine: --steps / --supervised_steps set train.steps so the
learning-rate decay ends within the budget. Training minutes count the training loop only (world loading
and eta's pre-training are part of it; start-up is not).
"""

import argparse
import json
import os
import subprocess
import sys


def start(config, workdir, minutes, overrides, steps=None, cores=None):
    """Starts one training run in a subprocess, logging to <workdir>/train.log; `steps` overrides
    train.steps; `cores` (a set of CPU ids) pins it and sizes TensorFlow's thread pools to match."""
    command = [sys.executable, "-m", "keypoints_tf.train", f"--config={config}", f"--workdir={workdir}",
               f"--config.train.max_minutes={minutes}", "--config.log.eval_every_steps=250"] + overrides
    command += [f"--config.train.steps={steps}"] if steps else []
    print("$", " ".join(command), f"(cores {sorted(cores)})" if cores else "", flush=True)
    env = dict(os.environ)
    if cores:
        env.update(TF_NUM_INTRAOP_THREADS=str(len(cores)), TF_NUM_INTEROP_THREADS=str(len(cores)))
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "train.log"), "a") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)


def history(process, workdir):
    """Waits for a run started by `start`; its evaluation history (one dict per evaluation)."""
    if process.wait() != 0:
        raise RuntimeError(f"training in {workdir} failed (exit {process.returncode}); see {workdir}/train.log")
    with open(os.path.join(workdir, "history.jsonl")) as f:
        return [json.loads(line) for line in f]


def at(history, minutes):
    """The last evaluation at or before `minutes`."""
    before = [h for h in history if h["minutes"] <= minutes + 1e-6]
    return before[-1] if before else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=45.0)
    parser.add_argument("--out", default="runs/learning")
    parser.add_argument("--config", default="configs/synthetic.py")
    parser.add_argument("--supervised_config", default="configs/supervised.py")
    parser.add_argument("--parallel", action="store_true", help="both runs at once, each on half the cores")
    parser.add_argument("--steps", type=int, help="train.steps of the unsupervised run (default: the config's)")
    parser.add_argument("--supervised_steps", type=int, help="train.steps of the supervised run")
    args, overrides = parser.parse_known_args()  # the rest: --config.X=Y flags for both runs
    runs = [(args.config, os.path.join(args.out, "keypoint_gan"), args.steps),
            (args.supervised_config, os.path.join(args.out, "supervised"), args.supervised_steps)]
    if args.parallel:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            raise SystemExit("--parallel needs at least 2 CPU cores")
        halves = [set(cores[: len(cores) // 2]), set(cores[len(cores) // 2:])]
        started = [(start(config, workdir, args.minutes, overrides, steps, half), workdir)
                   for (config, workdir, steps), half in zip(runs, halves)]
        unsupervised, supervised = [history(*run) for run in started]
    else:
        unsupervised, supervised = [history(start(config, workdir, args.minutes, overrides, steps), workdir)
                                    for config, workdir, steps in runs]
    baseline = unsupervised[-1].get("mean_pose_error", float("nan"))
    print(f"\nerror in % of image size (mean-pose baseline {baseline:.2f}); left/right fix per method.md 6")
    print(f"{'minutes':>8} {'KeypointGAN':>12} {'+flip fix':>10} {'supervised':>11} {'ratio':>6}")
    marks = sorted({round(m, 1) for m in [5, 10, 15, 20, 30, 45, 60, 90, args.minutes] if m <= args.minutes})
    for minutes in marks:
        u, s = at(unsupervised, minutes), at(supervised, minutes)
        if u is None or s is None:
            continue
        fixed = u.get("flip_fixed_error", u["error"])
        print(f"{minutes:>8.1f} {u['error']:>12.2f} {fixed:>10.2f} {s['error']:>11.2f} "
              f"{min(u['error'], fixed) / s['error']:>6.2f}")
    final_u, final_s = unsupervised[-1], supervised[-1]
    best_u = min(final_u["error"], final_u.get("flip_fixed_error", final_u["error"]))
    print(json.dumps({"minutes": args.minutes, "keypoint_gan_error": final_u["error"],
                      "keypoint_gan_flip_fixed_error": final_u.get("flip_fixed_error"),
                      "supervised_error": final_s["error"], "mean_pose_error": baseline,
                      "ratio_to_supervised": best_u / final_s["error"],
                      "ratio_to_mean_pose": best_u / baseline}, indent=1))


if __name__ == "__main__":
    main()
