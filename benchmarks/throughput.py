"""Train-step throughput: the course's GAN.train_step against the classic Keras loop.

The classic loop, still published in many blog posts, calls per step ``generator.predict``, then
``train_on_batch`` three times: the discriminator on real images, on fakes, and a stacked
generator+discriminator model (discriminator frozen) on noise labelled "real". Both use the same
networks (the MLP GAN of the classroom profile) and batch size. Prints a table.

    python benchmarks/throughput.py [--steps 2000] [--batch-size 64] [--model mlp_gan]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_course import config, data, models  # noqa: E402


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

    for _ in range(20):  # warm-up: tracing and compilation
        step()
    began = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - began)


def course_step(model, uint8_images, batch_size, steps, autotune=False):
    """Steps/s of ``GAN.fit`` on the course's resumable input stream.

    ``autotune=True`` hands the stream back to tf.data's autotuner, which the course switches off
    (``data.lean``): on a 2-core machine its threads compete with training for the cores."""
    stream = data.training_stream(uint8_images, batch_size, seed=0)
    if autotune:
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = True
        stream = stream.with_options(options)
    warmup = model.steps_per_execution * 4
    model.fit(stream, steps_per_epoch=warmup, epochs=1, verbose=0)
    began = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps / (time.perf_counter() - began)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp_gan")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--classic-steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the profile's")
    parser.add_argument("--profile", default="classroom")
    args = parser.parse_args()

    config.seed_everything(0)
    settings = config.profile(args.profile)[args.model]
    args.batch_size = args.batch_size or settings.batch_size
    settings = settings.__class__(**{**settings.as_dict(), "batch_size": args.batch_size})
    uint8_images, _ = data.load_uint8("mnist", "train")
    images = data.to_unit_range(uint8_images)
    shape = images.shape[1:]
    recipe = models.get(args.model)
    rows = []
    # The classic loop trains a one-output discriminator, so it gets the networks without the
    # DCGAN's InfoGAN code head.
    model = recipe.build(settings.with_hparams(codes=None), shape, 0)
    classic = classic_loop(model.generator, model.discriminator, images, args.batch_size,
                           args.classic_steps)
    rows.append(("classic loop (predict + 3x train_on_batch)", classic))
    spe = settings.steps_per_execution
    for label, tuning, autotune in (
            ("course train_step, tf.function", dict(steps_per_execution=1, jit_compile=False), False),
            (f"course train_step, {spe} steps/execution", dict(jit_compile=False), False),
            (f"course train_step, {spe} steps/execution + XLA", dict(jit_compile=True), False),
            ("course profile, tf.data autotuner on", {}, True),
            ("course profile (autotuner off)", {}, False)):
        tuned = settings.__class__(**{**settings.as_dict(), **tuning})
        config.seed_everything(0)
        model = recipe.build(tuned, shape, 0)
        rows.append((label, course_step(model, uint8_images, args.batch_size, args.steps, autotune)))

    print(f"\n{args.model}, batch {args.batch_size}, {config.describe(args.profile)}")
    print(f"{'method':<58} {'steps/s':>9} {'images/s':>10} {'speed-up':>9}")
    for label, rate in rows:
        print(f"{label:<58} {rate:>9.1f} {rate * args.batch_size:>10.0f} {rate / classic:>8.1f}x")


if __name__ == "__main__":
    main()
