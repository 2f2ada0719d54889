import numpy as np
import pytest
from scipy import linalg

from gan_course import data, metrics
from tests.conftest import needs_mnist


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert metrics.frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected)
    assert metrics.frechet_distance(mu1, np.diag(v1), mu1, np.diag(v1)) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_frechet_distance_matches_scipy_sqrtm(seed):
    rng = np.random.default_rng(seed)
    d = 12
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    s1, s2 = a @ a.T + 0.1 * np.eye(d), b @ b.T + 0.1 * np.eye(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    reference = (np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2)
                 - 2 * np.trace(linalg.sqrtm(s1 @ s2).real))
    assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(reference, rel=1e-8)


def test_frechet_distance_survives_singular_covariances():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 20))  # 5 samples in 20 dimensions: rank-deficient covariance
    mu, sigma = metrics.feature_stats(x)
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="Mismatched shapes"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_confidence_report():
    probs = np.array([[0.95, 0.05], [0.2, 0.8], [0.01, 0.99], [0.6, 0.4]])
    report = metrics.confidence_report(probs)
    assert report["confident"] == 0.5
    assert report["class_shares"] == [0.5, 0.5] and report["min_class_share"] == 0.5


def test_classifier_checks_its_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.features_and_probs(np.full((2, 28, 28, 1), -1.0, "f4"))
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        metrics.features_and_probs(np.zeros((2, 32, 32, 3), "f4"))


@needs_mnist
def test_course_classifier_on_real_digits():
    """The shipped classifier is accurate and confident on real test digits: the bars mean something."""
    from gan_course import data

    images, labels = data.load_uint8("mnist", "test")
    report_images = images[:2000].astype("f4") / 255.0
    _, probs = metrics.features_and_probs(report_images)
    assert (probs.argmax(1) == labels[:2000]).mean() > 0.98
    report = metrics.evaluate(report_images)
    assert report["confident"] > 0.95 and report["min_class_share"] > 0.07
    assert report["fid"] < 5.0  # 2000 test digits against all 10000: only sampling noise
    noise = np.random.default_rng(0).uniform(0, 1, (500, 28, 28, 1)).astype("f4")
    assert metrics.fid(noise) > 20 * report["fid"]


def test_classifier_stays_float32_under_mixed_precision():
    import keras

    metrics.classifier.cache_clear()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = metrics.classifier("mnist")
    finally:
        keras.mixed_precision.set_global_policy("float32")
        metrics.classifier.cache_clear()
    assert all(layer.dtype_policy.compute_dtype == "float32" for layer in model.layers)


@needs_mnist
def test_label_agreement_counts_per_requested_class():
    images, labels = data.load_uint8("mnist", "test")
    images, labels = images[:300] / 255.0, labels[:300].astype(int)
    report = metrics.label_agreement(images, labels)
    assert report["label_agreement"] > 0.95 and len(report["agreement_per_class"]) == 10
    assert report["min_class_agreement"] == min(report["agreement_per_class"])
    wrong = metrics.label_agreement(images, (labels + 1) % 10)
    assert wrong["label_agreement"] < 0.05
    only_sevens = metrics.label_agreement(images[labels == 7], labels[labels == 7])
    assert only_sevens["agreement_per_class"][7] > 0.9
    assert only_sevens["agreement_per_class"][:7] == [None] * 7
    with pytest.raises(ValueError, match="one label per image: 300 images"):
        metrics.label_agreement(images, labels[:10])
    real = metrics.real_accuracy_per_class("mnist")
    assert len(real) == 10 and min(real) > 0.95
