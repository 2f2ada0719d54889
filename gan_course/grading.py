"""Grade a student's notebook: run it, read the checks' verdict lines, print a table and a score.

The notebook runs top to bottom in a fresh ``python3`` kernel, in its own folder, in the quick
profile, and errors do not stop it: one broken exercise costs that exercise only. Which
exercises count comes from the solution notebook of the same name (so deleting an exercise
cannot raise the score), else from the ``# Exercise N.M: title`` lines of the notebook itself.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from gan_course import lessons
from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED, parse_line

NO_VERDICT = "no verdict"  # the check never printed a line: cell deleted or not reached


@dataclass
class Grade:
    """The outcome of grading one notebook."""

    notebook: str
    exercises: list  # [(id, title)] in order
    results: dict  # id -> (status, verdict line or "")
    errors: list  # (cell number, exception name, message) for every cell that raised

    @property
    def score(self):
        return sum(self.results[ex_id][0] == PASSED for ex_id, _ in self.exercises)

    @property
    def total(self):
        return len(self.exercises)

    @property
    def all_passed(self):
        return self.total > 0 and self.score == self.total

    def status(self, exercise_id):
        return self.results[exercise_id][0]


def expected_exercises(path, nb, root=None):
    """``[(id, title)]`` from the matching solution notebook, else from ``nb``'s own headers."""
    name = Path(path).name
    solutions = lessons.solution_paths(root)
    same = [p for p in solutions if p.name == name] or [
        p for p in solutions if p.name[:3] == name[:3] and name[:2].isdigit()]
    if len(same) == 1:
        return lessons.exercises(lessons.read(same[0]))
    return lessons.exercises(nb)


def execute(path, timeout=600, profile="quick"):
    """Run the notebook at ``path`` from a clean state and return it with its new outputs."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = lessons.read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.resolve().parent)}})
    try:
        client.execute(env={**os.environ, "GAN_COURSE_PROFILE": profile})
    except (CellTimeoutError, DeadKernelError) as err:
        nb.metadata["grading_stopped"] = " ".join(str(err).split())[:300]
    return nb


def read_verdicts(nb):
    """``({id: (status, line)}, [(cell, error name, message)])`` from an executed notebook."""
    verdicts, errors = {}, []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                for line in output.text.splitlines():
                    parsed = parse_line(line)
                    if parsed:
                        verdicts[parsed[0]] = (parsed[1], line.strip())
            elif output.output_type == "error":
                errors.append((number, output.ename, " ".join(output.evalue.split())))
    if "grading_stopped" in nb.metadata:
        errors.append((None, "execution stopped", nb.metadata["grading_stopped"]))
    return verdicts, errors


def grade(path, timeout=600, root=None):
    """Execute the notebook at ``path`` and return its :class:`Grade`."""
    executed = execute(path, timeout=timeout)
    expected = expected_exercises(path, executed, root)
    verdicts, errors = read_verdicts(executed)
    results = {ex_id: verdicts.get(ex_id, (NO_VERDICT, "")) for ex_id, _ in expected}
    return Grade(str(path), expected, results, errors)


def format_grade(result):
    """The table ``gan-course check`` prints."""
    marks = {PASSED: "✅ passed", FAILED: "❌ failed", NOT_ATTEMPTED: "⬜ not attempted",
             NO_VERDICT: "❔ no verdict"}
    rows = [f"Grading {result.notebook} (profile quick)", "",
            f"{'Exercise':<9} {'Result':<17} Details"]
    for ex_id, title in result.exercises:
        status, line = result.results[ex_id]
        detail = title
        if status == FAILED:
            detail = line.split(":", 1)[1].strip()
        elif status == NO_VERDICT:
            detail = f"{title} (its check cell printed nothing: was it deleted or not reached?)"
        rows.append(f"{ex_id:<9} {marks[status]:<17} {detail}")
    unfinished = [e for e in result.errors if _is_stub_error(e)]
    others = [e for e in result.errors if not _is_stub_error(e)]
    if unfinished:
        rows += ["", (f"{len(unfinished)} cell(s) stopped at an unfinished exercise "
                     "(NotImplementedError).")]
    if others:
        rows += ["", f"{len(others)} cell(s) raised an error:"]
        rows += [f"  {'' if cell is None else f'cell {cell}: '}{name}: {message}"
                 for cell, name, message in others]
    rows += ["", f"Score: {result.score}/{result.total}"]
    return "\n".join(rows)


def _is_stub_error(error):
    return error[1] == "NotImplementedError" and error[2].startswith("Exercise ")


def main(notebook_path, timeout=600):
    """``gan-course check NOTEBOOK``: exit code 0 when every exercise passes, 1 otherwise."""
    result = grade(notebook_path, timeout=timeout)
    print(format_grade(result))
    if not result.exercises:
        print("No exercises found (no '# Exercise N.M: title' lines).")
    return 0 if result.all_passed else 1
