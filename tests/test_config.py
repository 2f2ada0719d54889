import pytest

from gan_course import config, models


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_PROFILE", "classroom")
    assert config.profile().name == "classroom"
    monkeypatch.delenv("GAN_COURSE_PROFILE")
    assert config.profile().name == ("full" if config.gpu_available() else "classroom")


def test_unknown_profile_and_workload_are_explained():
    with pytest.raises(ValueError, match="quick, classroom, full"):
        config.profile("turbo")
    with pytest.raises(KeyError, match="known workloads: .*mlp_gan"):
        models.profile("quick")["nosuch"]


@pytest.mark.parametrize("name", config.PROFILES)
def test_every_workload_is_sized_for_every_profile(name):
    for workload in ("mlp_gan", "dcgan", "checkerboard_lab"):
        s = models.profile(name)[workload]
        assert s.steps % s.steps_per_epoch == 0 and s.steps_per_epoch % s.steps_per_execution == 0
        assert s.epochs == s.steps // s.steps_per_epoch


def test_quick_is_smallest_and_full_largest():
    for workload in ("mlp_gan", "dcgan"):
        quick, classroom, full = (models.profile(p)[workload].steps for p in config.PROFILES)
        assert quick < classroom <= full


def test_device_summary_and_description():
    summary = config.device_summary("quick")
    assert summary["profile"] == "quick" and summary["keras"].startswith("3")
    assert summary["mixed_precision"] is False or summary["gpus"]
    assert config.describe("quick").startswith("profile=quick on ")


def test_seeding_repeats_random_numbers():
    import numpy as np

    config.seed_everything(7)
    a = np.random.rand(3)
    config.seed_everything(7)
    assert (a == np.random.rand(3)).all()


def test_setup_device_sets_the_precision_asked_and_returns_the_strategy():
    import keras
    import tensorflow as tf

    assert config.default_precision("quick") == "float32"  # mixed only for full on a GPU
    strategy = config.setup_device("quick", precision="mixed", strategy="default")
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert strategy is tf.distribute.get_strategy() and config.strategy_name(strategy) == "default"
    config.setup_device("quick")
    assert keras.mixed_precision.global_policy().name == "float32"
    with config.precision_policy("mixed"):
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match="precision 'fp16'; choose one of: mixed, float32"):
        config.setup_device("quick", precision="fp16")
    with pytest.raises(ValueError, match="strategy 'tpu'; choose one of: default, mirrored"):
        config.make_strategy("tpu")
    mirrored = config.make_strategy("mirrored")  # one replica per logical CPU device here
    assert config.strategy_name(mirrored) == "mirrored" and config.make_strategy(mirrored) is mirrored


def test_seeded_gives_python_and_numpy_their_generators_back():
    import random

    import numpy as np

    random.seed(5)
    np.random.seed(5)
    expected = random.random(), np.random.random()
    random.seed(5)
    np.random.seed(5)
    with config.seeded(0):
        inside = random.random(), np.random.random()
    assert (random.random(), np.random.random()) == expected and inside != expected


def test_importing_the_course_leaves_the_environment_alone():
    # TensorFlow's C++ info lines are hidden in the course's process; no variable is left behind
    # for the programs it starts.
    import os
    import subprocess
    import sys

    script = ("import os, subprocess, sys\n"
              "import gan_course\n"
              "import tensorflow\n"
              "print(repr(os.environ.get('TF_CPP_MIN_LOG_LEVEL')))\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "None"
    assert "To enable the following instructions" not in done.stderr, done.stderr[-2000:]
