"""Grade a class at once: every notebook found, in parallel kernels, into one gradebook.

``gan-course check DIR_OR_FILES... [--jobs N] [--out gradebook.csv] [--timeout S]`` grades each
notebook with :func:`gan_course.classroom.grading.grade` (its own kernel and time limit), ``--jobs`` at a
time, and writes one row per student and notebook to a CSV file and to a Markdown file beside
it (``gradebook.md``). A folder given on the command line holds either one folder per student
(the student is the folder's name) or the notebooks themselves (the student is the file's name
without ``.ipynb``); a notebook given directly is named by its file. A notebook that cannot be
read, matches no lesson, hangs or crashes its kernel gets a row saying so; the others go on.
Each row is also written to ``gradebook.partial.csv`` as soon as its notebook is graded (see
:class:`RowLog`); the gradebook itself is written whole at the end, once every notebook's
processes have ended.
"""

import csv
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED
from gan_course.classroom import grading
from gan_course.classroom.session import ERROR

_IGNORED_PARTS = {".ipynb_checkpoints", "runs"}
_MARKS = {PASSED: "✅", FAILED: "❌", NOT_ATTEMPTED: "⬜", ERROR: "⚠️"}


def find_notebooks(paths):
    """``[(student, notebook path)]`` for the notebooks in ``paths`` (files or folders)."""
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(given.rglob("*.ipynb")):
                relative = path.relative_to(given)
                if _IGNORED_PARTS.isdisjoint(relative.parts):
                    found.append((relative.parts[0] if len(relative.parts) > 1 else path.stem,
                                  path))
        elif given.suffix == ".ipynb" and given.is_file():
            found.append((given.stem, given))
        else:
            raise FileNotFoundError(f"{given}: not a notebook (.ipynb) or a folder of notebooks")
    if not found:
        raise FileNotFoundError(f"no notebooks (.ipynb) in {', '.join(map(str, paths))}")
    return found


def grade_class(paths, jobs=1, timeout=grading.TIMEOUT, check_timeout=grading.CHECK_TIMEOUT,
                root=None, report=None):
    """A :class:`~gan_course.classroom.grading.Grade` per notebook in ``paths``, ``jobs`` kernels at a
    time, in the order of :func:`sorted_grades`; ``report(grade, done, total)`` after each."""
    notebooks = find_notebooks(paths)
    course = grading.course_lessons(root)

    def one(student, path):
        try:
            return grading.grade(path, timeout, check_timeout, course=course, student=student)
        except Exception as err:  # noqa: BLE001 - one notebook's trouble never stops the others
            lesson, _ = grading.identify(None, path, course)
            result = grading.ungraded(path, lesson, f"the grader failed ({grading.describe_error(err)})")
            result.student = student
            return result

    grades = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, student, path) for student, path in notebooks]
        for future in as_completed(futures):
            grades.append(future.result())
            if report:
                report(grades[-1], len(grades), len(futures))
    return sorted_grades(grades)


def sorted_grades(grades):
    """``grades`` sorted by lesson (unmatched last), student and notebook."""
    return sorted(grades, key=lambda g: (g.lesson is None, g.lesson or "", g.student, g.notebook))


def exercise_columns(grades):
    """Every exercise id of the graded lessons, in lesson order."""
    columns = {}
    for grade in sorted_grades(grades):
        columns.update({ex_id: None for ex_id, _ in grade.exercises})
    return list(columns)


def hints_shown(grade):
    """The hint of each failed exercise (else what was wrong), and why each error, on one line."""
    parts = []
    for ex_id, _ in grade.exercises:
        verdict = grade.results[ex_id]
        if verdict.status == FAILED:
            parts.append(f"{ex_id}: {verdict.hint or verdict.message}")
        elif verdict.status == ERROR and not verdict.message.startswith("not checked"):
            parts.append(f"{ex_id}: {verdict.message}")
    return " | ".join(parts)


def notes(grade):
    """The row's problem and the code the teacher may want to read, on one line."""
    return " | ".join(([grade.problem] if grade.problem else [])
                      + [f"review {note}" for note in grade.review])


HEADER = ("student", "notebook", "lesson", "score", "total", "hints shown", "notes", "seconds")


def header(columns):
    """The CSV header: the notebook's names, a column per exercise, then the rest."""
    return [*HEADER[:3], *columns, *HEADER[3:]]


def row(grade, columns):
    """One notebook's CSV row under :func:`header`."""
    statuses = {ex_id: grade.status(ex_id) for ex_id, _ in grade.exercises}
    return [grade.student, grade.notebook, grade.lesson or "",
            *[statuses.get(ex_id, "") for ex_id in columns], grade.score, grade.total,
            hints_shown(grade), notes(grade), f"{grade.seconds:.0f}"]


def write_csv(grades, path):
    """One row per notebook: student, notebook, lesson, a column per exercise, score, total,
    hints shown, notes, seconds. Written to a temporary file, synced, then renamed: the file at
    ``path`` is always a whole gradebook."""
    columns = exercise_columns(grades)
    return _write_whole(path, lambda f: csv.writer(f).writerows(
        [header(columns), *[row(grade, columns) for grade in sorted_grades(grades)]]))


class RowLog:
    """``NAME.partial.csv`` beside the gradebook: each notebook's row as soon as it is graded,
    flushed and synced, so that a grading stopped half way keeps what it had done. Removed once
    the gradebook is written."""

    def __init__(self, gradebook_path, course):
        self.path = Path(gradebook_path).with_suffix(".partial.csv")
        self.columns = [ex_id for lesson in course for ex_id, _ in lesson.exercises]
        self.file = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.add_row(header(self.columns))

    def add(self, grade):
        self.add_row(row(grade, self.columns))

    def add_row(self, values):
        csv.writer(self.file).writerow(values)
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self, remove):
        self.file.close()
        if remove:
            self.path.unlink(missing_ok=True)


def _write_whole(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, sync it, rename it to ``path``."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
    return path


def markdown(grades):
    """The gradebook as Markdown: a table per lesson, then the notebooks no lesson matches."""
    ordered = sorted_grades(grades)
    out = ["# Gradebook", "",
           f"{len(ordered)} notebook(s). ✅ passed, ❌ failed, ⬜ not attempted, ⚠️ error "
           "(not checked: see the notes).", ""]
    for lesson in dict.fromkeys(g.lesson for g in ordered if g.lesson):
        group = [g for g in ordered if g.lesson == lesson]
        ids = [ex_id for ex_id, _ in group[0].exercises]
        out += [f"## {lesson}", "",
                "| Student | Notebook | " + " | ".join(ids) + " | Score | Hints shown | Notes |",
                "|---|---|" + "---|" * len(ids) + "---|---|---|"]
        for g in group:
            marks = [_MARKS[g.status(ex_id)] for ex_id in ids]
            out.append("| " + " | ".join(_cell(v) for v in [
                g.student, g.notebook, *marks, f"{g.score}/{g.total}", hints_shown(g),
                notes(g)]) + " |")
        out.append("")
    unmatched = [g for g in ordered if not g.lesson]
    if unmatched:
        out += ["## Not graded", "", "| Student | Notebook | Problem |", "|---|---|---|"]
        out += [f"| {_cell(g.student)} | {_cell(g.notebook)} | {_cell(notes(g))} |"
                for g in unmatched]
        out.append("")
    return "\n".join(out)


def _cell(text):
    return re.sub(r"\s+", " ", str(text)).replace("|", "\\|")


def write_markdown(grades, path):
    return _write_whole(path, lambda f: f.write(markdown(grades)))


def default_jobs():
    """Half the CPU cores: each kernel's TensorFlow uses several threads."""
    return max(1, (os.cpu_count() or 2) // 2)


def main(paths, jobs=None, out="gradebook.csv", timeout=grading.TIMEOUT):
    """``gan-course check DIR_OR_FILES...``: grade them all and write the gradebook; exit 0."""
    jobs = jobs or default_jobs()
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"--out {out}: the gradebook is a .csv file (gradebook.md is written "
                         "beside it)")
    print(f"grading {len(find_notebooks(paths))} notebook(s), {jobs} at a time "
          f"(quick profile, at most {timeout} s each)", flush=True)

    def report(grade, done, total):
        print(f"[{done}/{total}] {grade.student}: {grade.notebook}: "
              f"{grade.score}/{grade.total} in {grade.seconds:.0f} s"
              + (f" ({grade.problem})" if grade.problem else ""), flush=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    log = RowLog(out, grading.course_lessons())
    try:
        grades = grade_class(paths, jobs=jobs, timeout=timeout, report=lambda grade, *counts: (
            log.add(grade), report(grade, *counts)))
    finally:
        log.close(remove=False)
    md = write_markdown(grades, out.with_suffix(".md"))
    write_csv(grades, out)
    log.close(remove=True)
    print(f"wrote {out} and {md}")
    sys.stdout.flush()
    return 0
