"""Lesson 03's duel: a plain DCGAN against lesson 02's MLP networks, trained on equal terms.

    python benchmarks/dcgan_vs_mlp.py --profile classroom --every 1000 --seed 0

Both models get the settings of ``cfg["dcgan_vs_mlp"]`` (batch, steps, Adam, loss, EMA) and the
same stream of batches; only the networks differ: the DCGAN of Radford et al. (no hidden dense
layers, no dropout, no code) and the MLP of lesson 02 at its profile's sizes. Prints, per model,
one row per ``--every`` steps: steps/s, classifier confidence, rarest digit's share and FID.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import config, data, metrics, models  # noqa: E402
from gan_course.models import base, dcgan, mlp_gan  # noqa: E402


def contenders(profile):
    """``{name: (generator, discriminator)}``: the plain DCGAN and lesson 02's MLP networks."""
    duel = profile["dcgan_vs_mlp"].hparams
    mlp = profile["mlp_gan"].hparams
    return {
        "plain DCGAN": lambda: (dcgan.build_generator(duel["latent_dim"], (28, 28, 1),
                                                      duel["g_width"]),
                                dcgan.build_discriminator((28, 28, 1), duel["d_width"])),
        "MLP GAN": lambda: (mlp_gan.build_generator(mlp["latent_dim"], (28, 28, 1), mlp["hidden"],
                                                    mlp.get("batch_norm", False)),
                            mlp_gan.build_discriminator((28, 28, 1), mlp["d_hidden"])),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--every", type=int, default=1000, help="steps between evaluations")
    parser.add_argument("--steps", type=int, default=None, help="default: the profile's steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=None, help="train only this contender")
    args = parser.parse_args()

    profile = models.profile(args.profile)
    settings = profile["dcgan_vs_mlp"]
    steps = args.steps or settings.steps
    images, _ = data.load_uint8("mnist", "train")
    print(f"{settings.as_dict()}\n{config.describe(args.profile)}")
    print(f"{'model':<12} {'steps':>6} {'seconds':>8} {'steps/s':>8} {'confident':>10} "
          f"{'rarest':>7} {'FID':>7}")
    for name, build in contenders(profile).items():
        if args.only and args.only != name:
            continue
        config.seed_everything(args.seed)
        model = base.compiled_gan(*build(), settings, args.seed)
        trained, done = 0.0, 0
        while done < steps:
            chunk = min(args.every, steps - done)
            stream = data.training_stream(images, settings.batch_size, seed=args.seed,
                                          start_step=done)
            began = time.perf_counter()
            model.fit(stream, steps_per_epoch=chunk, epochs=1, verbose=0, shuffle=False)
            trained += time.perf_counter() - began
            done += chunk
            q = metrics.evaluate(model.generate(settings.eval_samples, seed=2024))
            print(f"{name:<12} {done:>6} {trained:>8.0f} {done / trained:>8.1f} "
                  f"{q['confident']:>10.3f} {q['min_class_share']:>7.3f} {q['fid']:>7.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
