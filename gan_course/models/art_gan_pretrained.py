"""The shipped art GANs: the averaged generator of a longer art GAN run, alone.

``benchmarks/art_gan_pretrain.py --ship`` writes the EMA generator (mapping and synthesis
networks, float16) with its run's config and metrics; ``gc.pretrained("art_gan/van_gogh")``
rebuilds it as an :class:`ArtGenerator`, which samples as the trained model does.
"""

from gan_course.models import art_gan, shipped
from gan_course.models.shipped import ASSETS


class ArtGenerator(art_gan.StyleSampling):
    """A style-based generator alone: ``generate``, ``styles``, ``latents``, ``w_mean``,
    ``n_layers``, ``synthesise``, as the trained :class:`~gan_course.models.art_gan.ArtGAN`."""

    def __init__(self, network, latent_dim):
        self.sampler, self.latent_dim = network, int(latent_dim)
        self.image_shape = tuple(network.output_shape[1:])
        self._mean = None

    @property
    def w_mean(self):
        """The average w, from many latents (computed once)."""
        if self._mean is None:
            self._mean = self._w_mean()
        return self._mean


def artist(spec, arrays, path):
    """The :class:`ArtGenerator` of a shipped run's ``spec`` with its weights ``arrays``."""
    hp = spec["settings"]["hparams"]
    network = art_gan.build_generator(hp["latent_dim"], hp["w_dim"], hp["mapping_depth"],
                                      hp["g_channels"], spec["image_shape"][0],
                                      hp.get("mapping_lr", 1.0))
    return ArtGenerator(shipped.fit(network, arrays, path), hp["latent_dim"])


shipped.register_loader("art_gan", artist)


def load(name, root=ASSETS):
    """``(folder, spec, ArtGenerator)`` of a shipped art GAN."""
    return shipped.load(name, root)
