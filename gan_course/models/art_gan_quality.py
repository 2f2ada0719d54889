"""Lesson 08's bar: does an art GAN make new pictures of its school, varied, and not copies?

Everything is measured on the features of the course's painting judge (:mod:`gan_course.art.
judge`, the 64 numbers before its logit), against crops of the school's *held-out* paintings
(its training pictures when it holds none out, e.g. a folder):

- distance: KID (Binkowski et al. 2018), the unbiased squared MMD with the polynomial kernel
  ``(x.y / d + 1)^3``; unlike FID it has no bias at a few hundred samples;
- precision and recall (Kynkaanniemi et al. 2019): the share of generated pictures inside the
  real pictures' k-nearest-neighbour manifold (k = 3), and of real ones inside the generated;
- memorisation: each generated picture's distance to its nearest *training* crop, against the
  same distance for held-out crops (new pictures of the school, which cannot be copies). A
  generator that copies sits much closer: the share of its pictures nearer than the 5th
  percentile of the held-out crops' distances is far above 5 %.
"""

import functools

import numpy as np

K = 3  # neighbours for the precision and recall manifolds (the paper's)
# The bar's thresholds, measured on 256 samples against Van Gogh's held-out crops (RESULTS.md,
# "Art GAN"): held-out crops themselves score KID 0.00, recall 0.95, copied share 0.03; fresh
# crops of the training paintings (a copier) KID 1.41, copied share 0.35, exact training crops
# copied share 1.00; a collapsed generator recall 0.00; grey noise KID 1.08, recall 0.00; the
# classroom runs KID 0.23 (0.30 without augmentation), recall 0.21 (0.41), copied share 0.26 (0.18).
KID_MAX = 0.5
RECALL_MIN = 0.1
COPIED_MAX = 0.3  # share of generated pictures nearer a training crop than 95 % of held-out ones


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


def nearest(generated, crops):
    """``(indices, distances)``: each generated picture's nearest crop in feature space
    (pictures in [0, 1], or feature arrays (n, d) as :func:`features` gives)."""
    a, b = _as_features(generated), _as_features(crops)
    d = _distances(a, b)
    index = d.argmin(axis=1)
    return index, d[np.arange(len(a)), index]


def _as_features(x):
    x = np.asarray(x)
    return x.astype(np.float64) if x.ndim == 2 else features(x)


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


def memorisation(generated, held_out, training):
    """Nearest-training-crop distances of generated and held-out pictures (feature arrays): the
    ratio of their medians and the share of generated ones nearer than the held-out 5th
    percentile."""
    _, gen = nearest(generated, training)
    _, ref = nearest(held_out, training)
    return {"nearest_train_ratio": float(np.median(gen) / max(np.median(ref), 1e-12)),
            "copied_share": float(np.mean(gen < np.percentile(ref, 5)))}


def quality(generated, held_out, other_held_out, training):
    """The bar's numbers from pictures in [0, 1]: ``generated``; two samples of held-out crops
    (the second is the reference set: its own KID to the first tells how close "close" is) and
    crops of the training pictures."""
    g, h, h2, t = (features(x) for x in (generated, held_out, other_held_out, training))
    precision, recall = precision_recall(h, g)
    collapsed = np.repeat(g[:1], len(g), axis=0)
    return {
        "kid": kid(g, h), "kid_real": kid(h2, h),
        "precision": precision, "recall": recall,
        "recall_collapsed": precision_recall(h, collapsed)[1],
        **memorisation(g, h2, t), "samples": len(g),
    }


def reference_crops(model, dataset, n):
    """``(held-out, other held-out, training)`` crops of ``dataset``, each (n, 64, 64, 3) in
    [0, 1], cut as the model's training crops are."""
    from gan_course.art import domains, patches

    size = model.image_shape[0]
    scale = getattr(model, "crop_scale", patches.SCALE)
    split = "test" if domains.has_held_out(dataset) else "train"
    held = patches.domain_images(dataset, size, split)
    train = patches.domain_images(dataset, size, "train")
    return (patches.sample_patches(held, n, size, 2025, scale),
            patches.sample_patches(held, n, size, 2026, scale),
            patches.sample_patches(train, n, size, 2027, scale))


def evaluate(model, dataset, n):
    """Quality of an art GAN's ``n`` samples against crops of ``dataset``: see the docstring."""
    from gan_course.art import domains

    held, other, train = reference_crops(model, dataset, n)
    split = "test" if domains.has_held_out(dataset) else "train"
    return {**quality(model.generate(n, seed=2024), held, other, train),
            "reference": f"{dataset} ({split})"}


def bar(q):
    """Lesson 08's bar: close to the school, varied, not copied."""
    return {
        f"KID to held-out crops < {KID_MAX}": q["kid"] < KID_MAX,
        f"recall >= {RECALL_MIN} and above a collapsed generator's":
            q["recall"] >= max(RECALL_MIN, q["recall_collapsed"] + 0.05),
        f"not copied: share nearer a training crop than 95 % of held-out crops <= "
        f"{COPIED_MAX:.0%}": q["copied_share"] <= COPIED_MAX,
    }
