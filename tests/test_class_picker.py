"""The class picker: class buttons and style sliders redraw a conditional model's image at once."""

import io

import numpy as np
import pytest
from PIL import Image

from gan_course.widgets import class_picker
from tests.models.test_cgan import small_cgan


class Run:
    """Stands for a gc.train run: the picker takes a run or its model."""

    def __init__(self, model):
        self.model = model


@pytest.fixture(scope="module")
def model():
    return small_cgan(classes=3)


def test_buttons_and_sliders_redraw_the_image_at_once(model):
    picker = class_picker.ClassPicker(Run(model), class_names=["dark", "mid", "bright"],
                                      n_sliders=2, n_samples=60)
    assert [b for b, _ in picker.class_buttons.options] == ["dark", "mid", "bright"]
    np.testing.assert_array_equal(picker.base, model.latents(1, seed=0)[0])  # the model's prior
    np.testing.assert_allclose(picker.current_image, model.decode(picker.base[None], [0])[0],
                               atol=1e-6)
    first = bytes(picker.image.value)
    assert Image.open(io.BytesIO(first)).size[0] >= 200  # 8 px upscaled for display
    assert picker.image.layout.align_self == "flex-start"  # its own size, not the cell's width

    picker.class_buttons.value = 2
    assert picker.label == 2 and picker.image.value != first
    np.testing.assert_allclose(picker.current_image, model.decode(picker.base[None], [2])[0],
                               atol=1e-6)

    picker.sliders[1].value = 1.5
    np.testing.assert_allclose(picker.latent, picker.base + 1.5 * picker.directions[1],
                               atol=1e-6)
    np.testing.assert_allclose(picker.current_image, model.decode(picker.latent[None], [2])[0],
                               atol=1e-6)

    base = picker.base.copy()
    picker.new_button.click()
    assert not np.allclose(picker.base, base) and picker.label == 2
    assert picker.sliders[1].value == 1.5
    picker.reset_button.click()
    assert all(s.value == 0 for s in picker.sliders)
    np.testing.assert_array_equal(picker.latent, picker.base)
    assert "application/vnd.jupyter.widget-view+json" in picker._repr_mimebundle_()


def test_style_directions_are_orthonormal_and_ignore_what_the_class_changes(model):
    directions, explained = class_picker.style_directions(model, 3, n_samples=90, seed=1)
    assert directions.shape == (3, model.latent_dim) and directions.dtype == np.float32
    np.testing.assert_allclose(directions @ directions.T, np.eye(3), atol=1e-5)
    assert (explained > 0).all() and explained.sum() <= 1 + 1e-6
    assert explained[0] >= explained[1] >= explained[2]


def test_the_picker_needs_a_conditional_model_and_one_name_per_class(model):
    from tests.models.test_base import small_gan

    with pytest.raises(ValueError, match="needs a conditional model.*got GAN"):
        class_picker.ClassPicker(small_gan())
    with pytest.raises(ValueError, match="name the model's 3 classes, got 2 names"):
        class_picker.ClassPicker(model, class_names=["a", "b"], n_samples=30)
    with pytest.raises(ValueError, match="n_directions must be between 1 and the latent size 4"):
        class_picker.style_directions(model, 5)


def test_many_classes_get_a_dropdown_and_the_widgets_module_names_the_same_picker():
    from gan_course import widgets

    many = class_picker.ClassPicker(small_cgan(classes=12), n_sliders=1, n_samples=48)
    assert type(many.class_buttons).__name__ == "Dropdown"
    many.class_buttons.value = 11
    assert many.label == 11
    assert widgets.ClassPicker is class_picker.ClassPicker
