"""Old module names of the library, kept importable for one release with a DeprecationWarning.

``gc.nets``, ``gc.gan`` and ``gc.recipes`` became :mod:`gan_course.models` (one module per
model). Code written against the old names keeps working and is told the new one.
"""

import importlib
import types
import warnings

# old module -> {old name: "new.module:new_name"}
RENAMED = {
    "nets": {
        "mlp_generator": "models.mlp_gan:build_generator",
        "mlp_discriminator": "models.mlp_gan:build_discriminator",
        "dcgan_generator": "models.dcgan:build_generator",
        "dcgan_discriminator": "models.dcgan:build_discriminator",
        "with_code_head": "models.dcgan:with_code_head",
        "upsample_block": "models.blocks:upsample_block",
        "downsample_block": "models.blocks:downsample_block",
    },
    "gan": {
        "GAN": "models.base:GAN",
        "TrainingDiverged": "models.base:TrainingDiverged",
        "check_images": "models.base:check_images",
        "InfoGAN": "models.dcgan:InfoGAN",
    },
    "recipes": {
        "REGISTRY": "models.registry:REGISTRY",
        "Recipe": "models.registry:Recipe",
        "register": "models.registry:register",
        "get": "models.registry:get",
        "compiled_gan": "models.base:compiled_gan",
        "build_mlp_gan": "models.mlp_gan:build",
        "build_dcgan": "models.dcgan:build",
    },
}


class RenamedModule(types.ModuleType):
    """Stands in for a removed module: each old name warns and gives the new object."""

    def __init__(self, old):
        super().__init__(f"gan_course.{old}")
        self._old = old

    def __getattr__(self, name):
        try:
            target = RENAMED[self._old][name]
        except KeyError:
            raise AttributeError(f"gan_course.{self._old} has no attribute {name!r}") from None
        module, _, attr = target.partition(":")
        warnings.warn(f"gan_course.{self._old}.{name} is now gan_course.{module}.{attr}; the old "
                      "name goes away in the next release.", DeprecationWarning, stacklevel=2)
        if self._old == "recipes" and attr in ("REGISTRY", "get"):
            importlib.import_module("gan_course.models.registry").discover()
        return getattr(importlib.import_module(f"gan_course.{module}"), attr)
