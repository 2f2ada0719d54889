"""Lesson 01's GAN on a line: does it cover the four modes, or collapse? Prints one row per run.

    python benchmarks/gan_1d_modes.py --profile classroom --seeds 0 1 2 3

Two variants, as in the lesson: balanced learning rates (the profile's) and a generator that
learns ten times faster than its discriminator. Columns: the share of samples at each mode at
the last step, how many modes hold at least 10% there, and in how many of the snapshots of the
second half of training some mode held less than 5% (a dropped mode).
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import config, models  # noqa: E402
from gan_course.models import gan_1d  # noqa: E402


def variants(settings):
    hp = settings.hparams
    return {"balanced": settings,
            "generator 10x faster": settings.with_hparams(g_lr=5 * hp["g_lr"], d_lr=hp["d_lr"] / 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    settings = models.profile(args.profile)["gan_1d"]
    hp = settings.hparams
    print(f"{config.describe(args.profile)}; {settings.steps} steps of {settings.batch_size}")
    print(f"{'variant':<22} {'seed':>4} {'seconds':>8} {'last shares':>24} {'modes >= 10%':>13} "
          f"{'late snapshots missing a mode':>30}")
    for name, variant in variants(settings).items():
        for seed in args.seeds:
            began = time.perf_counter()
            snapshots = gan_1d.watch(variant, seed=seed, every=args.every)
            seconds = time.perf_counter() - began
            shares = [gan_1d.mode_shares(s.samples, hp["centres"], hp["std"]) for s in snapshots]
            late = shares[len(shares) // 2:]
            missing = sum(min(s) < 0.05 for s in late)
            last = " ".join(f"{s:.2f}" for s in shares[-1])
            print(f"{name:<22} {seed:>4} {seconds:>8.0f} {last:>24} "
                  f"{sum(s >= 0.10 for s in shares[-1]):>13} {missing:>24} of {len(late)}",
                  flush=True)


if __name__ == "__main__":
    main()
