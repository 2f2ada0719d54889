"""The paint studio and the gallery helpers, driven from Python (widgets are not compared by nbval)."""

import datetime
import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from gan_course import art
from gan_course.widgets import paint_studio


def _fake_translate(image, direction="photo2painting"):
    """A stand-in painter: inverts the colours one way, keeps them the other."""
    image = np.asarray(image, np.float32)
    return 1.0 - image if direction == "photo2painting" else image


def _png(size=(90, 60)):
    buf = io.BytesIO()
    Image.new("RGB", size, (250, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_round_trip_goes_there_and_back_and_times_it():
    image = np.full((10, 12, 3), 0.25, np.float32)
    (same, there, back), seconds = paint_studio.round_trip(_fake_translate, image)
    assert same is image and np.allclose(there, 0.75) and np.allclose(back, 0.75)
    assert seconds >= 0
    with pytest.raises(ValueError, match="direction must be one of"):
        paint_studio.round_trip(_fake_translate, image, "photo2monet")


def test_gallery_image_puts_rows_of_different_sizes_on_one_canvas():
    rows = [[np.zeros((40, 60, 3)), np.ones((40, 60, 3))], [np.ones((80, 40, 3))]]
    canvas = paint_studio.gallery_image(rows, height=30, pad=2)
    assert canvas.shape == (62, 45 + 2 + 45, 3)
    assert canvas[0, 0].tolist() == [0, 0, 0] and canvas[0, -1].tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="at least one row"):
        paint_studio.gallery_image([])


def test_studio_paints_an_upload_and_saves_it(tmp_path):
    studio = paint_studio.PaintStudio(_fake_translate, max_side=64)
    studio.upload.value = ({"name": "me.png", "type": "image/png", "size": 0,
                            "content": memoryview(_png()),
                            "last_modified": datetime.datetime(2025, 1, 1)},)
    painted = studio.pictures[1]
    assert painted.shape == (43, 64, 3)
    np.testing.assert_allclose(painted[0, 0], 1 - np.array([250, 10, 10]) / 255, atol=0.01)
    assert "me.png: 64 x 43 pixels painted in" in studio.status.value
    assert studio.image.value and studio.result.value
    path = studio.save(tmp_path / "mine.png")
    with Image.open(path) as saved:
        assert saved.size[1] == 43


def test_studio_paints_a_course_photo_with_its_credit():
    studio = paint_studio.PaintStudio(_fake_translate, max_side=96, direction="painting2photo")
    studio.picker.value = "dune"
    assert studio.pictures[0].shape[1] == 96
    assert art.credit("dune") in studio.status.value


def test_studio_says_clearly_when_an_upload_is_not_an_image(tmp_path):
    studio = paint_studio.PaintStudio(_fake_translate)
    assert studio.paint_bytes(b"not an image at all", label="notes.txt") is None
    assert "Cannot paint notes.txt" in studio.status.value and "JPEG, PNG" in studio.status.value
    with pytest.raises(ValueError, match="Nothing painted yet"):
        studio.save(tmp_path / "x.png")


def test_moving_the_slider_or_the_direction_paints_the_picture_again():
    calls = []

    def translate(image, direction="photo2painting"):
        calls.append(direction)
        return _fake_translate(image, direction)

    studio = paint_studio.PaintStudio(translate, max_side=96)
    studio.size.value = 128  # nothing on display yet: nothing to paint
    assert calls == []
    studio.paint("dune")
    shown = studio.image.value
    studio.size.value = 160
    assert studio.pictures[0].shape[1] == 160 and studio.image.value != shown
    studio.direction.value = "painting2photo"
    assert calls[-2:] == ["painting2photo", "photo2painting"]  # there and back again
    assert "dune: 160 x" in studio.status.value


def test_a_large_painting_shrinks_to_half_the_row_instead_of_running_past_it():
    studio = paint_studio.PaintStudio(_fake_translate, max_side=608)
    studio.paint_bytes(_png((900, 600)))
    with Image.open(io.BytesIO(studio.result.value)) as shown:
        assert shown.size == (608, 405)  # full detail is sent to the browser ...
    for view in (studio.image, studio.result):  # ... which fits the two side by side
        assert (view.layout.max_width, view.layout.height) == ("50%", "auto")
        assert view.layout.object_fit == "contain"


class _OneWay:
    """A painter that goes photo to painting only, as a shipped one does."""

    directions = ("photo2painting",)

    def translate(self, image, direction="photo2painting"):
        if direction != "photo2painting":
            raise ValueError("one way only")
        return 1.0 - image


def test_studio_offers_several_painters_and_a_one_way_one_has_no_round_trip(tmp_path):
    studio = paint_studio.PaintStudio({"yours": _fake_translate, "shipped": _OneWay().translate},
                                      max_side=64, direction="painting2photo")
    assert studio.painter.options == ("yours", "shipped")
    assert studio.painter in studio.widget.children[1].children
    studio.paint("dune")
    assert studio.pictures[2] is not None
    studio.painter.value = "shipped"  # cannot go painting -> photo: switches and paints again
    assert studio.direction.value == "photo2painting"
    image, painted, back = studio.pictures
    np.testing.assert_allclose(painted, 1.0 - image)
    assert back is None
    assert studio.save(tmp_path / "two.png").is_file()
    with pytest.raises(ValueError, match="dict"):
        paint_studio.PaintStudio({})


def test_a_long_caption_spans_its_row_instead_of_widening_a_column():
    rows = [[np.zeros((60, 90, 3), np.float32)] * 3]
    caption = "A long credit: a title, its author, the licence and where it came from. " * 2
    fig = paint_studio.show_gallery(rows, [caption], title="gallery")
    FigureCanvasAgg(fig).draw()
    widths = [ax.get_position().width for ax in fig.axes]
    assert max(widths) - min(widths) < 0.01, widths
    assert any(caption in t.get_text() for sub in fig.subfigs for t in sub.texts)
