"""The collapse alarm: Phi drawing one skeleton for every image.

The adversarial game has a degenerate answer: a single plausible skeleton satisfies the discriminator
whatever the image. Its signature is the keypoints' spread across a batch (`gan.keypoint_spread`) falling
far below the spread of the prior's poses. `CollapseMonitor` watches the ratio at every logging step of the
GAN phase; when it stays below `config.train.collapse_ratio` for `config.train.collapse_patience` steps it
raises the alarm, and training (`keypoints_tf.train`) acts as `config.train.collapse_action` asks:

* ``"warn"``: a loud log line and TensorBoard's ``train/collapse_alarm``, then keep going;
* ``"rollback"``: go back to the newest checkpoint written while the spread was healthy, multiply every
  learning rate by `config.train.collapse_rate_factor`, and go on (at most `config.train.max_rollbacks` times);
* ``"stop"``: save and stop with a `TrainingError` that says what happened;
* ``"off"``: no monitoring.
"""

from __future__ import annotations

import dataclasses

ACTIONS = ("warn", "rollback", "stop", "off")


@dataclasses.dataclass
class CollapseMonitor:
    """Tracks the spread ratio; `update` returns True when the alarm goes off.

    Attributes:
        ratio: alarm threshold on keypoint spread / prior spread.
        patience: steps the ratio must stay below `ratio` (measured between logging steps).
        healthy_step: the last step at which the ratio was at or above the threshold.
        low_since: the first step of the current low stretch, or None.
        alarm_step: the step of the last alarm (the next one needs another whole stretch), or None.
    """

    ratio: float = 0.25
    patience: int = 200
    healthy_step: int = 0
    low_since: int | None = None
    alarm_step: int | None = None

    def update(self, step: int, keypoint_spread: float, prior_spread: float) -> bool:
        value = keypoint_spread / max(prior_spread, 1e-12)
        if value >= self.ratio:
            self.healthy_step, self.low_since, self.alarm_step = step, None, None
            return False
        if self.low_since is None:
            self.low_since = step
        if step - max(self.healthy_step, self.alarm_step or 0) < self.patience:
            return False
        self.alarm_step = step
        return True

    def reset(self, step: int):
        """After a roll-back to `step`: a fresh watch from there."""
        self.healthy_step, self.low_since, self.alarm_step = step, None, None

    def message(self, step: int, keypoint_spread: float, prior_spread: float) -> str:
        return (f"COLLAPSE ALARM at step {step}: the keypoints' spread across a batch is {keypoint_spread:.4f}, "
                f"{keypoint_spread / max(prior_spread, 1e-12):.2f}x the prior's {prior_spread:.4f} (threshold "
                f"{self.ratio}x) since step {self.low_since}: the detector gives nearly the same skeleton for "
                f"every image. Last healthy step: {self.healthy_step}.")
