"""Bad input, systematically (issue 8, item 3): property-based tests of every reader of user files.

Targets: the COCO keypoints loader (`data.coco.read_coco_keypoints`), the video reader
(`data.videos.read_videos`, `read_image`), the BVH parser (`data.bvh.parse_bvh` / `read_bvh`, then forward
kinematics) and the exported model's contract reader (`contract.read_from_tflite` / `parse_contract`).

Property: each input either loads or raises a `KeypointsError` subclass with a non-empty message -- never
another exception type (a raw traceback from deep inside NumPy, OpenCV, zipfile or json), never a hang.
A hang is caught twice: a hypothesis deadline per example, and `faulthandler` ending the process with every
thread's stack if one test runs for more than `HANG_SECONDS`.

Input families: random truncations and byte mutations of a valid file; every field of a valid file replaced
by a value of another type (null, bool, numbers, strings, lists, objects, NaN/Infinity), huge values (1e308,
2**63, an integer of 400 and of 5,000 digits, nesting 50,000 deep), wrong keypoint counts, non-UTF-8 bytes
in the file and non-UTF-8 / odd Unicode names (surrogates, NUL, right-to-left marks, 1,000-character
names), random bytes named .mp4/.png, truncated real videos and PNGs written with OpenCV.

Settings ("profile"): examples are derandomized (the same inputs on every run, so CI is reproducible) and
sized so that the module takes well under a minute on 2 CPUs. `FUZZ_SCALE=10` multiplies the number of
examples; `FUZZ_RANDOM=1` draws fresh random inputs (exploration). The number of cases tried per target,
and how many loaded / were rejected, is printed by the last test (`pytest -s` or `-rP`) and written to
the JSON file named by `FUZZ_COUNTS` if it is set.

Inputs that once crashed are pinned as regression tests at the end; each one's reason says what crashed.
"""

from __future__ import annotations

import collections
import faulthandler
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import zipfile

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keypoints_tf import contract
from keypoints_tf.data import bvh, coco, videos
from keypoints_tf.errors import KeypointsError
from keypoints_tf.skeleton import get_skeleton

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
HANG_SECONDS = 120


def fuzz_settings(max_examples: int, deadline_ms: int = 5000):
    return settings(max_examples=max(1, int(max_examples * SCALE)), deadline=deadline_ms,
                    derandomize=os.environ.get("FUZZ_RANDOM", "") != "1", database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


# === Counting and the property ===

COUNTS: dict = collections.defaultdict(collections.Counter)


def attempt(target: str, function, *args, **kwargs):
    """Calls `function`; a KeypointsError with a message is a fine answer, anything else propagates."""
    COUNTS[target]["cases"] += 1
    try:
        result = function(*args, **kwargs)
    except KeypointsError as e:
        assert str(e).strip(), f"{target}: {type(e).__name__} raised with an empty message"
        COUNTS[target]["rejected"] += 1
        return None
    COUNTS[target]["loaded"] += 1
    return result


@pytest.fixture(autouse=True)
def _hang_guard():
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# === Nasty values ===

# Placeholders replaced in the serialised text by what `json.dumps` cannot write.
HUGE_INT = "@@HUGE_INT@@"        # 5,000 digits: more than Python's int-from-string limit (4,300)
BIG_INT = "@@BIG_INT@@"          # 400 digits: an int that overflows float
DEEP = "@@DEEP@@"                # 50,000 nested lists: deeper than the JSON decoder's recursion limit
BAD_BYTES = "@@BAD_BYTES@@"      # a string holding bytes that are not UTF-8
PLACEHOLDERS = {HUGE_INT: b"9" * 5000, BIG_INT: b"1" + b"0" * 400, DEEP: b"[" * 50000 + b"]" * 50000,
                BAD_BYTES: b'"\xff\xfe\xc3("'}

ODD_STRINGS = ["", " ", "\ud800", "\udcff", "a\x00b", "\u202eevil", "\U0001F600", "e\u0301", "a" * 1000,
               "../../etc/passwd", "\n", "l_wrist", "1", "NaN"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 20, -10 ** 20, 1e308, -1e308, 5e-324, -0.0,
                     float("nan"), float("inf"), float("-inf")]),
    st.text(max_size=8), st.sampled_from(ODD_STRINGS), st.sampled_from(sorted(PLACEHOLDERS)))
JSON_VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=4), children, max_size=3), max_leaves=6)
HUGE_NUMBERS = st.one_of(st.sampled_from([2 ** 31, 2 ** 53 + 1, 2 ** 63, 10 ** 20, -10 ** 20, 1e6 + 1, 1e10, 1e308,
                                          -1e308, 5e-324, 1e-300, float("inf"), float("nan"), BIG_INT, HUGE_INT]),
                         st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                         st.floats(min_value=-1e308, max_value=1e308))


def dumps(value) -> bytes:
    """JSON bytes with the placeholders replaced (NaN/Infinity kept: Python's json reads them)."""
    data = json.dumps(value).encode("ascii")
    for placeholder, raw in PLACEHOLDERS.items():
        data = data.replace(b'"' + placeholder.encode() + b'"', raw)
    return data


def paths_of(value, prefix=()):
    """Every path (tuple of keys / indices) into a JSON value, the value itself included."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths_of(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths_of(child, prefix + (i,))
    return out


def edited(value, path, operation, new):
    """A deep copy of `value` with the item at `path` replaced, deleted or given a sibling."""
    value = json.loads(json.dumps(value))
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if operation == "replace":
        parent[key] = new
    elif operation == "delete":
        del parent[key]
    elif isinstance(parent, list):
        parent.insert(key, new)
    else:
        parent[f"extra_{key}"] = new
    return value


def mutate_bytes(data: bytes, edits) -> bytes:
    data = bytearray(data)
    for position, byte in edits:
        if data:
            data[position % len(data)] = byte
    return bytes(data)


BYTE_EDITS = st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255)), min_size=1, max_size=6)


def write(folder, name, data: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# === COCO keypoints files ===

SKELETON = get_skeleton("human17")


def _valid_coco() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "valid.json")
        rng = np.random.default_rng(0)
        visible = np.ones((2, 17), bool)
        visible[1, 3] = False
        coco.write_coco_keypoints(path, SKELETON, rng.uniform(2, 30, (2, 17, 2)), [(32, 32), (40, 24)],
                                  file_names=["a.png", "b.png"], visible=visible)
        return json.load(open(path))


VALID_COCO = _valid_coco()
VALID_COCO_BYTES = json.dumps(VALID_COCO).encode()
COCO_PATHS = paths_of(VALID_COCO)


def load_coco(data: bytes, require_files=False, with_skeleton=False, name="x.json"):
    with tempfile.TemporaryDirectory() as folder:
        write(folder, "a.png", cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))[1].tobytes())
        path = write(folder, name, data)
        keypoints = attempt("coco", coco.read_coco_keypoints, path, skeleton=SKELETON if with_skeleton else None,
                            require_files=require_files)
        if keypoints is not None:  # what the data pipeline does next
            normalized = keypoints.normalized(32)
            assert normalized.shape == keypoints.keypoints_pixels.shape
            assert np.isfinite(normalized).all(), f"loaded, but normalised keypoints are not finite: {normalized}"
            keypoints.subset([0])


@fuzz_settings(120)
@given(cut=st.integers(0, len(VALID_COCO_BYTES)), edits=st.none() | BYTE_EDITS, require_files=st.booleans())
@example(cut=0, edits=None, require_files=False)
def test_coco_truncated_or_mutated(cut, edits, require_files):
    data = VALID_COCO_BYTES[:cut]
    load_coco(mutate_bytes(data, edits) if edits else data, require_files=require_files)


@fuzz_settings(300)
@given(path=st.sampled_from(COCO_PATHS), operation=st.sampled_from(["replace", "delete", "insert"]),
       new=JSON_VALUES, require_files=st.booleans(), with_skeleton=st.booleans())
def test_coco_wrong_types_in_every_field(path, operation, new, require_files, with_skeleton):
    load_coco(dumps(edited(VALID_COCO, path, operation, new)), require_files, with_skeleton)


NUMBER_PATHS = [p for p in COCO_PATHS if p and (p[-1] in ("width", "height", "id", "image_id", "category_id")
                                                or (len(p) > 2 and p[-2] in ("keypoints", "skeleton")
                                                    and isinstance(p[-1], int) and p[0] != "categories")
                                                or (len(p) > 3 and p[-3] == "skeleton"))]


@fuzz_settings(150)
@given(path=st.sampled_from(NUMBER_PATHS), new=HUGE_NUMBERS)
def test_coco_huge_values(path, new):
    load_coco(dumps(edited(VALID_COCO, path, "replace", new)))


@fuzz_settings(120)
@given(counts=st.lists(st.integers(0, 60), min_size=1, max_size=2),
       names=st.lists(st.sampled_from(["pelvis", "l_hip", "r_hip", "neck", "x", "l_x", "x_r"]), max_size=20),
       pairs=st.lists(st.tuples(st.integers(-2, 25), st.integers(-2, 25)), max_size=6),
       change_names=st.booleans(), value=st.floats(0, 64))
def test_coco_wrong_keypoint_counts(counts, names, pairs, change_names, value):
    data = json.loads(VALID_COCO_BYTES)
    for annotation, count in zip(data["annotations"], counts):
        annotation["keypoints"] = [value] * count
    if change_names:
        data["categories"][0]["keypoints"] = names
        data["categories"][0]["skeleton"] = [list(p) for p in pairs]
    load_coco(dumps(data))


NAME_PATHS = [p for p in COCO_PATHS if p and (p[-1] in ("file_name", "name", "supercategory")
                                              or (len(p) > 2 and p[-2] == "keypoints" and p[0] == "categories"))]
ODD_NAMES = st.one_of(st.sampled_from(ODD_STRINGS + [BAD_BYTES]), st.text(max_size=20))


@fuzz_settings(150)
@given(path=st.sampled_from(NAME_PATHS), new=ODD_NAMES | JSON_VALUES, require_files=st.booleans(),
       file_name=st.sampled_from(["x.json", os.fsdecode(b"\xff\xfe.json"), "\u202e\U0001F600.json", "a b.json"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "latin-1"]))
def test_coco_odd_names_and_encodings(path, new, require_files, file_name, encoding):
    data = dumps(edited(VALID_COCO, path, "replace", new))
    if encoding != "utf-8":
        try:
            data = data.decode("utf-8", "surrogateescape").encode(encoding, "surrogateescape")
        except UnicodeError:
            pass
    load_coco(data, require_files=require_files, name=file_name)


# === Videos and images ===

def _encoded_media() -> dict:
    """Real files written with OpenCV: a PNG, a JPEG, an mp4 (mp4v) and an avi (MJPG) of 12 frames."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (24, 32, 3), np.uint8)
    out = {".png": cv2.imencode(".png", image)[1].tobytes(), ".jpg": cv2.imencode(".jpg", image)[1].tobytes()}
    with tempfile.TemporaryDirectory() as folder:
        for extension, fourcc in ((".mp4", "mp4v"), (".avi", "MJPG")):
            path = os.path.join(folder, "clip" + extension)
            writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 10.0, (32, 24))
            for t in range(12):
                frame = np.zeros((24, 32, 3), np.uint8)
                cv2.circle(frame, (4 + 2 * t, 12), 4, (255, 255, 255), -1)
                writer.write(frame)
            writer.release()
            out[extension] = open(path, "rb").read()
    return out


MEDIA = _encoded_media()


@st.composite
def file_contents(draw, extension):
    """Random bytes, or a real file of that type cut short, mutated or intact."""
    real = MEDIA.get(extension, MEDIA[".mp4"] if extension in videos.VIDEO_EXTENSIONS else MEDIA[".png"])
    kind = draw(st.sampled_from(["random", "truncated", "mutated", "intact"]))
    if kind == "random":
        return draw(st.binary(max_size=3000))
    if kind == "truncated":
        return real[:draw(st.integers(0, len(real)))]
    if kind == "mutated":
        return mutate_bytes(real, draw(BYTE_EDITS))
    return real


NAMES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"), min_size=1,
                max_size=12).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


@st.composite
def video_folders(draw):
    """[(name, 'file', extension, bytes) or (name, 'frames', [(extension, bytes)])]: one to three videos."""
    entries = []
    for i in range(draw(st.integers(1, 3))):
        name = f"{i}{draw(NAMES)}"
        if draw(st.booleans()):
            extension = draw(st.sampled_from(videos.VIDEO_EXTENSIONS))
            entries.append((name, "file", extension, draw(file_contents(extension))))
        else:
            frames = []
            for _ in range(draw(st.integers(0, 4))):
                extension = draw(st.sampled_from(videos.IMAGE_EXTENSIONS))
                frames.append((extension, draw(file_contents(extension))))
            entries.append((name, "frames", frames))
    return entries


def _make_videos(root, entries, masks):
    videos_dir, masks_dir = os.path.join(root, "videos"), os.path.join(root, "masks")
    os.makedirs(videos_dir)
    for entry in entries:
        if entry[1] == "file":
            write(videos_dir, entry[0] + entry[2], entry[3])
            continue
        os.makedirs(os.path.join(videos_dir, entry[0]))
        os.makedirs(os.path.join(masks_dir, entry[0]), exist_ok=True)
        for t, (extension, data) in enumerate(entry[2]):
            write(os.path.join(videos_dir, entry[0]), f"{t:03d}{extension}", data)
            if masks is not None and t % 2 == 0:  # some masks missing on purpose
                write(os.path.join(masks_dir, entry[0]), f"{t:03d}{extension}", masks)
    return videos_dir, masks_dir


@fuzz_settings(60, deadline_ms=20000)
@given(entries=video_folders(), masks=st.none() | file_contents(".png"),
       max_frames=st.sampled_from([None, 1, 5]))
def test_read_videos_random_and_truncated_files(entries, masks, max_frames):
    with tempfile.TemporaryDirectory() as root:
        videos_dir, masks_dir = _make_videos(root, entries, masks)
        collection = attempt("videos", videos.read_videos, videos_dir, 16,
                             masks_folder=masks_dir if masks is not None else None, max_frames_per_video=max_frames)
        if collection is not None:
            assert collection.frames.shape[1:] == (16, 16, 3) and collection.frames.dtype == np.uint8
            assert collection.video_starts[-1] == len(collection.frames)


@fuzz_settings(60, deadline_ms=10000)
@given(extension=st.sampled_from(videos.IMAGE_EXTENSIONS + (".gif", ".webp", "")),
       data=st.sampled_from([".png", ".jpg"]).flatmap(file_contents))
def test_read_image_random_and_truncated(extension, data):
    with tempfile.TemporaryDirectory() as root:
        path = write(root, "image" + extension, data)
        image = attempt("images", videos.load_labelled_images, [path], 16)
        if image is not None:
            assert image.shape == (1, 16, 16, 3)


NON_UTF8_CASES = {
    "frame folder": "frames", "frame file": "frame_file", "video file": "video_file", "mask file": "mask_file"}
_NON_UTF8_SCRIPT = textwrap.dedent("""
    import os, sys, tempfile
    import cv2, numpy as np
    from keypoints_tf.data import videos
    from keypoints_tf.errors import KeypointsError
    case, png, mp4 = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
    bad = os.fsdecode(b"caf\\xe9\\xff")  # not UTF-8: a Latin-1 name as written by an old camera / zip tool
    root = tempfile.mkdtemp()
    frames = os.path.join(root, "videos", bad if case == "frames" else "clip")
    os.makedirs(frames)
    masks = None
    for t in range(3):
        open(os.path.join(frames, (bad if case == "frame_file" else "") + f"{t}.png"), "wb").write(png)
    if case == "video_file":
        open(os.path.join(root, "videos", bad + ".mp4"), "wb").write(mp4)
    if case == "mask_file":
        masks = os.path.join(root, "masks", "clip")
        os.makedirs(masks)
        for t in range(3):
            open(os.path.join(masks, f"{t}.png"), "wb").write(png)
        os.rename(os.path.join(masks, "0.png"), os.path.join(masks, bad + ".png"))
        os.rename(os.path.join(frames, "0.png"), os.path.join(frames, bad + ".png"))
        masks = os.path.dirname(masks)
    try:
        videos.read_videos(os.path.join(root, "videos"), 16, masks_folder=masks)
        print("RESULT loaded")
    except KeypointsError as e:
        print("RESULT rejected", type(e).__name__, ascii(str(e))[:200])
""")


@pytest.mark.parametrize("case", sorted(NON_UTF8_CASES.values()))
def test_read_videos_non_utf8_names(case, tmp_path):
    """In a subprocess: a segmentation fault must not take the test session down."""
    png, mp4 = write(str(tmp_path), "f.png", MEDIA[".png"]), write(str(tmp_path), "f.mp4", MEDIA[".mp4"])
    COUNTS["videos (non-UTF-8 names, subprocess)"]["cases"] += 1
    result = subprocess.run([sys.executable, "-c", _NON_UTF8_SCRIPT, case, png, mp4], cwd=REPO, capture_output=True,
                            text=True, timeout=HANG_SECONDS)
    assert result.returncode == 0, (f"{case}: exit code {result.returncode} (negative: killed by that signal)\n"
                                    f"{result.stderr[-2000:]}")
    assert "RESULT" in result.stdout, result.stdout + result.stderr[-2000:]


_PNG_BOMB_SCRIPT = textwrap.dedent("""
    import resource, sys, time
    from keypoints_tf.data import videos
    from keypoints_tf.errors import KeypointsError
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # MB, the process's peak so far
    before, started = peak(), time.time()
    try:
        videos.read_image(sys.argv[1])
        outcome = "loaded"
    except KeypointsError as e:
        outcome = "rejected"
    print("RESULT", outcome, round(time.time() - started, 2), peak() - before)
""")


def test_png_with_a_huge_chunk_length_is_rejected_cheaply(tmp_path):
    """Found by FUZZ_RANDOM=1 exploration (test_read_image_random_and_truncated, a deadline overrun). In a
    subprocess, to measure its peak memory: it may raise the peak left by the imports by under 200 MB (the bomb
    took ~4 GB), and take under 1 s."""
    data = bytearray(MEDIA[".png"])
    data[33] = 0xF4  # the first byte of the IDAT chunk's length: 0xF4000923 bytes
    path = write(str(tmp_path), "frame.png", bytes(data))
    COUNTS["images (PNG chunk-length bomb, subprocess)"]["cases"] += 1
    result = subprocess.run([sys.executable, "-c", _PNG_BOMB_SCRIPT, path], cwd=REPO, capture_output=True,
                            text=True, timeout=HANG_SECONDS)
    assert result.returncode == 0, result.stderr[-2000:]
    outcome, seconds, extra_mb = result.stdout.split("RESULT")[1].split()
    assert outcome == "rejected"
    assert int(extra_mb) < 200 and float(seconds) < 1.0, f"+{extra_mb} MB at peak, {seconds} s for a 2 KB file"


@fuzz_settings(40, deadline_ms=20000)
@given(names=st.lists(NAMES, min_size=1, max_size=2, unique=True), video=st.booleans())
def test_read_videos_odd_unicode_names(names, video):
    """Valid Unicode (any script, emoji, RTL marks, spaces) in folder and file names loads."""
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "videos")
        for i, name in enumerate(names):
            if video:
                os.makedirs(folder, exist_ok=True)
                write(folder, f"{i}{name}.mp4", MEDIA[".mp4"])
            else:
                os.makedirs(os.path.join(folder, f"{i}{name}"))
                for t in range(2):
                    write(os.path.join(folder, f"{i}{name}"), f"{name}{t}.png", MEDIA[".png"])
        collection = attempt("videos (Unicode names)", videos.read_videos, folder, 16)
        assert collection is not None and collection.num_videos == len(names)


# === BVH ===

VALID_BVH = """HIERARCHY
ROOT Hips
{
\tOFFSET 0.00 0.00 0.00
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT LeftUpLeg
\t{
\t\tOFFSET 3.5 0.0 0.0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0.0 -17.0 0.0
\t\t}
\t}
\tJOINT Chest
\t{
\t\tOFFSET 0.0 5.2 0.0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tJOINT Head
\t\t{
\t\t\tOFFSET 0.0 8.0 0.0
\t\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0.0 4.0 0.0
\t\t\t}
\t\t}
\t}
}
MOTION
Frames: 3
Frame Time: 0.0333333
0.0 35.0 0.0 0.0 0.0 0.0 1.0 2.0 3.0 -4.0 5.0 6.0 7.0 8.0 9.0
0.1 35.1 0.2 1.0 2.0 3.0 4.0 5.0 6.0 7.0 8.0 9.0 10.0 11.0 12.0
0.2 35.2 0.4 -1.0 -2.0 -3.0 -4.0 -5.0 -6.0 -7.0 -8.0 -9.0 -10.0 -11.0 -12.0
"""
BVH_TOKENS = ["", "{", "}", "ROOT", "JOINT", "End", "Site", "OFFSET", "CHANNELS", "MOTION", "HIERARCHY", "Frames:",
              "Frame", "Time:", "Xrotation", "Wrotation", "Xposition", "nan", "inf", "-inf", "1e400", "-0", "0x10",
              "1_0", "\u00b2", "\u0663", "\u00bd", "9" * 30, "99999999", "-3", "3.5.1", "\x00", "\ud800", "\u202e",
              "Hips", "\t", "\n"]


def parse(text: str):
    motion = attempt("bvh", bvh.parse_bvh, text, "fuzz.bvh")
    if motion is not None:  # what the mocap prior does next
        positions = bvh.forward_kinematics(motion)
        assert positions.shape == (motion.num_frames, motion.num_joints, 3)


@fuzz_settings(150)
@given(cut=st.integers(0, len(VALID_BVH)))
def test_bvh_truncated(cut):
    parse(VALID_BVH[:cut])


BVH_PIECES = re.split(r"(\s+)", VALID_BVH)


@fuzz_settings(300)
@given(edits=st.lists(st.tuples(st.integers(0, len(BVH_PIECES) - 1), st.sampled_from(["replace", "delete", "insert"]),
                                st.sampled_from(BVH_TOKENS) | st.text(max_size=6)), min_size=1, max_size=4))
def test_bvh_token_mutations(edits):
    pieces = list(BVH_PIECES)
    for index, operation, token in edits:
        index %= len(pieces)
        if operation == "replace":
            pieces[index] = token
        elif operation == "delete":
            del pieces[index]
        else:
            pieces.insert(index, token + " ")
        if not pieces:
            pieces = [""]
    parse("".join(pieces))


@fuzz_settings(150)
@given(edits=st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "swap"]), st.integers(0, 100),
                                st.integers(0, 100)), min_size=1, max_size=3))
def test_bvh_line_mutations(edits):
    lines = VALID_BVH.splitlines()
    for operation, i, j in edits:
        if not lines:
            break
        i, j = i % len(lines), j % len(lines)
        if operation == "delete":
            del lines[i]
        elif operation == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    parse("\n".join(lines))


@fuzz_settings(100)
@example(cut=len(VALID_BVH), edits=None, encoding="utf-8", prefix=b"")
@given(cut=st.integers(0, len(VALID_BVH)), edits=st.none() | BYTE_EDITS,
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]), prefix=st.sampled_from([b"", b"\xef\xbb\xbf"]))
def test_bvh_file_bytes(cut, edits, encoding, prefix):
    data = prefix + VALID_BVH[:cut].encode(encoding)
    with tempfile.TemporaryDirectory() as folder:
        path = write(folder, os.fsdecode(b"m\xff.bvh"), mutate_bytes(data, edits) if edits else data)
        motion = attempt("bvh (files)", bvh.read_bvh, path)
        if cut == len(VALID_BVH) and not edits and encoding == "utf-8" and not prefix:
            assert motion is not None and motion.num_frames == 3
        if motion is not None:
            bvh.forward_kinematics(motion)


# === The exported model's contract ===

FLATBUFFER = b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 2  # stands in for the model bytes
VALID_CONTRACT = contract.seal(contract.build_contract(SKELETON, 32), FLATBUFFER)
CONTRACT_PATHS = paths_of(VALID_CONTRACT)


def embed_raw(tflite: bytes, data: bytes) -> bytes:
    """`contract.embed_in_tflite` with arbitrary entry bytes."""
    buffer = io.BytesIO(tflite)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr(contract.ENTRY_NAME, data)
    return buffer.getvalue()


VALID_TFLITE = embed_raw(FLATBUFFER, json.dumps(VALID_CONTRACT).encode())


def read_contract(data: bytes, target="contract (.tflite)"):
    result = attempt(target, contract.read_from_tflite, data, "fuzz.tflite")
    if result is not None:
        assert result["format"] == contract.FORMAT


def _zip_header_positions(data: bytes) -> list:
    positions = []
    for signature, size in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46), (b"PK\x05\x06", 22)):
        start = data.find(signature)
        positions += list(range(start, start + size)) if start >= 0 else []
    return positions


ZIP_HEADER_POSITIONS = _zip_header_positions(VALID_TFLITE)


@fuzz_settings(150)
@given(data=st.binary(max_size=2000), append_zip_signature=st.booleans())
def test_contract_random_bytes(data, append_zip_signature):
    if append_zip_signature:
        data += b"PK\x05\x06" + bytes(18)
    read_contract(data)
    attempt("contract (JSON)", contract.parse_contract, data, "fuzz.json")


@fuzz_settings(150)
@given(cut=st.integers(0, len(VALID_TFLITE)))
def test_contract_truncated(cut):
    read_contract(VALID_TFLITE[:cut])


@fuzz_settings(200)
@given(edits=st.lists(st.tuples(st.sampled_from(ZIP_HEADER_POSITIONS), st.integers(0, 255)), min_size=1, max_size=3),
       anywhere=st.none() | BYTE_EDITS)
def test_contract_zip_header_mutations(edits, anywhere):
    data = mutate_bytes(VALID_TFLITE, edits)
    read_contract(mutate_bytes(data, anywhere) if anywhere else data)


@fuzz_settings(300)
@given(path=st.sampled_from(CONTRACT_PATHS), operation=st.sampled_from(["replace", "delete", "insert"]),
       new=JSON_VALUES | HUGE_NUMBERS, embedded=st.booleans())
def test_contract_wrong_fields(path, operation, new, embedded):
    data = dumps(edited(VALID_CONTRACT, path, operation, new))
    if embedded:
        read_contract(embed_raw(FLATBUFFER, data))
    else:
        attempt("contract (JSON)", contract.parse_contract, data, "fuzz.json")


# === Inputs that once crashed, one each (regression tests; each reason says what crashed) ===

def _coco_with(edit) -> bytes:
    data = json.loads(VALID_COCO_BYTES)
    edit(data)
    return dumps(data)


KNOWN_COCO = {
    "width_2_pow_31": (lambda d: d["images"][0].update(width=2 ** 31), "OverflowError in np.asarray(sizes, np.int32)"),
    "width_400_digits": (lambda d: d["images"][0].update(width=BIG_INT), "OverflowError in math.isfinite(width)"),
    "keypoint_400_digits": (lambda d: d["annotations"][0]["keypoints"].__setitem__(0, BIG_INT),
                            "OverflowError in np.asarray(values, np.float64)"),
    "keypoint_5000_digits": (lambda d: d["annotations"][0]["keypoints"].__setitem__(0, HUGE_INT),
                             "ValueError (int string limit) from json.loads in load_json"),
    "deeply_nested": (lambda d: d.update(info=DEEP), "RecursionError from json.loads in load_json"),
    "image_id_list": (lambda d: d["images"][0].update(id=[1]), "TypeError unhashable in by_id[image['id']]"),
    "annotation_image_id_list": (lambda d: d["annotations"][0].update(image_id=[1]),
                                 "TypeError unhashable in by_id.get(annotation.get('image_id'))"),
    "width_below_one": (lambda d: d["images"][0].update(width=0.3),
                        "loads with image width 0 (int(round(0.3))): normalized() divides by it, keypoints inf"),
    "category_name_list": (lambda d: d["categories"][0].update(name=["human17"]),
                           "TypeError unhashable in BUILTIN.get(category.get('name')) (skeleton.py)"),
}


def _known(cases):
    """Inputs that once crashed the loaders (the reason says how); each must now load or raise our error."""
    return sorted(cases)


@pytest.mark.parametrize("case", _known(KNOWN_COCO))
def test_known_coco_crashes(case):
    load_coco(_coco_with(KNOWN_COCO[case][0]))


KNOWN_BVH = {
    "channels_superscript_two": (VALID_BVH.replace("CHANNELS 3", "CHANNELS \u00b2", 1),
                                 "ValueError: '\u00b2'.isdigit() but int('\u00b2') fails (bvh._parse_joint)"),
    "frames_superscript_two": (VALID_BVH.replace("Frames: 3", "Frames: \u00b2"),
                               "ValueError: '\u00b2'.isdigit() but int('\u00b2') fails (bvh._parse_motion)"),
}


@pytest.mark.parametrize("case", _known(KNOWN_BVH))
def test_known_bvh_crashes(case):
    parse(KNOWN_BVH[case][0])


def _contract_with(edit) -> bytes:
    data = json.loads(json.dumps(VALID_CONTRACT))
    edit(data)
    return dumps(data)


def _zip_flag(data: bytes, signature: bytes, offset: int, value: bytes) -> bytes:
    out = bytearray(data)
    for start in [i for i in range(len(data)) if data.startswith(signature, i)]:
        out[start + offset:start + offset + len(value)] = value
    return bytes(out)


KNOWN_CONTRACT = {
    "edge_infinity": (lambda: _contract_with(lambda c: c["skeleton"].update(edges=[[float("inf"), 1]])), False,
                      "OverflowError: int(inf) in Skeleton.__post_init__, not caught by Skeleton.from_dict"),
    "deeply_nested": (lambda: _contract_with(lambda c: c.update(extra=DEEP)), False,
                      "RecursionError from json.loads in parse_contract"),
    "int_5000_digits": (lambda: _contract_with(lambda c: c.update(format_version=HUGE_INT)), False,
                        "ValueError (int string limit) from json.loads in parse_contract"),
    "zip_compression_method_99": (lambda: _zip_flag(_zip_flag(VALID_TFLITE, b"PK\x03\x04", 8, b"\x63\x00"),
                                                    b"PK\x01\x02", 10, b"\x63\x00"), True,
                                  "NotImplementedError from zipfile (unsupported compression method)"),
    "zip_encrypted_flag": (lambda: _zip_flag(_zip_flag(VALID_TFLITE, b"PK\x03\x04", 6, b"\x01\x00"),
                                             b"PK\x01\x02", 8, b"\x01\x00"), True,
                           "RuntimeError from zipfile (encrypted entry, password required)"),
    "zip_deflate_garbage": (lambda: _zip_flag(_zip_flag(VALID_TFLITE, b"PK\x03\x04", 8, b"\x08\x00"),
                                              b"PK\x01\x02", 10, b"\x08\x00"), True,
                            "zlib.error from zipfile (entry marked deflated, data is not)"),
}


@pytest.mark.parametrize("case", _known(KNOWN_CONTRACT))
def test_known_contract_crashes(case):
    make, embedded, _ = KNOWN_CONTRACT[case]
    data = make()
    if embedded:
        read_contract(data)
    else:
        attempt("contract (JSON)", contract.parse_contract, data, "fuzz.json")
        read_contract(embed_raw(FLATBUFFER, data))


# === Report ===

def test_zz_fuzz_counts():
    """Prints (and writes to $FUZZ_COUNTS) how many cases each target was tried on."""
    total = sum(c["cases"] for c in COUNTS.values())
    lines = [f"{'target':<46} {'cases':>7} {'loaded':>7} {'rejected':>9}"]
    for target, counter in sorted(COUNTS.items()):
        lines.append(f"{target:<46} {counter['cases']:>7} {counter['loaded']:>7} {counter['rejected']:>9}")
    lines.append(f"{'all':<46} {total:>7}")
    print("\n" + "\n".join(lines))
    if os.environ.get("FUZZ_COUNTS"):
        with open(os.environ["FUZZ_COUNTS"], "w") as f:
            json.dump({target: dict(counter) for target, counter in COUNTS.items()}, f, indent=2)
    if len(COUNTS) > 1:  # the whole module ran (not a single selected test)
        assert total > 0
