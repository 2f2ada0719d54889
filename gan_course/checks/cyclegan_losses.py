"""Checks for lesson 07's losses: the least-squares losses (7.3), cycle and identity (7.4).

The lesson states the losses as targets and properties, not as formulas: 7.3's table of scores
and losses (``LSGAN_TABLE``) and 7.4's table of which generator maps which domain. The hints
send the student back to them.
"""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, fmt, seeded

# --- 7.3 least-squares adversarial losses --------------------------------------------------------

# (real scores, fake scores, L_D, L_G): every score of each map set to the value, or half the
# scores to each of two values. The lesson prints this table; the check holds the losses to it.
LSGAN_TABLE = [
    ((1.0,), (0.0,), 0.0, 1.0),
    ((0.5,), (0.5,), 0.25, 0.25),
    ((1.0,), (1.0,), 0.5, 0.0),
    ((3.0,), (-1.0,), 2.5, 4.0),
    ((0.0, 2.0), (0.0, 2.0), 1.5, 1.0),
]

_LSGAN = ("go back to the targets (real scores to 1, fakes to 0 for the discriminator; fakes to 1 "
          "for the generator) and find the combination that gives every row of the table.")


def table_scores(values, shape=(2, 4, 4, 1)):
    """A score map of ``shape`` whose scores are ``values``, each on an equal share."""
    flat = np.repeat(np.asarray(values, np.float64), int(np.prod(shape)) // len(values))
    return flat.reshape(shape)


def _scores(seed, shape=(4, 6, 6, 1)):
    rng = seeded(seed)
    return rng.normal(0.8, 0.6, size=shape), rng.normal(0.2, 0.6, size=shape)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _d_mistakes(real, fake, d_expected):
    return [
        (2 * d_expected, ("your L_D is twice the table's (row 1, 1: 0.5, not 1): halve the sum, "
                          "so that L_D is the average of the two terms. (The 1/2 does not slow "
                          "the discriminator: Adam's steps ignore the loss's scale.)")),
        (0.5 * (np.mean(real ** 2) + np.mean((fake - 1) ** 2)),
         "real scores are pulled to 1 and fake ones to 0, not the other way round."),
        (0.5 * (np.mean(np.abs(real - 1)) + np.mean(np.abs(fake))),
         "square the distances to the targets (least squares; row 3, -1 gives 2.5), do not take "
         "absolute values."),
        (0.5 * ((np.mean(real) - 1) ** 2 + np.mean(fake) ** 2),
         "square each score's distance to its target, then average (the row [0, 2] tells the "
         "two orders apart)."),
        (0.5 * (np.mean((_sigmoid(real) - 1) ** 2) + np.mean(_sigmoid(fake) ** 2)),
         "the scores are used raw: no sigmoid in a least-squares GAN."),
        (-np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake))),
         "that is the cross-entropy loss of lesson 01; here the loss is least squares."),
        (0.5 * (np.sum((real - 1) ** 2) + np.sum(fake ** 2)),
         "average over every score of the map (a mean), do not sum."),
    ]


def _g_mistakes(fake, g_expected):
    return [
        (np.mean(fake ** 2), "the generator wants its fakes scored 1, not 0 (row 1, 0 gives 1)."),
        (-np.mean(fake ** 2), "the generator wants its fakes scored 1: its target is 1."),
        (0.5 * g_expected, "no 1/2 for the generator: the table's row 1, 0 gives L_G = 1."),
        (np.mean(np.abs(fake - 1)), ("square the distance to the target (row 3, -1 gives 4), do "
                                     "not take absolute values.")),
        ((np.mean(fake) - 1) ** 2, ("square each score's distance to 1, then average (the row "
                                    "[0, 2] gives 1).")),
        (-np.mean(np.log(_sigmoid(fake))), ("that is the non-saturating loss of lesson 01; here "
                                            "the loss is least squares.")),
    ]


@exercise("7.3", hint=_LSGAN)
def ex_7_3(discriminator_loss, generator_loss):
    from gan_course import losses

    cases = []  # random maps first: each mistake gives them its own value, and so its own hint
    for seed in range(3):
        real, fake = _scores(seed)
        cases.append((real, fake, float(losses.least_squares_discriminator_loss(real, fake)),
                      float(losses.least_squares_generator_loss(fake))))
    cases += [(table_scores(r), table_scores(f), ld, lg) for r, f, ld, lg in LSGAN_TABLE]
    for real, fake, d_expected, g_expected in cases:
        expect(call(discriminator_loss, real, fake), d_expected,
               what="discriminator_loss(real_scores, fake_scores)",
               inputs={"real_scores": real, "fake_scores": fake},
               mistakes=_d_mistakes(real, fake, d_expected), hint=_LSGAN)
        expect(call(generator_loss, fake), g_expected, what="generator_loss(fake_scores)",
               inputs={"fake_scores": fake}, mistakes=_g_mistakes(fake, g_expected), hint=_LSGAN)
    return (f"discriminator_loss and generator_loss give the {len(LSGAN_TABLE)} rows of the table "
            "and match gc.losses on 3 pairs of (4, 6, 6, 1) score maps: L_D averages the two "
            "squared terms, L_G has no 1/2.")


# --- 7.4 cycle and identity losses ---------------------------------------------------------------

_CYCLE = ("go back to the table of what G and F take and give: a round trip goes through both "
          "generators and must return its start, for photos and for paintings; the identity term "
          "gives each generator pictures of the domain it paints into. Both are mean absolute "
          "differences, unweighted.")


def _toy_generators(seed):
    """Two different smooth maps of [-1, 1] images, standing in for the generators."""
    rng = seeded(seed)
    a, b, c, d = rng.uniform(0.5, 1.5, 4)

    def G(x, training=False):  # noqa: N803 - the paper's name
        return np.tanh(a * np.asarray(x, np.float64) + 0.3 * b)

    def F(x, training=False):  # noqa: N803
        return np.tanh(c * np.asarray(x, np.float64) ** 3 - 0.2 * d)

    return G, F


def _l1(a, b):
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def _l2(a, b):
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


def _cycle_mistakes(G, F, x, y, cycle):  # noqa: N803
    return [
        (_l2(F(G(x)), x) + _l2(G(F(y)), y), ("CycleGAN's cycle loss is the mean *absolute* "
                                             "difference (L1), which keeps edges sharper than "
                                             "squares do.")),
        (10 * cycle, "return the cycle loss unweighted: the training step multiplies it by 10."),
        (_l1(F(G(x)), x), "add the other round trip, the one that starts from a painting."),
        (_l1(G(F(y)), y), "add the other round trip, the one that starts from a photo."),
        (_l1(G(F(x)), x) + _l1(F(G(y)), y), ("a photo goes to a painting first, so G comes first "
                                             "on photos (G takes photos); F comes first on "
                                             "paintings.")),
        (_l1(G(G(x)), x) + _l1(F(F(y)), y), ("a round trip goes through both generators: the "
                                             "painting G made of a photo goes back through F.")),
        (_l1(G(x), x) + _l1(F(y), y), ("the cycle loss compares each picture with its round "
                                       "trip through both generators, not with one "
                                       "translation.")),
        (float(np.sum(np.abs(F(G(x)) - x)) + np.sum(np.abs(G(F(y)) - y))),
         "average over every pixel (a mean), do not sum."),
    ]


def _identity_mistakes(G, F, x, y, identity):  # noqa: N803
    return [
        (_l1(G(x), x) + _l1(F(y), y), ("identity means a generator leaves pictures of its own "
                                       "*target* domain alone: G paints into paintings, so G "
                                       "gets paintings, and F gets photos.")),
        (_l2(G(y), y) + _l2(F(x), x), "use the mean absolute difference (L1), as for the cycle."),
        (5 * identity, ("return the identity loss unweighted: the training step multiplies it "
                        "by 5.")),
        (_l1(G(y), y), "add F's term: F given a photo should return that photo."),
        (_l1(F(x), x), "add G's term: G given a painting should return that painting."),
        (_l1(F(G(y)), y) + _l1(G(F(x)), x), ("the identity term is one generator on one picture, "
                                             "not a round trip.")),
    ]


@exercise("7.4", hint=_CYCLE)
def ex_7_4(cycle_and_identity_losses):
    from gan_course import losses

    for seed in range(3):
        G, F = _toy_generators(seed)
        x, y = seeded(seed + 10).uniform(-1, 1, size=(2, 3, 8, 8, 3))
        got = call(cycle_and_identity_losses, G, F, x, y)
        what = "cycle_and_identity_losses(G, F, photos, paintings)"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            shown = f"{len(got)} values" if isinstance(got, (tuple, list)) else fmt(got)
            raise Mismatch(f"{what} returned {shown}; expected two numbers: (cycle, identity).",
                           "end with `return cycle, identity`.")
        cycle = float(losses.cycle_loss(x, F(G(x))) + losses.cycle_loss(y, G(F(y))))
        identity = float(losses.identity_loss(y, G(y)) + losses.identity_loss(x, F(x)))
        expect(as_numbers(got[0], f"the cycle loss of {what}"), cycle,
               what=f"the cycle loss of {what}", mistakes=_cycle_mistakes(G, F, x, y, cycle),
               hint=_CYCLE)
        expect(as_numbers(got[1], f"the identity loss of {what}"), identity,
               what=f"the identity loss of {what}",
               mistakes=_identity_mistakes(G, F, x, y, identity), hint=_CYCLE)
    return ("cycle_and_identity_losses gives the L1 round-trip error of both directions and the L1 "
            "change each generator makes to its own target domain, on 3 toy generator pairs.")
