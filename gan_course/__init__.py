"""gan-course: the helper library behind the GAN course notebooks.

The core sits at the top (config, data, losses, metrics, runs, callbacks, viz, diagrams, gpu,
doctor, cli); each further concern has a room of its own: ``models``, ``art``, ``widgets``,
``checks`` and ``classroom`` (docs/architecture.md).
"""

from gan_course import art  # noqa: F401 - registers the art/ and folder: image sets
from gan_course.config import quiet_tensorflow_start

quiet_tensorflow_start()  # TensorFlow's C++ start-up lines hidden, in this process only

__version__ = "0.1.0"

# Modules and rooms load on first use, so `import gan_course` (and `gan-course --help`) stays
# quick and does not start TensorFlow. ``gc.style`` is lesson 06's style transfer.
_LAZY = {name: f"gan_course.{name}" for name in (
    "config", "losses", "data", "models", "callbacks", "metrics", "viz", "widgets", "checks",
    "diagrams", "runs", "theory", "gpu", "doctor", "classroom")}
_LAZY["style"] = "gan_course.art.style"


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name == "load_dataset":
        from gan_course import data

        return data.load_dataset
    if name in ("train", "load_run", "Run", "pretrained"):
        from gan_course import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'gan_course' has no attribute {name!r}")
