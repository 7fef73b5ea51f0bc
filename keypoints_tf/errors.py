"""The project's error types. Each message says what was expected and where."""


class KeypointsError(Exception):
    """Base class of every error raised on purpose by keypoints_tf."""


class DataError(KeypointsError, ValueError):
    """Bad input data: a missing folder, an undecodable video, a malformed annotation file, ..."""


class ModelFileError(KeypointsError, ValueError):
    """A model file (checkpoint, SavedModel, .tflite, contract JSON) that is missing, corrupt or mismatched."""


class TrainingError(KeypointsError, RuntimeError):
    """Training cannot go on (e.g. a run that keeps diverging); the message says what to do."""
