"""Helpers for checking the Keras networks students build: float32 models, clear failures."""

import numpy as np

from gan_course.checks.core import Mismatch, article, call, one_line

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


TRAINING_ONLY = ("a layer that acts only while training, such as Dropout, changes what the "
                 "network computes when the GAN trains (model(x, training=True)), although "
                 "calls in inference mode cannot see it. The recipe has no such layer: remove it.")


def same_in_training(model, reference, x, made_by):
    """Compare ``model`` with ``reference`` in training mode, where Dropout and batch
    normalisation act (inference-mode calls cannot see a stray Dropout). Raises a Mismatch."""
    got = run_model(model, x, made_by, training=True)
    want = np.asarray(reference(x, training=True), np.float64)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise Mismatch(f"in training mode, {made_by} computes something else than the reference "
                       "with the same weights, although it agrees in inference mode.",
                       TRAINING_ONLY)


TENSOR_HINT = ("apply each layer to a tensor and return the last tensor: h = layers.Conv2D(...)(x), "
               "h = layers.LeakyReLU(0.2)(h), ..., return h.")


def block_model(block, input_shape, filters):
    """The student's block applied to ``keras.Input(input_shape)``, as a model, and its name."""
    import keras

    name = getattr(block, "__name__", "your function")
    made_by = f"{name}(x, {filters}) with x of shape {(None, *input_shape)}"
    x = keras.Input(input_shape)
    y = call(block, x, filters)
    if y is None:
        raise Mismatch(f"{made_by} returned None.", "end with `return h`, the last layer's output.")
    if not isinstance(y, keras.KerasTensor):
        raise Mismatch(f"{made_by} returned {article(type(y).__name__)}, not a Keras tensor.",
                       TENSOR_HINT)
    try:
        return keras.Model(x, y), made_by
    except Exception as err:  # noqa: BLE001 - a disconnected graph, most often
        raise Mismatch(f"the tensor returned by {made_by} is not computed from x "
                       f"({type(err).__name__}: {one_line(err)})",
                       "start from the argument x (do not create a keras.Input inside the block) "
                       "and " + TENSOR_HINT) from None


def randomise(model, rng):
    """Seeded weights, with batch-norm statistics far from their initial values (so that a
    missing or misplaced batch norm shows in the outputs, even in inference mode)."""
    values = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        if "variance" in weight.name:
            values.append(rng.uniform(0.5, 2.0, shape))
        elif "gamma" in weight.name:
            values.append(rng.uniform(0.5, 1.5, shape))
        else:
            values.append(rng.normal(0.0, 0.3, shape))
    model.set_weights([v.astype(np.float32) for v in values])
    return model.get_weights()


def output_of(model, layer_index, x):
    """The output of ``model.layers[layer_index]`` on ``x``, in inference mode."""
    import keras

    inner = keras.Model(model.input, model.layers[layer_index].output)
    return np.asarray(inner(x, training=False), np.float64)
