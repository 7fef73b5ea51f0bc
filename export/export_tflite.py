r"""Export a workdir's detector as a .tflite with its contract embedded and NAME.contract.json beside it.

    python export/export_tflite.py --workdir=runs/synthetic --quantization=int8 --output=runs/export/model.tflite \
        [--calibration_frames=200] [--overwrite]

Quantization: float32, float16, dynamic or int8 (calibrated on --calibration_frames training frames of the
workdir's data). Every variant takes uint8 RGB [1, S, S, 3] and returns float32 keypoints [1, K, 2] (input
pixels) and confidence [1, K]. See `keypoints_tf.export.tflite`. An existing --output or the
NAME.contract.json beside it is replaced only with --overwrite (the two are written together).
"""

from absl import app, flags

flags.DEFINE_string("workdir", None, "A training or distillation workdir.")
flags.DEFINE_enum("quantization", "float32", ["float32", "float16", "dynamic", "int8"], "Quantization.")
flags.DEFINE_string("output", None, "The .tflite file to write (NAME.contract.json is written beside NAME.tflite).")
flags.DEFINE_integer("calibration_frames", 200, "int8 only: evenly spaced training frames to calibrate on.")
flags.DEFINE_bool("overwrite", False, "Replace an existing --output and the NAME.contract.json beside it.")


def main(argv):
    del argv
    import os

    from keypoints_tf.contract import beside_path
    from keypoints_tf.export import export_tflite
    f = flags.FLAGS
    contract = export_tflite(f.workdir, f.output, f.quantization, calibration_frames=f.calibration_frames,
                             overwrite=f.overwrite)
    extra = f", calibrated on {contract['model']['calibration_frames']} frames" if f.quantization == "int8" else ""
    print(f"wrote {f.output} ({f.quantization}{extra}, {os.path.getsize(f.output) / 1024:.0f} KB) and "
          f"{os.path.basename(beside_path(f.output))}")


if __name__ == "__main__":
    from keypoints_tf import cli
    flags.mark_flags_as_required(["workdir", "output"])
    app.run(cli.guarded(main))
