"""Lesson 05's checks pass on the solution and fail with a specific hint on stubs and mistakes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import gan_course as gc
from gan_course import checks
from gan_course.checks import core as checking
from gan_course.classroom import lessons

NOTEBOOK = "05_conditional_gan.ipynb"


def _solution_functions():
    namespace = {"np": np, "tf": tf, "gc": gc, "keras": keras, "layers": layers}
    for cell in lessons.read(lessons.repo_root() / "solutions" / NOTEBOOK).cells:
        if lessons.has_solution(cell):
            exec(cell.source, namespace)  # noqa: S102 - our own notebook's code
    return namespace


SOLUTION = _solution_functions()
EXERCISES = {"5.1": "one_hot", "5.2": "generator_input", "5.3": "projection_logit",
             "5.4": "train_step"}


def _check(ex_id):
    return getattr(checks, "ex_" + ex_id.replace(".", "_"))


def _run(ex_id, function, capsys):
    result = _check(ex_id)(function)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [result.line], "a check prints exactly one line"
    assert checking.parse_line(lines[0]) == (ex_id, result.status)
    return result


def _stub(*args):
    raise NotImplementedError("Exercise: not done")


def test_every_exercise_of_the_lesson_has_a_check():
    found = [ex_id for ex_id, _ in lessons.exercises(
        lessons.read(lessons.repo_root() / "solutions" / NOTEBOOK))]
    assert found == list(EXERCISES)


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_passes_on_the_solution(ex_id, capsys):
    result = _run(ex_id, SOLUTION[EXERCISES[ex_id]], capsys)
    assert result, result.line
    assert result.line.startswith(f"✅ Exercise {ex_id} passed: ")


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_stub_is_not_attempted(ex_id, capsys):
    result = _run(ex_id, _stub, capsys)
    assert result.status == checking.NOT_ATTEMPTED and "NotImplementedError" in result.line


def test_model_checks_work_under_mixed_precision_and_restore_the_policy(capsys):
    keras.mixed_precision.set_global_policy("mixed_float16")  # as setup_device does on a GPU
    try:
        for ex_id in ("5.2", "5.4"):
            assert _run(ex_id, SOLUTION[EXERCISES[ex_id]], capsys)
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _one_hot_encoding(labels, classes):
    return layers.CategoryEncoding(classes, output_mode="one_hot")(labels)


def _step(draw="fake", score_fakes="fake", score_real="real", swap_losses=False,
          generator_training=True):
    """The solution's step with the labels put in the wrong places, or the generator called
    in inference mode (typical mistakes)."""
    def train_step(real_images, real_labels, z, fake_labels, generator, discriminator,
                   g_optimizer, d_optimizer):
        labels = {"real": real_labels, "fake": fake_labels}
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = (generator([z, labels[draw]], training=True) if generator_training
                           else generator([z, labels[draw]]))
            real_logits = discriminator([real_images, labels[score_real]], training=True)
            fake_logits = discriminator([fake_images, labels[score_fakes]], training=True)
            d_loss = gc.losses.discriminator_loss(real_logits, fake_logits)
            g_loss = gc.losses.generator_loss(fake_logits)
        for tape, loss, net, opt in ((d_tape, d_loss, discriminator, d_optimizer),
                                     (g_tape, g_loss, generator, g_optimizer)):
            opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables),
                                    net.trainable_variables))
        return (g_loss, d_loss) if swap_losses else (d_loss, g_loss)
    return train_step


def _unconditional_call(real_images, real_labels, z, fake_labels, generator, *rest):
    return generator(z, training=True)


MISTAKES = [
    ("5.1", lambda labels, classes: np.eye(classes)[labels], "as float32"),
    ("5.1", lambda labels, classes: np.eye(classes, dtype=np.float32)[labels].T, "transposed"),
    ("5.1", lambda labels, classes: np.eye(labels.max() + 1, dtype=np.float32)[labels],
     "not labels.max() + 1"),
    ("5.1", lambda labels, classes: np.eye(classes, dtype=np.float32)[labels - 1],
     "classes count from 0"),
    ("5.1", lambda labels, classes: labels.astype(np.float32), "one column per class"),
    ("5.1", lambda labels, classes: 1 - np.eye(classes, dtype=np.float32)[labels], "the opposite"),
    ("5.1", lambda labels, classes: 2 * np.eye(classes, dtype=np.float32)[labels],
     "a single 1 in each row"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [layers.Embedding(classes, dim)(labels), z]), "z comes first"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [z, _one_hot_encoding(labels, classes)]), "that joins a one-hot vector"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [z, layers.Reshape((1,))(keras.ops.cast(labels, "float32"))]), "not 'more' than"),
    ("5.2", lambda z, labels, classes, dim: z, "the label is missing"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [z, layers.Dense(dim)(_one_hot_encoding(labels, classes))]), "a dense layer with a bias"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [z, layers.Embedding(classes + 1, dim)(labels)]), "one learnt row of embed_dim"),
    ("5.2", lambda z, labels, classes, dim: layers.Concatenate()(
        [z, layers.Embedding(classes, dim)(layers.Reshape((1,))(labels))]), "extra axis"),
    ("5.3", lambda f, psi, e: keras.ops.sum(e * f, axis=1, keepdims=True),
     "add the unconditional logit"),
    ("5.3", lambda f, psi, e: psi, "add the dot product"),
    ("5.3", lambda f, psi, e: psi + keras.ops.sum(e * f, axis=1), "keepdims=True"),
    ("5.3", lambda f, psi, e: psi + f @ e.T, "every example with every other"),
    ("5.3", lambda f, psi, e: psi + keras.ops.mean(e * f, axis=1, keepdims=True),
     "sums the products"),
    ("5.3", lambda f, psi, e: psi * keras.ops.sum(e * f, axis=1, keepdims=True),
     "is a sum: add the two terms"),
    ("5.3", lambda f, psi, e: psi - keras.ops.sum(e * f, axis=1, keepdims=True), "the sign"),
    ("5.3", lambda f, psi, e: e * f, "sum the products over the features"),
    ("5.4", _step(score_fakes="real"), "scored with real_labels"),
    ("5.4", _step(draw="real"), "the generator drew for real_labels"),
    ("5.4", _step(draw="real", score_fakes="real"), "drawn and scored for real_labels"),
    ("5.4", _step(score_real="fake"), "real images go with their own labels"),
    ("5.4", _step(score_real="fake", score_fakes="real"), "the labels were swapped"),
    ("5.4", _step(swap_losses=True), "swapped: return d_loss, g_loss"),
    ("5.4", _unconditional_call, "take a list of two inputs"),
    ("5.4", _step(generator_training=False), "call the generator with training=True"),
]


@pytest.mark.parametrize("ex_id, function, expected", MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_typical_mistake_gets_a_specific_hint(ex_id, function, expected, capsys):
    result = _run(ex_id, function, capsys)
    assert result.status == checking.FAILED
    assert expected in result.hint, result.line


def test_the_conditional_step_may_score_real_and_fake_in_one_call(capsys):
    def train_step(real_images, real_labels, z, fake_labels, generator, discriminator,
                   g_optimizer, d_optimizer):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator([z, fake_labels], training=True)
            logits = discriminator([tf.concat([real_images, fake_images], 0),
                                    tf.concat([real_labels, fake_labels], 0)], training=True)
            real_logits, fake_logits = tf.split(logits, 2)
            d_loss = gc.losses.discriminator_loss(real_logits, fake_logits)
            g_loss = gc.losses.generator_loss(fake_logits)
        d_optimizer.apply(d_tape.gradient(d_loss, discriminator.trainable_variables),
                          discriminator.trainable_variables)
        g_optimizer.apply(g_tape.gradient(g_loss, generator.trainable_variables),
                          generator.trainable_variables)
        return d_loss, g_loss

    assert _run("5.4", train_step, capsys)


def test_one_hot_through_a_bias_free_dense_layer_is_an_embedding_and_passes(capsys):
    def generator_input(z, labels, classes, embed_dim):
        table = layers.Dense(embed_dim, use_bias=False)(_one_hot_encoding(labels, classes))
        return layers.Concatenate()([z, table])

    assert _run("5.2", generator_input, capsys)
