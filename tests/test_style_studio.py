"""The style studio, driven from Python as a student's clicks would drive it."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from gan_course import art  # noqa: E402
from gan_course.art import vgg
from gan_course.widgets import style_studio


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def fail():
        raise OSError("offline")

    monkeypatch.setattr(vgg, "load_imagenet_vgg19", fail)
    vgg.forget_cached()
    yield
    vgg.forget_cached()


def _png(size, colour=(10, 200, 40)):
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _shown(image_widget):
    return np.asarray(Image.open(io.BytesIO(image_widget.value)))


@pytest.fixture
def studio(tmp_path):
    return style_studio.StyleStudio(profile="quick", features="random", steps=4, every=2,
                                    gallery_dir=tmp_path / "gallery")


def test_studio_shows_the_choices_with_their_credits(studio):
    assert studio.photo.value == "mount_rainier"
    assert list(studio.painting.options) == art.art_names("paintings")  # every course painting
    assert "Mount Rainier National Park, photo by" in studio.credits.value
    assert "The Starry Night (1889), painting by Vincent van Gogh" in studio.credits.value
    before = studio.image.value
    studio.photo.value = "aitzgorri"
    assert studio.image.value != before and "Aitzol Berasategi" in studio.credits.value
    assert "CC BY 4.0" in studio.credits.value


def test_style_weight_slider_holds_the_exact_weight(tmp_path):
    # The browser keeps a slider's value on its grid: the default must be one of its stops.
    default = style_studio.StyleStudio(profile="quick", features="random")
    assert default.style_weight.value == 30.0 and 30.0 in default.style_weight.options
    own = style_studio.StyleStudio(profile="quick", features="random", style_weight=42)
    assert own.style_weight.value == 42.0 and list(own.style_weight.options) == sorted(
        own.style_weight.options)


def test_paint_runs_steps_redraws_and_continues(studio):
    shown = []
    studio.image.observe(lambda change: shown.append(change["new"]), "value")
    result = studio.paint()
    assert result.steps == 4 and studio.job.steps_done == 4
    assert len(shown) == 2  # redrawn after steps 2 and 4
    assert "<b>step 4</b>" in studio.status.value and "random VGG19-shaped" in studio.status.value
    assert studio.current_image.shape == (43, 64, 3)
    assert _shown(studio.image).shape == (172, 256, 3)  # a thumbnail is shown enlarged 4 times
    assert _shown(studio.loss_image).ndim == 3  # the loss curves
    job = studio.job
    studio.paint()
    assert studio.job is job and job.steps_done == 8  # same choices: the same picture goes on
    painted = studio.image.value
    studio.style_weight.value = 100.0  # a new choice: the panel shows the choices again
    assert studio.image.value != painted and "starts a new picture" in studio.status.value
    studio.paint(2)
    assert studio.job is not job and studio.job.steps_done == 2
    assert studio.job.settings["style_weight"] == 100.0
    assert not studio.paint_button.disabled


def test_uploaded_images_can_be_painted(studio):
    studio.add_upload(studio.photo, "my garden.png", _png((90, 60)))
    assert studio.photo.value == "uploaded: my garden.png"
    assert isinstance(studio.source(studio.photo), np.ndarray)
    assert "uploaded my garden.png (90 x 60 pixels)" in studio.status.value
    studio.add_upload(studio.painting, "mine.jpg", _png((64, 64), (250, 250, 0)))
    assert studio.paint(2).steps == 2
    assert studio.job.content_name == "an array of shape (60, 90, 3)"


def test_bad_uploads_are_reported_in_the_status_line(studio):
    options = list(studio.photo.options)
    studio.add_upload(studio.photo, "notes.txt", b"not an image at all")
    assert "could not use notes.txt" in studio.status.value and "is not an image" in \
        studio.status.value
    studio.add_upload(studio.photo, "icon.png", _png((20, 20)))
    assert "could not use icon.png" in studio.status.value and "at least 32" in \
        studio.status.value
    assert list(studio.photo.options) == options and studio.photo.value == "mount_rainier"


def test_saving_to_the_gallery(studio, tmp_path):
    assert studio.save() is None and "press <b>paint</b> first" in studio.status.value
    studio.paint(2)
    path = studio.save()
    assert path.name == "mount_rainier__van_gogh_starry_night_1889__sw30__2steps.png"
    assert path.is_file() and path.with_suffix(".json").is_file()
    studio.style_weight.value = 3.0  # moved after painting: the saved name keeps the picture's
    assert studio.save().name == "mount_rainier__van_gogh_starry_night_1889__sw30__2steps.png"
    fig = style_studio.gallery(tmp_path / "gallery")
    assert "mount_rainier in the style of" in fig.axes[0].get_title()
    with pytest.raises(FileNotFoundError, match="No pictures in"):
        style_studio.gallery(tmp_path / "nothing")


def test_loss_figure_draws_both_losses():
    fig = style_studio.loss_figure({"step": [0, 1, 2], "style": [1.0, 0.5, 0.2],
                                    "content": [0.0, 0.1, 0.2]})
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["style loss",
                                                                       "content loss"]
    assert art.credit("not-a-catalogue-image") == ""


@pytest.mark.parametrize("painting", ["munch_the_scream_1893", "matisse_woman_with_a_hat_1905",
                                      "leger_contrast_of_forms_1913"])
def test_portrait_format_paintings_are_shown_beside_the_photo(studio, painting):
    studio.painting.value = painting
    heights = [art.resize(art.art_image(n, max_side=256), 192).shape[0]
               for n in (studio.photo.value, painting)]
    assert _shown(studio.image).shape[0] in (min(heights), min(heights) - 1)


def test_portrait_format_uploads_can_be_chosen(studio):
    studio.add_upload(studio.photo, "tall.png", _png((60, 150)))
    assert studio.photo.value == "uploaded: tall.png" and "uploaded tall.png" in studio.status.value
    assert _shown(studio.image).shape[1] > _shown(studio.image).shape[0]
