"""The project's error types. Each message says what was expected and where."""


class KeypointsError(Exception):
    """Base class of every error raised on purpose by keypoints_tf."""


class DataError(KeypointsError, ValueError):
    """Bad input data: a missing folder, an undecodable video, a malformed annotation file, ..."""


class ModelFileError(KeypointsError, ValueError):
    """A model file (checkpoint, SavedModel, .tflite, contract JSON) that is missing, corrupt or mismatched."""


class OutputError(KeypointsError, ValueError):
    """An output that would replace something it must not: an existing file or folder, or an input."""


class TrainingError(KeypointsError, RuntimeError):
    """Training cannot go on (e.g. a run that keeps diverging); the message says what to do."""


class Interrupted(KeyboardInterrupt):
    """Training stopped by SIGINT or SIGTERM after saving a checkpoint; the message says where it stopped."""

    def __init__(self, message: str, signal_number: int):
        super().__init__(message)
        self.signal_number = signal_number
