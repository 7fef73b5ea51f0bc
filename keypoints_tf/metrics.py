"""Keypoint metrics (NumPy). Keypoints are (N, K, 2) normalised (`keypoints_tf.skeleton`), so a pixel
distance over the image size is half the normalised distance.

* error: mean over images of the mean over visible keypoints of the L2 distance / image size, in %
  (the paper's "%-MSE normalised by image size").
* pck@t: % of visible keypoints within t x image size.
* nme: for `face68`, the mean distance / inter-ocular distance (outer eye corners), in %.
"""

from __future__ import annotations

import numpy as np

from keypoints_tf.skeleton import Skeleton, part_name


def distances(predicted, target):
    """(N, K) L2 distances in units of the image size."""
    return np.linalg.norm(np.asarray(predicted, np.float64) - np.asarray(target, np.float64), axis=-1) / 2.0


def swap_left_right(keypoints, skeleton: Skeleton):
    """Relabel left as right (no mirroring of coordinates): (..., K, 2)."""
    return np.asarray(keypoints)[..., skeleton.flip_permutation, :]


def keypoint_metrics(predicted, target, skeleton: Skeleton, visible=None, prefix: str = "") -> dict:
    """Error (%), PCK@0.05 and @0.1 (%), per-keypoint errors (%) and, for face68, NME (%)."""
    predicted, target = np.asarray(predicted), np.asarray(target)
    if visible is None:
        visible = np.ones(target.shape[:2], bool)
    visible = np.asarray(visible, bool)
    d = distances(predicted, target)                                           # (N, K)
    counts = np.maximum(visible.sum(1), 1)
    per_image = (d * visible).sum(1) / counts                                  # (N,)
    per_keypoint = (d * visible).sum(0) / np.maximum(visible.sum(0), 1)        # (K,)
    out = {
        "error": 100.0 * float(per_image.mean()),
        "pck@0.05": 100.0 * float(((d < 0.05) & visible).sum() / max(visible.sum(), 1)),
        "pck@0.1": 100.0 * float(((d < 0.1) & visible).sum() / max(visible.sum(), 1)),
        "per_keypoint_error": {name: round(100.0 * float(e), 3)
                               for name, e in zip(skeleton.keypoint_names, per_keypoint)},
    }
    if skeleton.name == "face68":
        out["nme_interocular"] = interocular_nme(predicted, target, skeleton, visible)
    return {prefix + key: value for key, value in out.items()}


def interocular_nme(predicted, target, skeleton: Skeleton, visible=None) -> float:
    """300-W NME in %: mean keypoint distance / distance between the outer eye corners, per image."""
    left, right = skeleton.index("l_eye_outer"), skeleton.index("r_eye_outer")
    interocular = np.linalg.norm(target[:, left] - target[:, right], axis=-1)  # (N,) normalised units
    d = np.linalg.norm(np.asarray(predicted) - np.asarray(target), axis=-1)    # (N, K)
    if visible is None:
        visible = np.ones(d.shape, bool)
    per_image = (d * visible).sum(1) / np.maximum(visible.sum(1), 1)
    return 100.0 * float(np.mean(per_image / np.maximum(interocular, 1e-8)))


def mean_pose_metrics(reference_poses, target, skeleton: Skeleton, visible=None) -> dict:
    """The baseline that always predicts the mean of `reference_poses` (e.g. the prior)."""
    mean_pose = np.asarray(reference_poses).mean(0, keepdims=True)
    predicted = np.broadcast_to(mean_pose, np.asarray(target).shape)
    return keypoint_metrics(predicted, target, skeleton, visible)


def flip_fixed(predicted, reference, skeleton: Skeleton):
    """Per image, the labelling of `predicted` (as is, or left/right swapped) closer to `reference`.

    `reference` is the frozen pre-trained eta applied to beta(predicted) (method.md section 6): it
    labels a clean skeleton the way the prior does.
    """
    swapped = swap_left_right(predicted, skeleton)
    keep = distances(predicted, reference).mean(1) <= distances(swapped, reference).mean(1)
    return np.where(keep[:, None, None], predicted, swapped)


def ridge_regression(features, targets, alpha: float = 1e-3):
    """Fits W (D+1, T) minimising |[X 1] W - Y|^2 + alpha |W|^2; returns a predict function.

    The protocol of methods that need supervised regression: features are discovered keypoints
    (N, K, 2) flattened, targets the labelled keypoints (N, K', 2) flattened.
    """
    x = np.asarray(features, np.float64).reshape(len(features), -1)
    y = np.asarray(targets, np.float64).reshape(len(targets), -1)
    x1 = np.concatenate([x, np.ones((len(x), 1))], 1)
    regulariser = alpha * np.eye(x1.shape[1])
    regulariser[-1, -1] = 0.0
    weights = np.linalg.solve(x1.T @ x1 + regulariser, x1.T @ y)
    target_shape = np.asarray(targets).shape[1:]

    def predict(new_features):
        z = np.asarray(new_features, np.float64).reshape(len(new_features), -1)
        return (np.concatenate([z, np.ones((len(z), 1))], 1) @ weights).reshape((len(z),) + target_shape)
    return predict


def readout_map(kind: str, features, targets, visible):
    """A linear readout fitted from detected keypoints (N, K, 2) to labels (N, K', 2), each joint on the images
    where its label is `visible` (N, K'): "offset" adds one mean offset per joint (K = K'; how two models
    define a joint), "ridge" regresses each joint on all keypoints (`ridge_regression`). Returns a function
    (M, K, 2) -> (M, K', 2). Fitted on constant features, both give the labels' mean pose."""
    features, targets, visible = np.asarray(features), np.asarray(targets), np.asarray(visible, bool)
    joints = range(targets.shape[1])
    if kind == "offset":
        shift = np.stack([(targets[visible[:, k], k] - features[visible[:, k], k]).mean(0) for k in joints])
        return lambda new_features: np.asarray(new_features) + shift
    if kind == "ridge":
        fits = [ridge_regression(features[visible[:, k]], targets[visible[:, k], k:k + 1]) for k in joints]
        return lambda new_features: np.concatenate([fit(new_features) for fit in fits], axis=1)
    raise ValueError(f"readout kind must be 'offset' or 'ridge', got {kind!r}")


def sides_from_labels(predicted, target, skeleton: Skeleton, visible=None):
    """Per image, `predicted` as is or left/right swapped, whichever is closer to `target`: what a detector
    would score if it were told left from right (a one-channel skeleton image cannot tell them apart)."""
    predicted, target = np.asarray(predicted), np.asarray(target)
    visible = np.ones(target.shape[:2], bool) if visible is None else np.asarray(visible, bool)
    swapped = swap_left_right(predicted, skeleton)
    closer = (distances(predicted, target) * visible).sum(1) <= (distances(swapped, target) * visible).sum(1)
    return np.where(closer[:, None, None], predicted, swapped)


def left_right_distance_correlation(predicted, target, skeleton: Skeleton, visible=None) -> dict:
    """{joint: r} for each left/right pair of `skeleton` (ankles, knees, wrists, ...): the Pearson correlation
    across images between the predicted and the labelled distance from the left joint to the right one, on the
    images where both labels are visible. Blind to which side is called left and to how either defines a joint,
    it asks only whether a detector's stride and arm swing follow the labels'. A detector whose distance never
    varies scores 0; fewer than 3 usable images give NaN."""
    predicted, target = np.asarray(predicted, np.float64), np.asarray(target, np.float64)
    visible = np.ones(target.shape[:2], bool) if visible is None else np.asarray(visible, bool)
    out = {}
    for left, right in skeleton.flip_pairs:
        name = part_name(skeleton.keypoint_names[left])
        both = visible[:, left] & visible[:, right]
        found, labelled = (np.linalg.norm(p[both, left] - p[both, right], axis=-1) for p in (predicted, target))
        if both.sum() < 3:
            out[name] = float("nan")
        elif found.std() < 1e-9 or labelled.std() < 1e-9:
            out[name] = 0.0
        else:
            out[name] = float(np.corrcoef(found, labelled)[0, 1])
    return out
