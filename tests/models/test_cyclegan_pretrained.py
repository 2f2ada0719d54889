"""Shipped painters: loading one by name, its translate, and clear errors."""

import json

import numpy as np
import pytest

import gan_course as gc
from gan_course import config, models
from gan_course.models import cyclegan
from gan_course.models import cyclegan_pretrained as pretrained


@pytest.fixture
def shipped(tmp_path):
    """A tiny painter written as the package ships one, and the network it came from."""
    settings = models.profile("quick")["cyclegan"]
    hp = settings.hparams
    config.seed_everything(0)
    network = cyclegan.build_generator(hp["g_width"], hp["residual_blocks"], hp["downsamplings"],
                                       name="photo2painting")
    folder = tmp_path / "cyclegan" / "tiny"
    folder.mkdir(parents=True)
    np.savez_compressed(folder / pretrained.WEIGHTS, **{
        f"w{i}": np.asarray(w, np.float16) for i, w in enumerate(network.get_weights())})
    spec = {"model": "cyclegan", "dataset": "art/photos:art/paintings/van_gogh",
            "profile": "quick", "seed": 0, "image_shape": [32, 32, 3],
            "settings": settings.as_dict()}
    (folder / "config.json").write_text(json.dumps(spec))
    return tmp_path, network


def test_a_shipped_painter_paints_as_its_network_does(shipped):
    root, network = shipped
    assert pretrained.names(root) == ["cyclegan/tiny"]
    folder, spec, painter = pretrained.load("cyclegan/tiny", root)
    assert spec["dataset"].endswith("van_gogh") and painter.tile == 64
    photo = np.random.default_rng(0).uniform(size=(40, 60, 3)).astype("f4")
    expected = (np.asarray(network(photo[None] * 2 - 1, training=False))[0] + 1) / 2
    np.testing.assert_allclose(painter.translate(photo), np.clip(expected, 0, 1), atol=0.02)
    large = painter.translate(np.random.default_rng(1).uniform(size=(150, 90, 3)).astype("f4"))
    assert large.shape == (150, 90, 3) and 0 <= large.min() <= large.max() <= 1


def test_a_shipped_painter_says_it_paints_one_way_only(shipped):
    _, _, painter = pretrained.load("cyclegan/tiny", shipped[0])
    with pytest.raises(ValueError, match="paints photos.*no 'painting2photo' generator"):
        painter.translate(np.zeros((32, 32, 3), "f4"), "painting2photo")


def test_an_unknown_painter_names_the_shipped_ones(shipped):
    with pytest.raises(pretrained.PretrainedError,
                       match=r"No pretrained model 'cyclegan/monet'\. Shipped: 'cyclegan/tiny'"):
        pretrained.load("cyclegan/monet", shipped[0])
    with pytest.raises(pretrained.PretrainedError, match="No pretrained model 'dcgan/mnist'"):
        gc.pretrained("dcgan/mnist")


def test_weights_that_do_not_fit_their_settings_are_a_clear_error(shipped):
    root, _ = shipped
    spec_path = root / "cyclegan" / "tiny" / "config.json"
    spec = json.loads(spec_path.read_text())
    spec["settings"]["hparams"]["g_width"] = 4
    spec_path.write_text(json.dumps(spec))
    with pytest.raises(pretrained.PretrainedError, match="does not fit the network"):
        pretrained.load("cyclegan/tiny", root)


def test_the_shipped_van_gogh_painter_paints_a_held_out_photo():
    from gan_course.art import patches

    assert "cyclegan/van_gogh" in pretrained.names()
    run = gc.pretrained("cyclegan/van_gogh")
    assert run.metrics["steps"] == 8000 and run.dataset == "art/photos:art/paintings/van_gogh"
    assert run.directions == ("photo2painting",)
    photo = patches.domain_images("art/photos", split="test")[0][:200, :300] / np.float32(255)
    painted = run.translate(photo)
    assert painted.shape == photo.shape and np.abs(painted - photo).mean() > 0.05
