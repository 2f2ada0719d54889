"""Lesson 06's checks pass on the solution and fail helpfully on stubs and typical mistakes."""

import numpy as np
import pytest
import tensorflow as tf

from gan_course import checks
from gan_course.checks import core as checking
from gan_course.checks import lesson06
from gan_course.classroom import lessons
from tests.test_checks import _check, _run, _solution_functions, _stub

NOTEBOOK = "06_neural_style_transfer.ipynb"
SOLUTION = _solution_functions(NOTEBOOK)
EXERCISES = {
    "6.1": ["gram_matrix"],
    "6.2": ["content_loss"],
    "6.3": ["style_loss"],
    "6.4": ["total_variation_loss"],
    "6.5": ["optimization_step"],
}


def _flat(x):
    b, h, w, c = x.shape
    return tf.reshape(x, (b, h * w, c)), h * w


def _gram(transpose="a", scale="positions", keep_batch=True):
    """gram_matrix with one typical mistake."""
    def gram_matrix(x):
        f, positions = _flat(x)
        if not keep_batch:
            f = tf.reshape(f, (-1, f.shape[-1]))
        g = (tf.matmul(f, f, transpose_a=True) if transpose == "a"
             else tf.matmul(f, f, transpose_b=True))
        divisor = {"positions": positions, "none": 1, "elements": positions * x.shape[-1]}[scale]
        return g / float(divisor)
    return gram_matrix


def _weighted_positions(x):
    """A Gram matrix that counts some positions more than others."""
    f, positions = _flat(x)
    weights = tf.cast(tf.linspace(0.5, 1.5, positions), f.dtype)[None, :, None]
    return tf.einsum("bpc,bpd->bcd", f * weights, f) / float(positions)


def _style(weighted=True, reduce=tf.reduce_mean, gram=None):
    """style_loss with one typical mistake."""
    gram = gram or SOLUTION["gram_matrix"]

    def style_loss(features, target_grams, weights):
        terms = [reduce(tf.square(gram(f) - t)) for f, t in zip(features, target_grams)]
        return tf.add_n([w * term for w, term in zip(weights, terms)]) if weighted else \
            tf.add_n(terms)
    return style_loss


def _tv(directions=(1, 2), kind="square", reduce=tf.reduce_mean):
    def total_variation_loss(image):
        total = 0.0
        for axis in directions:
            d = image[:, 1:] - image[:, :-1] if axis == 1 else image[:, :, 1:] - image[:, :, :-1]
            total += reduce(tf.square(d) if kind == "square" else tf.abs(d))
        return total
    return total_variation_loss


def _step(clip=True, sign=1.0, returns="before", in_place=True):
    """optimization_step with one typical mistake."""
    def optimization_step(image, optimizer, loss_fn):
        with tf.GradientTape() as tape:
            loss = sign * loss_fn(image)
        gradient = tape.gradient(loss, image)
        if not in_place:
            return loss_fn(image - 0.1 * gradient)
        optimizer.apply_gradients([(gradient, image)])
        if clip == "rebind":
            image = tf.clip_by_value(image, 0.0, 1.0)  # noqa: F841 - the mistake: only renames
        elif clip:
            image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss_fn(image) if returns == "after" else sign * loss
    return optimization_step


MISTAKES = [
    ("6.1", _gram(transpose="b"), "Which factor needs the transpose"),
    ("6.1", _gram(scale="none"), "divide by the number of positions H*W, so that"),
    ("6.1", _gram(scale="elements"), "not by H*W*C"),
    ("6.1", _gram(keep_batch=False), "keep the batch axis"),
    ("6.1", lambda x: np.einsum("bijc,bijd->bcd", x, x) / (x.shape[1] * x.shape[2]),
     "use TensorFlow operations"),
    ("6.1", lambda x: tf.matmul(*[_flat(x)[0]] * 2), "one C x C matrix per image"),
    ("6.1", lambda x: _gram()(tf.sqrt(tf.abs(x))), "no square root"),
    ("6.1", _weighted_positions, "must forget where"),
    ("6.2", lambda f, p: tf.reduce_sum(tf.square(f - p)), "instead of summing"),
    ("6.2", lambda f, p: 0.5 * tf.reduce_sum(tf.square(f - p)), "instead of summing"),
    ("6.2", lambda f, p: 0.5 * tf.reduce_mean(tf.square(f - p)), "without Gatys' factor ½"),
    ("6.2", lambda f, p: tf.reduce_mean(tf.square(f - p)) + 0.1, "must be 0 when there are none"),
    ("6.2", lambda f, p: tf.reduce_mean(tf.abs(f - p)), "no absolute value"),
    ("6.2", lambda f, p: tf.sqrt(tf.reduce_mean(tf.square(f - p))), "no square root"),
    ("6.2", lambda f, p: np.mean((np.asarray(f) - np.asarray(p)) ** 2),
     "use TensorFlow operations"),
    ("6.3", _style(weighted=False), "multiply each layer's term by its weight, weights[l]"),
    ("6.3", _style(reduce=tf.reduce_sum), "do not sum them"),
    ("6.3", lambda f, t, w: _style()(f, t, w) / sum(w), "do not divide by the sum of the weights"),
    ("6.3", _style(gram=_gram(scale="none")), "fix exercise 6.1 first"),
    ("6.3", lambda f, t, w: tf.add_n([wl * tf.reduce_mean(tf.square(fl - tf.reduce_mean(fl)))
                                      for fl, wl in zip(f, w)]), "compare Gram matrices"),
    ("6.4", _tv(directions=(1,)), "add the horizontal neighbours too"),
    ("6.4", lambda x: tf.reduce_mean(tf.square(x[:, 2:] - x[:, :-2]))
     + tf.reduce_mean(tf.square(x[:, :, 2:] - x[:, :, :-2])), "its next neighbour"),
    ("6.4", lambda x: tf.reduce_mean(tf.square(tf.concat([
        tf.reshape(x[:, 1:] - x[:, :-1], (-1,)), tf.reshape(x[:, :, 1:] - x[:, :, :-1], (-1,))], 0))),
     "two means, one per direction"),
    ("6.4", _tv(directions=(2,)), "add the vertical neighbours too"),
    ("6.4", _tv(kind="abs"), "square the differences instead"),
    ("6.4", _tv(reduce=tf.reduce_sum), "average (a mean) instead of summing"),
    ("6.4", lambda x: tf.image.total_variation(x), "that is tf.image.total_variation"),
    ("6.5", _step(clip=False), "clip the pixels back into [0, 1]"),
    ("6.5", _step(clip="rebind"), "only gives the name to a new tensor"),
    ("6.5", _step(sign=-1.0), "the optimizer minimises"),
    ("6.5", _step(returns="after"), "return the loss computed inside the tape, before"),
    ("6.5", _step(in_place=False), "update the variable itself"),
    ("6.5", lambda image, optimizer, loss_fn: loss_fn(image), "the image has not changed"),
]


def test_every_exercise_has_a_check():
    nb = lessons.read(lessons.repo_root() / "solutions" / NOTEBOOK)
    assert [ex_id for ex_id, _ in lessons.exercises(nb)] == list(EXERCISES)


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_passes_on_the_solution_and_on_the_library(ex_id, capsys):
    names = EXERCISES[ex_id]
    assert _run(_check(ex_id), *[SOLUTION[n] for n in names], capsys=capsys)
    library = lesson06.reference_functions()
    assert _run(_check(ex_id), *[library[n] for n in names], capsys=capsys)


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_stub_is_not_attempted(ex_id, capsys):
    result = _run(_check(ex_id), *[_stub] * len(EXERCISES[ex_id]), capsys=capsys)
    assert result.status == checking.NOT_ATTEMPTED and "NotImplementedError" in result.line


@pytest.mark.parametrize("ex_id, function, expected", MISTAKES)
def test_typical_mistake_gets_a_specific_hint(ex_id, function, expected, capsys):
    result = _run(_check(ex_id), function, capsys=capsys)
    assert result.status == checking.FAILED
    assert result.line.startswith(f"❌ Exercise {ex_id}: ") and " Hint: " in result.line
    assert expected in result.line


def test_equivalent_answers_pass(capsys):
    assert _run(checks.ex_6_1, lambda x: tf.einsum("bijc,bijd->bcd", x, x)
                / tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32), capsys=capsys)
    assert _run(checks.ex_6_2, lambda f, p: tf.keras.losses.MeanSquaredError()(
        tf.reshape(p, (1, -1)), tf.reshape(f, (1, -1))), capsys=capsys)
    assert _run(checks.ex_6_4, lambda x: tf.reduce_mean(tf.square(x[:, 1:] - x[:, :-1]))
                + tf.reduce_mean(tf.square(x[:, :, 1:] - x[:, :, :-1])), capsys=capsys)
    assert _run(checks.ex_6_5, tf.function(SOLUTION["optimization_step"]), capsys=capsys)


def test_checks_never_raise(capsys):
    assert "got an int" in _run(checks.ex_6_1, 3, capsys=capsys).line
    assert "returned None" in _run(checks.ex_6_3, lambda f, t, w: None, capsys=capsys).line
    line = _run(checks.ex_6_4, lambda x: 1 / 0, capsys=capsys).line
    assert "raised ZeroDivisionError: division by zero" in line
