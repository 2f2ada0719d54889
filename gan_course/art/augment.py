"""Differentiable augmentation (Zhao et al. 2020, DiffAugment) for GANs trained on a few pictures.

With ten paintings the discriminator soon knows every training crop by heart and its verdicts
stop teaching the generator anything. Augmenting what it sees (colour changes, shifts, holes)
gives it far more to learn from. Two rules make this work:

- real AND generated images are augmented alike, in the discriminator's step and in the
  generator's: if only the reals were, the discriminator would learn that shifted, holed pictures
  are real, and the generator would be rewarded for making them (the augmentation *leaks* into
  what it generates);
- every operation is differentiable, so the generator's gradient passes through it.

Each operation draws per image from a stateless seed: the same seed gives the same augmentation.
"""

import tensorflow as tf

POLICY = ("colour", "translation", "cutout")
TRANSLATION = 1 / 8  # the largest shift, as a share of the side (the paper's)
CUTOUT = 1 / 2  # the hole's side, as a share of the image's side (the paper's)


def _seeds(seed, count):
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    if seed.shape.rank == 0:
        seed = tf.stack([seed, tf.constant(0, tf.int64)])
    return tf.unstack(tf.random.experimental.stateless_split(seed, count))


def _per_row(draw, n, rows):
    """``draw(count)`` for the ``n`` images, or for ``rows`` (their indices in a larger batch of
    ``rows[1]`` images: what one device draws for the whole batch, these rows of it)."""
    if rows is None:
        return draw(n)
    index, total = rows
    return tf.gather(draw(total), index)


def colour(images, seed, rows=None):
    """Per image: brightness plus [-0.5, 0.5], saturation times [0, 2], contrast times
    [0.5, 1.5] (the paper's ranges, on [-1, 1] images)."""
    n = tf.shape(images)[0]
    dtype = images.dtype
    b, s, c = (tf.cast(_per_row(lambda m, k=k: tf.random.stateless_uniform([m, 1, 1, 1], seed=k),
                                n, rows), dtype) for k in _seeds(seed, 3))
    x = images + (b - 0.5)
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    x = (x - mean) * (s * 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (c + 0.5) + mean


def translation(images, seed, rows=None, ratio=TRANSLATION):
    """Per image, a shift of up to ``ratio`` of the side in each direction, zeros (mid-grey)
    shifted in."""
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    sy, sx = _seeds(seed, 2)
    dy = _per_row(lambda m: _shift(m, h, ratio, sy), n, rows)
    dx = _per_row(lambda m: _shift(m, w, ratio, sx), n, rows)
    rows = tf.range(h)[None, :] - dy[:, None]  # (n, h): the source row of each output row
    cols = tf.range(w)[None, :] - dx[:, None]
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    x = tf.gather(images, tf.clip_by_value(rows, 0, h - 1), axis=1, batch_dims=1)
    x = tf.gather(x, tf.clip_by_value(cols, 0, w - 1), axis=2, batch_dims=1)
    return x * tf.cast(inside, images.dtype)[..., None]


def _shift(n, side, ratio, seed):
    most = tf.cast(tf.cast(side, tf.float32) * ratio + 0.5, tf.int32)
    return tf.random.stateless_uniform([n], seed=seed, minval=-most, maxval=most + 1,
                                       dtype=tf.int32)


def cutout(images, seed, rows=None, ratio=CUTOUT):
    """Per image, a square hole of ``ratio`` of the side at a random place, set to zero."""
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    size_h = tf.cast(tf.cast(h, tf.float32) * ratio + 0.5, tf.int32)
    size_w = tf.cast(tf.cast(w, tf.float32) * ratio + 0.5, tf.int32)
    sy, sx = _seeds(seed, 2)
    top = _per_row(lambda m: tf.random.stateless_uniform(
        [m], seed=sy, maxval=h + (1 - size_h % 2), dtype=tf.int32), n, rows) - size_h // 2
    left = _per_row(lambda m: tf.random.stateless_uniform(
        [m], seed=sx, maxval=w + (1 - size_w % 2), dtype=tf.int32), n, rows) - size_w // 2
    rows = tf.range(h)[None, :]
    cols = tf.range(w)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + size_h)
    in_cols = (cols >= left[:, None]) & (cols < left[:, None] + size_w)
    hole = in_rows[:, :, None] & in_cols[:, None, :]
    return images * tf.cast(~hole, images.dtype)[..., None]


OPERATIONS = {"colour": colour, "translation": translation, "cutout": cutout}


def diff_augment(images, seed, policy=POLICY, rows=None):
    """``images`` (n, H, W, C) in [-1, 1] augmented by each operation of ``policy`` in turn
    (``"colour"``, ``"translation"``, ``"cutout"``); ``()`` leaves them as they are. ``seed``:
    a stateless seed (an int or two ints); the same seed gives the same augmentation. ``rows``:
    ``(indices, total)``, the images' rows in a batch of ``total`` (under ``tf.distribute``: a
    replica's share of the global batch, augmented as one device augments those rows)."""
    policy = tuple(policy or ())
    unknown = [p for p in policy if p not in OPERATIONS]
    if unknown:
        raise ValueError(f"Unknown augmentation {unknown[0]!r}; the policy is a tuple of "
                         f"{', '.join(map(repr, OPERATIONS))} (or () for none).")
    if not policy:
        return images
    images = tf.convert_to_tensor(images)
    for name, key in zip(policy, _seeds(seed, len(policy))):
        images = OPERATIONS[name](images, key, rows)
    return images
