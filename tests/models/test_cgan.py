"""The conditional GAN: its networks, its training step on (images, labels), its label checks."""

import json

import keras
import numpy as np
import pytest

import gan_course as gc
from gan_course import cli, config, models
from gan_course.models import cgan
from tests.conftest import needs_mnist

SHAPE = (8, 8, 1)


def small_cgan(conditioning="projection", seed=0, lr=2e-3, classes=2):
    config.seed_everything(seed)
    generator = cgan.build_generator(4, classes, SHAPE, width=8, embed_dim=4, hidden=16)
    discriminator = cgan.build_discriminator(SHAPE, classes, width=8, conditioning=conditioning,
                                             embed_dim=2, hidden=16)
    model = cgan.ConditionalGAN(generator, discriminator, classes, seed=seed, ema_decay=0.9)
    model.compile(d_optimizer=keras.optimizers.Adam(lr, 0.5),
                  g_optimizer=keras.optimizers.Adam(lr, 0.5))
    return model


def dark_and_bright(n=128, seed=0):
    """Class 0: dark images (about -0.8), class 1: bright ones (about +0.8)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n).astype(np.int32)
    level = np.where(labels == 0, -0.8, 0.8)[:, None, None, None]
    images = np.clip(level + rng.normal(0, 0.1, (n, *SHAPE)), -1, 1).astype(np.float32)
    return images, labels


@pytest.mark.parametrize("conditioning", cgan.CONDITIONINGS)
def test_networks_take_a_label_and_give_images_and_one_float32_logit(conditioning):
    g = cgan.build_generator(6, 10, (28, 28, 1), width=8, embed_dim=5, hidden=(16, 16))
    d = cgan.build_discriminator((28, 28, 1), 10, width=8, conditioning=conditioning, hidden=12)
    z = np.random.default_rng(0).standard_normal((4, 6)).astype("f4")
    images = np.asarray(g([z, np.array([0, 3, 9, 3])]))
    assert tuple(images.shape) == (4, 28, 28, 1) and float(np.abs(images).max()) <= 1
    assert not np.allclose(images[1], g([z, np.array([0, 4, 9, 3])])[1])  # the label matters
    logits = d([images, np.array([0, 3, 9, 3])])
    assert tuple(logits.shape) == (4, 1) and logits.dtype == "float32"
    other = d([images, np.array([1, 4, 8, 2])])
    assert np.allclose(logits, other) == (conditioning == "none")


def test_projection_logit_is_the_unconditional_logit_plus_embedding_dot_features():
    d = cgan.build_discriminator(SHAPE, 3, width=4, conditioning="projection", hidden=6)
    table = np.random.default_rng(1).normal(0, 1, (3, 6)).astype("f4")
    d.get_layer("label_projection").set_weights([table])
    x = np.random.default_rng(2).uniform(-1, 1, (5, *SHAPE)).astype("f4")
    labels = np.array([0, 1, 2, 2, 1])
    parts = keras.Model(d.inputs, [d.get_layer("unconditional_logit").output,
                                   d.get_layer("label_dot_features").input[1]])
    psi, phi = (np.asarray(t) for t in parts([x, labels]))
    expected = psi[:, 0] + (table[labels] * phi).sum(axis=1)
    np.testing.assert_allclose(np.asarray(d([x, labels]))[:, 0], expected, rtol=1e-5, atol=1e-6)


def test_concat_discriminator_tiles_the_label_embedding_as_extra_channels():
    d = cgan.build_discriminator(SHAPE, 4, width=4, conditioning="concat", embed_dim=3)
    joined = keras.Model(d.inputs, d.get_layer("image_and_label").output)
    x = np.zeros((2, *SHAPE), "f4")
    out = np.asarray(joined([x, np.array([1, 3])]))
    table = d.get_layer("label_embedding").get_weights()[0]
    assert out.shape == (2, 8, 8, 4)
    np.testing.assert_allclose(out[0, :, :, 1:], np.broadcast_to(table[1], (8, 8, 3)))
    np.testing.assert_allclose(out[1, 5, 2, 1:], table[3])


def test_unknown_conditioning_is_a_clear_error():
    with pytest.raises(ValueError, match="conditioning must be one of 'projection', 'concat'"):
        cgan.build_discriminator(SHAPE, 2, conditioning="multiply")


def test_the_generator_learns_to_draw_the_class_it_is_asked_for():
    images, labels = dark_and_bright()
    model = small_cgan()
    history = model.fit(images, labels, batch_size=32, epochs=40, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    dark = model.generate(64, seed=1, labels=0).mean()
    bright = model.generate(64, seed=1, labels=1).mean()
    assert bright - dark > 0.4, (dark, bright)  # in [0, 1]: about 0.1 against 0.9 when learnt


def test_a_discriminator_that_ignores_the_label_teaches_the_generator_nothing_about_it():
    images, labels = dark_and_bright()
    model = small_cgan("none")
    model.fit(images, labels, batch_size=32, epochs=40, verbose=0)
    dark = model.generate(64, seed=1, labels=0).mean()
    bright = model.generate(64, seed=1, labels=1).mean()
    assert abs(bright - dark) < 0.25, (dark, bright)


def test_fake_labels_are_uniform_and_a_pure_function_of_seed_and_step():
    model = small_cgan(classes=5)
    first = np.asarray(model.sample_labels(2000))
    assert first.dtype == np.int32 and set(np.unique(first)) == set(range(5))
    np.testing.assert_allclose(np.bincount(first) / 2000, 0.2, atol=0.03)
    np.testing.assert_array_equal(first, np.asarray(model.sample_labels(2000)))
    model.g_optimizer.iterations.assign(7)
    assert not np.array_equal(first, np.asarray(model.sample_labels(2000)))


def test_fit_needs_integer_labels_in_range():
    images, labels = dark_and_bright(32)
    model = small_cgan()
    with pytest.raises(ValueError, match=r"\(images, labels\) batches, but got images alone"):
        model.fit(images, batch_size=16, verbose=0)
    import tensorflow as tf

    with pytest.raises(ValueError, match="images alone.*training_stream"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(16), verbose=0)
    with pytest.raises(ValueError, match="integer class indices 0..1, got float32"):
        model.fit(images, labels.astype("f4"), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"labels must lie in 0..1 .*got 2"):
        model.fit(images, labels + 1, batch_size=16, verbose=0)
    stream = gc.data.training_stream(images, 16, labels=labels)
    model.fit(stream, steps_per_epoch=2, verbose=0)


class _Pairs(keras.utils.PyDataset):
    def __init__(self, images, labels, batch):
        super().__init__()
        self.images, self.labels, self.batch = images, labels, batch

    def __len__(self):
        return len(self.images) // self.batch

    def __getitem__(self, i):
        rows = slice(i * self.batch, (i + 1) * self.batch)
        return self.images[rows], self.labels[rows]


def test_fit_takes_generators_and_py_datasets_of_images_and_labels():
    images, labels = dark_and_bright(64)
    model = small_cgan()
    pairs = ((images[i:i + 16], labels[i:i + 16]) for i in range(0, 64, 16))
    model.fit(pairs, epochs=1, steps_per_epoch=4, verbose=0)
    model.fit(_Pairs(images, labels, 16), epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations.numpy()) == 8
    with pytest.raises(ValueError, match="images alone"):
        model.fit((images[i:i + 16] for i in range(0, 64, 16)), steps_per_epoch=4, verbose=0)
    with pytest.raises(ValueError, match=r"labels must lie in 0..1 .*got 2"):
        model.fit(_Pairs(images, labels + 1, 16), epochs=1, verbose=0)


def test_labels_for_sampling_are_checked_with_clear_errors():
    model = small_cgan(classes=3)
    z = model.latents(4)
    np.testing.assert_array_equal(cgan.check_labels(None, 5, 3), [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(cgan.check_labels(2, 3, 3), [2, 2, 2])
    np.testing.assert_array_equal(model.decode(z), model.decode(z, [0, 1, 2, 0]))
    assert model.generate(0, labels=[]).shape == (0, *SHAPE)
    with pytest.raises(ValueError, match=r"lie in 0..2 \(this model knows 3 classes\), got 3"):
        model.generate(4, labels=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="got -1"):
        model.decode(z, [0, -1, 1, 1])
    with pytest.raises(ValueError, match=r"got float64 values \[0.0, 1.0, 2.0, 0.0\]: convert"):
        model.generate(4, labels=np.array([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="integer class indices.*bool"):
        model.decode(z, np.ones(4, bool))
    with pytest.raises(ValueError, match=r"4 images, but labels of shape \(3,\).*np.resize"):
        model.decode(z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels of shape \(4, 1\)"):
        model.generate(4, labels=np.zeros((4, 1), int))


def test_generate_matches_decode_of_its_latents_and_is_seeded():
    model = small_cgan(classes=3)
    labels = [2, 0, 1, 1, 0]
    images = model.generate(5, seed=3, labels=labels)
    np.testing.assert_array_equal(images, model.decode(model.latents(5, seed=3), labels))
    np.testing.assert_allclose(images, model.generate(5, seed=3, labels=labels, batch_size=2),
                               atol=1e-6)  # batches of another size round differently
    grid = cgan.class_grid(model, styles=2, seed=3)
    assert grid.shape == (6, *SHAPE)
    np.testing.assert_allclose(grid[:3], model.decode(np.repeat(model.latents(2, 3)[:1], 3, 0),
                                                      [0, 1, 2]), atol=1e-6)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cgan") / "run"
    run = gc.train("cgan", dataset="mnist", profile="quick", out_dir=out, verbose=0)
    return run


@needs_mnist
def test_a_quick_run_reports_label_agreement_per_class(quick_run):
    metrics = quick_run.metrics
    quality = metrics["quality"]
    assert metrics["steps"] == models.profile("quick")["cgan"].steps
    assert 0 <= quality["label_agreement"] <= 1 and len(quality["agreement_per_class"]) == 10
    assert quality["min_class_agreement"] == min(quality["agreement_per_class"])
    assert len(quality["real_accuracy_per_class"]) == 10
    assert min(quality["real_accuracy_per_class"]) > 0.95  # the MNIST classifier on real digits
    assert set(metrics["bar"]) == {"label agreement >= 95%", "every class >= 90%"}
    images = quick_run.generate(10, seed=1, labels=range(10))
    assert images.shape == (10, 28, 28, 1) and images.dtype == np.float32
    assert (quick_run.directory / "samples.png").is_file()


@needs_mnist
def test_cli_samples_cycle_through_the_requested_labels(quick_run, tmp_path, capsys):
    out = tmp_path / "s.npz"
    assert cli.main(["sample", str(quick_run.directory), "--n", "25", "--labels", "3,1,4",
                     "--out", str(out)]) == 0
    with np.load(out) as f:
        np.testing.assert_array_equal(f["labels"], np.resize([3, 1, 4], 25))
        assert f["images"].shape == (25, 28, 28, 1)
        np.testing.assert_allclose(f["images"], quick_run.generate(25, labels=f["labels"]))
    assert cli.main(["sample", str(quick_run.directory), "--n", "4", "--labels", "0,12",
                     "--out", str(out)]) == 2
    assert "labels must lie in 0..9" in capsys.readouterr().err
    reloaded = gc.load_run(quick_run.directory)
    np.testing.assert_array_equal(reloaded.generate(6, labels=[5] * 6),
                                  quick_run.generate(6, labels=[5] * 6))
    assert json.loads((quick_run.directory / "config.json").read_text())["model"] == "cgan"
