"""Which precision to train in: bfloat16 where the hardware runs it natively, float32 elsewhere.

`config.train.precision`:
* ``"auto"`` (every shipped config): bfloat16 on a GPU of compute capability >= 8.0 (Ampere and newer) or
  a CPU with AMX-BF16 / AVX512-BF16 instructions; float32 otherwise. On CPUs without those instructions
  (AVX2-only laptops, most cloud VMs and older servers) bfloat16 is emulated and measured 4-11x slower
  than float32, and GPUs before Ampere (T4, V100) have no bfloat16 units either.
  ``ONEDNN_MAX_CPU_ISA`` capped below AVX512_CORE_BF16 counts as "no bfloat16 instructions".
* ``"bfloat16"`` / ``"float32"``: forced.

Training and evaluation run under the Keras policy `policy_name(config)` ("mixed_bfloat16": bfloat16
compute, float32 variables); everything exported is float32 (TFLite has no bfloat16 kernels).
"""

from __future__ import annotations

import functools
import logging
import os

CHOICES = ("auto", "bfloat16", "float32")
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) under which bfloat16 instructions are not used.
_ISA_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


def choose(setting: str, cpu_flags=None, gpu_capabilities=None, isa_cap=None) -> tuple[str, str]:
    """("bfloat16" or "float32", why). The hardware arguments default to this machine (tests pass fakes).

    cpu_flags: the CPU's feature flags (lower case); gpu_capabilities: (major, minor) per visible GPU;
    isa_cap: the ONEDNN_MAX_CPU_ISA value, if any.
    """
    if setting not in CHOICES:
        raise ValueError(f"config.train.precision must be one of {CHOICES}, got {setting!r}")
    if setting != "auto":
        return setting, "set in the config"
    gpus = _gpu_capabilities() if gpu_capabilities is None else list(gpu_capabilities)
    if gpus:
        oldest = min(tuple(c) for c in gpus)
        if oldest >= (8, 0):
            return "bfloat16", f"auto: GPU compute capability {oldest[0]}.{oldest[1]} >= 8.0 runs bfloat16 natively"
        return "float32", (f"auto: GPU compute capability {oldest[0]}.{oldest[1]} < 8.0 has no bfloat16 units")
    flags = set(_cpu_flags() if cpu_flags is None else cpu_flags)
    found = [flag for flag in BF16_CPU_FLAGS if flag in flags]
    isa_cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "") if isa_cap is None else isa_cap
    if found and isa_cap.upper() in _ISA_WITHOUT_BF16:
        return "float32", f"auto: ONEDNN_MAX_CPU_ISA={isa_cap} hides this CPU's {'/'.join(found)}"
    if found:
        return "bfloat16", f"auto: this CPU has {'/'.join(found)} (bfloat16 runs natively)"
    return "float32", "auto: this CPU has no AMX-BF16/AVX512-BF16 (bfloat16 would be emulated, 4-11x slower)"


@functools.lru_cache(maxsize=None)
def resolve(setting: str) -> str:
    """`choose` for this machine, logged once per setting and process."""
    precision, why = choose(setting)
    logging.info("precision: %s (%s); TensorFlow's oneDNN CPU kernels: %s", precision, why, onednn_state())
    return precision


def onednn_state() -> str:
    """"on", "off" (TensorFlow was imported before keypoints_tf, or TF_ENABLE_ONEDNN_OPTS=0) or "unknown"."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # pylint: disable=import-outside-toplevel
        return "on" if _pywrap_util_port.IsMklEnabled() else "off"
    except (ImportError, AttributeError):
        return "unknown"


def policy_name(config) -> str:
    """The Keras dtype policy a config trains and evaluates under."""
    return "mixed_bfloat16" if resolve(config.train.precision) == "bfloat16" else "float32"


def _cpu_flags() -> list:
    try:
        import cpuinfo
        return [flag.lower() for flag in cpuinfo.get_cpu_info().get("flags", [])]
    except Exception:  # pylint: disable=broad-except  # unknown platforms: treat as no bfloat16
        logging.warning("could not read the CPU's feature flags; assuming no bfloat16 instructions")
        return []


def _gpu_capabilities() -> list:
    import tensorflow as tf
    out = []
    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        out.append(tuple(capability) if capability else (0, 0))
    return out
