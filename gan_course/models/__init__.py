"""The models the course trains, one module each, found by name.

- ``base``: :class:`~gan_course.models.base.GAN`, what every adversarial model shares.
- ``blocks``: layers that several networks reuse.
- ``registry``: names -> recipes and settings per profile.
- one module per model (``mlp_gan``, ``dcgan``, ...): its networks, its ``keras.Model`` where it
  has its own, its settings per profile and its registration.

``gc.models.get("dcgan")`` gives a model's :class:`~gan_course.models.registry.Recipe`;
``gc.models.profile()["dcgan"]`` its settings in the active profile;
``gc.models.dcgan`` its module. Adding a model is one new module here (docs/architecture.md).
"""

import importlib

from gan_course.models.registry import REGISTRY, Recipe, discover, get, names, profile, register  # noqa: F401


def __getattr__(name):
    # A model's module loads on first use: ``gc.models.dcgan.build_generator(...)``.
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
