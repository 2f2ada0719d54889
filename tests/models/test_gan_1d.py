"""Lesson 01's GAN on a line: data, networks, snapshots of the game and their pictures."""

import numpy as np
import pytest

from gan_course import models
from gan_course.models import gan_1d


def _tiny(steps=40):
    settings = models.profile("quick")["gan_1d"]
    return settings.__class__(**{**settings.as_dict(), "steps": steps, "steps_per_epoch": steps,
                                 "steps_per_execution": 10})


def test_mixture_samples_sit_at_the_centres_with_the_density_integrating_to_one():
    centres, std = (-0.5, 0.5), 0.05
    points = gan_1d.mixture_samples(4000, centres, std, seed=0)
    assert points.shape == (4000, 1) and points.dtype == np.float32
    assert gan_1d.mode_shares(points[:, 0], centres, std) == pytest.approx([0.5, 0.5], abs=0.03)
    x, dx = np.linspace(-1.5, 1.5, 3001), 0.001
    assert np.sum(gan_1d.mixture_pdf(x, centres, std)) * dx == pytest.approx(1.0, abs=1e-3)


def test_generator_density_is_a_normalised_histogram():
    x = np.linspace(-1.0, 1.0, 201)
    dx = x[1] - x[0]
    density = gan_1d.generator_density(np.random.default_rng(0).uniform(-0.5, 0.5, 20000), x, dx)
    assert np.sum(density) * dx == pytest.approx(1.0, abs=0.01)
    assert density[np.abs(x) < 0.4].mean() == pytest.approx(1.0, abs=0.05)  # U(-1/2, 1/2)
    assert density[np.abs(x) > 0.6].max() == 0


def test_networks_map_one_number_to_one_number():
    g, d = gan_1d.build_generator(1, (8,)), gan_1d.build_discriminator((8,))
    z = np.zeros((5, 1), np.float32)
    assert tuple(g(z).shape) == (5, 1) and tuple(d(g(z)).shape) == (5, 1)


def test_watch_keeps_a_snapshot_every_few_steps_and_the_game_moves():
    settings = _tiny()
    snapshots = gan_1d.watch(settings, seed=0, every=10, n_samples=500)
    assert [s.step for s in snapshots] == [0, 10, 20, 30, 40]
    x, _ = gan_1d.grid(settings)
    for snap in snapshots:
        assert snap.samples.shape == (500,) and snap.d.shape == x.shape
        assert ((snap.d > 0) & (snap.d < 1)).all()
    assert np.isnan(snapshots[0].d_loss) and np.isfinite(snapshots[-1].d_loss)
    assert not np.allclose(snapshots[0].samples, snapshots[-1].samples)
    again = gan_1d.watch(settings, seed=0, every=10, n_samples=500)
    np.testing.assert_allclose(again[-1].samples, snapshots[-1].samples, rtol=1e-5, atol=1e-6)


def test_pictures_of_the_snapshots():
    settings = _tiny(20)
    snapshots = gan_1d.watch(settings, seed=0, every=10, n_samples=300)
    fig = gan_1d.plot_snapshots(snapshots, settings)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0].startswith("step 0: modes") and len(titles) == 3
    assert len(gan_1d.plot_snapshots(snapshots, settings, steps=[10, 20]).axes) == 2
    with pytest.raises(ValueError, match=r"no snapshot at steps \[15\]"):
        gan_1d.plot_snapshots(snapshots, settings, steps=[15])
    fig = gan_1d.plot_modes({"a": snapshots, "b": snapshots}, settings)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == len(settings.hparams["centres"]) + 1
