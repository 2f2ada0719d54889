"""Data tests find datasets as the library does, and never pass silently without them.

Each case runs pytest on one MNIST test in a fresh copy of ``tests/`` (no ``../shared`` beside
it) with a fresh ``HOME`` and no ``GAN_COURSE_DATA``: the situation of a student's laptop.
Downloads go to a closed port on this machine, so "no network" fails at once instead of hanging.
"""

import os
import shutil
import subprocess
import sys

import pytest

from gan_course import data
from tests.conftest import ROOT, SKIP_DATA, needs_mnist, notebook_datasets

DATA_TEST = "tests/test_data.py::test_mnist_batches_are_scaled_and_shaped"
OFFLINE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def run_data_test(tmp_path, home, **env_vars):
    clone = tmp_path / "clone"
    if not clone.exists():
        shutil.copytree(ROOT / "tests", clone / "tests",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", clone)
    env = {k: v for k, v in os.environ.items()
           if k not in ("GAN_COURSE_DATA", "KERAS_HOME", SKIP_DATA)
           and not k.lower().endswith("_proxy")}
    package_dir = str(ROOT)  # gan_course itself; tests/ comes from the copy (the working dir)
    env.update(HOME=str(home), GAN_COURSE_PROFILE="quick", http_proxy=OFFLINE,
               https_proxy=OFFLINE, PYTHONPATH=os.pathsep.join(
                   p for p in (package_dir, os.environ.get("PYTHONPATH")) if p), **env_vars)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", DATA_TEST], cwd=clone,
                            env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


@needs_mnist
def test_mnist_in_keras_cache_only_is_found_and_the_data_test_runs(tmp_path):
    home = tmp_path / "home"
    (home / ".keras" / "datasets").mkdir(parents=True)
    shutil.copy(data.find_file("mnist"), home / ".keras" / "datasets" / "mnist.npz")
    code, output = run_data_test(tmp_path, home)
    assert code == 0 and "1 passed" in output and "skipped" not in output, output


def test_no_mnist_anywhere_fails_with_the_library_message(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code, output = run_data_test(tmp_path, home)
    assert code != 0, output
    assert "Dataset 'mnist' not found" in output and "Put mnist.npz" in output, output
    assert str(home / ".keras" / "datasets") in output  # where to put the file
    assert "the download failed" in output and SKIP_DATA in output, output


def test_data_tests_are_skipped_only_on_request_and_say_so(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code, output = run_data_test(tmp_path, home, **{SKIP_DATA: "1"})
    assert code == 0 and "1 skipped" in output, output
    assert f"data tests skipped on request ({SKIP_DATA}=1)" in output, output


@pytest.mark.parametrize("name, expected", [("01_gan_loss_math", ()),
                                            ("02_mlp_gan_mnist", ("mnist",))])
def test_notebooks_that_name_a_dataset_are_data_tests(name, expected):
    assert notebook_datasets(ROOT / "solutions" / f"{name}.ipynb") == expected
