"""The course's exercises, as grading needs them: which lessons, which exercises, and which of
the notebook's functions each check takes.

They are read from the solution notebooks (their ``# Exercise N.M: title`` lines and check calls
such as ``gc.checks.ex_2_4(train_step)``) and shipped inside the package as ``course.json``, so
that an installed ``gan-course`` (a wheel, without ``solutions/``) grades like the repository.
``gan-course lessons build`` rewrites that file; ``gan-course lessons verify`` fails when it
differs from the solutions.
"""

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from gan_course.classroom import lessons

INDEX = Path(__file__).with_name("course.json")
CHECK_NAME = re.compile(r"^ex_(\d+)_(\d+)$")  # gc.checks.ex_2_4: exercise 2.4


class GradingError(ValueError):
    """A solution notebook the grader cannot use (a check call it cannot read), or no course."""


@dataclass(frozen=True)
class Lesson:
    """What grading a lesson needs from its solution notebook."""

    name: str  # the solution's file name, e.g. "02_mlp_gan_mnist.ipynb"
    exercises: tuple  # ((id, title), ...) in order
    arguments: dict  # id -> (names of the notebook's functions its check takes)


def check_calls(nb):
    """``{exercise id: (argument names)}`` from the check calls in ``nb``'s code cells."""
    found = {}
    for number, cell in enumerate(nb.cells):
        tree = parse_cell(cell)
        for node in ast.walk(tree) if tree else ():
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            match = CHECK_NAME.match(name)
            if not match:
                continue
            if node.keywords or not all(isinstance(a, ast.Name) for a in node.args):
                raise GradingError(f"cell {number}: {name}(...) must be called with the "
                                   "notebook's function names only, e.g. ex_2_4(train_step)")
            found[f"{match[1]}.{match[2]}"] = tuple(a.id for a in node.args)
    return found


def parse_cell(cell):
    """The AST of a code cell (IPython magics turned into Python first), or None."""
    if cell.cell_type != "code":
        return None
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(cell.source))
    except (SyntaxError, ValueError):
        return None


def read_lesson(solution_path):
    """The :class:`Lesson` of a solution notebook; GradingError if a check call is missing."""
    nb = lessons.read(solution_path)
    exercises = tuple(lessons.exercises(nb))
    calls = check_calls(nb)
    missing = [ex_id for ex_id, _ in exercises if ex_id not in calls]
    if missing:
        raise GradingError(f"{Path(solution_path).name}: no check call for exercise(s) "
                           f"{', '.join(missing)} (e.g. gc.checks.ex_{missing[0].replace('.', '_')}"
                           "(my_function) in a code cell)")
    return Lesson(Path(solution_path).name, exercises,
                  {ex_id: calls[ex_id] for ex_id, _ in exercises})


def from_solutions(root=None):
    """Every lesson, read from ``solutions/`` of the repository at ``root``."""
    return [read_lesson(path) for path in lessons.solution_paths(root)]


def course_lessons(root=None):
    """Every lesson of the course: from ``root``'s solutions when given, else from the
    package's ``course.json``; GradingError when there is none."""
    found = from_solutions(root) if root is not None else _packaged()
    if not found:
        where = f"{Path(root) / 'solutions'}" if root is not None else str(INDEX)
        raise GradingError(f"no lessons found in {where}: grading needs the course's exercise "
                           "list (run `gan-course lessons build` in the course repository, or "
                           "reinstall gan-course)")
    return found


def _packaged():
    try:
        entries = json.loads(INDEX.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [Lesson(e["name"], tuple(map(tuple, e["exercises"])),
                   {ex_id: tuple(names) for ex_id, names in e["arguments"].items()})
            for e in entries]


def index_text(course):
    """The text of ``course.json`` for the lessons ``course``."""
    entries = [{"name": lesson.name, "exercises": [list(e) for e in lesson.exercises],
                "arguments": {ex_id: list(names) for ex_id, names in lesson.arguments.items()}}
               for lesson in course]
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


def main_build(root=None):
    """Rewrite ``course.json`` from the solutions; exit code 0, or 1 when there are none."""
    problems = index_problems(root)
    if problems[:1] == [_NO_SOLUTIONS]:
        print(f"lessons build: {_NO_SOLUTIONS}")
        return 1
    if problems:
        INDEX.write_text(index_text(from_solutions(root)), encoding="utf-8")
        print(f"wrote {INDEX.name} (the exercises grading checks)")
    return 0


def main_verify(root=None):
    """Exit code 0 when ``course.json`` matches the solutions, 1 (and why) otherwise."""
    for problem in index_problems(root):
        print(problem)
        return 1
    print(f"{INDEX.name} lists the exercises of every solution")
    return 0


_NO_SOLUTIONS = "no solutions/NN_*.ipynb: this needs the course's repository, not an installed copy"


def index_problems(root=None):
    """Why ``course.json`` does not match the solutions; empty when it does."""
    course = from_solutions(root)
    if not course:
        return [_NO_SOLUTIONS]
    if not INDEX.exists() or INDEX.read_text(encoding="utf-8") != index_text(course):
        return [f"{INDEX.name} differs from the solutions' exercises and check calls: run "
                "`gan-course lessons build`"]
    return []
