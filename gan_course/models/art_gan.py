"""Lesson 08's art GAN: StyleGAN's ideas at 64 x 64 pixels, trained on one school's paintings.

The generator (Karras et al. 2019, 2020) maps a latent z to a style vector w (the mapping
network), starts from a learned constant 4 x 4 input, and gives every convolution its own style
through StyleGAN2's modulated and demodulated convolutions; per-pixel noise with a learned
strength per channel adds the details no style decides. Each resolution adds its RGB picture to
the upsampled one below (skip outputs). Sampling uses the EMA generator.

Ten paintings is small data: the discriminator (hinge loss, or the non-saturating loss with R1;
spectral normalisation optional, off by default) sees real and generated pictures through the
same differentiable augmentation (:mod:`gan_course.art.augment`),
in its step and in the generator's. The data are random crops of the school's training
paintings (:mod:`gan_course.art.patches`); the held-out paintings judge the result
(:mod:`gan_course.models.art_gan_quality`). Settings per profile are measured in
benchmarks/RESULTS.md, section "Art GAN".
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course.art import augment as art_augment
from gan_course.art import domains, patches
from gan_course.models import art_gan_layers as al
from gan_course.models.art_gan_layers import demodulation  # noqa: F401 - part of the API
from gan_course.models.art_gan_quality import bar, evaluate
from gan_course.models.base import GAN, _images_of, adam, execution
from gan_course.models.registry import Recipe, register

SCHOOLS = ("art/paintings/van_gogh", "art/paintings/morisot", "art/paintings/ukiyo_e")
MIN_PAINTINGS = 4  # fewer training pictures than this cannot make a school
W_MEAN_SAMPLES = 4096  # latents averaged for w_mean


# --- the ideas, as functions -------------------------------------------------------------------

def truncate(w, w_mean, psi):
    """The truncation trick: ``w_mean + psi (w - w_mean)``; psi 1 leaves w, 0 gives the average
    picture. ``w`` (n, w_dim) or (n, layers, w_dim)."""
    return w_mean + psi * (w - w_mean)


def mix_styles(w_coarse, w_fine, crossover, n_layers):
    """Per-layer styles (n, n_layers, w_dim): layers [0, crossover) take ``w_coarse`` (n, w_dim),
    layers [crossover, n_layers) take ``w_fine``."""
    w_coarse, w_fine = np.asarray(w_coarse, np.float32), np.asarray(w_fine, np.float32)
    coarse = (np.arange(n_layers) < crossover)[None, :, None]
    return np.where(coarse, w_coarse[:, None, :], w_fine[:, None, :]).astype(np.float32)


def adain(x, mean, std, eps=1e-5):
    """Adaptive instance normalisation: each sample's channels normalised over H and W, then
    given the mean and standard deviation ``mean``, ``std`` (n, C)."""
    x = tf.convert_to_tensor(x, tf.float32)
    mu, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    x_hat = (x - mu) * tf.math.rsqrt(var + eps)
    return (tf.cast(std, tf.float32)[:, None, None, :] * x_hat
            + tf.cast(mean, tf.float32)[:, None, None, :])


def mapping_network(latent_dim, w_dim, depth, lr_multiplier=1.0, name="mapping"):
    """z (n, latent_dim) -> w (n, w_dim): pixel norm, then ``depth`` dense layers with
    LeakyReLU(0.2) (``lr_multiplier``: StyleGAN's mapping learns at 0.01 of the rate)."""
    z = keras.Input((latent_dim,), name="z")
    h = al.PixelNorm()(z)
    for _ in range(depth):
        h = layers.LeakyReLU(0.2)(al.ScaledDense(w_dim, lr_multiplier)(h))
    return keras.Model(z, h, name=name)


# --- networks ------------------------------------------------------------------------------------

def style_layers(image_size):
    """How many style inputs the synthesis of ``image_size`` pixels takes: one convolution at
    4 x 4, two per doubling, and the last toRGB's."""
    doublings = int(np.log2(image_size // 4))
    return 2 + 2 * doublings


def synthesis_network(channels, w_dim, image_size=64, name="synthesis"):
    """``[ws (n, layers, w_dim), noise seeds (n, 4)]`` -> RGB pictures (n, size, size, 3),
    unbounded around [-1, 1]; ``channels``: the width at 4, 8, ... ``image_size`` pixels."""
    n_layers = style_layers(image_size)
    if len(channels) != n_layers // 2:
        raise ValueError(f"{image_size} pixels need {n_layers // 2} widths (4 x 4 up), "
                         f"got {len(channels)}")
    ws = keras.Input((n_layers, w_dim), name="ws")
    seed = keras.Input((4,), dtype="int32", name="noise_seed")
    h = al.ConstantInput(channels[0])(ws)
    h = al.NoiseBiasActivation(0)([al.ModulatedConv(channels[0])([h, ws[:, 0]]), seed])
    rgb = al.RGBBias()(al.ModulatedConv(3, 1, demodulate=False)([h, ws[:, 1]]))
    for level, width in enumerate(channels[1:], start=1):
        i = 2 * level - 1  # this level's first style
        h = al.NoiseBiasActivation(i)([al.ModulatedConv(width, upsample=True)([h, ws[:, i]]),
                                       seed])
        h = al.NoiseBiasActivation(i + 1)([al.ModulatedConv(width)([h, ws[:, i + 1]]), seed])
        rgb = layers.Add()([al.Upsample()(rgb), al.RGBBias()(
            al.ModulatedConv(3, 1, demodulate=False)([h, ws[:, i + 2]]))])
    out = layers.Activation("linear", dtype="float32", name="image")(rgb)
    return keras.Model([ws, seed], out, name=name)


def build_generator(latent_dim, w_dim, mapping_depth, channels, image_size=64,
                    mapping_lr=1.0):
    """``[z, noise seed]`` -> pictures: the mapping network and the synthesis network (its layers
    ``"mapping"`` and ``"synthesis"``), every layer given the same w."""
    mapping = mapping_network(latent_dim, w_dim, mapping_depth, mapping_lr)
    synthesis = synthesis_network(channels, w_dim, image_size)
    z = keras.Input((latent_dim,), name="z")
    seed = keras.Input((4,), dtype="int32", name="noise_seed")
    ws = layers.RepeatVector(style_layers(image_size))(mapping(z))
    return keras.Model([z, seed], synthesis([ws, seed]), name="generator")


def build_discriminator(channels, image_size=64, spectral=True, name="discriminator"):
    """A residual discriminator (StyleGAN2's at small scale): from RGB, one block per halving
    (two 3x3 convolutions and average pooling, beside a pooled 1x1 skip), then a dense layer and
    one logit in float32. ``spectral``: every layer spectrally normalised."""
    def norm(layer):
        return layers.SpectralNormalization(layer) if spectral else layer

    def act(h):
        return layers.LeakyReLU(0.2)(h)

    x = keras.Input((image_size, image_size, 3), name="image")
    widths = list(channels)[::-1]  # widest at the bottom
    h = act(norm(layers.Conv2D(widths[0], 1))(x))
    for width, wider in zip(widths, widths[1:]):
        skip = norm(layers.Conv2D(wider, 1, use_bias=False))(layers.AveragePooling2D(2)(h))
        h = act(norm(layers.Conv2D(width, 3, padding="same"))(h))
        h = act(norm(layers.Conv2D(wider, 3, padding="same"))(h))
        h = layers.Rescaling(1 / np.sqrt(2))(layers.Add()([skip, layers.AveragePooling2D(2)(h)]))
    h = act(norm(layers.Conv2D(widths[-1], 3, padding="same"))(h))
    h = act(norm(layers.Dense(widths[-1]))(layers.Flatten()(h)))
    logit = norm(layers.Dense(1))(h)
    return keras.Model(x, layers.Activation("linear", dtype="float32", name="logit")(logit),
                       name=name)


# --- sampling, shared by the trained model and the shipped generator ------------------------------

def noise_seeds(seed, n, offset=0, total=None):
    """The synthesis network's noise input: rows ``(seed, seed, row, rows)`` for rows ``offset``
    to ``offset + n`` of a batch of ``total`` (default ``n``) pictures; ``seed``: an int or two."""
    total = n if total is None else total
    pair = tf.reshape(tf.cast(seed, tf.int32), [-1])
    pair = tf.concat([pair, tf.zeros([2], tf.int32)], 0)[:2]
    index = offset + tf.range(n)
    return tf.concat([tf.tile(pair[None], [n, 1]), tf.stack([index, tf.fill([n], total)], 1)], 1)


class StyleSampling:
    """``generate``, ``styles``, ``latents``, ``w_mean``, ``synthesise`` from ``self.sampler``
    (the EMA generator: layers ``"mapping"`` and ``"synthesis"``) and ``self.latent_dim``."""

    batch = 256

    @property
    def mapping(self):
        return self.sampler.get_layer("mapping")

    @property
    def synthesis(self):
        return self.sampler.get_layer("synthesis")

    @property
    def n_layers(self):
        return int(self.synthesis.input_shape[0][1])

    @property
    def w_dim(self):
        return int(self.synthesis.input_shape[0][2])

    def latents(self, n, seed=0):
        """``n`` standard normal latents, reproducible from ``seed``."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def styles(self, z):
        """w (n, w_dim) of latents ``z`` through the (EMA) mapping network."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (n, {self.latent_dim}), got {z.shape}")
        parts = [np.asarray(self.mapping(z[i:i + self.batch], training=False), np.float32)
                 for i in range(0, len(z), self.batch)]
        return np.concatenate(parts) if parts else np.zeros((0, self.w_dim), np.float32)

    def _w_mean(self):
        return self.styles(self.latents(W_MEAN_SAMPLES, seed=314159)).mean(axis=0)

    def synthesise(self, ws, noise_seed=0):
        """Pictures in [0, 1], float32 (n, H, W, 3), from per-layer styles (n, n_layers, w_dim)."""
        ws = np.asarray(ws, np.float32)
        if ws.ndim != 3 or ws.shape[1:] != (self.n_layers, self.w_dim):
            raise ValueError(f"per-layer styles must have shape (n, {self.n_layers}, "
                             f"{self.w_dim}), got {ws.shape}")
        parts = [np.asarray(self.synthesis([ws[i:i + self.batch], np.asarray(noise_seeds(
            noise_seed, len(ws[i:i + self.batch])))], training=False), np.float32)
                 for i in range(0, len(ws), self.batch)]
        if not parts:
            side = int(self.synthesis.output_shape[1])
            return np.zeros((0, side, side, 3), np.float32)
        return np.clip((np.concatenate(parts) + 1.0) / 2.0, 0.0, 1.0)

    def broadcast(self, w):
        """w (n, w_dim) as per-layer styles (n, n_layers, w_dim), the same at every layer."""
        return np.repeat(np.asarray(w, np.float32)[:, None, :], self.n_layers, axis=1)

    def decode(self, z, psi=1.0, noise_seed=0):
        """Pictures in [0, 1] of latents ``z``, truncated towards ``w_mean`` by ``psi``."""
        w = self.styles(z)
        if psi != 1.0:
            w = truncate(w, self.w_mean, psi)
        return self.synthesise(self.broadcast(w), noise_seed)

    def generate(self, n, seed=0, psi=1.0):
        """``n`` pictures, float32 (n, H, W, 3) in [0, 1], reproducible from ``seed``."""
        return self.decode(self.latents(n, seed), psi, noise_seed=seed)


# --- the model -------------------------------------------------------------------------------------

class ArtGAN(StyleSampling, GAN):
    """The style-based generator and its discriminator, with DiffAugment on both sides.

    ``augment``: the DiffAugment policy (``()`` for none); ``loss``: ``"hinge"`` or ``"r1"``
    (non-saturating with R1 penalty of weight ``r1_gamma`` on the reals); ``mixing``: the share
    of samples whose styles switch from one z's to another's at a random layer."""

    def __init__(self, generator, discriminator, latent_dim, augment=art_augment.POLICY,
                 loss="hinge", r1_gamma=1.0, mixing=0.0, ema_decay=0.999, seed=0,
                 crop_scale=patches.SCALE, **kwargs):
        if loss not in ("hinge", "r1"):
            raise ValueError(f"loss must be 'hinge' or 'r1', got {loss!r}")
        super().__init__(generator, discriminator, latent_dim=latent_dim, ema_decay=ema_decay,
                         seed=seed, **kwargs)
        art_augment.diff_augment(tf.zeros((1, 4, 4, 3)), 0, augment)  # a clear error now
        self.augment, self.loss = tuple(augment), loss
        self.r1_gamma, self.mixing = float(r1_gamma), float(mixing)
        self.crop_scale = tuple(crop_scale)
        self._w_mean_cache = (None, None)

    sampler = property(lambda self: self.ema_generator)

    @property
    def w_mean(self):
        """The average w of the EMA mapping network, from many latents (once per step)."""
        step = int(self.g_optimizer.iterations.numpy()) if hasattr(self, "g_optimizer") else 0
        if self._w_mean_cache[0] != step:
            self._w_mean_cache = (step, self._w_mean())
        return self._w_mean_cache[1]

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def _sample(self, z):  # GAN.decode's path, unused: decode is StyleSampling's
        return self.decode(z)

    def train_step(self, data):
        real = _images_of(data)
        n = tf.shape(real)[0]
        z, z2 = self.sample_latent(n, 0), self.sample_latent(n, 1)
        u = self.step_noise(lambda rows, s: tf.random.stateless_uniform([rows, 2], seed=s), n, 2)
        offset, total = self._replica_rows(n)
        seeds = noise_seeds(self._noise_seed(3, per_replica=False), n, offset, total)
        mine = offset + tf.range(n)  # this replica's reals, then its fakes, in the global batch
        rows = (tf.concat([mine, total + mine], 0), 2 * total)
        mapping = self.generator.get_layer("mapping")
        synthesis = self.generator.get_layer("synthesis")
        layers_ = self.n_layers
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            w = mapping(z, training=True)
            if self.mixing:
                w2 = mapping(z2, training=True)
                cut = 1 + tf.cast(u[:, 1] * (layers_ - 1), tf.int32)
                crossover = tf.where(u[:, 0] < self.mixing, cut, layers_)
                coarse = tf.range(layers_)[None, :] < crossover[:, None]
                ws = tf.where(coarse[..., None], w[:, None], w2[:, None])
            else:
                ws = tf.repeat(w[:, None], layers_, axis=1)
            fake = synthesis([ws, seeds], training=True)
            both = tf.concat([real, tf.cast(fake, real.dtype)], 0)
            both = art_augment.diff_augment(both, self._noise_seed(4, per_replica=False),
                                            self.augment, rows)
            if self.loss == "r1":
                with tf.GradientTape() as r1_tape:
                    r1_tape.watch(both)
                    logits = tf.cast(self.discriminator(both, training=True), tf.float32)
                    real_sum = tf.reduce_sum(logits[:n])
                grads = tf.cast(r1_tape.gradient(real_sum, both)[:n], tf.float32)
                penalty = tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
            else:
                logits = tf.cast(self.discriminator(both, training=True), tf.float32)
            real_logits, fake_logits = logits[:n], logits[n:]
            if self.loss == "hinge":
                d_loss = (tf.reduce_mean(tf.nn.relu(1.0 - real_logits))
                          + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits)))
                g_loss = -tf.reduce_mean(fake_logits)
            else:
                d_loss = (tf.reduce_mean(tf.nn.softplus(-real_logits))
                          + tf.reduce_mean(tf.nn.softplus(fake_logits))
                          + 0.5 * self.r1_gamma * penalty)
                g_loss = tf.reduce_mean(tf.nn.softplus(-fake_logits))
            d_scaled = self._scaled(d_loss, self.d_optimizer)
            g_scaled = self._scaled(g_loss, self.g_optimizer)
        self._apply(d_tape, d_scaled, self.discriminator, self.d_optimizer)
        self._apply(g_tape, g_scaled, self.generator, self.g_optimizer)
        self.update_ema()
        return self._report(d_loss, g_loss, real_logits, fake_logits)


# --- data, settings --------------------------------------------------------------------------------

def school_images(dataset, size, split="train"):
    """The pictures of ``dataset`` (a school, a folder, ...) in ``split``, uint8; a DomainError
    when there are fewer than :data:`MIN_PAINTINGS` or one is smaller than ``size``."""
    images = patches.domain_images(dataset, size, split)
    if split == "train" and len(images) < MIN_PAINTINGS:
        raise domains.DomainError(
            f"{dataset} holds {len(images)} training picture(s); an art GAN needs at least "
            f"{MIN_PAINTINGS}. Add pictures, or choose one of {', '.join(SCHOOLS)}.")
    return images


def training_data(dataset, settings):
    """The image shape and ``stream(seed, start_step)`` of crops of ``dataset``'s training
    pictures; checks them now, so a bad name fails before a run directory is written."""
    from gan_course.data import lean

    hp = settings.hparams
    size = hp["image_size"]
    images = school_images(dataset, size)
    scale = tuple(hp.get("crop_scale", patches.SCALE))

    def stream(seed, start_step):
        return lean(patches.patch_stream(images, size, settings.batch_size, seed, start_step,
                                         scale))

    return (size, size, 3), stream


def build(settings, image_shape, seed):
    """The compiled ArtGAN for a profile's ``settings``."""
    hp = settings.hparams
    size = image_shape[0]
    generator = build_generator(hp["latent_dim"], hp["w_dim"], hp["mapping_depth"],
                                hp["g_channels"], size, hp.get("mapping_lr", 1.0))
    discriminator = build_discriminator(hp["d_channels"], size,
                                        hp.get("spectral_norm", hp["loss"] == "hinge"))
    model = ArtGAN(generator, discriminator, hp["latent_dim"], tuple(hp["augment"]), hp["loss"],
                   hp.get("r1_gamma", 1.0), hp.get("mixing", 0.0), hp["ema_decay"], seed,
                   hp.get("crop_scale", patches.SCALE))
    steps_per_execution, jit_compile = execution(settings)
    model.compile(d_optimizer=adam(hp, "d", settings.steps),
                  g_optimizer=adam(hp, "g", settings.steps),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


# StyleGAN2's optimiser (Adam, beta_1 0, beta_2 0.99), DiffAugment's full policy.
# The discriminator has no spectral normalisation and learns four times faster than the generator
# (RESULTS.md, "Art GAN": spectrally normalised, this narrow discriminator cannot tell the crops
# from blurred ones under DiffAugment, and the generator paints colour fields).
_COMMON = dict(image_size=64, beta_1=0.0, beta_2=0.99, g_lr=5e-4, d_lr=2e-3, loss="hinge",
               spectral_norm=False, augment=list(art_augment.POLICY), mixing=0.5,
               crop_scale=(0.25, 1.0))
SETTINGS = {
    # CI: narrow networks, a few steps; checks that everything runs, not quality.
    "quick": dict(batch_size=4, steps=4, steps_per_epoch=2, steps_per_execution=1,
                  eval_samples=32, jit_compile=False,
                  hparams=dict(_COMMON, latent_dim=16, w_dim=16, mapping_depth=2,
                               g_channels=(16, 16, 8, 8, 8), d_channels=(16, 16, 8, 8, 8),
                               ema_decay=0.9)),
    # 2 cores: batch 8, 1,500 steps, the networks narrow at high resolution (0.14 CPU seconds
    # a step; RESULTS.md, "Art GAN").
    "classroom": dict(batch_size=8, steps=1500, steps_per_epoch=100, steps_per_execution=10,
                      eval_samples=256, jit_compile=False,
                      hparams=dict(_COMMON, latent_dim=64, w_dim=64, mapping_depth=4,
                                   g_channels=(64, 64, 32, 16, 8),
                                   d_channels=(64, 64, 32, 16, 8), ema_decay=0.995)),
    # GPU: StyleGAN2's widths at 64 pixels (config-e-ish), a batch of 32; not yet run on a GPU.
    "full": dict(batch_size=32, steps=100000, steps_per_epoch=1000, eval_samples=1024,
                 hparams=dict(_COMMON, latent_dim=256, w_dim=256, mapping_depth=8,
                              mapping_lr=0.01, g_lr=2e-3, d_lr=2e-3,
                              g_channels=(256, 256, 256, 128, 64),
                              d_channels=(256, 256, 256, 128, 64), ema_decay=0.999)),
}

register(Recipe("art_gan", build, SCHOOLS, evaluate, bar, data=training_data), SETTINGS)
