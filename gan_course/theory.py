"""The 1-D mathematics behind the GAN loss (lesson 01), in NumPy float64.

Densities are sampled on a uniform grid ``x`` with spacing ``dx``; integrals become sums times
``dx``. These are the reference answers the lesson-01 checks compare against; the losses a
network trains with live in :mod:`gan_course.losses`.
"""

import numpy as np
from scipy import special

LOG2 = float(np.log(2.0))
LOG4 = float(np.log(4.0))


def grid(lo, hi, n):
    """``n`` evenly spaced points from ``lo`` to ``hi`` and their spacing: ``x, dx = grid(...)``."""
    x = np.linspace(lo, hi, n)
    return x, float(x[1] - x[0])


def gaussian_pdf(x, mean=0.0, std=1.0):
    """The density of N(mean, std^2) at ``x``."""
    z = (np.asarray(x, dtype=np.float64) - mean) / std
    return np.exp(-0.5 * z * z) / (std * np.sqrt(2.0 * np.pi))


def sigmoid(logits):
    """D = sigmoid(a), exact for any logit (no overflow warnings)."""
    return special.expit(np.asarray(logits, dtype=np.float64))


def logit(p):
    """The logit a with sigmoid(a) = p."""
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def value_from_probabilities(d_real, d_fake):
    """Minibatch V(D, G) = mean(log D(x)) + mean(log(1 - D(G(z)))) from D's probabilities."""
    return float(np.mean(np.log(d_real)) + np.mean(np.log1p(-np.asarray(d_fake, np.float64))))


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data / (p_data + p_g); 1/2 where both densities vanish (any D is optimal there)."""
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    total = p_data + p_g
    return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)


def kl_divergence(p, q, dx):
    """KL(p || q) in nats on a grid; points where p = 0 contribute 0, p > 0 = q gives inf."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    mask = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))) * dx)


def jensen_shannon(p, q, dx):
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, in nats; at most log 2."""
    m = (np.asarray(p, np.float64) + np.asarray(q, np.float64)) / 2
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def value_at_optimum(p_data, p_g, dx):
    """V(D*, G) = integral of p_data log D* + p_g log(1 - D*), which equals -log 4 + 2 JSD.

    ``1 - D*`` is written ``p_g / (p_data + p_g)``: subtracting from 1 would lose all precision
    where D* is within 1e-16 of 1.
    """
    p_data, p_g = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    total = p_data + p_g
    real, fake = p_data > 0, p_g > 0
    return float((np.sum(p_data[real] * np.log(p_data[real] / total[real]))
                  + np.sum(p_g[fake] * np.log(p_g[fake] / total[fake]))) * dx)


def saturating_grad_logit(logits):
    """d/da log(1 - sigmoid(a)) = -sigmoid(a): vanishes as D(G(z)) -> 0."""
    return -sigmoid(logits)


def nonsaturating_grad_logit(logits):
    """d/da [-log sigmoid(a)] = sigmoid(a) - 1 = -sigmoid(-a): close to -1 as D(G(z)) -> 0."""
    return -sigmoid(-np.asarray(logits, np.float64))


def saturating_grad_d(d):
    """d/dD log(1 - D) = -1 / (1 - D)."""
    return -1.0 / (1.0 - np.asarray(d, np.float64))


def nonsaturating_grad_d(d):
    """d/dD [-log D] = -1 / D."""
    return -1.0 / np.asarray(d, np.float64)
