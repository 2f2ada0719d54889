"""The Wasserstein GAN with gradient penalty of lesson 04 (Gulrajani et al. 2017), and the original
Wasserstein GAN's weight clipping (Arjovsky et al. 2017) for comparison.

The discriminator becomes a *critic*: an unbounded score whose mean gap between real and fake
samples estimates the Wasserstein-1 distance, kept (near) 1-Lipschitz by a penalty on its gradient
at points between real and fake samples. The critic is trained ``n_critic`` times per generator
update, each time on its own real batch. Networks: MLPs for the 2-D toy sets, a DCGAN-like
convolutional critic without batch norm for images. Settings per profile: each value's reason is
on its line; the measurements behind them are in benchmarks/RESULTS.md, section "WGAN-GP".
"""

import keras
import tensorflow as tf
from keras import layers

from gan_course import losses, metrics
from gan_course.models import blocks
from gan_course.models.base import (
    GAN,
    _images_of,
    adam,
    compiled_gan,
    execution,
)
from gan_course.models.registry import (
    Recipe,
    evaluate_images,
    image_bar,
    register,
    register_settings,
)

POINT_DATASETS = ("toy_8gaussians", "toy_25gaussians", "toy_swissroll")
IMAGE_DATASETS = ("mnist", "fashion_mnist")
_NORMALISATIONS = (None, "layer")

# --- networks ------------------------------------------------------------------------------------


def build_mlp_generator(latent_dim=2, hidden=(512, 512, 512), dim=2, name="generator"):
    """Dense ReLU layers, then a linear output of ``dim`` coordinates (points are not bounded)."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in blocks.as_tuple(hidden):
        h = layers.Dense(units, activation="relu")(h)
    return keras.Model(z, layers.Dense(dim, dtype="float32", name="point")(h), name=name)


def build_mlp_critic(dim=2, hidden=(512, 512, 512), name="critic", spectral=False):
    """Dense ReLU layers, then one unbounded score (a plain GAN reads it as a logit).

    ``spectral=True`` wraps every dense layer in spectral normalisation (Miyato et al. 2018): in
    training, each call divides the kernel by its largest singular value, estimated by one step
    of power iteration, so every layer, and so the network, is at most 1-Lipschitz."""
    x = keras.Input((dim,), name="point")
    h = x
    wrap = layers.SpectralNormalization if spectral else (lambda layer: layer)
    for units in blocks.as_tuple(hidden):
        h = wrap(layers.Dense(units, activation="relu"))(h)
    score = layers.Dense(1, dtype="float32", name="score")
    return keras.Model(x, wrap(score)(h), name=name)


def build_conv_generator(latent_dim=64, image_shape=(28, 28, 1), width=32, hidden=0,
                         name="generator"):
    """The DCGAN generator's layout: optional dense stages, a projection to a small stack of
    feature maps, stride-2 transposed convolutions with batch norm and ReLU, tanh."""
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, blocks.dcgan_generator_body(z, image_shape, width, hidden=hidden),
                       name=name)


def build_conv_critic(image_shape=(28, 28, 1), width=32, hidden=0, norm=None, name="critic"):
    """Stride-2 convolutions with LeakyReLU and no batch norm, one unbounded score.

    ``norm="layer"`` adds layer normalisation after each convolution but the first, which, unlike
    batch norm, treats every image on its own, as the per-example gradient penalty requires.
    ``hidden`` > 0 adds a dense LeakyReLU layer of that many units before the score."""
    if norm not in _NORMALISATIONS:
        raise ValueError(f"norm must be None or 'layer', got {norm!r} (batch norm would make "
                         f"each image's score depend on the rest of its batch)")
    x = keras.Input(image_shape, name="image")
    h = x
    for i in range(blocks.upsampling_blocks(image_shape[0])):
        h = layers.Conv2D(width * 2**i, 4, strides=2, padding="same")(h)
        if norm == "layer" and i:
            h = layers.LayerNormalization()(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Flatten()(h)
    if hidden:
        h = layers.LeakyReLU(0.2)(layers.Dense(hidden)(h))
    return keras.Model(x, blocks.logit(h, "score"), name=name)


def check_critic(critic):
    """Raise a clear ValueError if ``critic`` holds batch normalisation anywhere."""
    found = [layer.name for layer in _all_layers(critic)
             if isinstance(layer, layers.BatchNormalization)]
    if found:
        raise ValueError(
            f"The critic has batch normalisation ({', '.join(found)}). The gradient penalty is "
            f"taken per example, and batch norm makes each example's score depend on the rest of "
            f"its batch. Build the critic without it: layers.LayerNormalization() or none "
            f"(e.g. gc.models.wgan_gp.build_conv_critic(norm='layer')).")


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


# --- the model -----------------------------------------------------------------------------------


class WGANGP(GAN):
    """WGAN-GP (Gulrajani et al. 2017): ``n_critic`` critic updates per generator update.

    Each training step receives ``n_critic`` real batches stacked into one (``gc.train`` feeds
    batches of ``n_critic * batch_size``) and gives every critic update its own. The critic's loss
    is mean f(fake) - mean f(real) + ``gp_weight`` times the gradient penalty; the generator's is
    -mean f(fake). With ``clip_value`` set (and ``gp_weight=0``) it is the original WGAN
    (Arjovsky et al. 2017), which clips every critic weight into [-c, c] after each update.
    """

    def __init__(self, generator, critic, n_critic=5, gp_weight=losses.GP_WEIGHT,
                 clip_value=None, **kwargs):
        if isinstance(n_critic, bool) or int(n_critic) != n_critic or n_critic < 1:
            raise ValueError(f"n_critic must be a whole number >= 1 (critic updates per generator "
                             f"update; the paper uses 5), got {n_critic!r}")
        if gp_weight < 0 or (clip_value is not None and clip_value <= 0):
            raise ValueError(f"gp_weight must be >= 0 and clip_value > 0 or None, got "
                             f"{gp_weight!r} and {clip_value!r}")
        check_critic(critic)
        super().__init__(generator, critic, **kwargs)
        self.n_critic = int(n_critic)
        self.gp_weight = float(gp_weight)
        self.clip_value = None if clip_value is None else float(clip_value)
        self.d_loss_tracker = keras.metrics.Mean(name="critic_loss")
        self.gp_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.wasserstein_tracker = keras.metrics.Mean(name="wasserstein")

    @property
    def critic(self):
        return self.discriminator

    @property
    def real_batches_per_step(self):
        """How many real batches one training step consumes (one per critic update)."""
        return self.n_critic

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.gp_tracker,
                self.wasserstein_tracker]

    def critic_batches(self, real):
        """The ``n_critic`` real batches of one step: rows ``k, k + n_critic, ...`` for update k.

        Interleaved rather than consecutive, so that under a tf.distribute strategy, where each
        replica holds a consecutive share of the step's rows, every replica's part of batch k is
        exactly its share of what batch k is on one device.

        A last partial batch with fewer rows than ``n_critic`` gives each update one of its
        rows in turn, so no update gets an empty batch."""
        rows = tf.shape(real)[0]
        end = tf.where(rows > 0, tf.maximum(rows, self.n_critic), 0)
        return [tf.gather(real, tf.range(k, end, self.n_critic) % tf.maximum(rows, 1))
                for k in range(self.n_critic)]

    def critic_step(self, real, index=0):
        """One critic update on one real batch; returns (loss, penalty, Wasserstein estimate).

        Noise (latents and the penalty's interpolation weights e) is drawn for the global batch
        with :meth:`step_noise`, and the loss is divided among replicas by ``_scaled``, so any
        number of replicas computes what one device computes."""
        batch = tf.shape(real)[0]
        z = self.sample_latent(batch, stream=1 + index)
        rank = len(real.shape)
        e = self.step_noise(lambda rows, seed: losses.interpolation_weights(rows, rank, seed),
                            batch, stream=100 + index)
        fake = tf.cast(self.generator(z, training=True), real.dtype)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = tf.split(tf.cast(self.discriminate(real, fake),
                                                        tf.float32), 2)
            estimate = losses.wasserstein_estimate(real_scores, fake_scores)
            penalty = tf.constant(0.0)
            if self.gp_weight:
                penalty = losses.gradient_penalty(self.critic, real, fake, e=e)
            loss = -estimate + self.gp_weight * penalty
            scaled = self._scaled(loss, self.d_optimizer)
        self._apply(tape, scaled, self.critic, self.d_optimizer)
        if self.clip_value:
            losses.clip_weights(self.critic.trainable_weights, self.clip_value)
        return loss, penalty, estimate

    def train_step(self, data):
        reals = self.critic_batches(_images_of(data))
        for index, real in enumerate(reals):
            loss, penalty, estimate = self.critic_step(real, index)
            self.d_loss_tracker.update_state(loss)
            self.gp_tracker.update_state(penalty)
            self.wasserstein_tracker.update_state(estimate)
        z = self.sample_latent(tf.shape(reals[0])[0])
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            g_loss = losses.wasserstein_generator_loss(self.critic(fake, training=True))
            scaled = self._scaled(g_loss, self.g_optimizer)
        self._apply(tape, scaled, self.generator, self.g_optimizer)
        self.update_ema()
        self.g_loss_tracker.update_state(g_loss)
        return self.logs()

    def check_batch(self, batch, rows=None):
        super().check_batch(batch, rows)
        images = _images_of(batch)
        rows = rows or (images.shape[0] if hasattr(images, "shape") else None)
        if rows is not None and rows % self.n_critic:
            raise ValueError(
                f"A WGAN-GP step takes {self.n_critic} real batches, one per critic update, "
                f"stacked into one: its batches must hold a multiple of n_critic = "
                f"{self.n_critic} examples, got {rows}. Batch the data with "
                f"n_critic * batch_size examples (gc.train does).")


# --- building ------------------------------------------------------------------------------------


def build(settings, image_shape, seed):
    """The compiled WGAN-GP (or, with ``hparams["clip_value"]``, the weight-clipped WGAN) of a
    profile's ``settings``: MLPs for 2-D points, convolutions for images."""
    hp = settings.hparams
    points = len(image_shape) == 1
    network = hp.get("network") or ("mlp" if points else "conv")
    if points and network != "mlp":
        raise ValueError(f"The {network!r} networks draw images, but the data are points of shape "
                         f"{tuple(image_shape)} (a 2-D set): use network='mlp'.")
    if not points and network == "mlp":
        raise ValueError(f"The MLP networks draw 2-D points, but the data are images of shape "
                         f"{tuple(image_shape)}: use network='conv'.")
    if points:
        generator = build_mlp_generator(hp["latent_dim"], hp["hidden"], image_shape[0])
        critic = build_mlp_critic(image_shape[0], hp["hidden"])
    else:
        generator = build_conv_generator(hp["latent_dim"], image_shape, hp["g_width"],
                                         hp.get("g_dense", 0))
        critic = build_conv_critic(image_shape, hp["d_width"], hp.get("d_dense", 0),
                                   hp.get("norm"))
    clip_value = hp.get("clip_value")
    model = WGANGP(generator, critic, n_critic=hp["n_critic"],
                   gp_weight=0.0 if clip_value else hp.get("gp_weight", losses.GP_WEIGHT),
                   clip_value=clip_value, ema_decay=hp["ema_decay"], seed=seed)
    steps_per_execution, jit_compile = execution(settings)
    # the critic's optimizer counts n_critic updates per step, and decays over all of them
    model.compile(d_optimizer=_optimizer(hp, "d", settings.steps * hp["n_critic"]),
                  g_optimizer=_optimizer(hp, "g", settings.steps),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


def build_plain_gan(settings, image_shape, seed, spectral=False):
    """The plain non-saturating GAN (lesson 02's loss) with the same 2-D MLPs, for the lab;
    ``spectral=True`` gives its discriminator spectral normalisation (the SN GAN)."""
    hp = settings.hparams
    generator = build_mlp_generator(hp["latent_dim"], hp["hidden"], image_shape[0])
    discriminator = build_mlp_critic(image_shape[0], hp["hidden"], name="discriminator",
                                     spectral=spectral)
    return compiled_gan(generator, discriminator, settings.with_hparams(**hp.get("plain", {})),
                        seed)


def _optimizer(hp, prefix, total_steps):
    """Adam(lr, beta_1 0, beta_2 0.9) as in the paper; with ``clip_rmsprop`` the weight-clipped
    WGAN's own RMSProp at ``clip_lr`` (Arjovsky et al. 2017)."""
    if hp.get("clip_value") and hp.get("clip_rmsprop"):
        return keras.optimizers.RMSprop(hp.get("clip_lr", 5e-5))
    return adam(dict(hp, beta_1=hp.get("beta_1", 0.0), beta_2=hp.get("beta_2", 0.9)), prefix,
                total_steps)


def evaluate(model, dataset, n):
    """Mode coverage of ``n`` points (2-D sets), or the image models' classifier numbers."""
    if dataset in POINT_DATASETS:
        return metrics.evaluate_points(model.generate(n, seed=2024), dataset)
    return evaluate_images(model, dataset, n)


_image_bar = image_bar(0.80, 0.05)


def bar(quality):
    """DESIGN.md's bars: every mode >= 5% and >= 80% of points within 4 std (mixtures);
    >= 80% confident and every class >= 5% (images)."""
    if "modes" in quality:
        return {f"all {quality['modes']} modes >= 5%": quality["modes_covered"] == quality["modes"],
                "within 4 std >= 80%": quality["high_quality"] >= 0.80}
    if "near_data" in quality:
        return {"near the roll >= 80%": quality["near_data"] >= 0.80,
                "roll covered >= 80%": quality["data_covered"] >= 0.80}
    return _image_bar(quality)


# The paper's optimiser (Adam 1e-4, beta_1 0, beta_2 0.9), 5 critic updates per generator
# update, penalty weight 10.
_PAPER = dict(g_lr=1e-4, d_lr=1e-4, beta_1=0.0, beta_2=0.9, n_critic=5, gp_weight=10.0,
              ema_decay=0.999)
SETTINGS = {
    # CI: width 8, 20 steps, no XLA (compiling the five critic updates costs more than it
    # saves); checks that everything runs, not quality.
    "quick": dict(batch_size=32, steps=20, steps_per_epoch=10, steps_per_execution=10,
                  eval_samples=200, jit_compile=False,
                  hparams=dict(_PAPER, latent_dim=16, g_width=8, d_width=8, ema_decay=0.9)),
    # 2 cores: lesson 03's classroom generator (24 noise numbers, dense layers (256, 256));
    # one critic update per step at twice the generator's rate (two time-scale update rule)
    # instead of 5 at the same rate, and the rates falling to 0 over the last 40% of the run:
    # the bar in less time than the classroom DCGAN (RESULTS.md, "WGAN-GP").
    "classroom": dict(batch_size=64, steps=3500, steps_per_epoch=350, eval_samples=2000,
                      steps_per_execution=25, jit_compile=False,
                      hparams=dict(_PAPER, n_critic=1, g_lr=5e-4, d_lr=1e-3, decay_from=0.6,
                                   latent_dim=24, g_width=32, d_width=32, g_dense=(256, 256),
                                   d_dense=256)),
    # GPU: the paper's width 64 (not yet run on a GPU).
    "full": dict(batch_size=64, steps=20000, steps_per_epoch=1000, eval_samples=10000,
                 hparams=dict(_PAPER, latent_dim=128, g_width=64, d_width=64)),
}

# The 2-D sets: the paper's toy layout (three ReLU layers, a 2-number latent), narrower.
# Every recipe of the lab (plain GAN, SN GAN, clipped WGAN, WGAN-GP) trains with the same Adam
# and rates, so that the lab compares the losses and constraints, not the optimisers. The
# papers' own optimisers, for comparison (benchmarks/lab_cures.py --optimisers papers):
# lesson 02's Adam 2e-4, beta_1 0.5 for the plain GAN; RMSProp 5e-5 for the clipped WGAN.
PAPERS_OPTIMISERS = dict(plain=dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5, beta_2=0.999,
                                    label_smoothing=0.0),
                         clip_rmsprop=True, clip_lr=5e-5)
_PLAIN = dict(label_smoothing=0.0)
POINT_SETTINGS = {
    # CI: 32 units, 40 steps; checks that everything runs, not quality.
    "quick": dict(batch_size=64, steps=40, steps_per_epoch=20, steps_per_execution=10,
                  eval_samples=500, jit_compile=False,
                  hparams=dict(_PAPER, latent_dim=2, hidden=(32, 32), ema_decay=0.9,
                               plain=_PLAIN)),
    # 2 cores: 128 units instead of 512 (16x fewer operations) and Adam 1e-3 instead of 1e-4
    # cover all 8 modes with 92.8% of 4,000 points within 4 std after 3,000 steps (RESULTS.md;
    # "Four recipes in the 2-D lab" for every recipe at this optimiser over three seeds).
    "classroom": dict(batch_size=256, steps=3000, steps_per_epoch=250, eval_samples=4000,
                      steps_per_execution=50,
                      hparams=dict(_PAPER, latent_dim=2, hidden=(128, 128, 128), g_lr=1e-3,
                                   d_lr=1e-3, plain=_PLAIN)),
    # GPU: the paper's 512 units and learning rate (not yet run on a GPU).
    "full": dict(batch_size=256, steps=20000, steps_per_epoch=1000, eval_samples=10000,
                 hparams=dict(_PAPER, latent_dim=2, hidden=(512, 512, 512), plain=_PLAIN)),
}

register(Recipe("wgan_gp", build, IMAGE_DATASETS + POINT_DATASETS, evaluate, bar,
                workloads={name: "wgan_gp_2d" for name in POINT_DATASETS}), SETTINGS)
register_settings("wgan_gp_2d", POINT_SETTINGS)
