"""Checks for lesson 06, neural style transfer: exercises 6.1 to 6.5."""

import numpy as np

from gan_course.art import style
from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded

_GRAM = ("reshape x to F of shape (batch, H*W, C), then G = Fᵀ F / (H*W): "
         "tf.matmul(F, F, transpose_a=True) / (H * W), or "
         "tf.einsum('bijc,bijd->bcd', x, x) / (H * W).")
_TF_OPS = ("use TensorFlow operations (tf.reduce_mean, tf.square, tf.einsum, ...), not NumPy: "
           "the optimisation needs the gradient of your loss with respect to the image.")


def _tensor(x):
    """Inputs reach the student's function as tensors, as they do in the notebook's loop."""
    import tensorflow as tf

    return tf.constant(x)


def _np_gram(x):
    x = np.asarray(x, np.float64)
    return np.einsum("bijc,bijd->bcd", x, x) / (x.shape[1] * x.shape[2])


def _gradient_flows(fn, what, make_inputs):
    """Whether TensorFlow can differentiate ``fn`` with respect to its first input."""
    import tensorflow as tf

    first, *rest = make_inputs()
    variable = tf.Variable(first)
    with tf.GradientTape() as tape:
        value = call(fn, variable, *rest)
        value = tf.convert_to_tensor(value, tf.float32) if not tf.is_tensor(value) else value
    gradient = tape.gradient(value, variable)
    if gradient is None:
        raise Mismatch(f"{what} gives no gradient with respect to its input.", _TF_OPS)


@exercise("6.1", hint=_GRAM)
def ex_6_1(gram_matrix):
    for seed, shape in zip((0, 1, 2), [(1, 4, 6, 3), (2, 5, 3, 4), (3, 2, 7, 5)]):
        x = seeded(seed).normal(size=shape).astype(np.float32)
        b, h, w, c = shape
        got = as_numbers(call(gram_matrix, _tensor(x)), "gram_matrix(x)")
        what = f"gram_matrix(x) for x of shape {shape}"
        if got.shape == (b, h * w, h * w):
            raise Mismatch(f"{what} returned shape {got.shape}: a positions x positions matrix.",
                           "the first factor needs the transpose: G = Fᵀ F (channels x channels), "
                           "not F Fᵀ. " + _GRAM)
        if got.shape == (c, c) or (got.shape == (1, c, c) and b > 1):
            raise Mismatch(f"{what} returned shape {got.shape}; expected {(b, c, c)}.",
                           "keep the batch axis: one Gram matrix per image, F of shape "
                           "(batch, H*W, C), not (batch*H*W, C).")
        reference = _np_gram(x)
        expect(got, reference, what=what, rtol=1e-4, atol=1e-5, mistakes=[
            (reference * h * w, "divide by the number of positions H*W, so that images of "
                                "different sizes give comparable Gram matrices."),
            (reference / c, "divide by the number of positions H*W only, not by H*W*C."),
            (reference * h * w / (b * h * w * c), "divide by H*W, the positions of one image."),
            (reference * w / h, "the number of positions is H*W (x.shape[1] * x.shape[2])."),
        ], hint=_GRAM)
    _gradient_flows(gram_matrix, "gram_matrix(x)",
                    lambda: [seeded(3).normal(size=(1, 3, 3, 2)).astype(np.float32)])
    return ("gram_matrix gives Fᵀ F / (H*W), one C x C matrix per image, on three batches of "
            "different sizes, and TensorFlow can differentiate it.")


@exercise("6.2", hint="the mean over every element of (features - target)², e.g. "
                      "tf.reduce_mean(tf.square(features - target)).")
def ex_6_2(content_loss):
    for seed, shape in zip((0, 1, 2), [(1, 4, 6, 3), (1, 3, 3, 8), (2, 5, 2, 4)]):
        rng = seeded(seed)
        f, p = rng.normal(size=(2, *shape)).astype(np.float32)
        d = f.astype(np.float64) - p
        reference = np.mean(d ** 2)
        expect(call(content_loss, _tensor(f), _tensor(p)), reference, what="content_loss(features, target)",
               inputs={"features": f, "target": p}, rtol=1e-4, atol=1e-6, mistakes=[
                   (np.sum(d ** 2), "average with tf.reduce_mean instead of summing, so the "
                                    "loss does not grow with the image size."),
                   (0.5 * np.sum(d ** 2), "the course uses the mean, without Gatys' factor ½ "
                                          "and without summing."),
                   (0.5 * reference, "the course uses the plain mean, without a factor ½."),
                   (np.mean(np.abs(d)), "square the differences instead of taking their "
                                        "absolute value."),
                   (np.sqrt(reference), "no square root: the loss is the mean squared "
                                        "difference itself."),
               ])
    _gradient_flows(content_loss, "content_loss(features, target)",
                    lambda: list(seeded(4).normal(size=(2, 1, 2, 2, 3)).astype(np.float32)))
    return "content_loss matches the mean squared difference on three pairs of activations."


def _style_inputs(seed):
    rng = seeded(seed)
    shapes = [(1, 8, 6, 3), (1, 4, 3, 5), (1, 2, 2, 6)]
    features = [rng.normal(size=s).astype(np.float32) for s in shapes]
    targets = [np.abs(rng.normal(size=(1, s[-1], s[-1]))).astype(np.float32) for s in shapes]
    weights = [float(w) for w in rng.uniform(0.2, 2.0, size=len(shapes))]
    return features, targets, weights


@exercise("6.3", hint="for each layer l: weights[l] * mean((gram_matrix(features[l]) - "
                      "target_grams[l])²); add the layers' terms.")
def ex_6_3(style_loss):
    for seed in (0, 1, 2):
        features, targets, weights = _style_inputs(seed)
        per_layer = np.array([np.mean((_np_gram(f) - t) ** 2)
                              for f, t in zip(features, targets)])
        unnormalised = np.array([np.mean((_np_gram(f) * f.shape[1] * f.shape[2] - t) ** 2)
                                 for f, t in zip(features, targets)])
        feature_mse = [np.mean((f.astype(np.float64) - np.mean(f)) ** 2) for f in features]
        reference = float(np.dot(weights, per_layer))
        expect(call(style_loss, [_tensor(f) for f in features], [_tensor(t) for t in targets],
                    weights), reference,
               what="style_loss(features, target_grams, weights)",
               inputs={"weights": weights}, rtol=1e-4, atol=1e-6, mistakes=[
                   (per_layer.sum(), "multiply each layer's term by its weight, weights[l]."),
                   (per_layer.mean(), "multiply each layer's term by its weight and add them "
                                      "(not an average over layers)."),
                   (np.dot(weights, per_layer) / np.sum(weights),
                    "add the weighted terms; do not divide by the sum of the weights."),
                   (np.dot(weights, [np.sum((_np_gram(f) - t) ** 2)
                                     for f, t in zip(features, targets)]),
                    "average each layer's squared differences (tf.reduce_mean), do not sum them."),
                   (np.dot(weights, unnormalised),
                    "your gram_matrix does not divide by H*W: fix exercise 6.1 first."),
                   (float(np.dot(weights, feature_mse)),
                    "compare Gram matrices, gram_matrix(features[l]), with the targets."),
               ])
    features, targets, weights = _style_inputs(3)
    _gradient_flows(lambda f0: style_loss([f0, *features[1:]], targets, weights),
                    "style_loss(features, target_grams, weights)", lambda: [features[0]])
    return ("style_loss adds weights[l] * mean((G_l - A_l)²) over three layers of different "
            "sizes, on three sets of activations.")


@exercise("6.4", hint="(mean of the squared differences between vertical neighbours) + (mean of "
                      "the squared differences between horizontal neighbours): "
                      "x[:, 1:, :, :] - x[:, :-1, :, :] and x[:, :, 1:, :] - x[:, :, :-1, :].")
def ex_6_4(total_variation_loss):
    for seed, shape in zip((0, 1, 2), [(1, 5, 7, 3), (2, 4, 3, 3), (1, 8, 2, 1)]):
        x = seeded(seed).uniform(size=shape).astype(np.float32)
        dv = np.diff(x.astype(np.float64), axis=1)
        dh = np.diff(x.astype(np.float64), axis=2)
        reference = np.mean(dv ** 2) + np.mean(dh ** 2)
        expect(call(total_variation_loss, _tensor(x)), reference, what="total_variation_loss(image)",
               inputs={"image shape": shape}, rtol=1e-4, atol=1e-6, mistakes=[
                   (np.mean(dv ** 2), "add the horizontal neighbours too (axis 2)."),
                   (np.mean(dh ** 2), "add the vertical neighbours too (axis 1)."),
                   (np.sum(np.abs(dv)) + np.sum(np.abs(dh)),
                    "that is tf.image.total_variation (sums of absolute differences); the "
                    "course squares the differences and averages them."),
                   (np.mean(np.abs(dv)) + np.mean(np.abs(dh)),
                    "square the differences instead of taking absolute values."),
                   (np.sum(dv ** 2) + np.sum(dh ** 2),
                    "average (tf.reduce_mean) instead of summing."),
                   (0.5 * reference, "add the two means; do not average them."),
               ])
    _gradient_flows(total_variation_loss, "total_variation_loss(image)",
                    lambda: [seeded(3).uniform(size=(1, 3, 4, 3)).astype(np.float32)])
    return ("total_variation_loss adds the mean squared vertical and horizontal differences, "
            "on three images of different shapes.")


def _reference_step(image, optimizer, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(image)
    optimizer.apply_gradients([(tape.gradient(loss, image), image)])
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


_STEP = ("inside `with tf.GradientTape() as tape:` compute loss = loss_fn(image); then "
         "gradient = tape.gradient(loss, image); optimizer.apply_gradients([(gradient, image)]); "
         "image.assign(tf.clip_by_value(image, 0.0, 1.0)); return loss.")


@exercise("6.5", hint=_STEP)
def ex_6_5(optimization_step):
    import keras
    import tensorflow as tf

    rng = seeded(0)
    start = rng.uniform(0.2, 0.8, size=(1, 4, 5, 3)).astype(np.float32)
    goal = tf.constant(rng.uniform(-0.5, 1.5, size=start.shape).astype(np.float32))

    def loss_fn(x):
        return tf.reduce_mean(tf.square(x - goal))

    start_loss = float(loss_fn(start))
    image, reference = tf.Variable(start), tf.Variable(start)
    mine, theirs = keras.optimizers.Adam(0.1), keras.optimizers.Adam(0.1)
    for step in range(1, 6):
        got_loss = as_numbers(call(optimization_step, image, mine, loss_fn),
                              "optimization_step(image, optimizer, loss_fn)")
        want_loss = float(_reference_step(reference, theirs, loss_fn))
        x, want = image.numpy(), reference.numpy()
        where = f"after step {step}"
        if np.allclose(x, start):
            raise Mismatch(f"{where} the image has not changed.",
                           "update the variable itself: optimizer.apply_gradients([(gradient, "
                           "image)]) changes `image` in place; do not return a new tensor.")
        if x.min() < -1e-6 or x.max() > 1 + 1e-6:
            raise Mismatch(f"{where} the image has pixels outside [0, 1] (min {fmt(x.min())}, "
                           f"max {fmt(x.max())}).",
                           "clip the pixels back into [0, 1] after the update: "
                           "image.assign(tf.clip_by_value(image, 0.0, 1.0)).")
        if float(loss_fn(image)) > start_loss:
            raise Mismatch(f"{where} the loss is {fmt(float(loss_fn(image)))}, higher than at "
                           f"the start ({fmt(start_loss)}).",
                           "the optimizer minimises: give it the gradient of the loss itself, "
                           "not of -loss, and do not add the gradient to the image yourself.")
        expect(x, want, what=f"optimization_step (the image {where})", rtol=1e-4, atol=1e-5,
               hint=_STEP)
        expect(got_loss, want_loss, what=f"the loss returned at step {step}", rtol=1e-4,
               atol=1e-6, mistakes=[(float(loss_fn(image)),
                                     "return the loss computed inside the tape, before the "
                                     "update.")])
    return ("optimization_step takes five Adam steps on the pixels and keeps them in [0, 1], "
            "exactly like the reference.")


def reference_functions():
    """The library's versions of the lesson's exercises, by name (for tests and teachers)."""
    return {"gram_matrix": style.gram_matrix, "content_loss": style.content_loss,
            "style_loss": style.style_loss, "total_variation_loss": style.total_variation_loss,
            "optimization_step": _reference_step}
