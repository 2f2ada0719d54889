import numpy as np
import pytest

from gan_course import data
from tests.conftest import needs_mnist


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="Valid names: .*mnist.*toy_8gaussians"):
        data.load_dataset("mnits")


def test_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def offline(name, target):
        raise OSError("network unreachable")

    monkeypatch.setattr(data, "_download", offline)
    with pytest.raises(data.DatasetNotFoundError) as err:
        data.load_dataset("fashion_mnist")
    message = str(err.value)
    assert "fashion_mnist.npz" in message and str(tmp_path / "data") in message
    assert "GAN_COURSE_DATA" in message and "network unreachable" in message


def test_corrupt_file_is_reported(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    with pytest.raises(data.DatasetNotFoundError, match="not a readable"):
        data.load_arrays("mnist")


def test_keras_cache_is_second_choice(tmp_path, monkeypatch):
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    x = np.zeros((4, 28, 28), np.uint8)
    y = np.arange(4, dtype=np.uint8)
    np.savez(cache / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    images, labels = data.load_arrays("mnist", "test")
    assert images.shape == (4, 28, 28, 1) and images.min() == -1.0
    assert labels.tolist() == [0, 1, 2, 3]


@needs_mnist
def test_mnist_batches_are_scaled_and_shaped():
    ds = data.load_dataset("mnist", split="test", batch_size=32, labels=True)
    images, labels = next(iter(ds))
    assert images.shape == (32, 28, 28, 1) and images.dtype.name == "float32"
    assert float(images.numpy().min()) >= -1.0 and float(images.numpy().max()) <= 1.0
    assert labels.shape == (32,)


def test_eight_gaussians_follow_the_course_definition():
    centres = data.toy_centres("toy_8gaussians")
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0)
    assert np.allclose(centres[0], [2.0, 0.0])
    pts = data.toy_points("toy_8gaussians", 8000, seed=0)
    dist = np.linalg.norm(pts[:, None] - centres[None], axis=-1)
    assert dist.min(axis=1).max() < 0.02 * 6
    assert np.bincount(dist.argmin(axis=1), minlength=8).min() > 800
    assert np.std(pts - centres[dist.argmin(axis=1)]) == pytest.approx(0.02, rel=0.05)


def test_other_toy_sets():
    grid = data.toy_points("toy_25gaussians", 1000, seed=0)
    assert grid.shape == (1000, 2) and np.abs(grid).max() < 4.5
    roll = data.toy_points("toy_swissroll", 1000, seed=0)
    assert roll.shape == (1000, 2) and np.abs(roll).max() < 2.5


def test_training_stream_is_a_pure_function_of_the_step():
    images = np.arange(10 * 2 * 2, dtype=np.uint8).reshape(10, 2, 2, 1)
    full = [b.numpy() for b in data.training_stream(images, 4, seed=3, steps=6)]
    resumed = [b.numpy() for b in data.training_stream(images, 4, seed=3, start_step=3, steps=3)]
    for a, b in zip(full[3:], resumed):
        np.testing.assert_array_equal(a, b)
    # Every pass is a permutation: 10 images in 5 batches of 4 = two full passes.
    firsts = np.concatenate([b[:, 0, 0, 0] for b in full[:5]])
    raw = (np.arange(10) * 4).astype(np.float32) / 127.5 - 1.0
    assert sorted(np.round(firsts[:10], 4)) == sorted(np.round(raw, 4))
    assert sorted(np.round(firsts[10:], 4)) == sorted(np.round(raw, 4))
    assert not np.array_equal(firsts[:10], firsts[10:])  # each pass reshuffles


def test_training_stream_needs_a_full_batch():
    with pytest.raises(ValueError, match="fewer than one batch"):
        data.training_stream(np.zeros((3, 2, 2, 1), np.uint8), 4)


@pytest.mark.parametrize("make", [
    lambda: data.training_stream(np.zeros((8, 2, 2, 1), np.uint8), 4, steps=2),
    lambda: data.load_dataset("toy_8gaussians", batch_size=4),
])
def test_input_pipelines_leave_the_cores_to_training(make):
    """The autotuner's threads slowed 2-core training 1.8x; the course's pipelines switch it off."""
    assert make().options().autotune.enabled is False
