"""Checks for lesson 09, restoring pictures with pix2pix: exercises 9.1 to 9.5."""

import numpy as np

from gan_course.checks.core import Mismatch, article, as_numbers, call, exercise, expect, seeded
from gan_course.checks.networks import Float32Policy, run_model

# --- 9.1 shrinking without aliasing ----------------------------------------------------------------

_SHRINK = ("each output pixel is the mean of one factor x factor block: reshape (n, H, W, C) to "
           "(n, H / f, f, W / f, f, C), so that axes 2 and 4 run inside a block, and average "
           "over them.")


def _shrunk(x, f):
    n, h, w, c = x.shape
    return x.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))


@exercise("9.1", hint=_SHRINK)
def ex_9_1(shrink):
    for seed, (shape, f) in enumerate((((2, 8, 12, 3), 4), ((1, 6, 4, 1), 2), ((3, 12, 8, 3), 4))):
        x = seeded(seed).uniform(0, 1, shape)
        n, h, w, c = shape
        expected = _shrunk(x, f)
        mistakes = [
            (x[:, ::f, ::f], "taking every f-th pixel keeps 1 pixel of 16 and drops the rest: a "
                             "1-pixel checkerboard comes out black or white instead of grey "
                             "(aliasing). Average the whole block."),
            (x[:, f // 2::f, f // 2::f], "one pixel per block is still sampling, not averaging."),
            (_shrunk(x, f) * f * f, "average the block (divide by f * f), do not sum it: the "
                                    "picture's brightness must stay the same."),
            (x.reshape(n, h // f, w // f, f, f, c).mean(axis=(3, 4)),
             "that reshape mixes rows: the f pixels of one block row are neighbours along W, so "
             "W must split as (W / f, f) right after H splits as (H / f, f)."),
        ]
        got = call(shrink, x, f)
        expect(got, expected, what=f"shrink(images of shape {shape}, {f})", mistakes=mistakes,
               hint=_SHRINK, rtol=1e-5, atol=1e-6)
    board = np.indices((8, 8)).sum(0) % 2
    flat = np.asarray(call(shrink, board[None, :, :, None].astype(float), 4), np.float64)
    return (f"shrink averages each block: brightness kept, and a 1-pixel checkerboard becomes "
            f"{flat.min():.2f} to {flat.max():.2f} grey, where sampling would keep black or white.")


# --- 9.2 a decoder level and its skip connection ------------------------------------------------

_LEVEL = ("double h with layers.UpSampling2D(2) (nearest neighbour), then layers.Conv2D(filters, "
          "3, padding='same') and a ReLU; then layers.Concatenate()([up, skip]).")
_LEVEL_CASES = (((4, 4, 32), (8, 8, 16), 16), ((8, 8, 16), (16, 16, 8), 8))


def _reference_level(h_shape, skip_shape, filters):
    import keras
    from keras import layers

    h, skip = keras.Input(h_shape), keras.Input(skip_shape)
    up = layers.UpSampling2D(2)(h)
    up = layers.ReLU()(layers.Conv2D(filters, 3, padding="same")(up))
    return keras.Model([h, skip], layers.Concatenate()([up, skip]))


def _level_model(decoder_level, h_shape, skip_shape, filters):
    import keras

    h, skip = keras.Input(h_shape), keras.Input(skip_shape)
    name = getattr(decoder_level, "__name__", "your function")
    made_by = f"{name}(h, skip, {filters}) with h {(None, *h_shape)}, skip {(None, *skip_shape)}"
    y = call(decoder_level, h, skip, filters)
    if not isinstance(y, keras.KerasTensor):
        raise Mismatch(f"{made_by} returned {article(type(y).__name__)}, not a Keras tensor.",
                       "apply each layer to a tensor and return the last one.")
    try:
        return keras.Model([h, skip], y), made_by
    except Exception as err:  # noqa: BLE001 - a disconnected graph, most often
        raise Mismatch(f"the tensor {made_by} returned is not computed from h and skip "
                       f"({type(err).__name__}).", "use both arguments; create no keras.Input "
                       "inside the function.") from None


@exercise("9.2", hint=_LEVEL)
def ex_9_2(decoder_level):
    with Float32Policy():
        for seed, (h_shape, skip_shape, filters) in enumerate(_LEVEL_CASES):
            model, made_by = _level_model(decoder_level, h_shape, skip_shape, filters)
            want_shape = (None, skip_shape[0], skip_shape[1], filters + skip_shape[2])
            got_shape = tuple(model.output.shape)
            if got_shape == (None, skip_shape[0], skip_shape[1], filters):
                raise Mismatch(f"{made_by} gives {got_shape}; the table asks {want_shape}.",
                               "adding the skip mixes the fine detail into the coarse maps and "
                               "forces them to agree in width; concatenate, so the skip's "
                               "channels reach the next convolution as they are.")
            if got_shape != want_shape:
                raise Mismatch(f"{made_by} gives {got_shape}; the table asks {want_shape}.",
                               _LEVEL)
            count = model.count_params()
            want = 9 * h_shape[2] * filters + filters
            if count != want:
                hint = ("a 4x4 transposed convolution holds 16 weights per input and output "
                        "channel; the table's count is that of a 3x3 convolution after a "
                        "resize." if count == 16 * h_shape[2] * filters + filters else _LEVEL)
                raise Mismatch(f"{made_by} holds {count} weights; the table says {want}.", hint)
            reference = _reference_level(h_shape, skip_shape, filters)
            rng = seeded(seed)
            weights = [rng.normal(0, 0.3, tuple(w.shape)).astype(np.float32)
                       for w in reference.weights]
            reference.set_weights(weights)
            try:
                model.set_weights(weights)
            except ValueError:
                raise Mismatch(f"{made_by}'s weights are not one 3x3 convolution with a bias.",
                               _LEVEL) from None
            h = rng.normal(0, 1, (2, *h_shape)).astype(np.float32)
            skip = rng.normal(0, 1, (2, *skip_shape)).astype(np.float32)
            got = run_model(model, [h, skip], made_by)
            want_out = np.asarray(reference([h, skip]), np.float64)
            swapped = np.concatenate([want_out[..., filters:], want_out[..., :filters]], -1)
            if np.allclose(got, swapped, atol=1e-4):
                continue  # the skip first is the same network, channels in another order
            expect(got, want_out, what=f"{made_by} (seeded weights)",
                   mistakes=[(_without_relu(reference, h, skip, filters),
                              "a ReLU follows the convolution, before the concatenation.")],
                   hint=_LEVEL, rtol=1e-4, atol=1e-4)
    return ("decoder_level doubles h, convolves it (3x3 and ReLU) and concatenates the skip: "
            "the encoder's detail reaches the output without passing the bottleneck.")


def _without_relu(reference, h, skip, filters):
    import keras

    conv = next(layer for layer in reference.layers if layer.__class__.__name__ == "Conv2D")
    up = np.repeat(np.repeat(h, 2, axis=1), 2, axis=2)
    inner = np.asarray(conv(keras.ops.convert_to_tensor(up)), np.float64)
    return np.concatenate([inner, skip], -1)


# --- 9.3 what the conditional critic sees ------------------------------------------------------------

_PAIRS = ("real = the damaged input beside the original, fake = the damaged input beside the "
          "restoration, both joined along the channels (axis -1), the damaged input first.")


def _expect_pairs(got, expected, what, mistakes):
    """``expect``, with the typical mistakes recognised whatever their shape."""
    arr = as_numbers(got, what)
    for wrong, why in mistakes:
        if arr.shape == wrong.shape and np.allclose(arr, wrong, atol=1e-6):
            raise Mismatch(f"{what} have shape {arr.shape}, expected {expected.shape}"
                           if arr.shape != expected.shape else f"{what} hold other pictures.",
                           why)
    return expect(arr, expected, what=what, hint=_PAIRS)


@exercise("9.3", hint=_PAIRS)
def ex_9_3(critic_pairs):
    rng = seeded(0)
    damaged = rng.uniform(-1, 1, (3, 8, 8, 4))
    restored, original = rng.uniform(-1, 1, (2, 3, 8, 8, 3))
    got = call(critic_pairs, damaged, restored, original)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch("critic_pairs must return two batches, (real_pairs, fake_pairs).",
                       _PAIRS)
    real, fake = got
    join = np.concatenate
    alone = ("a critic that sees the original alone cannot tell whether it belongs to this "
             "input: a sharp but wrong picture would pass. Give it the damaged input beside "
             "the picture.")
    order = "the damaged input comes first, then the picture, as the critic's inputs are ordered."
    no_original = ("the critic never sees the original beside the restoration: at test time "
                   "there is no original. It judges pairs (input, candidate).")
    _expect_pairs(real, join([damaged, original], -1), "the real pairs",
                  [(original, alone), (join([original, damaged], -1), order),
                   (join([restored, original], -1), no_original)])
    _expect_pairs(fake, join([damaged, restored], -1), "the fake pairs",
                  [(restored, "the fake pair too holds the damaged input beside the "
                              "restoration."),
                   (join([restored, damaged], -1), order)])
    return ("the critic sees (damaged, original) as real and (damaged, restoration) as fake: it "
            "judges whether a picture is a plausible restoration of this input.")


# --- 9.4 the pix2pix generator loss ----------------------------------------------------------------

_LOSS = ("mean(softplus(-scores)) (lesson 01's non-saturating loss from logits) + l1_weight * "
         "mean(|restored - original|).")


def _softplus(a):
    return np.logaddexp(0.0, a)


@exercise("9.4", hint=_LOSS)
def ex_9_4(generator_loss):
    for seed in range(3):
        rng = seeded(seed)
        scores = rng.normal(0, 2, (4, 6, 6, 1)).astype(np.float32)  # as a model gives them
        restored, original = rng.uniform(-1, 1, (2, 4, 8, 8, 3)).astype(np.float32)
        weight = (100.0, 10.0, 1.0)[seed]
        scores64, restored64, original64 = (a.astype(np.float64) for a in (scores, restored,
                                                                           original))
        adversarial = _softplus(-scores64).mean()
        l1 = np.abs(restored64 - original64).mean()
        mistakes = [
            (-_softplus(scores64).mean() + weight * l1,
             "that is the saturating loss, log(1 - D): it gives no gradient when the critic is "
             "sure. Use lesson 01's non-saturating loss, softplus(-scores)."),
            (adversarial + weight * ((restored64 - original64) ** 2).mean(),
             "that is the squared (L2) error: an error twice as large costs four times as "
             "much, and its best guess under doubt is the average, a blur. Use |restored - "
             "original|."),
            (weight * adversarial + l1, "the weight multiplies the L1 term, not the critic's."),
            (adversarial + weight * np.abs(restored64 - original64).sum(),
             "average the absolute errors (np.mean), do not sum them."),
            (weight * l1, "the critic's term is missing: without it this is the L1 baseline."),
            (adversarial, "the L1 term is missing."),
        ]
        got = call(generator_loss, scores, restored, original, weight)
        expect(got, adversarial + weight * l1,
               what=f"generator_loss(scores, restored, original, {weight})", mistakes=mistakes,
               hint=_LOSS, rtol=1e-4, atol=1e-5)
    return ("generator_loss = the non-saturating adversarial loss + l1_weight x the mean "
            "absolute error, for weights 100, 10 and 1.")


# --- 9.5 PSNR, and what it rewards --------------------------------------------------------------------

_PSNR = ("per picture: mse = mean((restored - original)**2) over its pixels and channels, then "
         "10 * log10(1 / mse) for pictures in [0, 1].")


@exercise("9.5", hint=_PSNR)
def ex_9_5(psnr):
    import tensorflow as tf

    rng = seeded(0)
    original = rng.uniform(0, 1, (4, 16, 16, 3))
    restored = np.clip(original + rng.normal(0, 0.05, original.shape) * [[[[1]]], [[[2]]],
                                                                          [[[3]]], [[[4]]]], 0, 1)
    expected = np.asarray(tf.image.psnr(restored, original, 1.0), np.float64)
    mse = ((restored - original) ** 2).mean(axis=(1, 2, 3))
    mistakes = [
        (np.full(4, 10 * np.log10(1 / mse.mean())), "one PSNR per picture: average over each "
                                                    "picture's pixels (axes 1, 2, 3), not over "
                                                    "the batch."),
        (10 * np.log10(255**2 / mse), "these pictures are in [0, 1]: the peak is 1, not 255."),
        (20 * np.log10(1 / mse), "10 log10 of the mean squared error (or 20 log10 of its root), "
                                 "not 20 log10 of the squared error."),
        (10 * np.log10(1 / np.abs(restored - original).mean(axis=(1, 2, 3))),
         "PSNR uses the squared error."),
    ]
    got = call(psnr, restored, original)
    expect(got, expected, what="psnr(restored, original) for 4 pictures", mistakes=mistakes,
           hint=_PSNR, rtol=1e-4, atol=1e-3)
    # What PSNR rewards: a blurred copy against a sharp copy moved by one pixel.
    picture = seeded(1).uniform(0, 1, (1, 32, 32, 3))
    blurred = (picture + np.roll(picture, 1, 1) + np.roll(picture, -1, 1)) / 3
    shifted = np.roll(picture, 1, 2)
    blur, shift = (float(np.asarray(call(psnr, x, picture), np.float64).ravel()[0])
                   for x in (blurred, shifted))
    return (f"psnr matches tf.image.psnr; it scores a blurred copy {blur:.1f} dB and a sharp "
            f"copy moved by one pixel {shift:.1f} dB.")
