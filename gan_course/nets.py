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


def mlp_discriminator(image_shape=(28, 28, 1), hidden=(512, 256), name="discriminator"):
    """Flatten, dense layers with LeakyReLU, one logit.

    No dropout: on a CPU, XLA draws random masks so slowly that a step with dropout runs at a
    tenth of the speed, and batch norm in the generator measured better per minute anyway."""
    x = keras.Input(image_shape, name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(0.2)(h)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)


def dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), width=64, upsampling="transpose",
                    hidden=0, name="generator"):
    """Radford et al. 2015: project and reshape, then stride-2 transposed convolutions with batch
    norm and ReLU, tanh output. ``width`` is the filter count of the last hidden block; each block
    towards the input doubles it. Works for any image side divisible by 4 (two upsamplings)
    and grows one block per further factor of 2 (28 -> 7 -> 14 -> 28; 64 -> 4 -> ... -> 64).

    ``upsampling="resize"`` swaps each transposed convolution for nearest-neighbour upsampling
    and a 3x3 convolution, which avoids checkerboard artifacts (Odena et al. 2016).
    ``hidden`` adds dense layers (batch norm, ReLU) before the projection: one of that many units,
    or one per entry of a tuple. The InfoGAN networks (Chen et al. 2016) have one; the paper's
    DCGAN none. Each such layer lets the generator bend the round latent cloud further into
    separate digits, so fewer samples fall between two of them."""
    height, _, channels = image_shape
    blocks = _upsampling_blocks(height)
    start = height // 2**blocks
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in _as_tuple(hidden):
        h = _dense_bn_relu(h, units)
    h = _dense_bn_relu(h, start * start * width * 2**(blocks - 1))
    h = layers.Reshape((start, start, width * 2**(blocks - 1)))(h)
    for i in range(blocks - 1, 0, -1):
        h = upsample_block(h, width * 2**(i - 1), upsampling)
    h = _upsample(h, channels, upsampling, use_bias=True)
    x = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(z, x, name=name)


def _as_tuple(units):
    """Hidden layer sizes from 0 (none), one size, or a sequence of sizes."""
    if not units:
        return ()
    return tuple(units) if isinstance(units, (tuple, list)) else (units,)


def _dense_bn_relu(h, units):
    h = layers.Dense(units, use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    return layers.ReLU()(h)


def _upsample(h, filters, upsampling, use_bias=False):
    if upsampling == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=use_bias)(h)
    if upsampling == "resize":
        h = layers.UpSampling2D(2, interpolation="nearest")(h)
        return layers.Conv2D(filters, 3, padding="same", use_bias=use_bias)(h)
    raise ValueError(f"upsampling must be 'transpose' or 'resize', got {upsampling!r}")


def upsample_block(h, filters, upsampling="transpose"):
    """One generator block: double the resolution, batch norm, ReLU."""
    h = _upsample(h, filters, upsampling)
    h = layers.BatchNormalization()(h)
    return layers.ReLU()(h)


def downsample_block(h, filters):
    """One discriminator block: a stride-2 convolution (no pooling) and LeakyReLU."""
    h = layers.Conv2D(filters, 4, strides=2, padding="same")(h)
    return layers.LeakyReLU(0.2)(h)


def dcgan_discriminator(image_shape=(28, 28, 1), width=64, hidden=0, dropout=0.0,
                        name="discriminator"):
    """Stride-2 convolutions with LeakyReLU (no pooling), one logit.

    ``hidden`` > 0 adds a dense layer of that many units with LeakyReLU before the logit.
    ``dropout`` > 0 follows every hidden layer with dropout, which keeps a discriminator from
    fixing on a few details and so keeps the generator drawing every digit."""
    blocks = _upsampling_blocks(image_shape[0])
    x = keras.Input(image_shape, name="image")
    h = x
    for i in range(blocks):
        h = _dropped(downsample_block(h, width * 2**i), dropout)
    h = layers.Flatten()(h)
    if hidden:
        h = _dropped(layers.LeakyReLU(0.2)(layers.Dense(hidden)(h)), dropout)
    logit = layers.Dense(1, dtype="float32", name="logit")(h)
    return keras.Model(x, logit, name=name)


def with_code_head(discriminator, categories, continuous=0, units=128, name="discriminator_q"):
    """The discriminator with InfoGAN's Q head (Chen et al. 2016) as a second output.

    The head reads the discriminator's last hidden layer and guesses the latent code of its input:
    ``categories`` logits, then ``continuous`` values. It shares every other layer, so guessing
    costs two small dense layers."""
    features = discriminator.layers[-2].output
    h = layers.LeakyReLU(0.2)(layers.Dense(units)(features))
    guesses = layers.Dense(categories + continuous, dtype="float32", name="code")(h)
    return keras.Model(discriminator.input, [discriminator.output, guesses], name=name)


def _dropped(h, rate):
    return layers.Dropout(rate)(h) if rate else h


def _upsampling_blocks(side):
    """How many 2x upsamplings reach ``side`` from a small start (7x7 for 28, 4x4 for 32/64)."""
    if side % 4:
        raise ValueError(f"DCGAN needs an image side divisible by 4, got {side}")
    blocks = 2
    while side // 2**(blocks + 1) >= 4 and (side // 2**(blocks + 1)) * 2**(blocks + 1) == side:
        blocks += 1
    return blocks
