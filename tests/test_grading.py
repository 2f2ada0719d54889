"""Grading runs a notebook and scores its check verdicts (four real executions in all)."""

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from gan_course import grading, lessons
from gan_course.checks import core as checking
from tests.conftest import needs_mnist

NAME = "01_gan_loss_math.ipynb"
ROOT = lessons.repo_root()
EXERCISES = ["1.1", "1.2", "1.3", "1.4", "1.5"]


@pytest.fixture(scope="module")
def solution_grade():
    return grading.grade(ROOT / "solutions" / NAME, timeout=120)


@pytest.fixture(scope="module")
def lesson_grade():
    return grading.grade(ROOT / "lessons" / NAME, timeout=120)


@pytest.fixture(scope="module")
def one_done_grade(tmp_path_factory):
    """The lesson with only exercise 1.2 answered (its cell copied from the solution)."""
    lesson = lessons.read(ROOT / "lessons" / NAME)
    solution = lessons.read(ROOT / "solutions" / NAME)
    index = next(i for i, c in enumerate(solution.cells)
                 if lessons.has_solution(c) and "# Exercise 1.2:" in c.source)
    lesson.cells[index] = solution.cells[index]
    path = tmp_path_factory.mktemp("student") / NAME
    nbformat.write(lesson, str(path))
    return grading.grade(path, timeout=120)


def test_solution_scores_full_marks(solution_grade):
    assert [ex_id for ex_id, _ in solution_grade.exercises] == EXERCISES
    assert (solution_grade.score, solution_grade.total) == (5, 5)
    assert solution_grade.all_passed and solution_grade.errors == []
    assert "Score: 5/5" in grading.format_grade(solution_grade)


def test_untouched_lesson_scores_zero(lesson_grade):
    assert (lesson_grade.score, lesson_grade.total) == (0, 5)
    assert {lesson_grade.status(e) for e in EXERCISES} == {checking.NOT_ATTEMPTED}
    report = grading.format_grade(lesson_grade)
    assert "Score: 0/5" in report and "unfinished exercise" in report


def test_one_exercise_done_scores_exactly_that_one(one_done_grade):
    assert one_done_grade.score == 1
    assert [e for e in EXERCISES if one_done_grade.status(e) == checking.PASSED] == ["1.2"]


def _executed(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def test_verdicts_are_read_from_outputs_and_missing_checks_count_as_failed(monkeypatch, capsys):
    out = "✅ Exercise 1.1 passed: ok\n❌ Exercise 1.2: wrong value. Hint: think\n"
    nb = _executed(
        new_code_cell("# Exercise 1.1: a\n# Exercise 1.2: b\n# Exercise 1.3: c\n"),
        new_code_cell("check()", outputs=[new_output("stream", name="stdout", text=out)]),
        new_code_cell("boom()", outputs=[new_output("error", ename="NameError",
                                                    evalue="name 'boom' is not defined",
                                                    traceback=[])]),
    )
    verdicts, errors = grading.read_verdicts(nb)
    assert verdicts["1.1"][0] == checking.PASSED and verdicts["1.2"][0] == checking.FAILED
    assert errors == [(2, "NameError", "name 'boom' is not defined")]

    monkeypatch.setattr(grading, "execute", lambda path, timeout: nb)
    result = grading.grade("elsewhere/student.ipynb", root=ROOT)  # no solution of that name
    assert [e for e, _ in result.exercises] == ["1.1", "1.2", "1.3"]
    assert result.status("1.3") == grading.NO_VERDICT and result.score == 1
    assert grading.main("elsewhere/student.ipynb") == 1
    report = capsys.readouterr().out
    assert "wrong value. Hint: think" in report and "cell 2: NameError" in report
    assert "Score: 1/3" in report


def test_exercises_come_from_the_solution_of_the_same_name():
    empty = new_notebook()
    from_solution = grading.expected_exercises(f"student/{NAME}", empty, ROOT)
    assert [e for e, _ in from_solution] == EXERCISES
    renamed = grading.expected_exercises("student/01_gan_loss_math-Copy1.ipynb", empty, ROOT)
    assert renamed == from_solution


@needs_mnist
def test_lesson_02_solution_scores_full_marks_and_writes_only_its_run(tmp_path):
    """One execution of a copy of the solution, in an empty folder: every cell runs, every
    check passes, and the only thing the notebook leaves behind is its runs/ folder."""
    name = "02_mlp_gan_mnist.ipynb"
    shutil.copy(ROOT / "solutions" / name, tmp_path / name)
    result = grading.grade(tmp_path / name, timeout=300, root=ROOT)
    assert [e for e, _ in result.exercises] == ["2.1", "2.2", "2.3", "2.4"]
    assert (result.score, result.total) == (4, 4) and result.errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, "runs"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["02_mlp_gan"]


def test_lesson_03_exercises_come_from_its_solution():
    """Grading a lesson-03 notebook counts the four exercises of the solution, even if the
    student's copy lost its exercise cells (no execution: the notebook is never run here)."""
    found = grading.expected_exercises("student/03_dcgan.ipynb", new_notebook(), ROOT)
    assert [e for e, _ in found] == ["3.1", "3.2", "3.3", "3.4"]
