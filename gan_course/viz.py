"""Pictures of what a GAN makes: image grids, PNG/GIF files, loss curves, 2-D sample plots.

Images are float32 numpy arrays in [0, 1]: a batch is (N, H, W, C) with C = 1 or 3, and a
grayscale batch may drop the channel axis, (N, H, W). Figures are built on
``matplotlib.figure.Figure`` rather than pyplot, so they work headless and never leak global
state; in a notebook, end a cell with the returned figure (or ``display(fig)``) to show it.

Generator functions follow one contract: ``decode(z) -> images`` (or ``decode(z, labels)`` for a
conditional model), with ``z`` float32 (n, latent_dim). :func:`decode_batch` calls one and checks
what it returned.
"""

import io
import json
import os

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

# Decoders ending in a sigmoid or tanh may overshoot [0, 1] by a rounding error; more is a bug.
_RANGE_TOLERANCE = 1e-3


# ---------------------------------------------------------------------------------------------
# Checking inputs
# ---------------------------------------------------------------------------------------------

def as_images(images, name="images"):
    """Check a batch of images and return it as float32 (N, H, W, C) in [0, 1]."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a batch of shape (N, H, W, C) or (N, H, W), "
                         f"got shape {x.shape}")
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: expected 1 (grayscale) or 3 (RGB) channels in the last axis, "
                         f"got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: the batch is empty")
    return _in_unit_range(x, name)


def as_image(image, name="image"):
    """One image to float32 (H, W, C); a batch (N, H, W, C) is tiled with :func:`image_grid`.

    A 2-D array is a grayscale image; a 3-D array is one image when its last axis has 1 or 3
    channels, otherwise a grayscale batch (N, H, W).
    """
    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim == 3 and x.shape[-1] in (1, 3):
        return _in_unit_range(x, name)
    if x.ndim in (3, 4):
        return image_grid(as_images(x, name))
    raise ValueError(f"{name}: expected an image (H, W), (H, W, C) or a batch (N, H, W, C), "
                     f"got shape {x.shape}")


def _in_unit_range(x, name):
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < -_RANGE_TOLERANCE or hi > 1 + _RANGE_TOLERANCE:
        raise ValueError(f"{name}: values must lie in [0, 1], got min {lo:.3g}, max {hi:.3g} "
                         "(rescale tanh outputs with (x + 1) / 2)")
    return np.clip(x, 0.0, 1.0)


def decode_batch(decode, z, labels=None):
    """Call a generator function on latents ``z`` (and ``labels``) and check its images."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"latents z: expected shape (n, latent_dim), got {z.shape}")
    out = decode(z) if labels is None else decode(z, np.asarray(labels, dtype=np.int32))
    images = as_images(np.asarray(out), name="decode(z) output")
    if len(images) != len(z):
        raise ValueError(f"decode(z) output: expected {len(z)} images, got {len(images)}")
    return images


# ---------------------------------------------------------------------------------------------
# Arrays and files
# ---------------------------------------------------------------------------------------------

def image_grid(images, ncols=None, pad=1, pad_value=1.0):
    """Tile a batch into one (H', W', C) image, ``ncols`` wide (default: about square).

    Cells are separated by ``pad`` pixels of ``pad_value``; unused cells are left blank.
    """
    x = as_images(images)
    n, h, w, c = x.shape
    ncols = int(ncols or np.ceil(np.sqrt(n)))
    if ncols < 1 or pad < 0:
        raise ValueError(f"ncols must be >= 1 and pad >= 0, got ncols={ncols}, pad={pad}")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad, c), pad_value, np.float32)
    for i, img in enumerate(x):
        r, col = divmod(i, ncols)
        grid[r * (h + pad):r * (h + pad) + h, col * (w + pad):col * (w + pad) + w] = img
    return grid


def to_pil(image, min_size=0):
    """A PIL image (mode L or RGB) from an image or batch; upscaled by nearest neighbour to
    about ``min_size`` pixels on its longer side, so small digits stay crisp on screen."""
    x = as_image(image)
    scale = max(1, int(min_size) // max(x.shape[:2]))
    if scale > 1:
        x = x.repeat(scale, axis=0).repeat(scale, axis=1)
    u8 = np.round(x * 255).astype(np.uint8)
    return Image.fromarray(u8[..., 0] if u8.shape[-1] == 1 else u8)


def png_bytes(image, min_size=0):
    """PNG-encoded bytes of an image or batch (for ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    to_pil(image, min_size).save(buf, format="PNG")
    return buf.getvalue()


def save_image(array_or_images, path, ncols=None, pad=1):
    """Write an image, or a batch tiled into a grid, to a PNG file; returns ``path``."""
    x = np.asarray(array_or_images, dtype=np.float32)
    if x.ndim == 4:
        x = image_grid(x, ncols=ncols, pad=pad)
    _make_parent(path)
    to_pil(x).save(path, format="PNG")
    return path


def write_gif(frames, path, fps=4, loop=0):
    """Write frames to an animated GIF that loops (``loop=0``: forever); returns ``path``.

    Each frame is an image (H, W[, C]) or a batch that is tiled; all frames must have one shape.
    Pillow merges consecutive identical frames into one longer frame.
    """
    frames = [as_image(f, name=f"frame {i}") for i, f in enumerate(frames)]
    if not frames:
        raise ValueError("write_gif: no frames given")
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise ValueError(f"write_gif: all frames must have the same shape, got {sorted(shapes)}")
    if fps <= 0:
        raise ValueError(f"write_gif: fps must be positive, got {fps}")
    pil = [to_pil(f) for f in frames]
    _make_parent(path)
    pil[0].save(path, format="GIF", save_all=True, append_images=pil[1:],
                duration=round(1000 / fps), loop=loop)
    return path


def display_gif(path):
    """An ``IPython.display.Image`` that shows (and embeds) a GIF in a notebook."""
    from IPython.display import Image as IPyImage

    with open(path, "rb") as f:
        return IPyImage(data=f.read(), format="gif")


def _make_parent(path):
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)


# ---------------------------------------------------------------------------------------------
# Latent interpolation
# ---------------------------------------------------------------------------------------------

def interpolate(z0, z1, t, mode="slerp"):
    """Points between latents ``z0`` and ``z1`` (each (latent_dim,)) at fractions ``t``.

    ``mode="lerp"`` walks the straight line; ``"slerp"`` walks the great circle, keeping the norm
    near that of the endpoints. Gaussian latents in many dimensions concentrate on a thin shell of
    radius about sqrt(latent_dim); the midpoint of a straight line falls well inside it (norm
    about 0.7x), in a region the generator never saw in training, so lerp midpoints look washed
    out. Returns float32 (len(t), latent_dim), or (latent_dim,) for a scalar ``t``.
    """
    z0 = np.asarray(z0, dtype=np.float64).ravel()
    z1 = np.asarray(z1, dtype=np.float64).ravel()
    if z0.shape != z1.shape:
        raise ValueError(f"interpolate: endpoints differ in shape, {z0.shape} vs {z1.shape}")
    if mode not in ("lerp", "slerp"):
        raise ValueError(f"interpolate: mode must be 'lerp' or 'slerp', got {mode!r}")
    t_arr = np.asarray(t, dtype=np.float64)
    ts = t_arr.reshape(-1, 1)
    z = (1 - ts) * z0 + ts * z1
    if mode == "slerp":
        cos = np.dot(z0, z1) / max(np.linalg.norm(z0) * np.linalg.norm(z1), 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if np.sin(omega) > 1e-6:  # (anti)parallel endpoints: the straight line is all we have
            z = (np.sin((1 - ts) * omega) * z0 + np.sin(ts * omega) * z1) / np.sin(omega)
    z = z.astype(np.float32)
    return z[0] if t_arr.ndim == 0 else z


def interpolation_strip(decode, z0, z1, steps=8, mode="slerp"):
    """Decoded images at ``steps`` evenly spaced points from ``z0`` to ``z1`` (both included)."""
    if steps < 2:
        raise ValueError(f"interpolation_strip: steps must be >= 2, got {steps}")
    return decode_batch(decode, interpolate(z0, z1, np.linspace(0, 1, steps), mode))


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _imshow(ax, image):
    cmap = "gray" if image.shape[-1] == 1 else None
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap=cmap, vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def show_images(images, ncols=None, title=None, labels=None, ax=None):
    """A figure of a batch as a grid; ``labels`` (one per image) become captions.

    With ``ax`` the grid is drawn into that axes and captions are written over each cell.
    """
    x = as_images(images)
    n = len(x)
    ncols = min(int(ncols or np.ceil(np.sqrt(n))), n)
    nrows = -(-n // ncols)
    if labels is not None:
        labels = [str(lab) for lab in labels]
        if len(labels) != n:
            raise ValueError(f"show_images: got {len(labels)} labels for {n} images")
    if ax is None and labels is not None:
        fig = Figure(figsize=(1.3 * ncols, 1.45 * nrows + (0.3 if title else 0)),
                     layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for a, img, lab in zip(axes, x, labels):
            _imshow(a, img)
            a.set_title(lab, fontsize=9)
        for a in axes[n:]:
            a.axis("off")
    else:
        fig = ax.figure if ax is not None else Figure(figsize=(0.9 * ncols + 0.5,
                                                               0.9 * nrows + 0.5))
        ax = ax if ax is not None else fig.add_subplot()
        _imshow(ax, image_grid(x, ncols=ncols))
        h, w = x.shape[1:3]
        for i, lab in enumerate(labels or []):
            r, c = divmod(i, ncols)
            ax.text(c * (w + 1) + 1, r * (h + 1) + 1, lab, fontsize=7, va="top", ha="left",
                    bbox={"facecolor": "white", "alpha": 0.7, "pad": 1, "linewidth": 0})
    if title:
        fig.suptitle(title)
    return fig


def _load_history(history):
    if isinstance(history, (str, os.PathLike)):
        with open(history) as f:
            history = json.load(f)
    history = getattr(history, "history", history)  # a keras History object
    if not hasattr(history, "keys"):
        raise ValueError(f"plot_losses: history must be a dict of lists (or a path to "
                         f"history.json), got {type(history).__name__}")
    return history


def moving_average(values, window):
    """Trailing moving average of ``values``, same length (the first points average fewer)."""
    v = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def means_between(steps, values, marks):
    """For each of the increasing steps ``marks``, the mean of ``values`` logged after the
    previous mark (or the start) up to and including it: e.g. a training curve averaged over the
    steps before each checkpoint. A float64 array, one number per mark (NaN if none fell there)."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=np.float64)
    if steps.shape != values.shape:
        raise ValueError(f"steps and values must have the same length, got {len(steps)} and "
                         f"{len(values)}")
    bounds = np.concatenate([[-np.inf], np.asarray(marks, dtype=np.float64)])
    means = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        inside = values[(steps > lo) & (steps <= hi)]
        means.append(inside.mean() if inside.size else np.nan)
    return np.array(means)


def plot_losses(history, keys=None, smooth=None, ax=None, title=None):
    """Curves of a training history vs step; returns the figure.

    ``history``: dict of equal-length lists with an optional ``"step"`` key (or a path to a run's
    history.json, or a keras History). ``keys`` default to every other key; loss keys and the rest
    (e.g. the discriminator's mean outputs ``d_real``, ``d_fake``) go in two panels. ``smooth`` is
    a moving-average window (None: about 1/50 of the run; 0 or 1: none); the raw curve is drawn
    faintly behind the smoothed one.
    """
    history = _load_history(history)
    available = [k for k, v in history.items() if k != "step" and np.ndim(v) == 1]
    keys = list(keys) if keys is not None else available
    missing = [k for k in keys if k not in history]
    if missing or not keys:
        raise ValueError(f"plot_losses: keys {missing or keys} not in history; "
                         f"available: {available}")
    n = len(history[keys[0]])
    steps = np.asarray(history.get("step", np.arange(n)), dtype=np.float64)
    for k in keys:
        if len(history[k]) != len(steps):
            raise ValueError(f"plot_losses: {k!r} has {len(history[k])} values but there are "
                             f"{len(steps)} steps")
    window = max(1, n // 50) if smooth is None else int(smooth)

    loss_keys = [k for k in keys if "loss" in k]
    groups = [g for g in (loss_keys, [k for k in keys if k not in loss_keys]) if g]
    if ax is not None:
        fig, axes, groups = ax.figure, [ax], [keys]
    else:
        fig = Figure(figsize=(7, 2.6 * len(groups)), layout="constrained")
        axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False).ravel()
    for a, group in zip(axes, groups):
        for k in group:
            line, = a.plot(steps, history[k], alpha=0.3 if window > 1 else 1.0,
                           label=None if window > 1 else k)
            if window > 1:
                a.plot(steps, moving_average(history[k], window), color=line.get_color(), label=k)
        a.legend(loc="best", fontsize=8)
        a.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    if title:
        fig.suptitle(title)
    return fig


def _as_points(points, name):
    p = np.asarray(points, dtype=np.float32)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"plot_points: {name} must have shape (N, 2), got {p.shape}")
    return p


def plot_points(real, fake=None, centres=None, ax=None, title=None):
    """Scatter of real 2-D points, optionally generated points and mode centres; returns the
    figure."""
    real = _as_points(real, "real")
    fig = ax.figure if ax is not None else Figure(figsize=(4.5, 4.5), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    ax.scatter(real[:, 0], real[:, 1], s=4, alpha=0.4, label="real", color="tab:blue")
    if fake is not None:
        fake = _as_points(fake, "fake")
        ax.scatter(fake[:, 0], fake[:, 1], s=4, alpha=0.4, label="generated", color="tab:orange")
    if centres is not None:
        centres = _as_points(centres, "centres")
        ax.scatter(centres[:, 0], centres[:, 1], s=150, facecolors="none", edgecolors="black",
                   linewidths=1, label="centres")  # rings, so the points inside stay visible
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize=8, markerscale=2)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def side_by_side(rows, n=None, title=None):
    """One labelled row per entry of ``rows`` (name -> batch), e.g. input / translation /
    reconstruction; shows the first ``n`` images of each (default: all). Returns the figure."""
    if not rows:
        raise ValueError("side_by_side: rows is empty; expected a dict of name -> images")
    strips = {}
    for name, images in rows.items():
        x = as_images(images, name=f"row {name!r}")[:n]
        strips[name] = image_grid(x, ncols=len(x))
    width = max(s.shape[1] / s.shape[0] for s in strips.values())
    fig = Figure(figsize=(min(1.6 * width + 1, 16), 1.6 * len(strips) + (0.3 if title else 0)),
                 layout="constrained")
    for ax, (name, strip) in zip(fig.subplots(len(strips), 1, squeeze=False).ravel(),
                                 strips.items()):
        _imshow(ax, strip)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    return fig
