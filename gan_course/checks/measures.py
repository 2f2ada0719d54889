"""Checks of the two measures lesson 03 teaches: the Fréchet distance (3.3) and the
checkerboard energy (3.4). :mod:`gan_course.checks.lesson03` imports them."""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect, seeded

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
