"""Trains under tf.distribute on two logical CPU devices and prints what it found as JSON.

TensorFlow fixes its devices when it first uses them, so the logical devices must be made before
anything else touches TensorFlow: tests/test_strategy.py runs this file in a fresh process.

    python tests/strategy_worker.py compare MODEL STEPS   # weights: one device vs two replicas
    python tests/strategy_worker.py train OUT_DIR STRATEGY [EPOCHS]  # gc.train: new or resumed
    python tests/strategy_worker.py lab KIND STEPS          # lesson 04's 2-D lab models
    python tests/strategy_worker.py two_models OUT_DIR      # two models, mirrored, one process
"""

import dataclasses
import json
import os
import sys
from pathlib import Path

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(  # two, unless a test asks for another number
    _cpu, [tf.config.LogicalDeviceConfiguration()] * int(os.environ.get("LOGICAL_CPUS", "2")))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import gan_course as gc  # noqa: E402
from gan_course import config, data, models, runs  # noqa: E402
from gan_course.models import base  # noqa: E402

SEED = 3


def train_steps(name, strategy, steps, settings):
    """The quick profile's ``name`` trained ``steps`` steps under ``strategy``."""
    keras.backend.clear_session()
    config.seed_everything(SEED)
    recipe = models.get(name)
    image_shape = (28, 28, 1)
    if recipe.data is not None:  # a model with data of its own (cyclegan: patch pairs)
        image_shape, stream_from = recipe.data(recipe.default_dataset, settings)
    with strategy.scope():
        model = recipe.build(settings, image_shape, SEED)
    if recipe.data is None:  # the first 2048 training digits
        image_shape, stream_from = runs.training_data(recipe, "mnist", settings, model,
                                                      examples=2048)
    stream = stream_from(SEED, 0)
    if steps:
        model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0)
    return model


def state(model):
    networks = [model.generator, model.discriminator, model.ema_generator]
    return [np.array(v.numpy()) for net in networks for v in net.weights]


def extra_state(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.extra_state]


def max_diff(a_arrays, b_arrays):
    return max([float(np.max(np.abs(a - b))) if a.size else 0.0
                for a, b in zip(a_arrays, b_arrays)], default=0.0)


def compare(name, steps):
    mirrored = config.make_strategy("mirrored")
    # Under the strategy the model runs one step per call without XLA (base.execution); XLA
    # draws other random numbers, so the one-device run computes the same way.
    settings = models.profile("quick")[name]
    steps_per_execution, jit_compile = base.execution(settings, mirrored)
    settings = dataclasses.replace(settings, steps_per_execution=steps_per_execution,
                                   jit_compile=jit_compile)
    one = train_steps(name, tf.distribute.get_strategy(), steps, settings)
    two = train_steps(name, mirrored, steps, settings)
    moved = float(max(np.max(np.abs(a - b)) for a, b in
                      zip(state(one), state(train_steps(name, mirrored, 0, settings)))
                      if a.size))
    return {"replicas": mirrored.num_replicas_in_sync, "max_diff": max_diff(state(one), state(two)),
            "extra_diff": max_diff(extra_state(one), extra_state(two)), "moved": moved,
            "generated": int(len(two.generate(5, seed=1))),
            "steps_per_execution": two.steps_per_execution}


def lab(kind, steps):
    """Critic (or discriminator) weights of lesson 04's 2-D lab model ``kind`` after ``steps``
    steps: one device against two replicas (one step per call, no XLA, as under the strategy)."""
    from gan_course.models import wgan_gp
    from gan_course.widgets import lab2d

    settings = dataclasses.replace(models.profile("quick")["wgan_gp_2d"], steps_per_execution=1,
                                   jit_compile=False)
    points = data.toy_points("toy_8gaussians", 4000, seed=0)
    weights = {}
    for name, strategy in (("one", tf.distribute.get_strategy()),
                           ("two", config.make_strategy("mirrored"))):
        keras.backend.clear_session()
        with strategy.scope():
            # The clipped critic's gradients are tiny, and Adam with beta_1 = 0 turns their
            # rounding into steps of its full learning rate (1.8e-3 apart after 3 steps): the
            # paper's RMSProp shows what this test is about, clipping on mirrored weights.
            model = lab2d.build(kind, settings.with_hparams(**wgan_gp.PAPERS_OPTIMISERS)
                                if kind == "wgan_clip" else settings, seed=SEED)
        per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
        model.fit(data.training_stream(points, per_step, seed=SEED), epochs=1,
                  steps_per_epoch=steps, verbose=0)
        weights[name] = [np.array(w.numpy()) for w in model.discriminator.trainable_weights]
    return {"max_diff": max(float(np.max(np.abs(a - b)))
                            for a, b in zip(weights["one"], weights["two"])),
            "max_weight": max(float(np.max(np.abs(w))) for w in weights["two"])}


class StopAfter(keras.callbacks.Callback):
    """Ends training after epoch ``epochs``, as a student closing the laptop would."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def train(out_dir, strategy, stop_after=None):
    """The quick MLP GAN trained (or resumed, if ``out_dir`` holds a run) under ``strategy``."""
    resume = (Path(out_dir) / "config.json").exists()
    run = gc.train("mlp_gan", profile="quick", seed=SEED, out_dir=out_dir, strategy=strategy,
                   verbose=0, resume=resume,
                   callbacks=[StopAfter(int(stop_after))] if stop_after else ())
    spec = json.loads((run.directory / "config.json").read_text())
    return {"replicas": spec["replicas"], "strategy": spec["strategy"], "epoch": run.epoch,
            "directory": str(run.directory), "generated": int(len(run.generate(5, seed=1))),
            "metrics": run.metrics}


def two_models(out_dir):
    """Two different models trained one after the other under ``strategy="mirrored"`` in this
    process, as a notebook's cells train them."""
    epochs = {}
    for name in ("mlp_gan", "dcgan"):
        run = gc.train(name, profile="quick", seed=SEED, out_dir=Path(out_dir) / name,
                       strategy="mirrored", verbose=0, callbacks=[StopAfter(1)])
        epochs[name] = (run.spec["replicas"], run.epoch)
    return {"epochs": epochs, "same_strategy": config.make_strategy("mirrored")
            is config.make_strategy("mirrored")}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "compare":
        result = compare(args[0], int(args[1]))
    elif command == "lab":
        result = lab(args[0], int(args[1]))
    elif command == "train":
        result = train(*args)
    elif command == "two_models":
        result = two_models(*args)
    else:
        raise SystemExit(f"unknown command {command!r}: compare or train")
    print("RESULT " + json.dumps(result))
