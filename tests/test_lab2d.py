"""Lesson 04's 2-D lab: snapshot training, pictures, the coverage table and the snapshot player."""

import dataclasses
import re

import numpy as np
import pytest

from gan_course import models
from gan_course.widgets import lab2d


@pytest.fixture(scope="module")
def lab_runs():
    settings = dataclasses.replace(models.profile("quick")["wgan_gp_2d"], steps=20,
                                   steps_per_epoch=10)
    return {kind: lab2d.train(kind, settings, "toy_8gaussians", seed=0, n=200)
            for kind in ("gan", "wgan_gp")}


def test_each_run_keeps_a_snapshot_at_the_start_and_after_every_epoch(lab_runs):
    for run in lab_runs.values():
        assert [s.step for s in run.snapshots] == [0, 10, 20]
        snap = run.snapshots[-1]
        assert snap.samples.shape == (200, 2)
        assert snap.scores.shape == (lab2d.GRID, lab2d.GRID) and np.isfinite(snap.scores).all()
        assert snap.quality["modes"] == 8 and snap.quality["samples"] == 200
    d = lab_runs["gan"].snapshots[-1].scores  # the plain GAN's map is a probability
    assert d.min() >= 0 and d.max() <= 1


def test_both_generators_start_from_the_same_weights(lab_runs):
    first = [run.snapshots[0].samples for run in lab_runs.values()]
    np.testing.assert_allclose(first[0], first[1], rtol=1e-5, atol=1e-6)


def test_pictures_and_table(lab_runs):
    fig = lab2d.plot_side_by_side(lab_runs, -1)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 2
    assert "plain GAN, step 20" in fig.axes[0].get_title()
    table = lab2d.coverage_table(lab_runs).splitlines()
    assert len(table) == 4 and "plain GAN" in table[0] and "WGAN-GP" in table[0]
    assert table[-1].split()[0] == "20" and "/8 modes" in table[-1]
    # step, then one column per run, apart even when a cell is as wide as it gets
    wide = {"modes_covered": 8, "modes": 8, "high_quality": 0.99}
    copies = [dataclasses.replace(run, snapshots=[dataclasses.replace(run.snapshots[-1],
                                                                      quality=wide)])
              for run in lab_runs.values()]
    assert len(re.split(r"\s{2,}", lab2d.coverage_table(copies).splitlines()[-1].strip())) == 3


def test_player_steps_through_the_snapshots(lab_runs):
    player = lab2d.SnapshotPlayer(lab_runs)
    assert player.index == 0 and player.slider.max == 2  # opens at the start of training
    assert player.image.layout.align_self == "flex-start"  # not stretched across the page
    first = player.image.value
    player.play.value = 2  # the play button drives the slider
    assert player.index == 2 and player.image.value != first
    player.slider.value = 0
    assert player.image.value == first  # frames are cached


def test_bad_arguments_are_explained(lab_runs):
    settings = models.profile("quick")["wgan_gp_2d"]
    with pytest.raises(ValueError, match="kind must be one of gan, sn_gan, wgan_gp, wgan_clip"):
        lab2d.build("dcgan", settings)
    with pytest.raises(ValueError, match="every must divide the 40 steps"):
        lab2d.train("gan", settings, every=15)
    short = dataclasses.replace(lab_runs["gan"], snapshots=lab_runs["gan"].snapshots[:1])
    with pytest.raises(ValueError, match="same, non-zero number of snapshots"):
        lab2d.SnapshotPlayer([short, lab_runs["wgan_gp"]])


def test_the_clipped_wgan_keeps_its_critic_within_c():
    settings = dataclasses.replace(models.profile("quick")["wgan_gp_2d"], steps=10,
                                   steps_per_epoch=10)
    run = lab2d.train("wgan_clip", settings, seed=0, n=100)
    weights = np.concatenate([w.numpy().ravel() for w in run.model.critic.trainable_weights])
    assert np.abs(weights).max() <= 0.01 + 1e-7
    assert run.label == "WGAN, clipped weights"


def test_the_sn_gan_is_the_plain_gan_with_spectral_normalisation():
    import keras

    settings = dataclasses.replace(models.profile("quick")["wgan_gp_2d"], steps=10,
                                   steps_per_epoch=10)
    run = lab2d.train("sn_gan", settings, seed=0, n=100)
    plain = lab2d.build("gan", settings, seed=0)
    wrapped = [layer for layer in run.model.discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    dense = [layer for layer in plain.discriminator.layers if isinstance(layer, keras.layers.Dense)]
    assert len(wrapped) == len(dense) == 3  # every dense layer, the score's too
    assert run.label == "SN GAN" and 0 <= run.snapshots[-1].scores.min() <= 1  # a probability D(x)
    # in training mode every kernel is divided by its largest singular value (estimated)
    run.model.discriminator(np.zeros((4, 2), np.float32), training=True)
    for layer in wrapped:
        assert np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0] == pytest.approx(
            1.0, rel=0.05)


def test_every_recipe_trains_with_the_same_optimiser():
    settings = models.profile("classroom")["wgan_gp_2d"]
    for kind in lab2d.KINDS:
        model = lab2d.build(kind, settings, seed=0)
        for optimizer in (model.d_optimizer, model.g_optimizer):
            assert type(optimizer).__name__ == "Adam"
            assert float(optimizer.beta_1) == 0.0 and float(optimizer.beta_2) == 0.9
            assert float(optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
