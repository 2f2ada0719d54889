"""GAN losses: the original GAN's from discriminator logits; the Wasserstein GAN's from critic
scores, with the gradient penalty and weight clipping that keep the critic Lipschitz; and
CycleGAN's least-squares, cycle and identity losses.

Working with logits instead of probabilities keeps every loss finite: ``log(sigmoid(x))`` is
written as ``-softplus(-x)``, which never overflows, even for logits in the thousands.
"""

import tensorflow as tf


def _f32(x):
    return tf.cast(x, tf.float32)


def log_d(logits):
    """log D(x) = log sigmoid(logits), stable for any logit."""
    return -tf.nn.softplus(-_f32(logits))


def log_one_minus_d(logits):
    """log(1 - D(x)) = log sigmoid(-logits), stable for any logit."""
    return -tf.nn.softplus(_f32(logits))


def value_function(real_logits, fake_logits):
    """The minimax value V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))].

    The discriminator maximises it, the generator minimises it. At the equilibrium
    (D = 1/2 everywhere) it equals -log 4.
    """
    return tf.reduce_mean(log_d(real_logits)) + tf.reduce_mean(log_one_minus_d(fake_logits))


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Binary cross-entropy of the discriminator: -V(D, G), to be minimised.

    ``label_smoothing`` is one-sided (Salimans et al. 2016): real targets become
    ``1 - label_smoothing``; fake targets stay 0.
    """
    real_target = 1.0 - label_smoothing
    real_term = real_target * log_d(real_logits) + (1.0 - real_target) * log_one_minus_d(real_logits)
    return -(tf.reduce_mean(real_term) + tf.reduce_mean(log_one_minus_d(fake_logits)))


def generator_loss_saturating(fake_logits):
    """The original minimax generator loss, E[log(1 - D(G(z)))], to be minimised.

    Its gradient vanishes when the discriminator confidently rejects the fakes, which is
    exactly the situation early in training.
    """
    return tf.reduce_mean(log_one_minus_d(fake_logits))


def generator_loss(fake_logits):
    """The non-saturating generator loss, -E[log D(G(z))]; strong gradients where D(G(z)) -> 0."""
    return -tf.reduce_mean(log_d(fake_logits))


generator_loss_nonsaturating = generator_loss


# --- Wasserstein GAN (Arjovsky et al. 2017; Gulrajani et al. 2017) ---------------------------------
# The critic outputs an unbounded score f(x), not a logit: it is trained to make
# mean f(real) - mean f(fake) large, an estimate of the Wasserstein-1 distance when f is
# 1-Lipschitz. The penalty or the clipping below keeps f (near) 1-Lipschitz.

GP_WEIGHT = 10.0  # lambda of Gulrajani et al. 2017
CLIP_VALUE = 0.01  # c of Arjovsky et al. 2017


def wasserstein_estimate(real_scores, fake_scores):
    """mean f(real) - mean f(fake): the critic's estimate of the Wasserstein-1 distance."""
    return tf.reduce_mean(_f32(real_scores)) - tf.reduce_mean(_f32(fake_scores))


def critic_loss(real_scores, fake_scores):
    """The critic's loss, mean f(fake) - mean f(real) (the negative Wasserstein estimate)."""
    return -wasserstein_estimate(real_scores, fake_scores)


def wasserstein_generator_loss(fake_scores):
    """The generator's loss, -mean f(fake): it moves its samples to where the critic scores high."""
    return -tf.reduce_mean(_f32(fake_scores))


def interpolation_weights(batch_size, rank, seed=None):
    """e ~ U[0, 1], one number per example, shaped (batch, 1, ..., 1) to broadcast over the
    example's other ``rank - 1`` axes (its pixels and channels, or its coordinates)."""
    shape = tf.concat([[batch_size], tf.ones([rank - 1], tf.int32)], 0)
    if seed is None:
        return tf.random.uniform(shape)
    return tf.random.stateless_uniform(shape, seed=seed)


def gradient_penalty(critic, real, fake, e=None, seed=None):
    """mean over the batch of (||grad f(x_hat)||_2 - 1)^2 at x_hat = e real + (1 - e) fake.

    ``e`` is drawn per example from U[0, 1] (or given, of shape (batch, 1, ..., 1)); the norm of
    the gradient is taken per example, over all its pixels (or coordinates). The result is the
    penalty without its weight; the critic's loss adds ``GP_WEIGHT`` times it. Differentiable
    with respect to the critic's weights, so call it inside the critic's gradient tape.
    """
    real = _f32(real)
    fake = _f32(fake)
    if e is None:
        e = interpolation_weights(tf.shape(real)[0], len(real.shape), seed)
    x_hat = e * real + (1.0 - e) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = _f32(critic(x_hat, training=True))
    grads = tape.gradient(scores, x_hat)
    axes = list(range(1, len(x_hat.shape)))
    # The tiny constant keeps the square root differentiable where a gradient is exactly 0.
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def clip_weights(variables, clip_value=CLIP_VALUE):
    """Clip every variable into [-clip_value, clip_value] (the original WGAN's Lipschitz bound)."""
    for variable in variables:
        variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))


def info_loss(guesses, category, continuous, continuous_weight=0.5):
    """InfoGAN's information loss, -E[log Q(c | x)] up to constants (Chen et al. 2016).

    ``guesses`` (n, K + C): the Q head's K category logits, then its guesses of the C continuous
    codes; ``category`` (n,) the categories and ``continuous`` (n, C) the codes the fakes were
    made from. The category term is the cross-entropy of the logits. Each continuous code is
    modelled as a Gaussian of standard deviation 1 around Q's guess, whose -log density is
    (c - guess)^2 / 2 plus a constant, summed over the codes; ``continuous_weight`` scales that
    term (InfoGAN weights continuous codes below 1). Both are averaged over the batch.
    """
    guesses = _f32(guesses)
    continuous = _f32(continuous)
    k = guesses.shape[-1] - continuous.shape[-1]
    wrong_category = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(category, tf.int32), logits=guesses[:, :k])
    wrong_codes = 0.5 * tf.reduce_sum(tf.square(guesses[:, k:] - continuous), axis=-1)
    return tf.reduce_mean(wrong_category) + continuous_weight * tf.reduce_mean(wrong_codes)


# --- CycleGAN (Zhu et al. 2017) ------------------------------------------------------------------

def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN (Mao et al. 2017): pull scores of real images to 1 and of fakes to 0, squared.

    Halved, as CycleGAN does: the 1/2 averages the two terms. It does not slow the discriminator
    down, since Adam's steps do not depend on the loss's scale (a slower discriminator needs a
    lower learning rate). The scores are raw outputs (no sigmoid); a PatchGAN gives one per patch and all are averaged.
    """
    real_term = tf.reduce_mean(tf.square(_f32(real_scores) - 1.0))
    fake_term = tf.reduce_mean(tf.square(_f32(fake_scores)))
    return 0.5 * (real_term + fake_term)


def least_squares_generator_loss(fake_scores):
    """LSGAN's generator loss: pull the discriminator's scores of fakes to 1, squared.

    Unlike the log loss its gradient does not vanish for fakes the discriminator already calls
    real but that are still far from the real images' scores, which steadies training.
    """
    return tf.reduce_mean(tf.square(_f32(fake_scores) - 1.0))


def cycle_loss(real, cycled):
    """Mean absolute difference between images and their round trip, e.g. F(G(x)) and x."""
    return tf.reduce_mean(tf.abs(_f32(real) - _f32(cycled)))


def identity_loss(real, same):
    """Mean absolute change a generator makes to an image already in its target domain,
    e.g. G(y) against y for a painting y and the photo-to-painting generator G."""
    return tf.reduce_mean(tf.abs(_f32(real) - _f32(same)))
