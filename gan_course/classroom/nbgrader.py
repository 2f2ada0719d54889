"""The course's solution notebooks, marked for nbgrader: ``gan-course lessons nbgrader``.

nbgrader learns which cells hold answers and which cells grade them from each cell's metadata;
the ``### BEGIN SOLUTION`` markers alone make ``nbgrader generate_assignment`` stop ("Solution
region detected in a non-solution cell"). :func:`mark` adds that metadata to a copy of a
solution: a cell with an answer becomes a solution cell, a check cell an autograded test cell
worth a point per check, each check call wrapped in ``assert``, because nbgrader gives the points
to any test cell that raises no error and a failing check prints its ❌ line without raising.
"""

import ast
import copy
from pathlib import Path

import nbformat

from gan_course.classroom import course, lessons

SCHEMA_VERSION = 3


def mark(nb):
    """A copy of the solution notebook ``nb`` with nbgrader's cell metadata."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        alone = nbformat.v4.new_notebook(cells=[cell])
        calls = course.check_calls(alone)
        if lessons.has_solution(cell):
            first = lessons.exercises(alone)[0][0]
            cell.metadata["nbgrader"] = _metadata(f"answer_{first}", solution=True)
        elif calls:
            cell.source = _asserted(cell.source)
            cell.metadata["nbgrader"] = _metadata(f"check_{next(iter(calls))}", grade=True,
                                                  locked=True, points=len(calls))
    return nb


def _metadata(grade_id, solution=False, grade=False, locked=False, points=None):
    meta = {"grade_id": grade_id.replace(".", "_"), "solution": solution, "grade": grade,
            "locked": locked, "schema_version": SCHEMA_VERSION}
    if points is not None:
        meta["points"] = points
    return meta


def _asserted(source):
    """``source`` with each statement that is a check call turned into ``assert <call>``."""
    lines = source.splitlines(keepends=True)
    for statement in reversed(ast.parse(source).body):
        call = getattr(statement, "value", None)
        name = getattr(getattr(call, "func", None), "attr", "")
        if isinstance(statement, ast.Expr) and course.CHECK_NAME.match(name):
            row, column = statement.lineno - 1, statement.col_offset
            lines[row] = lines[row][:column] + "assert " + lines[row][column:]
    return "".join(lines)


def write_source(course_dir, root=None):
    """Write ``COURSE_DIR/source/<lesson>/<notebook>`` for every solution; the paths written."""
    written = []
    for path in lessons.solution_paths(root):
        target = Path(course_dir) / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(lessons.dumps(mark(lessons.read(path))), encoding="utf-8")
        written.append(target)
    return written


def main(course_dir):
    """``gan-course lessons nbgrader --out COURSE_DIR``."""
    for path in write_source(course_dir):
        print(f"wrote {path}")
    print(f"next: cd {course_dir} && nbgrader generate_assignment <lesson> "
          "(see docs/grading.md)")
    return 0
