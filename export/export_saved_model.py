"""Export a workdir's detector as a SavedModel (signature serving_default: image uint8 -> keypoints, confidence).

    python export/export_saved_model.py --workdir=runs/synthetic --output=runs/export/saved_model

The contract JSON goes to <output>/assets/keypoints_contract.json. See `keypoints_tf.export.saved_model`.
"""

from absl import app, flags

flags.DEFINE_string("workdir", None, "A training or distillation workdir.")
flags.DEFINE_string("output", None, "The SavedModel folder to write (replaced if it exists).")


def main(argv):
    del argv
    from keypoints_tf.errors import KeypointsError
    from keypoints_tf.export import export_saved_model
    try:
        contract = export_saved_model(flags.FLAGS.workdir, flags.FLAGS.output)
    except KeypointsError as e:
        raise SystemExit(f"error: {e}")
    shape = contract["input"]["shape"]
    print(f"wrote {flags.FLAGS.output}: {contract['skeleton']['name']} ({len(contract['skeleton']['keypoint_names'])} "
          f"keypoints), input {shape} uint8")


if __name__ == "__main__":
    flags.mark_flags_as_required(["workdir", "output"])
    app.run(main)
