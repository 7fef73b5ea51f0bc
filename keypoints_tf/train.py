"""Training: `python -m keypoints_tf.train --config=configs/synthetic.py --workdir=DIR [--config.FIELD=VALUE]`.

The workdir holds `config.json` (the resolved config), `checkpoints/` (the same command resumes from the
latest one, optimizer state and step included), `logs/` (TensorBoard), `images/` (the latest image grid)
and `metrics.json` (written at the end). `train_and_evaluate(config, workdir)` is the library entry.
One run at a time per workdir, with the config it was started with (`keypoints_tf.workdirs.safety`; `--fresh`
moves an old run aside); Ctrl-C or SIGTERM saves a checkpoint after the current step and stops.
"""

from __future__ import annotations

import copy
import logging
import os
import time

import numpy as np
import tensorflow as tf
import tqdm

from keypoints_tf import budget, build, collapse, evaluate, image_grid, plateau, workdirs
from keypoints_tf.data import pipeline, synthetic
from keypoints_tf.errors import DataError, Interrupted, TrainingError
from keypoints_tf.workdirs import checkpoints, safety

MEAN = tf.distribute.ReduceOp.MEAN


# Data paths that the synthetic source sets to the files of its world.
WORLD_FIELDS = {"videos": "videos", "masks": "masks", "prior": "prior.json", "eval": "eval/annotations.json",
                "eval_masks": "eval/masks", "train_labels": "train_labels.json"}


def prepare_data(config, workdir: str):
    """(config, TrainingData): the run's config with its data paths resolved, and everything loaded.

    For source "synthetic" the world of config.data.world is generated first where needed (in
    config.data.world_dir, "" = <workdir>/world) and the returned copy's paths point into it; the caller's
    `config` is never changed. This resolved config is what the workdir's config.json records.
    """
    if config.data.source == "synthetic":
        world_dir = config.data.world_dir or os.path.join(workdir, "world")
        _write_world(config, world_dir)
        config = copy.deepcopy(config)
        config.data.update({field: os.path.join(world_dir, name) for field, name in WORLD_FIELDS.items()})
    return config, pipeline.load_training_data(config.data, config.image_size)


def _write_world(config, world_dir: str):
    """Writes the synthetic world of config.data.world unless `world_dir` holds it already."""
    world = synthetic.WorldConfig(size=config.image_size, **config.data.world.to_dict())
    existing = synthetic.read_world_config(world_dir)
    if existing != vars(world):
        if existing is not None and config.data.world_dir:  # shared with other runs: never replaced
            raise DataError(f"{world_dir}: holds a synthetic world of another config ({existing}, this run "
                            f"asks for {vars(world)}); set another config.data.world_dir")
        logging.info("writing the synthetic world %s to %s", vars(world), world_dir)
        synthetic.write_world(world_dir, world)


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """'auto': MirroredStrategy over all GPUs when there are several, else the default strategy.
    'multi_worker': MultiWorkerMirroredStrategy over the hosts in TF_CONFIG (see README)."""
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"config.train.strategy must be auto, mirrored, multi_worker or default, got {name!r}")


def is_chief(strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type in ("chief", None) or (
        resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs)


def distributed_step(strategy, step_method, jit_compile=False):
    """A tf.function running `step_method` once per replica and averaging its metrics."""
    @tf.function(jit_compile=jit_compile)
    def run(batch):
        outputs = strategy.run(step_method, args=(batch,))
        return {name: strategy.reduce(MEAN, value, axis=None) for name, value in outputs.items()}
    return run


def distributed_batches(strategy, sampler: pipeline.PairSampler, start_step: int):
    """An iterator of distributed global batches from `start_step` on.

    On one host the global batch is split over the local replicas in order. Across hosts each worker
    builds only its own replicas' slices of the same global batch, so N workers see exactly what one
    process with N replicas sees.
    """
    if strategy.extended._in_multi_worker_mode():  # pylint: disable=protected-access
        replicas = strategy.num_replicas_in_sync

        def dataset_fn(context):
            per_replica = context.get_per_replica_batch_size(sampler.batch_size)
            local = replicas // context.num_input_pipelines
            first = context.input_pipeline_id * local
            return pipeline.training_dataset(sampler, start_step).flat_map(
                lambda batch: tf.data.Dataset.from_tensor_slices(tf.nest.map_structure(
                    lambda x: tf.reshape(x, [replicas, per_replica] + x.shape[1:].as_list())[first:first + local],
                    batch)))
        return iter(strategy.distribute_datasets_from_function(dataset_fn))
    return iter(strategy.experimental_distribute_dataset(pipeline.training_dataset(sampler, start_step)))


def train_and_evaluate(config, workdir: str, strategy: tf.distribute.Strategy | None = None,
                       fresh: bool = False) -> dict:
    """Trains (resuming from the workdir's latest checkpoint) and returns the final metrics.

    Raises TrainingError when another run uses `workdir` or it was trained with another config (`fresh`
    moves the old run aside first), and `errors.Interrupted` after saving a checkpoint on SIGINT/SIGTERM.
    """
    os.makedirs(workdir, exist_ok=True)
    tf.keras.utils.set_random_seed(config.seed)
    strategy = strategy or make_strategy(config.train.strategy)
    chief = is_chief(strategy)
    with safety.guarded(workdir, config, chief, fresh, ignore=derived_fields(config)), \
            safety.StopSignals() as stop:
        return _train_and_evaluate(config, workdir, strategy, chief, stop)


def _train_and_evaluate(config, workdir, strategy, chief, stop) -> dict:
    config, data = prepare_data(config, workdir)
    batch_size = config.train.batch_size
    if batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"config.train.batch_size={batch_size} must be divisible by the "
                         f"{strategy.num_replicas_in_sync} replicas")
    with strategy.scope():  # the optimizers' slots too (build_all): before the first distributed step
        model = build.build_model(config, data.skeleton, batch_size)
        state = checkpoints.TrainingState(model.checkpoint_objects(), config, workdir, chief=chief)
    start_step = state.restore_or_initialize()  # raises before anything in the workdir is overwritten
    if chief:
        workdirs.write_config(workdir, config)
    run = _Run(config, workdir, strategy, chief, data, model, state)
    if start_step >= run.total_steps:
        return run.finished(start_step)
    metrics, step = run.loop(start_step, stop)
    return run.finish(step, metrics)


def derived_fields(config) -> list:
    """Config fields a rerun may change freely: a synthetic world is defined by config.data.world, so where it
    lies and the paths into it are not part of what was trained."""
    if config.data.source != "synthetic":
        return []
    return ["data.world_dir"] + [f"data.{field}" for field in WORLD_FIELDS]


class _Run:
    """One training run's loop, logging, evaluation and roll-backs (built by `_train_and_evaluate`)."""

    def __init__(self, config, workdir, strategy, chief, data, model, state):
        self.config, self.workdir, self.strategy, self.chief = config, workdir, strategy, chief
        self.data, self.model, self.state = data, model, state
        self.supervised = config.method == "supervised"
        self.pretrain_steps = 0 if self.supervised else config.train.regressor_pretrain_steps
        self.fitted = int(model.fitted_steps.numpy())  # > 0: a time budget fitted them before a restart
        self.total_steps = self.pretrain_steps + (self.fitted or config.train.steps)
        self.evaluator = evaluate.Evaluator(model, data, config, model.reference_regressor)

    def finished(self, step: int) -> dict:
        """The run had already finished: its metrics (evaluated again if it was killed before writing them)."""
        logging.info("training already finished at step %d", step)
        metrics = evaluate.read_metrics(self.workdir)
        if not metrics and self.chief:  # killed between the last checkpoint and metrics.json
            metrics = self.evaluator.evaluate()
            metrics.update(step=step, history=evaluate.History(self.workdir, step).entries)
            evaluate.write_metrics(self.workdir, metrics)
        return metrics

    def _start(self, start_step: int):
        """Batches, compiled steps, TensorBoard writer, progress bar, history and the collapse monitor."""
        config, strategy, model = self.config, self.strategy, self.model
        sampler = pipeline.PairSampler(self.data, config.train.batch_size, seed=config.seed,
                                       min_gap=config.data.min_gap, max_gap=config.data.max_gap,
                                       flip=config.data.flip, prior_flip=config.data.prior_flip,
                                       with_labels=self.supervised, unmasked_input=config.data.unmasked_input)
        self.iterator = distributed_batches(strategy, sampler, start_step)
        self.train_step = distributed_step(strategy, model.train_step, config.train.jit_compile)
        self.pretrain_step = None if self.supervised else distributed_step(strategy, model.regressor_pretrain_step)
        log_dir = os.path.join(self.workdir, "logs") if self.chief else os.path.join(
            self.workdir, "logs_workers", str(id(self.state)))
        self.writer = tf.summary.create_file_writer(log_dir)
        self.grid_batch = None if self.supervised else next(iter(pipeline.training_dataset(sampler, 10**9, 1)))
        self.history = evaluate.History(self.workdir if self.chief else None, start_step)
        self.progress = tqdm.tqdm(total=self.total_steps, initial=start_step, desc="train", dynamic_ncols=True,
                                  mininterval=5.0, disable=not self.chief)
        self.started, self.rollbacks = time.time(), []
        window = config.train.regressor_pretrain_window
        self.plateau = plateau.PlateauStop.from_steps(window, config.log.every_steps,
                                                      config.train.regressor_pretrain_min_gain) \
            if window and start_step < self.pretrain_steps else None
        self.monitor = None if self.supervised or config.train.collapse_action == "off" else \
            collapse.CollapseMonitor(config.train.collapse_ratio, config.train.collapse_patience,
                                     healthy_step=max(start_step, self.pretrain_steps))
        self.clock = None
        if config.train.budget_minutes and not self.fitted:
            if strategy.extended._in_multi_worker_mode():  # pylint: disable=protected-access
                logging.warning("train.budget_minutes is not used across several workers (each would time "
                                "itself): the run trains config.train.steps")
            else:
                self.clock = budget.BudgetClock(60.0 * config.train.budget_minutes)

    def loop(self, start_step: int, stop):
        """Trains from `start_step` to the end (or max_minutes); returns (the last evaluation's metrics, step)."""
        self._start(start_step)
        budget, step, metrics = 60.0 * self.config.train.max_minutes, start_step, {}
        if step == 0 and self.pretrain_steps == 0 and not self.supervised:
            self.model.freeze_reference_regressor()  # no pre-training: the reference is eta as initialised
        if not self.strategy.extended._in_multi_worker_mode():  # pylint: disable=protected-access
            stop.arm()  # a checkpoint needs every worker: across hosts a signal stops at once
        while step < self.total_steps:
            if budget and time.time() - self.started > budget:
                logging.info("stopping at step %d: reached max_minutes=%s", step, self.config.train.max_minutes)
                break
            outputs = (self.pretrain_step if step < self.pretrain_steps else self.train_step)(next(self.iterator))
            if not all(np.isfinite(float(v)) for v in outputs.values()):
                step = self._restart_at(_roll_back(self.state, self.model, step, self.rollbacks, outputs,
                                                   self.config.train.max_rollbacks))
                continue
            step += 1
            self.state.step.assign(step)
            why = self._pretraining_stop(step, outputs) if step < self.pretrain_steps else None
            if why:
                step = self._skip_to_gan(step, why)
            if self.clock is not None and step > self.pretrain_steps:
                self._fit_to_budget(step)
            if step == self.pretrain_steps and not self.supervised:
                self.model.freeze_reference_regressor()
            if step % self.config.log.every_steps == 0 or step == self.total_steps:
                restored = self._log(step, outputs)
                if restored is not None:
                    step = self._restart_at(restored)
                    continue
            if step % self.config.log.eval_every_steps == 0 or step == self.total_steps:
                metrics = self._evaluate(step)
            if (self.chief and self.grid_batch is not None and step % self.config.log.image_every_steps == 0
                    and step > self.pretrain_steps):
                image_grid.log_grid(self.model, self.grid_batch, self.writer, step,
                                    os.path.join(self.workdir, "images"))
            self.state.maybe_save(step)
            self.progress.update(1)
            if stop.received:
                _stop_on_signal(self.state, step, stop, self.writer, self.progress)
        return metrics, step

    def _pretraining_stop(self, step: int, outputs) -> str | None:
        """Why eta's pre-training ends now (its prior error stopped falling, or it used its share of the time
        budget), or None."""
        train_config = self.config.train
        if (self.plateau is not None and not step % self.config.log.every_steps
                and self.plateau.update(float(outputs["regressor_prior_error"]))):
            return (f"its prior error fell {100.0 * self.plateau.gain():.1f}% over the last "
                    f"{train_config.regressor_pretrain_window} steps (regressor_pretrain_min_gain="
                    f"{train_config.regressor_pretrain_min_gain})")
        if self.clock is not None and self.clock.pretraining_over(self._elapsed_s()):
            return (f"it used {100 * budget.PRETRAIN_SHARE:.0f}% of train.budget_minutes="
                    f"{train_config.budget_minutes}")
        return None

    def _elapsed_s(self) -> float:
        """Training wall time across restarts, in seconds."""
        return 60.0 * self.history.minutes(time.time() - self.started)

    def _skip_to_gan(self, step: int, why: str) -> int:
        """eta's pre-training ends (`why`): the GAN phase starts now, numbered as in a full run."""
        logging.info("eta's pre-training stopped at step %d of %d: %s; the GAN phase starts, numbered from "
                     "step %d", step, self.pretrain_steps, why, self.pretrain_steps)
        with self.writer.as_default(step=self.pretrain_steps):
            tf.summary.scalar("train/pretrain_stopped_at", step)
        self.progress.update(self.pretrain_steps - step)
        self.state.step.assign(self.pretrain_steps)
        return self.pretrain_steps

    def _fit_to_budget(self, step: int):
        """Once the GAN steps are timed: the run's steps become those that end within train.budget_minutes."""
        seconds_per_step = self.clock.seconds_per_step(step, time.time())
        if seconds_per_step is None:
            return
        configured, every = self.config.train.steps, self.config.log.eval_every_steps
        per_evaluation = self.clock.seconds_per_evaluation()
        steps = budget.fit_steps(self.clock.budget_s, self._elapsed_s(), step - self.pretrain_steps, configured,
                                 seconds_per_step, per_evaluation, every)
        self.clock = None
        self.fitted = steps
        self.model.fitted_steps.assign(steps)
        self.total_steps = self.pretrain_steps + steps
        self.progress.total = self.total_steps  # not reset(): that would restart its clock and its rate
        self.progress.refresh()
        logging.info("train.budget_minutes=%s: %.2f s per step, %.1f s per evaluation (every %d steps), %.1f "
                     "minutes used: the run trains %d of config.train.steps=%d GAN steps (to step %d), and the "
                     "learning-rate schedule spans them", self.config.train.budget_minutes, seconds_per_step,
                     per_evaluation, every, self._elapsed_s() / 60.0, steps, configured, self.total_steps)
        with self.writer.as_default(step=step):
            tf.summary.scalar("train/fitted_steps", steps)

    def _restart_at(self, step: int) -> int:
        """After a roll-back to `step`; a checkpoint older than the budget's fit brought back fitted_steps=0."""
        if self.fitted:
            self.model.fitted_steps.assign(self.fitted)
        self.progress.reset(total=self.total_steps)
        self.progress.update(step)
        return step

    def _log(self, step: int, outputs):
        """Training scalars to TensorBoard and the progress bar, then the collapse alarm: the step rolled back
        to, or None to go on."""
        values = {name: float(value) for name, value in outputs.items()}
        with self.writer.as_default(step=step):
            for name, value in values.items():
                tf.summary.scalar(f"train/{name}", value)
        for tracker in self.model.metrics:
            tracker.reset_state()
        self.progress.set_postfix({k: f"{v:.3g}" for k, v in values.items() if k in _SHOWN}, refresh=False)
        if self.monitor is None or step <= self.pretrain_steps:
            return None
        return _watch_collapse(self.monitor, self.state, self.model, self.config, step, values, self.writer,
                               self.rollbacks)

    def _evaluate(self, step: int) -> dict:
        started = time.time()
        metrics = self.evaluator.evaluate()
        if self.clock is not None:
            self.clock.evaluated(time.time() - started)
        metrics.update(step=step, minutes=self.history.minutes(time.time() - self.started))
        self.history.add(metrics)
        with self.writer.as_default(step=step):
            for name, value in metrics.items():
                if isinstance(value, float):
                    tf.summary.scalar(f"eval/{name}", value)
        logging.info("step %d: %s", step, evaluate.summary_line(metrics))
        return metrics

    def finish(self, step: int, metrics: dict) -> dict:
        """The last checkpoint, a final evaluation unless the last step had one, and metrics.json."""
        self.progress.close()
        self.state.save(step)
        if not metrics or metrics.get("step") != step:
            metrics = self._evaluate(step)
        metrics["history"] = self.history.entries
        if self.chief:
            evaluate.write_metrics(self.workdir, metrics)
        self.writer.flush()
        return metrics


def _stop_on_signal(state, step, stop, writer, progress):
    """SIGINT/SIGTERM arrived during this step: save it and stop with one line (the CLI prints it)."""
    progress.close()
    state.save(step)
    writer.flush()
    raise Interrupted(f"stopped by {stop.name} at step {step}: checkpoint saved in {state.directory}; the same "
                      "command resumes from it", stop.received)


def _roll_back(state, model, step, rollbacks, outputs, max_rollbacks):
    """A non-finite loss: go back to the last good checkpoint (weights and optimizers) and carry on
    with the next batches; stop with a clear message when it keeps happening."""
    rollbacks.append(step)
    bad = {k: float(v) for k, v in outputs.items() if not np.isfinite(float(v))}
    if len(rollbacks) > max_rollbacks:
        raise TrainingError(
            f"training diverged: non-finite losses {bad} at steps {rollbacks}, after {max_rollbacks} roll-backs "
            "to the last good checkpoint. The checkpoints hold no NaN weights; lower config.train.learning_rate "
            "or config.train.clip_norm, or check the data, then rerun the same command to resume.")
    restored = state.restore_latest_good()
    for tracker in model.metrics:
        tracker.reset_state()
    logging.warning("non-finite loss %s at step %d: rolled back to step %d (roll-back %d of at most %d)",
                    bad, step + 1, restored, len(rollbacks), max_rollbacks)
    return restored


def _watch_collapse(monitor, state, model, config, step, values, writer, rollbacks):
    """The collapse alarm (`keypoints_tf.collapse`): returns the step rolled back to, or None to go on."""
    spread, prior = values["keypoint_spread"], values["prior_spread"]
    alarm = monitor.update(step, spread, prior)
    with writer.as_default(step=step):
        tf.summary.scalar("train/spread_ratio", spread / max(prior, 1e-12))
        tf.summary.scalar("train/collapse_alarm", float(alarm))
        if alarm:
            tf.summary.text("train/collapse", monitor.message(step, spread, prior))
    if not alarm:
        return None
    action = config.train.collapse_action
    logging.warning("*** %s Action: %s (config.train.collapse_action). ***", monitor.message(step, spread, prior),
                    action)
    if action == "warn":
        return None
    if action == "rollback" and len(rollbacks) < config.train.max_rollbacks:
        restored = state.restore_at_most(monitor.healthy_step)
        if restored is not None:
            rollbacks.append(step)
            model.learning_rate_scale.assign(model.learning_rate_scale * config.train.collapse_rate_factor)
            for tracker in model.metrics:
                tracker.reset_state()
            monitor.reset(restored)
            logging.warning("rolled back to step %d, learning rates now x%.3g", restored,
                            float(model.learning_rate_scale.numpy()))
            return restored
    state.save(step)
    raise TrainingError(f"{monitor.message(step, spread, prior)} Stopped (config.train.collapse_action={action!r}"
                        + (f", no healthy checkpoint or {len(rollbacks)} roll-backs already" if action == "rollback"
                           else "") + "). Try a lower config.train.learning_rate or config.loss.adversarial_weight.")


_SHOWN = ("reconstruction_loss", "adversarial_loss", "discriminator_loss", "regressor_prior_error",
          "keypoint_spread", "keypoint_loss")


def main(argv):
    del argv
    from absl import flags
    config = flags.FLAGS.config
    metrics = train_and_evaluate(config, flags.FLAGS.workdir, fresh=flags.FLAGS.fresh)
    print(evaluate.summary_line(metrics))


if __name__ == "__main__":
    from absl import app, flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config", None, "Path to a config file in configs/ (add :smoke to shrink it).",
                                    lock_config=True)
    flags.DEFINE_string("workdir", None, "Folder for checkpoints, logs and metrics; a rerun resumes from it.")
    flags.DEFINE_bool("fresh", False, "Start over: rename an existing --workdir to <workdir>.previous-<time> "
                      "(nothing is deleted) and train from scratch.")
    flags.mark_flags_as_required(["config", "workdir"])
    logging.getLogger().setLevel(logging.INFO)
    from keypoints_tf import cli
    app.run(cli.guarded(main))
