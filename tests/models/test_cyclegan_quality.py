"""Lesson 07's bar, whole photos in tiles, and bounded memory."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

import gan_course as gc
from gan_course import config, models
from gan_course.models import cyclegan, cyclegan_quality, tiles

PAIR = "art/photos:art/paintings/van_gogh"


def _built(image_size=32):
    settings = models.profile("quick")["cyclegan"]
    config.seed_everything(0)
    return cyclegan.build(settings, (image_size, image_size, 3), seed=0)


def _identity(model):
    """Both generators of ``model`` made to return their input unchanged."""
    x = keras.Input((None, None, 3))
    copy = keras.Model(x, keras.layers.Identity()(x), name="photo2painting")
    back = keras.Model(x, keras.layers.Identity()(x), name="painting2photo")
    model.generator = model.ema_generator = keras.Model(
        [x, keras.Input((None, None, 3))], [copy(x), back(x)], name="generators")
    return model


# --- tiles ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(50, 70), (64, 64), (200, 130), (257, 511)])
def test_tiles_blend_back_to_the_same_picture_through_a_copying_network(shape):
    image = np.random.default_rng(0).uniform(size=(*shape, 3)).astype("f4")
    calls = []

    def copy(batch):
        calls.append(batch.shape)
        assert batch.shape[1:3] == (64, 64) or max(shape) <= 64
        return batch

    out = tiles.translate_tiled(copy, image, tile=64, overlap=16, factor=4, batch_size=3)
    np.testing.assert_allclose(out, image, atol=1e-5)
    assert all(c[0] <= 3 for c in calls)
    if max(shape) > 64:
        assert sum(c[0] for c in calls) == tiles.tile_count(max(shape[0], 64),
                                                             max(shape[1], 64), 64, 16)


def test_tile_weights_fall_to_the_edges_and_never_to_zero():
    w = tiles.window(64, 16)
    assert w.min() > 0 and w[16:48].min() == 1.0 and w[0] < w[8] < w[16]
    assert tiles.starts(100, 64, 48) == [0, 36] and tiles.starts(40, 64, 48) == [0]


def test_high_frequency_ratio_sees_stripes_and_speckle():
    photo = np.random.default_rng(0).uniform(size=(64, 64, 3)).astype("f4")
    from scipy import ndimage

    smooth = ndimage.gaussian_filter(photo, (3, 3, 0))
    striped = smooth.copy()
    striped[::2] += 0.2
    assert tiles.high_frequency_ratio(smooth, smooth) == pytest.approx(1.0)
    assert tiles.high_frequency_ratio(smooth, np.clip(striped, 0, 1)) > 5


def test_translate_paints_a_large_photo_in_tiles_of_the_training_scale():
    model = _built()
    seen = []
    network = model.ema_generator.get_layer("photo2painting")
    original = network.call

    def spy(inputs, *args, **kwargs):
        seen.append(tuple(inputs.shape))
        return original(inputs, *args, **kwargs)

    network.call = spy
    photo = np.random.default_rng(1).uniform(size=(150, 260, 3)).astype("f4")
    painted = model.translate(photo)
    network.call = original
    assert painted.shape == photo.shape and model.tile == 64
    assert seen and all(s[1:3] == (64, 64) and s[0] <= 8 for s in seen)


def test_memory_stays_bounded_for_a_large_photo():
    """A 3000 x 2000 photo through the quick networks, in a fresh process: the peak resident
    memory grows by little more than the picture's own arrays (it took 5.5 GB in one pass)."""
    code = """
import resource, numpy as np
from gan_course import config, models
from gan_course.models import cyclegan
config.seed_everything(0)
model = cyclegan.build(models.profile("quick")["cyclegan"], (32, 32, 3), seed=0)
model.translate(np.zeros((200, 200, 3), "f4"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = model.translate(np.random.default_rng(0).uniform(size=(2000, 3000, 3)).astype("f4"))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, out.shape)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, check=True)
    before, after, *_ = done.stdout.split()
    grown_mb = (int(after) - int(before)) / 1024
    assert grown_mb < 400, f"peak memory grew by {grown_mb:.0f} MB"


def test_generate_translates_batch_size_patches_at_a_time():
    model = _built()
    sizes = []
    original = model.decode
    model.decode = lambda photos: sizes.append(len(photos)) or original(photos)
    out = model.generate(7, seed=0, batch_size=3)
    assert out.shape == (7, 32, 32, 3) and sizes == [3, 3, 1]
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        model.generate(2, batch_size=0)


# --- the bar -----------------------------------------------------------------------------------

def test_the_bar_fails_for_an_untrained_generator():
    model = _built()
    quality = cyclegan_quality.evaluate(model, PAIR, 64)
    bar = cyclegan_quality.bar(quality)
    assert not all(bar.values()), quality
    assert quality["photo_share_untouched"] >= 0.85  # the judge can fail: photos are photos


def test_the_bar_fails_for_a_generator_that_copies_its_input():
    model = _identity(_built())
    quality = cyclegan_quality.evaluate(model, PAIR, 64)
    bar = cyclegan_quality.bar(quality)
    assert quality["edge_similarity"] > 0.99 and quality["cycle_error"] < 1e-6
    assert quality["painting_share_translated"] == pytest.approx(
        1 - quality["photo_share_untouched"])
    assert not bar[next(k for k in bar if k.startswith("translated photos called paintings"))]
    assert quality["style_distance_after"] == pytest.approx(quality["style_distance_before"])
    assert not bar["style closer to the painter's held-out paintings after translation"]
    assert not all(bar.values())


def test_the_style_ruler_puts_a_painters_own_paintings_closer_than_photos():
    """Lesson 06's texture statistics on patches: the painter's training paintings are clearly
    closer to the held-out ones than held-out photos are."""
    from gan_course.art import patches, texture

    def sample(domain, split, seed):
        return patches.sample_patches(patches.domain_images(domain, 64, split), 96, 64, seed)

    held_out = sample("art/paintings/van_gogh", "test", 1)
    photos = sample("art/photos", "test", 2)
    own = sample("art/paintings/van_gogh", "train", 3)
    distance = {name: texture.style_distance(x, held_out)
                for name, x in {"photos": photos, "own": own}.items()}
    assert distance["own"] < 0.8 * distance["photos"], distance


def test_the_bar_fails_after_twenty_quick_steps(tmp_path):
    run = gc.train("cyclegan", dataset=PAIR, profile="quick", seed=0, out_dir=tmp_path / "r",
                   verbose=0)
    metrics = json.loads((run.directory / "metrics.json").read_text())
    assert metrics["steps"] == 20 and len(metrics["bar"]) == 5
    assert not all(metrics["bar"].values()), metrics["quality"]
    assert {"edge_similarity", "high_frequency_whole", "high_frequency_patches",
            "style_reference"} <= set(metrics["quality"])
    assert metrics["quality"]["style_reference"] == "art/paintings/van_gogh (test)"


def test_the_judge_knows_held_out_photos_from_paintings():
    """On pictures it never saw (RESULTS.md, "The judge"): photos, and Morisot's paintings, at
    least 85% right; Van Gogh's and the prints' are recorded there, below that bar."""
    from gan_course.art import judge

    report = judge.held_out_report(n=256)
    assert report["art/photos"] >= 0.85 and report["art/paintings/morisot"] >= 0.85, report
