"""Nothing lost, nothing silently wrong (issue 16): outputs, workdirs, checkpoints and contracts.

One or more tests per finding of the issue (the number in each section's title); each fails on the code
before the fix. The BVH findings (9) are in test_bvh_mocap.py, the fault test's new stops (4, 5, 11:
kill -9 between an evaluation and its checkpoint, a torn state file, SIGTERM) in test_fault_tolerance.py.
CLI findings are checked through the CLI, in a subprocess.
"""

import collections
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import cv2
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keypoints_tf
from keypoints_tf import contract as contract_lib
from keypoints_tf import detect, evaluate, export, train
from keypoints_tf.data import coco, pipeline, synthetic
from keypoints_tf.errors import DataError, Interrupted, ModelFileError, OutputError, TrainingError
from keypoints_tf.skeleton import get_skeleton
from keypoints_tf.workdirs import safety
from model_checks import REPO, assert_one_error_line, run_cli, smoke_config

HUMAN17 = get_skeleton("human17")


def _snapshot(folder) -> dict:
    """{relative path: bytes} of every file under `folder` but the lock file (each run writes its pid there)."""
    return {os.path.relpath(os.path.join(root, name), folder): open(os.path.join(root, name), "rb").read()
            for root, _, names in os.walk(folder) for name in names if name != safety.LOCK_FILE}


@pytest.fixture
def workdir_copy(smoke_trained, tmp_path):
    """A copy of the session's smoke-trained workdir (its world included), to damage or rerun."""
    source, config, _ = smoke_trained
    workdir = str(tmp_path / "workdir")
    shutil.copytree(source, workdir, ignore=lambda folder, names: {"logs", "images"} & set(names)
                    if folder == source else set())  # the world's eval/images stay
    return workdir, config.copy_and_resolve_references()


def _total(config) -> int:
    return config.train.regressor_pretrain_steps + config.train.steps


# === 1. Export never deletes what --output names ===

def test_export_cli_never_replaces_a_folder_that_is_not_a_saved_model(smoke_export, tmp_path):
    victim = tmp_path / "runs" / "synthetic"  # a training workdir, as swapped flags would name it
    (victim / "checkpoints").mkdir(parents=True)
    (victim / "config.json").write_text("{}")
    (victim / "checkpoints" / "ckpt-1.index").write_bytes(b"weights")
    before = _snapshot(victim)
    result = run_cli("export/export_saved_model.py", f"--workdir={smoke_export['workdir']}", f"--output={victim}",
                     "--overwrite")
    assert_one_error_line(result, str(victim), "not a SavedModel folder")
    assert _snapshot(victim) == before


def test_exports_refuse_an_existing_output_and_replace_it_whole_with_overwrite(smoke_export, tmp_path):
    restored = smoke_export["restored"]
    target = tmp_path / "saved_model"
    shutil.copytree(smoke_export["saved_model"], target)
    (target / "mine.txt").write_text("not from the exporter")
    with pytest.raises(OutputError, match="already exists.*--overwrite"):
        export.write_saved_model(restored, str(target))
    assert (target / "mine.txt").exists()
    export.write_saved_model(restored, str(target), overwrite=True)
    assert (target / "saved_model.pb").is_file() and not (target / "mine.txt").exists()
    assert sorted(os.listdir(tmp_path)) == ["saved_model"]  # no temporary sibling left
    model = open(smoke_export["tflite"], "rb").read()
    (tmp_path / "other.contract.json").write_text("{}")  # a contract already where the new one would go
    with pytest.raises(OutputError, match="other.contract.json: already exists"):
        export.write_tflite(model, restored.contract(), str(tmp_path / "other.tflite"))
    assert not (tmp_path / "other.tflite").exists() and (tmp_path / "other.contract.json").read_text() == "{}"


# === 2. detect never writes over its input ===

def test_detect_cli_refuses_an_output_that_is_its_input(smoke_export, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), np.full((20, 30, 3), 90, np.uint8))
    before = _snapshot(frames)
    for source in (frames / "a.png", frames):  # an image, a folder; every keypoint would be drawn on it
        result = run_cli("-m", "keypoints_tf.detect", f"--model={smoke_export['tflite']}", f"--input={source}",
                         f"--output={source}", "--overwrite", "--threshold=0")
        assert_one_error_line(result, str(source), "also an input")
    assert _snapshot(frames) == before


# === 3. detect leaves existing outputs as they were when it fails part-way; truncated videos ===

def _truncated_video(path, frames=40) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (48, 40))
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8))
    writer.release()
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])  # the header still announces every frame
    return str(path)


def test_detect_cli_on_a_truncated_video_fails_and_keeps_the_old_json(smoke_export, tmp_path):
    video = _truncated_video(tmp_path / "clip.avi")
    results, overlay = tmp_path / "keypoints.json", tmp_path / "overlay.mp4"
    results.write_text('{"old": "results"}')
    result = run_cli("-m", "keypoints_tf.detect", f"--model={smoke_export['tflite']}", f"--input={video}",
                     f"--output={overlay}", f"--json={results}", "--overwrite")
    assert_one_error_line(result, "clip.avi", "of the 40 frames its header announces")
    assert results.read_text() == '{"old": "results"}'
    assert sorted(os.listdir(tmp_path)) == ["clip.avi", "keypoints.json"]  # no overlay, no partial files


def test_detect_failing_on_a_later_image_writes_nothing(smoke_export, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((20, 30, 3), 90, np.uint8))
    (folder / "b.png").write_bytes(b"not a png")
    results = tmp_path / "keypoints.json"
    results.write_text("old")
    detector = keypoints_tf.load(smoke_export["tflite"])
    with pytest.raises(DataError, match="b.png"):
        detect.run(detector, str(folder), str(tmp_path / "overlays"), str(results), progress=False, overwrite=True)
    assert results.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["images", "keypoints.json"]


def test_detect_json_inside_the_output_folder_moves_in_with_it(smoke_export, tmp_path):
    folder, overlays = tmp_path / "images", tmp_path / "overlays"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((20, 30, 3), 90, np.uint8))
    detector = keypoints_tf.load(smoke_export["tflite"])
    for overwrite in (False, True):  # the second run replaces the first one's folder, JSON included
        detect.run(detector, str(folder), str(overlays), str(overlays / "keypoints.json"), progress=False,
                   overwrite=overwrite)
        assert sorted(os.listdir(overlays)) == [detect.OVERLAY_MARKER, "a.png", "keypoints.json"]
        assert json.load(open(overlays / "keypoints.json"))["images"][0]["file_name"] == "../images/a.png"
    assert sorted(os.listdir(tmp_path)) == ["images", "overlays"]


def test_detect_overwrite_never_replaces_a_folder_of_the_users_own_images(smoke_export, tmp_path):
    """Images only, like an overlay folder, but not written by detect: --overwrite must not delete them."""
    folder, photos = tmp_path / "images", tmp_path / "photos"
    folder.mkdir()
    photos.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((20, 30, 3), 90, np.uint8))
    (photos / "holiday.jpg").write_bytes(b"the user's photo")
    detector = keypoints_tf.load(smoke_export["tflite"])
    with pytest.raises(OutputError, match="not a folder of overlays written by detect"):
        detect.run(detector, str(folder), str(photos), progress=False, overwrite=True)
    assert os.listdir(photos) == ["holiday.jpg"] and (photos / "holiday.jpg").read_bytes() == b"the user's photo"


# === 4. A torn or missing checkpoint state file does not restart training from step 0 ===

def test_a_torn_state_file_resumes_from_the_newest_checkpoint_and_is_rebuilt(workdir_copy, caplog):
    workdir, config = workdir_copy
    state_file = os.path.join(workdir, "checkpoints", "checkpoint")
    text = open(state_file, "rb").read()
    open(state_file, "wb").write(text[:len(text) // 2])
    assert evaluate.evaluate_workdir(workdir)["step"] == _total(config)  # read-only: the file is left as it is
    assert open(state_file, "rb").read() == text[:len(text) // 2]
    with caplog.at_level("WARNING"):
        assert train.train_and_evaluate(config, workdir)["step"] == _total(config)  # finished: nothing retrained
    assert "rebuilt it from the 3 checkpoints on disk" in caplog.text
    assert tf.train.latest_checkpoint(os.path.dirname(state_file)).endswith(f"ckpt-{_total(config)}")


def test_a_missing_state_file_still_loads_the_newest_checkpoint(workdir_copy):
    workdir, config = workdir_copy
    os.remove(os.path.join(workdir, "checkpoints", "checkpoint"))
    detector = keypoints_tf.load(workdir)  # export/restore: read-only, nothing rewritten
    assert detector.restored.checkpoint.endswith(f"ckpt-{_total(config)}")
    assert not os.path.exists(os.path.join(workdir, "checkpoints", "checkpoint"))


# === 5. history.jsonl: one entry per evaluated step, in order, whatever kills left in it ===

def _entry(step, minutes):
    return json.dumps({"step": step, "minutes": minutes, "error": 10.0 - step})


def test_history_survives_kills_between_evaluation_and_checkpoint_and_torn_lines(tmp_path):
    path = tmp_path / "history.jsonl"
    # 6 evaluated, killed before its checkpoint, resumed from 4: 6 again; then a line cut short by a kill.
    path.write_text("\n".join([_entry(2, 1.0), _entry(4, 2.0), _entry(6, 3.0), _entry(6, 3.4), _entry(8, 4.0)])
                    + '\n{"step": 10, "minu')
    history = evaluate.History(str(tmp_path))
    assert [e["step"] for e in history.entries] == [2, 4, 6, 8]
    assert history.entries[2]["minutes"] == 3.4 and history.minutes(60.0) == pytest.approx(5.0)
    history.add({"step": 10, "minutes": 5.0, "error": 0.0})
    again = evaluate.History(str(tmp_path))
    assert [e["step"] for e in again.entries] == [2, 4, 6, 8, 10]  # the torn fragment stays on its own line
    assert [e["step"] for e in evaluate.History(str(tmp_path), resumed_step=6).entries] == [2, 4, 6]


def test_history_after_a_roll_back_keeps_the_run_that_went_on(tmp_path):
    (tmp_path / "history.jsonl").write_text("\n".join([_entry(2, 1), _entry(4, 2), _entry(6, 3), _entry(4, 4)]) + "\n")
    assert [e["step"] for e in evaluate.History(str(tmp_path)).entries] == [2, 4]


# === 6. One config per workdir; worlds are whole ===

def test_train_cli_refuses_a_finished_workdir_with_another_config(workdir_copy):
    workdir, _ = workdir_copy
    before = _snapshot(workdir)
    result = run_cli("-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke", f"--workdir={workdir}",
                     "--config.data.world.videos=8")
    assert_one_error_line(result, workdir, "data.world.videos: 6 -> 8", "--fresh")
    assert _snapshot(workdir) == before  # config.json, the world and metrics.json as they were


def test_fresh_moves_the_old_run_aside_and_deletes_nothing(workdir_copy):
    workdir, config = workdir_copy
    config.data.world.videos = 8
    before = _snapshot(workdir)
    with pytest.raises(TrainingError, match="another config"):
        with safety.guarded(workdir, config):
            pass
    with safety.guarded(workdir, config, fresh=True):
        assert os.listdir(workdir) == [safety.LOCK_FILE]
    [moved] = [p for p in os.listdir(os.path.dirname(workdir)) if p.startswith("workdir.previous-")]
    assert _snapshot(os.path.join(os.path.dirname(workdir), moved)) == before


def test_a_world_written_over_another_keeps_nothing_of_it(tmp_path):
    world = str(tmp_path / "world")
    synthetic.write_world(world, synthetic.WorldConfig(size=32, videos=3, frames=2, prior=4, eval=2))
    synthetic.write_world(world, synthetic.WorldConfig(size=32, videos=2, frames=2, prior=4, eval=2))
    assert sorted(os.listdir(os.path.join(world, "videos"))) == ["video_0000", "video_0001"]
    assert sorted(os.listdir(tmp_path)) == ["world"]
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a synthetic world"):
        synthetic.write_world(str(tmp_path / "notes"), synthetic.WorldConfig(size=32, videos=2, frames=2))
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"


def test_a_shared_world_of_another_config_is_not_rewritten(tmp_path):
    config = smoke_config()
    config.data.world_dir = str(tmp_path / "world")
    synthetic.write_world(config.data.world_dir,
                          synthetic.WorldConfig(size=32, **dict(config.data.world.to_dict(), videos=3)))
    before = _snapshot(config.data.world_dir)
    with pytest.raises(DataError, match="holds a synthetic world of another config"):
        train.prepare_data(config, str(tmp_path / "run"))
    assert _snapshot(config.data.world_dir) == before


# === 7. Contracts between a workdir, its weights and its data ===

def test_load_refuses_a_workdir_whose_image_size_was_edited(smoke_trained, tmp_path):
    workdir = tmp_path / "workdir"
    shutil.copytree(smoke_trained[0], workdir, ignore=shutil.ignore_patterns("world", "logs", "images"))
    config = json.load(open(workdir / "config.json"))
    config["image_size"] = 64
    (workdir / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="trained at image_size=32.*says 64"):
        keypoints_tf.load(str(workdir))


def _prior(path, names, name="human17", keypoints=None):
    keypoints = [[5.0 + i, 10.0, 2] for i in range(len(names))] if keypoints is None else keypoints
    data = {"images": [{"id": 1, "width": 32, "height": 32}],
            "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "keypoints": sum(keypoints, [])}],
            "categories": [{"id": 1, "name": name, "keypoints": names, "skeleton": [[1, 2]]}]}
    path.write_text(json.dumps(data))
    return str(path)


def test_a_prior_called_human17_must_have_human17s_keypoints(tiny_data_config, tmp_path):
    names = list(HUMAN17.keypoint_names[:15])
    prior = _prior(tmp_path / "prior.json", names)
    config = tiny_data_config
    config.update(prior=prior, eval="", train_labels="", skeleton="human17")
    with pytest.raises(DataError, match=r"prior\.json: the category is named 'human17'.* 15 keypoints"):
        pipeline.load_training_data(config, 32)
    config.prior = _prior(tmp_path / "custom.json", names, name="custom")  # whatever the category is called
    with pytest.raises(DataError, match=r"custom\.json: the prior's skeleton 'custom' has 15 keypoints"):
        pipeline.load_training_data(config, 32)


def test_prior_keypoints_far_outside_their_image_are_refused_with_file_and_annotation(tmp_path):
    names = list(HUMAN17.keypoint_names)
    keypoints = [[5.0, 10.0, 2] for _ in names]
    keypoints[3] = [-5000.0, 10.0, 2]
    path = _prior(tmp_path / "prior.json", names, keypoints=keypoints)
    with pytest.raises(DataError, match=r"prior\.json: annotation id 7: keypoint 'r_ankle' at \(-5000, 10\) px is far "
                                        r"outside its 32 x 32 image"):
        coco.read_coco_keypoints(path)
    keypoints[3] = [-5000.0, 10.0, 0]  # marked missing: fine
    _prior(tmp_path / "prior.json", names, keypoints=keypoints)
    assert len(coco.read_coco_keypoints(path)) == 1


# === 8. The .tflite and its contract: checked before anything runs ===

def _split(tflite: bytes):
    """(the flatbuffer, the embedded contract) of an exported .tflite."""
    with zipfile.ZipFile(io.BytesIO(tflite)) as archive:
        start = min(info.header_offset for info in archive.infolist())
        return tflite[:start], json.loads(archive.read(contract_lib.ENTRY_NAME))


def _edits(contract):
    reversed_names = json.loads(json.dumps(contract))
    reversed_names["skeleton"]["keypoint_names"] = reversed_names["skeleton"]["keypoint_names"][::-1]
    edges = json.loads(json.dumps(contract))
    edges["skeleton"]["edges"] = edges["skeleton"]["edges"][:-1]
    normalization = json.loads(json.dumps(contract))
    normalization["input"]["normalization"].update(scale=1.0 / 255.0, offset=0.0)
    return {"names reversed": reversed_names, "an edge less": edges, "normalisation": normalization}


def test_a_contract_edited_after_export_is_refused(smoke_export, tmp_path):
    model, contract = _split(open(smoke_export["tflite"], "rb").read())
    for what, edited in _edits(contract).items():
        path = tmp_path / "edited.tflite"
        path.write_bytes(contract_lib.embed_in_tflite(model, edited))  # a consistent ZIP, CRC and all
        with pytest.raises(ModelFileError, match="the contract was changed after export"):
            keypoints_tf.load(str(path))
    folder = tmp_path / "beside"  # a bare flatbuffer with an edited contract.json beside it
    folder.mkdir()
    (folder / "model.tflite").write_bytes(model)
    (folder / "contract.json").write_text(json.dumps(_edits(contract)["names reversed"]))
    with pytest.raises(ModelFileError, match="contract.json.*changed after export"):
        keypoints_tf.load(str(folder / "model.tflite"))
    (folder / "contract.json").write_text(json.dumps(contract))
    assert keypoints_tf.load(str(folder / "model.tflite")).skeleton.keypoint_names == HUMAN17.keypoint_names


def test_a_contract_that_would_inflate_beyond_the_limit_is_refused_unread(smoke_export, tmp_path):
    model, contract = _split(open(smoke_export["tflite"], "rb").read())
    padded = contract_lib.seal(dict(contract, padding=" " * (2 * contract_lib.MAX_CONTRACT_BYTES)), model)
    buffer = io.BytesIO(model)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(contract_lib.ENTRY_NAME, json.dumps(padded))
    path = tmp_path / "bomb.tflite"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < len(model) + 100_000
    with pytest.raises(ModelFileError, match=r"would inflate to \d+ bytes, more than a contract may have"):
        keypoints_tf.load(str(path))


@pytest.fixture(scope="module")
def reference_detection(smoke_export, tmp_path_factory):
    """The float32 export's path and bytes, two fixed images and its keypoints and confidences on them."""
    images = [np.random.default_rng(seed).integers(0, 256, (24 + 8 * seed, 40, 3), dtype=np.uint8) for seed in (0, 1)]
    detector = keypoints_tf.load(smoke_export["tflite"])
    outputs = [(d.keypoints, d.confidence) for d in map(detector.detect, images)]
    return dict(path=smoke_export["tflite"], data=open(smoke_export["tflite"], "rb").read(), images=images,
                outputs=outputs, folder=tmp_path_factory.mktemp("corrupt"))


def _corrupt(data: bytes, kind: str, position: int, payload: bytes) -> bytes:
    if kind == "append":  # junk after the file, as a careless copy or transfer leaves
        return data + payload
    if kind == "truncate":
        return data[:position]
    if kind == "flip":
        return data[:position] + bytes([data[position] ^ (payload[0] or 1)]) + data[position + 1:]
    return data[:position] + payload + data[position + len(payload):]  # 16 bytes overwritten


CORRUPTIONS = collections.Counter()


def test_corrupted_models_are_refused_or_give_identical_outputs(reference_detection):
    """Property: a corrupted .tflite (16 random bytes, a flipped byte or a truncation, in the flatbuffer or in
    its ZIP, or 16 bytes appended; with or without the exporter's model.contract.json beside it) is refused with
    ModelFileError or runs with bitwise the same outputs; never with other outputs."""
    ref = reference_detection
    data, zip_start = ref["data"], len(_split(ref["data"])[0])

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(kind=st.sampled_from(["overwrite16", "flip", "truncate", "append"]), in_zip=st.booleans(),
           offset=st.integers(0, 10 ** 9), payload=st.binary(min_size=16, max_size=16), beside=st.booleans())
    def check(kind, in_zip, offset, payload, beside):
        start, end = (zip_start, len(data)) if in_zip else (0, zip_start)
        position = start + offset % (end - start - 16)
        path = ref["folder"] / ("beside" if beside else "alone") / "model.tflite"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_corrupt(data, kind, position, payload))
        if beside:
            shutil.copy(contract_lib.beside_path(ref["path"]), contract_lib.beside_path(str(path)))
        CORRUPTIONS["cases"] += 1
        CORRUPTIONS[f"{kind} {'zip' if in_zip else 'flatbuffer'}"] += 1
        try:
            detector = keypoints_tf.load(str(path))
        except ModelFileError:
            CORRUPTIONS["rejected"] += 1
            CORRUPTIONS[f"{kind} rejected"] += 1
            return
        for image, (keypoints, confidence) in zip(ref["images"], ref["outputs"]):
            detection = detector.detect(image)
            assert np.array_equal(detection.keypoints, keypoints) and np.array_equal(
                detection.confidence, confidence), f"{kind} at byte {position} ran with other outputs"
        CORRUPTIONS["identical"] += 1

    check()
    print(f"\ncorrupted models: {dict(CORRUPTIONS)}")
    assert CORRUPTIONS["cases"] == 300 == CORRUPTIONS["rejected"] + CORRUPTIONS["identical"]


# === 10. One error handler: one line for our errors and for unwritable outputs ===

def test_train_and_evaluate_clis_report_data_errors_in_one_line(tmp_path):
    result = run_cli("-m", "keypoints_tf.train", "--config=configs/custom.py:smoke", f"--workdir={tmp_path / 'run'}",
                     f"--config.data.videos={tmp_path / 'missing'}", f"--config.data.prior={tmp_path / 'p.json'}")
    assert_one_error_line(result, str(tmp_path / "p.json"))
    result = run_cli("-m", "keypoints_tf.evaluate", f"--workdir={tmp_path / 'nothing'}")
    assert_one_error_line(result, str(tmp_path / "nothing"), "no config.json")


def test_detect_cli_reports_unwritable_outputs_in_one_line(smoke_export, tmp_path):
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.full((20, 30, 3), 90, np.uint8))
    (tmp_path / "file").write_text("a file, not a folder")
    for output, message in ((tmp_path / "file" / "sub" / "out.png", "Not a directory"),
                            (tmp_path / "out.xyz", "OpenCV could not write")):
        result = run_cli("-m", "keypoints_tf.detect", f"--model={smoke_export['tflite']}", f"--input={image}",
                         f"--output={output}")
        assert_one_error_line(result, str(output.parent if message == "Not a directory" else output), message)


@pytest.mark.large
def test_a_full_disk_during_training_is_one_line(tmp_path):
    import resource

    def small_files():  # writes past 1 MB fail (EFBIG) as on a full disk, instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = run_cli("-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke", f"--workdir={tmp_path / 'w'}",
                     preexec_fn=small_files)
    assert_one_error_line(result, str(tmp_path / "w" / "checkpoints"), "could not write the checkpoint of step 2",
                          "rerun the same command")


# === 11. Ctrl-C and SIGTERM save a checkpoint; one run per workdir ===

@pytest.mark.large
def test_ctrl_c_saves_a_checkpoint_and_prints_one_line(tmp_path):
    workdir, log = tmp_path / "w", tmp_path / "log.txt"
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke", f"--workdir={workdir}",
             "--config.train.steps=1000", "--config.log.eval_every_steps=1",
             "--config.log.checkpoint_every_steps=1000"], cwd=REPO, env=env, stdout=output, stderr=output)
        deadline = time.time() + 300
        while not (workdir / "history.jsonl").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.1)  # the first evaluation: the training loop runs
        process.send_signal(signal.SIGINT)
        process.wait(timeout=300)
    stderr = log.read_text()
    lines = [line for line in stderr.splitlines() if line.startswith("stopped by SIGINT")]
    assert process.returncode == 130 and len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    step = int(lines[0].split("at step ")[1].split(":")[0])
    assert tf.train.latest_checkpoint(str(workdir / "checkpoints")).endswith(f"ckpt-{step}") and step >= 1


def test_train_cli_refuses_a_workdir_another_run_is_using(workdir_copy):
    workdir, _ = workdir_copy
    before = _snapshot(workdir)
    with safety.locked(workdir):
        result = run_cli("-m", "keypoints_tf.train", "--config=configs/synthetic.py:smoke", f"--workdir={workdir}")
    assert_one_error_line(result, workdir, f"another training run is using this workdir (pid {os.getpid()}")
    assert _snapshot(workdir) == before


def test_a_signal_during_a_library_run_saves_and_raises_interrupted(tmp_path, monkeypatch):
    original = train.evaluate.History.add

    def add_then_sigterm(self, metrics):  # SIGTERM arrives during the first evaluated step
        original(self, metrics)
        os.kill(os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(train.evaluate.History, "add", add_then_sigterm)
    config = smoke_config()
    config.log.eval_every_steps, config.log.checkpoint_every_steps = 1, 1000
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted, match="stopped by SIGTERM at step 1") as raised:
        train.train_and_evaluate(config, str(tmp_path / "w"))
    assert raised.value.signal_number == signal.SIGTERM
    assert tf.train.latest_checkpoint(str(tmp_path / "w" / "checkpoints")).endswith("ckpt-1")
    assert signal.getsignal(signal.SIGTERM) == handler  # restored


# === 12. README: what is never overwritten, what to trust ===

def test_readme_says_what_to_trust_and_no_longer_promises_too_much():
    readme = open(os.path.join(REPO, "README.md")).read()
    section = readme.split("### Safety: what is never overwritten, what to trust")[1].split("\n## ")[0]
    for phrase in ("only SavedModels you trust", "data only", "Python", "--overwrite", "--fresh", "SIGTERM"):
        assert phrase in section, phrase
    assert "loses nothing" not in readme


# === Found in review: what else could be replaced or moved unasked ===

def test_a_folder_output_never_takes_the_place_of_a_file(tmp_path):
    from keypoints_tf import atomic
    target = tmp_path / "world"
    target.write_text("the user's file")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        synthetic.write_world(str(target), synthetic.WorldConfig(size=32, videos=1, frames=2, prior=4, eval=2))
    assert target.read_text() == "the user's file" and os.listdir(tmp_path) == ["world"]
    with pytest.raises(OutputError, match="exists and is not a folder"), atomic.replacing(str(target)) as partial:
        os.makedirs(partial)
    assert target.read_text() == "the user's file" and os.listdir(tmp_path) == ["world"]


def test_an_output_that_appears_during_a_run_is_kept_and_so_is_the_runs(tmp_path):
    """Without --overwrite the check is made again at the rename: another run's file or folder is not replaced."""
    from keypoints_tf import atomic
    target = tmp_path / "overlay.mp4"
    with pytest.raises(OutputError, match="appeared while this run was writing it"):
        with atomic.replacing(str(target), overwrite=False) as partial:
            open(partial, "w").write("this run")
            target.write_text("another run")  # finished first
    kept = [name for name in os.listdir(tmp_path) if name.startswith("overlay.new-")]
    assert target.read_text() == "another run" and len(kept) == 1 and kept[0].endswith(".mp4")
    assert (tmp_path / kept[0]).read_text() == "this run"
    folder = tmp_path / "clips"
    with pytest.raises(OutputError, match="appeared while"), atomic.replacing(str(folder), overwrite=False) as partial:
        os.makedirs(partial)
        folder.mkdir()
    assert sorted(os.listdir(tmp_path)) == sorted(["overlay.mp4", kept[0], "clips", f"clips.new-{os.getpid()}"])
    with atomic.replacing(str(target), overwrite=False) as partial:  # nothing there: placed as usual
        target.unlink()
        open(partial, "w").write("placed")
    assert target.read_text() == "placed"


def test_fresh_moves_only_a_workdir(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"jpeg")
    with pytest.raises(OutputError, match="holds no config.json or checkpoints"):
        safety.move_aside(str(folder))
    assert os.listdir(tmp_path) == ["photos"]


def test_evaluate_leaves_a_running_trainings_checkpoint_in_progress_alone(workdir_copy):
    workdir_copy, _ = workdir_copy
    in_progress = os.path.join(workdir_copy, "checkpoints", "ckpt-99_temp")  # what TF writes before renaming
    os.makedirs(in_progress)
    state_file = open(os.path.join(workdir_copy, "checkpoints", "checkpoint")).read()
    metrics = evaluate.evaluate_workdir(workdir_copy)
    assert metrics["step"] > 0 and np.isfinite(metrics["error"])
    assert os.path.isdir(in_progress)
    assert open(os.path.join(workdir_copy, "checkpoints", "checkpoint")).read() == state_file


def test_a_workdir_written_before_newer_config_fields_still_resumes(workdir_copy):
    """An upgrade adds config fields and renames one: the old run must still pass the config check."""
    workdir, config = workdir_copy
    path = os.path.join(workdir, "config.json")
    recorded = json.loads(open(path).read())
    del recorded["train"]["regressor_pretrain_window"]        # a field added later
    del recorded["train"]["precision"]
    recorded["train"]["mixed_precision"] = False              # the old name of train.precision
    with open(path, "w") as f:
        json.dump(recorded, f)
    derived = train.derived_fields(config)
    with safety.guarded(workdir, config, ignore=derived):
        pass
    config.train.regressor_pretrain_window = 500             # the new field set otherwise is a change
    with pytest.raises(TrainingError, match="train.regressor_pretrain_window"):
        with safety.guarded(workdir, config, ignore=derived):
            pass
    config.train.regressor_pretrain_window = 0
    config.loss.equivariance_weight += 1.0                   # a real change is still refused
    with pytest.raises(TrainingError, match="loss.equivariance_weight"):
        with safety.guarded(workdir, config, ignore=derived):
            pass
