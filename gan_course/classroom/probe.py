"""The code the grader runs inside a student's kernel, after the notebook: the official checks.

The grader reads this file and the ``gan_course`` sources before any student code runs and sends
them to the kernel as text, so the checks come from the course as installed, not from whatever
the notebook left in ``sys.modules`` (a replaced ``gc.checks.ex_2_4``, a patched
``gan_course.checks.core``). :func:`check_exercise` imports ``gan_course`` afresh from those texts,
calls one exercise's check on the student's own functions and returns the verdict as JSON
carrying the grader's random token. The grader evaluates it as a ``user_expressions`` entry, so
the answer travels in the kernel's reply to that request, a channel printed output cannot reach.

Before the notebook's first cell, :func:`take_snapshot` records the namespaces of ``builtins``
and NumPy; each check runs with them as they were (:class:`Untouched`), and the verdict lists
what the notebook had changed there (``numpy.isclose`` replaced, say) for the teacher to read.

This module is self-contained: it imports only the standard library at the top.
"""

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
import types

PACKAGE = "gan_course"
WATCHED = ("builtins", "numpy", "numpy.linalg")  # what the checks' machinery calls
SNAPSHOT = "_gan_course_grading_snapshot_"  # + a token: where the snapshot is kept


class SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules of ``gan_course`` from ``{name: (filename, source)}``."""

    def __init__(self, sources):
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        if name not in self.sources:
            return None
        filename = self.sources[name][0]
        is_package = os.path.basename(filename) == "__init__.py"
        spec = importlib.machinery.ModuleSpec(name, self, origin=filename, is_package=is_package)
        if is_package:
            spec.submodule_search_locations = [os.path.dirname(filename)]
        spec.has_location = True  # sets __file__, which the library uses to find its assets
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        filename, source = self.sources[module.__name__]
        exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - the course's code


class FreshLibrary:
    """While active, ``import gan_course...`` gives modules built afresh from ``sources``; the
    kernel's own ``gan_course`` modules and import hooks are put back afterwards."""

    def __init__(self, sources):
        self.finder = SourceFinder(sources)

    def __enter__(self):
        self.saved = {name: sys.modules.pop(name) for name in list(sys.modules) if _ours(name)}
        self.meta_path = list(sys.meta_path)
        sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc_info):
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(self.saved)
        sys.meta_path[:] = self.meta_path
        return False


def take_snapshot(token):
    """Record the namespaces of :data:`WATCHED` modules in ``sys.modules[SNAPSHOT + token]``."""
    import builtins  # noqa: F401 - imported so that it is in sys.modules

    import numpy.linalg  # noqa: F401

    holder = types.ModuleType(SNAPSHOT + token)
    holder.modules = {name: (sys.modules[name], dict(vars(sys.modules[name])))
                      for name in WATCHED}
    sys.modules[holder.__name__] = holder
    return "ready"


class Untouched:
    """While active, the :data:`WATCHED` modules are as the snapshot recorded them: ``changed``
    names what the notebook had replaced, added ``_`` names excepted. Put back afterwards."""

    def __init__(self, token):
        holder = sys.modules.get(SNAPSHOT + token)
        self.modules = getattr(holder, "modules", {})
        self.changed, self.undo = [], []

    def __enter__(self):
        for name, (module, recorded) in self.modules.items():
            if sys.modules.get(name) is not module:
                self._put(sys.modules, name, module, f"sys.modules[{name!r}]")
            current = vars(module)
            for attr, value in recorded.items():
                if not attr.startswith("_") and current.get(attr, _MISSING) is not value:
                    self._put(current, attr, value, f"{name}.{attr}")
        return self

    def _put(self, namespace, key, value, label):
        self.undo.append((namespace, key, namespace.get(key, _MISSING)))
        namespace[key] = value
        self.changed.append(label)

    def __exit__(self, *exc_info):
        for namespace, key, value in reversed(self.undo):
            if value is _MISSING:
                namespace.pop(key, None)
            else:
                namespace[key] = value
        return False


_MISSING = object()


def _ours(name):
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def prepare(sources, lesson):
    """Import lesson ``lesson``'s checks once, so that the libraries they need (TensorFlow, say)
    are loaded before any check's time limit starts."""
    with FreshLibrary(sources):
        importlib.import_module(f"{PACKAGE}.checks.lesson{lesson:02d}")
    return "ready"


def check_exercise(sources, namespace, exercise_id, names, token, snapshot_token):
    """Run exercise ``exercise_id``'s check on ``namespace[name] for name in names``; JSON."""
    started = time.perf_counter()
    with Untouched(snapshot_token) as untouched:
        verdict = _verdict(sources, namespace, exercise_id, names)
    verdict.update(exercise=exercise_id, token=token, changed=untouched.changed,
                   seconds=round(time.perf_counter() - started, 3))
    return json.dumps(verdict)


def _verdict(sources, namespace, exercise_id, names):
    missing = [name for name in names if name not in namespace]
    if missing:
        verdict = {"status": "failed",
                   "message": f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                              "not defined once the notebook has run: its cell raised an error, "
                              "was deleted, or names the function differently.",
                   "hint": f"define {', '.join(names)} in the exercise's cell, keeping "
                           "the names, and run the notebook from the top."}
    else:
        with FreshLibrary(sources):
            lesson = importlib.import_module(
                f"{PACKAGE}.checks.lesson{int(exercise_id.split('.')[0]):02d}")
            check = getattr(lesson, "ex_" + exercise_id.replace(".", "_"))
            result = check.verdict(*[namespace[name] for name in names])
        verdict = {"status": result.status, "message": result.message, "hint": result.hint}
    return verdict
