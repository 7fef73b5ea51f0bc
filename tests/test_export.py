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
from keypoints_tf.config import load_config_file
from keypoints_tf.data.letterbox import letterbox_transform
from keypoints_tf.errors import DataError, ModelFileError, OutputError
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
    data = pipeline.load_training_data(restored.data_config, restored.image_size)
    outputs = restored.reference(tf.cast(data.eval_images, tf.float32) * (2.0 / 255.0) - 1.0)
    keypoints = (outputs["keypoints"].numpy() + 1.0) * (restored.image_size / 2.0)   # (N, K, 2) input px
    confidence = heatmap_confidence(outputs["heatmaps"]).numpy()
    return dict(root=root, workdir=workdir, restored=restored, saved_model=saved_model, tflite=tflite,
                images=data.eval_images[:4], keypoints=keypoints[:4], confidence=confidence[:4],
                eval=dict(images=data.eval_images, keypoints=keypoints, target=data.eval_keypoints,
                          visible=data.eval_visible))


def _eval_error(exported, input_pixels):
    """The evaluation error (%, `keypoint_metrics`) of (N, K, 2) input-pixel keypoints on the whole split."""
    from keypoints_tf.metrics import keypoint_metrics
    size, data = exported["restored"].image_size, exported["eval"]
    return keypoint_metrics(np.asarray(input_pixels) * (2.0 / size) - 1.0, data["target"],
                            exported["restored"].skeleton, data["visible"])["error"]


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
        beside = json.load(open(contract_lib.beside_path(path)))   # model.contract.json beside model.tflite
        assert embedded == beside
        assert embedded["model"]["quantization"] == quantization
        assert embedded["outputs"]["keypoints"]["units"] == "input_pixels"
    assert embedded["model"]["calibration_frames"] == CALIBRATION_FRAMES  # int8 is last


def test_exports_sharing_a_folder_keep_their_own_contracts(exported, tmp_path):
    restored = exported["restored"]
    model = export.convert_saved_model(exported["saved_model"], "float32")
    for name, quantization in (("teacher", "float32"), ("student", "float16")):
        export.write_tflite(model, restored.contract({"quantization": quantization}), str(tmp_path / f"{name}.tflite"))
    assert sorted(os.listdir(tmp_path)) == ["student.contract.json", "student.tflite", "teacher.contract.json",
                                            "teacher.tflite"]
    assert json.load(open(tmp_path / "teacher.contract.json"))["model"]["quantization"] == "float32"
    assert json.load(open(tmp_path / "student.contract.json"))["model"]["quantization"] == "float16"
    bare = open(tmp_path / "student.tflite", "rb").read()
    (tmp_path / "student.tflite").write_bytes(bare[:bare.index(b"PK\x03\x04")])  # no embedded contract
    assert export.read_tflite_contract(str(tmp_path / "student.tflite"))["model"]["quantization"] == "float16"


def _flatbuffer(exported, quantization="float32") -> bytes:
    data = open(exported["tflite"][quantization], "rb").read()
    return data[:data.index(b"PK\x03\x04")]  # the model without the appended ZIP


CROP = {"threshold": 0.2, "expand": 1.9, "offset": [0.01, 0.1], "frames": 16}


def test_the_seal_covers_the_crop_section_in_the_model_and_beside_it(exported, tmp_path):
    model, restored = _flatbuffer(exported), exported["restored"]
    path = str(tmp_path / "teacher.tflite")
    export.write_tflite(model, restored.contract({"quantization": "float32"}, crop=CROP), path)
    contract = export.read_tflite_contract(path)
    assert contract["crop"] == CROP and set(contract["integrity"]) == {"model_sha256", "model_bytes",
                                                                       "contract_sha256"}
    assert json.load(open(contract_lib.beside_path(path))) == contract  # the same sealed copy
    contract_lib.check_integrity(contract, model)
    edited = dict(contract, crop=dict(CROP, threshold=0.5))  # the seal is computed after the crop section
    (tmp_path / "edited.tflite").write_bytes(contract_lib.embed_in_tflite(model, edited))
    with pytest.raises(ModelFileError, match="changed after export"):
        keypoints_tf.load(str(tmp_path / "edited.tflite"))
    bare = tmp_path / "bare"  # no embedded contract: NAME.contract.json is read, and its seal must hold too
    bare.mkdir()
    (bare / "teacher.tflite").write_bytes(model)
    (bare / "teacher.contract.json").write_text(json.dumps(edited))
    with pytest.raises(ModelFileError, match="teacher.contract.json.*changed after export"):
        keypoints_tf.load(str(bare / "teacher.tflite"))
    (bare / "teacher.contract.json").write_text(json.dumps(contract))
    assert keypoints_tf.load(str(bare / "teacher.tflite")).contract["crop"] == CROP


def test_a_tflite_and_its_contract_are_one_output(exported, tmp_path, monkeypatch):
    model, restored = _flatbuffer(exported), exported["restored"]
    path, beside = str(tmp_path / "teacher.tflite"), tmp_path / "teacher.contract.json"
    export.write_tflite(model, restored.contract({"quantization": "float32"}), path)
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    with pytest.raises(OutputError, match="teacher.tflite: already exists.*--overwrite"):
        export.write_tflite(model, restored.contract({"quantization": "float16"}), path)
    with pytest.raises(OutputError, match="teacher.tflite: already exists"):
        export.export_tflite(exported["workdir"], path)  # refused before anything is restored or converted
    os.rename(path, path + ".moved")
    with pytest.raises(OutputError, match="teacher.contract.json: already exists"):  # the contract alone
        export.write_tflite(model, restored.contract({"quantization": "float16"}), path)
    os.rename(path + ".moved", path)
    fsync, calls = os.fsync, []

    def failing_fsync(fd):  # the disk fills up while the second file of the pair is written
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        fsync(fd)
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        export.write_tflite(model, restored.contract({"quantization": "float16"}), path, overwrite=True)
    monkeypatch.setattr(os, "fsync", fsync)
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)} == before  # no partial files
    export.write_tflite(model, restored.contract({"quantization": "float16"}), path, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["teacher.contract.json", "teacher.tflite"]
    assert export.read_tflite_contract(path) == json.load(open(beside))
    assert json.load(open(beside))["model"]["quantization"] == "float16"


def test_detect_cli_tracks_with_the_calibrated_threshold_and_keeps_its_outputs(exported, tmp_path):
    from model_checks import assert_one_error_line, run_cli
    image = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "frame.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    model = _flatbuffer(exported)
    confidence = np.sort(keypoints_tf.load(exported["tflite"]["float32"]).detect(image).confidence)
    # In the widest gap between two confidences: round-off in the CLI's process (TensorFlow's CPU kernels may
    # differ from this one's) cannot move a keypoint across it.
    below = int(np.argmax(np.diff(confidence))) + 1
    threshold = float(confidence[below - 1] + confidence[below]) / 2
    assert int((confidence < 0.3).sum()) != below  # the default threshold would mark another number visible
    path = str(tmp_path / "model.tflite")
    export.write_tflite(model, exported["restored"].contract(crop=dict(CROP, threshold=threshold)), path)
    overlay, results = tmp_path / "overlay.png", tmp_path / "keypoints.json"
    args = ("-m", "keypoints_tf.detect", f"--model={path}", f"--input={tmp_path / 'frame.png'}",
            f"--output={overlay}", f"--json={results}", "--crop=track")
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    visible = np.asarray(json.load(open(results))["annotations"][0]["keypoints"]).reshape(-1, 3)[:, 2]
    assert sorted(visible.tolist()) == [1] * below + [2] * (17 - below)  # the contract's crop.threshold, not 0.3
    written = {name: (tmp_path / name).read_bytes() for name in ("overlay.png", "keypoints.json")}
    assert_one_error_line(run_cli(*args), str(overlay), "already exists", "--overwrite")
    assert {name: (tmp_path / name).read_bytes() for name in written} == written
    assert run_cli(*args, "--overwrite").returncode == 0


def test_a_legacy_contract_json_is_read_only_for_the_lone_model_of_its_folder(exported, tmp_path):
    good = open(exported["tflite"]["float32"], "rb").read()
    (tmp_path / "old.tflite").write_bytes(good[:good.index(b"PK\x03\x04")])
    (tmp_path / "contract.json").write_text(json.dumps(export.read_tflite_contract(exported["tflite"]["float32"])))
    assert export.read_tflite_contract(str(tmp_path / "old.tflite"))["skeleton"]["name"] == "human17"
    (tmp_path / "other.tflite").write_bytes(good)  # now contract.json could be either model's
    with pytest.raises(ModelFileError, match="no embedded"):
        export.read_tflite_contract(str(tmp_path / "old.tflite"))


def test_onnx_export_matches_keras_and_carries_its_contract(exported, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    from keypoints_tf.export import onnx as onnx_export
    path = str(tmp_path / "model.onnx")
    contract = onnx_export.write_detector_onnx(exported["restored"], path)
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]  # the metadata is the only copy of the contract
    written = open(path, "rb").read()
    with pytest.raises(OutputError, match="model.onnx: already exists.*--overwrite"):
        onnx_export.write_detector_onnx(exported["restored"], path)  # refused before the conversion
    assert open(path, "rb").read() == written
    detector = keypoints_tf.load(path)
    assert detector.contract == contract and contract["model"]["format"] == "onnx"
    data = exported["eval"]
    outputs = [detector.run(image[None]) for image in data["images"]]
    keypoints = np.concatenate([k for k, _ in outputs])
    confidence = np.concatenate([c for _, c in outputs])
    assert keypoints.dtype == np.float32 and keypoints.shape == data["keypoints"].shape
    np.testing.assert_allclose(keypoints, data["keypoints"], atol=TOLERANCE_PX["float32"])
    np.testing.assert_allclose(confidence[:4], exported["confidence"], atol=TOLERANCE_CONFIDENCE["float32"])
    keras_error = _eval_error(exported, data["keypoints"])
    assert abs(_eval_error(exported, keypoints) / keras_error - 1.0) < 1e-3  # within 0.1% of Keras
    image = np.random.default_rng(1).integers(0, 256, (37, 50, 3), dtype=np.uint8)
    expected, scale = _manual_detection(exported, image)
    np.testing.assert_allclose(detector.detect(image).keypoints, expected, atol=2e-3 / scale)


def test_onnx_files_without_contract_or_model_are_model_file_errors(exported, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    from keypoints_tf.export import onnx as onnx_export
    model = onnx_export.convert_detector(exported["restored"])
    bare = tmp_path / "bare.onnx"
    bare.write_bytes(model.SerializeToString())
    with pytest.raises(ModelFileError, match="no 'keypoints_contract.json' in the ONNX metadata"):
        keypoints_tf.load(str(bare))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model" * 100)
    with pytest.raises(ModelFileError, match="onnxruntime cannot load"):
        keypoints_tf.load(str(garbage))


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


def test_load_a_workdir_given_as_a_relative_path(exported, monkeypatch):
    """The checkpoint state file then holds relative paths that already include the workdir."""
    workdir = exported["workdir"]
    monkeypatch.chdir(os.path.dirname(workdir))
    detector = keypoints_tf.load(os.path.basename(workdir))
    image = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    np.testing.assert_allclose(detector.detect(image).keypoints, keypoints_tf.load(workdir).detect(image).keypoints,
                               atol=1e-4)


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


def test_detect_with_a_tracked_crop_on_a_video(exported, tmp_path):
    from keypoints_tf import detect
    from keypoints_tf.crop_region import CropSettings, TrackingDetector
    video = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (96, 64))
    for i in range(4):
        frame = np.full((64, 96, 3), 30, np.uint8)
        cv2.rectangle(frame, (30 + 4 * i, 10), (50 + 4 * i, 60), (200, 180, 160), -1)
        writer.write(frame)
    writer.release()
    detector = TrackingDetector(keypoints_tf.load(exported["tflite"]["float32"]), CropSettings(threshold=0.0))
    summary = detect.run(detector, video, str(tmp_path / "overlay.mp4"), str(tmp_path / "r.json"), threshold=0.0,
                         progress=False)
    assert summary["frames"] == 4
    assert detector.tracker.region(96, 64) is not None  # every keypoint passes threshold 0: it keeps tracking
    keypoints = np.asarray([a["keypoints"] for a in json.load(open(tmp_path / "r.json"))["annotations"]])
    assert keypoints.shape == (4, 3 * 17) and np.all(np.isfinite(keypoints))


def test_detect_on_a_folder_writes_one_overlay_per_image(exported, tmp_path):
    from keypoints_tf import detect
    folder = tmp_path / "images"
    folder.mkdir()
    for name, shape in [("a.png", (30, 40, 3)), ("b.jpg", (50, 20, 3))]:
        cv2.imwrite(str(folder / name), np.full(shape, 128, np.uint8))
    detector = keypoints_tf.load(exported["tflite"]["float32"])
    detect.run(detector, str(folder), str(tmp_path / "out"), str(tmp_path / "r.json"), progress=False)
    assert sorted(os.listdir(tmp_path / "out")) == [detect.OVERLAY_MARKER, "a.png", "b.jpg"]
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
    assert sorted(os.listdir(tmp_path)) == ["golden.json", "golden_contract.json", "golden_crop.json",
                                            "golden_input.png"]
    assert json.load(open(tmp_path / "golden_contract.json")) == export.read_tflite_contract(
        exported["tflite"]["float32"])
    assert 0 < golden["input_tensor_mean"] < 255


def test_student_distills_for_two_steps_and_exports(exported, tmp_path):
    from keypoints_tf.distill import distill
    workdir = str(tmp_path / "student")
    config = load_config_file(os.path.join(REPO, "configs", "distill.py:smoke"))
    config.teacher = exported["workdir"]
    result = distill(config, workdir)
    assert result["step"] == 2 and np.isfinite(result["student_error"])
    written = json.load(open(os.path.join(workdir, "config.json")))  # the config resolved, like training's
    assert written["detector"] == "student" and written["train"]["steps"] == 2
    assert written["image_size"] == 32 and written["student"] == {"num_keypoints": 17, "width": 4}
    from keypoints_tf.export.restore import workdir_data_config  # the data a workdir of either kind was trained on
    teacher_data = workdir_data_config(exported["workdir"])
    assert workdir_data_config(workdir).to_dict() == teacher_data.to_dict() and teacher_data.mask_background
    contract = export.export_tflite(workdir, str(tmp_path / "student.tflite"), "int8", calibration_frames=8)
    assert contract["model"]["kind"] == "student" and contract["model"]["calibration_frames"] == 8
    image = np.random.default_rng(2).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    from_tflite = keypoints_tf.load(str(tmp_path / "student.tflite")).detect(image)
    from_workdir = keypoints_tf.load(workdir).detect(image)
    np.testing.assert_allclose(from_tflite.keypoints, from_workdir.keypoints, atol=1.0)  # int8 vs float
    from keypoints_tf.errors import OutputError, TrainingError
    from keypoints_tf.workdirs import safety
    with pytest.raises(OutputError, match="teacher's workdir"):  # would write over the teacher's config.json
        distill(config, exported["workdir"])
    wider = load_config_file(os.path.join(REPO, "configs", "distill.py:smoke"))
    wider.teacher, wider.student.width = exported["workdir"], 8
    with pytest.raises(TrainingError, match="student.width"):  # another student in a trained workdir
        distill(wider, workdir)
    with safety.locked(workdir):  # a distillation already running there
        with pytest.raises(TrainingError, match="another training run"):
            distill(config, workdir)


def test_a_shipped_model_loads_by_name(exported, tmp_path, monkeypatch):
    """keypoints_tf.list_models() / load(NAME) read keypoints_tf/pretrained/index.json (here a stand-in folder)."""
    from keypoints_tf import pretrained
    shutil.copy(exported["tflite"]["int8"], tmp_path / "tiny_int8.tflite")
    (tmp_path / "index.json").write_text(json.dumps({"models": {"tiny_int8": {"file": "tiny_int8.tflite",
                                                                              "description": "a smoke model"}}}))
    monkeypatch.setattr(pretrained, "FOLDER", str(tmp_path))
    assert keypoints_tf.list_models() == ["tiny_int8"]
    detector = keypoints_tf.load("tiny_int8")
    assert detector.source == str(tmp_path / "tiny_int8.tflite") and detector.skeleton.name == "human17"
    with pytest.raises(ModelFileError, match="shipped detector's name: tiny_int8"):
        keypoints_tf.load("no_such_model")


def test_every_shipped_model_loads_and_runs():
    """The detectors in the package itself: each loads by name and gives keypoints inside its input."""
    names = keypoints_tf.list_models()
    if not names:
        pytest.skip("no detector is shipped in keypoints_tf/pretrained/ yet")
    for name in names:
        detector = keypoints_tf.load(name)
        image = np.full((detector.input_size, detector.input_size, 3), 128, np.uint8)
        detection = detector.detect(image)
        assert detection.keypoints.shape == (detector.skeleton.num_keypoints, 2), name
        assert np.all(np.isfinite(detection.keypoints)) and np.all(np.abs(detection.keypoints) < 2 * detector.input_size)


def test_the_shipped_synthetic_detectors_beat_the_mean_pose():
    """synthetic_int8 and its student on figures of the embedded world they have never seen (a seed of their
    own, backgrounds blacked out by the world's masks as in training): under 0.6x the prior's mean-pose error
    (about 4.0-4.2% against 10.2% when shipped; a model of another world errs 16%)."""
    from keypoints_tf.data import synthetic
    names = [name for name in keypoints_tf.list_models() if name.startswith("synthetic")]
    if not names:
        pytest.skip("no synthetic-world detector is shipped in keypoints_tf/pretrained/")
    for name in names:
        detector, rng = keypoints_tf.load(name), np.random.default_rng(20261207)
        errors, labels = [], []
        for frames, masks, keypoints in synthetic.generate_videos(rng, num_videos=12, num_frames=3, size=64):
            for frame, mask, truth in zip(frames, masks, keypoints):
                found = detector.detect(np.where(mask[..., None] > 0, frame, 0).astype(np.uint8)).keypoints
                errors.append(np.linalg.norm(found - truth, axis=-1).mean() / 64 * 100)
                labels.append(truth)
        mean_pose = synthetic.mean_pose_error(synthetic.sample_prior(rng, 2000, 64), np.stack(labels), 64)
        assert np.mean(errors) < 0.6 * mean_pose, (name, np.mean(errors), mean_pose)


def test_inference_and_export_import_no_training_code(smoke_export, tmp_path):
    """`keypoints_tf.load`, inference and export share only the workdir module and the model builders with
    training: loading a workdir, detecting and exporting import none of the training modules."""
    from model_checks import run_cli
    training = ["keypoints_tf.train", "keypoints_tf.build", "keypoints_tf.gan", "keypoints_tf.supervised",
                "keypoints_tf.losses", "keypoints_tf.evaluate", "keypoints_tf.distill", "keypoints_tf.collapse",
                "keypoints_tf.image_grid", "keypoints_tf.workdirs.safety"]
    code = "\n".join([
        "import sys, numpy as np, keypoints_tf",
        "from keypoints_tf import export, inference",
        f"keypoints_tf.load({smoke_export['workdir']!r}).detect(np.zeros((20, 30, 3), np.uint8))",
        f"export.write_saved_model(export.restore_detector({smoke_export['workdir']!r}), {str(tmp_path / 'sm')!r})",
        f"print([name for name in {training!r} if name in sys.modules])"])
    result = run_cli("-c", code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
