"""Sample quality: the course classifier, its confidence and class coverage, FID, and the mode
coverage of samples from the 2-D toy sets.

The course trains its own small classifier for each labelled dataset
(``python -m gan_course.metrics train-classifier mnist``) and ships the weights in
``gan_course/assets``. Its penultimate layer (64 features) is the feature space of the course's
Frechet distance, so FID numbers here compare runs of this course, not papers.
"""

import functools
import sys
from pathlib import Path

import numpy as np

from gan_course import config

ASSETS = Path(__file__).parent / "assets"
CONFIDENT = 0.9


def classifier_path(dataset):
    return ASSETS / f"{dataset}_classifier.weights.h5"


def build_classifier(image_shape=(28, 28, 1), classes=10):
    """A small CNN: two conv + max-pool stages, a strided conv, a 64-unit feature layer, softmax."""
    import keras
    from keras import layers

    x = keras.Input(image_shape)
    h = layers.Rescaling(2.0, offset=-1.0)(x)  # [0, 1] images in, [-1, 1] inside
    for filters in (32, 64):
        h = layers.Conv2D(filters, 3, padding="same", activation="relu")(h)
        h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    features = layers.Dense(64, activation="relu", name="features")(h)
    probs = layers.Dense(classes, activation="softmax", name="probs")(features)
    return keras.Model(x, [features, probs], name="course_classifier")


@functools.cache
def classifier(dataset="mnist"):
    """The course's trained classifier for ``dataset``; maps [0, 1] images to (features, probs)."""
    path = classifier_path(dataset)
    if not path.is_file():
        raise FileNotFoundError(
            f"No course classifier for {dataset!r} at {path}; train it with "
            f"`python -m gan_course.metrics train-classifier {dataset}`"
        )
    # Always float32: under a mixed-precision policy FID would otherwise change with the device.
    with config.precision_policy("float32"):
        model = build_classifier()
    model.load_weights(path)
    return model


def _check_unit_images(images):
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise ValueError(f"Expected images of shape (N, 28, 28, 1), got {images.shape}")
    if images.size and (images.min() < -1e-3 or images.max() > 1 + 1e-3):
        raise ValueError(
            f"Expected images in [0, 1], got values in [{images.min():.3g}, {images.max():.3g}]"
        )
    return images


def features_and_probs(images, dataset="mnist", batch_size=500):
    images = _check_unit_images(images)
    model = classifier(dataset)
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        f, p = model.predict_on_batch(images[i:i + batch_size])
        feats.append(np.asarray(f, np.float64))
        probs.append(np.asarray(p, np.float64))
    return np.concatenate(feats), np.concatenate(probs)


def confidence_report(probs, threshold=CONFIDENT):
    """Share of samples classified with confidence >= threshold, and each class's share."""
    probs = np.asarray(probs)
    predicted = probs.argmax(axis=1)
    shares = np.bincount(predicted, minlength=probs.shape[1]) / len(probs)
    return {
        "confident": float((probs.max(axis=1) >= threshold).mean()),
        "class_shares": [round(float(s), 4) for s in shares],
        "min_class_share": float(shares.min()),
    }


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) between two Gaussians.

    Tr((S1 S2)^(1/2)) is the sum of the square roots of the eigenvalues of S1 S2, which are real
    and non-negative for covariance matrices; this avoids a matrix square root that fails on
    singular covariances.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"Mismatched shapes: mu {mu1.shape} vs {mu2.shape}, "
                         f"sigma {sigma1.shape} vs {sigma2.shape}")
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).real
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)


def feature_stats(features):
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


@functools.cache
def reference_stats(dataset="mnist", n=10000):
    """Mean and covariance of the classifier features of the dataset's test split."""
    from gan_course import data

    images, _ = data.load_uint8(dataset, "test")
    feats, _ = features_and_probs(images[:n].astype(np.float32) / 255.0, dataset)
    return feature_stats(feats)


def fid(run_or_images, dataset="mnist", n=2000, seed=123):
    """Frechet distance between generated images and the test split, in course-classifier features.

    ``run_or_images`` is a run or model with ``generate(n, seed)``, or images in [0, 1].
    """
    images = run_or_images.generate(n, seed=seed) if hasattr(run_or_images, "generate") else run_or_images
    feats, _ = features_and_probs(images, dataset)
    return frechet_distance(*feature_stats(feats), *reference_stats(dataset))


def evaluate(images, dataset="mnist"):
    """Every quality number for a batch of images in [0, 1]: FID, confidence, class coverage."""
    feats, probs = features_and_probs(images, dataset)
    report = confidence_report(probs)
    report["fid"] = frechet_distance(*feature_stats(feats), *reference_stats(dataset))
    report["samples"] = len(images)
    return report


def mode_coverage(points, centres, std, min_share=0.05, within=4.0):
    """How a 2-D sample covers a Gaussian mixture's modes.

    Each sample is assigned to its nearest centre; a mode counts as covered when it holds at least
    ``min_share`` of the samples. ``high_quality`` is the share of samples within ``within``
    standard deviations of their centre (Gulrajani et al. 2017 call these high-quality samples).
    """
    points = np.asarray(points, np.float64)
    centres = np.asarray(centres, np.float64)
    if points.ndim != 2 or points.shape[1] != centres.shape[1] or not len(points):
        raise ValueError(f"Expected points of shape (N, {centres.shape[1]}) with N > 0, "
                         f"got {points.shape}")
    distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    shares = np.bincount(nearest, minlength=len(centres)) / len(points)
    return {
        "modes_covered": int((shares >= min_share).sum()),
        "modes": len(centres),
        "high_quality": float((distances.min(axis=1) <= within * std).mean()),
        "mode_shares": [round(float(s), 4) for s in shares],
        "samples": len(points),
    }


def manifold_coverage(points, reference, radius):
    """How a 2-D sample matches a set without modes (the swiss roll): ``near_data``, the share of
    samples within ``radius`` of some reference point, and ``data_covered``, the share of
    reference points within ``radius`` of some sample (a sample that misses part of the set
    scores low on the second)."""
    points = np.asarray(points, np.float64)
    reference = np.asarray(reference, np.float64)

    def nearest(a, b):
        return np.concatenate([np.linalg.norm(a[i:i + 1000, None] - b[None], axis=-1).min(axis=1)
                               for i in range(0, len(a), 1000)])

    return {"near_data": float((nearest(points, reference) <= radius).mean()),
            "data_covered": float((nearest(reference, points) <= radius).mean()),
            "samples": len(points)}


def evaluate_points(points, dataset):
    """The quality numbers of samples from a 2-D toy set: mode coverage for the Gaussian
    mixtures, nearness and coverage for the swiss roll."""
    from gan_course import data

    if dataset in data.TOY_STD:
        return mode_coverage(points, data.toy_centres(dataset), data.TOY_STD[dataset])
    reference = data.toy_points(dataset, 2000, seed=1)
    return manifold_coverage(points, reference, SWISSROLL_RADIUS)


SWISSROLL_RADIUS = 0.1  # about 3 std of the swiss roll's noise (0.25 / 7.5)


def label_agreement(images, labels, dataset="mnist"):
    """How often the course classifier names the class a conditional generator was asked for.

    ``images`` in [0, 1] and the ``labels`` they were generated with; returns the overall share
    of agreement, the share per class (``None`` for a class never asked for) and the lowest."""
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"Expected one label per image: {len(images)} images, labels of shape "
                         f"{labels.shape}")
    _, probs = features_and_probs(images, dataset)
    agrees = probs.argmax(axis=1) == labels
    per_class = [round(float(agrees[labels == c].mean()), 4) if (labels == c).any() else None
                 for c in range(probs.shape[1])]
    asked = [a for a in per_class if a is not None]
    return {"label_agreement": float(agrees.mean()), "agreement_per_class": per_class,
            "min_class_agreement": float(min(asked)) if asked else float("nan")}


@functools.cache
def real_accuracy_per_class(dataset="mnist"):
    """The course classifier's accuracy on each class of the real test images (what a
    conditional generator's label agreement can be compared with)."""
    from gan_course import data

    images, labels = data.load_uint8(dataset, "test")
    report = label_agreement(images.astype(np.float32) / 255.0, labels.astype(np.int64), dataset)
    return tuple(report["agreement_per_class"])


def train_classifier(dataset="mnist", epochs=4, seed=0):
    """Train the course classifier on ``dataset`` and save its weights as a package asset."""
    import keras

    from gan_course import config, data

    config.seed_everything(seed)
    x, y = data.load_uint8(dataset, "train")
    y = y.astype(np.int32)
    xt, yt = data.load_uint8(dataset, "test")
    yt = yt.astype(np.int32)
    x, xt = x.astype(np.float32) / 255.0, xt.astype(np.float32) / 255.0
    model = build_classifier()
    trainer = keras.Model(model.input, model.outputs[1])
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    trainer.fit(x, y, batch_size=128, epochs=epochs, validation_data=(xt, yt), verbose=2)
    _, accuracy = trainer.evaluate(xt, yt, verbose=0)
    ASSETS.mkdir(exist_ok=True)
    model.save_weights(classifier_path(dataset))
    print(f"{dataset}: test accuracy {accuracy:.4f}; saved {classifier_path(dataset)}")
    return accuracy


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "train-classifier":
        train_classifier(sys.argv[2])
    else:
        print("usage: python -m gan_course.metrics train-classifier DATASET")
