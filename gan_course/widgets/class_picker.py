"""The class picker of lesson 05: ask a conditional generator for a class and move its style.

Buttons choose the class, a few sliders move the latent along the directions that change the
*style* of the images most (the same for every class), and the image redraws at once. Keeping the
latent and changing the class shows that the label carries the class and the latent the style.
"""

import ipywidgets as W
import numpy as np

from gan_course import viz
from gan_course.widgets.common import DirectionSliders, image_view, regressed_directions


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
    return regressed_directions(z, x, n_directions, np.random.default_rng(seed))


class ClassPicker(DirectionSliders):
    """Class buttons and style sliders for a conditional model; the image redraws at once.

    ``model`` is a conditional model or run (``gc.train("cgan", ...)``). The base latent comes
    from the model's own prior (``model.latents``); each slider adds ``value * direction`` to it
    along one of :func:`style_directions`. "new style" draws another base latent; the class and
    the sliders stay. More than ten classes get a drop-down list instead of buttons.
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

        self.image = image_view()
        options = [(n, i) for i, n in enumerate(names)]
        if len(options) <= 10:
            self.class_buttons = W.ToggleButtons(options=options, value=0, description="class")
            self.class_buttons.style.button_width = "auto"
        else:  # a row of buttons per class would fill the notebook
            self.class_buttons = W.Dropdown(options=options, value=0, description="class")
        self.class_buttons.observe(lambda _: self.update(), names="value")
        controls = self._controls([f"style {i + 1} ({ratio:.0%})" for i, ratio in
                                   enumerate(self.explained)], slider_range, "new style",
                                  self.new_style, "reset sliders")
        self.widget = W.VBox([self.class_buttons, W.HBox([self.image, controls])])
        self.update()

    @property
    def label(self):
        """The class on display."""
        return int(self.class_buttons.value)

    def new_style(self):
        """Draw a new base latent from the model's prior; keep the class and the sliders."""
        self._draws += 1
        self.base = self.model.latents(1, seed=[self._seed, self._draws])[0]
        self.update()

    def _draw_latent(self, z):
        return viz.decode_batch(self.model.decode, z, [self.label] * len(z))
