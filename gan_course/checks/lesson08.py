"""Checks for lesson 08, new artworks from a few paintings: exercises 8.1 to 8.6 (the mapping
network, 8.3, and what the discriminator sees, 8.4, in ``style_networks``).

Each check compares the student's function with the reference in
:mod:`gan_course.models.art_gan` (imported, never copied) and recognises the typical mistakes.
"""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded
from gan_course.checks.mapping_augment import ex_8_3, ex_8_4  # noqa: F401 - the lesson's networks


def _art_gan():
    from gan_course.models import art_gan

    return art_gan


def _numbers(x):
    return np.asarray(x, np.float64)


# --- 8.1 AdaIN -------------------------------------------------------------------------------------

_ADAIN = ("per image and per channel: the mean and the standard deviation over H and W (axes 1 "
          "and 2), x_hat = (x - mean) / sqrt(variance + eps), then std * x_hat + mean, with the "
          "target mean and std of shape (n, C) broadcast to (n, 1, 1, C).")


def _adain_with(x, mean, std, axes=(1, 2), spread="std", eps=1e-5, ddof=0):
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    divisor = {"std": np.sqrt(var + eps), "var": var + eps, "none": np.sqrt(var)}[spread]
    return std[:, None, None, :] * (x - mu) / divisor + mean[:, None, None, :]


def _feature_maps(seed, shape):
    """Maps whose images and channels each have their own mean and spread."""
    rng = seeded(seed)
    n, c = shape[0], shape[-1]
    return (rng.normal(size=shape) * rng.uniform(0.3, 3.0, (n, 1, 1, c))
            + rng.normal(0, 2, (n, 1, 1, c))).astype(np.float32)


@exercise("8.1", hint=_ADAIN)
def ex_8_1(adain):
    reference = _art_gan().adain
    for seed, shape in enumerate([(2, 5, 4, 3), (3, 6, 6, 2), (1, 3, 7, 4)]):
        x = _feature_maps(seed, shape)
        rng = seeded(seed + 10)
        mean = rng.normal(0, 1, (shape[0], shape[-1])).astype(np.float32)
        std = rng.uniform(0.5, 2.0, (shape[0], shape[-1])).astype(np.float32)
        x64, mean64, std64 = _numbers(x), _numbers(mean), _numbers(std)
        mistakes = [
            (_adain_with(x64, mean64, std64, axes=(0, 1, 2)),
             "those are the batch's statistics (batch norm): a painting's style would depend "
             "on the other pictures of its batch. Leave the batch axis 0 out."),
            (_adain_with(x64, mean64, std64, axes=(1, 2, 3)),
             "the statistics mix the channels: each channel is one feature, with its own mean "
             "and spread (lesson 06's statistics are per channel). Average over H and W only."),
            (_adain_with(x64, mean64, std64, axes=(3,)),
             "those statistics run over the channels at each pixel; AdaIN's run over the pixels "
             "of each channel, axes 1 and 2."),
            (_adain_with(x64, mean64, std64, spread="var"),
             "divide by the standard deviation, sqrt(variance + eps): dividing by the variance "
             "leaves a channel of spread s with spread 1 / s instead of 1."),
            (_adain_with(x64, mean64, std64, ddof=1),
             "the variance over the pixels divides by H * W (np.var's and tf.nn.moments' "
             "default), not by H * W - 1."),
            (_adain_with(x64, std64, mean64),
             "the target std scales x_hat and the target mean is added: std * x_hat + mean."),
            (_adain_with(x64, np.zeros_like(mean64), np.ones_like(std64)),
             "that is x_hat alone: give it the target statistics, std * x_hat + mean."),
        ]
        got = call(adain, x, mean, std)
        expect(got, _numbers(reference(x, mean, std)), what=f"adain(x of shape {shape}, mean, std)",
               mistakes=mistakes, hint=_ADAIN, rtol=1e-4, atol=1e-4)
    # A flat channel (a feature that did not fire) must come out as the target mean.
    x = _feature_maps(5, (2, 4, 4, 3))
    x[1, :, :, 2] = 0.75
    mean, std = np.full((2, 3), 0.5, np.float32), np.full((2, 3), 2.0, np.float32)
    got = call(adain, x, mean, std)
    expect(got, _numbers(reference(x, mean, std)), what="adain(x with a flat channel, mean, std)",
           nonfinite_hint="a flat channel has variance 0: without eps, x_hat = 0 / 0 = nan. "
                          "Add eps to the variance under the square root.",
           hint=_ADAIN, rtol=1e-4, atol=1e-4)
    out = _numbers(got)
    return (f"adain gives every image's channels the target mean and std (output std "
            f"{out[0, ..., 0].std():.2f} for a target of 2.00), with per-image per-channel "
            f"statistics over H and W, and a flat channel becomes its target mean.")


# --- 8.2 demodulation --------------------------------------------------------------------------------

_DEMOD = ("an output channel o sums kernel[i, j, c, o] * style[c] * x over i, j and c; with "
          "independent unit-variance inputs its variance is the sum of the squares of those "
          "weights. Divide by its square root: 1 / sqrt(sum over i, j, c of (kernel * style[c])^2 "
          "+ eps), one number per image and output channel, shape (n, c_out).")


def _demod_with(kernel, styles, axes=(0, 1, 2), root=True, use_style=True, reduce="sum",
                eps=1e-8, invert=True):
    w = kernel[None] * (styles[:, None, None, :, None] if use_style else 1.0)
    total = (w ** 2).sum(axis=tuple(a + 1 for a in axes)) if reduce == "sum" else (
        (w ** 2).mean(axis=tuple(a + 1 for a in axes)))
    value = np.sqrt(total + eps) if root else total + eps
    return 1.0 / value if invert else value


def _output_spread(kernel, styles, coefficients, seed):
    """The std of each image's modulated, convolved and demodulated output channels, for inputs
    of unit variance: the requirement itself, measured."""
    import tensorflow as tf

    x = seeded(seed).normal(size=(styles.shape[0], 24, 24, kernel.shape[2])).astype(np.float32)
    y = tf.nn.conv2d(x * styles[:, None, None, :], kernel, 1, "VALID").numpy()
    return (y * coefficients[:, None, None, :]).std(axis=(1, 2))


@exercise("8.2", hint=_DEMOD)
def ex_8_2(demodulation):
    reference = _art_gan().demodulation
    for seed, (k, c_in, c_out, n) in enumerate([(3, 4, 5, 2), (1, 6, 3, 3), (3, 8, 6, 2)]):
        rng = seeded(seed)
        kernel = rng.normal(0, 0.5, (k, k, c_in, c_out)).astype(np.float32)
        styles = rng.uniform(0.2, 2.0, (n, c_in)).astype(np.float32)
        kernel64, styles64 = _numbers(kernel), _numbers(styles)
        mistakes = [
            (_demod_with(kernel64, styles64, root=False),
             "variances add, standard deviations do not: divide by the square root of the sum "
             "of squares, or the output's variance comes out 1 / variance instead of 1."),
            (_demod_with(kernel64, styles64, invert=False),
             "that is the output's standard deviation; demodulation multiplies by its inverse."),
            (_demod_with(kernel64, styles64, use_style=False),
             "the inputs meet the *modulated* weights, kernel * style[c_in]: the style must "
             "enter, or a loud style would make a loud output."),
            (_demod_with(kernel64, styles64, reduce="mean"),
             "the output is a sum over k * k * c_in terms, so its variance is the sum of their "
             "squared weights, not their mean."),
        ]
        what = f"demodulation(kernel {kernel.shape}, styles {styles.shape})"
        got = as_numbers(call(demodulation, kernel, styles), what)
        expected = _numbers(reference(kernel, styles))
        if got.shape in ((c_out,), (1, c_out)):
            raise Mismatch(f"{what} returned shape {got.shape}; expected {(n, c_out)}.",
                           "one row per image: the inputs meet the *modulated* weights, kernel * "
                           "style[c_in], so each image's style must enter, or a loud style "
                           "would make a loud output.")
        if got.shape != (n, c_out):
            raise Mismatch(f"{what} returned shape {got.shape}; expected {(n, c_out)}.",
                           "sum over the kernel's height, width *and* input channels: one "
                           "number per image and output channel.")
        expect(got, expected, what=what, mistakes=mistakes, hint=_DEMOD, rtol=1e-4, atol=1e-6)
        spread = _output_spread(kernel, styles, _numbers(got).astype(np.float32), seed + 3)
        if not np.allclose(spread, 1.0, atol=0.15):
            raise Mismatch(f"unit-variance inputs give output stds {fmt(spread)}, not 1.", _DEMOD)
    kernel = seeded(7).normal(0, 0.5, (3, 3, 2, 2)).astype(np.float32)
    styles = np.zeros((1, 2), np.float32)  # a style that silences every input channel
    expect(call(demodulation, kernel, styles), _numbers(reference(kernel, styles)),
           what="demodulation(kernel, styles of zeros)", hint=_DEMOD, rtol=1e-4,
           nonfinite_hint="a style of zeros makes the sum 0 and 1 / sqrt(0) infinite: add eps "
                          "(1e-8) under the square root.")
    return (f"demodulation scales each output channel by 1 / sqrt(sum (kernel * style)^2 + eps): "
            f"unit-variance inputs came out with stds {spread.min():.2f} to {spread.max():.2f}.")


# --- 8.5 the truncation trick ------------------------------------------------------------------------

_TRUNCATE = ("move each w towards the average w by the factor psi: w_mean + psi * (w - w_mean), "
             "so psi = 1 keeps w and psi = 0 gives w_mean, for w of shape (n, w_dim) or "
             "(n, layers, w_dim).")


@exercise("8.5", hint=_TRUNCATE)
def ex_8_5(truncate):
    reference = _art_gan().truncate
    cases = [((4, 8), 0.7), ((3, 5, 8), 0.5), ((4, 8), 0.0), ((2, 3, 8), 1.0), ((4, 8), 0.3)]
    for seed, (shape, psi) in enumerate(cases):
        rng = seeded(seed)
        w = rng.normal(0, 1, shape).astype(np.float32)
        w_mean = rng.normal(1.5, 0.5, shape[-1]).astype(np.float32)  # far from 0, as trained
        w64, m64 = _numbers(w), _numbers(w_mean)
        mistakes = [
            (psi * w64, "that shrinks w towards 0, but 0 is not an average w: the mapping "
                        "network's outputs gather around w_mean, so move w towards w_mean."),
            (np.clip(w64, -psi, psi), "clipping w is BigGAN's truncation of z, and 0 is not "
                                      "the centre of w: move w towards w_mean by the factor "
                                      "psi."),
            (m64 + (1 - psi) * (w64 - m64), "psi and 1 - psi are swapped: psi = 1 must keep w "
                                            "as it is, psi = 0 give w_mean."),
            (psi * (w64 - m64), "psi * (w - w_mean) is the scaled offset alone: add w_mean back."),
        ]
        got = call(truncate, w, w_mean, psi)
        expect(got, _numbers(reference(w, w_mean, psi)),
               what=f"truncate(w of shape {shape}, w_mean, psi={psi})", mistakes=mistakes,
               hint=_TRUNCATE, rtol=1e-5, atol=1e-5)
    return ("truncate moves w towards w_mean by psi: psi = 1 keeps w, psi = 0 gives w_mean, for "
            "one w per image or one per layer.")


# --- 8.6 style mixing --------------------------------------------------------------------------------

_MIX = ("stack (n, n_layers, w_dim): layers 0 .. crossover - 1 (the coarse ones, next to the "
        "4 x 4 constant) take w_coarse, layers crossover .. n_layers - 1 take w_fine; crossover 0 "
        "gives w_fine everywhere, crossover n_layers w_coarse everywhere.")


@exercise("8.6", hint=_MIX)
def ex_8_6(mix_styles):
    reference = _art_gan().mix_styles
    for seed, (n, w_dim, n_layers, crossover) in enumerate(
            [(3, 4, 6, 2), (2, 5, 10, 7), (2, 3, 6, 0), (1, 4, 6, 6), (2, 4, 8, 1)]):
        rng = seeded(seed)
        coarse = rng.normal(0, 1, (n, w_dim)).astype(np.float32)
        fine = rng.normal(5, 1, (n, w_dim)).astype(np.float32)
        c64 = np.repeat(_numbers(coarse)[:, None], n_layers, 1)
        f64 = np.repeat(_numbers(fine)[:, None], n_layers, 1)
        layer = np.arange(n_layers)[None, :, None]
        what = (f"mix_styles(w_coarse, w_fine, crossover={crossover}, n_layers={n_layers}) "
                f"for {n} images")
        got = call(mix_styles, coarse, fine, crossover, n_layers)
        shape = np.asarray(got).shape
        if shape == (n_layers, n, w_dim) and n != n_layers:
            raise Mismatch(f"{what} returned shape {shape}; expected {(n, n_layers, w_dim)}.",
                           "the layer axis comes second, after the images: stack along axis 1.")
        mistakes = [
            (np.where(layer < n_layers - crossover, f64, c64),
             "the layers are in the wrong order: layer 0 acts on the 4 x 4 constant and sets "
             "the coarse layout, so the first `crossover` layers take w_coarse."),
            (np.where(layer <= crossover, c64, f64),
             "off by one: w_coarse fills exactly `crossover` layers, 0 .. crossover - 1."),
            (np.where(layer < crossover, f64, c64), "w_coarse goes to the first layers, w_fine "
                                                    "to the last: they are swapped."),
        ]
        expect(got, _numbers(reference(coarse, fine, crossover, n_layers)), what=what,
               mistakes=mistakes, hint=_MIX, rtol=1e-6, atol=1e-6)
    return ("mix_styles gives the first `crossover` layers w_coarse and the rest w_fine, shape "
            "(n, n_layers, w_dim), from crossover 0 (all fine) to n_layers (all coarse).")
