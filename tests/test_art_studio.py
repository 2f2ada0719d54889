"""Lesson 08's art studio, driven from Python (widgets are not compared by nbval)."""

import numpy as np
import pytest

from gan_course.widgets import art_studio


class StripedGenerator:
    """The style API with a synthesis that shows its styles: picture row l is layer l's style
    (its first three numbers, squashed into [0, 1]), so a test can read which w each layer got."""

    latent_dim, w_dim, n_layers = 4, 3, 6

    def __init__(self):
        self.w_mean = np.full(self.w_dim, 0.5, np.float32)
        self.generated = []

    def latents(self, n, seed=0):
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def styles(self, z):
        return np.asarray(z, np.float32)[:, :self.w_dim] * 2.0

    def synthesise(self, ws, noise_seed=0):
        ws = np.asarray(ws, np.float32)
        assert ws.shape[1:] == (self.n_layers, self.w_dim)
        rows = 1 / (1 + np.exp(-ws))  # (n, layers, 3)
        return np.repeat(rows[:, :, None, :], 4, axis=2)  # (n, layers, 4, 3): 4 pixels wide

    def generate(self, n, seed=0, psi=1.0):
        w = art_studio.art_gan.truncate(self.styles(self.latents(n, seed)), self.w_mean, psi)
        self.generated.append((n, seed, psi))
        return self.synthesise(art_studio.per_layer(self, w))


def _style_of(picture):
    """Each layer's style, read back from a StripedGenerator picture (n_layers, w_dim)."""
    p = np.clip(picture[:, 0, :], 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def test_the_truncation_slider_redraws_and_reaches_the_average_at_psi_0():
    g = StripedGenerator()
    slider = art_studio.TruncationSlider(g, n=3, seed=1, psi=1.0)
    before, first = slider.image.value, slider.current
    w = g.styles(g.latents(3, seed=1))
    assert np.allclose(_style_of(first[0])[0], w[0], atol=1e-3)  # psi 1: as sampled
    slider.slider.value = 0.0  # the observer redraws
    assert slider.image.value != before
    assert all(np.allclose(_style_of(p), g.w_mean, atol=1e-3) for p in slider.current)
    slider.slider.value = 0.5
    assert np.allclose(_style_of(slider.current[0])[0], 0.5 * (w[0] + g.w_mean), atol=1e-3)
    assert "psi = 0.50" in slider.status.value


def test_the_mixing_grid_shows_its_sources_and_takes_coarse_layers_from_the_top_row():
    g = StripedGenerator()
    grid = art_studio.StyleMixingGrid(g, coarse_seeds=(1, 2, 3), fine_seeds=(4, 5), crossover=2)
    coarse = art_studio.seed_styles(g, (1, 2, 3))
    fine = art_studio.seed_styles(g, (4, 5))
    rows = grid.current
    assert len(rows) == 3 and all(len(row) == 4 for row in rows)
    assert np.all(rows[0][0] == 1.0)  # the blank corner
    for c in range(3):  # the top row: the coarse sources, unmixed
        assert np.allclose(_style_of(rows[0][c + 1]), coarse[c], atol=1e-3)
    for r in range(2):  # the left column: the fine sources, unmixed
        assert np.allclose(_style_of(rows[r + 1][0]), fine[r], atol=1e-3)
        for c in range(3):
            layers = _style_of(rows[r + 1][c + 1])
            assert np.allclose(layers[:2], coarse[c], atol=1e-3)  # layers 0, 1: coarse
            assert np.allclose(layers[2:], fine[r], atol=1e-3)  # layers 2 ..: fine
    before = grid.image.value
    grid.slider.value = 5
    assert grid.image.value != before
    assert np.allclose(_style_of(grid.current[1][1])[:5], coarse[0], atol=1e-3)
    assert "layers 0-4 from the top row" in grid.status.value
    grid.slider.value = 0
    assert np.allclose(_style_of(grid.current[2][3]), fine[1], atol=1e-3)


def test_the_mixing_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="crossover must be in 0 .. 6"):
        art_studio.StyleMixingGrid(StripedGenerator(), crossover=7)
    with pytest.raises(ValueError, match="at least one coarse and one fine seed"):
        art_studio.StyleMixingGrid(StripedGenerator(), fine_seeds=())


def test_the_nearest_crop_viewer_shows_each_picture_above_its_nearest_region():
    g = StripedGenerator()
    crops = np.random.default_rng(0).uniform(0, 1, (10, 6, 4, 3)).astype(np.float32)

    def nearest(generated, paintings):  # the nearest whole crop stands in for a region search
        d = ((generated[:, None] - np.stack(paintings)[None]) ** 2).mean(axis=(2, 3, 4))
        return np.stack(paintings)[d.argmin(axis=1)], d.min(axis=1)

    viewer = art_studio.NearestCropViewer(g, crops, held_out_median=0.25, n=3, nearest=nearest)
    top, bottom = viewer.current
    assert len(top) == len(bottom) == 3
    d = ((np.stack(top)[:, None] - crops[None]) ** 2).mean(axis=(2, 3, 4))
    assert np.allclose(np.stack(bottom), crops[d.argmin(axis=1)])
    assert "median 0.25" in viewer.status.value and "training painting" in viewer.status.value
    before = viewer.image.value
    viewer.seed.value = 7  # the first slider
    assert viewer.image.value != before and g.generated[-1] == (3, 7, 1.0)
    viewer.psi.value = 0.0
    assert g.generated[-1][2] == 0.0


def test_the_studio_works_with_the_trained_model():
    """The same widgets on a real (untrained, quick-profile) art GAN, as ``run.model``."""
    from gan_course import config, models
    from gan_course.models import art_gan

    config.seed_everything(0)
    model = art_gan.build(models.profile("quick")["art_gan"], (64, 64, 3), seed=0)
    slider = art_studio.TruncationSlider(model, n=2, seed=0, psi=1.0)
    before = slider.image.value
    slider.slider.value = 0.0
    assert slider.image.value != before and slider.current.shape == (2, 64, 64, 3)
    grid = art_studio.StyleMixingGrid(model, coarse_seeds=(1, 2), fine_seeds=(3,))
    assert [len(row) for row in grid.current] == [3, 3] and grid.slider.max == model.n_layers
    before = grid.image.value
    grid.slider.value = model.n_layers
    assert grid.image.value != before
    assert np.allclose(grid.current[1][1], grid.sources_coarse[0], atol=1e-5)  # all coarse
    paintings = np.random.default_rng(0).integers(0, 256, (2, 80, 96, 3), dtype=np.uint8)
    viewer = art_studio.NearestCropViewer(model, paintings, held_out_median=1.0, n=2)
    assert viewer.distances.shape == (2,) and np.all(viewer.distances >= 0)
    assert np.stack(viewer.current[1]).shape == (2, 64, 64, 3)
