"""The code the grader runs inside a student's kernel: the official checks, set up before the notebook.

Before the notebook's first cell, the grader sends this file's text and the ``gan_course`` sources
(read by the grader) in one request; :func:`setup` then builds the lesson's checks afresh from
those texts, records the namespaces of ``builtins`` and NumPy, and keeps everything it will need
later (``compile``, ``exec``, the HMAC function, the checks, the notebook's namespace) in its own
closure, with a private copy of the builtins. Nothing a notebook later rebinds (``compile``,
``json.dumps``, ``gc.checks``, ``sys.modules``) is looked up again by the checks' machinery.

After the notebook has run, the grader asks, for each exercise, ``serve(exercise, nonce)`` of
the class :func:`setup` registered under a token-named class (found from ``object``, without
looking any name up in the notebook's namespace). It runs the check on the student's functions
with builtins and NumPy as recorded (:class:`Untouched`), and answers with the verdict encoded
by :func:`encode` and signed with the key the grader sent before any student code ran: a forged
answer, whatever the notebook patches, is not a verdict.

This module is self-contained: it imports only the standard library.
"""

import importlib
import importlib.abc
import importlib.machinery
import os
import sys

PACKAGE = "gan_course"
WATCHED = ("builtins", "numpy", "numpy.linalg")  # what the checks' machinery calls
ANCHOR = "gan_course_grading_probe_"  # + a token: the class whose ``serve`` the grader calls
FIELDS = ("exercise", "nonce", "status", "message", "hint", "changed", "reference")


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
    """While active, ``import gan_course...`` gives the modules built from ``sources`` (built
    once, kept between uses); the kernel's own ``gan_course`` modules and import hooks are put
    back afterwards."""

    def __init__(self, sources, modules=None):
        self.finder = SourceFinder(sources)
        self.modules = sys.modules if modules is None else modules  # the interpreter's dict
        self.fresh = {}

    def __enter__(self):
        self.saved = {name: self.modules.pop(name) for name in list(self.modules) if _ours(name)}
        self.modules.update(self.fresh)
        self.meta_path = list(sys.meta_path)
        sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc_info):
        self.fresh = {name: self.modules.pop(name) for name in list(self.modules) if _ours(name)}
        self.modules.update(self.saved)
        sys.meta_path[:] = self.meta_path
        return False


class Untouched:
    """While active, the :data:`WATCHED` modules are as ``recorded`` (``{name: (module,
    namespace copy)}``): ``changed`` names what the notebook had replaced, added ``_`` names
    excepted. Put back afterwards."""

    def __init__(self, recorded, modules):
        self.recorded, self.modules = recorded, modules
        self.changed, self.undo = [], []

    def __enter__(self):
        for name, (module, recorded) in self.recorded.items():
            if self.modules.get(name) is not module:
                self._put(self.modules, name, module, f"sys.modules[{name!r}]")
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


def record(modules):
    """``{name: (module, copy of its namespace)}`` of the :data:`WATCHED` modules."""
    import builtins  # noqa: F401 - imported so that they are in sys.modules

    import numpy.linalg  # noqa: F401

    return {name: (modules[name], dict(vars(modules[name]))) for name in WATCHED}


def encode(values, key, sign):
    """``values`` (strings, in the order of :data:`FIELDS`) as one line: hex of each, then a
    signature of that text with ``key``. Only methods of ``str`` and ``bytes`` are used, which
    no notebook can replace."""
    text = ":".join(str.encode(value, "utf-8").hex() for value in values)
    return text + "." + sign(key, str.encode(text, "ascii"), "sha256").hex()


def setup(sources, lessons, key, token, namespace):
    """Build lesson ``lessons``' checks from ``sources`` and register the class whose ``serve``
    the grader calls later; returns "ready"."""
    import _hashlib

    sign, modules = _hashlib.hmac_digest, sys.modules
    recorded = record(modules)
    library = FreshLibrary(sources, modules)
    with library:
        checks = {lesson: importlib.import_module(f"{PACKAGE}.checks.lesson{lesson:02d}")
                  for lesson in lessons}

    def serve(exercise_id, nonce, names):
        with Untouched(recorded, modules) as untouched, library:
            verdict = _verdict(checks, namespace, exercise_id, names)
        verdict.update(exercise=exercise_id, nonce=nonce, changed="\n".join(untouched.changed),
                       reference=_references(namespace, names))
        return encode([verdict[field] for field in FIELDS], key, sign)

    anchor = type(ANCHOR + token, (), {"__slots__": (), "serve": staticmethod(serve)})
    modules[ANCHOR + token] = anchor  # keeps the class alive, so that the grader finds it
    return "ready"


def _verdict(checks, namespace, exercise_id, names):
    missing = [name for name in names if name not in namespace]
    if missing:
        return {"status": "failed",
                "message": f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                           "not defined once the notebook has run: its cell raised an error, "
                           "was deleted, or names the function differently.",
                "hint": f"define {', '.join(names)} in the exercise's cell, keeping "
                        "the names, and run the notebook from the top."}
    lesson = checks[int(exercise_id.split(".")[0])]
    check = getattr(lesson, "ex_" + exercise_id.replace(".", "_"))
    result = check.verdict(*[namespace[name] for name in names])
    return {"status": result.status, "message": result.message, "hint": result.hint}


def _references(namespace, names):
    """The names among ``names`` bound to a function of the course's own library."""
    found = []
    for name in names:
        module = getattr(namespace.get(name), "__module__", None)
        if isinstance(module, str) and _ours(module):
            found.append(f"{name} is {module}.{getattr(namespace[name], '__qualname__', '?')}")
    return "\n".join(found)
