"""Real footage, measured: walkers tracked out of vtest.avi, masks from the video itself, a CMU mocap prior,
training, and errors against PSEUDO labels on held-out people.

    python benchmarks/real_people.py --out runs/real_people --prepare-only   # ~2 min: clips, masks, labels, prior
    python benchmarks/real_people.py --out runs/real_people --minutes 60     # + training, test evaluation, strips
        [--real-data ../shared/data/real] [--models ../shared/data/reference_models] [--config configs/real_people.py]

1. Clips and masks: ``python -m keypoints_tf.data.tracks --video REAL/vtest.avi --out OUT/clips --size 128``
   (HOG people detector, tracking, 128 px crops, foreground masks from a median background of the whole video).
2. Split by track, never by looking at a frame: track i goes to **dev** when i % 5 == 4, to **test** when
   i % 5 == 2, else to training. Dev is for choosing the recipe; test is evaluated once, at the end.
   The held-out tracks are moved whole to OUT/heldout (their people are never trained on; a person whose
   track broke in two can still appear in both halves: the tracker does not re-identify people).
3. Pseudo labels (a measuring stick, never a training signal): ``python -m keypoints_tf.data.pseudo_labels``
   labels the dev and test crops with BlazePose Full (OUT/dev, OUT/test: images/, masks/, annotations.json).
4. Priors: ``python -m keypoints_tf.data.mocap --bvh REAL/01_01.bvh REAL/01_03.bvh REAL/Boxing_Toes.bvh
   --skeleton human17 --out OUT/prior.json --views 3 --frame-step 8``: about 3,900 2D poses (README runs 1-10,
   13, 14); the same with ``--out OUT/prior_walk.json --views 6 --frame-step 4 --max-tilt 30 --speed 0.4 1.3``:
   3,138 poses of someone walking, the prior ``configs/real_people.py`` trains with.
5. Training (unless --prepare-only): ``python -m keypoints_tf.train --config=configs/real_people.py
   --workdir=OUT/workdir --config.train.max_minutes=M`` (log in OUT/train.log); it evaluates on dev.
6. Test: ``python -m keypoints_tf.evaluate --workdir=OUT/workdir --config.data.eval=OUT/test/annotations.json
   --config.data.eval_masks=OUT/test/masks --output=OUT/test_eval.json``, and a per-joint table printed.
7. Strips: 16 dev crops with the detector's keypoints (sides from the direction of travel, `keypoints_tf.sides`),
   and the same crops with the pseudo labels, written to OUT/strip_detector.png and OUT/strip_pseudo.png
   (README copies them to docs/images); ``--strips MODEL`` draws only these.

Steps 1-4 are skipped when their outputs exist (delete OUT to redo them).

    python benchmarks/real_people.py --out runs/real_people --readout MODEL [--readout-part test]

scores MODEL (a workdir or a shipped name) the way the baselines of method.md are scored: linear maps (one
offset per joint; ridge) from its keypoints to the pseudo labels (`readout`): on two folds of the dev tracks, or
fitted on dev and scored on test; as detected and with its sides from each crop's direction of travel (no labels);
and whether its stride and arm swing follow the labels' (correlations).
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
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
BVH_FILES = ("01_01.bvh", "01_03.bvh", "Boxing_Toes.bvh")
SPLIT_EVERY, DEV_INDEX, TEST_INDEX = 5, 4, 2
ARMS = ("l_elbow", "r_elbow", "l_wrist", "r_wrist")
JOINTS_REPORTED = ("l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_knee", "r_knee", "l_ankle", "r_ankle",
                   "head_back", "pelvis")


def split_tracks(names):
    """{'train': [...], 'dev': [...], 'test': [...]} by track index alone."""
    split = {"train": [], "dev": [], "test": []}
    for i, name in enumerate(names):
        part = {DEV_INDEX: "dev", TEST_INDEX: "test"}.get(i % SPLIT_EVERY, "train")
        split[part].append(name)
    return split


def prepare(real_data, models, out):
    """Steps 1-4; returns the split (written to OUT/split.json)."""
    from keypoints_tf.data import pseudo_labels, tracks
    split_path = os.path.join(out, "split.json")
    if os.path.isfile(split_path):
        print(f"reusing {out} (split.json exists)")
        return json.load(open(split_path))
    clips = os.path.join(out, "clips")
    if os.path.exists(clips):
        sys.exit(f"error: {clips} exists but {split_path} does not (an interrupted preparation): "
                 "remove OUT or choose another --out")
    video = os.path.join(real_data, "vtest.avi")
    print(f"$ python -m keypoints_tf.data.tracks --video {video} --out {clips} --size 128", flush=True)
    summary = tracks.main(["--video", video, "--out", clips, "--size", "128"])
    names = [t["name"] for t in summary["tracks"]]
    split = split_tracks(names)
    split["num_frames"] = {t["name"]: t["num_frames"] for t in summary["tracks"]}
    model = os.path.join(models, "pose_landmark_full.tflite")
    for part in ("dev", "test"):
        arguments = ["--clips", clips, "--tracks", *split[part], "--out", os.path.join(out, part), "--model", model]
        print("$ python -m keypoints_tf.data.pseudo_labels " + " ".join(arguments), flush=True)
        split[f"{part}_labels"] = pseudo_labels.main(arguments)
    heldout = os.path.join(out, "heldout")
    for name in split["dev"] + split["test"]:  # training never sees these people
        shutil.move(os.path.join(clips, name), os.path.join(heldout, name))
        if os.path.isdir(os.path.join(clips, "masks", name)):
            shutil.move(os.path.join(clips, "masks", name), os.path.join(heldout, "masks", name))
    mocap_prior(real_data, os.path.join(out, "prior.json"), ["--views", "3", "--frame-step", "8"])
    with open(split_path + ".tmp", "w") as f:
        json.dump(split, f, indent=1)
    os.replace(split_path + ".tmp", split_path)
    return split


def walkers_prior(real_data, out):
    """OUT/prior_walk.json, the prior `configs/real_people.py` trains with: the mocap poses of someone walking
    (0.4-1.3 figure heights per second over the ground, torso within 30 degrees of vertical)."""
    return mocap_prior(real_data, os.path.join(out, "prior_walk.json"),
                       ["--views", "6", "--frame-step", "4", "--max-tilt", "30", "--speed", "0.4", "1.3"])


def mocap_prior(real_data, path, options):
    """Writes the human17 prior PATH (and PATH's contact sheet, *_sheet.png) from the BVH files with mocap's
    OPTIONS, unless PATH exists; returns PATH."""
    from keypoints_tf.data import mocap
    if not os.path.isfile(path):
        arguments = ["--bvh", *[os.path.join(real_data, n) for n in BVH_FILES], "--skeleton", "human17",
                     "--out", path, *options, "--contact-sheet", os.path.splitext(path)[0] + "_sheet.png"]
        print("$ python -m keypoints_tf.data.mocap " + " ".join(arguments), flush=True)
        mocap.main(arguments)
    return path


def data_overrides(out, eval_part="dev"):
    return [f"--config.data.videos={os.path.join(out, 'clips')}",
            f"--config.data.masks={os.path.join(out, 'clips', 'masks')}",
            f"--config.data.prior={os.path.join(out, 'prior_walk.json')}",
            f"--config.data.eval={os.path.join(out, eval_part, 'annotations.json')}",
            f"--config.data.eval_masks={os.path.join(out, eval_part, 'masks')}"]


def train(out, config, minutes, extra):
    workdir = os.path.join(out, "workdir")
    command = [sys.executable, "-m", "keypoints_tf.train", f"--config={config}", f"--workdir={workdir}",
               *data_overrides(out), f"--config.train.max_minutes={minutes}", *extra]
    log = os.path.join(out, "train.log")
    print("$", " ".join(command[1:]), f"> {log}", flush=True)
    start = time.time()
    with open(log, "a") as f:
        subprocess.run(command, check=True, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
    print(f"trained in {(time.time() - start) / 60:.1f} min (wall, start-up included)")
    return workdir


def evaluate_test(out, workdir):
    output = os.path.join(out, "test_eval.json")
    command = [sys.executable, "-m", "keypoints_tf.evaluate", f"--workdir={workdir}", f"--output={output}",
               *data_overrides(out, "test")[3:]]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return json.load(open(output))


def report(name, metrics):
    """One block of figures: error vs both baselines, per joint."""
    print(f"{name} ({metrics.get('num_images')} crops, labels: {metrics.get('labels')}): "
          f"error {metrics['error']:.2f}% (flip-fixed {metrics.get('flip_fixed_error', float('nan')):.2f}%, "
          f"sides from the direction of travel {metrics.get('travel_sides_error', float('nan')):.2f}%), "
          f"PCK@0.1 {metrics['pck@0.1']:.1f}%, oracle mean pose {metrics['oracle_mean_pose_error']:.2f}% "
          f"(ratio {metrics['error'] / metrics['oracle_mean_pose_error']:.2f}), prior mean pose "
          f"{metrics['mean_pose_error']:.2f}%, spread {metrics['prediction_spread']:.3f} vs labels "
          f"{metrics['target_spread']:.3f}")
    per, oracle = metrics["per_keypoint_error"], metrics["oracle_mean_pose_per_keypoint_error"]
    print("  per joint (detector / oracle mean pose): " +
          ", ".join(f"{j} {per[j]:.1f}/{oracle[j]:.1f}" for j in JOINTS_REPORTED))
    if "travel_sides_per_keypoint_error" in metrics:
        per = metrics["travel_sides_per_keypoint_error"]
        print("  sides from the direction of travel: " +
              ", ".join(f"{j} {per[j]:.1f}/{oracle[j]:.1f}" for j in JOINTS_REPORTED))


def definition_offsets(out, prior_path):
    """Per joint: the distance (% of the crop) between the prior's mean pose and the dev labels' mean pose.

    A detector that draws the prior's skeletons inherits whatever part of this is a difference in how the two
    define a joint (mocap joint centres vs BlazePose landmarks, a camera looking down vs the prior's cameras)
    rather than a difference in pose: read it as an upper bound of that floor, not as a result.
    """
    from keypoints_tf.data import coco
    labels = coco.read_coco_keypoints(os.path.join(out, "dev", "annotations.json"))
    prior = coco.read_coco_keypoints(prior_path).normalized(64)
    target = labels.normalized(64)
    offsets = {}
    for k, name in enumerate(labels.skeleton.keypoint_names):
        seen = labels.visible[:, k]
        offsets[name] = 50.0 * float(np.linalg.norm(prior[:, k].mean(0) - target[seen, k].mean(0)))
    print("prior vs dev labels, mean-pose offset per joint (% of crop): " +
          ", ".join(f"{name} {value:.1f}" for name, value in offsets.items()) +
          f"; mean {np.mean(list(offsets.values())):.2f}")
    return offsets


def strips(out, model, config_path, count=16, columns=8):
    """Dev crops with MODEL's keypoints, sides from the direction of travel (`keypoints_tf.sides`), and the same
    crops with the pseudo labels (OUT/strip_*.png); the crops are masked as MODEL was trained on them."""
    import keypoints_tf
    from keypoints_tf import sides
    from keypoints_tf.detect import draw_skeleton
    images, labels = masked_crops(out, "dev", masking_of(model, config_path))
    detector = keypoints_tf.load(model)
    rates = approach_rates(labels)
    chosen = np.linspace(0, len(labels) - 1, count).round().astype(int)
    detected, pseudo = [], []
    for i in chosen:
        detection = detector.detect(images[i])
        keypoints = sides.orient(detection.keypoints, rates[i], detector.skeleton)
        scale = 2  # 256 px tiles, lines readable
        big = cv2.resize(images[i], None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        detected.append(draw_skeleton(big, keypoints * scale, detection.confidence, detector.skeleton,
                                      threshold=0.0))
        pseudo.append(draw_skeleton(big, labels.keypoints_pixels[i] * scale, labels.visible[i].astype(np.float32),
                                    labels.skeleton, threshold=0.5))
    for name, tiles in (("strip_detector.png", detected), ("strip_pseudo.png", pseudo)):
        rows = [np.concatenate(tiles[r:r + columns], axis=1) for r in range(0, len(tiles), columns)]
        cv2.imwrite(os.path.join(out, name), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    print(f"wrote {out}/strip_detector.png and strip_pseudo.png ({count} dev crops)")


def masking_of(model, config_path):
    """The data config whose masking MODEL's crops get: a training or distillation workdir's own, else
    `config_path`'s."""
    from keypoints_tf import workdirs
    from keypoints_tf.config import load_config_file
    from keypoints_tf.export.restore import workdir_data_config
    if os.path.isfile(os.path.join(model, workdirs.CONFIG_FILE)):
        return workdir_data_config(model)
    return load_config_file(config_path).data


def crop_tracks(file_names):
    """(track names, crop numbers) of pseudo-labelled crops, from their names (TRACK_NUMBER.png)."""
    tracks, frames = zip(*(os.path.splitext(os.path.basename(f))[0].rsplit("_", 1) for f in file_names))
    return np.array(tracks), np.array(frames, int)


def masked_crops(out, part, data):
    """(N, S, S, 3) uint8 RGB crops of OUT/PART, background painted as the evaluation paints it (`data`: a
    config's data section, for mask_background and background_fill), and their labels."""
    from keypoints_tf.data import background, coco
    labels = coco.read_coco_keypoints(os.path.join(out, part, "annotations.json"))
    images = []
    for name in labels.file_names:
        image = cv2.cvtColor(cv2.imread(name), cv2.COLOR_BGR2RGB)
        if data.mask_background:
            mask = cv2.imread(name.replace(f"{os.sep}images{os.sep}", f"{os.sep}masks{os.sep}"), cv2.IMREAD_GRAYSCALE)
            background.paint_background(image[None], mask[None, :, :, None], data.background_fill)
        images.append(image)
    return np.stack(images), labels


def readout(out, model, config_path, part="dev"):
    """The baselines' protocol (method.md section 6): linear maps from the detector's keypoints to the pseudo
    labels, "offset" (34 numbers: how the detector and BlazePose define a joint) and "ridge" (per joint, from
    all keypoints). On "dev" they are fitted on half of the dev tracks and scored on the other half, both ways
    (for choosing a recipe); on "test", fitted on all dev crops and scored on test (once, at the end). The same
    maps fitted on a detector that sees nothing (constant keypoints) give the labels' mean pose: the baseline.
    Also prints how the distances between left and right joints (stride, arm swing) correlate with the labels'
    (`metrics.left_right_distance_correlation`), and each label against its neighbours' in time. Returns
    {map: (detector error, baseline error)} and {"left/right distance correlation": {joint: r}}."""
    import keypoints_tf
    from keypoints_tf import metrics, sides, skeleton as skeleton_lib
    masking = masking_of(model, config_path)
    detector = keypoints_tf.load(model)
    data = {}
    for name in ("dev", "test") if part == "test" else ("dev",):
        images, labels = masked_crops(out, name, masking)
        size = images.shape[1]
        detected = np.stack([skeleton_lib.pixels_to_normalized(detector.detect(image).keypoints, size, size)
                             for image in images])
        data[name] = (detected, labels.normalized(size), labels.visible, *crop_tracks(labels.file_names),
                      labels.skeleton, approach_rates(labels))
    x, y, seen, tracks, _, skeleton, rates = data["dev"]
    if part == "test":
        folds = [(np.ones(len(x), bool), None)]
        x_score, y_score, seen_score = data["test"][:3]
    else:
        half = np.isin(tracks, sorted(set(tracks))[::2])
        folds = [(half, ~half), (~half, half)]
        x_score, y_score, seen_score = x, y, seen

    def score(predicted):
        return metrics.keypoint_metrics(predicted, y_score, skeleton, seen_score)

    # Sides: as detected; from each crop's track, without labels (`keypoints_tf.sides`, from the squares the
    # tracker cut the crops with); or from the labels (an oracle: what the detector's sides cost).
    rates_score = data[part][6]
    by_travel = (sides.orient(x, rates, skeleton), sides.orient(x_score, rates_score, skeleton))
    by_labels = (metrics.sides_from_labels(x, y, skeleton, seen),
                 metrics.sides_from_labels(x_score, y_score, skeleton, seen_score))
    results = {"as detected": (score(x_score), None), "sides from the direction of travel": (score(by_travel[1]), None)}
    for name, kind, oriented in (("offset", "offset", None), ("ridge", "ridge", None),
                                 ("offset, sides from the direction of travel", "offset", "travel"),
                                 ("offset, left/right from the labels", "offset", "labels")):
        mapped, constant = np.empty_like(y_score), np.empty_like(y_score)
        fit_x, score_x = {None: (x, x_score), "travel": by_travel, "labels": by_labels}[oriented]
        for fit, scored in folds:
            scored = np.ones(len(x_score), bool) if scored is None else scored
            mapped[scored] = metrics.readout_map(kind, fit_x[fit], y[fit], seen[fit])(score_x[scored])
            # The baseline: the same map and the same sides from constant keypoints (the labels' mean pose).
            mean_pose = metrics.readout_map(kind, 0 * x[fit], y[fit], seen[fit])(0 * x_score[scored])
            constant[scored] = {
                None: mean_pose, "travel": sides.orient(mean_pose, rates_score[scored], skeleton),
                "labels": metrics.sides_from_labels(mean_pose, y_score[scored], skeleton, seen_score[scored]),
            }[oriented]
        results[name] = (score(mapped), score(constant))
    where = "fitted on dev, scored on test" if part == "test" else "fitted on half the dev tracks, scored on the other half"
    oracle = metrics.mean_pose_metrics(y_score, y_score, skeleton, seen_score)
    print(f"readout of {model} ({where}; {len(x_score)} crops, pseudo labels; oracle mean pose "
          f"{oracle['error']:.2f}%: " + ", ".join(f"{j} {oracle['per_keypoint_error'][j]:.1f}" for j in ARMS) + "):")
    for name, (found, baseline) in results.items():
        arms = ", ".join(f"{j} {found['per_keypoint_error'][j]:.1f}" for j in ARMS)
        print(f"  {name}: error {found['error']:.2f}% (PCK@0.1 {found['pck@0.1']:.1f}; {arms})"
              + (f"; the same map from constant keypoints (a mean pose): {baseline['error']:.2f}%" if baseline else ""))
    # Articulation, blind to sides and joint definitions: do the stride and the arm swing follow the labels'?
    follows = metrics.left_right_distance_correlation(x_score, y_score, skeleton, seen_score)
    print("  left/right distances, correlation with the labels': " + ", ".join(f"{j} {r:+.2f}" for j, r in follows.items()))
    # At most the measuring stick's own noise (the motion in 0.1 s counts too): each label against the mean
    # of its neighbours' (frames t-1 and t+1 of its track).
    before, after = (following(*data[part][3:5], step) for step in (-1, 1))
    middle = np.flatnonzero((before >= 0) & (after >= 0))
    noise = metrics.keypoint_metrics((y_score[before[middle]] + y_score[after[middle]]) / 2, y_score[middle],
                                     skeleton, seen_score[middle])["error"]
    print(f"  the labels against the mean of their neighbours' (frames t-1, t+1; {len(middle)} crops): {noise:.2f}%")
    scores = {name: (found["error"], baseline and baseline["error"]) for name, (found, baseline) in results.items()}
    return scores | {"left/right distance correlation": follows, "label noise": noise}


def approach_rates(labels):
    """(N,) each pseudo-labelled crop's `keypoints_tf.sides` approach rate, written with its labels from the
    squares the tracker cut it with (`keypoints_tf.data.pseudo_labels`)."""
    if labels.approach_rates is None:
        sys.exit(f"error: {labels.path} has no approach_rate per image (prepared before they were written): "
                 "prepare OUT again (--prepare-only into a new --out)")
    return labels.approach_rates


def following(tracks, frames, step=1):
    """(N,) index of the crop `step` frames later in the same track (earlier if negative), -1 where none."""
    where = {(track, frame): i for i, (track, frame) in enumerate(zip(tracks, frames))}
    return np.array([where.get((track, frame + step), -1) for track, frame in zip(tracks, frames)], int)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for clips/, heldout/, dev/, test/, prior.json, workdir/")
    parser.add_argument("--minutes", type=float, default=60.0, help="training wall-clock budget")
    parser.add_argument("--prepare-only", action="store_true", help="write clips, masks, labels and prior, then stop")
    parser.add_argument("--real-data", default=os.path.join(SHARED, "real"), help="folder with vtest.avi and BVH files")
    parser.add_argument("--models", default=os.path.join(SHARED, "reference_models"),
                        help="folder with pose_landmark_full.tflite (pseudo labels)")
    parser.add_argument("--config", default="configs/real_people.py")
    parser.add_argument("--readout", metavar="MODEL",
                        help="only score MODEL (a workdir or shipped name) with linear maps fitted on pseudo labels")
    parser.add_argument("--strips", metavar="MODEL",
                        help="only draw the dev strips of MODEL (a workdir or shipped name)")
    parser.add_argument("--readout-part", choices=("dev", "test"), default="dev",
                        help="dev: two folds of the dev tracks (for choosing); test: fitted on dev, scored on test")
    args, extra = parser.parse_known_args()
    missing = [f for f in ("vtest.avi",) + BVH_FILES if not os.path.isfile(os.path.join(args.real_data, f))]
    if not os.path.isfile(os.path.join(args.models, "pose_landmark_full.tflite")):
        missing.append(os.path.join(args.models, "pose_landmark_full.tflite"))
    if missing:
        sys.exit(f"error: {args.real_data}: missing {missing} (see ../shared/data/real/README.md)")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    split = prepare(args.real_data, args.models, out)
    walkers_prior(args.real_data, out)
    frames = split["num_frames"]
    for part in ("train", "dev", "test"):
        labelled = split.get(f"{part}_labels", {}).get("crops_kept")
        print(f"{part}: {len(split[part])} tracks, {sum(frames[n] for n in split[part])} frames"
              + (f", {labelled} pseudo-labelled crops" if labelled else ""))
    definition_offsets(out, os.path.join(out, "prior_walk.json"))
    if args.readout:
        readout(out, args.readout, args.config, args.readout_part)
    if args.strips:
        strips(out, args.strips, args.config)
    if args.readout or args.strips:
        return
    if args.prepare_only:
        return
    workdir = train(out, args.config, args.minutes, extra)
    from keypoints_tf import evaluate
    report("dev", evaluate.read_metrics(workdir))
    report("test", evaluate_test(out, workdir))
    strips(out, workdir, args.config)


if __name__ == "__main__":
    main()
