"""BVH motion capture files: parsing and forward kinematics.

A BVH file has a HIERARCHY section (``ROOT``/``JOINT`` blocks with an ``OFFSET`` from the parent and the
``CHANNELS`` animated in the MOTION section, and ``End Site`` blocks that only have an ``OFFSET``) and a
MOTION section (``Frames: N``, ``Frame Time: T`` seconds, then N lines of channel values, in the order the
channels appear in the hierarchy). Rotations are in degrees; the rotation of a joint is the product of
its rotation channels in the order listed, so ``Zrotation Xrotation Yrotation`` means ``R = Rz @ Rx @ Ry``
(the convention of the BVH writers of CMU/cgspeed, MotionBuilder and Blender).

World coordinates are those of the file: right-handed, y up (the BVH convention), in the file's units.
End Sites become joints named ``<parent>_end`` (e.g. ``Head_end``, the top of the head in CMU files).

Example:
    >>> motion = read_bvh("01_01.bvh")
    >>> positions = forward_kinematics(motion)          # (F, J, 3) world xyz, y up
    >>> positions[:, motion.joint_index("LeftHand")]    # (F, 3)
"""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np

from keypoints_tf.errors import DataError

POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
END_SITE_SUFFIX = "_end"


@dataclasses.dataclass
class BvhMotion:
    """A parsed BVH file.

    Attributes:
        joint_names: J names in file order (parents before children); End Sites are ``<parent>_end``.
        parents: (J,) int, index of each joint's parent, -1 for a root.
        offsets: (J, 3) float64, offset of each joint from its parent (the root's from the origin).
        channels: J tuples of channel names (empty for End Sites).
        motion: (F, C) float64 channel values, C = total number of channels.
        frame_time: seconds per frame.
        path: the file it came from.
    """

    joint_names: list
    parents: np.ndarray
    offsets: np.ndarray
    channels: list
    motion: np.ndarray
    frame_time: float
    path: str = ""

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def joint_index(self, name: str) -> int:
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise DataError(f"{self.path}: no joint {name!r}; the file has {self.joint_names}") from None

    def channel_starts(self) -> np.ndarray:
        """(J,) int: column of each joint's first channel in `motion`."""
        counts = np.array([len(c) for c in self.channels], np.int64)
        return np.concatenate([[0], np.cumsum(counts)[:-1]])


# === Parsing ===

class _Tokens:
    """Whitespace tokens of the HIERARCHY section with their line numbers, for error messages."""

    def __init__(self, lines, path):
        self.path = path
        self.items = [(token, number) for number, line in lines for token in line.split()]
        self.position = 0

    def fail(self, message, line=None):
        if line is None:
            line = self.items[min(self.position, len(self.items) - 1)][1] if self.items else 1
        raise DataError(f"{self.path}, line {line}: {message}")

    def peek(self):
        return self.items[self.position][0] if self.position < len(self.items) else None

    def next(self, what):
        if self.position >= len(self.items):
            self.fail(f"the hierarchy ends early: expected {what} (is the file truncated?)")
        token, line = self.items[self.position]
        self.position += 1
        return token, line

    def expect(self, expected):
        token, line = self.next(repr(expected))
        if token != expected:
            self.fail(f"expected {expected!r}, found {token!r}", line)

    def number(self, what):
        token, line = self.next(what)
        try:
            return float(token)
        except ValueError:
            self.fail(f"expected a number for {what}, found {token!r}", line)


def _parse_joint(tokens, name, parent, joints):
    index = len(joints)
    tokens.expect("{")
    joint = {"name": name, "parent": parent, "offset": None, "channels": ()}
    joints.append(joint)
    while True:
        token, line = tokens.next("OFFSET, CHANNELS, JOINT, End Site or '}'")
        if token == "}":
            break
        if token == "OFFSET":
            joint["offset"] = [tokens.number(f"the OFFSET of joint {name!r}") for _ in range(3)]
        elif token == "CHANNELS":
            count_token, count_line = tokens.next(f"the channel count of joint {name!r}")
            if not re.fullmatch(r"[0-9]+", count_token):
                tokens.fail(f"CHANNELS of joint {name!r}: expected a channel count, found {count_token!r}",
                            count_line)
            names = []
            for _ in range(int(count_token)):
                channel, channel_line = tokens.next(f"a channel name of joint {name!r}")
                if channel not in POSITION_CHANNELS + ROTATION_CHANNELS:
                    tokens.fail(f"unknown channel {channel!r} in joint {name!r} (CHANNELS says {count_token}; "
                                f"known channels: {', '.join(POSITION_CHANNELS + ROTATION_CHANNELS)})", channel_line)
                names.append(channel)
            joint["channels"] = tuple(names)
        elif token == "JOINT":
            child, _ = tokens.next("a joint name after JOINT")
            _parse_joint(tokens, child, index, joints)
        elif token == "End":
            tokens.expect("Site")
            tokens.expect("{")
            tokens.expect("OFFSET")
            end = {"name": name + END_SITE_SUFFIX, "parent": index, "channels": (), "offset": None}
            end["offset"] = [tokens.number(f"the OFFSET of the End Site of {name!r}") for _ in range(3)]
            tokens.expect("}")
            joints.append(end)
        else:
            tokens.fail(f"unexpected {token!r} in joint {name!r} (expected OFFSET, CHANNELS, JOINT, End Site "
                        "or '}')", line)
    if joint["offset"] is None:
        tokens.fail(f"joint {name!r} has no OFFSET")


def _split_sections(text, path):
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)]
    if not lines or lines[0][1].strip() != "HIERARCHY":
        raise DataError(f"{path}: not a BVH file (the first line must be 'HIERARCHY')")
    for i, (_, line) in enumerate(lines):
        if line.strip() == "MOTION":
            return lines[1:i], lines[i + 1:]
    raise DataError(f"{path}: no MOTION section (is the file truncated?)")


def _header_value(lines, position, label, path):
    while position < len(lines) and not lines[position][1].strip():
        position += 1
    if position >= len(lines):
        raise DataError(f"{path}: the MOTION section ends before '{label}' (is the file truncated?)")
    number, line = lines[position]
    match = re.match(rf"^\s*{label}\s*(\S+)\s*$", line)
    if not match:
        raise DataError(f"{path}, line {number}: expected '{label} <number>', found {line.strip()[:60]!r}")
    return match.group(1), number, position + 1


def _parse_motion(lines, num_channels, path, ends_with_line_end=True):
    frames_token, frames_line, position = _header_value(lines, 0, "Frames:", path)
    if not re.fullmatch(r"[0-9]+", frames_token):
        raise DataError(f"{path}, line {frames_line}: 'Frames:' must be a whole number, found {frames_token!r}")
    time_token, time_line, position = _header_value(lines, position, "Frame Time:", path)
    try:
        frame_time = float(time_token)
    except ValueError:
        raise DataError(f"{path}, line {time_line}: 'Frame Time:' must be a number, found {time_token!r}") from None
    num_frames = int(frames_token)
    if num_frames == 0:
        raise DataError(f"{path}, line {frames_line}: 'Frames: 0': the file holds no motion")
    rows = [(number, line) for number, line in lines[position:] if line.strip()]
    values = []
    for number, line in rows[:num_frames]:
        tokens = line.split()
        if len(tokens) != num_channels:
            raise DataError(f"{path}, line {number}: {len(tokens)} values in a frame, the hierarchy has "
                            f"{num_channels} channels" + (" (is the file truncated?)" if number == rows[-1][0] else ""))
        try:
            values.append(np.array(tokens, np.float64))
        except ValueError:
            bad = next(t for t in tokens if not _is_number(t))
            raise DataError(f"{path}, line {number}: non-numeric motion value {bad!r}") from None
    if len(values) < num_frames:
        raise DataError(f"{path}: truncated motion data: 'Frames: {num_frames}' but only {len(values)} frame "
                        f"line(s) follow")
    last_number, _ = rows[num_frames - 1]
    if not ends_with_line_end and last_number == lines[-1][0]:
        raise DataError(f"{path}, line {last_number}: the file ends inside its last frame, without a line end: "
                        "it looks cut short (its last number may be incomplete). If it is whole, end it with a "
                        "newline")
    motion = np.stack(values)
    if not np.all(np.isfinite(motion)):
        raise DataError(f"{path}: motion data contains NaN or infinite values")
    return motion, frame_time


def _is_number(token):
    try:
        float(token)
        return True
    except ValueError:
        return False


def parse_bvh(text: str, path: str = "<string>") -> BvhMotion:
    """Parses BVH text. Raises DataError naming the file, the line and what is wrong."""
    hierarchy, motion_lines = _split_sections(text, path)
    tokens = _Tokens(hierarchy, path)
    joints = []
    while tokens.peek() is not None:
        token, line = tokens.next("ROOT")
        if token != "ROOT":
            tokens.fail(f"expected ROOT, found {token!r}", line)
        name, _ = tokens.next("a joint name after ROOT")
        _parse_joint(tokens, name, -1, joints)
    if not joints:
        raise DataError(f"{path}: the HIERARCHY section has no ROOT joint")
    names = [j["name"] for j in joints]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{path}: joint names must be unique, repeated: {duplicates}")
    channels = [j["channels"] for j in joints]
    motion, frame_time = _parse_motion(motion_lines, sum(len(c) for c in channels), path,
                                       ends_with_line_end=text.endswith(("\n", "\r")))
    return BvhMotion(joint_names=names, parents=np.array([j["parent"] for j in joints], np.int64),
                     offsets=np.array([j["offset"] for j in joints], np.float64), channels=channels,
                     motion=motion, frame_time=frame_time, path=path)


def read_bvh(path: str) -> BvhMotion:
    """Reads a BVH file (see `parse_bvh`)."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: BVH file not found")
    try:
        with open(path, "r", encoding="utf-8-sig", errors="strict") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text file ({e}); expected a BVH motion capture file") from None
    return parse_bvh(text, path)


# === Forward kinematics ===

def axis_rotation(axis: str, degrees) -> np.ndarray:
    """(F,) angles in degrees -> (F, 3, 3) rotation matrices about 'X', 'Y' or 'Z' (right-handed)."""
    radians = np.deg2rad(np.asarray(degrees, np.float64))
    cos, sin = np.cos(radians), np.sin(radians)
    one, zero = np.ones_like(cos), np.zeros_like(cos)
    if axis == "X":
        rows = [[one, zero, zero], [zero, cos, -sin], [zero, sin, cos]]
    elif axis == "Y":
        rows = [[cos, zero, sin], [zero, one, zero], [-sin, zero, cos]]
    elif axis == "Z":
        rows = [[cos, -sin, zero], [sin, cos, zero], [zero, zero, one]]
    else:
        raise ValueError(f"axis must be 'X', 'Y' or 'Z', got {axis!r}")
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def forward_kinematics(motion: BvhMotion, frames=None) -> np.ndarray:
    """World positions of every joint: (F, J, 3) float64, in the file's units and axes (y up).

    Vectorised over frames. A joint's position is ``parent_position + parent_rotation @ (offset +
    translation)``, where the translation comes from position channels (normally only on the root) and
    the joint's own rotation is the product of its rotation channels in the listed order.

    Args:
        frames: optional index array selecting frames (default: all).
    """
    values = motion.motion if frames is None else motion.motion[np.asarray(frames)]
    num_frames = values.shape[0]
    starts = motion.channel_starts()
    positions = np.zeros((num_frames, motion.num_joints, 3))
    rotations = np.zeros((num_frames, motion.num_joints, 3, 3))
    identity = np.broadcast_to(np.eye(3), (num_frames, 3, 3))
    for j, (parent, channels) in enumerate(zip(motion.parents, motion.channels)):
        translation = np.broadcast_to(motion.offsets[j], (num_frames, 3)).copy()
        local = identity
        for k, channel in enumerate(channels):
            column = values[:, starts[j] + k]
            if channel in POSITION_CHANNELS:
                translation[:, POSITION_CHANNELS.index(channel)] += column
            else:
                local = local @ axis_rotation(channel[0], column)
        if parent < 0:
            positions[:, j] = translation
            rotations[:, j] = local
        else:
            positions[:, j] = positions[:, parent] + np.einsum("fij,fj->fi", rotations[:, parent], translation)
            rotations[:, j] = rotations[:, parent] @ local
    return positions
