"""Checks for lesson 03, DCGAN and InfoGAN: exercises 3.1 to 3.5."""

import numpy as np

from gan_course.checks.core import Mismatch, call, exercise, expect, seeded
from gan_course.checks.measures import ex_3_3, ex_3_4  # noqa: F401 - the lesson's measures
from gan_course.checks.networks import LEAKY as _LEAKY
from gan_course.checks.networks import Float32Policy as _Float32Policy
from gan_course.checks.networks import as_model as _as_model
from gan_course.checks.networks import block_model as _block_model
from gan_course.checks.networks import output_of as _output_of
from gan_course.checks.networks import randomise as _randomise
from gan_course.checks.networks import run_model as _run_model
from gan_course.checks.networks import same_in_training as _same_in_training

_G_BLOCK = ("go back to the table of shapes and weight counts: the output is twice the input for "
            "any size (stride and padding); the counts fix the kernel size, whether the "
            "convolution has a bias and what follows it; then the generator's activation.")
_D_NET = ("go back to the constraints: 28 -> 14 -> 7 with stride-2 convolutions only (width, then "
          "2 * width filters), LeakyReLU(0.2) after each, Flatten and Dense(1) without "
          "activation; the weight counts fix the kernel size and the biases.")
_BN_EPSILON = 1e-3  # Keras' BatchNormalization default


def _leaky(a, slope=_LEAKY):
    return np.where(a > 0, a, slope * a)


def _weight_hint(got, want, conv="Conv2DTranspose"):
    """A hint for a generator block whose weights differ in shape from the reference's."""
    kernels = [s for s in got if len(s) == 4]
    vectors = [s for s in got if len(s) == 1]
    if len(kernels) != 1:
        return (f"the block has {len(kernels)} convolution kernels; it holds exactly one "
                f"{conv}.")
    kernel, wanted = kernels[0], want[0]
    if kernel[2:] != wanted[2:] and kernel[2:] == (wanted[3], wanted[2]):
        other = "Conv2D" if conv == "Conv2DTranspose" else "Conv2DTranspose"
        return (f"that is the kernel of a {other}; this block needs a {conv}(filters, 4, "
                "strides=2, padding='same', ...).")
    if kernel[:2] != (4, 4):
        return (f"use a 4 x 4 kernel, {conv}(filters, 4, ...): the kernel size 4 is divisible by "
                "the stride 2, so the strided windows overlap evenly.")
    if len(vectors) == 5:
        return ("use_bias=False: the BatchNormalization right after subtracts each channel's "
                "mean, which cancels any bias, and adds its own offset (beta) instead.")
    if len(vectors) == 0:
        return ("add layers.BatchNormalization() between the transposed convolution and the "
                "ReLU.")
    if len(vectors) == 1:
        return ("add layers.BatchNormalization() after the transposed convolution, and build "
                "the convolution with use_bias=False.")
    return _G_BLOCK


def _check_block(block, input_shape, filters, reference_block, expected_shape, shape_hints,
                 hint, seed):
    """The block's model, output shape and weight shapes checked; returns what the variant
    outputs are computed from: (model, reference, x, made_by)."""
    import keras

    with _Float32Policy():
        model, made_by = _block_model(block, input_shape, filters)
        x_in = keras.Input(input_shape)
        reference = keras.Model(x_in, reference_block(x_in, filters))
    got_shape = tuple(model.output_shape)
    if got_shape != expected_shape:
        problem = f"{made_by} gives outputs of shape {got_shape}; expected {expected_shape}."
        if got_shape[-1] != filters:
            raise Mismatch(problem, f"the block's output has `filters` = {filters} channels.")
        raise Mismatch(problem, shape_hints.get(got_shape[1:3], hint))
    got = [tuple(w.shape) for w in model.weights]
    want = [tuple(w.shape) for w in reference.weights]
    if got != want:
        raise Mismatch(f"{made_by} has weights of shapes {got}; expected {want}.",
                       _weight_hint(got, want))
    model.set_weights(_randomise(reference, seeded(seed)))
    x = seeded(seed + 10).normal(0.0, 1.0, size=(3, *input_shape)).astype(np.float32)
    return model, reference, x, made_by


@exercise("3.1", hint=_G_BLOCK)
def ex_3_1(generator_block):
    from gan_course.models import blocks

    for seed, (input_shape, filters) in enumerate([((7, 7, 6), 4), ((4, 5, 3), 8)]):
        h, w, _ = input_shape
        shape_hints = {
            (h, w): ("strides=2: a stride-2 transposed convolution doubles the height and width; "
                     "with stride 1 the block does not upsample."),
            (2 * h + 2, 2 * w + 2): ("padding='same' makes the output exactly twice the input; "
                                     "with 'valid' the 4 x 4 stamps overhang the border by 2 "
                                     "pixels."),
            ((h + 1) // 2, (w + 1) // 2): ("that halves the size: Conv2D with strides=2 shrinks an "
                                           "image, Conv2DTranspose with strides=2 grows it."),
        }
        model, reference, x, made_by = _check_block(
            generator_block, input_shape, filters, blocks.upsample_block,
            (None, 2 * h, 2 * w, filters), shape_hints, _G_BLOCK, seed)
        expected = np.asarray(reference(x, training=False), np.float64)
        conv = _output_of(reference, 1, x)
        _, gamma, beta, mean, var = reference.get_weights()

        def bn(a, eps=_BN_EPSILON, gamma=gamma, beta=beta, mean=mean, var=var):
            return gamma * (a - mean) / np.sqrt(var + eps) + beta

        leaky = ("LeakyReLU belongs to the discriminator; the DCGAN generator's hidden layers use "
                 "ReLU: layers.ReLU().")
        mistakes = [
            (_leaky(bn(conv)), leaky),
            (_leaky(bn(conv), 0.3), leaky),
            (bn(conv), "end the block with layers.ReLU() after the batch norm."),
            (bn(np.maximum(conv, 0.0)), ("normalise, then activate: BatchNormalization comes "
                                         "before the ReLU.")),
            (np.maximum(bn(conv, 1e-5), 0.0), ("use layers.BatchNormalization() with its "
                                               "defaults (epsilon=1e-3).")),
        ]
        out = _run_model(model, x, made_by)
        hint = ("every output should be >= 0 after the ReLU." if out.min() < 0 else _G_BLOCK)
        expect(out, expected, what=f"the block built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
        _same_in_training(model, reference, x, made_by)
    return ("generator_block doubles the height and width ((7, 7, 6) -> (14, 14, 4), (4, 5, 3) -> "
            "(8, 10, 8)) and matches gc.models.blocks.upsample_block weight for weight, in inference "
            "and training mode: a 4 x 4 stride-2 transposed convolution without bias, batch norm, "
            "ReLU.")


def _discriminator_variant(width, act="leaky", slope=_LEAKY, pool=None, last=None):
    """The DCGAN discriminator with one typical mistake, built with the reference's weights."""
    import keras
    from keras import layers

    images = keras.Input((28, 28, 1))
    h = images
    for filters in (width, 2 * width):
        h = layers.Conv2D(filters, 4, strides=1 if pool else 2, padding="same")(h)
        h = {"leaky": layers.LeakyReLU(slope), "relu": layers.ReLU(), None: None}[act](h) if act \
            else h
        if pool:
            h = (layers.MaxPooling2D if pool == "max" else layers.AveragePooling2D)(2)(h)
    logit = layers.Dense(1, activation=last)(layers.Flatten()(h))
    return keras.Model(images, logit)


def _network_weight_hint(got, want):
    """A hint for a discriminator whose weights differ in shape from the reference's."""
    kernels = [g for g in got if len(g) == 4]
    vectors = [g for g in got if len(g) == 1]
    matrices = [g for g in got if len(g) == 2]
    if len(kernels) != 2:
        return f"the network has {len(kernels)} convolutions; 28 -> 14 -> 7 takes exactly two."
    if any(k[:2] != (4, 4) for k in kernels):
        return ("count the weights: two k x k convolutions hold k·k·(1·width + width·2·width) "
                "kernel weights; the table's counts give k = 4.")
    if [k[3] for k in kernels] != [want[0][3], want[2][3]]:
        return "the convolutions have `width` and then `2 * width` filters."
    if len(matrices) != 1:
        return "no hidden dense layer: Flatten, then a single Dense(1)."
    if matrices[0][0] != want[4][0]:
        return ("padding='same' keeps exactly 14 x 14 and 7 x 7 (with 'valid' the images shrink "
                "to 13 and then 5), and Flatten feeds 7·7·2·width numbers to Dense(1).")
    if len(vectors) > 3:
        return ("no batch normalization in this discriminator: it scores real and fake images "
                "in one call, and batch statistics would mix the two.")
    return ("keep the convolutions' biases (use_bias defaults to True): no batch norm follows "
            "them to supply an offset.")


@exercise("3.2", hint=_D_NET)
def ex_3_2(make_dcgan_discriminator):
    from gan_course.models import dcgan

    for seed, width in enumerate((8, 4)):
        made_by = f"make_dcgan_discriminator({width})"
        with _Float32Policy():
            model = _as_model(call(make_dcgan_discriminator, width), made_by)
            reference = dcgan.build_discriminator((28, 28, 1), width)
        if tuple(model.input_shape) != (None, 28, 28, 1):
            raise Mismatch(f"{made_by} takes inputs of shape {tuple(model.input_shape)}; "
                           "expected (None, 28, 28, 1).", "start with keras.Input((28, 28, 1)).")
        x = seeded(seed + 20).uniform(-1.0, 1.0, size=(5, 28, 28, 1)).astype(np.float32)
        out = _run_model(model, x, made_by)
        if out.shape != (5, 1):
            raise Mismatch(f"{made_by} outputs shape {out.shape} for 5 images; expected (5, 1).",
                           "end with Flatten and Dense(1): one logit per image.")
        got = [tuple(w.shape) for w in model.weights]
        want = [tuple(w.shape) for w in reference.weights]
        if got != want:
            raise Mismatch(f"{made_by} has {model.count_params():,} weights in arrays of shapes "
                           f"{got}; expected {reference.count_params():,} in {want}.",
                           _network_weight_hint(got, want))
        weights = _randomise(reference, seeded(seed))
        model.set_weights(weights)
        out = _run_model(model, x, made_by)
        expected = np.asarray(reference(x, training=False), np.float64)
        pooling = ("no pooling: DCGAN replaces pooling by stride-2 convolutions, so the network "
                   "learns how to downsample and every pixel passes gradient back to the "
                   "generator.")
        variants = [
            ({"pool": "max"}, pooling), ({"pool": "average"}, pooling),
            ({"act": "relu"}, ("use LeakyReLU(0.2), not ReLU: it keeps a small gradient for "
                               "negative inputs, so the generator gets a signal through every "
                               "unit.")),
            ({"slope": 0.3}, "Keras' LeakyReLU() has slope 0.3 by default; DCGAN uses 0.2."),
            ({"act": None}, "follow each convolution with LeakyReLU(0.2)."),
            ({"last": "sigmoid"}, ("no sigmoid at the end: the course's losses take logits and "
                                   "apply the sigmoid themselves, stably (lesson 01).")),
        ]
        mistakes = []
        with _Float32Policy():
            for kwargs, why in variants:
                variant = _discriminator_variant(width, **kwargs)
                variant.set_weights(weights)
                mistakes.append((np.asarray(variant(x, training=False), np.float64), why))
        expect(out, expected, what=f"the discriminator built by {made_by}", mistakes=mistakes,
               hint=_D_NET, rtol=1e-4, atol=1e-5)
        _same_in_training(model, reference, x, made_by)
    return ("make_dcgan_discriminator halves 28 -> 14 -> 7 with stride-2 convolutions and "
            "LeakyReLU(0.2), returns one raw logit per image and matches "
            "gc.models.dcgan.build_discriminator weight for weight (138,561 weights at width 64), "
            "in inference and training mode.")


_INFO = ("-log Q(c | x) up to constants: the cross-entropy of the K category logits (the first K "
         "columns) with the category, plus continuous_weight times the sum over the codes of "
         "(code - guess)^2 / 2; each averaged over the batch.")


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@exercise("3.5", hint=_INFO)
def ex_3_5(info_loss):
    from gan_course import losses

    cases = [(6, 10, 2, None), (5, 4, 3, 1.0), (4, 3, 1, None), (5, 5, 0, 0.3)]
    for seed, (n, k, c, weight) in enumerate(cases):
        rng = seeded(seed)
        guesses = rng.normal(0.0, 2.0, size=(n, k + c)).astype(np.float32)
        category = rng.integers(k, size=n)
        continuous = rng.uniform(-1.0, 1.0, size=(n, c)).astype(np.float32)
        w = 0.5 if weight is None else weight
        args = (guesses, category, continuous) + (() if weight is None else (weight,))
        what = (f"info_loss(guesses, category, continuous{'' if weight is None else ', ' + str(weight)})"
                f" with {k} categories and {c} continuous codes")
        got = call(info_loss, *args)
        reference = float(losses.info_loss(guesses, category, continuous, w))
        g = guesses.astype(np.float64)
        ce = -_log_softmax(g[:, :k])[np.arange(n), category]
        squares = (g[:, k:] - continuous) ** 2
        gaussian = 0.5 * squares.sum(axis=1)
        one_hot = np.eye(k)[category]
        sigmoid_ce = np.mean(np.logaddexp(0, g[:, :k]) - one_hot * g[:, :k], axis=1)
        wrong_slice = -_log_softmax(g[:, c:])[np.arange(n), category]
        mistakes = [
            (-(ce.mean() + w * gaussian.mean()),
             "the loss is -log Q(c | x), never negative: mind the sign."),
            (ce.sum() + w * gaussian.sum(), "average over the batch (mean), do not sum."),
            (sigmoid_ce.mean() + w * gaussian.mean(),
             "a category is one of K, so Q's guess is a softmax over the K logits: use the softmax "
             "cross-entropy (tf.nn.sparse_softmax_cross_entropy_with_logits), not a sigmoid per "
             "logit."),
            (wrong_slice.mean() + w * gaussian.mean(),
             "the category logits are the first K columns of guesses, the continuous guesses the "
             "last C."),
        ]
        if c:
            mistakes += [
                (ce.mean() + w * squares.sum(axis=1).mean(),
                 "-log of N(code; guess, 1) is (code - guess)^2 / 2 plus a constant: the 1/2 is "
                 "missing."),
                (ce.mean() + w * squares.mean(),
                 "sum the squared errors over the codes of a sample (-log of independent "
                 "Gaussians is a sum), then halve and average over the batch; the mean squared "
                 "error agrees only when there are exactly two codes."),
                (ce.mean() + w * 0.5 * squares.mean(),
                 "sum the Gaussian terms (code - guess)^2 / 2 over the codes of a sample, then "
                 "average over the batch: a mean over the codes is too small."),
                (ce.mean() + 0.5 * gaussian.mean(),
                 "multiply the continuous term by continuous_weight."),
                (ce.mean() + gaussian.mean(), "multiply the continuous term by continuous_weight."),
                (w * gaussian.mean(), "add the category term: the cross-entropy of the K logits."),
                (ce.mean(), "add the continuous codes' term, continuous_weight times the batch mean "
                            "of sum((code - guess)^2) / 2."),
            ]
        expect(got, reference, what=what, mistakes=mistakes, hint=_INFO, rtol=1e-4, atol=1e-5,
               nonfinite_hint="compute the cross-entropy from the logits (log-softmax), not as "
                              "log of a softmax that can round to 0.")
    return ("info_loss gives -log Q(c | x) up to constants (softmax cross-entropy of the category "
            "plus continuous_weight times sum((code - guess)^2) / 2) for 1 to 3 continuous codes "
            "or none, matching gc.losses.info_loss.")
