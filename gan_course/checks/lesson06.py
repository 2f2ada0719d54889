"""Checks for lesson 06, neural style transfer: exercises 6.1 to 6.5."""

import numpy as np

from gan_course.art import style
from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded

_GRAM = ("go back to the four properties: one C x C matrix per image, each entry pairing two "
         "channels at the same position; unchanged by shuffling the positions; four times G for "
         "twice the features; unchanged by a 2 x 2 tiling; G_cc is channel c's mean square.")
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


def _tile(x):
    """The activations repeated 2 x 2: the same picture, read at twice the height and width."""
    return np.tile(x, (1, 2, 2, 1))


def _shuffle_positions(x, seed):
    """The same reordering of the H*W positions in every channel."""
    b, h, w, c = x.shape
    order = seeded(seed).permutation(h * w)
    return x.reshape(b, h * w, c)[:, order].reshape(b, h, w, c)


def _gram_of(gram_matrix, x, what):
    return as_numbers(call(gram_matrix, _tensor(x.astype(np.float32))), what)


def _gram_properties(gram_matrix, x, got, what):
    """The failing property of a Gram matrix that differs from the reference, with its hint."""
    ok = {"rtol": 1e-4, "atol": 1e-5}
    if got.shape[1:] == got.shape[2:0:-1] and not np.allclose(got, np.swapaxes(got, 1, 2), **ok):
        raise Mismatch(f"{what} is not symmetric: G[c, d] differs from G[d, c].",
                       "entries (c, d) and (d, c) describe the same pair of channels: combine "
                       "channel c and channel d at the same position, then over the positions.")
    shuffled = _gram_of(gram_matrix, _shuffle_positions(x, 7), what)
    if shuffled.shape == got.shape and not np.allclose(shuffled, got, **ok):
        raise Mismatch(f"{what} changes when the positions are shuffled (the same shuffle in "
                       "every channel).",
                       "G must forget where: pair channel c and channel d at the same position, "
                       "and combine the positions with a sum or mean.")
    doubled = _gram_of(gram_matrix, 2 * x, what)
    if doubled.shape == got.shape and not np.allclose(doubled, 4 * got, **ok):
        raise Mismatch(f"{what}: twice the features give {fmt(doubled.ravel()[0] / got.ravel()[0])}"
                       " times G, not 4 times.",
                       "each entry multiplies one channel's value by another's: no square root, "
                       "no absolute value, nothing else.")
    tiled = _gram_of(gram_matrix, _tile(x), what)
    if tiled.shape == got.shape and np.allclose(tiled, 4 * got, **ok):
        raise Mismatch(f"{what}: tiling the activations 2 x 2 multiplies G by 4.",
                       "divide by the number of positions H*W, so that the same texture read at "
                       "any size gives the same Gram matrix.")


@exercise("6.1", hint=_GRAM)
def ex_6_1(gram_matrix):
    for seed, shape in zip((0, 1, 2), [(1, 4, 6, 3), (2, 5, 3, 4), (3, 2, 7, 5)]):
        x = seeded(seed).normal(size=shape).astype(np.float32)
        b, h, w, c = shape
        got = as_numbers(call(gram_matrix, _tensor(x)), "gram_matrix(x)")
        what = f"gram_matrix(x) for x of shape {shape}"
        if got.shape == (b, h * w, h * w):
            raise Mismatch(f"{what} returned shape {got.shape}: a positions x positions matrix.",
                           "G compares channels, not positions: one C x C matrix per image, "
                           "(batch, C, C). Which factor needs the transpose?")
        if got.shape == (c, c) or (got.shape == (1, c, c) and b > 1):
            raise Mismatch(f"{what} returned shape {got.shape}; expected {(b, c, c)}.",
                           "keep the batch axis: one Gram matrix per image, F of shape "
                           "(batch, H*W, C), not (batch*H*W, C).")
        reference = _np_gram(x)
        if got.shape == reference.shape and not np.allclose(got, reference, rtol=1e-4,
                                                            atol=1e-5):
            _gram_properties(gram_matrix, x, got, what)
        expect(got, reference, what=what, rtol=1e-4, atol=1e-5, mistakes=[
            (reference / c, "G_cc must be channel c's mean square: divide by the number of "
                            "positions H*W only, not by H*W*C."),
            (reference * h * w / (b * h * w * c), "divide by H*W, the positions of one image."),
            (reference * w / h, "the number of positions is H*W (x.shape[1] * x.shape[2])."),
        ], hint=_GRAM)
    x = seeded(5).normal(size=(2, 3, 4, 3)).astype(np.float32)
    for moved in (_tile(x), _shuffle_positions(x, 8)):  # the properties the text asks for
        expect(_gram_of(gram_matrix, moved, "gram_matrix"), _np_gram(x), rtol=1e-4, atol=1e-5,
               what="gram_matrix of tiled or shuffled activations", hint=_GRAM)
    _gradient_flows(gram_matrix, "gram_matrix(x)",
                    lambda: [seeded(3).normal(size=(1, 3, 3, 2)).astype(np.float32)])
    return ("gram_matrix gives one C x C matrix per image, symmetric, unchanged by shuffling the "
            "positions or tiling them 2 x 2, with each channel's mean square on its diagonal: "
            "Fᵀ F / (H*W), on three batches; TensorFlow can differentiate it.")


_CONTENT = ("go back to the properties: 0 when features = target; four times the loss for twice "
            "the difference; unchanged when both are tiled 2 x 2; exactly 1 when every element "
            "differs by 1.")


def _content_properties(content_loss, f, p):
    """The first property of exercise 6.2 that content_loss breaks, as a Mismatch."""
    what = "content_loss(features, target)"

    def loss(a, b):
        return float(as_numbers(call(content_loss, _tensor(a), _tensor(b)), what).sum())

    base = loss(f, p)
    if abs(loss(f, f)) > 1e-6:
        raise Mismatch(f"{what} is {fmt(loss(f, f))} when features equal the target.",
                       "the loss measures differences: it must be 0 when there are none.")
    twice = loss(p + 2 * (f - p), p)
    if not np.isclose(twice, 4 * base, rtol=1e-4):
        return (f"twice the difference gives {fmt(twice / base)} times the loss, not 4 times",
                "grow with the square of the difference: square each element's difference "
                "(no absolute value, no square root of the result).")
    tiled = loss(_tile(f), _tile(p))
    if not np.isclose(tiled, base, rtol=1e-4):
        return (f"tiling both 2 x 2 multiplies the loss by {fmt(tiled / base)}",
                "average over the elements instead of summing, so the loss does not grow with "
                "the picture's size.")
    unit = loss(p + 1.0, p)
    if not np.isclose(unit, 1.0, rtol=1e-4):
        return (f"a difference of 1 in every element gives {fmt(unit)}, not 1",
                "no extra constant: the course uses the plain mean, without Gatys' factor ½.")
    return None


@exercise("6.2", hint=_CONTENT)
def ex_6_2(content_loss):
    for seed, shape in zip((0, 1, 2), [(1, 4, 6, 3), (1, 3, 3, 8), (2, 5, 2, 4)]):
        rng = seeded(seed)
        f, p = rng.normal(size=(2, *shape)).astype(np.float32)
        d = f.astype(np.float64) - p
        reference = np.mean(d ** 2)
        got = as_numbers(call(content_loss, _tensor(f), _tensor(p)), "content_loss")
        if got.size == 1 and not np.isclose(got.sum(), reference, rtol=1e-4, atol=1e-6):
            broken = _content_properties(content_loss, f, p)
            if broken:
                raise Mismatch(f"content_loss(features, target): {broken[0]}.", broken[1])
        expect(got, reference, what="content_loss(features, target)",
               inputs={"features": f, "target": p}, rtol=1e-4, atol=1e-6, hint=_CONTENT)
    broken = _content_properties(
        content_loss, *seeded(5).normal(size=(2, 1, 3, 4, 2)).astype(np.float32))
    if broken:
        raise Mismatch(f"content_loss(features, target): {broken[0]}.", broken[1])
    _gradient_flows(content_loss, "content_loss(features, target)",
                    lambda: list(seeded(4).normal(size=(2, 1, 2, 2, 3)).astype(np.float32)))
    return ("content_loss is 0 for equal features, quadruples when the difference doubles, is "
            "unchanged by tiling and is 1 for a difference of 1: the mean squared difference, "
            "on three pairs of activations.")


def _style_inputs(seed):
    rng = seeded(seed)
    shapes = [(1, 8, 6, 3), (1, 4, 3, 5), (1, 2, 2, 6)]
    features = [rng.normal(size=s).astype(np.float32) for s in shapes]
    targets = [np.abs(rng.normal(size=(1, s[-1], s[-1]))).astype(np.float32) for s in shapes]
    weights = [float(w) for w in rng.uniform(0.2, 2.0, size=len(shapes))]
    return features, targets, weights


_STYLE = ("go back to the properties: 0 when every Gram matrix matches its target; with one "
          "weight 1 and the others 0, that layer's term alone, which compares gram_matrix("
          "features[l]) with target_grams[l] as your content loss compares features; linear in "
          "the weights.")


def _style_call(style_loss, features, targets, weights):
    what = "style_loss(features, target_grams, weights)"
    return float(as_numbers(call(style_loss, [_tensor(f) for f in features],
                                 [_tensor(t) for t in targets], list(weights)), what).sum())


def _style_properties(style_loss, features, targets, weights):
    """The first property of exercise 6.3 that style_loss breaks, as (problem, hint)."""
    ok = {"rtol": 1e-4, "atol": 1e-6}
    per_layer = [np.mean((_np_gram(f) - t) ** 2) for f, t in zip(features, targets)]
    summed = [np.sum((_np_gram(f) - t) ** 2) for f, t in zip(features, targets)]
    unnormalised = [np.mean((_np_gram(f) * f.shape[1] * f.shape[2] - t) ** 2)
                    for f, t in zip(features, targets)]
    feature_mse = [np.mean((f.astype(np.float64) - np.mean(f)) ** 2) for f in features]
    for layer in range(len(features)):
        alone = [float(i == layer) for i in range(len(features))]
        got = _style_call(style_loss, features, targets, alone)
        if np.isclose(got, per_layer[layer], **ok):
            continue
        problem = f"with the weights {alone} the loss is {fmt(got)}, not layer {layer}'s term"
        for wrong, why in [
                (sum(per_layer), "multiply each layer's term by its weight, weights[l]."),
                (summed[layer], "average each layer's squared differences (tf.reduce_mean), do "
                                "not sum them."),
                (unnormalised[layer], "your gram_matrix does not divide by H*W: fix exercise 6.1 "
                                      "first."),
                (feature_mse[layer], "compare Gram matrices, gram_matrix(features[l]), with the "
                                     "targets.")]:
            if np.isclose(got, wrong, **ok):
                return problem, why
        return problem, _STYLE
    zero = _style_call(style_loss, features, [_np_gram(f).astype(np.float32) for f in features],
                       weights)
    if abs(zero) > 1e-6:
        return (f"with the painting's Gram matrices equal to the picture's the loss is {fmt(zero)}, "
                "not 0", "compare Gram matrices, gram_matrix(features[l]), with the targets.")
    once = _style_call(style_loss, features, targets, weights)
    twice = _style_call(style_loss, features, targets, [2 * w for w in weights])
    if not np.isclose(twice, 2 * once, **ok):
        return (f"doubling every weight multiplies the loss by {fmt(twice / once)}, not 2",
                "add the weighted terms; do not divide by the sum of the weights or average "
                "over the layers.")
    return None


@exercise("6.3", hint=_STYLE)
def ex_6_3(style_loss):
    for seed in (0, 1, 2):
        features, targets, weights = _style_inputs(seed)
        per_layer = np.array([np.mean((_np_gram(f) - t) ** 2)
                              for f, t in zip(features, targets)])
        reference = float(np.dot(weights, per_layer))
        got = _style_call(style_loss, features, targets, weights)
        if not np.isclose(got, reference, rtol=1e-4, atol=1e-6):
            broken = _style_properties(style_loss, features, targets, weights)
            if broken:
                raise Mismatch(f"style_loss(features, target_grams, weights): {broken[0]}.",
                               broken[1])
        expect(got, reference, what="style_loss(features, target_grams, weights)",
               inputs={"weights": weights}, rtol=1e-4, atol=1e-6, hint=_STYLE)
    features, targets, weights = _style_inputs(3)
    broken = _style_properties(style_loss, features, targets, weights)
    if broken:
        raise Mismatch(f"style_loss(features, target_grams, weights): {broken[0]}.", broken[1])
    _gradient_flows(lambda f0: style_loss([f0, *features[1:]], targets, weights),
                    "style_loss(features, target_grams, weights)", lambda: [features[0]])
    return ("style_loss is 0 at the targets, gives each layer's mean((G_l - A_l)²) alone when "
            "only its weight is 1, and is linear in the weights, on three layers of different "
            "sizes.")


_TV = ("go back to the definition: the mean over every pair of vertical neighbours (and over the "
       "batch and the channels) of their squared difference, plus the same for horizontal "
       "neighbours. A constant image gives 0; columns alternately 0 and 1 give 1.")


def _tv_properties(total_variation_loss, what):
    """The first of the definition's consequences that total_variation_loss breaks."""
    stripes = np.tile(np.arange(6) % 2, (1, 4, 1)).astype(np.float32)[..., None]  # (1, 4, 6, 1)
    for image, want, name in [(np.full((1, 3, 5, 3), 0.4, np.float32), 0.0, "a constant image"),
                              (stripes, 1.0, "columns alternately 0 and 1"),
                              (np.swapaxes(stripes, 1, 2), 1.0, "rows alternately 0 and 1")]:
        got = as_numbers(call(total_variation_loss, _tensor(image)), what)
        if got.size == 1 and not np.isclose(got.sum(), want, atol=1e-6):
            hint = _TV
            if want and np.isclose(got.sum(), 0.0):
                hint = (f"{name} differ by 1 between every two neighbours along one axis: pair "
                        "each pixel with its next neighbour (not one further), in both "
                        "directions, vertical (axis 1) and horizontal (axis 2).")
            raise Mismatch(f"{what} is {fmt(got.sum())} for {name}; expected {fmt(want)}.", hint)


@exercise("6.4", hint=_TV)
def ex_6_4(total_variation_loss):
    what = "total_variation_loss(image)"
    for seed, shape in zip((0, 1, 2), [(1, 5, 7, 3), (2, 4, 3, 3), (1, 8, 2, 1)]):
        x = seeded(seed).uniform(size=shape).astype(np.float32)
        dv = np.diff(x.astype(np.float64), axis=1)
        dh = np.diff(x.astype(np.float64), axis=2)
        reference = np.mean(dv ** 2) + np.mean(dh ** 2)
        try:
            expect(call(total_variation_loss, _tensor(x)), reference, what=what,
                   inputs={"image shape": shape}, rtol=1e-4, atol=1e-6, hint=_TV, mistakes=[
                       (np.mean(dv ** 2), "add the horizontal neighbours too (axis 2)."),
                       (np.mean(dh ** 2), "add the vertical neighbours too (axis 1)."),
                       (np.sum(np.abs(dv)) + np.sum(np.abs(dh)),
                        "that is tf.image.total_variation (sums of absolute differences); the "
                        "course squares the differences and averages them."),
                       (np.mean(np.abs(dv)) + np.mean(np.abs(dh)),
                        "square the differences instead of taking absolute values."),
                       (np.sum(dv ** 2) + np.sum(dh ** 2),
                        "average (a mean) instead of summing."),
                       (0.5 * reference, "add the two means; do not average them."),
                       (np.mean(np.concatenate([dv.ravel(), dh.ravel()]) ** 2),
                        "two means, one per direction, added: the two directions have different "
                        "numbers of neighbour pairs."),
                   ])
        except Mismatch as err:
            if err.hint == _TV:  # no typical mistake: say which consequence of the definition fails
                _tv_properties(total_variation_loss, what)
            raise
    _tv_properties(total_variation_loss, what)
    _gradient_flows(total_variation_loss, what,
                    lambda: [seeded(3).uniform(size=(1, 3, 4, 3)).astype(np.float32)])
    return ("total_variation_loss is 0 for a constant image, 1 for stripes either way, and adds "
            "the mean squared vertical and horizontal differences on three images of different "
            "shapes.")


def _reference_step(image, optimizer, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(image)
    optimizer.apply_gradients([(tape.gradient(loss, image), image)])
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


_STEP = ("go back to the constraints: differentiate the loss with respect to the picture, the "
         "variable; let the optimizer apply that gradient to it; then put every pixel back into "
         "[0, 1], in the variable itself; return the loss the gradient came from.")


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
                           "update the variable itself: the optimizer's apply_gradients, given "
                           "pairs (gradient, variable), changes `image` in place; do not return "
                           "a new tensor.")
        if x.min() < -1e-6 or x.max() > 1 + 1e-6:
            raise Mismatch(f"{where} the image has pixels outside [0, 1] (min {fmt(x.min())}, "
                           f"max {fmt(x.max())}).",
                           "clip the pixels back into [0, 1] after the update, into the "
                           "variable itself, image.assign(...): `image = ...` only gives the "
                           "name to a new tensor and leaves the variable as it was.")
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
