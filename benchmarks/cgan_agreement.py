"""Label agreement of the conditional GAN against training steps, and its speed beside the DCGAN's.

    python benchmarks/cgan_agreement.py --every 1000 --steps 8000 \
        --set '{"hparams": {"conditioning": "concat"}}'
    python benchmarks/cgan_agreement.py --speed 600      # cgan vs dcgan steps/s, interleaved

The first form trains ``cgan`` (profile settings plus JSON overrides) in chunks and prints, after
each, the course classifier's agreement with the requested labels on ``--samples`` samples (the
classes in turn), the lowest class's agreement, the share of confident samples and the FID. The
second alternates chunks of the classroom ``dcgan`` and ``cgan`` in one process, so both see the
same load on a shared machine, and prints each one's steps/s.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import config, data, metrics, models  # noqa: E402


def settings_with(profile, model, overrides):
    base = models.profile(profile)[model].as_dict()
    overrides = dict(overrides)
    base["hparams"] = {**base["hparams"], **overrides.pop("hparams", {})}
    return config.RunSettings(**{**base, **overrides})


def build(model_name, settings, images, seed):
    config.seed_everything(seed)
    return models.get(model_name).build(settings, images.shape[1:], seed)


def fit_chunk(model, images, labels, settings, seed, start, steps):
    stream = data.training_stream(images, settings.batch_size, seed=seed, start_step=start,
                                  labels=labels if model.conditional else None)
    began = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - began


def agreement_curve(args):
    settings = settings_with(args.profile, "cgan", json.loads(args.set))
    images, labels = data.load_uint8(args.dataset, "train")
    model = build("cgan", settings, images, args.seed)
    print(f"cgan {json.dumps(settings.as_dict())}\n{config.describe(args.profile)}")
    print(f"{'steps':>7} {'seconds':>8} {'steps/s':>8} {'agree':>7} {'min cls':>8} "
          f"{'confident':>10} {'FID':>7}  per class")
    trained, steps = 0.0, 0
    while steps < args.steps:
        chunk = min(args.every, args.steps - steps)
        trained += fit_chunk(model, images, labels, settings, args.seed, steps, chunk)
        steps += chunk
        q = models.get("cgan").evaluate(model, args.dataset, args.samples)
        per_class = " ".join(f"{a:.2f}" for a in q["agreement_per_class"])
        print(f"{steps:>7} {trained:>8.0f} {steps / trained:>8.1f} {q['label_agreement']:>7.3f} "
              f"{q['min_class_agreement']:>8.3f} {q['confident']:>10.3f} {q['fid']:>7.2f}  "
              f"{per_class}", flush=True)
    real = metrics.real_accuracy_per_class(args.dataset)
    print("classifier on real test images, per class: " + " ".join(f"{a:.3f}" for a in real))


def speed(args):
    images, labels = data.load_uint8(args.dataset, "train")
    runs = {}
    for name in ("dcgan", "cgan"):
        settings = models.profile(args.profile)[name]
        runs[name] = (build(name, settings, images, 0), settings)
    seconds, steps = dict.fromkeys(runs, 0.0), dict.fromkeys(runs, 0)
    for model, settings in runs.values():  # warm-up: tracing
        fit_chunk(model, images, labels, settings, 0, 0, 2 * settings.steps_per_execution)
    for _ in range(args.rounds):
        for name, (model, settings) in runs.items():
            seconds[name] += fit_chunk(model, images, labels, settings, 0, steps[name], args.speed)
            steps[name] += args.speed
        print("  ".join(f"{name} {steps[name] / seconds[name]:.1f} steps/s" for name in runs),
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    ratio = (steps["cgan"] / seconds["cgan"]) / (steps["dcgan"] / seconds["dcgan"])
    print(f"cgan runs at {ratio:.2f} x the dcgan's steps/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--steps", type=int, default=None, help="default: the profile's")
    parser.add_argument("--every", type=int, default=1000, help="steps between evaluations")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", default="{}", help="JSON overrides of the profile's settings")
    parser.add_argument("--speed", type=int, default=0,
                        help="steps per chunk: compare cgan and dcgan steps/s instead")
    parser.add_argument("--rounds", type=int, default=4, help="chunks per model with --speed")
    args = parser.parse_args()
    if args.speed:
        speed(args)
        return
    args.steps = args.steps or settings_with(args.profile, "cgan", json.loads(args.set)).steps
    agreement_curve(args)


if __name__ == "__main__":
    main()
