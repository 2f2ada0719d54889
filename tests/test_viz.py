import io
import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from gan_course import viz

LATENT = 6


def fake_decode(z):
    """A fixed random linear map + sigmoid: deterministic 8 x 10 RGB images."""
    w = np.random.default_rng(123).standard_normal((LATENT, 8 * 10 * 3)).astype(np.float32)
    return (1 / (1 + np.exp(-np.asarray(z) @ w))).reshape(-1, 8, 10, 3)


def batch(n=5, h=4, w=6, c=3, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c), dtype=np.float32)


# --- arrays and files --------------------------------------------------------------------------

def test_image_grid_shape_and_placement():
    x = batch(5)
    grid = viz.image_grid(x, ncols=3, pad=1)
    assert grid.shape == (2 * 4 + 1, 3 * 6 + 2, 3) and grid.dtype == np.float32
    np.testing.assert_array_equal(grid[:4, :6], x[0])
    np.testing.assert_array_equal(grid[5:9, 7:13], x[4])
    assert np.all(grid[5:9, 14:] == 1.0)  # the unused sixth cell is blank


def test_image_grid_default_is_square_and_accepts_grayscale_without_channel():
    grid = viz.image_grid(np.zeros((9, 28, 28)), pad=0)
    assert grid.shape == (84, 84, 1)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((4, 4)), "expected a batch"),
    (np.zeros((2, 4, 4, 2)), "channels"),
    (np.full((2, 4, 4, 1), 1.5), r"\[0, 1\]"),
    (np.full((2, 4, 4, 1), -1.0), "tanh"),
    (np.full((2, 4, 4, 1), np.nan), "NaN"),
    (np.zeros((0, 4, 4, 1)), "empty"),
])
def test_image_grid_rejects_bad_batches(bad, message):
    with pytest.raises(ValueError, match=message):
        viz.image_grid(bad)


def test_save_image_png_round_trip_rgb_and_gray(tmp_path):
    x = batch(4)
    path = viz.save_image(x, tmp_path / "sub" / "grid.png", ncols=2)
    back = np.asarray(Image.open(path))
    assert back.dtype == np.uint8
    np.testing.assert_allclose(back / 255, viz.image_grid(x, ncols=2), atol=0.5 / 255 + 1e-6)

    gray = batch(1, c=1)[0]
    img = Image.open(viz.save_image(gray, tmp_path / "gray.png"))
    assert img.mode == "L" and img.size == (6, 4)


def test_png_bytes_upscales_small_images_crisply():
    img = Image.open(io.BytesIO(viz.png_bytes(np.eye(4)[..., None], min_size=16)))
    assert img.size == (16, 16)
    assert np.asarray(img)[:4, :4].min() == 255 and np.asarray(img)[:4, 4:8].max() == 0


def test_write_gif_frame_count_and_loop(tmp_path):
    frames = [batch(4, seed=i) for i in range(5)]  # batches are tiled into grids
    path = viz.write_gif(frames, tmp_path / "train.gif", fps=5)
    gif = Image.open(path)
    assert gif.n_frames == 5 and gif.info["loop"] == 0 and gif.info["duration"] == 200
    assert gif.size == viz.image_grid(frames[0]).shape[1::-1]


def test_write_gif_rejects_mismatched_or_empty_frames(tmp_path):
    with pytest.raises(ValueError, match="same shape"):
        viz.write_gif([np.zeros((4, 4)), np.zeros((5, 4))], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="no frames"):
        viz.write_gif([], tmp_path / "x.gif")


def test_display_gif(tmp_path):
    path = viz.write_gif([np.zeros((4, 4)), np.ones((4, 4))], tmp_path / "a.gif")
    shown = viz.display_gif(path)
    assert shown.format == "gif" and shown.data[:3] == b"GIF"


# --- latents -----------------------------------------------------------------------------------

def test_interpolate_endpoints_and_slerp_keeps_norm():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 128))
    for mode in ("lerp", "slerp"):
        path = viz.interpolate(z0, z1, [0.0, 1.0], mode)
        np.testing.assert_allclose(path, [z0, z1], rtol=1e-6)
    mid_lerp = viz.interpolate(z0, z1, 0.5, "lerp")
    mid_slerp = viz.interpolate(z0, z1, 0.5, "slerp")
    assert mid_slerp.shape == (128,)
    radius = np.sqrt(128)
    assert np.linalg.norm(mid_lerp) < 0.8 * radius < 0.9 * radius < np.linalg.norm(mid_slerp)


def test_interpolate_validates():
    with pytest.raises(ValueError, match="mode"):
        viz.interpolate(np.zeros(3), np.ones(3), 0.5, "cubic")
    with pytest.raises(ValueError, match="shape"):
        viz.interpolate(np.zeros(3), np.ones(4), 0.5)


def test_interpolation_strip_starts_and_ends_at_endpoints():
    z0, z1 = np.random.default_rng(1).standard_normal((2, LATENT)).astype(np.float32)
    strip = viz.interpolation_strip(fake_decode, z0, z1, steps=7)
    assert strip.shape == (7, 8, 10, 3)
    np.testing.assert_allclose(strip[0], fake_decode(z0[None])[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], fake_decode(z1[None])[0], atol=1e-5)


def test_decode_batch_checks_generator_output():
    z = np.random.default_rng(0).standard_normal((3, LATENT)).astype(np.float32)
    with pytest.raises(ValueError, match=r"decode\(z\) output.*\[0, 1\]"):
        viz.decode_batch(lambda z: fake_decode(z) * 2 - 1, z)
    with pytest.raises(ValueError, match="expected 3 images"):
        viz.decode_batch(lambda z: fake_decode(z)[:2], z)
    with pytest.raises(ValueError, match="latent_dim"):
        viz.decode_batch(fake_decode, z[0])


# --- figures -----------------------------------------------------------------------------------

def test_show_images_with_and_without_labels():
    x = batch(6, c=1)
    fig = viz.show_images(x, title="samples")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    fig = viz.show_images(x, ncols=3, labels=list("abcdef"))
    assert len(fig.axes) == 6 and fig.axes[2].get_title() == "c"
    ax = Figure().add_subplot()
    assert viz.show_images(x, labels=range(6), ax=ax) is ax.figure
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(6)]
    with pytest.raises(ValueError, match="labels"):
        viz.show_images(x, labels=[1, 2])
    assert viz.figure_png(fig)[:4] == b"\x89PNG"


def history(n=120):
    rng = np.random.default_rng(0)
    return {"step": list(range(1, n + 1)), "d_loss": list(rng.random(n)),
            "g_loss": list(rng.random(n) + 1), "d_real": list(rng.random(n)),
            "d_fake": list(rng.random(n))}


def test_plot_losses_panels_smoothing_and_json(tmp_path):
    fig = viz.plot_losses(history())
    assert len(fig.axes) == 2  # losses; discriminator outputs
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["d_loss", "g_loss"]
    assert len(fig.axes[0].lines) == 4  # raw + smoothed per key

    fig = viz.plot_losses(history(), keys=["g_loss"], smooth=0)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), np.arange(1, 121))

    (tmp_path / "history.json").write_text(json.dumps(history(10)))
    assert isinstance(viz.plot_losses(tmp_path / "history.json"), Figure)


def test_plot_losses_validates():
    with pytest.raises(ValueError, match="available"):
        viz.plot_losses(history(), keys=["nope"])
    bad = history()
    bad["g_loss"] = bad["g_loss"][:-1]
    with pytest.raises(ValueError, match="g_loss"):
        viz.plot_losses(bad)


def test_moving_average():
    np.testing.assert_allclose(viz.moving_average([1, 3, 5, 7], 2), [1, 2, 4, 6])
    np.testing.assert_allclose(viz.moving_average([1, 3], 1), [1, 3])


def test_plot_points():
    real = np.random.default_rng(0).standard_normal((50, 2))
    centres = np.array([[2.0, 0.0], [0.0, 2.0]])
    fig = viz.plot_points(real, real + 0.1, centres=centres, title="8 gaussians")
    ax = fig.axes[0]
    assert len(ax.collections) == 3 and ax.get_title() == "8 gaussians"
    with pytest.raises(ValueError, match=r"fake must have shape \(N, 2\)"):
        viz.plot_points(real, np.zeros((5, 3)))


def test_side_by_side_rows():
    x = batch(4)
    fig = viz.side_by_side({"input": x, "translation": x[:, :, :, :1], "reconstruction": x},
                           n=3, title="cycle")
    assert [ax.get_ylabel() for ax in fig.axes] == ["input", "translation", "reconstruction"]
    assert fig.axes[0].images[0].get_array().shape[:2] == (4, 3 * 6 + 2)
    with pytest.raises(ValueError, match="'translation'"):
        viz.side_by_side({"translation": x * 3})


def test_means_between_averages_the_values_logged_since_the_previous_mark():
    steps, values = [1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]
    np.testing.assert_allclose(viz.means_between(steps, values, [2, 5, 6]), [15, 40, 60])
    assert np.isnan(viz.means_between(steps, values, [2, 2])[1])  # nothing logged in between
    with pytest.raises(ValueError, match="same length"):
        viz.means_between([1, 2], [1.0], [2])
