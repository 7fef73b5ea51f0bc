"""Stopping eta's pre-training once its prior error stops falling.

eta's pre-training (`KeypointGAN.regressor_pretrain_step`) regresses rendered prior poses: it never sees an
image, and after a while each step buys little. `train.regressor_pretrain_steps` is then the most it runs:
with `train.regressor_pretrain_window` > 0, training compares the mean prior error of the last window of
steps with the window before it, and when it fell by less than `train.regressor_pretrain_min_gain` (a
fraction) the GAN phase starts at once. The step counter jumps to `regressor_pretrain_steps`, so that every
step number after it (schedules, checkpoints, evaluations) means what it means in a full run.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class PlateauStop:
    """Fed the prior error at each logging step (the mean since the last one); `update` says when to stop.

    Attributes:
        window: values per window (the window in steps / the logging interval).
        min_gain: stop when the last window's mean fell by less than this fraction below the one before.
        values: what was fed, oldest first.
    """

    window: int
    min_gain: float
    values: list = dataclasses.field(default_factory=list)

    @classmethod
    def from_steps(cls, window_steps: int, every_steps: int, min_gain: float) -> "PlateauStop":
        return cls(max(1, round(window_steps / max(every_steps, 1))), min_gain)

    def update(self, value: float) -> bool:
        self.values.append(float(value))
        return len(self.values) >= 2 * self.window and self.gain() < self.min_gain

    def gain(self) -> float:
        """How much the last window's mean fell below the one before, as a fraction (needs two windows)."""
        last = sum(self.values[-self.window:])
        before = sum(self.values[-2 * self.window:-self.window])
        return 1.0 - last / max(before, 1e-12)
