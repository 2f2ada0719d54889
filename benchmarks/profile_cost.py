"""What a profile's training costs: FLOPs per step counted in the graph, steps/s measured here.

    python benchmarks/profile_cost.py [--profile full] [--models mlp_gan dcgan] [--steps 100]

For each model, one row: the profile's steps and batch size, the FLOPs of one train step
(TensorFlow's graph profiler on the traced ``train_step``), the steps/s measured on this machine
(after a warm-up, with the profile's precision and XLA), the minutes the whole run takes here at
that rate, and the minutes it would take on a GPU sustaining each of ``--assume-tflops`` with at
least ``--step-floor-ms`` per step (launch overhead). The last columns are estimates; the
measured column is what the machine running the script really does.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
from throughput import fit_rate  # noqa: E402

from gan_course import config, data, models  # noqa: E402


def train_step_flops(model, batch_size, image_shape):
    """Floating-point operations of one ``train_step`` on a batch, as TensorFlow counts them."""
    step = tf.function(model.train_step)
    graph = step.get_concrete_function(
        tf.TensorSpec((batch_size, *image_shape), tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full")
    parser.add_argument("--models", nargs="+", default=["mlp_gan", "dcgan"])
    parser.add_argument("--steps", type=int, default=100, help="steps timed per model")
    parser.add_argument("--assume-tflops", type=float, nargs="+", default=[4.0, 16.0])
    parser.add_argument("--step-floor-ms", type=float, default=1.0)
    args = parser.parse_args()

    config.setup_device(args.profile)
    uint8_images, _ = data.load_uint8("mnist", "train")
    shape = uint8_images.shape[1:]
    print(config.describe(args.profile))
    guesses = "".join(f" {f'~min @{t:g}TF/s':>14}" for t in args.assume_tflops)
    print(f"{'model':<9} {'steps':>6} {'batch':>5} {'GFLOP/step':>10} {'steps/s here':>12} "
          f"{'min here':>9}{guesses}")
    for name in args.models:
        settings = models.profile(args.profile)[name]
        recipe = models.get(name)
        config.seed_everything(0)
        model = recipe.build(settings, shape, 0)
        # A WGAN-GP step takes one real batch per critic update, stacked into one.
        per_step = settings.batch_size * getattr(model, "real_batches_per_step", 1)
        flops = train_step_flops(model, per_step, shape)
        rate = fit_rate(recipe, "mnist", settings, args.steps)
        estimates = "".join(
            f" {settings.steps * max(flops / (t * 1e12), args.step_floor_ms / 1e3) / 60:>14.1f}"
            for t in args.assume_tflops)
        print(f"{name:<9} {settings.steps:>6} {settings.batch_size:>5} {flops / 1e9:>10.2f} "
              f"{rate:>12.2f} {settings.steps / rate / 60:>9.1f}{estimates}", flush=True)


if __name__ == "__main__":
    main()
