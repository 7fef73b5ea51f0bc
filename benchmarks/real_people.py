"""The real-footage demo: walkers tracked out of vtest.avi, a CMU mocap prior, training, an overlay strip.

    python benchmarks/real_people.py --out runs/real_people [--minutes 35] [--prepare-only]
        [--real-data ../shared/data/real]

1. Clips: ``python -m keypoints_tf.data.tracks --video REAL/vtest.avi --out OUT/clips --size 128`` (HOG people
   detector, tracking, 128 px crops), then every 5th track (track_004, track_009, ...) is moved whole to
   ``OUT/heldout``: those people are never trained on and are only drawn in the strip. ``OUT/split.json``
   lists both sets.
2. Prior: ``python -m keypoints_tf.data.mocap --bvh REAL/01_01.bvh REAL/01_03.bvh REAL/Boxing_Toes.bvh
   --skeleton human17 --out OUT/prior.json --views 3 --frame-step 8 --contact-sheet OUT/prior_sheet.png``:
   every 8th mocap frame (1,292 frames) seen by 3 random cameras, about 3,900 poses.
3. Training (unless --prepare-only): ``python -m keypoints_tf.train --config=configs/real_people.py
   --workdir=OUT/workdir --config.data.videos=OUT/clips --config.data.prior=OUT/prior.json
   --config.train.max_minutes=M`` (log in OUT/train.log).
4. The strip: the trained detector (`keypoints_tf.load(OUT/workdir)`) on 16 held-out frames, drawn with
   `keypoints_tf.detect.draw_skeleton` (blue = the subject's left, orange = right, grey = centre), written
   to docs/images/real_people_strip.png. These frames have no ground truth: the strip shows what the model
   outputs, not an accuracy.

Steps 1 and 2 are skipped when their outputs exist (delete OUT/clips, OUT/heldout or OUT/prior.json to redo).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "real"))
BVH_FILES = ("01_01.bvh", "01_03.bvh", "Boxing_Toes.bvh")
HOLD_OUT_EVERY = 5
STRIP = os.path.join(REPO, "docs", "images", "real_people_strip.png")


def prepare_clips(real_data, out):
    """Tracks people in vtest.avi into OUT/clips and moves every 5th track to OUT/heldout."""
    from keypoints_tf.data import tracks
    clips, heldout = os.path.join(out, "clips"), os.path.join(out, "heldout")
    split_path = os.path.join(out, "split.json")
    if os.path.isfile(split_path) and os.path.isdir(clips) and os.path.isdir(heldout):
        print(f"reusing {clips} and {heldout}")
        return json.load(open(split_path))
    for folder in (clips, heldout):
        shutil.rmtree(folder, ignore_errors=True)
    video = os.path.join(real_data, "vtest.avi")
    print(f"$ python -m keypoints_tf.data.tracks --video {video} --out {clips} --size 128", flush=True)
    summary = tracks.main(["--video", video, "--out", clips, "--size", "128"])
    names = [t["name"] for t in summary["tracks"]]
    lengths = {t["name"]: t["num_frames"] for t in summary["tracks"]}
    held = [name for i, name in enumerate(names) if i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1]
    os.makedirs(heldout)
    for name in held:
        shutil.move(os.path.join(clips, name), os.path.join(heldout, name))
    split = {"train": [n for n in names if n not in held], "heldout": held, "num_frames": lengths}
    with open(split_path, "w") as f:
        json.dump(split, f, indent=1)
    return split


def prepare_prior(real_data, out):
    from keypoints_tf.data import mocap
    prior = os.path.join(out, "prior.json")
    if os.path.isfile(prior):
        print(f"reusing {prior}")
        return prior
    bvh = [os.path.join(real_data, name) for name in BVH_FILES]
    arguments = ["--bvh", *bvh, "--skeleton", "human17", "--out", prior, "--views", "3", "--frame-step", "8",
                 "--contact-sheet", os.path.join(out, "prior_sheet.png")]
    print("$ python -m keypoints_tf.data.mocap " + " ".join(arguments), flush=True)
    mocap.main(arguments)
    return prior


def train(out, minutes):
    workdir = os.path.join(out, "workdir")
    command = [sys.executable, "-m", "keypoints_tf.train", "--config=configs/real_people.py",
               f"--workdir={workdir}", f"--config.data.videos={os.path.join(out, 'clips')}",
               f"--config.data.prior={os.path.join(out, 'prior.json')}", f"--config.train.max_minutes={minutes}"]
    log = os.path.join(out, "train.log")
    print("$", " ".join(command[1:]), f"> {log}", flush=True)
    start = time.time()
    with open(log, "w") as f:
        subprocess.run(command, check=True, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
    print(f"trained in {(time.time() - start) / 60:.1f} min (wall, start-up included)")
    return workdir


def heldout_frames(out, split, count=16):
    """`count` (name, RGB frame) pairs spread evenly over the held-out tracks."""
    names = split["heldout"]
    per_track = -(-count // max(len(names), 1))
    chosen = []
    for name in names:
        folder = os.path.join(out, "heldout", name)
        files = sorted(os.listdir(folder))
        for index in np.linspace(0, len(files) - 1, min(per_track, len(files))).round().astype(int):
            image = cv2.cvtColor(cv2.imread(os.path.join(folder, files[index])), cv2.COLOR_BGR2RGB)
            chosen.append((f"{name} f{index}", image))
    return chosen[:count]


def draw_strip(out, split, workdir, columns=8):
    import keypoints_tf
    from keypoints_tf import evaluate
    from keypoints_tf.detect import draw_skeleton
    detector = keypoints_tf.load(workdir)
    tiles = []
    frames = heldout_frames(out, split)
    for label, image in frames:
        detection = detector.detect(image)
        tile = draw_skeleton(image, detection.keypoints, detection.confidence, detector.skeleton, threshold=0.0)
        cv2.putText(tile, label, (3, tile.shape[0] - 5), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    os.makedirs(os.path.dirname(STRIP), exist_ok=True)
    cv2.imwrite(STRIP, cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    metrics = evaluate.read_metrics(workdir)
    caption = (f"{os.path.relpath(STRIP, REPO)}: keypoints detected by configs/real_people.py (step "
               f"{metrics.get('step', '?')}, {metrics.get('minutes', float('nan')):.0f} training minutes) on "
               f"{len(frames)} frames of {len(split['heldout'])} held-out tracks of vtest.avi, people never seen in "
               "training. Blue = the subject's left, orange = right, grey = centre; every keypoint is drawn. "
               "There is no ground truth for these frames: this shows what the model outputs, not how accurate "
               "it is.")
    with open(os.path.join(out, "strip_caption.txt"), "w") as f:
        f.write(caption + "\n")
    print(caption)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for clips/, heldout/, prior.json and workdir/")
    parser.add_argument("--minutes", type=float, default=35.0, help="training wall-clock budget")
    parser.add_argument("--prepare-only", action="store_true", help="write the clips and the prior, then stop")
    parser.add_argument("--real-data", default=REAL_DATA, help="folder with vtest.avi and the BVH files")
    args = parser.parse_args()
    missing = [f for f in ("vtest.avi",) + BVH_FILES if not os.path.isfile(os.path.join(args.real_data, f))]
    if missing:
        sys.exit(f"error: {args.real_data}: missing {missing} (see ../shared/data/real/README.md)")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    split = prepare_clips(args.real_data, out)
    prepare_prior(args.real_data, out)
    lengths = split["num_frames"]
    print(f"clips: {len(split['train'])} training tracks ({sum(lengths[n] for n in split['train'])} frames), "
          f"{len(split['heldout'])} held-out tracks ({sum(lengths[n] for n in split['heldout'])} frames)")
    if args.prepare_only:
        return
    workdir = train(out, args.minutes)
    draw_strip(out, split, workdir)


if __name__ == "__main__":
    main()
