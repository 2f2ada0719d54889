"""Sample quality against training time: trains a model in chunks and evaluates after each.

    python benchmarks/quality_curve.py mlp_gan --minutes 5 --every 2000 \
        --set '{"hparams": {"dropout": 0.3}}'

Prints one row per chunk: steps, wall seconds, steps/s, CPU seconds of the process (comparable
between runs when other jobs share the cores; on 2 idle cores wall ~ CPU / 2), classifier confidence, the rarest class's
share and FID (the course's evaluation, as in metrics.json); for the 2-D sets the modes covered and
the share of samples within 4 std of a centre (the swiss roll: near the roll, roll covered).
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import config, data, metrics, models, viz  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=None,
                        help="stop after this many steps (instead of --minutes)")
    parser.add_argument("--every", type=int, default=2000, help="steps between evaluations")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (gc.train's seed=)")
    parser.add_argument("--set", default="{}", help="JSON overrides of the profile's settings")
    parser.add_argument("--grid", default=None, help="PNG path: a sample grid after each chunk")
    args = parser.parse_args()

    recipe = models.get(args.model)
    base = models.profile(args.profile)[recipe.workload(args.dataset)].as_dict()
    overrides = json.loads(args.set)
    base["hparams"] = {**base["hparams"], **overrides.pop("hparams", {})}
    settings = config.RunSettings(**{**base, **overrides})
    config.seed_everything(args.seed)
    points = args.dataset in data.TOY_SETS
    images = data.load_arrays(args.dataset)[0] if points else data.load_uint8(args.dataset)[0]
    model = recipe.build(settings, images.shape[1:], args.seed)
    per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
    print(f"{args.model} {json.dumps(settings.as_dict())}\n{config.describe(args.profile)}")
    columns = ("modes", "within 4 std") if points else ("confident", "min class", "FID")
    print(f"{'steps':>7} {'seconds':>8} {'steps/s':>8} {'cpu s':>8} "
          + " ".join(f"{c:>12}" for c in columns))
    began, steps = time.perf_counter(), 0
    trained, cpu = 0.0, 0.0
    while (steps < args.steps) if args.steps else (trained < args.minutes * 60):
        t0, c0 = time.perf_counter(), time.process_time()
        stream = data.training_stream(images, per_step, seed=args.seed, start_step=steps)
        model.fit(stream, steps_per_epoch=args.every, epochs=1, verbose=0, shuffle=False)
        trained += time.perf_counter() - t0
        cpu += time.process_time() - c0
        steps += args.every
        samples = model.generate(args.samples, seed=2024)
        if points:
            q = metrics.evaluate_points(samples, args.dataset)
            values = (f"{q['modes_covered']}/{q['modes']}", f"{q['high_quality']:.3f}") \
                if "modes" in q else (f"{q['near_data']:.3f}", f"{q['data_covered']:.3f}")
        else:
            q = metrics.evaluate(samples, args.dataset)
            values = (f"{q['confident']:.3f}", f"{q['min_class_share']:.3f}", f"{q['fid']:.2f}")
            if args.grid:
                viz.save_image(samples[:64], args.grid)
        print(f"{steps:>7} {trained:>8.0f} {steps / trained:>8.1f} {cpu:>8.0f} "
              + " ".join(f"{v:>12}" for v in values), flush=True)
    print(f"total wall {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
