"""Lesson 08's art studio: a truncation slider, a style-mixing grid and a viewer of each
picture's nearest region of the training paintings, for a style-based generator.

``generator`` is anything with the style API of :mod:`gan_course.models.art_gan`: the trained
model (``run.model``) or the shipped generator (``gc.pretrained("art_gan/van_gogh")``), with
``latents(n, seed)``, ``styles(z)`` (w, (n, w_dim)), ``w_mean``, ``n_layers`` and
``synthesise(ws, noise_seed)`` (per-layer styles (n, n_layers, w_dim) to pictures in [0, 1]).
"""

import html

import ipywidgets as W
import numpy as np

from gan_course import viz
from gan_course.models import art_gan
from gan_course.widgets.common import Panel, gallery_image, image_view

SCALE = 2  # 64-pixel paintings are shown at twice their size (nearest neighbour)


def per_layer(generator, w):
    """w (n, w_dim) as the same style at every layer, (n, n_layers, w_dim)."""
    return np.repeat(np.asarray(w, np.float32)[:, None, :], generator.n_layers, axis=1)


def seed_styles(generator, seeds):
    """One w per seed: the first latent that ``generator.latents(1, seed)`` draws, mapped."""
    z = np.concatenate([generator.latents(1, seed=int(s)) for s in seeds])
    return generator.styles(z)


def truncated_row(generator, w, psi, noise_seed=0):
    """The pictures of styles ``w`` truncated towards ``generator.w_mean`` by ``psi``."""
    return generator.synthesise(per_layer(generator, art_gan.truncate(w, generator.w_mean, psi)),
                                noise_seed)


def mixing_styles(generator, coarse_seeds, fine_seeds, crossover):
    """Per-layer styles of the style-mixing grid, (len(fine_seeds), len(coarse_seeds), n_layers,
    w_dim): cell (r, c) takes its first ``crossover`` layers from coarse seed c and the rest from
    fine seed r."""
    coarse, fine = seed_styles(generator, coarse_seeds), seed_styles(generator, fine_seeds)
    rows = [art_gan.mix_styles(coarse, np.repeat(f[None], len(coarse), 0), crossover,
                               generator.n_layers) for f in fine]
    return np.stack(rows)


def _enlarged(images, scale=SCALE):
    return np.repeat(np.repeat(np.asarray(images, np.float32), scale, -3), scale, -2)


class _ArtPanel(Panel):
    """A panel whose picture is shown at its own size (already enlarged by :data:`SCALE`)."""

    def _show(self, image, image_widget=None):
        self.current_image = viz.as_image(image)
        self.image.value = viz.png_bytes(self.current_image)


class TruncationSlider(_ArtPanel):
    """One row of pictures from fixed latents; the psi slider pulls their styles towards the
    average style (psi 1: as sampled, psi 0: the average picture)."""

    def __init__(self, generator, n=6, seed=0, psi=0.7, max_psi=1.2):
        self.generator = generator
        self.w = generator.styles(generator.latents(int(n), seed=seed))
        self.noise_seed = int(seed)
        self.slider = W.FloatSlider(value=psi, min=0.0, max=max_psi, step=0.05, description="psi",
                                    continuous_update=False)
        self.status, self.image = W.HTML(), image_view()
        self.slider.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([self.slider, self.image, self.status])
        self.update()

    def pictures(self, psi=None):
        psi = self.slider.value if psi is None else psi
        return truncated_row(self.generator, self.w, psi, self.noise_seed)

    def update(self):
        self.current = self.pictures()
        self._show(gallery_image([list(_enlarged(self.current))]))
        self.status.value = (f"psi = {self.slider.value:.2f}: styles moved "
                             f"{1 - self.slider.value:.0%} of the way to the average style")


class StyleMixingGrid(_ArtPanel):
    """Coarse styles from one row of seeds (the top row shows their pictures), fine styles from
    another (the left column); each cell takes the first ``crossover`` layers from its column's
    seed and the rest from its row's. The slider moves the crossover."""

    def __init__(self, generator, coarse_seeds=(1, 2, 3, 4), fine_seeds=(5, 6, 7), crossover=None,
                 noise_seed=0):
        self.generator = generator
        self.coarse_seeds, self.fine_seeds = tuple(coarse_seeds), tuple(fine_seeds)
        if not self.coarse_seeds or not self.fine_seeds:
            raise ValueError("StyleMixingGrid needs at least one coarse and one fine seed")
        n_layers = int(generator.n_layers)
        crossover = n_layers // 3 if crossover is None else int(crossover)
        if not 0 <= crossover <= n_layers:
            raise ValueError(f"crossover must be in 0 .. {n_layers} (the generator's style "
                             f"layers), got {crossover}")
        self.noise_seed = int(noise_seed)
        self.slider = W.IntSlider(value=crossover, min=0, max=n_layers, description="crossover",
                                  continuous_update=False)
        self.status, self.image = W.HTML(), image_view()
        self.slider.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([self.slider, self.image, self.status])
        self.sources_coarse = generator.synthesise(
            per_layer(generator, seed_styles(generator, self.coarse_seeds)), self.noise_seed)
        self.sources_fine = generator.synthesise(
            per_layer(generator, seed_styles(generator, self.fine_seeds)), self.noise_seed)
        self.update()

    def cells(self, crossover=None):
        """The mixed pictures, (len(fine_seeds), len(coarse_seeds), H, W, 3)."""
        crossover = self.slider.value if crossover is None else crossover
        ws = mixing_styles(self.generator, self.coarse_seeds, self.fine_seeds, crossover)
        rows, cols = ws.shape[:2]
        pictures = self.generator.synthesise(ws.reshape(rows * cols, *ws.shape[2:]),
                                             self.noise_seed)
        return pictures.reshape(rows, cols, *pictures.shape[1:])

    def grid(self, crossover=None):
        """The whole grid as rows of pictures: a blank corner and the coarse sources on top, each
        fine source followed by its row of mixtures."""
        cells = self.cells(crossover)
        blank = np.ones_like(self.sources_coarse[0])
        return ([[blank, *self.sources_coarse]]
                + [[source, *row] for source, row in zip(self.sources_fine, cells)])

    def update(self):
        self.current = self.grid()
        self._show(gallery_image([list(_enlarged(row)) for row in self.current]))
        k, n = self.slider.value, self.generator.n_layers
        self.status.value = (f"layers 0-{k - 1} from the top row (coarse), {k}-{n - 1} from the "
                             f"left column (fine)" if 0 < k < n else
                             f"crossover {k}: every layer from the "
                             f"{'left column' if k == 0 else 'top row'}")


class NearestCropViewer(_ArtPanel):
    """Generated pictures (top row) above the best-matching region of any training painting
    (bottom row, :func:`gan_course.art.regions.nearest_regions`), with each distance beside the
    held-out crops' median distance to theirs: a picture much closer to a training region than
    held-out paintings come is a copy."""

    def __init__(self, generator, paintings, held_out_median, n=4, seed=0, psi=1.0,
                 scale=(0.25, 1.0), nearest=None):
        from gan_course.art import regions

        self.generator, self.paintings = generator, list(paintings)
        self.held_out_median = float(held_out_median)
        self.n = int(n)
        self.nearest = nearest or (lambda pictures, paintings:
                                   regions.nearest_regions(pictures, paintings, scale))
        self.seed = W.IntSlider(value=seed, min=0, max=99, description="seed",
                                continuous_update=False)
        self.psi = W.FloatSlider(value=psi, min=0.0, max=1.2, step=0.05, description="psi",
                                 continuous_update=False)
        self.status, self.image = W.HTML(), image_view()
        for control in (self.seed, self.psi):
            control.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([W.HBox([self.seed, self.psi]), self.image, self.status])
        self.update()

    def update(self):
        generated = self.generator.generate(self.n, seed=self.seed.value, psi=self.psi.value)
        matches, distances = self.nearest(generated, self.paintings)
        self.distances = np.asarray(distances, np.float64)
        self.current = [list(generated), list(np.asarray(matches, np.float32))]
        self._show(gallery_image([list(_enlarged(row)) for row in self.current]))
        parts = ", ".join(f"{d:.2f}" for d in self.distances)
        self.status.value = html.escape(
            f"top: generated (seed {self.seed.value}, psi {self.psi.value:.2f}); bottom: the "
            f"nearest region of a training painting. Distances {parts}; held-out crops to "
            f"theirs: median {self.held_out_median:.2f}")
