"""Export a workdir's detector as a SavedModel (signature serving_default: image uint8 -> keypoints, confidence).

    python export/export_saved_model.py --workdir=runs/synthetic --output=runs/export/saved_model [--overwrite]

The contract JSON goes to <output>/assets/keypoints_contract.json. See `keypoints_tf.export.saved_model`.
The folder is written beside <output> and renamed into place when complete; an existing <output> is replaced
only with --overwrite, and only if it is a SavedModel folder.
"""

from absl import app, flags

flags.DEFINE_string("workdir", None, "A training or distillation workdir.")
flags.DEFINE_string("output", None, "The SavedModel folder to write (must not exist, unless --overwrite).")
flags.DEFINE_bool("overwrite", False, "Replace an existing SavedModel folder at --output.")


def main(argv):
    del argv
    from keypoints_tf.export import export_saved_model
    f = flags.FLAGS
    contract = export_saved_model(f.workdir, f.output, overwrite=f.overwrite)
    shape = contract["input"]["shape"]
    print(f"wrote {f.output}: {contract['skeleton']['name']} ({len(contract['skeleton']['keypoint_names'])} "
          f"keypoints), input {shape} uint8")


if __name__ == "__main__":
    from keypoints_tf import cli
    flags.mark_flags_as_required(["workdir", "output"])
    app.run(cli.guarded(main))
