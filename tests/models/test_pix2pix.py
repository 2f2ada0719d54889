"""pix2pix and its L1 baseline: the damage, the networks, the bar (it fails when it should) and
`gan-course restore`."""

import json

import numpy as np
import pytest
import tensorflow as tf

import gan_course as gc
from gan_course import cli, models
from gan_course.art import damage, patches
from gan_course.models import pix2pix, pix2pix_quality

RNG = np.random.default_rng(0)


def _picture(h=40, w=56):
    """A smooth picture with some texture, in [0, 1]."""
    y, x = np.mgrid[0:h, 0:w] / 20.0
    base = np.stack([np.sin(x), np.cos(y), np.sin(x + y)], -1) * 0.3 + 0.5
    return np.clip(base + RNG.normal(0, 0.02, base.shape), 0, 1).astype("f4")


# --- damage ------------------------------------------------------------------------------------

@pytest.mark.parametrize("task", damage.TASKS)
def test_damage_is_a_pure_function_of_picture_seed_and_strength(task):
    hurt = damage.damage_function(task)
    clean = tf.constant(_picture(32, 32) * 2 - 1)
    a, b = hurt(clean, tf.constant([1, 2])), hurt(clean, tf.constant([1, 2]))
    other = hurt(clean, tf.constant([1, 3]))
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(a, other) is (task == "upscale")  # shrinking draws nothing
    assert a.shape == (32, 32, pix2pix.input_channels(task))
    assert float(tf.reduce_min(a)) >= -1 and float(tf.reduce_max(a)) <= 1


def test_holes_grow_with_strength_and_the_mask_is_a_fourth_channel():
    seed = tf.constant([5, 6])
    weak = float(tf.reduce_mean(damage.hole_mask(256, 256, seed, 0.0)))
    strong = float(tf.reduce_mean(damage.hole_mask(256, 256, seed, 1.0)))
    assert 0 < weak < strong < 0.5
    image = tf.constant(_picture(64, 64) * 2 - 1)
    mask = damage.hole_mask(64, 64, seed, 1.0)
    x = damage.with_holes(image, mask).numpy()
    holes = mask.numpy()[..., 0] > 0
    assert set(np.unique(x[..., 3])) == {-1.0, 1.0}
    np.testing.assert_array_equal(x[..., 3] > 0, holes)
    np.testing.assert_allclose(x[..., :3][~holes], image.numpy()[~holes], atol=1e-6)
    fill = np.asarray(damage.surrounding_fill(image, mask))
    np.testing.assert_allclose(x[..., :3], fill)  # the holes hold the surrounding colour


def test_noise_grows_with_strength_and_upscaling_shrinks_four_times():
    picture = _picture(64, 64)
    errors = [np.abs(damage.damaged_picture(picture, "denoise", s, seed=0)[0] - picture).mean()
              for s in (0.0, 1.0)]
    assert 0 < errors[0] < errors[1]
    small, mask = damage.damaged_picture(picture, "upscale")
    assert small.shape == (16, 16, 3) and mask is None
    with pytest.raises(ValueError, match="Unknown task 'blur'"):
        damage.damaged_picture(picture, "blur")
    with pytest.raises(ValueError, match=r"strength is a number in \[0, 1\], got 2"):
        damage.damaged_picture(picture, "denoise", 2)


def test_the_surrounding_fill_beats_grey_and_keeps_known_pixels():
    picture = _picture(64, 64)
    damaged, mask = damage.damaged_picture(picture, "inpaint", 1.0, seed=3)
    filled = np.asarray(damage.surrounding_fill(damaged, mask[..., None]))
    assert mask.any()
    np.testing.assert_allclose(filled[~mask], damaged[~mask], atol=1e-6)
    assert np.abs(filled - picture)[mask].mean() < 0.5 * np.abs(damaged - picture)[mask].mean()
    # a flat picture with a hole comes back flat, whatever the hole; any size and a batch work
    flat = np.full((2, 37, 50, 3), 0.3, np.float32)
    holes = np.zeros((2, 37, 50, 1), np.float32)
    holes[:, 5:30, 10:45] = 1
    np.testing.assert_allclose(damage.surrounding_fill(flat * (1 - holes), holes), flat,
                               atol=1e-5)


# --- datasets, networks --------------------------------------------------------------------------

def test_a_dataset_names_its_task_and_its_pictures():
    assert pix2pix.parse_dataset("denoise:art/photos+art/paintings/morisot") == (
        "denoise", ("art/photos", "art/paintings/morisot"))
    assert pix2pix.parse_dataset("upscale:folder:/tmp/x") == ("upscale", ("folder:/tmp/x",))
    for bad in ("art/photos", "blur:art/photos", "inpaint:", "inpaint:art/photos+"):
        with pytest.raises(patches.DomainError, match="TASK:PICTURES|empty domain"):
            pix2pix.parse_dataset(bad)
    recipe = models.get("pix2pix")
    assert recipe.workload("upscale:art/photos") == "pix2pix_upscale"
    assert models.profile("quick")["unet_l1_denoise"].hparams["adversarial_weight"] == 0
    assert models.profile("quick")["pix2pix_denoise"].hparams["task"] == "denoise"


def test_the_unet_keeps_every_known_pixel_and_detail_bypasses_the_bottleneck():
    net = pix2pix.build_generator("inpaint", width=4, depth=3)
    image = tf.constant(_picture(32, 32)[None] * 2 - 1)
    mask = damage.hole_mask(32, 32, tf.constant([1, 1]), 1.0)[None]
    out = net(damage.with_holes(image, mask)).numpy()
    known = mask.numpy()[..., 0] == 0
    np.testing.assert_allclose(out[known], image.numpy()[known], atol=1e-6)
    concatenated = [layer for layer in net.layers if layer.__class__.__name__ == "Concatenate"]
    assert len(concatenated) == 3  # two skip levels and the input itself
    assert pix2pix.bottleneck_factor(net) == 8
    critic = pix2pix.build_discriminator("denoise", width=4, downsamplings=2)
    scores = critic([tf.zeros((2, 32, 32, 3)), tf.zeros((2, 32, 32, 3))])
    assert scores.shape == (2, 8, 8, 1) and scores.dtype == tf.float32


# --- the bar -------------------------------------------------------------------------------------

def _held_out_pairs(task, n=6, size=32):
    pictures = patches.domain_images("art/photos", 64, "test")[:4]
    originals = patches.sample_patches(pictures, n, size, seed=0, scale=(0.3, 0.6)) * 2 - 1
    return pix2pix.damage_batch(task, originals, seed=0), originals


@pytest.mark.parametrize("task", damage.TASKS)
def test_the_bars_fail_for_a_copy_and_for_an_untrained_restorer_and_pass_the_truth(task):
    damaged, originals = _held_out_pairs(task)
    copy = (damaged[..., :3] + 1) / 2
    truth = (originals + 1) / 2
    untrained = pix2pix.build_generator(task, width=8, depth=3)
    raw = (np.asarray(untrained(damaged)) + 1) / 2
    for restored, expect in ((copy, False), (raw, False), (truth, True)):
        quality = pix2pix_quality.report(task, damaged, restored, originals)
        for bar in (pix2pix_quality.bar, pix2pix_quality.gan_bar):  # L1 U-Net's and pix2pix's
            assert all(bar(quality).values()) is expect, (task, bar.__name__, quality)


@pytest.fixture(scope="module")
def truth_blurred_noisy():
    """Held-out denoising pairs: the damaged inputs, the originals in [-1, 1], and the originals
    in [0, 1] as they are, blurred and with noise added."""
    damaged, originals = _held_out_pairs("denoise")
    truth = (originals + 1) / 2
    blurred = np.asarray(tf.nn.avg_pool2d(truth, 5, 1, "SAME"))
    noisy = np.clip(truth + RNG.normal(0, 0.1, truth.shape), 0, 1).astype("f4")
    return damaged, originals, {"truth": truth, "blurred": blurred, "noisy": noisy}


def test_the_texture_error_is_zero_for_the_truth_and_sees_blur_and_noise(truth_blurred_noisy):
    """Lesson 06's Gram statistics against the original's: the feature distance of lesson 09."""
    from gan_course.art import texture

    damaged, originals, pictures = truth_blurred_noisy
    truth = pictures["truth"]
    errors = {name: texture.texture_error(x, truth) for name, x in pictures.items()}
    assert errors["truth"] < 1e-6 < 0.05 < min(errors["blurred"], errors["noisy"]), errors
    quality = pix2pix_quality.report("denoise", damaged, truth, originals)
    assert quality["texture_error"] < 1e-6 < quality["baseline_texture_error"]


def test_the_detail_split_tells_recovered_detail_from_added_noise(truth_blurred_noisy):
    damaged, originals, pictures = truth_blurred_noisy
    truth = pictures["truth"]
    split = {name: pix2pix_quality.detail_split(x, truth) for name, x in pictures.items()}
    assert np.allclose(split["truth"], (1.0, 0.0), atol=1e-5), split
    assert split["blurred"][0] < 0.3 and split["blurred"][1] < 0.3, split  # little of anything
    assert split["noisy"][0] > 0.8 and split["noisy"][1] > 2.0, split  # most of it, and noise
    quality = pix2pix_quality.report("denoise", damaged, truth, originals)
    assert quality["detail_added"] < 1e-6 < quality["baseline_detail_added"]


# --- training, restoring -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("p2p") / "run"
    assert cli.main(["train", "pix2pix", "--task", "inpaint", "--profile", "quick",
                     "--out", str(out)]) == 0
    return gc.load_run(out)


def test_a_quick_run_trains_restores_and_resumes(quick_run, tmp_path):
    metrics = quick_run.metrics
    assert metrics["steps"] == 20 and metrics["quality"]["task"] == "inpaint"
    assert set(metrics["bar"]) and quick_run.spec["dataset"] == "inpaint:art/photos+art/paintings"
    picture = _picture(70, 90)
    mask = np.zeros((70, 90), bool)
    mask[10:20, 5:40] = True
    out = quick_run.translate(picture, mask=mask)
    assert out.shape == picture.shape
    np.testing.assert_allclose(out[~mask], picture[~mask], atol=1e-5)
    with pytest.raises(ValueError, match="inpainting needs a mask"):
        quick_run.translate(picture)
    with pytest.raises(ValueError, match="must cover the picture"):
        quick_run.translate(picture, mask=mask[:10])
    grid = quick_run.model.sample_grid(n=4)
    assert grid.shape == (12, 32, 32, 3)


def test_restore_writes_the_picture_and_refuses_to_overwrite(quick_run, tmp_path):
    from PIL import Image

    picture = tmp_path / "photo.png"
    gc.viz.save_image(_picture(150, 110), str(picture))
    mask = tmp_path / "mask.png"
    hole = np.zeros((150, 110, 3), "f4")
    hole[40:60, 30:70] = 1
    gc.viz.save_image(hole, str(mask))
    out = tmp_path / "restored.png"
    args = ["restore", str(picture), "--task", "inpaint", "--mask", str(mask), "--out", str(out),
            "--run", str(quick_run.directory)]
    assert cli.main(args) == 0
    assert Image.open(out).size == (110, 150)
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["missing_pixels"] == 20 * 40
    assert cli.main(args) == 2  # exists: --force needed
    assert cli.main(args + ["--force"]) == 0
    before = picture.read_bytes()
    assert cli.main(args[:-4] + ["--out", str(picture), "--run", str(quick_run.directory),
                                 "--force"]) == 2
    assert picture.read_bytes() == before


def test_restore_names_what_is_wrong(quick_run, tmp_path, capsys):
    picture = tmp_path / "photo.png"
    gc.viz.save_image(_picture(64, 64), str(picture))
    small = tmp_path / "small.png"
    gc.viz.save_image(np.ones((10, 10, 3), "f4"), str(small))
    black = tmp_path / "black.png"
    gc.viz.save_image(np.zeros((64, 64, 3), "f4"), str(black))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    run = ["--run", str(quick_run.directory)]
    cases = [
        (["--task", "inpaint"], "needs --mask"),
        (["--task", "inpaint", "--mask", str(tmp_path / "none.png")], "none.png not found"),
        (["--task", "inpaint", "--mask", str(small)], "draw the mask at the picture's size"),
        (["--task", "inpaint", "--mask", str(black)], "marks no pixel"),
        (["--task", "denoise", "--mask", str(black)], "denoise takes none"),
        (["--task", "denoise"], "restores by inpaint; asked for denoise"),
    ]
    for options, message in cases:
        assert cli.main(["restore", str(picture), *options, "--out", str(tmp_path / "o.png"),
                         *run]) == 2
        assert message in capsys.readouterr().err
    assert cli.main(["restore", str(broken), "--task", "denoise", "--out",
                     str(tmp_path / "o.png"), *run]) == 2
    assert "is not an image that can be read" in capsys.readouterr().err


def test_whole_pictures_go_through_in_tiles_with_bounded_memory(quick_run):
    model = quick_run.model
    calls = []
    network = model.ema_generator

    class Counting:
        def __call__(self, batch, training=False):
            calls.append(batch.shape)
            return network(batch, training=training)

    model.ema_generator = Counting()
    try:
        picture = _picture(300, 200)
        mask = np.zeros((300, 200), bool)
        mask[100:110, 50:150] = True
        out = model.translate(picture, mask=mask)
    finally:
        model.ema_generator = network
    assert out.shape == (300, 200, 3)
    assert max(shape[1] for shape in calls) == model.tile  # never the whole picture at once
    assert all(shape[0] <= 8 for shape in calls)


def test_train_task_and_dataset_must_agree(capsys):
    assert cli.main(["train", "pix2pix", "--task", "denoise", "--dataset",
                     "inpaint:art/photos", "--profile", "quick"]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert cli.main(["train", "dcgan", "--task", "denoise", "--profile", "quick"]) == 2
    assert "--task is for the restorers" in capsys.readouterr().err


def test_restore_without_a_run_says_how_to_get_a_restorer(tmp_path, capsys, monkeypatch):
    picture = tmp_path / "photo.png"
    gc.viz.save_image(_picture(64, 64), str(picture))
    monkeypatch.setattr(gc.models.shipped, "ASSETS", tmp_path / "nothing_shipped")
    assert cli.main(["restore", str(picture), "--task", "denoise", "--out",
                     str(tmp_path / "o.png")]) == 2
    assert "gan-course train pix2pix --task denoise" in capsys.readouterr().err


def test_a_shipped_restorer_restores_as_its_run_does(quick_run, tmp_path):
    from gan_course.models import shipped

    out = shipped.write(quick_run.model.ema_generator, quick_run.directory,
                        tmp_path / "pix2pix" / "inpaint")
    assert shipped.names(tmp_path) == ["pix2pix/inpaint"]
    restorer = gc.pretrained("pix2pix/inpaint", root=tmp_path)
    assert restorer.directions == ("restore",) and restorer.metrics["steps"] == 20
    picture = _picture(50, 70)
    mask = np.zeros((50, 70), bool)
    mask[5:15, 10:30] = True
    np.testing.assert_allclose(restorer.translate(picture, mask=mask),
                               quick_run.translate(picture, mask=mask), atol=0.01)
    assert out.name == "inpaint"


@pytest.mark.parametrize("task", damage.TASKS)
def test_the_package_ships_a_restorer_per_task_and_restore_uses_it(task, tmp_path):
    """`gan-course restore` without --run restores with the shipped restorer, for every task;
    upscaling gives four times the size on each side."""
    from PIL import Image

    assert f"pix2pix/{task}" in gc.models.shipped.names()
    restorer = gc.pretrained(f"pix2pix/{task}")
    assert restorer.spec["model"] == "pix2pix" and restorer.metrics["steps"] >= 10000
    picture = tmp_path / "photo.png"
    gc.viz.save_image(_picture(90, 130), str(picture))
    args = ["restore", str(picture), "--task", task, "--out", str(tmp_path / "out.png")]
    if task == "inpaint":
        hole = np.zeros((90, 130, 3), "f4")
        hole[30:50, 40:80] = 1
        gc.viz.save_image(hole, str(tmp_path / "mask.png"))
        args += ["--mask", str(tmp_path / "mask.png")]
    assert cli.main(args) == 0
    factor = damage.FACTOR if task == "upscale" else 1
    assert Image.open(tmp_path / "out.png").size == (130 * factor, 90 * factor)
    summary = json.loads((tmp_path / "out.json").read_text())
    assert "pix2pix" in summary["restorer"]
