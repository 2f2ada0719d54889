"""Damaged pictures for lesson 09: holes and scratches, noise and JPEG blocks, a 4x smaller copy.

A restorer learns from pairs (damaged, original) made on the fly: every damage is a pure function
of the picture, a seed and a strength in [0, 1], so a resumed run sees the pairs an unbroken one
would have, and a held-out picture is damaged the same way for every model that is compared.

- ``inpaint``: rectangular holes and thin scratches; the network gets the picture with the holes
  filled with the colour around them (:func:`surrounding_fill`) and the mask as a fourth channel
  (white, +1, means missing);
- ``denoise``: Gaussian noise, then JPEG compression with its 8 x 8 blocks;
- ``upscale``: the picture shrunk 4x (area averaging), enlarged back with bicubic interpolation,
  which is what the network sharpens.

Pictures here are float tensors in [-1, 1] (training) or numpy arrays in [0, 1] (whole pictures).
"""

import numpy as np

TASKS = ("inpaint", "denoise", "upscale")
FACTOR = 4  # the super-resolution factor
HOLE_UNIT = 64  # holes are sized against a window of this many pixels, whatever the picture's size


def check_task(task):
    if task not in TASKS:
        raise ValueError(f"Unknown task {task!r}: a restorer learns one of {', '.join(TASKS)}.")
    return task


def check_strength(strength):
    strength = float(strength)
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"a damage's strength is a number in [0, 1], got {strength}")
    return strength


def hole_mask(height, width, seed, strength=0.5, unit=HOLE_UNIT):
    """Holes as a float32 tensor (height, width, 1): 1 where the picture is missing.

    Per ``unit`` x ``unit`` pixels of picture, about one rectangle (sides 10% to 10% + 30% x
    strength of ``unit``) and one scratch (a line 1 to 3 pixels thick, up to a unit long).
    ``seed``: a stateless seed, shape (2,)."""
    import tensorflow as tf

    h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
    count = tf.maximum(1, tf.cast(tf.round(h * w / unit**2), tf.int32))
    rects, lines = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    r = tf.random.stateless_uniform([count, 4], seed=rects)
    s = tf.random.stateless_uniform([count, 5], seed=lines)
    ys = tf.range(h)[None, :, None] + 0.5
    xs = tf.range(w)[None, None, :] + 0.5
    side = unit * (0.1 + 0.3 * strength * r[:, 2:])  # (count, 2): height, width
    top, left = r[:, 0] * (h - side[:, 0]), r[:, 1] * (w - side[:, 1])
    inside = ((ys >= top[:, None, None]) & (ys < (top + side[:, 0])[:, None, None])
              & (xs >= left[:, None, None]) & (xs < (left + side[:, 1])[:, None, None]))
    y0, x0 = s[:, 0] * h, s[:, 1] * w
    angle, length = s[:, 2] * np.pi, unit * (0.3 + 0.7 * s[:, 3])
    dy, dx = tf.sin(angle) * length, tf.cos(angle) * length
    t = ((ys - y0[:, None, None]) * dy[:, None, None] + (xs - x0[:, None, None]) * dx[:, None, None]
         ) / (length**2)[:, None, None]
    t = tf.clip_by_value(t, 0.0, 1.0)
    dist2 = ((ys - y0[:, None, None] - t * dy[:, None, None]) ** 2
             + (xs - x0[:, None, None] - t * dx[:, None, None]) ** 2)
    thickness = 0.5 + (0.5 + 1.0 * s[:, 4]) * (0.5 + strength)
    scratch = dist2 <= (thickness**2)[:, None, None]
    return tf.cast(tf.reduce_any(inside | scratch, axis=0), tf.float32)[..., None]


def surrounding_fill(image, mask):
    """``image`` with its holes (``mask`` 1) filled with the colour around them: the baseline an
    inpainter must beat, and where the course's inpainter starts.

    Push-pull (Gortler et al. 1996): halve the picture and its known share again and again
    (2 x 2 means) until nothing is missing, then walk back up, each level keeping its known
    colour and taking the coarser level's, enlarged, where it lacks any. Known pixels come out
    unchanged. ``image`` (H, W, C) or (n, H, W, C), ``mask`` (H, W, 1) or (n, H, W, 1), any
    range; returns a float32 tensor of ``image``'s shape."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image, tf.float32)
    single = len(x.shape) == 3
    if single:
        x, mask = x[None], tf.convert_to_tensor(mask, tf.float32)[None]
    known = 1.0 - tf.cast(mask, tf.float32)
    levels = [(x * known, known)]
    while min(levels[-1][1].shape[1:3]) > 1:
        colour, share = (tf.nn.avg_pool2d(t, 2, 2, "SAME") for t in levels[-1])
        levels.append((colour, share))
    colour, share = levels[-1]
    filled = colour / tf.maximum(share, 1e-6)
    filled = tf.where(share > 0, filled, tf.reduce_sum(levels[0][0], (1, 2), keepdims=True)
                      / tf.maximum(tf.reduce_sum(known, (1, 2), keepdims=True), 1e-6))
    for colour, share in reversed(levels[:-1]):
        coarse = tf.image.resize(filled, tf.shape(colour)[1:3], method="bilinear")
        filled = colour + (1.0 - share) * coarse  # colour is already the known share's sum
    return filled[0] if single else filled


def with_holes(image, mask):
    """The network's input for inpainting: ``image`` ([-1, 1]) with its holes (``mask`` 1)
    filled with the surrounding colour, and the mask as a fourth channel in {-1, +1}."""
    import tensorflow as tf

    return tf.concat([surrounding_fill(image, mask), mask * 2.0 - 1.0], axis=-1)


def noisy(image, seed, strength=0.5):
    """``image`` ([-1, 1], (H, W, 3)) with Gaussian noise (sigma 0.03 to 0.15 of the range) and
    then JPEG compression (quality 70 down to 20) as a camera or a web page would add them."""
    import tensorflow as tf

    sigma = 0.03 + 0.12 * strength
    noise = tf.random.stateless_normal(tf.shape(image), seed=seed) * 2.0 * sigma
    x = tf.clip_by_value((image + noise + 1.0) / 2.0, 0.0, 1.0)
    quality = tf.cast(tf.round(70.0 - 50.0 * strength), tf.int32)
    x = tf.image.adjust_jpeg_quality(x, quality)
    return tf.reshape(x, tf.shape(image)) * 2.0 - 1.0


def shrunk(image):
    """``image`` (H, W, 3) shrunk :data:`FACTOR` times by area averaging (sides rounded down)."""
    import tensorflow as tf

    size = tf.shape(image)[:2] // FACTOR
    return tf.image.resize(image, size, method="area", antialias=True)


def enlarged(image, size):
    """``image`` enlarged to ``size`` (height, width) with bicubic interpolation, clipped."""
    import tensorflow as tf

    low, high = (-1.0, 1.0) if float(tf.reduce_min(image)) < 0 else (0.0, 1.0)
    return tf.clip_by_value(tf.image.resize(image, size, method="bicubic"), low, high)


def damage_function(task, strength=(0.2, 1.0)):
    """``damage(image, seed)`` -> the network's input for one clean training patch ``image``
    ([-1, 1], (S, S, 3)): seeded, with a strength drawn uniformly in ``strength``."""
    import tensorflow as tf

    check_task(task)
    low, high = (check_strength(s) for s in strength)

    def damage(image, seed):
        first, second = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        amount = low + (high - low) * tf.random.stateless_uniform([], seed=first)
        if task == "inpaint":
            shape = tf.shape(image)
            return with_holes(image, hole_mask(shape[0], shape[1], second, amount,
                                               unit=image.shape[0] or HOLE_UNIT))
        if task == "denoise":
            return noisy(image, second, amount)
        small = shrunk(image)
        return tf.clip_by_value(tf.image.resize(small, tf.shape(image)[:2], method="bicubic"),
                                -1.0, 1.0)

    return damage


def damaged_picture(picture, task, strength=0.5, seed=0):
    """A whole picture ([0, 1], (H, W, 3)) damaged as a user would bring it: ``(damaged, mask)``.

    inpaint: the picture with grey holes and the boolean mask (H, W) of the holes; denoise: the
    noisy picture, mask None; upscale: the picture 4x smaller, mask None."""
    import tensorflow as tf

    check_task(task)
    strength = check_strength(strength)
    x = tf.convert_to_tensor(np.asarray(picture, np.float32))
    seed = tf.constant([int(seed), 9_173], tf.int32)
    if task == "inpaint":
        mask = hole_mask(x.shape[0], x.shape[1], seed, strength)
        return (x * (1.0 - mask) + 0.5 * mask).numpy(), mask.numpy()[..., 0] > 0.5
    if task == "denoise":
        return ((noisy(x * 2.0 - 1.0, seed, strength) + 1.0) / 2.0).numpy(), None
    return np.clip(shrunk(x).numpy(), 0.0, 1.0), None
