"""Lesson 08's art GAN: StyleGAN's pieces, DiffAugment, the school's crops, the bar, shipping."""

import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import gan_course as gc
from gan_course import cli, config, models
from gan_course.art import augment, patches
from gan_course.models import art_gan, art_gan_pretrained, art_gan_quality
from gan_course.models import art_gan_layers as al

SCHOOL = "art/paintings/van_gogh"


def _quick():
    return models.profile("quick")["art_gan"]


@pytest.fixture(scope="module")
def tiny():
    config.seed_everything(0)
    return art_gan.build(_quick(), (64, 64, 3), seed=0)


# --- the ideas ----------------------------------------------------------------------------------

def test_truncation_moves_w_towards_the_mean():
    rng = np.random.default_rng(0)
    w, mean = rng.normal(size=(5, 3, 8)), rng.normal(size=8)
    np.testing.assert_allclose(art_gan.truncate(w, mean, 1.0), w)
    np.testing.assert_allclose(art_gan.truncate(w, mean, 0.0), np.broadcast_to(mean, w.shape))
    half = art_gan.truncate(w[:, 0], mean, 0.5)
    np.testing.assert_allclose(np.linalg.norm(half - mean, axis=1),
                               0.5 * np.linalg.norm(w[:, 0] - mean, axis=1))


def test_mixing_takes_coarse_layers_from_one_style_and_fine_from_the_other():
    coarse, fine = np.zeros((2, 4)), np.ones((2, 4))
    ws = art_gan.mix_styles(coarse, fine, 3, 10)
    assert ws.shape == (2, 10, 4)
    assert (ws[:, :3] == 0).all() and (ws[:, 3:] == 1).all()
    assert (art_gan.mix_styles(coarse, fine, 0, 10) == 1).all()


def test_demodulation_is_one_over_the_modulated_kernels_norm():
    rng = np.random.default_rng(1)
    kernel, styles = rng.normal(size=(3, 3, 4, 5)), rng.uniform(0.5, 2, size=(2, 4))
    brute = [[1 / np.sqrt(np.sum((kernel[..., o] * s) ** 2) + 1e-8) for o in range(5)]
             for s in styles]
    np.testing.assert_allclose(np.asarray(art_gan.demodulation(kernel, styles)), brute,
                               rtol=1e-5)


def test_a_demodulated_convolution_keeps_unit_variance_whatever_the_style():
    conv = al.ModulatedConv(32)
    x = tf.random.normal((4, 16, 16, 64), seed=0)
    for scale in (0.1, 10.0):
        w = tf.fill((4, 8), scale)
        y = conv([x, w])
        assert 0.7 < float(tf.math.reduce_std(y[:, 2:-2, 2:-2])) < 1.3


def test_adain_gives_each_channel_the_asked_statistics():
    x = tf.random.normal((2, 8, 8, 3), mean=5, stddev=3, seed=0)
    mean, std = np.array([[0.0, 1, 2], [3, 4, 5]]), np.array([[1.0, 2, 3], [0.5, 1, 1.5]])
    y = np.asarray(art_gan.adain(x, mean, std))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), mean, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), std, rtol=1e-3)


def test_the_mapping_network_normalises_z_first():
    mapping = art_gan.mapping_network(16, 8, 3)
    dense = [layer for layer in mapping.layers if isinstance(layer, al.ScaledDense)]
    assert len(dense) == 3 and mapping.output_shape == (None, 8)
    z = np.random.default_rng(0).normal(size=(4, 16)).astype("f4")
    np.testing.assert_allclose(mapping(z), mapping(3 * z), rtol=1e-4, atol=1e-6)


# --- the generator ------------------------------------------------------------------------------

def test_the_generator_samples_64_pixel_pictures(tiny):
    assert tiny.n_layers == art_gan.style_layers(64) == 10
    images = tiny.generate(3, seed=1, psi=0.7)
    assert images.shape == (3, 64, 64, 3) and images.dtype == np.float32
    assert 0 <= images.min() <= images.max() <= 1
    np.testing.assert_array_equal(images, tiny.generate(3, seed=1, psi=0.7))
    assert tiny.w_mean.shape == (tiny.w_dim,) and tiny.styles(tiny.latents(2)).shape == (2, 16)


def test_each_layers_style_and_the_noise_change_the_picture(tiny):
    w = tiny.styles(tiny.latents(2, seed=3))
    ws = tiny.broadcast(w[:1])
    base = tiny.synthesise(ws)
    for layer in (0, 5, 9):
        other = ws.copy()
        other[:, layer] = w[1]
        assert np.abs(tiny.synthesise(other) - base).max() > 1e-4, layer
    strengths = [v for v in tiny.ema_generator.weights if "strength" in v.path]
    saved = [v.numpy() for v in strengths]
    try:
        for v in strengths:
            v.assign(np.ones(v.shape))
        a, b = tiny.synthesise(ws, noise_seed=0), tiny.synthesise(ws, noise_seed=1)
        assert np.abs(a - b).max() > 1e-3
        np.testing.assert_array_equal(a, tiny.synthesise(ws, noise_seed=0))
    finally:
        for v, s in zip(strengths, saved):
            v.assign(s)


def test_synthesise_checks_the_styles_shape(tiny):
    with pytest.raises(ValueError, match=r"shape \(n, 10, 16\)"):
        tiny.synthesise(np.zeros((2, 16), "f4"))


def _normalised(discriminator):
    return any(isinstance(layer, keras.layers.SpectralNormalization)
               for layer in discriminator.layers)


def test_spectral_normalisation_is_a_setting_off_by_default():
    assert _normalised(art_gan.build_discriminator((8, 8, 8, 8, 8), spectral=True))
    assert not _normalised(art_gan.build_discriminator((8, 8, 8, 8, 8), spectral=False))
    assert not _normalised(art_gan.build(_quick(), (64, 64, 3), seed=0).discriminator)
    on = art_gan.build(_quick().with_hparams(spectral_norm=True), (64, 64, 3), seed=0)
    assert _normalised(on.discriminator)


def test_a_run_recorded_before_the_setting_keeps_its_spectrally_normalised_hinge_discriminator():
    hparams = {k: v for k, v in _quick().hparams.items() if k != "spectral_norm"}
    old = dataclasses.replace(_quick(), hparams=hparams)
    assert _normalised(art_gan.build(old, (64, 64, 3), seed=0).discriminator)
    r1 = dataclasses.replace(_quick(), hparams={**hparams, "loss": "r1"})
    assert not _normalised(art_gan.build(r1, (64, 64, 3), seed=0).discriminator)


# --- DiffAugment --------------------------------------------------------------------------------

def test_diff_augment_is_seeded_and_the_empty_policy_is_the_identity():
    x = tf.random.uniform((4, 16, 16, 3), -1, 1, seed=0)
    a, b = augment.diff_augment(x, 1), augment.diff_augment(x, 1)
    np.testing.assert_array_equal(a, b)
    assert np.abs(np.asarray(a) - np.asarray(augment.diff_augment(x, 2))).max() > 0.1
    assert augment.diff_augment(x, 1, ()) is x
    for name in augment.POLICY:
        assert augment.diff_augment(x, 1, (name,)).shape == x.shape
    with pytest.raises(ValueError, match="Unknown augmentation 'flip'"):
        augment.diff_augment(x, 1, ("flip",))


def test_diff_augment_passes_gradients_through():
    x = tf.Variable(tf.random.uniform((4, 16, 16, 3), -1, 1, seed=0))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(augment.diff_augment(x, 5) ** 2)
    grad = tape.gradient(y, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_cutout_and_translation_blank_part_of_each_picture():
    x = tf.ones((8, 16, 16, 3))
    holed = np.asarray(augment.cutout(x, tf.constant([1, 2])))
    assert np.allclose((holed == 0).mean(axis=(1, 2, 3)), 0.25, atol=0.15)
    shifted = np.asarray(augment.translation(x, tf.constant([3, 4])))
    assert (shifted == 0).mean() > 0 and (shifted == 1).mean() > 0.5


def test_training_augments_real_and_generated_pictures_alike(tiny, monkeypatch):
    seen, original = [], augment.diff_augment

    def spy(images, seed, policy=augment.POLICY, rows=None):
        seen.append((int(images.shape[0]), tuple(policy)))
        return original(images, seed, policy, rows)

    model = art_gan.build(_quick(), (64, 64, 3), seed=0)
    monkeypatch.setattr(art_gan.art_augment, "diff_augment", spy)
    model.train_step(tf.zeros((4, 64, 64, 3)))
    assert seen == [(8, augment.POLICY)]  # one call on the 4 reals and the 4 fakes together


# --- data and errors ----------------------------------------------------------------------------

def _folder(path, count, side=80):
    from PIL import Image

    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (side, side + 10, 3), np.uint8)).save(
            path / f"p{i}.png")
    return f"folder:{path}"


@pytest.mark.parametrize("dataset, message", [
    ("art/paintings/picasso", "Unknown painting 'picasso'.*The schools"),
    ("FEW", "holds 3 training picture.*at least 4"),
    ("SMALL", "smaller than the 64 x 64 patches"),
])
def test_bad_schools_fail_before_a_run_directory_is_written(tmp_path, dataset, message):
    if dataset == "FEW":
        dataset = _folder(tmp_path / "few", 3)
    elif dataset == "SMALL":
        dataset = _folder(tmp_path / "small", 5, side=40)
    with pytest.raises(patches.DomainError, match=message):
        gc.train("art_gan", dataset=dataset, profile="quick", out_dir=tmp_path / "r", verbose=0)
    assert not (tmp_path / "r").exists()


def test_an_unknown_loss_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match="'hinge' or 'r1'"):
        art_gan.ArtGAN(tiny.generator, tiny.discriminator, 16, loss="wasserstein")


def test_the_command_line_trains_on_a_folder_and_resumes(tmp_path):
    dataset = _folder(tmp_path / "mine", 4)
    out = tmp_path / "run"
    assert cli.main(["train", "art_gan", "--dataset", dataset, "--profile", "quick",
                     "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["quality"]["reference"].endswith("(train)") and len(metrics["bar"]) == 5
    first = gc.load_run(out)
    before = [v.numpy() for v in first.model.generator.weights]
    assert cli.main(["train", "art_gan", "--dataset", dataset, "--profile", "quick",
                     "--out", str(out), "--resume"]) == 0
    after = gc.load_run(out).model.generator.weights
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b.numpy())  # finished: nothing more to train


# --- the bar --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crops():
    held = patches.domain_images(SCHOOL, 64, "test")
    train = patches.domain_images(SCHOOL, 64, "train")
    scale = _quick().hparams["crop_scale"]
    return {"held": patches.sample_patches(held, 128, 64, 2025, scale),
            "other": patches.sample_patches(held, 128, 64, 2026, scale),
            "train": patches.sample_patches(train, 128, 64, 2027, scale),
            "fresh_held": patches.sample_patches(held, 128, 64, 7, scale),
            "fresh_train": patches.sample_patches(train, 128, 64, 99, scale),
            "paintings": train, "scale": tuple(scale)}


def _bar(generated, crops):
    q = art_gan_quality.quality(generated, crops["held"], crops["other"], crops["paintings"],
                                crops["scale"])
    return q, art_gan_quality.bar(q)


def _failed(bar, start):
    named = [name for name in bar if name.startswith(start)]
    assert len(named) == 1, bar
    return not bar[named[0]]


def test_the_bar_passes_held_out_crops(crops):
    q, bar = _bar(crops["fresh_held"], crops)
    assert all(bar.values()), (q, bar)


def test_the_bar_fails_an_untrained_generator(crops, tiny):
    q, bar = _bar(tiny.generate(128, seed=0), crops)
    assert not all(bar.values()), q


def test_the_bar_fails_a_collapsed_generator(crops):
    q, bar = _bar(np.repeat(crops["fresh_held"][:1], 128, axis=0), crops)
    assert q["recall"] <= q["recall_collapsed"] + 0.05 and not all(bar.values())


@pytest.mark.parametrize("which", ["train", "fresh_train"])
def test_the_bar_fails_a_generator_that_copies_training_crops(crops, which):
    q, bar = _bar(crops[which], crops)
    assert _failed(bar, "not copied") and q["copied_share"] > 0.9, q


def test_a_tinted_copier_is_still_a_copier(crops):
    q, bar = _bar(np.clip(crops["fresh_train"] * 0.8 + 0.1, 0, 1), crops)
    assert _failed(bar, "not copied") and q["copied_share"] > 0.9, q


def test_the_bar_fails_smooth_colour_fields_that_the_judge_passes(crops):
    import tensorflow as tf

    small = tf.image.resize(crops["fresh_held"], [8, 8], method="area")
    fields = np.clip(tf.image.resize(small, [64, 64], method="bicubic").numpy(), 0, 1)
    q, bar = _bar(fields, crops)
    assert _failed(bar, "fine detail") and q["detail"] < art_gan_quality.DETAIL_RANGE[0], q


def test_the_bar_fails_speckle(crops):
    rng = np.random.default_rng(0)
    speckled = np.clip(crops["fresh_held"] + rng.normal(0, 0.2, crops["fresh_held"].shape), 0, 1)
    q, bar = _bar(speckled.astype("float32"), crops)
    assert _failed(bar, "fine detail") and q["detail"] > art_gan_quality.DETAIL_RANGE[1], q


def test_the_bar_fails_one_layout_in_many_colours(crops):
    """A near-collapse: one crop's layout, each copy tinted differently (the recall in the
    judge's features need not see it; the thumbnails do)."""
    rng = np.random.default_rng(0)
    one = crops["fresh_held"][:1]
    tints = rng.uniform(0.8, 1.2, (128, 1, 1, 3))
    q, bar = _bar(np.clip(one * tints, 0, 1).astype("float32"), crops)
    assert _failed(bar, "varied layouts"), q


def test_layout_spread_is_zero_for_one_picture_and_needs_two(crops):
    assert art_gan_quality.layout_spread(np.repeat(crops["held"][:1], 5, axis=0)) == 0
    assert art_gan_quality.layout_spread(crops["held"][:2]) > 0
    with pytest.raises(ValueError, match="at least 2"):
        art_gan_quality.layout_spread(crops["held"][:1])


def test_kid_is_unbiased_near_zero_for_one_distribution():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    assert abs(art_gan_quality.kid(a, b)) < 0.05 < art_gan_quality.kid(a, b + 1.0)


# --- shipping --------------------------------------------------------------------------------------

def test_a_shipped_generator_samples_as_the_model_did(tmp_path, tiny):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    spec = {"model": "art_gan", "dataset": SCHOOL, "profile": "quick", "seed": 0,
            "image_shape": [64, 64, 3], "settings": _quick().as_dict()}
    (run_dir / "config.json").write_text(json.dumps(spec))
    (run_dir / "metrics.json").write_text("{}")
    root = tmp_path / "assets"
    from gan_course.models import shipped

    shipped.write(tiny.ema_generator, run_dir, root / "art_gan" / "tiny")
    run = gc.pretrained("art_gan/tiny", root=root)
    artist = run.model
    assert isinstance(artist, art_gan_pretrained.ArtGenerator) and artist.n_layers == 10
    np.testing.assert_allclose(run.generate(4, seed=2), tiny.generate(4, seed=2), atol=0.02)
    np.testing.assert_allclose(artist.w_mean, tiny.w_mean, atol=0.02)
    w = artist.styles(artist.latents(2))
    ws = art_gan.mix_styles(w[:1], w[1:], 4, artist.n_layers)
    assert artist.synthesise(ws, noise_seed=1).shape == (1, 64, 64, 3)


@pytest.mark.parametrize("precision, loss", [("mixed", "hinge"), ("float32", "r1")])
def test_a_step_trains_under_mixed_precision_and_with_r1(precision, loss):
    settings = _quick().with_hparams(loss=loss)
    with config.precision_policy(precision):
        model = art_gan.build(settings, (64, 64, 3), seed=0)
        logs = model.train_step(tf.random.uniform((4, 64, 64, 3), -1, 1, seed=0))
        images = model.generate(2, seed=0)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert images.dtype == np.float32 and np.isfinite(images).all()


def test_the_pretrain_script_ships_a_snapshot_measured_again(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import art_gan_pretrain

    run = gc.train("art_gan", dataset=SCHOOL, profile="quick", out_dir=tmp_path / "run",
                   verbose=0)
    snapshot = art_gan_pretrain.snapshot_file(tmp_path / "run", 2)
    snapshot.parent.mkdir()
    final = run.model.generate(2, seed=3)
    ema = run.model.ema_generator
    ema.set_weights([w * 0.5 for w in ema.get_weights()])  # a snapshot unlike the final weights
    earlier = run.model.generate(2, seed=3)
    ema.save_weights(snapshot)
    folder = art_gan_pretrain.ship(tmp_path / "run", "art_gan/tiny", root=tmp_path / "assets",
                                   step=2)
    shipped = gc.pretrained("art_gan/tiny", root=tmp_path / "assets")
    assert shipped.metrics["steps"] == 2 and set(shipped.metrics["bar"]) == set(run.metrics["bar"])
    assert json.loads((folder / "config.json").read_text())["settings"]["steps"] == 2
    np.testing.assert_allclose(shipped.generate(2, seed=3), earlier, atol=0.02)
    assert np.abs(earlier - final).max() > 0.05
