"""Generator and discriminator networks.

Generators end in ``tanh`` (images in [-1, 1]) computed in float32, so they stay exact under
mixed precision. Discriminators return one raw logit per image; the losses apply the sigmoid.
"""

import math

import keras
from keras import layers


def mlp_generator(latent_dim=64, image_shape=(28, 28, 1), hidden=(256, 512), name="generator"):
    """Dense layers with LeakyReLU, then a tanh layer reshaped to ``image_shape``."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Dense(math.prod(image_shape))(h)
    x = layers.Activation("tanh", dtype="float32")(h)
    x = layers.Reshape(image_shape, name="image")(x)
    return keras.Model(z, x, name=name)


def mlp_discriminator(image_shape=(28, 28, 1), hidden=(512, 256), name="discriminator"):
    """Flatten, dense layers with LeakyReLU, one logit."""
    x = keras.Input(image_shape, name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)
