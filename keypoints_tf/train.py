"""Training: `python -m keypoints_tf.train --config=configs/synthetic.py --workdir=DIR [--config.FIELD=VALUE]`.

The workdir holds `config.json` (the resolved config), `checkpoints/` (the same command resumes from the
latest one, optimizer state and step included), `logs/` (TensorBoard), `images/` (the latest image grid)
and `metrics.json` (written at the end). `train_and_evaluate(config, workdir)` is the library entry.
"""

from __future__ import annotations

import json
import logging
import os
import time

import numpy as np
import tensorflow as tf
import tqdm

from keypoints_tf import build, checkpoints, evaluate, image_grid
from keypoints_tf.data import pipeline, synthetic

MEAN = tf.distribute.ReduceOp.MEAN


def prepare_data(config, workdir: str) -> pipeline.TrainingData:
    """Resolves the data source (generating the synthetic world if needed) and loads everything."""
    if config.data.source == "synthetic":
        world_dir = config.data.world_dir or os.path.join(workdir, "world")
        world = synthetic.WorldConfig(size=config.image_size, **config.data.world.to_dict())
        summary_path = os.path.join(world_dir, "summary.json")
        existing = json.load(open(summary_path))["config"] if os.path.isfile(summary_path) else None
        if existing != vars(world):
            logging.info("writing the synthetic world %s to %s", vars(world), world_dir)
            synthetic.write_world(world_dir, world)
        with config.unlocked():
            config.data.videos = os.path.join(world_dir, "videos")
            config.data.masks = os.path.join(world_dir, "masks")
            config.data.prior = os.path.join(world_dir, "prior.json")
            config.data.eval = os.path.join(world_dir, "eval", "annotations.json")
            config.data.eval_masks = os.path.join(world_dir, "eval", "masks")
            config.data.train_labels = os.path.join(world_dir, "train_labels.json")
    elif config.data.source != "folders":
        raise ValueError(f"config.data.source must be 'synthetic' or 'folders', got {config.data.source!r}")
    return pipeline.load_training_data(config.data, config.image_size)


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """'auto': MirroredStrategy over all GPUs when there are several, else the default strategy."""
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"strategy must be auto, mirrored or default, got {name!r}")


def distributed_step(strategy, step_method, jit_compile=False):
    """A tf.function running `step_method` once per replica and averaging its metrics."""
    @tf.function(jit_compile=jit_compile)
    def run(batch):
        outputs = strategy.run(step_method, args=(batch,))
        return {name: strategy.reduce(MEAN, value, axis=None) for name, value in outputs.items()}
    return run


def train_and_evaluate(config, workdir: str, strategy: tf.distribute.Strategy | None = None) -> dict:
    """Trains (resuming from the workdir's latest checkpoint) and returns the final metrics."""
    os.makedirs(workdir, exist_ok=True)
    tf.keras.utils.set_random_seed(config.seed)
    if config.train.mixed_precision:
        tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    data = prepare_data(config, workdir)
    strategy = strategy or make_strategy()
    batch_size = config.train.batch_size
    if batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"config.train.batch_size={batch_size} must be divisible by the "
                         f"{strategy.num_replicas_in_sync} replicas")
    with strategy.scope():
        model = build.build_model(config, data.skeleton, batch_size)
        state = checkpoints.TrainingState(model, config, workdir)
    start_step = state.restore_or_initialize()  # raises before anything in the workdir is overwritten
    with open(os.path.join(workdir, "config.json"), "w") as f:
        f.write(config.to_json_best_effort(indent=2))
    supervised = config.method == "supervised"
    pretrain_steps = 0 if supervised else config.train.regressor_pretrain_steps
    total_steps = pretrain_steps + config.train.steps
    if start_step >= total_steps:
        logging.info("training already finished at step %d", start_step)
        return evaluate.read_metrics(workdir)

    sampler = pipeline.PairSampler(data, batch_size, seed=config.seed, min_gap=config.data.min_gap,
                                   max_gap=config.data.max_gap, flip=config.data.flip,
                                   prior_flip=config.data.prior_flip, with_labels=supervised)
    dataset = strategy.experimental_distribute_dataset(pipeline.training_dataset(sampler, start_step))
    iterator = iter(dataset)
    train_step = distributed_step(strategy, model.train_step, config.train.jit_compile)
    pretrain_step = None if supervised else distributed_step(strategy, model.regressor_pretrain_step)
    evaluator = evaluate.Evaluator(model, data, config, state.reference_regressor)
    writer = tf.summary.create_file_writer(os.path.join(workdir, "logs"))
    grid_batch = None if supervised else next(iter(pipeline.training_dataset(sampler, 10**9, 1)))

    progress = tqdm.tqdm(total=total_steps, initial=start_step, desc="train", dynamic_ncols=True,
                         mininterval=5.0)
    started, budget = time.time(), 60.0 * config.train.max_minutes
    step, metrics, history = start_step, {}, []
    while step < total_steps:
        if budget and time.time() - started > budget:
            logging.info("stopping at step %d: reached max_minutes=%s", step, config.train.max_minutes)
            break
        in_pretraining = step < pretrain_steps
        outputs = (pretrain_step if in_pretraining else train_step)(next(iterator))
        step += 1
        state.step.assign(step)
        if step == pretrain_steps and not supervised:
            state.freeze_reference_regressor()
        if step % config.log.every_steps == 0 or step == total_steps:
            values = {name: float(value) for name, value in outputs.items()}
            with writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(f"train/{name}", value)
            for tracker in model.metrics:
                tracker.reset_state()
            progress.set_postfix({k: f"{v:.3g}" for k, v in values.items() if k in _SHOWN}, refresh=False)
        if step % config.log.eval_every_steps == 0 or step == total_steps:
            metrics = evaluator.evaluate()
            metrics.update(step=step, minutes=(time.time() - started) / 60.0)
            history.append({k: metrics[k] for k in ("step", "minutes", "error") if k in metrics})
            with writer.as_default(step=step):
                for name, value in metrics.items():
                    if isinstance(value, float):
                        tf.summary.scalar(f"eval/{name}", value)
            logging.info("step %d: %s", step, evaluate.summary_line(metrics))
        if grid_batch is not None and (step % config.log.image_every_steps == 0) and step > pretrain_steps:
            image_grid.log_grid(model, grid_batch, writer, step, os.path.join(workdir, "images"))
        state.maybe_save(step)
        progress.update(1)
    progress.close()
    state.save(step)
    if not metrics or metrics.get("step") != step:
        metrics = evaluator.evaluate()
        metrics.update(step=step, minutes=(time.time() - started) / 60.0)
    metrics["history"] = history
    evaluate.write_metrics(workdir, metrics)
    writer.flush()
    return metrics


_SHOWN = ("reconstruction_loss", "adversarial_loss", "discriminator_loss", "regressor_prior_error",
          "keypoint_spread", "keypoint_loss")


def main(argv):
    del argv
    from absl import flags
    config = flags.FLAGS.config
    metrics = train_and_evaluate(config, flags.FLAGS.workdir)
    print(evaluate.summary_line(metrics))


if __name__ == "__main__":
    from absl import app, flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config", None, "Path to a config file in configs/ (add :smoke to shrink it).",
                                    lock_config=True)
    flags.DEFINE_string("workdir", None, "Folder for checkpoints, logs and metrics; a rerun resumes from it.")
    flags.mark_flags_as_required(["config", "workdir"])
    logging.getLogger().setLevel(logging.INFO)
    app.run(main)
