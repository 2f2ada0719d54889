"""The Makefile installs TensorFlow's GPU build exactly where ``nvidia-smi`` lists a GPU.

A fake ``nvidia-smi`` first on PATH stands in for the driver; ``make print-install`` and
``make -n`` show the install command without running it.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None or os.name == "nt",
                                reason="needs make and a POSIX shell")
PLAIN = '-m pip install -e ".[dev]"'
WITH_GPU = '-m pip install -e ".[dev,gpu]"'


@pytest.fixture(params=["gpu", "failing driver", "no devices"])
def driver(request, tmp_path):
    """A directory holding a fake ``nvidia-smi``: one GPU, a broken driver, or no GPU at all."""
    output, code = {"gpu": ("GPU 0: Tesla T4 (UUID: GPU-1234)", 0),
                    "failing driver": ("NVIDIA-SMI has failed: no driver", 9),
                    "no devices": ("No devices were found", 6)}[request.param]
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{output}'\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return request.param == "gpu", tmp_path


def make(*args, bindir=None):
    env = {k: v for k, v in os.environ.items()
           if k not in {"GPU", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    if bindir is not None:
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["make", "--no-print-directory", "-s", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_install_follows_nvidia_smi(driver):
    has_gpu, bindir = driver
    out = make("print-install", bindir=bindir).stdout
    assert (WITH_GPU in out) == has_gpu and (PLAIN in out) == (not has_gpu)
    assert out.startswith("GPU=yes:" if has_gpu else "GPU=no:")


def test_either_choice_can_be_forced(driver):
    _, bindir = driver
    assert WITH_GPU in make("print-install", "GPU=yes", bindir=bindir).stdout
    assert PLAIN in make("print-install", "GPU=no", bindir=bindir).stdout


def test_forced_choice_reinstalls_with_that_extra(driver):
    """``make setup GPU=...`` runs the install even when .venv is up to date (``-n``: shown only)."""
    _, bindir = driver
    for choice, command in (("yes", WITH_GPU), ("no", PLAIN)):
        dry = make("-n", "setup", f"GPU={choice}", bindir=bindir)
        assert dry.returncode == 0 and command in dry.stdout, dry.stderr


def test_a_wrong_choice_is_explained():
    result = make("print-install", "GPU=maybe")
    assert result.returncode != 0
    assert "GPU=maybe: use GPU=yes or GPU=no" in result.stderr
