"""Neural style transfer: time, loss and layout kept, for a few settings side by side.

    python benchmarks/style_transfer.py --profile classroom
    python benchmarks/style_transfer.py --profile classroom --set '{"optimizer": "adam"}' \
        --set '{"optimizer": "lbfgs"}' --out-dir /tmp/style_runs

Each ``--set`` is one run (JSON overrides of the profile's style settings; none: the profile's
own). Prints one row per run: steps, loss-and-gradient evaluations, seconds (the optimisation
alone, after the features are built), seconds per evaluation, the style loss at the last step as
a fraction of the first, the content loss at the last step, and the edge similarity between the
picture and the photo (``gc.style.edge_similarity``; the painting's own similarity to the photo
is printed first as the baseline), and the speckle: the picture's total variation over the
photo's. ``--out-dir`` saves each picture and its JSON summary.
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_course import art, config  # noqa: E402
from gan_course.art import style


def speckle(picture, photo):
    """The picture's total variation against the photo's: pixel-level noise the optimisation
    added (1: as smooth as the photo)."""
    return float(style.total_variation_loss(picture[None]) / style.total_variation_loss(photo[None]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default="mount_rainier")
    parser.add_argument("--style", default="van_gogh_starry_night_1889")
    parser.add_argument("--profile", default="classroom")
    parser.add_argument("--features", default="auto", choices=["auto", "vgg19", "random"])
    parser.add_argument("--set", action="append", default=None,
                        help="JSON overrides of the style settings; repeat for several runs")
    parser.add_argument("--out-dir", default=None, help="save each picture (PNG + JSON) here")
    args = parser.parse_args()

    runs = [json.loads(s) for s in args.set or ["{}"]]
    print(config.describe(args.profile))
    print(f"{args.content} in the style of {args.style}; profile settings "
          f"{json.dumps({k: v for k, v in style.settings(args.profile).items()})}")
    print(f"{'run':<40} {'steps':>5} {'evals':>5} {'seconds':>7} {'s/eval':>6} "
          f"{'style last/first':>16} {'content':>8} {'edges':>6} {'speckle':>7}")
    baseline = None
    for number, overrides in enumerate(runs):
        began = time.perf_counter()
        job = style.StyleTransfer(args.content, args.style, features=args.features,
                                  profile=args.profile, verbose=0, **overrides)
        prepared = time.perf_counter() - began
        job.run()
        result = job.result()
        photo = art.load_image(args.content, max(result.image.shape[:2]))
        if baseline is None:
            painting = art.load_image(args.style, max(result.image.shape[:2]))
            baseline = style.edge_similarity(painting, photo)
            print(f"{'(the painting itself)':<40} {'':>5} {'':>5} {'':>7} {'':>6} {'':>16} "
                  f"{'':>8} {baseline:>6.3f} {'':>7}   features: {result.features}")
        h, s = result.history, result.summary()
        label = json.dumps(overrides) if overrides else "(profile settings)"
        print(f"{label:<40} {s['steps']:>5} {s['evaluations']:>5} {s['seconds']:>7.1f} "
              f"{s['seconds'] / max(1, s['evaluations']):>6.2f} "
              f"{h['style'][-1] / h['style'][0]:>16.4f} {h['content'][-1]:>8.4f} "
              f"{style.edge_similarity(result.image, photo):>6.3f} "
              f"{speckle(result.image, photo):>7.2f}   "
              f"(+{prepared:.1f} s to prepare; total {time.perf_counter() - began:.1f} s)",
              flush=True)
        if args.out_dir:
            result.save(Path(args.out_dir) / f"run{number}.png")


if __name__ == "__main__":
    main()
