import io

import matplotlib

matplotlib.use("Agg")

import keras
import numpy as np
import pytest
from PIL import Image

from gan_course import viz, widgets

LATENT = 8
_W = np.random.default_rng(7).standard_normal((LATENT, 6 * 6)).astype(np.float32)


def fake_decode(z):
    """Deterministic grayscale 6 x 6 images: a fixed random linear map + sigmoid."""
    return (1 / (1 + np.exp(-np.asarray(z, np.float32) @ _W))).reshape(-1, 6, 6, 1)


def png_array(image_widget):
    return np.asarray(Image.open(io.BytesIO(image_widget.value)))


def shown(panel):
    return panel.current_image.copy(), bytes(panel.image.value)


# --- interpolation player ----------------------------------------------------------------------

def test_interpolation_player_slider_play_mode_and_new_endpoints():
    p = widgets.InterpolationPlayer(fake_decode, LATENT, seed=0, n_frames=5)
    np.testing.assert_allclose(p.current_image, fake_decode(p.z0[None])[0], atol=1e-6)
    assert png_array(p.image).shape == (252, 252)  # 6 px upscaled x42 for display
    start_png = p.image.value

    p.t_slider.value = 1.0
    np.testing.assert_allclose(p.current_image, fake_decode(p.z1[None])[0], atol=1e-6)
    assert p.image.value != start_png

    p.play.value = 2  # frame 2 of 5 -> t = 0.5
    assert p.t_slider.value == 0.5
    slerp_mid, _ = shown(p)
    p.mode_toggle.value = "lerp"
    lerp_mid = fake_decode(((p.z0 + p.z1) / 2)[None])[0]
    np.testing.assert_allclose(p.current_image, lerp_mid, atol=1e-6)
    assert not np.allclose(slerp_mid, lerp_mid)

    old = p.z0.copy()
    p.new_button.click()
    assert not np.allclose(p.z0, old)
    assert p.strip(4).shape == (4, 6, 6, 1)


def test_interpolation_player_is_seeded_and_displays():
    a = widgets.InterpolationPlayer(fake_decode, LATENT, seed=3)
    b = widgets.InterpolationPlayer(fake_decode, LATENT, seed=3)
    assert a.image.value == b.image.value
    bundle = a._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    with pytest.raises(ValueError, match="mode"):
        widgets.InterpolationPlayer(fake_decode, LATENT, mode="linear")


def test_every_panel_shows_its_images_at_their_own_size():
    # A box would otherwise stretch an image across the notebook (the browser test measures it).
    panels = [widgets.InterpolationPlayer(fake_decode, LATENT),
              widgets.LatentExplorer(fake_decode, LATENT, n_directions=2, n_pca_samples=50)]
    monitor = widgets.TrainingMonitor(every=1, decode=fake_decode)
    images = [p.image for p in panels] + [monitor.image, monitor.loss_image]
    assert all(img.layout.align_self == "flex-start" for img in images)


# --- latent explorer ---------------------------------------------------------------------------

def test_latent_directions_find_the_generator_subspace():
    # Images depend only on the first two latent coordinates, the first much more strongly.
    def decode(z):
        x = np.outer(z[:, 0], np.linspace(-1, 1, 16)) * 3 + np.outer(z[:, 1], np.ones(16))
        return (1 / (1 + np.exp(-x))).reshape(-1, 4, 4, 1)

    dirs, explained = widgets.latent_directions(decode, 5, n_directions=2, n_samples=400)
    assert dirs.shape == (2, 5) and explained[0] > explained[1] > 0
    np.testing.assert_allclose(np.abs(dirs[:, :2]), np.eye(2), atol=0.1)
    np.testing.assert_allclose(dirs @ dirs.T, np.eye(2), atol=1e-5)


def test_latent_explorer_sliders_new_base_and_reset():
    e = widgets.LatentExplorer(fake_decode, LATENT, n_directions=3, n_pca_samples=300)
    assert len(e.sliders) == 3 and e.sliders[0].description.startswith("PC1")
    base_img, base_png = shown(e)
    np.testing.assert_allclose(base_img, fake_decode(e.base[None])[0], atol=1e-6)

    e.sliders[1].value = 2.0
    np.testing.assert_allclose(e.latent, e.base + 2.0 * e.directions[1], atol=1e-6)
    np.testing.assert_allclose(e.current_image, fake_decode(e.latent[None])[0], atol=1e-6)
    assert e.image.value != base_png

    e.reset_button.click()
    assert all(s.value == 0 for s in e.sliders)
    assert e.image.value == base_png

    e.new_button.click()
    assert e.image.value != base_png


def test_latent_explorer_draws_from_the_models_own_prior():
    # An InfoGAN-like prior: the last two coordinates are a one-hot code, never Gaussian noise.
    def sample(n, seed=0):
        rng = np.random.default_rng(seed)
        return np.concatenate([rng.standard_normal((n, LATENT - 2)),
                               np.eye(2)[rng.integers(0, 2, n)]], axis=1).astype("f4")

    seen = []
    def decode(z):
        seen.append(np.asarray(z))
        return fake_decode(z)

    e = widgets.LatentExplorer(decode, LATENT, n_directions=2, n_pca_samples=100, sample=sample)
    e.new_button.click()
    for z in seen:  # with every slider at 0, each decoded latent is a draw from the prior
        assert set(np.unique(z[:, -2:])) <= {0.0, 1.0} and (z[:, -2:].sum(axis=1) == 1).all()
    assert sum(len(z) for z in seen) >= 100 + 2  # the PCA batch, the first and the new base


def test_latent_explorer_validates():
    with pytest.raises(ValueError, match="n_directions"):
        widgets.LatentExplorer(fake_decode, LATENT, n_directions=LATENT + 1, n_pca_samples=50)
    with pytest.raises(ValueError, match="latent_dim"):
        widgets.LatentExplorer(fake_decode, 0)


# --- training monitor --------------------------------------------------------------------------

class FakeModel:
    latent_dim = LATENT

    def __init__(self):
        self.scale = 1.0

    def decode(self, z):
        return fake_decode(z * self.scale)


def test_training_monitor_records_history_and_redraws():
    model = FakeModel()
    mon = widgets.TrainingMonitor(every=3, n_samples=4)
    assert isinstance(mon, keras.callbacks.Callback)
    mon.set_model(model)
    mon.on_train_begin()
    assert mon.image.value == b"" and mon.current_image is None

    logs = {"d_loss": 0.7, "g_loss": 1.2, "d_real": 0.6, "d_fake": 0.4}
    for batch in range(3):
        mon.on_train_batch_end(batch, {k: v + batch for k, v in logs.items()})
    assert mon.history["step"] == [1, 2, 3] and mon.history["g_loss"] == [1.2, 2.2, 3.2]
    assert "step 3" in mon.status.value and "g_loss 3.2000" in mon.status.value
    assert "steps/s" in mon.status.value
    loss_png, samples_png = mon.loss_image.value, mon.image.value
    assert loss_png[:4] == b"\x89PNG" and samples_png[:4] == b"\x89PNG"
    np.testing.assert_allclose(mon.current_image, viz.image_grid(fake_decode(mon.fixed_z)))

    model.scale = -1.0  # "training" changed the generator
    for batch in range(3):
        mon.on_train_batch_end(batch, logs)
    assert "step 6" in mon.status.value
    assert mon.loss_image.value != loss_png and mon.image.value != samples_png

    status = mon.status.value
    mon.on_train_end()  # already drawn at step 6: no redraw
    assert mon.status.value == status
    mon.on_train_batch_end(0, logs)
    mon.on_train_end()
    assert "step 7" in mon.status.value


def test_training_monitor_draws_fixed_latents_from_the_models_prior():
    class CodedModel(FakeModel):
        def latents(self, n, seed=0):  # e.g. an InfoGAN: the last coordinate is a code
            z = np.random.default_rng(seed).standard_normal((n, LATENT)).astype(np.float32)
            z[:, -1] = 1.0
            return z

    mon = widgets.TrainingMonitor(every=1, n_samples=3, seed=5)
    mon.set_model(CodedModel())
    mon.on_train_batch_end(0, {"d_loss": 0.7, "g_loss": 1.2})
    np.testing.assert_array_equal(mon.fixed_z, CodedModel().latents(3, seed=5))


def test_training_monitor_with_explicit_decode_and_latents():
    z = np.random.default_rng(0).standard_normal((2, LATENT)).astype(np.float32)
    mon = widgets.TrainingMonitor(every=1, decode=fake_decode, latent=z, history_keys=("loss",))
    mon.on_train_batch_end(0, {"loss": np.float32(0.5)})
    np.testing.assert_allclose(mon.current_image, viz.image_grid(fake_decode(z)))
    assert mon.history["loss"] == [0.5] and mon.loss_image.value[:4] == b"\x89PNG"
