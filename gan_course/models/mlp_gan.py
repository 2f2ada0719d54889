"""The MLP GAN of lesson 02 (Goodfellow et al. 2014): dense networks on flattened images.

Settings per profile: each value's reason is on its line; the measurements behind them are in
benchmarks/RESULTS.md, section "MLP GAN".
"""

import math

import keras
from keras import layers

from gan_course.models import blocks
from gan_course.models.base import compiled_gan
from gan_course.models.registry import Recipe, evaluate_images, image_bar, register


def build_generator(latent_dim=64, image_shape=(28, 28, 1), hidden=(256, 512), batch_norm=False,
                    name="generator"):
    """Dense layers with LeakyReLU (batch norm optional), then tanh reshaped to ``image_shape``."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.Dense(units, use_bias=not batch_norm)(h)
        if batch_norm:
            h = blocks.batch_norm(momentum=0.8)(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Dense(math.prod(image_shape))(h)
    x = blocks.float32_output(h, "tanh")
    x = layers.Reshape(image_shape, name="image", dtype="float32")(x)  # no float16 rounding after tanh
    return keras.Model(z, x, name=name)


def build_discriminator(image_shape=(28, 28, 1), hidden=(512, 256), name="discriminator"):
    """Flatten, dense layers with LeakyReLU, one logit.

    No dropout: on a CPU, XLA draws random masks so slowly that a step with dropout runs at a
    tenth of the speed, and batch norm in the generator measured better per minute anyway."""
    x = keras.Input(image_shape, name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
    return keras.Model(x, blocks.logit(h), name=name)


def build(settings, image_shape, seed):
    """The compiled MLP GAN for a profile's ``settings``."""
    hp = settings.hparams
    generator = build_generator(hp["latent_dim"], image_shape, hp["hidden"],
                                hp.get("batch_norm", False))
    discriminator = build_discriminator(image_shape, hp["d_hidden"])
    return compiled_gan(generator, discriminator, settings, seed)


# Goodfellow et al.'s recipe as DCGAN tuned it: Adam 2e-4 with beta_1 0.5; one-sided label
# smoothing 0.1 (Salimans et al. 2016) keeps the discriminator from saturating.
_HPARAMS = dict(latent_dim=64, g_lr=2e-4, d_lr=2e-4, beta_1=0.5, ema_decay=0.999,
                label_smoothing=0.1)
SETTINGS = {
    # CI: tiny networks, a few dozen steps; checks that everything runs, not quality.
    "quick": dict(batch_size=64, steps=60, steps_per_epoch=20, steps_per_execution=10,
                  eval_samples=200,
                  hparams=dict(_HPARAMS, hidden=(64, 128), d_hidden=(128, 64), ema_decay=0.9)),
    # 2 cores: batch norm in the generator and Adam 4e-4 pass the bar after 16k steps; 20k leave
    # a margin (RESULTS.md, "MLP GAN").
    "classroom": dict(batch_size=64, steps=20000, steps_per_epoch=1000, eval_samples=2000,
                      hparams=dict(_HPARAMS, hidden=(256, 512, 1024), d_hidden=(512, 256),
                                   batch_norm=True, g_lr=4e-4, d_lr=4e-4)),
    # GPU: the wider discriminator and twice the steps of the classroom run (not yet run on a GPU).
    "full": dict(batch_size=128, steps=40000, steps_per_epoch=2000, eval_samples=10000,
                 hparams=dict(_HPARAMS, hidden=(256, 512, 1024), d_hidden=(1024, 512, 256),
                              batch_norm=True)),
}

register(Recipe("mlp_gan", build, ("mnist", "fashion_mnist"), evaluate_images,
                image_bar(0.80, 0.04)), SETTINGS)
