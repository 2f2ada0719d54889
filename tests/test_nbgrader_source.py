"""The solutions marked for nbgrader: answer cells, test cells that raise on a failed check."""

import nbformat

from gan_course import cli
from gan_course.classroom import grading, lessons

ROOT = lessons.repo_root()


def test_lessons_nbgrader_marks_every_solution(tmp_path, capsys):
    assert cli.main(["lessons", "nbgrader", "--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert written == [f"source/{p.stem}/{p.name}" for p in lessons.solution_paths()]
    assert "nbgrader generate_assignment" in capsys.readouterr().out

    name = "01_gan_loss_math.ipynb"
    marked = lessons.read(tmp_path / "source" / "01_gan_loss_math" / name)
    solution = lessons.read(ROOT / "solutions" / name)
    tagged = [(c.metadata["nbgrader"], c.source) for c in marked.cells if "nbgrader" in c.metadata]
    answers = [meta["grade_id"] for meta, _ in tagged if meta["solution"]]
    tests = [(meta["grade_id"], meta["points"], source.splitlines()[-1])
             for meta, source in tagged if meta["grade"]]
    assert answers == ["answer_1_1", "answer_1_2", "answer_1_3", "answer_1_4", "answer_1_5"]
    assert tests[0] == ("check_1_1", 1, "assert gc.checks.ex_1_1(value_function)")
    assert tests[3] == ("check_1_4", 1,
                        "assert gc.checks.ex_1_4(saturating_grad, nonsaturating_grad)")
    assert all(meta["locked"] and not meta["solution"] for meta, _ in tagged if meta["grade"])
    assert all(meta["schema_version"] == 3 for meta, _ in tagged)
    assert grading.check_calls(marked) == grading.check_calls(solution)
    untouched = [(a.source, a.metadata) for a in marked.cells if "nbgrader" not in a.metadata]
    assert untouched == [(s.source, s.metadata) for s in solution.cells
                         if not (lessons.has_solution(s) or grading.check_calls(
                             nbformat.v4.new_notebook(cells=[s])))]
