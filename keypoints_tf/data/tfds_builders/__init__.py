"""TFDS builders for the paper's benchmarks; importing this package registers them with tensorflow-datasets.

* ``simple_human36m``: Simplified Human3.6M (Zhang et al. 2018), `simple_human36m.SimpleHuman36m`.
* ``faces300w``: 300-W with 68 landmarks, configs ``original`` and ``crop128``, `faces300w.Faces300w`.
* ``voxceleb2_face_tracks``: VoxCeleb2-style unlabelled face tracks, `voxceleb2_face_tracks.Voxceleb2FaceTracks`.

Each reads the dataset's own on-disk format from a manual folder (see each builder's
``MANUAL_DOWNLOAD_INSTRUCTIONS``)::

    tfds build simple_human36m --imports keypoints_tf.data.tfds_builders --manual_dir DIR [--data_dir OUT]
    python -m keypoints_tf.data.tfds_builders simple_human36m --manual_dir DIR [--data_dir OUT]

(the second does the same without the ``tfds`` CLI, which in tensorflow-datasets 4.9.10 does not start
unless apache-beam is installed). Keypoints are in `keypoints_tf.skeleton`'s pixel convention.
"""

from keypoints_tf.data.tfds_builders.faces300w import Faces300w
from keypoints_tf.data.tfds_builders.simple_human36m import SimpleHuman36m
from keypoints_tf.data.tfds_builders.voxceleb2_face_tracks import Voxceleb2FaceTracks

BUILDERS = {builder.name: builder for builder in (SimpleHuman36m, Faces300w, Voxceleb2FaceTracks)}
