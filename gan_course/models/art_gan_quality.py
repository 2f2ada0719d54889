"""Lesson 08's bar: does an art GAN make new pictures of its school, varied, and not copies?

Everything is measured against crops of the school's *held-out* paintings (its training
pictures when it holds none out, e.g. a folder). On the features of the course's painting judge
(:mod:`gan_course.art.judge`, the 64 numbers before its logit):

- distance: KID (Binkowski et al. 2018), the unbiased squared MMD with the polynomial kernel
  ``(x.y / d + 1)^3``; unlike FID it has no bias at a few hundred samples;
- precision and recall (Kynkaanniemi et al. 2019): the share of generated pictures inside the
  real pictures' k-nearest-neighbour manifold (k = 3), and of real ones inside the generated.

The judge's features see colour and texture and little else: blurred crops, smooth colour
fields, a run that paints one grey layout 32 times, all scored a small KID, and pictures in the
training paintings' colours sat as near their crops as copies did. So the rest is measured on
the pixels:

- memorisation: each generated picture's distance to the best-matching region of any training
  painting (:mod:`gan_course.art.regions`), against the same distance for held-out crops (new
  pictures of the school, which cannot be copies). A copy sits much closer: the share of
  generated pictures nearer than the held-out crops' 5th percentile is far above 5 %;
- detail: the energy of the finest detail (each channel minus its 3 x 3 mean, lesson 07's
  artefact measure) against the held-out crops', 1 for the paintings' own brushwork, near 0 for
  colour fields, far above 1 for speckle;
- layout spread: how different the pictures' compositions are, the mean distance between two
  pictures' 8 x 8 thumbnails, against the held-out crops'; 0 when every picture has one layout.
"""

import functools

import numpy as np

from gan_course.models import tiles

K = 3  # neighbours for the precision and recall manifolds (the paper's)
# The bar's thresholds sit between what known pictures score (held-out crops, copies, blurred
# crops, one layout, a collapse, noise) and what trained runs score, all measured by
# `python benchmarks/art_gan_ruler.py` (RESULTS.md, "Art GAN, the ruler's blind spots").
KID_MAX = 0.5
RECALL_MIN = 0.1
COPIED_MAX = 0.3  # share of generated pictures nearer a training region than 95 % of held-out ones
DETAIL_RANGE = (0.4, 2.5)  # fine detail against the held-out crops'
LAYOUT_MIN = 0.6  # layout spread against the held-out crops'
THUMBNAIL = 8  # the side of the thumbnails whose spread measures layout


@functools.cache
def _feature_model():
    import keras

    from gan_course.art import judge

    model = judge.classifier()
    pooled = next(layer for layer in model.layers
                  if isinstance(layer, keras.layers.GlobalAveragePooling2D))
    return keras.Model(model.input, pooled.output)


def features(images, batch_size=256):
    """The painting judge's penultimate features of ``images`` (n, H, W, 3) in [0, 1]: float64
    (n, 64)."""
    from gan_course.art import judge

    x = judge.as_patches(images)
    parts = [np.asarray(_feature_model()(x[i:i + batch_size], training=False), np.float64)
             for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, 64))


def _distances(a, b):
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(sq, 0.0))


def kid(a, b):
    """Kernel inception distance of feature sets ``a`` and ``b``: the unbiased squared MMD with
    the kernel ``(x.y / d + 1)^3``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = a.shape[1]
    kaa, kbb, kab = ((x @ y.T / d + 1.0) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    m, n = len(a), len(b)
    return float((kaa.sum() - np.trace(kaa)) / (m * (m - 1))
                 + (kbb.sum() - np.trace(kbb)) / (n * (n - 1)) - 2.0 * kab.mean())


def precision_recall(real, fake, k=K):
    """Improved precision and recall (Kynkaanniemi et al. 2019) of feature sets: a point is in a
    set's manifold when it lies within the k-th nearest neighbour distance of one of its points."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)

    def radii(x):
        d = _distances(x, x)
        return np.sort(d, axis=1)[:, min(k, len(x) - 1)]  # column 0 is the point itself

    def inside(points, manifold):
        return float(np.mean((_distances(points, manifold) <= radii(manifold)[None]).any(1)))

    return inside(fake, real), inside(real, fake)


def layout_spread(images, side=THUMBNAIL):
    """How varied the layouts of ``images`` (n, H, W, 3) in [0, 1] are: the mean absolute
    difference between two pictures' ``side`` x ``side`` thumbnails, over every pair."""
    import tensorflow as tf

    thumbs = tf.image.resize(np.asarray(images, np.float32), [side, side], method="area")
    t = np.asarray(thumbs, np.float64).reshape(len(thumbs), -1)
    n = len(t)
    if n < 2:
        raise ValueError(f"layout spread needs at least 2 pictures, got {n}")
    total = sum(np.abs(t[i + 1:] - t[i]).mean(axis=1).sum() for i in range(n - 1))
    return float(total / (n * (n - 1) / 2))


def memorisation(generated, held_out, paintings, scale):
    """Each picture's distance to its best-matching region of the training ``paintings``
    (:func:`gan_course.art.regions.nearest_regions`, regions of a side within ``scale``), for
    the generated pictures against the held-out crops: the ratio of their medians and the share
    of generated pictures nearer than the held-out crops' 5th percentile."""
    from gan_course.art import regions

    _, gen = regions.nearest_regions(generated, paintings, scale)
    _, ref = regions.nearest_regions(held_out, paintings, scale)
    return {"nearest_train_ratio": float(np.median(gen) / max(np.median(ref), 1e-12)),
            "copied_share": float(np.mean(gen < np.percentile(ref, 5)))}


def quality(generated, held_out, other_held_out, paintings, scale):
    """The bar's numbers from pictures in [0, 1]: ``generated``; two samples of held-out crops
    (the second is the reference set: its own KID to the first tells how close "close" is); the
    training ``paintings`` and the ``scale`` their crops were cut at."""
    generated = np.clip(np.asarray(generated, np.float32), 0.0, 1.0)
    g, h, h2 = (features(x) for x in (generated, held_out, other_held_out))
    precision, recall = precision_recall(h, g)
    collapsed = np.repeat(g[:1], len(g), axis=0)
    return {
        "kid": kid(g, h), "kid_real": kid(h2, h),
        "precision": precision, "recall": recall,
        "recall_collapsed": precision_recall(h, collapsed)[1],
        **memorisation(generated, other_held_out, paintings, scale),
        "detail": tiles.high_frequency_ratio(held_out, generated),
        "layout_spread": layout_spread(generated) / max(layout_spread(held_out), 1e-12),
        "samples": len(g),
    }


def references(model, dataset, n):
    """``(held-out crops, other held-out crops, training paintings, scale)`` of ``dataset``: two
    samples of (n, 64, 64, 3) crops in [0, 1] cut as the model's training crops are, the
    paintings it trained on (uint8) and its crops' scale."""
    from gan_course.art import domains, patches

    size = model.image_shape[0]
    scale = tuple(getattr(model, "crop_scale", patches.SCALE))
    split = "test" if domains.has_held_out(dataset) else "train"
    held = patches.domain_images(dataset, size, split)
    return (patches.sample_patches(held, n, size, 2025, scale),
            patches.sample_patches(held, n, size, 2026, scale),
            patches.domain_images(dataset, size, "train"), scale)


def evaluate(model, dataset, n):
    """Quality of an art GAN's ``n`` samples against crops of ``dataset``: see the docstring."""
    from gan_course.art import domains

    split = "test" if domains.has_held_out(dataset) else "train"
    return {**quality(model.generate(n, seed=2024), *references(model, dataset, n)),
            "reference": f"{dataset} ({split})"}


def bar(q):
    """Lesson 08's bar: close to the school, varied, not copied, painted in detail."""
    low, high = DETAIL_RANGE
    return {
        f"KID to held-out crops < {KID_MAX}": q["kid"] < KID_MAX,
        f"recall >= {RECALL_MIN} and above a collapsed generator's":
            q["recall"] >= max(RECALL_MIN, q["recall_collapsed"] + 0.05),
        f"not copied: share nearer a training region than 95 % of held-out crops <= "
        f"{COPIED_MAX:.0%}": q["copied_share"] <= COPIED_MAX,
        f"fine detail {low} to {high} times the held-out crops'":
            low <= q["detail"] <= high,
        f"varied layouts: thumbnail spread >= {LAYOUT_MIN} of the held-out crops'":
            q["layout_spread"] >= LAYOUT_MIN,
    }
