"""Lesson 09's restoration studio, driven from Python (widgets are not compared by nbval)."""

import numpy as np
import pytest

from gan_course import art
from gan_course.art import damage
from gan_course.widgets import restore_studio


def _fill_with_truth(truth):
    """A stand-in restorer that knows the original (the best possible)."""
    def translate(image, mask=None):
        return truth if mask is not None else np.asarray(image)
    return translate


def _picture():
    return art.art_image(art.art_names("photos")[0], max_side=96)


def test_restorations_show_damage_baseline_restorers_and_original_with_numbers():
    picture = _picture()
    h, w = (s // 4 * 4 for s in picture.shape[:2])
    columns, numbers = restore_studio.restorations(
        picture, "inpaint", {"perfect": _fill_with_truth(picture[:h, :w])}, strength=1.0)
    assert list(columns) == ["damaged", "surrounding colour", "perfect", "original"]
    assert all(p.shape == (h, w, 3) for p in columns.values())
    assert numbers["perfect"]["hole_error"] == 0
    assert numbers["surrounding colour"]["hole_error"] > 0
    assert numbers["perfect"]["psnr"] > numbers["surrounding colour"]["psnr"]


def test_upscaling_shows_the_small_picture_at_the_original_size():
    picture = _picture()

    def bigger(image, mask=None):
        return np.repeat(np.repeat(image, 4, 0), 4, 1)

    columns, numbers = restore_studio.restorations(picture, "upscale", {"nearest": bigger})
    sizes = {p.shape for p in columns.values()}
    assert len(sizes) == 1
    assert numbers["bicubic"]["psnr"] > numbers["nearest"]["psnr"] - 3  # both near the truth


def test_the_strength_slider_changes_the_picture_and_the_numbers():
    studio = restore_studio.RestoreStudio({"denoise": {"as is": lambda image: image}},
                                          art.art_names("photos")[:3], max_side=64)
    studio.show(art.art_names("photos")[0])
    before, table = studio.image.value, studio.table.value
    studio.strength.value = 1.0  # the observer restores again
    assert studio.image.value != before and studio.table.value != table
    assert "psnr" in studio.table.value and "noisy input" in studio.table.value
    studio.picker.value = art.art_names("photos")[1]
    assert art.art_names("photos")[1] in studio.status.value


def test_the_studio_saves_what_it_shows_and_rejects_bad_restorers(tmp_path):
    studio = restore_studio.RestoreStudio({"denoise": {"as is": lambda image: image}},
                                          art.art_names("photos")[:1], max_side=64)
    with pytest.raises(ValueError, match="Nothing restored yet"):
        studio.save(tmp_path / "x.png")
    studio.show(art.art_names("photos")[0])
    assert (tmp_path / "row.png").name in str(studio.save(tmp_path / "row.png"))
    with pytest.raises(ValueError, match="Unknown task 'blur'"):
        restore_studio.RestoreStudio({"blur": {"x": lambda image: image}}, [])
    with pytest.raises(ValueError, match="at least one of"):
        restore_studio.RestoreStudio({}, [])
    assert set(damage.TASKS) == set(restore_studio.BASELINES)
