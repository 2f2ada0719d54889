"""The CycleGAN: its shared layers, networks, history buffer, schedule, training and translation."""

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pytest

import gan_course as gc
from gan_course import config, losses, models
from gan_course.art import patches
from gan_course.models import blocks, cyclegan

PAIR = "art/photos:art/paintings"
OLD_CHECKPOINT = Path(__file__).parent.parent / "data" / "instance_norm_generator" / "ckpt-1"
OLD_OUTPUT = OLD_CHECKPOINT.parent / "output.npy"


def _tiny(image_size=16, history=4):
    settings = models.profile("quick")["cyclegan"].with_hparams(image_size=image_size,
                                                                history_size=history)
    config.seed_everything(0)
    return cyclegan.build(settings, (image_size, image_size, 3), seed=0), settings


def test_instance_normalization_normalises_each_image_and_channel_alone():
    x = np.random.default_rng(0).normal(3.0, 2.0, (2, 5, 7, 4)).astype("f4")
    x[1] *= 10.0  # another image's scale must not matter
    y = np.asarray(blocks.instance_norm(center=False, scale=False)(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, atol=1e-3)
    expected = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(
        x.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    layer = blocks.instance_norm()
    layer(x)
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    with config.precision_policy("mixed"):
        y16 = np.asarray(blocks.instance_norm(center=False, scale=False)(x * 1e3), np.float32)
    np.testing.assert_allclose(y16, expected, rtol=1e-2, atol=1e-2)  # no float16 overflow


def test_runs_recorded_with_the_hand_written_instance_norm_restore(tmp_path):
    """The old layer's variables were gamma and beta too: a checkpoint of a generator built with
    it restores into today's, with the same outputs (recorded file: tests/data)."""
    import tensorflow as tf

    g = cyclegan.build_generator(width=4, residual_blocks=1)
    status = tf.train.Checkpoint(g=g).restore(str(OLD_CHECKPOINT))
    status.assert_nontrivial_match()
    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype("f4")
    np.testing.assert_allclose(np.asarray(g(x)), np.load(OLD_OUTPUT), atol=1e-4)


def test_reflection_padding_mirrors_the_border():
    x = np.arange(2 * 3 * 4 * 1, dtype="f4").reshape(2, 3, 4, 1)
    y = np.asarray(blocks.ReflectionPadding2D(2)(x))
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))
    assert blocks.ReflectionPadding2D(3).compute_output_shape((None, None, 8, 3)) == (
        None, None, 14, 3)


def test_shared_layers_are_keras_serializable(tmp_path):
    x = keras.Input((None, None, 3))
    h = blocks.instance_norm(epsilon=1e-4)(blocks.ReflectionPadding2D(2)(x))
    model = keras.Model(x, h)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].padding == 2 and loaded.layers[2].epsilon == 1e-4
    images = np.random.default_rng(1).uniform(size=(1, 9, 11, 3)).astype("f4")
    np.testing.assert_allclose(loaded(images), model(images), atol=1e-6)


@pytest.mark.parametrize("side", [(16, 16), (24, 40)])
def test_generator_is_fully_convolutional(side):
    g = cyclegan.build_generator(width=4, residual_blocks=1)
    x = np.zeros((2, *side, 3), "f4")
    y = np.asarray(g(x))
    assert y.shape == x.shape and np.abs(y).max() <= 1
    kinds = [type(layer).__name__ for layer in g.layers]
    assert kinds.count("ReflectionPadding2D") == 4 and "GroupNormalization" in kinds
    assert "BatchNormalization" not in kinds


def test_patchgan_sees_70_pixel_patches_and_scores_a_map():
    d = cyclegan.build_discriminator(width=8, downsamplings=3)
    assert cyclegan.receptive_field(d) == 70
    assert cyclegan.receptive_field(cyclegan.build_discriminator(8, 2)) == 34
    scores = d(np.zeros((1, 64, 64, 3), "f4"))
    assert tuple(scores.shape) == (1, 8, 8, 1) and scores.dtype == "float32"


def test_least_squares_losses():
    real, fake = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(
        0.5 * (0.5 + 2.0))
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(1.0)
    assert float(losses.cycle_loss(np.zeros(4), np.full(4, 0.5))) == pytest.approx(0.5)


def test_image_history_fills_then_swaps_about_half():
    model, _ = _tiny(history=4)
    history = model.painting_history
    tag = lambda ids: np.broadcast_to(np.asarray(ids, "f4")[:, None, None, None],  # noqa: E731
                                      (len(ids), 16, 16, 3))
    out = np.asarray(history.query(tag([1, 2, 3]), np.array([0, 0], "int32")))
    np.testing.assert_array_equal(out, tag([1, 2, 3]))  # not full: used and stored as they are
    stored = {1, 2, 3}
    returned_old = 0
    for step in range(1, 60):
        ids = [10 * step, 10 * step + 1]
        out = np.asarray(history.query(tag(ids), np.array([step, 7], "int32")))[:, 0, 0, 0]
        for new, got in zip(ids, out.astype(int)):
            if len(stored) < 4:
                assert got == new
                stored.add(new)
            elif got != new:
                assert got in stored  # a stored image, which leaves for the new one
                stored.discard(got)
                stored.add(new)
                returned_old += 1
        assert int(history.count.numpy()) == min(4, len(stored))
        assert set(np.asarray(history.images)[:, 0, 0, 0].astype(int)) == stored
    assert 0.3 < returned_old / 117 < 0.7


def test_train_step_reports_cycle_and_identity_losses():
    model, settings = _tiny()
    _, stream = cyclegan.training_data(PAIR, settings.with_hparams(image_size=16))
    logs = model.fit(stream(0, 0), steps_per_epoch=5, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "cycle_loss", "identity_loss"} <= set(logs)
    assert all(np.isfinite(v[-1]) for v in logs.values())
    assert int(model.painting_history.count.numpy()) == 4  # 5 steps x 2 fakes, 4 kept


def test_translate_takes_any_size_and_keeps_it():
    model, _ = _tiny()
    photo = np.random.default_rng(0).uniform(size=(37, 53, 3)).astype("f4")
    painted = model.translate(photo)
    assert painted.shape == photo.shape and painted.dtype == np.float32
    assert 0 <= painted.min() <= painted.max() <= 1
    batch = model.translate(np.stack([photo, photo]), direction="painting2photo")
    assert batch.shape == (2, 37, 53, 3)


@pytest.mark.parametrize("images, message", [
    (np.zeros((8, 8)), "RGB picture"),
    (np.zeros((16, 16, 3), np.uint8), "divide by 255"),
    (np.full((16, 16, 3), 2.0), r"in \[0, 1\]"),
    (np.zeros((2, 16, 3)), "at least 4 x 4"),
    ([np.zeros((16, 16, 3))], "one at a time"),
])
def test_translate_rejects_bad_pictures(images, message):
    model, _ = _tiny()
    with pytest.raises(ValueError, match=message):
        model.translate(images)


def test_translate_rejects_an_unknown_direction():
    model, _ = _tiny()
    with pytest.raises(ValueError, match="'photo2painting' or 'painting2photo'"):
        model.translate(np.zeros((16, 16, 3), "f4"), direction="photo2monet")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cyclegan"
    return gc.train("cyclegan", dataset=PAIR, profile="quick", seed=0, out_dir=out, verbose=0)


def test_a_run_trains_evaluates_and_translates(quick_run):
    files = {p.name for p in quick_run.directory.iterdir()}
    assert {"checkpoint", "samples.png", "history.json", "metrics.json"} <= files
    history = quick_run.history
    assert len(history["cycle_loss"]) == len(history["identity_loss"]) == len(history["step"])
    quality = quick_run.metrics["quality"]
    assert set(quality) >= {"painting_share_translated", "photo_share_untouched", "cycle_error",
                            "cycle_error_untrained", "style_distance_before",
                            "style_distance_after"}
    assert 0 <= quality["painting_share_translated"] <= 1 and quality["cycle_error"] > 0
    assert len(quick_run.metrics["bar"]) == 5
    photo = patches.domain_images("art/photos", split="test")[0][:50, :70].astype(np.float32) / 255
    assert quick_run.translate(photo).shape == (50, 70, 3)
    samples = quick_run.generate(3, seed=1)
    assert samples.shape == (3, 32, 32, 3) and samples.dtype == np.float32


def test_load_run_restores_generators_and_history_buffers(quick_run):
    loaded = gc.load_run(quick_run.directory)
    for a, b in zip(quick_run.model.extra_state, loaded.model.extra_state):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(np.asarray(loaded.model.painting_history.count)) > 0
    photo = np.random.default_rng(2).uniform(size=(32, 32, 3)).astype("f4")
    np.testing.assert_allclose(loaded.translate(photo), quick_run.translate(photo), atol=1e-5)


def test_resuming_gives_the_same_weights_as_an_unbroken_run(quick_run, tmp_path):
    class StopAfterOneEpoch(keras.callbacks.Callback):  # an interrupted run, same settings
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    first = tmp_path / "b"
    spec = json.loads((quick_run.directory / "config.json").read_text())
    steps, per_epoch = spec["settings"]["steps"], spec["settings"]["steps_per_epoch"]
    stopped = gc.train("cyclegan", dataset=PAIR, profile="quick", out_dir=first, verbose=0,
                       callbacks=[StopAfterOneEpoch()])
    assert stopped.epoch == 1 < steps // per_epoch
    resumed = gc.train("cyclegan", dataset=PAIR, profile="quick", out_dir=first, resume=True,
                       verbose=0)
    assert resumed.epoch == steps // per_epoch
    unbroken = quick_run.model
    for a, b in zip(unbroken.generator.weights + unbroken.discriminator.weights
                    + unbroken.extra_state,
                    resumed.model.generator.weights + resumed.model.discriminator.weights
                    + resumed.model.extra_state):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dataset, error, message", [
    ("art/photos", patches.DomainError, "is not two domains"),
    ("art/photos:art/paintings/picasso", patches.DomainError, "Unknown painting 'picasso'"),
    ("art/paintings:art/paintings", patches.DomainError, "are the same"),
])
def test_bad_domains_fail_before_a_run_directory_is_written(tmp_path, dataset, error, message):
    with pytest.raises(error, match=message):
        gc.train("cyclegan", dataset=dataset, profile="quick", out_dir=tmp_path / "r", verbose=0)
    assert not (tmp_path / "r").exists()


def test_models_without_translation_say_so(tmp_path):
    from gan_course import runs

    run = runs.Run(tmp_path, {"model": "dcgan"}, object(), None, None)
    with pytest.raises(ValueError, match="dcgan does not translate images"):
        run.translate(np.zeros((8, 8, 3)))


def test_training_monitor_shows_photos_paintings_and_round_trips():
    model, settings = _tiny()
    _, stream = cyclegan.training_data(PAIR, settings.with_hparams(image_size=16))
    monitor = gc.widgets.TrainingMonitor(every=1, n_samples=3,
                                         history_keys=("cycle_loss", "identity_loss"))
    model.fit(stream(0, 0), steps_per_epoch=5, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.current_image.shape == (3 * 16 + 2, 3 * 16 + 2, 3)  # 3 rows of 3 patches
    assert "cycle_loss" in monitor.history and monitor.loss_image.value


def test_a_run_recorded_before_decay_from_was_a_setting_still_decays_from_half_way():
    """Lesson 07 runs saved before ``decay_from`` entered the settings must keep restoring: their
    optimizers had the paper's schedule, so a checkpoint holds no learning-rate variable."""
    quick = models.profile("quick")["cyclegan"]
    recorded = {k: v for k, v in quick.hparams.items() if k != "decay_from"}
    settings = dataclasses.replace(quick, hparams=recorded, steps=400)
    model = cyclegan.build(settings, (32, 32, 3), seed=0)
    for optimizer in (model.d_optimizer, model.g_optimizer):
        optimizer.iterations.assign(300)
        assert float(optimizer.learning_rate) == pytest.approx(recorded["g_lr"] / 2)
