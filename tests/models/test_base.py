"""The GAN every model inherits: fit, metrics, EMA, input checks, sampling."""

import dataclasses

import keras
import numpy as np
import pytest

from gan_course import callbacks, config
from gan_course.models import base, mlp_gan


def small_gan(seed=0, lr=2e-4):
    config.seed_everything(seed)
    model = base.GAN(mlp_gan.build_generator(8, (6, 6, 1), (16,)), mlp_gan.build_discriminator((6, 6, 1), (16,)),
                    seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(lr, 0.5), g_optimizer=keras.optimizers.Adam(lr, 0.5))
    return model


def images(n=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 6, 6, 1)).astype("f4")


def test_fit_reports_the_four_metrics_and_samples_are_in_unit_range():
    model = small_gan()
    history = model.fit(images(), batch_size=16, epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    samples = model.generate(5, seed=1)
    assert samples.shape == (5, 6, 6, 1) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, model.generate(5, seed=1))


def test_wrong_image_shape_is_explained():
    model = small_gan()
    with pytest.raises(ValueError, match=r"shape \(36,\).*expects \(6, 6, 1\).*Reshape"):
        model.fit(images().reshape(32, 36), batch_size=16, verbose=0)
    with pytest.raises(ValueError, match="Add a channel axis"):
        model.fit(images()[..., 0], batch_size=16, verbose=0)


def test_pixel_range_is_explained():
    model = small_gan()
    with pytest.raises(ValueError, match=r"\[-1, 1\].*raw pixels"):
        model.fit((images() + 1) * 127.5, batch_size=16, verbose=0)


def test_nan_loss_stops_training_with_a_reason():
    model = small_gan()
    bad = images()
    bad[3, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, batch_size=16, verbose=0)
    # Weights that blow up: a NaN appears inside training, not in the data.
    model = small_gan()
    first = model.discriminator.layers[-1]
    first.kernel.assign(np.full(first.kernel.shape, np.nan, "f4"))
    with pytest.raises(base.TrainingDiverged, match="d_loss became nan at step .*lower the learning"):
        model.fit(images(), batch_size=16, epochs=1, verbose=0, callbacks=[callbacks.StopOnNaN()])


def test_decode_checks_latent_shape():
    model = small_gan()
    with pytest.raises(ValueError, match=r"latents must have shape \(n, 8\)"):
        model.decode(np.zeros((2, 5), "f4"))


def test_ema_generator_tracks_the_generator():
    model = small_gan()
    model.fit(images(), batch_size=16, epochs=3, verbose=0)
    for avg, var in zip(model.ema_generator.weights, model.generator.weights):
        assert avg.shape == var.shape
    # Early on the warm-up makes the average follow closely, but it is an average, not a copy.
    diffs = [np.abs(a.numpy() - v.numpy()).max() for a, v in zip(model.ema_generator.weights, model.generator.weights)]
    assert 0 < max(diffs) < 0.05


def test_fit_takes_a_python_generator_and_checks_its_first_batch():
    model = small_gan()
    batches = (images(16, seed=s) for s in range(4))
    history = model.fit(batches, epochs=1, steps_per_epoch=4, verbose=0)
    assert len(history.history["d_loss"]) == 1 and model.g_optimizer.iterations.numpy() == 4
    with pytest.raises(ValueError, match=r"Images have shape \(36,\)"):
        model.fit((images(16).reshape(16, 36) for _ in range(2)), epochs=1, steps_per_epoch=2,
                  verbose=0)
    with pytest.raises(ValueError, match="yields no batch"):
        model.fit(iter(()), epochs=1, steps_per_epoch=1, verbose=0)


def test_compile_makes_no_keras_default_optimizer_and_builds_its_own():
    model = small_gan()
    assert model.optimizer is None and model.built
    assert model.d_optimizer.built and model.g_optimizer.built
    slots = {id(v) for v in model.d_optimizer.variables + model.g_optimizer.variables}
    # Adam's m and v for each weight of its network, and its step counter and learning rate
    assert len(slots) == 2 * len(model.trainable_weights) + 2 * 2


def test_linear_decay_is_constant_then_falls_to_zero_and_survives_serialisation():
    schedule = base.LinearDecay(2e-4, total_steps=100)
    rates = [float(schedule(s)) for s in (0, 50, 75, 100, 120)]
    assert rates == pytest.approx([2e-4, 2e-4, 1e-4, 0.0, 0.0])
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert float(again(75)) == pytest.approx(1e-4)


def test_decay_from_holds_the_rate_then_lowers_it_to_zero_at_the_last_step():
    assert base.learning_rate({"g_lr": 4e-4}, "g", 1000) == 4e-4
    schedule = base.learning_rate({"g_lr": 4e-4, "decay_from": 0.6}, "g", 1000)
    assert [float(schedule(s)) for s in (0, 600, 800, 1000)] == pytest.approx(
        [4e-4, 4e-4, 2e-4, 0.0])
    with pytest.raises(ValueError, match="decay_from is the fraction of the run"):
        base.learning_rate({"g_lr": 4e-4, "decay_from": 1.0}, "g", 1000)


@pytest.mark.parametrize("name, shape", [("dcgan", (28, 28, 1)), ("wgan_gp", (28, 28, 1)),
                                         ("cyclegan", (32, 32, 3))])
def test_every_optimizer_of_a_model_follows_decay_from(name, shape):
    from gan_course import models

    settings = dataclasses.replace(models.profile("quick")[name].with_hparams(decay_from=0.5),
                                   steps=400)
    model = models.get(name).build(settings, shape, seed=0)
    # a WGAN-GP step updates the critic n_critic times: its schedule counts critic updates
    updates = {"d": settings.steps * settings.hparams.get("n_critic", 1), "g": settings.steps}
    for prefix, optimizer in (("d", model.d_optimizer), ("g", model.g_optimizer)):
        rate = settings.hparams[f"{prefix}_lr"]
        optimizer.iterations.assign(updates[prefix] // 2)
        assert float(optimizer.learning_rate) == pytest.approx(rate)
        optimizer.iterations.assign(updates[prefix] * 3 // 4)
        assert float(optimizer.learning_rate) == pytest.approx(rate / 2)
        optimizer.iterations.assign(updates[prefix])
        assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-12)


def test_the_remapper_is_off_while_a_gan_trains_and_as_it_was_afterwards():
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    model = small_gan()
    assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before
    seen = []
    inside = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append(
        tf.config.optimizer.get_experimental_options().get("remapping", True)))
    model.fit(images(), batch_size=16, epochs=1, verbose=0, callbacks=[inside])
    assert seen == [config.gpu_available()]  # off on a CPU, TensorFlow's choice on a GPU
    assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before
