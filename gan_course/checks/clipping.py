"""The check of lesson 04's exercise 4.4: the Lipschitz bound that weight clipping gives.

A dense layer x -> xW + b stretches distances by at most the spectral norm of W. With every
weight in [-c, c] that norm is at most the Frobenius norm, c sqrt(n_in n_out), and the kernel whose
weights are all c reaches it. ReLU, LeakyReLU and tanh never stretch (their steepest slope is 1).
So the bound is the product over the dense layers of c sqrt(n_in n_out), and a network of ReLUs
with all weights c reaches it: the check measures that slope too.
"""

import numpy as np

from gan_course.checks.core import Mismatch, as_numbers, call, exercise, expect
from gan_course.checks.networks import Float32Policy as _Float32Policy

_BOUND = ("multiply, over the dense layers, the most each can stretch a distance when all its "
          "weights lie in [-c, c]: its kernel's largest singular value is at most the Frobenius "
          "norm, c * sqrt(n_in * n_out), reached when every weight is c. Activations such as "
          "ReLU, LeakyReLU and tanh have slopes of at most 1 and do not stretch.")
_LEAK = 0.2


def _networks():
    """(description, network, c) for the check: sequential and functional, three activations."""
    import keras
    from keras import layers

    from gan_course.models import wgan_gp

    with _Float32Policy():
        leaky = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.LeakyReLU(_LEAK),
                                  layers.Dense(4), layers.LeakyReLU(_LEAK), layers.Dense(1)])
        lab_like = wgan_gp.build_mlp_critic(2, (16, 8))
        tanh = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="tanh"),
                                 layers.Dense(2)])
    return [("a Sequential 3 -> 5 -> 4 -> 1 with LeakyReLU(0.2)", leaky, 0.1),
            ("the lab's critic with hidden layers (16, 8), 2 -> 16 -> 8 -> 1", lab_like, 0.05),
            ("a Sequential 6 -> 3 (tanh) -> 2", tanh, 0.3)]


def _shapes(network):
    import keras

    return [tuple(int(n) for n in layer.kernel.shape) for layer in network.layers
            if isinstance(layer, keras.layers.Dense)]


def _leaky_layers(network):
    import keras

    return sum(isinstance(layer, keras.layers.LeakyReLU) for layer in network.layers)


def _product(shapes, factor):
    return float(np.prod([factor(n_in, n_out) for n_in, n_out in shapes]))


def _bound(shapes, c):
    """The answer: the product over the dense layers of c * sqrt(n_in * n_out)."""
    return _product(shapes, lambda i, o: c * np.sqrt(i * o))


def _mistakes(shapes, c, leaky):
    bound = _bound(shapes, c)
    return [
        (_product(shapes, lambda i, o: c * i * o),
         ("c * n_in * n_out adds up the sizes of all the weights: a distance is stretched by "
          "the kernel's largest singular value, at most its Frobenius norm c * sqrt(n_in * "
          "n_out).")),
        (_product(shapes, lambda i, o: c * i),
         ("c * n_in bounds how much one output can change when each input changes by at most 1 "
          "(the max norm); the course measures distances with the Euclidean norm, for which "
          "the bound is c * sqrt(n_in * n_out).")),
        (_product(shapes, lambda i, o: c * o),
         ("c * n_out is a bound for another norm; with the Euclidean norm a kernel of weights in "
          "[-c, c] stretches by at most c * sqrt(n_in * n_out).")),
        (_product(shapes, lambda i, o: c * np.sqrt(i + o)),
         "multiply n_in and n_out under the square root: c * sqrt(n_in * n_out)."),
        (_product(shapes, lambda i, o: c * np.sqrt(max(i, o))),
         ("c * sqrt(max(n_in, n_out)) is too small: the kernel whose weights are all c "
          "stretches the direction (1, ..., 1) by c * sqrt(n_in * n_out).")),
        (_product(shapes, lambda i, o: c * np.sqrt((i + 1) * o)),
         ("leave the bias out: adding b shifts every point by the same amount and stretches no "
          "distance.")),
        (_product(shapes, lambda i, o: c), ("c alone is the largest single weight; a layer sums "
                                            "n_in inputs into each of n_out outputs, so it can "
                                            "stretch by up to c * sqrt(n_in * n_out).")),
        (_product(shapes, lambda i, o: np.sqrt(i * o)),
         "each dense layer's kernel brings its own factor c: multiply by c once per layer."),
        (sum(c * np.sqrt(i * o) for i, o in shapes),
         ("layers compose: the stretch of one layer is stretched again by the next, so "
          "multiply the layers' bounds, do not add them.")),
        (bound * c, "one factor c per dense layer, not one more."),
        (bound * _LEAK ** leaky if leaky else np.nan,
         ("an activation stretches by its steepest slope: LeakyReLU(0.2) has slope 1 for "
          "positive inputs, so its factor is 1, not 0.2.")),
    ]


def _all_c_slope(network, c):
    """The slope of ``network`` with every weight set to c, along the diagonal (1, ..., 1)."""
    weights = network.get_weights()
    network.set_weights([np.full(w.shape, c, np.float32) for w in weights])
    dim = int(network.inputs[0].shape[-1])
    x = np.full((2, dim), 0.5, np.float32)
    x[1] += 1e-2 / np.sqrt(dim)  # a step of 0.01 along the diagonal, where every ReLU is on
    y = np.asarray(network(x), np.float64)
    network.set_weights(weights)
    return float(np.linalg.norm(y[1] - y[0]) / 1e-2)


@exercise("4.4", hint=_BOUND)
def ex_4_4(lipschitz_bound):
    for described, network, c in _networks():
        shapes = _shapes(network)
        expected = _bound(shapes, c)
        what = f"lipschitz_bound(network, {c}) for {described}"
        got = call(lipschitz_bound, network, c)
        as_numbers(got, what)
        expect(got, expected, what=what, hint=_BOUND, rtol=1e-4, atol=0,
               mistakes=_mistakes(shapes, c, _leaky_layers(network)))
    described, network, c = _networks()[1]
    slope = _all_c_slope(network, c)
    bound = float(np.asarray(call(lipschitz_bound, network, c)).ravel()[0])
    if not np.isclose(slope, bound, rtol=1e-3):
        raise Mismatch(f"the lab-like critic with every weight set to {c} has slope {slope:.4g} "
                       f"along (1, 1), but your bound is {bound:.4g}.", _BOUND)
    return ("lipschitz_bound multiplies c * sqrt(n_in * n_out) over the dense layers of 3 "
            f"networks; the lab-like critic with every weight at c reaches it (slope "
            f"{slope:.3g}).")
