"""Grade a class of six with ``gan-course check --jobs N`` and check every row of the gradebook.

Each student's folder holds a copy of every lesson asked for: ada and ben the solutions, cleo
and dan the untouched lessons, eve half of each lesson (its first exercises answered, the next
one with a typical mistake of :data:`MISTAKES`), finn files that are not valid JSON. Prints the
time taken and whether the gradebook says exactly that.

    python benchmarks/grade_class.py [--lessons 01,02,03] [--jobs 2] [--out DIR]
"""

import argparse
import csv
import tempfile
import time
from pathlib import Path

import nbformat

from gan_course import cli
from gan_course.classroom import lessons

STUDENTS = ("ada", "ben", "cleo", "dan", "eve", "finn")
MISTAKES = {  # exercise -> (solution text, eve's version): the hint names the mistake
    "1.3": ("return 0.5 * kl(p, m) + 0.5 * kl(q, m)", "return kl(p, m) + kl(q, m)"),
    "2.1": ("/ 127.5 - 1.0", "/ 255.0"),
    "2.3": ("logit = layers.Dense(1)(h)", 'logit = layers.Dense(1, activation="sigmoid")(h)'),
    "3.3": (", rowvar=False", ""),
    "5.3": ("axis=1, keepdims=True)", "axis=1)"),
}


def answered(name, exercise_ids, mistake=None, root=None):
    """Lesson ``name`` with the solution's answers to ``exercise_ids``, and the answer to
    ``mistake`` (an exercise id of :data:`MISTAKES`) with its typical mistake."""
    lesson = lessons.read(lessons.lesson_path(name, root))
    solution = lessons.read(lessons.repo_root(root) / "solutions" / name)
    for index, cell in enumerate(solution.cells):
        if not lessons.has_solution(cell):
            continue
        ids = {e for e, _ in lessons.exercises(nbformat.v4.new_notebook(cells=[cell]))}
        if ids & {*exercise_ids, mistake}:
            lesson.cells[index] = nbformat.from_dict(dict(cell))
        if mistake in ids:
            right, wrong = MISTAKES[mistake]
            assert right in cell.source, f"{name}: the solution no longer says {right!r}"
            lesson.cells[index].source = cell.source.replace(right, wrong)
    return lesson


def make_class(folder, names, root=None):
    """Write the class into ``folder``; ``{(student, lesson name): expected statuses}``."""
    expected = {}
    for name in names:
        solution_path = lessons.repo_root(root) / "solutions" / name
        ids = [e for e, _ in lessons.exercises(lessons.read(solution_path))]
        half = len(ids) // 2
        mistake = ids[half] if ids[half] in MISTAKES else None  # else eve leaves it undone
        notebooks = {
            "ada": (lessons.read(solution_path), ["passed"] * len(ids)),
            "ben": (lessons.read(solution_path), ["passed"] * len(ids)),
            "cleo": (lessons.read(lessons.lesson_path(name, root)), ["not attempted"] * len(ids)),
            "dan": (lessons.read(lessons.lesson_path(name, root)), ["not attempted"] * len(ids)),
            "eve": (answered(name, ids[:half], mistake, root),
                    ["passed"] * half + ["failed" if mistake else "not attempted"]
                    + ["not attempted"] * (len(ids) - half - 1)),
        }
        for student, (nb, statuses) in notebooks.items():
            (folder / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(folder / student / name))
            expected[student, name] = statuses
        (folder / "finn").mkdir(parents=True, exist_ok=True)
        text = solution_path.read_text(encoding="utf-8")
        (folder / "finn" / name).write_text(text[: len(text) // 2], encoding="utf-8")
        expected["finn", name] = ["error"] * len(ids)
    return expected


def wrong_rows(gradebook_csv, expected, names):
    """The rows of the gradebook that differ from ``expected``: a list of descriptions."""
    with open(gradebook_csv, encoding="utf-8", newline="") as f:
        rows = {(r["student"], r["lesson"]): r for r in csv.DictReader(f)}
    problems = []
    for (student, name), statuses in expected.items():
        row = rows.get((student, name))
        ids = [e for e, _ in lessons.exercises(lessons.read(lessons.lesson_path(name)))]
        got = [row[e] for e in ids] if row else None
        if got != statuses or (row and row["score"] != str(statuses.count("passed"))):
            problems.append(f"{student} {name}: {got}, expected {statuses}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", default="01,02,03", help="lesson numbers, comma-separated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=None, help="where to write the class and gradebook")
    args = parser.parse_args(argv)
    names = [p.name for p in lessons.solution_paths() if p.name[:2] in args.lessons.split(",")]
    base = Path(args.out or tempfile.mkdtemp(prefix="gan-course-class-"))
    expected = make_class(base / "class", names)
    began = time.perf_counter()
    cli.main(["check", str(base / "class"), "--jobs", str(args.jobs),
              "--out", str(base / "gradebook.csv")])
    seconds = time.perf_counter() - began
    problems = wrong_rows(base / "gradebook.csv", expected, names)
    print(f"\n{len(expected)} notebooks ({', '.join(names)}), {len(STUDENTS)} students, "
          f"--jobs {args.jobs}: {seconds:.0f} s; gradebook "
          + ("correct" if not problems else "WRONG:\n  " + "\n  ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
