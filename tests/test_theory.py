"""The 1-D GAN mathematics of lesson 01 agrees with itself and with gc.losses."""

import numpy as np
import tensorflow as tf

from gan_course import losses, theory

X, DX = theory.grid(-6.0, 9.0, 3001)
P_DATA = theory.gaussian_pdf(X, 0.0, 1.0)
P_G = theory.gaussian_pdf(X, 2.0, 0.7)


def test_gaussian_pdf_integrates_to_one():
    assert abs(np.sum(P_DATA) * DX - 1.0) < 1e-9


def test_optimal_discriminator_maximises_the_integrand_pointwise():
    d_star = theory.optimal_discriminator(P_DATA, P_G)

    def integrand(d):
        return P_DATA * np.log(d) + P_G * np.log1p(-d)

    for eps in (1e-3, -1e-3):
        other = np.clip(d_star + eps, 1e-12, 1 - 1e-12)
        assert np.all(integrand(other) <= integrand(np.clip(d_star, 1e-12, 1 - 1e-12)) + 1e-15)
    assert theory.optimal_discriminator(0.0, 0.0) == 0.5


def test_value_at_optimum_is_minus_log4_plus_twice_jsd():
    jsd = theory.jensen_shannon(P_DATA, P_G, DX)
    assert 0 < jsd < theory.LOG2
    assert np.isclose(theory.value_at_optimum(P_DATA, P_G, DX), -theory.LOG4 + 2 * jsd)
    assert np.isclose(theory.value_at_optimum(P_DATA, P_DATA, DX), -theory.LOG4)
    assert theory.jensen_shannon(P_DATA, P_DATA, DX) == 0.0


def test_jsd_of_disjoint_densities_is_log2():
    p, q = (X < 0).astype(float), ((X > 1) & (X < 7)).astype(float)
    p, q = p / (p.sum() * DX), q / (q.sum() * DX)
    assert np.isclose(theory.jensen_shannon(p, q, DX), theory.LOG2)
    assert theory.kl_divergence(p, q, DX) == np.inf


def test_value_from_probabilities_matches_the_library():
    d_real, d_fake = np.array([0.9, 0.6, 0.3]), np.array([0.2, 0.7])
    expected = losses.value_function(theory.logit(d_real), theory.logit(d_fake))
    assert np.isclose(theory.value_from_probabilities(d_real, d_fake), float(expected), rtol=1e-6)


def test_generator_gradients_match_autodiff():
    logits = tf.constant(np.linspace(-10.0, 10.0, 21), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        saturating = 21 * losses.generator_loss_saturating(logits)
        nonsaturating = 21 * losses.generator_loss_nonsaturating(logits)
    a = logits.numpy()
    assert np.allclose(tape.gradient(saturating, logits), theory.saturating_grad_logit(a),
                       atol=1e-6)
    assert np.allclose(tape.gradient(nonsaturating, logits), theory.nonsaturating_grad_logit(a),
                       atol=1e-6)
    d = theory.sigmoid(a)  # chain rule: dL/da = dL/dD * D(1 - D)
    assert np.allclose(theory.saturating_grad_d(d) * d * (1 - d), theory.saturating_grad_logit(a))
    assert np.allclose(theory.nonsaturating_grad_d(d) * d * (1 - d),
                       theory.nonsaturating_grad_logit(a))
