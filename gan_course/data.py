"""Datasets for the course: MNIST, Fashion-MNIST, 2-D toy sets and art/photo image folders.

Image datasets come as float32 (N, H, W, C) scaled to [-1, 1], the range of a tanh generator.
Files are looked for in ``$GAN_COURSE_DATA``, then in Keras' cache ``~/.keras/datasets``, and
are downloaded through Keras only when neither has them.
"""

import dataclasses
import math
import os
from pathlib import Path

import numpy as np

IMAGE_SETS = {
    "mnist": dict(file="mnist.npz", classes=10, names=[str(i) for i in range(10)]),
    "fashion_mnist": dict(
        file="fashion_mnist.npz",
        classes=10,
        names=["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"],
    ),
}
TOY_SETS = ("toy_8gaussians", "toy_25gaussians", "toy_swissroll")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing and could not be downloaded."""


def dataset_names():
    """Every name ``load_dataset`` accepts (art folders are listed as ``art/<folder>``; any
    folder of images is ``folder:PATH``)."""
    names = list(IMAGE_SETS) + list(TOY_SETS)
    for source in IMAGE_SOURCES.values():
        names += source.names()
    return list(dict.fromkeys(names))


def data_root():
    """The folder named by ``$GAN_COURSE_DATA``, or None when it is unset."""
    root = os.environ.get("GAN_COURSE_DATA")
    return Path(root).expanduser() if root else None


def keras_cache():
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def _check_name(name):
    if name in IMAGE_SETS or name in TOY_SETS or _image_source(name):
        return
    raise ValueError(f"Unknown dataset {name!r}. Valid names: {', '.join(dataset_names())}")


def _download(name, target):
    """Fetch a dataset through keras.datasets and store it as a Keras-format npz at ``target``."""
    import keras

    loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def find_file(name):
    """Path of the npz file for an image dataset; downloads it as a last resort."""
    filename = IMAGE_SETS[name]["file"]
    candidates = [root / filename for root in (data_root(), keras_cache()) if root]
    for path in candidates:
        if path.is_file():
            return path
    target = keras_cache() / filename
    try:
        _download(name, target)
    except Exception as err:  # offline, proxy, disk full: all end in the same advice
        where = "\n".join(f"  - {p}" for p in candidates)
        raise DatasetNotFoundError(
            f"Dataset {name!r} not found: no {filename} in\n{where}\n"
            f"and the download failed ({type(err).__name__}: {err}).\n"
            f"Put {filename} (Keras' format: x_train, y_train, x_test, y_test) in one of those "
            f"folders, or point GAN_COURSE_DATA at the folder that holds it."
        ) from None
    return target


def load_arrays(name, split="train"):
    """(images, labels) as numpy: images float32 (N, H, W, C) in [-1, 1], labels int32 or None."""
    _check_name(name)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if name in TOY_SETS:
        n = 100_000 if split == "train" else 10_000
        return toy_points(name, n, seed=0 if split == "train" else 1), None
    source = _image_source(name)
    if source:
        return source.load(name, split) * 2.0 - 1.0, None
    images, labels = load_uint8(name, split)
    return to_unit_range(images), labels.astype(np.int32)


def load_uint8(name, split="train"):
    """Raw uint8 images (N, H, W, C) and labels of an image dataset, exactly as stored."""
    path = find_file(name)
    try:
        with np.load(path) as f:
            images, labels = f[f"x_{split}"], f[f"y_{split}"]
    except (KeyError, OSError, ValueError) as err:
        raise DatasetNotFoundError(
            f"{path} is not a readable Keras-format dataset ({err}); expected arrays "
            f"x_train, y_train, x_test, y_test. Replace the file with a good copy."
        ) from None
    if images.ndim == 3:
        images = images[..., None]
    return images, labels


def to_unit_range(images_uint8):
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return images_uint8.astype(np.float32) / 127.5 - 1.0


def load_dataset(name, split="train", batch_size=128, labels=False, shuffle=True, seed=0):
    """A shuffled, batched, prefetched ``tf.data.Dataset`` of a course dataset.

    Images are float32 in [-1, 1]; with ``labels=True`` elements are ``(images, labels)``.
    The 2-D toy sets yield float32 points of shape (batch, 2).
    """
    import tensorflow as tf

    x, y = load_arrays(name, split)
    if labels and y is None:
        raise ValueError(f"Dataset {name!r} has no labels")
    ds = tf.data.Dataset.from_tensor_slices((x, y) if labels else x)
    if shuffle:
        ds = ds.shuffle(min(len(x), 60_000), seed=seed, reshuffle_each_iteration=True)
    return lean(ds.batch(batch_size))


def training_stream(images, batch_size, seed=0, start_step=0, steps=None, labels=None):
    """An endless (or ``steps``-long) stream of shuffled batches that can resume at any step.

    Batch ``s`` is a pure function of ``(seed, s)``: each pass over the data is a stateless
    permutation, so training resumed from a checkpoint at step ``s`` sees exactly the batches an
    uninterrupted run would have seen. Images may be uint8 (scaled here) or float32 in [-1, 1].
    """
    import tensorflow as tf

    n = len(images)
    if n < batch_size:
        raise ValueError(f"Dataset has {n} examples, fewer than one batch of {batch_size}")
    images = tf.constant(images)
    labels = None if labels is None else tf.constant(labels, tf.int32)

    seed64, last = tf.constant(seed, tf.int64), tf.fill([batch_size], tf.constant(n - 1, tf.int64))

    def batch_at(step):
        index = step * batch_size + tf.range(batch_size, dtype=tf.int64)
        epoch, pos = index // n, index % n
        # A batch spans at most two passes; shuffle each position with its own pass's seed.
        first = epoch[0]
        in_first = tf.random.experimental.index_shuffle(pos, tf.stack([seed64, first]), last)
        in_next = tf.random.experimental.index_shuffle(pos, tf.stack([seed64, first + 1]), last)
        order = tf.where(epoch == first, in_first, in_next)
        x = tf.gather(images, order)
        if x.dtype == tf.uint8:
            x = tf.cast(x, tf.float32) / 127.5 - 1.0
        return x if labels is None else (x, tf.gather(labels, order))

    end = None if steps is None else start_step + steps
    steps_ds = tf.data.Dataset.range(start_step, end if end is not None else 2**62)
    return lean(steps_ds.map(batch_at))


def lean(dataset, buffer=2):
    """Prefetch a few batches without tf.data's autotuner.

    Batches here cost a fraction of a millisecond. On a 2-core laptop the autotuner's extra
    threads and growing buffers compete with training for the cores: over 2,000 steps the
    classroom MLP GAN measured 49 steps/s with it and 86 without (benchmarks/throughput.py),
    and a 1,000-step DCGAN fit 24 and 44.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(buffer).with_options(options)


# --- 2-D toy sets (Gulrajani et al. 2017) -------------------------------------------------------

def toy_centres(name):
    """The mode centres of a Gaussian-mixture toy set, shape (K, 2)."""
    if name == "toy_8gaussians":
        angles = np.arange(8) * (2 * math.pi / 8)
        return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    if name == "toy_25gaussians":
        grid = np.arange(-2, 3, dtype=np.float32) * 2.0
        return np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    raise ValueError(f"{name!r} is not a Gaussian-mixture toy set")


TOY_STD = {"toy_8gaussians": 0.02, "toy_25gaussians": 0.05}


def toy_points(name, n, seed=0):
    """``n`` float32 points from a 2-D toy distribution.

    - ``toy_8gaussians``: 8 centres evenly spaced on a circle of radius 2, one at (2, 0), std 0.02.
    - ``toy_25gaussians``: a 5x5 grid of centres at -4, -2, 0, 2, 4, std 0.05.
    - ``toy_swissroll``: the 2-D swiss roll, noise 0.25, divided by 7.5.
    """
    _check_name(name)
    rng = np.random.default_rng(seed)
    if name == "toy_swissroll":
        t = 1.5 * math.pi * (1 + 2 * rng.random(n))
        pts = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) + 0.25 * rng.standard_normal((n, 2))
        return (pts / 7.5).astype(np.float32)
    centres = toy_centres(name)
    which = rng.integers(len(centres), size=n)
    return (centres[which] + TOY_STD[name] * rng.standard_normal((n, 2))).astype(np.float32)


# --- sets of image files -------------------------------------------------------------------------
# The art room (gan_course.art) reads picture files; it registers itself here when the package
# is imported, so that ``load_dataset("art/photos")`` works while this module stays below it.

@dataclasses.dataclass(frozen=True)
class ImageSource:
    """A family of datasets read from image files, named by a prefix (``"art/"``, ``"folder:"``).

    ``load(name, split)`` gives float32 (N, H, W, 3) in [0, 1] (``split``: "train" without the
    held-out pictures, "test" them alone); ``names()`` the names worth listing.
    """

    prefix: str
    load: callable
    names: callable = list


IMAGE_SOURCES = {}  # prefix -> ImageSource


def register_image_source(source):
    IMAGE_SOURCES[source.prefix] = source


def _image_source(name):
    return next((s for p, s in IMAGE_SOURCES.items() if name.startswith(p)), None)
