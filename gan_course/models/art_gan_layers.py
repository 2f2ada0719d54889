"""The layers of lesson 08's style-based generator (Karras et al. 2019, 2020), at small scale.

StyleGAN2's modulated convolution in its non-fused form, which any device runs (no grouped
convolution): scale the input channels by the style, one convolution shared by the whole batch,
scale the output channels by the demodulation coefficients. Weights are drawn N(0, 1) and scaled
at run time by He's constant (the equalised learning rate), as StyleGAN does.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers


def _unit():
    return keras.initializers.RandomNormal(stddev=1.0)  # N(0, 1), scaled at run time


def demodulation(kernel, styles, eps=1e-8):
    """StyleGAN2's demodulation coefficients, (n, c_out): one over the norm of the modulated
    kernel ``kernel[k, k, c_in, c_out] * style[c_in]`` of each sample and output channel.

    Multiplying a convolution's output channels by them gives the output unit variance for
    inputs of unit variance, whatever the style: the statistics AdaIN normalises, fixed from the
    weights alone instead of measured on the features."""
    kernel = tf.cast(kernel, tf.float32)
    styles = tf.cast(styles, tf.float32)
    sq = tf.reduce_sum(tf.square(kernel), axis=[0, 1])  # (c_in, c_out)
    return tf.math.rsqrt(tf.matmul(tf.square(styles), sq) + eps)


@keras.saving.register_keras_serializable(package="gan_course")
class PixelNorm(layers.Layer):
    """Each vector divided by its root mean square (z on a sphere, as StyleGAN's mapping)."""

    def call(self, x):
        return x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable(package="gan_course")
class ScaledDense(layers.Layer):
    """A dense layer with the equalised learning rate and a learning-rate multiplier (StyleGAN's
    mapping network learns 100 times slower than the synthesis network)."""

    def __init__(self, units, lr_multiplier=1.0, bias_init=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.lr_multiplier, self.bias_init = int(units), float(lr_multiplier), bias_init

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.gain = float(self.lr_multiplier / np.sqrt(fan_in))
        self.kernel = self.add_weight(shape=(fan_in, self.units), name="kernel", initializer=(
            keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier)))
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=keras.initializers.Constant(
                                        self.bias_init / self.lr_multiplier))

    def call(self, x):
        kernel = tf.cast(self.kernel * self.gain, x.dtype)
        return tf.matmul(x, kernel) + tf.cast(self.bias * self.lr_multiplier, x.dtype)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "lr_multiplier": self.lr_multiplier, "bias_init": self.bias_init}


@keras.saving.register_keras_serializable(package="gan_course")
class ConstantInput(layers.Layer):
    """The learned constant the synthesis starts from, one copy per sample of ``ws``."""

    def __init__(self, channels, side=4, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.side = int(channels), int(side)

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(1, self.side, self.side, self.channels),
                                        initializer=_unit(), name="constant")

    def call(self, ws):
        return tf.tile(tf.cast(self.constant, self.compute_dtype), [tf.shape(ws)[0], 1, 1, 1])

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "side": self.side}


@keras.saving.register_keras_serializable(package="gan_course")
class ModulatedConv(layers.Layer):
    """Inputs ``[x, w]``: a convolution of ``x`` modulated by the style ``A w + 1`` (an affine map
    of ``w`` to one scale per input channel), optionally demodulated, after an optional 2x
    bilinear upsampling of ``x``."""

    def __init__(self, filters, kernel_size=3, demodulate=True, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.demodulate, self.upsample = bool(demodulate), bool(upsample)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        c_in, w_dim = int(x_shape[-1]), int(w_shape[-1])
        self.affine = self.add_weight(shape=(w_dim, c_in), initializer=_unit(),
                                      name="affine")
        self.affine_bias = self.add_weight(shape=(c_in,), initializer="ones", name="affine_bias")
        self.kernel = self.add_weight(shape=(self.kernel_size, self.kernel_size, c_in,
                                             self.filters), initializer=_unit(),
                                      name="kernel")
        self.affine_gain = float(1.0 / np.sqrt(w_dim))
        self.gain = float(1.0 / np.sqrt(self.kernel_size**2 * c_in))
        if not self.demodulate:  # toRGB: StyleGAN2 also scales its (undemodulated) style
            self.affine_gain *= self.gain

    def styles(self, w):
        """The per-sample scale of each input channel, (n, c_in)."""
        w = tf.cast(w, tf.float32)
        affine = tf.cast(self.affine, tf.float32) * self.affine_gain
        return tf.matmul(w, affine) + tf.cast(self.affine_bias, tf.float32)

    def call(self, inputs):
        x, w = inputs
        if self.upsample:
            side = tf.shape(x)[1:3] * 2
            x = tf.image.resize(x, side, method="bilinear")
        styles = self.styles(w)
        kernel = tf.cast(self.kernel, tf.float32) * self.gain
        x = x * tf.cast(styles, x.dtype)[:, None, None, :]
        y = tf.nn.conv2d(x, tf.cast(kernel, x.dtype), 1, "SAME")
        if self.demodulate:
            y = y * tf.cast(demodulation(kernel, styles), y.dtype)[:, None, None, :]
        return y

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "demodulate": self.demodulate,
                "upsample": self.upsample}


@keras.saving.register_keras_serializable(package="gan_course")
class NoiseBiasActivation(layers.Layer):
    """Inputs ``[y, seed]``: per-pixel Gaussian noise scaled by a learned strength per channel
    (zero at first, as StyleGAN's), a bias, then LeakyReLU(0.2) times sqrt 2 (unit gain). Each
    row of ``seed`` is ``(seed, seed, row, rows)``: the noise of a batch of ``rows`` pictures is drawn
    from the two seeds, and this picture takes its ``row`` (so the same seed gives the same picture,
    and a replica's share of a batch gets the noise one device gives those rows)."""

    def __init__(self, index, activate=True, **kwargs):
        super().__init__(**kwargs)
        self.index, self.activate = int(index), bool(activate)

    def build(self, input_shape):
        channels = int(input_shape[0][-1])
        self.strength = self.add_weight(shape=(channels,), initializer="zeros", name="strength")
        self.bias = self.add_weight(shape=(channels,), initializer="zeros", name="bias")

    def call(self, inputs):
        y, seed = inputs
        seed = tf.cast(seed, tf.int32)
        shape = tf.concat([[seed[0, 3]], tf.shape(y)[1:3], [1]], 0)
        key = tf.stack([seed[0, 0] + 7919 * self.index, seed[0, 1]])
        noise = tf.gather(tf.random.stateless_normal(shape, seed=key), seed[:, 2])
        noise = tf.cast(noise, y.dtype)
        y = y + noise * tf.cast(self.strength, y.dtype) + tf.cast(self.bias, y.dtype)
        if not self.activate:
            return y
        return tf.nn.leaky_relu(y, 0.2) * tf.cast(np.sqrt(2.0), y.dtype)

    def get_config(self):
        return {**super().get_config(), "index": self.index, "activate": self.activate}


@keras.saving.register_keras_serializable(package="gan_course")
class RGBBias(layers.Layer):
    """A learned bias per colour channel (toRGB's, which has neither noise nor activation)."""

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(int(input_shape[-1]),), initializer="zeros",
                                    name="bias")

    def call(self, x):
        return x + tf.cast(self.bias, x.dtype)


@keras.saving.register_keras_serializable(package="gan_course")
class Upsample(layers.Layer):
    """2x bilinear upsampling of the running RGB picture (StyleGAN2's skip outputs)."""

    def call(self, x):
        return tf.image.resize(x, tf.shape(x)[1:3] * 2, method="bilinear")
