"""Grade a student's notebook: run it, then let the grader itself check each exercise.

Which lesson a notebook is comes from its ``# Exercise N.M: title`` lines (else its file name),
matched against ``solutions/``. The exercises, and the functions each check takes, come from
that solution: its check cells, e.g. ``gc.checks.ex_2_4(train_step)``. After the notebook has
run (see :mod:`gan_course.classroom.session`), the grader calls every check on the student's own
functions with the course's checks set up before the notebook's first cell, and accepts only
verdicts signed with its own key: what the notebook prints, a redefined ``gc.checks`` or
``compile``, a forged ``json.dumps``, or a deleted check cell cannot change a score. Code that looks like an attempt to tamper with the
grading, or an answer that is the course's own function, is listed for the teacher to read (see
:func:`review_notes` and :func:`reference_answers`); it does not change the score.
"""

import ast
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED, parse_line
from gan_course.classroom import lessons, session
from gan_course.classroom.course import (  # noqa: F401 - part of grading's interface
    GradingError,
    Lesson,
    check_calls,
    course_lessons,
    parse_cell,
)
from gan_course.classroom.session import ERROR

TIMEOUT = 900  # seconds for a whole notebook
CHECK_TIMEOUT = 120  # seconds for one exercise's check
_SENSITIVE_NAMES = {
    "meta_path": "changes how Python imports modules",
    "path_hooks": "changes how Python imports modules",
    "_getframe": "reads the frames of calling code",
    "user_expressions": "changes how the kernel answers",
    "display_formatter": "changes how the kernel answers",
    "input_transformers_cleanup": "rewrites the code the kernel runs",
    "input_transformers_post": "rewrites the code the kernel runs",
    "ast_transformers": "rewrites the code the kernel runs",
    "__subclasses__": "lists the interpreter's classes, the grader's among them",
    "get_objects": "searches the interpreter's objects, the grader's among them",
    "get_referrers": "searches the interpreter's objects, the grader's among them",
    "__closure__": "reads the variables a function keeps",
    "shell_handlers": "changes how the kernel answers",
}
_SENSITIVE_MODULES = {"builtins", "ctypes", "importlib", "gc"}


@dataclass
class Grade:
    """The outcome of grading one notebook."""

    notebook: str
    lesson: str | None  # the matching solution's name; None when no lesson matches
    exercises: list  # [(id, title)] in order
    results: dict  # id -> session.Verdict
    cell_errors: list = field(default_factory=list)  # (cell, exception name, message)
    problem: str = ""  # why the notebook could not be graded (fully)
    review: list = field(default_factory=list)  # code the teacher may want to read
    student: str = ""
    seconds: float = 0.0

    @property
    def score(self):
        return sum(self.status(ex_id) == PASSED for ex_id, _ in self.exercises)

    @property
    def total(self):
        return len(self.exercises)

    @property
    def all_passed(self):
        return self.total > 0 and self.score == self.total

    def status(self, exercise_id):
        return self.results[exercise_id].status


# ------------------------------------------------------------------------------ lessons


def identify(nb, path, course):
    """``(Lesson or None, note)``: the lesson whose exercise numbers ``nb`` names, else the one
    its file name starts with; the note says when the two disagree."""
    by_name = _lesson_by_file_name(path, course)
    majors = [ex_id.split(".")[0] for ex_id, _ in lessons.exercises(nb)] if nb else []
    if majors:
        major = max(set(majors), key=majors.count)
        for lesson in course:
            if lesson.exercises[0][0].split(".")[0] == major:
                note = "" if by_name in (None, lesson) else (
                    f"its file name suggests {by_name.name}, its exercises are {lesson.name}'s")
                return lesson, note
    return by_name, ""


def _lesson_by_file_name(path, course):
    name = Path(path).name
    for lesson in course:
        if lesson.name == name:
            return lesson
    prefix = re.search(r"(?:^|[^0-9])(\d{2})_", name)
    same = [lesson for lesson in course if prefix and lesson.name.startswith(prefix[1] + "_")]
    return same[0] if len(same) == 1 else None


# ------------------------------------------------------------------------------- grading


def grade(path, timeout=TIMEOUT, check_timeout=CHECK_TIMEOUT, root=None, course=None,
          student=""):
    """Run the notebook at ``path`` and check its exercises; a :class:`Grade`, never raises
    for a broken notebook (the Grade's ``problem`` says what was wrong)."""
    started = time.perf_counter()
    course = course_lessons(root) if course is None else course
    result = _grade(Path(path), timeout, check_timeout, course)
    result.student, result.seconds = student, time.perf_counter() - started
    return result


def _grade(path, timeout, check_timeout, course):
    try:
        nb = lessons.read(path)
    except Exception as err:  # noqa: BLE001 - whatever makes the file unreadable goes in the row
        lesson, _ = identify(None, path, course)
        return ungraded(path, lesson, unreadable(path, err))
    lesson, note = identify(nb, path, course)
    if lesson is None:
        known = ", ".join(lesson.name for lesson in course)
        return ungraded(path, None, "no lesson of the course matches it: it names no "
                                    f"exercise of {known} and its file name starts with none "
                                    "of their numbers")
    review = review_notes(nb) + reference_answers(
        nb, {name for names in lesson.arguments.values() for name in names})
    ran = session.run(nb, path.parent, lesson.arguments, timeout, check_timeout)
    problem = "; ".join(p for p in (note, ran.problem) if p)
    review += [f"when graded, {name} was not the original (the checks used the original)"
               for name in ran.replaced]
    review += [f"when graded, {note}, the course's own function"
               for note in ran.references] + [ran.output_note] * bool(ran.output_note)
    return Grade(str(path), lesson.name, list(lesson.exercises), ran.verdicts,
                 ran.cell_errors, problem, review)


def ungraded(path, lesson, problem):
    """The Grade of a notebook that could not be run: every exercise an error."""
    exercises = list(lesson.exercises) if lesson else []
    results = {ex_id: session.Verdict(ERROR, "not checked: " + problem + ".")
               for ex_id, _ in exercises}
    return Grade(str(path), lesson.name if lesson else None, exercises, results, problem=problem)


def unreadable(path, err):
    """Why the file at ``path`` is not a notebook, ``err`` being what reading it raised."""
    try:
        json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as bad:
        return (f"not valid JSON (line {bad.lineno}, column {bad.colno}: {bad.msg}): the file "
                "was cut short or edited outside Jupyter")
    except (OSError, UnicodeError) as bad:
        return f"cannot be read ({describe_error(bad)})"
    return f"not a notebook ({describe_error(err)})"


def describe_error(err):
    """``"Name: message"`` of an exception, on one short line."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:200]}" if text else type(err).__name__


# ----------------------------------------------------------------------- tampering review


def review_notes(nb):
    """Lines of ``nb`` a teacher may want to read: code that sets attributes of imported modules
    (``gc.checks.ex_2_4 = ...``, ``np.isclose = ...``), reaches into the import system or the
    kernel, or prints text shaped like a check's verdict. They never change a score."""
    trees = {number: tree for number, cell in enumerate(nb.cells) if (tree := parse_cell(cell))}
    modules = {(alias.asname or alias.name).split(".")[0] for tree in trees.values()
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for alias in node.names}
    notes = [f"cell {number}: {text}" for number, tree in trees.items()
             for node in ast.walk(tree) for text in _suspicious(node, modules)]
    return list(dict.fromkeys(notes))


def reference_answers(nb, names):
    """Lines of ``nb`` whose answer to an exercise (a function of ``names``) is one of the
    course's own functions, bound to that name or only called by it."""
    trees = {number: tree for number, cell in enumerate(nb.cells) if (tree := parse_cell(cell))}
    library = {"gan_course"} | {(alias.asname or alias.name).split(".")[0] for tree in trees.values()
               for node in ast.walk(tree) for alias in getattr(node, "names", ())
               if isinstance(node, ast.Import) and _is_library(alias.name)
               or isinstance(node, ast.ImportFrom) and _is_library(node.module or "")}
    notes = [f"cell {number}: {name} {how} {ast.unparse(value)}, the course's own function"
             for number, tree in trees.items() for node in ast.walk(tree)
             for name, how, value in _bindings(node) if name in names and _root(value) in library]
    return list(dict.fromkeys(notes))


def _is_library(module):
    return module == "gan_course" or module.startswith("gan_course.")


def _bindings(node):
    """``(name, how, expression)`` for what ``node`` binds a name to: an alias, a function that
    only calls something, an import."""
    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Attribute, ast.Name)):
        yield from ((t.id, "is", node.value) for t in node.targets if isinstance(t, ast.Name))
    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
        if isinstance(node.value.body, ast.Call):
            yield from ((t.id, "only calls", node.value.body.func) for t in node.targets
                        if isinstance(t, ast.Name))
    elif isinstance(node, ast.FunctionDef):
        body = [s for s in node.body if not (isinstance(s, ast.Expr)
                                             and isinstance(s.value, ast.Constant))]
        if (len(body) == 1 and isinstance(body[0], ast.Return)
                and isinstance(body[0].value, ast.Call)):
            yield node.name, "only calls", body[0].value.func
    elif isinstance(node, ast.ImportFrom) and _is_library(node.module or ""):
        for alias in node.names:
            yield (alias.asname or alias.name), "is", ast.parse(f"{node.module}.{alias.name}",
                                                                mode="eval").body


def _suspicious(node, modules):
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and _root(target) in modules:
                yield f"changes {ast.unparse(target)}, a module's attribute"
    elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("setattr", "delattr"):
        yield f"calls {node.func.id}(...)"
    elif isinstance(node, ast.Attribute) and node.attr in _SENSITIVE_NAMES:
        yield f"uses {ast.unparse(node)}, which {_SENSITIVE_NAMES[node.attr]}"
    elif isinstance(node, ast.Attribute) and node.attr == "modules" and _root(node) == "sys":
        yield "uses sys.modules"
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in _SENSITIVE_MODULES and alias.asname is None:
                yield f"imports {alias.name}"
    elif isinstance(node, (ast.Constant, ast.JoinedStr)) and any(
            parse_line(line) for line in _text(node).splitlines()):
        yield "writes text shaped like a check's verdict line"


def _text(node):
    """A string constant's text; an f-string's with each placeholder read as 0."""
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part) if isinstance(part, ast.Constant) else "0"
                       for part in node.values)
    return node.value if isinstance(node.value, str) else ""


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return getattr(node, "id", None)


# ------------------------------------------------------------------------------- reports


def format_grade(result):
    """The table ``gan-course check NOTEBOOK`` prints."""
    marks = {PASSED: "✅ passed", FAILED: "❌ failed", NOT_ATTEMPTED: "⬜ not attempted",
             ERROR: "⚠️ error"}
    rows = [f"Grading {result.notebook} (profile quick)"
            + (f", lesson {result.lesson}" if result.lesson else ""), ""]
    if result.problem:
        rows += [f"Problem: {result.problem}.", ""]
    rows.append(f"{'Exercise':<9} {'Result':<17} Details")
    for ex_id, title in result.exercises:
        verdict = result.results[ex_id]
        detail = title if verdict.status == PASSED else verdict.message
        if result.problem and verdict.message.startswith("not checked"):
            detail = "not checked: see the problem above"
        if verdict.hint:
            detail += f" Hint: {verdict.hint}"
        rows.append(f"{ex_id:<9} {marks[verdict.status]:<17} {detail}")
    unfinished = [e for e in result.cell_errors if _is_stub_error(e)]
    others = [e for e in result.cell_errors if not _is_stub_error(e)]
    if unfinished:
        rows += ["", (f"{len(unfinished)} cell(s) stopped at an unfinished exercise "
                     "(NotImplementedError).")]
    if others:
        rows += ["", f"{len(others)} cell(s) raised an error:"]
        rows += [f"  cell {cell}: {name}: {message[:200]}" for cell, name, message in others]
    if result.review:
        rows += ["", "For the teacher to read (does not change the score):"]
        rows += [f"  {note}" for note in result.review]
    rows += ["", f"Score: {result.score}/{result.total}"]
    return "\n".join(rows)


def _is_stub_error(error):
    """A lesson's stub raising (also from inside a tf.function, whose message quotes it)."""
    return error[1] == "NotImplementedError" and re.search(r"Exercise \d+\.\d+", error[2])


def main(notebook_path, timeout=TIMEOUT):
    """``gan-course check NOTEBOOK``: exit code 0 when every exercise passes, 1 otherwise."""
    if not Path(notebook_path).is_file():
        raise FileNotFoundError(f"{notebook_path}: no such notebook")
    result = grade(notebook_path, timeout=timeout)
    print(format_grade(result))
    return 0 if result.all_passed else 1
