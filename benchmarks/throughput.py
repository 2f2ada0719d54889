"""Training throughput of every model: the course's step against a plain eager loop and the
classic Keras loop, on the same networks, data and batch size.

- ``classic loop``: per step ``generator.predict``, then three ``train_on_batch`` calls (the
  discriminator on real images, on fakes, and a stacked generator+frozen discriminator), as many
  blog posts still do. Only for the unconditional image GANs it applies to (mlp_gan, dcgan).
- ``eager``: the course's own ``train_step`` run eagerly (``run_eagerly``): a GradientTape loop
  without ``tf.function``.
- ``course, 1 step/call``: the step compiled as one ``tf.function``, one step per call, no XLA.
- ``course profile``: the profile's steps per call and XLA setting, as ``gc.train`` runs it;
  where the classic loop trains other networks than the course (the DCGAN without its InfoGAN
  code head), also the course's step on the classic loop's networks, the like-for-like pair.
- ``floor`` (where the classic loop applies): the forward pass and both gradients alone, which
  bounds what any step on those networks can reach against the classic loop.
- on a GPU also the course profile in mixed precision, and in mixed precision with XLA.

Prints a table per model and writes every row as JSON.

    python benchmarks/throughput.py [--model all | NAME ...] [--profile classroom]
                                    [--steps 400] [--json throughput.json]
"""

import argparse
import dataclasses
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_course import config, data, models, runs  # noqa: E402

CLASSIC = ("mlp_gan", "dcgan")  # one image in, one logit out: the classic loop can train them


def classic_loop(generator, discriminator, images, batch_size, steps):
    """Steps/s of the textbook loop: predict, then three ``train_on_batch`` calls."""
    latent_dim = generator.input_shape[-1]
    discriminator.compile(keras.optimizers.Adam(2e-4, 0.5), "binary_crossentropy")
    discriminator.trainable = False
    z = keras.Input((latent_dim,))
    stacked = keras.Model(z, discriminator(generator(z)))
    stacked.compile(keras.optimizers.Adam(2e-4, 0.5), "binary_crossentropy")
    rng = np.random.default_rng(0)
    ones, zeros = np.ones((batch_size, 1)), np.zeros((batch_size, 1))

    def step():
        real = images[rng.integers(len(images), size=batch_size)]
        noise = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
        fake = generator.predict(noise, verbose=0)
        discriminator.trainable = True
        discriminator.train_on_batch(real, ones)
        discriminator.train_on_batch(fake, zeros)
        discriminator.trainable = False
        stacked.train_on_batch(noise, ones)

    return _rate(step, steps, warmup=10)


def gradient_floor(gan, images, batch_size, steps):
    """Steps/s of the step's unavoidable work alone: one forward pass of both networks and the
    gradients of both losses, on a fixed batch, with no optimizer, input stream, EMA or metrics.
    No implementation of a step on these networks runs faster than this."""
    import tensorflow as tf

    real = tf.constant(images[:batch_size])
    z = tf.random.normal((batch_size, gan.generator.input_shape[-1]), seed=0)

    @tf.function
    def gradients():
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = gan.generator(z, training=True)
            real_logits, fake_logits = tf.split(gan.discriminate(real, fake), 2)
            d_loss = gan.d_loss_fn(real_logits, fake_logits)
            g_loss = gan.g_loss_fn(fake_logits)
        return (d_tape.gradient(d_loss, gan.discriminator.trainable_weights),
                g_tape.gradient(g_loss, gan.generator.trainable_weights))

    return _rate(gradients, steps, warmup=5)


def _rate(step, steps, warmup):
    for _ in range(warmup):  # tracing and compilation
        step()
    began = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - began)


def fit_rate(recipe, dataset, settings, steps, eager=False):
    """Steps/s of ``model.fit`` on the course's input stream for ``settings``."""
    config.seed_everything(0)
    image_shape, _ = runs.training_data(recipe, dataset, settings)
    model = recipe.build(settings, tuple(image_shape), 0)
    model.run_eagerly = eager
    _, stream_from = runs.training_data(recipe, dataset, settings, model)
    stream = stream_from(0, 0)
    per_call = 1 if eager else model.steps_per_execution
    steps = max(per_call, steps // per_call * per_call)
    model.fit(stream, steps_per_epoch=per_call * 2, epochs=1, verbose=0)  # warm-up
    began = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps / (time.perf_counter() - began)


def measure(name, profile, steps, eager_steps, classic_steps):
    """``[(method, steps/s)]`` for model ``name``."""
    recipe = models.get(name)
    dataset = recipe.default_dataset
    settings = models.profile(profile)[recipe.workload(dataset)]
    rows = []
    if name in CLASSIC:
        # the classic loop trains a one-output discriminator: no InfoGAN code head
        plain_settings = settings.with_hparams(codes=None)
        plain = recipe.build(plain_settings, (28, 28, 1), 0)
        images = data.to_unit_range(data.load_uint8(dataset, "train")[0])
        rows.append(("classic loop (predict + 3x train_on_batch)",
                     classic_loop(plain.generator, plain.discriminator, images,
                                  settings.batch_size, classic_steps)))
        if settings.hparams.get("codes"):
            rows.append(("course profile, the classic loop's networks",
                         fit_rate(recipe, dataset, plain_settings, steps)))
        rows.append(("floor: forward + gradients only, classic's networks",
                     gradient_floor(plain, images, settings.batch_size, steps)))
    rows.append(("eager train_step (no tf.function)",
                 fit_rate(recipe, dataset, settings, eager_steps, eager=True)))
    one_call = dataclasses.replace(settings, steps_per_execution=1, jit_compile=False)
    rows.append(("course, tf.function, 1 step/call", fit_rate(recipe, dataset, one_call, steps)))
    rows.append((f"course profile ({settings.steps_per_execution} steps/call, XLA "
                 f"{'on' if settings.jit_compile else 'off'})",
                 fit_rate(recipe, dataset, settings, steps)))
    if config.device_summary(profile)["gpus"]:
        for label, jit in (("mixed precision", False), ("mixed precision + XLA", True)):
            with config.precision_policy("mixed"):
                tuned = dataclasses.replace(settings, jit_compile=jit)
                rows.append((f"course profile, {label}", fit_rate(recipe, dataset, tuned, steps)))
    return settings.batch_size, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["all"], help="model names, or all")
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--eager-steps", type=int, default=40)
    parser.add_argument("--classic-steps", type=int, default=100)
    parser.add_argument("--json", default="throughput.json", help="where to write the rows")
    args = parser.parse_args()
    names = models.names() if args.model == ["all"] else args.model

    print(config.describe(args.profile))
    results = []
    for name in names:
        batch_size, rows = measure(name, args.profile, args.steps, args.eager_steps,
                                   args.classic_steps)
        baseline = dict(rows)
        classic = baseline.get("classic loop (predict + 3x train_on_batch)")
        eager = baseline["eager train_step (no tf.function)"]
        print(f"\n{name}, batch {batch_size}")
        print(f"{'method':<52} {'steps/s':>8} {'images/s':>9} {'vs eager':>9} {'vs classic':>11}")
        for method, rate in rows:
            versus_classic = f"{rate / classic:>10.1f}x" if classic else f"{'-':>11}"
            print(f"{method:<52} {rate:>8.1f} {rate * batch_size:>9.0f} {rate / eager:>8.1f}x "
                  f"{versus_classic}")
            results.append({"model": name, "method": method, "batch_size": batch_size,
                            "steps_per_second": rate, "images_per_second": rate * batch_size,
                            "vs_eager": rate / eager,
                            "vs_classic": rate / classic if classic else None})
    with open(args.json, "w") as out:
        json.dump({"profile": args.profile, "device": config.device_summary(args.profile),
                   "rows": results}, out, indent=2)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
