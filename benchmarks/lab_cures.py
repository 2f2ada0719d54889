"""Lesson 04's 2-D lab, four recipes at one optimiser over several seeds: does each cure help?

    GAN_COURSE_PROFILE=classroom python benchmarks/lab_cures.py --seeds 0 1 2

Trains the plain GAN, the SN GAN (the plain GAN with spectral normalisation in its
discriminator), the weight-clipped WGAN and WGAN-GP on eight Gaussians with the lab's own
``gc.widgets.lab2d.train``: the same MLPs, steps, batches and starting weights, and, by default,
the same Adam and learning rates (the lab's). ``--optimisers papers`` gives the plain GAN and the
clipped WGAN their papers' optimisers instead (Adam 2e-4, beta_1 0.5; RMSProp 5e-5). For each
run it prints the modes covered and the share of samples within 4 std of a centre at the end
(and the first step at which all modes were covered), and the seconds per training step; then the
mean over the seeds. Seed 0 is the run the lesson shows.

The seconds of a lab run include its snapshots and whatever else the machine is doing.
``--timing STEPS`` measures the cost of a training step alone instead: each recipe, in turn and
three times over, trains STEPS steps after a warm-up, without snapshots; it prints the median.
"""

import argparse
import time

import numpy as np

from gan_course import config, data, models
from gan_course.models import wgan_gp
from gan_course.widgets import lab2d

RECIPES = ("gan", "sn_gan", "wgan_clip", "wgan_gp")


def first_full_cover(run):
    """The first snapshot step at which every mode holds >= 5% of the samples, or None."""
    for snap in run.snapshots:
        if snap.quality["modes_covered"] == snap.quality["modes"]:
            return snap.step
    return None


def step_times(settings, recipes, steps, repeats=3, dataset="toy_8gaussians"):
    """``{recipe: [seconds per step, ...]}``, the recipes timed in turn ``repeats`` times."""
    points, _ = data.load_arrays(dataset, "train")
    times = {kind: [] for kind in recipes}
    for _ in range(repeats):
        for kind in recipes:
            model = lab2d.build(kind, settings, seed=0)
            per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
            stream = data.training_stream(points, per_step, seed=0)
            model.fit(stream, epochs=1, steps_per_epoch=2 * settings.steps_per_execution,
                      verbose=0)  # traces and compiles the step
            began = time.perf_counter()
            model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0)
            times[kind].append((time.perf_counter() - began) / steps)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--optimisers", choices=["equal", "papers"], default="equal")
    parser.add_argument("--dataset", default="toy_8gaussians")
    parser.add_argument("--timing", type=int, default=0, metavar="STEPS",
                        help="only time STEPS training steps of each recipe (no snapshots)")
    args = parser.parse_args(argv)
    settings = models.profile()["wgan_gp_2d"]
    if args.optimisers == "papers":
        settings = settings.with_hparams(**wgan_gp.PAPERS_OPTIMISERS)
    print(f"{config.describe()}")
    print(f"{args.dataset}: {settings.steps} steps of {settings.batch_size} points, hidden "
          f"{settings.hparams['hidden']}, optimisers {args.optimisers} (Adam "
          f"{settings.hparams['d_lr']:g}, beta_1 {settings.hparams['beta_1']}, beta_2 "
          f"{settings.hparams['beta_2']} unless papers), seeds {args.seeds}")
    if args.timing:
        times = step_times(settings, args.recipes, args.timing, dataset=args.dataset)
        print(f"{'recipe':<24}{'ms/step (median of 3)':>22}{'runs':>24}")
        for kind, values in times.items():
            runs = " ".join(f"{1000 * v:.1f}" for v in values)
            print(f"{lab2d.LABELS[kind]:<24}{1000 * np.median(values):>22.2f}{runs:>24}")
        return
    print(f"{'recipe':<24}{'seed':>5}{'modes':>7}{'within 4 std':>14}{'all from':>10}"
          f"{'seconds':>9}{'ms/step':>9}")
    rows = {}
    for kind in args.recipes:
        for seed in args.seeds:
            began = time.perf_counter()
            run = lab2d.train(kind, settings, args.dataset, seed=seed, n=4000)
            q = run.snapshots[-1].quality
            per_step = run.seconds / settings.steps
            rows.setdefault(kind, []).append((q["modes_covered"], q["high_quality"], per_step))
            first = first_full_cover(run)
            print(f"{run.label:<24}{seed:>5}{q['modes_covered']:>4}/{q['modes']}"
                  f"{q['high_quality']:>14.1%}{first if first is not None else '-':>10}"
                  f"{run.seconds:>9.0f}{1000 * per_step:>9.1f}  "
                  f"({time.perf_counter() - began:.0f} s with snapshots)", flush=True)
    print(f"\nmean over {len(args.seeds)} seeds")
    print(f"{'recipe':<24}{'modes':>7}{'all 8 in':>10}{'within 4 std':>14}{'ms/step':>9}")
    for kind, values in rows.items():
        modes, close, per_step = (np.asarray(v, np.float64) for v in zip(*values))
        full = int(np.sum(modes == 8)) if args.dataset == "toy_8gaussians" else "-"
        print(f"{lab2d.LABELS[kind]:<24}{modes.mean():>7.1f}{full:>6}/{len(modes)}"
              f"{close.mean():>14.1%}{1000 * per_step.mean():>9.1f}")


if __name__ == "__main__":
    main()
