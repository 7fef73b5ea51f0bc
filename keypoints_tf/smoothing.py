"""Temporal smoothing of keypoints in a video: the One-Euro filter, as the Android core does it.

The same filter and parameters as ``android_demo/core`` (``OneEuroFilter``, ``PoseSmoother``): a
low-pass filter whose cutoff rises with the signal's speed, cutoff = min_cutoff + beta * |dx/dt|, with dx/dt
low-passed at d_cutoff; alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi f_c). Timestamps in seconds, cutoffs
in Hz, values in frame pixels. The first sample passes through; a sample whose timestamp is not after the
previous one returns the previous estimate. A keypoint below the confidence threshold passes through raw
and restarts its filter, so that it does not glide in from where it was lost.
"""

from __future__ import annotations

import math

import numpy as np

# The Android demo's defaults (android_demo/README.md, "What the screen shows").
DEFAULT_MIN_CUTOFF = 1.0
DEFAULT_BETA = 0.05
DEFAULT_D_CUTOFF = 1.0


def smoothing_factor(cutoff, dt):
    """alpha for a cutoff (Hz) and a sample interval (s)."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) of an array of independent signals.

    Args:
        min_cutoff: Hz, > 0: lower it until a still subject stops jittering.
        beta: >= 0: raise it until fast motion stops lagging.
        d_cutoff: Hz, > 0: cutoff of the speed estimate (1.0 in the paper).

    Example:
        >>> smoother = OneEuroFilter(min_cutoff=1.0, beta=0.05)
        >>> smoother(np.array([10.0, 20.0]), timestamp=0.0)
        array([10., 20.])
    """

    def __init__(self, min_cutoff: float = DEFAULT_MIN_CUTOFF, beta: float = DEFAULT_BETA,
                 d_cutoff: float = DEFAULT_D_CUTOFF):
        if not (min_cutoff > 0 and beta >= 0 and d_cutoff > 0):
            raise ValueError(f"One-Euro filter needs min_cutoff > 0, beta >= 0 and d_cutoff > 0, got "
                             f"{min_cutoff}, {beta}, {d_cutoff}")
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self._time = None
        self._value = None
        self._derivative = None

    def __call__(self, value, timestamp: float, active=None):
        """The filtered `value` (any shape, float64) at `timestamp` seconds.

        `active` (bool, broadcastable to value): entries that are False pass through raw and restart.
        """
        value = np.asarray(value, np.float64)
        active = np.ones(value.shape, bool) if active is None else np.broadcast_to(active, value.shape)
        if self._value is None or self._value.shape != value.shape:
            self._time, self._value, self._derivative = timestamp, value.copy(), np.zeros_like(value)
            self._fresh = ~active
            return value.copy()
        dt = timestamp - self._time
        if not dt > 0:
            return np.where(active, self._value, value)
        restart = ~active | self._fresh
        derivative = (value - self._value) / dt
        derivative_smoothed = self._derivative + smoothing_factor(self.d_cutoff, dt) * (derivative - self._derivative)
        cutoff = self.min_cutoff + self.beta * np.abs(derivative_smoothed)
        smoothed = self._value + smoothing_factor(cutoff, dt) * (value - self._value)
        self._value = np.where(restart, value, smoothed)
        self._derivative = np.where(restart, 0.0, derivative_smoothed)
        self._fresh = ~active
        self._time = timestamp
        return self._value.copy()

    def reset(self):
        self._value = None


class PoseSmoother:
    """One-Euro smoothing of (K, 2) poses; keypoints with confidence < threshold pass through and restart.

    Args:
        min_cutoff, beta, d_cutoff: `OneEuroFilter` parameters.
        threshold: confidence below which a keypoint is not smoothed (the Android default is 0.3).
    """

    def __init__(self, min_cutoff: float = DEFAULT_MIN_CUTOFF, beta: float = DEFAULT_BETA,
                 d_cutoff: float = DEFAULT_D_CUTOFF, threshold: float = 0.3):
        self.filter = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self.threshold = float(threshold)

    def __call__(self, keypoints, confidence, timestamp: float) -> np.ndarray:
        """(K, 2) frame pixels, (K,) confidence, seconds -> (K, 2) float32 smoothed keypoints."""
        active = (np.asarray(confidence) >= self.threshold)[:, None]
        return self.filter(keypoints, timestamp, active).astype(np.float32)

    def reset(self):
        self.filter.reset()
