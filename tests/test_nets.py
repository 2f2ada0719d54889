import numpy as np
import pytest

from gan_course import nets


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
@pytest.mark.parametrize("upsampling", ["transpose", "resize"])
def test_dcgan_shapes_for_any_size_and_channels(shape, upsampling):
    g = nets.dcgan_generator(16, shape, width=8, upsampling=upsampling)
    d = nets.dcgan_discriminator(shape, width=8)
    images = g(np.random.default_rng(0).standard_normal((3, 16)).astype("f4"))
    assert tuple(images.shape) == (3, *shape)
    assert float(np.abs(images).max()) <= 1.0
    assert tuple(d(images).shape) == (3, 1)


def test_dcgan_follows_radford_et_al():
    g = nets.dcgan_generator(16, (28, 28, 1), width=8)
    d = nets.dcgan_discriminator((28, 28, 1), width=8)
    g_kinds = [type(layer).__name__ for layer in g.layers]
    d_kinds = [type(layer).__name__ for layer in d.layers]
    assert g_kinds.count("Conv2DTranspose") == 2 and "BatchNormalization" in g_kinds
    assert g.layers[-1].activation.__name__ == "tanh"
    assert "LeakyReLU" in d_kinds and not any("Pooling" in k for k in d_kinds)
    assert all(layer.strides == (2, 2) for layer in d.layers if type(layer).__name__ == "Conv2D")


def test_dcgan_rejects_sizes_it_cannot_reach():
    with pytest.raises(ValueError, match="divisible by 4"):
        nets.dcgan_generator(16, (30, 30, 1))
    with pytest.raises(ValueError, match="'transpose' or 'resize'"):
        nets.dcgan_generator(16, (28, 28, 1), upsampling="bilinear")


def test_mlp_networks():
    g = nets.mlp_generator(8, (6, 6, 1), (16,), batch_norm=True)
    d = nets.mlp_discriminator((6, 6, 1), (16,))
    x = g(np.zeros((2, 8), "f4"))
    assert tuple(x.shape) == (2, 6, 6, 1) and tuple(d(x).shape) == (2, 1)


def _dense_units(model):
    return [layer.units for layer in model.layers if type(layer).__name__ == "Dense"]


def test_dcgan_hidden_dense_layers_are_optional():
    plain = nets.dcgan_generator(16, (28, 28, 1), width=8)
    g = nets.dcgan_generator(16, (28, 28, 1), width=8, hidden=32)
    d = nets.dcgan_discriminator((28, 28, 1), width=8, hidden=24)
    assert _dense_units(g) == [32, 7 * 7 * 16]
    assert _dense_units(d) == [24, 1]
    assert len(g.layers) == len(plain.layers) + 3  # dense, batch norm, ReLU
    assert tuple(d(g(np.zeros((2, 16), "f4"))).shape) == (2, 1)


def test_dcgan_generator_takes_a_stack_of_hidden_dense_layers():
    g = nets.dcgan_generator(16, (28, 28, 1), width=8, hidden=(32, 24))
    assert _dense_units(g) == [32, 24, 7 * 7 * 16]
    assert tuple(g(np.zeros((2, 16), "f4")).shape) == (2, 28, 28, 1)


def test_dcgan_dropout_follows_every_hidden_layer_of_the_discriminator():
    d = nets.dcgan_discriminator((28, 28, 1), width=8, hidden=24, dropout=0.3)
    kinds = [type(layer).__name__ for layer in d.layers]
    assert kinds.count("Dropout") == 3 and kinds[-2] == "Dropout"
    assert "Dropout" not in [type(layer).__name__
                             for layer in nets.dcgan_discriminator((28, 28, 1), width=8).layers]


def test_code_head_is_a_second_output_sharing_the_discriminator():
    discriminator = nets.dcgan_discriminator((28, 28, 1), 8, hidden=16, dropout=0.3)
    with_head = nets.with_code_head(discriminator, 10, 2)
    logit, guesses = with_head(np.zeros((3, 28, 28, 1), "f4"))
    assert logit.shape == (3, 1) and guesses.shape == (3, 12) and guesses.dtype == "float32"
    shared = {id(w) for w in with_head.trainable_weights}
    assert {id(w) for w in discriminator.trainable_weights} <= shared
    assert len(shared) == len(discriminator.trainable_weights) + 4  # two dense layers
