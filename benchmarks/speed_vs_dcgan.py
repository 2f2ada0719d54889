"""A model's classroom run time beside the classroom DCGAN's, measured on the same load.

    python benchmarks/speed_vs_dcgan.py wgan_gp --chunk 100 --rounds 3

Builds the classroom ``dcgan`` and MODEL (MNIST), then alternates chunks of ``--chunk`` steps of
each in one process, so that both see the same load on a shared machine. Prints each model's
steps/s per round, then the ratio of the two full classroom runs' times: MODEL's steps / its
steps/s against the DCGAN's steps / its steps/s (below 1: MODEL's run is the shorter).
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import config, data, models  # noqa: E402


def fit_chunk(model, images, settings, seed, start, steps):
    """Train ``steps`` steps from step ``start``; returns the wall seconds."""
    per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
    stream = data.training_stream(images, per_step, seed=seed, start_step=start)
    began = time.perf_counter()
    model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--chunk", type=int, default=100, help="steps per chunk")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    images, _ = data.load_uint8("mnist", "train")
    runs = {}
    for name in ("dcgan", args.model):
        settings = models.profile(args.profile)[name]
        if args.chunk % settings.steps_per_execution:
            raise SystemExit(f"--chunk must be a multiple of {name}'s steps_per_execution "
                             f"({settings.steps_per_execution})")
        config.seed_everything(0)
        runs[name] = (models.get(name).build(settings, images.shape[1:], 0), settings)
    seconds, steps = dict.fromkeys(runs, 0.0), dict.fromkeys(runs, 0)
    for model, settings in runs.values():  # warm-up: tracing
        fit_chunk(model, images, settings, 0, 0, settings.steps_per_execution)
    for _ in range(args.rounds):
        for name, (model, settings) in runs.items():
            seconds[name] += fit_chunk(model, images, settings, 0, steps[name], args.chunk)
            steps[name] += args.chunk
        print("  ".join(f"{name} {steps[name] / seconds[name]:.2f} steps/s" for name in runs),
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    rate = {name: steps[name] / seconds[name] for name in runs}
    full = {name: settings.steps / rate[name] for name, (_, settings) in runs.items()}
    print(f"classroom runs: dcgan {runs['dcgan'][1].steps} steps, {args.model} "
          f"{runs[args.model][1].steps} steps; {args.model}'s run takes "
          f"{full[args.model] / full['dcgan']:.2f} x the dcgan's time")


if __name__ == "__main__":
    main()
