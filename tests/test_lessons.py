"""lessons/ is built from solutions/: stubs replace answers, everything else is kept."""

import os
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gan_course.classroom import lessons

EXERCISE_CELL = '''# Exercise 9.1: add "two" numbers
def add(a, b):
    """Sum."""
    if a is None:
        ### BEGIN SOLUTION
        return b
        ### END SOLUTION
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION'''


def _solution_notebook():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"},
                                "language_info": {"name": "python"}})
    checked = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1 + 1)", execution_count=3,
                            outputs=[new_output("stream", name="stdout", text="2\n")])
    nb.cells = [
        new_markdown_cell("# A lesson\nSome *prose*."),
        new_code_cell("import math\nprint(math.pi)"),
        new_code_cell(EXERCISE_CELL),
        checked,
        new_code_cell("# Exercise 9.2: nothing\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\ncheck(x)", execution_count=5, outputs=[
            new_output("stream", name="stdout", text="✅ Exercise 9.2 passed: fine\n")]),
    ]
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return lessons.clean_notebook(nb)


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(_solution_notebook(), str(tmp_path / "solutions" / "09_toy.ipynb"))
    return tmp_path


def test_build_writes_stubs_and_keeps_everything_else(repo):
    lessons.build(repo)
    solution = lessons.read(repo / "solutions" / "09_toy.ipynb")
    lesson = lessons.read(repo / "lessons" / "09_toy.ipynb")
    assert len(lesson.cells) == len(solution.cells)
    for number in (0, 1, 3):
        assert lesson.cells[number] == solution.cells[number]
    assert lesson.cells[3].outputs[0].text == "2\n"  # nbval-compared output kept
    assert lesson.metadata == solution.metadata
    assert lesson.cells[2].source == '''# Exercise 9.1: add "two" numbers
def add(a, b):
    """Sum."""
    if a is None:
        # YOUR CODE HERE
        raise NotImplementedError("Exercise 9.1: add \\"two\\" numbers")
    # YOUR CODE HERE
    raise NotImplementedError("Exercise 9.1: add \\"two\\" numbers")'''
    assert lesson.cells[4].source.endswith('raise NotImplementedError("Exercise 9.2: nothing")\n')
    assert solution.cells[5].outputs and lesson.cells[5].outputs == []  # no verdict before work
    assert lesson.cells[5].execution_count is None
    namespace = {}
    exec(lesson.cells[2].source, namespace)  # noqa: S102 - our own notebook's code
    with pytest.raises(NotImplementedError, match="Exercise 9.1"):
        namespace["add"](1, 2)


def test_verify_detects_changes_and_build_fixes_them(repo):
    assert lessons.verify(repo) == ["lessons/09_toy.ipynb is missing"]
    lessons.build(repo)
    assert lessons.verify(repo) == []
    assert lessons.build(repo) == []  # nothing left to write
    lesson_file = repo / "lessons" / "09_toy.ipynb"
    lesson = lessons.read(lesson_file)
    lesson.cells[1].source += "\nprint('edited')"
    nbformat.write(lesson, str(lesson_file))
    assert lessons.verify(repo) == [("lessons/09_toy.ipynb: cell 1 differs from the one built "
                                    "from its solution")]
    assert lessons.main_verify(repo) == 1
    lessons.build(repo)
    assert lessons.main_verify(repo) == 0
    shutil.copy(lesson_file, repo / "lessons" / "08_orphan.ipynb")
    assert lessons.verify(repo) == ["lessons/08_orphan.ipynb has no solutions/08_orphan.ipynb"]


def test_unclean_solution_is_reported_and_cleaned_by_build(repo):
    path = repo / "solutions" / "09_toy.ipynb"
    nb = lessons.read(path)
    nb.cells[1].execution_count = 7
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="3.14\n")]
    nb.cells[1].metadata["execution"] = {"iopub.status.idle": "2024-01-01"}
    nbformat.write(nb, str(path))
    lessons.build(repo)
    assert lessons.clean_problems(nb, "x") == [
        "x: cell 1 is not clean (execution_count, outputs, metadata)"]
    assert lessons.clean_problems(lessons.read(path)) == []
    assert lessons.verify(repo) == []


def test_checked_cell_needs_a_stored_output(repo):
    path = repo / "solutions" / "09_toy.ipynb"
    nb = lessons.read(path)
    nb.cells[3].outputs, nb.cells[3].execution_count = [], None
    nbformat.write(nb, str(path))
    lessons.build(repo)
    assert any("cell 3 is marked NBVAL_CHECK_OUTPUT but stores no output" in problem
               for problem in lessons.verify(repo))


def test_clean_notebook_rules():
    nb = _solution_notebook()
    checked, exercise = nb.cells[3], nb.cells[2]
    assert lessons.is_checked(checked) and not lessons.is_checked(exercise)
    assert checked.execution_count == 3  # its place among the code cells: a fresh run-all
    assert exercise.execution_count is None and exercise.outputs == []
    assert lessons.exercises(nb) == [("9.1", 'add "two" numbers'), ("9.2", "nothing")]
    assert lessons.exercises(lessons.make_lesson(nb)) == lessons.exercises(nb)


@pytest.mark.parametrize("source, message", [
    ("# Exercise 1.1: t\n### BEGIN SOLUTION\nx = 1\n", "without ### END SOLUTION"),
    ("# Exercise 1.1: t\nx = 1\n### END SOLUTION\n", "without ### BEGIN SOLUTION"),
    ("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION\n", "no '# Exercise N.M: title'"),
    ("# Exercise 1.1: t\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "inside another block"),
])
def test_malformed_markers_are_reported(source, message):
    with pytest.raises(lessons.LessonError, match=message):
        lessons.strip_solutions(source)


def test_committed_lessons_are_in_sync_and_clean():
    assert lessons.solution_paths(), "no solution notebooks found"
    assert lessons.verify() == []
    for path in sorted(lessons.repo_root().glob("lessons/*.ipynb")):
        assert lessons.clean_problems(lessons.read(path), path.name) == []


def test_every_exercise_has_a_check_cell():
    for path in lessons.solution_paths():
        sources = [c.source for c in lessons.read(path).cells if c.cell_type == "code"]
        for ex_id, _ in lessons.exercises(lessons.read(path)):
            call = f"gc.checks.ex_{ex_id.replace('.', '_')}("
            assert any(call in s and lessons.NBVAL_MARKER in s for s in sources), (path, ex_id)


# --- a lesson never shows an answer -------------------------------------------------------------

ANSWER = "# Exercise 9.1: double\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"


def _dependent(*sources, tags=None):
    nb = new_notebook()
    nb.cells = [new_code_cell(ANSWER)] + [new_code_cell(s) for s in sources]
    for number, tag in (tags or {}).items():
        nb.cells[number].metadata["tags"] = [tag]
    return sorted(lessons.answer_dependent_cells(nb))


def test_a_cell_using_an_exercise_depends_on_it():
    assert _dependent("print(double(3))", "print(3)") == [0, 1]


def test_answers_flow_through_assignments_functions_and_containers():
    assert _dependent("y = double(2)", "print(y + 1)") == [0, 1, 2]
    assert _dependent("def f(v):\n    return double(v)", "print(f(1))") == [0, 1, 2]
    assert _dependent("log = []", "log.append(double(1))", "print(log)") == [0, 2, 3]
    assert _dependent("net = make()", "train(net, double)", "print(net)") == [0, 2, 3]
    assert _dependent("d = {}", "d['k'] = double(1)", "print(d)") == [0, 2, 3]
    assert _dependent("y = double(2)", "y += 1", "print(y)") == [0, 1, 2, 3]


def test_rebinding_a_name_from_answer_free_values_clears_it():
    assert _dependent("y = double(2)", "y = 5", "print(y)") == [0, 1]
    assert _dependent("import numpy as np\nnp.abs(double(1))", "print(np.pi)") == [0, 1]


def test_unparsable_cells_and_tagged_cells_count_as_dependent():
    assert _dependent("print(3", "print(4)") == [0, 1]
    assert _dependent("print(4)", tags={1: lessons.ANSWER_TAG}) == [0, 1]
    assert _dependent("%matplotlib inline\nprint(4)") == [0]  # magics are left out, not errors


def test_make_lesson_drops_outputs_that_depend_on_an_exercise():
    nb = _solution_notebook()
    nb.cells.append(new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(add(1, 2))", execution_count=7,
                                  outputs=[new_output("stream", name="stdout", text="3\n")]))
    lesson = lessons.make_lesson(lessons.clean_notebook(nb))
    assert lesson.cells[3].outputs  # print(1 + 1) depends on no exercise: kept
    assert lesson.cells[-1].outputs == [] and lesson.cells[-1].execution_count is None


def _stored_outputs(nb):
    """``{cell number: [its printed text and displayed values]}`` for cells with outputs. Printed
    text is joined across outputs: how Jupyter splits one cell's prints depends on timing."""
    found = {}
    for number, cell in enumerate(nb.cells):
        texts, printing = [], False
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                if output.name == "stdout":
                    if printing:
                        texts[-1] += output.text
                    else:
                        texts.append(output.text)
                    printing = True
                continue
            value = output.get("data", {}).get("text/plain")
            if value is not None:
                texts.append(value)
                printing = False
        if texts:
            found[number] = texts
    return found


@pytest.mark.parametrize("path", lessons.solution_paths(), ids=lambda p: p.name)
def test_no_lesson_output_comes_from_a_cell_that_depends_on_an_exercise(path):
    solution = lessons.read(path)
    lesson = lessons.read(lessons.lesson_path(path))
    dependent = lessons.answer_dependent_cells(solution)
    assert not set(_stored_outputs(lesson)) & dependent
    for number in _stored_outputs(lesson):
        assert not lessons.has_solution(solution.cells[number])
        assert not lessons.shows_verdict(lesson.cells[number])


@pytest.mark.parametrize("path", lessons.solution_paths(), ids=lambda p: p.name)
def test_every_lesson_output_is_what_the_untouched_lesson_prints(path, tmp_path):
    """Sound, by execution: run the lesson with its exercises unsolved (every answer raises
    NotImplementedError) and compare. An output that the unsolved lesson reproduces cannot hold
    anything an answer computes."""
    from nbclient import NotebookClient

    stored = _stored_outputs(lessons.read(lessons.lesson_path(path)))
    if not stored:
        pytest.skip("this lesson keeps no outputs")
    copy = tmp_path / path.name
    shutil.copy(lessons.lesson_path(path), copy)
    executed = lessons.read(copy)
    NotebookClient(executed, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(
        env={**os.environ, "GAN_COURSE_PROFILE": "quick"})
    fresh = _stored_outputs(executed)
    for number, texts in stored.items():
        assert fresh.get(number) == texts, (path.name, number)
