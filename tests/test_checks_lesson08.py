"""Lesson 08's checks pass on the solution and fail with a hint on stubs and typical mistakes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from gan_course import checks
from gan_course.models import art_gan
from tests.test_checks import _run, _solution_functions, solution_and_stub_tests

SOLUTION = _solution_functions("08_art_gan.ipynb")
EXERCISES = {"8.1": ["adain"], "8.2": ["demodulation"], "8.3": ["mapping_network"],
             "8.4": ["discriminator_batch"], "8.5": ["truncate"], "8.6": ["mix_styles"]}

test_check_passes_on_the_solution, test_check_says_not_attempted_on_the_stub = (
    solution_and_stub_tests(EXERCISES, SOLUTION))


def _failed_with(check, function, hint, capsys):
    result = _run(check, function, capsys=capsys)
    assert not result.passed and " Hint: " in result.line and hint in result.line, result.line


# --- 8.1 AdaIN ---------------------------------------------------------------------------------------

def _adain(axes=(1, 2), spread="std", eps=1e-5, ddof=0, swap=False, restyle=True):
    def adain(x, mean, std):
        mu = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        divisor = np.sqrt(var + eps) if spread == "std" else var + eps
        x_hat = (x - mu) / divisor
        if not restyle:
            return x_hat
        scale, shift = (mean, std) if swap else (std, mean)
        return scale[:, None, None, :] * x_hat + shift[:, None, None, :]

    return adain


def test_8_1_accepts_tensorflow_moments_and_eps_outside_the_root(capsys):
    def adain(x, mean, std):
        mu, var = tf.nn.moments(tf.constant(x), axes=[1, 2], keepdims=True)
        return std[:, None, None, :] * (x - mu) / (tf.sqrt(var) + 1e-5) + mean[:, None, None, :]

    assert _run(checks.ex_8_1, adain, capsys=capsys)


MISTAKES_81 = [
    (_adain(axes=(0, 1, 2)), "those are the batch's statistics"),
    (_adain(axes=(1, 2, 3)), "the statistics mix the channels"),
    (_adain(axes=(3,)), "run over the channels at each pixel"),
    (_adain(spread="var"), "dividing by the variance"),
    (_adain(ddof=1), "not by H * W - 1"),
    (_adain(swap=True), "std * x_hat + mean"),
    (_adain(restyle=False), "that is x_hat alone"),
    (_adain(eps=0.0), "without eps, x_hat = 0 / 0 = nan"),
]


@pytest.mark.parametrize("adain,hint", MISTAKES_81)
def test_8_1_mistakes(adain, hint, capsys):
    _failed_with(checks.ex_8_1, adain, hint, capsys)


# --- 8.2 demodulation -----------------------------------------------------------------------------------

def _demod(root=True, invert=True, use_style=True, reduce=np.sum, axes=(0, 1, 2), eps=1e-8):
    def demodulation(kernel, styles):
        w = kernel[None] * (styles[:, None, None, :, None] if use_style else 1.0)
        total = reduce(w ** 2, axis=tuple(a + 1 for a in axes)) + eps
        value = np.sqrt(total) if root else total
        return 1 / value if invert else value

    return demodulation


MISTAKES_82 = [
    (_demod(root=False), "divide by the square root of the sum"),
    (_demod(invert=False), "multiplies by its inverse"),
    (_demod(use_style=False), "style must enter"),
    (lambda kernel, styles: 1 / np.sqrt((kernel ** 2).sum(axis=(0, 1, 2)) + 1e-8),
     "each image's style must enter"),
    (_demod(reduce=np.mean), "not their mean"),
    (_demod(axes=(0, 1)), "sum over the kernel's height, width *and* input channels"),
    (_demod(eps=0.0), "add eps (1e-8) under the square root"),
]


@pytest.mark.parametrize("demodulation,hint", MISTAKES_82)
def test_8_2_mistakes(demodulation, hint, capsys):
    _failed_with(checks.ex_8_2, demodulation, hint, capsys)


def test_8_2_accepts_the_einsum_form(capsys):
    def demodulation(kernel, styles):
        return 1 / np.sqrt(np.einsum("ijco,nc->no", kernel ** 2, styles ** 2) + 1e-8)

    assert _run(checks.ex_8_2, demodulation, capsys=capsys)


# --- 8.3 the mapping network -------------------------------------------------------------------------------

def _mapping(norm="pixel", hidden_width=None, depth_change=0, last="leaky", hidden="leaky",
             use_bias=True):
    def mapping_network(latent_dim, w_dim, depth):
        z = keras.Input((latent_dim,))
        h = z
        if norm == "pixel":
            h = layers.UnitNormalization()(h) * np.sqrt(latent_dim)
        elif norm == "unit":
            h = layers.UnitNormalization()(h)
        n = depth + depth_change
        for i in range(n):
            width = latent_dim if hidden_width == "latent" and i < n - 1 else w_dim
            h = layers.Dense(width, use_bias=use_bias)(h)
            act = last if i == n - 1 else hidden
            if act == "leaky":
                h = layers.LeakyReLU(0.2)(h)
            elif act in ("relu", "tanh"):
                h = layers.Activation(act)(h)
        return keras.Model(z, h)

    return mapping_network


def test_8_3_accepts_pixel_norm_written_with_keras_ops(capsys):
    def mapping_network(latent_dim, w_dim, depth):
        z = keras.Input((latent_dim,))
        h = z * keras.ops.rsqrt(keras.ops.mean(keras.ops.square(z), axis=-1, keepdims=True)
                                + 1e-8)
        for _ in range(depth):
            h = layers.LeakyReLU(0.2)(layers.Dense(w_dim)(h))
        return keras.Model(z, h)

    assert _run(checks.ex_8_3, mapping_network, capsys=capsys)


MISTAKES_83 = [
    (_mapping(norm="none"), "normalise z first"),
    (_mapping(norm="unit"), "dividing by the length (UnitNormalization)"),
    (_mapping(last="tanh"), "no bounded activation at the end"),
    (_mapping(last="none"), "every Dense, the last too"),
    (_mapping(last="relu", hidden="relu"), "LeakyReLU(0.2), not ReLU"),
    (_mapping(last="none", hidden="none"), "a stack of linear maps is linear"),
    (_mapping(hidden_width="latent"), "not latent_dim"),
    (_mapping(depth_change=1), "`depth` counts the Dense layers"),
    (_mapping(depth_change=-1), "`depth` counts the Dense layers"),
    (_mapping(use_bias=False), "each Dense keeps its bias"),
    (lambda latent_dim, w_dim, depth: keras.ops.zeros((1, w_dim)), "not a Keras model"),
]


@pytest.mark.parametrize("mapping_network,hint", MISTAKES_83)
def test_8_3_mistakes(mapping_network, hint, capsys):
    _failed_with(checks.ex_8_3, mapping_network, hint, capsys)


# --- 8.4 what the discriminator sees -----------------------------------------------------------------------

def _seen(real_aug=True, fake_aug=True, detach=False, seed_of=lambda s: s, numpy_fake=False):
    def discriminator_batch(real, fake, augment, seed):
        if numpy_fake:
            fake = np.asarray(fake)
        real_seen = augment(real, seed_of(seed)) if real_aug else real
        fake_seen = augment(fake, seed_of(seed) + 1) if fake_aug else fake
        return real_seen, tf.stop_gradient(fake_seen) if detach else fake_seen

    return discriminator_batch


def test_8_4_accepts_one_batch_through_augment_and_the_same_seed_for_both(capsys):
    def together(real, fake, augment, seed):
        both = augment(tf.concat([real, fake], axis=0), seed)
        return both[:len(real)], both[len(real):]

    assert _run(checks.ex_8_4, together, capsys=capsys)
    assert _run(checks.ex_8_4, lambda r, f, a, s: (a(r, s), a(f, s)), capsys=capsys)


def _flipped_fakes(real, fake, augment, seed):
    return augment(real, seed), tf.reverse(augment(fake, seed + 1), axis=[2])


MISTAKES_84 = [
    (_seen(fake_aug=False), "the augmentation leaks"),
    (_seen(real_aug=False), "augmented means fake"),
    (_seen(real_aug=False, fake_aug=False), "returned the batches unchanged"),
    (_seen(detach=True), "no tf.stop_gradient"),
    (_seen(numpy_fake=True), "keep the fakes as tensors"),
    (_seen(seed_of=lambda s: 0), "the cutout hides the same squares"),
    (_flipped_fakes, "the same policy for real and fake"),
    (lambda r, f, a, s: tf.concat([a(r, s), a(f, s + 1)], 0), "expected two batches"),
]


@pytest.mark.parametrize("discriminator_batch,hint", MISTAKES_84)
def test_8_4_mistakes(discriminator_batch, hint, capsys):
    _failed_with(checks.ex_8_4, discriminator_batch, hint, capsys)


def test_8_4_notices_a_seed_drawn_afresh(capsys):
    fresh = np.random.default_rng()

    def discriminator_batch(real, fake, augment, seed):
        s = int(fresh.integers(1 << 30))
        return augment(real, s), augment(fake, s + 1)

    _failed_with(checks.ex_8_4, discriminator_batch, "derive every random choice from `seed`",
                 capsys)


# --- 8.5 the truncation trick ----------------------------------------------------------------------------

MISTAKES_85 = [
    (lambda w, m, psi: psi * w, "shrinks w towards 0"),
    (lambda w, m, psi: np.clip(w, -psi, psi), "BigGAN's truncation"),
    (lambda w, m, psi: w + psi * (m - w), "psi and 1 - psi are swapped"),
    (lambda w, m, psi: psi * (w - m), "add w_mean back"),
    (lambda w, m, psi: m + psi * (w - m.mean()), "w_mean + psi * (w - w_mean)"),
]


@pytest.mark.parametrize("truncate,hint", MISTAKES_85)
def test_8_5_mistakes(truncate, hint, capsys):
    _failed_with(checks.ex_8_5, truncate, hint, capsys)


def test_8_5_accepts_tensorflow(capsys):
    assert _run(checks.ex_8_5, lambda w, m, psi: tf.constant(m) + psi * (tf.constant(w) - m),
                capsys=capsys)


# --- 8.6 style mixing ---------------------------------------------------------------------------------------

def _mix(order="coarse_first", inclusive=False, axis=1):
    def mix_styles(w_coarse, w_fine, crossover, n_layers):
        first, second = (w_coarse, w_fine) if order == "coarse_first" else (w_fine, w_coarse)
        k = crossover + 1 if inclusive else crossover
        if order == "reversed":
            first, second, k = w_fine, w_coarse, n_layers - crossover
        rows = [first if layer < k else second for layer in range(n_layers)]
        return np.stack(rows, axis=axis)

    return mix_styles


def test_8_6_accepts_slices_and_concatenation(capsys):
    def mix_styles(w_coarse, w_fine, crossover, n_layers):
        coarse = tf.repeat(tf.constant(w_coarse)[:, None], crossover, axis=1)
        fine = tf.repeat(tf.constant(w_fine)[:, None], n_layers - crossover, axis=1)
        return tf.concat([coarse, fine], axis=1)

    assert _run(checks.ex_8_6, mix_styles, capsys=capsys)


MISTAKES_86 = [
    (_mix(order="reversed"), "the layers are in the wrong order"),
    (_mix(inclusive=True), "off by one"),
    (_mix(order="fine_first"), "they are swapped"),
    (_mix(axis=0), "the layer axis comes second"),
]


@pytest.mark.parametrize("mix_styles,hint", MISTAKES_86)
def test_8_6_mistakes(mix_styles, hint, capsys):
    _failed_with(checks.ex_8_6, mix_styles, hint, capsys)


def test_the_checks_compare_with_the_library_functions():
    """The references are the model's own functions, which the lesson's widgets use too."""
    w = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    assert np.allclose(art_gan.truncate(w, w[0], 0.0), w[0])
    mixed = art_gan.mix_styles(w[:1], w[1:], 2, 5)
    assert mixed.shape == (1, 5, 4) and np.allclose(mixed[0, 1], w[0])
    assert np.allclose(mixed[0, 2], w[1])
