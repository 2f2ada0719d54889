"""Grade a class at once: every notebook found, in parallel kernels, into one gradebook.

``gan-course check DIR_OR_FILES... [--jobs N] [--out gradebook.csv] [--timeout S]`` grades each
notebook with :func:`gan_course.classroom.grading.grade` (its own kernel and time limit), ``--jobs`` at a
time, and writes one row per student and notebook to a CSV file and to a Markdown file beside
it (``gradebook.md``). A folder given on the command line holds either one folder per student
(the student is the folder's name) or the notebooks themselves (the student is the file's name
without ``.ipynb``); a notebook given directly is named by its file. A notebook that cannot be
read, matches no lesson, hangs or crashes its kernel gets a row saying so; the others go on.
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


def write_csv(grades, path):
    """One row per notebook: student, notebook, lesson, a column per exercise, score, total,
    hints shown, notes, seconds."""
    columns = exercise_columns(grades)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "lesson", *columns, "score", "total",
                         "hints shown", "notes", "seconds"])
        for grade in sorted_grades(grades):
            statuses = {ex_id: grade.status(ex_id) for ex_id, _ in grade.exercises}
            writer.writerow([grade.student, grade.notebook, grade.lesson or "",
                             *[statuses.get(ex_id, "") for ex_id in columns], grade.score,
                             grade.total, hints_shown(grade), notes(grade),
                             f"{grade.seconds:.0f}"])
    return Path(path)


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
    Path(path).write_text(markdown(grades), encoding="utf-8")
    return Path(path)


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

    grades = grade_class(paths, jobs=jobs, timeout=timeout, report=report)
    out.parent.mkdir(parents=True, exist_ok=True)
    md = write_markdown(grades, out.with_suffix(".md"))
    write_csv(grades, out)
    print(f"wrote {out} and {md}")
    sys.stdout.flush()
    return 0
