import numpy as np
import pytest

from keypoints_tf import skeleton as sk
from keypoints_tf.errors import DataError


@pytest.mark.parametrize("name", ["human17", "face68"])
def test_flip_permutation_is_an_involution_and_edges_are_valid(name):
    skeleton = sk.get_skeleton(name)
    permutation = skeleton.flip_permutation
    np.testing.assert_array_equal(permutation[permutation], np.arange(skeleton.num_keypoints))
    assert sorted(permutation) == list(range(skeleton.num_keypoints))
    for a, b in skeleton.edges:
        assert 0 <= a < skeleton.num_keypoints and 0 <= b < skeleton.num_keypoints and a != b
    # the flip maps edges onto edges
    edges = {frozenset(e) for e in skeleton.edges}
    assert {frozenset((permutation[a], permutation[b])) for a, b in skeleton.edges} == edges


def test_human17_matches_the_reference_skeleton():
    skeleton = sk.get_skeleton("human17")
    assert skeleton.num_keypoints == 17 and len(skeleton.edges) == 16
    names = skeleton.keypoint_names
    assert {(names[a], names[b]) for a, b in skeleton.edges} >= {("pelvis", "r_hip"), ("l_elbow", "l_wrist"),
                                                                  ("neck", "head_back")}
    assert (names.index("l_knee"), names.index("r_knee")) in {tuple(sorted(p)) for p in skeleton.flip_pairs} or \
        (names.index("r_knee"), names.index("l_knee")) in skeleton.flip_pairs
    assert [skeleton.edge_side(i) for i in range(16)].count("left") == 7


def test_face68_eye_corners_swap():
    skeleton = sk.get_skeleton("face68")
    assert skeleton.num_keypoints == 68
    assert skeleton.flip_permutation[36] == 45 and skeleton.flip_permutation[30] == 30
    assert skeleton.flip_permutation[0] == 16 and skeleton.flip_permutation[8] == 8


def test_flip_keypoints_mirrors_and_relabels():
    skeleton = sk.get_skeleton("human17")
    keypoints = np.random.default_rng(0).uniform(-1, 1, (3, 17, 2)).astype(np.float32)
    flipped = skeleton.flip_keypoints(keypoints)
    l_knee, r_knee = skeleton.index("l_knee"), skeleton.index("r_knee")
    np.testing.assert_allclose(flipped[:, l_knee], keypoints[:, r_knee] * [-1, 1])
    np.testing.assert_allclose(skeleton.flip_keypoints(flipped), keypoints)


def test_part_name_drops_the_side_in_every_naming_style():
    names = ["l_knee", "right_hand", "RightArm", "Left-Foot", "knee.R", "neck"]
    assert [sk.part_name(name) for name in names] == ["knee", "hand", "Arm", "Foot", "knee", "neck"]


def test_coco_category_round_trip_and_names():
    skeleton = sk.get_skeleton("human17")
    again = sk.Skeleton.from_coco_category(skeleton.to_coco_category())
    assert again == skeleton
    custom = sk.Skeleton.from_coco_category({"name": "arm", "keypoints": ["left_hand", "neck", "right_hand"],
                                             "skeleton": [[1, 2], [2, 3]]})
    assert custom.edges == ((0, 1), (1, 2)) and custom.flip_pairs == ((0, 2),)
    assert sk.Skeleton.from_dict(custom.to_dict()) == custom


def test_bad_skeletons_raise_clear_errors():
    with pytest.raises(DataError, match="1-based"):
        sk.Skeleton.from_coco_category({"name": "x", "keypoints": ["a", "b"], "skeleton": [[0, 1]]})
    with pytest.raises(DataError, match="unknown skeleton"):
        sk.get_skeleton("horse")
    with pytest.raises(DataError, match="unique"):
        sk.Skeleton("x", ["a", "a"], [], [])


def test_coordinate_conversions_are_inverse_and_pixel_centred():
    np.testing.assert_allclose(sk.pixel_centers(4), [-0.75, -0.25, 0.25, 0.75])
    pixels = np.array([[0.5, 0.5], [63.5, 10.0]])
    normalized = sk.pixels_to_normalized(pixels, 64, 64)
    np.testing.assert_allclose(normalized[0], sk.pixel_centers(64)[0])
    np.testing.assert_allclose(sk.normalized_to_pixels(normalized, 64, 64), pixels, atol=1e-5)
