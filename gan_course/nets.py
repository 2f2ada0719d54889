"""Generator and discriminator networks.

Generators end in ``tanh`` (images in [-1, 1]) computed in float32, so they stay exact under
mixed precision. Discriminators return one raw logit per image; the losses apply the sigmoid.
"""

import math

import keras
from keras import layers


def mlp_generator(latent_dim=64, image_shape=(28, 28, 1), hidden=(256, 512), batch_norm=False,
                  name="generator"):
    """Dense layers with LeakyReLU (batch norm optional), then tanh reshaped to ``image_shape``."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.Dense(units, use_bias=not batch_norm)(h)
        if batch_norm:
            h = layers.BatchNormalization(momentum=0.8)(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Dense(math.prod(image_shape))(h)
    x = layers.Activation("tanh", dtype="float32")(h)
    x = layers.Reshape(image_shape, name="image")(x)
    return keras.Model(z, x, name=name)


def mlp_discriminator(image_shape=(28, 28, 1), hidden=(512, 256), dropout=0.0,
                      name="discriminator"):
    """Flatten, dense layers with LeakyReLU (and dropout, which keeps D from memorising), one logit."""
    x = keras.Input(image_shape, name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)


def dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), width=64, name="generator"):
    """Radford et al. 2015: project and reshape, then stride-2 transposed convolutions with batch
    norm and ReLU, tanh output. ``width`` is the filter count of the last hidden block; each block
    towards the input doubles it. Works for any image side divisible by 4 (two upsamplings)
    and grows one block per further factor of 2 (28 -> 7 -> 14 -> 28; 64 -> 4 -> ... -> 64)."""
    height, _, channels = image_shape
    blocks = _upsampling_blocks(height)
    start = height // 2**blocks
    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense(start * start * width * 2**(blocks - 1), use_bias=False)(z)
    h = layers.BatchNormalization()(h)
    h = layers.ReLU()(h)
    h = layers.Reshape((start, start, width * 2**(blocks - 1)))(h)
    for i in range(blocks - 1, 0, -1):
        h = layers.Conv2DTranspose(width * 2**(i - 1), 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
    h = layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(h)
    x = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(z, x, name=name)


def dcgan_discriminator(image_shape=(28, 28, 1), width=64, name="discriminator"):
    """Stride-2 convolutions with LeakyReLU (no pooling), one logit."""
    blocks = _upsampling_blocks(image_shape[0])
    x = keras.Input(image_shape, name="image")
    h = x
    for i in range(blocks):
        h = layers.Conv2D(width * 2**i, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Flatten()(h)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)


def _upsampling_blocks(side):
    """How many 2x upsamplings reach ``side`` from a small start (7x7 for 28, 4x4 for 32/64)."""
    if side % 4:
        raise ValueError(f"DCGAN needs an image side divisible by 4, got {side}")
    blocks = 2
    while side // 2**(blocks + 1) >= 4 and (side // 2**(blocks + 1)) * 2**(blocks + 1) == side:
        blocks += 1
    return blocks
