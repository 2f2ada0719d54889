"""The registry finds every model module by itself; old module names still work, with a warning."""


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
    assert {"mlp_gan", "dcgan"} <= set(models.names())
    for name in models.names():
        recipe = models.get(name)
        assert recipe.name == name and recipe.datasets
        # each model is built by its own module (pix2pix's also builds its baseline, unet_l1)
        assert recipe.build.__module__.rsplit(".", 1)[1] in modules
        for profile in config.PROFILES:
            settings = models.profile(profile)[name]
            assert settings.steps >= settings.steps_per_epoch > 0


def test_a_model_and_its_settings_are_found_from_its_module_alone():
    assert models.dcgan.SETTINGS is registry.SETTINGS["dcgan"]
    assert models.profile("quick")["checkerboard_lab"].hparams["g_width"] == 8
    with pytest.raises(KeyError, match="known workloads: .*checkerboard_lab.*dcgan"):
        models.profile("quick")["nosuch"]


def test_the_old_module_names_are_gone():
    for old in ("nets", "gan", "recipes", "renamed"):
        with pytest.raises(AttributeError):
            getattr(gc, old)


def test_the_full_profile_keeps_what_the_classroom_measurements_found():
    """The GPU profile is not yet measured on a GPU; it must not contradict what 2 cores showed."""
    dcgan, cgan = (models.profile("full")[name].hparams for name in ("dcgan", "cgan"))
    assert dcgan["codes"] and dcgan["g_dense"] and dcgan["d_dense"]  # the code needs them
    assert not cgan.get("d_dropout")  # dropout slowed the conditional GAN
    assert dcgan["decay_from"] == cgan["decay_from"] == 0.75


def test_the_cyclegan_takes_one_pair_per_step_in_every_real_profile():
    """The paper's batch of 1, which the classroom run measured too (M9 of the expert read)."""
    assert models.profile("classroom")["cyclegan"].batch_size == 1
    assert models.profile("full")["cyclegan"].batch_size == 1
