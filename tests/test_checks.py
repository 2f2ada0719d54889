"""Each check passes on the solution and fails helpfully on a stub and on typical mistakes."""

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance
import scipy.special
import tensorflow as tf
from keras import layers

import gan_course as gc
from gan_course import checks, theory
from gan_course.checks import core as checking
from gan_course.classroom import lessons


def _solution_functions(name):
    """The functions defined by the exercise cells of ``solutions/<name>``."""
    namespace = {"np": np, "tf": tf, "gc": gc, "theory": theory, "keras": keras, "layers": layers}
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
    ("1.2", [lambda p, q: p / (p + q)], "0 / 0 = nan there"),
    ("1.2", [lambda p, q: np.where(p + q > 0, p / np.where(p + q > 0, p + q, 1), 0.0)],
     "return 1/2 at those points"),
    ("1.3", [lambda p, q, dx: scipy.spatial.distance.jensenshannon(p, q)],
     "Jensen–Shannon *distance*"),
    ("1.3", [lambda p, q, dx: scipy.spatial.distance.jensenshannon(p, q, base=2)],
     "base=2 gives bits"),
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


def solution_and_stub_tests(exercises, solution):
    """A lesson's two tests for every check, for a lesson's test module to bind to test names:
    each check passes on the solution's functions (``exercises``: exercise id -> the names of
    the functions it checks) and says "not attempted" when they are stubs."""
    @pytest.mark.parametrize("ex_id", list(exercises))
    def passes_on_the_solution(ex_id, capsys):
        result = _run(_check(ex_id), *[solution[name] for name in exercises[ex_id]],
                      capsys=capsys)
        assert result.passed, result.line

    @pytest.mark.parametrize("ex_id", list(exercises))
    def says_not_attempted_on_the_stub(ex_id, capsys):
        result = _run(_check(ex_id), *[_stub] * len(exercises[ex_id]), capsys=capsys)
        assert result.status == checking.NOT_ATTEMPTED and "NotImplementedError" in result.line

    return passes_on_the_solution, says_not_attempted_on_the_stub


def test_1_5_accepts_numpy_and_tensorflow_answers(capsys):
    assert _run(checks.ex_1_5, lambda r, f: np.mean(_softplus(-r)) + np.mean(_softplus(f)),
                lambda f: np.mean(_softplus(-f)), capsys=capsys)
    assert _run(checks.ex_1_5, gc.losses.discriminator_loss, gc.losses.generator_loss,
                capsys=capsys)


def test_1_3_accepts_scipys_distance_squared(capsys):
    assert _run(checks.ex_1_3, lambda p, q, dx: scipy.spatial.distance.jensenshannon(p, q) ** 2,
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


# ----------------------------------------------------------------------------------------------
# Lesson 02: an MLP GAN on MNIST


SOLUTION_02 = _solution_functions("02_mlp_gan_mnist.ipynb")
LESSON_02 = {
    "2.1": ["scale_images"],
    "2.2": ["make_generator"],
    "2.3": ["make_discriminator"],
    "2.4": ["train_step"],
}


def _generator(last="tanh", reshape=True, slope=0.2, hidden_act=None, fixed_hidden=None,
               fixed_latent=None, dropout=0.0):
    """make_generator with one typical mistake."""
    def make_generator(latent_dim, hidden=(256, 512)):
        z = keras.Input((fixed_latent or latent_dim,))
        h = z
        for units in fixed_hidden or hidden:
            h = layers.Dense(units, activation=hidden_act)(h)
            if hidden_act is None:
                h = layers.LeakyReLU(slope)(h) if slope else layers.LeakyReLU()(h)
            if dropout:
                h = layers.Dropout(dropout)(h)
        h = layers.Dense(784, activation=last)(h)
        return keras.Model(z, layers.Reshape((28, 28, 1))(h) if reshape else h)
    return make_generator


def _discriminator(last=None, flat_input=False, slope=0.2, hidden_act=None, outputs=1,
                   dropout=0.0):
    """make_discriminator with one typical mistake."""
    def make_discriminator(hidden=(512, 256)):
        x = keras.Input((784,) if flat_input else (28, 28, 1))
        h = x if flat_input else layers.Flatten()(x)
        for units in hidden:
            h = layers.Dense(units, activation=hidden_act)(h)
            if hidden_act is None:
                h = layers.LeakyReLU(slope)(h) if slope else layers.LeakyReLU()(h)
            if dropout:
                h = layers.Dropout(dropout)(h)
        return keras.Model(x, layers.Dense(outputs, activation=last)(h))
    return make_discriminator


def _alternating(first):
    """train_step as Goodfellow et al.'s Algorithm 1: one network updated, then the other."""
    def train_step(real_images, z, generator, discriminator, g_optimizer, d_optimizer):
        order = ["d", "g"] if first == "d" else ["g", "d"]
        for net in order:
            with tf.GradientTape() as tape:
                fake_logits = discriminator(generator(z, training=True), training=True)
                if net == "d":
                    real_logits = discriminator(real_images, training=True)
                    loss = gc.losses.discriminator_loss(real_logits, fake_logits)
                    variables, optimizer = discriminator.trainable_variables, d_optimizer
                else:
                    loss = gc.losses.generator_loss(fake_logits)
                    variables, optimizer = generator.trainable_variables, g_optimizer
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, loss
    return train_step


_NOTEBOOK_Z = tf.constant(np.random.default_rng(9).standard_normal((6, 4)), tf.float32)


def _step(g_loss_fn=gc.losses.generator_loss, g_training=True, d_training=True, g_follows="g",
          d_follows="d", swap_optimizers=False, swap_returned=False, predict=False,
          one_call=False, noise=None):
    """train_step with one typical mistake (or, with one_call, a correct variant)."""
    def train_step(real_images, z, generator, discriminator, g_optimizer, d_optimizer):
        if noise == "own":  # draws its own latents instead of using z
            z = tf.random.normal(tf.shape(z))
        elif noise == "notebook":  # uses latents from the notebook, whatever z it is given
            z = _NOTEBOOK_Z[: tf.shape(z)[0]]
        with tf.GradientTape(persistent=True) as tape:
            fake = (generator.predict(z, verbose=0) if predict
                    else generator(z, training=g_training))
            if one_call:
                both = discriminator(tf.concat([real_images, fake], 0), training=d_training)
                real_logits, fake_logits = tf.split(both, 2)
            else:
                real_logits = discriminator(real_images, training=d_training)
                fake_logits = discriminator(fake, training=d_training)
            loss = {"d": gc.losses.discriminator_loss(real_logits, fake_logits),
                    "g": g_loss_fn(fake_logits)}
        g_grads = tape.gradient(loss[g_follows], generator.trainable_variables)
        d_grads = tape.gradient(loss[d_follows], discriminator.trainable_variables)
        g_opt, d_opt = (d_optimizer, g_optimizer) if swap_optimizers else (g_optimizer,
                                                                            d_optimizer)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        return (loss["g"], loss["d"]) if swap_returned else (loss["d"], loss["g"])
    return train_step


MISTAKES_02 = [
    ("2.1", lambda x: x.astype(np.float32) / 255, "that scales to [0, 1]"),
    ("2.1", lambda x: x / 127.5 - 1, "float64; expected float32"),
    ("2.1", lambda x: (x - 128) / 128, "uint8 arithmetic wraps around"),
    ("2.1", lambda x: x.astype(np.float32) / 127.5, "subtract 1"),
    ("2.1", lambda x: x.astype(np.float32) / 128 - 1, "not 128"),
    ("2.1", lambda x: x.reshape(len(x), -1).astype(np.float32) / 127.5 - 1,
     "returned shape (1, 6), expected (1, 2, 3, 1)"),
    ("2.2", _generator(last="sigmoid"), "must end in tanh"),
    ("2.2", _generator(last=None), "add a tanh"),
    ("2.2", _generator(reshape=False), "flat vectors of shape (6, 784)"),
    ("2.2", _generator(slope=None), "slope 0.3 by default"),
    ("2.2", _generator(hidden_act="relu"), "use LeakyReLU(0.2)"),
    ("2.2", _generator(fixed_hidden=(256, 512)), "map 8 → 256 → 512 → 784; expected 8 → 16 → 32"),
    ("2.2", _generator(fixed_latent=64), "inputs of shape (None, 64); expected (None, 8)"),
    ("2.2", lambda latent_dim, hidden: None, "forget `return keras.Model(...)`"),
    ("2.2", _generator(dropout=0.3), "acts only while training, such as Dropout"),
    ("2.2", _generator(hidden_act="relu"), "ReLU is not wrong in a generator"),
    ("2.2", lambda latent_dim, hidden: "a model", "not a Keras model"),
    ("2.3", _discriminator(last="sigmoid"), "the course's losses take logits"),
    ("2.3", _discriminator(flat_input=True), "flatten inside the model"),
    ("2.3", _discriminator(slope=None), "slope 0.3 by default"),
    ("2.3", _discriminator(hidden_act="relu"), "use LeakyReLU(0.2)"),
    ("2.3", _discriminator(outputs=2), "end with Dense(1)"),
    ("2.3", _discriminator(dropout=0.3), "acts only while training, such as Dropout"),
    ("2.4", _step(g_loss_fn=gc.losses.generator_loss_saturating), "the saturating loss"),
    ("2.4", _step(g_follows="d"), "generator was updated with the gradient of d_loss"),
    ("2.4", _step(d_follows="g"), "discriminator was updated with the gradient of g_loss"),
    ("2.4", _step(g_follows="d", d_follows="g"), "the gradients are swapped"),
    ("2.4", _step(g_training=False), "call the generator with training=True"),
    ("2.4", _step(d_training=False), "call the discriminator (on real and fake images)"),
    ("2.4", _step(g_training=False, d_training=False), "call both networks with training=True"),
    ("2.4", _step(swap_optimizers=True), "each optimizer updates its own network"),
    ("2.4", _step(swap_returned=True), "the losses come back swapped"),
    ("2.4", _step(predict=True), "not generator.predict or .numpy()"),
    ("2.4", _alternating("d"), "Goodfellow et al.'s Algorithm 1"),
    ("2.4", _alternating("g"), "Goodfellow et al.'s Algorithm 1"),
    ("2.4", _step(noise="own"), "it draws its own noise"),
    ("2.4", _step(noise="notebook"), "whatever z it is given"),
]


def test_2_1_accepts_a_tensorflow_answer(capsys):
    assert _run(checks.ex_2_1, lambda x: tf.cast(x, tf.float32) / 127.5 - 1, capsys=capsys)


def test_2_4_accepts_equivalent_steps(capsys):
    """One discriminator call on the concatenated batch, one persistent tape, tf.function."""
    assert _run(checks.ex_2_4, _step(one_call=True), capsys=capsys)
    assert _run(checks.ex_2_4, tf.function(SOLUTION_02["train_step"]), capsys=capsys)


def test_lesson_02_checks_never_raise(capsys):
    assert "got an int" in _run(checks.ex_2_2, 3, capsys=capsys).line
    line = _run(checks.ex_2_4, lambda *args: None, capsys=capsys).line
    assert "neither network changed" in line  # the weights are compared before the losses
    line = _run(checks.ex_2_4, lambda *args: 1 / 0, capsys=capsys).line
    assert "raised ZeroDivisionError: division by zero" in line


# ----------------------------------------------------------------------------------------------
# Lesson 03: DCGAN


SOLUTION_03 = _solution_functions("03_dcgan.ipynb")
LESSON_03 = {
    "3.1": ["generator_block"],
    "3.2": ["make_dcgan_discriminator"],
    "3.3": ["frechet_distance"],
    "3.4": ["checkerboard_energy"],
    "3.5": ["info_loss"],
}


def _g_block(strides=2, padding="same", use_bias=False, batch_norm=True, act="relu", kernel=4,
             relu_first=False, epsilon=1e-3, resize=False, dropout=0.0):
    """generator_block with one typical mistake."""
    def generator_block(x, filters):
        if resize:
            h = layers.Conv2D(filters, 3, padding="same", use_bias=use_bias)(
                layers.UpSampling2D()(x))
        else:
            h = layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding,
                                       use_bias=use_bias)(x)
        if relu_first:
            h = layers.ReLU()(h)
        if batch_norm:
            h = layers.BatchNormalization(epsilon=epsilon)(h)
        if not relu_first and act == "relu":
            h = layers.ReLU()(h)
        elif act == "leaky":
            h = layers.LeakyReLU(0.2)(h)
        return layers.Dropout(dropout)(h) if dropout else h
    return generator_block


def _d_net(strides=2, padding="same", use_bias=True, act="leaky", slope=0.2, pool=None,
           batch_norm=False, kernel=4, last=None, hidden=0, dropout=0.0, widths=(1, 2),
           flat_input=False, outputs=1):
    """make_dcgan_discriminator with one typical mistake."""
    def make_dcgan_discriminator(width=64):
        images = keras.Input((784,) if flat_input else (28, 28, 1))
        h = layers.Reshape((28, 28, 1))(images) if flat_input else images
        for factor in widths:
            h = layers.Conv2D(factor * width, kernel, strides=strides, padding=padding,
                              use_bias=use_bias)(h)
            if batch_norm:
                h = layers.BatchNormalization()(h)
            if act == "leaky":
                h = layers.LeakyReLU(slope)(h) if slope else layers.LeakyReLU()(h)
            elif act == "relu":
                h = layers.ReLU()(h)
            if pool:
                h = (layers.MaxPooling2D if pool == "max" else layers.AveragePooling2D)(2)(h)
            if dropout:
                h = layers.Dropout(dropout)(h)
        h = layers.Flatten()(h)
        if hidden:
            h = layers.LeakyReLU(0.2)(layers.Dense(hidden)(h))
        return keras.Model(images, layers.Dense(outputs, activation=last)(h))
    return make_dcgan_discriminator


def _fd(factor=2, sqrt="eig", rowvar=False, ddof=1, final_sqrt=False, norm=False):
    """frechet_distance with one typical mistake (or, with sqrt="sqrtm", a correct variant)."""
    def frechet_distance(features_a, features_b):
        mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
        s_a = np.cov(features_a, rowvar=rowvar, ddof=ddof)
        s_b = np.cov(features_b, rowvar=rowvar, ddof=ddof)
        if sqrt == "eig":
            tr = np.sqrt(np.clip(np.linalg.eigvals(s_a @ s_b).real, 0, None)).sum()
        elif sqrt == "sqrtm":
            tr = np.trace(scipy.linalg.sqrtm(s_a @ s_b).real)
        elif sqrt == "complex":
            tr = np.trace(scipy.linalg.sqrtm(s_a @ s_b)) + 1e-12j
        elif sqrt == "elementwise":
            tr = np.trace(np.sqrt(s_a @ s_b))
        elif sqrt == "of the trace":
            tr = np.sqrt(np.trace(s_a @ s_b))
        d2 = np.linalg.norm(mu_a - mu_b) if norm else np.sum((mu_a - mu_b) ** 2)
        value = d2 + np.trace(s_a) + np.trace(s_b) - factor * tr
        return np.sqrt(value) if final_sqrt else value
    return frechet_distance


def _energy(patterns=(0, 1, 2), combine="squares", reduce=np.mean, channels=True, batch=False):
    """checkerboard_energy with one typical mistake."""
    def checkerboard_energy(images):
        x = np.asarray(images, np.float64)
        x = x.mean(axis=-1) if channels else np.moveaxis(x, -1, 1)
        i = np.arange(x.shape[-2])[:, None]
        j = np.arange(x.shape[-1])[None, :]
        signs = [(-1.0) ** i, (-1.0) ** j, (-1.0) ** (i + j)]
        amps = [reduce(x * signs[k], axis=(-2, -1)) for k in patterns]
        energy = sum(a ** 2 for a in amps)
        if combine == "abs":
            energy = sum(np.abs(a) for a in amps)
        elif combine == "sqrt":
            energy = np.sqrt(energy)
        return energy.mean() if batch else energy
    return checkerboard_energy


def _polyphase_energy(images):
    """A correct variant: the three amplitudes from the means of the four pixel phases."""
    x = images.mean(axis=-1)
    m = {(p, q): x[:, p::2, q::2].mean(axis=(1, 2)) for p in (0, 1) for q in (0, 1)}
    rows = (m[0, 0] + m[0, 1] - m[1, 0] - m[1, 1]) / 4
    cols = (m[0, 0] - m[0, 1] + m[1, 0] - m[1, 1]) / 4
    checker = (m[0, 0] - m[0, 1] - m[1, 0] + m[1, 1]) / 4
    return rows ** 2 + cols ** 2 + checker ** 2


def _info(half=True, codes="sum", weight=True, batch="mean", sign=1, category="softmax"):
    """info_loss with one typical mistake (or, with the defaults, a NumPy answer)."""
    def info_loss(guesses, category_, continuous, continuous_weight=0.5):
        g = np.asarray(guesses, np.float64)
        n, c = len(g), continuous.shape[1]
        k = g.shape[1] - c
        logits = g[:, :k] if category != "last" else g[:, c:]
        if category == "sigmoid":
            one_hot = np.eye(k)[category_]
            ce = np.mean(np.logaddexp(0, logits) - one_hot * logits, axis=1)
        else:
            log_p = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
            ce = -log_p[np.arange(n), category_]
        squares = (g[:, k:] - continuous) ** 2
        per_sample = squares.mean(axis=1) if codes == "mean" else squares.sum(axis=1)
        gaussian = (0.5 if half else 1.0) * per_sample
        reduce = np.sum if batch == "sum" else np.mean
        total = (reduce(ce) if category else 0.0) + (
            (continuous_weight if weight else 0.5) * reduce(gaussian) if codes else 0.0)
        return sign * total
    return info_loss


MISTAKES_03 = [
    ("3.1", _g_block(strides=1), "with stride 1 the block does not upsample"),
    ("3.1", _g_block(padding="valid"), "(None, 16, 16, 4); expected (None, 14, 14, 4)"),
    ("3.1", _g_block(use_bias=True), "use_bias=False"),
    ("3.1", _g_block(batch_norm=False), "add layers.BatchNormalization() between"),
    ("3.1", _g_block(act="leaky"), "use ReLU: layers.ReLU()"),
    ("3.1", _g_block(act=None), "end the block with layers.ReLU()"),
    ("3.1", _g_block(relu_first=True), "BatchNormalization comes before the ReLU"),
    ("3.1", _g_block(kernel=3), "use a 4 x 4 kernel"),
    ("3.1", _g_block(epsilon=1e-5), "epsilon=1e-3"),
    ("3.1", _g_block(resize=True), "that is the kernel of a Conv2D"),
    ("3.1", lambda x, filters: layers.Conv2D(filters, 4, strides=2, padding="same")(x),
     "Conv2DTranspose with strides=2 grows it"),
    ("3.1", lambda x, filters: layers.ReLU(), "not a Keras tensor"),
    ("3.1", lambda x, filters: None, "returned None"),
    ("3.1", lambda x, filters: SOLUTION_03["generator_block"](keras.Input((7, 7, 6)), filters),
     "do not create a keras.Input inside the block"),
    ("3.1", _g_block(dropout=0.3), "acts only while training, such as Dropout"),
    ("3.2", _d_net(strides=1, pool="max"), "no pooling: DCGAN replaces pooling"),
    ("3.2", _d_net(strides=1, pool="average"), "no pooling: DCGAN replaces pooling"),
    ("3.2", _d_net(act="relu"), "use LeakyReLU(0.2), not ReLU"),
    ("3.2", _d_net(slope=None), "slope 0.3 by default"),
    ("3.2", _d_net(act=None), "follow each convolution with LeakyReLU(0.2)"),
    ("3.2", _d_net(last="sigmoid"), "no sigmoid at the end"),
    ("3.2", _d_net(kernel=3), "the table's counts give k = 4"),
    ("3.2", _d_net(batch_norm=True), "no batch normalization in this discriminator"),
    ("3.2", _d_net(use_bias=False), "keep the convolutions' biases"),
    ("3.2", _d_net(padding="valid"), "padding='same' keeps exactly 14 x 14"),
    ("3.2", _d_net(hidden=16), "no hidden dense layer"),
    ("3.2", _d_net(dropout=0.3), "acts only while training, such as Dropout"),
    ("3.2", _d_net(widths=(2, 1)), "`width` and then `2 * width` filters"),
    ("3.2", _d_net(flat_input=True), "start with keras.Input((28, 28, 1))"),
    ("3.2", _d_net(outputs=2), "end with Flatten and Dense(1)"),
    ("3.2", lambda width: None, "forget `return keras.Model(...)`"),
    ("3.3", _fd(factor=1), "the 2 is missing"),
    ("3.3", _fd(sqrt="elementwise"), "np.sqrt takes the square root of each entry"),
    ("3.3", _fd(sqrt="of the trace"), "not the square root of the trace"),
    ("3.3", _fd(rowvar=True), "np.cov treats rows as variables by default"),
    ("3.3", _fd(rowvar=True, sqrt="sqrtm"), "np.cov treats rows as variables by default"),
    ("3.3", _fd(ddof=0), "divides by N - 1"),
    ("3.3", _fd(final_sqrt=True), "without a final square root"),
    ("3.3", _fd(norm=True), "the mean term is the squared distance"),
    ("3.3", _fd(sqrt="complex"), "take the real part"),
    ("3.3", lambda a, b: None, "forget the `return` statement"),
    ("3.4", _energy(patterns=(2,)), "stripes count too"),
    ("3.4", _energy(patterns=(0, 1)), "add the checkerboard itself"),
    ("3.4", _energy(combine="abs"), "rather than adding absolute values"),
    ("3.4", _energy(combine="sqrt"), "without a square root"),
    ("3.4", _energy(reduce=np.sum), "average over the pixels (np.mean), not sum"),
    ("3.4", _energy(channels=False), "average over the channels too"),
    ("3.4", _energy(batch=True), "not over the whole batch"),
    ("3.4", lambda images: "0.25", "not numbers"),
    ("3.5", _info(half=False), "the 1/2 is missing"),
    ("3.5", _info(codes="mean"), "over the codes of a sample"),
    ("3.5", _info(codes="mean", half=False), "agrees only when there are exactly two codes"),
    ("3.5", _info(weight=False), "multiply the continuous term by continuous_weight"),
    ("3.5", _info(batch="sum"), "average over the batch (mean), do not sum"),
    ("3.5", _info(sign=-1), "mind the sign"),
    ("3.5", _info(category="sigmoid"), "softmax cross-entropy"),
    ("3.5", _info(category="last"), "the category logits are the first K columns"),
    ("3.5", _info(codes=None), "add the continuous codes' term"),
    ("3.5", _info(category=None), "add the category term"),
]


def test_lesson_03_checks_accept_equivalent_answers(capsys):
    """A Sequential-style block, scipy's sqrtm, the polyphase form of the energy, tensors,
    NumPy and Keras forms of the info loss."""
    def sequential_block(x, filters):
        return keras.Sequential([layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                                        use_bias=False),
                                 layers.BatchNormalization(), layers.ReLU()])(x)

    assert _run(checks.ex_3_1, sequential_block, capsys=capsys)
    assert _run(checks.ex_3_2, _d_net(), capsys=capsys)
    assert _run(checks.ex_3_5, _info(), capsys=capsys)

    def keras_info_loss(guesses, category, continuous, continuous_weight=0.5):
        k = guesses.shape[1] - continuous.shape[1]
        ce = keras.losses.sparse_categorical_crossentropy(category, guesses[:, :k],
                                                          from_logits=True)
        codes = keras.ops.sum(keras.ops.square(guesses[:, k:] - continuous), axis=1) / 2
        return keras.ops.mean(ce) + continuous_weight * keras.ops.mean(codes)

    assert _run(checks.ex_3_5, keras_info_loss, capsys=capsys)
    assert _run(checks.ex_3_3, _fd(sqrt="sqrtm"), capsys=capsys)
    assert _run(checks.ex_3_3, lambda a, b: tf.constant(_fd()(a, b)), capsys=capsys)
    assert _run(checks.ex_3_4, _polyphase_energy, capsys=capsys)
    assert _run(checks.ex_3_4, lambda x: SOLUTION_03["checkerboard_energy"](x)[:, None],
                capsys=capsys)


def test_lesson_03_checks_never_raise(capsys):
    assert "got an int" in _run(checks.ex_3_1, 3, capsys=capsys).line
    line = _run(checks.ex_3_2, lambda width: 1 / 0, capsys=capsys).line
    assert "raised ZeroDivisionError: division by zero" in line
    line = _run(checks.ex_3_4, lambda images: images[0, 0, 0, 0] / 0, capsys=capsys).line
    assert line.startswith("❌ Exercise 3.4: ")


# --- every lesson: one table, four properties --------------------------------------------------

LESSONS = {
    "01_gan_loss_math.ipynb": (LESSON_01, SOLUTION_01),
    "02_mlp_gan_mnist.ipynb": (LESSON_02, SOLUTION_02),
    "03_dcgan.ipynb": (LESSON_03, SOLUTION_03),
}
EXERCISES = [(ex_id, names, solution)
             for table, solution in LESSONS.values() for ex_id, names in table.items()]
MISTAKES = MISTAKES_01 + [(ex_id, [function], expected)
                          for ex_id, function, expected in MISTAKES_02 + MISTAKES_03]


@pytest.mark.parametrize("notebook", list(LESSONS))
def test_every_exercise_of_a_lesson_has_a_check(notebook):
    nb = lessons.read(lessons.repo_root() / "solutions" / notebook)
    assert [ex_id for ex_id, _ in lessons.exercises(nb)] == list(LESSONS[notebook][0])


@pytest.mark.parametrize("ex_id, names, solution", EXERCISES, ids=[e[0] for e in EXERCISES])
def test_passes_on_the_solution(ex_id, names, solution, capsys):
    result = _run(_check(ex_id), *[solution[n] for n in names], capsys=capsys)
    assert result.passed and result.line.startswith(f"✅ Exercise {ex_id} passed: ")


@pytest.mark.parametrize("ex_id, names, solution", EXERCISES, ids=[e[0] for e in EXERCISES])
def test_stub_is_not_attempted(ex_id, names, solution, capsys):
    result = _run(_check(ex_id), *[_stub] * len(names), capsys=capsys)
    assert not result and result.status == checking.NOT_ATTEMPTED
    assert result.line.startswith(f"❌ Exercise {ex_id} not attempted yet: ")
    assert "NotImplementedError" in result.line


@pytest.mark.parametrize("notebook", ["02_mlp_gan_mnist.ipynb", "03_dcgan.ipynb"])
def test_model_building_checks_work_in_float32_and_restore_the_policy(notebook, capsys):
    table, solution = LESSONS[notebook]
    keras.mixed_precision.set_global_policy("mixed_float16")  # as setup_device does on a GPU
    try:
        for ex_id, names in table.items():
            assert _run(_check(ex_id), *[solution[n] for n in names], capsys=capsys)
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("ex_id, functions, expected", MISTAKES)
def test_typical_mistake_gets_a_specific_hint(ex_id, functions, expected, capsys):
    result = _run(_check(ex_id), *functions, capsys=capsys)
    assert result.status == checking.FAILED
    assert result.line.startswith(f"❌ Exercise {ex_id}: ") and " Hint: " in result.line
    assert expected in result.line
