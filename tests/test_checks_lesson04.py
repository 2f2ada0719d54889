"""Lesson 04's checks pass on the solution and fail with a hint on stubs and typical mistakes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import gan_course as gc
from gan_course import checks
from gan_course.checks import core as checking
from gan_course.classroom import lessons


def _solution_functions(name):
    namespace = {"np": np, "tf": tf, "gc": gc, "keras": keras}
    nb = lessons.read(lessons.repo_root() / "solutions" / name)
    for cell in nb.cells:
        if lessons.has_solution(cell):
            exec(cell.source, namespace)  # noqa: S102 - our own notebook's code
    return namespace


SOLUTION = _solution_functions("04_wgan_gp.ipynb")


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise: not done")


def _run(check, *functions, capsys):
    keras.utils.set_random_seed(0)  # the answers draw random numbers: the same ones every run
    result = check(*functions)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [result.line], "a check prints exactly one line"
    assert checking.parse_line(lines[0]) == (check.exercise, result.status)
    return result


EXERCISES = {
    "4.1": ["critic_loss", "generator_loss"],
    "4.2": ["gradient_penalty"],
    "4.3": ["critic_updates"],
    "4.4": ["lipschitz_bound"],
}


def _check(ex_id):
    return getattr(checks, f"ex_{ex_id.replace('.', '_')}")


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_check_passes_on_the_solution(ex_id, capsys):
    result = _run(_check(ex_id), *[SOLUTION[name] for name in EXERCISES[ex_id]], capsys=capsys)
    assert result.passed, result.line


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_check_says_not_attempted_on_the_stub(ex_id, capsys):
    result = _run(_check(ex_id), *[_stub] * len(EXERCISES[ex_id]), capsys=capsys)
    assert result.status == checking.NOT_ATTEMPTED and "NotImplementedError" in result.line


def test_the_library_passes_its_own_checks(capsys):
    assert _run(checks.ex_4_1, gc.losses.critic_loss, gc.losses.wasserstein_generator_loss,
                capsys=capsys)
    assert _run(checks.ex_4_2, gc.losses.gradient_penalty, capsys=capsys)


# --- typical mistakes -------------------------------------------------------------------------------

def _softplus(x):
    return tf.math.softplus(x)


MISTAKES_41 = [
    ([lambda r, f: tf.reduce_mean(r) - tf.reduce_mean(f), SOLUTION["generator_loss"]],
     "the Wasserstein estimate the critic maximises"),
    ([lambda r, f: tf.reduce_mean(_softplus(-r)) + tf.reduce_mean(_softplus(f)),
      SOLUTION["generator_loss"]], "no logs and no sigmoid"),
    ([lambda r, f: tf.reduce_sum(f) - tf.reduce_sum(r), SOLUTION["generator_loss"]],
     "do not sum"),
    ([lambda r, f: tf.reduce_mean(f - r), SOLUTION["generator_loss"]], "raised"),
    ([lambda r, f: tf.reduce_mean(f) + tf.reduce_mean(r), SOLUTION["generator_loss"]],
     "subtract the real scores' mean"),
    ([SOLUTION["critic_loss"], lambda f: tf.reduce_mean(f)], "the sign is flipped"),
    ([SOLUTION["critic_loss"], lambda f: tf.reduce_mean(_softplus(-f))], "no logs"),
]


@pytest.mark.parametrize("functions,hint", MISTAKES_41)
def test_4_1_mistakes(functions, hint, capsys):
    result = _run(checks.ex_4_1, *functions, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _penalty(draw_e=None, norm="per_example", square=True, weight=1.0, watch=True,
             mean=True, to_numpy=False, one_sided=False):
    """A gradient penalty with one typical mistake switched on."""

    def gradient_penalty(critic, real, fake):
        shape = tf.shape(real)
        e = draw_e(shape) if draw_e else tf.random.uniform([shape[0], 1, 1, 1])
        x_hat = e * real + (1.0 - e) * fake
        with tf.GradientTape() as tape:
            if watch:
                tape.watch(x_hat)
            scores = critic(x_hat, training=True)
        grads = tape.gradient(scores, x_hat)
        if norm == "per_example":
            norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        elif norm == "batch":
            norms = tf.norm(grads)
        else:  # the last axis only
            norms = tf.norm(grads, axis=-1)
        gap = norms - 1.0
        if one_sided:
            gap = tf.maximum(gap, 0.0)
        value = tf.square(gap) if square else gap
        value = weight * (tf.reduce_mean(value) if mean else tf.reduce_sum(value))
        return value.numpy() if to_numpy else value

    return gradient_penalty


MISTAKES_42 = [
    (_penalty(draw_e=lambda s: tf.random.normal([s[0], 1, 1, 1])), "normal distribution"),
    (_penalty(draw_e=lambda s: tf.random.uniform(s)), "drawn per pixel"),
    (_penalty(draw_e=lambda s: tf.fill([s[0], 1, 1, 1], tf.random.uniform([]))),
     "not one e for the whole batch"),
    (_penalty(draw_e=lambda s: tf.random.uniform([s[0], 1])), "(batch, 1, 1, 1)"),
    (_penalty(norm="batch"), "norm per example"),
    (_penalty(norm="last"), "not only the last one"),
    (_penalty(square=False), "square the distance from 1"),
    (_penalty(one_sided=True), "one-sided penalty"),
    (_penalty(weight=10.0), "without the weight 10"),
    (_penalty(mean=False), "do not sum"),
    (_penalty(watch=False), "tape.watch(x_hat)"),
    (_penalty(to_numpy=True), "TensorFlow"),
]


@pytest.mark.parametrize("function,hint", MISTAKES_42)
def test_4_2_mistakes(function, hint, capsys):
    result = _run(checks.ex_4_2, function, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _loop(same_real=False, same_z=False, penalty_outside=False, sign=1.0, weight=10.0,
          train_generator=False, single_update=False, generator_training=True):
    """A critic loop with one typical mistake switched on."""

    def critic_updates(real_batches, latents, generator, critic, optimizer, penalty,
                       gp_weight=10.0):
        variables = critic.trainable_variables + (
            generator.trainable_variables if train_generator else [])
        out, total = [], None
        for real, z in zip(real_batches, latents):
            real = real_batches[0] if same_real else real
            z = latents[0] if same_z else z
            fake = generator(z, training=True) if generator_training else generator(z)
            outside = penalty(critic, real, fake) if penalty_outside else None
            with tf.GradientTape() as tape:
                if train_generator:  # fakes made in the tape: the generator gets a gradient too
                    fake = generator(z, training=True)
                gap = sign * (tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real)))
                loss = gap + weight * (outside if penalty_outside else penalty(critic, real, fake))
            grads = tape.gradient(loss, variables)
            out.append(loss)
            if single_update:
                total = grads if total is None else [a + b for a, b in zip(total, grads)]
                continue
            pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
            optimizer.apply_gradients(pairs)
        if single_update:
            optimizer.apply_gradients(zip([g / len(real_batches) for g in total], variables))
        return out

    return critic_updates


MISTAKES_43 = [
    (_loop(same_real=True), "its own real batch"),
    (_loop(same_z=True), "fresh fakes"),
    (_loop(penalty_outside=True), "inside the critic's tape"),
    (_loop(sign=-1.0), "sign of the Wasserstein part is flipped"),
    (_loop(weight=1.0), "multiply the penalty by gp_weight"),
    (_loop(weight=0.0), "add gp_weight * penalty"),
    (_loop(single_update=True), "not one update with the average"),
    (_loop(train_generator=True), "updates only the critic"),
    (_loop(generator_training=False), "call the generator with training=True"),
    (lambda *args: None if SOLUTION["critic_updates"](*args) else None, "returned None"),
]


@pytest.mark.parametrize("function,hint", MISTAKES_43)
def test_4_3_mistakes(function, hint, capsys):
    result = _run(checks.ex_4_3, function, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def _bound(factor=lambda c, i, o: c * np.sqrt(i * o), combine=np.prod, leak=1.0, extra=1.0):
    """A Lipschitz bound with one typical mistake switched on."""

    def lipschitz_bound(network, c):
        dense = [layer for layer in network.layers if isinstance(layer, keras.layers.Dense)]
        leaky = sum(isinstance(layer, keras.layers.LeakyReLU) for layer in network.layers)
        factors = [factor(c, *layer.kernel.shape) for layer in dense]
        return float(combine(factors)) * leak ** leaky * extra

    return lipschitz_bound


MISTAKES_44 = [
    (_bound(lambda c, i, o: c * i * o), "adds up the sizes"),
    (_bound(lambda c, i, o: c * i), "c * n_in bounds how much one output"),
    (_bound(lambda c, i, o: c * o), "c * n_out is a bound for another norm"),
    (_bound(lambda c, i, o: c * np.sqrt(i + o)), "multiply n_in and n_out under the square"),
    (_bound(lambda c, i, o: c * np.sqrt(max(i, o))), "sqrt(max(n_in, n_out)) is too small"),
    (_bound(lambda c, i, o: c * np.sqrt((i + 1) * o)), "leave the bias out"),
    (_bound(lambda c, i, o: c), "c alone is the largest single weight"),
    (_bound(lambda c, i, o: np.sqrt(i * o)), "its own factor c"),
    (_bound(combine=np.sum), "multiply the layers' bounds, do not add them"),
    (lambda net, c: _bound()(net, c) * c, "one factor c per dense layer, not one more"),
    (_bound(leak=0.2), "LeakyReLU(0.2) has slope 1"),
    (_bound(extra=2.0), "lipschitz_bound(network, 0.1)"),
    (lambda net, c: "large", "lipschitz_bound"),
]


@pytest.mark.parametrize("function,hint", MISTAKES_44)
def test_4_4_mistakes(function, hint, capsys):
    result = _run(checks.ex_4_4, function, capsys=capsys)
    assert not result.passed and hint in result.line, result.line


def test_4_4_bound_is_reached_by_the_all_c_critic():
    from gan_course.checks import clipping

    _, network, c = clipping._networks()[1]
    shapes = clipping._shapes(network)
    assert shapes == [(2, 16), (16, 8), (8, 1)]
    assert clipping._all_c_slope(network, c) == pytest.approx(clipping._bound(shapes, c), rel=1e-4)
