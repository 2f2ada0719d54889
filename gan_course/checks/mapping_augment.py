"""Lesson 08's checks of exercise 8.3, the mapping network (from a table of shapes and weight
counts), and 8.4, what the discriminator sees under differentiable augmentation (from
properties: both batches augmented by the same augmentation, a new one each step, and the
generator's gradient flowing through it)."""

import numpy as np

from gan_course.checks.core import Mismatch, article, call, exercise, expect, seeded
from gan_course.checks.networks import LEAKY, Float32Policy, as_model, run_model

# --- 8.3 the mapping network -------------------------------------------------------------------------

_MAPPING = ("keras.Input((latent_dim,)), pixel-normalise z (z / sqrt(mean(z^2) + 1e-8) over its "
            "own values), then `depth` layers of Dense(w_dim) each followed by LeakyReLU(0.2); "
            "return keras.Model(z, w).")
_MAPPING_CASES = ((64, 64, 4), (32, 48, 3), (16, 24, 2))


def _dense_count(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _pixel_norm(z):
    return z / np.sqrt((z ** 2).mean(axis=-1, keepdims=True) + 1e-8)


def _mapping_forward(z, weights, norm="pixel", last="leaky", hidden="leaky"):
    """The mapping network in NumPy from its (kernel, bias) pairs, with a variant's changes."""
    h = {"pixel": _pixel_norm(z), "none": z,
         "unit": z / np.sqrt((z ** 2).sum(axis=-1, keepdims=True) + 1e-12)}[norm]
    pairs = list(zip(weights[::2], weights[1::2]))
    for i, (kernel, bias) in enumerate(pairs):
        h = h @ kernel + bias
        act = last if i == len(pairs) - 1 else hidden
        h = {"leaky": np.where(h > 0, h, LEAKY * h), "relu": np.maximum(h, 0.0),
             "tanh": np.tanh(h), "none": h}[act]
    return h


def _count_hint(count, latent_dim, w_dim, depth):
    """The hint for a weight count that a typical mistake gives, else None."""
    if count == _dense_count([latent_dim] + [latent_dim] * (depth - 1) + [w_dim]):
        return ("the hidden layers are w_dim wide, not latent_dim: every Dense gives w_dim "
                "values; only the first one reads latent_dim.")
    for wrong in (depth - 1, depth + 1):
        if wrong > 0 and count == _dense_count([latent_dim] + [w_dim] * wrong):
            return (f"that is {wrong} Dense layers; `depth` counts the Dense layers, each "
                    "followed by its LeakyReLU.")
    if count == _dense_count([latent_dim] + [w_dim] * depth) - depth * w_dim:
        return "each Dense keeps its bias (the table counts kernel and bias)."
    return None


def _set_effective(reference, weights):
    """Give the reference the plain Dense weights ``weights``: its layers scale their stored
    weights at run time (StyleGAN's equalised learning rate), so store them unscaled."""
    stored, values = [], iter(weights)
    for layer in reference.layers:
        gain, lr = getattr(layer, "gain", 1.0), getattr(layer, "lr_multiplier", 1.0)
        for _ in layer.weights:
            value = next(values)
            stored.append(value / (gain if value.ndim == 2 else lr))
    reference.set_weights(stored)


@exercise("8.3", hint=_MAPPING)
def ex_8_3(mapping_network):
    from gan_course.models import art_gan

    for seed, (latent_dim, w_dim, depth) in enumerate(_MAPPING_CASES):
        made_by = f"mapping_network({latent_dim}, {w_dim}, {depth})"
        with Float32Policy():
            model = as_model(call(mapping_network, latent_dim, w_dim, depth), made_by)
            reference = art_gan.mapping_network(latent_dim, w_dim, depth)
        if tuple(model.input_shape) != (None, latent_dim):
            raise Mismatch(f"{made_by} takes inputs of shape {tuple(model.input_shape)}; "
                           f"expected (None, {latent_dim}).",
                           "start with keras.Input((latent_dim,)): one z per row.")
        if tuple(model.output_shape) != (None, w_dim):
            raise Mismatch(f"{made_by} gives outputs of shape {tuple(model.output_shape)}; "
                           f"expected (None, {w_dim}).", "every Dense layer is w_dim wide.")
        count, want = model.count_params(), reference.count_params()
        if count != want:
            raise Mismatch(f"{made_by} holds {count:,} weights; the table says {want:,}.",
                           _count_hint(count, latent_dim, w_dim, depth) or _MAPPING)
        rng = seeded(seed)
        weights = [rng.normal(0, 0.4, tuple(w.shape)).astype(np.float32)
                   for w in reference.weights]
        _set_effective(reference, weights)
        try:
            model.set_weights(weights)
        except ValueError:
            raise Mismatch(f"{made_by}'s weights are not {depth} Dense layers of width {w_dim}.",
                           _MAPPING) from None
        # z of very different sizes: the normalisation must make them alike.
        z = (rng.normal(size=(6, latent_dim)) * np.array([1, 0.1, 10, 1, 3, 0.5])[:, None])
        z = z.astype(np.float32)
        z64, w64 = z.astype(np.float64), [w.astype(np.float64) for w in weights]
        mistakes = [
            (_mapping_forward(z64, w64, norm="none"),
             "normalise z first: without it, a z twice as long gives a different w, and the "
             "first layer sees inputs of any size. Pixel norm puts every z on the sphere of "
             "radius sqrt(latent_dim)."),
            (_mapping_forward(z64, w64, norm="unit"),
             "pixel norm makes the *mean* square of z equal to 1 (length sqrt(latent_dim)); "
             "dividing by the length (UnitNormalization) makes it latent_dim times smaller."),
            (_mapping_forward(z64, w64, last="tanh"),
             "no bounded activation at the end: w lives in an open space where styles are "
             "averaged and mixed (the truncation trick moves along it); every Dense, the last "
             "too, is followed by LeakyReLU(0.2)."),
            (_mapping_forward(z64, w64, last="none"),
             "every Dense, the last too, is followed by LeakyReLU(0.2)."),
            (_mapping_forward(z64, w64, last="relu", hidden="relu"),
             "LeakyReLU(0.2), not ReLU: a ReLU zeroes every negative value, so w would lose "
             "half its space and dead units pass no gradient."),
            (_mapping_forward(z64, w64, last="none", hidden="none"),
             "without activations the layers multiply into one matrix: a stack of linear maps "
             "is linear. Follow each Dense with LeakyReLU(0.2)."),
        ]
        got = run_model(model, z, made_by)
        expect(got, np.asarray(reference(z), np.float64), what=f"the network from {made_by}",
               mistakes=mistakes, hint=_MAPPING, rtol=1e-4, atol=1e-4)
    return ("mapping_network normalises z, then maps it through `depth` Dense layers with "
            "LeakyReLU(0.2): 2,101,248 weights at StyleGAN's 512, 512, 8; z and 10 z "
            "give the same w.")


# --- 8.4 what the discriminator sees ------------------------------------------------------------------

_SEEN = ("return (augment(real, seed), augment(fake, seed + 1)) (or both in one batch through "
         "augment): every image D judges, real or fake, goes through the same augmentation, a "
         "new one for each seed, built from TensorFlow operations so the fake stays "
         "differentiable.")
POLICY = ("colour", "translation", "cutout")


class _Recorder:
    """``augment(images, seed)``: the library's DiffAugment, recording what it was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, images, seed):
        from gan_course.art import augment

        out = augment.diff_augment(images, seed, POLICY)
        self.calls.append((np.asarray(images, np.float64), np.asarray(out, np.float64)))
        return out


def _through(seen, source, calls):
    """Whether each image of ``seen`` is its ``source`` image as ``augment`` returned it."""
    for image, original in zip(seen, source):
        if not any(np.allclose(i, original, atol=1e-6) and np.allclose(o, image, atol=1e-5)
                   for inputs, outputs in calls for i, o in zip(inputs, outputs)):
            return False
    return True


def _pair(got, what, shape):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"{what} returned {article(type(got).__name__)}; expected two batches, "
                       "(real_seen, fake_seen).", _SEEN)
    arrays = [np.asarray(g, np.float64) for g in got]
    for name, a in zip(("real", "fake"), arrays):
        if a.shape != shape:
            raise Mismatch(f"{what}: the {name} batch has shape {a.shape}; expected {shape}.",
                           "augment each batch, keeping its images: one out for each in.")
    return arrays


@exercise("8.4", hint=_SEEN)
def ex_8_4(discriminator_batch):
    import tensorflow as tf

    rng = seeded(0)
    shape = (4, 16, 16, 3)
    real = tf.constant(rng.uniform(-1, 1, shape), tf.float32)
    fake = tf.Variable(rng.uniform(-1, 1, shape).astype(np.float32))
    augment = _Recorder()
    what = "discriminator_batch(real, fake, augment, seed=11)"
    with tf.GradientTape() as tape:
        got = call(discriminator_batch, real, fake, augment, 11)
        fake_seen = got[1] if isinstance(got, (tuple, list)) and len(got) == 2 else None
        total = (tf.reduce_sum(tf.cast(fake_seen, tf.float32) * rng.normal(size=shape).astype(np.float32))
                 if tf.is_tensor(fake_seen) else None)
    real_seen, fake_seen = _pair(got, what, shape)
    real_np, fake_np = real.numpy().astype(np.float64), fake.numpy().astype(np.float64)
    real_same, fake_same = np.allclose(real_seen, real_np), np.allclose(fake_seen, fake_np)
    if real_same and fake_same:
        raise Mismatch(f"{what} returned the batches unchanged.", _SEEN)
    if fake_same:
        raise Mismatch(f"{what} augments the real images only.",
                       "then every cutout square, shift and colour change is a sign of a *real* "
                       "image: D learns it, and the generator learns to paint squares and "
                       "shifted borders into its pictures (the augmentation leaks). Augment the "
                       "fakes too, so the augmentation tells D nothing.")
    if real_same:
        raise Mismatch(f"{what} augments the fakes only.",
                       "then D learns that augmented means fake and wins without judging the "
                       "painting; the generator cannot undo an augmentation applied after it. "
                       "Augment the reals too.")
    if not (_through(real_seen, real_np, augment.calls)
            and _through(fake_seen, fake_np, augment.calls)):
        raise Mismatch(f"{what} does not return the images as `augment` made them.",
                       "pass both batches through the augment you are given and return what it "
                       "returns: the same policy for real and fake, nothing added.")
    gradient = tape.gradient(total, fake) if total is not None else None
    if gradient is None or not np.any(np.asarray(gradient)):
        raise Mismatch(f"the fake batch {what} returned carries no gradient back to the fakes.",
                       "the generator learns only through D's gradient, and that passes through "
                       "the augmentation: keep the fakes as tensors (no NumPy, no "
                       "tf.stop_gradient), so G's step can see through it.")
    again = _pair(call(discriminator_batch, real, fake, _Recorder(), 11), what, shape)
    other = _pair(call(discriminator_batch, real, fake, _Recorder(), 12),
                  "discriminator_batch(real, fake, augment, seed=12)", shape)
    if not (np.allclose(again[0], real_seen) and np.allclose(again[1], fake_seen)):
        raise Mismatch(f"{what} gives other images when called again with the same seed.",
                       "derive every random choice from `seed`: the same seed, the same "
                       "augmentation, so a resumed run sees what an unbroken one would.")
    if np.allclose(other[0], real_seen) or np.allclose(other[1], fake_seen):
        raise Mismatch("seeds 11 and 12 give the same augmentation.",
                       "pass `seed` on to augment: with one fixed augmentation, the cutout "
                       "hides the same squares at every step and D learns the rest by heart.")
    return ("discriminator_batch sends real and fake through the same augmentation, a new one "
            "for each seed, and the generator's gradient flows back through it.")
