"""Checks for lesson 07, CycleGAN: exercises 7.1 to 7.5."""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded

_EPSILON = 1e-5

# --- 7.1 instance normalisation ------------------------------------------------------------------

_INSTANCE = ("for each image and each channel, subtract the mean over the height and width and "
             "divide by sqrt(variance + epsilon): mean = x.mean(axis=(1, 2), keepdims=True), "
             "variance = x.var(axis=(1, 2), keepdims=True).")


def _normalised(x, axes, epsilon=_EPSILON, std_plus_eps=False):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / ((np.sqrt(var) + epsilon) if std_plus_eps else np.sqrt(var + epsilon))


def _feature_maps(seed, shape=(3, 5, 6, 4)):
    """Feature maps whose channels have very different means and spreads, one of them tiny."""
    rng = seeded(seed)
    scales = np.array([1.0, 3.0, 0.01, 0.5][:shape[-1]])
    offsets = rng.normal(0.0, 2.0, size=(shape[0], 1, 1, shape[-1]))
    return (rng.normal(size=shape) * scales + offsets).astype(np.float32)


@exercise("7.1", hint=_INSTANCE)
def ex_7_1(instance_norm):
    from gan_course.models import blocks

    for seed in range(3):
        x = _feature_maps(seed)
        reference = blocks.instance_norm(epsilon=_EPSILON, center=False, scale=False)
        expected = np.asarray(reference(x), np.float64)
        x64 = x.astype(np.float64)
        mistakes = [
            (_normalised(x64, (0, 1, 2)), ("that is batch norm: it averages over the batch too "
                                           "(axis 0). Instance norm treats each image alone: "
                                           "axis=(1, 2).")),
            (_normalised(x64, (1, 2, 3)), ("that is layer norm: it mixes the channels (axis 3). "
                                           "Normalise each channel separately: axis=(1, 2).")),
            (_normalised(x64, (0, 1, 2, 3)), "normalise each image and channel: axis=(1, 2)."),
            (_normalised(x64, (1, 2), std_plus_eps=True),
             "add epsilon to the variance, inside the square root: np.sqrt(var + epsilon)."),
            (_normalised(x64, (1, 2), epsilon=1e-3), "use epsilon = 1e-5, as given."),
            (x64 - x64.mean(axis=(1, 2), keepdims=True), ("divide by the standard deviation "
                                                          "too, not only subtract the mean.")),
        ]
        got = call(instance_norm, x)
        expect(got, expected, what=f"instance_norm(x) for x of shape {x.shape}", mistakes=mistakes,
               hint=_INSTANCE, rtol=1e-4, atol=1e-4)
    return ("instance_norm gives every image's every channel mean 0 and variance 1 over its height "
            "and width (with epsilon 1e-5 in the square root), as "
            "keras.layers.GroupNormalization(groups=-1) does, on 3 batches of (3, 5, 6, 4) maps.")


# --- 7.2 the PatchGAN receptive field -----------------------------------------------------------

_FIELD = ("start with field = 1 and jump = 1; for each layer, in order: field += (kernel - 1) * "
          "jump, then jump *= stride.")


def _field(kernels, strides):
    size, jump = 1, 1
    for k, s in zip(kernels, strides):
        size += (k - 1) * jump
        jump *= s
    return size


@exercise("7.2", hint=_FIELD)
def ex_7_2(receptive_field):
    cases = [((4, 4, 4, 4, 4), (2, 2, 2, 1, 1)), ((4, 4, 4, 4), (2, 2, 1, 1)),
             ((3, 3, 3), (1, 1, 1)), ((7, 3, 3), (1, 2, 2)), ((4, 4, 4, 4, 4, 4), (2,) * 4 + (1,) * 2)]
    for kernels, strides in cases:
        expected = _field(kernels, strides)
        jumps_after = np.cumprod(strides)
        mistakes = [
            (sum(k - 1 for k in kernels) + 1, ("strides widen the view: a layer after a stride-2 "
                                               "layer sees pixels twice as far apart. Multiply "
                                               "(kernel - 1) by the product of the strides "
                                               "before it.")),
            (1 + sum((k - 1) * j for k, j in zip(kernels, jumps_after)),
             "a layer's own stride does not widen its own view: update jump *after* adding "
             "(kernel - 1) * jump."),
            (sum(k * j for k, j in zip(kernels, np.concatenate([[1], jumps_after[:-1]]))),
             "each layer adds (kernel - 1) * jump pixels, starting from a field of 1."),
            (int(np.prod(kernels)), "the fields add up, layer by layer; they do not multiply."),
        ]
        what = f"receptive_field({kernels}, {strides})"
        expect(call(receptive_field, kernels, strides), expected, what=what, mistakes=mistakes,
               hint=_FIELD, rtol=0, atol=1e-9)
    return ("receptive_field gives 70 pixels for the paper's PatchGAN (five 4 x 4 convolutions, "
            "strides 2, 2, 2, 1, 1) and the right field for 4 other stacks.")
# --- 7.3 least-squares adversarial losses --------------------------------------------------------

_LSGAN = ("discriminator: 0.5 * (mean((real - 1)**2) + mean(fake**2)); generator: "
          "mean((fake - 1)**2), where real and fake are the raw score maps.")


def _scores(seed, shape=(4, 6, 6, 1)):
    rng = seeded(seed)
    return rng.normal(0.8, 0.6, size=shape), rng.normal(0.2, 0.6, size=shape)


@exercise("7.3", hint=_LSGAN)
def ex_7_3(discriminator_loss, generator_loss):
    from gan_course import losses

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    for seed in range(3):
        real, fake = _scores(seed)
        d_expected = float(losses.least_squares_discriminator_loss(real, fake))
        g_expected = float(losses.least_squares_generator_loss(fake))
        what = "discriminator_loss(real_scores, fake_scores)"
        d_mistakes = [
            (2 * d_expected, ("halve the sum, as CycleGAN does: 0.5 * (mean((real - 1)**2) + "
                              "mean(fake**2)), the average of the two terms. (It does not slow "
                              "the discriminator: Adam's steps ignore the loss's scale.)")),
            (0.5 * (np.mean(real ** 2) + np.mean((fake - 1) ** 2)),
             "real scores are pulled to 1 and fake ones to 0, not the other way round."),
            (0.5 * (np.mean(np.abs(real - 1)) + np.mean(np.abs(fake))),
             "square the differences (least squares), do not take absolute values."),
            (0.5 * (np.mean((sigmoid(real) - 1) ** 2) + np.mean(sigmoid(fake) ** 2)),
             "the scores are used raw: no sigmoid in a least-squares GAN."),
            (-np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake))),
             "that is the cross-entropy loss of lesson 01; here the loss is least squares."),
            (0.5 * (np.sum((real - 1) ** 2) + np.sum(fake ** 2)),
             "average over every score of the map (np.mean), do not sum."),
        ]
        expect(call(discriminator_loss, real, fake), d_expected, what=what,
               inputs={"real_scores": real, "fake_scores": fake}, mistakes=d_mistakes,
               hint=_LSGAN)
        g_mistakes = [
            (np.mean(fake ** 2), "the generator wants its fakes scored 1: mean((fake - 1)**2)."),
            (-np.mean(fake ** 2), ("the generator wants its fakes scored 1: minimise "
                                   "mean((fake - 1)**2).")),
            (0.5 * g_expected, "no 0.5 for the generator: mean((fake - 1)**2)."),
            (np.mean(np.abs(fake - 1)), "square the differences: mean((fake - 1)**2)."),
            (-np.mean(np.log(sigmoid(fake))), ("that is the non-saturating loss of lesson 01; "
                                               "here it is mean((fake - 1)**2).")),
        ]
        expect(call(generator_loss, fake), g_expected, what="generator_loss(fake_scores)",
               inputs={"fake_scores": fake}, mistakes=g_mistakes, hint=_LSGAN)
    return ("discriminator_loss = 0.5 (mean((real - 1)^2) + mean(fake^2)) and generator_loss = "
            "mean((fake - 1)^2) match gc.losses on 3 pairs of (4, 6, 6, 1) score maps.")


# --- 7.4 cycle and identity losses ---------------------------------------------------------------

_CYCLE = ("cycle = mean|F(G(photos)) - photos| + mean|G(F(paintings)) - paintings|; identity = "
          "mean|G(paintings) - paintings| + mean|F(photos) - photos|.")


def _toy_generators(seed):
    """Two different smooth maps of [-1, 1] images, standing in for the generators."""
    rng = seeded(seed)
    a, b, c, d = rng.uniform(0.5, 1.5, 4)

    def G(x, training=False):  # noqa: N803 - the paper's name
        return np.tanh(a * np.asarray(x, np.float64) + 0.3 * b)

    def F(x, training=False):  # noqa: N803
        return np.tanh(c * np.asarray(x, np.float64) ** 3 - 0.2 * d)

    return G, F


@exercise("7.4", hint=_CYCLE)
def ex_7_4(cycle_and_identity_losses):
    from gan_course import losses

    def l1(a, b):
        return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))

    def l2(a, b):
        return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))

    for seed in range(3):
        G, F = _toy_generators(seed)
        rng = seeded(seed + 10)
        x, y = rng.uniform(-1, 1, size=(2, 3, 8, 8, 3))
        got = call(cycle_and_identity_losses, G, F, x, y)
        what = "cycle_and_identity_losses(G, F, photos, paintings)"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            shown = f"{len(got)} values" if isinstance(got, (tuple, list)) else fmt(got)
            raise Mismatch(f"{what} returned {shown}; expected two numbers: (cycle, identity).",
                           "end with `return cycle, identity`.")
        cycle = float(losses.cycle_loss(x, F(G(x))) + losses.cycle_loss(y, G(F(y))))
        identity = float(losses.identity_loss(y, G(y)) + losses.identity_loss(x, F(x)))
        cycle_mistakes = [
            (l2(F(G(x)), x) + l2(G(F(y)), y), ("CycleGAN's cycle loss is the mean *absolute* "
                                               "difference (L1), which keeps edges sharper than "
                                               "squares do.")),
            (l1(F(G(x)), x), "add the other direction: mean|G(F(paintings)) - paintings|."),
            (l1(G(F(y)), y), "add the first direction: mean|F(G(photos)) - photos|."),
            (l1(G(F(x)), x) + l1(F(G(y)), y), ("a photo goes to a painting first: F(G(photos)); "
                                               "a painting goes to a photo first: "
                                               "G(F(paintings)).")),
            (l1(G(x), x) + l1(F(y), y), ("the cycle loss compares each image with its round "
                                         "trip, F(G(photos)) with photos.")),
        ]
        expect(as_numbers(got[0], f"the cycle loss of {what}"), cycle,
               what=f"the cycle loss of {what}", mistakes=cycle_mistakes, hint=_CYCLE)
        identity_mistakes = [
            (l1(G(x), x) + l1(F(y), y), ("identity means a generator leaves pictures of its own "
                                         "*target* domain alone: G (photo -> painting) gets "
                                         "paintings, F gets photos.")),
            (l2(G(y), y) + l2(F(x), x), "use the mean absolute difference (L1), as for the cycle."),
            (l1(G(y), y), "add F's term: mean|F(photos) - photos|."),
            (l1(F(x), x), "add G's term: mean|G(paintings) - paintings|."),
        ]
        expect(as_numbers(got[1], f"the identity loss of {what}"), identity,
               what=f"the identity loss of {what}", mistakes=identity_mistakes, hint=_CYCLE)
    return ("cycle_and_identity_losses gives the L1 round-trip error of both directions and the L1 "
            "change each generator makes to its own target domain, on 3 toy generator pairs.")


# --- 7.5 the image history -------------------------------------------------------------------------

_HISTORY = ("while fewer than `size` images are stored, store each new image and return it; "
            "once full, for each new image flip a coin (self.rng.random() < 0.5): on heads "
            "return a random stored image and store the new one in its place, on tails return "
            "the new image and store nothing.")


def _tagged(ids):
    """A batch of small images, each filled with its own id, so outputs can be traced."""
    return np.repeat(np.asarray(ids, np.float32)[:, None, None, None], 4, axis=1).repeat(
        4, axis=2).repeat(3, axis=3)


def _ids_of(batch, what, shape):
    out = as_numbers(batch, what)
    if out.shape != shape:
        raise Mismatch(f"{what} returned shape {out.shape}; expected {shape}, one image per "
                       "image of the batch.", "return a batch of the same shape as `images`.")
    ids = out.reshape(len(out), -1)
    if not np.all(ids == ids[:, :1]):
        raise Mismatch(f"{what} returned images that are not among those it was given.",
                       "return whole images, new or stored, unchanged.")
    return [int(round(v)) for v in ids[:, 0]]


@exercise("7.5", hint=_HISTORY)
def ex_7_5(ImageHistory):  # noqa: N803 - the student's class
    size, batch, steps = 6, 3, 300
    for seed in range(2):
        history = call(ImageHistory, size, seed)
        stored, left, next_id, swaps, full_outputs = set(), set(), 0, 0, 0
        for step in range(steps):
            ids = list(range(next_id, next_id + batch))
            next_id += batch
            what = f"history.query(images) at call {step + 1} (size={size}, seed={seed})"
            got = _ids_of(call(history.query, _tagged(ids)), what, (batch, 4, 4, 3))
            for new, out in zip(ids, got):
                if len(stored) < size:
                    if out != new:
                        raise Mismatch(f"{what} returned a stored image while the history held "
                                       f"only {len(stored)} of {size}.",
                                       "until the history is full, store each new image and "
                                       "return it unchanged.")
                    stored.add(new)
                    continue
                full_outputs += 1
                if out == new:
                    continue
                if out not in stored:
                    if out in left:
                        hint = ("a stored image that is returned leaves the history: put the new "
                                "image in its slot.")
                    else:
                        hint = ("once the history is full, store a new image only when it takes "
                                "the place of the stored image you return; otherwise return it "
                                "and store nothing.")
                    raise Mismatch(f"{what} returned image {out}, which the history no longer "
                                   "(or never) held.", hint)
                stored.discard(out)
                left.add(out)
                stored.add(new)
                swaps += 1
        share = swaps / max(full_outputs, 1)
        if not 0.35 <= share <= 0.65:
            hint = ("return a stored image with probability 0.5 only."
                    if share > 0.65 else "once full, swap each new image for a stored one with "
                                         "probability 0.5 and return the stored one.")
            raise Mismatch(f"once the history was full, {share:.0%} of the returned images were "
                           "stored ones; expected about half.", hint)
    return (f"ImageHistory stores the first {size} images, then returns a stored image in place "
            f"of about half the new ones ({share:.0%} here) and keeps the new one in its slot.")


