"""Exercise checks, one short function per exercise: ``gc.checks.ex_1_1(value_function)``.

Each check calls the student's function on seeded inputs, compares with the library's reference
(:mod:`gan_course.losses`, :mod:`gan_course.theory`, :mod:`gan_course.nets`), prints one ✅/❌
line and returns a :class:`~gan_course.checking.CheckResult`. The machinery lives in
:mod:`gan_course.checking`.
"""

import numpy as np

from gan_course import data, losses, theory
from gan_course.checking import Mismatch, call, exercise, expect, one_line, seeded

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
