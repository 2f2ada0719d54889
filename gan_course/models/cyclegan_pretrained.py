"""Painters trained for longer than a lesson allows, shipped with the package.

A shipped painter is the photo-to-painting generator of a CycleGAN run (float16; the pictures
differ by at most 0.0015 in [0, 1] from float32: RESULTS.md, "The shipped painter"), rebuilt
from its run's settings as a :class:`Painter`. ``benchmarks/cyclegan_pretrain.py`` trains them
and copies one into the package (``--ship``); :mod:`gan_course.models.shipped` finds them.
"""

from gan_course.models import cyclegan, shipped, tiles
from gan_course.models.shipped import ASSETS, PretrainedError, names  # noqa: F401

WEIGHTS = "photo2painting.npz"


class Painter:
    """A photo-to-painting generator alone, with ``translate`` as :class:`CycleGAN`'s."""

    directions = ("photo2painting",)

    def __init__(self, network, image_size):
        self.network, self.image_size = network, int(image_size)
        self.factor = 2 ** sum(getattr(layer, "strides", (1,))[0] == 2
                               for layer in network.layers)
        self.tile = 2 * self.image_size

    def translate(self, images, direction="photo2painting", tile=None):
        """Photos of any size, (H, W, 3) or (n, H, W, 3) in [0, 1], painted."""
        if direction != "photo2painting":
            raise ValueError(f"a shipped painter paints photos (direction 'photo2painting'); it "
                             f"has no {direction!r} generator. Train a CycleGAN for both ways.")
        return tiles.translate_pictures(self.network, tiles.checked_pictures(
            images, self.factor), int(tile or self.tile), self.factor)


def painter(spec, arrays, path):
    """The :class:`Painter` of a shipped run's ``spec`` with its weights ``arrays``."""
    hp = spec["settings"]["hparams"]
    network = cyclegan.build_generator(hp["g_width"], hp["residual_blocks"], hp["downsamplings"],
                                       hp.get("upsampling", "resize"), name="photo2painting")
    return Painter(shipped.fit(network, arrays, path), spec["image_shape"][0])


shipped.register_loader("cyclegan", painter)


def load(name, root=ASSETS):
    """``(folder, spec, Painter)`` of a shipped painter."""
    return shipped.load(name, root)
