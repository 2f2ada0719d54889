"""gan-course: the helper library behind the GAN course notebooks."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from gan_course import config, losses  # noqa: E402, F401
from gan_course.data import load_dataset  # noqa: E402, F401

__version__ = "0.1.0"


def __getattr__(name):
    # Heavier modules load on first use, so `import gan_course` stays quick.
    import importlib

    lazy_modules = {"data", "models", "callbacks", "metrics", "viz", "widgets", "checks", "diagrams",
                    "lessons", "runs", "style", "art", "vgg", "style_studio"}
    if name in lazy_modules:
        return importlib.import_module(f"gan_course.{name}")
    renamed = importlib.import_module("gan_course.renamed")
    if name in renamed.RENAMED:  # nets, gan, recipes: now gan_course.models
        return renamed.RenamedModule(name)
    if name in ("train", "load_run", "Run"):
        from gan_course import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'gan_course' has no attribute {name!r}")
