"""Builds one of the datasets from its manual folder: the `tfds build` step, without the tfds CLI.

    python -m keypoints_tf.data.tfds_builders NAME[/CONFIG] --manual_dir DIR [--data_dir OUT]

NAME is simple_human36m, faces300w (configs original, crop128) or voxceleb2_face_tracks.
"""

import argparse
import os
import sys

import tensorflow_datasets as tfds

from keypoints_tf.data.tfds_builders import BUILDERS
from keypoints_tf.errors import DataError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m keypoints_tf.data.tfds_builders", description=__doc__)
    parser.add_argument("dataset", help=f"one of {sorted(BUILDERS)}, optionally NAME/CONFIG")
    parser.add_argument("--manual_dir", required=True, help="the unpacked dataset")
    parser.add_argument("--data_dir", default=os.path.expanduser("~/tensorflow_datasets"))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    name, _, config = args.dataset.partition("/")
    if name not in BUILDERS:
        raise DataError(f"unknown dataset {name!r}; expected one of {sorted(BUILDERS)}")
    builder = BUILDERS[name](data_dir=args.data_dir, config=config or None)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=args.manual_dir))
    print(builder.info)
    return builder


if __name__ == "__main__":
    from keypoints_tf import cli
    cli.run(main)
