"""Checks for lesson 03, DCGAN: exercises 3.1 to 3.4."""

import numpy as np

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
from gan_course.checks.networks import LEAKY as _LEAKY
from gan_course.checks.networks import Float32Policy as _Float32Policy
from gan_course.checks.networks import run_model as _run_model

_G_BLOCK = ("layers.Conv2DTranspose(filters, 4, strides=2, padding='same', use_bias=False), then "
            "layers.BatchNormalization(), then layers.ReLU(); return the last tensor.")
_D_BLOCK = ("layers.Conv2D(filters, 4, strides=2, padding='same'), then layers.LeakyReLU(0.2); "
            "return the last tensor.")
_BN_EPSILON = 1e-3  # Keras' BatchNormalization default
_TENSOR_HINT = ("apply each layer to a tensor and return the last tensor: h = layers.Conv2D(...)(x), "
                "h = layers.LeakyReLU(0.2)(h), ..., return h.")


def _block_model(block, input_shape, filters):
    """The student's block applied to ``keras.Input(input_shape)``, as a model, and its name."""
    import keras

    name = getattr(block, "__name__", "your function")
    made_by = f"{name}(x, {filters}) with x of shape {(None, *input_shape)}"
    x = keras.Input(input_shape)
    y = call(block, x, filters)
    if y is None:
        raise Mismatch(f"{made_by} returned None.", "end with `return h`, the last layer's output.")
    if not isinstance(y, keras.KerasTensor):
        raise Mismatch(f"{made_by} returned {article(type(y).__name__)}, not a Keras tensor.",
                       _TENSOR_HINT)
    try:
        return keras.Model(x, y), made_by
    except Exception as err:  # noqa: BLE001 - a disconnected graph, most often
        raise Mismatch(f"the tensor returned by {made_by} is not computed from x "
                       f"({type(err).__name__}: {one_line(err)})",
                       "start from the argument x (do not create a keras.Input inside the block) "
                       "and " + _TENSOR_HINT) from None


def _randomise(model, rng):
    """Seeded weights, with batch-norm statistics far from their initial values (so that a
    missing or misplaced batch norm shows in the outputs, even in inference mode)."""
    values = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        if "variance" in weight.name:
            values.append(rng.uniform(0.5, 2.0, shape))
        elif "gamma" in weight.name:
            values.append(rng.uniform(0.5, 1.5, shape))
        else:
            values.append(rng.normal(0.0, 0.3, shape))
    model.set_weights([v.astype(np.float32) for v in values])
    return model.get_weights()


def _leaky(a, slope=_LEAKY):
    return np.where(a > 0, a, slope * a)


def _output_of(model, layer_index, x):
    """The output of ``model.layers[layer_index]`` on ``x``, in inference mode."""
    import keras

    inner = keras.Model(model.input, model.layers[layer_index].output)
    return np.asarray(inner(x, training=False), np.float64)


def _weight_hint(got, want, conv, bias_wanted):
    """A hint for a block whose weights differ in shape from the reference's."""
    kernels = [s for s in got if len(s) == 4]
    vectors = [s for s in got if len(s) == 1]
    if len(kernels) != 1:
        return (f"the block has {len(kernels)} convolution kernels; it holds exactly one "
                f"{conv}.")
    kernel, wanted = kernels[0], want[0]
    if kernel[2:] != wanted[2:] and kernel[2:] == (wanted[3], wanted[2]):
        other = "Conv2D" if conv == "Conv2DTranspose" else "Conv2DTranspose"
        return (f"that is the kernel of a {other}; this block needs a {conv}(filters, 4, "
                "strides=2, padding='same', ...).")
    if kernel[:2] != (4, 4):
        return (f"use a 4 x 4 kernel, {conv}(filters, 4, ...): the kernel size 4 is divisible by "
                "the stride 2, so the strided windows overlap evenly.")
    if bias_wanted:
        if not vectors:
            return ("keep the convolution's bias (use_bias defaults to True): no batch norm "
                    "follows this convolution to supply an offset.")
        return ("this block has no BatchNormalization: only the convolution and "
                "LeakyReLU(0.2). (Batch statistics would mix the real and fake images that the "
                "discriminator scores together.)")
    if len(vectors) == 5:
        return ("use_bias=False: the BatchNormalization right after subtracts each channel's "
                "mean, which cancels any bias, and adds its own offset (beta) instead.")
    if len(vectors) == 0:
        return ("add layers.BatchNormalization() between the transposed convolution and the "
                "ReLU.")
    if len(vectors) == 1:
        return ("add layers.BatchNormalization() after the transposed convolution, and build "
                "the convolution with use_bias=False.")
    return _G_BLOCK


def _check_block(block, input_shape, filters, reference_block, expected_shape, shape_hints,
                 conv, bias_wanted, hint, seed):
    """Shared part of the block checks: model, output shape, weight shapes; returns what the
    variant outputs are computed from: (model, reference, x, made_by)."""
    import keras

    with _Float32Policy():
        model, made_by = _block_model(block, input_shape, filters)
        x_in = keras.Input(input_shape)
        reference = keras.Model(x_in, reference_block(x_in, filters))
    got_shape = tuple(model.output_shape)
    if got_shape != expected_shape:
        problem = f"{made_by} gives outputs of shape {got_shape}; expected {expected_shape}."
        if got_shape[-1] != filters:
            raise Mismatch(problem, f"the block's output has `filters` = {filters} channels.")
        raise Mismatch(problem, shape_hints.get(got_shape[1:3], hint))
    got = [tuple(w.shape) for w in model.weights]
    want = [tuple(w.shape) for w in reference.weights]
    if got != want:
        raise Mismatch(f"{made_by} has weights of shapes {got}; expected {want}.",
                       _weight_hint(got, want, conv, bias_wanted))
    model.set_weights(_randomise(reference, seeded(seed)))
    x = seeded(seed + 10).normal(0.0, 1.0, size=(3, *input_shape)).astype(np.float32)
    return model, reference, x, made_by


@exercise("3.1", hint=_G_BLOCK)
def ex_3_1(generator_block):
    from gan_course.models import blocks

    for seed, (input_shape, filters) in enumerate([((7, 7, 6), 4), ((4, 5, 3), 8)]):
        h, w, _ = input_shape
        shape_hints = {
            (h, w): ("strides=2: a stride-2 transposed convolution doubles the height and width; "
                     "with stride 1 the block does not upsample."),
            (2 * h + 2, 2 * w + 2): ("padding='same' makes the output exactly twice the input; "
                                     "with 'valid' the 4 x 4 stamps overhang the border by 2 "
                                     "pixels."),
            ((h + 1) // 2, (w + 1) // 2): ("that halves the size: Conv2D with strides=2 shrinks an "
                                           "image, Conv2DTranspose with strides=2 grows it."),
        }
        model, reference, x, made_by = _check_block(
            generator_block, input_shape, filters, blocks.upsample_block,
            (None, 2 * h, 2 * w, filters), shape_hints, "Conv2DTranspose", False, _G_BLOCK, seed)
        expected = np.asarray(reference(x, training=False), np.float64)
        conv = _output_of(reference, 1, x)
        _, gamma, beta, mean, var = reference.get_weights()

        def bn(a, eps=_BN_EPSILON, gamma=gamma, beta=beta, mean=mean, var=var):
            return gamma * (a - mean) / np.sqrt(var + eps) + beta

        leaky = ("LeakyReLU belongs to the discriminator; the DCGAN generator's hidden layers use "
                 "ReLU: layers.ReLU().")
        mistakes = [
            (_leaky(bn(conv)), leaky),
            (_leaky(bn(conv), 0.3), leaky),
            (bn(conv), "end the block with layers.ReLU() after the batch norm."),
            (bn(np.maximum(conv, 0.0)), ("normalise, then activate: BatchNormalization comes "
                                         "before the ReLU.")),
            (np.maximum(bn(conv, 1e-5), 0.0), ("use layers.BatchNormalization() with its "
                                               "defaults (epsilon=1e-3).")),
        ]
        out = _run_model(model, x, made_by)
        hint = ("every output should be >= 0 after the ReLU." if out.min() < 0 else _G_BLOCK)
        expect(out, expected, what=f"the block built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
    return ("generator_block doubles the height and width ((7, 7, 6) -> (14, 14, 4), (4, 5, 3) -> "
            "(8, 10, 8)) and matches gc.models.blocks.upsample_block weight for weight: a 4 x 4 stride-2 "
            "transposed convolution without bias, batch norm, ReLU.")


def _pool(a, how):
    n, h, w, c = a.shape
    blocks = a[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    return blocks.max(axis=(2, 4)) if how == "max" else blocks.mean(axis=(2, 4))


@exercise("3.2", hint=_D_BLOCK)
def ex_3_2(discriminator_block):
    import keras
    from keras import layers

    from gan_course.models import blocks

    for seed, (input_shape, filters) in enumerate([((8, 6, 3), 5), ((28, 28, 1), 4)]):
        h, w, _ = input_shape
        shape_hints = {
            (h, w): ("strides=2: a stride-2 convolution halves the height and width; DCGAN "
                     "downsamples with strides, not with pooling."),
            ((h - 4) // 2 + 1, (w - 4) // 2 + 1): ("padding='same' gives exactly half the input "
                                                   "size; 'valid' loses the border."),
            (h // 4, w // 4): ("the size was halved twice: the stride-2 convolution alone "
                               "downsamples, with no pooling layer."),
            (2 * h, 2 * w): ("that doubles the size: the discriminator shrinks images with "
                             "Conv2D(strides=2); Conv2DTranspose is for the generator."),
        }
        model, reference, x, made_by = _check_block(
            discriminator_block, input_shape, filters, blocks.downsample_block,
            (None, h // 2, w // 2, filters), shape_hints, "Conv2D", True, _D_BLOCK, seed)
        expected = np.asarray(reference(x, training=False), np.float64)
        conv = _output_of(reference, 1, x)
        with _Float32Policy():  # the same convolution with stride 1, for the pooling mistakes
            x_in = keras.Input(input_shape)
            stride_1 = keras.Model(x_in, layers.Conv2D(filters, 4, padding="same")(x_in))
        stride_1.set_weights(reference.get_weights())
        full = np.asarray(stride_1(x), np.float64)
        pooling = ("no pooling: DCGAN replaces pooling by strided convolutions, Conv2D(filters, "
                   "4, strides=2, padding='same'), so the network learns how to downsample and "
                   "every pixel passes gradient back to the generator.")
        mistakes = [
            (_leaky(_pool(full, "max")), pooling),
            (_leaky(_pool(full, "mean")), pooling),
            (_pool(_leaky(full), "mean"), pooling),
            (np.maximum(conv, 0.0), ("use LeakyReLU(0.2), not ReLU: it keeps a small gradient "
                                     "for negative inputs, so the generator gets a signal "
                                     "through every unit.")),
            (_leaky(conv, 0.3), ("Keras' LeakyReLU() has slope 0.3 by default; DCGAN uses "
                                 "LeakyReLU(0.2).")),
            (conv, "end the block with layers.LeakyReLU(0.2)."),
        ]
        out = _run_model(model, x, made_by)
        expect(out, expected, what=f"the block built by {made_by}", mistakes=mistakes,
               hint=_D_BLOCK, rtol=1e-4, atol=1e-5)
    return ("discriminator_block halves the height and width ((8, 6, 3) -> (4, 3, 5), (28, 28, 1) "
            "-> (14, 14, 4)) and matches gc.models.blocks.downsample_block weight for weight: a 4 x 4 "
            "stride-2 convolution and LeakyReLU(0.2), no pooling.")


_FRECHET = ("mu = features.mean(axis=0) and sigma = np.cov(features, rowvar=False) for each set "
            "(rows are samples, columns features); then |mu_a - mu_b|^2 + Tr(sigma_a) + "
            "Tr(sigma_b) - 2 Tr((sigma_a sigma_b)^(1/2)).")


def _frechet_terms(a, b, ddof=1, rowvar=False):
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    s_a, s_b = np.cov(a, rowvar=rowvar, ddof=ddof), np.cov(b, rowvar=rowvar, ddof=ddof)
    eigenvalues = np.linalg.eigvals(s_a @ s_b).real
    return {"d2": float(np.sum((mu_a - mu_b) ** 2)), "tr": float(np.trace(s_a) + np.trace(s_b)),
            "tr_sqrt": float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()),
            "s_a": s_a, "s_b": s_b}


def _feature_set(rng, n, dim):
    mixing = np.eye(dim) + 0.5 * rng.normal(size=(dim, dim))
    return rng.normal(size=(n, dim)) @ mixing + rng.normal(0.0, 1.0, size=dim)


@exercise("3.3", hint=_FRECHET)
def ex_3_3(frechet_distance):
    from gan_course import metrics

    dim = 6
    cases = []
    for seed, (n_a, n_b) in enumerate([(400, 400), (400, 400), (300, 500)]):
        rng = seeded(seed)
        cases.append((_feature_set(rng, n_a, dim), _feature_set(rng, n_b, dim), None))
    base = _feature_set(seeded(3), 400, dim)
    shift = np.arange(1.0, dim + 1.0) / 4
    cases.append((base, base + shift, float(shift @ shift)))  # same covariance: |shift|^2
    cases.append((base, base.copy(), 0.0))  # identical sets: 0
    for a, b, closed_form in cases:
        what = f"frechet_distance(features_a, features_b) for {len(a)} and {len(b)} samples"
        got = call(frechet_distance, a, b)
        if np.iscomplexobj(got):
            raise Mismatch(f"{what} returned a complex number, {np.asarray(got).ravel()[0]:.6g}.",
                           "scipy.linalg.sqrtm can return tiny imaginary parts from rounding: "
                           "take the real part, e.g. sqrtm(sigma_a @ sigma_b).real.")
        reference = metrics.frechet_distance(*metrics.feature_stats(a), *metrics.feature_stats(b))
        if closed_form is not None:
            reference = closed_form
        t = _frechet_terms(a, b)
        d2, tr, tr_sqrt = t["d2"], t["tr"], t["tr_sqrt"]
        s_a, s_b = t["s_a"], t["s_b"]
        elementwise = ("np.sqrt takes the square root of each entry, not the matrix square root: "
                       "use scipy.linalg.sqrtm(sigma_a @ sigma_b), or the sum of the square roots "
                       "of the eigenvalues of sigma_a @ sigma_b.")
        mistakes = [
            (d2 + tr - tr_sqrt, ("the cross term is 2 Tr((sigma_a sigma_b)^(1/2)): the 2 is "
                                 "missing.")),
            (d2 + tr - 2 * np.sqrt(np.clip(np.diag(s_a @ s_b), 0, None)).sum(), elementwise),
            (d2 + tr - 2 * np.sqrt(np.diag(s_a) * np.diag(s_b)).sum(), elementwise),
            (np.sqrt(max(reference, 0.0)), ("FID is the formula itself, |mu_a - mu_b|^2 + "
                                            "Tr(...), without a final square root.")),
            (np.sqrt(d2) + tr - 2 * tr_sqrt, ("the mean term is the squared distance, "
                                              "np.sum((mu_a - mu_b) ** 2).")),
            (d2 + tr - 2 * np.sqrt(np.trace(s_a @ s_b)), ("take the trace of the matrix square "
                                                         "root, not the square root of the "
                                                         "trace.")),
        ]
        ddof0 = _frechet_terms(a, b, ddof=0)
        mistakes.append((ddof0["d2"] + ddof0["tr"] - 2 * ddof0["tr_sqrt"],
                         ("use np.cov(features, rowvar=False), which divides by N - 1 "
                          "(as gc.metrics does), for the covariances.")))
        if len(a) == len(b):
            rows = _frechet_terms(a, b, rowvar=True)
            mistakes.append((d2 + rows["tr"] - 2 * rows["tr_sqrt"],
                             ("np.cov treats rows as variables by default; here each row is a "
                              "sample: np.cov(features, rowvar=False) gives the (features x "
                              "features) covariance.")))
        expect(got, reference, what=what, mistakes=mistakes, hint=_FRECHET, rtol=1e-5,
               atol=1e-6)
    return ("frechet_distance matches gc.metrics on 3 pairs of random feature sets (6 features, "
            "300 to 500 samples), gives |shift|^2 for a shifted copy and 0 for identical sets.")


_CHECKERBOARD = ("for each image, average over its channels, then take the three amplitudes "
                 "mean(x * (-1)**i), mean(x * (-1)**j) and mean(x * (-1)**(i + j)) over the pixels "
                 "(i the row, j the column); the energy is the sum of their squares, one value "
                 "per image.")


def _checkerboard_amplitudes(images):
    x = np.asarray(images, np.float64).mean(axis=-1)
    h, w = x.shape[1:3]
    rows = np.repeat(((-1.0) ** np.arange(h))[:, None], w, axis=1)
    cols = np.repeat(((-1.0) ** np.arange(w))[None, :], h, axis=0)
    return [np.mean(x * p, axis=(1, 2)) for p in (rows, cols, rows * cols)]


def _checkerboard_energy(images):
    """The reference for exercise 3.4: power at the three Nyquist frequencies, per image."""
    return sum(a ** 2 for a in _checkerboard_amplitudes(images))


def _synthetic_images(side=28):
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    images = {
        "a 0/1 checkerboard": (i + j) % 2,
        "0/1 vertical stripes": j % 2,
        "0/1 horizontal stripes": i % 2,
        "a flat grey image": np.full((side, side), 0.5),
        "a smooth ramp from black to white": i / (side - 1),
    }
    return {name: image[None, :, :, None].astype(np.float32) for name, image in images.items()}


@exercise("3.4", hint=_CHECKERBOARD)
def ex_3_4(checkerboard_energy):
    synthetic = _synthetic_images()
    batch = np.concatenate(list(synthetic.values()))
    # Random batches first: there every typical mistake gives its own, different value.
    cases = [seeded(0).uniform(0.0, 1.0, size=(3, 28, 28, 1)),
             seeded(1).uniform(0.0, 1.0, size=(2, 6, 10, 3)), batch]
    for images in cases:
        what = f"checkerboard_energy(images) for images of shape {images.shape}"
        got = as_numbers(call(checkerboard_energy, images), what)
        n = len(images)
        if got.size == n:
            got = got.reshape(n)
        else:
            if got.size == 1:
                hint = ("return one value per image, shape (N,): average over the pixels of each "
                        "image, not over the whole batch.")
            elif got.shape == (n, images.shape[-1]):
                hint = "average over the channels too: one value per image, shape (N,)."
            else:
                hint = "return one value per image, shape (N,)."
            raise Mismatch(f"{what} returned shape {got.shape}; expected ({n},).", hint)
        amps = _checkerboard_amplitudes(images)
        expected = _checkerboard_energy(images)
        pixels = images.shape[1] * images.shape[2]
        mistakes = [
            (amps[2] ** 2, ("stripes count too: a stride-2 transposed convolution can also make "
                            "every other row or column brighter. Add the amplitudes of (-1)**i "
                            "and (-1)**j.")),
            (amps[0] ** 2 + amps[1] ** 2, "add the checkerboard itself, (-1)**(i + j)."),
            (sum(np.abs(a) for a in amps), ("square the three amplitudes and add the squares "
                                            "(an energy), rather than adding absolute values.")),
            (np.sqrt(expected), ("return the energy, the sum of the squared amplitudes, without a "
                                 "square root.")),
            (expected * pixels ** 2, ("average over the pixels (np.mean), not sum: the energy "
                                      "must not grow with the image size.")),
        ]
        expect(got, expected, what=what, mistakes=mistakes, hint=_CHECKERBOARD, rtol=1e-5,
               atol=1e-8)
    ramp = float(_checkerboard_energy(synthetic["a smooth ramp from black to white"])[0])
    return ("checkerboard_energy gives 0.25 for a 0/1 checkerboard and for 0/1 stripes, 0 for a "
            f"flat image, {ramp:.1e} for a smooth ramp, and matches the reference on random grey "
            "and colour batches.")
