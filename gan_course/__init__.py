"""gan-course: the helper library behind the GAN course notebooks."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"


def __getattr__(name):
    # Modules load on first use, so `import gan_course` (and `gan-course --help`) stays quick
    # and does not start TensorFlow.
    import importlib

    lazy_modules = {"config", "losses", "data", "models", "callbacks", "metrics", "viz",
                    "widgets", "checks", "diagrams", "lessons", "runs", "style", "theory",
                    "lab2d", "art", "vgg", "style_studio"}
    if name in lazy_modules:
        return importlib.import_module(f"gan_course.{name}")
    renamed = importlib.import_module("gan_course.renamed")
    if name in renamed.RENAMED:  # nets, gan, recipes: now gan_course.models
        return renamed.RenamedModule(name)
    if name == "load_dataset":
        from gan_course import data

        return data.load_dataset
    if name in ("train", "load_run", "Run"):
        from gan_course import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'gan_course' has no attribute {name!r}")
