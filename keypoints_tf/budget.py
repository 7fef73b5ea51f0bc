"""Fitting a run to a wall-clock budget (`train.budget_minutes`).

The same config runs several times slower on some CPUs than on others (README, "Speed"), and a schedule
that ends on time on one stops half-way on another, its learning rate never decayed. With a budget:
* eta's pre-training ends, at the latest, once it has used `PRETRAIN_SHARE` of the budget;
* after `WARMUP` + `WINDOW` GAN (or supervised) steps, the seconds per step are measured (evaluations
  apart, which are added at their measured cost), and the run's steps become the number that ends within
  the budget, never more than `train.steps`. The learning-rate schedule (hold, then decay) spans them.
The fitted number is saved in checkpoints (`model.fitted_steps`): a resumed run keeps it.
"""

from __future__ import annotations

import dataclasses
import math

PRETRAIN_SHARE = 0.25  # the most of the budget eta's pre-training may use
WARMUP = 5             # GAN steps not timed (the first one traces the step function)
WINDOW = 40            # GAN steps timed
MARGIN = 0.97          # of the remaining time planned for (checkpoints, image grids, noise)


def fit_steps(budget_s: float, elapsed_s: float, steps_done: int, configured_steps: int, seconds_per_step: float,
              seconds_per_evaluation: float, eval_every_steps: int) -> int:
    """The run's GAN steps: those done plus what fits in the rest of the budget, at most `configured_steps`.

    One evaluation's time is kept for the final one; the others are spread over the steps.
    """
    per_step = seconds_per_step + seconds_per_evaluation / max(eval_every_steps, 1)
    left = MARGIN * (budget_s - elapsed_s) - seconds_per_evaluation
    more = math.floor(left / per_step) if per_step > 0 else configured_steps
    return int(min(configured_steps, max(steps_done, steps_done + more)))


@dataclasses.dataclass
class BudgetClock:
    """Times a run's GAN steps (evaluations excluded) and says when to fit; `budget_s`: the budget in seconds."""

    budget_s: float
    evaluation_seconds: list = dataclasses.field(default_factory=list)
    _first: int | None = None      # the first GAN step this process ran (again after a roll-back)
    _started: tuple | None = None  # (step, wall time) when the timed window began
    _paused_s: float = 0.0         # evaluation time inside the timed window

    def pretraining_over(self, elapsed_s: float) -> bool:
        return elapsed_s > PRETRAIN_SHARE * self.budget_s

    def evaluated(self, seconds: float):
        self.evaluation_seconds.append(seconds)
        if self._started is not None:
            self._paused_s += seconds

    def seconds_per_step(self, step: int, now: float) -> float | None:
        """Called after each GAN step (global number `step`, wall time `now`): the seconds per step once the
        window is timed, None before."""
        if self._first is None or step <= self._first:
            self._first, self._started = step, None
            return None
        if step - self._first == WARMUP:
            self._started, self._paused_s = (step, now), 0.0
        if self._started is None or step - self._started[0] != WINDOW:
            return None
        return (now - self._started[1] - self._paused_s) / WINDOW

    def seconds_per_evaluation(self) -> float:
        """The mean of the last three evaluations (the first one also traces)."""
        recent = self.evaluation_seconds[-3:]
        return sum(recent) / len(recent) if recent else 0.0
