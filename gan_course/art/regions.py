"""Where in a set of paintings does a picture come from? The best-matching region, searched.

A generated picture that copies its training paintings copies some region of one of them, at some
size, perhaps mirrored: the crops it learnt from. :func:`nearest_regions` searches every region
of every painting at the sizes a model's crops are cut at (``scale``, shares of the shorter
side), mirrored too, and returns each picture's best match. Pictures and regions are compared as
small thumbnails with each colour channel's mean removed and scaled to unit length, so the match
is their normalised cross-correlation: a copy scores a distance near 0 whatever its tint, and a
flat or blurred region is no nearer to anything than a textured one. The search is one
convolution per painting, size and side, fast on a CPU.
"""

import numpy as np

THUMBNAIL = 16  # the side of the thumbnails compared: a quarter of a 64-pixel picture
SIZES = 9  # region sizes searched between the scale's bounds, evenly in log size
_EPS = 1e-4  # keeps a flat region's correlation finite


def _unit_thumbnails(pictures, side):
    import tensorflow as tf

    t = tf.image.resize(np.asarray(pictures, np.float32), [side, side], method="area")
    t = t - tf.reduce_mean(t, axis=[1, 2], keepdims=True)
    norm = tf.norm(tf.reshape(t, [len(pictures), -1]), axis=1)
    return t / (norm[:, None, None, None] + 1e-6)


def _as_unit_floats(painting):
    painting = np.asarray(painting)
    if painting.ndim != 3 or painting.shape[-1] != 3:
        raise ValueError(f"expected RGB paintings (H, W, 3), got shape {painting.shape}")
    return painting.astype(np.float32) / (255.0 if painting.dtype == np.uint8 else 1.0)


def _correlations(painting, filters, side, share):
    """Normalised cross-correlation of every region of ``painting`` whose side is ``share`` of
    its shorter side with each picture, (rows, columns, n), and how many of the painting's
    pixels one thumbnail pixel spans."""
    import tensorflow as tf

    h, w = painting.shape[:2]
    k = side / (share * min(h, w))
    rows, columns = max(side, round(h * k)), max(side, round(w * k))
    small = tf.image.resize(painting[None], [rows, columns], method="area", antialias=True)
    ones = tf.ones([side, side, 1, 1])
    cross = tf.nn.conv2d(small, filters, 1, "VALID")[0]
    energy = tf.nn.conv2d(tf.reduce_sum(small * small, -1, keepdims=True), ones, 1, "VALID")[0]
    means = sum(tf.nn.conv2d(small[..., c:c + 1], ones, 1, "VALID")[0] ** 2 for c in range(3))
    spread = tf.maximum(energy - means / (side * side), 0.0)
    return np.asarray(cross / tf.sqrt(spread + _EPS)), (h / rows + w / columns) / 2


def nearest_regions(pictures, paintings, scale=(0.25, 1.0), side=THUMBNAIL, sizes=SIZES):
    """Each picture's best-matching region of ``paintings`` (uint8 or [0, 1] arrays (H, W, 3)),
    mirrored or not, of a side between ``scale`` shares of a painting's shorter side.

    Returns ``(regions, distances)``: the regions resized to the pictures' size (n, H, W, 3) in
    [0, 1], and ``sqrt(2 - 2 r)`` for their correlation ``r``: 0 for a copy, about 1.4 for
    pictures with nothing in common.
    """
    import tensorflow as tf

    pictures = np.asarray(pictures, np.float32)
    if pictures.ndim != 4 or pictures.shape[-1] != 3:
        raise ValueError(f"expected pictures (n, H, W, 3), got shape {pictures.shape}")
    if not len(paintings):
        raise ValueError("nearest_regions needs at least one painting to search")
    low, high = float(scale[0]), float(scale[1])
    filters = tf.transpose(_unit_thumbnails(pictures, side), [1, 2, 3, 0])
    best = np.full(len(pictures), -np.inf)
    where = [None] * len(pictures)
    for painting in map(_as_unit_floats, paintings):
        for mirrored in (painting, painting[:, ::-1]):
            for share in np.geomspace(high, low, sizes):
                r, step = _correlations(mirrored, filters, side, share)
                flat = r.reshape(-1, len(pictures))
                top = flat.argmax(axis=0)
                for j in np.flatnonzero(flat[top, np.arange(len(pictures))] > best):
                    best[j] = flat[top[j], j]
                    row, column = divmod(int(top[j]), r.shape[1])
                    where[j] = (mirrored, row, column, step)
    size = list(pictures.shape[1:3])
    regions = []
    for mirrored, row, column, step in where:
        y, x, s = (int(round(v)) for v in (row * step, column * step, side * step))
        crop = mirrored[y:y + s, x:x + s]
        regions.append(tf.image.resize(crop, size, method="area", antialias=True).numpy())
    distances = np.sqrt(np.maximum(2.0 - 2.0 * np.minimum(best, 1.0), 0.0))
    return np.clip(np.array(regions, np.float32), 0.0, 1.0), distances
