"""Parity and speed of the exported detector: Keras vs SavedModel vs TFLite float32/float16/dynamic/int8 vs ONNX.

    python benchmarks/export_benchmark.py --workdir=runs/synthetic [--student=runs/student] \
        [--reference_model=../shared/data/reference_models/pose_landmark_full.tflite --runs=100]

Prints one table. For each variant: the keypoint error on the workdir's evaluation split (% of the image
size, `keypoints_tf.metrics.keypoint_metrics`), its change relative to the Keras float error, the largest
keypoint difference from Keras (input pixels), the file size, and the median latency of one batch-1
inference in `ai_edge_litert` on 1 and 2 threads (`--runs` runs after 5 warm-up runs; the input is a real
evaluation image). The ONNX row (`export/export_onnx.py`, float32) is timed the same way in onnxruntime's CPU
provider with 1 and 2 intra-op threads (skipped, with a line saying so, without the onnx extra). MediaPipe
BlazePose Full (`pose_landmark_full.tflite`, 256 px float input) is timed in the same run for comparison
(skipped, with a line saying so, where the file is absent). With --student, the student's rows (Keras,
float32, int8 and ONNX at its own input size) follow, with their error change relative to the
teacher's Keras error. Targets (issue 4): int8 within +5% of Keras, float16 within +1%; the student int8
no slower than BlazePose Full and within +10% of its teacher.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REFERENCE = os.path.join(os.path.dirname(REPO), "shared", "data", "reference_models",
                                 "pose_landmark_full.tflite")


def median_ms(invoke, runs: int, warmup: int = 5) -> float:
    """Median wall time (ms) of `runs` calls of `invoke()` after `warmup` calls."""
    times = []
    for i in range(runs + warmup):
        start = time.perf_counter()
        invoke()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def median_latency_ms(path: str, image: np.ndarray | None, threads: int, runs: int) -> float:
    """Median wall time (ms) of `runs` invocations of a .tflite in ai_edge_litert (after 5 warm-up runs)."""
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    if image is None:  # a reference model: random input of its own shape and type
        image = np.random.default_rng(0).random(detail["shape"]).astype(detail["dtype"])
    interpreter.set_tensor(detail["index"], image.astype(detail["dtype"]))
    return median_ms(interpreter.invoke, runs)


def onnx_session(path: str, threads: int):
    """An onnxruntime CPU session with `threads` intra-op threads (and one inter-op thread)."""
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def onnx_latency_ms(path: str, image: np.ndarray, threads: int, runs: int) -> float:
    """Median wall time (ms) of one batch-1 run of an .onnx in onnxruntime (after 5 warm-up runs)."""
    session = onnx_session(path, threads)
    return median_ms(lambda: session.run(["keypoints"], {"image": image}), runs)


def onnx_keypoints(path: str, images: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, K, 2) input-pixel keypoints from an .onnx (batch 1, 2 threads)."""
    session = onnx_session(path, 2)
    return np.concatenate([session.run(["keypoints"], {"image": image[None]})[0] for image in images])


def onnx_available() -> bool:
    import importlib.util
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tf2onnx"))


def tflite_keypoints(path: str, images: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, K, 2) input-pixel keypoints from a .tflite (batch 1, 2 threads)."""
    from ai_edge_litert.interpreter import Interpreter
    runner = Interpreter(model_path=path, num_threads=2).get_signature_runner("serving_default")
    return np.concatenate([runner(image=image[None])["keypoints"] for image in images])


def keras_keypoints(restored, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, K, 2) input-pixel keypoints from the Keras networks as trained."""
    import tensorflow as tf

    from keypoints_tf.data.letterbox import to_model_range
    call = tf.function(lambda x: restored.reference(x, training=False)["keypoints"])
    out = [call(to_model_range(images[i:i + batch_size])).numpy()
           for i in range(0, len(images), batch_size)]
    return (np.concatenate(out) + 1.0) * (restored.image_size / 2.0)


def benchmark_detector(workdir: str, label: str, quantizations, runs: int, calibration_frames: int,
                       scratch: str, with_saved_model: bool = True, baseline_error: float | None = None,
                       with_onnx: bool = False):
    """Rows (dicts) for one detector: Keras, SavedModel, each TFLite quantization, then ONNX."""
    import tensorflow as tf

    from keypoints_tf import export
    from keypoints_tf.data import pipeline
    from keypoints_tf.metrics import keypoint_metrics
    restored = export.restore_detector(workdir)
    size = restored.image_size
    data = pipeline.load_training_data(restored.data_config, size)
    if data.eval_images is None:
        raise SystemExit(f"{workdir}: its data has no evaluation split (config.data.eval); nothing to measure")
    images, target, visible = data.eval_images, data.eval_keypoints, data.eval_visible

    def error(keypoints_pixels):
        return keypoint_metrics(keypoints_pixels * (2.0 / size) - 1.0, target, restored.skeleton, visible)["error"]

    reference = keras_keypoints(restored, images)
    keras_error = error(reference)
    base = keras_error if baseline_error is None else baseline_error
    rows = [dict(model=label, variant=f"keras {size}px", error=keras_error, base=base, diff=0.0)]
    saved_model = os.path.join(scratch, f"{label}_saved_model")
    export.write_saved_model(restored, saved_model, overwrite=True)  # its own scratch folder
    if with_saved_model:
        signature = tf.saved_model.load(saved_model).signatures["serving_default"]
        predicted = np.concatenate([signature(image=tf.constant(image[None]))["keypoints"].numpy()
                                    for image in images])
        rows.append(dict(model=label, variant="saved_model", error=error(predicted), base=base,
                         diff=float(np.abs(predicted - reference).max())))
    frames = export.load_frames(restored, calibration_frames) if "int8" in quantizations else None
    for quantization in quantizations:
        path = os.path.join(scratch, f"{label}_{quantization}.tflite")
        model = export.convert_saved_model(saved_model, quantization, frames)
        export.write_tflite(model, restored.contract({"quantization": quantization}), path, overwrite=True)
        predicted = tflite_keypoints(path, images)
        rows.append(dict(model=label, variant=f"tflite {quantization}", error=error(predicted), base=base,
                         diff=float(np.abs(predicted - reference).max()), size_kb=os.path.getsize(path) / 1024,
                         ms1=median_latency_ms(path, images[:1], 1, runs),
                         ms2=median_latency_ms(path, images[:1], 2, runs)))
    if with_onnx:
        from keypoints_tf.export import onnx as onnx_export
        path = os.path.join(scratch, f"{label}.onnx")
        onnx_export.write_detector_onnx(restored, path)
        predicted = onnx_keypoints(path, images)
        rows.append(dict(model=label, variant="onnx float32 (onnxruntime)", error=error(predicted), base=base,
                         diff=float(np.abs(predicted - reference).max()), size_kb=os.path.getsize(path) / 1024,
                         ms1=onnx_latency_ms(path, images[:1], 1, runs),
                         ms2=onnx_latency_ms(path, images[:1], 2, runs)))
    return rows, keras_error, len(images)


def format_table(rows) -> str:
    header = ["model", "variant", "error %", "vs base", "max |d| px", "size KB", "ms 1 thr", "ms 2 thr"]
    lines = []
    for row in rows:
        def number(key, pattern):
            return pattern.format(row[key]) if row.get(key) is not None else "-"
        relative = (f"{100.0 * (row['error'] / row['base'] - 1.0):+.2f}%"
                    if row.get("error") is not None and row.get("base") else "-")
        lines.append([row["model"], row["variant"], number("error", "{:.3f}"), relative, number("diff", "{:.4f}"),
                      number("size_kb", "{:.0f}"), number("ms1", "{:.2f}"), number("ms2", "{:.2f}")])
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    render = lambda cells: "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)  # noqa: E731
                                     for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(line) for line in lines])


def main(argv):
    del argv
    from absl import flags
    f = flags.FLAGS
    quantizations = ["float32", "float16", "dynamic", "int8"]
    with tempfile.TemporaryDirectory() as scratch:
        with_onnx = onnx_available()
        rows, teacher_error, count = benchmark_detector(f.workdir, "detector", quantizations, f.runs,
                                                        f.calibration_frames, scratch, with_onnx=with_onnx)
        if os.path.isfile(f.reference_model):
            rows.append(dict(model="blazepose_full", variant="tflite 256px float", error=None,
                             size_kb=os.path.getsize(f.reference_model) / 1024,
                             ms1=median_latency_ms(f.reference_model, None, 1, f.runs),
                             ms2=median_latency_ms(f.reference_model, None, 2, f.runs)))
            reference_note = f.reference_model
        else:
            reference_note = f"{f.reference_model} not found: BlazePose not timed"
        if f.student:
            student_rows, _, _ = benchmark_detector(f.student, "student", ["float32", "int8"], f.runs,
                                                    f.calibration_frames, scratch, with_saved_model=False,
                                                    baseline_error=teacher_error, with_onnx=with_onnx)
            rows += student_rows
    print(f"workdir {f.workdir}: {count} evaluation images; error in % of the image size; 'vs base' = relative "
          "change from the Keras error (the teacher's for student rows); max |d| = largest keypoint difference "
          f"from Keras in input px; latency = median of {f.runs} runs, ai_edge_litert (onnxruntime for onnx"
          f"{'' if with_onnx else ': not installed, pip install -e .[onnx]; no ONNX row'}); "
          f"reference: {reference_note}")
    print(format_table(rows))


if __name__ == "__main__":
    sys.path.insert(0, REPO)
    from absl import app, flags
    flags.DEFINE_string("workdir", None, "A trained workdir (python -m keypoints_tf.train).")
    flags.DEFINE_string("student", "", "A distilled student workdir (python -m keypoints_tf.distill), optional.")
    flags.DEFINE_string("reference_model", DEFAULT_REFERENCE, "MediaPipe pose_landmark_full.tflite to time alongside.")
    flags.DEFINE_integer("runs", 50, "Timed runs per latency measurement (median).")
    flags.DEFINE_integer("calibration_frames", 200, "int8 calibration frames.")
    flags.mark_flags_as_required(["workdir"])
    app.run(main)
