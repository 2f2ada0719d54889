"""The CycleGAN of lesson 07 (Zhu et al. 2017): photo to painting, from two unpaired sets.

Two generators, photo -> painting (G) and painting -> photo (F), and a PatchGAN discriminator
for each domain. Besides fooling its discriminator, each generator must be undone by the other
(cycle loss: F(G(x)) = x) and leave pictures of its own target domain alone (identity loss:
G(y) = y). Both generators are one Keras model with two inputs and two outputs, and so are both
discriminators, so a course run checkpoints and optimises them as it does any GAN's pair.
Settings per profile: each value's reason is on its line; the measurements behind them are in
benchmarks/RESULTS.md, section "CycleGAN".
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.art import patches
from gan_course.models import blocks, tiles
from gan_course.models.base import GAN, adam, execution
from gan_course.models.cyclegan_quality import bar, evaluate
from gan_course.models.registry import Recipe, register

DIRECTIONS = ("photo2painting", "painting2photo")


# --- networks --------------------------------------------------------------------------------

def _norm_relu(h):
    return layers.ReLU()(blocks.instance_norm()(h))


def residual_block(h, filters):
    """Two 3x3 convolutions (reflection padding, instance norm) added to their input: the block
    only has to learn the *change* to the picture, which starts at nothing."""
    x = h
    h = layers.Conv2D(filters, 3, use_bias=False)(blocks.ReflectionPadding2D(1)(h))
    h = _norm_relu(h)
    h = layers.Conv2D(filters, 3, use_bias=False)(blocks.ReflectionPadding2D(1)(h))
    return layers.Add()([x, blocks.instance_norm()(h)])


def build_generator(width=32, residual_blocks=6, downsamplings=2, upsampling="resize",
                    name="photo2painting"):
    """Johnson et al.'s ResNet generator, as CycleGAN uses it: a 7x7 convolution, stride-2
    convolutions down, residual blocks, upsampling back, a 7x7 convolution to RGB and tanh.
    Fully convolutional: any image whose sides are multiples of ``2**downsamplings``."""
    x = keras.Input((None, None, 3), name="image")
    h = layers.Conv2D(width, 7, use_bias=False)(blocks.ReflectionPadding2D(3)(x))
    h = _norm_relu(h)
    for i in range(1, downsamplings + 1):
        h = _norm_relu(layers.Conv2D(width * 2**i, 3, strides=2, padding="same",
                                     use_bias=False)(h))
    for _ in range(residual_blocks):
        h = residual_block(h, width * 2**downsamplings)
    for i in range(downsamplings - 1, -1, -1):
        h = _norm_relu(blocks.upsample(h, width * 2**i, upsampling))
    h = layers.Conv2D(3, 7)(blocks.ReflectionPadding2D(3)(h))
    return keras.Model(x, blocks.float32_output(h, "tanh", "translated"), name=name)


def build_discriminator(width=64, downsamplings=3, name="painting_critic"):
    """PatchGAN (Isola et al. 2017): 4x4 convolutions, ``downsamplings`` of stride 2 and two of
    stride 1, instance norm after all but the first. Its output is a map of raw scores, one per
    overlapping patch of the input (70 x 70 pixels with the paper's 3 downsamplings)."""
    x = keras.Input((None, None, 3), name="image")
    scores = blocks.patch_scores(x, width, downsamplings)
    return keras.Model(x, scores, name=name)


def receptive_field(network):
    """How many pixels of the input one output of a convolutional network sees (one side)."""
    size, jump = 1, 1
    for layer in network.layers:
        if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
            size += (layer.kernel_size[0] - 1) * jump
            jump *= layer.strides[0]
    return size


# --- training pieces ---------------------------------------------------------------------------

class ImageHistory:
    """The last ``size`` generated images a discriminator saw (Shrivastava et al. 2017).

    Until it is full, every new image goes in and is used as it is. Then each new image has an
    even chance of being swapped for a random stored one, which the discriminator sees instead.
    The discriminator so keeps seeing the generator's older tricks and cannot be fooled by
    forgetting them. The images live in a variable of the model, so a checkpoint keeps them and
    the compiled training step updates them.
    """

    def __init__(self, model, size, image_shape, name):
        self.size = int(size)
        # Under several GPUs each replica computes the same update; the first one's is kept.
        self.images = model.add_weight(shape=(self.size, *image_shape), initializer="zeros",
                                       trainable=False, aggregation="only_first_replica",
                                       name=f"{name}_images")
        self.count = model.add_weight(shape=(), initializer="zeros", dtype="int32",
                                      trainable=False, aggregation="only_first_replica",
                                      name=f"{name}_count")

    @property
    def variables(self):
        return [self.images, self.count]

    def query(self, images, seed):
        """The images the discriminator should see in place of ``images`` (a batch of at most
        ``size``); stores the new ones. ``seed``: a stateless seed, shape (2,)."""
        if not self.size:
            return images
        images = tf.cast(images, self.images.dtype)
        batch = tf.shape(images)[0]
        count = tf.convert_to_tensor(self.count)
        index = tf.range(batch)
        filling = index < self.size - count
        coin, pick = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        swap = tf.logical_and(tf.logical_not(filling),
                              tf.random.stateless_uniform([batch], seed=coin) < 0.5)
        # Distinct random slots among those already filled, for the swapped images.
        priority = tf.random.stateless_uniform([self.size], seed=pick)
        priority = tf.where(tf.range(self.size) < count, priority, 2.0)
        taken = tf.argsort(priority)[:batch]
        slots = tf.where(filling, count + index, taken)
        stored = tf.gather(tf.convert_to_tensor(self.images), slots)
        keep_new = tf.logical_or(filling, swap)[:, None, None, None]
        out = tf.where(swap[:, None, None, None], stored, images)
        written = tf.where(keep_new, images, stored)
        self.images.assign(tf.tensor_scatter_nd_update(
            tf.convert_to_tensor(self.images), slots[:, None], written))
        self.count.assign(tf.minimum(self.size, count + batch))
        return out


# --- the model -----------------------------------------------------------------------------------

class CycleGAN(GAN):
    """Two generators and two PatchGAN discriminators trained on unpaired photos and paintings.

    ``generator`` holds both generators (inputs ``[photos, paintings]``, outputs
    ``[G(photos), F(paintings)]``) and ``discriminator`` both discriminators, so optimisers,
    EMA and checkpoints treat each pair as one network. Sampling translates: ``latents(n)``
    are held-out photo patches and ``decode`` paints them, so the course's sample grid and
    training monitor show paintings of photos the model never trains on.
    """

    def __init__(self, photo2painting, painting2photo, photo_critic, painting_critic,
                 image_size, cycle_weight=10.0, identity_weight=5.0, history_size=50,
                 ema_decay=0.999, crop_scale=patches.SCALE, seed=0, **kwargs):
        keras.Model.__init__(self, **kwargs)  # GAN.__init__ expects one noise-fed generator
        photo = keras.Input((None, None, 3), name="photo")
        painting = keras.Input((None, None, 3), name="painting")
        self.generator = keras.Model([photo, painting], [photo2painting(photo),
                                                         painting2photo(painting)],
                                     name="generators")
        self.discriminator = keras.Model([photo, painting], [photo_critic(photo),
                                                             painting_critic(painting)],
                                         name="discriminators")
        self.ema_generator = keras.models.clone_model(self.generator)
        self.ema_generator.set_weights(self.generator.get_weights())
        self.ema_generator.trainable = False
        self.image_size, self.image_shape = int(image_size), (int(image_size),) * 2 + (3,)
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.ema_decay, self.seed = float(ema_decay), int(seed)
        self.crop_scale = tuple(crop_scale)
        self.tile = 2 * self.image_size  # translate's tile (RESULTS.md, "Whole photos")
        self.latent_dim = None  # no noise: a CycleGAN's input is a picture
        self.factor = 2 ** sum(isinstance(layer, layers.Conv2D) and layer.strides[0] == 2
                               for layer in photo2painting.layers)
        self.painting_history = ImageHistory(self, history_size, self.image_shape, "painting")
        self.photo_history = ImageHistory(self, history_size, self.image_shape, "photo")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "d_loss", "g_loss", "cycle_loss", "identity_loss", "d_real", "d_fake")}
        self._held_out = None

    def _network(self, direction, ema=True):
        pair = self.ema_generator if ema else self.generator
        return pair.get_layer(_direction(direction))

    photo2painting = property(lambda self: self.generator.get_layer("photo2painting"))
    painting2photo = property(lambda self: self.generator.get_layer("painting2photo"))
    photo_critic = property(lambda self: self.discriminator.get_layer("photo_critic"))
    painting_critic = property(lambda self: self.discriminator.get_layer("painting_critic"))

    @property
    def extra_state(self):
        return self.painting_history.variables + self.photo_history.variables

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, photos, training=False):
        return self.photo2painting(photos, training=training)

    def train_step(self, data):
        photos, paintings = data
        G, F = self.photo2painting, self.painting2photo
        Dx, Dy = self.photo_critic, self.painting_critic
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_paintings, fake_photos = G(photos, training=True), F(paintings, training=True)
            cycle = (losses.cycle_loss(photos, F(fake_paintings, training=True))
                     + losses.cycle_loss(paintings, G(fake_photos, training=True)))
            identity = (losses.identity_loss(paintings, G(paintings, training=True))
                        + losses.identity_loss(photos, F(photos, training=True)))
            fooling = (losses.least_squares_generator_loss(Dy(fake_paintings, training=True))
                       + losses.least_squares_generator_loss(Dx(fake_photos, training=True)))
            g_loss = fooling + self.cycle_weight * cycle + self.identity_weight * identity
            seen_paintings = self._through_history(self.painting_history, fake_paintings, 0)
            seen_photos = self._through_history(self.photo_history, fake_photos, 1)
            real_y, fake_y = tf.split(Dy(tf.concat([paintings, seen_paintings], 0),
                                         training=True), 2)
            real_x, fake_x = tf.split(Dx(tf.concat([photos, seen_photos], 0), training=True), 2)
            d_loss = (losses.least_squares_discriminator_loss(real_y, fake_y)
                      + losses.least_squares_discriminator_loss(real_x, fake_x))
            g_scaled = self._scaled(g_loss, self.g_optimizer)
            d_scaled = self._scaled(d_loss, self.d_optimizer)
        self._apply(d_tape, d_scaled, self.discriminator, self.d_optimizer)
        self._apply(g_tape, g_scaled, self.generator, self.g_optimizer)
        self.update_ema()
        for name, value in (("d_loss", d_loss), ("g_loss", fooling), ("cycle_loss", cycle),
                            ("identity_loss", identity),
                            ("d_real", tf.reduce_mean(real_y) / 2 + tf.reduce_mean(real_x) / 2),
                            ("d_fake", tf.reduce_mean(fake_y) / 2 + tf.reduce_mean(fake_x) / 2)):
            self.trackers[name].update_state(value)
        return self.logs()

    def _through_history(self, history, fakes, stream):
        """What the discriminator sees of this replica's ``fakes`` after the image history.

        The history takes the step's whole batch (every replica's fakes, gathered) with a seed
        common to all replicas, so each replica makes the same update and two replicas train as
        one device on the same global batch; each replica then keeps its own rows."""
        fakes = tf.stop_gradient(fakes)
        batch = tf.shape(fakes)[0]
        offset, _ = self._replica_rows(batch)
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            fakes = replica.all_gather(fakes, axis=0)
        seen = history.query(fakes, self._noise_seed(stream, per_replica=False))
        return seen[offset:offset + batch]

    def fit(self, x=None, *args, **kwargs):
        return keras.Model.fit(self, x, *args, **kwargs)  # two domains: checked by patches.py

    # --- translation -----------------------------------------------------------------------------

    directions = DIRECTIONS

    def translate(self, images, direction="photo2painting", ema=True, tile=None):
        """Pictures of any size, float32 (H, W, 3) or (n, H, W, 3) in [0, 1], translated.

        Pictures no larger than ``tile`` pixels (default :attr:`tile`, a few training patches)
        go through in one pass; larger ones in overlapping tiles of that size, blended
        (:mod:`gan_course.models.tiles`): what the generator sees stays at the scale it learnt
        on, and memory stays bounded whatever the picture's size."""
        network = self._network(direction, ema)
        return tiles.translate_pictures(network, tiles.checked_pictures(images, self.factor),
                                        int(tile or self.tile), self.factor)

    def held_out_photos(self):
        """The held-out photos of ``art/photos`` as uint8 pictures (read once)."""
        if self._held_out is None:
            self._held_out = patches.domain_images("art/photos", split="test")
        return self._held_out

    def latents(self, n, seed=0):
        """``n`` patches of the held-out photos, in [-1, 1], cropped as training crops."""
        return patches.sample_patches(self.held_out_photos(), n, self.image_size, seed,
                                      self.crop_scale) * 2.0 - 1.0

    def decode(self, photos):
        """Paintings in [0, 1] of photo patches in [-1, 1] (the sampling generator)."""
        photos = np.asarray(photos, np.float32)
        if photos.ndim != 4 or photos.shape[-1] != 3:
            raise ValueError(f"expected photo patches of shape (n, H, W, 3), got {photos.shape}")
        return self.translate((photos + 1.0) / 2.0) if len(photos) else photos

    def generate(self, n, seed=0, batch_size=64):
        """``n`` translated patches of the held-out photos, float32 in [0, 1], translated
        ``batch_size`` at a time."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        photos = self.latents(n, seed)
        return np.concatenate([self.decode(photos[i:i + batch_size])
                               for i in range(0, n, batch_size)] or [photos])

    def sample_grid(self, n=8, seed=1234):
        """Rows of held-out photo patches, their paintings and their round trips back."""
        photos = (self.latents(n, seed) + 1.0) / 2.0
        painted = self.translate(photos)
        return np.concatenate([photos, painted, self.translate(painted, "painting2photo")])


def _direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be {' or '.join(map(repr, DIRECTIONS))}, "
                         f"got {direction!r}")
    return direction


# --- data, evaluation, settings --------------------------------------------------------------------

def training_data(dataset, settings):
    """The image shape and ``stream(seed, start_step)`` of patch pairs of ``"A:B"``; checks the
    two domains now, so a bad name fails before a run directory is written."""
    size = settings.hparams["image_size"]
    scale = settings.hparams.get("crop_scale", patches.SCALE)
    patches.pair_images(dataset, min_side=size)

    def stream(seed, start_step):
        return patches.pair_stream(dataset, size, settings.batch_size, seed, start_step, scale)

    return (size, size, 3), stream


def build(settings, image_shape, seed):
    """The compiled CycleGAN for a profile's ``settings`` and square patches of ``image_shape``."""
    # Runs recorded before ``decay_from`` was a setting decayed as the paper does.
    hp = {"decay_from": _PAPER["decay_from"], **settings.hparams}
    generators = [build_generator(hp["g_width"], hp["residual_blocks"], hp["downsamplings"],
                                  hp.get("upsampling", "resize"), name=name)
                  for name in DIRECTIONS]
    critics = [build_discriminator(hp["d_width"], hp["d_downsamplings"], name=name)
               for name in ("photo_critic", "painting_critic")]
    model = CycleGAN(*generators, *critics, image_shape[0], hp["cycle_weight"],
                     hp["identity_weight"], hp["history_size"], hp["ema_decay"],
                     hp.get("crop_scale", patches.SCALE), seed)
    model.paint_side = int(hp.get("paint_side", 4 * image_shape[0]))  # whole photos' size
    steps_per_execution, jit_compile = execution(settings)
    model.compile(d_optimizer=adam(hp, "d", settings.steps),
                  g_optimizer=adam(hp, "g", settings.steps),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


# The paper's training: Adam 2e-4 with beta_1 0.5, cycle weight 10, identity 5 (half of it),
# 50 stored fakes per discriminator, the rate decaying linearly to 0 over the second half.
_PAPER = dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5, beta_2=0.999, decay_from=0.5, cycle_weight=10.0,
              identity_weight=5.0, history_size=50, ema_decay=0.999, downsamplings=2,
              d_downsamplings=3)
SETTINGS = {
    # CI: 32-pixel patches, networks 8 wide, 20 steps; checks that everything runs, not quality.
    "quick": dict(batch_size=2, steps=20, steps_per_epoch=10, steps_per_execution=5,
                  eval_samples=32, jit_compile=False,
                  hparams=dict(_PAPER, image_size=32, g_width=8, residual_blocks=2, d_width=8,
                               d_downsamplings=2, history_size=8, ema_decay=0.9,
                               paint_side=128)),
    # 2 cores: 64-pixel patches, one pair per step as in the paper; networks a quarter of the
    # paper's width with 4 residual blocks and a 34-pixel PatchGAN (RESULTS.md, "CycleGAN").
    "classroom": dict(batch_size=1, steps=2000, steps_per_epoch=200, steps_per_execution=10,
                      eval_samples=256, jit_compile=False,
                      hparams=dict(_PAPER, image_size=64, g_width=16, residual_blocks=4,
                                   d_width=32, d_downsamplings=2, paint_side=256)),
    # GPU: the paper's networks (64 wide, 9 residual blocks, 70 x 70 PatchGAN) on 256-pixel
    # patches, one pair per step as in the paper and the classroom run (the same 160,000 patches
    # as the earlier 40,000 steps of 4); not yet run on a GPU.
    "full": dict(batch_size=1, steps=160000, steps_per_epoch=1000, eval_samples=512,
                 hparams=dict(_PAPER, image_size=256, g_width=64, residual_blocks=9,
                              d_width=64, paint_side=512)),
}

register(Recipe("cyclegan", build, (patches.PAIR_EXAMPLE, "art/photos:art/paintings/van_gogh",
                                    "art/photos:art/paintings/ukiyo_e", "art/photos:art/paintings"),
                evaluate, bar, data=training_data), SETTINGS)
