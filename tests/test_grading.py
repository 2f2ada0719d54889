"""Grading: verdicts come from the grader, never from what a notebook prints; a class at once.

One batch of real gradings runs once, two kernels at a time, through ``gan-course check``: the
class of six of ``benchmarks/grade_class.py`` on lesson 01, three forged lesson-02 notebooks, the
lesson-02 solution, a notebook that kills its kernel and one of another course. A second, tiny
notebook meets the time limits.
"""

import csv
import shutil
import sys

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from benchmarks.grade_class import answered, make_class, wrong_rows
from gan_course import cli
from gan_course.checks.core import FAILED, NOT_ATTEMPTED, PASSED, CheckResult
from gan_course.classroom import gradebook, grading, lessons, probe, session
from gan_course.classroom.session import ERROR
from tests.conftest import dataset_problem, needs_mnist

ROOT = lessons.repo_root()
LESSON_01, LESSON_02 = "01_gan_loss_math.ipynb", "02_mlp_gan_mnist.ipynb"
EXERCISES_01 = ["1.1", "1.2", "1.3", "1.4", "1.5"]
EXERCISES_02 = ["2.1", "2.2", "2.3", "2.4"]
FAKE_VERDICTS = "for n in range(1, 5):\n    print(f'✅ Exercise 2.{n} passed: well done')\n"
PATCHES = """import numpy
import gan_course.checks.core
import gan_course.checks.lesson02
from gan_course.checks.core import CheckResult


def always_passes(*functions, exercise="2.4"):
    print(f"✅ Exercise {exercise} passed: well done")
    return CheckResult(exercise, "passed", "well done")


gc.checks.ex_2_4 = always_passes
gan_course.checks.lesson02.ex_2_1 = lambda f: always_passes(f, exercise="2.1")
gan_course.checks.core.expect = lambda got, expected, **kwargs: got
numpy.isclose = lambda a, b, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, bool)
"""


def _read(kind, name):
    return lessons.read(ROOT / kind / name)


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# ------------------------------------------------------------------ which lesson, which calls


def test_the_check_calls_of_every_solution_name_its_functions():
    course = {lesson.name: lesson for lesson in grading.course_lessons()}
    assert course[LESSON_01].arguments["1.4"] == ("saturating_grad", "nonsaturating_grad")
    assert course[LESSON_02].arguments == {"2.1": ("scale_images",), "2.2": ("make_generator",),
                                          "2.3": ("make_discriminator",), "2.4": ("train_step",)}
    assert course["04_wgan_gp.ipynb"].arguments == {
        "4.1": ("critic_loss", "generator_loss"), "4.2": ("gradient_penalty",),
        "4.3": ("critic_updates",), "4.4": ("lipschitz_bound",)}
    assert [e for e, _ in course["03_dcgan.ipynb"].exercises] == ["3.1", "3.2", "3.3", "3.4", "3.5"]


def test_the_check_calls_of_lesson_06_name_its_functions():
    course = {lesson.name: lesson for lesson in grading.course_lessons()}
    assert course["06_neural_style_transfer.ipynb"].arguments == {
        "6.1": ("gram_matrix",), "6.2": ("content_loss",), "6.3": ("style_loss",),
        "6.4": ("total_variation_loss",), "6.5": ("optimization_step",)}


def test_the_check_calls_of_lesson_07_name_its_functions():
    course = {lesson.name: lesson for lesson in grading.course_lessons()}
    assert course["07_cyclegan.ipynb"].arguments == {
        "7.1": ("instance_norm",), "7.2": ("receptive_field",),
        "7.3": ("lsgan_discriminator_loss", "lsgan_generator_loss"),
        "7.4": ("cycle_and_identity_losses",), "7.5": ("ImageHistory",)}


def test_the_check_calls_of_lesson_08_name_its_functions():
    course = {lesson.name: lesson for lesson in grading.course_lessons()}
    assert course["08_art_gan.ipynb"].arguments == {
        "8.1": ("adain",), "8.2": ("demodulation",), "8.3": ("mapping_network",),
        "8.4": ("discriminator_batch",), "8.5": ("truncate",), "8.6": ("mix_styles",)}


def test_a_check_call_the_grader_cannot_read_is_refused():
    nb = new_notebook(cells=[new_code_cell("%matplotlib inline\ngc.checks.ex_1_1(lambda a, b: 0)")])
    with pytest.raises(grading.GradingError, match=r"cell 0: ex_1_1\(\.\.\.\) must be called"):
        grading.check_calls(nb)


def test_the_lesson_comes_from_the_exercises_then_from_the_file_name():
    course = grading.course_lessons()
    lesson_02 = _read("lessons", LESSON_02)
    found, note = grading.identify(lesson_02, "alice/my copy.ipynb", course)
    assert (found.name, note) == (LESSON_02, "")
    found, note = grading.identify(lesson_02, "alice/03_dcgan.ipynb", course)
    assert found.name == LESSON_02 and "file name suggests 03_dcgan.ipynb" in note
    found, _ = grading.identify(None, "bob/bob_01_gan_loss_math-Copy1.ipynb", course)
    assert found.name == LESSON_01
    assert grading.identify(new_notebook(), "carol/holidays.ipynb", course) == (None, "")


def test_review_notes_list_tampering_and_never_the_course_itself():
    for kind in ("solutions", "lessons"):
        for path in sorted((ROOT / kind).glob("*.ipynb")):
            nb = lessons.read(path)
            assert grading.review_notes(nb) == [], path
            assert grading.reference_answers(nb, {"value_function", "train_step"}) == [], path
    forged = new_notebook(cells=[new_code_cell("import gan_course as gc\nimport numpy as np"),
                                 new_code_cell(PATCHES), new_code_cell(FAKE_VERDICTS),
                                 new_code_cell("import sys\nsys.modules['numpy'] = None\n"
                                               "setattr(np, 'mean', len)"),
                                 new_code_cell("import gc\nfound = object.__subclasses__()")])
    notes = grading.review_notes(forged)
    for expected in ["cell 1: changes gc.checks.ex_2_4, a module's attribute",
                     "cell 1: changes numpy.isclose, a module's attribute",
                     "cell 1: changes gan_course.checks.core.expect, a module's attribute",
                     "cell 1: writes text shaped like a check's verdict line",
                     "cell 2: writes text shaped like a check's verdict line",
                     "cell 3: uses sys.modules", "cell 3: calls setattr(...)",
                     "cell 4: imports gc", "cell 4: uses object.__subclasses__, which lists "
                     "the interpreter's classes, the grader's among them"]:
        assert expected in notes


# --------------------------------------------------------- the probe, in this very process


@pytest.fixture
def served():
    """The probe set up in this very process as in a kernel before its first cell (lessons 01
    and 02); ``ask(exercise, names, functions)`` gives the decoded verdict."""
    key, token, namespace = b"k" * 32, "test", {}
    probe.setup(session.course_sources(), [1, 2], key, token, namespace)
    anchor = sys.modules.pop(probe.ANCHOR + token)

    def ask(exercise, names, functions):
        namespace.clear()
        namespace.update(functions)
        return session.decode(anchor.serve(exercise, "nonce", list(names)), key)

    return ask


def test_the_probe_checks_with_the_course_as_installed(served, monkeypatch):
    """Replaced checks, a patched ``checks.core`` and a patched ``np.isclose`` after the set-up
    do not change the verdict on a typical mistake, and the process is left as it was."""
    import gan_course.checks.core
    import gan_course.checks.lesson01

    def fake(*functions):
        return CheckResult("1.1", PASSED, "well done")

    minus_v = {"value_function": lambda r, f: -(np.mean(np.log(r)) + np.mean(np.log(1 - f)))}
    always = lambda a, b, **kwargs: np.ones(np.broadcast(a, b).shape, bool)  # noqa: E731
    monkeypatch.setattr(np, "isclose", always)
    monkeypatch.setattr(gan_course.checks.lesson01, "ex_1_1", fake)
    monkeypatch.setattr(gan_course.checks.core, "expect", lambda got, *args, **kwargs: got)
    before = {n: m for n, m in sys.modules.items() if n.startswith("gan_course")}

    verdict = served("1.1", ["value_function"], minus_v)
    assert verdict["status"] == FAILED and "that is -V" in verdict["hint"]
    assert (verdict["exercise"], verdict["nonce"], verdict["changed"]) == ("1.1", "nonce",
                                                                           "numpy.isclose")
    assert np.isclose is always and gan_course.checks.lesson01.ex_1_1 is fake
    assert {n: m for n, m in sys.modules.items() if n.startswith("gan_course")} == before

    verdict = served("1.4", ["saturating_grad", "nonsaturating_grad"], {})
    assert verdict["status"] == FAILED
    assert "saturating_grad and nonsaturating_grad are not defined" in verdict["message"]


def test_what_a_check_imports_while_it_runs_is_fresh_too(served, monkeypatch):
    """2.2 imports ``gan_course.models.mlp_gan`` inside the check: a patched one does not reach it."""
    import gan_course.checks.lesson02
    import gan_course.models.mlp_gan
    from tests.test_checks import SOLUTION_02

    real = gan_course.models.mlp_gan.build_generator
    monkeypatch.setattr(gan_course.models.mlp_gan, "build_generator",
                        lambda latent_dim, shape, hidden: real(latent_dim, shape, (*hidden, 7)))
    assert not gan_course.checks.lesson02.ex_2_2.verdict(SOLUTION_02["make_generator"])
    verdict = served("2.2", ["make_generator"], SOLUTION_02)
    assert (verdict["status"], verdict["changed"]) == (PASSED, ""), verdict


def test_an_answer_that_is_the_course_s_own_function_is_named(served):
    import gan_course

    verdict = served("1.1", ["value_function"],
                     {"value_function": gan_course.theory.value_from_probabilities})
    assert verdict["status"] == PASSED
    assert verdict["reference"] == ("value_function is "
                                    "gan_course.theory.value_from_probabilities")


def _reply(value, status="ok"):
    return {"content": {"status": "ok", "user_expressions": {"verdict": {
        "status": status, "data": {"text/plain": repr(value)}, "ename": "NameError",
        "evalue": "x"}}}}


def test_only_an_answer_signed_with_the_grader_s_key_is_a_verdict():
    import _hashlib

    values = {"exercise": "2.4", "nonce": "n1", "status": PASSED, "message": "ok", "hint": "",
              "changed": "numpy.mean", "reference": ""}
    real = probe.encode([values[f] for f in probe.FIELDS], b"key", _hashlib.hmac_digest)
    verdict, changed, references = session.read_probe_reply(_reply(real), "2.4", "n1", b"key")
    assert (verdict.status, changed, references) == (PASSED, ["numpy.mean"], [])
    forged = probe.encode([values[f] for f in probe.FIELDS], b"guess", _hashlib.hmac_digest)
    for text, exercise, nonce in [(real, "2.4", "n2"), (real, "2.1", "n1"),
                                  (forged, "2.4", "n1"), ("✅ Exercise 2.4 passed", "2.4", "n1"),
                                  (real.replace("70617373", "6661696c"), "2.4", "n1")]:
        verdict, _, _ = session.read_probe_reply(_reply(text), exercise, nonce, b"key")
        assert verdict.status == ERROR and "not a verdict" in verdict.message
    verdict, _, _ = session.read_probe_reply(_reply(real, status="error"), "2.4", "n1", b"key")
    assert verdict.status == ERROR and "could not run (NameError: x)" in verdict.message


# ------------------------------------------------------------------------- the gradebook


def test_students_are_folders_or_file_names(tmp_path):
    for path in ["ada/01_gan_loss_math.ipynb", "ada/.ipynb_checkpoints/01-checkpoint.ipynb",
                 "ben/drafts/lesson.ipynb", "ben/runs/old.ipynb", "cleo.ipynb", "notes.txt"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}")
    found = [(s, p.relative_to(tmp_path).as_posix()) for s, p in
             gradebook.find_notebooks([tmp_path, tmp_path / "cleo.ipynb"])]
    assert found == [("ada", "ada/01_gan_loss_math.ipynb"), ("ben", "ben/drafts/lesson.ipynb"),
                     ("cleo", "cleo.ipynb"), ("cleo", "cleo.ipynb")]
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        gradebook.find_notebooks([tmp_path / "notes.txt"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        gradebook.find_notebooks([tmp_path / "empty"])


def test_check_with_one_notebook_prints_its_table_and_a_class_writes_a_gradebook(
        monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(grading, "main", lambda path, timeout: calls.append(("one", path)) or 1)
    monkeypatch.setattr(gradebook, "main", lambda paths, jobs, out, timeout: calls.append(
        ("class", paths, jobs, out, timeout)) or 0)
    assert cli.main(["check", "a.ipynb"]) == 1
    assert cli.main(["check", "a.ipynb", "b.ipynb", "--jobs", "3", "--timeout", "60"]) == 0
    assert cli.main(["check", "class", "--out", "book.csv"]) == 0
    assert calls == [("one", "a.ipynb"), ("class", ["a.ipynb", "b.ipynb"], 3, "gradebook.csv", 60),
                     ("class", ["class"], None, "book.csv", 900)]


# ------------------------------------------------ one batch of real gradings, two at a time


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, the forged notebooks and the odd ones, graded by ``gan-course check``."""
    base = tmp_path_factory.mktemp("grading")
    klass, others = base / "class", base / "others"
    expected = make_class(klass, [LESSON_01])
    _write(new_notebook(cells=[
        new_code_cell("# Exercise 1.1: the value function\ndef value_function(a, b):\n    return 0"),
        new_code_cell("import os\nos._exit(1)")]), others / "crashes.ipynb")
    _write(new_notebook(cells=[new_markdown_cell("# My holidays"), new_code_cell("print(1)")]),
           others / "holidays.ipynb")
    if dataset_problem("mnist") is None:
        printed = _read("lessons", LESSON_02)
        printed.cells.append(new_code_cell(FAKE_VERDICTS))
        _write(printed, others / "prints_verdicts.ipynb")
        patched = answered(LESSON_02, [], mistake="2.1")
        patched.cells.insert(2, new_code_cell(PATCHES))
        _write(patched, others / "patches_checks.ipynb")
        deleted = answered(LESSON_02, ["2.1"])
        deleted.cells = [c for c in deleted.cells if "gc.checks.ex_" not in c.source]
        _write(deleted, others / "deletes_checks.ipynb")
        shutil.copy(ROOT / "solutions" / LESSON_02, others / "solution.ipynb")
    files_before = sorted(p.relative_to(base) for p in base.rglob("*"))

    captured = []
    real = gradebook.grade_class
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gradebook, "grade_class", lambda *a, **k: captured.append(real(*a, **k))
                   or captured[-1])
        out = base / "book" / "gradebook.csv"
        assert cli.main(["check", str(klass), str(others), "--jobs", "2", "--out", str(out),
                         "--timeout", "300"]) == 0
    assert sorted(p.relative_to(base) for p in base.rglob("*") if "book" not in p.parts) == \
        files_before, "grading writes nothing into the students' folders"
    with open(out, encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert wrong_rows(out, expected, [LESSON_01]) == []
    return {g.student: g for g in captured[0]}, table, out.with_suffix(".md").read_text()


def test_the_class_gradebook(graded):
    grades, table, markdown = graded
    rows = {row["student"]: row for row in table if row["lesson"] == LESSON_01}
    assert sorted(rows) == ["ada", "ben", "cleo", "crashes", "dan", "eve", "finn"]
    expected = {"ada": [PASSED] * 5, "ben": [PASSED] * 5, "cleo": [NOT_ATTEMPTED] * 5,
                "dan": [NOT_ATTEMPTED] * 5, "finn": [ERROR] * 5,
                "eve": [PASSED, PASSED, FAILED, NOT_ATTEMPTED, NOT_ATTEMPTED]}
    for student, statuses in expected.items():
        assert [rows[student][e] for e in EXERCISES_01] == statuses, student
        assert rows[student]["score"] == str(statuses.count(PASSED))
        assert rows[student]["total"] == "5"
    assert rows["eve"]["hints shown"] == ("1.3: each KL term has a factor ½: "
                                          "JSD = ½ KL(p‖m) + ½ KL(q‖m).")
    assert rows["finn"]["notes"].startswith("not valid JSON (line ")
    assert all(rows[s]["notes"] == "" for s in ("ada", "ben", "cleo", "dan", "eve"))
    assert grades["ada"].cell_errors == [] and grades["ada"].review == []
    assert f"## {LESSON_01}" in markdown and "| eve | " in markdown
    assert "| 1.1 | 1.2 | 1.3 | 1.4 | 1.5 | Score |" in markdown
    line = next(row for row in markdown.splitlines() if row.startswith("| eve |"))
    assert "| ✅ | ✅ | ❌ | ⬜ | ⬜ | 2/5 |" in line


def test_a_crashed_kernel_and_another_course_get_rows_saying_so(graded):
    grades, table, markdown = graded
    crashed = grades["crashes"]
    assert crashed.problem.startswith("the kernel died in cell 1")
    assert {crashed.status(e) for e in EXERCISES_01} == {ERROR} and crashed.score == 0
    other = grades["holidays"]
    assert other.lesson is None and other.exercises == []
    assert "no lesson of the course matches it" in other.problem
    assert "## Not graded" in markdown and "| holidays |" in markdown
    assert next(r for r in table if r["student"] == "holidays")["lesson"] == ""


def test_the_single_notebook_report(graded, capsys, monkeypatch, tmp_path):
    grades, _, _ = graded
    report = grading.format_grade(grades["eve"])
    assert "1.3       ❌ failed" in report and "Hint: each KL term has a factor ½" in report
    assert "4 cell(s) stopped at an unfinished exercise" in report
    assert report.endswith("Score: 2/5")
    monkeypatch.setattr(grading, "grade", lambda path, timeout: grades[path.parent.name])
    for student in ("ada", "eve"):
        (tmp_path / student).mkdir()
        (tmp_path / student / LESSON_01).write_text("{}")
    assert grading.main(tmp_path / "ada" / LESSON_01, timeout=1) == 0
    assert grading.main(tmp_path / "eve" / LESSON_01, timeout=1) == 1
    assert "Score: 5/5" in capsys.readouterr().out
    assert cli.main(["check", str(tmp_path / "nobody.ipynb")]) == 2
    assert "nobody.ipynb: no such notebook" in capsys.readouterr().err


@needs_mnist
def test_printed_verdicts_score_nothing(graded):
    printed = graded[0]["prints_verdicts"]
    assert printed.lesson == LESSON_02 and printed.score == 0
    assert [printed.status(e) for e in EXERCISES_02] == [NOT_ATTEMPTED] * 4
    assert "writes text shaped like a check's verdict line" in printed.review[0]


@needs_mnist
def test_replaced_checks_and_numpy_score_what_the_code_earns(graded):
    patched = graded[0]["patches_checks"]
    assert patched.score == 0
    assert [patched.status(e) for e in EXERCISES_02] == [FAILED] + [NOT_ATTEMPTED] * 3
    assert patched.results["2.1"].hint.startswith("that scales to [0, 1]")
    assert "cell 2: changes gc.checks.ex_2_4, a module's attribute" in patched.review
    assert ("when graded, numpy.isclose was not the original (the checks used the original)"
            in patched.review)


@needs_mnist
def test_deleted_check_cells_still_score_the_exercises(graded):
    deleted = graded[0]["deletes_checks"]
    assert deleted.score == 1 and deleted.status("2.1") == PASSED
    assert [deleted.status(e) for e in EXERCISES_02[1:]] == [NOT_ATTEMPTED] * 3


@needs_mnist
def test_the_lesson_02_solution_scores_full_marks(graded):
    solution = graded[0]["solution"]
    assert (solution.score, solution.total) == (4, 4)
    assert solution.cell_errors == [] and solution.review == [] and solution.problem == ""


# ---------------------------------------------------------------------------- time limits


def test_a_hanging_notebook_and_a_hanging_check_are_stopped(tmp_path):
    """The notebook's time limit stops its cells; the functions defined by then are checked;
    a check that never returns is interrupted and the next one still runs."""
    nb = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("# Exercise 1.1: V\ndef value_function(d_real, d_fake):\n"
                      "    return np.mean(np.log(d_real)) + np.mean(np.log(1.0 - d_fake))"),
        new_code_cell("# Exercise 1.2: D*\ndef optimal_discriminator(p_data, p_g):\n"
                      "    while True:\n        pass"),
        new_code_cell("import time\ntime.sleep(3600)"),
        new_code_cell("# Exercise 1.3: JSD\ndef jensen_shannon(p, q, dx):\n    return 0.0")])
    result = grading.grade(_write(nb, tmp_path / LESSON_01), timeout=10, check_timeout=15)
    assert result.problem == ("the notebook's time limit of 10 s ran out in cell 3; the cells "
                              "after it did not run")
    assert [result.status(e) for e in EXERCISES_01] == [PASSED, ERROR, FAILED, FAILED, FAILED]
    assert result.results["1.2"].message == ("its check did not finish within 15 s: does "
                                             "optimal_discriminator loop forever?")
    assert "jensen_shannon is not defined" in result.results["1.3"].message
