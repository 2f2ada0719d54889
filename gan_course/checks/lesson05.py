"""Checks for lesson 05, the conditional GAN: exercises 5.1 to 5.4."""

import numpy as np

from gan_course import losses
from gan_course.checks.core import (
    Mismatch,
    article,
    as_numbers,
    call,
    exercise,
    expect,
    one_line,
    seeded,
)
from gan_course.checks.networks import Float32Policy as _Float32Policy

# --- 5.1 one-hot labels --------------------------------------------------------------------------

_ONE_HOT = ("go back to the properties: one row per label and `classes` columns, a single 1 in "
            "each row, at the label's own position counting from 0, zeros elsewhere, float32.")


def _one_hot_shape_hint(shape, labels, classes):
    if shape == (len(labels),):
        return "return one row per label and one column per class, not the labels."
    if shape == (classes, len(labels)):
        return ("that is transposed: rows are the examples, columns the classes, shape "
                "(len(labels), classes).")
    if shape == (len(labels), labels.max() + 1):
        return ("use `classes` columns, not labels.max() + 1: a batch need not hold every class, "
                "and the network always expects the same width.")
    return f"return shape (len(labels), classes) = {(len(labels), classes)}."


@exercise("5.1", hint=_ONE_HOT)
def ex_5_1(one_hot):
    cases = [(np.array([3, 0, 9, 3, 7]), 10), (seeded(1).integers(0, 4, 9), 6),
             (np.array([1]), 2)]
    for labels, classes in cases:
        what = f"one_hot(labels, {classes}) for labels {labels.tolist()}"
        got = call(one_hot, labels, classes)
        expected = np.eye(classes)[labels]
        shape = np.shape(got)
        if shape != expected.shape:
            raise Mismatch(f"{what} returned shape {shape}; expected {expected.shape}.",
                           _one_hot_shape_hint(shape, labels, classes))
        values = as_numbers(got, what)
        if not np.isin(values, (0.0, 1.0)).all() or not (values.sum(axis=1) == 1).all():
            opposite = np.allclose(values, 1 - expected)
            raise Mismatch(f"{what} has rows that are not a single 1 among zeros.",
                           "that is the opposite: a 1 in the label's column, 0 elsewhere."
                           if opposite else _ONE_HOT)
        shifted = np.zeros_like(expected)
        shifted[np.arange(len(labels)), (labels - 1) % classes] = 1
        expect(values, expected, what=what, hint=_ONE_HOT, mistakes=[
            (shifted, "classes count from 0: label 3 puts its 1 in column 3 (the fourth).")])
        dtype = np.asarray(got).dtype
        if dtype != np.float32:
            raise Mismatch(f"{what} gave the right values as {dtype}; expected float32.",
                           "a network multiplies the one-hot vector with float32 weights: build "
                           "it as float32 (dtype=np.float32).")
    table = seeded(2).normal(size=(10, 3))
    labels = np.array([3, 0, 9, 3, 7])
    picked = np.asarray(call(one_hot, labels, 10), np.float64) @ table
    distances = np.linalg.norm(np.asarray(call(one_hot, np.arange(10), 10), np.float64)[:, None]
                               - np.eye(10)[None], axis=-1)
    assert np.allclose(picked, table[labels]) and np.allclose(distances[~np.eye(10, dtype=bool)],
                                                              np.sqrt(2))
    return ("one_hot turns labels into float32 rows with a single 1 at the label's position, for "
            "10, 6 and 2 classes, including batches that miss some classes; one_hot(y) @ W picks "
            "row y of W, and every two classes are √2 apart.")


# --- 5.2 the conditional generator's input -------------------------------------------------------

_GENERATOR_INPUT = ("go back to the table: the output's width is latent_dim + embed_dim and the "
                    "weights number classes x embed_dim, one learnt row of embed_dim numbers per "
                    "class and nothing else; z comes first, unchanged.")


_EXTRA_AXIS = ("the embedding came out with an extra axis, (None, 1, embed_dim): give the labels "
               "to layers.Embedding as they are, shape (None,), or Flatten its output.")


def _input_model(generator_input, latent_dim, classes, embed_dim):
    import keras

    name = getattr(generator_input, "__name__", "your function")
    made_by = f"{name}(z, labels, {classes}, {embed_dim}) with z of shape (None, {latent_dim})"
    with _Float32Policy():
        z = keras.Input((latent_dim,), name="z")
        labels = keras.Input((), dtype="int32", name="label")
        try:
            out = call(generator_input, z, labels, classes, embed_dim)
        except Mismatch as err:
            if "matching shapes" not in err.problem:
                raise
            raise Mismatch(err.problem, _EXTRA_AXIS) from None
        if out is None:
            raise Mismatch(f"{made_by} returned None.", "return the joined tensor.")
        if not isinstance(out, keras.KerasTensor):
            raise Mismatch(f"{made_by} returned {article(type(out).__name__)}, not a Keras "
                           "tensor.", "z and labels are symbolic: only Keras layers can act on "
                           "them. Apply layers to z and labels and return the last tensor.")
        try:
            model = keras.Model([z, labels], out)
        except Exception as err:  # noqa: BLE001 - a tensor not computed from the inputs
            raise Mismatch(f"the tensor returned by {made_by} is not computed from z and labels "
                           f"({type(err).__name__}: {one_line(err)}).",
                           "use the arguments z and labels; do not create a keras.Input inside "
                           "the function.") from None
    return model, made_by


@exercise("5.2", hint=_GENERATOR_INPUT)
def ex_5_2(generator_input):
    for seed, (latent_dim, classes, embed_dim) in enumerate([(6, 10, 4), (5, 3, 5)]):
        model, made_by = _input_model(generator_input, latent_dim, classes, embed_dim)
        want = (None, latent_dim + embed_dim)
        got = tuple(model.output_shape)
        if got != want:
            width = got[-1] if len(got) == 2 else None
            if len(got) == 3:
                hint = _EXTRA_AXIS
            elif width == latent_dim:
                hint = ("the label is missing (or added to z): concatenate its embedding to z, "
                        "so that the generator sees noise and label side by side.")
            elif width == latent_dim + classes:
                hint = ("that joins a one-hot vector, `classes` numbers wide and without "
                        "weights; the table asks for embed_dim numbers per label and "
                        "classes x embed_dim weights: a learnt row of embed_dim numbers per "
                        "class.")
            elif width == latent_dim + 1:
                hint = ("the label joined z as a number: class 7 is not 'more' than class 3. "
                        "Give each class its own learnt row of embed_dim numbers instead.")
            else:
                hint = _GENERATOR_INPUT
            raise Mismatch(f"{made_by} gives shape {got}; expected {want}.", hint)
        shapes = [tuple(w.shape) for w in model.get_weights()]
        if shapes != [(classes, embed_dim)]:
            count = int(sum(np.prod(s) for s in shapes))
            problem = (f"{made_by} holds {count} weights, of shapes {shapes}; the table asks "
                       f"for {classes * embed_dim}, one table of shape {(classes, embed_dim)}.")
            if sorted(shapes) == sorted([(classes, embed_dim), (embed_dim,)]):
                raise Mismatch(problem, "that is a dense layer with a bias on the one-hot "
                               "vector: the bias adds the same numbers to every class's row, "
                               "which the rows can learn themselves; the table has no room for "
                               "it (use_bias=False, or an embedding).")
            raise Mismatch(problem, "one learnt row of embed_dim numbers per class, and no "
                           "other layer with weights.")
        rng = seeded(seed)
        table = rng.normal(0.0, 1.0, (classes, embed_dim)).astype(np.float32)
        model.set_weights([table])
        z = rng.standard_normal((7, latent_dim)).astype(np.float32)
        labels = rng.integers(0, classes, 7).astype(np.int32)
        out = np.asarray(model([z, labels]), np.float64)
        expected = np.concatenate([z, table[labels]], axis=1)
        mistakes = [(np.concatenate([table[labels], z], axis=1),
                     "z comes first, then the embedding: the first latent_dim outputs must be "
                     "z unchanged, the order of gc.models.cgan.build_generator, so that its "
                     "weights fit yours.")]
        expect(out, expected, what=f"the output of {made_by}", mistakes=mistakes,
               hint=_GENERATOR_INPUT, rtol=1e-5, atol=1e-6)
    return ("generator_input joins z and a learnt embedding of the label, [z | table[label]], "
            "for 10 classes in 4 numbers (40 weights) and 3 classes in 5 (15 weights).")


# --- 5.3 the projection discriminator's output ---------------------------------------------------

_PROJECTION = ("substitute the two softmaxes into log p_data(y|x) / p_g(y|x): the part that depends "
               "on y is a dot product of one vector per class with φ(x), the normalisers depend on "
               "x alone and belong to ψ. Add the two, one logit per example, shape (N, 1).")


def _log_softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def _projection_case(seed, n, features_dim, classes=4):
    """Two softmax classifiers on the same features and a known log p_data(x) / p_g(x): the
    optimal logit computed from them directly, and what the network would have learnt."""
    rng = seeded(seed)
    phi = rng.normal(0.0, 1.0, (n, features_dim))
    v_data, v_g = rng.normal(0.0, 0.7, (2, classes, features_dim))
    labels = rng.integers(0, classes, n)
    marginal = rng.normal(0.0, 1.0, (n, 1))  # log p_data(x) / p_g(x)
    rows = np.arange(n)
    log_data, log_g = _log_softmax(phi @ v_data.T), _log_softmax(phi @ v_g.T)
    optimal = (log_data[rows, labels] - log_g[rows, labels])[:, None] + marginal
    embedded = v_data[labels] - v_g[labels]  # e_y
    # psi(phi(x)): everything that depends on x alone, the marginal ratio and the normalisers
    psi = optimal - (embedded * phi).sum(axis=1, keepdims=True)
    return phi, psi, embedded, optimal


@exercise("5.3", hint=_PROJECTION)
def ex_5_3(projection_logit):
    for seed, (n, features_dim) in enumerate([(6, 5), (4, 8)]):
        phi, psi, embedded, expected = _projection_case(seed, n, features_dim)
        phi, psi, embedded = (a.astype(np.float32) for a in (phi, psi, embedded))
        what = (f"projection_logit(features, unconditional_logit, label_embedding) for {n} "
                f"examples of {features_dim} features")
        got = as_numbers(call(projection_logit, phi, psi, embedded), what)
        dots = (embedded.astype(np.float64) * phi).sum(axis=1, keepdims=True)
        if got.shape != expected.shape:
            if got.shape == (n,):
                hint = ("keep one logit per example as a column, shape (N, 1), like the "
                        "unconditional logit.")
            elif got.shape == (n, n) and np.allclose(got, psi + dots.T, rtol=1e-4, atol=1e-5):
                hint = ("the sum lost its axis, shape (N,), and adding it to the (N, 1) "
                        "unconditional logit broadcast to (N, N): sum with keepdims=True.")
            elif got.shape == (n, n):
                hint = ("that multiplies every example with every other: the dot product pairs "
                        "each example's embedding with its own features, an elementwise "
                        "product summed over axis 1.")
            elif got.shape in ((features_dim,), (1, features_dim), (n, features_dim)):
                hint = "sum the products over the features (axis=1) to get one number each."
            else:
                hint = _PROJECTION
            raise Mismatch(f"{what} returned shape {got.shape}; expected {expected.shape}.", hint)
        what = (f"{what} (the optimal logit log p_data(x, y) / p_g(x, y), computed from two "
                "softmax classifiers)")
        expect(got, expected, what=what, rtol=1e-4, atol=1e-5, hint=_PROJECTION, mistakes=[
            (dots, ("add the unconditional logit: it carries log p_data(x) / p_g(x) and the two "
                    "softmax normalisers, everything that depends on x alone.")),
            (psi, "add the dot product of the label embedding with the features: the part of "
                  "the log-ratio that depends on y."),
            (psi - dots, ("the sign: e_y stands for v_data_y - v_g_y, and the data's classifier "
                          "enters the log-ratio with a plus.")),
            (psi * dots, "the logarithm of a product of ratios is a sum: add the two terms."),
            (psi + dots / features_dim, ("a dot product sums the products (keras.ops.sum), "
                                         "it does not average them.")),
            (psi + dots.sum(), "sum over the features of each example (axis=1), not the batch."),
        ])
    return ("projection_logit gives log p_data(x, y) / p_g(x, y) of two softmax classifiers "
            "exactly, ψ(φ(x)) + <e_y, φ(x)>, one (N, 1) column, on 2 seeded batches.")


# --- 5.4 the conditional training step -----------------------------------------------------------

_STEP = dict(image=(4, 4, 1), latent=3, classes=3, g_lr=0.05, d_lr=0.1)
_STEP_HINT = ("go back to the game: real pairs (x, y) come from the data; fake pairs are "
              "(G(z, y), y), the same y twice, this step's fake_labels; training=True for both "
              "networks; each network follows its own loss, tape and optimizer; return "
              "(d_loss, g_loss).")
_STEP_MISTAKES = [
    ({"score_fakes_with": "real"},
     ("the fakes were scored with real_labels. Score each fake with the label it was asked for, "
      "fake_labels: only then can the discriminator punish a fake that does not match its "
      "class.")),
    ({"draw_with": "real"},
     ("the generator drew for real_labels; this step's fakes are asked for fake_labels: "
      "generator([z, fake_labels], training=True).")),
    ({"draw_with": "real", "score_fakes_with": "real"},
     ("the fakes were drawn and scored for real_labels: the step's fakes are asked for "
      "fake_labels, generator([z, fake_labels]), and scored with them.")),
    ({"score_real_with": "fake"},
     ("the real images were scored with fake_labels: real images go with their own labels, "
      "discriminator([real_images, real_labels]).")),
    ({"score_real_with": "fake", "score_fakes_with": "real"},
     ("the labels were swapped: real images go with real_labels, fakes with fake_labels.")),
    ({"g_loss_fn": losses.generator_loss_saturating},
     "use the non-saturating gc.losses.generator_loss(fake_logits), as in lesson 02."),
    ({"swap_optimizers": True},
     "the optimizers are swapped: g_optimizer updates the generator, d_optimizer the "
     "discriminator."),
    ({"g_follows": "d", "d_follows": "g"},
     "the gradients are swapped: the generator follows g_loss, the discriminator d_loss."),
    ({"g_follows": None}, ("the generator did not change: make the fakes inside the tapes with "
                           "generator([z, fake_labels], training=True) and apply its gradients "
                           "with g_optimizer.")),
    ({"d_follows": None}, "the discriminator did not change: apply its gradients with "
                          "d_optimizer."),
    ({"generator_training": False},
     ("call the generator with training=True: the course's generators have batch "
      "normalisation, which in inference mode (the default outside fit) normalises with its "
      "running averages instead of the batch's statistics, so the step would train on other "
      "fakes than the generator makes while training.")),
]


def _step_networks(seed):
    """A tiny seeded conditional generator and discriminator in which the labels matter."""
    import keras
    from keras import layers

    image, latent, classes = _STEP["image"], _STEP["latent"], _STEP["classes"]
    with _Float32Policy():
        z, label = keras.Input((latent,)), keras.Input((), dtype="int32")
        h = layers.Concatenate()([z, layers.Embedding(classes, 2)(label)])
        # Batch norm, as in the course's generators; its running averages are set far from any
        # batch's statistics, so a call without training=True makes other fakes.
        h = layers.BatchNormalization(moving_mean_initializer="ones",
                                      moving_variance_initializer=keras.initializers.Constant(4.0))(
            layers.Dense(8)(h))
        h = layers.LeakyReLU(0.2)(h)
        x = layers.Reshape(image)(layers.Activation("tanh")(layers.Dense(16)(h)))
        generator = keras.Model([z, label], x, name="check_generator")
        x_in, d_label = keras.Input(image), keras.Input((), dtype="int32")
        h = layers.Concatenate()([layers.Flatten()(x_in), layers.Embedding(classes, 3)(d_label)])
        h = layers.LeakyReLU(0.2)(layers.Dense(8)(h))
        discriminator = keras.Model([x_in, d_label], layers.Dense(1)(h), name="check_discriminator")
    rng = seeded(200 + seed)
    for net in (generator, discriminator):
        for v in net.trainable_variables:
            v.assign(rng.normal(0.0, 0.8, v.shape).astype(np.float32))
    return generator, discriminator


def _flat(variables):
    return np.concatenate([np.asarray(v, np.float64).ravel() for v in variables])


def _reference_step(batch, generator, discriminator, draw_with="fake", score_fakes_with="fake",
                    score_real_with="real", g_loss_fn=losses.generator_loss, g_follows="g",
                    d_follows="d", swap_optimizers=False, generator_training=True):
    """The weights after one SGD step of the conditional recipe (or of a typical mistake), and
    the two losses; the networks themselves, running averages included, are left unchanged."""
    import tensorflow as tf

    real, real_labels, z, fake_labels = batch
    labels = {"real": real_labels, "fake": fake_labels}
    generator_state = generator.get_weights()
    with tf.GradientTape(persistent=True) as tape:
        fake = generator([z, labels[draw_with]], training=generator_training)
        real_logits = discriminator([real, labels[score_real_with]], training=True)
        fake_logits = discriminator([fake, labels[score_fakes_with]], training=True)
        loss = {"d": losses.discriminator_loss(real_logits, fake_logits),
                "g": g_loss_fn(fake_logits)}
    g_lr, d_lr = ((_STEP["d_lr"], _STEP["g_lr"]) if swap_optimizers
                  else (_STEP["g_lr"], _STEP["d_lr"]))

    def updated(network, follows, lr):
        variables = network.trainable_variables
        if follows is None:
            return _flat(variables)
        grads = tape.gradient(loss[follows], variables)  # an embedding's come as IndexedSlices
        return _flat([v.numpy() - lr * tf.convert_to_tensor(g).numpy()
                      for v, g in zip(variables, grads)])

    result = (updated(generator, g_follows, g_lr), updated(discriminator, d_follows, d_lr),
              float(loss["d"]), float(loss["g"]))
    generator.set_weights(generator_state)
    return result


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


_ARGS = ("train_step(real_images, real_labels, z, fake_labels, generator, discriminator, "
         "g_optimizer, d_optimizer)")


def _call_step(train_step, *args):
    try:
        return call(train_step, *args)
    except Mismatch as err:
        error = err.problem.partition(") raised ")[2] or err.problem
        hint = ""
        if "nested call() argument" in error or "expects 2 " in error:
            hint = ("both networks take a list of two inputs: generator([z, fake_labels]) and "
                    "discriminator([images, labels]).")
        raise Mismatch(f"{_ARGS} raised {error.split(', value=')[0]}", hint) from None


@exercise("5.4", hint=_STEP_HINT)
def ex_5_4(train_step):
    import keras
    import tensorflow as tf

    for seed, n in enumerate((6, 5)):
        rng = seeded(seed)
        real_labels = rng.integers(0, _STEP["classes"], n).astype(np.int32)
        fake_labels = ((real_labels + 1 + rng.integers(0, 2, n)) % _STEP["classes"]).astype(
            np.int32)  # never the same as the real label at the same position
        batch = (tf.constant(rng.uniform(-1.0, 1.0, (n, *_STEP["image"])), tf.float32),
                 tf.constant(real_labels), tf.constant(rng.standard_normal((n, _STEP["latent"])),
                                                       tf.float32), tf.constant(fake_labels))
        generator, discriminator = _step_networks(seed)
        reference = _reference_step(batch, generator, discriminator)
        variants = [(_reference_step(batch, generator, discriminator, **kw), why)
                    for kw, why in _STEP_MISTAKES]
        g_optimizer = keras.optimizers.SGD(_STEP["g_lr"])
        d_optimizer = keras.optimizers.SGD(_STEP["d_lr"])
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
        returned = _call_step(train_step, *batch, generator, discriminator, g_optimizer,
                              d_optimizer)
        got = (_flat(generator.trainable_variables), _flat(discriminator.trainable_variables))
        wrong = [i for i in range(2) if not _close(got[i], reference[i])]
        if wrong:
            names = ("generator", "discriminator")
            gaps = ", ".join(f"the {names[i]}'s by up to {np.abs(got[i] - reference[i]).max():.3g}"
                             for i in wrong)
            problem = (f"after one train_step on a batch of {n}, the weights differ from those "
                       f"of the reference step: {gaps}.")
            for variant, why in variants:
                if _close(got[0], variant[0]) and _close(got[1], variant[1]):
                    raise Mismatch(problem, why)
            raise Mismatch(problem)
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise Mismatch(f"train_step returned {article(type(returned).__name__)}; expected the "
                           "pair (d_loss, g_loss).", "end the step with `return d_loss, g_loss`.")
        swapped = "the losses come back swapped: return d_loss, g_loss, in that order."
        expect(returned[0], reference[2], what="train_step(...)[0] (d_loss)", rtol=1e-4,
               atol=1e-5, mistakes=[(reference[3], swapped)])
        expect(returned[1], reference[3], what="train_step(...)[1] (g_loss)", rtol=1e-4,
               atol=1e-5, mistakes=[(reference[2], swapped)])
    return ("train_step matches the reference conditional step on 2 seeded batches: real images "
            "scored with their labels, fakes drawn and scored for fake_labels, the same losses "
            "and weights after one update.")
