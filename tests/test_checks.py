"""Each check passes on the solution and fails helpfully on a stub and on typical mistakes."""

import numpy as np
import pytest
import tensorflow as tf

import gan_course as gc
from gan_course import checking, checks, lessons, theory


def _solution_functions(name):
    """The functions defined by the exercise cells of ``solutions/<name>``."""
    namespace = {"np": np, "tf": tf, "gc": gc, "theory": theory}
    nb = lessons.read(lessons.repo_root() / "solutions" / name)
    for cell in nb.cells:
        if lessons.has_solution(cell):
            exec(cell.source, namespace)  # noqa: S102 - our own notebook's code
    return namespace


SOLUTION_01 = _solution_functions("01_gan_loss_math.ipynb")


def _stub(*args):
    raise NotImplementedError("Exercise: not done")


def _run(check, *functions, capsys):
    result = check(*functions)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [result.line], "a check prints exactly one line"
    assert checking.parse_line(lines[0]) == (check.exercise, result.status)
    assert checking.RESULTS[check.exercise] is result
    return result


def _softplus(a):
    return np.logaddexp(0.0, np.asarray(a, np.float64))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


LESSON_01 = {
    "1.1": ["value_function"],
    "1.2": ["optimal_discriminator"],
    "1.3": ["jensen_shannon"],
    "1.4": ["saturating_grad", "nonsaturating_grad"],
    "1.5": ["discriminator_loss", "generator_loss"],
}

MISTAKES_01 = [
    ("1.1", [lambda r, f: -(np.mean(np.log(r)) + np.mean(np.log(1 - f)))], "that is -V"),
    ("1.1", [lambda r, f: np.mean(np.log(r)) + np.mean(np.log(f))], "log(1 - D(G(z))), not log D"),
    ("1.1", [lambda r, f: np.sum(np.log(r)) + np.sum(np.log(1 - f))], "instead of summing"),
    ("1.1", [lambda r, f: np.mean(np.log(r))], "returned -"),
    ("1.1", [lambda r, f: np.log(r)], "returned shape (5,), expected ()"),
    ("1.1", [lambda r, f: np.mean(np.log(r) + np.log(1 - f))], "raised ValueError"),
    ("1.2", [lambda p, q: q / (p + q)], "probability of *fake*"),
    ("1.2", [lambda p, q: p / q], "stays in [0, 1]"),
    ("1.2", [lambda p, q: np.mean(p / (p + q))], "work elementwise"),
    ("1.3", [lambda p, q, dx: 2 * theory.jensen_shannon(p, q, dx)], "factor ½"),
    ("1.3", [lambda p, q, dx: theory.jensen_shannon(p, q, dx) / np.log(2)], "not bits"),
    ("1.3", [lambda p, q, dx: theory.jensen_shannon(p, q, dx) / dx], "multiply it by dx"),
    ("1.3", [lambda p, q, dx: 0.5 * np.sum(p * np.log(p / ((p + q) / 2))) * dx
             + 0.5 * np.sum(q * np.log(q / ((p + q) / 2))) * dx], "0·log 0 = nan"),
    ("1.4", [lambda a: _sigmoid(a) - 1, lambda a: -_sigmoid(a)], "the *other* loss"),
    ("1.4", [lambda a: -1 / (1 - _sigmoid(a)), lambda a: -1 / _sigmoid(a)], "dD/da = D(1 - D)"),
    ("1.4", [lambda a: _sigmoid(a), lambda a: 1 - _sigmoid(a)], "check the sign"),
    ("1.5", [lambda r, f: -np.mean(np.log(_sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f))),
             lambda f: -np.mean(np.log(_sigmoid(f)))], "write the losses with softplus"),
    ("1.5", [lambda r, f: np.mean(_softplus(r)) + np.mean(_softplus(-f)),
             lambda f: np.mean(_softplus(-f))], "real and fake are swapped"),
    ("1.5", [lambda r, f: np.mean(_softplus(-r)) + np.mean(_softplus(f)),
             lambda f: -np.mean(_softplus(f))], "that is the saturating loss"),
    ("1.5", [lambda r, f: np.mean(_softplus(-r)) + np.mean(_softplus(f)),
             lambda f: np.mean(_softplus(f))], "-log D is softplus(-a)"),
]


def _check(ex_id):
    return getattr(checks, f"ex_{ex_id.replace('.', '_')}")


def test_lesson_01_exercises_all_have_checks():
    nb = lessons.read(lessons.repo_root() / "solutions" / "01_gan_loss_math.ipynb")
    assert [ex_id for ex_id, _ in lessons.exercises(nb)] == list(LESSON_01)


@pytest.mark.parametrize("ex_id", list(LESSON_01))
def test_passes_on_the_solution(ex_id, capsys):
    result = _run(_check(ex_id), *[SOLUTION_01[n] for n in LESSON_01[ex_id]], capsys=capsys)
    assert result.passed and result.line.startswith(f"✅ Exercise {ex_id} passed: ")


@pytest.mark.parametrize("ex_id", list(LESSON_01))
def test_stub_is_not_attempted(ex_id, capsys):
    result = _run(_check(ex_id), *[_stub] * len(LESSON_01[ex_id]), capsys=capsys)
    assert not result and result.status == checking.NOT_ATTEMPTED
    assert result.line.startswith(f"❌ Exercise {ex_id} not attempted yet: ")
    assert "NotImplementedError" in result.line


@pytest.mark.parametrize("ex_id, functions, expected", MISTAKES_01)
def test_typical_mistake_gets_a_specific_hint(ex_id, functions, expected, capsys):
    result = _run(_check(ex_id), *functions, capsys=capsys)
    assert result.status == checking.FAILED
    assert result.line.startswith(f"❌ Exercise {ex_id}: ") and " Hint: " in result.line
    assert expected in result.line


def test_1_5_accepts_numpy_and_tensorflow_answers(capsys):
    assert _run(checks.ex_1_5, lambda r, f: np.mean(_softplus(-r)) + np.mean(_softplus(f)),
                lambda f: np.mean(_softplus(-f)), capsys=capsys)
    assert _run(checks.ex_1_5, gc.losses.discriminator_loss, gc.losses.generator_loss,
                capsys=capsys)


def test_checks_never_raise(capsys):
    assert "got an int" in _run(checks.ex_1_1, 3, capsys=capsys).line
    assert "takes 2 function(s)" in _run(checks.ex_1_4, SOLUTION_01["saturating_grad"],
                                         capsys=capsys).line
    assert "returned None" in _run(checks.ex_1_2, lambda p, q: None, capsys=capsys).line
    assert "not numbers" in _run(checks.ex_1_3, lambda p, q, dx: "0.5", capsys=capsys).line
    line = _run(checks.ex_1_1, lambda r, f: 1 / 0, capsys=capsys).line
    assert "raised ZeroDivisionError: division by zero" in line


def test_student_function_gets_copies_of_the_inputs(capsys):
    def mutating(d_real, d_fake):
        value = SOLUTION_01["value_function"](d_real, d_fake)
        d_real[:] = 0.5
        return value

    assert _run(checks.ex_1_1, mutating, capsys=capsys)


def test_parse_line():
    assert checking.parse_line("✅ Exercise 2.3 passed: fine") == ("2.3", checking.PASSED)
    assert checking.parse_line("❌ Exercise 2.3: wrong. Hint: x") == ("2.3", checking.FAILED)
    assert checking.parse_line("  ❌ Exercise 2.3 not attempted yet: go") == (
        "2.3", checking.NOT_ATTEMPTED)
    assert checking.parse_line("❌ Exercise 2.3 passed: fake") is None
    assert checking.parse_line("Exercise 2.3 passed: no mark") is None
