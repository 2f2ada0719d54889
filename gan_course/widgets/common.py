"""What the course's widget families share: the panel base class, the image view, latent
priors, the slider panel that moves a latent along directions, and rows of pictures on one
canvas (the galleries of lessons 07 and 09).

Generator functions follow the contract in :mod:`gan_course.viz`: ``decode(z) -> images`` in
[0, 1], or ``decode(z, labels)`` for a conditional model.
"""

import ipywidgets as W
import numpy as np

from gan_course import art, viz

# Small images (28 x 28 digits) are upscaled to about this many pixels, nearest neighbour.
DISPLAY_SIZE = 256


class Panel:
    """Shows ``self.widget`` when a notebook displays the object; renders images into it."""

    widget = None
    _displayed = False

    def _ipython_display_(self):
        from IPython.display import display

        self._displayed = True
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        self._displayed = True
        return self.widget._repr_mimebundle_(**kwargs)

    def _show(self, image, image_widget=None):
        """Put an image (or a batch, tiled) on display and keep it as ``current_image``."""
        self.current_image = viz.as_image(image)
        (image_widget or self.image).value = viz.png_bytes(self.current_image, DISPLAY_SIZE)


def image_view():
    """An image shown at its own pixel size (about ``DISPLAY_SIZE``).

    A box stretches its children across by default: in a VBox a 252-pixel digit grew to the
    notebook's full width (about 970 px) and pushed the controls below the fold.
    """
    return W.Image(format="png", layout=W.Layout(align_self="flex-start"))


def draw_latents(rng, n, latent_dim):
    """``n`` standard normal latents, float32 (n, latent_dim)."""
    return rng.standard_normal((n, latent_dim)).astype(np.float32)


def prior(sample, latent_dim, decode=None):
    """``draw(rng, n)``: latents from ``sample(n, seed=...)``; without it, from the model whose
    bound ``decode`` this is (``run.decode`` or ``model.decode``: its ``latents``, the prior it
    was trained on, e.g. an InfoGAN's one-hot category and uniform codes), else N(0, I)."""
    sample = sample or _latents_of(decode)
    if sample is None:
        return lambda rng, n: draw_latents(rng, n, latent_dim)
    return lambda rng, n: np.asarray(sample(n, seed=int(rng.integers(2**31))), np.float32)


def _latents_of(decode):
    owner = getattr(decode, "__self__", None)
    return getattr(owner, "latents", None) or getattr(getattr(owner, "model", None), "latents", None)


def check_latent_dim(latent_dim):
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    return int(latent_dim)


def regressed_directions(z, centred_images, n_directions, rng):
    """The latent directions along which the images' top principal components grow.

    ``centred_images`` (n, pixels) are the images decoded from latents ``z`` (n, latent_dim),
    each with a mean taken away (the batch's, or its class's). Finds their top principal
    components, regresses each image's score on its latent and orthonormalises the weights in
    order. Returns float32 directions (n_directions, latent_dim) and the share of the variance
    each component explains."""
    x = np.asarray(centred_images, np.float64)
    # Randomised PCA (Halko et al. 2011): cheap even for 2000 x 12288 pixels.
    k = min(n_directions + 10, *x.shape)
    q, _ = np.linalg.qr(x @ rng.standard_normal((x.shape[1], k)))
    for _ in range(2):  # power iterations sharpen the top components
        q, _ = np.linalg.qr(x @ (x.T @ q))
    u, s, _ = np.linalg.svd(q.T @ x, full_matrices=False)
    scores = (q @ u[:, :n_directions]) * s[:n_directions]  # (n_samples, n_directions)
    explained = s[:n_directions] ** 2 / max((x ** 2).sum(), 1e-12)

    weights = np.linalg.lstsq(np.asarray(z, np.float64), scores, rcond=None)[0]
    directions, r = np.linalg.qr(weights)  # (latent_dim, n_directions)
    directions *= np.where(np.diag(r) < 0, -1.0, 1.0)  # point each where its PC grows
    return directions.T.astype(np.float32), explained.astype(np.float32)


class DirectionSliders(Panel):
    """A panel whose sliders move a base latent ``self.base`` along ``self.directions`` (one
    slider each) and redraw at once; a subclass says how to draw a latent (``_draw_latent``)."""

    _hold = False

    def _controls(self, descriptions, slider_range, new_label, on_new, reset_label):
        """The sliders, and below them the buttons for a new base latent and a reset."""
        self.sliders = [W.FloatSlider(value=0.0, min=-slider_range, max=slider_range, step=0.1,
                                      description=text, style={"description_width": "initial"})
                        for text in descriptions]
        self.new_button = W.Button(description=new_label, icon="refresh")
        self.reset_button = W.Button(description=reset_label, icon="undo")
        for s in self.sliders:
            s.observe(lambda _: self.update(), names="value")
        self.new_button.on_click(lambda _: on_new())
        self.reset_button.on_click(lambda _: self.reset())
        return W.VBox(self.sliders + [W.HBox([self.new_button, self.reset_button])])

    @property
    def latent(self):
        """The latent on display: the base plus each slider's value times its direction."""
        amounts = np.array([s.value for s in self.sliders], dtype=np.float32)
        return self.base + amounts @ self.directions

    def reset(self):
        """Put every slider back to 0 (one redraw, not one per slider)."""
        self._hold = True
        try:
            for s in self.sliders:
                s.value = 0.0
        finally:
            self._hold = False
        self.update()

    def update(self):
        if not self._hold:
            self._show(self._draw_latent(self.latent[None])[0])


def gallery_image(rows, height=None, pad=4):
    """Rows of pictures (each a sequence of (H, W, 3) in [0, 1]) as one image: every picture is
    resized to the same ``height`` (default: the smallest one), rows are left-aligned on white."""
    rows = [[viz.as_image(p) for p in row] for row in rows]
    if not rows or not all(rows):
        raise ValueError("gallery_image: expected at least one row of pictures")
    height = int(height or min(p.shape[0] for row in rows for p in row))
    scaled = [[art.resize(p, max(1, round(p.shape[1] * height / p.shape[0])))
               if p.shape[1] >= p.shape[0] else art.resize(p, height) for p in row]
              for row in rows]
    scaled = [[p[:height] for p in row] for row in scaled]
    width = max(sum(p.shape[1] + pad for p in row) - pad for row in scaled)
    canvas = np.ones((len(rows) * (height + pad) - pad, width, 3), np.float32)
    for r, row in enumerate(scaled):
        x = 0
        for p in row:
            canvas[r * (height + pad):r * (height + pad) + p.shape[0], x:x + p.shape[1]] = p
            x += p.shape[1] + pad
    return canvas
