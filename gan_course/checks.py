"""Exercise checks, one short function per exercise: ``gc.checks.ex_1_1(value_function)``.

Each check calls the student's function on seeded inputs, compares with the library's reference
(:mod:`gan_course.losses`, :mod:`gan_course.theory`, :mod:`gan_course.nets`), prints one ✅/❌
line and returns a :class:`~gan_course.checking.CheckResult`. The machinery lives in
:mod:`gan_course.checking`.
"""

import numpy as np

from gan_course import data, losses, theory
from gan_course.checking import Mismatch, as_numbers, call, exercise, expect, one_line, seeded

SEEDS = (0, 1, 2)


def _softplus(a):
    return np.logaddexp(0.0, np.asarray(a, np.float64))


# ----------------------------------------------------------------------------------------------
# Lesson 01: the mathematics of the GAN loss

_NAN_JSD = ("where p(x) = 0 the term p·log(p/m) is 0 (its limit), but NumPy computes "
            "0·log 0 = nan: sum only where p > 0, e.g. k = p > 0; "
            "np.sum(p[k] * np.log(p[k] / m[k])) * dx.")
_UNSTABLE = ("for large |a|, sigmoid(a) rounds to 0 or 1 in float32 and the log becomes -inf: "
             "write the losses with softplus, -log D = softplus(-a), -log(1 - D) = softplus(a).")


@exercise("1.1", hint="V = mean(log D(x)) over the real batch + mean(log(1 - D(G(z)))) over "
                      "the fake batch; the two batches can have different sizes.")
def ex_1_1(value_function):
    for seed in SEEDS:
        rng = seeded(seed)
        d_real = rng.uniform(0.05, 0.95, size=5 + 3 * seed)
        d_fake = rng.uniform(0.05, 0.95, size=7 - seed)
        log_real, log_fake = np.log(d_real), np.log1p(-d_fake)
        reference = float(losses.value_function(theory.logit(d_real), theory.logit(d_fake)))
        expect(call(value_function, d_real, d_fake), reference, rtol=1e-5, atol=1e-5,
               what="value_function(d_real, d_fake)", inputs={"d_real": d_real, "d_fake": d_fake},
               mistakes=[
                   (-reference, "that is -V, the discriminator's loss; V has no minus sign."),
                   (log_real.mean() + np.log(d_fake).mean(),
                    "the fake term is log(1 - D(G(z))), not log D(G(z))."),
                   (log_real.sum() + log_fake.sum(),
                    "V is an expectation: average each term with np.mean instead of summing."),
                   (np.concatenate([log_real, log_fake]).mean(),
                    "average each term over its own batch, then add the two averages."),
               ])
    half = np.full(4, 0.5)
    expect(call(value_function, half, half), -theory.LOG4, rtol=1e-5, atol=1e-5,
           what="value_function(d_real, d_fake)", inputs={"d_real": half, "d_fake": half})
    return (f"value_function matches V(D, G) on {len(SEEDS)} random batches of different sizes "
            f"and gives -log 4 = {-theory.LOG4:.6f} when D = 1/2 everywhere.")


@exercise("1.2", hint="D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise.")
def ex_1_2(optimal_discriminator):
    cases = [seeded(seed).uniform(0.01, 2.0, size=(2, 3, 4)) for seed in SEEDS]
    x = np.linspace(-4.0, 6.0, 11)
    cases.append((theory.gaussian_pdf(x, 0.0, 1.0), theory.gaussian_pdf(x, 2.0, 0.7)))
    for p_data, p_g in cases:
        expect(call(optimal_discriminator, p_data, p_g), theory.optimal_discriminator(p_data, p_g),
               what="optimal_discriminator(p_data, p_g)", inputs={"p_data": p_data, "p_g": p_g},
               mistakes=[
                   (p_g / (p_data + p_g),
                    "that is the probability of *fake*; D(x) is the probability that x is real."),
                   (p_data / p_g, "divide by the sum p_data + p_g, so that D* stays in [0, 1]."),
               ])
    return ("optimal_discriminator matches p_data / (p_data + p_g) elementwise on "
            f"{len(SEEDS)} random (3, 4) arrays of densities and on two Gaussians.")


@exercise("1.3", hint="m = (p + q) / 2; JSD = ½ KL(p‖m) + ½ KL(q‖m), where KL(p‖m) ≈ "
                      "sum of p·log(p/m)·dx with the natural logarithm.")
def ex_1_3(jensen_shannon):
    x, dx = theory.grid(-6.0, 8.0, 1401)
    p_data = theory.gaussian_pdf(x, 0.0, 1.0)
    cases = [(p_data, theory.gaussian_pdf(x, 1.5, 0.8), dx)]
    for seed in SEEDS[:2]:
        p, q = seeded(seed).uniform(0.1, 1.0, size=(2, 50))
        cases.append((p / (p.sum() * 0.1), q / (q.sum() * 0.1), 0.1))
    cases.append((p_data, p_data, dx))  # identical densities: 0
    u, du = theory.grid(-1.0, 4.0, 501)  # disjoint supports: log 2, and zeros that need care
    cases.append((((u >= 0) & (u < 1)).astype(float), ((u >= 2) & (u < 3)).astype(float), du))
    for p, q, step in cases:
        reference = theory.jensen_shannon(p, q, step)
        half_kl = 0.5 * theory.kl_divergence(p, (p + q) / 2, step)
        expect(call(jensen_shannon, p, q, step), reference, rtol=1e-6, atol=1e-9,
               what="jensen_shannon(p, q, dx)", inputs={"p": p, "q": q, "dx": step},
               nonfinite_hint=_NAN_JSD, mistakes=[
                   (2 * reference, "each KL term has a factor ½: JSD = ½ KL(p‖m) + ½ KL(q‖m)."),
                   (reference / theory.LOG2,
                    "use the natural logarithm np.log: V = -log 4 + 2·JSD is in nats, not bits."),
                   (reference / step, "turn each sum into an integral: multiply it by dx."),
                   (theory.kl_divergence(p, q, step),
                    "that is KL(p‖q); the JSD compares each density with the mixture m."),
                   (half_kl, "add the second term ½ KL(q‖m): the JSD is symmetric in p and q."),
               ])
    return ("jensen_shannon matches ½ KL(p‖m) + ½ KL(q‖m) on two Gaussians, random densities, "
            f"identical densities (0) and disjoint ones (log 2 = {theory.LOG2:.6f}).")


@exercise("1.4", hint="with D = sigmoid(a), dD/da = D(1 - D); apply the chain rule to "
                      "log(1 - D) and to -log D.")
def ex_1_4(saturating_grad, nonsaturating_grad):
    logits = np.concatenate([np.linspace(-8.0, 8.0, 9), seeded(0).normal(0.0, 3.0, size=5)])
    d = theory.sigmoid(logits)
    sat, nonsat = theory.saturating_grad_logit(logits), theory.nonsaturating_grad_logit(logits)
    for fn, name, reference, other, by_d in [
            (saturating_grad, "saturating_grad", sat, nonsat, theory.saturating_grad_d(d)),
            (nonsaturating_grad, "nonsaturating_grad", nonsat, sat, theory.nonsaturating_grad_d(d))]:
        expect(call(fn, logits), reference, what=f"{name}(logits)", inputs={"logit": logits},
               mistakes=[
                   (other, ("that is the gradient of the *other* loss: saturating is "
                            "log(1 - D), non-saturating is -log D.")),
                   (-reference, "check the sign: both losses decrease as the logit grows."),
                   (by_d, ("that is the derivative with respect to D; the network outputs "
                           "the logit a, so multiply by dD/da = D(1 - D) (chain rule).")),
                   (d * (1 - d), ("that is dD/da alone; multiply it by the derivative of the "
                                  "loss with respect to D.")),
               ])
    return (f"both gradients match at {logits.size} logits: at D(G(z)) = {d[0]:.4f} (logit -8) "
            f"the saturating gradient is {sat[0]:.4f}, the non-saturating one {nonsat[0]:.4f}.")


@exercise("1.5", hint="-log D(a) = softplus(-a) and -log(1 - D(a)) = softplus(a); use "
                      "tf.nn.softplus (or np.logaddexp(0, x)) and average each batch.")
def ex_1_5(discriminator_loss, generator_loss):
    cases = []
    for seed in SEEDS[:2]:
        rng = seeded(seed)
        cases.append((rng.normal(1.0, 3.0, size=6 + seed).astype(np.float32),
                      rng.normal(-1.0, 3.0, size=4 + 2 * seed).astype(np.float32)))
    cases.append((np.array([-1000, -80, 0, 40, 1000], np.float32),
                  np.array([1000, 90, -3, -200], np.float32)))
    for real, fake in cases:
        d_ref = float(losses.discriminator_loss(real, fake))
        expect(call(discriminator_loss, real, fake), d_ref, rtol=1e-5, atol=1e-5,
               what="discriminator_loss(real_logits, fake_logits)",
               inputs={"real_logits": real, "fake_logits": fake}, nonfinite_hint=_UNSTABLE,
               mistakes=[
                   (-d_ref, "the discriminator minimises -V: mind the signs."),
                   (_softplus(real).mean() + _softplus(-fake).mean(),
                    ("real and fake are swapped: real logits go into softplus(-a), fake ones "
                     "into softplus(a).")),
                   (np.concatenate([_softplus(-real), _softplus(fake)]).mean(),
                    "average the real and the fake terms separately, then add them."),
               ])
        g_ref = float(losses.generator_loss(fake))
        expect(call(generator_loss, fake), g_ref, rtol=1e-5, atol=1e-5,
               what="generator_loss(fake_logits)", inputs={"fake_logits": fake},
               nonfinite_hint=_UNSTABLE, mistakes=[
                   (-_softplus(fake).mean(), ("that is the saturating loss E[log(1 - D(G(z)))]; "
                                              "the non-saturating one is E[-log D(G(z))].")),
                   (_softplus(fake).mean(), "softplus(a) is -log(1 - D); -log D is softplus(-a)."),
                   (-g_ref, "mind the sign: the generator minimises -log D(G(z)), never negative."),
               ])
    return ("discriminator_loss and generator_loss match gc.losses on random batches and stay "
            "finite for logits as large as ±1000.")


# ----------------------------------------------------------------------------------------------
# Lesson 02: an MLP GAN on MNIST

IMAGE_SHAPE = (28, 28, 1)
_LEAKY = 0.2
_RANGE_HINT = ("the generator's tanh outputs [-1, 1], so the data must live in [-1, 1] too: "
               "0 -> -1, 255 -> 1, i.e. images.astype(np.float32) / 127.5 - 1.")


@exercise("2.1", hint="convert to float32 first, then map 0 -> -1 and 255 -> 1: "
                      "images.astype(np.float32) / 127.5 - 1.")
def ex_2_1(scale_images):
    edges = np.array([0, 1, 127, 128, 254, 255], np.uint8).reshape(1, 2, 3, 1)
    cases = [edges] + [seeded(seed).integers(0, 256, size=(2 + seed, *IMAGE_SHAPE), dtype=np.uint8)
                       for seed in SEEDS]
    for images in cases:
        got = call(scale_images, images)
        x = images.astype(np.float64)
        wrapped = (images - np.uint8(128)).astype(np.float64)  # uint8 arithmetic wraps around
        expect(got, data.to_unit_range(images), what="scale_images(images)",
               inputs={"pixel": images}, rtol=1e-6, atol=1e-6, mistakes=[
                   (x / 255.0, "that scales to [0, 1]; " + _RANGE_HINT),
                   (x / 127.5, "that scales to [0, 2]: subtract 1 after dividing by 127.5."),
                   (x - 127.5, "divide by 127.5 as well, so the values end in [-1, 1]."),
                   (x / 128.0 - 1.0, "divide by 127.5, not 128, so that 255 maps exactly to 1."),
                   (wrapped / 128.0, ("uint8 arithmetic wraps around (0 - 128 gives 128, not "
                                     "-128): convert to float32 before any arithmetic.")),
                   (wrapped / 127.5 - 1.0, ("uint8 arithmetic wraps around: convert to float32 "
                                           "before any arithmetic.")),
               ])
        dtype = np.asarray(got).dtype
        if dtype != np.float32:
            raise Mismatch(
                f"scale_images(images) returned the right values as {dtype}; expected float32.",
                "Keras computes in float32: start with images.astype(np.float32) (NumPy turns "
                "uint8 / 127.5 into float64, twice the memory, converted again on every batch).")
    return ("scale_images maps uint8 pixels to float32 in [-1, 1] (0 -> -1, 255 -> 1) on "
            f"{len(cases)} batches, keeping their shape.")


class _Float32Policy:
    """Build the check's networks in float32 even where the notebook turned on mixed precision."""

    def __enter__(self):
        import keras

        self.previous = keras.mixed_precision.global_policy().name
        keras.mixed_precision.set_global_policy("float32")

    def __exit__(self, *exc):
        import keras

        keras.mixed_precision.set_global_policy(self.previous)


def _as_model(obj, made_by):
    import keras

    if obj is None:
        raise Mismatch(f"{made_by} returned None.", "did you forget `return keras.Model(...)`?")
    if not isinstance(obj, keras.Model):
        raise Mismatch(f"{made_by} returned {_a(type(obj).__name__)}, not a Keras model.",
                       "return the model, e.g. keras.Model(inputs, outputs) or a "
                       "keras.Sequential.")
    if not obj.built or not obj.weights:
        raise Mismatch(f"{made_by} returned a model without weights.",
                       "start the model with keras.Input(shape) so that it is built at once.")
    return obj


def _a(name):
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _run_model(model, x, made_by):
    try:
        return np.asarray(model(x, training=False), np.float64)
    except Exception as err:  # noqa: BLE001 - the student's model; its errors become a verdict
        raise Mismatch(f"the model from {made_by} failed on a batch of shape {x.shape}: "
                       f"{type(err).__name__}: {one_line(err)}",
                       "check the shape of its keras.Input.") from None


def _dense_chain(model):
    kernels = [w for w in model.get_weights() if w.ndim == 2]
    if not kernels:
        return "no Dense layers"
    return " → ".join(str(n) for n in [kernels[0].shape[0]] + [k.shape[1] for k in kernels])


def _same_weight_shapes(model, reference, made_by, hint):
    got = [tuple(w.shape) for w in model.get_weights()]
    want = [tuple(w.shape) for w in reference.get_weights()]
    if got == want:
        return
    got_chain, want_chain = _dense_chain(model), _dense_chain(reference)
    if got_chain != want_chain:
        problem = f"the Dense layers of {made_by} map {got_chain}; expected {want_chain}."
    else:
        problem = (f"{made_by} has {len(got)} weight arrays, expected {len(want)} (a kernel and a "
                   "bias per Dense layer, nothing else).")
    raise Mismatch(problem, hint)


def _mlp_forward(weights, x, slope, hidden_act=None, out_act=None):
    """NumPy forward pass of Dense/activation stacks, for the outputs of typical mistakes."""
    h = np.asarray(x, np.float64).reshape(len(x), -1)
    pairs = list(zip(weights[::2], weights[1::2]))
    for kernel, bias in pairs[:-1]:
        h = h @ kernel + bias
        h = hidden_act(h) if hidden_act else np.where(h > 0, h, slope * h)
    h = h @ pairs[-1][0] + pairs[-1][1]
    return out_act(h) if out_act else h


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, np.float64)))


def _relu(a):
    return np.maximum(a, 0.0)


_GENERATOR_LAYERS = ("keras.Input((latent_dim,)), then for each size in hidden a Dense(size) and "
                     "a LeakyReLU(0.2), then Dense(28 * 28 * 1), tanh and Reshape((28, 28, 1)).")


@exercise("2.2", hint=_GENERATOR_LAYERS)
def ex_2_2(make_generator):
    from gan_course import nets

    cases = [(8, (16, 32)), (5, (24,))]
    for seed, (latent_dim, hidden) in enumerate(cases):
        made_by = f"make_generator({latent_dim}, {hidden})"
        with _Float32Policy():
            model = _as_model(call(make_generator, latent_dim, hidden), made_by)
            reference = nets.mlp_generator(latent_dim, IMAGE_SHAPE, hidden)
        if tuple(model.input_shape) != (None, latent_dim):
            raise Mismatch(f"{made_by} takes inputs of shape {tuple(model.input_shape)}; "
                           f"expected (None, {latent_dim}).",
                           "start with keras.Input((latent_dim,)): one latent vector per image.")
        z = seeded(seed).standard_normal((6, latent_dim)).astype(np.float32)
        out = _run_model(model, z, made_by)
        if out.shape == (6, int(np.prod(IMAGE_SHAPE))):
            raise Mismatch(f"{made_by} makes flat vectors of shape {out.shape}; expected images "
                           f"of shape (6, 28, 28, 1).",
                           "end with layers.Reshape((28, 28, 1)): the discriminator and every "
                           "picture expect 28 x 28 images with a channel axis.")
        if out.shape == (6, 28, 28):
            raise Mismatch(f"{made_by} makes images of shape {out.shape}; expected (6, 28, 28, 1).",
                           "keep a channel axis: Reshape((28, 28, 1)).")
        if out.shape != (6, *IMAGE_SHAPE):
            raise Mismatch(f"{made_by} makes outputs of shape {out.shape}; expected (6, 28, 28, 1).",
                           _GENERATOR_LAYERS)
        _same_weight_shapes(model, reference, made_by, _GENERATOR_LAYERS)
        weights = model.get_weights()
        reference.set_weights(weights)
        expected = np.asarray(reference(z, training=False), np.float64)
        shape = expected.shape
        mistakes = [
            (_mlp_forward(weights, z, _LEAKY, out_act=_sigmoid).reshape(shape),
             ("the last activation is a sigmoid, which gives [0, 1]; the data is in [-1, 1], so "
             "the generator must end in tanh.")),
            (_mlp_forward(weights, z, _LEAKY).reshape(shape),
             "the last Dense layer has no activation, so pixels are unbounded: add a tanh."),
            (_mlp_forward(weights, z, 0.3, out_act=np.tanh).reshape(shape),
             ("Keras' LeakyReLU() has slope 0.3 by default; the course (like DCGAN) uses "
             "LeakyReLU(0.2).")),
            (_mlp_forward(weights, z, 0.0, hidden_act=_relu, out_act=np.tanh).reshape(shape),
             ("the hidden layers use ReLU; use LeakyReLU(0.2), which keeps a small gradient for "
             "negative inputs.")),
        ]
        if out.min() >= 0.0:
            hint = "every pixel is >= 0: the generator must end in tanh, whose range is [-1, 1]."
        elif out.min() < -1 - 1e-6 or out.max() > 1 + 1e-6:
            hint = "pixels outside [-1, 1]: the generator must end in tanh."
        else:
            hint = _GENERATOR_LAYERS
        expect(out, expected, what=f"the generator built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
    return ("make_generator builds Dense + LeakyReLU(0.2) layers of the sizes asked for, ending "
            "in tanh and a reshape to (28, 28, 1), for latent sizes 8 and 5.")


_DISCRIMINATOR_LAYERS = ("keras.Input((28, 28, 1)), Flatten, then for each size in hidden a "
                         "Dense(size) and a LeakyReLU(0.2), then Dense(1) with no activation.")


@exercise("2.3", hint=_DISCRIMINATOR_LAYERS)
def ex_2_3(make_discriminator):
    from gan_course import nets

    cases = [(32, 16), (20,)]
    for seed, hidden in enumerate(cases):
        made_by = f"make_discriminator({hidden})"
        with _Float32Policy():
            model = _as_model(call(make_discriminator, hidden), made_by)
            reference = nets.mlp_discriminator(IMAGE_SHAPE, hidden)
        if tuple(model.input_shape) != (None, *IMAGE_SHAPE):
            flat = tuple(model.input_shape) == (None, int(np.prod(IMAGE_SHAPE)))
            raise Mismatch(
                f"{made_by} takes inputs of shape {tuple(model.input_shape)}; expected "
                f"(None, 28, 28, 1).",
                "take images as they are, keras.Input((28, 28, 1)), and flatten inside the "
                "model with layers.Flatten()." if flat else _DISCRIMINATOR_LAYERS)
        images = seeded(seed).uniform(-1.0, 1.0, size=(6, *IMAGE_SHAPE)).astype(np.float32)
        out = _run_model(model, images, made_by)
        if out.shape != (6, 1):
            raise Mismatch(f"{made_by} outputs shape {out.shape} for 6 images; expected (6, 1).",
                           "end with Dense(1): one logit per image.")
        _same_weight_shapes(model, reference, made_by, _DISCRIMINATOR_LAYERS)
        weights = model.get_weights()
        reference.set_weights(weights)
        expected = np.asarray(reference(images, training=False), np.float64)
        no_sigmoid = ("no sigmoid at the end: the course's losses take logits and apply the "
                      "sigmoid themselves, stably (lesson 01, section 5).")
        mistakes = [
            (_mlp_forward(weights, images, _LEAKY, out_act=_sigmoid), no_sigmoid),
            (_mlp_forward(weights, images, 0.3), ("Keras' LeakyReLU() has slope 0.3 by default; "
                                                 "the course uses LeakyReLU(0.2).")),
            (_mlp_forward(weights, images, 0.0, hidden_act=_relu),
             "the hidden layers use ReLU; use LeakyReLU(0.2)."),
        ]
        hint = no_sigmoid if ((out > 0) & (out < 1)).all() else _DISCRIMINATOR_LAYERS
        expect(out, expected, what=f"the discriminator built by {made_by}", mistakes=mistakes,
               hint=hint, rtol=1e-4, atol=1e-5)
    return ("make_discriminator flattens 28 x 28 x 1 images, applies Dense + LeakyReLU(0.2) "
            "layers of the sizes asked for and returns one raw logit per image.")


_STEP_IMAGE, _STEP_LATENT, _G_LR, _D_LR = (4, 4, 1), 4, 0.05, 0.1
_TRAINING_HINT = ("call {net} with training=True inside the step: layers such as Dropout and "
                  "BatchNormalization act differently while training, and the check's networks "
                  "hold such a layer.")
_STEP_MISTAKES = [
    ({"g_loss_fn": losses.generator_loss_saturating},
     ("the generator minimised the saturating loss log(1 - D(G(z))); use the non-saturating "
     "gc.losses.generator_loss(fake_logits), which is -log D(G(z)).")),
    ({"g_follows": "d"}, ("the generator was updated with the gradient of d_loss: take "
                          "g_tape.gradient(g_loss, generator.trainable_variables).")),
    ({"d_follows": "g"}, ("the discriminator was updated with the gradient of g_loss: take "
                          "d_tape.gradient(d_loss, discriminator.trainable_variables).")),
    ({"g_follows": "d", "d_follows": "g"},
     ("the gradients are swapped: the generator follows the gradient of g_loss, the "
     "discriminator that of d_loss.")),
    ({"g_training": False}, _TRAINING_HINT.format(net="the generator")),
    ({"d_training": False}, _TRAINING_HINT.format(net="the discriminator (on real and fake "
                                                       "images)")),
    ({"g_training": False, "d_training": False}, _TRAINING_HINT.format(net="both networks")),
    ({"swap_optimizers": True}, ("the optimizers are swapped: g_optimizer updates the generator, "
                                 "d_optimizer the discriminator.")),
    ({"g_follows": None}, ("the generator did not change. Make the fakes inside the tapes with "
                           "generator(z, training=True) (not generator.predict or .numpy(), "
                           "which cut the gradient) and apply its gradients with g_optimizer.")),
    ({"d_follows": None}, ("the discriminator did not change: apply its gradients with "
                           "d_optimizer.apply_gradients(zip(d_grads, "
                           "discriminator.trainable_variables)).")),
    ({"g_follows": None, "d_follows": None},
     ("neither network changed: apply each network's gradients with its own optimizer, e.g. "
      "g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables)).")),
]
_STEP_HINT = ("follow the recipe: fake = generator(z, training=True); score real and fake with "
              "discriminator(..., training=True); d_loss = gc.losses.discriminator_loss(real_logits, "
              "fake_logits), g_loss = gc.losses.generator_loss(fake_logits); each tape's gradient "
              "of its own network's loss goes to that network's optimizer.")

_TRAINING_SCALE = []


def _training_scale():
    """A layer that halves its input when ``training=True``: a deterministic stand-in for
    Dropout or BatchNormalization, so a check can see whether a step passes ``training``."""
    if not _TRAINING_SCALE:
        import keras

        class TrainingScale(keras.layers.Layer):
            def call(self, x, training=False):
                return x * 0.5 if training else x

        _TRAINING_SCALE.append(TrainingScale)
    return _TRAINING_SCALE[0]()


def _step_networks(seed):
    """A tiny seeded generator and discriminator whose behaviour depends on ``training``."""
    import keras
    from keras import layers

    with _Float32Policy():
        z = keras.Input((_STEP_LATENT,))
        h = _training_scale()(layers.LeakyReLU(_LEAKY)(layers.Dense(8)(z)))
        x = layers.Reshape(_STEP_IMAGE)(layers.Activation("tanh")(layers.Dense(16)(h)))
        generator = keras.Model(z, x, name="check_generator")
        image = keras.Input(_STEP_IMAGE)
        h = layers.LeakyReLU(_LEAKY)(layers.Dense(8)(layers.Flatten()(image)))
        logit = layers.Dense(1)(_training_scale()(h))
        discriminator = keras.Model(image, logit, name="check_discriminator")
    rng = seeded(100 + seed)
    for net in (generator, discriminator):
        net.set_weights([rng.normal(0.0, 0.6, w.shape).astype(np.float32)
                         for w in net.get_weights()])
    # A discriminator that already rejects fakes (D(G(z)) around 0.1), as early in training:
    # there the saturating and non-saturating losses give very different gradients.
    weights = discriminator.get_weights()
    weights[-1][:] = -2.0
    discriminator.set_weights(weights)
    return generator, discriminator


def _flat(variables):
    return np.concatenate([np.asarray(v, np.float64).ravel() for v in variables])


def _reference_step(real, z, generator, discriminator, g_loss_fn=losses.generator_loss,
                    g_training=True, d_training=True, g_follows="g", d_follows="d",
                    swap_optimizers=False):
    """One SGD step of the GAN recipe (or of a typical mistake), without changing the networks:
    the weights each network would have afterwards, and the two losses."""
    import tensorflow as tf

    with tf.GradientTape(persistent=True) as tape:
        fake = generator(z, training=g_training)
        real_logits = discriminator(real, training=d_training)
        fake_logits = discriminator(fake, training=d_training)
        loss = {"d": losses.discriminator_loss(real_logits, fake_logits),
                "g": g_loss_fn(fake_logits)}
    g_lr, d_lr = (_D_LR, _G_LR) if swap_optimizers else (_G_LR, _D_LR)

    def updated(network, follows, lr):
        variables = network.trainable_variables
        if follows is None:
            return _flat(variables)
        grads = tape.gradient(loss[follows], variables)
        return _flat([v.numpy() - lr * g.numpy() for v, g in zip(variables, grads)])

    return (updated(generator, g_follows, g_lr), updated(discriminator, d_follows, d_lr),
            float(loss["d"]), float(loss["g"]))


def _step_close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5)


_STEP_ERRORS = {
    "Unknown variable": "each optimizer updates its own network: g_optimizer.apply_gradients("
                        "zip(g_grads, generator.trainable_variables)), and d_optimizer likewise.",
    "No gradients provided": "a gradient came back as None: make the fakes inside the tapes with "
                             "generator(z, training=True) (not generator.predict or .numpy(), "
                             "which cut the gradient), and take each loss's gradient with "
                             "respect to its own network.",
}


def _call_step(train_step, *args):
    """``call`` with a short message: the step's arguments are networks, not numbers to show."""
    try:
        return call(train_step, *args)
    except Mismatch as err:
        error = err.problem.partition(") raised ")[2] or err.problem
        error = error.split(", value=")[0] + ">" if ", value=" in error else error  # no weights
        hint = next((h for key, h in _STEP_ERRORS.items() if key in error), "")
        raise Mismatch("train_step(real_images, z, generator, discriminator, g_optimizer, "
                       f"d_optimizer) raised {error}", hint) from None


@exercise("2.4", hint=_STEP_HINT)
def ex_2_4(train_step):
    import keras
    import tensorflow as tf

    for seed, batch in enumerate((6, 5)):
        rng = seeded(seed)
        real = tf.constant(rng.uniform(-1.0, 1.0, size=(batch, *_STEP_IMAGE)), tf.float32)
        z = tf.constant(rng.standard_normal((batch, _STEP_LATENT)), tf.float32)
        generator, discriminator = _step_networks(seed)
        reference = _reference_step(real, z, generator, discriminator)
        variants = [(_reference_step(real, z, generator, discriminator, **kw), why)
                    for kw, why in _STEP_MISTAKES]
        g_optimizer, d_optimizer = keras.optimizers.SGD(_G_LR), keras.optimizers.SGD(_D_LR)
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
        returned = _call_step(train_step, real, z, generator, discriminator, g_optimizer,
                              d_optimizer)

        got = (_flat(generator.trainable_variables), _flat(discriminator.trainable_variables))
        wrong = [name for name, mine, ref in zip(("generator", "discriminator"), got, reference)
                 if not _step_close(mine, ref)]
        if wrong:
            gaps = ", ".join(f"the {name}'s by up to "
                             f"{np.abs(got[i] - reference[i]).max():.3g}"
                             for i, name in enumerate(("generator", "discriminator"))
                             if name in wrong)
            problem = (f"after one train_step on a batch of {batch}, the weights differ from "
                       f"those of the reference step: {gaps}.")
            for variant, why in variants:
                if _step_close(got[0], variant[0]) and _step_close(got[1], variant[1]):
                    raise Mismatch(problem, why)
            raise Mismatch(problem)

        if returned is None:
            raise Mismatch("train_step returned None.", "end the step with `return d_loss, g_loss`.")
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise Mismatch(f"train_step returned {_a(type(returned).__name__)}; expected the "
                           "pair (d_loss, g_loss).", "end the step with `return d_loss, g_loss`.")
        d_ref, g_ref = reference[2], reference[3]
        swapped = "the losses come back swapped: return d_loss, g_loss, in that order."
        expect(returned[0], d_ref, what="train_step(...)[0] (d_loss)", rtol=1e-4, atol=1e-5,
               mistakes=[(g_ref, swapped)])
        expect(returned[1], g_ref, what="train_step(...)[1] (g_loss)", rtol=1e-4, atol=1e-5,
               mistakes=[(d_ref, swapped)])
    return ("train_step matches the reference step on 2 seeded batches: the same d_loss and "
            "g_loss, and the same weights in both networks after one update.")


# ----------------------------------------------------------------------------------------------
# Lesson 03: DCGAN

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
        raise Mismatch(f"{made_by} returned {_a(type(y).__name__)}, not a Keras tensor.",
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
    from gan_course import nets

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
            generator_block, input_shape, filters, nets.upsample_block,
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
            "(8, 10, 8)) and matches gc.nets.upsample_block weight for weight: a 4 x 4 stride-2 "
            "transposed convolution without bias, batch norm, ReLU.")


def _pool(a, how):
    n, h, w, c = a.shape
    blocks = a[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    return blocks.max(axis=(2, 4)) if how == "max" else blocks.mean(axis=(2, 4))


@exercise("3.2", hint=_D_BLOCK)
def ex_3_2(discriminator_block):
    import keras
    from keras import layers

    from gan_course import nets

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
            discriminator_block, input_shape, filters, nets.downsample_block,
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
            "-> (14, 14, 4)) and matches gc.nets.downsample_block weight for weight: a 4 x 4 "
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
