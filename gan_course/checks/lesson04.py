"""Checks for lesson 04, WGAN-GP: exercises 4.1 to 4.3 here, 4.4 in ``clipping``."""

import numpy as np

from gan_course import losses
from gan_course.checks.clipping import ex_4_4  # noqa: F401 - found here as lesson 04's check
from gan_course.checks.core import Mismatch, article, as_numbers, call, exercise, expect, seeded
from gan_course.checks.networks import Float32Policy as _Float32Policy

_LOSSES = ("start from the estimate the critic maximises, mean f(real) - mean f(fake): Keras "
           "minimises, so the critic's loss is its negative; the generator changes only the "
           "fakes' term and wants the estimate small. Averages (tf.reduce_mean), no logs, no "
           "sigmoid.")
_LOG_LOSSES = ("no logs and no sigmoid: the critic gives an unbounded score, not a logit, and "
               "the Wasserstein losses are plain averages of it.")


def _softplus(a):
    return np.logaddexp(0.0, np.asarray(a, np.float64))


_BEST_CRITIC = 16  # points per batch in the best-critic test


def _best_critic_case():
    """Real points near 0, fakes near 3, scored by the best 1-Lipschitz critic f(x) = -x; W1."""
    rng = seeded(10)
    real = rng.normal(0.0, 0.1, _BEST_CRITIC)
    fake = rng.normal(3.0, 0.1, _BEST_CRITIC)
    w1 = float(np.mean(np.abs(np.sort(real) - np.sort(fake))))  # 1-D: match sorted samples
    return (-real[:, None]).astype(np.float32), (-fake[:, None]).astype(np.float32), w1


@exercise("4.1", hint=_LOSSES)
def ex_4_1(critic_loss, generator_loss):
    # 1. At the best critic the critic's loss is -W1, computed here from the samples themselves.
    real, fake, w1 = _best_critic_case()
    r, f = real.astype(np.float64), fake.astype(np.float64)
    expect(call(critic_loss, real, fake), -w1, rtol=1e-4, atol=1e-5, hint=_LOSSES,
           what=(f"critic_loss for {_BEST_CRITIC} real points near 0 and {_BEST_CRITIC} fakes "
                 f"near 3 scored by the best critic f(x) = -x (W1 = {w1:.4f})"),
           mistakes=[(w1, ("that is +W1, the Wasserstein estimate the critic maximises; Keras "
                           "minimises, so the critic's loss is its negative, -W1 at the best "
                           "critic.")),
                     (_softplus(-r).mean() + _softplus(f).mean(), _LOG_LOSSES),
                     (_BEST_CRITIC * -w1, "average the scores (mean), do not sum them."),
                     (f.mean() + r.mean(), "subtract the real scores' mean: mean(fake) - "
                                           "mean(real).")])
    # 2. The two losses on batches of any sizes, typical mistakes named.
    cases = [(6, 6), (5, 8), (64, 64)]
    for seed, (n_real, n_fake) in enumerate(cases):
        rng = seeded(seed)
        real = rng.normal(1.0, 2.0, size=(n_real, 1)).astype(np.float32)
        fake = rng.normal(-1.0, 3.0, size=(n_fake, 1)).astype(np.float32)
        r, f = real.astype(np.float64), fake.astype(np.float64)
        what = f"critic_loss(real_scores, fake_scores) for {n_real} real and {n_fake} fake scores"
        got = call(critic_loss, real, fake)
        expect(got, f.mean() - r.mean(), what=what, hint=_LOSSES, rtol=1e-5, atol=1e-5, mistakes=[
            (r.mean() - f.mean(), ("that is the Wasserstein estimate, mean f(real) - mean f(fake), "
                                   "which the critic maximises; its loss, to minimise, is the "
                                   "negative: mean f(fake) - mean f(real).")),
            (_softplus(-r).mean() + _softplus(f).mean(), _LOG_LOSSES),
            (f.sum() - r.sum(), "average the scores (mean), do not sum them: the loss must not "
                                "grow with the batch size."),
            (f.mean() + r.mean(), "subtract the real scores' mean: mean(fake) - mean(real)."),
        ])
        what = f"generator_loss(fake_scores) for {n_fake} fake scores"
        got = call(generator_loss, fake)
        expect(got, -f.mean(), what=what, hint=_LOSSES, rtol=1e-5, atol=1e-5, mistakes=[
            (f.mean(), ("the generator wants its fakes scored high, so it minimises "
                        "-mean(fake_scores); the sign is flipped.")),
            (_softplus(-f).mean(), _LOG_LOSSES),
            (-_softplus(f).mean(), _LOG_LOSSES),
            (-f.sum(), "average the scores (mean), do not sum them."),
        ])
    return (f"critic_loss gives -W1 = {-w1:.3f} at the best critic; both losses match the "
            "library on 3 batches, including real and fake batches of different sizes.")


# --- 4.2 the gradient penalty ----------------------------------------------------------------------

_PENALTY = ("draw e = tf.random.uniform([batch, 1, 1, 1]) (one number per example), x_hat = "
            "e * real + (1 - e) * fake; inside a tf.GradientTape that watches x_hat, score it; "
            "take the gradient, its norm per example, tf.sqrt(tf.reduce_sum(g ** 2, "
            "axis=[1, 2, 3])), and return tf.reduce_mean((norm - 1) ** 2).")
_PENALTY_ERRORS = {
    "Incompatible shapes": ("e needs one number per example with a 1 for each other axis, "
                            "shape (batch, 1, 1, 1) for images: it then broadcasts over the "
                            "example's pixels."),
    "NoneType": ("the gradient came back None: call tape.watch(x_hat) inside the tape before "
                 "scoring x_hat (a tape only follows variables by itself)."),
    "numpy": ("compute the penalty with TensorFlow operations: .numpy() leaves the graph, and "
              "the critic's optimizer needs the penalty's gradient."),
}
_E_SAMPLES = 20000  # examples in the batch that tests how e is drawn


def _call_penalty(gradient_penalty, critic, real, fake):
    try:
        return call(gradient_penalty, critic, real, fake)
    except Mismatch as err:
        error = err.problem.partition(") raised ")[2] or err.problem
        hint = next((h for key, h in _PENALTY_ERRORS.items() if key in error), _PENALTY)
        raise Mismatch(f"gradient_penalty(critic, real, fake) on a batch of shape "
                       f"{tuple(real.shape)} raised {error}", hint) from None


def _linear_critic(w):
    import tensorflow as tf

    axes = list(range(1, len(w.shape) + 1))

    def critic(x, training=False):
        return tf.reduce_sum(x * w, axis=axes)[:, None]

    return critic


def _penalty_mistakes(per_position, norm, batch):
    """Typical wrong penalties when every example's gradient is ``per_position`` (norm ``norm``)."""
    last_axis = np.mean((np.sqrt((per_position ** 2).sum(axis=-1)) - 1) ** 2)
    return [
        ((np.sqrt(batch) * norm - 1) ** 2, ("take the norm per example (sum the squares over "
                                            "axis=[1, 2, 3], not over the whole batch), then "
                                            "average (norm - 1)^2 over the batch.")),
        (max(norm - 1, 0.0) ** 2, ("this is the one-sided penalty max(0, ||g|| - 1)^2, which "
                                   "leaves a critic whose gradients are shorter than 1 alone. "
                                   "WGAN-GP's penalty is two-sided, (||g|| - 1)^2: it pulls the "
                                   "norm towards 1 from below too.")),
        (abs(norm - 1), "square the distance from 1: the penalty is (||g|| - 1)^2."),
        (norm - 1, "square the distance from 1: the penalty is (||g|| - 1)^2."),
        ((norm ** 2 - 1) ** 2, ("the norm is the square root of the sum of squares: "
                                "tf.sqrt(tf.reduce_sum(g ** 2, axis=[1, 2, 3])).")),
        (norm ** 2, "subtract 1 before squaring: (||g|| - 1)^2, the distance from norm 1."),
        (losses.GP_WEIGHT * (norm - 1) ** 2, ("return the penalty itself, without the weight "
                                              "10; the critic's loss multiplies it.")),
        (batch * (norm - 1) ** 2, "average over the batch (tf.reduce_mean), do not sum."),
        (last_axis, ("the norm runs over all of an example's axes, axis=[1, 2, 3] for images, "
                     "not only the last one.")),
    ]


def _e_distribution(real, fake, gradient_penalty):
    """The student's penalty on a batch that shows how e is drawn: fake = 0 and unit-norm real
    examples under f(x) = ||x||^2 / 2, whose gradient is x: the penalty is mean (e - 1)^2."""
    import tensorflow as tf

    def quadratic(x, training=False):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])[:, None]

    return float(as_numbers(_call_penalty(gradient_penalty, quadratic, real, fake),
                            "gradient_penalty(critic, real, fake)").ravel()[0])


@exercise("4.2", hint=_PENALTY)
def ex_4_2(gradient_penalty):
    import tensorflow as tf

    # 1. A linear critic f(x) = w.x: its gradient is w everywhere, the penalty (||w|| - 1)^2.
    for seed, shape in enumerate([(8, 4, 4, 2), (5, 3, 3, 1)]):
        rng = seeded(seed)
        w = rng.normal(size=shape[1:])
        w *= (2.5 if seed == 0 else 0.4) / np.linalg.norm(w)
        real = tf.constant(rng.normal(size=shape), tf.float32)
        fake = tf.constant(rng.normal(size=shape), tf.float32)
        critic = _linear_critic(tf.constant(w, tf.float32))
        norm = float(np.linalg.norm(w))
        got = _call_penalty(gradient_penalty, critic, real, fake)
        expect(got, (norm - 1) ** 2, rtol=1e-4, atol=1e-5, hint=_PENALTY,
               what=f"gradient_penalty for the linear critic f(x) = w.x with ||w|| = {norm:.2g} "
                    f"on a batch of shape {shape}",
               mistakes=_penalty_mistakes(np.broadcast_to(w, shape), norm, shape[0]))

    # 2. f(x) = ||x - c|| is 1-Lipschitz with gradient norm 1 away from c: no penalty.
    c = tf.constant(np.full((3, 3, 1), 6.0), tf.float32)

    def distance(x, training=False):
        return tf.sqrt(tf.reduce_sum(tf.square(x - c), axis=[1, 2, 3]))[:, None]

    rng = seeded(3)
    real = tf.constant(rng.normal(size=(6, 3, 3, 1)), tf.float32)
    fake = tf.constant(rng.normal(size=(6, 3, 3, 1)), tf.float32)
    got = _call_penalty(gradient_penalty, distance, real, fake)
    expect(got, 0.0, rtol=0, atol=1e-4, hint=_PENALTY,
           what="gradient_penalty for the 1-Lipschitz critic f(x) = ||x - c||")

    # 3. How e is drawn: a quadratic critic makes the penalty mean (1 - e)^2, 1/3 for U[0, 1].
    rng = seeded(4)
    real = rng.normal(size=(_E_SAMPLES, 2, 2, 1))
    real /= np.linalg.norm(real.reshape(_E_SAMPLES, -1), axis=1)[:, None, None, None]
    fake = np.zeros_like(real)
    per_pixel = np.mean((np.linalg.norm((rng.uniform(size=real.shape) * real).reshape(
        _E_SAMPLES, -1), axis=1) - 1) ** 2)
    normal = np.mean((np.abs(rng.normal(size=_E_SAMPLES)) - 1) ** 2)
    for _ in range(3):  # one e for the whole batch passes a single draw 3% of the time
        got = _e_distribution(tf.constant(real, tf.float32), tf.constant(fake, tf.float32),
                              gradient_penalty)
        if abs(got - 1 / 3) > 0.02:
            problem = (f"with f(x) = ||x||^2 / 2, fake = 0 and real examples of norm 1, the "
                       f"penalty is the mean of (1 - e)^2, 1/3 when e ~ U[0, 1]; your function "
                       f"gave {got:.4f} on {_E_SAMPLES} examples.")
            if abs(got - normal) < 0.02:
                raise Mismatch(problem, "e comes from a normal distribution: x_hat must lie "
                                        "between the real and the fake example, so draw e "
                                        "from U[0, 1] with tf.random.uniform.")
            if abs(got - per_pixel) < 0.02:
                raise Mismatch(problem, "e is drawn per pixel: draw one e per example, shape "
                                        "(batch, 1, 1, 1), so each x_hat lies on the straight "
                                        "line between its real and fake example.")
            raise Mismatch(problem, "draw a new e ~ U[0, 1] for every example and every call "
                                    "(not one e for the whole batch): "
                                    "tf.random.uniform([batch, 1, 1, 1]).")

    # 4. The critic's optimizer needs the penalty's gradient with respect to its weights.
    import keras

    with _Float32Policy():
        critic = keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Flatten(),
                                   keras.layers.Dense(8, activation="tanh"),
                                   keras.layers.Dense(1)])
    real = tf.constant(seeded(5).normal(size=(6, 3, 3, 1)), tf.float32)
    fake = tf.constant(seeded(6).normal(size=(6, 3, 3, 1)), tf.float32)
    kernels = [w for w in critic.trainable_weights if len(w.shape) == 2]
    with tf.GradientTape() as tape:
        penalty = _call_penalty(gradient_penalty, critic, real, fake)
        if not tf.is_tensor(penalty):
            raise Mismatch(f"gradient_penalty returned {article(type(penalty).__name__)}, not a "
                           f"TensorFlow tensor.", _PENALTY_ERRORS["numpy"])
    grads = tape.gradient(penalty, kernels)
    if any(g is None for g in grads):
        raise Mismatch("the penalty has no gradient with respect to the critic's weights.",
                       _PENALTY_ERRORS["numpy"])
    return ("gradient_penalty gives (||w|| - 1)^2 for linear critics, 0 for f(x) = ||x - c||, "
            "draws e ~ U[0, 1] once per example (mean (1 - e)^2 = 1/3 on 20,000 examples) and "
            "passes its gradient back to the critic's weights.")


# --- 4.3 the critic loop -----------------------------------------------------------------------------

_LOOP = ("for each real batch and its latents: make fakes with generator(z, training=True); "
         "inside a tf.GradientTape score real and fake, loss = critic_loss + gp_weight * "
         "penalty(critic, real, fake); then apply the loss's gradient to "
         "critic.trainable_variables with the optimizer; collect the losses.")
_LOOP_LR = 0.05
_TRAINING_MODE = ("call the generator with training=True: the course's generators have batch "
                  "normalisation, which in inference mode (the default outside fit) normalises "
                  "with its running averages instead of the batch's statistics, so the critic "
                  "would learn from fakes the training generator does not make.")
_LOOP_MISTAKES = [
    (dict(same_real=True), ("give each critic update its own real batch: real_batches[i] in "
                            "update i, not the first batch every time.")),
    (dict(same_z=True), ("give each critic update fresh fakes, from latents[i], not the "
                         "first latents every time.")),
    (dict(penalty_in_tape=False), ("compute the penalty inside the critic's tape: outside it, "
                                   "the tape never sees it and its gradient is lost.")),
    (dict(sign=-1.0), ("the critic minimises mean f(fake) - mean f(real) (+ the penalty); "
                       "the sign of the Wasserstein part is flipped.")),
    (dict(gp_weight=1.0), "multiply the penalty by gp_weight (10) in the critic's loss."),
    (dict(gp_weight=0.0), "add gp_weight * penalty(critic, real, fake) to the critic's loss."),
    (dict(single_update=True), ("update the critic once per real batch, inside the loop: "
                                "n_critic separate updates, not one update with the average "
                                "loss.")),
    (dict(generator_training=False), _TRAINING_MODE),
]


def _loop_networks(seed):
    import keras
    from keras import layers

    with _Float32Policy():
        z = keras.Input((3,))
        # Batch norm, as in the course's generators: in inference mode it would use its running
        # averages (set far from any batch's statistics here), so a call without
        # training=True makes other fakes.
        h = layers.BatchNormalization(moving_mean_initializer="ones",
                                      moving_variance_initializer=keras.initializers.Constant(4.0))(
            layers.Dense(8, activation="tanh")(z))
        generator = keras.Model(z, layers.Dense(2)(h), name="check_generator")
        x = keras.Input((2,))
        critic = keras.Model(x, layers.Dense(1)(layers.Dense(8, activation="tanh")(x)),
                             name="check_critic")
    rng = seeded(200 + seed)
    for net in (generator, critic):
        for v in net.trainable_variables:
            v.assign(rng.normal(0.0, 0.7, v.shape).astype(np.float32))
    return generator, critic


def _fixed_penalty(critic, real, fake):
    """The gradient penalty with e fixed per example (0.1 ... 0.9), so the check is exact."""
    import tensorflow as tf

    n = real.shape[0]
    e = tf.constant(np.linspace(0.1, 0.9, n)[:, None], tf.float32)
    return losses.gradient_penalty(critic, real, fake, e=e)


def _reference_loop(reals, latents, generator, critic, gp_weight=losses.GP_WEIGHT,
                    same_real=False, same_z=False, penalty_in_tape=True, sign=1.0,
                    single_update=False, generator_training=True):
    """The critic's weights after the loop (or a typical mistake), and its losses, computed on
    a copy of the critic; the generator's running averages are left as they were."""
    import keras
    import tensorflow as tf

    copy = keras.models.clone_model(critic)
    copy.set_weights(critic.get_weights())
    generator_state = generator.get_weights()
    results, grads_sum = [], None
    for i in range(len(reals)):
        real = reals[0 if same_real else i]
        fake = generator(latents[0 if same_z else i], training=generator_training)
        penalty = None if penalty_in_tape else _fixed_penalty(copy, real, fake)
        with tf.GradientTape() as tape:
            if penalty_in_tape:
                penalty = _fixed_penalty(copy, real, fake)
            estimate = losses.wasserstein_estimate(copy(real, training=True),
                                                   copy(fake, training=True))
            loss = -sign * estimate + gp_weight * penalty
        grads = tape.gradient(loss, copy.trainable_variables)
        results.append(float(loss))
        if single_update:
            grads_sum = grads if grads_sum is None else [a + b for a, b in zip(grads_sum, grads)]
            continue
        for v, g in zip(copy.trainable_variables, grads):
            if g is not None:
                v.assign(v - _LOOP_LR * g)
    if single_update:
        for v, g in zip(copy.trainable_variables, grads_sum):
            v.assign(v - _LOOP_LR * g / len(reals))
    generator.set_weights(generator_state)
    return _flat(copy.trainable_variables), results


def _flat(variables):
    return np.concatenate([np.asarray(v, np.float64).ravel() for v in variables])


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


_LOOP_ERRORS = {
    "Unknown variable": ("the critic's optimizer updates only the critic: take the gradient "
                         "with respect to critic.trainable_variables alone (the generator is "
                         "not trained in this loop)."),
    "No gradients provided": ("a gradient came back None: score real and fake inside the tape, "
                              "with the critic called on tensors (not .numpy() values), and "
                              "take the gradient with respect to critic.trainable_variables."),
}


def _call_loop(critic_updates, *args):
    """``call`` with a short message: the loop's arguments are networks, not numbers to show."""
    try:
        return call(critic_updates, *args)
    except Mismatch as err:
        error = err.problem.partition(") raised ")[2] or err.problem
        error = error.split(", value=")[0] + ">" if ", value=" in error else error  # no weights
        hint = next((h for key, h in _LOOP_ERRORS.items() if key in error), "")
        raise Mismatch("critic_updates(real_batches, latents, generator, critic, optimizer, "
                       f"penalty) raised {error}", hint or _LOOP) from None


def _loss_values(returned):
    """The losses a critic loop returned, as a float64 array, or None if they are not numbers."""
    try:
        return np.asarray([float(np.asarray(v).ravel()[0]) for v in returned], np.float64)
    except Exception:  # noqa: BLE001 - anything else is reported by the later checks
        return None


@exercise("4.3", hint=_LOOP)
def ex_4_3(critic_updates):
    import keras
    import tensorflow as tf

    for seed, (n_critic, batch) in enumerate([(3, 6), (2, 5)]):
        rng = seeded(seed)
        reals = [tf.constant(rng.normal(size=(batch, 2)), tf.float32) for _ in range(n_critic)]
        latents = [tf.constant(rng.normal(size=(batch, 3)), tf.float32) for _ in range(n_critic)]
        generator, critic = _loop_networks(seed)
        g_before = _flat(generator.trainable_variables)
        expected, expected_losses = _reference_loop(reals, latents, generator, critic)
        variants = [(*_reference_loop(reals, latents, generator, critic, **kw), why)
                    for kw, why in _LOOP_MISTAKES]
        optimizer = keras.optimizers.SGD(_LOOP_LR)
        optimizer.build(critic.trainable_variables)
        made_by = (f"critic_updates(real_batches, latents, generator, critic, optimizer, penalty) "
                   f"with {n_critic} batches of {batch}")
        returned = _call_loop(critic_updates, reals, latents, generator, critic, optimizer,
                              _fixed_penalty)
        if not _close(_flat(generator.trainable_variables), g_before):
            raise Mismatch(f"{made_by} changed the generator's weights.",
                           "the critic loop trains only the critic: take the gradient with "
                           "respect to critic.trainable_variables and apply it with the "
                           "critic's optimizer.")
        got = _flat(critic.trainable_variables)
        if not _close(got, expected):
            problem = (f"after {made_by}, the critic's weights differ from the reference's by up "
                       f"to {np.abs(got - expected).max():.3g}.")
            # Some mistakes leave the same weights; the losses returned tell them apart.
            matches = [(variant_losses, why) for variant, variant_losses, why in variants
                       if _close(got, variant)]
            losses_got = _loss_values(returned)
            for variant_losses, why in matches:
                if losses_got is not None and _close(losses_got, np.asarray(variant_losses)):
                    raise Mismatch(problem, why)
            raise Mismatch(problem, matches[0][1] if matches else _LOOP)
        if returned is None:
            raise Mismatch(f"{made_by} returned None.",
                           "return the list of the critic's losses, one per update.")
        values = as_numbers([float(np.asarray(v).ravel()[0]) for v in returned]
                            if isinstance(returned, (list, tuple)) else returned, made_by)
        expect(values.ravel(), expected_losses, what=f"the losses returned by {made_by}",
               rtol=1e-4, atol=1e-5, hint="return one loss per update, in order: "
                                          "critic_loss + gp_weight * penalty.")
    return ("critic_updates matches the reference on 2 seeded steps (3 and 2 critic updates): "
            "the same critic weights and losses, each update on its own batch and fakes, the "
            "generator untouched.")
