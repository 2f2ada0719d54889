"""The lessons' explanatory pictures draw what they say, computed from the arrays given."""

import numpy as np
import pytest

from gan_course import diagrams


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def test_transposed_convolution_stamps_add_up_to_the_layers_output():
    import keras

    kernel = np.array([0.2, 0.9, 0.5, 0.1])
    fig = diagrams.transposed_convolution(kernel, inputs=(1.0, 2.0, 1.0))
    texts = _texts(fig)
    layer = keras.layers.Conv1DTranspose(1, 4, strides=2, padding="valid", use_bias=False)
    layer.build((None, 3, 1))
    layer.set_weights([kernel.reshape(4, 1, 1)])
    expected = np.asarray(layer(np.array([1.0, 2.0, 1.0], np.float32).reshape(1, 3, 1)))[0, :, 0]
    shown = [float(t) for t in texts[-len(expected) - 1:-1]]
    np.testing.assert_allclose(shown, expected, atol=0.01)


def test_phase_kernels_show_each_phase_and_its_sum():
    kernel = np.arange(16.0).reshape(4, 4) / 10
    texts = _texts(diagrams.phase_kernels(kernel))
    for p in (0, 1):
        for q in (0, 1):
            assert f"phase ({p}, {q}): sum {kernel[p::2, q::2].sum():+.2f}" in texts


@pytest.mark.parametrize("draw", [diagrams.two_tapes, lambda: diagrams.infogan_layout(24, 10, 2)])
def test_diagrams_are_figures_with_their_labels(draw):
    fig = draw()
    assert fig.axes and any("gradient" in t or "info loss" in t for t in _texts(fig))


def test_the_penalty_s_points_lie_between_their_real_and_fake_pair():
    fig = diagrams.penalty_interpolates(n=10, seed=3)
    real, fake, between = (c.get_offsets() for c in fig.axes[0].collections)
    # each x-hat is e * real + (1 - e) * fake for one e in [0, 1]: collinear and in between
    e = np.sum((between - fake) * (real - fake), axis=1) / np.sum((real - fake) ** 2, axis=1)
    np.testing.assert_allclose(e[:, None] * real + (1 - e[:, None]) * fake, between, atol=1e-9)
    assert (e >= 0).all() and (e <= 1).all() and len(set(np.round(e, 6))) == 10


def test_the_patchgan_picture_shows_the_critic_s_own_field_and_score_map():
    from gan_course.models import cyclegan

    critic = cyclegan.build_discriminator(8, 2)
    field = cyclegan.receptive_field(critic)
    scores = critic(np.zeros((1, 64, 64, 3), np.float32)).shape[1]
    texts = _texts(diagrams.patchgan_field(field, scores, 64))
    assert field == 34 and "one score sees 34 x 34 pixels" in " ".join(texts)
    assert f"output: {scores} x {scores} scores" in " ".join(texts)


@pytest.mark.parametrize("draw, words", [
    (diagrams.projection_discriminator, "⟨V_y, φ(x)⟩"),
    (diagrams.cycle_consistency, "cycle loss"),
])
def test_lessons_04_to_07_diagrams_carry_their_labels(draw, words):
    assert any(words in t for t in _texts(draw()))
