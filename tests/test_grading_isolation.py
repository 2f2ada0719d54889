"""The grader against notebooks written to fool or break it.

One class is graded by ``gan-course check --jobs 2`` in a separate process, as a teacher runs it:
forgeries of lesson 01 (a shadowed ``compile``, a forged ``json.dumps``, a notebook that starts
a detached process rewriting the gradebook and kills its kernel's parent, an answer that is the
course's own function), the untouched lesson, a notebook that calls ``os._exit`` and a truncated
file. Smaller notebooks meet the output cap, the memory cap and a kernel that ignores interrupts.
"""

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from gan_course.checks.core import NOT_ATTEMPTED, PASSED
from gan_course.classroom import gradebook, grading, lessons, session
from gan_course.classroom.session import ERROR

ROOT = lessons.repo_root()
LESSON_01 = "01_gan_loss_math.ipynb"
EXERCISES_01 = ["1.1", "1.2", "1.3", "1.4", "1.5"]
PICTURE = b"\x89PNG the student's 224-px picture"

SHADOWS_COMPILE = '''_compile = compile


def compile(source, filename, mode, *args, **kwargs):
    """Every check the grader compiles in this namespace passes."""
    if isinstance(source, str) and "check.verdict(" in source:
        source = source.replace("check.verdict(", "(lambda *f: type('R', (), {'status': "
                                "'passed', 'message': '', 'hint': ''}))(")
    return _compile(source, filename, mode, *args, **kwargs)
'''
FORGES_JSON = '''import json

_dumps = json.dumps


def dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and "status" in obj and "exercise" in obj:
        obj = {**obj, "status": "passed"}
    return _dumps(obj, *args, **kwargs)


vars(json)["dumps"] = dumps
'''
REWRITES_GRADEBOOK = '''import os, signal, subprocess, sys
rewriter = ("import os, time\\n"
            "for _ in range(600):\\n"
            "    time.sleep(0.5)\\n"
            "    if os.path.exists({book!r}):\\n"
            "        open({book!r}, 'w').write('student,score\\\\nmallory,5\\\\n')\\n")
subprocess.Popen([sys.executable, "-c", rewriter], start_new_session=True, env={{}},
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''
KILLS_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
REFERENCE = ("value_function = gc.theory.value_from_probabilities\n"
             "open('picture.png', 'wb').write(b'a 64-px picture')")


def _write(nb, path):
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def _lesson(*extra):
    nb = lessons.read(ROOT / "lessons" / LESSON_01)
    nb.cells += [new_code_cell(source) for source in extra]
    return nb


def _hashes(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "GAN_COURSE_PROFILE": "quick"}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """``(rows by student, seconds, gradebook text, text a few seconds after, hashes before,
    hashes after, gradebook path)``."""
    base = tmp_path_factory.mktemp("isolation")
    klass, book = base / "class", base / "book" / "gradebook.csv"
    notebooks = {
        "shadows_compile": _lesson(SHADOWS_COMPILE),
        "forges_json": _lesson(FORGES_JSON),
        "kills_grader": _lesson(REWRITES_GRADEBOOK.format(book=str(book)), KILLS_PARENT),
        "reference": _lesson(REFERENCE),
        "untouched": _lesson(),
        "exits": _lesson("import os\nos._exit(0)"),
    }
    for student, nb in notebooks.items():
        _write(nb, klass / student / LESSON_01)
        (klass / student / "picture.png").write_bytes(PICTURE)
    (klass / "truncated").mkdir()
    text = (ROOT / "solutions" / LESSON_01).read_text(encoding="utf-8")
    (klass / "truncated" / LESSON_01).write_text(text[: len(text) // 2], encoding="utf-8")
    before = _hashes(klass)

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from gan_course import cli; sys.exit(cli.main())",
         "check", str(klass), "--jobs", "2", "--out", str(book), "--timeout", "120"],
        env=_env(), capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    written = book.read_text(encoding="utf-8")
    time.sleep(5)
    with open(book, encoding="utf-8", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return rows, seconds, written, book.read_text(encoding="utf-8"), before, _hashes(klass), book


def test_a_shadowed_compile_scores_what_the_code_earns(graded_class):
    """Item 1: the check code is compiled before the notebook runs, not through its namespace."""
    row = graded_class[0]["shadows_compile"]
    assert [row[e] for e in EXERCISES_01] == [NOT_ATTEMPTED] * 5 and row["score"] == "0"


def test_a_forged_json_dumps_scores_what_the_code_earns(graded_class):
    """Item 2: verdicts are signed by the probe, not serialised by the kernel's json."""
    row = graded_class[0]["forges_json"]
    assert row["score"] == "0"
    assert {row[e] for e in EXERCISES_01} <= {NOT_ATTEMPTED, ERROR}


def test_killing_the_kernel_s_parent_costs_that_notebook_only(graded_class):
    """Item 3: the kernel's parent is its supervisor; the gradebook is whole, and no process
    the notebook started rewrites it after the grader has exited."""
    rows, _, written, later, *_ = graded_class
    row = rows["kills_grader"]
    assert [row[e] for e in EXERCISES_01] == [ERROR] * 5 and row["score"] == "0"
    assert "the kernel's supervisor was killed" in row["notes"]
    assert later == written
    assert not graded_class[-1].with_suffix(".partial.csv").exists(), "removed at the end"
    assert sorted(rows) == ["exits", "forges_json", "kills_grader", "reference",
                            "shadows_compile", "truncated", "untouched"]


def test_an_answer_that_is_the_course_s_function_is_noted(graded_class):
    """Item 4: it passes (it is right) and the notes name it for the teacher."""
    row = graded_class[0]["reference"]
    assert row["1.1"] == PASSED and row["score"] == "1"
    assert ("value_function is gc.theory.value_from_probabilities, the course's own function"
            in row["notes"])
    assert ("when graded, value_function is gan_course.theory.value_from_probabilities, the "
            "course's own function" in row["notes"])


def test_the_students_folders_are_unchanged(graded_class):
    """Item 5: the notebook ran in a copy of its folder; nothing was written back."""
    *_, before, after, _ = graded_class
    assert after == before
    assert not [p for p in after if "runs/" in p or p.endswith(".tmp")]


def test_the_other_rows_of_the_class(graded_class):
    rows, seconds, *_ = graded_class
    assert rows["untouched"]["score"] == "0"
    assert [rows["untouched"][e] for e in EXERCISES_01] == [NOT_ATTEMPTED] * 5
    assert rows["exits"]["notes"].startswith("the kernel died in cell")
    assert rows["truncated"]["notes"].startswith("not valid JSON")
    print(f"class of 7 graded in {seconds:.0f} s")


def test_each_row_is_on_disk_as_soon_as_its_notebook_is_graded(tmp_path):
    """Item 3: a grading stopped half way keeps the rows it had."""
    course = grading.course_lessons()
    log = gradebook.RowLog(tmp_path / "gradebook.csv", course)
    lesson = course[0]
    grade = grading.ungraded("ada/01.ipynb", lesson, "not valid JSON")
    grade.student = "ada"
    log.add(grade)
    with open(tmp_path / "gradebook.partial.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["1.1"], r["notes"]) for r in rows] == [
        ("ada", ERROR, "not valid JSON")]
    log.close(remove=True)
    assert not (tmp_path / "gradebook.partial.csv").exists()


# ---------------------------------------------------------------------- one notebook each


def _folder_with(tmp_path, *sources):
    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    return _write(nb, tmp_path / "student" / LESSON_01)


def test_the_output_kept_is_capped(tmp_path):
    """Item 6: 40 MB printed; the grader keeps at most its output cap."""
    path = _folder_with(tmp_path, "for _ in range(40):\n    print('x' * (1 << 20))",
                        "1 / 0", "# Exercise 1.1: V\nvalue_function = print")
    nb = lessons.read(path)
    ran = session.run(nb, path.parent, {"1.1": ("value_function",)}, timeout=120,
                      check_timeout=30, output_limit=4 << 20)
    kept = sum(len(str(output.get("text", ""))) for cell in nb.cells for output in cell.outputs)
    assert kept <= 4 << 20
    assert ran.cell_errors == [(1, "ZeroDivisionError", "division by zero")], "errors are kept"
    result = grading.grade(path, timeout=120, check_timeout=30)
    assert re.fullmatch(r"it printed 41,9\d\d,\d{3} characters; the grader kept [\d,]+ of them",
                        result.review[-1]) and result.status("1.1") == "failed"


def test_the_kernel_s_memory_is_capped(tmp_path):
    path = _folder_with(tmp_path, "try:\n    block = bytearray(3 << 30)\n"
                                  "except MemoryError:\n    print('capped')")
    nb = lessons.read(path)
    session.run(nb, path.parent, {}, timeout=120, check_timeout=30, memory_limit=2 << 30)
    assert nb.cells[0].outputs[0]["text"] == "capped\n"


def test_a_cell_that_ignores_the_interrupt_is_not_waited_for(tmp_path):
    """Item 7: the kernel is asked once after the interrupt; still busy, the grading ends."""
    path = _folder_with(tmp_path, "import time\nwhile True:\n    try:\n        time.sleep(60)\n"
                                  "    except KeyboardInterrupt:\n        pass")
    started = time.perf_counter()
    result = grading.grade(path, timeout=5, check_timeout=30)
    assert time.perf_counter() - started < 90
    assert "kept running cell 0 after it was interrupted" in result.problem
    assert {result.status(e) for e in EXERCISES_01} == {ERROR}


def test_a_notebook_writes_into_a_copy_of_its_folder(tmp_path):
    """Item 5, alone: the student's picture is not replaced, links and ``runs/`` are not shown."""
    path = _folder_with(tmp_path, "import os\nprint(sorted(os.listdir('.')))\n"
                                  "open('picture.png', 'wb').write(b'64 px')")
    (path.parent / "picture.png").write_bytes(PICTURE)
    (path.parent / "runs").mkdir()
    (path.parent / "outside").symlink_to(tmp_path)
    nb = lessons.read(path)
    session.run(nb, path.parent, {}, timeout=120, check_timeout=30)
    assert (path.parent / "picture.png").read_bytes() == PICTURE
    assert nb.cells[0].outputs[0]["text"] == "['picture.png']\n"


# --------------------------------------------------------------------------- an installed copy


def test_an_installed_wheel_grades_and_verify_needs_the_solutions(tmp_path):
    """Item 12: the wheel carries the exercise list; ``lessons verify`` without solutions fails."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", str(ROOT), "-w", str(wheels)], check=True, capture_output=True,
                   timeout=600, cwd=tmp_path)
    (wheel,) = wheels.glob("gan_course-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "gan_course/classroom/course.json" in archive.namelist()
        archive.extractall(installed)
    student = tmp_path / "alice"
    student.mkdir()
    shutil.copy(ROOT / "solutions" / LESSON_01, student / LESSON_01)
    env = {**_env(), "PYTHONPATH": str(installed)}
    run = [sys.executable, "-c", "import sys; from gan_course import cli; sys.exit(cli.main())"]
    verify = subprocess.run([*run, "lessons", "verify"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 1 and "no solutions/NN_*.ipynb" in verify.stdout
    check = subprocess.run([*run, "check", str(student / LESSON_01)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert check.returncode == 0 and "Score: 5/5" in check.stdout, check.stdout + check.stderr
