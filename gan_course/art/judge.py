"""The course's painting-or-photo judge: a small patch classifier.

A CycleGAN is judged on photos it never saw (``HELD_OUT`` in :mod:`gan_course.art.domains`): does
this classifier call their translated patches paintings, while it calls the untouched ones
photos? (Whether they come closer in *style* to the paintings is measured with lesson 06's
texture statistics: :mod:`gan_course.art.texture`.)

The classifier is the course's own artifact, like the MNIST one: trained by
``python -m gan_course.art.judge train`` on patches of the training split of ``art/photos`` and
``art/paintings`` only (never a held-out picture), its weights shipped in ``gan_course/assets``;
:func:`held_out_report` measures it on the held-out pictures, per school.
"""

import functools
import sys
from pathlib import Path

import numpy as np

from gan_course import config

WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "art_classifier.weights.h5"
SIZE = 64  # patches are judged at 64 x 64 pixels
FILTERS = (16, 32, 64)
# A patch is called a painting from this probability on; chosen by cross-validation on the
# training pictures when the course had seven photos (benchmarks/art_classifier_folds.py), kept
# for 215 (RESULTS.md, "The judge").
THRESHOLD = 0.7


def build_classifier(filters=FILTERS):
    """Three stride-2 convolution stages, global average pooling and one logit: the probability that a 64 x 64 patch is a painting."""
    import keras
    from keras import layers

    x = keras.Input((SIZE, SIZE, 3), name="patch")
    h = layers.Rescaling(2.0, offset=-1.0)(x)  # [0, 1] in, [-1, 1] inside
    for i, width in enumerate(filters, start=1):
        h = layers.Conv2D(width, 3, padding="same", activation="relu")(h)
        h = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu",
                          name=f"style_{i}")(h)
    h = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(h))
    logit = layers.Dense(1, name="painting_logit")(h)
    return keras.Model(x, logit, name="art_classifier")


@functools.cache
def classifier():
    """The trained classifier (float32 whatever the global precision policy)."""
    if not WEIGHTS.is_file():
        raise FileNotFoundError(f"No painting classifier at {WEIGHTS}; train it with "
                                "`python -m gan_course.art.judge train`.")
    with config.precision_policy("float32"):
        model = build_classifier()
    model.load_weights(WEIGHTS)
    return model


def as_patches(images):
    """Images (n, H, W, 3) in [0, 1] as float32 (n, 64, 64, 3), resized (area) where needed."""
    import tensorflow as tf

    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"Expected RGB patches of shape (n, H, W, 3), got {images.shape}")
    if images.size and (images.min() < -1e-3 or images.max() > 1 + 1e-3):
        raise ValueError(f"Expected patches in [0, 1], got values in "
                         f"[{images.min():.3g}, {images.max():.3g}]")
    if images.shape[1:3] != (SIZE, SIZE):
        images = tf.image.resize(images, [SIZE, SIZE], method="area", antialias=True).numpy()
    return np.clip(images, 0.0, 1.0)


def painting_probability(images, batch_size=256):
    """The classifier's probability that each patch (in [0, 1]) is a painting, float64 (n,)."""
    patches = as_patches(images)
    model = classifier()
    logits = [np.asarray(model(patches[i:i + batch_size], training=False), np.float64)
              for i in range(0, len(patches), batch_size)]
    return 1.0 / (1.0 + np.exp(-np.concatenate(logits)[:, 0])) if logits else np.zeros(0)


def translation_report(photos, painted, back):
    """How photo patches, their paintings and their round trips (all in [0, 1]) look to the
    classifier, and how far the round trips are from the photos."""
    p_photos, p_painted, p_back = (painting_probability(x) for x in (photos, painted, back))
    return {
        "painting_share_translated": float(np.mean(p_painted >= THRESHOLD)),
        "photo_share_untouched": float(np.mean(p_photos < THRESHOLD)),
        "photo_share_round_trip": float(np.mean(p_back < THRESHOLD)),
        "cycle_error": float(np.mean(np.abs(np.asarray(back) - photos))),
        "patches": len(photos),
    }


# --- training -------------------------------------------------------------------------------------

def _augment(patch, seed, colour):
    """Blur, exposure and noise changes, and hue, saturation and grey changes of strength
    ``colour`` (0: none), applied to both classes alike, so none of them can tell a painting
    from a photo: with seven photos, the classifier would otherwise learn their palettes."""
    import tensorflow as tf

    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 6))
    u = tf.random.stateless_uniform([5], seed=seeds[0])
    small = tf.image.resize(patch, [SIZE // 2, SIZE // 2], method="area", antialias=True)
    x = tf.where(u[0] < 0.3, tf.image.resize(small, [SIZE, SIZE], method="bilinear"), patch)
    x = (x - 0.5) * (0.8 + 0.4 * u[1]) + 0.5 + 0.1 * (u[2] - 0.5)  # contrast, brightness
    if colour:
        x = tf.image.stateless_random_hue(tf.clip_by_value(x, 0, 1), min(0.5, 0.08 * colour),
                                          seeds[1])
        spread = min(0.9, 0.4 * colour)
        x = tf.image.stateless_random_saturation(x, 1 - spread, 1 + spread, seeds[2])
        grey = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x))
        x = tf.where(u[4] < 0.1 * (colour - 1), grey, x)
    noise = tf.random.stateless_normal(tf.shape(x), seed=seeds[3]) * 0.02
    return tf.clip_by_value(tf.where(u[3] < 0.3, x + noise, x), 0.0, 1.0)


def training_stream(photos, paintings, batch_size=64, seed=0, colour=1.0):
    """Endless (patches in [0, 1], labels) with half photos (label 0), half paintings (1)."""
    import tensorflow as tf

    from gan_course.art import patches as domains

    def labelled(images, label, k):
        patch = domains.patch_function(images, SIZE, 2 * seed + k)

        def example(index):
            key = tf.stack([tf.cast(1000 + 2 * seed + k, tf.int64), index])
            return _augment((patch(index) + 1.0) / 2.0, key, colour), float(label)

        return tf.data.Dataset.range(2**62).map(example)

    both = tf.data.Dataset.choose_from_datasets(
        [labelled(photos, 0, 0), labelled(paintings, 1, 1)],
        tf.data.Dataset.range(2).repeat())
    return both.batch(batch_size, drop_remainder=True).prefetch(2)


def fit(photos, paintings, steps=600, seed=0, batch_size=64, colour=1.0, filters=FILTERS,
        verbose=2):
    """A classifier trained on patches of ``photos`` and ``paintings`` (uint8 pictures)."""
    import keras

    from gan_course import config

    config.seed_everything(seed)
    model = build_classifier(filters)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
    epochs = 10 if steps >= 10 else 1
    model.fit(training_stream(photos, paintings, batch_size, seed, colour),
              steps_per_epoch=steps // epochs, epochs=epochs, verbose=verbose)
    return model


def picture_probabilities(pictures, model, n=256, seed=99):
    """``model``'s painting probabilities of ``n`` patches cut from ``pictures`` (uint8)."""
    from gan_course.art import patches as domains

    x = domains.sample_patches(pictures, n, SIZE, seed)
    return 1.0 / (1.0 + np.exp(-np.asarray(model.predict(x, verbose=0), np.float64)[:, 0]))


HELD_OUT_GROUPS = ("art/photos", "art/paintings", "art/paintings/van_gogh",
                   "art/paintings/morisot", "art/paintings/ukiyo_e")


def held_out_report(model=None, n=512, seed=99):
    """Per held-out group (photos, all paintings, each school): the share of ``n`` patches of
    its held-out pictures the classifier calls right (photos photos, paintings paintings)."""
    from gan_course.art import patches as domains

    model = model or classifier()
    report = {}
    for group in HELD_OUT_GROUPS:
        p = picture_probabilities(domains.domain_images(group, SIZE, "test"), model, n, seed)
        right = p < THRESHOLD if group == "art/photos" else p >= THRESHOLD
        report[group] = float(np.mean(right))
    return report


def train(steps=2000, seed=0, colour=0.3):
    """Train the classifier on the training split of ``art/photos`` and ``art/paintings`` and
    save its weights as a package asset; print its held-out report."""
    from gan_course.art import patches as domains

    photos, paintings = domains.pair_images("art/photos:art/paintings", min_side=SIZE)
    trained = fit(photos, paintings, steps, seed, colour=colour)
    model = build_classifier()  # without the optimizer's state, which would treble the file
    model.set_weights(trained.get_weights())
    WEIGHTS.parent.mkdir(exist_ok=True)
    model.save_weights(WEIGHTS)
    classifier.cache_clear()
    print(f"saved {WEIGHTS} ({WEIGHTS.stat().st_size / 1024:.0f} KB); held-out patches called "
          "right: " + ", ".join(f"{k} {v:.1%}" for k, v in held_out_report(model).items()))
    return model


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "train":
        train(*(int(a) for a in sys.argv[2:3]))
    else:
        print("usage: python -m gan_course.art.judge train [STEPS]")
