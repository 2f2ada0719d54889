"""The reference GAN training step and its typical mistakes, for checking exercise 2.4.

The check runs the student's ``train_step`` on tiny seeded networks whose output depends on
``training`` and compares the weights it leaves with those of the reference step (one forward
pass, two tapes, each network following the gradient of its own loss) and of each typical
mistake, so that a wrong step gets the hint for the mistake it made.
"""

import numpy as np

from gan_course import losses
from gan_course.checks.core import Mismatch, call, seeded
from gan_course.checks.networks import LEAKY as _LEAKY
from gan_course.checks.networks import Float32Policy as _Float32Policy

STEP_IMAGE, STEP_LATENT, G_LR, D_LR = (4, 4, 1), 4, 0.05, 0.1
_TRAINING_HINT = ("call {net} with training=True inside the step: layers such as Dropout and "
                  "BatchNormalization act differently while training, and the check's networks "
                  "hold such a layer.")
STEP_MISTAKES = [
    ({"g_loss_fn": losses.generator_loss_saturating},
     ("the generator minimised the saturating loss log(1 - D(G(z))); use the non-saturating "
     "gc.losses.generator_loss(fake_logits), which is -log D(G(z)).")),
    ({"g_follows": "d"}, ("the generator was updated with the gradient of d_loss: take "
                          "g_tape.gradient(g_loss, generator.trainable_variables).")),
    ({"d_follows": "g"}, ("the discriminator was updated with the gradient of g_loss: take "
                          "d_tape.gradient(d_loss, discriminator.trainable_variables).")),
    ({"g_follows": "d", "d_follows": "g"},
     ("the gradients are swapped: the generator follows the gradient of g_loss, the "
     "discriminator that of d_loss.")),
    ({"g_training": False}, _TRAINING_HINT.format(net="the generator")),
    ({"d_training": False}, _TRAINING_HINT.format(net="the discriminator (on real and fake "
                                                       "images)")),
    ({"g_training": False, "d_training": False}, _TRAINING_HINT.format(net="both networks")),
    ({"swap_optimizers": True}, ("the optimizers are swapped: g_optimizer updates the generator, "
                                 "d_optimizer the discriminator.")),
    ({"g_follows": None}, ("the generator did not change. Make the fakes inside the tapes with "
                           "generator(z, training=True) (not generator.predict or .numpy(), "
                           "which cut the gradient) and apply its gradients with g_optimizer.")),
    ({"d_follows": None}, ("the discriminator did not change: apply its gradients with "
                           "d_optimizer.apply_gradients(zip(d_grads, "
                           "discriminator.trainable_variables)).")),
    ({"g_follows": None, "d_follows": None},
     ("neither network changed: apply each network's gradients with its own optimizer, e.g. "
      "g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables)).")),
]
STEP_HINT = ("follow the recipe: fake = generator(z, training=True); score real and fake with "
              "discriminator(..., training=True); d_loss = gc.losses.discriminator_loss(real_logits, "
              "fake_logits), g_loss = gc.losses.generator_loss(fake_logits); each tape's gradient "
              "of its own network's loss goes to that network's optimizer.")

_TRAINING_SCALE = []


def _training_scale():
    """A layer that halves its input when ``training=True``: a deterministic stand-in for
    Dropout or BatchNormalization, so a check can see whether a step passes ``training``."""
    if not _TRAINING_SCALE:
        import keras

        class TrainingScale(keras.layers.Layer):
            def call(self, x, training=False):
                return x * 0.5 if training else x

        _TRAINING_SCALE.append(TrainingScale)
    return _TRAINING_SCALE[0]()


def step_networks(seed):
    """A tiny seeded generator and discriminator whose behaviour depends on ``training``."""
    import keras
    from keras import layers

    with _Float32Policy():
        z = keras.Input((STEP_LATENT,))
        h = _training_scale()(layers.LeakyReLU(_LEAKY)(layers.Dense(8)(z)))
        x = layers.Reshape(STEP_IMAGE)(layers.Activation("tanh")(layers.Dense(16)(h)))
        generator = keras.Model(z, x, name="check_generator")
        image = keras.Input(STEP_IMAGE)
        h = layers.LeakyReLU(_LEAKY)(layers.Dense(8)(layers.Flatten()(image)))
        logit = layers.Dense(1)(_training_scale()(h))
        discriminator = keras.Model(image, logit, name="check_discriminator")
    rng = seeded(100 + seed)
    for net in (generator, discriminator):
        net.set_weights([rng.normal(0.0, 0.6, w.shape).astype(np.float32)
                         for w in net.get_weights()])
    # A discriminator that already rejects fakes (D(G(z)) around 0.1), as early in training:
    # there the saturating and non-saturating losses give very different gradients.
    weights = discriminator.get_weights()
    weights[-1][:] = -2.0
    discriminator.set_weights(weights)
    return generator, discriminator


def flat(variables):
    return np.concatenate([np.asarray(v, np.float64).ravel() for v in variables])


def reference_step(real, z, generator, discriminator, g_loss_fn=losses.generator_loss,
                    g_training=True, d_training=True, g_follows="g", d_follows="d",
                    swap_optimizers=False):
    """One SGD step of the GAN recipe (or of a typical mistake), without changing the networks:
    the weights each network would have afterwards, and the two losses."""
    import tensorflow as tf

    with tf.GradientTape(persistent=True) as tape:
        fake = generator(z, training=g_training)
        real_logits = discriminator(real, training=d_training)
        fake_logits = discriminator(fake, training=d_training)
        loss = {"d": losses.discriminator_loss(real_logits, fake_logits),
                "g": g_loss_fn(fake_logits)}
    g_lr, d_lr = (D_LR, G_LR) if swap_optimizers else (G_LR, D_LR)

    def updated(network, follows, lr):
        variables = network.trainable_variables
        if follows is None:
            return flat(variables)
        grads = tape.gradient(loss[follows], variables)
        return flat([v.numpy() - lr * g.numpy() for v, g in zip(variables, grads)])

    return (updated(generator, g_follows, g_lr), updated(discriminator, d_follows, d_lr),
            float(loss["d"]), float(loss["g"]))


def alternating_step(real, z, generator, discriminator, first):
    """The weights after an *alternating* step (Goodfellow et al.'s Algorithm 1 with k = 1):
    ``first`` ("d" or "g") is updated, then the other network against the updated one."""
    import keras
    import tensorflow as tf

    copies = {}
    for key, net in (("g", generator), ("d", discriminator)):
        with _Float32Policy():
            copies[key] = keras.models.clone_model(net)
        copies[key].set_weights(net.get_weights())
    for key in (first, "d" if first == "g" else "g"):
        net = copies[key]
        with tf.GradientTape() as tape:
            fake_logits = copies["d"](copies["g"](z, training=True), training=True)
            if key == "d":
                real_logits = copies["d"](real, training=True)
                loss = losses.discriminator_loss(real_logits, fake_logits)
            else:
                loss = losses.generator_loss(fake_logits)
        grads = tape.gradient(loss, net.trainable_variables)
        lr = D_LR if key == "d" else G_LR
        for variable, grad in zip(net.trainable_variables, grads):
            variable.assign(variable - lr * grad)
    return flat(copies["g"].trainable_variables), flat(copies["d"].trainable_variables)


ALTERNATING = ("your step updates one network before it computes the other's gradient, as in "
                "Goodfellow et al.'s Algorithm 1 (discriminator first, then the generator "
                "against the updated discriminator). That alternating step is a valid GAN, but "
                "this exercise asks for the simultaneous step of the TensorFlow tutorial: both "
                "losses from one forward pass inside both tapes, both gradients taken, then "
                "both applied.")
_OWN_NOISE = ("given the same networks, batch and z, your step changes the weights differently "
              "from one call to the next: it draws its own noise (tf.random.normal?) instead "
              "of using the z it is given. The caller draws the latents outside the step, so "
              "the step is repeatable: make the fakes with generator(z, training=True).")
_IGNORES_Z = ("your step ends with the same weights whatever z it is given: it makes the fakes "
              "from some other latents (a z of the notebook, say). Use its argument: "
              "generator(z, training=True).")


def _fresh_step_result(train_step, real, z, seed):
    """The weights ``train_step`` leaves on fresh copies of the check's networks."""
    import keras

    generator, discriminator = step_networks(seed)
    g_optimizer, d_optimizer = keras.optimizers.SGD(G_LR), keras.optimizers.SGD(D_LR)
    g_optimizer.build(generator.trainable_variables)
    d_optimizer.build(discriminator.trainable_variables)
    call_step(train_step, real, z, generator, discriminator, g_optimizer, d_optimizer)
    return flat(generator.trainable_variables), flat(discriminator.trainable_variables)


def noise_hint(train_step, real, z, seed, got):
    """A hint when the step does not follow the z it is given, else None."""
    import tensorflow as tf

    again = _fresh_step_result(train_step, real, z, seed)
    if not all(step_close(a, b) for a, b in zip(got, again)):
        return _OWN_NOISE
    other = tf.constant(seeded(50 + seed).standard_normal(z.shape), tf.float32)
    moved = _fresh_step_result(train_step, real, other, seed)
    if all(step_close(a, b) for a, b in zip(got, moved)):
        return _IGNORES_Z
    return None


def step_close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


_STEP_ERRORS = {
    "Unknown variable": "each optimizer updates its own network: g_optimizer.apply_gradients("
                        "zip(g_grads, generator.trainable_variables)), and d_optimizer likewise.",
    "No gradients provided": "a gradient came back as None: make the fakes inside the tapes with "
                             "generator(z, training=True) (not generator.predict or .numpy(), "
                             "which cut the gradient), and take each loss's gradient with "
                             "respect to its own network.",
}


def call_step(train_step, *args):
    """``call`` with a short message: the step's arguments are networks, not numbers to show."""
    try:
        return call(train_step, *args)
    except Mismatch as err:
        error = err.problem.partition(") raised ")[2] or err.problem
        error = error.split(", value=")[0] + ">" if ", value=" in error else error  # no weights
        hint = next((h for key, h in _STEP_ERRORS.items() if key in error), "")
        raise Mismatch("train_step(real_images, z, generator, discriminator, g_optimizer, "
                       f"d_optimizer) raised {error}", hint) from None
