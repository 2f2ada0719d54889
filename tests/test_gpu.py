"""The GPU diagnosis, with the probes faked: this machine needs no GPU to test it."""

import os
import stat
import sys

import pytest

from gan_course import cli, config, gpu

NVIDIA_SMI_Q = """
==============NVSMI LOG==============

Timestamp                                 : Mon Jan  6 10:00:00 2025
Driver Version                            : 550.54.15
CUDA Version                              : 12.4

Attached GPUs                             : 1
GPU 00000000:00:04.0
    Product Name                          : Tesla T4
    Product Brand                         : NVIDIA
"""
T4 = gpu.SystemGpus(("Tesla T4",), "550.54.15", "12.4")
CUDA_12 = {"cuda": "12.5.1", "cudnn": "9"}


def _status(**changes):
    facts = dict(system=T4, tensorflow=(), build=CUDA_12, tensorflow_version="2.21.0",
                 platform="linux", cuda_libraries=False, python="/opt/venv/bin/python")
    return gpu.GpuStatus(**{**facts, **changes})


def test_nvidia_smi_output_gives_names_driver_and_cuda():
    assert gpu.parse_nvidia_smi(NVIDIA_SMI_Q) == T4
    assert gpu.parse_nvidia_smi("") == gpu.SystemGpus()


@pytest.fixture
def fake_nvidia_smi(tmp_path, monkeypatch):
    """Puts an executable ``nvidia-smi`` first on PATH; returns a function that sets its output."""
    def install(output, exit_code=0):
        script = tmp_path / "nvidia-smi"
        script.write_text(f"#!/bin/sh\ncat <<'END'\n{output}\nEND\nexit {exit_code}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        gpu.system_gpus.cache_clear()

    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    yield install
    gpu.system_gpus.cache_clear()


@pytest.mark.skipif(sys.platform == "win32", reason="the fake nvidia-smi is a shell script")
def test_system_probe_runs_nvidia_smi(fake_nvidia_smi):
    fake_nvidia_smi(NVIDIA_SMI_Q)
    assert gpu.system_gpus() == T4
    fake_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the driver.", 9)
    assert gpu.system_gpus() == gpu.SystemGpus()


def test_no_gpu_anywhere_and_a_visible_gpu_are_fine():
    assert _status(system=gpu.SystemGpus()).problem() is None
    seen = _status(tensorflow=("Tesla T4",))
    assert seen.problem() is None and seen.fix() is None
    assert seen.built_for() == "built for CUDA 12.5.1 and cuDNN 9"
    assert seen.device_words(8) == "1 GPU (Tesla T4)"


def test_gpu_invisible_to_tensorflow_is_fixed_by_the_cuda_libraries():
    status = _status()
    assert status.invisible
    assert "Tesla T4" in status.problem() and "without NVIDIA's CUDA libraries" in status.problem()
    assert status.fix().startswith(
        '/opt/venv/bin/python -m pip install "tensorflow[and-cuda]==2.21.0"')


@pytest.mark.parametrize("changes, problem, fix", [
    (dict(system=gpu.SystemGpus(("Tesla T4",), "470.82", "11.4")),
     "supports CUDA 11.4 at most", "NVIDIA driver for CUDA 12 or newer"),
    (dict(platform="win32"), "no GPU build for Windows", "wsl --install"),
    (dict(build={"cuda": "", "cudnn": ""}), "CPU-only build", "uninstall -y tensorflow-cpu"),
    (dict(cuda_libraries=True), "libraries are installed", "list_physical_devices('GPU')"),
])
def test_each_other_cause_gets_its_own_fix(changes, problem, fix):
    status = _status(**changes)
    assert problem in status.problem() and fix in status.fix()


def _fake_machine(monkeypatch, system, tensorflow, libraries=False):
    monkeypatch.setattr(gpu, "system_gpus", lambda: system)
    monkeypatch.setattr(gpu, "tensorflow_gpus", lambda: list(tensorflow))
    monkeypatch.setattr(gpu, "tensorflow_build", lambda: dict(CUDA_12))
    monkeypatch.setattr(gpu, "_installed", lambda name: libraries)


def test_doctor_warns_with_the_fix_when_tensorflow_misses_the_gpu(monkeypatch, capsys):
    _fake_machine(monkeypatch, T4, tensorflow=())
    monkeypatch.delenv("GAN_COURSE_PROFILE", raising=False)
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "--  WARNING" in out
    assert "TensorFlow cannot use the Tesla T4" in out
    assert f'{sys.executable} -m pip install "tensorflow[and-cuda]==' in out
    assert "built for CUDA 12.5.1 and cuDNN 9" in out and "profile" in out
    line = config.describe()
    assert "\n" not in line and "profile=classroom on CPU" in line
    assert "WARNING: TensorFlow cannot use the Tesla T4" in line and "tensorflow[and-cuda]" in line


def test_doctor_and_description_on_a_working_gpu(monkeypatch, capsys):
    _fake_machine(monkeypatch, T4, tensorflow=("Tesla T4",), libraries=True)
    monkeypatch.delenv("GAN_COURSE_PROFILE", raising=False)
    assert config.profile().name == "full"
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out and "Tesla T4" in out
    assert "yes: float16 compute" in out
    assert config.describe() == (
        f"profile=full on 1 GPU (Tesla T4); TensorFlow {config.device_summary()['tensorflow']} "
        f"(built for CUDA 12.5.1 and cuDNN 9), Keras {config.device_summary()['keras']}; "
        "mixed precision + XLA")
    assert config.describe("classroom").endswith("; float32, XLA as each model's settings say")


def test_cpu_machine_description_names_no_gpu(monkeypatch):
    _fake_machine(monkeypatch, gpu.SystemGpus(), tensorflow=())
    line = config.describe("quick")
    assert line.startswith(f"profile=quick on CPU ({os.cpu_count()} cores); TensorFlow ")
    assert "CUDA" not in line and "WARNING" not in line
