"""Learning benchmark: does KeypointGAN learn within a CPU budget, and how close to supervised does it get?

    python benchmarks/learning_benchmark.py --minutes 45 --out runs/learning [--config configs/synthetic.py]
        [--supervised_config configs/supervised.py] [--config.data.world_dir=... (any config field, both runs)]

Trains the unsupervised config and the supervised upper bound (the same detector, labels) for the same
wall-clock budget, one after the other (each gets the whole machine), then prints the learning curves
(evaluation error vs training minutes) beside the mean-pose baseline. Training minutes count the
training loop only (world generation and eta's pre-training are part of it; start-up is not).
"""

import argparse
import json
import os
import subprocess
import sys


def train(config, workdir, minutes, overrides):
    command = [sys.executable, "-m", "keypoints_tf.train", f"--config={config}", f"--workdir={workdir}",
               f"--config.train.max_minutes={minutes}", "--config.log.eval_every_steps=250"] + overrides
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    args, overrides = parser.parse_known_args()  # the rest: --config.X=Y flags for both runs
    args.override = overrides
    unsupervised = train(args.config, os.path.join(args.out, "keypoint_gan"), args.minutes, args.override)
    supervised = train(args.supervised_config, os.path.join(args.out, "supervised"), args.minutes, args.override)
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
