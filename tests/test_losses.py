import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from gan_course import losses


def test_value_at_equilibrium_is_minus_log_4():
    zeros = tf.zeros(1000)  # logit 0 <=> D = 1/2 everywhere
    assert float(losses.value_function(zeros, zeros)) == pytest.approx(-np.log(4), abs=1e-6)
    assert float(losses.discriminator_loss(zeros, zeros)) == pytest.approx(np.log(4), abs=1e-6)


def test_losses_match_probability_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=64).astype("f4"), rng.normal(size=64).astype("f4")
    d_real, d_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    value = np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))
    assert float(losses.value_function(real, fake)) == pytest.approx(value, rel=1e-5)
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(-value, rel=1e-5)
    assert float(losses.generator_loss_saturating(fake)) == pytest.approx(np.mean(np.log(1 - d_fake)), rel=1e-5)
    assert float(losses.generator_loss(fake)) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-5)


def test_one_sided_label_smoothing_only_moves_real_targets():
    real, fake = tf.constant([3.0]), tf.constant([-2.0])
    smoothed = losses.discriminator_loss(real, fake, label_smoothing=0.1)
    expected = -(0.9 * np.log(1 / (1 + np.exp(-3.0))) + 0.1 * np.log(1 - 1 / (1 + np.exp(-3.0)))
                 + np.log(1 - 1 / (1 + np.exp(2.0))))
    assert float(smoothed) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("logit", [-1e4, -80.0, 80.0, 1e4])
def test_losses_stay_finite_for_huge_logits(logit):
    x = tf.constant([logit])
    for value in (losses.discriminator_loss(x, x), losses.generator_loss(x),
                  losses.generator_loss_saturating(x), losses.value_function(x, x)):
        assert np.isfinite(float(value))


def _grad(fn, logit):
    x = tf.Variable([logit])
    with tf.GradientTape() as tape:
        loss = fn(x)
    return float(tape.gradient(loss, x)[0])


def test_saturating_gradient_vanishes_where_discriminator_rejects_fakes():
    # D(G(z)) = sigmoid(-12) ~ 6e-6: the generator's fakes are confidently rejected.
    saturating = _grad(losses.generator_loss_saturating, -12.0)
    non_saturating = _grad(losses.generator_loss, -12.0)
    assert abs(saturating) < 1e-5
    assert abs(non_saturating) > 0.99
    # Both push the logit up (towards "real") where the discriminator is undecided.
    assert _grad(losses.generator_loss_saturating, 0.0) < 0 and _grad(losses.generator_loss, 0.0) < 0


def test_optimal_discriminator_for_two_gaussians():
    """Minimising the discriminator loss recovers D* = p_data / (p_data + p_g)."""
    rng = np.random.default_rng(0)
    data_mu, data_sd, g_mu, g_sd = 1.0, 0.5, -0.5, 1.0
    x_real = rng.normal(data_mu, data_sd, 20000).astype("f4")
    x_fake = rng.normal(g_mu, g_sd, 20000).astype("f4")
    # log p_data/p_g is quadratic in x, so a logistic model on (x, x^2) can represent D* exactly.
    w = tf.Variable(tf.zeros(3))

    def logits(x):
        return w[0] + w[1] * x + w[2] * x * x

    opt = tf.keras.optimizers.Adam(0.05)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(logits(x_real), logits(x_fake))
        opt.apply_gradients([(tape.gradient(loss, w), w)])

    for _ in range(600):
        step()
    grid = np.linspace(-1.5, 2.5, 41).astype("f4")
    p_data, p_g = stats.norm.pdf(grid, data_mu, data_sd), stats.norm.pdf(grid, g_mu, g_sd)
    d_star = p_data / (p_data + p_g)
    learned = tf.sigmoid(logits(grid)).numpy()
    assert np.max(np.abs(learned - d_star)) < 0.05


@pytest.mark.parametrize("codes", [0, 1, 3])
def test_info_loss_is_minus_log_q_up_to_constants(codes):
    """Softmax cross-entropy of the category, plus the weight times -log N(code; guess, 1)
    without its constant, summed over the codes; both averaged over the batch."""
    rng = np.random.default_rng(codes)
    n, k = 7, 4
    guesses = rng.normal(0.0, 2.0, (n, k + codes)).astype("f4")
    category = rng.integers(k, size=n)
    continuous = rng.uniform(-1, 1, (n, codes)).astype("f4")
    logits = guesses[:, :k].astype(np.float64)
    log_q_category = logits[np.arange(n), category] - np.log(np.exp(logits).sum(axis=1))
    log_q_codes = stats.norm.logpdf(continuous, loc=guesses[:, k:]).sum(axis=1)
    constant = codes * np.log(np.sqrt(2 * np.pi))  # what the loss leaves out
    expected = -log_q_category.mean() + 0.3 * (-log_q_codes.mean() - constant)
    got = float(losses.info_loss(guesses, category, continuous, continuous_weight=0.3))
    assert got == pytest.approx(expected, rel=1e-5)
