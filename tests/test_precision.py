"""Automatic precision (keypoints_tf.precision): the choice for each kind of hardware, with the query faked."""

import json
import logging
import os
import platform
import subprocess
import sys

import pytest

from keypoints_tf import precision, workdirs
from keypoints_tf.config import get_default_config

AVX2 = ["sse4_2", "avx", "avx2", "fma"]
AMX = AVX2 + ["avx512f", "avx512_bf16", "amx_bf16", "amx_tile"]


@pytest.mark.parametrize("flags, gpus, cap, expected", [
    (AVX2, [], "", "float32"),                       # AMD EPYC / laptops: bfloat16 would be emulated
    (AMX, [], "", "bfloat16"),                       # Sapphire Rapids and newer
    (AVX2 + ["avx512f", "avx512_bf16"], [], "", "bfloat16"),   # Cooper Lake / Zen 4: AVX512-BF16 alone
    (AMX, [], "AVX2", "float32"),                    # oneDNN capped to AVX2: the bfloat16 units are unused
    (AVX2, [(8, 0)], "", "bfloat16"),                # A100
    (AVX2, [(9, 0), (9, 0)], "", "bfloat16"),        # H100 x 2
    (AMX, [(7, 5)], "", "float32"),                  # T4: the GPU decides, and has no bfloat16 units
    (AMX, [(8, 6), (7, 0)], "", "float32"),          # mixed GPUs: the oldest decides
])
def test_auto_picks_what_the_hardware_runs_natively(flags, gpus, cap, expected):
    chosen, why = precision.choose("auto", cpu_flags=flags, gpu_capabilities=gpus, isa_cap=cap)
    assert chosen == expected and why.startswith("auto: ")


def test_forced_choices_and_bad_values():
    assert precision.choose("float32", cpu_flags=AMX, gpu_capabilities=[])[0] == "float32"
    assert precision.choose("bfloat16", cpu_flags=AVX2, gpu_capabilities=[])[0] == "bfloat16"
    with pytest.raises(ValueError, match="config.train.precision must be one of"):
        precision.choose("fp16")


def test_one_log_line_says_what_was_picked(caplog, monkeypatch):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: AVX2)
    monkeypatch.setattr(precision, "_gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "onednn_state", lambda: "on")
    precision.resolve.cache_clear()
    config = get_default_config()
    with caplog.at_level(logging.INFO):
        assert precision.policy_name(config) == "float32"
        assert precision.policy_name(config) == "float32"
    lines = [r.message for r in caplog.records if r.message.startswith("precision:")]
    assert lines == ["precision: float32 (auto: this CPU has no AMX-BF16/AVX512-BF16 (bfloat16 would be emulated, "
                     "4-11x slower)); TensorFlow's oneDNN CPU kernels: on"]
    precision.resolve.cache_clear()


def test_workdirs_written_with_mixed_precision_still_load(tmp_path):
    config = get_default_config().to_dict()
    del config["train"]["precision"]
    config["train"]["mixed_precision"] = True     # the field of older versions
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert workdirs.load_config(str(tmp_path)).train.precision == "bfloat16"
    config["train"]["mixed_precision"] = False
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert workdirs.load_config(str(tmp_path)).train.precision == "float32"


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN default: x86 only")
def test_importing_keypoints_tf_turns_onednn_on_before_tensorflow_loads_and_keeps_a_users_choice():
    """TensorFlow leaves oneDNN's CPU kernels off on AVX2-only CPUs (3x slower training there)."""
    script = ("import os, keypoints_tf, tensorflow; from keypoints_tf import precision; "
              "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], precision.onednn_state())")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}

    def run(**extra):
        out = subprocess.run([sys.executable, "-c", script], env={**env, **extra}, capture_output=True, text=True,
                             check=True)
        return out.stdout.split()[-2:]
    assert run() == ["1", "on"]
    assert run(TF_ENABLE_ONEDNN_OPTS="0") == ["0", "off"]
