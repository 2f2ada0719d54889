"""Checks for lesson 01, the mathematics of the GAN loss: exercises 1.1 to 1.5."""

import numpy as np
from scipy.spatial import distance

from gan_course import losses, theory
from gan_course.checks.core import SEEDS, call, exercise, expect, seeded


def _softplus(a):
    return np.logaddexp(0.0, np.asarray(a, np.float64))


_NAN_JSD = ("where p(x) = 0 the term p·log(p/m) is 0 (its limit), but NumPy computes "
            "0·log 0 = nan: sum only where p > 0, e.g. k = p > 0; "
            "np.sum(p[k] * np.log(p[k] / m[k])) * dx.")
_SCIPY_DISTANCE = ("scipy.spatial.distance.jensenshannon returns the Jensen–Shannon *distance*, "
                   "the square root of the divergence (of p and q rescaled to sum to 1): square "
                   "it, or write the two KL terms yourself.")
_UNSTABLE = ("for large |a|, sigmoid(a) rounds to 0 or 1 in float32 and the log becomes -inf: "
             "write the losses with softplus, -log D = softplus(-a), -log(1 - D) = softplus(a).")


@exercise("1.1", hint="V = mean(log D(x)) over the real batch + mean(log(1 - D(G(z)))) over "
                      "the fake batch; the two batches can have different sizes.")
def ex_1_1(value_function):
    for seed in SEEDS:
        rng = seeded(seed)
        d_real = rng.uniform(0.05, 0.95, size=5 + 3 * seed)
        d_fake = rng.uniform(0.05, 0.95, size=7 - seed)
        log_real, log_fake = np.log(d_real), np.log1p(-d_fake)
        reference = float(losses.value_function(theory.logit(d_real), theory.logit(d_fake)))
        expect(call(value_function, d_real, d_fake), reference, rtol=1e-5, atol=1e-5,
               what="value_function(d_real, d_fake)", inputs={"d_real": d_real, "d_fake": d_fake},
               mistakes=[
                   (-reference, "that is -V, the discriminator's loss; V has no minus sign."),
                   (log_real.mean() + np.log(d_fake).mean(),
                    "the fake term is log(1 - D(G(z))), not log D(G(z))."),
                   (log_real.sum() + log_fake.sum(),
                    "V is an expectation: average each term with np.mean instead of summing."),
                   (np.concatenate([log_real, log_fake]).mean(),
                    "average each term over its own batch, then add the two averages."),
               ])
    half = np.full(4, 0.5)
    expect(call(value_function, half, half), -theory.LOG4, rtol=1e-5, atol=1e-5,
           what="value_function(d_real, d_fake)", inputs={"d_real": half, "d_fake": half})
    return (f"value_function matches V(D, G) on {len(SEEDS)} random batches of different sizes "
            f"and gives -log 4 = {-theory.LOG4:.6f} when D = 1/2 everywhere.")


_ZERO_DENSITIES = ("where p_data = p_g = 0 the integrand is 0 whatever D is, so every D is optimal, "
                   "and p_data / (p_data + p_g) is 0 / 0 = nan there: return 1/2 at those points "
                   "(neither real nor fake is more likely), e.g. with np.where(total > 0, ..., 0.5).")


@exercise("1.2", hint="maximise f(y) = a log y + b log(1 - y) over y in (0, 1): solve f'(y) = a/y - "
                      "b/(1 - y) = 0, elementwise; where a = b = 0 every y is optimal: return 1/2.")
def ex_1_2(optimal_discriminator):
    cases = [seeded(seed).uniform(0.01, 2.0, size=(2, 3, 4)) for seed in SEEDS]
    x = np.linspace(-4.0, 6.0, 11)
    cases.append((theory.gaussian_pdf(x, 0.0, 1.0), theory.gaussian_pdf(x, 2.0, 0.7)))
    # Where only the data lives, only the generator, or neither (the supports of two uniforms).
    cases.append((np.array([0.0, 0.5, 0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, 0.25, 1.0, 0.0])))
    for p_data, p_g in cases:
        reference = theory.optimal_discriminator(p_data, p_g)
        neither = (p_data + p_g) == 0
        expect(call(optimal_discriminator, p_data, p_g), reference,
               what="optimal_discriminator(p_data, p_g)", inputs={"p_data": p_data, "p_g": p_g},
               nonfinite_hint=_ZERO_DENSITIES, mistakes=[
                   (1.0 - reference,
                    "that is the probability of *fake*; D(x) is the probability that x is real."),
               ] + ([(np.where(neither, 0.0, reference), _ZERO_DENSITIES),
                     (np.where(neither, 1.0, reference), _ZERO_DENSITIES)] if neither.any() else [
                   (p_data / p_g, "divide by the sum p_data + p_g, so that D* stays in [0, 1]."),
               ]))
    return ("optimal_discriminator maximises p_data log D + p_g log(1 - D) elementwise on "
            f"{len(SEEDS)} random (3, 4) arrays of densities and on two Gaussians, and gives 1 "
            "where only the data lives, 0 where only the generator does and 1/2 where neither "
            "does.")


@exercise("1.3", hint="m = (p + q) / 2; JSD = ½ KL(p‖m) + ½ KL(q‖m), where KL(p‖m) ≈ "
                      "sum of p·log(p/m)·dx with the natural logarithm.")
def ex_1_3(jensen_shannon):
    x, dx = theory.grid(-6.0, 8.0, 1401)
    p_data = theory.gaussian_pdf(x, 0.0, 1.0)
    cases = [(p_data, theory.gaussian_pdf(x, 1.5, 0.8), dx)]
    for seed in SEEDS[:2]:
        p, q = seeded(seed).uniform(0.1, 1.0, size=(2, 50))
        cases.append((p / (p.sum() * 0.1), q / (q.sum() * 0.1), 0.1))
    cases.append((p_data, p_data, dx))  # identical densities: 0
    u, du = theory.grid(-1.0, 4.0, 501)  # disjoint supports: log 2, and zeros that need care
    cases.append((((u >= 0) & (u < 1)).astype(float), ((u >= 2) & (u < 3)).astype(float), du))
    for p, q, step in cases:
        reference = theory.jensen_shannon(p, q, step)
        half_kl = 0.5 * theory.kl_divergence(p, (p + q) / 2, step)
        scipy_distance = distance.jensenshannon(p, q)
        expect(call(jensen_shannon, p, q, step), reference, rtol=1e-6, atol=1e-9,
               what="jensen_shannon(p, q, dx)", inputs={"p": p, "q": q, "dx": step},
               nonfinite_hint=_NAN_JSD, mistakes=[
                   (2 * reference, "each KL term has a factor ½: JSD = ½ KL(p‖m) + ½ KL(q‖m)."),
                   (reference / theory.LOG2,
                    "use the natural logarithm np.log: V = -log 4 + 2·JSD is in nats, not bits."),
                   (reference / step, "turn each sum into an integral: multiply it by dx."),
                   (theory.kl_divergence(p, q, step),
                    "that is KL(p‖q); the JSD compares each density with the mixture m."),
                   (half_kl, "add the second term ½ KL(q‖m): the JSD is symmetric in p and q."),
                   (scipy_distance, _SCIPY_DISTANCE),
                   (distance.jensenshannon(p, q, base=2), _SCIPY_DISTANCE + " Keep its default "
                    "base, the natural logarithm: base=2 gives bits."),
               ])
    return ("jensen_shannon matches ½ KL(p‖m) + ½ KL(q‖m) on two Gaussians, random densities, "
            f"identical densities (0) and disjoint ones (log 2 = {theory.LOG2:.6f}).")


@exercise("1.4", hint="with D = sigmoid(a), dD/da = D(1 - D); apply the chain rule to "
                      "log(1 - D) and to -log D.")
def ex_1_4(saturating_grad, nonsaturating_grad):
    logits = np.concatenate([np.linspace(-8.0, 8.0, 9), seeded(0).normal(0.0, 3.0, size=5)])
    d = theory.sigmoid(logits)
    sat, nonsat = theory.saturating_grad_logit(logits), theory.nonsaturating_grad_logit(logits)
    for fn, name, reference, other, by_d in [
            (saturating_grad, "saturating_grad", sat, nonsat, theory.saturating_grad_d(d)),
            (nonsaturating_grad, "nonsaturating_grad", nonsat, sat, theory.nonsaturating_grad_d(d))]:
        expect(call(fn, logits), reference, what=f"{name}(logits)", inputs={"logit": logits},
               mistakes=[
                   (other, ("that is the gradient of the *other* loss: saturating is "
                            "log(1 - D), non-saturating is -log D.")),
                   (-reference, "check the sign: both losses decrease as the logit grows."),
                   (by_d, ("that is the derivative with respect to D; the network outputs "
                           "the logit a, so multiply by dD/da = D(1 - D) (chain rule).")),
                   (d * (1 - d), ("that is dD/da alone; multiply it by the derivative of the "
                                  "loss with respect to D.")),
               ])
    return (f"both gradients match at {logits.size} logits: at D(G(z)) = {d[0]:.4f} (logit -8) "
            f"the saturating gradient is {sat[0]:.4f}, the non-saturating one {nonsat[0]:.4f}.")


@exercise("1.5", hint="-log D(a) = softplus(-a) and -log(1 - D(a)) = softplus(a); use "
                      "tf.nn.softplus (or np.logaddexp(0, x)) and average each batch.")
def ex_1_5(discriminator_loss, generator_loss):
    cases = []
    for seed in SEEDS[:2]:
        rng = seeded(seed)
        cases.append((rng.normal(1.0, 3.0, size=6 + seed).astype(np.float32),
                      rng.normal(-1.0, 3.0, size=4 + 2 * seed).astype(np.float32)))
    cases.append((np.array([-1000, -80, 0, 40, 1000], np.float32),
                  np.array([1000, 90, -3, -200], np.float32)))
    for real, fake in cases:
        d_ref = float(losses.discriminator_loss(real, fake))
        expect(call(discriminator_loss, real, fake), d_ref, rtol=1e-5, atol=1e-5,
               what="discriminator_loss(real_logits, fake_logits)",
               inputs={"real_logits": real, "fake_logits": fake}, nonfinite_hint=_UNSTABLE,
               mistakes=[
                   (-d_ref, "the discriminator minimises -V: mind the signs."),
                   (_softplus(real).mean() + _softplus(-fake).mean(),
                    ("real and fake are swapped: real logits go into softplus(-a), fake ones "
                     "into softplus(a).")),
                   (np.concatenate([_softplus(-real), _softplus(fake)]).mean(),
                    "average the real and the fake terms separately, then add them."),
               ])
        g_ref = float(losses.generator_loss(fake))
        expect(call(generator_loss, fake), g_ref, rtol=1e-5, atol=1e-5,
               what="generator_loss(fake_logits)", inputs={"fake_logits": fake},
               nonfinite_hint=_UNSTABLE, mistakes=[
                   (-_softplus(fake).mean(), ("that is the saturating loss E[log(1 - D(G(z)))]; "
                                              "the non-saturating one is E[-log D(G(z))].")),
                   (_softplus(fake).mean(), "softplus(a) is -log(1 - D); -log D is softplus(-a)."),
                   (-g_ref, "mind the sign: the generator minimises -log D(G(z)), never negative."),
               ])
    return ("discriminator_loss and generator_loss match gc.losses on random batches and stay "
            "finite for logits as large as ±1000.")
