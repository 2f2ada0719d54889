"""Lesson 09's checks pass on the solution and fail with a hint on stubs and typical mistakes."""

import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import gan_course as gc
from gan_course import checks
from tests.test_checks import _run, _solution_functions, solution_and_stub_tests

SOLUTION = _solution_functions("09_pix2pix.ipynb")
EXERCISES = {"9.1": ["shrink"], "9.2": ["decoder_level"], "9.3": ["critic_pairs"],
             "9.4": ["generator_loss"], "9.5": ["psnr"]}

test_check_passes_on_the_solution, test_check_says_not_attempted_on_the_stub = (
    solution_and_stub_tests(EXERCISES, SOLUTION))


def _area(images, factor):
    return tf.image.resize(images, [images.shape[1] // factor, images.shape[2] // factor],
                           method="area").numpy()


def test_9_1_accepts_tensorflow_area_resizing(capsys):
    assert _run(checks.ex_9_1, _area, capsys=capsys)


MISTAKES_91 = [
    (lambda x, f: x[:, ::f, ::f], "aliasing"),
    (lambda x, f: x[:, f // 2::f, f // 2::f], "still sampling"),
    (lambda x, f: x.reshape(x.shape[0], x.shape[1] // f, f, x.shape[2] // f, f, -1).sum((2, 4)),
     "do not sum it"),
    (lambda x, f: x.reshape(x.shape[0], x.shape[1] // f, x.shape[2] // f, f, f, -1).mean((3, 4)),
     "that reshape mixes rows"),
    (lambda x, f: tf.image.resize(x, [x.shape[1] // f, x.shape[2] // f]).numpy(),
     "reshape (n, H, W, C) to"),
]


@pytest.mark.parametrize("shrink,hint", MISTAKES_91)
def test_9_1_mistakes(shrink, hint, capsys):
    result = _run(checks.ex_9_1, shrink, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _level(join="concat", relu=True, transposed=False, kernel=3, skip_first=False):
    def decoder_level(h, skip, filters):
        if transposed:
            up = layers.Conv2DTranspose(filters, 4, strides=2, padding="same")(h)
        else:
            up = layers.Conv2D(filters, kernel, padding="same")(layers.UpSampling2D(2)(h))
        if relu:
            up = layers.ReLU()(up)
        if join == "add":
            return layers.Add()([up, layers.Conv2D(filters, 1)(skip)])
        return layers.Concatenate()([skip, up] if skip_first else [up, skip])

    return decoder_level


def test_9_2_accepts_the_skip_first(capsys):
    assert _run(checks.ex_9_2, _level(skip_first=True), capsys=capsys)


MISTAKES_92 = [
    (_level(join="add"), "concatenate, so the skip's channels"),
    (_level(relu=False), "a ReLU follows the convolution"),
    (_level(transposed=True), "a 4x4 transposed convolution"),
    (_level(kernel=1), "holds"),
    (lambda h, skip, f: layers.Concatenate()([layers.UpSampling2D(2)(h), skip]), "gives"),
    (lambda h, skip, f: np.zeros((1, 8, 8, 32)), "not a Keras tensor"),
]


@pytest.mark.parametrize("level,hint", MISTAKES_92)
def test_9_2_mistakes(level, hint, capsys):
    result = _run(checks.ex_9_2, level, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _pairs(real, fake):
    return lambda d, r, o: (real(d, r, o), fake(d, r, o))


def _join(*names):
    return lambda d, r, o: np.concatenate([{"d": d, "r": r, "o": o}[n] for n in names], -1)


MISTAKES_93 = [
    (_pairs(lambda d, r, o: o, lambda d, r, o: r), "cannot tell whether it belongs"),
    (_pairs(_join("o", "d"), _join("r", "d")), "the damaged input comes first"),
    (_pairs(_join("r", "o"), _join("d", "r")), "at test time there is no original"),
    (_pairs(_join("d", "o"), lambda d, r, o: r), "the fake pair too"),
    (lambda d, r, o: np.concatenate([d, o], -1), "must return two batches"),
]


@pytest.mark.parametrize("pairs,hint", MISTAKES_93)
def test_9_3_mistakes(pairs, hint, capsys):
    result = _run(checks.ex_9_3, pairs, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _loss(adversarial="ns", distance="l1", weight_on="l1", reduce="mean"):
    def generator_loss(scores, restored, original, weight):
        s = tf.convert_to_tensor(scores)
        adv = {"ns": tf.reduce_mean(tf.math.softplus(-s)),
               "sat": -tf.reduce_mean(tf.math.softplus(s)), "none": 0.0}[adversarial]
        error = tf.convert_to_tensor(restored) - original
        per_pixel = tf.abs(error) if distance == "l1" else tf.square(error)
        dist = tf.reduce_mean(per_pixel) if reduce == "mean" else tf.reduce_sum(per_pixel)
        if distance == "none":
            dist = 0.0
        return weight * adv + dist if weight_on == "adversarial" else adv + weight * dist

    return generator_loss


MISTAKES_94 = [
    (_loss(adversarial="sat"), "saturating loss"),
    (_loss(distance="l2"), "squared (L2) error"),
    (_loss(weight_on="adversarial"), "the weight multiplies the L1 term"),
    (_loss(reduce="sum"), "do not sum them"),
    (_loss(adversarial="none"), "without it this is the L1 baseline"),
    (_loss(distance="none"), "the L1 term is missing"),
]


@pytest.mark.parametrize("loss,hint", MISTAKES_94)
def test_9_4_mistakes(loss, hint, capsys):
    result = _run(checks.ex_9_4, loss, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def test_9_4_accepts_the_library_losses(capsys):
    def generator_loss(scores, restored, original, weight):
        l1 = tf.reduce_mean(tf.abs(tf.convert_to_tensor(restored) - original))
        return gc.losses.generator_loss(tf.convert_to_tensor(scores)) + weight * l1

    assert _run(checks.ex_9_4, generator_loss, capsys=capsys)


def test_9_5_accepts_tensorflow_psnr(capsys):
    assert _run(checks.ex_9_5, lambda r, o: tf.image.psnr(r, o, 1.0).numpy(), capsys=capsys)


MISTAKES_95 = [
    (lambda r, o: np.full(len(r), 10 * np.log10(1 / ((r - o) ** 2).mean())), "one PSNR per picture"),
    (lambda r, o: 10 * np.log10(255**2 / ((r - o) ** 2).mean((1, 2, 3))), "the peak is 1"),
    (lambda r, o: 20 * np.log10(1 / ((r - o) ** 2).mean((1, 2, 3))), "not 20 log10"),
    (lambda r, o: 10 * np.log10(1 / np.abs(r - o).mean((1, 2, 3))), "squared error"),
]


@pytest.mark.parametrize("psnr,hint", MISTAKES_95)
def test_9_5_mistakes(psnr, hint, capsys):
    result = _run(checks.ex_9_5, psnr, capsys=capsys)
    assert not result.passed and hint in result.line, result.line
