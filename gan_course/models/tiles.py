"""Whole pictures through a fully convolutional network, tile by tile, with blended seams.

An image-to-image generator trained on small patches normalises each picture over its own height
and width (instance normalisation). Given a whole photo in one pass, it normalises over far more
than it ever saw: the statistics differ and the picture comes out with stripes and colour noise,
and memory grows with the picture (a 3000 x 2000 photo took 5.5 GB). Cut into overlapping tiles
of a fixed size, each tile is seen at the scale of training, a fixed number of tiles goes through
the network at a time, and where tiles overlap their outputs are blended with weights that fall
linearly to the tile's edge, so no seam shows.
"""

import numpy as np


def starts(length, tile, step):
    """Start offsets of tiles of ``tile`` pixels every ``step`` pixels covering ``length``; the
    last tile ends at ``length``."""
    if length <= tile:
        return [0]
    offsets = list(range(0, length - tile, step))
    return offsets + [length - tile]


def window(tile, overlap):
    """Blending weights (tile,): 1 inside, falling linearly over ``overlap`` pixels to each edge
    (never to 0, so a picture's own border, covered by one tile, keeps a weight)."""
    ramp = np.minimum(np.arange(tile) + 0.5, np.arange(tile)[::-1] + 0.5) / max(overlap, 1)
    return np.clip(ramp, 0.0, 1.0).astype(np.float32)


def tile_count(height, width, tile, overlap):
    """How many tiles :func:`translate_tiled` runs for a picture of this size."""
    step = tile - overlap
    return len(starts(height, tile, step)) * len(starts(width, tile, step))


def _padded(image, factor, least):
    """``image`` mirror-padded to sides that are multiples of ``factor`` and at least ``least``;
    and the (top, left) offset of the picture in it."""
    h, w = image.shape[:2]
    th = max(least, -(-h // factor) * factor)
    tw = max(least, -(-w // factor) * factor)
    pads = [((th - h) // 2, th - h - (th - h) // 2), ((tw - w) // 2, tw - w - (tw - w) // 2)]
    return np.pad(image, pads + [(0, 0)], mode="reflect"), (pads[0][0], pads[1][0])


def translate_pictures(network, pictures, tile, factor):
    """Pictures (H, W, 3) or (n, H, W, 3) in [0, 1] through a generator ``network`` ([-1, 1] in
    and out): in one pass, 8 at a time, when no larger than ``tile``; else tile by tile."""
    single = pictures.ndim == 3
    x = pictures[None] if single else pictures

    def run(batch):
        return network(batch, training=False)

    if max(x.shape[1:3]) <= tile:
        out = np.concatenate([translate_batch(run, x[i:i + 8], factor)
                              for i in range(0, len(x), 8)])
    else:
        out = np.stack([translate_tiled(run, image, tile, tile // 4, factor) for image in x])
    return out[0] if single else out


def translate_batch(run_network, images, factor):
    """A batch (n, H, W, C) in [0, 1] through ``run_network`` in one pass, mirror-padded to sides
    the network can halve and double, cropped back."""
    h, w = images.shape[1:3]
    channels = images.shape[-1]
    padded, (top, left) = _padded(np.moveaxis(images, 0, 2).reshape(h, w, -1), factor, 1)
    padded = np.moveaxis(padded.reshape(*padded.shape[:2], len(images), channels), 2, 0)
    out = np.asarray(run_network(padded * 2.0 - 1.0), np.float32)
    return np.clip((out[:, top:top + h, left:left + w] + 1.0) / 2.0, 0.0, 1.0)


def translate_tiled(run_network, image, tile, overlap, factor, batch_size=8):
    """One picture (H, W, C) in [0, 1] through ``run_network`` (a batch in [-1, 1] -> a batch
    of RGB pictures in [-1, 1] of the same size) in tiles of ``tile`` pixels overlapping by ``overlap``.

    A picture no larger than a tile goes through in one pass. Memory: the picture, its output
    and one weight plane, plus ``batch_size`` tiles in the network, whatever the picture's size.
    """
    tile = int(tile) // factor * factor
    if tile < factor or not 0 <= overlap < tile:
        raise ValueError(f"tiles of {tile} pixels (a multiple of {factor}) need an overlap in "
                         f"[0, {tile}), got {overlap}")
    h, w = image.shape[:2]
    if h <= tile and w <= tile:
        return translate_batch(run_network, image[None], factor)[0]
    # A picture at least a tile high and wide needs no padding: the tiles lie inside it. Every
    # array below is the picture's size or a tile's, and the sums are normalised in place.
    padded, (top, left) = _padded(image, factor, tile) if min(h, w) < tile else (image, (0, 0))
    ph, pw = padded.shape[:2]
    step = tile - overlap
    corners = [(y, x) for y in starts(ph, tile, step) for x in starts(pw, tile, step)]
    weights = window(tile, overlap)
    weights = (weights[:, None] * weights[None, :])[..., None]
    total = np.zeros((ph, pw, 3), np.float32)
    weight = np.zeros((ph, pw, 1), np.float32)
    for i in range(0, len(corners), batch_size):
        chunk = corners[i:i + batch_size]
        tiles = np.stack([padded[y:y + tile, x:x + tile] for y, x in chunk]) * 2.0 - 1.0
        outs = np.asarray(run_network(tiles), np.float32)
        for (y, x), out in zip(chunk, outs):
            total[y:y + tile, x:x + tile] += out * weights
            weight[y:y + tile, x:x + tile] += weights
    total /= weight
    total += 1.0
    total *= 0.5
    np.clip(total, 0.0, 1.0, out=total)
    return total[top:top + h, left:left + w]


def checked_pictures(images, min_side, channels=3):
    """``images`` as float32 pictures (H, W, C) or (n, H, W, C) in [0, 1], at least ``min_side``
    pixels high and wide; a ValueError saying what is wrong and what is expected."""
    if isinstance(images, (list, tuple)):
        raise ValueError("translate takes one picture (H, W, 3) or a batch (n, H, W, 3) of one "
                         "size; translate pictures of different sizes one at a time.")
    x = np.asarray(images)
    if x.ndim not in (3, 4) or x.shape[-1] != channels:
        what = "an RGB picture" if channels == 3 else f"a picture of {channels} channels"
        raise ValueError(f"expected {what} (H, W, {channels}) or a batch (n, H, W, {channels}), "
                         f"got shape {x.shape}")
    if x.dtype == np.uint8:
        raise ValueError("expected float pictures in [0, 1], got uint8: divide by 255.")
    x = x.astype(np.float32, copy=False)  # a large photo is not copied needlessly
    low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(f"expected pictures in [0, 1], got values in [{low:.3g}, {high:.3g}]")
    if min(x.shape[-3:-1]) < min_side:
        raise ValueError(f"pictures must be at least {min_side} x {min_side} pixels, got "
                         f"{x.shape[-2]} x {x.shape[-3]}")
    return np.clip(x, 0.0, 1.0) if low < 0 or high > 1 else x


def fine_detail(pictures):
    """The finest detail of pictures (H, W, C) or sets of them (n, H, W, C): each colour channel
    minus its 3 x 3 mean, float32 of the same shape."""
    from scipy import ndimage

    x = np.asarray(pictures, np.float32)
    window = (1,) * (x.ndim - 3) + (3, 3, 1)
    return x - ndimage.uniform_filter(x, size=window)


def high_frequency_ratio(photo, translated):
    """Stripes and colour noise: the energy of ``translated``'s finest detail (:func:`fine_detail`)
    against the photo's. 1 keeps the photo's fine texture; a translation that adds stripes or
    rainbow speckle scores several times that. Pictures (H, W, 3) or sets of them (n, H, W, 3),
    averaged over the set."""
    def energy(x):
        return float(np.mean(fine_detail(x) ** 2))

    return energy(translated) / max(energy(photo), 1e-12)
