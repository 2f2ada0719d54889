import keras
import numpy as np
import pytest

from gan_course import callbacks, config, gan, nets, recipes


def small_gan(seed=0, lr=2e-4):
    config.seed_everything(seed)
    model = gan.GAN(nets.mlp_generator(8, (6, 6, 1), (16,)), nets.mlp_discriminator((6, 6, 1), (16,)),
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
    with pytest.raises(gan.TrainingDiverged, match="d_loss became nan at step .*lower the learning"):
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


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Valid models: .*mlp_gan"):
        recipes.get("stylegan9")


def small_infogan(seed=0, categories=3, continuous=2, lr=2e-4, prior_rate=0.0):
    config.seed_everything(seed)
    discriminator = nets.with_code_head(nets.mlp_discriminator((6, 6, 1), (16,)), categories,
                                        continuous)
    model = gan.InfoGAN(nets.mlp_generator(8 + categories + continuous, (6, 6, 1), (16,)),
                        discriminator, categories, continuous, seed=seed, prior_rate=prior_rate)
    model.compile(d_optimizer=keras.optimizers.Adam(lr, 0.5), g_optimizer=keras.optimizers.Adam(lr, 0.5))
    return model


def test_infogan_latents_hold_noise_a_one_hot_category_and_continuous_codes():
    model = small_infogan()
    z = model.latents(50, seed=1)
    assert z.shape == (50, 13) and model.noise_dim == 8
    one_hot = z[:, 8:11]
    assert set(np.unique(one_hot)) == {0.0, 1.0} and (one_hot.sum(axis=1) == 1).all()
    assert np.abs(z[:, 11:]).max() <= 1 and z[:, 11:].std() > 0.3
    assert (model.latents(6, seed=2, category=2)[:, 10] == 1).all()
    with pytest.raises(ValueError, match=r"category must be in 0\.\.2, got 3"):
        model.latents(2, category=3)
    drawn, category, continuous = (np.asarray(t) for t in model.sample_codes(16))
    np.testing.assert_array_equal(drawn[:, 8:11].argmax(axis=1), category)
    np.testing.assert_array_equal(drawn[:, 11:], continuous)


def test_infogan_rejects_a_latent_with_no_room_for_noise():
    with pytest.raises(ValueError, match="at least 2 categories and some noise"):
        gan.InfoGAN(nets.mlp_generator(5, (6, 6, 1), (16,)),
                    nets.with_code_head(nets.mlp_discriminator((6, 6, 1), (16,)), 3, 2), 3, 2)


def test_infogan_info_loss_is_cross_entropy_plus_weighted_squared_error():
    model = small_infogan()
    guesses = np.array([[2.0, 0.0, -1.0, 0.5, -0.5], [0.0, 1.0, 0.0, 0.0, 1.0]], "f4")
    category, continuous = np.array([0, 2]), np.array([[1.0, -0.5], [0.0, 0.0]], "f4")
    logits = guesses[:, :3]
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    cross_entropy = -log_probs[[0, 1], category].mean()
    squared_error = ((guesses[:, 3:] - continuous) ** 2).mean()
    assert float(model.info_loss(guesses, category, continuous)) == pytest.approx(
        cross_entropy + 0.5 * squared_error, rel=1e-5)


def test_infogan_learns_to_read_back_its_code():
    model = small_infogan(lr=2e-3)
    history = model.fit(images(64), batch_size=16, epochs=20, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake", "info_loss"}
    assert history["info_loss"][0] > 1.0  # about log(3) + 0.5 * 2/3 for blind guesses
    assert history["info_loss"][-1] < 0.25 * history["info_loss"][0]


def test_dcgan_recipe_with_codes_builds_an_infogan_of_the_same_networks():
    quick = config.profile("quick")["dcgan"]
    plain, coded = quick.with_hparams(codes=None), quick.with_hparams(codes=(10, 2))
    model = recipes.get("dcgan").build(coded, (28, 28, 1), 0)
    assert isinstance(model, gan.InfoGAN) and model.latent_dim == plain.hparams["latent_dim"] + 12
    assert (model.categories, model.continuous) == (10, 2)
    assert [tuple(o.shape) for o in model.discriminator.outputs] == [(None, 1), (None, 12)]
    assert type(recipes.get("dcgan").build(plain, (28, 28, 1), 0)) is gan.GAN


def test_infogan_draws_categories_from_its_prior_with_a_floor():
    model = small_infogan()
    np.testing.assert_allclose(model.category_probabilities(), [1 / 3] * 3, rtol=1e-6)
    model.category_prior.assign([0.96, 0.04, 0.0])  # the floor lifts the last to 1/12
    probabilities = np.asarray(model.category_probabilities())
    np.testing.assert_allclose(probabilities, np.array([0.96, 1 / 12, 1 / 12]) / (0.96 + 2 / 12),
                               rtol=1e-5)
    drawn = model.latents(4000, seed=1)[:, 8:11].argmax(axis=1)
    np.testing.assert_allclose(np.bincount(drawn, minlength=3) / 4000, probabilities, atol=0.02)
    _, category, _ = model.sample_codes(4000)
    np.testing.assert_allclose(np.bincount(np.asarray(category), minlength=3) / 4000,
                               probabilities, atol=0.02)


def test_infogan_prior_follows_how_its_head_sorts_real_images():
    model = small_infogan(prior_rate=0.1)
    model.fit(images(64), batch_size=16, epochs=2, verbose=0)
    prior = model.category_prior.numpy()
    assert prior.sum() == pytest.approx(1, abs=1e-5) and not np.allclose(prior, 1 / 3)
    _, guesses = model.discriminator(images(64), training=False)
    seen = keras.ops.softmax(guesses[:, :3]).numpy().mean(axis=0)
    np.testing.assert_allclose(prior, seen, atol=0.1)  # a moving average of those guesses
    fixed = small_infogan()  # prior_rate 0: the prior stays uniform
    fixed.fit(images(64), batch_size=16, epochs=1, verbose=0)
    np.testing.assert_allclose(fixed.category_prior.numpy(), 1 / 3, rtol=1e-6)
