"""Lesson 07's checks pass on the solution and fail, with their hint, on stubs and typical mistakes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import gan_course as gc
from gan_course import checks
from gan_course.checks import core as checking
from gan_course.checks.cyclegan_losses import LSGAN_TABLE
from gan_course.checks.lesson07 import FIELD_TABLE
from gan_course.classroom import lessons


def _solution_functions(name):
    namespace = {"np": np, "tf": tf, "gc": gc, "keras": keras, "layers": layers}
    nb = lessons.read(lessons.repo_root() / "solutions" / name)
    for cell in nb.cells:
        if lessons.has_solution(cell):
            exec(cell.source, namespace)  # noqa: S102 - our own notebook's code
    return namespace


SOLUTION = _solution_functions("07_cyclegan.ipynb")


def _run(check, *functions, capsys):
    result = check(*functions)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [result.line], "a check prints exactly one line"
    assert checking.parse_line(lines[0]) == (check.exercise, result.status)
    return result


def _stub(*args):
    raise NotImplementedError("Exercise: not done")


class _StubHistory:
    def __init__(self, size, seed):
        pass

    def query(self, images):
        raise NotImplementedError("Exercise 7.5")


EXERCISES = {
    "7.1": ["instance_norm"],
    "7.2": ["receptive_field"],
    "7.3": ["lsgan_discriminator_loss", "lsgan_generator_loss"],
    "7.4": ["cycle_and_identity_losses"],
    "7.5": ["ImageHistory"],
}


def _check(exercise_id):
    return getattr(checks, "ex_" + exercise_id.replace(".", "_"))


def test_lesson_07_has_five_exercises_each_with_a_check():
    nb = lessons.read(lessons.repo_root() / "solutions" / "07_cyclegan.ipynb")
    assert [ex for ex, _ in lessons.exercises(nb)] == list(EXERCISES)
    assert set(EXERCISES) <= set(checks.all_checks())


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_each_check_passes_on_the_solution(exercise_id, capsys):
    functions = [SOLUTION[name] for name in EXERCISES[exercise_id]]
    result = _run(_check(exercise_id), *functions, capsys=capsys)
    assert result.passed, result.line


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_each_check_says_not_attempted_on_the_stub(exercise_id, capsys):
    stubs = [_StubHistory] if exercise_id == "7.5" else [_stub] * len(EXERCISES[exercise_id])
    result = _run(_check(exercise_id), *stubs, capsys=capsys)
    assert result.status == checking.NOT_ATTEMPTED and "NotImplementedError" in result.line


def _norm(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _field(kernels, strides, own_stride=False):
    field, jump = 1, 1
    for k, s in zip(kernels, strides):
        if own_stride:
            jump *= s
        field += (k - 1) * jump
        if not own_stride:
            jump *= s
    return field


def _cycle(G, F, x, y, l1=True, identity_swapped=False, one_way=False):  # noqa: N803
    err = (lambda a, b: np.mean(np.abs(a - b))) if l1 else (lambda a, b: np.mean((a - b) ** 2))
    cycle = err(F(G(x)), x) + (0 if one_way else err(G(F(y)), y))
    identity = err(G(x), x) + err(F(y), y) if identity_swapped else err(G(y), y) + err(F(x), x)
    return cycle, identity


class _NeverSwaps:
    def __init__(self, size, seed):
        self.size, self.images = size, []

    def query(self, images):
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image)
        return images


class _SwapsWithoutReplacing(_NeverSwaps):
    def __init__(self, size, seed):
        super().__init__(size, seed)
        self.rng = np.random.default_rng(seed)

    def query(self, images):
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() < 0.5:
                out.append(self.images[self.rng.integers(len(self.images))])
            else:
                out.append(image)
        return np.stack(out)


class _AlwaysStores(_SwapsWithoutReplacing):
    def query(self, images):
        out = []
        for image in images:
            if len(self.images) >= self.size and self.rng.random() < 0.5:
                out.append(self.images[self.rng.integers(len(self.images))])
            else:
                out.append(image)
            self.images.append(image)
        return np.stack(out)


def _moments(x, axes=(1, 2), ddof=0):
    return x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True, ddof=ddof)


def _backwards(k, s, extra=0):
    r = 1
    for kk, ss in zip(k[::-1], s[::-1]):
        r = r * ss + kk - 1 + extra
    return r


def _lsgan_g(f):
    return SOLUTION["lsgan_generator_loss"](f)


def _lsgan_d(r, f):
    return SOLUTION["lsgan_discriminator_loss"](r, f)


def _weighted(G, F, x, y, cycle=1, identity=1):  # noqa: N803
    c, i = _cycle(G, F, x, y)
    return cycle * c, identity * i


MISTAKES = [
    ("7.1", [lambda x: _norm(x, (0, 1, 2))], "that is batch norm"),
    ("7.1", [lambda x: _norm(x, (1, 2, 3))], "that is layer norm"),
    ("7.1", [lambda x: _norm(x, (1,))], "its height *and* its width"),
    ("7.1", [lambda x: (x - x.mean(axis=(1, 2), keepdims=True))
             / (x.std(axis=(1, 2), keepdims=True) + 1e-5)], "v / (sqrt(v) + epsilon)^2"),
    ("7.1", [lambda x: (x - x.mean(axis=(1, 2), keepdims=True))
             / np.sqrt(x.var(axis=(1, 2), keepdims=True))], "without epsilon"),
    ("7.1", [lambda x: (x - _moments(x)[0]) / np.sqrt(_moments(x, ddof=1)[1] + 1e-5)], "ddof=1"),
    ("7.1", [lambda x: _norm(x, (1, 2), eps=1e-3)], "the epsilon given"),
    ("7.1", [lambda x: x - x.mean(axis=(1, 2), keepdims=True)], "divide by the spread too"),
    # mistakes no list holds: the check finds which of the lesson's properties breaks
    ("7.1", [lambda x: (x - _moments(x, (0, 1, 2))[0]) / np.sqrt(_moments(x)[1] + 1e-5)],
     "property 1 fails"),
    ("7.1", [lambda x: (x - _moments(x)[0]) / np.sqrt(_moments(x, (1, 2, 3))[1] + 1e-5)],
     "property 2 fails"),
    ("7.1", [lambda x: (x - _moments(x)[0] + 0.1) / np.sqrt(_moments(x)[1] + 1e-5)],
     "property 3 fails"),
    ("7.1", [lambda x: (x - _moments(x)[0]) / np.sqrt(_moments(x)[1] + 1e-4)], "property 4 fails"),
    ("7.1", [lambda x: (x - _moments(x)[0]) / (_moments(x)[1] + 1e-5)], "property 4 fails"),
    ("7.2", [lambda k, s: sum(kk - 1 for kk in k) + 1], "strides widen the view"),
    ("7.2", [lambda k, s: _field(k[::-1], s[::-1])], "the order matters"),
    ("7.2", [lambda k, s: _field(k, s, own_stride=True)], "own stride does not widen"),
    ("7.2", [lambda k, s: _backwards(k, s)], "not 5"),
    ("7.2", [lambda k, s: _backwards(k, s, 1)], "3/1 alone sees 3"),
    ("7.2", [lambda k, s: int(np.prod(k))], "do not multiply"),
    ("7.3", [lambda r, f: np.mean((r - 1) ** 2) + np.mean(f ** 2), _lsgan_g], "halve the sum"),
    ("7.3", [lambda r, f: 0.5 * (np.mean(r ** 2) + np.mean((f - 1) ** 2)), _lsgan_g],
     "not the other way round"),
    ("7.3", [lambda r, f: 0.5 * (np.mean(np.abs(r - 1)) + np.mean(np.abs(f))), _lsgan_g],
     "do not take absolute values"),
    ("7.3", [lambda r, f: 0.5 * ((np.mean(r) - 1) ** 2 + np.mean(f) ** 2), _lsgan_g],
     "then average"),
    ("7.3", [lambda r, f: 0.5 * (np.sum((r - 1) ** 2) + np.sum(f ** 2)), _lsgan_g], "do not sum"),
    ("7.3", [_lsgan_d, lambda f: np.mean(f ** 2)], "wants its fakes scored 1"),
    ("7.3", [_lsgan_d, lambda f: np.mean(np.abs(f - 1))], "square the distance"),
    ("7.3", [_lsgan_d, lambda f: 0.5 * np.mean((f - 1) ** 2)], "no 1/2 for the generator"),
    ("7.3", [_lsgan_d, lambda f: (np.mean(f) - 1) ** 2], "then average"),
    ("7.4", [lambda G, F, x, y: _cycle(G, F, x, y, l1=False)], "*absolute*"),  # noqa: N803
    ("7.4", [lambda G, F, x, y: _cycle(G, F, x, y, one_way=True)], "the other round trip"),  # noqa: N803
    ("7.4", [lambda G, F, x, y: (np.mean(np.abs(G(F(x)) - x)) + np.mean(np.abs(F(G(y)) - y)),  # noqa: N803
                                 0.0)], "G comes first on photos"),
    ("7.4", [lambda G, F, x, y: (np.mean(np.abs(G(G(x)) - x)) + np.mean(np.abs(F(F(y)) - y)),  # noqa: N803
                                 0.0)], "through both generators"),
    ("7.4", [lambda G, F, x, y: _weighted(G, F, x, y, cycle=10)], "multiplies it by 10"),  # noqa: N803
    ("7.4", [lambda G, F, x, y: _weighted(G, F, x, y, identity=5)], "multiplies it by 5"),  # noqa: N803
    ("7.4", [lambda G, F, x, y: _cycle(G, F, x, y, identity_swapped=True)],  # noqa: N803
     "its own *target* domain"),
    ("7.4", [lambda G, F, x, y: (_cycle(G, F, x, y)[0],  # noqa: N803
                                 np.mean(np.abs(F(G(y)) - y)) + np.mean(np.abs(G(F(x)) - x)))],
     "not a round trip"),
    ("7.4", [lambda G, F, x, y: _cycle(G, F, x, y)[0]], "expected two numbers"),  # noqa: N803
    ("7.5", [_NeverSwaps], "about half"),
    ("7.5", [_SwapsWithoutReplacing], "put the new image in its slot"),
    ("7.5", [_AlwaysStores], "store a new image only when"),
]


@pytest.mark.parametrize("exercise_id, functions, hint", MISTAKES)
def test_typical_mistakes_get_their_hint(exercise_id, functions, hint, capsys):
    result = _run(_check(exercise_id), *functions, capsys=capsys)
    assert result.status == checking.FAILED and hint in result.line, result.line


def test_a_history_that_returns_foreign_images_is_told_so(capsys):
    class Noisy(_NeverSwaps):
        def query(self, images):
            return images + np.random.default_rng(0).normal(size=images.shape)

    result = _run(checks.ex_7_5, Noisy, capsys=capsys)
    assert not result.passed and "not among those it was given" in result.line


def _markdown(nb, before):
    """The lesson's text up to the first code cell holding ``before``."""
    text = []
    for cell in nb.cells:
        if before in cell.source:
            return "\n".join(text)
        if cell.cell_type == "markdown":
            text.append(cell.source)
    raise AssertionError(f"no cell holds {before!r}")


def test_the_lesson_prints_the_tables_its_checks_hold_the_answers_to():
    text = lessons.read(lessons.repo_root() / "solutions" / "07_cyclegan.ipynb").cells
    text = "\n".join(c.source for c in text if c.cell_type == "markdown")
    for kernels, strides, field in FIELD_TABLE:
        assert f"| {', '.join(f'{k}/{s}' for k, s in zip(kernels, strides))} | {field} |" in text
    for real, fake, d_loss, g_loss in LSGAN_TABLE:
        def shown(v):
            return f"{v[0]:g}" if len(v) == 1 else "[" + ", ".join(f"{x:g}" for x in v) + "]"
        assert f"| {shown(real)} | {shown(fake)} | {d_loss:g} | {g_loss:g} |" in text


@pytest.mark.parametrize("notebook", ["solutions", "lessons"])
def test_the_text_before_each_check_does_not_print_its_answer(notebook):
    nb = lessons.read(lessons.repo_root() / notebook / "07_cyclegan.ipynb")
    answers = {
        "ex_7_1": ["axis=(1, 2)", "mean_{h,w}", "sqrt(variance + epsilon)"],
        "ex_7_2": ["jump *=", "(kernel - 1) * jump"],
        "ex_7_3": ["0.5 * (tf.reduce_mean", "0.5 * (np.mean", "\\tfrac12\\left", "(D(y) - 1)^2"],
        "ex_7_4": ["F(G(x))", "G(F(y))", "G(y)", "F(x)", "cycle_consistency"],
    }
    for check, shown in answers.items():
        text = _markdown(nb, f"gc.checks.{check}(")
        code = "\n".join(c.source for c in nb.cells[:[c.source for c in nb.cells].index(
            next(c.source for c in nb.cells if f"gc.checks.{check}(" in c.source))]
            if c.cell_type == "code" and "### BEGIN SOLUTION" not in c.source)
        for answer in shown:
            assert answer not in text and answer not in code, (check, answer)
