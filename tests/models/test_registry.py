"""The registry finds every model module by itself; old module names still work, with a warning."""

import warnings

import pytest

import gan_course as gc
from gan_course import config, models
from gan_course.models import registry


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Valid models: .*mlp_gan"):
        models.get("stylegan9")


def test_every_model_module_registers_itself_with_settings_for_every_profile():
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(models.__path__)} - registry._SHARED_MODULES
    assert set(models.names()) <= modules and {"mlp_gan", "dcgan"} <= set(models.names())
    for name in models.names():
        recipe = models.get(name)
        assert recipe.name == name and recipe.datasets
        for profile in config.PROFILES:
            settings = config.profile(profile)[name]
            assert settings.steps >= settings.steps_per_epoch > 0


def test_a_model_and_its_settings_are_found_from_its_module_alone():
    assert models.dcgan.SETTINGS is registry.SETTINGS["dcgan"]
    assert config.profile("quick")["checkerboard_lab"].hparams["g_width"] == 8
    with pytest.raises(KeyError, match="known workloads: .*checkerboard_lab.*dcgan"):
        config.profile("quick")["nosuch"]


def test_old_module_names_warn_and_give_the_new_objects():
    with pytest.warns(DeprecationWarning, match="gan_course.nets.dcgan_generator is now "
                                                "gan_course.models.dcgan.build_generator"):
        assert gc.nets.dcgan_generator is models.dcgan.build_generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert gc.gan.InfoGAN is models.dcgan.InfoGAN
        assert gc.recipes.get("mlp_gan") is models.get("mlp_gan")
        assert gc.recipes.build_dcgan is models.dcgan.build
    with pytest.raises(AttributeError, match="gan_course.nets has no attribute 'nosuch'"):
        _ = gc.nets.nosuch
