"""Checks for lesson 02, an MLP GAN on MNIST: exercises 2.1 to 2.4 (the step's machinery is in
:mod:`gan_course.checks.steps`)."""

import numpy as np

from gan_course import data
from gan_course.checks.core import SEEDS, Mismatch, article, call, exercise, expect, seeded
from gan_course.checks.networks import LEAKY as _LEAKY
from gan_course.checks.networks import Float32Policy as _Float32Policy
from gan_course.checks.networks import as_model as _as_model
from gan_course.checks.networks import run_model as _run_model
from gan_course.checks.networks import same_in_training as _same_in_training
from gan_course.checks.steps import (
    ALTERNATING,
    D_LR,
    G_LR,
    STEP_HINT,
    STEP_IMAGE,
    STEP_LATENT,
    STEP_MISTAKES,
    alternating_step,
    call_step,
    flat,
    noise_hint,
    reference_step,
    step_close,
    step_networks,
)

IMAGE_SHAPE = (28, 28, 1)
_RANGE_HINT = ("the generator's tanh outputs [-1, 1], so the data must live in [-1, 1] too: "
               "0 -> -1, 255 -> 1, i.e. images.astype(np.float32) / 127.5 - 1.")


@exercise("2.1", hint="convert to float32 first, then map 0 -> -1 and 255 -> 1: "
                      "images.astype(np.float32) / 127.5 - 1.")
def ex_2_1(scale_images):
    edges = np.array([0, 1, 127, 128, 254, 255], np.uint8).reshape(1, 2, 3, 1)
    cases = [edges] + [seeded(seed).integers(0, 256, size=(2 + seed, *IMAGE_SHAPE), dtype=np.uint8)
                       for seed in SEEDS]
    for images in cases:
        got = call(scale_images, images)
        x = images.astype(np.float64)
        wrapped = (images - np.uint8(128)).astype(np.float64)  # uint8 arithmetic wraps around
        expect(got, data.to_unit_range(images), what="scale_images(images)",
               inputs={"pixel": images}, rtol=1e-6, atol=1e-6, mistakes=[
                   (x / 255.0, "that scales to [0, 1]; " + _RANGE_HINT),
                   (x / 127.5, "that scales to [0, 2]: subtract 1 after dividing by 127.5."),
                   (x - 127.5, "divide by 127.5 as well, so the values end in [-1, 1]."),
                   (x / 128.0 - 1.0, "divide by 127.5, not 128, so that 255 maps exactly to 1."),
                   (wrapped / 128.0, ("uint8 arithmetic wraps around (0 - 128 gives 128, not "
                                     "-128): convert to float32 before any arithmetic.")),
                   (wrapped / 127.5 - 1.0, ("uint8 arithmetic wraps around: convert to float32 "
                                           "before any arithmetic.")),
               ])
        dtype = np.asarray(got).dtype
        if dtype != np.float32:
            raise Mismatch(
                f"scale_images(images) returned the right values as {dtype}; expected float32.",
                "Keras computes in float32: start with images.astype(np.float32) (NumPy turns "
                "uint8 / 127.5 into float64, twice the memory, converted again on every batch).")
    return ("scale_images maps uint8 pixels to float32 in [-1, 1] (0 -> -1, 255 -> 1) on "
            f"{len(cases)} batches, keeping their shape.")



def _dense_chain(model):
    kernels = [w for w in model.get_weights() if w.ndim == 2]
    if not kernels:
        return "no Dense layers"
    return " → ".join(str(n) for n in [kernels[0].shape[0]] + [k.shape[1] for k in kernels])


def _same_weight_shapes(model, reference, made_by, hint):
    got = [tuple(w.shape) for w in model.get_weights()]
    want = [tuple(w.shape) for w in reference.get_weights()]
    if got == want:
        return
    got_chain, want_chain = _dense_chain(model), _dense_chain(reference)
    if got_chain != want_chain:
        problem = f"the Dense layers of {made_by} map {got_chain}; expected {want_chain}."
    else:
        problem = (f"{made_by} has {len(got)} weight arrays, expected {len(want)} (a kernel and a "
                   "bias per Dense layer, nothing else).")
    raise Mismatch(problem, hint)


def _mlp_forward(weights, x, slope, hidden_act=None, out_act=None):
    """NumPy forward pass of Dense/activation stacks, for the outputs of typical mistakes."""
    h = np.asarray(x, np.float64).reshape(len(x), -1)
    pairs = list(zip(weights[::2], weights[1::2]))
    for kernel, bias in pairs[:-1]:
        h = h @ kernel + bias
        h = hidden_act(h) if hidden_act else np.where(h > 0, h, slope * h)
    h = h @ pairs[-1][0] + pairs[-1][1]
    return out_act(h) if out_act else h


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, np.float64)))


def _relu(a):
    return np.maximum(a, 0.0)


_GENERATOR_LAYERS = ("keras.Input((latent_dim,)), then for each size in hidden a Dense(size) and "
                     "a LeakyReLU(0.2), then Dense(28 * 28 * 1), tanh and Reshape((28, 28, 1)).")


@exercise("2.2", hint=_GENERATOR_LAYERS)
def ex_2_2(make_generator):
    from gan_course.models import mlp_gan

    cases = [(8, (16, 32)), (5, (24,))]
    for seed, (latent_dim, hidden) in enumerate(cases):
        made_by = f"make_generator({latent_dim}, {hidden})"
        with _Float32Policy():
            model = _as_model(call(make_generator, latent_dim, hidden), made_by)
            reference = mlp_gan.build_generator(latent_dim, IMAGE_SHAPE, hidden)
        if tuple(model.input_shape) != (None, latent_dim):
            raise Mismatch(f"{made_by} takes inputs of shape {tuple(model.input_shape)}; "
                           f"expected (None, {latent_dim}).",
                           "start with keras.Input((latent_dim,)): one latent vector per image.")
        z = seeded(seed).standard_normal((6, latent_dim)).astype(np.float32)
        out = _run_model(model, z, made_by)
        if out.shape == (6, int(np.prod(IMAGE_SHAPE))):
            raise Mismatch(f"{made_by} makes flat vectors of shape {out.shape}; expected images "
                           f"of shape (6, 28, 28, 1).",
                           "end with layers.Reshape((28, 28, 1)): the discriminator and every "
                           "picture expect 28 x 28 images with a channel axis.")
        if out.shape == (6, 28, 28):
            raise Mismatch(f"{made_by} makes images of shape {out.shape}; expected (6, 28, 28, 1).",
                           "keep a channel axis: Reshape((28, 28, 1)).")
        if out.shape != (6, *IMAGE_SHAPE):
            raise Mismatch(f"{made_by} makes outputs of shape {out.shape}; expected (6, 28, 28, 1).",
                           _GENERATOR_LAYERS)
        _same_weight_shapes(model, reference, made_by, _GENERATOR_LAYERS)
        weights = model.get_weights()
        reference.set_weights(weights)
        expected = np.asarray(reference(z, training=False), np.float64)
        shape = expected.shape
        mistakes = [
            (_mlp_forward(weights, z, _LEAKY, out_act=_sigmoid).reshape(shape),
             ("the last activation is a sigmoid, which gives [0, 1]; the data is in [-1, 1], so "
             "the generator must end in tanh.")),
            (_mlp_forward(weights, z, _LEAKY).reshape(shape),
             "the last Dense layer has no activation, so pixels are unbounded: add a tanh."),
            (_mlp_forward(weights, z, 0.3, out_act=np.tanh).reshape(shape),
             ("Keras' LeakyReLU() has slope 0.3 by default; this recipe uses LeakyReLU(0.2), "
              "the slope of DCGAN's discriminator.")),
            (_mlp_forward(weights, z, 0.0, hidden_act=_relu, out_act=np.tanh).reshape(shape),
             ("ReLU is not wrong in a generator (DCGAN's uses it, beside batch norm), but "
              "this recipe has no batch norm, so use LeakyReLU(0.2): a unit negative for every "
              "latent passes no gradient through a ReLU, a leaky one still does.")),
        ]
        if out.min() >= 0.0:
            hint = "every pixel is >= 0: the generator must end in tanh, whose range is [-1, 1]."
        elif out.min() < -1 - 1e-6 or out.max() > 1 + 1e-6:
            hint = "pixels outside [-1, 1]: the generator must end in tanh."
        else:
            hint = _GENERATOR_LAYERS
        expect(out, expected, what=f"the generator built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
        _same_in_training(model, reference, z, made_by)
    return ("make_generator builds Dense + LeakyReLU(0.2) layers of the sizes asked for, ending "
            "in tanh and a reshape to (28, 28, 1), for latent sizes 8 and 5, in inference and "
            "in training mode.")


_DISCRIMINATOR_LAYERS = ("keras.Input((28, 28, 1)), Flatten, then for each size in hidden a "
                         "Dense(size) and a LeakyReLU(0.2), then Dense(1) with no activation.")


@exercise("2.3", hint=_DISCRIMINATOR_LAYERS)
def ex_2_3(make_discriminator):
    from gan_course.models import mlp_gan

    cases = [(32, 16), (20,)]
    for seed, hidden in enumerate(cases):
        made_by = f"make_discriminator({hidden})"
        with _Float32Policy():
            model = _as_model(call(make_discriminator, hidden), made_by)
            reference = mlp_gan.build_discriminator(IMAGE_SHAPE, hidden)
        if tuple(model.input_shape) != (None, *IMAGE_SHAPE):
            flat = tuple(model.input_shape) == (None, int(np.prod(IMAGE_SHAPE)))
            raise Mismatch(
                f"{made_by} takes inputs of shape {tuple(model.input_shape)}; expected "
                f"(None, 28, 28, 1).",
                "take images as they are, keras.Input((28, 28, 1)), and flatten inside the "
                "model with layers.Flatten()." if flat else _DISCRIMINATOR_LAYERS)
        images = seeded(seed).uniform(-1.0, 1.0, size=(6, *IMAGE_SHAPE)).astype(np.float32)
        out = _run_model(model, images, made_by)
        if out.shape != (6, 1):
            raise Mismatch(f"{made_by} outputs shape {out.shape} for 6 images; expected (6, 1).",
                           "end with Dense(1): one logit per image.")
        _same_weight_shapes(model, reference, made_by, _DISCRIMINATOR_LAYERS)
        weights = model.get_weights()
        reference.set_weights(weights)
        expected = np.asarray(reference(images, training=False), np.float64)
        no_sigmoid = ("no sigmoid at the end: the course's losses take logits and apply the "
                      "sigmoid themselves, stably (lesson 01, section 5).")
        mistakes = [
            (_mlp_forward(weights, images, _LEAKY, out_act=_sigmoid), no_sigmoid),
            (_mlp_forward(weights, images, 0.3), ("Keras' LeakyReLU() has slope 0.3 by default; "
                                                 "the course uses LeakyReLU(0.2).")),
            (_mlp_forward(weights, images, 0.0, hidden_act=_relu),
             "the hidden layers use ReLU; use LeakyReLU(0.2)."),
        ]
        hint = no_sigmoid if ((out > 0) & (out < 1)).all() else _DISCRIMINATOR_LAYERS
        expect(out, expected, what=f"the discriminator built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
        _same_in_training(model, reference, images, made_by)
    return ("make_discriminator flattens 28 x 28 x 1 images, applies Dense + LeakyReLU(0.2) "
            "layers of the sizes asked for and returns one raw logit per image, in inference "
            "and in training mode.")


@exercise("2.4", hint=STEP_HINT)
def ex_2_4(train_step):
    import keras
    import tensorflow as tf

    for seed, batch in enumerate((6, 5)):
        rng = seeded(seed)
        real = tf.constant(rng.uniform(-1.0, 1.0, size=(batch, *STEP_IMAGE)), tf.float32)
        z = tf.constant(rng.standard_normal((batch, STEP_LATENT)), tf.float32)
        generator, discriminator = step_networks(seed)
        generator_copy, discriminator_copy = step_networks(seed)  # the student's step changes
        reference = reference_step(real, z, generator, discriminator)
        variants = [(reference_step(real, z, generator, discriminator, **kw), why)
                    for kw, why in STEP_MISTAKES]
        g_optimizer, d_optimizer = keras.optimizers.SGD(G_LR), keras.optimizers.SGD(D_LR)
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
        returned = call_step(train_step, real, z, generator, discriminator, g_optimizer,
                              d_optimizer)

        got = (flat(generator.trainable_variables), flat(discriminator.trainable_variables))
        wrong = [name for name, mine, ref in zip(("generator", "discriminator"), got, reference)
                 if not step_close(mine, ref)]
        if wrong:
            gaps = ", ".join(f"the {name}'s by up to "
                             f"{np.abs(got[i] - reference[i]).max():.3g}"
                             for i, name in enumerate(("generator", "discriminator"))
                             if name in wrong)
            problem = (f"after one train_step on a batch of {batch}, the weights differ from "
                       f"those of the reference step: {gaps}.")
            for variant, why in variants:
                if step_close(got[0], variant[0]) and step_close(got[1], variant[1]):
                    raise Mismatch(problem, why)
            for first in ("d", "g"):
                variant = alternating_step(real, z, generator_copy, discriminator_copy, first)
                if step_close(got[0], variant[0]) and step_close(got[1], variant[1]):
                    raise Mismatch(problem, ALTERNATING)
            raise Mismatch(problem, noise_hint(train_step, real, z, seed, got) or STEP_HINT)

        if returned is None:
            raise Mismatch("train_step returned None.", "end the step with `return d_loss, g_loss`.")
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise Mismatch(f"train_step returned {article(type(returned).__name__)}; expected the "
                           "pair (d_loss, g_loss).", "end the step with `return d_loss, g_loss`.")
        d_ref, g_ref = reference[2], reference[3]
        swapped = "the losses come back swapped: return d_loss, g_loss, in that order."
        expect(returned[0], d_ref, what="train_step(...)[0] (d_loss)", rtol=1e-4, atol=1e-5,
               mistakes=[(g_ref, swapped)])
        expect(returned[1], g_ref, what="train_step(...)[1] (g_loss)", rtol=1e-4, atol=1e-5,
               mistakes=[(d_ref, swapped)])
    return ("train_step matches the reference step on 2 seeded batches: the same d_loss and "
            "g_loss, and the same weights in both networks after one update.")
