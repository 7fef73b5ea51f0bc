"""Command-line exporters (thin wrappers over `keypoints_tf.export`); importable so tests can reach them.

    python export/export_saved_model.py --workdir=runs/synthetic --output=runs/export/saved_model
    python export/export_tflite.py --workdir=runs/synthetic --quantization=int8 --output=runs/export/model.tflite
    python export/write_golden.py --out runs/export     # golden files for the Android tests
"""
