"""The MLP GAN's networks."""

import numpy as np

from gan_course.models import mlp_gan


def test_mlp_networks():
    g = mlp_gan.build_generator(8, (6, 6, 1), (16,), batch_norm=True)
    d = mlp_gan.build_discriminator((6, 6, 1), (16,))
    x = g(np.zeros((2, 8), "f4"))
    assert tuple(x.shape) == (2, 6, 6, 1) and tuple(d(x).shape) == (2, 1)
