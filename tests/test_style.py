"""Neural style transfer: the losses by hand, both feature networks, the transfer and its CLI."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from gan_course import art, cli
from gan_course.art import style, vgg

CONTENT, PAINTING = "mount_rainier", "van_gogh_starry_night_1889"


@pytest.fixture(autouse=True)
def _fresh_feature_cache():
    vgg.forget_cached()
    yield
    vgg.forget_cached()


@pytest.fixture
def offline(monkeypatch):
    """No VGG19 weights to be had, as on a machine without internet and an empty Keras cache."""
    def fail():
        raise OSError("URL fetch failure: Name or service not known")

    monkeypatch.setattr(vgg, "load_imagenet_vgg19", fail)


class _FakeImageNetVGG19:
    """Stands in for keras.applications.VGG19: known weights under Keras' layer names."""

    def __init__(self):
        self.model = vgg.build_vgg(vgg.LAYERS[:11], seed=123)  # to block4_conv2

    def get_layer(self, name):
        return self.model.get_layer(name)


@pytest.fixture
def fake_vgg19(monkeypatch):
    fake = _FakeImageNetVGG19()
    monkeypatch.setattr(vgg, "load_imagenet_vgg19", lambda: fake)
    return fake


# --- the losses, against hand computations -------------------------------------------------------

def test_gram_matrix_by_hand():
    # Two positions' features (1, 2) and (3, 4) -> sum of outer products / 2 positions.
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)  # (1, 1, 2, 2)
    expected = np.array([[1 + 9, 2 + 12], [2 + 12, 4 + 16]]) / 2
    np.testing.assert_allclose(style.gram_matrix(x).numpy(), expected[None])
    np.testing.assert_allclose(style.gram_matrix(x[0]).numpy(), expected)
    big = np.tile(x, (1, 3, 5, 1))  # the same features at 15x as many positions: same Gram
    np.testing.assert_allclose(style.gram_matrix(big).numpy(), expected[None], rtol=1e-6)


def test_content_and_total_variation_losses_by_hand():
    f = np.array([1.0, 2.0, 3.0, 4.0], np.float32).reshape(1, 2, 2, 1)
    p = np.array([1.0, 0.0, 3.0, 2.0], np.float32).reshape(1, 2, 2, 1)
    assert float(style.content_loss(f, p)) == pytest.approx((0 + 4 + 0 + 4) / 4)
    image = np.array([[0.0, 1.0], [2.0, 4.0]], np.float32).reshape(1, 2, 2, 1)
    # vertical differences 2 and 3, horizontal 1 and 2: (4 + 9) / 2 + (1 + 4) / 2
    assert float(style.total_variation_loss(image)) == pytest.approx(6.5 + 2.5)
    assert float(style.total_variation_loss(np.full((1, 5, 4, 3), 0.3, np.float32))) == 0.0


def test_style_loss_by_hand_weights_each_layer():
    a = np.array([[[[1.0, 0.0], [0.0, 1.0]]]], np.float32)  # Gram: identity / 2 * 1 = 0.5 I
    b = np.ones((1, 2, 2, 1), np.float32)  # Gram: [[1]]
    targets = {"a": np.zeros((1, 2, 2), np.float32), "b": np.full((1, 1, 1), 3.0, np.float32)}
    loss = style.style_loss({"a": a, "b": b}, targets, {"a": 2.0, "b": 0.5})
    # layer a: mean of (0.25, 0, 0, 0.25) = 0.125, x2; layer b: (1 - 3)^2 = 4, x0.5
    assert float(loss) == pytest.approx(2 * 0.125 + 0.5 * 4)
    assert float(style.style_loss([a, b], [targets["a"], targets["b"]], [2.0, 0.5])) == \
        pytest.approx(2.25)


# --- the feature networks ----------------------------------------------------------------------------

def test_layer_table_gives_vgg19_receptive_fields():
    fields = {name: rf for name, _, rf in vgg.layer_table()}
    assert fields["block1_conv1"] == 3 and fields["block2_conv1"] == 10
    assert fields["block3_conv1"] == 24 and fields["block4_conv1"] == 68
    with pytest.raises(ValueError, match="Unknown VGG layer.*valid layers: block1_conv1"):
        vgg.check_layers(["conv4_1"])


def test_random_features_are_fixed_by_the_seed(offline, capsys):
    net = vgg.feature_net(["block1_conv1", "block2_conv1"], "auto", seed=0)
    line = capsys.readouterr().out
    assert net.kind == "random" and line.count("\n") == 1
    assert "VGG19 ImageNet weights not available (OSError: URL fetch failure" in line
    assert "random VGG19-shaped network (fixed weights, seed 0)" in line
    x = np.random.default_rng(0).uniform(size=(1, 32, 40, 3)).astype(np.float32)
    first = net(x)["block2_conv1"].numpy()
    vgg.forget_cached()
    again = vgg.feature_net(["block1_conv1", "block2_conv1"], "random", seed=0)
    np.testing.assert_array_equal(first, again(x)["block2_conv1"].numpy())
    other = vgg.feature_net(["block1_conv1", "block2_conv1"], "random", seed=1)
    assert not np.allclose(first, other(x)["block2_conv1"].numpy())
    assert first.shape == (1, 16, 20, 128)


def test_asking_for_vgg19_offline_is_a_clear_error(offline):
    with pytest.raises(RuntimeError, match="VGG19 ImageNet weights are not available.*"
                                           "features='random'"):
        vgg.feature_net(["block1_conv1"], "vgg19")
    with pytest.raises(ValueError, match="features must be one of auto, vgg19, random"):
        vgg.feature_net(["block1_conv1"], "imagenet")


def test_vgg19_weights_are_used_when_they_can_be_had(fake_vgg19, capsys):
    net = vgg.feature_net(["block1_conv1", "block3_conv1"], "auto")
    assert net.kind == "vgg19" and net.description == "VGG19 with ImageNet weights"
    assert capsys.readouterr().out == ""  # nothing to apologise for
    for name in ("block1_conv1", "block2_conv2", "block3_conv1"):
        for got, want in zip(net.model.get_layer(name).get_weights(),
                             fake_vgg19.get_layer(name).get_weights()):
            np.testing.assert_array_equal(got, want)
    # Keras' VGG19 reads BGR, 0-255, minus the ImageNet mean: a mid-grey image is nearly zero.
    grey = np.full((1, 32, 32, 3), [123.68 / 255, 116.779 / 255, 103.939 / 255], np.float32)
    x = keras.Input((None, None, 3))
    first_conv = keras.Model(x, net.model.get_layer("block1_conv1")(x))
    np.testing.assert_allclose(net(grey)["block1_conv1"].numpy(),
                               first_conv(np.zeros((1, 32, 32, 3), np.float32)).numpy(),
                               atol=1e-3)


# --- the transfer ------------------------------------------------------------------------------

def test_transfer_lowers_the_style_loss_and_keeps_the_photo(offline):
    result = style.transfer(CONTENT, PAINTING, steps=12, verbose=0)
    assert result.feature_kind == "random" and "random VGG19-shaped" in result.features
    assert result.image.shape == (43, 64, 3) and result.image.dtype == np.float32
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0
    h = result.history
    assert h["step"] == list(range(13)) and len(h["style"]) == 13  # step 0: the photo itself
    assert h["style"][-1] < 0.5 * h["style"][0] and h["content"][0] == pytest.approx(0.0)
    photo = art.load_image(CONTENT, 64)
    assert style.edge_similarity(result.image, photo) > 0.5
    assert style.edge_similarity(result.image, photo) > style.edge_similarity(
        art.load_image(PAINTING, 64), photo) + 0.3
    again = style.transfer(CONTENT, PAINTING, steps=12, verbose=0)
    np.testing.assert_allclose(again.image, result.image, atol=1e-5)  # seeded and repeatable


def test_vgg19_path_runs_the_same_algorithm(fake_vgg19, tmp_path):
    result = style.transfer(CONTENT, PAINTING, steps=3, verbose=0, features="vgg19")
    assert result.feature_kind == "vgg19" and result.features == "VGG19 with ImageNet weights"
    _, summary = result.save(tmp_path / "vgg.png")
    assert json.loads(summary.read_text())["features"] == "VGG19 with ImageNet weights"


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_run_continues_with_either_optimizer(offline, optimizer):
    job = style.StyleTransfer(CONTENT, PAINTING, verbose=0, optimizer=optimizer)
    seen = []
    job.run(4, callback=lambda j: seen.append(j.steps_done), every=2)
    job.run(2)
    assert seen == [2, 4] and job.steps_done == 6 and job.history["step"] == list(range(7))
    h = job.history
    assert h["style"][-1] < 0.5 * h["style"][0]
    assert job.image.min() >= 0.0 and job.image.max() <= 1.0


def test_profiles_optimise_with_adam():
    # benchmarks/RESULTS.md: L-BFGS painted over the photo's layout with the random features.
    for profile in ("quick", "classroom", "full"):
        assert style.settings(profile)["optimizer"] == "adam"
    assert style.settings("classroom")["steps"] == 150


def test_a_folder_of_paintings_is_one_style(offline, tmp_path):
    for name in ("munch_the_scream_1893", "monet_water_lilies_1919"):
        Image.open(art.art_path(name)).save(tmp_path / f"{name}.png")
    both = style.StyleTransfer(CONTENT, f"folder:{tmp_path}", verbose=0)
    singles = [style.StyleTransfer(CONTENT, str(p), verbose=0)
               for p in sorted(tmp_path.glob("*.png"))]
    for layer, gram in both.target_grams.items():
        mean = (singles[0].target_grams[layer] + singles[1].target_grams[layer]) / 2
        np.testing.assert_allclose(gram.numpy(), mean.numpy(), rtol=1e-4)


def test_arrays_work_as_images(offline):
    photo = art.art_image(CONTENT, max_side=80)
    result = style.transfer(photo, art.art_image(PAINTING), steps=2, verbose=0)
    assert result.content == "an array of shape (53, 80, 3)" and result.steps == 2


def test_result_is_saved_as_png_with_a_json_summary(offline, tmp_path):
    result = style.transfer(CONTENT, PAINTING, steps=3, verbose=0)
    png, summary = result.save(tmp_path / "out" / "picture.png")
    assert Image.open(png).size == (64, 43)
    s = json.loads(summary.read_text())
    assert summary.name == "picture.json" and s["steps"] == 3 and s["seconds"] >= 0
    assert s["features"].startswith("random VGG19-shaped network")
    for key in ("style_loss_first", "style_loss_last", "content_loss_first", "content_loss_last"):
        assert isinstance(s[key], float)
    with pytest.raises(ValueError, match="ending in .png"):
        result.save(tmp_path / "picture.jpg")


# --- bad input --------------------------------------------------------------------------------------

def test_bad_input_gets_clear_errors(offline, tmp_path):
    Image.new("RGB", (24, 40)).save(tmp_path / "tiny.png")
    with pytest.raises(ValueError, match=r"content image .*tiny\.png is 24 x 40 pixels; it must "
                                         r"be at least 32 x 32"):
        style.StyleTransfer(str(tmp_path / "tiny.png"), PAINTING, verbose=0)
    with pytest.raises(ValueError, match="Unknown image 'starry'.*Paintings: .*van_gogh"):
        style.StyleTransfer(CONTENT, "starry", verbose=0)
    with pytest.raises(FileNotFoundError, match="not found"):
        style.StyleTransfer(str(tmp_path / "missing.jpg"), PAINTING, verbose=0)
    (tmp_path / "fake.png").write_text("not a picture")
    with pytest.raises(art.ImageFileError, match="is not an image"):
        style.StyleTransfer(CONTENT, str(tmp_path / "fake.png"), verbose=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no images"):
        style.StyleTransfer(CONTENT, f"folder:{tmp_path / 'empty'}", verbose=0)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        style.StyleTransfer(np.full((40, 40, 3), 255.0), PAINTING, verbose=0)
    with pytest.raises(TypeError, match="unknown setting.*style_wieght"):
        style.StyleTransfer(CONTENT, PAINTING, style_wieght=3, verbose=0)
    with pytest.raises(ValueError, match="Unknown VGG layer"):
        style.StyleTransfer(CONTENT, PAINTING, content_layer="conv4_2", verbose=0)
    with pytest.raises(ValueError, match="2 style layers but 4 layer weights"):
        style.StyleTransfer(CONTENT, PAINTING, style_layers=("block1_conv1", "block2_conv1"),
                            verbose=0)


def test_edge_similarity():
    photo = art.load_image(CONTENT, 96)
    assert style.edge_similarity(photo, photo) == pytest.approx(1.0)
    assert style.edge_similarity(photo, photo[::-1]) < 0.5


# --- the command line --------------------------------------------------------------------------------

def test_stylize_writes_the_picture_and_its_summary(offline, tmp_path, capsys):
    out = tmp_path / "starry.png"
    code = cli.main(["stylize", CONTENT, "--style", PAINTING, "--out", str(out), "--steps", "4",
                     "--style-weight", "10"])
    assert code == 0 and out.is_file()
    s = json.loads(out.with_suffix(".json").read_text())
    assert s["steps"] == 4 and s["settings"]["style_weight"] == 10.0
    assert s["style"] == PAINTING and "random VGG19-shaped network" in s["features"]
    assert s["style_loss_last"] < s["style_loss_first"]
    printed = capsys.readouterr().out
    assert "wrote" in printed and "random VGG19-shaped network" in printed


def test_stylize_reports_bad_input_in_one_line(offline, tmp_path, capsys):
    code = cli.main(["stylize", CONTENT, "--style", "mona_lisa", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("gan-course stylize: error: Unknown image 'mona_lisa'")
    assert "Traceback" not in err
    code = cli.main(["stylize", str(tmp_path / "none.jpg"), "--style", PAINTING,
                     "--out", str(tmp_path / "x.png")])
    assert code == 2 and "not found" in capsys.readouterr().err


def test_pictures_come_from_the_package_or_from_the_originals(tmp_path, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_DATA", raising=False)
    packaged = style.load(CONTENT, 64)
    np.testing.assert_allclose(packaged[0], art.load_image(art.ASSETS / "photos" / f"{CONTENT}.jpg",
                                                           64))
    original = tmp_path / "art" / "content_photos" / art.catalog()["photos"][CONTENT]["original"]
    original.parent.mkdir(parents=True)
    Image.fromarray(np.uint8(packaged[0, ::-1] * 255)).resize((1200, 800)).save(original)
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    flipped = style.load(CONTENT, 64)
    assert flipped.shape == packaged.shape
    assert np.abs(flipped[0] - packaged[0, ::-1]).mean() < 0.05  # the (flipped) original is used


def test_features_stay_float32_under_mixed_precision(offline):
    keras.mixed_precision.set_global_policy("mixed_float16")  # as setup_device does on a GPU
    try:
        net = vgg.feature_net(["block1_conv1", "block2_conv1"], "random")
        found = net(np.zeros((1, 32, 32, 3), np.float32))
        assert all(v.dtype == "float32" for v in found.values())
        assert style.transfer(CONTENT, PAINTING, steps=2, verbose=0).steps == 2
    finally:
        keras.mixed_precision.set_global_policy("float32")


# --- where the picture goes, and the weights ------------------------------------------------------

@pytest.fixture
def no_transfer(monkeypatch):
    """Fails the test if a transfer starts: the command must refuse before any work."""
    def fail(*args, **kwargs):
        raise AssertionError("the transfer ran")

    monkeypatch.setattr(style, "transfer", fail)


def test_stylize_never_writes_over_its_input_images(no_transfer, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (20, 90, 200)).save(photo)
    notes = tmp_path / "photo.json"
    notes.write_text('{"mine": true}')
    before = photo.read_bytes()
    (tmp_path / "sub").mkdir()
    for out in (photo, tmp_path / "sub" / ".." / "photo.png"):
        assert cli.main(["stylize", str(photo), "--style", PAINTING, "--out", str(out),
                         "--force"]) == 2
        err = capsys.readouterr().err
        assert "is one of the input images" in err and "Traceback" not in err
    assert cli.main(["stylize", CONTENT, "--style", f"folder:{tmp_path}",
                     "--out", str(photo), "--force"]) == 2
    assert "is one of the input images" in capsys.readouterr().err
    assert photo.read_bytes() == before and notes.read_text() == '{"mine": true}'


def test_stylize_checks_its_output_path_before_any_work(no_transfer, tmp_path, capsys):
    assert cli.main(["stylize", CONTENT, "--style", PAINTING, "--out", str(tmp_path / "b.jpg")]) == 2
    assert "ending in .png" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    out = tmp_path / "notes.txt" / "x.png"
    assert cli.main(["stylize", CONTENT, "--style", PAINTING, "--out", str(out)]) == 2
    assert "notes.txt is a file, expected a folder" in capsys.readouterr().err
    (tmp_path / "old.json").write_text("an earlier summary")
    assert cli.main(["stylize", CONTENT, "--style", PAINTING,
                     "--out", str(tmp_path / "old.png")]) == 2
    err = capsys.readouterr().err
    assert "old.json already exist" in err and "--force" in err
    assert (tmp_path / "old.json").read_text() == "an earlier summary"


def test_stylize_force_replaces_an_earlier_picture(offline, tmp_path):
    out = tmp_path / "again.png"
    args = ["stylize", CONTENT, "--style", PAINTING, "--out", str(out), "--steps", "2"]
    assert cli.main(args) == 0 and cli.main(args) == 2
    assert cli.main([*args, "--force"]) == 0 and out.is_file()


@pytest.mark.parametrize("weights", [dict(style_weight=-30.0), dict(content_weight=float("nan")),
                                     dict(tv_weight=float("inf")),
                                     dict(layer_weights=(1.0, -1.0, 4.0, 8.0))])
def test_negative_or_non_finite_weights_are_refused(offline, weights):
    name = next(iter(weights)).replace("layer_weights", r"layer_weights\[1\]")
    with pytest.raises(ValueError, match=f"{name} must be a finite number >= 0"):
        style.StyleTransfer(CONTENT, PAINTING, verbose=0, **weights)


def test_stylize_refuses_a_negative_style_weight(offline, tmp_path, capsys):
    assert cli.main(["stylize", CONTENT, "--style", PAINTING, "--out", str(tmp_path / "x.png"),
                     "--style-weight", "-5", "--steps", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gan-course stylize: error: style_weight must be a finite number >= 0")
    assert not (tmp_path / "x.png").exists()
