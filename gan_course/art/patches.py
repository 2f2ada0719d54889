"""Patch domains: endless random crops of a few big pictures, for image-to-image training.

A painter's domain holds eight or so paintings, not thousands. A CycleGAN learns
textures and colours, which every part of a picture carries, so each domain becomes an endless
stream of **patches**: random crops at a random scale (a tenth of a picture's shorter side up to
all of it), random position and random mirror image, resized to the training size. Each patch is
a pure function of ``(seed, index)``, so a resumed run sees exactly the patches an unbroken one
would have.

A domain is named as :mod:`gan_course.art.domains` names sets (``art/photos``,
``art/paintings/van_gogh``, ``folder:PATH``, ...); training reads its ``"train"`` pictures,
never the held-out ones.

Two domains are written ``A:B``, e.g. ``art/photos:art/paintings/van_gogh_starry_night_1889``.
"""

import functools
import math
from pathlib import Path

import numpy as np

from gan_course import art
from gan_course.art.domains import DomainError, domain_files

READ_SIDE = 512  # pictures are read at 512 pixels on their longer side (the shipped size)
SCALE = (0.1, 1.0)  # a crop's side, as a share of the picture's shorter side
PAIR_EXAMPLE = "art/photos:art/paintings/morisot"  # the painter that measures best
__all__ = ["DomainError", "domain_files"]  # re-exported: patch code names domains through here


def split_pair(spec):
    """``"A:B"`` -> ``("A", "B")``; ``folder:PATH`` keeps its colon (and a drive letter's)."""
    if not isinstance(spec, str):
        raise DomainError(f"Two domains are written as one string A:B, e.g. {PAIR_EXAMPLE!r}; "
                          f"got {type(spec).__name__}.")
    parts, domains, i = spec.split(":"), [], 0
    while i < len(parts):
        part, i = parts[i], i + 1
        if part == "folder" and i < len(parts):
            path, i = parts[i], i + 1
            if len(path) == 1 and path.isalpha() and i < len(parts) and parts[i][:1] in "\\/":
                path, i = f"{path}:{parts[i]}", i + 1  # folder:C:\photos
            part = f"folder:{path}"
        domains.append(part.strip())
    if len(domains) != 2 or not all(domains):
        raise DomainError(
            f"{spec!r} is not two domains. Write them as A:B with a colon between, e.g. "
            f"{PAIR_EXAMPLE!r}, 'art/photos:art/paintings/van_gogh' or "
            f"'folder:PATH:art/paintings'.")
    return tuple(domains)


def domain_images(domain, min_side=1, split="train"):
    """The pictures of a domain's ``split`` as uint8 arrays (H, W, 3), at most
    :data:`READ_SIDE` pixels on their longer side; a DomainError names any picture shorter than
    ``min_side``."""
    images = []
    for path in domain_files(domain, split):
        image = _read(Path(path).resolve(), Path(path).stat().st_mtime_ns)
        h, w = image.shape[:2]
        if min(h, w) < min_side:
            raise DomainError(f"{path} is {w} x {h} pixels, smaller than the {min_side} x "
                              f"{min_side} patches this profile trains on. Use images at least "
                              f"{min_side} pixels on their shorter side.")
        images.append(image)
    return images


@functools.lru_cache(maxsize=64)
def _read(path, modified):
    """A picture as uint8, read once per file version (full-size originals decode slowly)."""
    image = np.round(art.read_image(path, max_side=READ_SIDE) * 255).astype(np.uint8)
    image.flags.writeable = False
    return image


def pair_images(spec, min_side=1):
    """The pictures of both domains of ``"A:B"``; an error when they share a picture."""
    first, second = split_pair(spec)
    files = [{Path(p).resolve() for p in domain_files(d)} for d in (first, second)]
    shared = files[0] & files[1]
    if shared:
        same = "are the same" if files[0] == files[1] else f"share {len(shared)} image(s)"
        raise DomainError(f"The two domains {first!r} and {second!r} {same} (e.g. "
                          f"{sorted(shared)[0].name}). A CycleGAN learns to turn one kind of "
                          f"picture into another: give it two different sets.")
    return domain_images(first, min_side), domain_images(second, min_side)


# --- the tf.data pipeline ------------------------------------------------------------------------

def _stacked(images):
    """Pictures of different sizes in one zero-padded uint8 tensor, with their sizes."""
    import tensorflow as tf

    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    stack = np.zeros((len(images), h, w, 3), np.uint8)
    for k, image in enumerate(images):
        stack[k, :image.shape[0], :image.shape[1]] = image
    sizes = np.array([i.shape[:2] for i in images], np.int32)
    return tf.constant(stack), tf.constant(sizes)


def patch_function(images, size, seed=0, scale=SCALE):
    """``patch(index)``: patch number ``index`` of the pictures, float32 (size, size, 3) in
    [-1, 1]; random picture, scale (uniform in log size), position and mirror image."""
    import tensorflow as tf

    if not images:
        raise DomainError("A domain needs at least one picture.")
    low, high = float(scale[0]), float(scale[1])
    if not 0 < low <= high <= 1:
        raise DomainError(f"scale must be two shares 0 < low <= high <= 1, got {scale}")
    too_small = [i.shape[:2] for i in images if min(i.shape[:2]) < size]
    if too_small:
        raise DomainError(f"a picture of {too_small[0][1]} x {too_small[0][0]} pixels is smaller "
                          f"than the {size} x {size} patches")
    stack, sizes = _stacked(images)
    count = len(images)
    seed = tf.constant(int(seed), tf.int64)

    def patch(index):
        u = tf.random.stateless_uniform([5], seed=tf.stack([seed, tf.cast(index, tf.int64)]))
        k = tf.minimum(tf.cast(u[0] * count, tf.int32), count - 1)
        h, w = sizes[k, 0], sizes[k, 1]
        short = tf.cast(tf.minimum(h, w), tf.float32)
        smallest = tf.maximum(float(size), low * short)
        largest = tf.maximum(smallest, high * short)
        side = tf.exp(tf.math.log(smallest) + u[1] * (tf.math.log(largest) - tf.math.log(smallest)))
        side = tf.clip_by_value(tf.cast(tf.round(side), tf.int32), size, tf.minimum(h, w))
        top = tf.cast(u[2] * tf.cast(h - side + 1, tf.float32), tf.int32)
        left = tf.cast(u[3] * tf.cast(w - side + 1, tf.float32), tf.int32)
        crop = tf.cast(stack[k, top:top + side, left:left + side], tf.float32)
        crop = tf.image.resize(crop, [size, size], method="area", antialias=True)
        crop = tf.cond(u[4] < 0.5, lambda: tf.reverse(crop, [1]), lambda: crop)
        return tf.clip_by_value(crop / 127.5 - 1.0, -1.0, 1.0)

    return patch


def patch_stream(images, size, batch_size, seed=0, start_step=0, scale=SCALE):
    """Endless batches (batch_size, size, size, 3) of patches in [-1, 1]; batch ``s`` is a pure
    function of ``(seed, s)``, so a stream started at ``start_step`` resumes an earlier one."""
    import tensorflow as tf

    patch = patch_function(images, size, seed, scale)
    first = int(start_step) * int(batch_size)
    return (tf.data.Dataset.range(first, 2**62).map(patch)
            .batch(batch_size, drop_remainder=True))


def pair_stream(spec, size, batch_size, seed=0, start_step=0, scale=SCALE):
    """Batches ``(patches of A, patches of B)`` of the two domains of ``"A:B"``."""
    import tensorflow as tf

    from gan_course.data import lean

    first, second = pair_images(spec, min_side=size)
    streams = [patch_stream(images, size, batch_size, 2 * seed + k, start_step, scale)
               for k, images in enumerate((first, second))]
    return lean(tf.data.Dataset.zip(tuple(streams)))


def sample_patches(images, n, size, seed=0, scale=SCALE):
    """``n`` patches of ``images`` (uint8 or float [0, 1] arrays), float32 (n, size, size, 3) in
    [0, 1]; the same crops as training draws, reproducible from ``seed``."""
    import tensorflow as tf

    as_uint8 = [i if i.dtype == np.uint8 else np.round(np.clip(i, 0, 1) * 255).astype(np.uint8)
                for i in images]
    patch = patch_function(as_uint8, size, seed, scale)
    batch = tf.data.Dataset.range(n).map(patch).batch(max(1, n))
    out = next(iter(batch)).numpy() if n else np.zeros((0, size, size, 3), np.float32)
    return (out + 1.0) / 2.0


def multiple_of(n, factor):
    """The smallest multiple of ``factor`` that is at least ``n``."""
    return int(math.ceil(n / factor) * factor)
