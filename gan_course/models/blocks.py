"""Layers that several of the course's networks share: up- and down-sampling blocks, dense stages.

Networks end in ``tanh`` (images in [-1, 1]) and discriminators in one raw logit, both computed in
float32 so they stay exact under mixed precision; the losses apply the sigmoid. The
image-to-image networks (CycleGAN) share two layers of their own: reflection padding and
instance normalisation.
"""

import contextlib
import contextvars

import keras
from keras import layers

# Set by ``models.base.GAN`` while a replica of a tf.distribute strategy runs its discriminator.
_GLOBAL_ROWS = contextvars.ContextVar("global_rows", default=None)


def as_tuple(units):
    """Hidden layer sizes from 0 (none), one size, or a sequence of sizes."""
    if not units:
        return ()
    return tuple(units) if isinstance(units, (tuple, list)) else (units,)


def dense_bn_relu(h, units):
    """Dense (no bias: batch norm adds one), batch norm, ReLU: a generator's dense stage."""
    h = layers.Dense(units, use_bias=False)(h)
    h = batch_norm()(h)
    return layers.ReLU()(h)


def batch_norm(**kwargs):
    """``layers.BatchNormalization``; built under a strategy of several replicas, its statistics
    are those of the global batch (``synchronized``), as on one device. On one device it is the
    plain layer (the synchronized statistics are computed another way, a few ulps apart)."""
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return layers.BatchNormalization(synchronized=replicas > 1, **kwargs)


def upsample(h, filters, upsampling="transpose", use_bias=False):
    """Double the resolution: a stride-2 transposed convolution, or (``"resize"``)
    nearest-neighbour upsampling and a 3x3 convolution, which has no built-in checkerboard."""
    if upsampling == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=use_bias)(h)
    if upsampling == "resize":
        h = layers.UpSampling2D(2, interpolation="nearest")(h)
        return layers.Conv2D(filters, 3, padding="same", use_bias=use_bias)(h)
    raise ValueError(f"upsampling must be 'transpose' or 'resize', got {upsampling!r}")


def upsample_block(h, filters, upsampling="transpose"):
    """One generator block: double the resolution, batch norm, ReLU."""
    h = upsample(h, filters, upsampling)
    h = batch_norm()(h)
    return layers.ReLU()(h)


def downsample_block(h, filters):
    """One discriminator block: a stride-2 convolution (no pooling) and LeakyReLU."""
    h = layers.Conv2D(filters, 4, strides=2, padding="same")(h)
    return layers.LeakyReLU(0.2)(h)


def dropped(h, rate):
    """``h`` followed by dropout at ``rate`` (nothing when the rate is 0)."""
    return Dropout(rate)(h) if rate else h


@keras.saving.register_keras_serializable(package="gan_course")
class Dropout(layers.Dropout):
    """``layers.Dropout`` that, on a replica of a tf.distribute strategy, draws the mask of the
    whole global batch and keeps its own rows: several replicas then drop exactly what one device
    drops, and no two replicas share a mask. Elsewhere it is Keras' own dropout."""

    def call(self, inputs, training=False):
        layout = _GLOBAL_ROWS.get()
        if layout is None or not training or not self.rate or self.noise_shape is not None:
            return super().call(inputs, training=training)
        import tensorflow as tf

        rows, total = layout
        ones = tf.ones(tf.concat([[total], tf.shape(inputs)[1:]], 0), inputs.dtype)
        kept = keras.random.dropout(ones, self.rate, seed=self.seed_generator)
        return inputs * tf.gather(kept, rows)


@contextlib.contextmanager
def global_rows(rows, total):
    """While open, :class:`Dropout` layers take their inputs' rows as rows ``rows`` of a global
    batch of ``total`` (what ``models.base.GAN.discriminate`` says on each replica)."""
    token = _GLOBAL_ROWS.set((rows, total))
    try:
        yield
    finally:
        _GLOBAL_ROWS.reset(token)


def upsampling_blocks(side):
    """How many 2x upsamplings reach ``side`` from a small start (7x7 for 28, 4x4 for 32/64)."""
    if side % 4:
        raise ValueError(f"DCGAN needs an image side divisible by 4, got {side}")
    blocks = 2
    while side // 2**(blocks + 1) >= 4 and (side // 2**(blocks + 1)) * 2**(blocks + 1) == side:
        blocks += 1
    return blocks


def float32_output(h, activation, name=None):
    """The network's last activation in float32, so mixed precision never rounds its outputs."""
    return layers.Activation(activation, dtype="float32", name=name)(h)


def logit(h, name="logit"):
    """One raw logit per example, in float32."""
    return layers.Dense(1, dtype="float32", name=name)(h)



def dcgan_generator_body(h, image_shape, width, upsampling="transpose", hidden=0):
    """The DCGAN generator after its input vector ``h``: optional dense stages, a projection to a
    small stack of feature maps, upsampling blocks that halve the filters as they double the size,
    and a tanh image (28 -> 7 -> 14 -> 28; 64 -> 4 -> ... -> 64)."""
    height, _, channels = image_shape
    count = upsampling_blocks(height)
    start = height // 2**count
    for units in as_tuple(hidden):
        h = dense_bn_relu(h, units)
    h = dense_bn_relu(h, start * start * width * 2**(count - 1))
    h = layers.Reshape((start, start, width * 2**(count - 1)))(h)
    for i in range(count - 1, 0, -1):
        h = upsample_block(h, width * 2**(i - 1), upsampling)
    h = upsample(h, channels, upsampling, use_bias=True)
    return float32_output(h, "tanh", "image")


def dcgan_discriminator_body(h, side, width, hidden=0, dropout=0.0):
    """The DCGAN discriminator up to its logit: one downsampling block per halving of ``side``
    (filters doubling), flattened, an optional dense layer with LeakyReLU; dropout after each.
    Returns the features the logit reads."""
    for i in range(upsampling_blocks(side)):
        h = dropped(downsample_block(h, width * 2**i), dropout)
    h = layers.Flatten()(h)
    if hidden:
        h = dropped(layers.LeakyReLU(0.2)(layers.Dense(hidden)(h)), dropout)
    return h


# --- image-to-image layers (CycleGAN) --------------------------------------------------------------

@keras.saving.register_keras_serializable(package="gan_course")
class ReflectionPadding2D(layers.Layer):
    """Pad height and width by ``padding`` pixels, mirroring the image at its border.

    Zero padding gives a convolution a dark frame to react to, which a generator repaints as a
    visible border; a mirror continues the picture, so the edges look like the rest.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="gan_course")
def instance_norm(epsilon=1e-5, center=True, scale=True, **kwargs):
    """Instance normalisation (Ulyanov et al. 2016): each channel of each image normalised over
    its own height and width. Keras's ``GroupNormalization`` with one channel per group does
    exactly that, in float32 under mixed precision too.

    Batch norm averages over the batch as well, so one image's colours shift another's; instance
    norm treats every image alone, the same in training and in use, whatever the batch size. It
    takes out each image's contrast, which a style network should set itself. ``scale`` and
    ``center`` add a learnt gain and offset per channel. (It replaced a hand-written layer with
    the same variables, gamma and beta: runs recorded with that one restore unchanged.)
    """
    return layers.GroupNormalization(groups=-1, epsilon=epsilon, center=center, scale=scale,
                                     **kwargs)


def patch_scores(h, width, downsamplings):
    """A PatchGAN's layers on ``h`` (Isola et al. 2017): 4x4 convolutions, ``downsamplings`` of
    stride 2 and two of stride 1, instance norm after all but the first; a map of raw float32
    scores, one per overlapping patch of the input (70 x 70 pixels for 3 downsamplings)."""
    h = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(h))
    for i in range(1, downsamplings + 1):
        stride = 2 if i < downsamplings else 1
        h = layers.Conv2D(width * min(2**i, 8), 4, strides=stride, padding="same",
                          use_bias=False)(h)
        h = layers.LeakyReLU(0.2)(instance_norm()(h))
    return layers.Conv2D(1, 4, padding="same", dtype="float32", name="scores")(h)
