"""Shared fixtures. Two logical CPU devices are configured before TensorFlow runs anything, so that
distribution tests can compare 1 and 2 replicas on a machine without GPUs."""

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(__file__))  # shared check modules (model_checks)

# TensorFlow before keypoints_tf: tests keep TensorFlow's own choice of CPU kernels. On AVX2-only CPUs that is
# Eigen rather than oneDNN, whose per-shape kernel creation costs more than it saves at the tests' tiny shapes
# (a smoke run: 23 s of training instead of 31 there). Subprocess runs of the CLIs get keypoints_tf's default.
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_addoption(parser):
    parser.addoption("--run-large", action="store_true", default=False,
                     help="also run the tests marked large (subprocess kill/signal runs, minutes)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-large"):
        return
    skip = pytest.mark.skip(reason="large: run with --run-large")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """A 32 px synthetic world written to disk once per session: 6 videos x 4 frames."""
    from keypoints_tf.data import synthetic
    out = str(tmp_path_factory.mktemp("world"))
    summary = synthetic.write_world(out, synthetic.WorldConfig(size=32, videos=6, frames=4, prior=40, eval=8, seed=3))
    return out, summary


@pytest.fixture
def tiny_data_config(tiny_world):
    """config.data of configs/custom.py:smoke (bring-your-own folders) pointing at the tiny world."""
    from model_checks import smoke_config
    out, _ = tiny_world
    data = smoke_config("custom").data
    data.update({"videos": f"{out}/videos", "masks": f"{out}/masks", "prior": f"{out}/prior.json",
                 "eval": f"{out}/eval/annotations.json", "train_labels": f"{out}/train_labels.json",
                 "skeleton": "human17"})
    return data


@pytest.fixture(scope="session")
def smoke_trained(tmp_path_factory):
    """configs/synthetic.py:smoke trained once per session: (workdir, config, final metrics).

    Shared by the training and export tests; treat the workdir as read-only (copy it to change it).
    """
    from keypoints_tf import train
    from model_checks import smoke_config
    config = smoke_config()
    workdir = str(tmp_path_factory.mktemp("smoke_trained") / "workdir")
    return workdir, config, train.train_and_evaluate(config, workdir)


@pytest.fixture(scope="session")
def smoke_export(smoke_trained, tmp_path_factory):
    """The smoke-trained detector restored and exported once per session: {"workdir", "restored",
    "saved_model", "tflite" (float32, contract embedded and beside)}. Read-only, like `smoke_trained`."""
    from keypoints_tf import export
    root = tmp_path_factory.mktemp("smoke_export")
    workdir, _, _ = smoke_trained
    restored = export.restore_detector(workdir)
    saved_model = str(root / "saved_model")
    export.write_saved_model(restored, saved_model)
    tflite = str(root / "float32" / "model.tflite")
    export.write_tflite(export.convert_saved_model(saved_model, "float32"),
                        restored.contract({"quantization": "float32"}), tflite)
    return {"workdir": workdir, "restored": restored, "saved_model": saved_model, "tflite": tflite}
