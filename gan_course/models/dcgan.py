"""The DCGAN of lesson 03 (Radford et al. 2015), and the InfoGAN code it carries (Chen et al. 2016).

The course's classroom DCGAN is an InfoGAN: its generator also takes a code (a one-hot category
and continuous numbers) that a second head of the discriminator must read back. Settings per
profile: each value's reason is on its line; the measurements behind them are in
benchmarks/RESULTS.md, section "DCGAN". The lesson's checkerboard lab has its settings here too.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.models import blocks
from gan_course.models.base import GAN, _images_of, compiled_gan
from gan_course.models.registry import (
    Recipe,
    evaluate_images,
    image_bar,
    register,
    register_settings,
)


def build_generator(latent_dim=100, image_shape=(28, 28, 1), width=64, upsampling="transpose",
                    hidden=0, name="generator"):
    """Project and reshape, then stride-2 transposed convolutions with batch norm and ReLU, tanh
    output. ``width`` is the filter count of the last hidden block; each block towards the input
    doubles it. Works for any image side divisible by 4 (two upsamplings) and grows one block per
    further factor of 2 (28 -> 7 -> 14 -> 28; 64 -> 4 -> ... -> 64).

    ``upsampling="resize"`` swaps each transposed convolution for nearest-neighbour upsampling
    and a 3x3 convolution, which avoids checkerboard artifacts (Odena et al. 2016).
    ``hidden`` adds dense layers (batch norm, ReLU) before the projection: one of that many units,
    or one per entry of a tuple. The InfoGAN networks (Chen et al. 2016) have one; the paper's
    DCGAN none. Each such layer lets the generator bend the round latent cloud further into
    separate digits, so fewer samples fall between two of them."""
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, blocks.dcgan_generator_body(z, image_shape, width, upsampling, hidden),
                       name=name)


def build_discriminator(image_shape=(28, 28, 1), width=64, hidden=0, dropout=0.0,
                        name="discriminator"):
    """Stride-2 convolutions with LeakyReLU (no pooling), one logit.

    ``hidden`` > 0 adds a dense layer of that many units with LeakyReLU before the logit.
    ``dropout`` > 0 follows every hidden layer with dropout, which keeps a discriminator from
    fixing on a few details and so keeps the generator drawing every digit."""
    x = keras.Input(image_shape, name="image")
    h = x
    for i in range(blocks.upsampling_blocks(image_shape[0])):
        h = blocks.dropped(blocks.downsample_block(h, width * 2**i), dropout)
    h = layers.Flatten()(h)
    if hidden:
        h = blocks.dropped(layers.LeakyReLU(0.2)(layers.Dense(hidden)(h)), dropout)
    return keras.Model(x, blocks.logit(h), name=name)


def with_code_head(discriminator, categories, continuous=0, units=128, name="discriminator_q"):
    """The discriminator with InfoGAN's Q head (Chen et al. 2016) as a second output.

    The head reads the discriminator's last hidden layer and guesses the latent code of its input:
    ``categories`` logits, then ``continuous`` values. It shares every other layer, so guessing
    costs two small dense layers."""
    features = discriminator.layers[-2].output
    h = layers.LeakyReLU(0.2)(layers.Dense(units)(features))
    guesses = layers.Dense(categories + continuous, dtype="float32", name="code")(h)
    return keras.Model(discriminator.input, [discriminator.output, guesses], name=name)


class InfoGAN(GAN):
    """A GAN whose latent carries a code the discriminator must read back (Chen et al. 2016).

    The generator's input is ``[noise | one-hot category | continuous codes in [-1, 1]]``. The
    discriminator has a second output (:func:`with_code_head`) that guesses each fake's code, and
    both networks add its error, -log Q(code | fake) (:func:`gan_course.losses.info_loss`), to
    their GAN losses: a lower bound of the mutual information between code and image, negated. To keep the category readable, the generator draws each one as a
    clearly different kind of image; on MNIST most categories become digits, found without labels.
    """

    def __init__(self, generator, discriminator, categories=10, continuous=0, info_weight=1.0,
                 continuous_weight=0.5, prior_rate=0.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.categories, self.continuous = int(categories), int(continuous)
        self.noise_dim = self.latent_dim - self.categories - self.continuous
        if self.categories < 2 or self.continuous < 0 or self.noise_dim < 1:
            raise ValueError(
                f"InfoGAN needs at least 2 categories and some noise: the generator takes "
                f"{self.latent_dim} inputs, {categories} categories and {continuous} continuous codes")
        self.info_weight, self.continuous_weight = float(info_weight), float(continuous_weight)
        self.prior_rate = float(prior_rate)
        self.category_prior = self.add_weight(
            shape=(self.categories,), initializer=keras.initializers.Constant(1 / self.categories),
            trainable=False, aggregation="mean", name="category_prior")  # replicas average it
        self.info_tracker = keras.metrics.Mean(name="info_loss")

    @property
    def extra_state(self):
        return [self.category_prior]

    def category_probabilities(self):
        """How often each category is drawn: uniform, or the learnt prior (``prior_rate`` > 0).

        The learnt prior (the course's own addition to InfoGAN) follows how the discriminator's
        head sorts *real* images into the categories, so a kind of image that takes two
        categories gets half the share in each, and the generator draws every kind as often as
        the data holds it. A floor of a quarter of the uniform share keeps every category in
        training."""
        p = tf.maximum(tf.convert_to_tensor(self.category_prior), 0.25 / self.categories)
        return p / tf.reduce_sum(p)

    @property
    def metrics(self):
        return super().metrics + [self.info_tracker]

    def sample_codes(self, batch_size):
        """This step's latents, and the category and continuous codes inside them."""
        noise = self.step_noise(lambda rows, seed: tf.random.stateless_normal(
            (rows, self.noise_dim), seed=seed), batch_size, 0)
        category = self.step_noise(lambda rows, seed: tf.cast(tf.random.stateless_categorical(
            tf.math.log(self.category_probabilities())[None], rows, seed=seed)[0], tf.int32),
            batch_size, 1)
        continuous = self.step_noise(lambda rows, seed: tf.random.stateless_uniform(
            (rows, self.continuous), seed=seed, minval=-1.0, maxval=1.0), batch_size, 2)
        z = tf.concat([noise, tf.one_hot(category, self.categories), continuous], axis=1)
        return z, category, continuous

    def sample_latent(self, batch_size, stream=0):
        return self.sample_codes(batch_size)[0]

    def info_loss(self, guesses, category, continuous):
        """How badly the discriminator's guesses (category logits, then continuous codes) miss:
        ``info_weight`` times :func:`gan_course.losses.info_loss`."""
        return self.info_weight * losses.info_loss(guesses, category, continuous,
                                                   self.continuous_weight)

    def train_step(self, data):
        real = _images_of(data)
        z, category, continuous = self.sample_codes(tf.shape(real)[0])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(z, training=True)
            logits, guesses = self.discriminate(real, fake)
            real_logits, fake_logits = tf.split(tf.cast(logits, tf.float32), 2)
            real_guesses, fake_guesses = tf.split(guesses, 2)
            info = self.info_loss(fake_guesses, category, continuous)
            d_loss = self.d_loss_fn(real_logits, fake_logits, self.label_smoothing) + info
            g_loss = self.g_loss_fn(fake_logits) + info
            d_scaled = self._scaled(d_loss, self.d_optimizer)
            g_scaled = self._scaled(g_loss, self.g_optimizer)
        self._apply(d_tape, d_scaled, self.discriminator, self.d_optimizer)
        self._apply(g_tape, g_scaled, self.generator, self.g_optimizer)
        self.update_ema()
        if self.prior_rate:
            seen = tf.reduce_mean(tf.nn.softmax(
                tf.cast(real_guesses[:, :self.categories], tf.float32)), axis=0)
            self.category_prior.assign((1 - self.prior_rate) * self.category_prior
                                       + self.prior_rate * seen)
        self.info_tracker.update_state(info)
        return self._report(d_loss, g_loss, real_logits, fake_logits)

    def latents(self, n, seed=0, category=None):
        """Latents laid out as in training; ``category`` fixes the category of all ``n``."""
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((n, self.noise_dim))
        probabilities = np.asarray(self.category_probabilities(), np.float64)
        drawn = rng.choice(self.categories, n, p=probabilities / probabilities.sum())
        if category is not None:
            if not 0 <= int(category) < self.categories:
                raise ValueError(f"category must be in 0..{self.categories - 1}, got {category}")
            drawn = np.full(n, int(category))
        continuous = rng.uniform(-1.0, 1.0, (n, self.continuous))
        one_hot = np.eye(self.categories)[drawn]
        return np.concatenate([noise, one_hot, continuous], axis=1).astype(np.float32)


def build(settings, image_shape, seed):
    """The compiled DCGAN; with ``hparams["codes"] = (categories, continuous)`` an InfoGAN of the
    same networks, whose generator also takes the codes and whose discriminator reads them back."""
    hp = settings.hparams
    categories, continuous = hp.get("codes") or (0, 0)
    generator = build_generator(hp["latent_dim"] + categories + continuous, image_shape,
                                hp["g_width"], hp.get("upsampling", "transpose"),
                                hp.get("g_dense", 0))
    discriminator = build_discriminator(image_shape, hp["d_width"], hp.get("d_dense", 0),
                                        hp.get("d_dropout", 0.0))
    if not (categories or continuous):
        return compiled_gan(generator, discriminator, settings, seed)
    return compiled_gan(generator, with_code_head(discriminator, categories, continuous),
                        settings, seed, InfoGAN, categories=categories, continuous=continuous,
                        info_weight=hp.get("info_weight", 1.0),
                        prior_rate=hp.get("prior_rate", 0.0))


# The paper's optimiser: Adam 2e-4, beta_1 0.5; 100 noise numbers.
_PAPER = dict(latent_dim=100, g_lr=2e-4, d_lr=2e-4, beta_1=0.5, ema_decay=0.999,
              label_smoothing=0.0)
# InfoGAN's code: 10 categories and 2 continuous numbers; categories drawn as often as the
# discriminator's head sorts real images into them (prior_rate), so the digit shares stay even.
_CODED = dict(_PAPER, codes=(10, 2), prior_rate=0.01)
SETTINGS = {
    # CI: width 8, 30 steps; checks that everything runs, not quality.
    "quick": dict(batch_size=32, steps=30, steps_per_epoch=10, steps_per_execution=10,
                  eval_samples=200,
                  hparams=dict(_CODED, latent_dim=24, g_width=8, d_width=8, g_dense=(16, 16),
                               d_dense=16, ema_decay=0.9)),
    # 2 cores: width 32 with dense layers (256, 256) / 256 lift the paper's layout off its 65%
    # plateau; the code and 24 noise numbers (the category, not the noise, picks the digit) reach
    # 90-95% confident in 5k steps; with the code, dropout only slowed learning; the learning rate
    # falling to 0 over the last 1.5k of 6k steps brings the FID down; label smoothing 0.1 and
    # Adam 4e-4 measured best; no XLA: slower for these convolutions on a CPU (RESULTS.md, "DCGAN").
    "classroom": dict(batch_size=64, steps=6000, steps_per_epoch=500, eval_samples=2000,
                      steps_per_execution=25, jit_compile=False,
                      hparams=dict(_CODED, latent_dim=24, g_width=32, d_width=32,
                                   g_dense=(256, 256), d_dense=256, decay_from=0.75,
                                   g_lr=4e-4, d_lr=4e-4, label_smoothing=0.1)),
    # GPU: the paper's width 64 with the code and the dense layers the code needs (lesson 03); 24
    # noise numbers, because on 2 cores 100 left categories holding two or three digits (88-91%
    # confident, below the bar); the rate decayed over the last quarter, as on 2 cores. Not yet
    # run on a GPU.
    "full": dict(batch_size=128, steps=20000, steps_per_epoch=1000, eval_samples=10000,
                 hparams=dict(_CODED, latent_dim=24, g_width=64, d_width=64,
                              g_dense=(256, 256), d_dense=256, decay_from=0.75)),
}

register(Recipe("dcgan", build, ("mnist", "fashion_mnist"), evaluate_images,
                image_bar(0.90, 0.05)), SETTINGS)

# Lesson 03's duel: the student's plain DCGAN (the paper's layout and optimiser, at half its width
# on a CPU) against lesson 02's MLP networks, both trained on the same batches for the same steps.
register_settings("dcgan_vs_mlp", {
    "quick": dict(batch_size=32, steps=30, steps_per_epoch=30, steps_per_execution=10,
                  eval_samples=200, jit_compile=False,
                  hparams=dict(_PAPER, g_width=8, d_width=8, ema_decay=0.9)),
    "classroom": dict(batch_size=64, steps=4000, steps_per_epoch=4000, eval_samples=2000,
                      steps_per_execution=25, jit_compile=False,
                      hparams=dict(_PAPER, g_width=32, d_width=32)),
    "full": dict(batch_size=128, steps=10000, steps_per_epoch=10000, eval_samples=10000,
                 hparams=dict(_PAPER, g_width=64, d_width=64)),
})

# Lesson 03's checkerboard lab: two small plain DCGANs, transposed convolutions vs resize + conv,
# trained just long enough for the difference in checkerboard energy to show.
register_settings("checkerboard_lab", {
    "quick": dict(batch_size=32, steps=20, steps_per_epoch=20, steps_per_execution=10,
                  eval_samples=100, hparams=dict(_PAPER, g_width=8, d_width=8, ema_decay=0.9)),
    "classroom": dict(batch_size=64, steps=800, steps_per_epoch=800, eval_samples=500,
                      steps_per_execution=25, jit_compile=False,
                      hparams=dict(_PAPER, g_width=16, d_width=16)),
    "full": dict(batch_size=128, steps=3000, steps_per_epoch=3000, eval_samples=2000,
                 hparams=dict(_PAPER, g_width=64, d_width=64)),
})
