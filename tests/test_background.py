"""Masks from the footage itself (keypoints_tf.data.background) and their use by the tracks CLI."""

import logging
import os

import cv2
import numpy as np
import pytest

from keypoints_tf.data import background, tracks

WIDTH, HEIGHT, FRAMES = 320, 240, 48


def _clutter(seed=0, shift=0):
    """A static, cluttered background: random rectangles and circles of many colours (shifted by `shift` px)."""
    rng = np.random.default_rng(seed)
    image = np.full((HEIGHT, WIDTH + 400, 3), 120, np.uint8)
    for _ in range(300):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, WIDTH + 400)), int(rng.integers(0, HEIGHT))
        if rng.random() < 0.5:
            cv2.rectangle(image, (x, y), (x + int(rng.integers(5, 40)), y + int(rng.integers(5, 40))), colour, -1)
        else:
            cv2.circle(image, (x, y), int(rng.integers(3, 20)), colour, -1)
    return image[:, 200 - shift:200 - shift + WIDTH].copy()


def _figure_mask(t):
    """The moving figure of frame t: a body, a head and two swinging legs, walking to the right."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    x = 60 + 4 * t
    cv2.ellipse(mask, (x, 110), (16, 40), 0, 0, 360, 255, -1)
    cv2.circle(mask, (x, 60), 13, 255, -1)
    swing = int(12 * np.sin(t / 3))
    cv2.line(mask, (x - 6, 140), (x - 6 + swing, 200), 255, 9)
    cv2.line(mask, (x + 6, 140), (x + 6 - swing, 200), 255, 9)
    return mask


def _write_video(path, moving_camera=False):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (WIDTH, HEIGHT))
    truth = []
    for t in range(FRAMES):
        frame = _clutter(shift=3 * t if moving_camera else 0)
        mask = _figure_mask(t)
        shade = np.array([40, 60, 200], np.uint8) + np.uint8(t % 5)  # the figure's clothes: a red-blue gradient
        frame[mask > 0] = shade
        writer.write(frame)
        truth.append(mask)
    writer.release()
    return truth


def test_background_masks_match_the_true_figure(tmp_path):
    truth = _write_video(tmp_path / "walk.avi")
    sampler = background.BackgroundSampler(FRAMES, background.BackgroundSettings(sample_frames=FRAMES))
    frames = []
    for index, frame in enumerate(_read_all(tmp_path / "walk.avi")):
        sampler.add(index, frame)
        frames.append(frame)
    model = sampler.background()
    ious = [background.mask_iou(background.foreground_mask(f, model), m) for f, m in zip(frames, truth)]
    assert min(ious) >= 0.8, ious
    assert background.mask_iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0


def test_tracks_write_masks_of_the_centred_person(tmp_path, monkeypatch):
    """The whole CLI path: detections (faked: HOG does not see the drawn figure) -> crops + masks/."""
    truth = _write_video(tmp_path / "walk.avi")

    def fake_detector(frame_index_holder=[0]):
        def detect(frame):
            mask = truth[frame_index_holder[0]]
            frame_index_holder[0] += 1
            ys, xs = np.nonzero(mask)
            x0, y0 = xs.min(), ys.min()
            return np.array([[x0, y0, xs.max() - x0, ys.max() - y0, 2.0]], float)
        return detect

    monkeypatch.setattr(tracks, "PeopleDetector", lambda settings: fake_detector())
    out = tmp_path / "clips"
    settings = tracks.TrackerSettings(stride=1, min_hits=2)
    summary = tracks.extract_tracks(str(tmp_path / "walk.avi"), str(out), size=64, min_length=10, settings=settings)
    assert summary["masks"] is not None and len(summary["tracks"]) == 1
    track = summary["tracks"][0]
    ious = []
    for n, square in enumerate(track["squares"]):
        written = cv2.imread(str(out / "masks" / track["name"] / f"{n:06d}.png"), cv2.IMREAD_GRAYSCALE)
        expected = tracks.crop_square(truth[track["first_frame"] + n], square, 64)
        ious.append(background.mask_iou(written, expected >= 128))
    assert np.mean(ious) >= 0.8 and min(ious) >= 0.7, ious
    from keypoints_tf.data.videos import read_videos
    collection = read_videos(str(out), 64, masks_folder=str(out / "masks"))  # the bring-your-own format
    assert collection.num_videos == 1 and collection.masks is not None


def test_a_moving_camera_gives_no_masks_and_says_so(tmp_path, monkeypatch, caplog):
    _write_video(tmp_path / "pan.avi", moving_camera=True)
    sampler = background.BackgroundSampler(FRAMES)
    for index, frame in enumerate(_read_all(tmp_path / "pan.avi")):
        sampler.add(index, frame)
    with pytest.raises(background.MovingCameraError, match="camera moves"):
        sampler.background()
    monkeypatch.setattr(tracks, "PeopleDetector", lambda settings: (lambda frame: np.zeros((0, 5))))
    with caplog.at_level(logging.WARNING):
        summary = tracks.extract_tracks(str(tmp_path / "pan.avi"), str(tmp_path / "out"), min_length=2)
    assert summary["masks"] is None and not os.path.exists(tmp_path / "out" / "masks")
    assert "camera moves" in caplog.text and "writing no masks" in caplog.text


def test_a_textured_figure_in_a_plain_static_scene_still_gets_masks(tmp_path):
    """Its corners are most of the frame's corners and they move, but the scene does not: the background holds."""
    ramp = np.linspace(60, 180, WIDTH).astype(np.uint8)
    scene = np.repeat(np.repeat(ramp[None, :, None], HEIGHT, 0), 3, 2)  # a plain wall: no corners of its own
    checks = np.where((np.indices((HEIGHT, WIDTH)).sum(0) // 6) % 2 == 0, 30, 230).astype(np.uint8)
    writer = cv2.VideoWriter(str(tmp_path / "wall.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (WIDTH, HEIGHT))
    truth = []
    for t in range(FRAMES):
        mask = _figure_mask(t)
        frame = scene.copy()
        frame[mask > 0] = np.roll(checks, 4 * t, axis=1)[mask > 0, None]  # the checked shirt moves with the figure
        writer.write(frame)
        truth.append(mask)
    writer.release()
    sampler = background.BackgroundSampler(FRAMES)
    frames = list(_read_all(tmp_path / "wall.avi"))
    for index, frame in enumerate(frames):
        sampler.add(index, frame)
    assert np.median([background.camera_motion(pair) for pair in sampler.pairs]) > sampler.settings.max_shift
    model = sampler.background()  # raised MovingCameraError when the corners' shift alone decided
    ious = [background.mask_iou(background.foreground_mask(f, model), m) for f, m in zip(frames, truth)]
    assert np.mean(ious) >= 0.8, ious


def test_central_figure_drops_a_passer_by():
    mask = np.zeros((64, 64), np.uint8)
    cv2.rectangle(mask, (26, 8), (38, 60), 255, -1)     # the tracked person, centred
    cv2.rectangle(mask, (50, 10), (56, 60), 255, -1)    # someone at the edge, not touching
    cv2.rectangle(mask, (2, 2), (8, 8), 255, -1)        # a speck in the corner
    kept = background.central_figure(mask)
    assert kept[30, 30] == 255 and kept[30, 53] == 0 and kept[5, 5] == 0


def _read_all(path):
    capture = cv2.VideoCapture(str(path))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        yield frame
    capture.release()


def test_masked_frames_get_the_configured_background_grey(tiny_data_config, tiny_world):
    """Real footage paints the background mid-grey (a black coat on black would vanish); 0 keeps the reference."""
    from keypoints_tf.data import pipeline
    out, _ = tiny_world
    tiny_data_config.update({"mask_background": True, "eval_masks": f"{out}/eval/masks", "background_fill": 128})
    data = pipeline.load_training_data(tiny_data_config, 32)
    background_pixels = data.videos.masks[..., 0] == 0
    assert background_pixels.any() and (data.videos.frames[background_pixels] == 128).all()
    assert (data.videos.frames[~background_pixels] != 128).any()      # the figure is left as it was
    assert (data.eval_images == 128).all(axis=-1).mean() > 0.2         # evaluation images painted the same way


def test_unmasked_input_gives_phi_the_real_background_and_psi_the_masked_target(tiny_data_config, tiny_world):
    from keypoints_tf.data import pipeline
    out, _ = tiny_world
    tiny_data_config.update({"mask_background": True, "eval_masks": f"{out}/eval/masks", "background_fill": 128,
                             "unmasked_input": 1.0})
    data = pipeline.load_training_data(tiny_data_config, 32)
    batch = pipeline.PairSampler(data, 4, unmasked_input=1.0, flip=True).batch(0)
    outside = batch["target"][..., 0] == 128
    assert outside.any() and not (batch["image"][outside] == 128).all()   # Phi sees the real background ...
    assert (batch["image"][~outside] == batch["target"][~outside]).all()  # ... and the same figure
    masked_only = pipeline.PairSampler(data, 4, flip=True).batch(0)
    assert (masked_only["image"] == masked_only["target"]).all()
    assert data.eval_images_raw is not None and (data.eval_images_raw != data.eval_images).any()
