"""The class picker of lesson 05: ask a conditional generator for a class and move its style.

Buttons choose the class, a few sliders move the latent along the directions that change the
*style* of the images most (the same for every class), and the image redraws at once. Keeping the
latent and changing the class shows that the label carries the class and the latent the style.
"""

import ipywidgets as W
import numpy as np

from gan_course import viz
from gan_course.widgets import _Panel


def _conditional_model(model):
    """The conditional model behind ``model`` (a model or a run), or a clear error."""
    model = getattr(model, "model", model)  # a Run holds its model
    if not getattr(model, "conditional", False):
        raise ValueError(
            f"The class picker needs a conditional model (one that takes class labels, such as "
            f"cgan); got {type(model).__name__}, which has no labels to pick.")
    return model


def style_directions(model, n_directions=4, n_samples=1000, seed=0):
    """Latent directions that change the style of the images most, whatever the class.

    Decodes ``n_samples`` latents from the model's own prior with the classes in turn, subtracts
    each class's mean image (so what is left is style: slant, width, thickness), finds the top
    principal components of what is left and regresses each component's score on the latents.
    Returns the directions, orthonormal, float32 (n_directions, latent_dim), and the share of the
    style variance each component explains."""
    model = _conditional_model(model)
    if not 1 <= n_directions <= model.latent_dim:
        raise ValueError(f"n_directions must be between 1 and the latent size "
                         f"{model.latent_dim}, got {n_directions}")
    if n_samples < max(2 * n_directions, 2 * model.classes):
        raise ValueError(f"n_samples must be at least {max(2 * n_directions, 2 * model.classes)}"
                         f", got {n_samples}")
    z = model.latents(n_samples, seed=seed)
    labels = np.arange(n_samples) % model.classes
    x = model.generate(n_samples, seed=seed, labels=labels).reshape(n_samples, -1)
    x = x.astype(np.float64)
    for c in range(model.classes):
        x[labels == c] -= x[labels == c].mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    scores = x @ vt[:n_directions].T
    explained = s[:n_directions] ** 2 / max((s ** 2).sum(), 1e-12)
    weights = np.linalg.lstsq(z.astype(np.float64), scores, rcond=None)[0]
    directions, r = np.linalg.qr(weights)
    directions *= np.where(np.diag(r) < 0, -1.0, 1.0)  # each points where its component grows
    return directions.T.astype(np.float32), explained.astype(np.float32)


class ClassPicker(_Panel):
    """Class buttons and style sliders for a conditional model; the image redraws at once.

    ``model`` is a conditional model or run (``gc.train("cgan", ...)``). The base latent comes
    from the model's own prior (``model.latents``); each slider adds ``value * direction`` to it
    along one of :func:`style_directions`. "new style" draws another base latent; the class and
    the sliders stay.
    """

    def __init__(self, model, class_names=None, n_sliders=4, seed=0, slider_range=3.0,
                 n_samples=1000):
        self.model = _conditional_model(model)
        names = [str(c) for c in (range(self.model.classes) if class_names is None
                                  else class_names)]
        if len(names) != self.model.classes:
            raise ValueError(f"class_names must name the model's {self.model.classes} classes, "
                             f"got {len(names)} names")
        self.class_names = names
        self.directions, self.explained = style_directions(self.model, n_sliders, n_samples, seed)
        self._seed = seed
        self._draws = 0
        self.base = self.model.latents(1, seed=seed)[0]
        self._hold = False

        self.image = W.Image(format="png")
        self.class_buttons = W.ToggleButtons(options=[(n, i) for i, n in enumerate(names)],
                                             value=0, description="class")
        self.class_buttons.style.button_width = "auto"
        self.sliders = [W.FloatSlider(value=0.0, min=-slider_range, max=slider_range, step=0.1,
                                      description=f"style {i + 1} ({ratio:.0%})",
                                      style={"description_width": "initial"})
                        for i, ratio in enumerate(self.explained)]
        self.new_button = W.Button(description="new style", icon="refresh")
        self.reset_button = W.Button(description="reset sliders", icon="undo")
        self.class_buttons.observe(lambda _: self.update(), names="value")
        for s in self.sliders:
            s.observe(lambda _: self.update(), names="value")
        self.new_button.on_click(lambda _: self.new_style())
        self.reset_button.on_click(lambda _: self.reset())
        self.widget = W.VBox([self.class_buttons, W.HBox([self.image, W.VBox(
            self.sliders + [W.HBox([self.new_button, self.reset_button])])])])
        self.update()

    @property
    def label(self):
        """The class on display."""
        return int(self.class_buttons.value)

    @property
    def latent(self):
        """The latent on display: the base plus each slider's value times its direction."""
        amounts = np.array([s.value for s in self.sliders], dtype=np.float32)
        return self.base + amounts @ self.directions

    def new_style(self):
        """Draw a new base latent from the model's prior; keep the class and the sliders."""
        self._draws += 1
        self.base = self.model.latents(1, seed=[self._seed, self._draws])[0]
        self.update()

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
            self._show(viz.decode_batch(self.model.decode, self.latent[None], [self.label])[0])
