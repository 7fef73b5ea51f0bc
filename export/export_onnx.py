r"""Export a workdir's detector as ONNX, with its contract in the model's metadata.

    python export/export_onnx.py --workdir=runs/synthetic --output=runs/export/model.onnx [--opset=17] [--overwrite]

The model takes uint8 RGB [1, S, S, 3] (`image`) and returns float32 `keypoints` [1, K, 2] (input pixels) and
`confidence` [1, K], like the TFLite variants; `keypoints_tf.load("model.onnx")` runs it in onnxruntime.
Needs the onnx extra (pip install -e ".[onnx]"). See `keypoints_tf.export.onnx`. An existing --output is
replaced only with --overwrite.
"""

from absl import app, flags

flags.DEFINE_string("workdir", None, "A training or distillation workdir.")
flags.DEFINE_string("output", None, "The .onnx file to write.")
flags.DEFINE_integer("opset", 17, "ONNX opset.")
flags.DEFINE_bool("overwrite", False, "Replace an existing --output.")


def main(argv):
    del argv
    import os

    from keypoints_tf.export.onnx import export_onnx
    f = flags.FLAGS
    contract = export_onnx(f.workdir, f.output, f.opset, overwrite=f.overwrite)
    print(f"wrote {f.output} (opset {f.opset}, {os.path.getsize(f.output) / 1024:.0f} KB, "
          f"{contract['skeleton']['name']}, input {contract['input']['shape']} uint8; contract in the metadata)")


if __name__ == "__main__":
    from keypoints_tf import cli
    flags.mark_flags_as_required(["workdir", "output"])
    app.run(cli.guarded(main))
