"""pix2pix (Isola et al. 2017) for lesson 09: restoring damaged pictures from paired examples.

Every training pair is made on the fly: a patch of a course picture, and the same patch damaged
(:mod:`gan_course.art.damage`: holes, noise or a 4x smaller copy). The generator is a U-Net: an
encoder halves the picture down to a small bottleneck, a decoder doubles it back, and each
decoder level also gets the encoder's maps of the same size (skip connections), so fine detail
need not squeeze through the bottleneck. It predicts the *change* to the damaged picture (for
inpainting, only inside the holes). The discriminator is a PatchGAN that sees the damaged input
beside a restoration (conditional: it judges "is this a plausible restoration of *this*
input?"). The generator's loss is the adversarial one plus ``l1_weight`` times the L1 distance to
the original.

``unet_l1`` is the same U-Net trained on the L1 loss alone, the regression baseline every
restorer is compared with. Datasets are written ``TASK:DOMAIN+DOMAIN``, e.g.
``inpaint:art/photos+art/paintings`` (a domain as :mod:`gan_course.art.domains` names it).
Settings per profile: each value's reason is on its line; measurements in benchmarks/RESULTS.md,
section "pix2pix".
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.art import damage, patches
from gan_course.models import blocks, shipped, tiles
from gan_course.models.base import GAN, adam, execution
from gan_course.models.registry import Recipe, register, register_settings

DOMAINS = "art/photos+art/paintings"
DATASET_EXAMPLE = f"inpaint:{DOMAINS}"


def parse_dataset(spec):
    """``"TASK:A+B"`` -> ``(task, ("A", "B"))``; a ValueError naming the syntax otherwise."""
    task, sep, rest = str(spec).partition(":")
    if not sep or task not in damage.TASKS or not rest:
        raise patches.DomainError(
            f"{spec!r} is not a restoration dataset. Write TASK:PICTURES with TASK one of "
            f"{', '.join(damage.TASKS)} and PICTURES one or more domains joined by '+', e.g. "
            f"{DATASET_EXAMPLE!r} or 'denoise:folder:PATH'.")
    domains = tuple(d.strip() for d in rest.split("+"))
    if not all(domains):
        raise patches.DomainError(f"{spec!r} has an empty domain between its '+' signs.")
    return task, domains


def pictures(spec, split="train", min_side=1):
    """The uint8 pictures of every domain of ``spec`` (each file once)."""
    _, names = parse_dataset(spec)
    seen, images = set(), []
    for name in names:
        for path, image in zip(patches.domain_files(name, split),
                               patches.domain_images(name, min_side, split)):
            if Path(path).resolve() not in seen:
                seen.add(Path(path).resolve())
                images.append(image)
    if not images:
        raise patches.DomainError(f"{spec!r} holds no {split} pictures.")
    return images


def input_channels(task):
    """The generator's input channels: RGB, and for inpainting the mask as a fourth."""
    return 4 if damage.check_task(task) == "inpaint" else 3


# --- networks ----------------------------------------------------------------------------------

class Restore(layers.Layer):
    """The damaged picture plus the predicted change, clipped to [-1, 1]; for inpainting (a mask
    channel) only the missing pixels change. Computed in float32."""

    def call(self, inputs):
        damaged, change = (tf.cast(t, tf.float32) for t in inputs)
        rgb = damaged[..., :3]
        if damaged.shape[-1] == 4:
            change = change * (damaged[..., 3:] + 1.0) / 2.0
        return tf.clip_by_value(rgb + change, -1.0, 1.0)


def build_generator(task, width=16, depth=4, name="restorer"):
    """A U-Net: ``depth`` stride-2 4x4 convolutions down (LeakyReLU 0.2, widths doubling up to
    8x), then resize-and-convolve up (ReLU), each level concatenated with the encoder's maps of
    its size; a 3x3 convolution gives the change to the damaged picture. Fully convolutional;
    no normalisation, so a tile and a whole picture are computed alike."""
    x = keras.Input((None, None, input_channels(task)), name="damaged")
    skips, h = [], x
    for i in range(depth):
        h = layers.LeakyReLU(0.2)(layers.Conv2D(width * min(2**i, 8), 4, strides=2,
                                                padding="same")(h))
        skips.append(h)
    for i in range(depth - 2, -1, -1):
        h = layers.ReLU()(blocks.upsample(h, width * min(2**i, 8), "resize", use_bias=True))
        h = layers.Concatenate()([h, skips[i]])
    h = layers.ReLU()(blocks.upsample(h, width, "resize", use_bias=True))
    h = layers.Concatenate()([h, x])
    change = layers.Conv2D(3, 3, padding="same", dtype="float32", name="change")(h)
    return keras.Model(x, Restore(dtype="float32", name="restored")([x, change]), name=name)


def build_discriminator(task, width=32, downsamplings=2, name="critic"):
    """A conditional PatchGAN: the damaged input and a restoration side by side (channels
    concatenated) -> a map of raw scores, one per overlapping patch."""
    damaged = keras.Input((None, None, input_channels(task)), name="damaged")
    restored = keras.Input((None, None, 3), name="restored")
    h = layers.Concatenate()([damaged, restored])
    return keras.Model([damaged, restored], blocks.patch_scores(h, width, downsamplings),
                       name=name)


def bottleneck_factor(network):
    """How many times the U-Net halves a picture (its sides must be multiples of this)."""
    return 2 ** sum(isinstance(layer, layers.Conv2D) and layer.strides[0] == 2
                    for layer in network.layers)


# --- the model -----------------------------------------------------------------------------------

class Pix2Pix(GAN):
    """A U-Net restorer and a conditional PatchGAN trained on (damaged, original) pairs.

    ``adversarial_weight=0`` trains the U-Net on L1 alone (the ``unet_l1`` baseline; the critic
    is then left untouched). Sampling restores: ``latents(n)`` are damaged held-out patches and
    ``decode`` restores them, so the course's sample grid and monitor show held-out pictures.
    """

    def __init__(self, generator, discriminator, task, image_size, l1_weight=100.0,
                 adversarial_weight=1.0, ema_decay=0.999, crop_scale=patches.SCALE, seed=0,
                 **kwargs):
        keras.Model.__init__(self, **kwargs)  # GAN.__init__ expects a noise-fed generator
        self.generator, self.discriminator = generator, discriminator
        self.ema_generator = keras.models.clone_model(generator)
        self.ema_generator.set_weights(generator.get_weights())
        self.ema_generator.trainable = False
        self.task = damage.check_task(task)
        self.image_size, self.image_shape = int(image_size), (int(image_size),) * 2 + (3,)
        self.l1_weight, self.adversarial_weight = float(l1_weight), float(adversarial_weight)
        self.ema_decay, self.seed, self.crop_scale = float(ema_decay), int(seed), tuple(crop_scale)
        self.latent_dim = None  # no noise: a restorer's input is a picture
        self.factor = bottleneck_factor(generator)
        self.tile = 2 * self.image_size
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "d_loss", "g_loss", "l1_loss", "d_real", "d_fake")}
        self._held_out = None

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, damaged, training=False):
        return self.generator(damaged, training=training)

    def train_step(self, data):
        damaged, originals = data
        adversarial = self.adversarial_weight > 0
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            restored = self.generator(damaged, training=True)
            l1 = tf.reduce_mean(tf.abs(tf.cast(originals, tf.float32) - restored))
            g_loss = self.l1_weight * l1
            if adversarial:
                scores = self.discriminator([tf.concat([damaged, damaged], 0),
                                             tf.concat([tf.cast(originals, restored.dtype),
                                                        restored], 0)], training=True)
                real, fake = tf.split(tf.cast(scores, tf.float32), 2)
                d_loss = losses.discriminator_loss(real, fake)
                fooling = losses.generator_loss(fake)
                g_loss += self.adversarial_weight * fooling
            else:
                real = fake = d_loss = fooling = tf.zeros(())
            g_scaled = self._scaled(g_loss, self.g_optimizer)
            d_scaled = self._scaled(d_loss, self.d_optimizer)
        if adversarial:
            self._apply(d_tape, d_scaled, self.discriminator, self.d_optimizer)
        self._apply(g_tape, g_scaled, self.generator, self.g_optimizer)
        self.update_ema()
        for name, value in (("d_loss", d_loss), ("g_loss", fooling), ("l1_loss", l1),
                            ("d_real", tf.reduce_mean(tf.sigmoid(real))),
                            ("d_fake", tf.reduce_mean(tf.sigmoid(fake)))):
            self.trackers[name].update_state(value)
        return self.logs()

    def fit(self, x=None, *args, **kwargs):
        return keras.Model.fit(self, x, *args, **kwargs)  # pairs: checked by training_data

    # --- restoring -------------------------------------------------------------------------------

    directions = ("restore",)

    def translate(self, images, direction="restore", mask=None, ema=True, tile=None):
        """Damaged pictures restored (see :func:`restore`), by the EMA generator unless
        ``ema=False``."""
        network = self.ema_generator if ema else self.generator
        return restore(network, self.task, images, direction, mask, tile or self.tile, self.factor)

    def held_out(self):
        """The course's held-out photos and paintings, uint8 (read once): every restorer is
        judged on the same pictures, whatever it trained on."""
        if self._held_out is None:
            self._held_out = pictures(f"{self.task}:{DOMAINS}", "test", self.image_size)
        return self._held_out

    def pairs(self, n, seed=0):
        """``n`` held-out ``(damaged inputs, originals)`` in [-1, 1], damaged as training does."""
        originals = patches.sample_patches(self.held_out(), n, self.image_size, seed,
                                           self.crop_scale) * 2.0 - 1.0
        damaged = damage_batch(self.task, originals, seed)
        return damaged, originals

    def latents(self, n, seed=0):
        """``n`` damaged held-out patches (the network's input, in [-1, 1])."""
        return self.pairs(n, seed)[0]

    def decode(self, damaged):
        """Restorations in [0, 1] of damaged patches in [-1, 1] (the EMA generator)."""
        x = np.asarray(damaged, np.float32)
        if x.ndim != 4 or x.shape[-1] != input_channels(self.task):
            raise ValueError(f"expected damaged patches (n, H, W, {input_channels(self.task)}), "
                             f"got {x.shape}")
        if not len(x):
            return np.zeros((0, *x.shape[1:3], 3), np.float32)
        return np.concatenate([tiles.translate_batch(
            lambda b: self.ema_generator(b, training=False), (x[i:i + 32] + 1.0) / 2.0,
            self.factor) for i in range(0, len(x), 32)])

    def generate(self, n, seed=0):
        """``n`` restored held-out patches, float32 in [0, 1]."""
        return self.decode(self.latents(n, seed))

    def sample_grid(self, n=8, seed=1234):
        """Rows of damaged held-out patches, their restorations and the originals."""
        damaged, originals = self.pairs(n, seed)
        return np.concatenate([(damaged[..., :3] + 1.0) / 2.0, self.decode(damaged),
                               (originals + 1.0) / 2.0])


def network_input(task, pictures, mask=None):
    """What the U-Net takes for damaged ``pictures`` ([0, 1]): for upscaling, the picture
    enlarged 4x (bicubic); for inpainting, the holes filled with the surrounding colour (over the
    whole picture, before any tiling) and the mask as a fourth channel."""
    x = tiles.checked_pictures(pictures, 1)
    if task == "upscale":
        size = (x.shape[-3] * damage.FACTOR, x.shape[-2] * damage.FACTOR)
        return np.asarray(damage.enlarged(x, size), np.float32)
    if task == "denoise":
        if mask is not None:
            raise ValueError("a mask marks holes to fill; denoising takes none.")
        return x
    if mask is None:
        raise ValueError("inpainting needs a mask of the missing pixels (white = missing), "
                         "the picture's height and width.")
    mask = np.asarray(mask)
    if mask.shape != x.shape[:-1]:
        raise ValueError(f"the mask has shape {mask.shape}; it must cover the picture, "
                         f"shape {x.shape[:-1]}.")
    hole = np.broadcast_to(mask.astype(np.float32)[..., None], (*x.shape[:-1], 1))
    return np.concatenate([np.asarray(damage.surrounding_fill(x, hole)), hole], axis=-1)


def restore(network, task, images, direction="restore", mask=None, tile=128, factor=None):
    """Damaged pictures, (H, W, 3) or (n, H, W, 3) in [0, 1], restored by the U-Net
    ``network``: in one pass when small, else in overlapping tiles of ``tile`` pixels (bounded
    memory). Upscaling gives pictures 4x larger; inpainting needs ``mask`` (True or 1 =
    missing) and keeps every known pixel."""
    if direction != "restore":
        raise ValueError(f"a restorer has one direction, 'restore'; got {direction!r}")
    x = network_input(task, images, mask)
    return tiles.translate_pictures(network, x, int(tile), factor or bottleneck_factor(network))


class Restorer:
    """A shipped restorer: the U-Net alone, with ``translate`` as :class:`Pix2Pix`'s."""

    directions = ("restore",)

    def __init__(self, network, task, image_size):
        self.network, self.task, self.tile = network, damage.check_task(task), 2 * int(image_size)

    def translate(self, images, direction="restore", mask=None, tile=None):
        return restore(self.network, self.task, images, direction, mask, tile or self.tile)


def _shipped_restorer(spec, arrays, path):
    hp = spec["settings"]["hparams"]
    network = build_generator(hp["task"], hp["g_width"], hp["depth"])
    return Restorer(shipped.fit(network, arrays, path), hp["task"], spec["image_shape"][0])


shipped.register_loader("pix2pix", _shipped_restorer)
shipped.register_loader("unet_l1", _shipped_restorer)


def damage_batch(task, originals, seed):
    """Clean patches (n, S, S, 3) in [-1, 1] damaged, each with its own seed from ``seed``."""
    hurt = damage.damage_function(task)
    out = [hurt(tf.constant(o), tf.constant([int(seed), k], tf.int32)).numpy()
           for k, o in enumerate(np.asarray(originals, np.float32))]
    return np.stack(out) if out else np.zeros((0, *np.shape(originals)[1:3],
                                                input_channels(task)), np.float32)


# --- data, settings ----------------------------------------------------------------------------------

def training_data(dataset, settings):
    """The image shape and ``stream(seed, start_step)`` of ``(damaged, original)`` patch batches
    of ``"TASK:A+B"``; checks the name and the pictures now, before a run directory is written."""
    task, _ = parse_dataset(dataset)
    size = settings.hparams["image_size"]
    scale = settings.hparams.get("crop_scale", patches.SCALE)
    images = pictures(dataset, "train", min_side=size)

    def stream(seed, start_step):
        from gan_course.data import lean

        patch = patches.patch_function(images, size, 2 * seed, scale)
        hurt = damage.damage_function(task)

        def pair(index):
            clean = patch(index)
            return hurt(clean, tf.stack([tf.cast(2 * seed + 1, tf.int64), index])), clean

        first = int(start_step) * settings.batch_size
        return lean(tf.data.Dataset.range(first, 2**62).map(pair)
                    .batch(settings.batch_size, drop_remainder=True))

    return (size, size, 3), stream


def build(settings, image_shape, seed):
    """The compiled pix2pix for a profile's ``settings`` (their ``task``); with an adversarial
    weight of 0, the L1-only U-Net."""
    hp = settings.hparams
    generator = build_generator(hp["task"], hp["g_width"], hp["depth"])
    critic = build_discriminator(hp["task"], hp["d_width"], hp["d_downsamplings"])
    model = Pix2Pix(generator, critic, hp["task"], image_shape[0], hp["l1_weight"],
                    hp["adversarial_weight"], hp["ema_decay"], hp.get("crop_scale", patches.SCALE),
                    seed)
    steps_per_execution, jit_compile = execution(settings)
    model.compile(d_optimizer=adam(hp, "d", settings.steps),
                  g_optimizer=adam(hp, "g", settings.steps),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


# The paper: Adam 2e-4 with beta_1 0.5, L1 weighted by 100 against an adversarial weight of 1.
# Crops: a fifth to a half of a picture's shorter side, so patches are near the picture's own
# scale (restoration works on the pixels a user has).
_PAPER = dict(g_lr=2e-4, d_lr=2e-4, beta_1=0.5, beta_2=0.999, l1_weight=100.0,
              adversarial_weight=1.0, ema_decay=0.999, crop_scale=(0.2, 0.5))
_PROFILES = {
    # CI: 32-pixel patches, tiny networks, 20 steps; checks that everything runs, not quality.
    "quick": dict(batch_size=2, steps=20, steps_per_epoch=10, steps_per_execution=5,
                  eval_samples=16, jit_compile=False,
                  hparams=dict(_PAPER, image_size=32, g_width=8, depth=3, d_width=8,
                               d_downsamplings=2, ema_decay=0.9)),
    # 2 cores: 64-pixel patches, a U-Net 16 wide and 4 deep (4 x 4 bottleneck), a 34-pixel
    # PatchGAN; the U-Net's rate 1e-3 (2e-4 left the holes worse than the fill after 2,000
    # steps), the critic's the paper's; the rates decay over the last quarter (RESULTS.md).
    "classroom": dict(batch_size=4, steps=2000, steps_per_epoch=200, steps_per_execution=10,
                      eval_samples=128, jit_compile=False,
                      hparams=dict(_PAPER, g_lr=1e-3, image_size=64, g_width=16, depth=4,
                                   d_width=32, d_downsamplings=2, decay_from=0.75)),
    # GPU: the paper's U-Net (64 wide, 8 levels, 1 x 1 bottleneck) and 70-pixel PatchGAN on
    # 256-pixel patches, batch 1 as the paper; not yet run on a GPU.
    "full": dict(batch_size=1, steps=100000, steps_per_epoch=1000, eval_samples=256,
                 hparams=dict(_PAPER, image_size=256, g_width=64, depth=8, d_width=64,
                              d_downsamplings=3, decay_from=0.5)),
}


def settings(task, adversarial=True):
    """``{profile: settings}`` of one task; the L1-only baseline differs in its adversarial
    weight alone, so it trains the same U-Net for the same steps."""
    weight = {} if adversarial else {"adversarial_weight": 0.0}
    return {name: {**fields, "hparams": {**fields["hparams"], "task": task, **weight}}
            for name, fields in _PROFILES.items()}


def _recipe(name, adversarial):
    from gan_course.models.pix2pix_quality import bar, evaluate, gan_bar

    recipe = Recipe(name, build, tuple(f"{task}:{DOMAINS}" for task in damage.TASKS),
                    evaluate, gan_bar if adversarial else bar, data=training_data,
                    workloads=lambda dataset: f"{name}_{parse_dataset(dataset)[0]}")
    register(recipe, settings("inpaint", adversarial))
    for task in damage.TASKS:
        register_settings(f"{name}_{task}", settings(task, adversarial))


_recipe("pix2pix", adversarial=True)
_recipe("unet_l1", adversarial=False)
