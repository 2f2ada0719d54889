"""The art room: the course's paintings and photos, and what the lessons do with them.

- ``images``: the packaged pictures and their credits, reading any image file a student brings
  (its functions are also reachable here: ``gc.art.credit(name)``, ``gc.art.resize(...)``);
- ``domains``: the named sets (``art/photos``, ``art/paintings/van_gogh``, ...) and the one list
  of held-out pictures;
- ``package``: regenerates the packaged images and their credits from the originals;
- ``patches``: patch domains, endless random crops of a few pictures (the CycleGAN's data);
- ``judge``: the painting-or-photo patch classifier and the Gram-matrix style distance;
- ``augment``: differentiable augmentation (DiffAugment) for GANs trained on a few pictures;
- ``vgg``: VGG19-shaped feature networks (ImageNet weights from Keras, or seeded random ones);
- ``style``: lesson 06's neural style transfer (also ``gc.style``).

The art room imports the core (config, data, viz) and nothing above it. Importing it registers
the ``art/`` and ``folder:`` image sets with :mod:`gan_course.data`.
"""

import importlib

from gan_course import data
from gan_course.art.images import (  # noqa: F401 - the pictures' API, gc.art.<name>
    ASSETS,
    FOLDER_PREFIX,
    IMAGE_SUFFIXES,
    KINDS,
    ImageFileError,
    art_image,
    art_names,
    art_path,
    catalog,
    credit,
    credits_markdown,
    describe,
    folder_files,
    image_from_bytes,
    image_set,
    kind_of,
    load_image,
    read_image,
    resize,
    set_files,
    square_crop,
    uses_original,
)

ROOMS = ("images", "domains", "package", "patches", "judge", "augment", "vgg", "style", "texture",
         "damage", "regions")


def _art_set_names():
    from gan_course.art import domains

    names = domains.names()
    root = data.data_root()
    folder = root / "art" if root else None
    if folder and folder.is_dir():
        names += sorted(f"art/{p.name}" for p in folder.iterdir() if p.is_dir())
    return names


def _art_set(name, split="train"):
    """A named set's pictures in ``split`` (the held-out ones are the test split)."""
    from gan_course.art import domains

    return image_set(domains.domain_files(name, split))


data.register_image_source(data.ImageSource("art/", _art_set, _art_set_names))
data.register_image_source(data.ImageSource(FOLDER_PREFIX, _art_set))


def __getattr__(name):
    if name in ROOMS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
