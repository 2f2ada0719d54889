"""Exercise checks, one module per lesson: ``gc.checks.ex_3_2(generator_block)``.

Each check calls the student's function on seeded inputs, compares it with the library's
reference, prints one ✅/❌ line and returns a :class:`~gan_course.checks.core.CheckResult`.
``core`` holds the machinery, ``networks`` the helpers for checking Keras networks, and
``lessonNN`` the checks of lesson NN. ``ex_N_M`` is found in ``lessonNN`` on first use, so
adding a lesson's checks is one new module and nothing else.
"""

import importlib
import pkgutil
import re

from gan_course.checks.core import RESULTS, CheckResult  # noqa: F401

_CHECK_NAME = re.compile(r"^ex_(\d+)_\d+$")


def lesson_modules():
    """The names of the per-lesson check modules, in lesson order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("lesson"))


def all_checks():
    """``{exercise id: check}`` for every exercise of every lesson."""
    found = {}
    for name in lesson_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        for attr, value in vars(module).items():
            if _CHECK_NAME.match(attr) and callable(value):
                found[value.exercise] = value
    return found


def __getattr__(name):
    match = _CHECK_NAME.match(name)
    if match:
        module = importlib.import_module(f"{__name__}.lesson{int(match[1]):02d}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"ex_" + ex_id.replace(".", "_") for ex_id in all_checks()})
