"""The conditional GAN of lesson 05 (Mirza & Osindero 2014): both networks are told the class.

The networks are the course's DCGAN (lesson 03) with a label input. The generator joins a learnt
embedding of the label to its noise ``z``. The discriminator reads the label in one of two ways
(``conditioning``): as an embedding tiled into extra image channels (``"concat"``), or by
projection (Miyato & Koyama 2018, ``"projection"``): ``logit = psi(phi(x)) + <embed(y), phi(x)>``,
where ``phi(x)`` are its features and ``psi`` the unconditional logit. ``"none"`` gives a
discriminator that never sees the label, the lesson's control experiment. Settings per profile:
each value's reason is on its line; the measurements behind them are in benchmarks/RESULTS.md,
section "Conditional GAN".
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_course import metrics
from gan_course.models import blocks
from gan_course.models.base import GAN, compiled_gan
from gan_course.models.registry import Recipe, register, register_settings

CONDITIONINGS = ("projection", "concat", "none")
_NEEDS_LABELS = (
    "The conditional GAN trains on (images, labels) batches, but got images alone. Pass the "
    "labels too: model.fit(images, labels, batch_size=...), or a dataset of (images, labels) "
    "pairs such as gc.data.training_stream(images, batch_size, labels=labels).")


def label_input(name="label"):
    """One integer class label per example (a batch of labels has shape (n,))."""
    return keras.Input((), dtype="int32", name=name)


def build_generator(latent_dim=24, classes=10, image_shape=(28, 28, 1), width=32, embed_dim=16,
                    upsampling="transpose", hidden=0, name="generator"):
    """The DCGAN generator with a label: ``[z | embedding(label)]`` goes where ``z`` went.

    An embedding is a learnt table of ``embed_dim`` numbers per class; looking up row ``y`` is the
    same as multiplying a one-hot vector by the table, so this is the paper's one-hot input
    followed by a linear layer, without the zeros."""
    z = keras.Input((latent_dim,), name="z")
    label = label_input()
    embedded = layers.Embedding(classes, embed_dim, name="label_embedding")(label)
    h = layers.Concatenate(name="z_and_label")([z, embedded])
    image = blocks.dcgan_generator_body(h, image_shape, width, upsampling, hidden)
    return keras.Model([z, label], image, name=name)


def build_discriminator(image_shape=(28, 28, 1), classes=10, width=32, conditioning="projection",
                        embed_dim=8, hidden=0, dropout=0.0, name="discriminator"):
    """The DCGAN discriminator with a label input, read as ``conditioning`` says.

    - ``"concat"``: an ``embed_dim``-number embedding of the label, tiled over the image as extra
      channels, enters with the pixels; every layer can compare the two.
    - ``"projection"``: the network computes features ``phi(x)`` from the image alone; the logit
      is the unconditional ``psi(phi(x))`` plus the dot product of ``phi(x)`` with a learnt
      embedding of the label (as many numbers as features). The label only says which direction
      in feature space counts as "real for this class".
    - ``"none"``: the label input is ignored: an unconditional discriminator.
    """
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"conditioning must be one of {', '.join(map(repr, CONDITIONINGS))}, "
                         f"got {conditioning!r}")
    image = keras.Input(image_shape, name="image")
    label = label_input()
    h = image
    if conditioning == "concat":
        tiled = layers.Reshape((1, 1, embed_dim))(
            layers.Embedding(classes, embed_dim, name="label_embedding")(label))
        tiled = layers.UpSampling2D(image_shape[:2], name="tile_label")(tiled)
        h = layers.Concatenate(name="image_and_label")([image, tiled])
    features = blocks.dcgan_discriminator_body(h, image_shape[0], width, hidden, dropout)
    logit = blocks.logit(features, name="unconditional_logit" if conditioning == "projection"
                         else "logit")
    if conditioning == "projection":
        embedded = layers.Embedding(classes, features.shape[-1], name="label_projection")(label)
        agreement = layers.Dot(axes=1, dtype="float32", name="label_dot_features")(
            [embedded, features])
        logit = layers.Add(dtype="float32", name="logit")([logit, agreement])
    return keras.Model([image, label], logit, name=name)


def check_labels(labels, n, classes):
    """``labels`` as int32 (n,), or a ValueError saying what is wrong with them.

    ``None`` asks for the classes in turn (0, 1, ..., classes - 1, 0, ...); one integer asks for
    that class ``n`` times."""
    if labels is None:
        return (np.arange(n) % classes).astype(np.int32)
    values = np.asarray(labels)
    if values.size == 0 and n == 0:
        return np.zeros(0, np.int32)
    if values.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integer class indices 0..{classes - 1}, got {values.dtype} values "
            f"{_preview(values)}" + (": convert them with labels.astype(int)"
                                     if values.dtype.kind == "f" else ""))
    if values.ndim == 0:
        values = np.full(n, int(values))
    if values.shape != (n,):
        raise ValueError(
            f"labels must give one class per image: {n} images, but labels of shape "
            f"{values.shape}. Pass {n} labels, or a single integer for all of them "
            f"(np.resize(labels, {n}) repeats a shorter list).")
    wrong = values[(values < 0) | (values >= classes)]
    if wrong.size:
        raise ValueError(f"labels must lie in 0..{classes - 1} (this model knows {classes} "
                         f"classes), got {int(wrong[0])}")
    return values.astype(np.int32)


def _preview(values):
    flat = values.ravel()[:4].tolist()
    return str(flat)[:-1] + (", ...]" if values.size > 4 else "]")


class ConditionalGAN(GAN):
    """A GAN whose two networks take the class label (Mirza & Osindero 2014).

    It trains on ``(images, labels)`` batches. Real images are scored with their own labels;
    fakes are drawn for labels sampled uniformly, like the noise a pure function of
    ``(seed, step)``, and scored with the labels they were asked for. Only a discriminator that
    checks the pair (image, label) makes the generator draw the class it is given.
    """

    conditional = True

    def __init__(self, generator, discriminator, classes=10, **kwargs):
        kwargs.setdefault("latent_dim", generator.input_shape[0][-1])
        super().__init__(generator, discriminator, **kwargs)
        self.classes = int(classes)
        self.image_shape = tuple(discriminator.input_shape[0][1:])

    def call(self, inputs, training=False):
        z, labels = inputs
        return self.generator([z, labels], training=training)

    def sample_labels(self, batch_size):
        """Uniform class labels for this step's fakes, reproducible like the noise."""
        return self.step_noise(
            lambda rows, seed: tf.random.stateless_uniform((rows,), seed=seed, minval=0,
                                                           maxval=self.classes, dtype=tf.int32),
            batch_size, stream=1)

    def train_step(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(_NEEDS_LABELS)
        real, real_labels = data[0], tf.cast(data[1], tf.int32)
        batch = tf.shape(real)[0]
        z, fake_labels = self.sample_latent(batch), self.sample_labels(batch)
        labels = tf.concat([real_labels, fake_labels], 0)
        return self.adversarial_step(lambda: self.generator([z, fake_labels], training=True),
                                     lambda fake: self.discriminate(real, fake, labels))

    def check_batch(self, batch, rows=None):
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(_NEEDS_LABELS)
        super().check_batch(batch, rows)
        labels = np.asarray(batch[1])
        check_labels(labels.ravel(), labels.size, self.classes)

    # --- sampling ------------------------------------------------------------------------------

    def decode(self, z, labels=None):
        """Images in [0, 1] from latents ``z`` (n, latent_dim) and one class label per latent
        (default: the classes in turn), via the EMA generator."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (n, {self.latent_dim}), got {z.shape}")
        labels = check_labels(labels, len(z), self.classes)
        if not len(z):
            return np.zeros((0, *self.image_shape), np.float32)
        images = self._sample([z, labels])
        return np.clip((np.asarray(images, np.float32) + 1.0) / 2.0, 0.0, 1.0)

    def generate(self, n, seed=0, labels=None, batch_size=500):
        """``n`` images of the classes ``labels`` (one per image, or one for all; default the
        classes in turn), from latents drawn as training draws them, reproducible from ``seed``."""
        labels = check_labels(labels, n, self.classes)
        z = self.latents(n, seed)
        parts = [self.decode(z[i:i + batch_size], labels[i:i + batch_size])
                 for i in range(0, n, batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.float32)


def class_grid(model, styles=6, seed=0, classes=None):
    """Every class drawn from the same latents: ``styles`` rows, one column per class. The
    latent carries the style (slant, thickness), the label the class."""
    classes = list(range(model.classes)) if classes is None else list(classes)
    z = np.repeat(model.latents(styles, seed), len(classes), axis=0)
    return model.decode(z, np.tile(classes, styles))


def evaluate(model, dataset, n):
    """Label agreement of ``n`` samples asked for the classes in turn (100 per class for
    n = 1000), per class beside the classifier's accuracy on real test images, plus the
    unconditional numbers (confidence, coverage, FID)."""
    labels = np.resize(np.arange(model.classes), n)
    images = model.generate(n, seed=2024, labels=labels)
    quality = metrics.evaluate(images, dataset)
    quality.update(metrics.label_agreement(images, labels, dataset))
    quality["real_accuracy_per_class"] = list(metrics.real_accuracy_per_class(dataset))
    return quality


def bar(quality):
    """The course's bar for the conditional GAN (on MNIST): the classifier names the requested
    class for >= 95% of samples, and for >= 90% of every class's."""
    return {"label agreement >= 95%": quality["label_agreement"] >= 0.95,
            "every class >= 90%": quality["min_class_agreement"] >= 0.90}


def build(settings, image_shape, seed):
    """The compiled conditional GAN for a profile's ``settings``."""
    hp = settings.hparams
    classes = hp["classes"]
    generator = build_generator(hp["latent_dim"], classes, image_shape, hp["g_width"],
                                hp["g_embed"], hp.get("upsampling", "transpose"),
                                hp.get("g_dense", 0))
    discriminator = build_discriminator(image_shape, classes, hp["d_width"], hp["conditioning"],
                                        hp.get("d_embed", 8), hp.get("d_dense", 0),
                                        hp.get("d_dropout", 0.0))
    return compiled_gan(generator, discriminator, settings, seed, ConditionalGAN,
                        classes=classes, latent_dim=hp["latent_dim"])


# DCGAN's optimiser (Adam, beta_1 0.5); 10 classes (MNIST and Fashion-MNIST).
_BASE = dict(classes=10, latent_dim=24, g_embed=16, d_embed=8, conditioning="projection",
             g_lr=2e-4, d_lr=2e-4, beta_1=0.5, ema_decay=0.999, label_smoothing=0.0)
SETTINGS = {
    # CI: width 8, 30 steps; checks that everything runs, not quality. No XLA: compiling these
    # convolutions takes longer on a CPU than the steps themselves.
    "quick": dict(batch_size=32, steps=30, steps_per_epoch=10, steps_per_execution=10,
                  eval_samples=200, jit_compile=False,
                  hparams=dict(_BASE, g_width=8, d_width=8, g_dense=16, d_dense=16,
                               d_dropout=0.3, ema_decay=0.9)),
    # 2 cores: lesson 03's classroom networks with one generator dense layer and no InfoGAN code
    # (the label separates the digits), no dropout and the rate decayed over the last quarter,
    # as lesson 03's: projection reaches 98.7-99.6% label agreement, every digit >= 94%, in 4k
    # steps over three seeds (RESULTS.md).
    "classroom": dict(batch_size=64, steps=4000, steps_per_epoch=500, eval_samples=1000,
                      steps_per_execution=25, jit_compile=False,
                      hparams=dict(_BASE, g_width=32, d_width=32, g_dense=256, d_dense=256,
                                   g_lr=4e-4, d_lr=4e-4, decay_from=0.75,
                                   label_smoothing=0.1)),
    # GPU: the DCGAN paper's width 64 and 100 noise numbers; no dropout (it slowed learning on 2
    # cores) and the rate decayed over the last quarter, as the classroom run. Not yet run on a GPU.
    "full": dict(batch_size=128, steps=20000, steps_per_epoch=1000, eval_samples=10000,
                 hparams=dict(_BASE, latent_dim=100, g_width=64, d_width=64, g_dense=256,
                              d_dense=256, decay_from=0.75)),
}

register(Recipe("cgan", build, ("mnist", "fashion_mnist"), evaluate, bar), SETTINGS)

# Lesson 05's lab: the same networks trained briefly with each way of reading the label
# (projection, concatenation, none), to compare how soon the samples follow their labels.
register_settings("cgan_lab", {
    "quick": dict(SETTINGS["quick"], steps=20, steps_per_epoch=20),
    "classroom": dict(SETTINGS["classroom"], steps=1000, steps_per_epoch=1000),
    "full": dict(SETTINGS["full"], steps=2000, steps_per_epoch=2000),
})
