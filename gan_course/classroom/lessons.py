"""Build the student notebooks in ``lessons/`` from the complete ones in ``solutions/``.

``solutions/NN_name.ipynb`` is the single source of a lesson. In its code cells, each answer sits
between a line ``### BEGIN SOLUTION`` and a line ``### END SOLUTION`` (the nbgrader markers). The
cell names its exercise in a comment line above the block, normally its first line::

    # Exercise 1.2: the optimal discriminator
    def optimal_discriminator(p_data, p_g):
        ### BEGIN SOLUTION
        return p_data / (p_data + p_g)
        ### END SOLUTION

The lesson replaces each block, markers included, by a stub indented like the BEGIN line::

        # YOUR CODE HERE
        raise NotImplementedError("Exercise 1.2: the optimal discriminator")

The nearest ``# Exercise N.M: title`` line above a block names it, so one cell may hold several
blocks (and several exercises). Every other cell and line is copied unchanged.

Notebooks are kept *clean* (see :func:`clean_notebook`): no outputs and no execution counts,
except in cells whose outputs nbval compares (``# NBVAL_CHECK_OUTPUT``), which keep their small
text outputs as the expected ones. A lesson never shows an answer: it drops those outputs too in
cells holding an answer, in check cells (their stored verdict would read "✅ passed" before any
work was done) and in every cell whose result depends on an exercise (see
:func:`answer_dependent_cells`).
"""

import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

from gan_course.checks.core import parse_line
from gan_course.classroom import dataflow

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HEADER_RE = re.compile(r"^\s*#\s*Exercise\s+(?P<id>\d+(?:\.\d+)+)\s*:\s*(?P<title>\S.*?)\s*$")
NBVAL_MARKER = "NBVAL_CHECK_OUTPUT"
NBVAL_TAG = "nbval-check-output"
ANSWER_TAG = "shows-answer"  # a cell tag: this cell's output depends on an exercise, whatever
#                              the name analysis says; its lesson shows no output
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
_VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


class LessonError(ValueError):
    """A solution notebook whose markers cannot be turned into a lesson."""


def repo_root(root=None):
    """The course repository: ``root`` if given, else the folder above the package."""
    if root is not None:
        return Path(root)
    import gan_course

    return Path(gan_course.__file__).resolve().parents[1]


def solution_paths(root=None):
    """Every ``solutions/NN_name.ipynb``, in lesson order."""
    return sorted((repo_root(root) / "solutions").glob(NOTEBOOK_GLOB))


def lesson_path(solution, root=None):
    """Where the lesson built from ``solution`` lives."""
    return repo_root(root) / "lessons" / Path(solution).name


def read(path):
    """A notebook file as an nbformat v4 node."""
    return nbformat.read(str(path), as_version=4)


def dumps(nb):
    """The exact text a notebook is stored as (nbformat's layout, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


# ---------------------------------------------------------------------------------- cells


def has_solution(cell):
    """Whether a cell holds a ``### BEGIN SOLUTION`` block."""
    return cell.cell_type == "code" and any(line.strip() == BEGIN
                                            for line in cell.source.splitlines())


def is_checked(cell):
    """Whether nbval compares this cell's outputs (a ``# NBVAL_CHECK_OUTPUT`` line or tag)."""
    if cell.cell_type != "code":
        return False
    marked = any(line.strip().startswith("#") and line.strip().lstrip("#").strip() == NBVAL_MARKER
                 for line in cell.source.splitlines())
    return marked or NBVAL_TAG in cell.get("metadata", {}).get("tags", [])


def strip_solutions(source, where="cell"):
    """``source`` with each solution block replaced by its stub; raise LessonError if malformed."""
    out, header, inside = [], None, None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        text = line.strip()
        if inside is not None:
            if text == BEGIN:
                raise LessonError(f"{where}, line {number}: {BEGIN} inside another block")
            if text == END:
                indent, (ex_id, title) = inside
                newline = "\n" if line.endswith("\n") else ""
                out.append(f"{indent}# YOUR CODE HERE\n")
                out.append(f'{indent}raise NotImplementedError("Exercise {ex_id}: '
                           f'{_escape(title)}"){newline}')
                inside = None
            continue
        if text == END:
            raise LessonError(f"{where}, line {number}: {END} without {BEGIN}")
        if text == BEGIN:
            if header is None:
                raise LessonError(f"{where}, line {number}: {BEGIN} with no '# Exercise N.M: "
                                  "title' line above it in the cell")
            inside = (line[: len(line) - len(line.lstrip())], header)
            continue
        match = HEADER_RE.match(line)
        if match:
            header = (match["id"], match["title"])
        out.append(line)
    if inside is not None:
        raise LessonError(f"{where}: {BEGIN} without {END}")
    return "".join(out)


def exercises(nb):
    """``[(id, title), ...]`` of a notebook, in order: from the headers of cells with answers
    (solutions) or, when none has an answer (lessons), of every code cell with a header."""
    cells = [c for c in nb.cells if c.cell_type == "code"]
    with_answers = [c for c in cells if has_solution(c)]
    found = {}
    for cell in with_answers or cells:
        for line in cell.source.splitlines():
            match = HEADER_RE.match(line)
            if match:
                found.setdefault(match["id"], match["title"])
    return list(found.items())


def _escape(title):
    return title.replace("\\", "\\\\").replace('"', '\\"')


# ------------------------------------------------------------------------------- notebooks


def clean_notebook(nb):
    """A copy of ``nb`` as it is committed.

    Code cells lose outputs and execution counts, except nbval-compared cells, which keep their
    outputs and get the execution count of a fresh "run all" (their place among the code cells;
    nbval only compares cells that have one). Volatile cell metadata (timings, scroll state) and
    notebook metadata other than the kernel and language name are dropped.
    """
    nb = copy.deepcopy(nb)
    code_number = 0
    for cell in nb.cells:
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        code_number += 1
        if is_checked(cell) and cell.outputs:
            cell.execution_count = code_number
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = code_number
        else:
            cell.execution_count = None
            cell.outputs = []
    meta = {k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata}
    if "language_info" in meta:
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    nb.metadata = nbformat.from_dict(meta)
    return nb


def clean_problems(nb, name="notebook"):
    """What keeps ``nb`` from being clean, one line per cell; empty when it is."""
    cleaned = clean_notebook(nb)
    problems = []
    for number, (cell, want) in enumerate(zip(nb.cells, cleaned.cells)):
        what = [key for key in ("execution_count", "outputs", "metadata")
                if cell.get(key) != want.get(key)]
        if what:
            problems.append(f"{name}: cell {number} is not clean ({', '.join(what)})")
    if nb.metadata != cleaned.metadata:
        problems.append(f"{name}: notebook metadata is not clean")
    return problems


def shows_verdict(cell):
    """Whether a cell's stored output holds a check's ✅/❌ line."""
    return any(parse_line(line) for output in cell.get("outputs", [])
               if output.get("output_type") == "stream" for line in output.text.splitlines())


def answer_dependent_cells(nb):
    """Indices of the code cells whose results depend on an exercise's answer.

    Names are followed through the notebook from top to bottom. Every name an exercise cell
    binds carries its answer. A statement that mentions an answer-carrying name passes the
    answer on to the names it binds and to those it may change in place (see :func:`changed`);
    a statement that mentions none rebinds its targets to answer-free values, unless it follows an
    answer-dependent statement of the same cell (which may raise before it runs). Modules never
    carry an answer. A cell depends on an exercise when one of its statements mentions an
    answer-carrying name, when it holds an answer itself, when it does not parse (nothing can
    be proved about it) or when it carries the ``shows-answer`` tag.
    """
    carrying, modules, dependent = set(), set(), set()
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        statements = dataflow.statements(cell.source)
        if has_solution(cell) or statements is None:
            dependent.add(number)
            for statement in statements or []:
                carrying |= dataflow.bound(statement)
            continue
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
            dependent.add(number)
        stopped = False  # an answer-dependent statement may raise: what follows may not run
        for statement in statements:
            bound = dataflow.bound(statement)
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                modules |= bound
                carrying -= bound
            elif stopped or dataflow.names_read(statement) & carrying:
                dependent.add(number)
                stopped = True
                modules -= bound
                carrying |= (bound | dataflow.changed(statement, carrying)) - modules
            else:
                modules -= bound
                carrying -= bound
    return dependent


def make_lesson(solution, name="solution"):
    """The lesson notebook for a (clean) solution notebook.

    A lesson shows no answer. Cells with answers lose their outputs, and so do check cells (a
    lesson that already showed "✅ passed" under an unsolved exercise would mislead) and every
    cell whose result depends on an exercise (:func:`answer_dependent_cells`). The other
    compared outputs stay, as a picture of what the student should see: they show data,
    shapes and library results that the student's own run reproduces before any exercise is
    done.
    """
    lesson = copy.deepcopy(solution)
    hidden = answer_dependent_cells(solution)
    for number, cell in enumerate(lesson.cells):
        if has_solution(cell):
            cell.source = strip_solutions(cell.source, where=f"{name}, cell {number}")
        if number in hidden or shows_verdict(cell):
            cell.outputs = []
            cell.execution_count = None
    return lesson


# ------------------------------------------------------------------------------- commands


def build(root=None):
    """Clean every solution notebook in place and (re)write its lesson; return the files written."""
    written = []
    for path in solution_paths(root):
        solution = read(path)
        clean = clean_notebook(solution)
        if _write_ifchanged(path, dumps(clean)):
            written.append(path)
        target = lesson_path(path, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if _write_ifchanged(target, dumps(make_lesson(clean, name=f"solutions/{path.name}"))):
            written.append(target)
    return written


def verify(root=None):
    """Differences between ``lessons/`` and what :func:`build` would write; empty = in sync."""
    root = repo_root(root)
    problems = []
    solutions = solution_paths(root)
    if not solutions:
        return [f"no solutions/NN_*.ipynb under {root}: lessons are verified in the course's "
                "repository, not in an installed copy"]
    for path in solutions:
        rel = f"solutions/{path.name}"
        solution = read(path)
        problems += clean_problems(solution, rel)
        problems += [f"{rel}: cell {number} is marked {NBVAL_MARKER} but stores no output to "
                     "compare (run the notebook, save it, then build)"
                     for number, cell in enumerate(solution.cells)
                     if is_checked(cell) and not cell.outputs]
        target = lesson_path(path, root)
        if not target.exists():
            problems.append(f"lessons/{path.name} is missing")
            continue
        try:
            expected = make_lesson(clean_notebook(solution), name=rel)
        except LessonError as err:
            problems.append(str(err))
            continue
        if target.read_text(encoding="utf-8") != dumps(expected):
            problems += _describe_difference(read(target), expected, f"lessons/{path.name}")
    names = {p.name for p in solutions}
    for path in sorted((root / "lessons").glob(NOTEBOOK_GLOB)):
        if path.name not in names:
            problems.append(f"lessons/{path.name} has no solutions/{path.name}")
    return problems


def main_build(root=None):
    """``gan-course lessons build``: print what was written; exit code 0, or 1 on bad markers."""
    try:
        written = build(root)
    except LessonError as err:
        print(f"lessons build: {err}", file=sys.stderr)
        return 1
    base = repo_root(root)
    for path in written:
        print(f"wrote {path.relative_to(base)}")
    print(f"{len(solution_paths(root))} lesson(s) up to date"
          + ("" if written else " (nothing changed)"))
    return 0


def main_verify(root=None):
    """``gan-course lessons verify``: exit code 0 when in sync, 1 (and what differs) otherwise."""
    problems = verify(root)
    for problem in problems:
        print(problem)
    if problems:
        print("lessons are out of sync: run `gan-course lessons build`", file=sys.stderr)
        return 1
    print(f"{len(solution_paths(root))} lesson(s) in sync with solutions")
    return 0


def _write_ifchanged(path, text):
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _describe_difference(actual, expected, name):
    if len(actual.cells) != len(expected.cells):
        return [f"{name}: {len(actual.cells)} cells, expected {len(expected.cells)}"]
    problems = [f"{name}: cell {number} differs from the one built from its solution"
                for number, (a, e) in enumerate(zip(actual.cells, expected.cells)) if a != e]
    if actual.metadata != expected.metadata:
        problems.append(f"{name}: notebook metadata differs")
    return problems or [f"{name}: file layout differs (run `gan-course lessons build`)"]
