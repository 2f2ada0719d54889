"""The GPU as the system sees it, as TensorFlow sees it, and what to do when the two disagree.

The most common failure on a machine with an NVIDIA GPU: the driver works (``nvidia-smi`` lists
the GPU) but TensorFlow finds none, because plain ``pip install tensorflow`` on Linux brings no
CUDA libraries. :func:`status` gathers the facts, :class:`GpuStatus` turns them into a verdict
and the one command that fixes it; ``gan-course doctor`` and ``config.describe()`` print both.
"""

import dataclasses
import functools
import importlib.metadata
import re
import shlex
import shutil
import subprocess
import sys

DOCS = "docs/gpu.md"


@dataclasses.dataclass(frozen=True)
class SystemGpus:
    """What the NVIDIA driver reports: GPU names, driver version, newest CUDA it supports."""

    names: tuple = ()
    driver: str = ""
    cuda: str = ""


def parse_nvidia_smi(text):
    """A :class:`SystemGpus` from the output of ``nvidia-smi -q``."""
    def field(name):
        found = re.search(rf"^\s*{name}\s*:\s*(.+?)\s*$", text, re.M)
        return found.group(1) if found else ""

    names = tuple(re.findall(r"^\s*Product Name\s*:\s*(.+?)\s*$", text, re.M))
    return SystemGpus(names, field("Driver Version"), field("CUDA Version"))


@functools.lru_cache(maxsize=1)
def system_gpus():
    """The NVIDIA GPUs the driver sees (``nvidia-smi -q``); none without a working driver."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return SystemGpus()
    try:
        out = subprocess.run([exe, "-q"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return SystemGpus()
    return parse_nvidia_smi(out.stdout) if out.returncode == 0 else SystemGpus()


def tensorflow_gpus():
    """Names of the GPUs TensorFlow can use (empty when it runs on the CPU only)."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except (RuntimeError, ValueError):
            details = {}
        names.append(details.get("device_name") or device.name)
    return names


def tensorflow_build():
    """What this TensorFlow was compiled for: ``{"cuda": "12.5.1", "cudnn": "9"}``, or empty
    strings for a build without CUDA (macOS, Windows, ``tensorflow-cpu``)."""
    import tensorflow as tf

    info = tf.sysconfig.get_build_info()
    if not info.get("is_cuda_build"):
        return {"cuda": "", "cudnn": ""}
    return {"cuda": str(info.get("cuda_version", "")), "cudnn": str(info.get("cudnn_version", ""))}


def _installed(distribution):
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _major(version):
    found = re.match(r"\d+", version or "")
    return int(found.group()) if found else None


@dataclasses.dataclass(frozen=True)
class GpuStatus:
    """The facts about this machine's GPU and the verdict on them."""

    system: SystemGpus
    tensorflow: tuple           # GPU names TensorFlow sees
    build: dict                 # {"cuda": ..., "cudnn": ...}, empty strings without CUDA
    tensorflow_version: str
    platform: str = sys.platform
    cuda_libraries: bool = False  # NVIDIA's pip packages for the build's CUDA are installed
    python: str = sys.executable

    @property
    def invisible(self):
        """The system has an NVIDIA GPU that TensorFlow cannot use."""
        return bool(self.system.names) and not self.tensorflow

    def built_for(self):
        """Which CUDA and cuDNN this TensorFlow was compiled for, in words."""
        if self.build.get("cuda"):
            return f"built for CUDA {self.build['cuda']} and cuDNN {self.build['cudnn']}"
        if self.tensorflow:
            return "built without CUDA; its GPU comes from a plugin such as tensorflow-metal"
        return "built without CUDA (CPU only)"

    def problem(self):
        """Why TensorFlow misses the GPU, in one sentence; None when nothing is wrong."""
        return self._diagnosis()[0]

    def fix(self):
        """The one command that fixes :meth:`problem`; None when nothing is wrong."""
        return self._diagnosis()[1]

    def _diagnosis(self):
        if not self.invisible:
            return None, None
        gpu, python = self.system.names[0], shlex.quote(self.python)
        cant = f"TensorFlow cannot use the {gpu}"
        if self.platform == "win32":
            return (f"{cant}: TensorFlow has had no GPU build for Windows since 2.11; "
                    "the GPU works inside WSL2.",
                    f"wsl --install, then install the course inside WSL2 ({DOCS})")
        needed, driver = _major(self.build.get("cuda")), _major(self.system.cuda)
        if needed and driver and driver < needed:
            return (f"{cant}: it was built for CUDA {self.build['cuda']}, but NVIDIA driver "
                    f"{self.system.driver} supports CUDA {self.system.cuda} at most.",
                    f"install an NVIDIA driver for CUDA {needed} or newer, then reboot ({DOCS})")
        if needed and self.cuda_libraries:
            return (f"{cant} although its CUDA libraries are installed; its start-up log says why.",
                    f'{python} -c "import tensorflow as tf; '
                    f"print(tf.config.list_physical_devices('GPU'))\"  (then {DOCS}, Troubleshooting)")
        install = (f'{python} -m pip install "tensorflow[and-cuda]=={self.tensorflow_version}"'
                   "  (then restart the kernel)")
        if not needed:
            return (f"{cant}: this TensorFlow is a CPU-only build.",
                    f"{python} -m pip uninstall -y tensorflow-cpu && {install}")
        return (f"{cant}: this TensorFlow came without NVIDIA's CUDA libraries "
                "(plain `pip install tensorflow` on Linux).", install)

    def device_words(self, cpu_cores):
        """Where training runs, e.g. ``1 GPU (Tesla T4)`` or ``CPU (8 cores)``."""
        if self.tensorflow:
            names = ", ".join(sorted(set(self.tensorflow)))
            return f"{len(self.tensorflow)} GPU{'s' if len(self.tensorflow) > 1 else ''} ({names})"
        return f"CPU ({cpu_cores} cores)"


def status():
    """The :class:`GpuStatus` of this machine (asks ``nvidia-smi`` and TensorFlow)."""
    import tensorflow as tf

    build = tensorflow_build()
    major = _major(build["cuda"])
    return GpuStatus(
        system=system_gpus(),
        tensorflow=tuple(tensorflow_gpus()),
        build=build,
        tensorflow_version=tf.__version__,
        cuda_libraries=bool(major) and _installed(f"nvidia-cudnn-cu{major}"),
    )
