"""Helpers for checking the Keras networks students build: float32 models, clear failures."""

import numpy as np

from gan_course.checks.core import Mismatch, article, one_line

LEAKY = 0.2  # the course's LeakyReLU slope, as in DCGAN


class Float32Policy:
    """Build the check's networks in float32 even where the notebook turned on mixed precision."""

    def __enter__(self):
        import keras

        self.previous = keras.mixed_precision.global_policy().name
        keras.mixed_precision.set_global_policy("float32")

    def __exit__(self, *exc):
        import keras

        keras.mixed_precision.set_global_policy(self.previous)


def as_model(obj, made_by):
    """``obj`` if it is a built Keras model, else a Mismatch saying what it is instead."""
    import keras

    if obj is None:
        raise Mismatch(f"{made_by} returned None.", "did you forget `return keras.Model(...)`?")
    if not isinstance(obj, keras.Model):
        raise Mismatch(f"{made_by} returned {article(type(obj).__name__)}, not a Keras model.",
                       "return the model, e.g. keras.Model(inputs, outputs) or a "
                       "keras.Sequential.")
    if not obj.built or not obj.weights:
        raise Mismatch(f"{made_by} returned a model without weights.",
                       "start the model with keras.Input(shape) so that it is built at once.")
    return obj


def run_model(model, x, made_by, training=False):
    """The student's model on ``x`` as float64 numpy; its errors become a Mismatch."""
    try:
        return np.asarray(model(x, training=training), np.float64)
    except Exception as err:  # noqa: BLE001 - the student's model; its errors become a verdict
        raise Mismatch(f"the model from {made_by} failed on a batch of shape {x.shape}: "
                       f"{type(err).__name__}: {one_line(err)}",
                       "check the shape of its keras.Input.") from None
