"""Export, inference and detect on one smoke-trained detector (trained and exported once per module).

Tolerances (32 px input, keypoints in input pixels, TFLite in ai_edge_litert vs the Keras networks as
trained): float32 1e-3 px, float16 0.02 px, dynamic 0.1 px, int8 0.5 px (1.6% of the input; the smoke
model measures about 0.1 px); confidences 1e-4, 0.01, 0.05, 0.1.
"""

import io
import json
import os
import shutil
import sys
import zipfile

import cv2
import numpy as np
import pytest
import tensorflow as tf

import keypoints_tf
from keypoints_tf import contract as contract_lib
from keypoints_tf import export
from keypoints_tf.data.letterbox import letterbox_transform
from keypoints_tf.errors import DataError, ModelFileError
from keypoints_tf.models import heatmap_confidence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE_PX = {"float32": 1e-3, "float16": 0.02, "dynamic": 0.1, "int8": 0.5}
TOLERANCE_CONFIDENCE = {"float32": 1e-4, "float16": 0.01, "dynamic": 0.05, "int8": 0.1}
CALIBRATION_FRAMES = 16


@pytest.fixture(scope="module")
def exported(smoke_export, tmp_path_factory):
    """A smoke-trained workdir, its SavedModel, the four TFLite variants and Keras outputs on eval images."""
    root = tmp_path_factory.mktemp("export")
    workdir, restored, saved_model = smoke_export["workdir"], smoke_export["restored"], smoke_export["saved_model"]
    frames = export.load_frames(restored, CALIBRATION_FRAMES)
    tflite = {"float32": smoke_export["tflite"]}
    for quantization in export.QUANTIZATIONS[1:]:  # from the one SavedModel (the student test runs export_tflite)
        path = str(root / quantization / "model.tflite")
        model = export.convert_saved_model(saved_model, quantization, frames)
        extra = {"quantization": quantization, "calibration_frames": len(frames)} if quantization == "int8" else {
            "quantization": quantization}
        export.write_tflite(model, restored.contract(extra), path)
        tflite[quantization] = path
    from keypoints_tf.data import pipeline
    images = pipeline.load_training_data(restored.data_config, restored.image_size).eval_images[:4]
    outputs = restored.reference(tf.cast(images, tf.float32) * (2.0 / 255.0) - 1.0)
    keypoints = (outputs["keypoints"].numpy() + 1.0) * (restored.image_size / 2.0)   # (N, K, 2) input px
    return dict(root=root, workdir=workdir, restored=restored, saved_model=saved_model, tflite=tflite,
                images=images, keypoints=keypoints, confidence=heatmap_confidence(outputs["heatmaps"]).numpy())


def _litert(path):
    from ai_edge_litert.interpreter import Interpreter
    return Interpreter(model_path=path, num_threads=1).get_signature_runner("serving_default")


def test_saved_model_matches_keras(exported):
    signature = tf.saved_model.load(exported["saved_model"]).signatures["serving_default"]
    for image, keypoints, confidence in zip(exported["images"], exported["keypoints"], exported["confidence"]):
        outputs = signature(image=tf.constant(image[None]))
        assert outputs["keypoints"].shape == (1, 17, 2) and outputs["keypoints"].dtype == tf.float32
        np.testing.assert_allclose(outputs["keypoints"][0], keypoints, atol=1e-4)
        np.testing.assert_allclose(outputs["confidence"][0], confidence, atol=1e-5)
    contract = export.read_saved_model_contract(exported["saved_model"])
    assert contract["skeleton"]["name"] == "human17" and contract["input"]["shape"] == [1, 32, 32, 3]


@pytest.mark.parametrize("quantization", export.QUANTIZATIONS)
def test_tflite_variant_runs_in_litert_and_matches_keras(exported, quantization):
    runner = _litert(exported["tflite"][quantization])
    assert runner.get_input_details()["image"]["dtype"] == np.uint8
    assert {name: d["dtype"] for name, d in runner.get_output_details().items()} == {
        "keypoints": np.float32, "confidence": np.float32}
    for image, keypoints, confidence in zip(exported["images"], exported["keypoints"], exported["confidence"]):
        outputs = runner(image=image[None])
        np.testing.assert_allclose(outputs["keypoints"][0], keypoints, atol=TOLERANCE_PX[quantization])
        np.testing.assert_allclose(outputs["confidence"][0], confidence, atol=TOLERANCE_CONFIDENCE[quantization])


def test_embedded_contract_reads_back_with_plain_zipfile(exported):
    for quantization, path in exported["tflite"].items():
        with open(path, "rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
            embedded = json.loads(archive.read("keypoints_contract.json"))
        beside = json.load(open(os.path.join(os.path.dirname(path), "contract.json")))
        assert embedded == beside
        assert embedded["model"]["quantization"] == quantization
        assert embedded["outputs"]["keypoints"]["units"] == "input_pixels"
    assert embedded["model"]["calibration_frames"] == CALIBRATION_FRAMES  # int8 is last


def _manual_detection(exported, image):
    """Keras keypoints for `image` through a hand-written letterbox (cv2 INTER_AREA, centred on zeros)."""
    size = exported["restored"].image_size
    height, width = image.shape[:2]
    scale_x, scale_y, left, top = letterbox_transform(width, height, size)
    new_w, new_h = round(width * scale_x), round(height * scale_y)
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[top:top + new_h, left:left + new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    outputs = exported["restored"].reference(tf.cast(canvas[None], tf.float32) * (2.0 / 255.0) - 1.0)
    input_pixels = (outputs["keypoints"].numpy()[0] + 1.0) * (size / 2.0)
    return (input_pixels - [left, top]) / [scale_x, scale_y], scale_x


@pytest.mark.parametrize("kind", ["workdir", "saved_model", "tflite"])
def test_load_detects_in_the_original_image_pixels(exported, kind):
    path = {"workdir": exported["workdir"], "saved_model": exported["saved_model"],
            "tflite": exported["tflite"]["float32"]}[kind]
    detector = keypoints_tf.load(path)
    assert detector.skeleton.name == "human17" and detector.input_size == 32
    image = np.random.default_rng(1).integers(0, 256, (37, 50, 3), dtype=np.uint8)  # non-square, shrinks
    detection = detector.detect(image)
    expected, scale = _manual_detection(exported, image)
    assert detection.keypoints.shape == (17, 2) and detection.confidence.shape == (17,)
    np.testing.assert_allclose(detection.keypoints, expected, atol=2e-3 / scale)


def test_detect_on_a_video_writes_overlay_video_and_coco_json(exported, tmp_path):
    from keypoints_tf import detect
    from keypoints_tf.data import coco
    from keypoints_tf.smoothing import PoseSmoother
    video = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (48, 40))
    for i in range(5):
        writer.write(np.full((40, 48, 3), 40 * i, np.uint8))
    writer.release()
    detector = keypoints_tf.load(exported["tflite"]["float16"])
    output, results = str(tmp_path / "overlay.mp4"), str(tmp_path / "results.json")
    summary = detect.run(detector, video, output, results, threshold=0.0, smoother=PoseSmoother(), progress=False)
    assert summary["frames"] == 5
    capture = cv2.VideoCapture(output)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    capture.release()
    data = json.load(open(results))
    annotations = data["annotations"]
    assert [a["image_id"] for a in annotations] == [image["id"] for image in data["images"]] == [1, 2, 3, 4, 5]
    assert all(a["category_id"] == 1 and len(a["keypoints"]) == 3 * 17 and 0 <= a["score"] <= 1
               for a in annotations)
    assert [image["frame_index"] for image in data["images"]] == [0, 1, 2, 3, 4]
    assert coco.read_coco_keypoints(results).keypoints_pixels.shape == (5, 17, 2)  # the project's own reader


def test_detect_on_a_folder_writes_one_overlay_per_image(exported, tmp_path):
    from keypoints_tf import detect
    folder = tmp_path / "images"
    folder.mkdir()
    for name, shape in [("a.png", (30, 40, 3)), ("b.jpg", (50, 20, 3))]:
        cv2.imwrite(str(folder / name), np.full(shape, 128, np.uint8))
    detector = keypoints_tf.load(exported["tflite"]["float32"])
    detect.run(detector, str(folder), str(tmp_path / "out"), str(tmp_path / "r.json"), progress=False)
    assert sorted(os.listdir(tmp_path / "out")) == ["a.png", "b.jpg"]
    assert cv2.imread(str(tmp_path / "out" / "b.jpg")).shape == (50, 20, 3)


def test_detect_rejects_missing_and_undecodable_input(exported, tmp_path):
    from keypoints_tf import detect
    detector = keypoints_tf.load(exported["tflite"]["float32"])
    with pytest.raises(DataError, match="no such file"):
        detect.run(detector, str(tmp_path / "missing.mp4"), str(tmp_path / "o.mp4"), progress=False)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    with pytest.raises(DataError, match="broken.mp4"):
        detect.run(detector, str(broken), str(tmp_path / "o.mp4"), progress=False)


def test_corrupt_or_mismatched_model_files_are_model_file_errors(exported, tmp_path):
    good = open(exported["tflite"]["float32"], "rb").read()
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(good[:2000])
    with pytest.raises(ModelFileError):
        keypoints_tf.load(str(truncated))
    contract = export.read_tflite_contract(exported["tflite"]["float32"])
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(contract_lib.embed_in_tflite(b"\0" * 4096, contract_lib.seal(contract, b"\0" * 4096)))
    with pytest.raises(ModelFileError, match="LiteRT cannot load"):
        keypoints_tf.load(str(garbage))
    from keypoints_tf.skeleton import get_skeleton
    wrong = contract_lib.build_contract(get_skeleton("face68"), 32)  # 68 keypoints for a 17-keypoint model
    mismatched = tmp_path / "mismatched.tflite"
    model_bytes = good[:good.index(b"PK\x03\x04")]  # the flatbuffer without the appended ZIP
    mismatched.write_bytes(contract_lib.embed_in_tflite(model_bytes, contract_lib.seal(wrong, model_bytes)))
    with pytest.raises(ModelFileError, match="do not match"):
        keypoints_tf.load(str(mismatched))
    with pytest.raises(ModelFileError, match="no such file"):
        keypoints_tf.load(str(tmp_path / "nothing.tflite"))


def test_corrupt_or_mismatched_checkpoints_are_model_file_errors(exported, tmp_path):
    workdir = tmp_path / "workdir"
    shutil.copytree(exported["workdir"], workdir, ignore=shutil.ignore_patterns("world", "logs", "images"))
    config = json.load(open(workdir / "config.json"))
    config["model"]["base_width"] = 8
    json.dump(config, open(workdir / "config.json", "w"))
    with pytest.raises(ModelFileError, match="does not fit"):
        export.restore_detector(str(workdir))
    config["model"]["base_width"] = 4
    json.dump(config, open(workdir / "config.json", "w"))
    for data in (workdir / "checkpoints").glob("*.data-*"):
        data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(ModelFileError, match="could be read"):
        export.restore_detector(str(workdir))
    with pytest.raises(ModelFileError, match="not a training"):
        export.restore_detector(str(tmp_path))


def test_golden_files_agree_with_the_letterbox_inverse(exported, tmp_path):
    sys.path.insert(0, REPO)
    from export import write_golden
    from keypoints_tf.data.letterbox import input_to_frame
    golden = write_golden.write_golden(str(tmp_path), model=exported["tflite"]["float32"])
    raw = np.asarray(golden["raw_outputs"]["keypoints"][0])
    width, height, size = golden["image_width"], golden["image_height"], golden["input_size"]
    assert width != height
    np.testing.assert_allclose(golden["python_keypoints"], input_to_frame(raw, width, height, size), atol=1e-4)
    assert sorted(os.listdir(tmp_path)) == ["contract.json", "golden.json", "golden_input.png"]
    assert 0 < golden["input_tensor_mean"] < 255


def test_student_distills_for_two_steps_and_exports(exported, tmp_path):
    from keypoints_tf.distill import DistillConfig, distill
    workdir = str(tmp_path / "student")
    result = distill(exported["workdir"], workdir, DistillConfig(steps=2, batch_size=2, width=4,
                                                                checkpoint_every_steps=1))
    assert result["step"] == 2 and np.isfinite(result["student_error"])
    assert json.load(open(os.path.join(workdir, "config.json")))["detector"] == "student"
    contract = export.export_tflite(workdir, str(tmp_path / "student.tflite"), "int8", calibration_frames=8)
    assert contract["model"]["kind"] == "student" and contract["model"]["calibration_frames"] == 8
    image = np.random.default_rng(2).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    from_tflite = keypoints_tf.load(str(tmp_path / "student.tflite")).detect(image)
    from_workdir = keypoints_tf.load(workdir).detect(image)
    np.testing.assert_allclose(from_tflite.keypoints, from_workdir.keypoints, atol=1.0)  # int8 vs float
