"""Latent tools: walk between two latents (interpolation player) and move one along the
directions that change the pictures most (latent explorer).

Each panel is a small class: ``.widget`` is the ipywidgets container (a notebook cell can simply
end with the object), ``.image`` the ``ipywidgets.Image`` showing PNG bytes and ``.current_image``
the numpy image on display.
"""

import ipywidgets as W
import numpy as np

from gan_course import viz
from gan_course.widgets.common import (
    DirectionSliders,
    Panel,
    check_latent_dim,
    image_view,
    prior,
    regressed_directions,
)


class InterpolationPlayer(Panel):
    """Walk between two random latents: a slider ``t`` in [0, 1], a play button, lerp/slerp.

    Slerp (the default) follows the great circle between the endpoints. A Gaussian latent in
    many dimensions almost always has norm close to sqrt(latent_dim): the samples live on a thin
    shell. The straight line (lerp) cuts inside that shell, through latents the generator never
    saw while training, so its midpoints tend to look faded; slerp stays on the shell.

    Endpoints come from the model's own prior: ``sample(n, seed=...)`` (e.g. ``model.latents``),
    else the ``latents`` of the run or model whose ``decode`` is passed, else N(0, I).
    """

    def __init__(self, decode, latent_dim, seed=0, n_frames=32, mode="slerp", sample=None):
        if mode not in ("slerp", "lerp"):
            raise ValueError(f"mode must be 'slerp' or 'lerp', got {mode!r}")
        self.decode = decode
        self.latent_dim = check_latent_dim(latent_dim)
        self.n_frames = max(2, int(n_frames))
        self._rng = np.random.default_rng(seed)
        self._draw = prior(sample, self.latent_dim, decode)
        self.z0, self.z1 = self._draw(self._rng, 2)

        self.image = image_view()
        self.t_slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=1 / (self.n_frames - 1),
                                      description="t", readout_format=".2f")
        self.play = W.Play(value=0, min=0, max=self.n_frames - 1, interval=120,
                           description="play")
        self.mode_toggle = W.ToggleButtons(options=["slerp", "lerp"], value=mode,
                                           description="path")
        self.new_button = W.Button(description="new endpoints", icon="refresh")

        self.play.observe(lambda ch: setattr(self.t_slider, "value",
                                             ch["new"] / (self.n_frames - 1)), names="value")
        self.t_slider.observe(lambda _: self.update(), names="value")
        self.mode_toggle.observe(lambda _: self.update(), names="value")
        self.new_button.on_click(lambda _: self.new_endpoints())
        self.widget = W.VBox([self.image, W.HBox([self.play, self.t_slider]),
                              W.HBox([self.mode_toggle, self.new_button])])
        self.update()

    @property
    def latent(self):
        """The latent on display, float32 (latent_dim,)."""
        return viz.interpolate(self.z0, self.z1, self.t_slider.value, self.mode_toggle.value)

    def new_endpoints(self):
        """Draw two new endpoints (from the seeded stream) and redraw."""
        self.z0, self.z1 = self._draw(self._rng, 2)
        self.update()

    def update(self):
        self._show(viz.decode_batch(self.decode, self.latent[None])[0])

    def strip(self, steps=8):
        """The whole path as a batch of ``steps`` images (e.g. for ``viz.show_images``)."""
        return viz.interpolation_strip(self.decode, self.z0, self.z1, steps,
                                       self.mode_toggle.value)


def latent_directions(decode, latent_dim, n_directions=4, n_samples=2000, seed=0,
                      batch_size=250, sample=None):
    """Latent directions that change the decoded images most, and the image variance each
    explains.

    The principal components of latents alone are useless: Gaussian latents are isotropic.
    Instead (the GANSpace recipe of Harkonen et al. 2020, applied to pixels): decode a batch of
    random latents, find the top principal components of the flattened images, and regress each
    image-PC score on the latents; the regression weights point along the latent direction
    that best moves that component. Directions are orthonormalised in order (unit length: for a
    standard normal latent, one unit along a direction is one standard deviation of the prior;
    for other latents, such as an InfoGAN's one-hot category and bounded codes, it is not, and
    a direction mixes noise and code). Returns float32 (n_directions, latent_dim) and the
    explained-variance ratios (n_directions,). ``sample(n, seed=...)`` draws the model's own
    latents where they are not N(0, I) (an InfoGAN's codes).
    """
    latent_dim = check_latent_dim(latent_dim)
    if not 1 <= n_directions <= latent_dim:
        raise ValueError(f"n_directions must be between 1 and latent_dim={latent_dim}, "
                         f"got {n_directions}")
    if n_samples < 2 * n_directions:
        raise ValueError(f"n_samples must be at least 2 * n_directions, got {n_samples}")
    rng = np.random.default_rng(seed)
    z = prior(sample, latent_dim, decode)(rng, n_samples)
    x = np.concatenate([viz.decode_batch(decode, z[i:i + batch_size]).reshape(
        len(z[i:i + batch_size]), -1) for i in range(0, n_samples, batch_size)])
    return regressed_directions(z, x - x.mean(axis=0), n_directions, rng)


class LatentExplorer(DirectionSliders):
    """Sliders that move a base latent along the directions that change the images most.

    The directions come from :func:`latent_directions` (PCA of decoded images, mapped back to
    the latent space by regression). Each slider adds ``value * direction`` to the base latent.
    ``sample`` draws base latents from the model's own prior (pass ``model.latents``).
    """

    def __init__(self, decode, latent_dim, n_directions=4, seed=0, n_pca_samples=2000,
                 slider_range=3.0, sample=None):
        self.decode = decode
        self.latent_dim = check_latent_dim(latent_dim)
        self.directions, self.explained = latent_directions(
            decode, self.latent_dim, n_directions, n_pca_samples, seed, sample=sample)
        self._rng = np.random.default_rng([seed, 1])
        self._draw = prior(sample, self.latent_dim, decode)
        self.base = self._draw(self._rng, 1)[0]

        self.image = image_view()
        controls = self._controls([f"PC{i + 1} ({ratio:.0%})" for i, ratio in
                                   enumerate(self.explained)], slider_range, "new base",
                                  self.new_base, "reset")
        self.widget = W.HBox([self.image, controls])
        self.update()

    def new_base(self):
        """Draw a new base latent, keeping the slider positions."""
        self.base = self._draw(self._rng, 1)[0]
        self.update()

    def _draw_latent(self, z):
        return viz.decode_batch(self.decode, z)
