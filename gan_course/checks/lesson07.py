"""Checks for lesson 07, CycleGAN: exercises 7.1 to 7.5 (the losses, 7.3 and 7.4, in
``cyclegan_losses``).

The lesson gives 7.1 as properties, 7.2 as a table of small stacks and their fields; the
hints send the student back to them.
"""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded
from gan_course.checks.cyclegan_losses import ex_7_3, ex_7_4  # noqa: F401 - the lesson's losses

_EPSILON = 1e-5

# --- 7.1 instance normalisation ------------------------------------------------------------------

_INSTANCE = ("go back to the four properties: which axes must the statistics leave out so that "
             "images and channels stay apart, and what must you divide by for a channel of "
             "variance v to come out with variance v / (v + epsilon)?")
_FLAT = ("property 4: a flat channel (variance 0) must give zeros, not nan or inf. Where does "
         "epsilon go?")


def _normalised(x, axes, epsilon=_EPSILON, std_plus_eps=False, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return (x - mean) / ((np.sqrt(var) + epsilon) if std_plus_eps else np.sqrt(var + epsilon))


def _feature_maps(seed, shape=(3, 5, 6, 4), scales=(1.0, 3.0, 0.01, 0.5)):
    """Feature maps whose channels have very different means and spreads, one of them tiny
    (a scale of 0 makes that channel flat; the offsets, multiples of 1/4, keep it exact)."""
    rng = seeded(seed)
    offsets = np.round(4 * rng.normal(0.0, 2.0, size=(shape[0], 1, 1, shape[-1]))) / 4
    return (rng.normal(size=shape) * np.asarray(scales) + offsets).astype(np.float32)


def _instance_mistakes(x):
    """(output, hint) of the typical mistakes, on float64 maps x."""
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    return [
        (_normalised(x, (0, 1, 2)), ("that is batch norm: its statistics run over the batch too "
                                     "(axis 0), so one image's output depends on the others "
                                     "(property 1). Leave the batch axis out.")),
        (_normalised(x, (1, 2, 3)), ("that is layer norm: its statistics mix the channels "
                                     "(axis 3), against property 2. Leave the channel axis "
                                     "out.")),
        (_normalised(x, (0, 1, 2, 3)), ("one mean and variance for the whole batch breaks "
                                        "properties 1 and 2: leave out the batch and channel "
                                        "axes.")),
        (_normalised(x, (1,)), "a channel's statistics run over its height *and* its width."),
        (_normalised(x, (2,)), "a channel's statistics run over its height *and* its width."),
        (_normalised(x, (1, 2), std_plus_eps=True),
         ("property 4: with sqrt(v) + epsilon the variance comes out v / (sqrt(v) + epsilon)^2, "
          "not v / (v + epsilon). Work out which divisor gives v / (v + epsilon).")),
        ((x - mean) / np.sqrt(var), ("property 4: without epsilon every channel comes out with "
                                     "variance 1, not v / (v + epsilon), and a flat channel "
                                     "divides by 0.")),
        (_normalised(x, (1, 2), ddof=1), ("the variance v divides by the number of pixels "
                                          "(np.var's default), not by one less (ddof=1).")),
        (_normalised(x, (1, 2), epsilon=1e-3), "use the epsilon given, 1e-5 by default."),
        (x - mean, "property 4: divide by the spread too, not only subtract the mean."),
    ]


def _property_hint(instance_norm, x):
    """The first of the lesson's four properties that ``instance_norm`` breaks on ``x``."""
    def run(a, what):
        out = as_numbers(call(instance_norm, a.astype(np.float32)), what)
        if out.shape != a.shape:
            raise Mismatch(f"{what} returned shape {out.shape}; expected {a.shape}.",
                           "return one value per input value, of the input's shape.")
        return out

    out = run(x, "instance_norm(x)")
    others = x.copy()
    others[1:] = 5.0 * x[1:][::-1] + 3.0
    if not np.allclose(run(others, "instance_norm(x)")[0], out[0], atol=1e-3) or not np.allclose(
            run(x[:1], "instance_norm(x[:1])")[0], out[0], atol=1e-3):
        return ("property 1 fails: image 0's output changed when the other images (or the batch "
                "size) changed. Each image's statistics come from that image alone.")
    channel = x.copy()
    channel[..., 1] = 4.0 * x[..., 1][:, ::-1] - 2.0
    if not np.allclose(run(channel, "instance_norm(x)")[..., 0], out[..., 0], atol=1e-3):
        return ("property 2 fails: channel 0's output changed when only channel 1 changed. Each "
                "channel's statistics come from that channel alone.")
    means = out.mean(axis=(1, 2))
    if np.any(np.abs(means) > 1e-3 * (1.0 + out.std(axis=(1, 2)))):  # float32 noise allowed
        return (f"property 3 fails: over its height and width, a channel of the output has mean "
                f"{fmt(means.flat[np.argmax(np.abs(means))])}, not 0.")
    v = x.var(axis=(1, 2))
    if not np.allclose(out.var(axis=(1, 2)), v / (v + _EPSILON), rtol=1e-3, atol=1e-4):
        return ("property 4 fails: a channel of variance v must come out with variance "
                "v / (v + epsilon). Work out the divisor from that.")
    return None


@exercise("7.1", hint=_INSTANCE)
def ex_7_1(instance_norm):
    from gan_course.models import blocks

    flat = (1.0, 3.0, 0.0, 0.5)  # the last batch has a flat channel: property 4's zeros
    for seed, scales in [(0, None), (1, None), (2, None), (3, flat)]:
        x = _feature_maps(seed) if scales is None else _feature_maps(seed, scales=scales)
        reference = blocks.instance_norm(epsilon=_EPSILON, center=False, scale=False)
        expected = np.asarray(reference(x), np.float64)
        if scales is not None:  # GroupNormalization's float32 arithmetic leaves tiny noise there
            expected[..., 2] = 0.0
        got = call(instance_norm, x)
        with np.errstate(all="ignore"):  # some mistakes divide a flat channel by 0
            mistakes = _instance_mistakes(x.astype(np.float64))
        try:
            expect(got, expected, what=f"instance_norm(x) for x of shape {x.shape}",
                   mistakes=mistakes, hint=_INSTANCE,
                   nonfinite_hint=_FLAT, rtol=1e-4, atol=1e-4)
        except Mismatch as err:
            if err.hint != _INSTANCE:
                raise
            raise Mismatch(err.problem, _property_hint(instance_norm, x.astype(np.float64))
                           or _INSTANCE) from None
    return ("instance_norm keeps images and channels apart, gives every channel mean 0 and "
            "variance v / (v + 1e-5) over its height and width, and a flat channel zeros, as "
            "keras.layers.GroupNormalization(groups=-1) does, on 4 batches of (3, 5, 6, 4) maps.")


# --- 7.2 the PatchGAN receptive field -----------------------------------------------------------

# (kernels, strides, field) of small stacks, the picture's layer first. The lesson prints this
# table; the check holds receptive_field to it and to five larger stacks.
FIELD_TABLE = [
    ((3,), (1,), 3),
    ((3, 3), (1, 1), 5),
    ((3, 3, 3), (1, 1, 1), 7),
    ((4,), (2,), 4),
    ((4, 4), (2, 1), 10),
    ((4, 4), (1, 2), 7),
    ((4, 4, 4), (2, 2, 1), 22),
    ((2, 2, 2), (2, 2, 2), 8),
]

_FIELD = ("go back to the table: find what one layer adds to the field and how the strides of the "
          "layers before it stretch that, then check your rule on every row.")


def _field(kernels, strides):
    size, jump = 1, 1
    for k, s in zip(kernels, strides):
        size += (k - 1) * jump
        jump *= s
    return size


def _backwards(kernels, strides, extra):
    """A wrong walk from the score down: r <- r * s + k - 1 + extra."""
    r = 1
    for k, s in zip(kernels[::-1], strides[::-1]):
        r = r * s + k - 1 + extra
    return r


def _field_mistakes(kernels, strides):
    jumps_after = np.cumprod(strides)
    return [
        (sum(k - 1 for k in kernels) + 1, ("strides widen the view: after a stride-2 layer, "
                                           "neighbouring inputs of the next layer are 2 pixels "
                                           "apart in the picture (table: 4/2 then 4/1 sees 10, "
                                           "not 7).")),
        (_field(kernels[::-1], strides[::-1]), ("the order matters: a layer's kernel is stretched "
                                                "by the strides of the layers *before* it, nearer "
                                                "the picture (table: 4/2 then 4/1 sees 10, 4/1 "
                                                "then 4/2 sees 7).")),
        (1 + sum((k - 1) * j for k, j in zip(kernels, jumps_after)),
         "a layer's own stride does not widen its own view (table: 4/2 alone sees 4 pixels)."),
        (_backwards(kernels, strides, 0), ("going back through a layer of stride s, a region r "
                                           "outputs wide spans r - 1 steps of s input pixels, "
                                           "plus one kernel (table: 4/2 alone sees 4, not 5).")),
        (_backwards(kernels, strides, 1), ("going back through a layer of stride s, a region r "
                                           "outputs wide spans r - 1 steps of s input pixels, "
                                           "plus one kernel (table: 3/1 alone sees 3).")),
        (sum(k * j for k, j in zip(kernels, np.concatenate([[1], jumps_after[:-1]]))),
         "each layer adds (kernel - 1) stretched pixels to a field that starts at 1 (table: 3/1 "
         "then 3/1 sees 5, not 6)."),
        (int(np.prod(kernels)), "the fields add up, layer by layer; they do not multiply."),
    ]


@exercise("7.2", hint=_FIELD)
def ex_7_2(receptive_field):
    networks = [((4, 4, 4, 4, 4), (2, 2, 2, 1, 1)), ((4, 4, 4, 4), (2, 2, 1, 1)),
                ((7, 3, 3), (1, 2, 2)), ((3, 5, 3, 3), (2, 1, 2, 1)),
                ((4, 4, 4, 4, 4, 4), (2,) * 4 + (1,) * 2)]
    # the larger stacks first: there every mistake gives its own number, and so its own hint
    for kernels, strides in networks + [(k, s) for k, s, _ in FIELD_TABLE]:
        what = f"receptive_field({list(kernels)}, {list(strides)})"
        expect(call(receptive_field, list(kernels), list(strides)), _field(kernels, strides),
               what=what, mistakes=_field_mistakes(kernels, strides), hint=_FIELD, rtol=0,
               atol=1e-9)
    return (f"receptive_field gives the {len(FIELD_TABLE)} fields of the table, 70 pixels for the "
            "paper's PatchGAN (five 4 x 4 convolutions, strides 2, 2, 2, 1, 1) and the right "
            "field for 4 other stacks.")


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


