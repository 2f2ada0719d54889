"""Sample quality against training time: trains a model in chunks and evaluates after each.

    python benchmarks/quality_curve.py mlp_gan --minutes 5 --every 2000 \
        --set '{"hparams": {"dropout": 0.3}}'

Prints one row per chunk: steps, wall seconds, steps/s, classifier confidence, the rarest class's
share and FID (the course's evaluation, as in metrics.json).
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
    parser.add_argument("--every", type=int, default=2000, help="steps between evaluations")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (gc.train's seed=)")
    parser.add_argument("--set", default="{}", help="JSON overrides of the profile's settings")
    parser.add_argument("--grid", default=None, help="PNG path: a sample grid after each chunk")
    args = parser.parse_args()

    base = config.profile(args.profile)[args.model].as_dict()
    overrides = json.loads(args.set)
    base["hparams"] = {**base["hparams"], **overrides.pop("hparams", {})}
    settings = config.RunSettings(**{**base, **overrides})
    config.seed_everything(args.seed)
    images, _ = data.load_uint8(args.dataset, "train")
    model = models.get(args.model).build(settings, images.shape[1:], args.seed)
    print(f"{args.model} {json.dumps(settings.as_dict())}\n{config.describe(args.profile)}")
    print(f"{'steps':>7} {'seconds':>8} {'steps/s':>8} {'confident':>10} {'min class':>10} {'FID':>8}")
    began, steps = time.perf_counter(), 0
    trained = 0.0
    while trained < args.minutes * 60:
        t0 = time.perf_counter()
        stream = data.training_stream(images, settings.batch_size, seed=args.seed,
                                      start_step=steps)
        model.fit(stream, steps_per_epoch=args.every, epochs=1, verbose=0, shuffle=False)
        trained += time.perf_counter() - t0
        steps += args.every
        samples = model.generate(args.samples, seed=2024)
        q = metrics.evaluate(samples, args.dataset)
        if args.grid:
            viz.save_image(samples[:64], args.grid)
        print(f"{steps:>7} {trained:>8.0f} {steps / trained:>8.1f} {q['confident']:>10.3f} "
              f"{q['min_class_share']:>10.3f} {q['fid']:>8.2f}", flush=True)
    print(f"total wall {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
