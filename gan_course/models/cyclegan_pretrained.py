"""Painters trained for longer than a lesson allows, shipped with the package.

``assets/pretrained/<model>/<name>/`` holds a run's ``config.json`` and ``metrics.json`` and the
photo-to-painting generator's weights in float16 (``photo2painting.npz``, half the size of
float32; the pictures differ by at most 0.0015 in [0, 1]: RESULTS.md, "The shipped painter").
:func:`load` builds the generator from the recorded settings and returns a :class:`Painter`;
``gc.pretrained(name)`` wraps it in a Run. ``benchmarks/cyclegan_pretrain.py`` trains them and
copies one into the package (``--ship``).
"""

import json
from pathlib import Path

import numpy as np

from gan_course.models import cyclegan, tiles

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "pretrained"
WEIGHTS = "photo2painting.npz"


class PretrainedError(ValueError):
    """An unknown pretrained name, or a folder that does not hold a pretrained painter."""


def names(root=ASSETS):
    """The shipped painters, e.g. ``["cyclegan/van_gogh"]``."""
    return sorted(p.parent.relative_to(root).as_posix() for p in root.glob("*/*/" + WEIGHTS))


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


def folder(name, root=ASSETS):
    """The folder of a shipped painter; a PretrainedError naming the shipped ones if unknown."""
    path = Path(root) / str(name)
    if not isinstance(name, str) or not (path / WEIGHTS).is_file():
        shipped = ", ".join(map(repr, names(root))) or "none"
        raise PretrainedError(f"No pretrained model {name!r}. Shipped: {shipped}.")
    return path


def load(name, root=ASSETS):
    """``(folder, spec, Painter)`` of a shipped painter."""
    path = folder(name, root)
    spec = json.loads((path / "config.json").read_text(encoding="utf-8"))
    hp = spec["settings"]["hparams"]
    network = cyclegan.build_generator(hp["g_width"], hp["residual_blocks"], hp["downsamplings"],
                                       hp.get("upsampling", "resize"), name="photo2painting")
    with np.load(path / WEIGHTS) as f:
        arrays = [f[f"w{i}"] for i in range(len(f.files))]
    shapes = [tuple(w.shape) for w in network.weights]
    if [a.shape for a in arrays] != shapes:
        raise PretrainedError(f"{path / WEIGHTS} does not fit the generator of its config.json "
                              f"({len(arrays)} arrays for {len(shapes)} weights).")
    network.set_weights([a.astype(np.float32) for a in arrays])
    return path, spec, Painter(network, spec["image_shape"][0])
